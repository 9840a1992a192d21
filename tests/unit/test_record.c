// SPDX-License-Identifier: BSD-2-Clause
/*
 * A host's record read into typed fields and written back (engine/record.c):
 * the values and types it reads, what makes a record invalid (syntax, a key
 * twice, a known key of the wrong type, an escape in a known string,
 * trailing bytes, nesting deeper than the bound, an integer beyond 64 bits)
 * and what only makes one binding invalid; the writer's integers at the
 * int64 limits read back exactly; and the record rsipd writes survives a
 * restore into another engine (the store's restart path).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/record.h"
#include "../lib/engine_harness.h"

#define ARGS  "--listen 10.0.0.1 --public 192.0.2.1 --allow 10.0.0.0/24 --lease 600"
#define WALL0 1700000000000ull

static int parse(struct rec_client *r, const char *s)
{
	return rec_parse(r, s, strlen(s));
}

static void test_values(void **state)
{
	struct rec_client r = {0};
	const char *doc =
	    " {\"client_id\":7,\"xa\":\"10.0.0.5\",\"transport\":\"udp\",\"future\":{\"a\":[1,"
	    "2.5e3,null,true,\"x\\u00e9\"]},\"expires_ms\":-9223372036854775808,"
	    "\"bindings\":[{\"bind_id\":9,\"ports\":[1024,1025],\"spis\":[],"
	    "\"has_spi_block\":true,\"nb\":\"192.0.2.1\"},5,{}]} \n";

	assert_int_equal(parse(&r, doc), 0);
	assert_true(rec_has(r.have, RC_CLIENT_ID));
	assert_int_equal(r.v[RC_CLIENT_ID], 7);
	assert_true(r.v[RC_EXPIRES_MS] == INT64_MIN);
	assert_false(rec_has(r.have, RC_UDP_PORT));
	assert_int_equal(r.xa.n, 8);
	assert_memory_equal(r.xa.p, "10.0.0.5", 8);
	assert_int_equal(r.nb, 3);
	assert_false(r.b[0].bad);
	assert_int_equal(r.b[0].v[RB_BIND_ID], 9);
	assert_int_equal(r.b[0].ports.n, 2);
	assert_int_equal(r.pool[r.b[0].ports.off + 1], 1025);
	assert_int_equal(r.b[0].spis.n, 0);
	assert_true(r.b[0].has_spi_block);
	assert_true(r.b[1].bad); /* not an object */
	assert_false(r.b[2].bad);
	assert_int_equal(r.b[2].have, 0);

	/* Reused: nothing of the last record stays. */
	assert_int_equal(parse(&r, "{\"client_id\":1}"), 0);
	assert_int_equal(r.nb, 0);
	assert_false(rec_has(r.have, RC_XA));
	rec_free(&r);
}

static void test_invalid(void **state)
{
	static const char *bad[] = {
	    "",
	    "[]",
	    "{",
	    "{\"client_id\":1,}",
	    "{\"client_id\":1} x",
	    "{\"client_id\":1}{}",
	    "{\"client_id\":1,\"client_id\":2}",   /* twice */
	    "{\"client_id\":\"1\"}",		   /* wrong type */
	    "{\"client_id\":1.0}",		   /* not an integer */
	    "{\"client_id\":9223372036854775808}", /* beyond int64 */
	    "{\"client_id\":-9223372036854775809}",
	    "{\"client_id\":01}",
	    "{\"client_id\":-}",
	    "{\"xa\":\"10.0.0.\\u0035\"}", /* escape in a known string */
	    "{\"bindings\":{}}",
	    "{\"bindings\":[{\"ports\":[1,]}]}",
	    "{\"x\":\"\\q\"}",
	    "{\"x\":\"a\nb\"}", /* control character */
	    "{\"x\":tru}",
	    "{\"x\":\"unterminated}",
	    "{\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
	    "]}",
	};
	struct rec_client r = {0};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(&r, bad[i]) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
	}
	/* The bound counts the nesting, not the length. */
	assert_int_equal(parse(&r, "{\"x\":[[[[[[[[[[1]]]]]]]]]]}"), 0);
	/* Not NUL-terminated: the length is the end. */
	assert_int_equal(rec_parse(&r, "{\"client_id\":12}garbage", 16), 0);
	assert_int_equal(r.v[RC_CLIENT_ID], 12);
	assert_int_equal(rec_parse(&r, "{\"client_id\":12}", 15), -EINVAL);
	rec_free(&r);
}

