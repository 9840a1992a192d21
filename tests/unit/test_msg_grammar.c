// SPDX-License-Identifier: BSD-2-Clause
/*
 * The message grammars (spec 4.2) as the decoder enforces them: required
 * parameters in exact order (201 otherwise, D1), optional ones in any order
 * after them, repeats (202), foreign parameters (203), Vendor Specific
 * anywhere in the optional part (D7), roles by position, QUERY tuples (D1),
 * and the list limits of msg.h (207).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "../lib/msg_raw.h"
#include "rsip/msg.h"

/* Parameters, as hex. */
#define CID   "04 00 04 00 00 00 07 "
#define BID   "05 00 04 00 00 00 01 "
#define CTR   "0b 00 04 00 00 00 02 "
#define LEASE "03 00 04 00 00 02 58 "
#define FLOW  "09 00 02 01 03 "
#define ERR   "08 00 02 01 2d "
#define ANY4  "01 00 01 01 "
#define IP4   "01 00 05 01 c0 00 02 0a "
#define EP    "01 00 05 01 cb 00 71 01 "
#define PANY  "02 00 01 01 "
#define PNONE "02 00 00 "
#define TUN1  "06 00 01 01 "
#define TUN2  "06 00 01 02 "
#define METH1 "07 00 01 01 "
#define METH2 "07 00 01 02 "
#define SPI   "16 00 02 00 01 "
#define VEND  "0c 00 05 00 09 00 01 ff "
#define IND1  "0a 00 02 00 01 "
#define IND2  "0a 00 02 00 02 "
#define IND3  "0a 00 02 00 03 "
#define IND4  "0a 00 02 00 04 "
#define NET   "01 00 05 01 0a 14 3c 00 "
#define MASK  "01 00 05 02 ff ff ff 00 "

/* Required heads. */
#define RSAP_REQ  CID ANY4 PANY ANY4 PANY
#define RSAP_RESP CID BID IP4 PANY ANY4 PANY LEASE TUN1
#define SEC_REQ	  CID ANY4 PNONE IP4 PNONE SPI

struct gcase {
	const char *name;
	uint8_t type;
	const char *params;
	uint16_t rc;
};

