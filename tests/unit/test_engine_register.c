// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsipd engine: registration, de-registration and the general checks of
 * spec 6.1 (framing, version, type, counter, transport, Client ID), driven
 * with crafted bytes and no socket.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "../lib/engine_harness.h"
#include "engine/engine_priv.h"

#define ARGS "--listen 10.0.0.1 --public 192.0.2.1 --allow 10.0.0.0/24 --lease 600"

static void test_register_udp(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src x = h_udp("10.0.0.2", 40000);
	const struct rsip_msg *m;
	struct raw r;

	raw_begin(&r, RSIP_REGISTER_REQUEST);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 1);
	assert_int_equal(h_send(h, &x, &r), ENGINE_OK);
	m = h_reply_since(h, 0);
	assert_int_equal(m->type, RSIP_REGISTER_RESPONSE);
	assert_true(m->client_id != 0);
	assert_int_equal(m->lease, 600);
	assert_int_equal(m->counter, 1);
	assert_int_equal(m->flow_local, RSIP_FLOW_MACRO);
	assert_int_equal(m->flow_remote, RSIP_FLOW_NONE);
	/* Local macro: RSA-IP offered (D9); RSIPSEC for everyone by default. */
	assert_int_equal(m->n_methods, 3);
	assert_int_equal(m->methods[0], RSIP_METHOD_RSA_IP);
	assert_int_equal(m->methods[1], RSIP_METHOD_RSAP_IP);
	assert_int_equal(m->methods[2], RSIP_METHOD_RSIPSEC);
	assert_int_equal(m->n_tunnels, 2);
	assert_int_equal(m->tunnels[0], RSIP_TUNNEL_IPIP);
	assert_int_equal(m->tunnels[1], RSIP_TUNNEL_GRE);
	/* Sent back to where it came from; the data plane knows the host. */
	assert_int_equal(h->sent[0].to.port, 40000);
	assert_true(dataplane_none_has_client(h->dp, m->client_id));
	assert_int_equal(engine_n_clients(h->e), 1);
	assert_int_equal(engine_counters(h->e)->registrations, 1);
	h_free(h);
}

static void test_register_methods_follow_policy(void **state)
{
	/* Local micro: no RSA-IP (D9); RSIPSEC only for --ipsec-allow. */
	struct harness *h = h_new(ARGS " --flow-policy micro/macro --ipsec-allow 10.0.0.128/25");
	struct engine_src x = h_tcp("10.0.0.2", 40000, 7);
	const struct rsip_msg *m;
	struct raw r;

	raw_begin(&r, RSIP_REGISTER_REQUEST); /* TCP: no counter needed */
	assert_int_equal(h_send(h, &x, &r), ENGINE_OK);
	m = h_reply_since(h, 0);
	assert_int_equal(m->type, RSIP_REGISTER_RESPONSE);
	assert_false(m->has & RSIP_HAS_COUNTER);
	assert_int_equal(m->flow_local, RSIP_FLOW_MICRO);
	assert_int_equal(m->flow_remote, RSIP_FLOW_MACRO);
	assert_int_equal(m->n_methods, 1);
	assert_int_equal(m->methods[0], RSIP_METHOD_RSAP_IP);
	assert_int_equal(h->sent[0].to.conn, 7);
	h_free(h);
}

static void test_already_registered_302(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src x = h_udp("10.0.0.2", 40000), x2 = h_udp("10.0.0.2", 40001);
	uint32_t id = h_register(h, &x, 1);
	size_t mark = h->n_sent;
	struct raw r;

	/* Another port of the same host (a rebooted host, 10.2.1): 302 with the
	 * existing Client ID. */
	raw_begin(&r, RSIP_REGISTER_REQUEST);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 1);
	h_send(h, &x2, &r);
	h_expect_error(h, mark, RSIP_E_ALREADY_REGISTERED);
	assert_true(h->msg.has & RSIP_HAS_CLIENT_ID);
	assert_int_equal(h->msg.client_id, id);
	assert_int_equal(h->msg.counter, 1);
	assert_int_equal(engine_n_clients(h->e), 1);
	h_free(h);
}

