/* SPDX-License-Identifier: BSD-2-Clause */
/* What the data plane needs to know about an interface, by name. */
#ifndef RSIPD_NETDEV_H
#define RSIPD_NETDEV_H

#include <stdint.h>

struct netdev_info {
	int ifindex;
	uint8_t mac[6];
	uint32_t mtu;
};

/* 0, or -ENODEV (no such interface) / -errno. */
int netdev_info(const char *name, struct netdev_info *out);

#endif
