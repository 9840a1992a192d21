/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Small network helpers the benchmark tools share: MAC addresses from the
 * command line and from an interface.
 */
#ifndef RSIP_BENCH_NET_H
#define RSIP_BENCH_NET_H

#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* "aa:bb:cc:dd:ee:ff" -> mac; -EINVAL (mac untouched) otherwise. */
static inline int bench_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/* The MAC of ifname (in the caller's network namespace). */
static inline int bench_if_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = {0};
	int fd, err = 0;

	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}

#endif
