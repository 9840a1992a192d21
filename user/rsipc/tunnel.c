// SPDX-License-Identifier: BSD-2-Clause
/* rsipc tunnel: TUN device, policy routing, raw-socket pump (see tunnel.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <netinet/ip.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "csum.h"
#include "log.h"
#include "nl.h"
#include "rsip/wire.h"
#include "tunnel.h"

#define PUMP_BATCH 64
#define PKT_MAX	   65536

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	n = strlen(err);
	if (rc < 0)
		snprintf(err + n, errlen - n, ": %s", strerror(-rc));
	return rc;
}

int tunnel_path_mtu(struct in_addr dst)
{
	struct sockaddr_in sin = {
	    .sin_family = AF_INET, .sin_port = htons(RSIP_PORT), .sin_addr = dst};
	socklen_t sl = sizeof(int);
	int fd, mtu, rc;

	/* A connected UDP socket sends nothing, but IP_MTU tells the MTU of
	 * the route it picked. */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &sl) < 0)
		rc = -errno;
	else
		rc = mtu;
	close(fd);
	return rc;
}

static int open_tun(struct tunnel *t, const char *name)
{
	struct ifreq ifr;
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	t->tun_fd = fd;
	snprintf(t->dev, sizeof(t->dev), "%s", ifr.ifr_name);
	t->ifindex = (int)if_nametoindex(t->dev);
	return t->ifindex ? 0 : -ENODEV;
}

/* IPv6 on the TUN would only produce packets the tunnel cannot carry. */
static void disable_ipv6(const char *dev)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", dev);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return; /* no IPv6 at all: fine */
	if (write(fd, "1", 1) < 0)
		log_debug("%s: cannot disable IPv6: %s", dev, strerror(errno));
	close(fd);
}

static int open_raw(struct tunnel *t)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr = t->endpoint};
	int fd, one = 1 << 20;

	fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, encap_ip_proto(t->type));
	if (fd < 0)
		return -errno;
	/* connect() makes the kernel deliver only packets whose source is
	 * the endpoint; encap_decap checks again. */
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one)) < 0)
		log_debug("raw socket: SO_RCVBUF: %s", strerror(errno));
	t->raw_fd = fd;
	return 0;
}

int tunnel_up(struct tunnel *t, const struct tunnel_cfg *cfg, char *err, size_t errlen)
{
	int rc, pmtu;

	memset(t, 0, sizeof(*t));
	t->tun_fd = t->raw_fd = -1;
	t->type = cfg->type;
	t->addr = cfg->addr;
	t->endpoint = cfg->endpoint;
	t->table = cfg->table;
	t->prio = cfg->prio;
	if (cfg->type != RSIP_TUNNEL_IPIP && cfg->type != RSIP_TUNNEL_GRE)
		return fail(err, errlen, -EPROTONOSUPPORT, "tunnel type %u", cfg->type);

	t->mtu = cfg->mtu;
	if (!t->mtu) {
		pmtu = tunnel_path_mtu(cfg->endpoint);
		if (pmtu < 0)
			return fail(err, errlen, pmtu, "no route to the tunnel endpoint");
		if ((unsigned int)pmtu < 68 + encap_overhead(cfg->type))
			return fail(err, errlen, -EMSGSIZE, "path MTU %d is too small", pmtu);
		t->mtu = (unsigned int)pmtu - encap_overhead(cfg->type);
	}
	rc = open_raw(t);
	if (rc) {
		fail(err, errlen, rc, "raw %s socket",
		     cfg->type == RSIP_TUNNEL_GRE ? "GRE" : "IPIP");
		goto out;
	}
	rc = open_tun(t, cfg->dev);
	if (rc) {
		fail(err, errlen, rc, "TUN device %s (is /dev/net/tun there; is the name taken?)",
		     cfg->dev);
		goto out;
	}
	disable_ipv6(t->dev);
	t->nl = nl_open();
	if (!t->nl) {
		rc = fail(err, errlen, -errno, "netlink");
		goto out;
	}
	rc = nl_link_up(t->nl, t->ifindex, t->mtu);
	if (rc) {
		fail(err, errlen, rc, "%s: set MTU %u and up", t->dev, t->mtu);
		goto out;
	}
	rc = nl_addr_add(t->nl, t->ifindex, t->addr);
	if (rc) {
		fail(err, errlen, rc, "%s: add address", t->dev);
		goto out;
	}
	rc = nl_route_default(t->nl, true, t->table, t->ifindex, t->addr);
	if (rc) {
		fail(err, errlen, rc, "default route via %s in table %u (use --table)", t->dev,
		     t->table);
		goto out;
	}
	t->route_added = true;
	rc = nl_rule(t->nl, true, t->addr, t->table, t->prio);
	if (rc == -EEXIST) {
		/* Left over by an rsipc that was killed: the same address,
		 * table and priority can only be ours. */
		nl_rule(t->nl, false, t->addr, t->table, t->prio);
		rc = nl_rule(t->nl, true, t->addr, t->table, t->prio);
	}
	if (rc) {
		fail(err, errlen, rc, "rule from the leased address to table %u", t->table);
		goto out;
	}
	t->rule_added = true;
	return 0;
out:
	tunnel_down(t);
	return rc;
}

