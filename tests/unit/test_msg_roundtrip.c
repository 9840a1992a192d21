// SPDX-License-Identifier: BSD-2-Clause
/*
 * Every RSIP message type (RFC 3103 1-17, RFC 3104 22-23) built through the
 * API, encoded, decoded back and compared field by field: once with only its
 * required parameters, once with every optional one too. Also checks that
 * rsip_msg_diff, which the fuzzer relies on, notices each kind of change.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "../lib/msg_raw.h"
#include "msg_compare.h"
#include "rsip/msg.h"

/* What each grammar holds (spec 4.2), written independently of the codec. */
struct shape {
	uint8_t type;
	uint32_t req, opt;
	uint8_t tunnels_min, tunnels_max;
	uint8_t methods_max;
	bool tuples;
};

#define C  RSIP_HAS_CLIENT_ID
#define B  RSIP_HAS_BIND_ID
#define LA RSIP_HAS_LOCAL_ADDR
#define LP RSIP_HAS_LOCAL_PORTS
#define RA RSIP_HAS_REMOTE_ADDR
#define RP RSIP_HAS_REMOTE_PORTS
#define L  RSIP_HAS_LEASE
#define N  RSIP_HAS_COUNTER
#define E  RSIP_HAS_ENDPOINT

static const struct shape shapes[] = {
    {RSIP_ERROR_RESPONSE, RSIP_HAS_ERROR, N | C | B, 0, 0, 0, false},
    {RSIP_REGISTER_REQUEST, 0, N, 0, 0, 0, false},
    {RSIP_REGISTER_RESPONSE, C | L | RSIP_HAS_FLOW_POLICY, N, 0, 8, 8, false},
    {RSIP_DEREGISTER_REQUEST, C, N, 0, 0, 0, false},
    {RSIP_DEREGISTER_RESPONSE, C, N, 0, 0, 0, false},
    {RSIP_ASSIGN_REQUEST_RSA_IP, C | LA | RA | RP, N | L, 0, 1, 0, false},
    {RSIP_ASSIGN_RESPONSE_RSA_IP, C | B | LA | RA | RP | L, E | N, 1, 1, 0, false},
    {RSIP_ASSIGN_REQUEST_RSAP_IP, C | LA | LP | RA | RP, N | L, 0, 1, 0, false},
    {RSIP_ASSIGN_RESPONSE_RSAP_IP, C | B | LA | LP | RA | RP | L, E | N, 1, 1, 0, false},
    {RSIP_EXTEND_REQUEST, C | B, L | N, 0, 0, 0, false},
    {RSIP_EXTEND_RESPONSE, C | B | L, N, 0, 0, 0, false},
    {RSIP_FREE_REQUEST, C | B, N, 0, 0, 0, false},
    {RSIP_FREE_RESPONSE, C | B, N, 0, 0, 0, false},
    {RSIP_QUERY_REQUEST, C, N, 0, 0, 0, true},
    {RSIP_QUERY_RESPONSE, C, N, 0, 0, 0, true},
    {RSIP_LISTEN_REQUEST, C | LA | LP | RA | RP, N | L, 0, 8, 0, false},
    {RSIP_LISTEN_RESPONSE, C | B | LA | LP | RA | RP | L, E | N, 1, 1, 0, false},
    {RSIP_ASSIGN_REQUEST_RSIPSEC, C | LA | LP | RA | RP | RSIP_HAS_SPI, N | L, 0, 1, 0, false},
    {RSIP_ASSIGN_RESPONSE_RSIPSEC, C | B | LA | LP | RA | RP | RSIP_HAS_SPI | L, E | N, 1, 1, 0,
     false},
};

#define N_SHAPES (sizeof(shapes) / sizeof(shapes[0]))

static struct rsip_msg in, out;
static uint8_t buf[RSIP_MAX_MSG];
static const uint8_t vendor_a[] = {0xde, 0xad, 0xbe, 0xef};

static void set_v4(struct rsip_address *a, uint8_t type, const char *s)
{
	a->type = type;
	assert_int_equal(inet_pton(AF_INET, s, &a->u.v4), 1);
}

