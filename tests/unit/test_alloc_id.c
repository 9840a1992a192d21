// SPDX-License-Identifier: BSD-2-Clause
/* Client and Bind IDs (user/rsipd/alloc_id.c): D19. */
#include <errno.h>

#include "alloc_fixture.h"

static int cmp_u32(const void *x, const void *y)
{
	uint32_t p = *(const uint32_t *)x, q = *(const uint32_t *)y;

	return p < q ? -1 : p > q;
}

static void test_random_unique(void **state)
{
	enum { N = 100000 };
	struct fx f;
	uint32_t *ids = calloc(N, sizeof(*ids));

	assert_non_null(ids);
	fx_init(&f, 1);
	fx_start(&f);
	for (int i = 0; i < N; i++) {
		ids[i] = alloc_client_id(f.a);
		assert_int_not_equal(ids[i], 0);
	}
	qsort(ids, N, sizeof(*ids), cmp_u32);
	for (int i = 1; i < N; i++)
		assert_true(ids[i] != ids[i - 1]);
	/* Spread over the whole space, not a counter. */
	assert_true(ids[0] < 0x01000000u && ids[N - 1] > 0xff000000u);
	assert_int_equal(fx_usage(&f).client_ids, N);
	assert_int_equal(fx_usage(&f).bind_ids, 0);
	fx_stop(&f);
	free(ids);
}

/* A random source stuck on one value, even 0, still yields unique
 * non-zero IDs. */
static void test_stuck_random(void **state)
{
	struct fx f;
	uint32_t ids[50];

	for (int mode = 0; mode < 2; mode++) {
		fx_init(&f, 1);
		f.rng_const = true;
		f.rng_value = mode ? 0 : UINT32_MAX - 10;
		fx_start(&f);
		for (int i = 0; i < 50; i++) {
			ids[i] = alloc_bind_id(f.a);
			assert_int_not_equal(ids[i], 0);
			for (int k = 0; k < i; k++)
				assert_int_not_equal(ids[k], ids[i]);
		}
		fx_stop(&f);
	}
}

/* A released ID is not handed out again before holdback_ms, even when the
 * random source offers it on every draw; it is afterwards. */
static void test_holdback(void **state)
{
	struct fx f;
	uint32_t x, y;

	fx_init(&f, 1);
	f.rng_const = true;
	f.rng_value = 0x1234;
	fx_start(&f);
	x = alloc_client_id(f.a);
	assert_int_equal(x, 0x1234);
	/* The two spaces are separate. */
	assert_int_equal(alloc_bind_id(f.a), 0x1234);
	alloc_client_id_release(f.a, x);
	assert_int_equal(fx_usage(&f).client_ids, 0);
	f.now += FX_HOLD - 1;
	y = alloc_client_id(f.a);
	assert_int_not_equal(y, x);
	f.now += 1;
	assert_int_equal(alloc_client_id(f.a), x);
	/* Releasing an ID that is not live changes nothing. */
	alloc_client_id_release(f.a, 0x999);
	assert_int_equal(fx_usage(&f).client_ids, 2);
	fx_stop(&f);
}

static void test_restore(void **state)
{
	struct fx f;
	uint32_t x;

	fx_init(&f, 1);
	f.rng_const = true;
	f.rng_value = 77;
	fx_start(&f);
	assert_int_equal(alloc_restore_client_id(f.a, 0), -EINVAL);
	assert_int_equal(alloc_restore_bind_id(f.a, 0), -EINVAL);
	assert_int_equal(alloc_restore_client_id(f.a, 500), 0);
	assert_int_equal(alloc_restore_client_id(f.a, 500), -EEXIST);
	assert_int_equal(alloc_restore_bind_id(f.a, 500), 0);
	/* A restored ID is live: the allocator steps around it. */
	f.rng_value = 500;
	assert_int_not_equal(alloc_client_id(f.a), 500);
	/* Restore ignores hold-back, and the old queue entry must not free
	 * the ID under its new user when it comes due. */
	x = alloc_client_id(f.a);
	alloc_client_id_release(f.a, x);
	assert_int_equal(alloc_restore_client_id(f.a, x), 0);
	f.now += FX_HOLD;
	f.rng_value = x;
	assert_int_not_equal(alloc_client_id(f.a), x);
	assert_int_equal(alloc_restore_client_id(f.a, x), -EEXIST);
	fx_stop(&f);
}

/* The set under churn: dense IDs (long probe runs), released in an order
 * unrelated to the table's, held back and expired a few at a time, so
 * removals move entries back over many runs. Every ID is where a look-up
 * finds it (alloc_selfcheck) and exactly the expired ones are free again. */
static void test_churn(void **state)
{
	enum { N = 20000 };
	struct fx f;
	uint32_t i;

	fx_init(&f, 1);
	fx_start(&f);
	for (i = 1; i <= N; i++)
		assert_int_equal(alloc_restore_client_id(f.a, i), 0);
	assert_int_equal(fx_usage(&f).client_ids, N);
	/* Release every third ID, in steps of time; the first half expires. */
	for (i = 1; i <= N; i += 3) {
		alloc_client_id_release(f.a, (i * 7919u) % N + 1);
		if (i % 300 == 1)
			f.now += 1;
	}
	f.now += FX_HOLD / 2;
	assert_int_equal(alloc_client_id(f.a) != 0, 1); /* runs the expiry */
	assert_int_equal(alloc_selfcheck(f.a), 0);
	f.now += FX_HOLD;
	assert_int_equal(alloc_client_id(f.a) != 0, 1);
	assert_int_equal(alloc_selfcheck(f.a), 0);
	/* Expired: free to restore; still live: taken. */
	for (i = 1; i <= N; i += 3) {
		uint32_t id = (i * 7919u) % N + 1;

		assert_int_equal(alloc_restore_client_id(f.a, id), 0);
	}
	for (i = 1; i <= N; i++)
		assert_int_equal(alloc_restore_client_id(f.a, i), -EEXIST);
	assert_int_equal(alloc_selfcheck(f.a), 0);
	fx_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_unique), cmocka_unit_test(test_churn),
	    cmocka_unit_test(test_stuck_random),  cmocka_unit_test(test_holdback),
	    cmocka_unit_test(test_restore),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
