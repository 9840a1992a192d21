// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include "hash32.h"

#include "net/event.h"
#include "log.h"
#include "neigh.h"

/* The kernel's NUD_VALID (include/net/neighbour.h): states with a usable
 * link-layer address. */
#define NEIGH_NUD_VALID                                                                            \
	(NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY)

/* neigh_watch_later: entries installed per timer tick, and the pause after
 * the kernel's table is full (ENOBUFS: gc_thresh3). 64 per 5 ms keeps a
 * 100k-client restart's installs to about half of one core for ~8 s while
 * RSIP is answered between ticks. */
#define LATER_BATCH   64
#define LATER_TICK_MS 5
#define LATER_FULL_MS 5000

struct watched {
	uint32_t addr; /* network order: the key */
	uint8_t mac[6];
	bool has_mac;
	bool pending; /* queued by neigh_watch_later, not installed yet */
	UT_hash_handle hh;
};

struct neigh {
	struct ev_loop *loop;
	int ifindex;
	neigh_cb cb;
	void *arg;
	struct mnl_socket *mon; /* RTMGRP_NEIGH notifications */
	struct mnl_socket *req; /* requests, answered synchronously */
	uint32_t seq;
	struct watched *tab;
	/* neigh_watch_later's queue (addresses; unwatched ones are skipped) */
	uint32_t *later;
	size_t later_head, later_n, later_cap;
	struct ev_timer *later_timer;
	bool full_warned;
};

/* What one RTM_NEWNEIGH / RTM_DELNEIGH says. */
struct neigh_msg {
	uint16_t type;
	int ifindex;
	uint16_t state;
	uint32_t ext_flags;
	bool has_dst, has_mac;
	uint32_t dst;
	uint8_t mac[6];
};

static int attr_cb(const struct nlattr *a, void *data)
{
	struct neigh_msg *m = data;

	switch (mnl_attr_get_type(a)) {
	case NDA_DST:
		if (mnl_attr_get_payload_len(a) == 4) {
			memcpy(&m->dst, mnl_attr_get_payload(a), 4);
			m->has_dst = true;
		}
		break;
	case NDA_LLADDR:
		if (mnl_attr_get_payload_len(a) == 6) {
			memcpy(m->mac, mnl_attr_get_payload(a), 6);
			m->has_mac = true;
		}
		break;
	case NDA_FLAGS_EXT:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			m->ext_flags = mnl_attr_get_u32(a);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int parse_neigh(const struct nlmsghdr *nlh, struct neigh_msg *m)
{
	const struct ndmsg *ndm;

	if (nlh->nlmsg_type != RTM_NEWNEIGH && nlh->nlmsg_type != RTM_DELNEIGH)
		return -EINVAL;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ndm))
		return -EINVAL;
	ndm = mnl_nlmsg_get_payload(nlh);
	if (ndm->ndm_family != AF_INET)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->type = nlh->nlmsg_type;
	m->ifindex = ndm->ndm_ifindex;
	m->state = ndm->ndm_state;
	mnl_attr_parse(nlh, sizeof(*ndm), attr_cb, m);
	return m->has_dst ? 0 : -EINVAL;
}

/* Send one request and read until its ACK; cb sees any data messages. */
static int request(struct neigh *n, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int portid = mnl_socket_get_portid(n->req);
	ssize_t ret;
	int rc;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++n->seq;
	if (mnl_socket_sendto(n->req, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ret = mnl_socket_recvfrom(n->req, buf, sizeof(buf));
		if (ret < 0)
			return -errno;
		rc = mnl_cb_run(buf, (size_t)ret, nlh->nlmsg_seq, portid, cb, data);
		if (rc < 0)
			return -errno;
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

static void report(struct neigh *n, struct watched *w, const struct neigh_msg *m)
{
	struct in_addr a = {.s_addr = w->addr};

	if (!m->has_mac || !(m->state & NEIGH_NUD_VALID))
		return; /* resolving, or failed: keep the last MAC we had */
	if (w->has_mac && !memcmp(w->mac, m->mac, 6))
		return;
	memcpy(w->mac, m->mac, 6);
	w->has_mac = true;
	n->cb(n->arg, a, w->mac, n->ifindex);
}

struct get_ctx {
	struct neigh *n;
	struct neigh_msg m;
	bool found;
};

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct get_ctx *g = data;

	if (parse_neigh(nlh, &g->m) == 0 && g->m.ifindex == g->n->ifindex)
		g->found = true;
	return MNL_CB_OK;
}

/* A neighbour request about addr on n's device, in buf. */
static struct nlmsghdr *neigh_msg(char *buf, const struct neigh *n, uint16_t type, uint16_t flags,
				  uint16_t state, uint32_t addr)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *ndm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = n->ifindex;
	ndm->ndm_state = state;
	mnl_attr_put(nlh, NDA_DST, 4, &addr);
	return nlh;
}

static int neigh_get(struct neigh *n, uint32_t addr, struct get_ctx *g)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = neigh_msg(buf, n, RTM_GETNEIGH, 0, 0, addr);
	int rc;

	memset(g, 0, sizeof(*g));
	g->n = n;
	rc = request(n, nlh, get_cb, g);
	return rc == -ENOENT ? 0 : rc;
}

