// SPDX-License-Identifier: BSD-2-Clause
/*
 * Is a port of Nb in use by the gateway itself? Probed by binding a throw-away
 * socket to nb:port without SO_REUSEADDR: the kernel answers EADDRINUSE
 * exactly when a socket in this network namespace holds the port on nb or on
 * the wildcard address (listening, connected, or in TIME_WAIT - recently used,
 * which is just as good a reason not to lend it). IP_FREEBIND lets the probe
 * work whether or not nb is configured on an interface yet (--dataplane none).
 * Any other failure (EACCES for ports below 1024 without
 * CAP_NET_BIND_SERVICE, out of descriptors) says nothing about the port:
 * it counts as free rather than shrinking the pool on a hunch.
 */
#include "port_busy.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static bool held(int type, struct in_addr nb, uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr = nb, .sin_port = htons(port)};
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	int one = 1;
	bool busy = false;

	if (fd < 0)
		return false;
	(void)setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno == EADDRINUSE)
		busy = true;
	close(fd);
	return busy;
}

bool rsipd_port_busy(void *arg, struct in_addr nb, uint16_t port)
{
	(void)arg;
	/* A leased port covers TCP and UDP alike (decision D10). */
	return held(SOCK_DGRAM, nb, port) || held(SOCK_STREAM, nb, port);
}
