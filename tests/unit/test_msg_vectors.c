// SPDX-License-Identifier: BSD-2-Clause
/*
 * The byte examples of the wire spec, section 10 (shared/spec/rsip-wire.md):
 * each decodes to the fields the spec describes, encodes back byte for byte
 * (from the decoded message and from one built by hand), and every prefix
 * of each fails cleanly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/msg_raw.h"
#include "msg_compare.h"
#include "rsip/msg.h"

struct vector {
	const char *name;
	const char *hex;
};

enum {
	V_REGISTER_REQUEST,
	V_REGISTER_RESPONSE,
	V_ASSIGN_REQUEST_RSAP,
	V_ASSIGN_RESPONSE_RSAP,
	V_ERROR_REGISTER_FIRST,
	V_ERROR_SPI_INUSE,
	V_ASSIGN_REQUEST_RSIPSEC,
	V_ASSIGN_RESPONSE_RSIPSEC,
	V_QUERY_REQUEST,
	V_COUNT
};

/* Copied from the spec, section 10, separators and all. */
static const struct vector vectors[V_COUNT] = {
    [V_REGISTER_REQUEST] = {"REGISTER_REQUEST", "01 02 00 0b | 0b 00 04 00 00 00 01"},
    [V_REGISTER_RESPONSE] = {"REGISTER_RESPONSE",
			     "01 03 00 22 | 04 00 04 00 00 00 07 | 03 00 04 00 00 02 58 | "
			     "09 00 02 02 03 | 0b 00 04 00 00 00 01 | 07 00 01 02"},
    [V_ASSIGN_REQUEST_RSAP] = {"ASSIGN_REQUEST_RSAP-IP",
			       "01 08 00 22 | 04 00 04 00 00 00 07 | 01 00 01 01 | 02 00 01 04 "
			       "| 01 00 01 01 | 02 00 01 01 | 0b 00 04 00 00 00 02"},
    [V_ASSIGN_RESPONSE_RSAP] = {"ASSIGN_RESPONSE_RSAP-IP",
				"01 09 00 3a | 04 00 04 00 00 00 07 | 05 00 04 00 00 00 01 | "
				"01 00 05 01 c0 00 02 0a | 02 00 03 04 27 10 | 01 00 01 01 | "
				"02 00 01 01 | 03 00 04 00 00 07 08 | 06 00 01 01 | "
				"0b 00 04 00 00 00 02"},
    [V_ERROR_REGISTER_FIRST] = {"ERROR_RESPONSE 301",
				"01 01 00 10 | 08 00 02 01 2d | 0b 00 04 00 00 00 05"},
    [V_ERROR_SPI_INUSE] = {"ERROR_RESPONSE 403", "01 01 00 17 | 08 00 02 01 93 | "
						 "0b 00 04 00 00 00 09 | 04 00 04 00 00 00 07"},
    [V_ASSIGN_REQUEST_RSIPSEC] = {"ASSIGN_REQUEST_RSIPSEC",
				  "01 16 00 29 | 04 00 04 00 00 00 07 | 01 00 01 01 | 02 00 00 | "
				  "01 00 05 01 c6 33 64 05 | 02 00 00 | 16 00 02 00 02 | "
				  "0b 00 04 00 00 00 03"},
    [V_ASSIGN_RESPONSE_RSIPSEC] = {"ASSIGN_RESPONSE_RSIPSEC",
				   "01 17 00 43 | 04 00 04 00 00 00 07 | 05 00 04 00 00 00 02 | "
				   "01 00 05 01 c0 00 02 0a | 02 00 00 | 01 00 05 01 c6 33 64 05 "
				   "| 02 00 00 | 16 00 06 00 02 00 00 10 00 | 03 00 04 00 00 02 58 "
				   "| 06 00 01 01 | 0b 00 04 00 00 00 03"},
    [V_QUERY_REQUEST] = {"QUERY_REQUEST", "01 0e 00 27 | 04 00 04 00 00 00 07 | "
					  "0b 00 04 00 00 00 04 | 0a 00 02 00 02 | "
					  "01 00 05 01 0a 14 3c 00 | 01 00 05 02 ff ff ff 00"},
};

static struct rsip_msg m, m2;

static size_t vec_bytes(int i, uint8_t *out, size_t cap)
{
	return hex2bin(vectors[i].hex, out, cap);
}