static void set_v6(struct rsip_address *a, const char *s)
{
	a->type = RSIP_ADDR_IPV6;
	assert_int_equal(inet_pton(AF_INET6, s, &a->u.v6), 1);
}

static void set_fqdn(struct rsip_address *a, const char *s)
{
	a->type = RSIP_ADDR_FQDN;
	a->fqdn_len = (uint16_t)strlen(s);
	a->u.fqdn = s; /* a sender's own storage: not copied */
}

static const uint16_t three_ports[] = {5000, 7000, 6000};
static const uint32_t three_spis[] = {0x300, 0x100, 0xffffffff};

/* Fill every field the shape has; full adds the optional ones. The values
 * vary by type so a field swapped between roles would show. */
static void fill(struct rsip_msg *m, const struct shape *s, bool full)
{
	uint32_t has = s->req | (full ? s->opt : 0);
	uint8_t t = s->type;
	int i;

	rsip_msg_init(m, t);
	m->has = has;
	m->client_id = 0x01020300u + t;
	m->bind_id = 0xa1b2c300u + t;
	m->counter = full ? 0xfffffff0u + t : 0;
	m->lease = 3600 + t;
	m->error = RSIP_E_LOCAL_ADDRPORT_INUSE;
	m->flow_local = RSIP_FLOW_MACRO;
	m->flow_remote = RSIP_FLOW_MICRO;

	set_v4(&m->local_addr, RSIP_ADDR_IPV4, "192.0.2.77");
	if (full)
		set_v6(&m->remote_addr, "2001:db8::5");
	else
		set_v4(&m->remote_addr, RSIP_ADDR_IPV4, "198.51.100.9");
	if (t == RSIP_ASSIGN_REQUEST_RSIPSEC || t == RSIP_ASSIGN_RESPONSE_RSIPSEC) {
		m->local_ports.form = full ? RSIP_PORTS_RANGE : RSIP_PORTS_NOT_NEEDED;
		m->local_ports.number = 8;
		m->local_ports.first = 40000;
	} else {
		m->local_ports.form = RSIP_PORTS_LIST;
		m->local_ports.number = 3;
		m->local_ports.list = three_ports;
	}
	m->remote_ports.form = RSIP_PORTS_RANGE;
	m->remote_ports.number = 1;
	m->remote_ports.first = (uint16_t)(80 + t);
	if (t == RSIP_LISTEN_RESPONSE)
		set_fqdn(&m->endpoint, "tunnel-end.example.net");
	else
		set_v4(&m->endpoint, RSIP_ADDR_IPV4, "203.0.113.1");
	m->spi.form = full ? RSIP_SPI_LIST : RSIP_SPI_RANGE;
	m->spi.number = 3;
	if (full)
		m->spi.list = three_spis;
	else
		m->spi.first = 0x300;

	m->n_tunnels = full ? s->tunnels_max : s->tunnels_min;
	for (i = 0; i < m->n_tunnels; i++)
		m->tunnels[i] = (uint8_t)(i % 3 + 1);
	m->n_methods = full ? s->methods_max : 0;
	for (i = 0; i < m->n_methods; i++)
		m->methods[i] = (uint8_t)(3 - i % 3);

	if (s->tuples && full) {
		bool resp = t == RSIP_QUERY_RESPONSE;

		for (i = 0; i < 4; i++)
			assert_non_null(rsip_msg_add_tuple(m));
		m->tuples[0].indicator = RSIP_IND_ADDRESS;
		set_v4(&m->tuples[0].addr, RSIP_ADDR_IPV4, "10.1.2.3");
		m->tuples[1].indicator = RSIP_IND_NETWORK;
		set_v4(&m->tuples[1].addr, RSIP_ADDR_IPV4, "10.20.0.0");
		set_v4(&m->tuples[1].mask, RSIP_ADDR_IPV4_NETMASK, "255.255.0.0");
		m->tuples[2].indicator = resp ? RSIP_IND_REMOTE_ADDRESS : RSIP_IND_ADDRESS;
		set_fqdn(&m->tuples[2].addr, "peer.example.org");
		m->tuples[3].indicator = resp ? RSIP_IND_REMOTE_NETWORK : RSIP_IND_NETWORK;
		set_v4(&m->tuples[3].addr, RSIP_ADDR_IPV4, "198.51.100.0");
		set_v4(&m->tuples[3].mask, RSIP_ADDR_IPV4_NETMASK, "255.255.255.128");
	}
	if (full) {
		assert_non_null(rsip_msg_add_vendor(m));
		assert_non_null(rsip_msg_add_vendor(m));
		m->vendor[0] = (struct rsip_vendor){
		    .vendor_id = 9, .subtype = 1, .len = sizeof(vendor_a), .data = vendor_a};
		m->vendor[1] = (struct rsip_vendor){.vendor_id = 0xffff, .subtype = 0};
	}
}

