// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netdev.h"

int netdev_info(const char *name, struct netdev_info *out)
{
	struct ifreq ifr;
	int fd, rc = 0;

	if (strlen(name) >= IFNAMSIZ)
		return -ENODEV;
	out->ifindex = (int)if_nametoindex(name);
	if (!out->ifindex)
		return -ENODEV;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		rc = -errno;
		goto out;
	}
	memcpy(out->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0) {
		rc = -errno;
		goto out;
	}
	out->mtu = (uint32_t)ifr.ifr_mtu;
out:
	close(fd);
	return rc;
}
