// SPDX-License-Identifier: BSD-2-Clause
/* rsipctl's human and JSON rendering (user/lib/ctl_render.c), on data shaped
 * like the daemon's (brief ctl-protocol). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ctl_render.h"

/* Render json_text through ctl_render (or ctl_render_json) into a string. */
static char *render(const char *json_text, int as_json)
{
	struct json_object *data = json_tokener_parse(json_text);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (strcmp(json_text, "null"))
		assert_non_null(data);
	assert_int_equal(as_json ? ctl_render_json(f, data) : ctl_render(f, data), 0);
	assert_int_equal(fclose(f), 0);
	json_object_put(data);
	return buf;
}

static void expect(const char *json_text, const char *want)
{
	char *got = render(json_text, 0);

	if (strcmp(got, want))
		fprintf(stderr, "---- want:\n%s---- got:\n%s----\n", want, got);
	assert_string_equal(got, want);
	free(got);
}

static void test_table_columns_in_daemon_order(void **state)
{
	/* Columns follow the daemon's key order, not alphabetical; numbers are
	 * right-aligned, strings left-aligned, the last column unpadded. */
	expect("[{\"client_id\":305419896,\"address\":\"10.0.0.2\",\"transport\":\"udp\","
	       "\"bindings\":2,\"lease_remaining_s\":597,\"registered_s_ago\":3},"
	       "{\"client_id\":7,\"address\":\"10.0.0.123\",\"transport\":\"tcp\","
	       "\"bindings\":10,\"lease_remaining_s\":1,\"registered_s_ago\":1200}]",
	       "client_id  address     transport  bindings  lease_remaining_s  registered_s_ago\n"
	       "305419896  10.0.0.2    udp               2                597                 3\n"
	       "        7  10.0.0.123  tcp              10                  1              1200\n");
}

static void test_bindings_table(void **state)
{
	/* Empty strings stay empty cells; the last (string) column has no
	 * trailing blanks. */
	expect("[{\"bind_id\":1,\"client_id\":7,\"method\":\"RSIPSEC\",\"ports\":\"\","
	       "\"spis\":\"0x1000-0x1003\",\"remote\":\"any\"},"
	       "{\"bind_id\":22,\"client_id\":7,\"method\":\"RSAP-IP\","
	       "\"ports\":\"10000-10003\",\"spis\":\"\",\"remote\":\"198.51.100.5:80\"}]",
	       "bind_id  client_id  method   ports        spis           remote\n"
	       "      1          7  RSIPSEC               0x1000-0x1003  any\n"
	       "     22          7  RSAP-IP  10000-10003                 198.51.100.5:80\n");
}

static void test_table_missing_and_extra_keys(void **state)
{
	/* A row without a key shows "-"; a key only a later row has becomes a
	 * column after the others; a mixed column is left-aligned. */
	expect("[{\"a\":1,\"b\":\"x\"},{\"b\":\"yy\",\"c\":true},{\"a\":\"s\",\"b\":null}]",
	       "a  b   c\n"
	       "1  x   -\n"
	       "-  yy  true\n"
	       "s  -   -\n");
}

static void test_object_key_value_nested(void **state)
{
	expect("{\"version\":\"0.1\",\"listen\":\"127.0.0.1:4555\","
	       "\"transports\":[\"tcp\",\"udp\"],\"uptime_s\":12,"
	       "\"public\":[\"192.0.2.1\",\"192.0.2.2\"],\"empty\":[],"
	       "\"alloc\":{\"ports_used\":4,\"spis_used\":0,\"deeper\":{\"x\":1}}}",
	       "version: 0.1\n"
	       "listen: 127.0.0.1:4555\n"
	       "transports: tcp,udp\n"
	       "uptime_s: 12\n"
	       "public: 192.0.2.1,192.0.2.2\n"
	       "empty: (none)\n"
	       "alloc:\n"
	       "  ports_used: 4\n"
	       "  spis_used: 0\n"
	       "  deeper:\n"
	       "    x: 1\n");
}

