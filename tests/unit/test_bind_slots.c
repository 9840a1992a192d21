// SPDX-License-Identifier: BSD-2-Clause
/*
 * Counter slots (user/rsipd/dataplane/bind_slots.c) and how the map layer
 * gives them to bindings and clients (map_bind_stats.c) on in-memory maps:
 * slot 0 never handed out, a binding or client beyond the slots is added
 * all the same with slot 0 (uncounted, counted as such), a reused slot
 * starts from zero, a restart keeps each binding's and client's slot (and
 * so its counts) and marks it used, a restart on a counter map of another
 * size (--stat-slots changed) gives new slots from it. The
 * real programs counting into the slots are tested in tests/bpf/test_wan.c
 * (bindings) and tests/bpf/test_lan.c (clients).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include "../lib/fake_maps.h"
#include "../lib/rec_build.h"
#include "dataplane/bind_slots.h"
#include "dataplane/maps_internal.h"
#include "rsip/wire.h"

#define NB	 0xc0000201u /* 192.0.2.1 */
#define NCPUS	 2
#define N_SLOTS	 8 /* the fake rsip_bind_stats: slots 1..7 for clients and bindings */
#define MAX_MAPS 64

/* --- the allocator alone ------------------------------------------------- */

static void slots_exhaust_and_reuse(void **state)
{
	struct bind_slots s;
	bool seen[N_SLOTS] = {false};
	uint32_t slot;

	(void)state;
	assert_int_equal(bind_slots_init(&s, 0), -EINVAL);
	assert_int_equal(bind_slots_init(&s, N_SLOTS), 0);
	assert_true(bind_slots_held(&s, 0)); /* learned entries' */
	for (int i = 1; i < N_SLOTS; i++) {
		assert_int_equal(bind_slots_take(&s, &slot), 0);
		assert_true(slot > 0 && slot < N_SLOTS);
		assert_false(seen[slot]);
		seen[slot] = true;
	}
	assert_int_equal(bind_slots_take(&s, &slot), -ENOSPC);
	assert_int_equal(s.nused, N_SLOTS - 1);
	/* One back: that one is the next taken, and only once. */
	bind_slots_put(&s, 3);
	assert_false(bind_slots_held(&s, 3));
	assert_int_equal(bind_slots_take(&s, &slot), 0);
	assert_int_equal(slot, 3);
	assert_int_equal(bind_slots_take(&s, &slot), -ENOSPC);
	/* Slot 0 and a free slot given back change nothing. */
	bind_slots_put(&s, 0);
	assert_true(bind_slots_held(&s, 0));
	bind_slots_put(&s, 3);
	bind_slots_put(&s, 3);
	assert_int_equal(s.nused, N_SLOTS - 2);
	bind_slots_fini(&s);
}

static void slots_next_fit(void **state)
{
	struct bind_slots s;
	uint32_t a, b, c;

	(void)state;
	assert_int_equal(bind_slots_init(&s, 200), 0);
	assert_int_equal(bind_slots_take(&s, &a), 0);
	assert_int_equal(bind_slots_take(&s, &b), 0);
	bind_slots_put(&s, a);
	/* Not a again at once: a late increment for its old binding must
	 * not land in a new binding's counts. */
	assert_int_equal(bind_slots_take(&s, &c), 0);
	assert_true(c != a && c != b);
	/* Across the 64-bit words of the bitmap, then round to the start
	 * (the last one taken is a). */
	for (int i = 0; i < 197; i++)
		assert_int_equal(bind_slots_take(&s, &c), 0);
	assert_int_equal(bind_slots_take(&s, &c), -ENOSPC);
	bind_slots_put(&s, 130);
	assert_int_equal(bind_slots_take(&s, &c), 0);
	assert_int_equal(c, 130);
	bind_slots_fini(&s);
}

static void slots_claim(void **state)
{
	struct bind_slots s;
	uint32_t slot;

	(void)state;
	assert_int_equal(bind_slots_init(&s, N_SLOTS), 0);
	assert_false(bind_slots_claim(&s, 0));
	assert_false(bind_slots_claim(&s, N_SLOTS));
	assert_true(bind_slots_claim(&s, 5));
	assert_false(bind_slots_claim(&s, 5)); /* one binding per slot */
	for (int i = 0; i < N_SLOTS - 2; i++) {
		assert_int_equal(bind_slots_take(&s, &slot), 0);
		assert_true(slot != 5);
	}
	assert_int_equal(bind_slots_take(&s, &slot), -ENOSPC);
	bind_slots_fini(&s);
}

