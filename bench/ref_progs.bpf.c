// SPDX-License-Identifier: GPL-2.0
/*
 * The rate benchmark's reference programs:
 *   ref_encap  the trivial gateway rsip_wan is measured against (design.md,
 *              "Performance budget"): push a 20-byte outer IPv4 header
 *              (IP-in-IP, protocol 4) with its checksum, rewrite the MACs,
 *              redirect through a DEVMAP. No parsing beyond the inner IPv4
 *              header, no lookup: what any encapsulating forwarder must do.
 *   ref_lookup ref_encap after one hash lookup: 8 bytes of the frame (the
 *              destination address and the 4 bytes at ref_key_off: the SPI,
 *              the UDP destination port and length, or the end of the IKE
 *              SPIi) find a struct rsip_target in a map sized like the
 *              project's, and the outer header and MAC come from it. The
 *              floor of any gateway that demultiplexes by a hash table.
 *   ref_drop   the sink: XDP_DROP. Attached to the sink's veth it also gives
 *              the gateway's LAN veth its ndo_xdp_xmit (a veth accepts
 *              redirected frames only when its peer has NAPI).
 * MACs and outer addresses are load-time constants (xdp_gw.c sets them).
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "rsip/dp_abi.h"

#define ETH_P_IP 0x0800
#define IP_DF	 0x4000

const volatile __u8 ref_src_mac[6] = {};
const volatile __u8 ref_dst_mac[6] = {};
const volatile __be32 ref_outer_src = 0;
const volatile __be32 ref_outer_dst = 0;
const volatile __u32 ref_key_off = 34;

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} ref_tx SEC(".maps");

struct ref_key {
	__be32 daddr;
	__u32 word; /* as in the frame */
};

/* Sized by the loader like the project's map for the same path. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ref_key);
	__type(value, struct rsip_target);
} ref_keys SEC(".maps");

static __always_inline __u16 ip_csum(const struct iphdr *ip)
{
	const __u16 *p = (const __u16 *)ip;
	__u32 sum = 0;

#pragma unroll
	for (int i = 0; i < (int)(sizeof(*ip) / 2); i++)
		sum += p[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* [eth][IPv4...] -> [eth to dst_mac][IPv4 na -> xa, proto 4][IPv4...], then
 * out through ref_tx. */
static __always_inline int encap_redirect(struct xdp_md *ctx, __u16 inner_len, __u8 tos,
					  const __u8 *dst_mac, __be32 xa)
{
	void *data_end, *data;
	struct ethhdr *eth;
	struct iphdr *outer;

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(*outer)))
		return XDP_DROP;
	data_end = (void *)(long)ctx->data_end;
	data = (void *)(long)ctx->data;
	eth = data;
	outer = (void *)(eth + 1);
	if ((void *)(outer + 1) > data_end)
		return XDP_DROP;

#pragma unroll
	for (int i = 0; i < 6; i++) {
		eth->h_dest[i] = dst_mac[i];
		eth->h_source[i] = ref_src_mac[i];
	}
	eth->h_proto = bpf_htons(ETH_P_IP);
	*(__u8 *)outer = 0x45; /* version 4, IHL 5 */
	outer->tos = tos;
	outer->tot_len = bpf_htons(inner_len + sizeof(*outer));
	outer->id = 0;
	outer->frag_off = bpf_htons(IP_DF);
	outer->ttl = 64;
	outer->protocol = IPPROTO_IPIP;
	outer->check = 0;
	outer->saddr = ref_outer_src;
	outer->daddr = xa;
	outer->check = ip_csum(outer);
	return bpf_redirect_map(&ref_tx, 0, 0);
}

SEC("xdp")
int ref_encap(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct iphdr *inner;
	__u8 dst_mac[6];

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	inner = (void *)(eth + 1);
	if ((void *)(inner + 1) > data_end)
		return XDP_DROP;
#pragma unroll
	for (int i = 0; i < 6; i++)
		dst_mac[i] = ref_dst_mac[i];
	return encap_redirect(ctx, bpf_ntohs(inner->tot_len), inner->tos, dst_mac, ref_outer_dst);
}

SEC("xdp")
int ref_lookup(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct rsip_target *t;
	struct iphdr *inner;
	struct ref_key key;
	__u8 dst_mac[6];
	__u32 off = ref_key_off & 63;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	inner = (void *)(eth + 1);
	if ((void *)(inner + 1) > data_end || data + off + sizeof(key.word) > data_end)
		return XDP_DROP;
	key.daddr = inner->daddr;
	__builtin_memcpy(&key.word, data + off, sizeof(key.word));
	t = bpf_map_lookup_elem(&ref_keys, &key);
	if (!t)
		return XDP_DROP;
	__builtin_memcpy(dst_mac, t->mac, sizeof(dst_mac));
	return encap_redirect(ctx, bpf_ntohs(inner->tot_len), inner->tos, dst_mac, t->xa);
}

SEC("xdp")
int ref_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
