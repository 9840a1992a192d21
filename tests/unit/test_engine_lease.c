// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsipd engine: EXTEND, FREE, lease expiry with an injected clock (D12),
 * unsolicited messages and where they go (D4), operator revocation, and
 * data-path violation reports (D14).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "../lib/engine_harness.h"

#define ARGS "--listen 10.0.0.1 --public 192.0.2.1 --lease 600 --lease-min 30"

static void extend(struct harness *h, const struct engine_src *x, uint32_t id, uint32_t bind,
		   bool has_lease, uint32_t lease, uint32_t counter)
{
	struct raw r;

	raw_begin(&r, RSIP_EXTEND_REQUEST);
	raw_u32(&r, RSIP_P_CLIENT_ID, id);
	raw_u32(&r, RSIP_P_BIND_ID, bind);
	if (has_lease)
		raw_u32(&r, RSIP_P_LEASE_TIME, lease);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, counter);
	h_send(h, x, &r);
}

static void test_extend_clamps(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src x = h_udp("10.0.0.2", 40000);
	uint32_t id = h_register(h, &x, 1), bind = h_assign_ports(h, &x, id, 1, 2);
	const struct rsip_msg *m;

	extend(h, &x, id, bind, true, 100, 3); /* inside the limits: granted */
	m = h_msg(h, -1);
	assert_int_equal(m->type, RSIP_EXTEND_RESPONSE);
	assert_int_equal(m->client_id, id);
	assert_int_equal(m->bind_id, bind);
	assert_int_equal(m->lease, 100);
	assert_int_equal(m->counter, 3);
	extend(h, &x, id, bind, true, 100000, 4); /* above --lease: the maximum */
	assert_int_equal(h_msg(h, -1)->lease, 600);
	extend(h, &x, id, bind, true, 5, 5); /* below --lease-min */
	assert_int_equal(h_msg(h, -1)->lease, 30);
	extend(h, &x, id, bind, true, 0, 6); /* 0: no preference, the default */
	assert_int_equal(h_msg(h, -1)->lease, 600);
	extend(h, &x, id, bind, false, 0, 7); /* absent: the default */
	assert_int_equal(h_msg(h, -1)->lease, 600);
	assert_int_equal(engine_counters(h->e)->extends, 5);
	h_free(h);
}

static void test_bad_bind_id_306(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src x = h_udp("10.0.0.2", 40000), y = h_udp("10.0.0.3", 40000);
	uint32_t id = h_register(h, &x, 1), id2 = h_register(h, &y, 1);
	uint32_t bind = h_assign_ports(h, &x, id, 1, 2);
	size_t mark = h->n_sent;
	struct raw r;

	/* Another host's binding: 306 with ITS client ID and the Bind ID. */
	raw_begin(&r, RSIP_FREE_REQUEST);
	raw_u32(&r, RSIP_P_CLIENT_ID, id2);
	raw_u32(&r, RSIP_P_BIND_ID, bind);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 2);
	h_send(h, &y, &r);
	h_expect_error(h, mark, RSIP_E_BAD_BIND_ID);
	assert_int_equal(h->msg.client_id, id2);
	assert_int_equal(h->msg.bind_id, bind);
	extend(h, &y, id2, bind + 1, false, 0, 3);
	h_expect_error(h, mark + 1, RSIP_E_BAD_BIND_ID);
	assert_int_equal(h->msg.bind_id, bind + 1);
	assert_int_equal(engine_n_bindings(h->e), 1);
	h_free(h);
}

static void test_free_request(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src x = h_udp("10.0.0.2", 40000);
	uint32_t id = h_register(h, &x, 1), bind = h_assign_ports(h, &x, id, 3, 2);
	struct alloc_usage u;
	const struct rsip_msg *m;
	struct raw r;

	raw_begin(&r, RSIP_FREE_REQUEST);
	raw_u32(&r, RSIP_P_CLIENT_ID, id);
	raw_u32(&r, RSIP_P_BIND_ID, bind);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 3);
	h_send(h, &x, &r);
	m = h_msg(h, -1);
	assert_int_equal(m->type, RSIP_FREE_RESPONSE);
	assert_int_equal(m->bind_id, bind);
	assert_int_equal(m->counter, 3);
	assert_null(dataplane_none_binding(h->dp, bind));
	alloc_usage(engine_alloc(h->e), &u);
	assert_int_equal(u.ports_used, 0);
	assert_int_equal(u.ports_held, 3); /* RFC 3102 6.1: held back */
	/* The retransmission: same FREE_RESPONSE, not 306. */
	h_send(h, &x, &r);
	assert_int_equal(h_msg(h, -1)->type, RSIP_FREE_RESPONSE);
	assert_int_equal(engine_counters(h->e)->frees, 1);
	h_free(h);
}