/* --stat-slots 0: the map holds slot 0 alone, so nothing is ever handed
 * out or claimed. */
static void slots_none(void **state)
{
	struct bind_slots s;
	uint32_t slot = 99;

	assert_int_equal(bind_slots_init(&s, 1), 0);
	assert_int_equal(bind_slots_take(&s, &slot), -ENOSPC);
	assert_int_equal(slot, 99);
	assert_false(bind_slots_claim(&s, 0));
	assert_false(bind_slots_claim(&s, 1));
	assert_int_equal(s.nused, 0);
	bind_slots_fini(&s);
}

/* --- through the map layer ------------------------------------------------ */

struct fx {
	struct fake_maps *f;
	struct dpx_maps m;
	struct dpx_config cfg;
	struct dpx *x;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	fx->f = fake_maps_new();
	fake_maps_dpx(fx->f, &fx->m, N_SLOTS, NCPUS);
	fx->cfg = (struct dpx_config){.spi_block_shift = 8, .cookie_cap = 8, .ncpus = NCPUS};
	fx->cfg.ops = fake_maps_ops(fx->f);
	fx->x = dpx_new(&fx->m, &fx->cfg);
	assert_non_null(fx->x);
	assert_int_equal(dpx_nb_add(fx->x, (struct in_addr){htonl(NB)}), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	dpx_free(fx->x);
	fake_maps_free(fx->f);
	free(fx);
	return 0;
}

static struct in_addr xa_of(uint32_t i)
{
	return (struct in_addr){htonl(0x0a000000u + i)};
}

static void add_client(struct dpx *x, uint32_t i)
{
	struct dp_client c = {.client_id = i, .xa = xa_of(i)};

	assert_int_equal(dpx_client_add(x, &c), 0);
}

/* Binding 100 + i of client i, leasing port 2000 + i. */
static struct rec_buf bind_of(uint32_t i)
{
	struct rec_buf b =
	    rec_make(i, 100 + i, xa_of(i), (struct in_addr){htonl(NB)}, RSIP_METHOD_RSAP_IP);
	uint16_t port = (uint16_t)(2000 + i);

	rec_set_ports(&b, &port, 1);
	return b;
}

static uint32_t slot_of(struct fx *fx, uint32_t i)
{
	struct rsip_port_key k = {.nb = htonl(NB), .port = htons((uint16_t)(2000 + i))};
	struct rsip_target t;

	assert_int_equal(fake_maps_ops(fx->f)->lookup(fx->f, fx->m.ports, &k, &t), 0);
	return t.stat_slot;
}

/* What the programs do: CPU 0 and CPU 1 each count into the slot. */
static void traffic(struct fx *fx, uint32_t slot, uint64_t pkts, uint64_t bytes)
{
	struct rsip_bind_stats v[NCPUS] = {{pkts, bytes}, {pkts, bytes}};

	assert_int_equal(fake_maps_ops(fx->f)->update(fx->f, fx->m.bind_stats, &slot, v, BPF_ANY),
			 0);
}

static struct dp_binding_stats stats_of(struct dpx *x, uint32_t i)
{
	struct rec_buf b = bind_of(i);
	struct dp_binding_stats s;