static void test_bad_binding_alone(void **state)
{
	static const char *bad[] = {
	    "{\"bindings\":[{\"bind_id\":1,\"bind_id\":2}]}",
	    "{\"bindings\":[{\"bind_id\":\"1\"}]}",
	    "{\"bindings\":[{\"ports\":[1,\"2\"]}]}",
	    "{\"bindings\":[{\"ports\":[1,2.5]}]}",
	    "{\"bindings\":[{\"has_spi_block\":1}]}",
	    "{\"bindings\":[{\"nb\":\"1.2.3.\\u0034\"}]}",
	    "{\"bindings\":[[1,2]]}",
	};
	struct rec_client r = {0};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(&r, bad[i]) != 0 || r.nb != 1 || !r.b[0].bad)
			fail_msg("not a bad binding: %s", bad[i]);
	}
	rec_free(&r);
}

static void test_writer_limits(void **state)
{
	static const int64_t vals[] = {0, 1, -1, 4555, INT64_MAX, INT64_MIN, INT64_MIN + 1};
	struct rec_out o = {0};
	struct rec_client r = {0};

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		rec_out_reset(&o);
		rec_put_int(&o, "{\"expires_ms\":", vals[i]);
		rec_put_str(&o, ",\"xa\":", "10.0.0.9");
		rec_put_hex(&o, ",\"last_reply\":", (const uint8_t *)"\x01\xab", 2);
		rec_put(&o, "}");
		assert_false(o.oom);
		assert_int_equal(rec_parse(&r, o.p, o.len), 0);
		assert_true(r.v[RC_EXPIRES_MS] == vals[i]);
		assert_int_equal(r.last_reply.n, 4);
		assert_memory_equal(r.last_reply.p, "01ab", 4);
	}
	rec_out_free(&o);
	rec_free(&r);
}

/* A host with a binding and a cached reply, written by one engine and
 * restored by another from the text alone. */
static void test_engine_round_trip(void **state)
{
	struct harness *h = h_new(ARGS), *h2 = h_new(ARGS);
	struct engine_src x = h_udp("10.0.0.5", 4555);
	const char *text;
	char err[256], *copy;
	size_t len;
	uint32_t cid, bid;

	cid = h_register(h, &x, 1);
	bid = h_assign_ports(h, &x, cid, 2, 2);
	assert_int_not_equal(bid, 0);
	assert_int_equal(engine_state_client_text(h->e, cid, WALL0, &text, &len), 1);
	assert_int_equal(strlen(text), len);
	assert_non_null(strstr(text, "\"last_reply\":\""));
	copy = strdup(text);
	assert_int_equal(
	    engine_state_restore_client_text(h2->e, copy, len, WALL0, err, sizeof(err)), 0);
	assert_int_equal(engine_n_clients(h2->e), 1);
	assert_int_equal(engine_n_bindings(h2->e), 1);
	/* Written again, the restored host's record is the same text. */
	assert_int_equal(engine_state_client_text(h2->e, cid, WALL0, &text, &len), 1);
	assert_string_equal(text, copy);
	assert_int_equal(engine_state_client_text(h2->e, cid + 1, WALL0, &text, &len), 0);
	free(copy);
	h_free(h);
	h_free(h2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_bad_binding_alone),
	    cmocka_unit_test(test_writer_limits),
	    cmocka_unit_test(test_engine_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
