/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the generator's XDP program (pktgen.bpf.c) and its driver (pktgen.c)
 * share. Both clang -target bpf (with vmlinux.h) and gcc compile it.
 *
 * Every packet starts as the template's first PKTGEN_HDR bytes. With more
 * than one flow, bytes PKTGEN_FLOW_OFF .. PKTGEN_FLOW_OFF + 32 then come from
 * the next entry of pktgen_flows: the IPv4 checksum, source and destination,
 * and the first 14 bytes after a 20-byte IPv4 header (ESP SPI and sequence,
 * UDP ports, the IKE SPIi), all precomputed, so the program only copies
 * aligned words.
 */
#ifndef RSIP_BENCH_PKTGEN_H
#define RSIP_BENCH_PKTGEN_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PKTGEN_HDR	 64
#define PKTGEN_FLOW_OFF	 24
#define PKTGEN_FLOW_LEN	 32
#define PKTGEN_MAX_FLOWS (1u << 22)

struct pktgen_flow {
	__u64 w[PKTGEN_FLOW_LEN / 8];
};

_Static_assert(PKTGEN_FLOW_OFF % 8 == 0 && PKTGEN_FLOW_OFF + PKTGEN_FLOW_LEN <= PKTGEN_HDR,
	       "flow bytes are whole words inside the rewritten header");

#endif