	assert_int_equal(dpx_binding_stats(x, &b.r, &s), 0);
	return s;
}

/* Client i's own slot (its traffic out), from its rsip_clients value. */
static uint32_t client_slot_of(struct fx *fx, uint32_t i)
{
	struct in_addr xa = xa_of(i);
	struct rsip_client v;

	assert_int_equal(fake_maps_ops(fx->f)->lookup(fx->f, fx->m.clients, &xa.s_addr, &v), 0);
	return v.stat_slot;
}

/* Clients and bindings share the table: host i (i = 1..3) holds slot
 * 2i - 1 (its client) and 2i (its binding); client 4 the last one. */
static void map_full_and_reuse_clears(void **state)
{
	struct fx *fx = *state;
	struct dp_client c8 = {.client_id = N_SLOTS, .xa = xa_of(N_SLOTS)};
	struct rec_buf b;
	struct dp_binding_stats s;
	uint32_t first, c1, b1;
	uint64_t pkts, bytes;
	size_t ports, clients;

	for (uint32_t i = 1; i <= 3; i++) {
		add_client(fx->x, i);
		assert_int_equal(client_slot_of(fx, i), 2 * i - 1); /* in order, none is 0 */
		b = bind_of(i);
		assert_int_equal(dpx_binding_add(fx->x, &b.r), 0);
		assert_int_equal(slot_of(fx, i), 2 * i);
		traffic(fx, slot_of(fx, i), 10 * i, 1000 * i);
		traffic(fx, client_slot_of(fx, i), i, 100 * i);
	}
	s = stats_of(fx->x, 3);
	assert_int_equal(s.packets_in, 2 * 30);
	assert_int_equal(s.bytes_in, 2 * 3000);
	assert_int_equal(s.packets_out, 2 * 3);
	assert_int_equal(s.bytes_out, 2 * 300);
	add_client(fx->x, 4);
	assert_int_equal(client_slot_of(fx, 4), N_SLOTS - 1);
	/* The table is full: the next binding and the next client are added
	 * all the same with slot 0 (uncounted, and counted as such); their
	 * stats read zero whatever slot 0 holds, no slot is zeroed. */
	ports = fake_map_count(fx->f, fx->m.ports);
	clients = fake_map_count(fx->f, fx->m.clients);
	traffic(fx, 0, 50, 5000); /* learned entries' traffic */
	assert_int_equal(dpx_slots_uncounted(fx->x), 0);
	b = bind_of(4);
	assert_int_equal(dpx_binding_add(fx->x, &b.r), 0);
	assert_int_equal(slot_of(fx, 4), 0);
	assert_int_equal(dpx_client_add(fx->x, &c8), 0);
	assert_int_equal(client_slot_of(fx, N_SLOTS), 0);
	assert_int_equal(dpx_slots_uncounted(fx->x), 2);
	assert_int_equal(fake_map_count(fx->f, fx->m.ports), ports + 1);
	assert_int_equal(fake_map_count(fx->f, fx->m.clients), clients + 1);
	assert_int_equal(slot_read(fx->x, 0, &pkts, &bytes), 0);
	assert_int_equal(pkts, 2 * 50); /* not zeroed for them */
	s = stats_of(fx->x, 4);
	assert_int_equal(s.packets_in, 0);
	assert_int_equal(s.packets_out, 0);
	/* They go: nothing was held, nothing is given back. */
	assert_int_equal(dpx_binding_del(fx->x, &b.r), 0);
	assert_int_equal(dpx_client_del(fx->x, &c8), 0);
	assert_int_equal(fx->x->slots.nused, N_SLOTS - 1);
	/* One binding goes: the new binding gets its slot, counted from zero. */
	first = slot_of(fx, 2);
	b = bind_of(2);
	assert_int_equal(dpx_binding_del(fx->x, &b.r), 0);
	b = bind_of(4);
	assert_int_equal(dpx_binding_add(fx->x, &b.r), 0);
	assert_int_equal(slot_of(fx, 4), first);
	s = stats_of(fx->x, 4);
	assert_int_equal(s.packets_in, 0);
	assert_int_equal(s.bytes_in, 0);
	/* A whole client going gives its own slot and its bindings' back:
	 * the next binding and client get them, counted from zero although
	 * client 1 and its binding left counts there. */
	c1 = client_slot_of(fx, 1);
	b1 = slot_of(fx, 1);
	assert_int_equal(dpx_client_del(fx->x, &(struct dp_client){.client_id = 1, .xa = xa_of(1)}),
			 0);
	b = bind_of(2); /* client 2 is still there, without a binding */
	assert_int_equal(dpx_binding_add(fx->x, &b.r), 0);
	add_client(fx->x, N_SLOTS);
	assert_true((slot_of(fx, 2) == c1 && client_slot_of(fx, N_SLOTS) == b1) ||
		    (slot_of(fx, 2) == b1 && client_slot_of(fx, N_SLOTS) == c1));
	assert_int_equal(stats_of(fx->x, 2).packets_in, 0);
	assert_int_equal(stats_of(fx->x, 2).packets_out, 2 * 2); /* client 2's own, kept */
	assert_int_equal(slot_read(fx->x, client_slot_of(fx, N_SLOTS), &pkts, &bytes), 0);
	assert_int_equal(pkts, 0);
	assert_int_equal(bytes, 0);
}

/* A map error after the slot was taken gives it back: the table does not
 * leak slots on failed adds, of clients or of bindings. */
static void failed_add_gives_slot_back(void **state)
{
	struct fx *fx = *state;
	struct rec_buf b;

	for (uint32_t i = 1; i <= 3; i++) {
		struct dp_client c = {.client_id = i, .xa = xa_of(i)};

		fake_maps_fail_update_after(fx->f, 1, -EIO); /* the zeroing passes */
		assert_int_equal(dpx_client_add(fx->x, &c), -EIO);
		fake_maps_fail_update_after(fx->f, -1, 0);
	}
	for (uint32_t i = 1; i <= 3; i++) {
		add_client(fx->x, i);
		b = bind_of(i);
		fake_maps_fail_update_after(fx->f, 1, -EIO);
		assert_int_equal(dpx_binding_add(fx->x, &b.r), -EIO);
		fake_maps_fail_update_after(fx->f, -1, 0);
	}
	for (uint32_t i = 1; i <= 3; i++) {
		b = bind_of(i);
		assert_int_equal(dpx_binding_add(fx->x, &b.r), 0);
	}
	add_client(fx->x, 4); /* the last of the N_SLOTS - 1 */
	assert_int_equal(fx->x->slots.nused, N_SLOTS - 1);
}

/* A restart: every restored binding and client takes the slot its live
 * entry carries (so its counts go on), a binding or client new since then
 * gets a free one, zeroed, and a slot that only a stale entry carried is
 * free again. */
static void restart_keeps_slots(void **state)
{
	struct fx *fx = *state;
	uint32_t slot3, cslot3, slot2, cslot2;
	struct rec_buf b;
	struct dpx *x;

	for (uint32_t i = 1; i <= 3; i++) {
		add_client(fx->x, i);
		b = bind_of(i);
		assert_int_equal(dpx_binding_add(fx->x, &b.r), 0);
	}
	slot2 = slot_of(fx, 2);
	cslot2 = client_slot_of(fx, 2);
	slot3 = slot_of(fx, 3);
	cslot3 = client_slot_of(fx, 3);
	traffic(fx, slot_of(fx, 1), 5, 500);
	traffic(fx, client_slot_of(fx, 1), 3, 300);
	traffic(fx, slot3, 7, 700);  /* a stale binding's counts */
	traffic(fx, cslot3, 9, 900); /* and its client's */
	dpx_free(fx->x);

	x = dpx_new(&fx->m, &fx->cfg);
	assert_non_null(x);
	fx->x = x;
	dpx_restore_begin(x);
	assert_int_equal(dpx_nb_add(x, (struct in_addr){htonl(NB)}), 0);
	for (uint32_t i = 1; i <= 3; i++) {
		if (i == 3)
			continue; /* gone while rsipd was away */
		add_client(x, i);
		b = bind_of(i);
		assert_int_equal(dpx_binding_add(x, &b.r), 0);
	}
	add_client(x, 6);
	b = bind_of(6);
	assert_int_equal(dpx_binding_add(x, &b.r), 0);
	assert_int_equal(dpx_restore_end(x), 2); /* client 3 and its port */
	assert_int_equal(slot_of(fx, 1), 2);
	assert_int_equal(client_slot_of(fx, 1), 1);
	assert_int_equal(slot_of(fx, 2), slot2);
	assert_int_equal(client_slot_of(fx, 2), cslot2);
	assert_int_equal(stats_of(x, 1).packets_in, 10);
	assert_int_equal(stats_of(x, 1).bytes_in, 1000);
	assert_int_equal(stats_of(x, 1).packets_out, 6);
	assert_int_equal(stats_of(x, 1).bytes_out, 600);
	/* The new host: free slots (none a restored one holds), zeroed
	 * although the previous run's host 3 left counts in them. */
	assert_true((client_slot_of(fx, 6) == cslot3 && slot_of(fx, 6) == slot3) ||
		    (client_slot_of(fx, 6) == slot3 && slot_of(fx, 6) == cslot3));
	assert_int_equal(stats_of(x, 6).packets_in, 0);
	assert_int_equal(stats_of(x, 6).packets_out, 0);
	assert_int_equal(stats_of(x, 6).bytes_out, 0);
	/* Slots marked used: one is left (N_SLOTS - 1 = 7, six held). */
	add_client(x, 7);
	assert_int_equal(client_slot_of(fx, 7), N_SLOTS - 1);
	b = bind_of(7);
	assert_int_equal(dpx_binding_add(x, &b.r), 0);
	assert_int_equal(slot_of(fx, 7), 0);
	assert_int_equal(dpx_slots_uncounted(x), 1);
}

/* A restart after --stat-slots changed: the loader made a new counter map
 * of the new size (xdp_load.c), so the live entries carry slots of the old
 * one. A slot inside the new map is claimed again (its counts are the new
 * map's: zero); one beyond it cannot be, and its holder takes a free slot,
 * or slot 0 when there is none. Here 8 slots become 4 (slots 1-3). */
static void restart_on_smaller_map(void **state)
{
	struct fx *fx = *state;
	struct rec_buf b;
	struct dpx *x;
	uint32_t held[2 * 3];

	for (uint32_t i = 1; i <= 3; i++) {
		add_client(fx->x, i);
		b = bind_of(i);
		assert_int_equal(dpx_binding_add(fx->x, &b.r), 0);
		held[2 * (i - 1)] = client_slot_of(fx, i);
		held[2 * (i - 1) + 1] = slot_of(fx, i);
	}
	assert_int_equal(held[4], 5); /* host 3: client 5, binding 6 */
	assert_int_equal(held[5], 6);
	dpx_free(fx->x);
	fx->x = NULL;

	fx->m.bind_slots = 4;
	fx->m.bind_stats = fake_map_create(fx->f, 4, sizeof(struct rsip_bind_stats) * NCPUS, 4);
	for (uint32_t k = 0; k < 4; k++) {
		struct rsip_bind_stats zero[NCPUS] = {{0, 0}};

		assert_int_equal(
		    fake_maps_ops(fx->f)->update(fx->f, fx->m.bind_stats, &k, zero, BPF_ANY), 0);
	}
	x = dpx_new(&fx->m, &fx->cfg);
	assert_non_null(x);
	fx->x = x;
	dpx_restore_begin(x);
	assert_int_equal(dpx_nb_add(x, (struct in_addr){htonl(NB)}), 0);
	for (uint32_t i = 1; i <= 3; i++) {
		add_client(x, i);
		b = bind_of(i);
		assert_int_equal(dpx_binding_add(x, &b.r), 0);
	}
	assert_int_equal(dpx_restore_end(x), 0);
	/* Host 1 keeps 1 and 2, host 2 keeps 3 (client) and its binding's 4
	 * is beyond the map, so it and host 3 share what is left: nothing. */
	assert_int_equal(client_slot_of(fx, 1), 1);
	assert_int_equal(slot_of(fx, 1), 2);
	assert_int_equal(client_slot_of(fx, 2), 3);
	assert_int_equal(slot_of(fx, 2), 0);
	assert_int_equal(client_slot_of(fx, 3), 0);
	assert_int_equal(slot_of(fx, 3), 0);
	assert_int_equal(dpx_slots_uncounted(x), 3);
	assert_int_equal(x->slots.nused, 3);
	/* Every entry's slot is inside the new map. */
	for (uint32_t i = 1; i <= 3; i++) {
		assert_true(client_slot_of(fx, i) < 4);
		assert_true(slot_of(fx, i) < 4);
	}
}

/* The same restart with batched map writes: the new slots are zeroed by
 * one BPF_MAP_UPDATE_BATCH (slots_zero), not one write each. */
static void restart_keeps_slots_batched(void **state)
{
	struct fx *fx = *state;

	fake_maps_enable_batch(fx->f);
	restart_keeps_slots(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(slots_exhaust_and_reuse),
	    cmocka_unit_test(slots_next_fit),
	    cmocka_unit_test(slots_claim),
	    cmocka_unit_test(slots_none),
	    cmocka_unit_test_setup_teardown(map_full_and_reuse_clears, setup, teardown),
	    cmocka_unit_test_setup_teardown(failed_add_gives_slot_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(restart_keeps_slots, setup, teardown),
	    cmocka_unit_test_setup_teardown(restart_keeps_slots_batched, setup, teardown),
	    cmocka_unit_test_setup_teardown(restart_on_smaller_map, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