static const struct gcase cases[] = {
    /* Accepted. */
    {"4-byte REGISTER_REQUEST", RSIP_REGISTER_REQUEST, "", 0},
    {"vendor around counter", RSIP_REGISTER_REQUEST, VEND CTR VEND, 0},
    {"methods and tunnels interleaved", RSIP_REGISTER_RESPONSE,
     CID LEASE FLOW METH2 TUN1 METH1 CTR TUN2 VEND, 0},
    {"error optionals in any order", RSIP_ERROR_RESPONSE, ERR BID VEND CID CTR, 0},
    {"assign optionals in any order", RSIP_ASSIGN_REQUEST_RSAP_IP, RSAP_REQ TUN1 LEASE CTR, 0},
    {"endpoint after counter", RSIP_ASSIGN_RESPONSE_RSAP_IP, RSAP_RESP CTR EP, 0},
    {"RSA-IP request", RSIP_ASSIGN_REQUEST_RSA_IP, CID IP4 ANY4 PANY CTR, 0},
    {"RSA-IP response", RSIP_ASSIGN_RESPONSE_RSA_IP, CID BID IP4 ANY4 PANY LEASE TUN2 EP, 0},
    {"listen request, several tunnels", RSIP_LISTEN_REQUEST, RSAP_REQ TUN1 TUN2 TUN1 CTR, 0},
    {"listen response, tunnel before lease", RSIP_LISTEN_RESPONSE,
     CID BID IP4 PANY ANY4 PANY TUN1 LEASE EP CTR, 0},
    {"extend request, optionals swapped", RSIP_EXTEND_REQUEST, CID BID CTR LEASE, 0},
    {"RSIPSEC request", RSIP_ASSIGN_REQUEST_RSIPSEC, SEC_REQ LEASE TUN2 CTR, 0},
    {"RSIPSEC response", RSIP_ASSIGN_RESPONSE_RSIPSEC,
     CID BID IP4 PNONE IP4 PNONE SPI LEASE TUN1 CTR, 0},
    {"query without tuples", RSIP_QUERY_REQUEST, CID, 0},
    {"query, counter between tuples (D1)", RSIP_QUERY_REQUEST,
     CID IND2 NET MASK CTR IND1 IP4 VEND IND1 IP4, 0},
    {"query response, tuple kinds in any order", RSIP_QUERY_RESPONSE,
     CID IND4 NET MASK IND3 IP4 IND2 NET MASK IND1 IP4, 0},
    {"free response", RSIP_FREE_RESPONSE, CID BID CTR, 0},
    {"de-register response", RSIP_DEREGISTER_RESPONSE, CID CTR, 0},

    /* 201: a required parameter missing or out of place. */
    {"error: counter before Error", RSIP_ERROR_RESPONSE, CTR ERR, RSIP_E_MISSING_PARAM},
    {"error: no Error", RSIP_ERROR_RESPONSE, "", RSIP_E_MISSING_PARAM},
    {"register response: flow before lease", RSIP_REGISTER_RESPONSE, CID FLOW LEASE,
     RSIP_E_MISSING_PARAM},
    {"register response: no flow", RSIP_REGISTER_RESPONSE, CID LEASE, RSIP_E_MISSING_PARAM},
    {"de-register: empty", RSIP_DEREGISTER_REQUEST, "", RSIP_E_MISSING_PARAM},
    {"de-register: counter first", RSIP_DEREGISTER_REQUEST, CTR CID, RSIP_E_MISSING_PARAM},
    {"de-register: vendor among required", RSIP_DEREGISTER_REQUEST, VEND CID, RSIP_E_MISSING_PARAM},
    {"free: bind before client", RSIP_FREE_REQUEST, BID CID, RSIP_E_MISSING_PARAM},
    {"rsap: no remote ports", RSIP_ASSIGN_REQUEST_RSAP_IP, CID ANY4 PANY ANY4,
     RSIP_E_MISSING_PARAM},
    {"rsap: ports before address", RSIP_ASSIGN_REQUEST_RSAP_IP, CID PANY ANY4 ANY4 PANY,
     RSIP_E_MISSING_PARAM},
    {"rsa-ip: local ports given", RSIP_ASSIGN_REQUEST_RSA_IP, RSAP_REQ, RSIP_E_MISSING_PARAM},
    {"rsap response: tunnel before lease", RSIP_ASSIGN_RESPONSE_RSAP_IP,
     CID BID IP4 PANY ANY4 PANY TUN1 LEASE, RSIP_E_MISSING_PARAM},
    {"listen response: lease before tunnel", RSIP_LISTEN_RESPONSE,
     CID BID IP4 PANY ANY4 PANY LEASE TUN1, RSIP_E_MISSING_PARAM},
    {"rsipsec: no SPI", RSIP_ASSIGN_REQUEST_RSIPSEC, CID ANY4 PNONE IP4 PNONE CTR,
     RSIP_E_MISSING_PARAM},
    {"rsipsec response: SPI after lease", RSIP_ASSIGN_RESPONSE_RSIPSEC,
     CID BID IP4 PNONE IP4 PNONE LEASE SPI TUN1, RSIP_E_MISSING_PARAM},
    {"query: no client", RSIP_QUERY_REQUEST, CTR, RSIP_E_MISSING_PARAM},
    {"query: counter inside a tuple", RSIP_QUERY_REQUEST, CID IND1 CTR IP4, RSIP_E_MISSING_PARAM},
    {"query: counter between network and mask", RSIP_QUERY_REQUEST, CID IND2 NET CTR MASK,
     RSIP_E_MISSING_PARAM},
    {"query: network tuple without mask", RSIP_QUERY_REQUEST, CID IND2 NET, RSIP_E_MISSING_PARAM},
    {"query: indicator at the end", RSIP_QUERY_REQUEST, CID IND1, RSIP_E_MISSING_PARAM},
    {"query: address without indicator", RSIP_QUERY_REQUEST, CID IP4, RSIP_E_MISSING_PARAM},
    {"query: address tuple with two addresses", RSIP_QUERY_RESPONSE, CID IND1 IP4 IP4,
     RSIP_E_MISSING_PARAM},

    /* 202: a repeat the grammar does not allow. */
    {"two counters", RSIP_REGISTER_REQUEST, CTR CTR, RSIP_E_DUPLICATE_PARAM},
    {"two errors", RSIP_ERROR_RESPONSE, ERR ERR, RSIP_E_DUPLICATE_PARAM},
    {"error: two client IDs", RSIP_ERROR_RESPONSE, ERR CID CID, RSIP_E_DUPLICATE_PARAM},
    {"de-register: two client IDs", RSIP_DEREGISTER_REQUEST, CID CID, RSIP_E_DUPLICATE_PARAM},
    {"register response: second flow", RSIP_REGISTER_RESPONSE, CID LEASE FLOW FLOW,
     RSIP_E_DUPLICATE_PARAM},
    {"rsap: two tunnel types", RSIP_ASSIGN_REQUEST_RSAP_IP, RSAP_REQ TUN1 TUN2,
     RSIP_E_DUPLICATE_PARAM},
    {"rsap: two leases", RSIP_ASSIGN_REQUEST_RSAP_IP, RSAP_REQ LEASE LEASE, RSIP_E_DUPLICATE_PARAM},
    {"rsap: third address in a request", RSIP_ASSIGN_REQUEST_RSAP_IP, RSAP_REQ EP,
     RSIP_E_DUPLICATE_PARAM},
    {"rsap: third ports", RSIP_ASSIGN_REQUEST_RSAP_IP, RSAP_REQ PANY, RSIP_E_DUPLICATE_PARAM},
    {"rsap response: fourth address", RSIP_ASSIGN_RESPONSE_RSAP_IP, RSAP_RESP EP CTR EP,
     RSIP_E_DUPLICATE_PARAM},
    {"rsap response: third ports", RSIP_ASSIGN_RESPONSE_RSAP_IP, RSAP_RESP PANY,
     RSIP_E_DUPLICATE_PARAM},
    {"rsap response: second tunnel", RSIP_ASSIGN_RESPONSE_RSAP_IP, RSAP_RESP TUN2,
     RSIP_E_DUPLICATE_PARAM},
    {"rsap response: second lease", RSIP_ASSIGN_RESPONSE_RSAP_IP, RSAP_RESP LEASE,
     RSIP_E_DUPLICATE_PARAM},
    {"rsa-ip response: second ports", RSIP_ASSIGN_RESPONSE_RSA_IP,
     CID BID IP4 ANY4 PANY LEASE TUN2 PANY, RSIP_E_DUPLICATE_PARAM},
    {"extend: two leases", RSIP_EXTEND_REQUEST, CID BID LEASE CTR LEASE, RSIP_E_DUPLICATE_PARAM},
    {"query: two counters", RSIP_QUERY_REQUEST, CID CTR IND1 IP4 CTR, RSIP_E_DUPLICATE_PARAM},
    {"query: two client IDs", RSIP_QUERY_REQUEST, CID CID, RSIP_E_DUPLICATE_PARAM},
    {"rsipsec: two SPIs", RSIP_ASSIGN_REQUEST_RSIPSEC, SEC_REQ SPI, RSIP_E_DUPLICATE_PARAM},

    /* 203: a parameter this message's grammar does not have. */
    {"register request: client ID", RSIP_REGISTER_REQUEST, CID, RSIP_E_EXTRA_PARAM},
    {"register request: lease", RSIP_REGISTER_REQUEST, CTR LEASE, RSIP_E_EXTRA_PARAM},
    {"error: lease", RSIP_ERROR_RESPONSE, ERR LEASE, RSIP_E_EXTRA_PARAM},
    {"de-register response: bind ID", RSIP_DEREGISTER_RESPONSE, CID BID, RSIP_E_EXTRA_PARAM},
    {"rsap: SPI", RSIP_ASSIGN_REQUEST_RSAP_IP, RSAP_REQ SPI, RSIP_E_EXTRA_PARAM},
    {"rsap: method", RSIP_ASSIGN_REQUEST_RSAP_IP, RSAP_REQ METH1, RSIP_E_EXTRA_PARAM},
    {"rsap: bind ID", RSIP_ASSIGN_REQUEST_RSAP_IP, RSAP_REQ BID, RSIP_E_EXTRA_PARAM},
    {"rsap: indicator", RSIP_ASSIGN_REQUEST_RSAP_IP, RSAP_REQ IND1, RSIP_E_EXTRA_PARAM},
    {"free: lease", RSIP_FREE_REQUEST, CID BID LEASE, RSIP_E_EXTRA_PARAM},
    {"extend response: tunnel", RSIP_EXTEND_RESPONSE, CID BID LEASE TUN1, RSIP_E_EXTRA_PARAM},
    {"query: error", RSIP_QUERY_REQUEST, CID ERR, RSIP_E_EXTRA_PARAM},
    {"query: flow", RSIP_QUERY_RESPONSE, CID IND1 IP4 FLOW, RSIP_E_EXTRA_PARAM},
    {"listen: SPI", RSIP_LISTEN_REQUEST, RSAP_REQ SPI, RSIP_E_EXTRA_PARAM},
    {"register response: indicator", RSIP_REGISTER_RESPONSE, CID LEASE FLOW IND1,
     RSIP_E_EXTRA_PARAM},
    {"rsa-ip response: method", RSIP_ASSIGN_RESPONSE_RSA_IP, CID BID IP4 ANY4 PANY LEASE TUN2 METH1,
     RSIP_E_EXTRA_PARAM},

    /* 205 that only the position can tell. */
    {"don't need ports in RSAP-IP (D8)", RSIP_ASSIGN_REQUEST_RSAP_IP, CID ANY4 PNONE ANY4 PANY,
     RSIP_E_BAD_PARAM},
    {"don't need ports in LISTEN", RSIP_LISTEN_RESPONSE, CID BID IP4 PANY ANY4 PNONE TUN1 LEASE,
     RSIP_E_BAD_PARAM},
    {"netmask as tunnel endpoint", RSIP_ASSIGN_RESPONSE_RSAP_IP, RSAP_RESP MASK, RSIP_E_BAD_PARAM},
    {"network indicator in a response meaning", RSIP_QUERY_REQUEST, CID IND4 NET MASK,
     RSIP_E_BAD_PARAM},
};