void tunnel_down(struct tunnel *t)
{
	int rc;

	if (t->nl && t->rule_added) {
		rc = nl_rule(t->nl, false, t->addr, t->table, t->prio);
		if (rc)
			log_warnx("removing the rule from the leased address: %s", strerror(-rc));
	}
	t->rule_added = false;
	if (t->nl && t->route_added) {
		rc = nl_route_default(t->nl, false, t->table, t->ifindex, t->addr);
		if (rc && rc != -ESRCH && rc != -ENODEV)
			log_warnx("removing the route in table %u: %s", t->table, strerror(-rc));
	}
	t->route_added = false;
	/* A TUN device that is not persistent goes away with its last fd,
	 * taking its address and remaining routes with it. */
	if (t->tun_fd >= 0)
		close(t->tun_fd);
	t->tun_fd = -1;
	if (t->raw_fd >= 0)
		close(t->raw_fd);
	t->raw_fd = -1;
	nl_close(t->nl);
	t->nl = NULL;
}

void tunnel_pump_out(struct tunnel *t)
{
	static uint8_t pkt[PKT_MAX];
	uint8_t gre[GRE_HDR_LEN];
	struct iovec iov[2];
	struct msghdr mh = {.msg_iov = iov};
	ssize_t n;
	int v;

	encap_gre_header(gre);
	for (int i = 0; i < PUMP_BATCH; i++) {
		n = read(t->tun_fd, pkt, sizeof(pkt));
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				t->stats.tx_errors++;
			return;
		}
		v = encap_check_outbound(pkt, (size_t)n, t->addr);
		if (v) {
			t->stats.drops[v]++;
			continue;
		}
		mh.msg_iovlen = 0;
		if (t->type == RSIP_TUNNEL_GRE)
			iov[mh.msg_iovlen++] = (struct iovec){gre, sizeof(gre)};
		iov[mh.msg_iovlen++] = (struct iovec){pkt, (size_t)n};
		if (sendmsg(t->raw_fd, &mh, MSG_DONTWAIT) < 0) {
			log_debug("tunnel send: %s", strerror(errno));
			t->stats.tx_errors++;
			continue;
		}
		t->stats.tx_packets++;
		t->stats.tx_bytes += (uint64_t)n;
	}
}

void tunnel_pump_in(struct tunnel *t)
{
	static uint8_t pkt[PKT_MAX];
	size_t off, len;
	ssize_t n;
	int v;

	for (int i = 0; i < PUMP_BATCH; i++) {
		n = recv(t->raw_fd, pkt, sizeof(pkt), MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				t->stats.rx_errors++;
			return;
		}
		v = encap_decap(pkt, (size_t)n, t->type, t->endpoint, t->addr, &off, &len);
		if (v) {
			log_debug("tunnel: dropped an inbound packet (%s)", encap_verdict_name(v));
			t->stats.drops[v]++;
			continue;
		}
		/* Longer than the tunnel MTU: GRO merged it on the way, and its
		 * TCP/UDP checksum is the first segment's (csum.h). */
		if (len > t->mtu)
			csum_refresh_l4(pkt + off, len);
		if (write(t->tun_fd, pkt + off, len) < 0) {
			log_debug("tunnel: TUN write: %s", strerror(errno));
			t->stats.rx_errors++;
			continue;
		}
		t->stats.rx_packets++;
		t->stats.rx_bytes += len;
	}
}
