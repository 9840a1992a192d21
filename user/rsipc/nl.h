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
struct nl_route {
	uint32_t table;
	int ifindex;
	struct in_addr src; /* preferred source */
	struct in_addr via; /* next hop; 0: on-link */
	unsigned int mtu;   /* 0: the device's */
};

/* "default [via VIA] dev IFINDEX src SRC [mtu MTU] table TABLE" (add:
 * NLM_F_EXCL; delete: table and device only). */
int nl_route_default(struct nl *n, bool add, const struct nl_route *r);
/* "ip route get DST": device, next hop and preferred source (table unset). */
int nl_route_get(struct nl *n, struct in_addr dst, struct nl_route *r);
/* "from FROM/32 lookup TABLE priority PRIO" (add: NLM_F_EXCL). */
int nl_rule(struct nl *n, bool add, struct in_addr from, uint32_t table, uint32_t prio);

#endif
