/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hooks of the shared packet rules (include/rsip/rules/env.h) for the
 * XDP programs: the maps of maps.h, the load-time constants of config.h,
 * the per-CPU counters and time stamps of stats.h. Include before the rules.
 * The TC programs (rules_hooks_tc.h) define their context, where the packet
 * ends and how a violation is reported first, and share the rest.
 */
#ifndef RSIP_BPF_RULES_HOOKS_H
#define RSIP_BPF_RULES_HOOKS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "config.h"
#include "maps.h"
#include "stats.h"

#ifndef RULE_ENV
#define RULE_ENV struct xdp_md
#endif
#define RULE_MAP_T			       void *
#define RULE_MAP(name)			       ((void *)&name)
#define RULE_LOOKUP(env, map, key)	       bpf_map_lookup_elem(map, key)
#define RULE_SPI_SHIFT(env)		       cfg_spi_block_shift
#define RULE_SPI_DIR_ON(env)		       cfg_spi_dir_on
#define RULE_SPI_KEY(env)		       cfg_spi_key
#define RULE_PORT_DIR_ON(env)		       cfg_port_dir_on
#define RULE_NA(env)			       cfg_na
#define RULE_UPDATE(env, map, key, val, flags) bpf_map_update_elem(map, key, val, flags)
#define RULE_LEARNED(env, p, n)		       __sync_fetch_and_add(&(p)->c->cookies, n)
#define RULE_COUNT_EVENT(env, counter)	       count(counter)
#define RULE_TOUCH(env, seen)		       touch(seen)
#define RULE_JIFFIES(env)		       ((__u32)bpf_jiffies64())
#define RULE_NOW_NS(env)		       bpf_ktime_get_coarse_ns()
#define RULE_NB_MAYBE(env, nb)		       nb_maybe_ours(nb)

/* False: certainly not one of our Nb (rsip_nb_filter). */
static __always_inline bool nb_maybe_ours(__be32 nb)
{
	__u32 bit = rsip_nb_filter_bit(nb), word = bit >> 5;
	__u32 *w = bpf_map_lookup_elem(&rsip_nb_filter, &word);

	return w && (*w & (1u << (bit & 31)));
}

#ifndef RULE_VIOLATION
#define RULE_VIOLATION(env, p, error, bind_id, counter)                                            \
	lan_violation(env, p, error, bind_id, counter)
/* bpf/lan.h: drop, and tell rsipd (rate-limited). */
struct lan_pkt;
static __noinline int lan_violation(struct xdp_md *ctx, const struct lan_pkt *p, __u16 error,
				    __u32 bind_id, __u32 cnt);
#endif

#endif
