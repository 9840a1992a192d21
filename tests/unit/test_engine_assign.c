// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsipd engine: ASSIGN (RSA-IP, RSAP-IP, RSIPSEC) - grants, the response
 * fields, every refusal in the order of spec 6.1 step 11, atomicity and
 * retransmission.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "../lib/engine_harness.h"

#define ARGS "--listen 10.0.0.1 --public 192.0.2.1 --lease 600 --port-range 10000-10099"

struct fx {
	struct harness *h;
	struct engine_src x;
	uint32_t id;
	uint32_t counter;
};

static struct fx setup_fx(const char *args)
{
	struct fx f = {.h = h_new(args), .counter = 1};

	f.x = h_udp("10.0.0.2", 40000);
	f.id = h_register(f.h, &f.x, f.counter++);
	return f;
}

/* Send r, expect one reply, return it decoded. */
static const struct rsip_msg *ask(struct fx *f, struct raw *r)
{
	size_t mark = f->h->n_sent;

	assert_int_equal(h_send(f->h, &f->x, r), ENGINE_OK);
	return h_reply_since(f->h, mark);
}

static void expect_err(struct fx *f, struct raw *r, uint16_t code)
{
	const struct rsip_msg *m = ask(f, r);

	if (m->type != RSIP_ERROR_RESPONSE || m->error != code) {
		char line[256];

		rsip_msg_format(m, line, sizeof(line));
		fprintf(stderr, "expected error %u, got %s\n", code, line);
		fail();
	}
	assert_int_equal(m->client_id, f->id); /* every error names the host (D17) */
	assert_int_equal(m->counter, f->counter - 1);
}

static void usage(struct harness *h, struct alloc_usage *u)
{
	alloc_usage(engine_alloc(h->e), u);
}

static void test_rsap_any_ports(void **state)
{
	struct fx f = setup_fx(ARGS);
	const struct rsip_msg *m;
	const struct binding_rec *b;
	struct raw r;

	h_assign_rsap(&r, f.id, "any", "04", "any", "01", f.counter++);
	m = ask(&f, &r);
	assert_int_equal(m->type, RSIP_ASSIGN_RESPONSE_RSAP_IP);
	assert_int_equal(m->client_id, f.id);
	assert_true(m->bind_id != 0);
	assert_int_equal(ntohl(m->local_addr.u.v4.s_addr), 0xc0000201);
	assert_int_equal(m->local_ports.form, RSIP_PORTS_RANGE);
	assert_int_equal(m->local_ports.number, 4);
	assert_true(rsip_ports_at(&m->local_ports, 0) >= 10000 &&
		    rsip_ports_at(&m->local_ports, 0) + 3 <= 10099);
	assert_true(m->remote_addr.any); /* remote policy none */
	assert_int_equal(m->remote_ports.form, RSIP_PORTS_ANY);
	assert_int_equal(m->lease, 600);
	assert_int_equal(m->n_tunnels, 1);
	assert_int_equal(m->tunnels[0], RSIP_TUNNEL_IPIP); /* the default */
	assert_false(m->has & RSIP_HAS_ENDPOINT);	   /* D15 */
	/* The data plane carries exactly what the host was told. */
	b = dataplane_none_binding(f.h->dp, m->bind_id);
	assert_non_null(b);
	assert_int_equal(b->client_id, f.id);
	assert_int_equal(b->xa.s_addr, f.x.addr.s_addr);
	assert_int_equal(b->nports, 4);
	assert_int_equal(binding_ports(b)[0], rsip_ports_at(&m->local_ports, 0));
	assert_int_equal(binding_ports(b)[3], rsip_ports_at(&m->local_ports, 0) + 3);
	assert_int_equal(b->method, RSIP_METHOD_RSAP_IP);
	assert_int_equal(b->remote.s_addr, INADDR_ANY);
	assert_int_equal(engine_counters(f.h->e)->assignments, 1);
	h_free(f.h);
}

