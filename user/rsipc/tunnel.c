// SPDX-License-Identifier: BSD-2-Clause
/* rsipc tunnel: TUN device, policy routing, TC programs or raw-socket pump (tunnel.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if_arp.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "errbuf.h"
#include "batch_send.h"
#include "coalesce.h"
#include "gso.h"
#include "log.h"
#include "nl.h"
#include "rsip/wire.h"
#include "tunnel.h"

/* Packets per recvmmsg/sendmmsg; also the most moved per poll wake-up. */
#define PUMP_BATCH 32
#define PKT_MAX	   65536
#define VNET_HLEN  sizeof(struct virtio_net_hdr)
/* Packets per sendmmsg out: a batch of reads, TSO super-packets cut. */
#define PUMP_SEGS 512
#define SEG_ARENA (1u << 20)
/* The raw socket's receive buffer (the kernel doubles it): open_raw. */
#define RAW_RCVBUF (8 << 20)
/* USO on a TUN (Linux 6.2) and its virtio GSO type; older uapi headers lack
 * them, the values are ABI. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

/* A counter of one half (tunnel.h): only that half's thread writes it,
 * tunnel_stats_read may read it at the same time. */
#define STAT_ADD(c, n) __atomic_store_n(&(c), (c) + (n), __ATOMIC_RELAXED)

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

/* Packets carry a virtio_net_hdr in front, so that what GRO merged goes to
 * the kernel with its checksum state. */
static int open_tun(struct tunnel *t, const char *name)
{
	struct ifreq ifr;
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	/* TSO: the host's TCP hands over up to 64 KiB per read, cut in
	 * tunnel_pump_out; that saves the reads, and the kernel's per-packet
	 * path, that made the pump CPU-bound (issue 9). */
	/* USO likewise for an application's UDP_SEGMENT sends (QUIC, VPNs),
	 * where the kernel has it; the kernel takes it only for both IP
	 * versions at once (IPv6 never reaches this TUN: disable_ipv6). No
	 * TSO6, for the same reason. */
	if (ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_USO4 | TUN_F_USO6) < 0 &&
	    ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4) < 0)
		log_warnx("%s: TUN offloads: %s (one read per packet)", name, strerror(errno));
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
	int fd, rcvbuf = RAW_RCVBUF;

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
	/* GRO-merged packets arrive whole, up to 64 KiB each: a buffer of
	 * rmem_max (often 208 KiB) holds a handful, and a pump descheduled for a
	 * few milliseconds lost whole merged packets, dozens of TCP segments each
	 * (issue 9: 2,822 drops, 122,700 retransmits in 6 s). FORCE (we hold
	 * CAP_NET_ADMIN) passes rmem_max; the size is fixed, our own memory. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
		log_debug("raw socket: SO_RCVBUF: %s", strerror(errno));
	t->raw_fd = fd;
	return 0;
}

const char *tunnel_datapath_name(const struct tunnel *t)
{
	return t->bpf ? "bpf" : "pump";
}

/* The TC programs need an Ethernet header to put the outer header behind. */
static bool is_ethernet(int ifindex)
{
	char name[IF_NAMESIZE], path[64], buf[16] = "";
	FILE *f;
	bool eth;

	if (!if_indextoname((unsigned int)ifindex, name))
		return false;
	snprintf(path, sizeof(path), "/sys/class/net/%s/type", name);
	f = fopen(path, "re");
	if (!f)
		return false;
	eth = fgets(buf, sizeof(buf), f) && atoi(buf) == ARPHRD_ETHER;
	fclose(f);
	return eth;
}

/* The lease as the TC programs and the receiver's rule see it (Xa is the
 * TC programs' business: bpf_up fills it in). */
static void lease_rule_init(struct tunnel *t, const struct tunnel_cfg *cfg)
{
	struct rsipc_tc_cfg lc = {
	    .nb = t->addr.s_addr,
	    .endpoint = t->endpoint.s_addr,
	    .spi_min = htonl(cfg->spi_min),
	    .spi_max = htonl(cfg->spi_max),
	    .tunnel = cfg->type,
	    .flags = (uint8_t)((cfg->whole_addr ? RSIPC_TC_F_WHOLE_ADDR : 0) |
			       (cfg->ike_ports ? RSIPC_TC_F_IKE_PORTS : 0)),
	};

	leased_init(&t->leased, &lc);
	for (unsigned int i = 0; i < cfg->n_ports; i++)
		leased_add_port(&t->leased, cfg->ports[i]);
}

