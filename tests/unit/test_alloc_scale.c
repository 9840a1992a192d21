// SPDX-License-Identifier: BSD-2-Clause
/*
 * Scale: 100k clients, each with an IKE port, an SPI block and a single SPI,
 * on a pool of several Nb; then everything freed and held back, then gone.
 * Memory must follow what is allocated and every step stays cheap (no scan
 * of the 2^32 SPI space). No timing assertion: the suite's own time limit
 * is the judge.
 */
#include "alloc_fixture.h"

enum { CLIENTS = 100000, K = 4 };

struct client {
	uint32_t id;
	int nb;
	uint16_t port;
	uint32_t run[K], single, block;
};

static int cmp_u32(const void *x, const void *y)
{
	uint32_t p = *(const uint32_t *)x, q = *(const uint32_t *)y;

	return p < q ? -1 : p > q;
}

static int nb_of(struct fx *f, struct in_addr a)
{
	for (int i = 0; i < 4; i++)
		if (f->nb[i].s_addr == a.s_addr)
			return i;
	return -1;
}

static void test_100k_clients(void **state)
{
	struct fx f;
	struct client *c = calloc(CLIENTS, sizeof(*c));
	struct alloc_usage u;
	struct in_addr got;
	bool hb;
	int per_nb[4] = {0};

	assert_non_null(c);
	fx_init(&f, 4);
	fx_start(&f);
	for (int i = 0; i < CLIENTS; i++) {
		struct alloc_txn *t;

		c[i].id = alloc_client_id(f.a);
		assert_int_not_equal(c[i].id, 0);
		assert_int_equal(alloc_addr_shared(f.a, c[i].id, (struct in_addr){0}, 1, K, &got),
				 0);
		c[i].nb = nb_of(&f, got);
		per_nb[c[i].nb]++;
		t = alloc_txn_begin(f.a);
		assert_int_equal(alloc_ports_any(t, c[i].id, got, 1, &c[i].port), 0);
		assert_int_equal(alloc_spi_any(t, c[i].id, got, K, c[i].run, &hb, &c[i].block), 0);
		assert_true(hb);
		assert_int_equal(alloc_spi_any(t, c[i].id, got, 1, &c[i].single, &hb, &c[i].block),
				 0);
		alloc_txn_commit(t);
		c[i].block = c[i].run[0] >> 8;
	}
	/* Least loaded: the clients spread evenly over the four Nb. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(per_nb[i], CLIENTS / 4);
	alloc_usage(f.a, &u);
	assert_int_equal(u.ports_used, CLIENTS);
	assert_int_equal(u.spis_used, (uint64_t)CLIENTS * (K + 1));
	assert_int_equal(u.blocks_owned, CLIENTS);
	assert_int_equal(u.client_ids, CLIENTS);
	assert_int_equal(alloc_selfcheck(f.a), 0);
	/* Each block belongs to its client alone. */
	for (int i = 0; i < CLIENTS; i += 97)
		assert_int_equal(alloc_spi_block_owner(f.a, f.nb[c[i].nb], c[i].block), c[i].id);

	for (int i = 0; i < CLIENTS; i++) {
		uint32_t freed[K];

		alloc_ports_release(f.a, c[i].id, f.nb[c[i].nb], &c[i].port, 1);
		alloc_spi_release(f.a, c[i].id, f.nb[c[i].nb], &c[i].single, 1);
		assert_int_equal(
		    alloc_spi_release_blocks(f.a, c[i].id, f.nb[c[i].nb], c[i].run, K, freed, K),
		    1);
		assert_int_equal(freed[0], c[i].block);
		alloc_client_id_release(f.a, c[i].id);
	}
	alloc_usage(f.a, &u);
	assert_int_equal(u.ports_used + u.spis_used + u.blocks_owned + u.client_ids, 0);
	assert_int_equal(u.ports_held, CLIENTS);
	assert_int_equal(u.blocks_held, CLIENTS);
	assert_int_equal(alloc_selfcheck(f.a), 0);
	f.now += FX_HOLD;
	alloc_expire(f.a);
	alloc_usage(f.a, &u);
	assert_int_equal(u.ports_held + u.spis_held + u.blocks_held, 0);
	fx_stop(&f);
	free(c);
}

/* One Nb, 100k owners with one block each: random block picks stay cheap
 * and never collide. */
static void test_100k_blocks_one_nb(void **state)
{
	struct fx f;
	uint32_t s[2], *blk = calloc(CLIENTS, sizeof(*blk));
	bool hb;

	assert_non_null(blk);
	fx_init(&f, 1);
	fx_start(&f);
	for (uint32_t o = 1; o <= CLIENTS; o++) {
		assert_int_equal(fx_spi_any(&f, o, 0, 2, s, &hb, &blk[o - 1]), 0);
		assert_int_equal(s[0] & 0xff, 0);
		assert_int_equal(s[0] >> 8, blk[o - 1]);
	}
	assert_int_equal(fx_usage(&f).blocks_owned, CLIENTS);
	/* No two owners share a block. */
	qsort(blk, CLIENTS, sizeof(*blk), cmp_u32);
	for (int i = 1; i < CLIENTS; i++)
		assert_true(blk[i] != blk[i - 1]);
	free(blk);
	assert_int_equal(alloc_selfcheck(f.a), 0);
	fx_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_100k_clients),
	    cmocka_unit_test(test_100k_blocks_one_nb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