static void test_registration_denied_304(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src y = h_udp("10.0.1.2", 40000), t = h_tcp("10.0.1.2", 40000, 7);
	struct raw r;

	/* Over UDP the source may be forged: no answer at all (no
	 * reflection), whatever the datagram holds. */
	raw_begin(&r, RSIP_REGISTER_REQUEST);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 3);
	h_send(h, &y, &r);
	assert_int_equal(h->n_sent, 0);
	raw_begin(&r, 0x77);
	h_send(h, &y, &r);
	assert_int_equal(h->n_sent, 0);
	assert_int_equal(engine_counters(h->e)->dropped_not_allowed, 2);
	/* Over TCP (a handshake proved the source): 304. */
	raw_begin(&r, RSIP_REGISTER_REQUEST);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 3);
	h_send(h, &t, &r);
	h_expect_error(h, 0, RSIP_E_REGISTRATION_DENIED);
	assert_int_equal(h->msg.counter, 3);
	assert_int_equal(engine_n_clients(h->e), 0);
	assert_int_equal(dataplane_none_n_clients(h->dp), 0);
	h_free(h);
}

/* A FREE of a binding that does not exist: 306, but the Client ID was the
 * host's own, so the registration is proven. */
static void prove(struct harness *h, const struct engine_src *src, uint32_t id)
{
	size_t mark = h->n_sent;
	struct raw r;

	raw_begin(&r, RSIP_FREE_REQUEST);
	raw_u32(&r, RSIP_P_CLIENT_ID, id);
	raw_u32(&r, RSIP_P_BIND_ID, 12345);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 77);
	h_send(h, src, &r);
	h_expect_error(h, mark, RSIP_E_BAD_BIND_ID);
}

/* --max-clients: the next host gets 304 and holds nothing. */
static void test_max_clients_304(void **state)
{
	struct harness *h = h_new(ARGS " --max-clients 2");
	struct engine_src a = h_tcp("10.0.0.2", 40000, 1), b = h_udp("10.0.0.3", 40000),
			  c = h_udp("10.0.0.4", 40000);
	struct raw r;
	size_t mark;

	h_register(h, &a, 1);
	prove(h, &b, h_register(h, &b, 1));
	mark = h->n_sent;
	raw_begin(&r, RSIP_REGISTER_REQUEST);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 1);
	h_send(h, &c, &r);
	h_expect_error(h, mark, RSIP_E_REGISTRATION_DENIED);
	assert_int_equal(engine_n_clients(h->e), 2);
	assert_int_equal(engine_counters(h->e)->registers_capped, 1);
	h_free(h);
}

/* Hosts choose their addresses (inside --allow), and a spoofed REGISTER any
 * address there. Addresses picked so that uthash's own hash (Jenkins, not
 * seeded) puts them in one bucket of every table up to 1,024 buckets would
 * stop the engine's address table from growing (uthash's "noexpand") and
 * make every host's look-up walk a chain of them all. The engine's tables
 * are seeded (hash32.h): the same addresses spread. */
static void test_register_colliding_addresses(void **state)
{
	enum { N = 1024, MASK = 1023 };
	struct harness *h = h_new("--listen 10.0.0.1 --public 192.0.2.1 --allow 10.0.0.0/11 "
				  "--lease 600 --max-clients 5000 --register-rate 0");
	const UT_hash_table *tbl;
	uint32_t a, hv, target = 0, n = 0, chain = 0, i;
	bool have_target = false;

	for (a = 2; a < (1u << 21) && n < N; a++) {
		uint32_t be = htonl(0x0a000000u | a);
		struct engine_src x;
		char ip[INET_ADDRSTRLEN];

		HASH_JEN(&be, sizeof(be), hv);
		if (!have_target) {
			target = hv & MASK;
			have_target = true;
		}
		if ((hv & MASK) != target)
			continue;
		inet_ntop(AF_INET, &be, ip, sizeof(ip));
		x = h_udp(ip, 40000);
		h->n_sent = 0;
		h_register(h, &x, 1);
		n++;
	}
	assert_int_equal(n, N);
	assert_int_equal(engine_n_clients(h->e), N);
	tbl = h->e->by_addr->hh_addr.tbl;
	for (i = 0; i < tbl->num_buckets; i++)
		if (tbl->buckets[i].count > chain)
			chain = tbl->buckets[i].count;
	print_message("%u addresses in one Jenkins bucket: %u buckets, longest chain %u, "
		      "noexpand %u\n",
		      n, tbl->num_buckets, chain, tbl->noexpand);
	assert_int_equal(tbl->noexpand, 0);
	assert_true(tbl->num_buckets >= N / 16);
	assert_true(chain <= 64);
	h_free(h);
}

