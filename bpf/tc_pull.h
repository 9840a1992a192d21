/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The headers the rules read, made linear before they run (--attach tc).
 * The rules read the packet directly, between data and data_end, and an
 * skb holds only its linear part there: a TCP segment a sender's stack built
 * carries its payload in pages, a GRO-merged packet all but the first
 * segment's headers. So the programs pull what the rules will read, and no
 * more: bpf_skb_pull_data beyond the linear part has to grow the skb's head
 * (pskb_expand_head: a new head, a copy, the old one freed). Pulling a
 * fixed 256 bytes did that for nearly every data packet: 3.7 % of all CPU
 * time in a TCP run through the gateway with GRO off, two thirds of the WAN
 * program's cost (docs/performance.md, "The TC gateway's pull").
 */
#ifndef RSIP_BPF_TC_PULL_H
#define RSIP_BPF_TC_PULL_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "rsip/rules/ike.h"
#include "rsip/rules/parse.h"
#include "stats.h"
#include "tc.h"

/* The most the rules read from the frame's start: Ethernet, IPv4 with
 * options, GRE, an inner IPv4 with options, TCP with options (60; UDP with
 * the non-ESP marker and the IKE header is 40). Also what is pulled when
 * the walk below cannot see far enough to say. */
#define TC_HDR_PULL 256

static __always_inline bool tc_ike_port(__be16 port)
{
	return port == bpf_htons(IKE_PORT) || port == bpf_htons(IKE_NATT_PORT);
}

/*
 * How many bytes from data the rules of either program read of this frame:
 * the Ethernet and IPv4 headers; for IP-IP or GRE (what hosts send the LAN
 * program) the inner IPv4 header too; then the transport header the rules
 * parse (include/rsip/rules/wan.h, lan.h): TCP with its options, UDP, and
 * on the IKE ports the non-ESP marker and the IKE header (the most either
 * rule set reads after a UDP header: a marker and 28 bytes on 4500, 28 on
 * 500, an SPI and sequence number of UDP-ESP), ESP, AH, ICMP. TC_HDR_PULL
 * when a header that says how long the next one is lies beyond data_end;
 * 0 for a frame that is not IPv4 (the rules pass it on its Ethernet header).
 * A frame shorter than its headers gets what it has: the rules find it
 * short, as they would have.
 */
static __always_inline __u32 tc_hdr_need(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u32 off;
	__u8 proto;

	if ((void *)(ip + 1) > data_end)
		return TC_HDR_PULL;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return 0;
	off = sizeof(*eth) + (ip->ihl & 0xf) * 4;
	proto = ip->protocol;
	if (proto == IPPROTO_IPIP || proto == IPPROTO_GRE) {
		if (proto == IPPROTO_GRE)
			off += sizeof(struct rsip_gre_hdr);
		ip = data + off;
		if ((void *)(ip + 1) > data_end)
			return TC_HDR_PULL;
		off += (ip->ihl & 0xf) * 4;
		proto = ip->protocol;
	}
	switch (proto) {
	case IPPROTO_TCP: {
		struct tcphdr *tcp = data + off;

		if ((void *)(tcp + 1) > data_end)
			return TC_HDR_PULL;
		return off + tcp->doff * 4;
	}
	case IPPROTO_UDP: {
		struct udphdr *udp = data + off;

		if ((void *)(udp + 1) > data_end)
			return TC_HDR_PULL;
		off += sizeof(*udp);
		if (tc_ike_port(udp->source) || tc_ike_port(udp->dest))
			off += NON_ESP_MARKER_LEN + sizeof(struct ike_hdr);
		return off;
	}
	case IPPROTO_AH:
		return off + sizeof(struct rsip_ah_hdr);
	case IPPROTO_ESP:
		return off + sizeof(struct rsip_esp_hdr);
	case IPPROTO_ICMP:
		return off + sizeof(struct icmphdr);
	}
	return off;
}

/* Makes the headers the rules read linear (all of the frame when it is
 * shorter), counting each frame that needed it under `pulled`. A failed pull
 * leaves the packet as it was: the rules then find it short. */
static __always_inline void tc_pull_headers(struct __sk_buff *skb, __u32 pulled)
{
	void *data = SKB_PTR(skb, data), *data_end = SKB_PTR(skb, data_end);
	__u32 len = SKB_LOAD(skb, len), need;
	long linear = (long)data_end - (long)data;

	/* All of a short packet, or the most any rules read, is there
	 * already (an ACK, a frame built in one piece): no walk. */
	if (linear >= (long)(len < TC_HDR_PULL ? len : TC_HDR_PULL))
		return;
	need = tc_hdr_need(data, data_end);
	if (need > TC_HDR_PULL)
		need = TC_HDR_PULL;
	if (need > len)
		need = len;
	if (linear < (long)need) {
		count(pulled);
		bpf_skb_pull_data(skb, need);
	}
}

#endif
