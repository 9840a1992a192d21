// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsipd engine in a cluster (docs/cluster.md): a standby's engine is passive
 * (no answer, no expiry, no unsolicited message) and follows the active
 * one's records through engine_state_update_client: new bindings restored,
 * gone ones ended, the others updated in place (even when the active
 * gateway freed and re-lent in between: no hold-back conflict), and
 * engine_drop_client takes a host away without a word.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "../lib/engine_harness.h"

#define ARGS "--listen 10.0.0.1 --public 192.0.2.1 --lease 600 --lease-min 30"
#define WALL 1700000000000ull

/* Copy host id's record from the active engine a to the standby b. */
static int mirror(struct harness *a, struct harness *b, uint32_t id)
{
	struct json_object *o = engine_state_client(a->e, id, WALL);
	char err[256];
	int rc;

	assert_non_null(o);
	rc = engine_state_update_client(b->e, o, WALL, err, sizeof(err));
	if (rc)
		fprintf(stderr, "update: %s\n", err);
	json_object_put(o);
	return rc;
}

struct seen {
	uint32_t bind[8];
	uint16_t port[8];
	uint64_t expires[8];
	size_t n;
};

static void collect(const struct binding_rec *r, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8) {
		s->bind[s->n] = r->bind_id;
		s->port[s->n] = r->nports ? binding_ports(r)[0] : 0;
		s->expires[s->n] = r->expires_ms;
		s->n++;
	}
}

static struct seen bindings(struct harness *h)
{
	struct seen s = {0};

	engine_foreach_binding(h->e, 0, collect, &s);
	return s;
}

static void free_binding(struct harness *h, const struct engine_src *x, uint32_t id, uint32_t bind,
			 uint32_t counter)
{
	struct raw r;

	raw_begin(&r, RSIP_FREE_REQUEST);
	raw_u32(&r, RSIP_P_CLIENT_ID, id);
	raw_u32(&r, RSIP_P_BIND_ID, bind);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, counter);
	h_send(h, x, &r);
}

static void test_update_in_place(void **state)
{
	struct harness *a = h_new(ARGS), *b = h_new(ARGS);
	struct engine_src x = h_udp("10.0.0.2", 40000);
	uint32_t id = h_register(a, &x, 1);
	uint32_t b1 = h_assign_ports(a, &x, id, 2, 2), b2 = h_assign_ports(a, &x, id, 2, 3), b3;
	struct seen sa, sb;

	engine_set_passive(b->e, true);
	assert_int_equal(mirror(a, b, id), 0);
	sa = bindings(a);
	sb = bindings(b);
	assert_int_equal(sb.n, 2);
	assert_memory_equal(sa.bind, sb.bind, sizeof(sa.bind));
	assert_memory_equal(sa.port, sb.port, sizeof(sa.port));

	/* The active frees b1 and lends b3: the standby follows, and b2, which
	 * did not change, is updated in place. */
	free_binding(a, &x, id, b1, 4);
	b3 = h_assign_ports(a, &x, id, 1, 5);
	assert_int_equal(mirror(a, b, id), 0);
	sa = bindings(a);
	sb = bindings(b);
	assert_int_equal(sb.n, 2);
	assert_memory_equal(sa.bind, sb.bind, sizeof(sa.bind));
	assert_memory_equal(sa.port, sb.port, sizeof(sa.port));
	assert_true(sb.bind[0] == b3 || sb.bind[1] == b3);
	assert_true(sb.bind[0] == b2 || sb.bind[1] == b2);
	/* The same record again changes nothing. */
	assert_int_equal(mirror(a, b, id), 0);
	assert_int_equal(engine_n_bindings(b->e), 2);
	assert_int_equal(engine_n_clients(b->e), 1);

	/* A host taken away by the mirror hears nothing. */
	size_t sent = b->n_sent;

	assert_int_equal(engine_drop_client(b->e, id), 0);
	assert_int_equal(engine_n_clients(b->e), 0);
	assert_int_equal(engine_n_bindings(b->e), 0);
	assert_int_equal(b->n_sent, sent);
	assert_int_equal(engine_drop_client(b->e, id), -ENOENT);
	h_free(a);
	h_free(b);
}

static void test_passive(void **state)
{
	struct harness *a = h_new(ARGS), *b = h_new(ARGS);
	struct engine_src x = h_udp("10.0.0.2", 40000), y = h_udp("10.0.0.3", 40000);
	uint32_t id = h_register(a, &x, 1);
	struct raw r;

	h_assign_ports(a, &x, id, 1, 2);
	engine_set_passive(b->e, true);
	assert_true(engine_is_passive(b->e));
	assert_int_equal(mirror(a, b, id), 0);

	/* A standby answers nothing. */
	raw_begin(&r, RSIP_REGISTER_REQUEST);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 1);
	assert_int_equal(h_send(b, &y, &r), ENGINE_OK);
	assert_int_equal(b->n_sent, 0);
	assert_int_equal(engine_counters(b->e)->passive_dropped, 1);
	assert_int_equal(engine_n_clients(b->e), 1);

	/* Over TCP it closes the stream instead: the host never resends
	 * there, so its request fails now and is asked again elsewhere. */
	{
		struct engine_src t = h_tcp("10.0.0.3", 40001, 9);

		raw_begin(&r, RSIP_REGISTER_REQUEST);
		raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 2);
		assert_int_equal(h_send(b, &t, &r), ENGINE_CLOSE);
		assert_int_equal(b->n_sent, 0);
		assert_int_equal(engine_counters(b->e)->passive_dropped, 2);
		assert_int_equal(engine_n_clients(b->e), 1);
	}

	/* Nor does it end leases: the active gateway does, once. */
	b->now += 601 * 1000;
	engine_tick(b->e);
	assert_int_equal(engine_n_bindings(b->e), 1);
	assert_int_equal(b->n_sent, 0);

	/* Active again (a takeover): what fell due expires now, with its
	 * unsolicited messages. */
	engine_set_passive(b->e, false);
	engine_tick(b->e);
	assert_int_equal(engine_n_bindings(b->e), 0);
	assert_true(b->n_sent > 0);
	assert_int_equal(engine_counters(b->e)->leases_expired, 1);
	h_free(a);
	h_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_update_in_place),
	    cmocka_unit_test(test_passive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