/* At --max-clients the oldest UDP registration that never used its Client
 * ID (a forged source never sees the reply) makes room; proven ones and TCP
 * ones stay. */
static void test_max_clients_evicts_unproven(void **state)
{
	struct harness *h = h_new(ARGS " --max-clients 3");
	struct engine_src a = h_udp("10.0.0.2", 40000), b = h_udp("10.0.0.3", 40000),
			  t = h_tcp("10.0.0.4", 40000, 9), c = h_udp("10.0.0.5", 40000);
	uint32_t ida, idb;

	ida = h_register(h, &a, 1);
	idb = h_register(h, &b, 1);
	h_register(h, &t, 1);
	prove(h, &a, ida);
	h_register(h, &c, 1);
	assert_int_equal(engine_n_clients(h->e), 3);
	assert_int_equal(engine_counters(h->e)->registrations_evicted, 1);
	/* b was the one: its ID is gone, a's is not. */
	prove(h, &a, ida);
	{
		size_t mark = h->n_sent;
		struct raw r;

		raw_begin(&r, RSIP_FREE_REQUEST);
		raw_u32(&r, RSIP_P_CLIENT_ID, idb);
		raw_u32(&r, RSIP_P_BIND_ID, 12345);
		raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 78);
		h_send(h, &b, &r);
		h_expect_error(h, mark, RSIP_E_REGISTER_FIRST);
	}
	h_free(h);
}

/* --register-rate: a prefix over its bucket is dropped (UDP) while another
 * prefix still registers; the bucket refills with time. */
static void test_register_rate(void **state)
{
	struct harness *h = h_new("--listen 10.0.0.1 --public 192.0.2.1 --register-rate 1/3 "
				  "--register-prefix 24");
	struct engine_src src;
	struct raw r;
	char ip[32];
	int i;

	for (i = 0; i < 5; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", 10 + i);
		src = h_udp(ip, 40000);
		raw_begin(&r, RSIP_REGISTER_REQUEST);
		raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 1);
		h_send(h, &src, &r);
	}
	assert_int_equal(engine_n_clients(h->e), 3);
	assert_int_equal(h->n_sent, 3);
	assert_int_equal(engine_counters(h->e)->registers_limited, 2);
	src = h_udp("10.0.1.10", 40000);
	h_register(h, &src, 1);
	assert_int_equal(engine_n_clients(h->e), 4);
	h->now += 1000; /* one token back */
	src = h_udp("10.0.0.20", 40000);
	h_register(h, &src, 1);
	src = h_udp("10.0.0.21", 40000);
	raw_begin(&r, RSIP_REGISTER_REQUEST);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 1);
	h_send(h, &src, &r);
	assert_int_equal(engine_n_clients(h->e), 5);
	assert_int_equal(engine_counters(h->e)->registers_limited, 3);
	h_free(h);
}

static void test_register_first_301(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src x = h_udp("10.0.0.2", 40000);
	struct raw r;

	h_assign_rsap(&r, 1234, "any", "01", "any", "01", 9);
	h_send(h, &x, &r);
	h_expect_error(h, 0, RSIP_E_REGISTER_FIRST);
	assert_int_equal(h->msg.counter, 9);
	assert_int_equal(h->msg.client_id, 1234); /* the ID it concerns */
	/* D11: DE-REGISTER without a registration is 301, never 303. */
	raw_begin(&r, RSIP_DEREGISTER_REQUEST);
	raw_u32(&r, RSIP_P_CLIENT_ID, 1234);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 10);
	h_send(h, &x, &r);
	h_expect_error(h, 1, RSIP_E_REGISTER_FIRST);
	h_free(h);
}

static void test_bad_client_id_305(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src x = h_udp("10.0.0.2", 40000);
	uint32_t id = h_register(h, &x, 1);
	size_t mark = h->n_sent;
	struct raw r;

	raw_begin(&r, RSIP_DEREGISTER_REQUEST);
	raw_u32(&r, RSIP_P_CLIENT_ID, id + 1);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 2);
	h_send(h, &x, &r);
	h_expect_error(h, mark, RSIP_E_BAD_CLIENT_ID);
	/* D17: the host's real Client ID. */
	assert_int_equal(h->msg.client_id, id);
	assert_int_equal(engine_n_clients(h->e), 1);
	h_free(h);
}

