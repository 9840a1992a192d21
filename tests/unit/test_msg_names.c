// SPDX-License-Identifier: BSD-2-Clause
/* Names of wire values (wire_names.c) and the one-line summary
 * rsip_msg_format (msg_format.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../lib/msg_raw.h"
#include "rsip/msg.h"
#include "rsip/wire.h"

static void test_type_predicates(void **state)
{
	unsigned int t;
	int known = 0, responses = 0;

	for (t = 0; t < 300; t++) {
		bool k = (t >= 1 && t <= 17) || t == 22 || t == 23;

		assert_int_equal(!!rsip_msg_type_known(t), k);
		assert_int_equal(!!rsip_msg_is_response(t), k && (t % 2 == 1));
		known += !!rsip_msg_type_known(t);
		responses += !!rsip_msg_is_response(t);
		if (k)
			assert_string_not_equal(rsip_msg_type_name(t), "UNKNOWN");
		else
			assert_string_equal(rsip_msg_type_name(t), "UNKNOWN");
	}
	assert_int_equal(known, 19);
	assert_int_equal(responses, 10);
}

static void test_names(void **state)
{
	static const unsigned int errors[] = {
	    101, 102, 103, 104, 105, 106, 201, 202, 203, 204, 205, 206, 207, 208, 301, 302,
	    303, 304, 305, 306, 307, 308, 309, 310, 311, 312, 313, 314, 315, 401, 402, 403,
	};
	static const unsigned int not_errors[] = {0,   99,  100, 107, 200, 209,
						  300, 316, 400, 404, 500, 65535};
	size_t i;

	assert_string_equal(rsip_msg_type_name(RSIP_DEREGISTER_REQUEST), "DE-REGISTER_REQUEST");
	assert_string_equal(rsip_msg_type_name(RSIP_ASSIGN_REQUEST_RSAP_IP),
			    "ASSIGN_REQUEST_RSAP-IP");
	assert_string_equal(rsip_msg_type_name(RSIP_ASSIGN_RESPONSE_RSIPSEC),
			    "ASSIGN_RESPONSE_RSIPSEC");
	assert_string_equal(rsip_param_name(RSIP_P_SPI), "SPI");
	assert_string_equal(rsip_param_name(RSIP_P_MESSAGE_COUNTER), "Message Counter");
	assert_string_equal(rsip_param_name(0), "UNKNOWN");
	assert_string_equal(rsip_param_name(13), "UNKNOWN");
	assert_string_equal(rsip_param_name(255), "UNKNOWN");
	for (i = 1; i <= 12; i++)
		assert_string_not_equal(rsip_param_name((unsigned int)i), "UNKNOWN");

	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		assert_string_not_equal(rsip_error_name(errors[i]), "UNKNOWN");
	for (i = 0; i < sizeof(not_errors) / sizeof(not_errors[0]); i++)
		assert_string_equal(rsip_error_name(not_errors[i]), "UNKNOWN");
	assert_string_equal(rsip_error_name(RSIP_E_IPSEC_SPI_INUSE), "IPSEC_SPI_INUSE");
	assert_string_equal(rsip_error_name(RSIP_E_MESSAGE_COUNTER_REQUIRED),
			    "MESSAGE_COUNTER_REQUIRED");
	assert_string_equal(rsip_error_name(RSIP_E_REMOTE_ADDRPORT_UNALLOWED),
			    "REMOTE_ADDRPORT_UNALLOWED");

	assert_string_equal(rsip_tunnel_name(RSIP_TUNNEL_IPIP), "IP-IP");
	assert_string_equal(rsip_tunnel_name(RSIP_TUNNEL_GRE), "GRE");
	assert_string_equal(rsip_tunnel_name(RSIP_TUNNEL_L2TP), "L2TP");
	assert_string_equal(rsip_tunnel_name(0), "UNKNOWN");
	assert_string_equal(rsip_tunnel_name(4), "UNKNOWN");
	assert_string_equal(rsip_method_name(RSIP_METHOD_RSIPSEC), "RSIPSEC");
	assert_string_equal(rsip_method_name(4), "UNKNOWN");
	assert_string_equal(rsip_flow_name(RSIP_FLOW_NONE), "none");
	assert_string_equal(rsip_flow_name(0), "UNKNOWN");
	assert_string_equal(rsip_flow_name(~0u), "UNKNOWN");
}

static struct rsip_msg m;

static void decode_hex(const char *hex)
{
	struct rsip_decode_err err;
	uint8_t b[256];
	size_t n = hex2bin(hex, b, sizeof(b));

	/* decode_exact keeps its own copy: m's views outlive b. */

	assert_int_equal(decode_exact(b, n, &m, &err), 0);
}