int tunnel_add_port(struct tunnel *t, uint16_t port)
{
	leased_add_port(&t->leased, port);
	return t->bpf ? host_tc_add_port(&t->tc, port) : 0;
}

/* Attach the TC programs to the device the endpoint is reached through, and
 * note the route the table will hold. */
static int bpf_up(struct tunnel *t, const struct tunnel_cfg *cfg, char *err, size_t errlen)
{
	struct nl_route via;
	struct host_tc_cfg hc;
	int rc;

	rc = nl_route_get(t->nl, t->endpoint, &via);
	if (rc)
		return errbuf_set(err, errlen, rc, "route to the tunnel endpoint");
	if (!is_ethernet(via.ifindex))
		return errbuf_set(err, errlen, -EOPNOTSUPP,
				  "the device towards the endpoint (ifindex %d) "
				  "is not Ethernet",
				  via.ifindex);
	if (!via.src.s_addr)
		return errbuf_set(err, errlen, -EADDRNOTAVAIL,
				  "no source address towards the endpoint");
	hc = (struct host_tc_cfg){
	    .ifindex = via.ifindex,
	    .handle = t->table,
	    .lease = t->leased.cfg,
	    .ports = cfg->ports,
	    .n_ports = cfg->n_ports,
	};
	hc.lease.xa = via.src.s_addr;
	rc = host_tc_attach(&t->tc, &hc, err, errlen);
	if (rc)
		return rc;
	t->route = (struct nl_route){
	    .table = t->table,
	    .ifindex = via.ifindex,
	    .src = t->addr,
	    /* Through the same next hop as the endpoint, or to the endpoint
	     * itself when it is on the link: its neighbour entry gives the
	     * destination MAC the programs keep. */
	    .via = via.via.s_addr ? via.via : t->endpoint,
	    .mtu = t->mtu,
	};
	t->bpf = true;
	return 0;
}

/* The pump's packet socket on the device towards the endpoint; without it
 * (not Ethernet, no permission) the raw socket carries everything. */
static void open_direct(struct tunnel *t)
{
	struct nl_route via;
	int rc;

	rc = nl_route_get(t->nl, t->endpoint, &via);
	if (!rc)
		rc = pkt_tx_open(&t->ptx, via.ifindex, via.via.s_addr ? via.via : t->endpoint,
				 via.src, t->endpoint, t->type);
	if (rc)
		log_info("pump: no packet socket towards the endpoint (%s): the raw socket sends",
			 strerror(-rc));
}

static long mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long)ts.tv_sec;
}

/* Send this batch through the packet socket? The neighbour entry is read
 * again every second while sending (a new MAC, an entry gone: the raw socket
 * then sends, and the kernel resolves the next hop anew). Once a second bounds
 * how long frames go to a gateway's old MAC after a cluster failover moved Na
 * (gratuitous ARP updates the table; the gap target there is under 1 s). */
static bool pump_direct(struct tunnel *t)
{
	long now;

	if (t->ptx.fd < 0)
		return false;
	now = mono_seconds();
	if (now - t->ptx_checked >= 1) {
		pkt_tx_refresh(&t->ptx, "/proc/net/arp");
		t->ptx_checked = now;
	}
	return t->ptx.ready;
}

static void pump_out(void *arg);

