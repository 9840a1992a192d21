// SPDX-License-Identifier: BSD-2-Clause
/* rsipc: the pump's frames through a packet socket (pkt_tx.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "encap.h"
#include "pkt_tx.h"
#include "rsip/wire.h"

#define ATF_COMPLETE 0x02 /* linux/if_arp.h's ATF_COM */
/* The socket's send buffer holds every frame the device has not let go of
 * (a veth's ring until its reader takes it, a NIC's TX ring until
 * completion). The default (net.core.wmem_default, 212,992 bytes) held about
 * 93 full-size frames: the socket refused the pump (EAGAIN) before a veth's
 * 256-frame ring was full, and the ring's reader got short batches. 512 KiB
 * asked is 1 MiB held (the kernel doubles it for its accounting), about 450
 * frames: the device's queue is the limit. docs/performance.md, "The pump's
 * send buffer". */
#define PKT_TX_SNDBUF (512 << 10)

int pkt_tx_open(struct pkt_tx *p, int ifindex, struct in_addr nexthop, struct in_addr src,
		struct in_addr endpoint, uint8_t tunnel)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = ifindex};
	struct ifreq ifr;
	int one = 1, sndbuf = PKT_TX_SNDBUF, rc;

	*p = (struct pkt_tx){.fd = -1,
			     .ifindex = ifindex,
			     .nexthop = nexthop,
			     .src = src,
			     .endpoint = endpoint,
			     .tunnel = tunnel};
	if (!if_indextoname((unsigned int)ifindex, p->dev))
		return -errno;
	/* Protocol 0: a socket that only sends, no copy of what arrives. */
	p->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", p->dev);
	if (ioctl(p->fd, SIOCGIFHWADDR, &ifr) < 0) {
		rc = -errno;
		goto fail;
	}
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		rc = -EOPNOTSUPP;
		goto fail;
	}
	memcpy(p->eth + 6, ifr.ifr_hwaddr.sa_data, 6);
	p->eth[12] = 0x08; /* IPv4 */
	p->eth[13] = 0x00;
	if (setsockopt(p->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0 ||
	    bind(p->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		rc = -errno;
		goto fail;
	}
	/* Past net.core.wmem_max with CAP_NET_ADMIN (rsipc has it for the
	 * TUN); without, as much as wmem_max allows. Either failing leaves
	 * the default: smaller batches, nothing lost. */
	if (setsockopt(p->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0)
		(void)setsockopt(p->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	/* Without it (a kernel or socket that refuses) checksums are summed
	 * in user space, as for the raw socket. */
	p->vnet = setsockopt(p->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) == 0;
	pkt_tx_refresh(p, "/proc/net/arp");
	return 0;
fail:
	pkt_tx_close(p);
	return rc;
}

void pkt_tx_close(struct pkt_tx *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->ready = false;
}

bool pkt_tx_refresh(struct pkt_tx *p, const char *arp_path)
{
	char line[256], ip[64], hw[64], dev[64];
	unsigned int flags, m[6];
	struct in_addr a;
	FILE *f;

	p->ready = false;
	f = fopen(arp_path, "re");
	if (!f)
		return false;
	/* "IP address  HW type  Flags  HW address  Mask  Device" */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %*s %x %63s %*s %63s", ip, &flags, hw, dev) != 4)
			continue;
		if (!inet_aton(ip, &a) || a.s_addr != p->nexthop.s_addr || strcmp(dev, p->dev))
			continue;
		if (!(flags & ATF_COMPLETE) || sscanf(hw, "%2x:%2x:%2x:%2x:%2x:%2x", &m[0], &m[1],
						      &m[2], &m[3], &m[4], &m[5]) != 6)
			break;
		for (int i = 0; i < 6; i++)
			p->eth[i] = (uint8_t)m[i];
		p->ready = true;
		break;
	}
	fclose(f);
	return p->ready;
}

size_t pkt_tx_header(struct pkt_tx *p, uint8_t hdr[PKT_TX_HDR_MAX], const uint8_t *inner,
		     size_t len)
{
	uint8_t *o = hdr + 14;
	size_t olen = encap_overhead(p->tunnel), tot = len + olen;

	memcpy(hdr, p->eth, 14);
	memset(o, 0, 20);
	o[0] = 0x45;
	o[1] = inner[1]; /* DSCP and ECN */
	o[2] = (uint8_t)(tot >> 8);
	o[3] = (uint8_t)tot;
	o[4] = (uint8_t)(p->id >> 8);
	o[5] = (uint8_t)p->id;
	p->id++;
	o[6] = inner[6] & 0x40; /* DF */
	o[8] = 64;
	o[9] = encap_ip_proto(p->tunnel);
	memcpy(o + 12, &p->src, 4);
	memcpy(o + 16, &p->endpoint, 4);
	encap_ip_csum_set(o);
	if (p->tunnel == RSIP_TUNNEL_GRE)
		encap_gre_header(o + 20);
	return 14 + olen;
}