static void test_format(void **state)
{
	char line[256];

	decode_hex("01 16 00 29 | 04 00 04 00 00 00 07 | 01 00 01 01 | 02 00 00 | "
		   "01 00 05 01 c6 33 64 05 | 02 00 00 | 16 00 02 00 02 | 0b 00 04 00 00 00 03");
	rsip_msg_format(&m, line, sizeof(line));
	assert_string_equal(line, "ASSIGN_REQUEST_RSIPSEC client=7 counter=3 local=any4 "
				  "lports=none remote=198.51.100.5 rports=none spi=any*2");

	decode_hex("01 11 00 51 | 04 00 04 00 00 00 07 | 05 00 04 00 00 00 03 | "
		   "01 00 05 01 c0 00 02 0a | 02 00 07 03 13 88 13 89 1f 90 | 01 00 01 03 | "
		   "02 00 03 04 27 10 | 06 00 01 02 | 03 00 04 00 00 02 58 | "
		   "01 00 05 01 cb 00 71 01 | 0b 00 04 00 00 00 09 | 0c 00 06 00 01 00 02 aa bb");
	rsip_msg_format(&m, line, sizeof(line));
	assert_string_equal(line, "LISTEN_RESPONSE client=7 bind=3 counter=9 lease=600 "
				  "local=192.0.2.10 lports=5000,5001,8080 remote=any6 "
				  "rports=10000-10003 endpoint=203.0.113.1 tunnels=GRE vendor=1");

	decode_hex("01 03 00 27 | 04 00 04 00 00 00 07 | 03 00 04 00 00 02 58 | 09 00 02 02 03 | "
		   "07 00 01 02 | 07 00 01 03 | 06 00 01 01 | 06 00 01 02");
	rsip_msg_format(&m, line, sizeof(line));
	assert_string_equal(line, "REGISTER_RESPONSE client=7 lease=600 flow=micro/none "
				  "methods=RSAP-IP,RSIPSEC tunnels=IP-IP,GRE");

	decode_hex("01 0f 00 2c | 04 00 04 00 00 00 07 | 0a 00 01 01 | 01 00 05 04 68 6f 73 74 | "
		   "0a 00 02 00 02 | 01 00 05 01 0a 14 3c 00 | 01 00 05 02 ff ff ff 00");
	rsip_msg_format(&m, line, sizeof(line));
	assert_string_equal(line, "QUERY_RESPONSE client=7 tuple1=host tuple2=10.20.60.0 "
				  "mask=255.255.255.0");

	rsip_msg_error(&m, RSIP_E_IPSEC_SPI_INUSE, true, 9, false, 0, true, 4);
	rsip_msg_format(&m, line, sizeof(line));
	assert_string_equal(line, "ERROR_RESPONSE error=IPSEC_SPI_INUSE(403) bind=4 counter=9");

	rsip_msg_init(&m, RSIP_ASSIGN_RESPONSE_RSIPSEC);
	m.has = RSIP_HAS_SPI;
	m.spi.form = RSIP_SPI_RANGE;
	m.spi.number = 2;
	m.spi.first = 0x1000;
	rsip_msg_format(&m, line, sizeof(line));
	assert_string_equal(line, "ASSIGN_RESPONSE_RSIPSEC spi=0x1000-0x1001");
}

/* Any cap: NUL-terminated, a prefix of the full line, never past cap. */
static void test_format_truncation(void **state)
{
	char full[512], *out;
	size_t cap, len;

	decode_hex("01 11 00 51 | 04 00 04 00 00 00 07 | 05 00 04 00 00 00 03 | "
		   "01 00 05 01 c0 00 02 0a | 02 00 07 03 13 88 13 89 1f 90 | 01 00 01 03 | "
		   "02 00 03 04 27 10 | 06 00 01 02 | 03 00 04 00 00 02 58 | "
		   "01 00 05 01 cb 00 71 01 | 0b 00 04 00 00 00 09 | 0c 00 06 00 01 00 02 aa bb");
	rsip_msg_format(&m, full, sizeof(full));
	len = strlen(full);
	for (cap = 1; cap <= len + 1; cap++) {
		out = malloc(cap);
		assert_non_null(out);
		rsip_msg_format(&m, out, cap);
		assert_int_equal(strlen(out), cap - 1);
		assert_memory_equal(out, full, cap - 1);
		free(out);
	}
	rsip_msg_format(&m, NULL, 0); /* cap 0 writes nothing */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_type_predicates),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_format_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