int tunnel_up(struct tunnel *t, const struct tunnel_cfg *cfg, char *err, size_t errlen)
{
	int rc, pmtu;

	memset(t, 0, sizeof(*t));
	t->tun_fd = t->raw_fd = t->ptx.fd = t->out_thread.stop_fd = -1;
	t->type = cfg->type;
	t->addr = cfg->addr;
	t->endpoint = cfg->endpoint;
	t->table = cfg->table;
	t->prio = cfg->prio;
	if (cfg->type != RSIP_TUNNEL_IPIP && cfg->type != RSIP_TUNNEL_GRE)
		return errbuf_set(err, errlen, -EPROTONOSUPPORT, "tunnel type %u", cfg->type);

	t->mtu = cfg->mtu;
	if (!t->mtu) {
		pmtu = tunnel_path_mtu(cfg->endpoint);
		if (pmtu < 0)
			return errbuf_set(err, errlen, pmtu, "no route to the tunnel endpoint");
		if ((unsigned int)pmtu < 68 + encap_overhead(cfg->type))
			return errbuf_set(err, errlen, -EMSGSIZE, "path MTU %d is too small", pmtu);
		t->mtu = (unsigned int)pmtu - encap_overhead(cfg->type);
	}
	lease_rule_init(t, cfg);
	t->nl = nl_open();
	if (!t->nl)
		return errbuf_set(err, errlen, -errno, "netlink");
	if (cfg->datapath != TUNNEL_DP_PUMP) {
		rc = bpf_up(t, cfg, err, errlen);
		if (rc && cfg->datapath == TUNNEL_DP_BPF)
			goto out;
		if (rc)
			log_warnx("BPF tunnel unavailable (%s): using the userspace pump", err);
	}
	/* bpf: for the outer fragments the TC programs pass on (the kernel
	 * reassembles them, and has no IP-IP or GRE handler of its own). */
	rc = open_raw(t);
	if (rc) {
		errbuf_set(err, errlen, rc, "raw %s socket",
			   cfg->type == RSIP_TUNNEL_GRE ? "GRE" : "IPIP");
		goto out;
	}
	if (!t->bpf)
		open_direct(t);
	rc = open_tun(t, cfg->dev);
	if (rc) {
		errbuf_set(err, errlen, rc,
			   "TUN device %s (is /dev/net/tun there; is the name taken?)", cfg->dev);
		goto out;
	}
	disable_ipv6(t->dev);
	rc = nl_link_up(t->nl, t->ifindex, t->mtu);
	if (rc) {
		errbuf_set(err, errlen, rc, "%s: set MTU %u and up", t->dev, t->mtu);
		goto out;
	}
	rc = nl_addr_add(t->nl, t->ifindex, t->addr);
	if (rc) {
		errbuf_set(err, errlen, rc, "%s: add address", t->dev);
		goto out;
	}
	if (!t->bpf)
		t->route =
		    (struct nl_route){.table = t->table, .ifindex = t->ifindex, .src = t->addr};
	rc = nl_route_default(t->nl, true, &t->route);
	if (rc == -EEXIST && t->bpf) {
		/* Left over by an rsipc that was killed (a route through the
		 * TUN goes with it; this one does not). */
		nl_route_default(t->nl, false, &t->route);
		rc = nl_route_default(t->nl, true, &t->route);
	}
	if (rc) {
		errbuf_set(err, errlen, rc, "default route in table %u (use --table)", t->table);
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
		errbuf_set(err, errlen, rc, "rule from the leased address to table %u", t->table);
		goto out;
	}
	t->rule_added = true;
	if (!t->bpf) {
		rc = pump_thread_start(&t->out_thread, t->tun_fd, pump_out, t);
		if (rc) {
			errbuf_set(err, errlen, rc, "the pump's thread");
			goto out;
		}
	}
	return 0;
out:
	tunnel_down(t);
	return rc;
}

