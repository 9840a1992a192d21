// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsipd control protocol (docs/control-protocol.md) without the socket:
 * ctl_command() on request lines, checked against the documented shapes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <string.h>

#include "ctl/ctl.h"
#include "../lib/engine_harness.h"

#define ARGS "--listen 10.0.0.1:4556 --public 192.0.2.1 --lease 600"

static struct json_object *run(struct ctl_ctx *ctx, const char *line, bool want_ok)
{
	struct json_object *res = ctl_command(ctx, line), *okv;

	assert_true(json_object_object_get_ex(res, "ok", &okv));
	if (json_object_get_boolean(okv) != want_ok)
		fprintf(stderr, "%s -> %s\n", line, json_object_to_json_string(res));
	assert_int_equal(json_object_get_boolean(okv), want_ok);
	return res;
}

static struct json_object *get(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v)) {
		fprintf(stderr, "no key %s in %s\n", k, json_object_to_json_string(o));
		fail();
	}
	return v;
}

static void test_views(void **state)
{
	struct harness *h = h_new(ARGS);
	struct ctl_ctx ctx = {.engine = h->e, .cfg = &h->cfg, .start_ms = h->now};
	struct engine_src x = h_udp("10.0.0.2", 40000);
	uint32_t id = h_register(h, &x, 1);
	struct json_object *res, *d, *row;
	struct raw r;

	h_assign_ports(h, &x, id, 4, 2);
	h_assign_rsipsec(&r, id, "any", "", "198.51.100.5", "", "00 02", 3);
	h_send(h, &x, &r);
	h->now += 10000;

	res = run(&ctx, "{\"cmd\":\"status\"}", true);
	d = get(res, "data");
	assert_string_equal(json_object_get_string(get(d, "listen")), "10.0.0.1:4556");
	assert_string_equal(json_object_get_string(get(d, "dataplane")), "none");
	assert_int_equal(json_object_get_int(get(d, "uptime_s")), 10);
	assert_int_equal(json_object_get_int(get(d, "clients")), 1);
	assert_int_equal(json_object_get_int(get(d, "bindings")), 2);
	assert_int_equal(json_object_get_int(get(d, "lease_default_s")), 600);
	assert_int_equal(json_object_array_length(get(d, "transports")), 2);
	assert_int_equal(json_object_get_int(get(get(d, "alloc"), "ports_used")), 4);
	assert_int_equal(json_object_get_int(get(get(d, "alloc"), "spis_used")), 2);
	assert_int_equal(json_object_get_int(get(get(d, "alloc"), "blocks_owned")), 1);
	json_object_put(res);

	res = run(&ctx, "{\"cmd\":\"clients\"}", true);
	d = get(res, "data");
	assert_int_equal(json_object_array_length(d), 1);
	row = json_object_array_get_idx(d, 0);
	assert_int_equal(json_object_get_int64(get(row, "client_id")), id);
	assert_string_equal(json_object_get_string(get(row, "address")), "10.0.0.2");
	assert_string_equal(json_object_get_string(get(row, "transport")), "udp");
	assert_int_equal(json_object_get_int(get(row, "bindings")), 2);
	assert_int_equal(json_object_get_int(get(row, "lease_remaining_s")), 590);
	assert_int_equal(json_object_get_int(get(row, "registered_s_ago")), 10);
	json_object_put(res);

	res = run(&ctx, "{\"cmd\":\"bindings\",\"client_id\":12345}", true);
	assert_int_equal(json_object_array_length(get(res, "data")), 0);
	json_object_put(res);
	res = run(&ctx, "{\"cmd\":\"bindings\"}", true);
	d = get(res, "data");
	assert_int_equal(json_object_array_length(d), 2);
	row = json_object_array_get_idx(d, 0);
	assert_string_equal(json_object_get_string(get(row, "method")), "RSAP-IP");
	assert_string_equal(json_object_get_string(get(row, "nb")), "192.0.2.1");
	assert_non_null(strchr(json_object_get_string(get(row, "ports")), '-'));
	assert_string_equal(json_object_get_string(get(row, "spis")), "");
	assert_string_equal(json_object_get_string(get(row, "tunnel")), "IP-IP");
	assert_string_equal(json_object_get_string(get(row, "remote")), "any");
	row = json_object_array_get_idx(d, 1);
	assert_string_equal(json_object_get_string(get(row, "method")), "RSIPSEC");
	assert_string_equal(json_object_get_string(get(row, "ports")), "");
	assert_true(strncmp(json_object_get_string(get(row, "spis")), "0x", 2) == 0);
	/* Remote policy none: the binding is not held to the peer named. */
	assert_string_equal(json_object_get_string(get(row, "remote")), "any");
	json_object_put(res);

	res = run(&ctx, "{\"cmd\":\"counters\"}", true);
	d = get(get(res, "data"), "rsip");
	assert_int_equal(json_object_get_int(get(d, "registrations")), 1);
	assert_int_equal(json_object_get_int(get(d, "assignments")), 2);
	assert_int_equal(json_object_get_int(get(get(get(res, "data"), "dataplane"), "bindings")),
			 2);
	json_object_put(res);
	h_free(h);
}

static void test_revocation_and_errors(void **state)
{
	struct harness *h = h_new(ARGS);
	struct ctl_ctx ctx = {.engine = h->e, .cfg = &h->cfg, .start_ms = h->now};
	struct engine_src x = h_udp("10.0.0.2", 40000);
	uint32_t id = h_register(h, &x, 1), bind = h_assign_ports(h, &x, id, 1, 2);
	struct json_object *res;
	char line[128];
	size_t mark = h->n_sent;

	snprintf(line, sizeof(line), "{\"cmd\":\"free\",\"bind_id\":%u}", bind);
	json_object_put(run(&ctx, line, true));
	assert_int_equal(h_reply_since(h, mark)->type, RSIP_FREE_RESPONSE);
	assert_int_equal(h->msg.counter, 0);
	json_object_put(run(&ctx, line, false)); /* gone */
	snprintf(line, sizeof(line), "{\"cmd\":\"deregister\",\"client_id\":%u}\n", id);
	json_object_put(run(&ctx, line, true));
	assert_int_equal(h_reply_since(h, mark + 1)->type, RSIP_DEREGISTER_RESPONSE);
	assert_int_equal(engine_n_clients(h->e), 0);

	res = run(&ctx, "{\"cmd\":\"reboot\"}", false);
	assert_non_null(strstr(json_object_get_string(get(res, "error")), "reboot"));
	json_object_put(res);
	json_object_put(run(&ctx, "not json", false));
	json_object_put(run(&ctx, "[1,2]", false));
	json_object_put(run(&ctx, "{\"command\":\"status\"}", false));
	res = run(&ctx, "{\"cmd\":\"free\"}", false);
	assert_non_null(strstr(json_object_get_string(get(res, "error")), "bind_id"));
	json_object_put(res);
	json_object_put(run(&ctx, "{\"cmd\":\"free\",\"bind_id\":\"7\"}", false));
	json_object_put(run(&ctx, "{\"cmd\":\"deregister\",\"client_id\":-1}", false));
	json_object_put(run(&ctx, "{\"cmd\":\"bindings\",\"client_id\":0}", false));
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_views),
	    cmocka_unit_test(test_revocation_and_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