static void test_rsap_specific_ports_and_errors(void **state)
{
	struct fx f = setup_fx(ARGS " --tunnel-endpoint 10.0.0.9");
	struct engine_src y = h_udp("10.0.0.3", 40000);
	uint32_t id2 = h_register(f.h, &y, 1);
	const struct rsip_msg *m;
	struct raw r;

	/* A specific list: granted as asked, GRE on request, endpoint sent. */
	h_assign_rsap(&r, f.id, "192.0.2.1", "02 27 14 27 1e", "any", "01", f.counter++);
	raw_u8(&r, RSIP_P_TUNNEL_TYPE, RSIP_TUNNEL_GRE);
	m = ask(&f, &r);
	assert_int_equal(m->type, RSIP_ASSIGN_RESPONSE_RSAP_IP);
	assert_int_equal(m->local_ports.form, RSIP_PORTS_LIST);
	assert_int_equal(rsip_ports_at(&m->local_ports, 0), 10004);
	assert_int_equal(rsip_ports_at(&m->local_ports, 1), 10014);
	assert_int_equal(m->tunnels[0], RSIP_TUNNEL_GRE);
	assert_true(m->has & RSIP_HAS_ENDPOINT);
	assert_int_equal(ntohl(m->endpoint.u.v4.s_addr), 0x0a000009);
	/* 311: another host asks for a port already leased. */
	{
		struct fx g = {.h = f.h, .x = y, .id = id2, .counter = 2};

		h_assign_rsap(&r, id2, "any", "01 27 14", "any", "01", g.counter++);
		expect_err(&g, &r, RSIP_E_LOCAL_ADDRPORT_INUSE);
	}
	/* 313: a reserved port (IKE) and one outside --port-range. */
	h_assign_rsap(&r, f.id, "any", "01 01 f4", "any", "01", f.counter++);
	expect_err(&f, &r, RSIP_E_LOCAL_ADDRPORT_UNALLOWED);
	h_assign_rsap(&r, f.id, "any", "01 00 50", "any", "01", f.counter++);
	expect_err(&f, &r, RSIP_E_LOCAL_ADDRPORT_UNALLOWED);
	/* 312: an address that is not ours. */
	h_assign_rsap(&r, f.id, "203.0.113.1", "01", "any", "01", f.counter++);
	expect_err(&f, &r, RSIP_E_LOCAL_ADDR_UNALLOWED);
	/* 308: an IPv6 local address (D16: no IPv6 pool). */
	h_assign_rsap(&r, f.id, "-", "01", "any", "01", f.counter++);
	{
		/* rebuild with an IPv6 don't care in the local slot */
		raw_begin(&r, RSIP_ASSIGN_REQUEST_RSAP_IP);
		raw_u32(&r, RSIP_P_CLIENT_ID, f.id);
		raw_any(&r, RSIP_ADDR_IPV6);
		h_hexparam(&r, RSIP_P_PORTS, "01");
		raw_any(&r, RSIP_ADDR_IPV4);
		h_hexparam(&r, RSIP_P_PORTS, "01");
		raw_u32(&r, RSIP_P_MESSAGE_COUNTER, f.counter - 1);
	}
	expect_err(&f, &r, RSIP_E_LOCAL_ADDR_UNAVAILABLE);
	/* 309: more ports than the range holds. */
	h_assign_rsap(&r, f.id, "any", "ff", "any", "01", f.counter++);
	expect_err(&f, &r, RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE);
	/* 307: L2TP (D15). */
	h_assign_rsap(&r, f.id, "any", "01", "any", "01", f.counter++);
	raw_u8(&r, RSIP_P_TUNNEL_TYPE, RSIP_TUNNEL_L2TP);
	expect_err(&f, &r, RSIP_E_BAD_TUNNEL_TYPE);
	/* 205: FQDN remote (D16), "don't need" outside RSIPSEC (D8). */
	raw_begin(&r, RSIP_ASSIGN_REQUEST_RSAP_IP);
	raw_u32(&r, RSIP_P_CLIENT_ID, f.id);
	raw_any(&r, RSIP_ADDR_IPV4);
	h_hexparam(&r, RSIP_P_PORTS, "01");
	h_hexparam(&r, RSIP_P_ADDRESS, "04 65 78 61 6d 70 6c 65 2e 63 6f 6d");
	h_hexparam(&r, RSIP_P_PORTS, "01");
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, f.counter++);
	expect_err(&f, &r, RSIP_E_BAD_PARAM);
	h_assign_rsap(&r, f.id, "any", "", "any", "01", f.counter++);
	expect_err(&f, &r, RSIP_E_BAD_PARAM);
	assert_int_equal(engine_n_bindings(f.h->e), 1);
	h_free(f.h);
}

