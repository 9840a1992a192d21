// SPDX-License-Identifier: GPL-2.0
/*
 * rsipc's tunnel in the kernel: two TC programs on the host's LAN interface
 * (clsact), the ABI in include/rsip/host_tc.h, the design in docs/client.md.
 *
 * Headers are read with bpf_skb_load_bytes, not direct packet access: a
 * GRO-merged or GSO packet need not have its headers in the linear part, and
 * the helper copes with both (and with truncation) at the cost of a copy of
 * 20-28 bytes.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "csum.h"
#include "rsip/host_tc.h"

char LICENSE[] SEC("license") = "GPL";

#define TC_ACT_OK      0
#define TC_ACT_SHOT    2
#define ETH_P_IP       0x0800
#define ETH_HLEN       14
#define IP_DF	       0x4000
#define IP_MF	       0x2000
#define IP_OFFSET      0x1fff
#define IPPROTO_GRE_   47
#define GRE_HLEN       4
#define GRE_PROTO_IPV4 0x0800
#define OUTER_TTL      64

/* Set by rsipc before loading. */
const volatile struct rsipc_tc_cfg cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RSIPC_TC_N_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} rsipc_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RSIPC_TC_MAX_PORTS);
	__type(key, __be16);
	__type(value, __u8);
} rsipc_ports SEC(".maps");

static __always_inline void count(__u32 c, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&rsipc_stats, &c);

	if (v)
		*v += n;
}

static __always_inline bool is_gre(void)
{
	return cfg.tunnel == RSIPC_TC_TUNNEL_GRE;
}

static __always_inline __u8 tunnel_proto(void)
{
	return is_gre() ? IPPROTO_GRE_ : IPPROTO_IPIP;
}

/* Outer IPv4 header [+ GRE] as one block, written with one store. */
struct outer_hdr {
	struct iphdr ip;
	__be16 gre_flags;
	__be16 gre_proto;
};

/* Egress: everything IPv4 from Nb goes into the tunnel; a packet from Nb that
 * cannot be encapsulated is dropped, never sent bare onto the LAN. */
SEC("tc")
int rsipc_egress(struct __sk_buff *skb)
{
	__u32 olen = sizeof(struct iphdr) + (is_gre() ? GRE_HLEN : 0);
	__u64 flags = BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_ENCAP_L3_IPV4;
	struct outer_hdr o = {};
	struct iphdr iph;
	__u32 inner_len;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, ETH_HLEN, &iph, sizeof(iph)))
		return TC_ACT_OK;
	if (iph.saddr != cfg.nb)
		return TC_ACT_OK;
	inner_len = skb->len - ETH_HLEN;
	/* Malformed or too long to carry: dropped, never sent bare. */
	if (iph.version != 4 || iph.ihl < 5 || bpf_ntohs(iph.tot_len) != inner_len ||
	    inner_len + olen > 0xffff) {
		count(RSIPC_TC_ENCAP_FAIL, 1);
		return TC_ACT_SHOT;
	}
	/* FIXED_GSO: the segments were sized by the route's MTU, which rsipc
	 * set to the tunnel MTU; the ENCAP flags record the inner headers and
	 * SKB_GSO_IPXIP4/GRE, so segmentation repeats the outer header. */
	if (is_gre())
		flags |= BPF_F_ADJ_ROOM_ENCAP_L4_GRE;
	if (bpf_skb_adjust_room(skb, (__s32)olen, BPF_ADJ_ROOM_MAC, flags)) {
		count(RSIPC_TC_ENCAP_FAIL, 1);
		return TC_ACT_SHOT;
	}
	o.ip.version = 4;
	o.ip.ihl = 5;
	o.ip.tos = iph.tos; /* DSCP and ECN copied (RFC 2003, RFC 6040 normal mode) */
	o.ip.tot_len = bpf_htons((__u16)(inner_len + olen));
	o.ip.id = iph.id;
	o.ip.frag_off = iph.frag_off & bpf_htons(IP_DF);
	o.ip.ttl = OUTER_TTL;
	o.ip.protocol = tunnel_proto();
	o.ip.saddr = cfg.xa;
	o.ip.daddr = cfg.endpoint;
	o.ip.check = ipv4_hdr_csum(&o.ip);
	o.gre_proto = bpf_htons(GRE_PROTO_IPV4);
	if (bpf_skb_store_bytes(skb, ETH_HLEN, &o, is_gre() ? sizeof(o) : sizeof(struct iphdr),
				0)) {
		count(RSIPC_TC_ENCAP_FAIL, 1);
		return TC_ACT_SHOT;
	}
	count(RSIPC_TC_ENCAP, 1);
	if (skb->gso_size)
		count(RSIPC_TC_ENCAP_GSO, 1);
	count(RSIPC_TC_ENCAP_BYTES, inner_len);
	return TC_ACT_OK;
}

