/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tunnel encapsulation towards a client and decapsulation of its packets
 * (katran style: grow or shrink the headroom, reload data/data_end, re-check
 * every header before writing, build the outer header in one helper with its
 * checksum).
 *
 * Outer header (IP-in-IP, protocol 4, 20 bytes; or GRE, protocol 47, plus the
 * 4-byte RFC 2784 header with protocol 0x0800, decision D15): source Na,
 * destination the client's Xa, TTL 64, TOS and DF copied from the inner
 * header. ID: 0 when DF is set (RFC 6864: atomic datagrams); otherwise a
 * per-CPU counter started at a random value, so consecutive non-DF packets
 * from one CPU never share an ID within 65536 packets. Two CPUs may hand out
 * the same ID; that would matter only if a router between N and the client
 * fragmented the outer packet, and N itself never does (too big goes to the
 * slow path, where the kernel picks the ID).
 */
#ifndef RSIP_BPF_ENCAP_H
#define RSIP_BPF_ENCAP_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "config.h"
#include "csum.h"
#include "maps.h"
#include "rsip/rules/parse.h"

#define OUTER_TTL 64

static __always_inline __u32 tunnel_overhead(__u8 tunnel)
{
	return tunnel == RSIP_DP_TUNNEL_GRE ? RSIP_GRE_OVERHEAD : RSIP_IPIP_OVERHEAD;
}

/* The outer IPv4 ID counters: one per CPU, each on its own cache line, in a
 * global (.bss): its address is a constant to the verifier, so no map lookup
 * per packet. CPUs beyond IPID_SLOTS share a slot (IDs may then repeat
 * across those CPUs, as they may across any two CPUs: see above). */
#define IPID_SLOTS 256 /* a power of two */
struct ipid_slot {
	__u32 next;
	__u8 pad[60];
};
static struct ipid_slot ipid_slots[IPID_SLOTS];

static __always_inline __be16 next_ip_id(void)
{
	struct ipid_slot *s = &ipid_slots[bpf_get_smp_processor_id() & (IPID_SLOTS - 1)];

	if (s->next == 0)
		s->next = bpf_get_prandom_u32() | 1;
	return bpf_htons((__u16)s->next++);
}

/* What the outer header copies from the inner one (read before the head
 * moves: every packet pointer is invalid after bpf_xdp_adjust_head). */
struct encap_inner {
	__u16 tot_len; /* host order */
	__u8 tos;
	bool df;
};

static __always_inline void build_outer_ip(struct iphdr *oip, const struct rsip_target *t,
					   const struct encap_inner *in, __u32 overhead)
{
	*(__u8 *)oip = 0x45; /* version 4, IHL 5 */
	oip->tos = in->tos;
	oip->tot_len = bpf_htons(in->tot_len + overhead);
	oip->id = in->df ? 0 : next_ip_id();
	oip->frag_off = in->df ? bpf_htons(IP_DF) : 0;
	oip->ttl = OUTER_TTL;
	oip->protocol = t->tunnel == RSIP_DP_TUNNEL_GRE ? IPPROTO_GRE : IPPROTO_IPIP;
	oip->check = 0;
	oip->saddr = cfg_na;
	oip->daddr = t->xa;
	oip->check = ipv4_hdr_csum(oip);
}

/* dst: rsip_target.mac (2-aligned, see mac16). */
static __always_inline void build_eth(struct ethhdr *eth, const __u8 *dst)
{
	mac16_mut(eth->h_dest)[0] = mac16(dst)[0];
	mac16_mut(eth->h_dest)[1] = mac16(dst)[1];
	mac16_mut(eth->h_dest)[2] = mac16(dst)[2];
	copy_lan_mac(eth->h_source);
	eth->h_proto = bpf_htons(ETH_P_IP);
}

/* Frame [eth][inner IPv4...] -> [eth to the client][outer IPv4][GRE?][inner].
 * Returns 0, or -1 when the headroom cannot grow (nothing was changed). */
static __always_inline int encap_push(struct xdp_md *ctx, const struct rsip_target *t,
				      const struct encap_inner *in)
{
	void *data, *data_end;
	struct ethhdr *eth;
	struct iphdr *oip;

	if (t->tunnel == RSIP_DP_TUNNEL_GRE) {
		struct rsip_gre_hdr *gre;

		if (bpf_xdp_adjust_head(ctx, -(int)RSIP_GRE_OVERHEAD))
			return -1;
		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
		eth = data;
		oip = (void *)(eth + 1);
		gre = (void *)(oip + 1);
		if ((void *)(gre + 1) > data_end)
			return -1;
		gre->flags = 0;
		gre->proto = bpf_htons(ETH_P_IP);
		build_outer_ip(oip, t, in, RSIP_GRE_OVERHEAD);
	} else {
		if (bpf_xdp_adjust_head(ctx, -(int)RSIP_IPIP_OVERHEAD))
			return -1;
		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
		eth = data;
		oip = (void *)(eth + 1);
		if ((void *)(oip + 1) > data_end)
			return -1;
		build_outer_ip(oip, t, in, RSIP_IPIP_OVERHEAD);
	}
	build_eth(eth, t->mac);
	return 0;
}

/* Frame [eth][outer IPv4 + options][GRE?][inner] -> [eth][inner]: moves the
 * head past the outer headers (outer_len bytes) and writes an Ethernet header
 * (source: the client's MAC, destination: ours; the caller overwrites both
 * once it knows the next hop). Returns 0 or -1. */
static __always_inline int decap_pull(struct xdp_md *ctx, __u32 outer_len, const __u8 *client_mac)
{
	void *data, *data_end;
	struct ethhdr *eth;

	if (bpf_xdp_adjust_head(ctx, (int)outer_len))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return -1;
	copy_lan_mac(eth->h_dest);
	__builtin_memcpy(eth->h_source, client_mac, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);
	return 0;
}

#endif
