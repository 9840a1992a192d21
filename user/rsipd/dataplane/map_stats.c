// SPDX-License-Identifier: BSD-2-Clause
/* dpx: per-binding traffic and the programs' counters. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maps_internal.h"
#include "rsip/wire.h"

/* The time stamp stays in the entries (written at most every
 * RSIP_SEEN_JIFFIES): the latest of the binding's entries and its client's. */
static void latest_seen(uint64_t *last_ns, const struct rsip_seen *s)
{
	if (rsip_seen_ns(s) > *last_ns)
		*last_ns = rsip_seen_ns(s);
}

static void add_seen(uint64_t *last_ns, const struct rsip_target *t)
{
	latest_seen(last_ns, &t->seen);
}

int dpx_binding_stats(struct dpx *x, const struct binding_rec *db, struct dp_binding_stats *out)
{
	struct dpx_bind *b = find_bind(x, db->bind_id);
	const struct binding_rec *r;
	struct rsip_client cv;
	struct rsip_target t;
	uint64_t last_ns = 0;

	if (!b || b->c->xa.s_addr != db->xa.s_addr)
		return -ENOENT;
	r = b->r;
	memset(out, 0, sizeof(*out));
	if (b->slot) { /* 0: uncounted, or restoring (no slot yet) */
		int err = slot_read(x, b->slot, &out->packets_in, &out->bytes_in);

		if (err)
			return err;
	}
	/* The LAN program counts per client, in the client's slot
	 * (docs/dataplane.md). */
	if (b->c->slot) {
		int err = slot_read(x, b->c->slot, &out->packets_out, &out->bytes_out);

		if (err)
			return err;
	}
	if (r->method == RSIP_METHOD_RSA_IP) {
		struct rsip_nb_val v;

		if (dpx_lookup(x, x->m.nb, &r->nb.s_addr, &v) == 0 && (v.flags & RSIP_NB_WHOLE) &&
		    v.whole.bind_id == r->bind_id)
			add_seen(&last_ns, &v.whole);
	}
	for (uint16_t i = 0; i < r->nports; i++) {
		struct rsip_port_key k = {.nb = r->nb.s_addr, .port = htons(binding_ports(r)[i])};
		struct rsip_dir_val d;
		uint32_t idx;

		if (dir_port(x, r->nb, binding_ports(r)[i], &idx)) {
			if (dpx_lookup(x, x->m.port_dir, &idx, &d) == 0 && d.nb == r->nb.s_addr &&
			    d.t.bind_id == r->bind_id)
				add_seen(&last_ns, &d.t);
		} else if (dpx_lookup(x, x->m.ports, &k, &t) == 0 && t.bind_id == r->bind_id) {
			add_seen(&last_ns, &t);
		}
	}
	/* SPIs inside an agreeing block have no entry of their own. */
	for (uint16_t i = 0; i < r->nspis; i++) {
		struct rsip_spi_key k = {.nb = r->nb.s_addr, .spi = htonl(binding_spis(r)[i])};

		if (dpx_lookup(x, x->m.spi, &k, &t) == 0 && t.bind_id == r->bind_id)
			add_seen(&last_ns, &t);
	}
	if (r->has_spi_block && dir_on(x)) {
		struct rsip_dir_val d;
		uint32_t slot;

		if (dir_slot(x, r->nb, r->spi_block, &slot) &&
		    dpx_lookup(x, x->m.spi_dir, &slot, &d) == 0 && d.nb == r->nb.s_addr &&
		    d.t.bind_id == r->bind_id)
			add_seen(&last_ns, &d.t);
	} else if (r->has_spi_block) {
		struct rsip_blk_key k = {.nb = r->nb.s_addr, .block = r->spi_block};

		if (dpx_lookup(x, x->m.spi_blk, &k, &t) == 0 && t.bind_id == r->bind_id)
			add_seen(&last_ns, &t);
	}
	if (dpx_lookup(x, x->m.clients, &b->c->xa.s_addr, &cv) == 0)
		latest_seen(&last_ns, &cv.seen);
	out->last_seen_ms = last_ns / 1000000u;
	return 0;
}

int dpx_counters(struct dpx *x, uint64_t *out)
{
	uint64_t *percpu = calloc(x->cfg.ncpus, sizeof(*percpu));
	int err = 0;

	if (!percpu)
		return -ENOMEM;
	for (uint32_t k = 0; k < RSIP_CNT_MAX; k++) {
		err = dpx_lookup(x, x->m.stats, &k, percpu);
		if (err)
			break;
		out[k] = 0;
		for (unsigned int cpu = 0; cpu < x->cfg.ncpus; cpu++)
			out[k] += percpu[cpu];
	}
	free(percpu);
	return err;
}