static void assert_addr_same(const struct rsip_address *a, const struct rsip_address *b)
{
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->any, b->any);
	switch (a->type) {
	case RSIP_ADDR_IPV6:
		assert_memory_equal(&a->u.v6, &b->u.v6, 16);
		break;
	case RSIP_ADDR_FQDN:
		assert_int_equal(a->fqdn_len, b->fqdn_len);
		assert_memory_equal(a->u.fqdn, b->u.fqdn, a->fqdn_len);
		break;
	default:
		assert_int_equal(a->u.v4.s_addr, b->u.v4.s_addr);
	}
}

static void assert_ports_same(const struct rsip_ports *a, const struct rsip_ports *b)
{
	assert_int_equal(a->form, b->form);
	if (a->form == RSIP_PORTS_NOT_NEEDED)
		return;
	assert_int_equal(a->number, b->number);
	if (a->form == RSIP_PORTS_RANGE)
		assert_int_equal(a->first, b->first);
	if (a->form == RSIP_PORTS_LIST)
		for (unsigned int i = 0; i < a->number; i++)
			assert_int_equal(rsip_ports_at(a, i), rsip_ports_at(b, i));
}

/* Field by field, independently of rsip_msg_diff. */
static void assert_same(const struct rsip_msg *a, const struct rsip_msg *b)
{
	int i;

	assert_int_equal(b->version, RSIP_VERSION);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->has, b->has);
	if (a->has & RSIP_HAS_COUNTER)
		assert_int_equal(a->counter, b->counter);
	if (a->has & RSIP_HAS_CLIENT_ID)
		assert_int_equal(a->client_id, b->client_id);
	if (a->has & RSIP_HAS_BIND_ID)
		assert_int_equal(a->bind_id, b->bind_id);
	if (a->has & RSIP_HAS_LEASE)
		assert_int_equal(a->lease, b->lease);
	if (a->has & RSIP_HAS_ERROR)
		assert_int_equal(a->error, b->error);
	if (a->has & RSIP_HAS_FLOW_POLICY) {
		assert_int_equal(a->flow_local, b->flow_local);
		assert_int_equal(a->flow_remote, b->flow_remote);
	}
	if (a->has & RSIP_HAS_LOCAL_ADDR)
		assert_addr_same(&a->local_addr, &b->local_addr);
	if (a->has & RSIP_HAS_REMOTE_ADDR)
		assert_addr_same(&a->remote_addr, &b->remote_addr);
	if (a->has & RSIP_HAS_ENDPOINT)
		assert_addr_same(&a->endpoint, &b->endpoint);
	if (a->has & RSIP_HAS_LOCAL_PORTS)
		assert_ports_same(&a->local_ports, &b->local_ports);
	if (a->has & RSIP_HAS_REMOTE_PORTS)
		assert_ports_same(&a->remote_ports, &b->remote_ports);
	if (a->has & RSIP_HAS_SPI) {
		assert_int_equal(a->spi.form, b->spi.form);
		assert_int_equal(a->spi.number, b->spi.number);
		assert_int_equal(rsip_spi_at(&a->spi, 0), rsip_spi_at(&b->spi, 0));
		for (i = 0; a->spi.form == RSIP_SPI_LIST && i < a->spi.number; i++)
			assert_int_equal(rsip_spi_at(&a->spi, i), rsip_spi_at(&b->spi, i));
	}
	assert_int_equal(a->n_methods, b->n_methods);
	assert_memory_equal(a->methods, b->methods, a->n_methods);
	assert_int_equal(a->n_tunnels, b->n_tunnels);
	assert_memory_equal(a->tunnels, b->tunnels, a->n_tunnels);
	assert_int_equal(a->n_tuples, b->n_tuples);
	for (i = 0; i < a->n_tuples; i++) {
		assert_int_equal(a->tuples[i].indicator, b->tuples[i].indicator);
		assert_addr_same(&a->tuples[i].addr, &b->tuples[i].addr);
		if (a->tuples[i].indicator == 2 || a->tuples[i].indicator == 4)
			assert_addr_same(&a->tuples[i].mask, &b->tuples[i].mask);
	}
	assert_int_equal(a->n_vendor, b->n_vendor);
	for (i = 0; i < a->n_vendor; i++) {
		assert_int_equal(a->vendor[i].vendor_id, b->vendor[i].vendor_id);
		assert_int_equal(a->vendor[i].subtype, b->vendor[i].subtype);
		assert_int_equal(a->vendor[i].len, b->vendor[i].len);
		if (a->vendor[i].len)
			assert_memory_equal(a->vendor[i].data, b->vendor[i].data, a->vendor[i].len);
	}
}

