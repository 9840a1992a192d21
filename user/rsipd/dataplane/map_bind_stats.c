// SPDX-License-Identifier: BSD-2-Clause
/*
 * dpx: each binding's counter slot in rsip_bind_stats (dp_abi.h). Every
 * entry of a binding (its ports, SPIs, SPI block, whole Nb) carries the
 * binding's slot in its configuration part (rsip_target.stat_slot), so the
 * programs count a binding's traffic in one place per CPU and a reader sums
 * one slot over the CPUs. The slot is zeroed when a binding takes it, never
 * when it is given back or rewritten: a restart, a MAC move or a mirrored
 * update rewrites the target's configuration and leaves the counts alone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "maps_internal.h"

static int slot_zero(struct dpx *x, uint32_t slot)
{
	struct rsip_bind_stats *zero = calloc(x->cfg.ncpus, sizeof(*zero));
	int err;

	if (!zero)
		return -ENOMEM;
	err = dpx_raw_update(x, x->m.bind_stats, &slot, zero, BPF_ANY);
	free(zero);
	return err;
}

int slot_take(struct dpx *x, struct dpx_bind *b)
{
	uint32_t slot;
	int err = bind_slots_take(&x->slots, &slot);

	if (err) {
		log_warnx("dpx: binding %u: all %u per-binding counter slots are held (%s is "
			  "sized with the maps: --map-size)",
			  b->bind_id, x->slots.n - 1, RSIP_MAP_BIND_STATS);
		return err;
	}
	err = slot_zero(x, slot);
	if (err) {
		bind_slots_put(&x->slots, slot);
		return err;
	}
	b->slot = slot;
	return 0;
}

void slot_put(struct dpx *x, struct dpx_bind *b)
{
	bind_slots_put(&x->slots, b->slot);
	b->slot = 0;
}

int slot_read(struct dpx *x, uint32_t slot, uint64_t *pkts, uint64_t *bytes)
{
	struct rsip_bind_stats *percpu = calloc(x->cfg.ncpus, sizeof(*percpu));
	int err;

	if (!percpu)
		return -ENOMEM;
	err = dpx_lookup(x, x->m.bind_stats, &slot, percpu);
	*pkts = *bytes = 0;
	for (unsigned int cpu = 0; !err && cpu < x->cfg.ncpus; cpu++) {
		*pkts += percpu[cpu].pkts;
		*bytes += percpu[cpu].bytes;
	}
	free(percpu);
	return err;
}