static void test_rsa_ip(void **state)
{
	struct fx f = setup_fx("--listen 10.0.0.1 --public 192.0.2.1,192.0.2.2 --lease 600");
	struct engine_src y = h_udp("10.0.0.3", 40000);
	uint32_t id2 = h_register(f.h, &y, 1);
	struct fx g = {.h = f.h, .x = y, .id = id2, .counter = 2};
	const struct rsip_msg *m;
	struct raw r;
	uint32_t first;

	h_assign_rsa(&r, f.id, "192.0.2.2", "any", "01", f.counter++);
	m = ask(&f, &r);
	assert_int_equal(m->type, RSIP_ASSIGN_RESPONSE_RSA_IP);
	assert_int_equal(ntohl(m->local_addr.u.v4.s_addr), 0xc0000202);
	assert_false(m->has & RSIP_HAS_LOCAL_PORTS);
	assert_int_equal(dataplane_none_binding(f.h->dp, m->bind_id)->method, RSIP_METHOD_RSA_IP);
	first = m->bind_id;
	/* 310: held whole by someone else. */
	h_assign_rsa(&r, id2, "192.0.2.2", "any", "01", g.counter++);
	expect_err(&g, &r, RSIP_E_LOCAL_ADDR_INUSE);
	h_assign_rsap(&r, id2, "192.0.2.2", "01", "any", "01", g.counter++);
	expect_err(&g, &r, RSIP_E_LOCAL_ADDR_INUSE);
	/* The other address goes whole too; then none is left: 308. */
	h_assign_rsa(&r, id2, "any", "any", "01", g.counter++);
	assert_int_equal(ask(&g, &r)->type, RSIP_ASSIGN_RESPONSE_RSA_IP);
	h_assign_rsa(&r, f.id, "any", "any", "01", f.counter++);
	expect_err(&f, &r, RSIP_E_LOCAL_ADDR_UNAVAILABLE);
	assert_int_equal(engine_n_bindings(f.h->e), 2);
	assert_non_null(dataplane_none_binding(f.h->dp, first));
	h_free(f.h);
}