static void test_deregister(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src x = h_udp("10.0.0.2", 40000);
	uint32_t id = h_register(h, &x, 1);
	size_t mark;
	struct raw r;

	h_assign_ports(h, &x, id, 4, 2);
	assert_int_equal(dataplane_none_n_bindings(h->dp), 1);
	mark = h->n_sent;
	raw_begin(&r, RSIP_DEREGISTER_REQUEST);
	raw_u32(&r, RSIP_P_CLIENT_ID, id);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 3);
	h_send(h, &x, &r);
	h_reply_since(h, mark);
	assert_int_equal(h->msg.type, RSIP_DEREGISTER_RESPONSE);
	assert_int_equal(h->msg.client_id, id);
	assert_int_equal(h->msg.counter, 3);
	/* Everything freed, the data plane told. */
	assert_int_equal(engine_n_clients(h->e), 0);
	assert_int_equal(engine_n_bindings(h->e), 0);
	assert_int_equal(dataplane_none_n_bindings(h->dp), 0);
	assert_int_equal(dataplane_none_n_clients(h->dp), 0);
	/* A retransmission of the DE-REGISTER gets the same bytes, not 301. */
	h_send(h, &x, &r);
	assert_int_equal(h->n_sent, mark + 2);
	assert_int_equal(h->sent[mark].len, h->sent[mark + 1].len);
	assert_memory_equal(h->sent[mark].buf, h->sent[mark + 1].buf, h->sent[mark].len);
	/* And the host may register again, with a new ID. */
	assert_true(h_register(h, &x, 4) != 0);
	h_free(h);
}

static void test_retransmitted_register(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src x = h_udp("10.0.0.2", 40000);
	struct raw r;

	raw_begin(&r, RSIP_REGISTER_REQUEST);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 5);
	h_send(h, &x, &r);
	h_send(h, &x, &r); /* the duplicate check comes before 302 (6.2) */
	assert_int_equal(h->n_sent, 2);
	assert_int_equal(h->sent[0].len, h->sent[1].len);
	assert_memory_equal(h->sent[0].buf, h->sent[1].buf, h->sent[0].len);
	assert_int_equal(engine_n_clients(h->e), 1);
	assert_int_equal(engine_counters(h->e)->registrations, 1);
	assert_int_equal(engine_counters(h->e)->retransmits, 1);
	h_free(h);
}

static void test_prereg_cache(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src y = h_tcp("10.0.1.2", 40000, 7), y2 = h_tcp("10.0.1.2", 40001, 8);
	struct raw r;

	/* A refused REGISTER is replayed, keyed by source IP and port (over
	 * TCP: over UDP a source outside --allow gets no answer at all). */
	raw_begin(&r, RSIP_REGISTER_REQUEST);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 5);
	h_send(h, &y, &r);
	h_send(h, &y, &r);
	assert_int_equal(engine_counters(h->e)->retransmits, 1);
	assert_memory_equal(h->sent[0].buf, h->sent[1].buf, h->sent[0].len);
	/* Another port: a new request (counted as an error again). */
	h_send(h, &y2, &r);
	assert_int_equal(engine_counters(h->e)->retransmits, 1);
	assert_int_equal(engine_counters(h->e)->errors[304], 2);
	/* The entry expires (PREREG_TTL_MS = 30 s). */
	h->now += 31000;
	engine_tick(h->e);
	h_send(h, &y, &r);
	assert_int_equal(engine_counters(h->e)->retransmits, 1);
	assert_int_equal(engine_counters(h->e)->errors[304], 3);
	h_free(h);
}

static void test_counter_rules(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src x = h_udp("10.0.0.2", 40000);
	struct raw r;

	/* UDP without a counter: 105. */
	raw_begin(&r, RSIP_REGISTER_REQUEST);
	h_send(h, &x, &r);
	h_expect_error(h, 0, RSIP_E_MESSAGE_COUNTER_REQUIRED);
	assert_false(h->msg.has & RSIP_HAS_COUNTER);
	/* Counter 0 is the gateway's (D3): 205. */
	raw_begin(&r, RSIP_REGISTER_REQUEST);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 0);
	h_send(h, &x, &r);
	h_expect_error(h, 1, RSIP_E_BAD_PARAM);
	assert_int_equal(engine_n_clients(h->e), 0);
	/* Gaps are fine (D3): 1, then 7. */
	h_register(h, &x, 1);
	raw_begin(&r, RSIP_QUERY_REQUEST);
	raw_u32(&r, RSIP_P_CLIENT_ID, h->msg.client_id);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 7);
	h_send(h, &x, &r);
	assert_int_equal(h_msg(h, -1)->type, RSIP_QUERY_RESPONSE);
	assert_int_equal(h->msg.counter, 7);
	h_free(h);
}

