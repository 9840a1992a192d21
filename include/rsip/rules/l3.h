/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The IPv4 header of a packet the rules decide on, validated as parse.h's
 * parse_iphdr does, with one hook: where the whole packet is. XDP and the
 * slow path hold it whole between the header and data_end (the default);
 * the TC programs hold only the headers in the linear part (a GSO packet's
 * payload is in pages, bpf/rules_hooks_tc.h), so their hook compares the
 * total length with what the skb carries:
 *
 *   RULE_L3_FITS(env, l3, len, data_end)   len bytes from l3 are in the
 *                                          packet
 */
#ifndef RSIP_RULES_L3_H
#define RSIP_RULES_L3_H

#include "rsip/rules/env.h"
#include "rsip/rules/parse.h"

#ifndef RULE_L3_FITS
#define RULE_L3_FITS(env, l3, len, data_end) ((void *)(l3) + (len) <= (void *)(data_end))
#endif

/* The protocol, or -1 when the header is bad or the packet shorter than its
 * total length. */
static __always_inline int rule_iphdr(RULE_ENV *env, struct hdr_cursor *nh, void *data_end,
				      struct iphdr *iph)
{
	int proto = parse_iphdr_hdr(nh, data_end, iph);

	if (proto >= 0 && !RULE_L3_FITS(env, iph, bpf_ntohs(iph->tot_len), data_end))
		return -1;
	return proto;
}

#endif
