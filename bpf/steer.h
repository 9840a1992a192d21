/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rsip_wan_steer: the WAN program's first stage when rsipd runs with
 * --spi-steer. ESP from one peer to one Nb is a single outer flow (no
 * ports), so the NIC's RSS hands every SA with that peer to one CPU. This
 * stage reads the SPI of ESP, AH and UDP-encapsulated ESP (4500 without the
 * non-ESP marker) and redirects the frame into rsip_cpumap, to the CPU
 * rsip_steer names for the SPI's slot, where rsip_wan_cpu runs wan_main()
 * unchanged. Everything else (IKE, ports, ICMP, fragments: a fragment after
 * the first names no SPI, and rsipd reassembles them in any order anyway)
 * and an SPI whose CPU is this one go through wan_main() here, without the
 * hop. Only ESP to one of our Nb is steered: anything else is passed here
 * (as wan_main() would), never queued to another CPU. The demultiplexing
 * stays in wan_main(), on the chosen CPU. Policy: docs/dataplane.md.
 */
#ifndef RSIP_BPF_STEER_H
#define RSIP_BPF_STEER_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "rsip/rules/ike.h"
#include "rsip/rules/parse.h"
#include "rsip/steer_abi.h"
#include "stats.h"
#include "wan.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RSIP_STEER_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} rsip_steer SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, RSIP_STEER_DEF_CPUS);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} rsip_cpumap SEC(".maps");

/* What the first stage makes of a frame. */
enum steer_kind {
	STEER_OTHER,	/* no SPI to steer by: wan_main() judges it, malformed included */
	STEER_NOT_OURS, /* ESP, AH or UDP-ESP to an address that is not one of our Nb */
	STEER_SPI,	/* ESP, AH or UDP-ESP to one of our Nb: *spi set */
};

/* The SPI of an unfragmented ESP, AH or UDP-ESP packet to one of our Nb in
 * *spi. */
static __always_inline enum steer_kind steer_spi(struct xdp_md *ctx, __be32 *spi)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct hdr_cursor nh = {.pos = (void *)(long)ctx->data};
	struct ethhdr *eth;
	struct iphdr *iph;
	struct udphdr *udp;
	__be32 *p;
	int proto;

	if (parse_ethhdr(&nh, data_end, &eth) != bpf_htons(ETH_P_IP))
		return STEER_OTHER;
	if (frame_for_other_host(eth, cfg_wan_mac)) /* as wan_main(): not ours */
		return STEER_OTHER;
	iph = peek_iphdr(&nh, data_end);
	if (!iph || ip_is_fragment(iph))
		return STEER_OTHER;
	proto = parse_iphdr(&nh, data_end, iph);
	if (proto == IPPROTO_ESP) {
		p = nh.pos; /* struct rsip_esp_hdr: the SPI first */
	} else if (proto == IPPROTO_AH) {
		p = (__be32 *)nh.pos + 1; /* after next header, length, reserved */
	} else if (proto == IPPROTO_UDP) {
		if (parse_udphdr(&nh, data_end, &udp) < 0 || udp->dest != bpf_htons(IKE_NATT_PORT))
			return STEER_OTHER;
		p = nh.pos;
	} else {
		return STEER_OTHER;
	}
	if ((void *)(p + 1) > data_end || *p == 0) /* 0: the non-ESP marker (IKE) */
		return STEER_OTHER;
	if (!wan_nb_ours(ctx, iph->daddr)) /* rules/wan.h */
		return STEER_NOT_OURS;
	*spi = *p;
	return STEER_SPI;
}

static __always_inline int steer_main(struct xdp_md *ctx)
{
	__u32 slot, *cpu;
	__be32 spi;

	switch (steer_spi(ctx, &spi)) {
	case STEER_OTHER:
		return wan_main(ctx);
	case STEER_NOT_OURS: /* wan_main()'s verdict, without asking rsip_nb again */
		return count_and_return(RSIP_CNT_WAN_PASS_NOT_NB, XDP_PASS);
	case STEER_SPI:
		break;
	}
	slot = rsip_steer_slot(bpf_ntohl(spi));
	cpu = bpf_map_lookup_elem(&rsip_steer, &slot);
	if (!cpu || *cpu == bpf_get_smp_processor_id())
		return wan_main(ctx);
	if (bpf_redirect_map(&rsip_cpumap, *cpu, 0) == XDP_REDIRECT) {
		count(RSIP_CNT_WAN_STEERED);
		return XDP_REDIRECT;
	}
	/* No entry for that CPU (went offline, a table being refilled):
	 * handled here rather than lost. */
	count(RSIP_CNT_WAN_STEER_LOCAL);
	return wan_main(ctx);
}

/* rsip_wan_cpu: a frame the first stage steered here. Counted on arrival,
 * so wan_steered - wan_steer_arrived is what was lost between the stages
 * (the cpumap queue full, a failed redirect): both in rsip_stats. */
static __always_inline int steer_arrived(struct xdp_md *ctx)
{
	count(RSIP_CNT_WAN_STEER_ARRIVED);
	return wan_main(ctx);
}

#endif