static void decode_vector(int i, struct rsip_msg *out)
{
	uint8_t b[256];
	size_t n = vec_bytes(i, b, sizeof(b));
	struct rsip_decode_err err;

	assert_int_equal(decode_exact(b, n, out, &err), 0);
	assert_int_equal(err.error, 0);
}

static void assert_ipv4(const struct rsip_address *a, const char *dotted)
{
	struct in_addr want;

	assert_int_equal(inet_pton(AF_INET, dotted, &want), 1);
	assert_int_equal(a->type, RSIP_ADDR_IPV4);
	assert_false(a->any);
	assert_int_equal(a->u.v4.s_addr, want.s_addr);
}

static void assert_any4(const struct rsip_address *a)
{
	assert_int_equal(a->type, RSIP_ADDR_IPV4);
	assert_true(a->any);
	assert_int_equal(a->u.v4.s_addr, 0);
}

static void set_ipv4(struct rsip_address *a, uint8_t type, const char *dotted)
{
	a->type = type;
	assert_int_equal(inet_pton(AF_INET, dotted, &a->u.v4), 1);
}

static void set_any4(struct rsip_address *a)
{
	a->type = RSIP_ADDR_IPV4;
	a->any = true;
}

/* ---- decode: the fields the spec describes ---- */

static void test_decode_register(void **state)
{
	decode_vector(V_REGISTER_REQUEST, &m);
	assert_int_equal(m.version, 1);
	assert_int_equal(m.type, RSIP_REGISTER_REQUEST);
	assert_int_equal(m.has, RSIP_HAS_COUNTER);
	assert_int_equal(m.counter, 1);

	decode_vector(V_REGISTER_RESPONSE, &m);
	assert_int_equal(m.type, RSIP_REGISTER_RESPONSE);
	assert_int_equal(m.has, RSIP_HAS_CLIENT_ID | RSIP_HAS_LEASE | RSIP_HAS_FLOW_POLICY |
				    RSIP_HAS_COUNTER);
	assert_int_equal(m.client_id, 7);
	assert_int_equal(m.lease, 600);
	assert_int_equal(m.flow_local, RSIP_FLOW_MICRO);
	assert_int_equal(m.flow_remote, RSIP_FLOW_NONE);
	assert_int_equal(m.counter, 1);
	assert_int_equal(m.n_methods, 1);
	assert_int_equal(m.methods[0], RSIP_METHOD_RSAP_IP);
	assert_int_equal(m.n_tunnels, 0);
	assert_int_equal(m.n_vendor, 0);
}

static void test_decode_assign_rsap(void **state)
{
	decode_vector(V_ASSIGN_REQUEST_RSAP, &m);
	assert_int_equal(m.type, RSIP_ASSIGN_REQUEST_RSAP_IP);
	assert_int_equal(m.client_id, 7);
	assert_any4(&m.local_addr);
	assert_int_equal(m.local_ports.form, RSIP_PORTS_ANY);
	assert_int_equal(m.local_ports.number, 4);
	assert_any4(&m.remote_addr);
	assert_int_equal(m.remote_ports.form, RSIP_PORTS_ANY);
	assert_int_equal(m.remote_ports.number, 1);
	assert_int_equal(m.counter, 2);
	assert_int_equal(m.has, RSIP_HAS_CLIENT_ID | RSIP_HAS_LOCAL_ADDR | RSIP_HAS_LOCAL_PORTS |
				    RSIP_HAS_REMOTE_ADDR | RSIP_HAS_REMOTE_PORTS |
				    RSIP_HAS_COUNTER);

	decode_vector(V_ASSIGN_RESPONSE_RSAP, &m);
	assert_int_equal(m.type, RSIP_ASSIGN_RESPONSE_RSAP_IP);
	assert_int_equal(m.client_id, 7);
	assert_int_equal(m.bind_id, 1);
	assert_ipv4(&m.local_addr, "192.0.2.10");
	assert_int_equal(m.local_ports.form, RSIP_PORTS_RANGE);
	assert_int_equal(m.local_ports.number, 4);
	assert_int_equal(rsip_ports_at(&m.local_ports, 0), 10000);
	assert_any4(&m.remote_addr);
	assert_int_equal(m.remote_ports.form, RSIP_PORTS_ANY);
	assert_int_equal(m.lease, 1800);
	assert_int_equal(m.n_tunnels, 1);
	assert_int_equal(m.tunnels[0], RSIP_TUNNEL_IPIP);
	assert_int_equal(m.counter, 2);
	assert_false(m.has & RSIP_HAS_ENDPOINT);
}