static void test_rsipsec(void **state)
{
	struct fx f = setup_fx(ARGS " --spi-block 16");
	struct engine_src y = h_udp("10.0.0.3", 40000);
	uint32_t id2 = h_register(f.h, &y, 1);
	struct fx g = {.h = f.h, .x = y, .id = id2, .counter = 2};
	const struct rsip_msg *m;
	const struct binding_rec *b;
	struct raw r;
	uint32_t spi0;
	char hex[64];

	/* The spec's example: ports "don't need", SPI don't care x2. */
	h_assign_rsipsec(&r, f.id, "any", "", "198.51.100.5", "", "00 02", f.counter++);
	m = ask(&f, &r);
	assert_int_equal(m->type, RSIP_ASSIGN_RESPONSE_RSIPSEC);
	assert_int_equal(m->local_ports.form, RSIP_PORTS_NOT_NEEDED); /* echoed */
	assert_int_equal(m->remote_ports.form, RSIP_PORTS_NOT_NEEDED);
	assert_int_equal(m->spi.form, RSIP_SPI_RANGE);
	assert_int_equal(m->spi.number, 2);
	spi0 = rsip_spi_at(&m->spi, 0);
	assert_true(spi0 >= 0x100);
	/* D13: a run inside one aligned block of 16 that the host owns. */
	assert_int_equal(spi0 >> 4, (spi0 + 1) >> 4);
	b = dataplane_none_binding(f.h->dp, m->bind_id);
	assert_int_equal(b->nspis, 2);
	assert_int_equal(binding_spis(b)[0], spi0);
	assert_true(b->has_spi_block);
	assert_int_equal(b->spi_block, spi0 >> 4);
	/* The one shift of the configuration (--spi-block 16). */
	assert_int_equal(f.h->cfg.spi_block_shift, 4);
	assert_int_equal(b->nports, 0);
	assert_int_equal(b->method, RSIP_METHOD_RSIPSEC);
	/* Ports too, when asked: an IKE port plus one SPI. */
	h_assign_rsipsec(&r, f.id, "any", "01", "any", "01", "00 01", f.counter++);
	m = ask(&f, &r);
	assert_int_equal(m->type, RSIP_ASSIGN_RESPONSE_RSIPSEC);
	assert_int_equal(m->local_ports.number, 1);
	assert_int_equal(m->spi.number, 1);
	/* 403: the other host proposes one of those SPIs. */
	snprintf(hex, sizeof(hex), "00 01 %02x %02x %02x %02x", spi0 >> 24, (spi0 >> 16) & 0xff,
		 (spi0 >> 8) & 0xff, spi0 & 0xff);
	h_assign_rsipsec(&r, id2, "any", "", "any", "", hex, g.counter++);
	expect_err(&g, &r, RSIP_E_IPSEC_SPI_INUSE);
	/* A free specific SPI is honoured. */
	h_assign_rsipsec(&r, id2, "any", "", "any", "", "00 01 70 00 00 00", g.counter++);
	m = ask(&g, &r);
	assert_int_equal(m->type, RSIP_ASSIGN_RESPONSE_RSIPSEC);
	assert_int_equal(rsip_spi_at(&m->spi, 0), 0x70000000);
	/* 402: more than one block can hold. */
	h_assign_rsipsec(&r, id2, "any", "", "any", "", "00 11", g.counter++);
	expect_err(&g, &r, RSIP_E_IPSEC_SPI_UNAVAILABLE);
	/* 205: SPIs 1-255 and a list holding 0 (D13). */
	h_assign_rsipsec(&r, id2, "any", "", "any", "", "00 01 00 00 00 05", g.counter++);
	expect_err(&g, &r, RSIP_E_BAD_PARAM);
	h_assign_rsipsec(&r, id2, "any", "", "any", "", "00 02 00 00 10 00 00 00 00 00",
			 g.counter++);
	expect_err(&g, &r, RSIP_E_BAD_PARAM);
	assert_int_equal(engine_n_bindings(f.h->e), 3);
	h_free(f.h);
}

static void test_ipsec_unallowed_401(void **state)
{
	struct fx f = setup_fx(ARGS " --ipsec-allow 10.0.0.128/25");
	struct raw r;

	assert_int_equal(f.h->msg.n_methods, 2); /* RSIPSEC not offered to this host */
	/* 401 comes before everything else of step 11, even a bad tunnel. */
	h_assign_rsipsec(&r, f.id, "any", "", "any", "", "00 01", f.counter++);
	raw_u8(&r, RSIP_P_TUNNEL_TYPE, RSIP_TUNNEL_L2TP);
	expect_err(&f, &r, RSIP_E_IPSEC_UNALLOWED);
	h_free(f.h);
}

