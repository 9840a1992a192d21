/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rsipc's netlink calls (libmnl): the few link, address, route and rule
 * changes the tunnel needs, each acknowledged by the kernel, so a failure
 * is reported with the kernel's errno instead of passing silently.
 */
#ifndef RSIPC_NL_H
#define RSIPC_NL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

struct nl;

struct nl *nl_open(void);
void nl_close(struct nl *n);

/* Set the MTU and bring the link up. */
int nl_link_up(struct nl *n, int ifindex, unsigned int mtu);
/* addr/32 on ifindex. */
int nl_addr_add(struct nl *n, int ifindex, struct in_addr addr);
/* "default dev IFINDEX src SRC table TABLE" (add: NLM_F_EXCL). */
int nl_route_default(struct nl *n, bool add, uint32_t table, int ifindex, struct in_addr src);
/* "from FROM/32 lookup TABLE priority PRIO" (add: NLM_F_EXCL). */
int nl_rule(struct nl *n, bool add, struct in_addr from, uint32_t table, uint32_t prio);

#endif