void tunnel_down(struct tunnel *t)
{
	int rc;

	/* First: it uses the TUN and the sockets closed below. */
	pump_thread_stop(&t->out_thread);
	if (t->nl && t->rule_added) {
		rc = nl_rule(t->nl, false, t->addr, t->table, t->prio);
		if (rc)
			log_warnx("removing the rule from the leased address: %s", strerror(-rc));
	}
	t->rule_added = false;
	if (t->nl && t->route_added) {
		rc = nl_route_default(t->nl, false, &t->route);
		if (rc && rc != -ESRCH && rc != -ENODEV)
			log_warnx("removing the route in table %u: %s", t->table, strerror(-rc));
	}
	t->route_added = false;
	host_tc_detach(&t->tc);
	t->bpf = false;
	pkt_tx_close(&t->ptx);
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

/* Outbound batch: each entry one packet for the raw socket. Segments of a
 * TSO super-packet are cut into seg_arena; others stay in the read buffer. */
struct pump_out {
	struct mmsghdr mm[PUMP_SEGS];
	struct iovec iov[PUMP_SEGS][3];
	struct virtio_net_hdr vh[PUMP_SEGS];	/* direct with vnet */
	uint8_t hdr[PUMP_SEGS][PKT_TX_HDR_MAX]; /* direct: the frame headers */
	size_t lens[PUMP_SEGS];
	unsigned int n;
	size_t used;  /* of seg_arena */
	bool direct;  /* through the packet socket (else the raw socket) */
	bool partial; /* direct with vnet: L4 checksums may be left partial */
};

static uint8_t seg_arena[SEG_ARENA];

/* Add one packet to the batch; csum: its L4 checksum is partial (the field
 * holds the pseudo-header sum), only where po->partial. */
static void pump_add(struct tunnel *t, struct pump_out *po, uint8_t *pkt, size_t len,
		     const struct encap_csum *csum)
{
	static uint8_t gre[GRE_HDR_LEN];
	struct mmsghdr *m = &po->mm[po->n];
	struct virtio_net_hdr *vh = &po->vh[po->n];
	size_t hlen;

	encap_gre_header(gre);
	memset(m, 0, sizeof(*m));
	m->msg_hdr.msg_iov = po->iov[po->n];
	if (po->direct && t->ptx.vnet) {
		memset(vh, 0, sizeof(*vh));
		po->iov[po->n][m->msg_hdr.msg_iovlen++] = (struct iovec){vh, sizeof(*vh)};
	}
	if (po->direct) {
		hlen = pkt_tx_header(&t->ptx, po->hdr[po->n], pkt, len);
		po->iov[po->n][m->msg_hdr.msg_iovlen++] = (struct iovec){po->hdr[po->n], hlen};
		if (csum) {
			/* Offsets from the frame's start; the kernel wants the
			 * headers up to the field in the skb's linear part. */
			vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
			vh->csum_start = (uint16_t)(hlen + csum->start);
			vh->csum_offset = csum->offset;
			vh->hdr_len = (uint16_t)(vh->csum_start + vh->csum_offset + 2);
			STAT_ADD(t->out_stats.tx_partial_csum, 1);
		}
	} else if (t->type == RSIP_TUNNEL_GRE)
		po->iov[po->n][m->msg_hdr.msg_iovlen++] = (struct iovec){gre, sizeof(gre)};
	po->iov[po->n][m->msg_hdr.msg_iovlen++] = (struct iovec){pkt, len};
	po->lens[po->n++] = len;
}

static void pump_flush(struct tunnel *t, struct pump_out *po)
{
	struct batch_tally bt = {0};

	batch_send(po->direct ? t->ptx.fd : t->raw_fd, po->mm, po->lens, po->n, po->direct,
		   BATCH_SEND_WAIT_US, &bt);
	STAT_ADD(t->out_stats.tx_packets, bt.sent);
	STAT_ADD(t->out_stats.tx_bytes, bt.sent_bytes);
	if (po->direct)
		STAT_ADD(t->out_stats.tx_direct, bt.sent);
	STAT_ADD(t->out_stats.tx_queue_full, bt.refusals);
	if (bt.failed) {
		STAT_ADD(t->out_stats.tx_errors, bt.failed);
		log_debug("tunnel send: %u of %u packets given up (%s)", bt.failed, po->n,
			  strerror(bt.last_error));
	}
	po->n = 0;
	po->used = 0;
}

/* A TSO or USO super-packet: cut into segments of gso_size payload bytes
 * (the kernel sized them for the TUN's MTU), sent as whole packets. */
static int pump_add_gso(struct tunnel *t, struct pump_out *po, const uint8_t *pkt, size_t len,
			uint8_t gso, uint16_t gso_size)
{
	bool tcp = gso == VIRTIO_NET_HDR_GSO_TCPV4;
	int (*cut)(const uint8_t *, size_t, uint16_t, uint8_t *, size_t, size_t *, unsigned int) =
	    po->partial ? (tcp ? gso_tcp4_segment_partial : gso_udp4_segment_partial)
			: (tcp ? gso_tcp4_segment : gso_udp4_segment);
	struct encap_csum c = {(uint16_t)((pkt[0] & 0x0f) * 4), tcp ? 16 : 6};
	size_t lens[PUMP_SEGS];
	int k;

	k = cut(pkt, len, gso_size, seg_arena + po->used, SEG_ARENA - po->used, lens,
		PUMP_SEGS - po->n);
	if (k == -ENOSPC && po->n) {
		pump_flush(t, po);
		k = cut(pkt, len, gso_size, seg_arena, SEG_ARENA, lens, PUMP_SEGS);
	}
	if (k < 0)
		return ENCAP_BAD_HEADER;
	for (int i = 0; i < k; i++) {
		pump_add(t, po, seg_arena + po->used, lens[i], po->partial ? &c : NULL);
		po->used += lens[i];
	}
	if (gso == VIRTIO_NET_HDR_GSO_TCPV4)
		STAT_ADD(t->out_stats.tx_tso, 1);
	else
		STAT_ADD(t->out_stats.tx_uso, 1);
	return ENCAP_OK;
}

/* Outbound, on the pump's thread: up to PUMP_BATCH packets read from the TUN (one read each: a TUN
 * has no batched read), sent with sendmmsg. The TUN offers TSO, USO and
 * checksum offload (open_tun), so a read may be a TCP or UDP super-packet of
 * up to 64 KiB, cut here, or a packet whose checksum is only the
 * pseudo-header sum (NEEDS_CSUM), completed here. */
static void pump_out(void *arg)
{
	struct tunnel *t = arg;
	static uint8_t buf[PUMP_BATCH][VNET_HLEN + PKT_MAX];
	static struct pump_out po;
	ssize_t r;
	int v;

	po.n = 0;
	po.used = 0;
	po.direct = pump_direct(t);
	po.partial = po.direct && t->ptx.vnet;
	for (unsigned int i = 0; i < PUMP_BATCH; i++) {
		struct virtio_net_hdr *vh = (struct virtio_net_hdr *)buf[i];
		uint8_t *pkt = buf[i] + VNET_HLEN;
		struct encap_csum c;
		uint8_t gso;
		size_t len;

		r = read(t->tun_fd, buf[i], sizeof(buf[i]));
		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				STAT_ADD(t->out_stats.tx_errors, 1);
			break;
		}
		if ((size_t)r < VNET_HLEN) {
			STAT_ADD(t->out_stats.drops[ENCAP_SHORT], 1);
			continue;
		}
		len = (size_t)r - VNET_HLEN;
		gso = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
		v = encap_check_outbound(pkt, len, t->addr);
		if (!v && (gso == VIRTIO_NET_HDR_GSO_TCPV4 || gso == VIRTIO_NET_HDR_GSO_UDP_L4)) {
			v = pump_add_gso(t, &po, pkt, len, gso, vh->gso_size);
			if (v)
				STAT_ADD(t->out_stats.drops[v], 1);
			continue;
		}
		if (!v && gso != VIRTIO_NET_HDR_GSO_NONE)
			v = ENCAP_BAD_HEADER; /* only TSO4 and USO were offered */
		if (v) {
			STAT_ADD(t->out_stats.drops[v], 1);
			continue;
		}
		c = (struct encap_csum){vh->csum_start, vh->csum_offset};
		if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
			if ((size_t)c.start + c.offset + 2 > len) {
				STAT_ADD(t->out_stats.drops[ENCAP_BAD_HEADER], 1);
				continue;
			}
			if (!po.partial)
				encap_csum_complete(pkt, len, &c);
		}
		if (po.n == PUMP_SEGS)
			pump_flush(t, &po);
		pump_add(t, &po, pkt, len,
			 po.partial && (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) ? &c : NULL);
	}
	pump_flush(t, &po);
}

