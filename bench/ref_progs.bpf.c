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
 *   ref_lookup12, ref_lookup16
 *              ref_lookup with the same 8 bytes followed by one or two zero
 *              words: a 12- or 16-byte key in a map of its own (rsip_ike's key
 *              is 16 bytes). What the key's length alone costs the lookup
 *              (the kernel hashes 4-byte words with jhash2, which mixes once
 *              more beyond 3 words, and compares the whole key). All three
 *              build the same 16-byte zeroed key on the stack (their code is
 *              identical; since dp18 ref_lookup's key costs two more stores).
 *   ref_encap_hash
 *              ref_encap redirecting through a DEVMAP_HASH keyed by the LAN
 *              ifindex, as rsip_wan does (rsip_tx): what that redirect costs
 *              against the DEVMAP (array) of ref_encap.
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
const volatile __u32 ref_lan_ifindex = 0; /* ref_tx_hash's key */

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} ref_tx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} ref_tx_hash SEC(".maps");

struct ref_key {
	__be32 daddr;
	__u32 word; /* as in the frame */
};

/* ref_key, then zero words up to the length of the map's key. */
struct ref_key_long {
	struct ref_key k;
	__u32 zero[2];
};

/* Sized by the loader like the project's map for the same path; each holds
 * the same entries under its key length. */
#define REF_KEYS_MAP(name, key_bytes)                                                              \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_HASH);                                                   \
		__uint(max_entries, 1);                                                            \
		__uint(map_flags, BPF_F_NO_PREALLOC);                                              \
		__uint(key_size, key_bytes);                                                       \
		__type(value, struct rsip_target);                                                 \
	} name SEC(".maps")

REF_KEYS_MAP(ref_keys, 8);
REF_KEYS_MAP(ref_keys12, 12);
REF_KEYS_MAP(ref_keys16, 16);

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
 * out through tx[tx_key]. */
static __always_inline int encap_redirect_to(struct xdp_md *ctx, __u16 inner_len, __u8 tos,
					     const __u8 *dst_mac, __be32 xa, void *tx, __u32 tx_key)
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
	return bpf_redirect_map(tx, tx_key, 0);
}

static __always_inline int encap_redirect(struct xdp_md *ctx, __u16 inner_len, __u8 tos,
					  const __u8 *dst_mac, __be32 xa)
{
	return encap_redirect_to(ctx, inner_len, tos, dst_mac, xa, &ref_tx, 0);
}

/* The trivial program, its frame out through tx[tx_key]. */
static __always_inline int encap_only(struct xdp_md *ctx, void *tx, __u32 tx_key)
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
	return encap_redirect_to(ctx, bpf_ntohs(inner->tot_len), inner->tos, dst_mac, ref_outer_dst,
				 tx, tx_key);
}

SEC("xdp")
int ref_encap(struct xdp_md *ctx)
{
	return encap_only(ctx, &ref_tx, 0);
}

SEC("xdp")
int ref_encap_hash(struct xdp_md *ctx)
{
	return encap_only(ctx, &ref_tx_hash, ref_lan_ifindex);
}

/* ref_encap after one lookup in map, whose key is the first key_size bytes
 * of a struct ref_key_long. */
static __always_inline int lookup_encap(struct xdp_md *ctx, void *map)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ref_key_long key = {};
	struct ethhdr *eth = data;
	struct rsip_target *t;
	struct iphdr *inner;
	__u8 dst_mac[6];
	__u32 off = ref_key_off & 63;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	inner = (void *)(eth + 1);
	if ((void *)(inner + 1) > data_end || data + off + sizeof(key.k.word) > data_end)
		return XDP_DROP;
	key.k.daddr = inner->daddr;
	__builtin_memcpy(&key.k.word, data + off, sizeof(key.k.word));
	t = bpf_map_lookup_elem(map, &key);
	if (!t)
		return XDP_DROP;
	__builtin_memcpy(dst_mac, t->mac, sizeof(dst_mac));
	return encap_redirect(ctx, bpf_ntohs(inner->tot_len), inner->tos, dst_mac, t->xa);
}

SEC("xdp")
int ref_lookup(struct xdp_md *ctx)
{
	return lookup_encap(ctx, &ref_keys);
}

SEC("xdp")
int ref_lookup12(struct xdp_md *ctx)
{
	return lookup_encap(ctx, &ref_keys12);
}

SEC("xdp")
int ref_lookup16(struct xdp_md *ctx)
{
	return lookup_encap(ctx, &ref_keys16);
}

SEC("xdp")
int ref_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

/* Does nothing: attached to N's interfaces for rsipc_iperf.sh's plain(xdp)
 * baseline, it shows what an XDP program costs a veth (its peer loses GSO). */
SEC("xdp")
int ref_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
