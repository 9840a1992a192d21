// SPDX-License-Identifier: BSD-2-Clause
/* rsipc netlink requests, one acknowledged message each (see nl.h). */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include <time.h>

#include "nl.h"

struct nl {
	struct mnl_socket *sk;
	unsigned int portid;
	unsigned int seq;
};

struct nl *nl_open(void)
{
	struct nl *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC); /* not for CMD */
	if (!n->sk || mnl_socket_bind(n->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = errno;

		if (n->sk)
			mnl_socket_close(n->sk);
		free(n);
		errno = err;
		return NULL;
	}
	n->portid = mnl_socket_get_portid(n->sk);
	n->seq = (unsigned int)time(NULL);
	return n;
}

void nl_close(struct nl *n)
{
	if (!n)
		return;
	mnl_socket_close(n->sk);
	free(n);
}

/* Send one request with NLM_F_ACK and wait for its acknowledgement. */
static int talk(struct nl *n, struct nlmsghdr *h)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t r;
	int rc;

	h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = ++n->seq;
	if (mnl_socket_sendto(n->sk, h, h->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		r = mnl_socket_recvfrom(n->sk, buf, sizeof(buf));
		if (r < 0)
			return -errno;
		rc = mnl_cb_run(buf, (size_t)r, h->nlmsg_seq, n->portid, NULL, NULL);
		if (rc == MNL_CB_ERROR)
			return -errno;
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

int nl_link_up(struct nl *n, int ifindex, unsigned int mtu)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	h->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (mtu)
		mnl_attr_put_u32(h, IFLA_MTU, mtu);
	return talk(n, h);
}

int nl_addr_add(struct nl *n, int ifindex, struct in_addr addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;

	h->nlmsg_type = RTM_NEWADDR;
	h->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 32;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned int)ifindex;
	mnl_attr_put(h, IFA_LOCAL, sizeof(addr), &addr);
	mnl_attr_put(h, IFA_ADDRESS, sizeof(addr), &addr);
	return talk(n, h);
}

int nl_route_default(struct nl *n, bool add, const struct nl_route *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	struct nlattr *mx;

	h->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	if (add)
		h->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	rtm = mnl_nlmsg_put_extra_header(h, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 0;
	/* Tables above 255 only fit in RTA_TABLE. */
	rtm->rtm_table = r->table < 256 ? (unsigned char)r->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = !add		 ? RT_SCOPE_NOWHERE
			 : r->via.s_addr ? RT_SCOPE_UNIVERSE
					 : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(h, RTA_TABLE, r->table);
	mnl_attr_put_u32(h, RTA_OIF, (uint32_t)r->ifindex);
	if (add) {
		mnl_attr_put(h, RTA_PREFSRC, sizeof(r->src), &r->src);
		if (r->via.s_addr)
			mnl_attr_put(h, RTA_GATEWAY, sizeof(r->via), &r->via);
		if (r->mtu) {
			mx = mnl_attr_nest_start(h, RTA_METRICS);
			mnl_attr_put_u32(h, RTAX_MTU, r->mtu);
			mnl_attr_nest_end(h, mx);
		}
	}
	return talk(n, h);
}

struct route_reply {
	struct nl_route *r;
	bool seen;
};

static int route_attr(const struct nlattr *a, void *arg)
{
	struct route_reply *rr = arg;

	switch (mnl_attr_get_type(a)) {
	case RTA_OIF:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			rr->r->ifindex = (int)mnl_attr_get_u32(a);
		break;
	case RTA_GATEWAY:
		if (mnl_attr_get_payload_len(a) == 4)
			memcpy(&rr->r->via, mnl_attr_get_payload(a), 4);
		break;
	case RTA_PREFSRC:
		if (mnl_attr_get_payload_len(a) == 4)
			memcpy(&rr->r->src, mnl_attr_get_payload(a), 4);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int route_msg(const struct nlmsghdr *h, void *arg)
{
	struct route_reply *rr = arg;

	if (h->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	rr->seen = true;
	return mnl_attr_parse(h, sizeof(struct rtmsg), route_attr, arg);
}

int nl_route_get(struct nl *n, struct in_addr dst, struct nl_route *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct route_reply rr = {.r = r};
	struct rtmsg *rtm;
	ssize_t got;
	int rc;

	memset(r, 0, sizeof(*r));
	h->nlmsg_type = RTM_GETROUTE;
	h->nlmsg_flags = NLM_F_REQUEST;
	h->nlmsg_seq = ++n->seq;
	rtm = mnl_nlmsg_put_extra_header(h, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	mnl_attr_put(h, RTA_DST, sizeof(dst), &dst);
	if (mnl_socket_sendto(n->sk, h, h->nlmsg_len) < 0)
		return -errno;
	got = mnl_socket_recvfrom(n->sk, buf, sizeof(buf));
	if (got < 0)
		return -errno;
	rc = mnl_cb_run(buf, (size_t)got, n->seq, n->portid, route_msg, &rr);
	if (rc == MNL_CB_ERROR)
		return -errno;
	return rr.seen && r->ifindex ? 0 : -ENETUNREACH;
}

int nl_rule(struct nl *n, bool add, struct in_addr from, uint32_t table, uint32_t prio)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct fib_rule_hdr *frh;

	h->nlmsg_type = add ? RTM_NEWRULE : RTM_DELRULE;
	if (add)
		h->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	frh = mnl_nlmsg_put_extra_header(h, sizeof(*frh));
	frh->family = AF_INET;
	frh->src_len = 32;
	frh->table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC;
	frh->action = FR_ACT_TO_TBL;
	mnl_attr_put(h, FRA_SRC, sizeof(from), &from);
	mnl_attr_put_u32(h, FRA_TABLE, table);
	mnl_attr_put_u32(h, FRA_PRIORITY, prio);
	return talk(n, h);
}