static void test_flow_policy_103(void **state)
{
	struct fx f = setup_fx(ARGS " --flow-policy micro/micro");
	const struct rsip_msg *m;
	struct raw r;

	/* Remote micro: address and one port needed. */
	h_assign_rsap(&r, f.id, "any", "01", "any", "01", f.counter++);
	expect_err(&f, &r, RSIP_E_FLOW_POLICY_VIOLATION);
	h_assign_rsap(&r, f.id, "any", "01", "198.51.100.5", "01", f.counter++);
	expect_err(&f, &r, RSIP_E_FLOW_POLICY_VIOLATION);
	/* Local micro: more than one port (D9). */
	h_assign_rsap(&r, f.id, "any", "02", "198.51.100.5", "01 00 50", f.counter++);
	expect_err(&f, &r, RSIP_E_FLOW_POLICY_VIOLATION);
	/* RSA-IP under local micro (D9). */
	h_assign_rsa(&r, f.id, "any", "198.51.100.5", "01 00 50", f.counter++);
	expect_err(&f, &r, RSIP_E_FLOW_POLICY_VIOLATION);
	/* Enough detail: one port, the remote echoed and kept in the binding. */
	h_assign_rsap(&r, f.id, "any", "01", "198.51.100.5", "01 00 50", f.counter++);
	m = ask(&f, &r);
	assert_int_equal(m->type, RSIP_ASSIGN_RESPONSE_RSAP_IP);
	assert_int_equal(m->local_ports.number, 1);
	assert_int_equal(ntohl(m->remote_addr.u.v4.s_addr), 0xc6336405);
	assert_int_equal(rsip_ports_at(&m->remote_ports, 0), 80);
	{
		const struct binding_rec *b = dataplane_none_binding(f.h->dp, m->bind_id);

		assert_int_equal(b->remote_policy, RSIP_FLOW_MICRO);
		assert_int_equal(ntohl(b->remote.s_addr), 0xc6336405);
		assert_int_equal(b->remote_port, 80);
	}
	h_free(f.h);
}

static void test_remote_macro(void **state)
{
	struct fx f = setup_fx(ARGS " --flow-policy macro/macro --deny-remote 203.0.113.0/24 "
				    "--deny-remote-port 25");
	const struct rsip_msg *m;
	struct raw r;

	h_assign_rsap(&r, f.id, "any", "01", "any", "01", f.counter++);
	expect_err(&f, &r, RSIP_E_FLOW_POLICY_VIOLATION);
	/* 314: a denied network; an IPv6 peer (D16). */
	h_assign_rsap(&r, f.id, "any", "01", "203.0.113.7", "01", f.counter++);
	expect_err(&f, &r, RSIP_E_REMOTE_ADDR_UNALLOWED);
	raw_begin(&r, RSIP_ASSIGN_REQUEST_RSAP_IP);
	raw_u32(&r, RSIP_P_CLIENT_ID, f.id);
	raw_any(&r, RSIP_ADDR_IPV4);
	h_hexparam(&r, RSIP_P_PORTS, "01");
	h_hexparam(&r, RSIP_P_ADDRESS, "03 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01");
	h_hexparam(&r, RSIP_P_PORTS, "01");
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, f.counter++);
	expect_err(&f, &r, RSIP_E_REMOTE_ADDR_UNALLOWED);
	/* 315: a denied remote port. */
	h_assign_rsap(&r, f.id, "any", "01", "198.51.100.5", "01 00 19", f.counter++);
	expect_err(&f, &r, RSIP_E_REMOTE_ADDRPORT_UNALLOWED);
	/* Granted: the address echoed, ports don't care. */
	h_assign_rsap(&r, f.id, "any", "03", "198.51.100.5", "01", f.counter++);
	m = ask(&f, &r);
	assert_int_equal(m->type, RSIP_ASSIGN_RESPONSE_RSAP_IP);
	assert_false(m->remote_addr.any);
	assert_int_equal(m->remote_ports.form, RSIP_PORTS_ANY);
	assert_int_equal(dataplane_none_binding(f.h->dp, m->bind_id)->remote_port, 0);
	h_free(f.h);
}