static void round_trip(bool full)
{
	struct rsip_decode_err err;
	uint8_t again[RSIP_MAX_MSG];
	ssize_t n, n2;
	size_t i;

	for (i = 0; i < N_SHAPES; i++) {
		fill(&in, &shapes[i], full);
		n = rsip_encode(&in, buf, sizeof(buf));
		if (n < RSIP_HDR_LEN)
			fail_msg("%s: encode failed: %zd", rsip_msg_type_name(shapes[i].type), n);
		assert_int_equal(buf[0], 1);
		assert_int_equal(buf[1], shapes[i].type);
		assert_int_equal(buf[2] << 8 | buf[3], n);
		if (decode_exact(buf, (size_t)n, &out, &err))
			fail_msg("%s: decode failed: %u (%s)", rsip_msg_type_name(shapes[i].type),
				 err.error, err.why);
		assert_same(&in, &out);
		assert_null(rsip_msg_diff(&in, &out));
		/* Canonical: the decoded message encodes to the same bytes. */
		n2 = rsip_encode(&out, again, sizeof(again));
		assert_int_equal(n2, n);
		assert_memory_equal(again, buf, (size_t)n);
	}
}

static void test_round_trip_required_only(void **state)
{
	round_trip(false);
}

static void test_round_trip_everything(void **state)
{
	round_trip(true);
}

/* Grammar order on the wire, checked on bytes: LISTEN_RESPONSE carries
 * Tunnel Type before Lease Time, ASSIGN_RESPONSE_* the other way round. */
static void test_wire_order(void **state)
{
	static const uint8_t want_listen[] = {
	    RSIP_P_CLIENT_ID,	    RSIP_P_BIND_ID,	    RSIP_P_ADDRESS,
	    RSIP_P_PORTS,	    RSIP_P_ADDRESS,	    RSIP_P_PORTS,
	    RSIP_P_TUNNEL_TYPE,	    RSIP_P_LEASE_TIME,	    RSIP_P_ADDRESS,
	    RSIP_P_MESSAGE_COUNTER, RSIP_P_VENDOR_SPECIFIC, RSIP_P_VENDOR_SPECIFIC};
	static const uint8_t want_rsap[] = {
	    RSIP_P_CLIENT_ID,	    RSIP_P_BIND_ID,	    RSIP_P_ADDRESS,
	    RSIP_P_PORTS,	    RSIP_P_ADDRESS,	    RSIP_P_PORTS,
	    RSIP_P_LEASE_TIME,	    RSIP_P_TUNNEL_TYPE,	    RSIP_P_ADDRESS,
	    RSIP_P_MESSAGE_COUNTER, RSIP_P_VENDOR_SPECIFIC, RSIP_P_VENDOR_SPECIFIC};
	const struct {
		size_t shape;
		const uint8_t *want;
		size_t n;
	} cases[] = {
	    {16, want_listen, sizeof(want_listen)},
	    {8, want_rsap, sizeof(want_rsap)},
	};
	size_t c, off, k;
	ssize_t n;

	for (c = 0; c < 2; c++) {
		fill(&in, &shapes[cases[c].shape], true);
		n = rsip_encode(&in, buf, sizeof(buf));
		assert_true(n > 0);
		for (off = RSIP_HDR_LEN, k = 0; off < (size_t)n; k++) {
			assert_true(k < cases[c].n);
			assert_int_equal(buf[off], cases[c].want[k]);
			off += RSIP_PARAM_HDR + (size_t)(buf[off + 1] << 8 | buf[off + 2]);
		}
		assert_int_equal(k, cases[c].n);
	}
}

