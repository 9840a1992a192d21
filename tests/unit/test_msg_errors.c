// SPDX-License-Identifier: BSD-2-Clause
/*
 * Every error the decoder can answer (106, 201-207), the order of the checks
 * (spec 6.1), what it salvages for the ERROR_RESPONSE (Message Counter and
 * Client ID), when a TCP stream is lost (fatal), and TCP framing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "../lib/msg_raw.h"
#include "rsip/msg.h"

#define CID  "04 00 04 00 00 00 07 "
#define BID  "05 00 04 00 00 00 01 "
#define CTR  "0b 00 04 00 00 00 2a "
#define ANY4 "01 00 01 01 "
#define PANY "02 00 01 01 "

static struct raw r;
static struct rsip_msg m;

/* Decode, expect code, and that counter 42 / client 7 were salvaged. */
static void expect(uint16_t code, bool counter, bool client, bool fatal)
{
	struct rsip_decode_err err;
	int rc;

	memset(&err, 0xa5, sizeof(err));
	rc = decode_exact(r.b, r.len, &m, &err);
	if (rc != code)
		fail_msg("got %d (%s), want %u", rc, err.why ? err.why : "-", code);
	assert_int_equal(err.error, code);
	assert_non_null(err.why);
	assert_int_equal(err.has_counter, counter);
	if (counter)
		assert_int_equal(err.counter, 42);
	assert_int_equal(err.has_client_id, client);
	if (client)
		assert_int_equal(err.client_id, 7);
	assert_int_equal(err.fatal, fatal);
}

static void msg(uint8_t type, const char *params)
{
	raw_begin(&r, type);
	raw_hex(&r, params);
	raw_len(&r);
}

static void test_version_106(void **state)
{
	struct rsip_decode_err err;

	msg(RSIP_DEREGISTER_REQUEST, CID CTR);
	r.b[0] = 2;
	expect(RSIP_E_UNSUPPORTED_RSIP_VERSION, true, true, false);
	assert_int_equal(decode_exact(r.b, r.len, &m, &err), RSIP_E_UNSUPPORTED_RSIP_VERSION);
	assert_int_equal(err.type, RSIP_DEREGISTER_REQUEST);
	r.b[0] = 0;
	expect(RSIP_E_UNSUPPORTED_RSIP_VERSION, true, true, false);
	/* Version before type: an unknown type of version 2 is still 106. */
	r.b[0] = 2;
	r.b[1] = 200;
	expect(RSIP_E_UNSUPPORTED_RSIP_VERSION, true, true, false);
}

static void test_type_206(void **state)
{
	static const uint8_t bad[] = {0, 18, 19, 20, 21, 24, 100, 240, 241, 255};
	struct rsip_decode_err err;
	size_t i;

	for (i = 0; i < sizeof(bad); i++) {
		msg(bad[i], CTR CID);
		expect(RSIP_E_ILLEGAL_MESSAGE, true, true, false);
		decode_exact(r.b, r.len, &m, &err);
		assert_int_equal(err.type, bad[i]);
	}
	/* 206 comes before the TLV walk: garbage parameters do not matter. */
	msg(19, "ff ff");
	expect(RSIP_E_ILLEGAL_MESSAGE, false, false, false);
}

static void test_unknown_param_204(void **state)
{
	static const uint8_t codes[] = {0, 13, 14, 20, 21, 23, 100, 240, 241, 255};
	size_t i;

	for (i = 0; i < sizeof(codes); i++) {
		msg(RSIP_DEREGISTER_REQUEST, CID CTR);
		raw_u32(&r, codes[i], 0);
		raw_len(&r);
		expect(RSIP_E_ILLEGAL_PARAM, true, true, false);
	}
	/* In the required part too: the walk comes before the grammar. */
	msg(RSIP_DEREGISTER_REQUEST, "0d 00 00 " CTR);
	expect(RSIP_E_ILLEGAL_PARAM, true, false, false);
}