static int neigh_install(struct neigh *n, uint32_t addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	/* NUD_NONE: the kernel resolves and keeps it */
	struct nlmsghdr *nlh =
	    neigh_msg(buf, n, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, NUD_NONE, addr);

	mnl_attr_put_u32(nlh, NDA_FLAGS_EXT, NTF_EXT_MANAGED);
	return request(n, nlh, NULL, NULL);
}

static int neigh_delete(struct neigh *n, uint32_t addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = neigh_msg(buf, n, RTM_DELNEIGH, 0, 0, addr);
	int rc;

	rc = request(n, nlh, NULL, NULL);
	return rc == -ENOENT ? 0 : rc;
}

/* Make sure addr has a managed entry and report what the kernel knows. */
static int refresh(struct neigh *n, struct watched *w)
{
	struct get_ctx g;
	char a[INET_ADDRSTRLEN];
	int rc;

	rc = neigh_get(n, w->addr, &g);
	if (rc < 0)
		return rc;
	if (g.found)
		report(n, w, &g.m);
	if (g.found && (g.m.ext_flags & NTF_EXT_MANAGED))
		return 0;
	rc = neigh_install(n, w->addr);
	if (rc == -ENOBUFS && w->pending)
		return rc; /* the queue waits and says it once */
	if (rc < 0) {
		log_warnx("neighbour %s: cannot install a managed entry: %s%s",
			  inet_ntop(AF_INET, &w->addr, a, sizeof(a)), strerror(-rc),
			  rc == -EINVAL ? " (managed neighbours need Linux 5.16 or later)" : "");
		return rc;
	}
	return 0;
}

static int mon_cb(const struct nlmsghdr *nlh, void *data)
{
	struct neigh *n = data;
	struct neigh_msg m;
	struct watched *w;

	if (parse_neigh(nlh, &m) < 0 || m.ifindex != n->ifindex)
		return MNL_CB_OK;
	HASH_FIND(hh, n->tab, &m.dst, sizeof(m.dst), w);
	if (!w)
		return MNL_CB_OK;
	if (m.type == RTM_NEWNEIGH) {
		report(n, w, &m);
	} else {
		/* Someone flushed it: a watched address keeps its entry. */
		log_debug("neighbour entry of a watched address deleted: reinstalling");
		neigh_install(n, w->addr);
	}
	return MNL_CB_OK;
}

static void resync(struct neigh *n)
{
	struct watched *w, *tmp;

	HASH_ITER(hh, n->tab, w, tmp)
	{
		if (!w->pending) /* the queue gets to it */
			refresh(n, w);
	}
}

static void on_mon(int fd, uint32_t events, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct neigh *n = arg;
	ssize_t ret;

	for (;;) {
		ret = mnl_socket_recvfrom(n->mon, buf, sizeof(buf));
		if (ret < 0) {
			if (errno == ENOBUFS) {
				/* Notifications were lost: ask for everything again. */
				log_warnx("neighbour notifications overran: resynchronising");
				resync(n);
				continue;
			}
			return; /* EAGAIN: all read */
		}
		mnl_cb_run(buf, (size_t)ret, 0, 0, mon_cb, n);
	}
}

struct neigh *neigh_new(struct ev_loop *loop, int ifindex, neigh_cb cb, void *arg, int *err)
{
	struct neigh *n = calloc(1, sizeof(*n));
	int rcvbuf = 4 << 20, rc;

	if (!n) {
		*err = -ENOMEM;
		return NULL;
	}
	n->loop = loop;
	n->ifindex = ifindex;
	n->cb = cb;
	n->arg = arg;
	n->seq = (uint32_t)time(NULL);
	n->mon = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	n->req = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!n->mon || !n->req || mnl_socket_bind(n->mon, RTMGRP_NEIGH, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_bind(n->req, 0, MNL_SOCKET_AUTOPID) < 0) {
		*err = -errno;
		goto fail;
	}
	setsockopt(mnl_socket_get_fd(n->mon), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	rc = ev_add_fd(loop, mnl_socket_get_fd(n->mon), EPOLLIN, on_mon, n);
	if (rc < 0) {
		*err = rc;
		goto fail;
	}
	return n;
fail:
	if (n->mon)
		mnl_socket_close(n->mon);
	if (n->req)
		mnl_socket_close(n->req);
	free(n);
	return NULL;
}

void neigh_free(struct neigh *n, bool remove_entries)
{
	struct watched *w, *tmp;

	if (!n)
		return;
	ev_timer_del(n->loop, n->later_timer);
	free(n->later);
	HASH_ITER(hh, n->tab, w, tmp)
	{
		HASH_DEL(n->tab, w);
		if (remove_entries && !w->pending)
			neigh_delete(n, w->addr);
		free(w);
	}
	ev_del_fd(n->loop, mnl_socket_get_fd(n->mon));
	mnl_socket_close(n->mon);
	mnl_socket_close(n->req);
	free(n);
}

int neigh_watch(struct neigh *n, struct in_addr addr)
{
	struct watched *w;

	HASH_FIND(hh, n->tab, &addr.s_addr, sizeof(addr.s_addr), w);
	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w)
			return -ENOMEM;
		w->addr = addr.s_addr;
		HASH_ADD(hh, n->tab, addr, sizeof(w->addr), w);
	}
	return refresh(n, w);
}