static struct raw r;
static struct rsip_msg m;

static void test_grammar_table(void **state)
{
	struct rsip_decode_err err;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		raw_begin(&r, cases[i].type);
		raw_hex(&r, cases[i].params);
		rc = raw_decode(&r, &m, &err);
		if (rc != cases[i].rc)
			fail_msg("%s: got %d (%s), want %u", cases[i].name, rc,
				 err.why ? err.why : "-", cases[i].rc);
		assert_int_equal(err.error, rc);
		assert_false(err.fatal);
		if (rc)
			assert_non_null(err.why);
	}
}

/* Roles by position: what lands where. */
static void test_roles(void **state)
{
	struct rsip_decode_err err;

	raw_begin(&r, RSIP_ASSIGN_RESPONSE_RSAP_IP);
	raw_hex(&r, CID BID "01 00 05 01 c0 00 02 0a 02 00 03 01 13 88 "
			    "01 00 05 01 c6 33 64 05 02 00 03 01 00 50 " LEASE TUN1
			    "01 00 05 01 cb 00 71 01 " CTR);
	assert_int_equal(raw_decode(&r, &m, &err), 0);
	assert_int_equal(ntohl(m.local_addr.u.v4.s_addr), 0xc000020a);
	assert_int_equal(rsip_ports_at(&m.local_ports, 0), 5000);
	assert_int_equal(ntohl(m.remote_addr.u.v4.s_addr), 0xc6336405);
	assert_int_equal(rsip_ports_at(&m.remote_ports, 0), 80);
	assert_true(m.has & RSIP_HAS_ENDPOINT);
	assert_int_equal(ntohl(m.endpoint.u.v4.s_addr), 0xcb007101);

	/* RSA-IP has a single Ports: the remote one. */
	raw_begin(&r, RSIP_ASSIGN_REQUEST_RSA_IP);
	raw_hex(&r, CID IP4 ANY4 "02 00 03 01 01 bb");
	assert_int_equal(raw_decode(&r, &m, &err), 0);
	assert_false(m.has & RSIP_HAS_LOCAL_PORTS);
	assert_true(m.has & RSIP_HAS_REMOTE_PORTS);
	assert_int_equal(rsip_ports_at(&m.remote_ports, 0), 443);

	/* Methods and tunnels keep their order. */
	raw_begin(&r, RSIP_REGISTER_RESPONSE);
	raw_hex(&r, CID LEASE FLOW METH2 TUN2 "07 00 01 03 " TUN1 METH1);
	assert_int_equal(raw_decode(&r, &m, &err), 0);
	assert_int_equal(m.n_methods, 3);
	assert_int_equal(m.methods[0], 2);
	assert_int_equal(m.methods[1], 3);
	assert_int_equal(m.methods[2], 1);
	assert_int_equal(m.n_tunnels, 2);
	assert_int_equal(m.tunnels[0], 2);
	assert_int_equal(m.tunnels[1], 1);

	/* Tuples keep their order and kinds. */
	raw_begin(&r, RSIP_QUERY_RESPONSE);
	raw_hex(&r, CID IND3 IP4 CTR IND2 NET MASK);
	assert_int_equal(raw_decode(&r, &m, &err), 0);
	assert_int_equal(m.n_tuples, 2);
	assert_int_equal(m.tuples[0].indicator, RSIP_IND_REMOTE_ADDRESS);
	assert_int_equal(ntohl(m.tuples[0].addr.u.v4.s_addr), 0xc000020a);
	assert_int_equal(m.tuples[1].indicator, RSIP_IND_LOCAL_NETWORK);
	assert_int_equal(ntohl(m.tuples[1].addr.u.v4.s_addr), 0x0a143c00);
	assert_int_equal(ntohl(m.tuples[1].mask.u.v4.s_addr), 0xffffff00);
	assert_int_equal(m.counter, 2);
}