static void test_limits(void **state)
{
	struct fx f = setup_fx(ARGS " --max-bindings 2 --max-ports 5 --max-spis 3");
	struct raw r;

	h_assign_ports(f.h, &f.x, f.id, 4, f.counter++);
	/* --max-ports: 4 + 2 > 5. */
	h_assign_rsap(&r, f.id, "any", "02", "any", "01", f.counter++);
	expect_err(&f, &r, RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE);
	/* --max-spis: 4 > 3. */
	h_assign_rsipsec(&r, f.id, "any", "", "any", "", "00 04", f.counter++);
	expect_err(&f, &r, RSIP_E_IPSEC_SPI_UNAVAILABLE);
	h_assign_ports(f.h, &f.x, f.id, 1, f.counter++);
	/* --max-bindings: a third. */
	h_assign_rsap(&r, f.id, "any", "01", "any", "01", f.counter++);
	expect_err(&f, &r, RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE);
	h_assign_rsipsec(&r, f.id, "any", "", "any", "", "00 01", f.counter++);
	expect_err(&f, &r, RSIP_E_IPSEC_SPI_UNAVAILABLE);
	assert_int_equal(engine_n_bindings(f.h->e), 2);
	h_free(f.h);
}

static void test_atomic_when_dataplane_full(void **state)
{
	struct fx f = setup_fx(ARGS);
	struct alloc_usage before, after;
	struct raw r;

	h_assign_ports(f.h, &f.x, f.id, 2, f.counter++);
	dataplane_none_set_capacity(f.h->dp, 0, 1); /* the map is full */
	usage(f.h, &before);
	h_assign_rsap(&r, f.id, "any", "04", "any", "01", f.counter++);
	expect_err(&f, &r, RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE);
	h_assign_rsipsec(&r, f.id, "any", "01", "any", "01", "00 04", f.counter++);
	expect_err(&f, &r, RSIP_E_IPSEC_SPI_UNAVAILABLE);
	h_assign_rsa(&r, f.id, "any", "any", "01", f.counter++);
	expect_err(&f, &r, RSIP_E_LOCAL_ADDR_UNAVAILABLE);
	/* Nothing taken, nothing held back, nothing half-told. */
	usage(f.h, &after);
	assert_int_equal(after.ports_used, before.ports_used);
	assert_int_equal(after.ports_held, before.ports_held);
	assert_int_equal(after.spis_used, before.spis_used);
	assert_int_equal(after.spis_held, before.spis_held);
	assert_int_equal(after.blocks_owned, before.blocks_owned);
	assert_int_equal(after.addrs_whole, before.addrs_whole);
	assert_int_equal(after.bind_ids, before.bind_ids);
	assert_int_equal(dataplane_none_n_bindings(f.h->dp), 1);
	assert_int_equal(engine_n_bindings(f.h->e), 1);
	assert_int_equal(alloc_selfcheck(engine_alloc(f.h->e)), 0);
	/* Room again: the same request succeeds. */
	dataplane_none_set_capacity(f.h->dp, 0, 0);
	h_assign_rsap(&r, f.id, "any", "04", "any", "01", f.counter++);
	assert_int_equal(ask(&f, &r)->type, RSIP_ASSIGN_RESPONSE_RSAP_IP);
	h_free(f.h);
}

static void test_atomic_when_spis_fail(void **state)
{
	struct fx f = setup_fx(ARGS " --spi-block 4");
	struct alloc_usage before, after;
	struct raw r;

	/* Ports would fit, the SPIs cannot (k > block): nothing taken. */
	usage(f.h, &before);
	h_assign_rsipsec(&r, f.id, "any", "08", "any", "01", "00 05", f.counter++);
	expect_err(&f, &r, RSIP_E_IPSEC_SPI_UNAVAILABLE);
	usage(f.h, &after);
	assert_int_equal(after.ports_used, before.ports_used);
	assert_int_equal(after.ports_held, before.ports_held);
	assert_int_equal(after.spis_used, before.spis_used);
	assert_int_equal(dataplane_none_n_bindings(f.h->dp), 0);
	h_free(f.h);
}