static void test_bad_param_205(void **state)
{
	/* A malformed value anywhere beats a grammar error before it: here
	 * the Client ID is missing (201) but a later Lease Time is 3 bytes. */
	msg(RSIP_EXTEND_REQUEST, BID CTR "03 00 03 00 00 01");
	expect(RSIP_E_BAD_PARAM, true, false, false);
	/* First of 204/205 in message order wins. */
	msg(RSIP_DEREGISTER_REQUEST, CID "0b 00 03 00 00 01 "
					 "0d 00 00");
	expect(RSIP_E_BAD_PARAM, false, true, false);
	msg(RSIP_DEREGISTER_REQUEST, CID "0d 00 00 "
					 "0b 00 03 00 00 01");
	expect(RSIP_E_ILLEGAL_PARAM, false, true, false);
	/* Several causes; the bad Counter itself is not salvaged. */
	msg(RSIP_ASSIGN_REQUEST_RSAP_IP, CID "01 00 01 00 " PANY ANY4 PANY CTR); /* Addrtype 0 */
	expect(RSIP_E_BAD_PARAM, true, true, false);
	msg(RSIP_ASSIGN_REQUEST_RSAP_IP, CID ANY4 "02 00 01 00 " ANY4 PANY CTR); /* Number 0 */
	expect(RSIP_E_BAD_PARAM, true, true, false);
	msg(RSIP_ASSIGN_REQUEST_RSAP_IP, CID ANY4 "02 00 00 " ANY4 PANY CTR); /* don't need */
	expect(RSIP_E_BAD_PARAM, true, true, false);
	msg(RSIP_ASSIGN_REQUEST_RSIPSEC, CID ANY4 "02 00 00 " ANY4 "02 00 00 16 00 02 00 00 " CTR);
	expect(RSIP_E_BAD_PARAM, true, true, false);	      /* SPI Number 0 */
	msg(RSIP_REGISTER_REQUEST, "0c 00 03 00 01 02 " CTR); /* D7: vendor below 4 */
	expect(RSIP_E_BAD_PARAM, true, false, false);
	msg(RSIP_QUERY_REQUEST, CID CTR "0a 00 02 00 01 01 00 05 02 ff ff ff 00");
	expect(RSIP_E_BAD_PARAM, true, true, false); /* netmask outside its slot */
}

static void test_grammar_salvage(void **state)
{
	msg(RSIP_FREE_REQUEST, CID CTR); /* Bind ID missing */
	expect(RSIP_E_MISSING_PARAM, true, true, false);
	msg(RSIP_FREE_REQUEST, CID BID CTR CTR);
	expect(RSIP_E_DUPLICATE_PARAM, true, true, false);
	msg(RSIP_FREE_REQUEST, CID BID "03 00 04 00 00 00 01 " CTR);
	expect(RSIP_E_EXTRA_PARAM, true, true, false);
	/* The first well-formed one of each is what gets salvaged. */
	msg(RSIP_FREE_REQUEST, "0b 00 02 00 01 " CTR "0b 00 04 00 00 00 63 " CID);
	expect(RSIP_E_BAD_PARAM, true, true, false);
}

static void test_framing_207(void **state)
{
	static uint8_t big[RSIP_MAX_MSG + 8];
	struct rsip_decode_err err;
	size_t len;

	/* Shorter than the header: nothing to salvage. */
	for (len = 0; len < RSIP_HDR_LEN; len++) {
		msg(RSIP_REGISTER_REQUEST, "");
		r.len = len;
		expect(RSIP_E_BAD_MESSAGE, false, false, true);
	}
	/* Overall Length shorter or longer than the datagram (UDP, D2); the
	 * counter and client ID are still salvaged from what is there. */
	msg(RSIP_DEREGISTER_REQUEST, CID CTR);
	r.b[3]++;
	expect(RSIP_E_BAD_MESSAGE, true, true, true);
	r.b[3] -= 2; /* the Counter is cut: only the Client ID is left */
	expect(RSIP_E_BAD_MESSAGE, false, true, true);
	r.b[2] = 0xff;
	expect(RSIP_E_BAD_MESSAGE, true, true, true);
	/* Overall Length below 4. */
	r.b[2] = 0;
	r.b[3] = 3;
	expect(RSIP_E_BAD_MESSAGE, false, false, true);
	/* Larger than RSIP_MAX_MSG, even when consistent. */
	memset(big, 0, sizeof(big));
	raw_begin(&r, RSIP_REGISTER_REQUEST);
	raw_param(&r, RSIP_P_VENDOR_SPECIFIC, big, RSIP_MAX_MSG - RSIP_HDR_LEN - RSIP_PARAM_HDR);
	raw_len(&r);
	assert_int_equal(r.len, RSIP_MAX_MSG);
	assert_int_equal(decode_exact(r.b, r.len, &m, &err), 0);
	raw_hex(&r, CTR);
	raw_len(&r);
	expect(RSIP_E_BAD_MESSAGE, true, false, true);

	/* Inside the message, a parameter running past the end: 207, but
	 * the stream is still in step (not fatal). */
	msg(RSIP_DEREGISTER_REQUEST, CID CTR "0b 00 04 00 00");
	expect(RSIP_E_BAD_MESSAGE, true, true, false);
	msg(RSIP_DEREGISTER_REQUEST, CID CTR "0b 00"); /* half a parameter header */
	expect(RSIP_E_BAD_MESSAGE, true, true, false);
	msg(RSIP_DEREGISTER_REQUEST, CID CTR "0b");
	expect(RSIP_E_BAD_MESSAGE, true, true, false);
	msg(RSIP_DEREGISTER_REQUEST, CID CTR "0c ff ff 00 00");
	expect(RSIP_E_BAD_MESSAGE, true, true, false);
	/* 207 wins over a 204 or 205 met before the overrun. */
	msg(RSIP_DEREGISTER_REQUEST, "0d 00 00 03 00 01 00 " CID CTR "04 00 09");
	expect(RSIP_E_BAD_MESSAGE, true, true, false);
	/* The salvage stops where delimiting stops. */
	msg(RSIP_DEREGISTER_REQUEST, "01 00 ff " CID CTR);
	expect(RSIP_E_BAD_MESSAGE, false, false, false);
}

