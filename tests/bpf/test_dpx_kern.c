// SPDX-License-Identifier: BSD-2-Clause
/*
 * dpx on the kernel's maps (what the unit test's in-memory maps cannot
 * show): a full BPF hash map reports -E2BIG, which dpx turns into -ENOSPC
 * with nothing left behind; re-adding live state after a restart writes
 * nothing and keeps the programs' counters; the programs' view agrees.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>

#include "../lib/bpf_scenario.h"
#include "../lib/rec_build.h"
#include "rsip/spi_dir.h"
#include "rsip/wire.h"

#define XDP_DROP     1
#define XDP_PASS     2
#define XDP_REDIRECT 4

static size_t map_count(int fd, unsigned int klen)
{
	uint8_t key[16], next[16];
	size_t n = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, klen);
		prev = key;
		n++;
	}
	return n;
}

static struct rec_buf ports_binding(const uint16_t *ports, uint16_t n)
{
	struct in_addr xa = {.s_addr = ip4(CL_A.xa)}, nb = {.s_addr = ip4(FX_NB1)};
	struct rec_buf b = rec_make(CL_A.client_id, 900, xa, nb, RSIP_METHOD_RSAP_IP);

	rec_set_ports(&b, ports, n);
	return b;
}

static void full_map_is_enospc(void **state)
{
	static const uint16_t six[] = {100, 101, 102, 103, 104, 105};
	struct bpf_fx_opts o = {.ports_size = 4};
	struct dp_client a = {.client_id = CL_A.client_id};
	struct rec_buf b = ports_binding(six, 6);
	struct bpf_fx fx;
	struct pkt in, out;

	assert_int_equal(bpf_fx_load(&fx, &o), 0);
	a.xa.s_addr = ip4(CL_A.xa);
	assert_int_equal(dpx_nb_add(fx.x, b.r.nb), 0);
	assert_int_equal(dpx_client_add(fx.x, &a), 0);
	assert_int_equal(dpx_client_set_link(fx.x, a.xa, CL_A.mac, fx.lan_if), 0);
	assert_int_equal(dpx_binding_add(fx.x, &b.r), -ENOSPC);
	assert_int_equal(map_count(fx.m.ports, sizeof(struct rsip_port_key)), 0);
	/* The program sees no port 100 and the client leased no tunnel. */
	pkt_init(&in);
	pkt_zeros(&in, 8);
	pkt_udp(&in, 53, 100);
	wan_frame(&in, FX_PEER, FX_NB1, 17);
	assert_int_equal(bpf_fx_run(&fx, fx.wan_prog, fx.wan_if, &in, &out), XDP_PASS);
	{
		struct rsip_client cv;

		assert_int_equal(bpf_map_lookup_elem(fx.m.clients, &a.xa.s_addr, &cv), 0);
		assert_int_equal(cv.tunnels, 0);
	}
	/* Four fit. */
	b.r.nports = 4;
	assert_int_equal(dpx_binding_add(fx.x, &b.r), 0);
	assert_int_equal(map_count(fx.m.ports, sizeof(struct rsip_port_key)), 4);
	assert_int_equal(bpf_fx_run(&fx, fx.wan_prog, fx.wan_if, &in, &out), XDP_REDIRECT);
	bpf_fx_destroy(&fx);
}

static void restore_keeps_live_entries(void **state)
{
	static const uint16_t two[] = {200, 201};
	struct dp_client a = {.client_id = CL_A.client_id};
	struct rec_buf b = ports_binding(two, 2);
	struct dpx_config cfg = {.spi_block_shift = FX_SHIFT, .cookie_cap = 16};
	struct dp_binding_stats s;
	struct bpf_fx fx;
	struct pkt in, out;
	struct dpx *again;

	assert_int_equal(bpf_fx_load(&fx, NULL), 0);
	a.xa.s_addr = ip4(CL_A.xa);
	assert_int_equal(dpx_nb_add(fx.x, b.r.nb), 0);
	assert_int_equal(dpx_client_add(fx.x, &a), 0);
	assert_int_equal(dpx_client_set_link(fx.x, a.xa, CL_A.mac, fx.lan_if), 0);
	assert_int_equal(dpx_binding_add(fx.x, &b.r), 0);
	pkt_init(&in);
	pkt_zeros(&in, 8);
	pkt_udp(&in, 53, 201);
	wan_frame(&in, FX_PEER, FX_NB1, 17);
	for (int i = 0; i < 3; i++)
		assert_int_equal(bpf_fx_run(&fx, fx.wan_prog, fx.wan_if, &in, &out), XDP_REDIRECT);

	/* A second mirror on the same maps, as after an rsipd restart. */
	again = dpx_new(&fx.m, &cfg);
	assert_non_null(again);
	dpx_restore_begin(again);
	assert_int_equal(dpx_nb_add(again, b.r.nb), 0);
	assert_int_equal(dpx_client_add(again, &a), 0); /* adopts the MAC */
	assert_int_equal(dpx_binding_add(again, &b.r), 0);
	assert_int_equal(dpx_restore_end(again), 0);
	assert_int_equal(dpx_binding_stats(again, &b.r, &s), 0);
	assert_int_equal(s.packets_in, 3);
	assert_int_equal(bpf_fx_run(&fx, fx.wan_prog, fx.wan_if, &in, &out), XDP_REDIRECT);
	assert_memory_equal(out.b, CL_A.mac, 6);
	dpx_free(again);
	bpf_fx_destroy(&fx);
}

/* An SPI block binding on Nb1 whose block has slot `slot` of the
 * directory (key DIR_KEY). */