static void test_decode_errors(void **state)
{
	decode_vector(V_ERROR_REGISTER_FIRST, &m);
	assert_int_equal(m.type, RSIP_ERROR_RESPONSE);
	assert_int_equal(m.has, RSIP_HAS_ERROR | RSIP_HAS_COUNTER);
	assert_int_equal(m.error, RSIP_E_REGISTER_FIRST);
	assert_int_equal(m.counter, 5);

	decode_vector(V_ERROR_SPI_INUSE, &m);
	assert_int_equal(m.has, RSIP_HAS_ERROR | RSIP_HAS_COUNTER | RSIP_HAS_CLIENT_ID);
	assert_int_equal(m.error, RSIP_E_IPSEC_SPI_INUSE);
	assert_int_equal(m.counter, 9);
	assert_int_equal(m.client_id, 7);
}

static void test_decode_rsipsec(void **state)
{
	decode_vector(V_ASSIGN_REQUEST_RSIPSEC, &m);
	assert_int_equal(m.type, RSIP_ASSIGN_REQUEST_RSIPSEC);
	assert_int_equal(m.client_id, 7);
	assert_any4(&m.local_addr);
	assert_int_equal(m.local_ports.form, RSIP_PORTS_NOT_NEEDED);
	assert_ipv4(&m.remote_addr, "198.51.100.5");
	assert_int_equal(m.remote_ports.form, RSIP_PORTS_NOT_NEEDED);
	assert_int_equal(m.spi.form, RSIP_SPI_ANY);
	assert_int_equal(m.spi.number, 2);
	assert_int_equal(m.counter, 3);

	decode_vector(V_ASSIGN_RESPONSE_RSIPSEC, &m);
	assert_int_equal(m.type, RSIP_ASSIGN_RESPONSE_RSIPSEC);
	assert_int_equal(m.bind_id, 2);
	assert_ipv4(&m.local_addr, "192.0.2.10");
	assert_int_equal(m.local_ports.form, RSIP_PORTS_NOT_NEEDED);
	assert_ipv4(&m.remote_addr, "198.51.100.5");
	assert_int_equal(m.remote_ports.form, RSIP_PORTS_NOT_NEEDED);
	assert_int_equal(m.spi.form, RSIP_SPI_RANGE);
	assert_int_equal(m.spi.number, 2);
	assert_int_equal(rsip_spi_at(&m.spi, 0), 0x1000);
	assert_int_equal(m.lease, 600);
	assert_int_equal(m.n_tunnels, 1);
	assert_int_equal(m.tunnels[0], RSIP_TUNNEL_IPIP);
	assert_int_equal(m.counter, 3);
}

static void test_decode_query(void **state)
{
	decode_vector(V_QUERY_REQUEST, &m);
	assert_int_equal(m.type, RSIP_QUERY_REQUEST);
	assert_int_equal(m.client_id, 7);
	assert_int_equal(m.counter, 4);
	assert_int_equal(m.n_tuples, 1);
	assert_int_equal(m.tuples[0].indicator, RSIP_IND_NETWORK);
	assert_ipv4(&m.tuples[0].addr, "10.20.60.0");
	assert_int_equal(m.tuples[0].mask.type, RSIP_ADDR_IPV4_NETMASK);
	assert_int_equal(ntohl(m.tuples[0].mask.u.v4.s_addr), 0xffffff00);
}

/* ---- encode: decoded vectors come back byte for byte ---- */

static void test_reencode_all(void **state)
{
	uint8_t want[256], got[256];
	size_t n;
	ssize_t k;
	int i;

	for (i = 0; i < V_COUNT; i++) {
		n = vec_bytes(i, want, sizeof(want));
		decode_vector(i, &m);
		k = rsip_encode(&m, got, sizeof(got));
		if (k != (ssize_t)n || memcmp(got, want, n))
			fail_msg("%s: re-encoding differs (%zd bytes, want %zu)", vectors[i].name,
				 k, n);
	}
}