static void test_no_err_struct(void **state)
{
	msg(RSIP_DEREGISTER_REQUEST, CID CTR);
	assert_int_equal(rsip_decode(r.b, r.len, &m, NULL), 0);
	assert_int_equal(m.client_id, 7);
	r.b[0] = 9;
	assert_int_equal(rsip_decode(r.b, r.len, &m, NULL), RSIP_E_UNSUPPORTED_RSIP_VERSION);
}

static void test_success_fills_err(void **state)
{
	struct rsip_decode_err err;

	msg(RSIP_DEREGISTER_REQUEST, CID CTR);
	memset(&err, 0xa5, sizeof(err));
	assert_int_equal(decode_exact(r.b, r.len, &m, &err), 0);
	assert_int_equal(err.error, 0);
	assert_false(err.fatal);
	assert_true(err.has_counter);
	assert_int_equal(err.counter, 42);
	assert_true(err.has_client_id);
	assert_int_equal(err.type, RSIP_DEREGISTER_REQUEST);
}

static void test_frame_len(void **state)
{
	uint8_t b[8] = {1, 2, 0, 11, 0x0b, 0, 4, 0};

	assert_int_equal(rsip_frame_len(b, 0), 0);
	assert_int_equal(rsip_frame_len(b, 3), 0);
	assert_int_equal(rsip_frame_len(b, 4), 11); /* more to read */
	assert_int_equal(rsip_frame_len(b, 8), 11);
	b[3] = 4;
	assert_int_equal(rsip_frame_len(b, 4), 4);
	b[3] = 3;
	assert_int_equal(rsip_frame_len(b, 4), -1);
	b[3] = 0;
	assert_int_equal(rsip_frame_len(b, 4), -1);
	b[2] = 0x10;
	assert_int_equal(rsip_frame_len(b, 4), RSIP_MAX_MSG);
	b[3] = 1;
	assert_int_equal(rsip_frame_len(b, 4), -1);
	/* The version is the decoder's business (106), not the framer's. */
	b[0] = 7;
	b[2] = 0;
	b[3] = 20;
	assert_int_equal(rsip_frame_len(b, 4), 20);
}

/* A TCP stream: two messages back to back, cut with rsip_frame_len. */
static void test_frame_stream(void **state)
{
	struct rsip_decode_err err;
	uint8_t stream[64];
	size_t n = 0, off = 0;
	int k, got = 0;

	n += hex2bin("01 02 00 0b 0b 00 04 00 00 00 01", stream, sizeof(stream));
	n += hex2bin("01 04 00 12 04 00 04 00 00 00 07 0b 00 04 00 00 00 02", stream + n,
		     sizeof(stream) - n);
	while ((k = rsip_frame_len(stream + off, n - off)) > 0 && (size_t)k <= n - off) {
		assert_int_equal(decode_exact(stream + off, (size_t)k, &m, &err), 0);
		assert_int_equal(m.counter, ++got);
		off += (size_t)k;
	}
	assert_int_equal(got, 2);
	assert_int_equal(off, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_version_106),	      cmocka_unit_test(test_type_206),
	    cmocka_unit_test(test_unknown_param_204), cmocka_unit_test(test_bad_param_205),
	    cmocka_unit_test(test_grammar_salvage),   cmocka_unit_test(test_framing_207),
	    cmocka_unit_test(test_no_err_struct),     cmocka_unit_test(test_success_fills_err),
	    cmocka_unit_test(test_frame_len),	      cmocka_unit_test(test_frame_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
