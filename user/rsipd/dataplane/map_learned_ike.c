// SPDX-License-Identifier: BSD-2-Clause
/*
 * dpx: whether an rsip_ike entry from outside (a cluster's mirror,
 * map_learned.c) is one the LAN rules could have written. Checked like wire
 * input: a remote party's etcd row must not make the WAN program route a
 * peer's IKE to a host that never talked to it. A file of its own because
 * it reads the rules' IKE constants (rsip/rules/ike.h), whose user-space
 * environment brings <netinet/ip_icmp.h> and its icmp_id macro, which the
 * map layer's struct dpx_maps field of that name cannot live with.
 */
#include <arpa/inet.h>
#include <string.h>

#include "maps_internal.h"
#include "rsip/rules/ike.h" /* after maps_internal.h: see above */

/* A peer Y the LAN program could have learned: an inner destination it
 * forwarded to, so a unicast address (not 0/8, loopback, multicast, 240/4
 * or the broadcast address). */
static bool unicast(__be32 a)
{
	uint32_t h = ntohl(a);

	return (h >> 24) != 0 && (h >> 24) != 127 && (h >> 28) < 14;
}

/* An rsip_ike entry as the LAN rules write it (rules/lan.h): on the shared
 * IKE ports 500 and 4500 only (lan_ike: the source port of the host's IKE;
 * lan_ike_leased: 4500), on the host's Nb, the host has RSIPSEC; a cookie
 * is not zero; a peer entry's key holds Y then zeros, Y unicast, and its
 * target names Y. NULL, or what is wrong. */
const char *dpx_ike_misfit(const struct rsip_client *v, const struct dp_learned *l)
{
	static const uint8_t zero[8];
	struct rsip_ike_key k;
	__be32 y;

	memcpy(&k, l->key, sizeof(k));
	if (k.nb != v->nb)
		return "not on its host's Nb";
	if (k.port != htons(IKE_PORT) && k.port != htons(IKE_NATT_PORT))
		return "port not 500 or 4500";
	if (!(v->flags & RSIP_CF_IPSEC))
		return "its host has no RSIPSEC binding";
	switch (k.kind) {
	case RSIP_IKE_KIND_COOKIE:
		if (!memcmp(k.cookie, zero, sizeof(k.cookie)))
			return "a zero cookie";
		if (l->several)
			return "several hosts named on a cookie";
		return NULL;
	case RSIP_IKE_KIND_PEER:
		memcpy(&y, k.cookie, sizeof(y));
		if (memcmp(k.cookie + sizeof(y), zero, sizeof(k.cookie) - sizeof(y)))
			return "peer key not Y then zeros";
		if (!unicast(y))
			return "peer Y not a unicast address";
		if (l->remote.s_addr != y)
			return "remote is not the key's peer Y";
		return NULL;
	}
	return "unknown IKE entry kind";
}