/* msg.h's list limits: at the limit accepted, one more is 207. */
static void test_limits(void **state)
{
	struct rsip_decode_err err;
	int i;

	raw_begin(&r, RSIP_QUERY_REQUEST);
	raw_hex(&r, CID);
	for (i = 0; i < RSIP_MAX_TUPLES; i++)
		raw_hex(&r, i % 2 ? IND1 IP4 : IND2 NET MASK);
	assert_int_equal(raw_decode(&r, &m, &err), 0);
	assert_int_equal(m.n_tuples, RSIP_MAX_TUPLES);
	raw_hex(&r, IND1 IP4);
	raw_hex(&r, CTR);
	assert_int_equal(raw_decode(&r, &m, &err), RSIP_E_BAD_MESSAGE);
	assert_false(err.fatal);
	assert_true(err.has_counter); /* salvaged from past the failure point */

	raw_begin(&r, RSIP_REGISTER_RESPONSE);
	raw_hex(&r, CID LEASE FLOW);
	for (i = 0; i < RSIP_MAX_METHODS; i++)
		raw_hex(&r, METH1);
	for (i = 0; i < RSIP_MAX_TUNNELS; i++)
		raw_hex(&r, TUN1);
	assert_int_equal(raw_decode(&r, &m, &err), 0);
	assert_int_equal(m.n_methods, RSIP_MAX_METHODS);
	assert_int_equal(m.n_tunnels, RSIP_MAX_TUNNELS);
	raw_hex(&r, METH2);
	assert_int_equal(raw_decode(&r, &m, &err), RSIP_E_BAD_MESSAGE);

	raw_begin(&r, RSIP_LISTEN_REQUEST);
	raw_hex(&r, RSAP_REQ);
	for (i = 0; i < RSIP_MAX_TUNNELS; i++)
		raw_hex(&r, TUN2);
	assert_int_equal(raw_decode(&r, &m, &err), 0);
	raw_hex(&r, TUN1);
	assert_int_equal(raw_decode(&r, &m, &err), RSIP_E_BAD_MESSAGE);
}

/* The decoder takes every known type whoever sent it: the client library
 * decodes responses with it; 206 for a response from a host is the
 * daemon's (D8). */
static void test_both_directions(void **state)
{
	struct rsip_decode_err err;

	raw_begin(&r, RSIP_DEREGISTER_RESPONSE);
	raw_hex(&r, CID "0b 00 04 00 00 00 00");
	assert_int_equal(raw_decode(&r, &m, &err), 0);
	assert_int_equal(m.counter, 0); /* unsolicited: counter 0 */
	assert_true(rsip_msg_is_response(m.type));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_grammar_table),
	    cmocka_unit_test(test_roles),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_both_directions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