#define DIR_KEY	  0x0f1e2d3c4b5a6978ull
#define DIR_SLOTS 256
static struct rec_buf dir_binding(uint32_t cid, uint32_t bid, const char *xa, uint32_t slot)
{
	struct in_addr x = {.s_addr = ip4(xa)}, nb = {.s_addr = ip4(FX_NB1)};
	struct rec_buf b = rec_make(cid, bid, x, nb, RSIP_METHOD_RSIPSEC);
	uint32_t block = rsip_spi_dir_block(slot, DIR_KEY, 32 - FX_SHIFT);
	uint32_t spis[2] = {block << FX_SHIFT, (block << FX_SHIFT) + 1};

	rec_set_spis(&b, spis, 2);
	b.r.has_spi_block = true;
	b.r.spi_block = block;
	return b;
}

static int esp_to_slot(struct bpf_fx *fx, uint32_t slot, struct pkt *out)
{
	struct pkt in;

	pkt_init(&in);
	pkt_esp(&in, rsip_spi_dir_block(slot, DIR_KEY, 32 - FX_SHIFT) << FX_SHIFT | 0x42, 1);
	wan_frame(&in, FX_PEER, FX_NB1, IPPROTO_ESP);
	return bpf_fx_run(fx, fx->wan_prog, fx->wan_if, &in, out);
}

/* The SPI directory across a restart: a restored block keeps its slot and
 * its counters; a slot no restored binding claims is emptied (an array
 * entry cannot be deleted: it is written with zeros), and its SPIs are
 * dropped again. */
static void restore_spi_directory(void **state)
{
	struct bpf_fx_opts o = {
	    .spi_dir_slots = DIR_SLOTS, .spi_dir_per_nb = DIR_SLOTS, .spi_key = DIR_KEY};
	struct dp_client a = {.client_id = CL_A.client_id}, b = {.client_id = CL_B.client_id};
	struct rec_buf ba = dir_binding(CL_A.client_id, 910, CL_A.xa, 7);
	struct rec_buf bb = dir_binding(CL_B.client_id, 911, CL_B.xa, 200);
	struct dpx_config cfg = {.spi_block_shift = FX_SHIFT, .cookie_cap = 16};
	struct dp_binding_stats s;
	struct rsip_dir_val v;
	struct bpf_fx fx;
	struct pkt out;
	struct dpx *again;
	uint32_t k;

	assert_int_equal(bpf_fx_load(&fx, &o), 0);
	cfg.spi_dir = fx.spi_dir;
	a.xa.s_addr = ip4(CL_A.xa);
	b.xa.s_addr = ip4(CL_B.xa);
	assert_int_equal(dpx_nb_add(fx.x, ba.r.nb), 0);
	assert_int_equal(dpx_client_add(fx.x, &a), 0);
	assert_int_equal(dpx_client_set_link(fx.x, a.xa, CL_A.mac, fx.lan_if), 0);
	assert_int_equal(dpx_binding_add(fx.x, &ba.r), 0);
	assert_int_equal(dpx_client_add(fx.x, &b), 0);
	assert_int_equal(dpx_client_set_link(fx.x, b.xa, CL_B.mac, fx.lan_if), 0);
	assert_int_equal(dpx_binding_add(fx.x, &bb.r), 0);
	k = 7;
	assert_int_equal(bpf_map_lookup_elem(fx.m.spi_dir, &k, &v), 0);
	assert_int_equal(v.nb, ip4(FX_NB1));
	assert_int_equal(v.id, ba.r.spi_block);
	assert_int_equal(v.t.bind_id, 910);
	assert_int_equal(map_count(fx.m.spi_blk, sizeof(struct rsip_blk_key)), 0);
	assert_int_equal(map_count(fx.m.spi, sizeof(struct rsip_spi_key)), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(esp_to_slot(&fx, 7, &out), XDP_REDIRECT);
	assert_int_equal(esp_to_slot(&fx, 200, &out), XDP_REDIRECT);
	assert_int_equal(esp_to_slot(&fx, 100, &out), XDP_DROP); /* an empty slot */

	/* Restart: only A comes back. */
	again = dpx_new(&fx.m, &cfg);
	assert_non_null(again);
	dpx_restore_begin(again);
	assert_int_equal(dpx_nb_add(again, ba.r.nb), 0);
	assert_int_equal(dpx_client_add(again, &a), 0);
	assert_int_equal(dpx_binding_add(again, &ba.r), 0);
	assert_true(dpx_restore_end(again) >= 1); /* B's slot, B's client entry */
	assert_int_equal(dpx_binding_stats(again, &ba.r, &s), 0);
	assert_int_equal(s.packets_in, 3);
	assert_int_equal(esp_to_slot(&fx, 7, &out), XDP_REDIRECT);
	assert_memory_equal(out.b, CL_A.mac, 6);
	assert_int_equal(esp_to_slot(&fx, 200, &out), XDP_DROP);
	k = 200;
	assert_int_equal(bpf_map_lookup_elem(fx.m.spi_dir, &k, &v), 0);
	assert_int_equal(v.nb, 0);
	/* Freeing A empties its slot too. */
	assert_int_equal(dpx_binding_del(again, &ba.r), 0);
	assert_int_equal(esp_to_slot(&fx, 7, &out), XDP_DROP);
	k = 7;
	assert_int_equal(bpf_map_lookup_elem(fx.m.spi_dir, &k, &v), 0);
	assert_int_equal(v.nb, 0);
	dpx_free(again);
	bpf_fx_destroy(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(full_map_is_enospc),
	    cmocka_unit_test(restore_keeps_live_entries),
	    cmocka_unit_test(restore_spi_directory),
	};

	bpf_fx_enter_netns();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