/* One packet to the TUN: the virtio_net_hdr, then its pieces. */
static void tun_write(struct tunnel *t, struct virtio_net_hdr *vh, const struct iovec *pieces,
		      int n, unsigned int segs)
{
	struct iovec out[1 + COALESCE_MAX_SEGS + 1];
	size_t len = 0;

	out[0] = (struct iovec){vh, sizeof(*vh)};
	for (int i = 0; i < n; i++) {
		out[1 + i] = pieces[i];
		len += pieces[i].iov_len;
	}
	if (writev(t->tun_fd, out, n + 1) < 0) {
		log_debug("tunnel: TUN write: %s", strerror(errno));
		STAT_ADD(t->stats.rx_errors, segs);
		return;
	}
	STAT_ADD(t->stats.rx_packets, segs);
	STAT_ADD(t->stats.rx_bytes, len);
	STAT_ADD(t->stats.rx_tun_writes, 1);
	if (segs > 1)
		STAT_ADD(t->stats.rx_coalesced, segs);
}

static void flush_run(struct tunnel *t, struct coalesce *co)
{
	struct virtio_net_hdr vh;
	struct iovec *pieces;
	unsigned int segs = co->n;
	int n = coalesce_finish(co, &vh, &pieces);

	if (n)
		tun_write(t, &vh, pieces, n, segs);
}