static void test_retransmitted_assign(void **state)
{
	struct fx f = setup_fx(ARGS);
	struct alloc_usage u;
	struct raw r;
	size_t mark;

	h_assign_rsap(&r, f.id, "any", "04", "any", "01", f.counter++);
	mark = f.h->n_sent;
	h_send(f.h, &f.x, &r);
	h_send(f.h, &f.x, &r);
	h_send(f.h, &f.x, &r);
	assert_int_equal(f.h->n_sent, mark + 3);
	assert_memory_equal(f.h->sent[mark].buf, f.h->sent[mark + 2].buf, f.h->sent[mark].len);
	usage(f.h, &u);
	assert_int_equal(u.ports_used, 4);
	assert_int_equal(engine_n_bindings(f.h->e), 1);
	assert_int_equal(engine_counters(f.h->e)->retransmits, 2);
	/* A failed one is replayed as the same error, not re-run. */
	h_assign_rsap(&r, f.id, "any", "01 01 f4", "any", "01", f.counter++);
	mark = f.h->n_sent;
	h_send(f.h, &f.x, &r);
	h_send(f.h, &f.x, &r);
	assert_memory_equal(f.h->sent[mark].buf, f.h->sent[mark + 1].buf, f.h->sent[mark].len);
	assert_int_equal(engine_counters(f.h->e)->errors[313], 1);
	h_free(f.h);
}

/* A host's bindings all live on one Nb (the LAN program checks one address):
 * "any" lands on the address it already uses, another address is 312. */
static void test_one_nb_per_host(void **state)
{
	struct fx f = setup_fx("--listen 10.0.0.1 --public 192.0.2.1,192.0.2.2 --lease 600 "
			       "--port-range 10000-10099");
	struct engine_src y = h_udp("10.0.0.3", 40000);
	uint32_t id2 = h_register(f.h, &y, 1);
	struct fx g = {.h = f.h, .x = y, .id = id2, .counter = 2};
	const struct rsip_msg *m;
	struct in_addr first;
	struct raw r;
	int i;

	h_assign_rsap(&r, f.id, "192.0.2.2", "01", "any", "01", f.counter++);
	m = ask(&f, &r);
	assert_int_equal(m->type, RSIP_ASSIGN_RESPONSE_RSAP_IP);
	first = m->local_addr.u.v4;
	for (i = 0; i < 4; i++) {
		h_assign_rsipsec(&r, f.id, "any", "", "any", "", "00 01", f.counter++);
		m = ask(&f, &r);
		assert_int_equal(m->type, RSIP_ASSIGN_RESPONSE_RSIPSEC);
		assert_int_equal(m->local_addr.u.v4.s_addr, first.s_addr);
	}
	h_assign_rsap(&r, f.id, "192.0.2.1", "01", "any", "01", f.counter++);
	expect_err(&f, &r, RSIP_E_LOCAL_ADDR_UNALLOWED);
	/* Another host is not bound by it. */
	h_assign_rsap(&r, id2, "192.0.2.1", "01", "any", "01", g.counter++);
	m = ask(&g, &r);
	assert_int_equal(m->type, RSIP_ASSIGN_RESPONSE_RSAP_IP);
	assert_int_equal(ntohl(m->local_addr.u.v4.s_addr), 0xc0000201);
	h_free(f.h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rsap_any_ports),
	    cmocka_unit_test(test_rsap_specific_ports_and_errors),
	    cmocka_unit_test(test_rsa_ip),
	    cmocka_unit_test(test_rsipsec),
	    cmocka_unit_test(test_ipsec_unallowed_401),
	    cmocka_unit_test(test_flow_policy_103),
	    cmocka_unit_test(test_remote_macro),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_atomic_when_dataplane_full),
	    cmocka_unit_test(test_atomic_when_spis_fail),
	    cmocka_unit_test(test_retransmitted_assign),
	    cmocka_unit_test(test_one_nb_per_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