static void test_binding_expiry(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src x = h_udp("10.0.0.2", 40000), x2 = h_udp("10.0.0.2", 40009);
	uint32_t id = h_register(h, &x, 1), b1, b2;
	const struct rsip_msg *m;
	struct raw r;
	size_t mark;

	h_assign_rsap(&r, id, "any", "01", "any", "01", 2);
	raw_u32(&r, RSIP_P_LEASE_TIME, 60);
	h_send(h, &x, &r);
	b1 = h_msg(h, -1)->bind_id;
	assert_int_equal(h->msg.lease, 60);
	b2 = h_assign_ports(h, &x2, id, 1, 3); /* 600 s; the host moved to port 40009 */
	mark = h->n_sent;
	h->now += 59999;
	engine_tick(h->e);
	assert_int_equal(h->n_sent, mark); /* not yet */
	h->now += 1;
	engine_tick(h->e);
	m = h_reply_since(h, mark);
	assert_int_equal(m->type, RSIP_FREE_RESPONSE); /* D12: unsolicited */
	assert_int_equal(m->counter, 0);
	assert_int_equal(m->client_id, id);
	assert_int_equal(m->bind_id, b1);
	assert_int_equal(h->sent[mark].to.port, 40009); /* the last UDP source (D4) */
	assert_null(dataplane_none_binding(h->dp, b1));
	assert_non_null(dataplane_none_binding(h->dp, b2));
	assert_int_equal(engine_counters(h->e)->leases_expired, 1);
	assert_int_equal(engine_counters(h->e)->unsolicited_sent, 1);
	h_free(h);
}

static void test_registration_expiry(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src x = h_udp("10.0.0.2", 40000);
	uint32_t id = h_register(h, &x, 1), bind = h_assign_ports(h, &x, id, 1, 2);
	uint64_t t0 = h->now;
	size_t mark;

	/* R = max(R, Bi): extending the binding at t0+500 s to 600 s keeps the
	 * registration alive past its own 600 s. */
	h->now = t0 + 500000;
	extend(h, &x, id, bind, false, 0, 3);
	mark = h->n_sent;
	h->now = t0 + 600000;
	engine_tick(h->e);
	assert_int_equal(h->n_sent, mark);
	assert_int_equal(engine_n_clients(h->e), 1);
	/* At t0+1100 s the binding and then the registration end. */
	h->now = t0 + 1100000;
	engine_tick(h->e);
	assert_int_equal(h->n_sent, mark + 2);
	assert_int_equal(h_msg(h, mark)->type, RSIP_FREE_RESPONSE);
	assert_int_equal(h_msg(h, mark + 1)->type, RSIP_DEREGISTER_RESPONSE);
	assert_int_equal(h->msg.counter, 0);
	assert_int_equal(h->msg.client_id, id);
	assert_int_equal(engine_n_clients(h->e), 0);
	assert_int_equal(dataplane_none_n_clients(h->dp), 0);
	assert_int_equal(engine_counters(h->e)->registrations_expired, 1);
	h_free(h);
}

static void test_registration_without_bindings_expires(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src x = h_tcp("10.0.0.2", 40000, 5);
	uint64_t t0 = h->now;

	h_register(h, &x, 0);
	h->now = t0 + 599999; /* the lease ends at t0 + 600 s, not before */
	engine_tick(h->e);
	assert_int_equal(engine_n_clients(h->e), 1);
	/* The TCP connection is gone: the DE-REGISTER_RESPONSE cannot be sent
	 * (D4) and is counted. */
	engine_conn_closed(h->e, 5);
	h->now = t0 + 600000;
	engine_tick(h->e);
	assert_int_equal(h->n_sent, 1);
	assert_int_equal(engine_n_clients(h->e), 0);
	assert_int_equal(engine_counters(h->e)->unsolicited_dropped, 1);
	h_free(h);
}

/* REGISTER with our registration-lease Vendor Specific parameter (D21). */
static uint32_t register_asking(struct harness *h, const struct engine_src *x, uint32_t lease,
				uint32_t counter)
{
	uint8_t v[8] = {0, RSIP_VENDOR_ID_PRIVATE, 0, RSIP_VSUB_REGISTER_LEASE};
	struct raw r;

	v[4] = (uint8_t)(lease >> 24);
	v[5] = (uint8_t)(lease >> 16);
	v[6] = (uint8_t)(lease >> 8);
	v[7] = (uint8_t)lease;
	raw_begin(&r, RSIP_REGISTER_REQUEST);
	raw_param(&r, RSIP_P_VENDOR_SPECIFIC, v, sizeof(v));
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, counter);
	h_send(h, x, &r);
	assert_int_equal(h_msg(h, -1)->type, RSIP_REGISTER_RESPONSE);
	return h->msg.client_id;
}

/* The registration lease a host asks for is granted clamped like a
 * binding's, and the registration then ends on it, unless a binding lasts
 * longer (R = max(R, Bi)). */
