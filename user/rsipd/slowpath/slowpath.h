/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rsipd's slow path: the consumer of the records the XDP programs write to
 * rsip_slowpath (struct rsip_slow_meta + the frame, include/rsip/dp_abi.h).
 * What each reason gets (docs/dataplane.md has the whole policy):
 *   FRAGMENT      reassemble (reasm.h), demultiplex the whole datagram with
 *                 the XDP programs' own rules (demux.h), tunnel it
 *   OVERSIZE      DF set: ICMP fragmentation needed to the peer, MTU = LAN
 *                 MTU - tunnel overhead; else tunnel it (the kernel fragments
 *                 the outer packet)
 *   NO_NEIGH      tunnel it (the kernel resolves the neighbour)
 *   ICMP_ERROR    tunnel it to the client whose flow it quotes, else drop
 *   LAN_ROUTE     send the decapsulated packet through the kernel, fragmented
 *                 here when it has no DF, or ICMP fragmentation needed back
 *                 to the client
 *   LAN_FRAGMENT  reassemble the tunnel packet, apply the LAN rules (learning
 *                 included), send it
 *   VIOLATION     tell the engine (dp_callbacks.violation, decision D14)
 *   IKE_FANOUT    a copy to each client that talks IKE with the peer, the
 *                 cookie marked for the one that answers protected (fanout.h)
 * Every outcome is counted (counters.h). No I/O of its own: the sender
 * and the maps are injected, so unit tests feed records directly.
 */
#ifndef RSIPD_SLOW_H
#define RSIPD_SLOW_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/dataplane.h"
#include "counters.h"
#include "demux.h"
#include "reasm.h"
#include "tx.h"

struct slowpath;

struct slow_cfg {
	const struct dp_view *view;    /* the maps */
	const struct slow_tx_ops *tx;  /* the sender */
	const struct dp_callbacks *cb; /* the engine's (read at each call) */
	uint32_t na;		       /* network order: source of ICMP to clients */
	uint16_t lan_mtu, wan_mtu;
	struct reasm_cfg reasm; /* zeros: the defaults */
};

struct slowpath *slow_new(const struct slow_cfg *cfg);
void slow_free(struct slowpath *s);

/* One record as the perf buffer delivers it (size may include padding). */
void slow_record(struct slowpath *s, const void *data, size_t size);
/* The perf buffer dropped n records. */
void slow_lost(struct slowpath *s, uint64_t n);
/* About once a second: expire incomplete datagrams and fan-outs. */
void slow_tick(struct slowpath *s);
/* A snapshot of every counter (reassembly included). */
void slow_counters(const struct slowpath *s, uint64_t out[SC_MAX]);

#endif
