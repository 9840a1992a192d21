/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef RSIPD_PORT_BUSY_H
#define RSIPD_PORT_BUSY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* True when one of the gateway's own sockets holds nb:port over TCP or UDP
 * (bound to nb or to the wildcard address). Such a port is never leased:
 * its traffic is for N, and a binding would make XDP take it away. The
 * allocator asks this for every port it is about to grant (alloc_cfg
 * .port_busy). Answered from a read of the namespace's sockets at most a
 * second old, a port it lists checked by a bind probe (port_busy.c). */
bool rsipd_port_busy(void *arg, struct in_addr nb, uint16_t port);

/* From now until rsipd_port_busy_forget(), rsipd_port_busy answers from one
 * read of this network namespace's TCP and UDP sockets (a restart asks
 * about every restored port). 0, or -errno (logged; the probes stay). */
int rsipd_port_busy_snapshot(void);
void rsipd_port_busy_forget(void);

#endif