/* Inbound: one recvmmsg, then the inner packets to the TUN, each behind a
 * virtio_net_hdr. Consecutive TCP segments of one flow go as one packet
 * (coalesce.h: one write, and one pass through the host's receive path,
 * instead of one per segment). A packet GRO merged on the way (its TCP
 * checksum only the pseudo-header sum) goes with NEEDS_CSUM, the kernel then
 * treats it as it would have without the tunnel (CHECKSUM_PARTIAL); any other
 * with none, and the kernel checks its checksum. */
void tunnel_pump_in(struct tunnel *t)
{
	static uint8_t buf[PUMP_BATCH][PKT_MAX];
	static struct coalesce co;
	struct iovec iov[PUMP_BATCH];
	struct mmsghdr mm[PUMP_BATCH];
	struct virtio_net_hdr vh;
	struct encap_csum c;
	size_t off, len;
	int n, v;

	for (int i = 0; i < PUMP_BATCH; i++) {
		iov[i] = (struct iovec){buf[i], sizeof(buf[i])};
		mm[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
	}
	n = recvmmsg(t->raw_fd, mm, PUMP_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			STAT_ADD(t->stats.rx_errors, 1);
		return;
	}
	for (int i = 0; i < n; i++) {
		uint8_t *pkt = buf[i];
		enum coalesce_verdict cv;

		v = encap_decap(pkt, mm[i].msg_len, t->type, t->endpoint, t->addr, &off, &len);
		if (!v && !leased_inner(&t->leased, pkt + off, len))
			v = ENCAP_UNLEASED;
		if (v) {
			log_debug("tunnel: dropped an inbound packet (%s)", encap_verdict_name(v));
			STAT_ADD(t->stats.drops[v], 1);
			continue;
		}
		cv = coalesce_add(&co, pkt + off, len);
		if (cv == COALESCE_TAKEN)
			continue;
		flush_run(t, &co); /* what came before it goes first */
		if (cv == COALESCE_FULL && coalesce_add(&co, pkt + off, len) == COALESCE_TAKEN)
			continue;
		memset(&vh, 0, sizeof(vh));
		if (encap_partial_csum(pkt + off, len, &c)) {
			vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
			vh.csum_start = c.start;
			vh.csum_offset = c.offset;
			STAT_ADD(t->stats.rx_partial_csum, 1);
		}
		tun_write(t, &vh, &(struct iovec){pkt + off, len}, 1, 1);
	}
	flush_run(t, &co); /* the buffers are reused by the next call */
}

void tunnel_stats_read(const struct tunnel *t, struct tunnel_stats *s)
{
	const uint64_t *in = (const uint64_t *)&t->stats, *out = (const uint64_t *)&t->out_stats;
	uint64_t *sum = (uint64_t *)s;

	/* struct tunnel_stats is nothing but uint64_t counters. */
	_Static_assert(sizeof(*s) % sizeof(uint64_t) == 0, "tunnel_stats: counters only");
	for (size_t i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		sum[i] = __atomic_load_n(&in[i], __ATOMIC_RELAXED) +
			 __atomic_load_n(&out[i], __ATOMIC_RELAXED);
}
