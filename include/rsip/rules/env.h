/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the packet rules (include/rsip/rules/) need from the compiler that
 * builds them: the XDP programs (clang -target bpf, with vmlinux.h) and
 * rsipd's slow path and the tests (gcc, with the uapi and libc headers).
 * The rules touch no map and no clock themselves: they call hooks that the
 * includer defines before including them, so each side supplies its own
 * (bpf_map_lookup_elem on the maps, or reads of the pinned maps):
 *
 *   RULE_ENV                      the type the rules pass the hooks around
 *                                 (struct xdp_md, or the slow path's env)
 *   RULE_MAP_T, RULE_MAP(name)    a handle of the map called name (rsip_nb,
 *                                 rsip_ports...) and its type
 *   RULE_LOOKUP(env, map, key)    the value of key in map (a handle), or NULL
 *   RULE_SPI_SHIFT(env)           log2 of the SPI block size (D13)
 *   RULE_SPI_DIR_ON(env), RULE_SPI_KEY(env)   whether owned SPI blocks are
 *                                 found in rsip_spi_dir (by index, keyed
 *                                 by the key: rsip/spi_dir.h) or in
 *                                 rsip_spi_blk (by hash)
 *   RULE_PORT_DIR_ON(env)         whether leased ports are found in
 *                                 rsip_port_dir (by index, rules/ports.h)
 *   RULE_NB_MAYBE(env, nb)        false when nb is certainly not one of our
 *                                 Nb (a pre-filter: true defers to rsip_nb)
 * and for the LAN rules:
 *   RULE_NA(env)                  Na, the tunnel endpoint
 *   RULE_UPDATE(env, map, key, val, flags)   write an entry (BPF_NOEXIST or
 *                                 BPF_ANY): 0, -EEXIST, or another error
 *   RULE_LEARNED(env, p, n)       charge a learned entry to the sender of p
 *                                 (struct lan_pkt): add n (RSIP_LEARNED_*)
 *                                 to its count
 *   RULE_COUNT_EVENT(env, counter)   count an event that is not an exit
 *   RULE_TOUCH(env, seen)         refresh an entry's time stamp (struct rsip_seen)
 *   RULE_JIFFIES(env), RULE_NOW_NS(env)     a new entry's time stamp
 *   RULE_VIOLATION(env, p, error, bind_id, counter)   report a lease
 *                                 violation (D14); returns the outcome
 */
#ifndef RSIP_RULES_ENV_H
#define RSIP_RULES_ENV_H

#ifdef __bpf__
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#define EEXIST 17
#else
#include <linux/if_ether.h>
#include <linux/types.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <bpf/bpf_endian.h>
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#endif

#include "rsip/dp_abi.h"

/*
 * A rule's outcome in one int: what to do with the packet and the counter
 * (enum rsip_counter) that says why. Both sides act on the action in their
 * own way (XDP: an XDP verdict, the slow path: a send or a drop) and count
 * the counter; the differential test (tests/bpf/) requires the two to agree
 * on every fixture row.
 */
enum rule_action {
	RULE_PASS = 1,		/* not ours: the kernel's (the slow path drops) */
	RULE_DROP,		/* ours, and dropped */
	RULE_TUNNEL,		/* WAN: to the client of the matched target */
	RULE_FORWARD,		/* LAN: decapsulate and send to the public side */
	RULE_SLOW_FRAGMENT,	/* WAN: a fragment to Nb, reassembled by rsipd */
	RULE_SLOW_ICMP_ERROR,	/* WAN: an ICMP error to Nb: rsipd finds its flow */
	RULE_SLOW_LAN_FRAGMENT, /* LAN: a fragment of a tunnel packet, reassembled by rsipd */
	RULE_SLOW_IKE_FANOUT,	/* WAN: IKE for one of several clients: rsipd asks each */
};

#define RULE(action, counter) ((int)((action) << 8 | (counter)))
#define RULE_ACTION(r)	      ((r) >> 8)
#define RULE_COUNTER(r)	      ((__u32)(r)&0xff)
_Static_assert(RSIP_CNT_SLOTS <= 256, "RULE() keeps the counter in 8 bits");

#endif
