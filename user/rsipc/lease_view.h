/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What rsipc leased, in the shape its users need: printed (human or JSON),
 * kept in the state file, and handed to the command it runs as environment
 * variables (RSIP_ADDRESS, RSIP_SPI_MIN, ...), so that an IKE daemon can be
 * configured from it.
 */
#ifndef RSIPC_LEASE_VIEW_H
#define RSIPC_LEASE_VIEW_H

#include <json-c/json.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "args.h"
#include "rsip/client.h"

struct rsipc_lease {
	struct in_addr server;
	uint16_t server_port;
	enum rsip_transport transport;
	uint32_t client_id;
	uint32_t bind_id;
	uint8_t method;
	uint8_t tunnel;
	struct in_addr addr;	 /* Nb */
	struct in_addr endpoint; /* where the tunnel goes */
	uint32_t lease_s;

	/* Every granted port in order; the IKE and NAT-T ports (when asked
	 * for) are the first two, the rest are the general-purpose ones. */
	uint16_t n_ports;
	uint16_t ports[RSIP_MAX_PORTS];
	uint16_t ike_port, natt_port; /* 0: not asked for */

	uint16_t n_spis;
	bool spi_range; /* spi_min..spi_max is exactly ours */
	uint32_t spi_min, spi_max;

	char dev[IFNAMSIZ];
	uint16_t mtu;
	uint32_t table;
	char state_dir[RSIPC_STATE_DIR_MAX];
};

/* Fill l from the registration and the binding. ike: the first two ports are
 * the IKE and NAT-T ports. Returns 0, or -EPROTO when ike is asked for and
 * fewer than two ports were granted. */
int rsipc_lease_from(struct rsipc_lease *l, const struct rsip_registration *reg,
		     const struct rsip_binding *b, bool ike);

/* The general-purpose ports as text: "lo-hi" for a run, "a,b,c" for a list,
 * "" for none. */
void rsipc_lease_ports_text(const struct rsipc_lease *l, char *buf, size_t cap);

/* A new environment: base (may be NULL) without any RSIP_* variable, plus
 * the lease's. NULL-terminated; free with rsipc_env_free. NULL on ENOMEM. */
char **rsipc_env_build(const struct rsipc_lease *l, char *const *base);
void rsipc_env_free(char **env);

struct json_object *rsipc_lease_json(const struct rsipc_lease *l);
void rsipc_lease_print(const struct rsipc_lease *l, FILE *f);

const char *rsipc_method_text(uint8_t method); /* "rsipsec", "rsap-ip", "rsa-ip" */
const char *rsipc_tunnel_text(uint8_t tunnel); /* "ipip", "gre" */

#endif
