// SPDX-License-Identifier: GPL-2.0
/*
 * Reference programs for bench/bpf_prog_bench.c, measured in the same run as
 * rsip_wan:
 *   bench_pass   XDP_PASS: the fixed cost of a BPF_PROG_TEST_RUN call,
 *                subtracted from every other figure
 *   bench_encap  the trivial gateway: push a 20-byte IP-in-IP header with its
 *                checksum, rewrite the MACs, redirect through a DEVMAP_HASH
 *                (what shared/bench-baseline/ calls B'), with no lookup and
 *                no demultiplexing: the floor rsip_wan is compared with
 *   bench_encap_lookup  the same after one hash lookup keyed by (daddr, SPI),
 *                in a map as full as rsip_wan's: the floor of any
 *                demultiplexing gateway
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u8 new_src[6] = {};
const volatile __u8 new_dst[6] = {};
const volatile __be32 outer_saddr = 0;
const volatile __be32 outer_daddr = 0;
const volatile __u32 tx_ifindex = 0;

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} bench_tx SEC(".maps");

struct bench_key {
	__be32 daddr;
	__be32 spi;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct bench_key);
	__type(value, __u8[56]);
} bench_demux SEC(".maps");

SEC("xdp")
int bench_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

static __always_inline int encap(struct xdp_md *ctx, bool lookup)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *inner, *outer;
	__u16 inner_len, *w;
	__u32 sum = 0;

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(0x0800))
		return XDP_PASS;
	inner = (void *)(eth + 1);
	if ((void *)(inner + 1) > end)
		return XDP_DROP;
	inner_len = bpf_ntohs(inner->tot_len);
	if (lookup) {
		struct bench_key k = {.daddr = inner->daddr};
		__be32 *spi = (void *)(inner + 1);

		if ((void *)(spi + 1) > end)
			return XDP_DROP;
		k.spi = *spi;
		if (!bpf_map_lookup_elem(&bench_demux, &k))
			return XDP_DROP;
	}
	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	outer = (void *)(eth + 1);
	if ((void *)(outer + 1) > end)
		return XDP_DROP;
#pragma unroll
	for (int i = 0; i < 6; i++) {
		eth->h_dest[i] = new_dst[i];
		eth->h_source[i] = new_src[i];
	}
	eth->h_proto = bpf_htons(0x0800);
	*(__u8 *)outer = 0x45;
	outer->tos = 0;
	outer->tot_len = bpf_htons(inner_len + sizeof(struct iphdr));
	outer->id = 0;
	outer->frag_off = bpf_htons(0x4000);
	outer->ttl = 64;
	outer->protocol = IPPROTO_IPIP;
	outer->check = 0;
	outer->saddr = outer_saddr;
	outer->daddr = outer_daddr;
	w = (__u16 *)outer;
#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	outer->check = (__u16)~sum;
	return bpf_redirect_map(&bench_tx, tx_ifindex, 0);
}

SEC("xdp")
int bench_encap(struct xdp_md *ctx)
{
	return encap(ctx, false);
}

SEC("xdp")
int bench_encap_lookup(struct xdp_md *ctx)
{
	return encap(ctx, true);
}