/* The same bytes from messages built through the API, as a sender does. */
static void build_vector(int i, struct rsip_msg *b)
{
	switch (i) {
	case V_REGISTER_REQUEST:
		rsip_msg_init(b, RSIP_REGISTER_REQUEST);
		b->has = RSIP_HAS_COUNTER;
		b->counter = 1;
		break;
	case V_REGISTER_RESPONSE:
		rsip_msg_init(b, RSIP_REGISTER_RESPONSE);
		b->has =
		    RSIP_HAS_CLIENT_ID | RSIP_HAS_LEASE | RSIP_HAS_FLOW_POLICY | RSIP_HAS_COUNTER;
		b->client_id = 7;
		b->lease = 600;
		b->flow_local = RSIP_FLOW_MICRO;
		b->flow_remote = RSIP_FLOW_NONE;
		b->counter = 1;
		b->n_methods = 1;
		b->methods[0] = RSIP_METHOD_RSAP_IP;
		break;
	case V_ASSIGN_REQUEST_RSAP:
		rsip_msg_init(b, RSIP_ASSIGN_REQUEST_RSAP_IP);
		b->has = RSIP_HAS_CLIENT_ID | RSIP_HAS_LOCAL_ADDR | RSIP_HAS_LOCAL_PORTS |
			 RSIP_HAS_REMOTE_ADDR | RSIP_HAS_REMOTE_PORTS | RSIP_HAS_COUNTER;
		b->client_id = 7;
		set_any4(&b->local_addr);
		b->local_ports.form = RSIP_PORTS_ANY;
		b->local_ports.number = 4;
		set_any4(&b->remote_addr);
		b->remote_ports.form = RSIP_PORTS_ANY;
		b->remote_ports.number = 1;
		b->counter = 2;
		break;
	case V_ASSIGN_RESPONSE_RSAP:
		rsip_msg_init(b, RSIP_ASSIGN_RESPONSE_RSAP_IP);
		b->has = RSIP_HAS_CLIENT_ID | RSIP_HAS_BIND_ID | RSIP_HAS_LOCAL_ADDR |
			 RSIP_HAS_LOCAL_PORTS | RSIP_HAS_REMOTE_ADDR | RSIP_HAS_REMOTE_PORTS |
			 RSIP_HAS_LEASE | RSIP_HAS_COUNTER;
		b->client_id = 7;
		b->bind_id = 1;
		set_ipv4(&b->local_addr, RSIP_ADDR_IPV4, "192.0.2.10");
		b->local_ports.form = RSIP_PORTS_RANGE;
		b->local_ports.number = 4;
		b->local_ports.first = 10000;
		set_any4(&b->remote_addr);
		b->remote_ports.form = RSIP_PORTS_ANY;
		b->remote_ports.number = 1;
		b->lease = 1800;
		b->n_tunnels = 1;
		b->tunnels[0] = RSIP_TUNNEL_IPIP;
		b->counter = 2;
		break;
	case V_ERROR_REGISTER_FIRST:
		rsip_msg_error(b, RSIP_E_REGISTER_FIRST, true, 5, false, 0, false, 0);
		break;
	case V_ERROR_SPI_INUSE:
		rsip_msg_error(b, RSIP_E_IPSEC_SPI_INUSE, true, 9, true, 7, false, 0);
		break;
	case V_ASSIGN_REQUEST_RSIPSEC:
		rsip_msg_init(b, RSIP_ASSIGN_REQUEST_RSIPSEC);
		b->has = RSIP_HAS_CLIENT_ID | RSIP_HAS_LOCAL_ADDR | RSIP_HAS_LOCAL_PORTS |
			 RSIP_HAS_REMOTE_ADDR | RSIP_HAS_REMOTE_PORTS | RSIP_HAS_SPI |
			 RSIP_HAS_COUNTER;
		b->client_id = 7;
		set_any4(&b->local_addr);
		b->local_ports.form = RSIP_PORTS_NOT_NEEDED;
		set_ipv4(&b->remote_addr, RSIP_ADDR_IPV4, "198.51.100.5");
		b->remote_ports.form = RSIP_PORTS_NOT_NEEDED;
		b->spi.form = RSIP_SPI_ANY;
		b->spi.number = 2;
		b->counter = 3;
		break;
	case V_ASSIGN_RESPONSE_RSIPSEC:
		rsip_msg_init(b, RSIP_ASSIGN_RESPONSE_RSIPSEC);
		b->has = RSIP_HAS_CLIENT_ID | RSIP_HAS_BIND_ID | RSIP_HAS_LOCAL_ADDR |
			 RSIP_HAS_LOCAL_PORTS | RSIP_HAS_REMOTE_ADDR | RSIP_HAS_REMOTE_PORTS |
			 RSIP_HAS_SPI | RSIP_HAS_LEASE | RSIP_HAS_COUNTER;
		b->client_id = 7;
		b->bind_id = 2;
		set_ipv4(&b->local_addr, RSIP_ADDR_IPV4, "192.0.2.10");
		b->local_ports.form = RSIP_PORTS_NOT_NEEDED;
		set_ipv4(&b->remote_addr, RSIP_ADDR_IPV4, "198.51.100.5");
		b->remote_ports.form = RSIP_PORTS_NOT_NEEDED;
		b->spi.form = RSIP_SPI_RANGE;
		b->spi.number = 2;
		b->spi.first = 0x1000;
		b->lease = 600;
		b->n_tunnels = 1;
		b->tunnels[0] = RSIP_TUNNEL_IPIP;
		b->counter = 3;
		break;
	case V_QUERY_REQUEST:
		rsip_msg_init(b, RSIP_QUERY_REQUEST);
		b->has = RSIP_HAS_CLIENT_ID | RSIP_HAS_COUNTER;
		b->client_id = 7;
		b->counter = 4;
		assert_non_null(rsip_msg_add_tuple(b));
		b->tuples[0].indicator = RSIP_IND_NETWORK;
		set_ipv4(&b->tuples[0].addr, RSIP_ADDR_IPV4, "10.20.60.0");
		set_ipv4(&b->tuples[0].mask, RSIP_ADDR_IPV4_NETMASK, "255.255.255.0");
		break;
	}
}