static void test_malformed(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src x = h_udp("10.0.0.2", 40000);
	struct engine_src t = h_tcp("10.0.0.3", 40000, 3);
	struct raw r;
	size_t mark;

	/* 106: version 2. */
	raw_begin(&r, RSIP_REGISTER_REQUEST);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 4);
	raw_len(&r);
	r.b[0] = 2;
	r.len = 11;
	assert_int_equal(engine_handle(h->e, &x, r.b, r.len), ENGINE_OK);
	h_expect_error(h, 0, RSIP_E_UNSUPPORTED_RSIP_VERSION);
	assert_int_equal(h->msg.counter, 4); /* salvaged from the bad message */
	/* 206: an unknown type, and a response type sent by a host (D8). */
	raw_begin(&r, 30);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 5);
	h_send(h, &x, &r);
	h_expect_error(h, 1, RSIP_E_ILLEGAL_MESSAGE);
	raw_begin(&r, RSIP_REGISTER_RESPONSE);
	raw_u32(&r, RSIP_P_CLIENT_ID, 1);
	raw_u32(&r, RSIP_P_LEASE_TIME, 1);
	raw_u16(&r, RSIP_P_FLOW_POLICY, 0x0103);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 6);
	h_send(h, &x, &r);
	h_expect_error(h, 2, RSIP_E_ILLEGAL_MESSAGE);
	assert_int_equal(h->msg.counter, 6);
	/* 207 over UDP: Overall Length differs from the datagram. */
	raw_begin(&r, RSIP_REGISTER_REQUEST);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 7);
	raw_len(&r);
	assert_int_equal(engine_handle(h->e, &x, r.b, r.len - 1), ENGINE_OK);
	h_expect_error(h, 3, RSIP_E_BAD_MESSAGE);
	/* 204 unknown parameter, 201 missing Client ID. */
	raw_begin(&r, RSIP_REGISTER_REQUEST);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 8);
	raw_u8(&r, 200, 1);
	h_send(h, &x, &r);
	h_expect_error(h, 4, RSIP_E_ILLEGAL_PARAM);
	raw_begin(&r, RSIP_DEREGISTER_REQUEST);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 9);
	h_send(h, &x, &r);
	h_expect_error(h, 5, RSIP_E_MISSING_PARAM);
	/* TCP: an impossible Overall Length loses the stream: 207 and close. */
	mark = h->n_sent;
	engine_bad_frame(h->e, &t);
	h_expect_error(h, mark, RSIP_E_BAD_MESSAGE);
	assert_int_equal(h->sent[mark].to.conn, 3);
	/* A whole TCP message whose length field lies: close too. */
	raw_begin(&r, RSIP_REGISTER_REQUEST);
	raw_len(&r);
	r.b[3] = 2;
	assert_int_equal(engine_handle(h->e, &t, r.b, 4), ENGINE_CLOSE);
	assert_int_equal(engine_counters(h->e)->malformed, 8);
	assert_int_equal(engine_n_clients(h->e), 0);
	h_free(h);
}

static void test_transport_is_fixed(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src tu = h_tcp("10.0.0.2", 40000, 1), ud = h_udp("10.0.0.2", 40001);
	struct engine_src u2 = h_udp("10.0.0.3", 40000), t2 = h_tcp("10.0.0.3", 40001, 2);
	uint32_t id1 = h_register(h, &tu, 0), id2 = h_register(h, &u2, 1);
	size_t mark = h->n_sent;
	struct raw r;

	/* D4: registered over TCP, UDP message: 102. */
	raw_begin(&r, RSIP_QUERY_REQUEST);
	raw_u32(&r, RSIP_P_CLIENT_ID, id1);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 2);
	h_send(h, &ud, &r);
	h_expect_error(h, mark, RSIP_E_USE_TCP);
	assert_int_equal(h->msg.client_id, id1);
	/* Registered over UDP, TCP message: 101. */
	raw_begin(&r, RSIP_QUERY_REQUEST);
	raw_u32(&r, RSIP_P_CLIENT_ID, id2);
	h_send(h, &t2, &r);
	h_expect_error(h, mark + 1, RSIP_E_UNKNOWN_ERROR);
	assert_int_equal(h->msg.client_id, id2);
	/* Neither changed the registration. */
	assert_int_equal(engine_n_clients(h->e), 2);
	/* A new TCP connection from the registered host carries on (D4). */
	{
		struct engine_src tu2 = h_tcp("10.0.0.2", 40005, 9);

		raw_begin(&r, RSIP_QUERY_REQUEST);
		raw_u32(&r, RSIP_P_CLIENT_ID, id1);
		h_send(h, &tu2, &r);
		assert_int_equal(h_msg(h, -1)->type, RSIP_QUERY_RESPONSE);
		assert_int_equal(h->sent[h->n_sent - 1].to.conn, 9);
	}
	h_free(h);
}