static void test_status_with_tc(void **state)
{
	/* rsipd --attach tc: status says how the TC programs came and what
	 * start-up did with the filter on each device, after the XDP programs'
	 * line (user/rsipd/ctl/commands.c). */
	expect("{\"dataplane\":\"xdp\",\"programs\":\"reused (same object and config)\","
	       "\"tc\":{\"programs\":\"loaded (the record lists other programs)\","
	       "\"filters\":{\"wan0\":\"kept\",\"lan0\":\"replaced in place\"}},"
	       "\"uptime_s\":3}",
	       "dataplane: xdp\n"
	       "programs: reused (same object and config)\n"
	       "tc:\n"
	       "  programs: loaded (the record lists other programs)\n"
	       "  filters:\n"
	       "    wan0: kept\n"
	       "    lan0: replaced in place\n"
	       "uptime_s: 3\n");
}

static void test_counters_with_error_map(void **state)
{
	expect("{\"rsip\":{\"messages_in\":10,\"errors\":{\"301 REGISTER_FIRST\":2,"
	       "\"403 IPSEC_SPI_INUSE\":1}},\"dataplane\":{}}",
	       "rsip:\n"
	       "  messages_in: 10\n"
	       "  errors:\n"
	       "    301 REGISTER_FIRST: 2\n"
	       "    403 IPSEC_SPI_INUSE: 1\n"
	       "dataplane: (none)\n");
}

static void test_table_inside_object(void **state)
{
	expect("{\"n\":2,\"rows\":[{\"k\":\"a\",\"v\":1},{\"k\":\"bbb\",\"v\":100}]}",
	       "n: 2\n"
	       "rows:\n"
	       "  k      v\n"
	       "  a      1\n"
	       "  bbb  100\n");
}

static void test_empty_and_scalars(void **state)
{
	expect("[]", "(none)\n");
	expect("{}", "(none)\n");
	expect("null", "");
	expect("42", "42\n");
	expect("\"done\"", "done\n");
	expect("[1,\"two\",3]", "1\ntwo\n3\n");
	/* Cells holding deeper structure fall back to compact JSON. */
	expect("[{\"a\":{\"b\":1},\"c\":[{\"d\":2}]}]", "a        c\n{\"b\":1}  [{\"d\":2}]\n");
}

static void test_control_characters_replaced(void **state)
{
	/* The daemon's strings never drive the terminal: ESC, CR, NL, DEL. */
	expect("{\"na\\u001bme\":\"a\\r\\nb\\u007fc\"}", "na?me: a??b?c\n");
	expect("[{\"x\":\"\\u001b[31mred\"}]", "x\n?[31mred\n");
}

static void test_json_output(void **state)
{
	char *got = render("{\"a\":[1,2],\"b\":\"/run/x\",\"c\":{\"d\":null}}", 1);

	/* One line, keys in order, slashes not escaped, parseable again. */
	assert_string_equal(got, "{\"a\":[1,2],\"b\":\"/run/x\",\"c\":{\"d\":null}}\n");
	free(got);
	got = render("null", 1);
	assert_string_equal(got, "null\n");
	free(got);
}

static void test_big_unsigned_counter(void **state)
{
	/* Counters are 64-bit unsigned in the daemon: printed exactly. */
	expect("{\"bytes_in\":18446744073709551615}", "bytes_in: 18446744073709551615\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_columns_in_daemon_order),
	    cmocka_unit_test(test_bindings_table),
	    cmocka_unit_test(test_table_missing_and_extra_keys),
	    cmocka_unit_test(test_object_key_value_nested),
	    cmocka_unit_test(test_status_with_tc),
	    cmocka_unit_test(test_counters_with_error_map),
	    cmocka_unit_test(test_table_inside_object),
	    cmocka_unit_test(test_empty_and_scalars),
	    cmocka_unit_test(test_control_characters_replaced),
	    cmocka_unit_test(test_json_output),
	    cmocka_unit_test(test_big_unsigned_counter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