static void test_encode_built(void **state)
{
	uint8_t want[256], got[256];
	size_t n;
	ssize_t k;
	int i;

	for (i = 0; i < V_COUNT; i++) {
		n = vec_bytes(i, want, sizeof(want));
		build_vector(i, &m2);
		k = rsip_encode(&m2, got, sizeof(got));
		if (k != (ssize_t)n || memcmp(got, want, n))
			fail_msg("%s: built message encodes differently (%zd bytes, want %zu)",
				 vectors[i].name, k, n);
		/* And the built message is what the bytes decode to. */
		decode_vector(i, &m);
		if (rsip_msg_diff(&m, &m2))
			fail_msg("%s: decoded differs from built in %s", vectors[i].name,
				 rsip_msg_diff(&m, &m2));
	}
}

/* ---- truncation: every prefix fails cleanly ---- */

static bool at_param_boundary(const uint8_t *b, size_t n, size_t cut)
{
	size_t off = RSIP_HDR_LEN;

	while (off < n) {
		if (off == cut)
			return true;
		off += RSIP_PARAM_HDR + ((size_t)b[off + 1] << 8 | b[off + 2]);
	}
	return off == cut;
}

static void test_truncation(void **state)
{
	struct rsip_decode_err err;
	uint8_t b[256], cut[256];
	size_t n, len;
	int i, rc;

	for (i = 0; i < V_COUNT; i++) {
		n = vec_bytes(i, b, sizeof(b));
		for (len = 0; len < n; len++) {
			/* As received: Overall Length no longer matches. */
			rc = decode_exact(b, len, &m, &err);
			if (rc != RSIP_E_BAD_MESSAGE || !err.fatal)
				fail_msg("%s cut at %zu: got %d", vectors[i].name, len, rc);

			/* Length patched: the TLV walk meets the cut. */
			if (len < RSIP_HDR_LEN)
				continue;
			memcpy(cut, b, len);
			cut[2] = (uint8_t)(len >> 8);
			cut[3] = (uint8_t)len;
			rc = decode_exact(cut, len, &m, &err);
			if (!at_param_boundary(b, n, len)) {
				if (rc != RSIP_E_BAD_MESSAGE || err.fatal)
					fail_msg("%s cut inside a parameter at %zu: got %d",
						 vectors[i].name, len, rc);
			} else if (rc != 0 && rc != RSIP_E_MISSING_PARAM) {
				/* Dropping trailing parameters leaves a valid
				 * message or one lacking a required parameter. */
				fail_msg("%s cut at boundary %zu: got %d", vectors[i].name, len,
					 rc);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_register), cmocka_unit_test(test_decode_assign_rsap),
	    cmocka_unit_test(test_decode_errors),   cmocka_unit_test(test_decode_rsipsec),
	    cmocka_unit_test(test_decode_query),    cmocka_unit_test(test_reencode_all),
	    cmocka_unit_test(test_encode_built),    cmocka_unit_test(test_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