static void later_tick(void *arg);

static void later_arm(struct neigh *n, uint64_t after_ms)
{
	ev_timer_del(n->loop, n->later_timer);
	n->later_timer = ev_timer_add(n->loop, after_ms, LATER_TICK_MS, later_tick, n);
	if (!n->later_timer)
		log_warnx("neighbours: cannot arm a timer: %zu client MACs stay untracked",
			  n->later_n - n->later_head);
}

static void later_tick(void *arg)
{
	struct neigh *n = arg;
	unsigned int done = 0;

	while (n->later_head < n->later_n && done < LATER_BATCH) {
		struct watched *w;
		uint32_t addr = n->later[n->later_head];
		int rc;

		HASH_FIND(hh, n->tab, &addr, sizeof(addr), w);
		if (w && w->pending) {
			done++;
			rc = refresh(n, w);
			if (rc == -ENOBUFS) {
				if (!n->full_warned)
					log_warnx(
					    "neighbour table full (%zu client MACs still to "
					    "track): raise net.ipv4.neigh.default.gc_thresh3 "
					    "above the number of clients; retrying every %u s",
					    n->later_n - n->later_head, LATER_FULL_MS / 1000);
				n->full_warned = true;
				later_arm(n, LATER_FULL_MS);
				return;
			}
			w->pending = false;
		}
		n->later_head++;
	}
	if (n->later_head < n->later_n)
		return;
	ev_timer_del(n->loop, n->later_timer);
	n->later_timer = NULL;
	free(n->later);
	n->later = NULL;
	n->later_head = n->later_n = n->later_cap = 0;
	if (n->full_warned)
		log_notice("neighbours: every client MAC is tracked again");
	n->full_warned = false;
}

int neigh_watch_later(struct neigh *n, struct in_addr addr)
{
	struct watched *w;

	HASH_FIND(hh, n->tab, &addr.s_addr, sizeof(addr.s_addr), w);
	if (w)
		return 0;
	if (n->later_n == n->later_cap) {
		size_t cap = n->later_cap ? n->later_cap * 2 : 1024;
		uint32_t *q = realloc(n->later, cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		n->later = q;
		n->later_cap = cap;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->addr = addr.s_addr;
	w->pending = true;
	HASH_ADD(hh, n->tab, addr, sizeof(w->addr), w);
	n->later[n->later_n++] = addr.s_addr;
	if (!n->later_timer)
		later_arm(n, LATER_TICK_MS);
	return 0;
}

int neigh_unwatch(struct neigh *n, struct in_addr addr)
{
	struct watched *w;

	HASH_FIND(hh, n->tab, &addr.s_addr, sizeof(addr.s_addr), w);
	if (!w)
		return 0;
	HASH_DEL(n->tab, w);
	if (w->pending) { /* never installed by us */
		free(w);
		return 0;
	}
	free(w);
	return neigh_delete(n, addr.s_addr);
}

/* ---- route gateways ------------------------------------------------------ */

struct gw_ctx {
	int ifindex;
	struct in_addr *out;
	int max, n;
};

struct route_attrs {
	uint32_t oif;
	bool has_gw;
	uint32_t gw;
};

static int route_attr_cb(const struct nlattr *a, void *data)
{
	struct route_attrs *r = data;

	if (mnl_attr_get_type(a) == RTA_OIF && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		r->oif = mnl_attr_get_u32(a);
	if (mnl_attr_get_type(a) == RTA_GATEWAY && mnl_attr_get_payload_len(a) == 4) {
		memcpy(&r->gw, mnl_attr_get_payload(a), 4);
		r->has_gw = true;
	}
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct gw_ctx *g = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct route_attrs r = {0};
	int i;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm) || rtm->rtm_family != AF_INET ||
	    rtm->rtm_table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, &r);
	if (!r.has_gw || (int)r.oif != g->ifindex || g->n >= g->max)
		return MNL_CB_OK;
	for (i = 0; i < g->n; i++)
		if (g->out[i].s_addr == r.gw)
			return MNL_CB_OK;
	g->out[g->n++].s_addr = r.gw;
	return MNL_CB_OK;
}

int neigh_route_gateways(int ifindex, struct in_addr *out, int max)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct gw_ctx g = {.ifindex = ifindex, .out = out, .max = max};
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	unsigned int seq = (unsigned int)time(NULL), portid;
	ssize_t ret;
	int rc = 0;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	while ((ret = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		rc = mnl_cb_run(buf, (size_t)ret, seq, portid, route_cb, &g);
		if (rc <= MNL_CB_STOP)
			break;
	}
	rc = rc < 0 ? -errno : g.n;
out:
	mnl_socket_close(nl);
	return rc;
}
