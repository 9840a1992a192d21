// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsipd engine: QUERY (D18) and LISTEN (RFC 3103 9.16).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "../lib/engine_harness.h"

#define ARGS "--listen 10.0.0.1 --public 192.0.2.1 --allow 10.0.0.0/24 --allow 10.1.0.0/16"

static void query_begin(struct raw *r, uint32_t id, uint32_t counter)
{
	raw_begin(r, RSIP_QUERY_REQUEST);
	raw_u32(r, RSIP_P_CLIENT_ID, id);
	raw_u32(r, RSIP_P_MESSAGE_COUNTER, counter);
}

static void test_query_all(void **state)
{
	struct harness *h = h_new(ARGS);
	struct engine_src x = h_udp("10.0.0.2", 40000);
	uint32_t id = h_register(h, &x, 1);
	const struct rsip_msg *m;
	struct raw r;

	/* No tuples: every local network - the --allow ones by default. */
	query_begin(&r, id, 2);
	h_send(h, &x, &r);
	m = h_msg(h, -1);
	assert_int_equal(m->type, RSIP_QUERY_RESPONSE);
	assert_int_equal(m->client_id, id);
	assert_int_equal(m->n_tuples, 2);
	assert_int_equal(m->tuples[0].indicator, RSIP_IND_LOCAL_NETWORK);
	assert_int_equal(ntohl(m->tuples[0].addr.u.v4.s_addr), 0x0a000000);
	assert_int_equal(ntohl(m->tuples[0].mask.u.v4.s_addr), 0xffffff00);
	assert_int_equal(ntohl(m->tuples[1].addr.u.v4.s_addr), 0x0a010000);
	assert_int_equal(ntohl(m->tuples[1].mask.u.v4.s_addr), 0xffff0000);
	assert_int_equal(engine_counters(h->e)->queries, 1);
	h_free(h);
}

static void test_query_tuples(void **state)
{
	struct harness *h = h_new(ARGS " --local-net 172.16.0.0/12");
	struct engine_src x = h_udp("10.0.0.2", 40000);
	uint32_t id = h_register(h, &x, 1);
	const struct rsip_msg *m;
	struct raw r;

	query_begin(&r, id, 2);
	raw_u16(&r, RSIP_P_INDICATOR, RSIP_IND_ADDRESS);
	raw_ipv4(&r, RSIP_ADDR_IPV4, "172.20.1.1"); /* local */
	raw_u16(&r, RSIP_P_INDICATOR, RSIP_IND_ADDRESS);
	raw_ipv4(&r, RSIP_ADDR_IPV4, "10.0.0.5"); /* --local-net replaces --allow */
	raw_u16(&r, RSIP_P_INDICATOR, RSIP_IND_NETWORK);
	raw_ipv4(&r, RSIP_ADDR_IPV4, "172.16.8.0");
	raw_ipv4(&r, RSIP_ADDR_IPV4_NETMASK, "255.255.252.0"); /* inside: local */
	raw_u16(&r, RSIP_P_INDICATOR, RSIP_IND_NETWORK);
	raw_ipv4(&r, RSIP_ADDR_IPV4, "172.0.0.0");
	raw_ipv4(&r, RSIP_ADDR_IPV4_NETMASK, "255.0.0.0"); /* wider: not local */
	h_send(h, &x, &r);
	m = h_msg(h, -1);
	assert_int_equal(m->type, RSIP_QUERY_RESPONSE);
	assert_int_equal(m->n_tuples, 2);
	assert_int_equal(m->tuples[0].indicator, RSIP_IND_LOCAL_ADDRESS);
	assert_int_equal(ntohl(m->tuples[0].addr.u.v4.s_addr), 0xac140101);
	assert_int_equal(m->tuples[1].indicator, RSIP_IND_LOCAL_NETWORK);
	assert_int_equal(ntohl(m->tuples[1].addr.u.v4.s_addr), 0xac100800);
	assert_int_equal(ntohl(m->tuples[1].mask.u.v4.s_addr), 0xfffffc00);
	/* Nothing local: an empty (valid) answer. */
	query_begin(&r, id, 3);
	raw_u16(&r, RSIP_P_INDICATOR, RSIP_IND_ADDRESS);
	raw_ipv4(&r, RSIP_ADDR_IPV4, "198.51.100.1");
	h_send(h, &x, &r);
	assert_int_equal(h_msg(h, -1)->n_tuples, 0);
	h_free(h);
}

static void listen_req(struct raw *r, uint32_t id, const char *lports, const char *tunnels,
		       uint32_t counter)
{
	raw_begin(r, RSIP_LISTEN_REQUEST);
	raw_u32(r, RSIP_P_CLIENT_ID, id);
	raw_any(r, RSIP_ADDR_IPV4);
	h_hexparam(r, RSIP_P_PORTS, lports);
	raw_any(r, RSIP_ADDR_IPV4);
	h_hexparam(r, RSIP_P_PORTS, "01");
	raw_u32(r, RSIP_P_MESSAGE_COUNTER, counter);
	for (; *tunnels; tunnels++)
		raw_u8(r, RSIP_P_TUNNEL_TYPE, (uint8_t)(*tunnels - '0'));
}

static void test_listen(void **state)
{
	struct harness *h = h_new(ARGS " --lease 300");
	struct engine_src x = h_udp("10.0.0.2", 40000);
	uint32_t id = h_register(h, &x, 1);
	const struct rsip_msg *m;
	struct raw r;
	size_t mark;

	/* L2TP then GRE offered: GRE, the first one we carry. */
	listen_req(&r, id, "01 1f 90", "32", 2);
	h_send(h, &x, &r);
	m = h_msg(h, -1);
	assert_int_equal(m->type, RSIP_LISTEN_RESPONSE);
	assert_true(m->bind_id != 0);
	assert_int_equal(rsip_ports_at(&m->local_ports, 0), 8080);
	assert_int_equal(m->tunnels[0], RSIP_TUNNEL_GRE);
	assert_int_equal(m->lease, 300);
	{
		const struct binding_rec *b = dataplane_none_binding(h->dp, m->bind_id);

		assert_int_equal(b->tunnel, RSIP_TUNNEL_GRE);
		assert_int_equal(b->nports, 1);
		assert_int_equal(binding_ports(b)[0], 8080);
	}
	assert_int_equal(engine_counters(h->e)->listens, 1);
	/* Only L2TP: 307. The port again: 311. */
	mark = h->n_sent;
	listen_req(&r, id, "01", "3", 3);
	h_send(h, &x, &r);
	h_expect_error(h, mark, RSIP_E_BAD_TUNNEL_TYPE);
	listen_req(&r, id, "01 1f 90", "", 4);
	h_send(h, &x, &r);
	h_expect_error(h, mark + 1, RSIP_E_LOCAL_ADDRPORT_INUSE);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_query_all),
	    cmocka_unit_test(test_query_tuples),
	    cmocka_unit_test(test_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
