// SPDX-License-Identifier: BSD-2-Clause
/*
 * A program built the way a user of the installed librsip builds one
 * (pkg-config librsip, #include <rsip/client.h>): register with the gateway
 * given on the command line over TCP, lease an RSAP-IP port, print the
 * Client ID and the leased address, de-register.
 */
#include <arpa/inet.h>
#include <rsip/client.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	struct rsip_client_cfg cfg = {.transport = RSIP_TRANSPORT_TCP};
	struct rsip_assign_req req = {.method = RSIP_METHOD_RSAP_IP, .n_ports = 1};
	struct rsip_binding b;
	struct rsip_client *c;
	struct in_addr server;
	int rc;

	if (argc != 3 || !inet_aton(argv[1], &server)) {
		fprintf(stderr, "usage: %s SERVER PORT\n", argv[0]);
		return 2;
	}
	c = rsip_client_connect(server, (uint16_t)atoi(argv[2]), &cfg);
	if (!c) {
		perror("rsip_client_connect");
		return 1;
	}
	rc = rsip_client_register(c, false);
	if (rc == 0)
		rc = rsip_client_assign(c, &req, &b);
	if (rc) {
		fprintf(stderr, "librsip: %d (%s)\n", rc,
			rc > 0 ? rsip_error_name((unsigned)rc) : "local");
		rsip_client_close(c);
		return 1;
	}
	printf("registered: client %u, leased %s\n", rsip_client_registration(c)->client_id,
	       inet_ntoa(b.addr));
	rc = rsip_client_deregister(c);
	rsip_client_close(c);
	return rc ? 1 : 0;
}