/* rsip_msg_diff must notice each kind of change, or the round-trip checks
 * built on it (here and in the fuzzer) could pass vacuously. */
static void test_diff_notices(void **state)
{
	static const uint8_t other_data[] = {0xde, 0xad, 0xbe, 0xee};
	static const uint32_t other_spis[] = {0x300, 0x100, 0xfffffffe};
	const struct shape *sec = &shapes[18], *query = &shapes[14], *reg = &shapes[2];

	fill(&in, sec, true);
	out = in;
	assert_null(rsip_msg_diff(&in, &out));
	/* Fields the message does not have are not compared. */
	out.error = 1;
	out.local_ports.list = three_ports; /* a RANGE has no list */
	assert_null(rsip_msg_diff(&in, &out));

#define CHANGED(expr, name)                                                                        \
	do {                                                                                       \
		fill(&in, sec, true);                                                              \
		out = in;                                                                          \
		expr;                                                                              \
		assert_string_equal(rsip_msg_diff(&in, &out), name);                               \
	} while (0)
	CHANGED(out.type = RSIP_ASSIGN_REQUEST_RSIPSEC, "type");
	CHANGED(out.has &= ~RSIP_HAS_ENDPOINT, "has");
	CHANGED(out.counter++, "counter");
	CHANGED(out.client_id++, "client_id");
	CHANGED(out.bind_id++, "bind_id");
	CHANGED(out.lease++, "lease");
	CHANGED(out.local_addr.u.v4.s_addr ^= 1, "local_addr");
	CHANGED(out.remote_addr.u.v6.s6_addr[15] ^= 1, "remote_addr");
	CHANGED(out.remote_addr.any = true, "remote_addr");
	CHANGED(out.endpoint.type = RSIP_ADDR_IPV6, "endpoint");
	CHANGED(out.local_ports.number++, "local_ports");
	CHANGED(out.local_ports.first++, "local_ports");
	CHANGED(out.remote_ports.form = RSIP_PORTS_ANY, "remote_ports");
	CHANGED(out.spi.list = other_spis, "spi");
	CHANGED(out.n_tunnels = 0, "n_tunnels");
	CHANGED(out.tunnels[0] = 2, "tunnels");
	CHANGED(out.n_vendor = 1, "n_vendor");
	CHANGED(out.vendor[1].subtype = 1, "vendor[1]");
	/* Vendor data by content, not by pointer. */
	fill(&in, sec, true);
	out = in;
	out.vendor[0].data = other_data;
	assert_string_equal(rsip_msg_diff(&in, &out), "vendor[0]");
	memcpy(buf, vendor_a, sizeof(vendor_a));
	out.vendor[0].data = buf;
	assert_null(rsip_msg_diff(&in, &out));

	fill(&in, query, true);
	out = in;
	out.tuples[1].mask.u.v4.s_addr = 0;
	assert_string_equal(rsip_msg_diff(&in, &out), "tuples");
	out = in;
	out.tuples[2].addr.u.fqdn = "peeX.example.org";
	assert_string_equal(rsip_msg_diff(&in, &out), "tuples");
	out = in;
	out.tuples[0].indicator = RSIP_IND_NETWORK;
	assert_string_equal(rsip_msg_diff(&in, &out), "tuples");

	fill(&in, reg, true);
	out = in;
	out.methods[7] = 1;
	assert_string_equal(rsip_msg_diff(&in, &out), "methods");
	out = in;
	out.flow_remote = RSIP_FLOW_NONE;
	assert_string_equal(rsip_msg_diff(&in, &out), "flow_remote");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_required_only),
	    cmocka_unit_test(test_round_trip_everything),
	    cmocka_unit_test(test_wire_order),
	    cmocka_unit_test(test_diff_notices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
