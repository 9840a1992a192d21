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

int nl_route_default(struct nl *n, bool add, uint32_t table, int ifindex, struct in_addr src)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	h->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	if (add)
		h->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	rtm = mnl_nlmsg_put_extra_header(h, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 0;
	/* Tables above 255 only fit in RTA_TABLE. */
	rtm->rtm_table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = add ? RT_SCOPE_LINK : RT_SCOPE_NOWHERE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(h, RTA_TABLE, table);
	mnl_attr_put_u32(h, RTA_OIF, (uint32_t)ifindex);
	if (add)
		mnl_attr_put(h, RTA_PREFSRC, sizeof(src), &src);
	return talk(n, h);
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