/* The lease rule (include/rsip/rules/host.h) looks ports up in our map. */
#define HOST_ENV		    struct __sk_buff
#define HOST_PORT_LEASED(env, port) (bpf_map_lookup_elem(&rsipc_ports, &(port)) != NULL)
#include "rsip/rules/host.h"

/* Ingress: take the outer header off what Na tunnels to us, for Nb and our
 * lease; pass everything else on untouched. */
SEC("tc")
int rsipc_ingress(struct __sk_buff *skb)
{
	struct host_inner hi = {};
	struct iphdr o, in;
	__be16 gre[2];
	__u32 olen, tot;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, ETH_HLEN, &o, sizeof(o)))
		return TC_ACT_OK;
	if (o.protocol != tunnel_proto())
		return TC_ACT_OK;
	if (o.saddr != cfg.endpoint || o.daddr != cfg.xa) {
		count(RSIPC_TC_PASS_WRONG_SOURCE, 1);
		return TC_ACT_OK;
	}
	if (o.version != 4 || o.ihl < 5)
		goto malformed;
	if (o.frag_off & bpf_htons(IP_MF | IP_OFFSET)) {
		count(RSIPC_TC_PASS_FRAGMENT, 1);
		return TC_ACT_OK;
	}
	olen = o.ihl * 4;
	tot = bpf_ntohs(o.tot_len);
	if (is_gre()) {
		/* What the gateway sends (spec D15): no checksum, key or
		 * sequence number, version 0, IPv4 inside. */
		if (bpf_skb_load_bytes(skb, ETH_HLEN + olen, gre, sizeof(gre)))
			goto malformed;
		if (gre[0] || gre[1] != bpf_htons(GRE_PROTO_IPV4))
			goto malformed;
		olen += GRE_HLEN;
	}
	if (tot > skb->len - ETH_HLEN || tot < olen + sizeof(in))
		goto malformed;
	if (bpf_skb_load_bytes(skb, ETH_HLEN + olen, &in, sizeof(in)))
		goto malformed;
	if (in.version != 4 || in.ihl < 5 || bpf_ntohs(in.tot_len) != tot - olen ||
	    in.ihl * 4 + 8 > tot - olen)
		goto malformed;
	if (in.daddr != cfg.nb) {
		count(RSIPC_TC_PASS_NOT_OURS, 1);
		return TC_ACT_OK;
	}
	hi.protocol = in.protocol;
	hi.frag_off = in.frag_off;
	if (bpf_skb_load_bytes(skb, ETH_HLEN + olen + in.ihl * 4, hi.l4, sizeof(hi.l4)))
		goto malformed;
	if (!host_leased(skb, &cfg, &hi)) {
		count(RSIPC_TC_PASS_UNLEASED, 1);
		return TC_ACT_OK;
	}
	/* FIXED_GSO: a GRO-merged packet keeps the segment size it arrived
	 * with; DECAP_L3_IPV4 says what is left is IPv4. The checksum state
	 * of a merged packet (CHECKSUM_PARTIAL, inner TCP) stays valid: the
	 * bytes in front of the inner header are removed, csum_start moves
	 * with them. */
	if (bpf_skb_adjust_room(skb, -(__s32)olen, BPF_ADJ_ROOM_MAC,
				BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_DECAP_L3_IPV4)) {
		count(RSIPC_TC_DECAP_FAIL, 1);
		return TC_ACT_OK;
	}
	count(RSIPC_TC_DECAP, 1);
	if (skb->gso_size)
		count(RSIPC_TC_DECAP_GSO, 1);
	count(RSIPC_TC_DECAP_BYTES, tot - olen);
	return TC_ACT_OK;
malformed:
	count(RSIPC_TC_PASS_MALFORMED, 1);
	return TC_ACT_OK;
}
