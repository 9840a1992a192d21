/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Benchmark-only ablation switches (docs/performance.md, "Where ESP's
 * nanoseconds go"): a bench build of rsip_xdp.bpf.c defines RSIP_ABLATE as a
 * mask of the pieces of rsip_wan's hit path it leaves out, so that
 * bench/bpf_prog_bench can time each piece against the whole program in one
 * run (bench/wan_ablate.sh builds the variants). The shipped object defines
 * nothing: every ablated() below is then the constant 0 and the compiler
 * keeps the code as if the test were not there. A variant is not a gateway:
 * it miscounts, or ignores a slow-path condition, by construction.
 */
#ifndef RSIP_BPF_ABLATE_H
#define RSIP_BPF_ABLATE_H

#ifndef RSIP_ABLATE
#define RSIP_ABLATE 0
#endif

#define ABLATE_EXIT_COUNT 0x01 /* the exit reason's rsip_stats counter on a send */
#define ABLATE_BIND_COUNT 0x02 /* the binding's rsip_bind_stats slot */
#define ABLATE_TOUCH	  0x04 /* the last-seen test (jiffies) */
#define ABLATE_TX_MAP	  0x08 /* rsip_tx: bpf_redirect(ifindex) instead */
#define ABLATE_SLOW_TESTS 0x10 /* the MAC-known and MTU tests before encap */
#define ABLATE_MAC_CHECK  0x20 /* the destination MAC test (frame_for_other_host) */
/* Not a removal: rsip_tx looked up, then bpf_redirect (as the TC programs do). */
#define ABLATE_TX_LOOKUP 0x40

#define ablated(piece) ((RSIP_ABLATE & (piece)) != 0)

#endif