static void test_registration_lease_asked(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src x = h_udp("10.0.0.2", 40000), y = h_udp("10.0.0.3", 40000),
			  z = h_udp("10.0.0.4", 40000);
	uint64_t t0 = h->now;
	uint32_t id, bind;
	size_t mark;

	register_asking(h, &y, 100000, 1); /* above --lease: the maximum */
	assert_int_equal(h->msg.lease, 600);
	register_asking(h, &z, 5, 1); /* below --lease-min */
	assert_int_equal(h->msg.lease, 30);
	id = register_asking(h, &x, 40, 1);
	assert_int_equal(h->msg.lease, 40);
	/* z's 30 s have passed: it is gone, x and y are not. */
	mark = h->n_sent;
	h->now = t0 + 30000;
	engine_tick(h->e);
	assert_int_equal(h->n_sent, mark + 1);
	assert_int_equal(h_msg(h, mark)->type, RSIP_DEREGISTER_RESPONSE);
	assert_int_equal(engine_n_clients(h->e), 2);
	/* x's binding (600 s from t0+35 s) carries its registration past the
	 * 40 s it asked for. */
	h->now = t0 + 35000;
	bind = h_assign_ports(h, &x, id, 1, 2);
	h->now = t0 + 45000;
	engine_tick(h->e);
	assert_int_equal(engine_n_clients(h->e), 2);
	h->now = t0 + 635000;
	engine_tick(h->e);
	assert_int_equal(engine_n_clients(h->e), 0); /* y's 600 s, x's binding: over */
	assert_null(dataplane_none_binding(h->dp, bind));
	assert_int_equal(engine_counters(h->e)->registrations_expired, 3);
	h_free(h);
}

static void test_revoke(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src x = h_tcp("10.0.0.2", 40000, 5), x2 = h_tcp("10.0.0.2", 40001, 6);
	uint32_t id = h_register(h, &x, 0);
	uint32_t b1 = h_assign_ports(h, &x, id, 1, 0);
	size_t mark;

	h_assign_ports(h, &x2, id, 1, 0); /* a new connection takes over (D4) */
	mark = h->n_sent;
	assert_int_equal(engine_revoke_binding(h->e, b1), 0);
	assert_int_equal(h_reply_since(h, mark)->type, RSIP_FREE_RESPONSE);
	assert_int_equal(h->msg.counter, 0);
	assert_true(h->msg.has & RSIP_HAS_COUNTER); /* 0 over TCP too (6.2) */
	assert_int_equal(h->sent[mark].to.conn, 6);
	assert_null(dataplane_none_binding(h->dp, b1));
	assert_int_equal(engine_revoke_binding(h->e, b1), -ENOENT);
	assert_int_equal(engine_revoke_client(h->e, id), 0);
	assert_int_equal(h_reply_since(h, mark + 1)->type, RSIP_DEREGISTER_RESPONSE);
	assert_int_equal(engine_n_clients(h->e), 0);
	assert_int_equal(engine_n_bindings(h->e), 0);
	assert_int_equal(engine_revoke_client(h->e, id), -ENOENT);
	assert_int_equal(engine_counters(h->e)->revocations, 2);
	h_free(h);
}

static void test_violation_rate_limited(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src x = h_udp("10.0.0.2", 40000);
	uint32_t id = h_register(h, &x, 1);
	size_t mark = h->n_sent;

	dataplane_none_violation(h->dp, x.addr, RSIP_E_REMOTE_ADDR_UNALLOWED);
	dataplane_none_violation(h->dp, x.addr, RSIP_E_REMOTE_ADDR_UNALLOWED); /* same second */
	dataplane_none_violation(h->dp, x.addr, RSIP_E_BAD_TUNNEL_TYPE);       /* another reason */
	assert_int_equal(h->n_sent, mark + 2);
	assert_int_equal(h_msg(h, mark)->error, RSIP_E_REMOTE_ADDR_UNALLOWED);
	assert_int_equal(h->msg.counter, 0);
	assert_int_equal(h->msg.client_id, id);
	assert_int_equal(h_msg(h, mark + 1)->error, RSIP_E_BAD_TUNNEL_TYPE);
	h->now += 1000;
	dataplane_none_violation(h->dp, x.addr, RSIP_E_REMOTE_ADDR_UNALLOWED);
	assert_int_equal(h->n_sent, mark + 3);
	/* Unknown hosts and codes are ignored. */
	dataplane_none_violation(h->dp, h_udp("10.0.0.99", 1).addr, RSIP_E_BAD_TUNNEL_TYPE);
	dataplane_none_violation(h->dp, x.addr, RSIP_E_BAD_PARAM);
	assert_int_equal(h->n_sent, mark + 3);
	assert_int_equal(engine_counters(h->e)->violations, 3);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_extend_clamps),
	    cmocka_unit_test(test_bad_bind_id_306),
	    cmocka_unit_test(test_free_request),
	    cmocka_unit_test(test_binding_expiry),
	    cmocka_unit_test(test_registration_expiry),
	    cmocka_unit_test(test_registration_without_bindings_expires),
	    cmocka_unit_test(test_registration_lease_asked),
	    cmocka_unit_test(test_revoke),
	    cmocka_unit_test(test_violation_rate_limited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
