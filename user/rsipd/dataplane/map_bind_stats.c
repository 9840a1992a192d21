// SPDX-License-Identifier: BSD-2-Clause
/*
 * dpx: each binding's and each client's counter slot in rsip_bind_stats
 * (dp_abi.h). Every entry of a binding (its ports, SPIs, SPI block, whole
 * Nb) carries the binding's slot in its configuration part
 * (rsip_target.stat_slot), and a client's rsip_clients value its own
 * (rsip_client.stat_slot, the traffic out), so the programs count in one
 * place per CPU and a reader sums one slot over the CPUs. The slot is
 * zeroed when a binding or client takes it, never when it is given back or
 * rewritten: a restart, a MAC move or a mirrored update rewrites the
 * configuration and leaves the counts alone.
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

/* No free slot: the binding or client is served all the same, with slot 0
 * (its traffic counts there with the learned entries', not as its own): a
 * full counter map must never cost a host its lease. Counted, and said once
 * a run (a log line per host would flood the log of a gateway that runs
 * with few slots on purpose); with --stat-slots 0 it is the configuration,
 * not news. */
static void slot_none(struct dpx *x, uint32_t *slot, const char *what, uint32_t id)
{
	*slot = 0;
	if (!x->slots_uncounted++ && x->slots.n > 1)
		log_warnx("dpx: %s %u: all %u counter slots are held; it and every further one "
			  "go uncounted (counter bind_slots_uncounted; %s is sized by "
			  "--stat-slots x hosts)",
			  what, id, x->slots.n - 1, RSIP_MAP_BIND_STATS);
}

int slot_take_unzeroed(struct dpx *x, uint32_t *slot, const char *what, uint32_t id)
{
	if (bind_slots_take(&x->slots, slot))
		slot_none(x, slot, what, id);
	return 0;
}

int slot_take(struct dpx *x, uint32_t *slot, const char *what, uint32_t id)
{
	uint32_t s;
	int err;

	slot_take_unzeroed(x, &s, what, id);
	if (!s) {
		*slot = 0;
		return 0;
	}
	err = slot_zero(x, s);
	if (err) {
		bind_slots_put(&x->slots, s);
		return err;
	}
	*slot = s;
	return 0;
}

/* A cold restart gives out a slot per host and per binding: zeroed one
 * syscall each, 200,000 slots added about 330 ms to a 100,000-host start on
 * the 2-vCPU VM; in batches of this many, 30-60 ms (docs/performance.md,
 * the quiet restore_bench runs). */
#define ZERO_CHUNK 4096

int slots_zero(struct dpx *x, const uint32_t *slots, size_t n)
{
	const struct dpx_map_ops *b = x->ops;
	struct rsip_bind_stats *zero;
	int err = 0;

	if (!b || !b->update_batch) {
		for (size_t i = 0; !err && i < n; i++)
			err = slot_zero(x, slots[i]);
		return err;
	}
	zero = calloc((size_t)ZERO_CHUNK * x->cfg.ncpus, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	for (size_t at = 0; !err && at < n;) {
		uint32_t k = n - at > ZERO_CHUNK ? ZERO_CHUNK : (uint32_t)(n - at);

		err = b->update_batch(b->arg, x->m.bind_stats, slots + at, zero, &k);
		if (!err && k == 0)
			err = -EIO; /* no progress: never loop */
		at += k;
	}
	free(zero);
	return err;
}

uint64_t dpx_slots_uncounted(const struct dpx *x)
{
	return x->slots_uncounted;
}

void slot_put(struct dpx *x, uint32_t *slot)
{
	bind_slots_put(&x->slots, *slot);
	*slot = 0;
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