static void test_tcp_only_102(void **state)
{
	struct harness *h = h_new(ARGS " --tcp-only");
	struct engine_src x = h_udp("10.0.0.2", 40000);
	struct raw r;

	raw_begin(&r, RSIP_REGISTER_REQUEST);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 1);
	h_send(h, &x, &r);
	h_expect_error(h, 0, RSIP_E_USE_TCP);
	assert_int_equal(h->msg.counter, 1);
	assert_int_equal(engine_n_clients(h->e), 0);
	h_free(h);
}

static void test_unsupported_208(void **state)
{
	struct harness *h = h_new(ARGS " --no-rsa-ip");
	struct engine_src x = h_udp("10.0.0.2", 40000);
	uint32_t id = h_register(h, &x, 1);
	size_t mark = h->n_sent;
	struct raw r;

	assert_int_equal(h->msg.n_methods, 2); /* RSA-IP not offered */
	h_assign_rsa(&r, id, "any", "any", "01", 2);
	h_send(h, &x, &r);
	h_expect_error(h, mark, RSIP_E_UNSUPPORTED_MESSAGE);
	assert_int_equal(engine_n_bindings(h->e), 0);
	h_free(h);
}

static void test_send_failure_still_cached(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src x = h_udp("10.0.0.2", 40000);
	struct raw r;

	/* The reply is lost on the way out; the retransmission gets it and
	 * nothing is registered twice. */
	h->send_rc = -ENOBUFS;
	raw_begin(&r, RSIP_REGISTER_REQUEST);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 1);
	h_send(h, &x, &r);
	assert_int_equal(h->n_sent, 0);
	h->send_rc = 0;
	h_send(h, &x, &r);
	assert_int_equal(h_reply_since(h, 0)->type, RSIP_REGISTER_RESPONSE);
	assert_int_equal(engine_counters(h->e)->registrations, 1);
	h_free(h);
}

static void test_dataplane_refuses_client_104(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src x = h_udp("10.0.0.2", 40000), y = h_udp("10.0.0.3", 40000);
	struct raw r;

	dataplane_none_set_capacity(h->dp, 1, 0); /* room for one host */
	h_register(h, &x, 1);
	raw_begin(&r, RSIP_REGISTER_REQUEST);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 1);
	h_send(h, &y, &r);
	h_expect_error(h, 1, RSIP_E_INTERNAL_SERVER_ERROR);
	assert_int_equal(engine_n_clients(h->e), 1);
	assert_int_equal(dataplane_none_n_clients(h->dp), 1);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_register_udp),
	    cmocka_unit_test(test_register_methods_follow_policy),
	    cmocka_unit_test(test_already_registered_302),
	    cmocka_unit_test(test_registration_denied_304),
	    cmocka_unit_test(test_max_clients_304),
	    cmocka_unit_test(test_max_clients_evicts_unproven),
	    cmocka_unit_test(test_register_colliding_addresses),
	    cmocka_unit_test(test_register_rate),
	    cmocka_unit_test(test_register_first_301),
	    cmocka_unit_test(test_bad_client_id_305),
	    cmocka_unit_test(test_deregister),
	    cmocka_unit_test(test_retransmitted_register),
	    cmocka_unit_test(test_prereg_cache),
	    cmocka_unit_test(test_counter_rules),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_transport_is_fixed),
	    cmocka_unit_test(test_tcp_only_102),
	    cmocka_unit_test(test_unsupported_208),
	    cmocka_unit_test(test_send_failure_still_cached),
	    cmocka_unit_test(test_dataplane_refuses_client_104),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
