// SPDX-License-Identifier: BSD-2-Clause
/*
 * librsip bindings: what an ASSIGN request looks like on the wire, what the
 * answer becomes, automatic renewal at half the lease (injected clock), a
 * refused or unanswered renewal, an answer the client cannot use (FREEd
 * right away), the blocking calls against a scripted gateway thread
 * (REGISTER takeover after ALREADY_REGISTERED, release_all, QUERY).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../lib/fake_gw.h"
#include "rsip/client.h"

#define MAX_EVENTS 16
#define SEC	   1000000ull

struct fixture {
	uint64_t now;
	/* While the library sits in a blocking call, the clock runs (from
	 * now, at real speed), so that a test that goes wrong times out
	 * instead of waiting forever on a frozen clock. */
	bool live;
	uint64_t live_start;
	int sv[2];
	struct rsip_client *c;
	int done_calls, done_rc;
	struct rsip_client_event ev[MAX_EVENTS];
	int n_ev;
	struct rsip_msg *m, *req;
	struct fake_gw gw;
};

static uint64_t real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t fake_clock(void *arg)
{
	struct fixture *f = arg;

	return f->live ? f->now + (real_us() - f->live_start) : f->now;
}

static void go_live(struct fixture *f)
{
	f->live_start = real_us();
	f->live = true;
}

static void freeze(struct fixture *f)
{
	f->now = fake_clock(f);
	f->live = false;
}

static void on_event(void *arg, const struct rsip_client_event *ev)
{
	struct fixture *f = arg;

	assert_true(f->n_ev < MAX_EVENTS);
	f->ev[f->n_ev++] = *ev;
}

static void on_done(void *arg, int rc, const struct rsip_msg *rsp)
{
	struct fixture *f = arg;

	(void)rsp;
	f->done_calls++;
	f->done_rc = rc;
}

static struct fixture *setup(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct rsip_client_cfg cfg = {
	    .transport = RSIP_TRANSPORT_UDP,
	    .first_counter = 1,
	    .clock = fake_clock,
	    .on_event = on_event,
	};

	assert_non_null(f);
	f->now = 100 * SEC;
	cfg.clock_arg = f;
	cfg.event_arg = f;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, f->sv), 0);
	f->c = rsip_client_open_fd(f->sv[0], (struct in_addr){htonl(0x0a000001)}, &cfg);
	assert_non_null(f->c);
	f->m = malloc(sizeof(*f->m));
	f->req = malloc(sizeof(*f->req));
	return f;
}

static void teardown_f(struct fixture *f)
{
	rsip_client_close(f->c);
	close(f->sv[1]);
	fake_gw_free(&f->gw);
	free(f->m);
	free(f->req);
	free(f);
}

/* ---- scripted answers -------------------------------------------------- */
static bool reg_ok(void *arg, const struct rsip_msg *req, struct rsip_msg *rsp)
{
	(void)arg;
	(void)req;
	fake_register_response(rsp, 7, 600);
	return true;
}

static bool reg_ok_56(void *arg, const struct rsip_msg *req, struct rsip_msg *rsp)
{
	(void)arg;
	(void)req;
	fake_register_response(rsp, 56, 600);
	return true;
}

static bool already_registered_55(void *arg, const struct rsip_msg *req, struct rsip_msg *rsp)
{
	(void)arg;
	(void)req;
	fake_error_response(rsp, RSIP_E_ALREADY_REGISTERED, 55);
	return true;
}

static bool dereg_ok(void *arg, const struct rsip_msg *req, struct rsip_msg *rsp)
{
	(void)arg;
	fake_ids_response(rsp, RSIP_DEREGISTER_RESPONSE, req->client_id, 0, false, 0, false);
	return true;
}

static bool free_ok(void *arg, const struct rsip_msg *req, struct rsip_msg *rsp)
{
	(void)arg;
	fake_ids_response(rsp, RSIP_FREE_RESPONSE, req->client_id, req->bind_id, true, 0, false);
	return true;
}

static bool bad_bind(void *arg, const struct rsip_msg *req, struct rsip_msg *rsp)
{
	(void)arg;
	rsip_msg_error(rsp, RSIP_E_BAD_BIND_ID, false, 0, true, req->client_id, true, req->bind_id);
	return true;
}

/* RSIPSEC: SPIs 0x1000.. (as many as asked), lease 10 s. */
static bool rsipsec_ok(void *arg, const struct rsip_msg *req, struct rsip_msg *rsp)
{
	uint8_t nports = req->local_ports.form == RSIP_PORTS_ANY ? req->local_ports.number : 0;

	(void)arg;
	fake_rsipsec_response(rsp, req->client_id, 70, "192.0.2.10", 0x1000, req->spi.number,
			      nports ? 40000 : 0, nports, 10, RSIP_TUNNEL_GRE);
	return true;
}

static bool query_ok(void *arg, const struct rsip_msg *req, struct rsip_msg *rsp)
{
	(void)arg;
	fake_ids_response(rsp, RSIP_QUERY_RESPONSE, req->client_id, 0, false, 0, false);
	assert_non_null(rsip_msg_add_tuple(rsp));
	assert_non_null(rsip_msg_add_tuple(rsp));
	rsp->tuples[0].indicator = RSIP_IND_LOCAL_ADDRESS;
	rsp->tuples[0].addr.type = RSIP_ADDR_IPV4;
	inet_pton(AF_INET, "10.0.0.5", &rsp->tuples[0].addr.u.v4);
	rsp->tuples[1].indicator = RSIP_IND_LOCAL_NETWORK;
	rsp->tuples[1].addr.type = RSIP_ADDR_IPV4;
	inet_pton(AF_INET, "10.1.0.0", &rsp->tuples[1].addr.u.v4);
	rsp->tuples[1].mask.type = RSIP_ADDR_IPV4_NETMASK;
	inet_pton(AF_INET, "255.255.0.0", &rsp->tuples[1].mask.u.v4);
	return true;
}

static void run_script(struct fixture *f, const struct fake_gw_step *steps, int n)
{
	assert_int_equal(fake_gw_start(&f->gw, f->sv[1], false, steps, n), 0);
}

/* Register and lease n_spis SPIs (and nports ports) with auto-renew, through
 * the blocking calls and the gateway thread. Returns when the lease was
 * granted, on the client's clock. */
static uint64_t lease(struct fixture *f, uint16_t n_spis, uint16_t nports, uint32_t lease_req)
{
	static const struct fake_gw_step script[] = {{reg_ok, NULL}, {rsipsec_ok, NULL}};
	struct rsip_assign_req ar = {
	    .method = RSIP_METHOD_RSIPSEC,
	    .n_spis = n_spis,
	    .n_ports = nports,
	    .lease_s = lease_req,
	    .tunnel = RSIP_TUNNEL_GRE,
	    .auto_renew = true,
	};
	struct rsip_binding *b = malloc(sizeof(*b));
	uint64_t t;

	run_script(f, script, 2);
	go_live(f);
	assert_int_equal(rsip_client_register(f->c, false), 0);
	assert_int_equal(rsip_client_assign(f->c, &ar, b), 0);
	freeze(f);
	assert_int_equal(fake_gw_join(&f->gw), 0);
	/* On a loaded machine the live clock can pass a retransmission
	 * timeout before the fake gateway's thread answers: the library then
	 * rightly sent the request again, and the copy still waits in the
	 * socket. Only such copies may be there; a test that reads the next
	 * request must not take one for it. */
	while (fake_recv(f->sv[1], false, f->req, 0) > 0)
		assert_true(f->req->type == RSIP_REGISTER_REQUEST ||
			    f->req->type == RSIP_ASSIGN_REQUEST_RSIPSEC);
	assert_int_equal(b->bind_id, 70);
	t = b->expires_us - (uint64_t)b->lease_s * SEC;
	free(b);
	return t;
}

/* ---- tests ---------------------------------------------------------------- */
static void test_assign_rsipsec_wire_and_binding(void **state)
{
	struct fixture *f = setup();
	const struct rsip_binding *b;
	const struct rsip_msg *q;
	char a[INET_ADDRSTRLEN];

	uint64_t t0;

	(void)state;
	t0 = lease(f, 256, 0, 3600);
	q = f->gw.reqs[1];
	assert_int_equal(q->type, RSIP_ASSIGN_REQUEST_RSIPSEC);
	assert_int_equal(q->client_id, 7);
	assert_int_equal(q->counter, 2);
	assert_true(q->local_addr.any);
	assert_true(q->remote_addr.any);
	/* RFC 3104 6.2: no ports wanted, both Ports say "don't need". */
	assert_int_equal(q->local_ports.form, RSIP_PORTS_NOT_NEEDED);
	assert_int_equal(q->remote_ports.form, RSIP_PORTS_NOT_NEEDED);
	assert_int_equal(q->spi.form, RSIP_SPI_ANY);
	assert_int_equal(q->spi.number, 256);
	assert_int_equal(q->lease, 3600);
	assert_int_equal(q->n_tunnels, 1);
	assert_int_equal(q->tunnels[0], RSIP_TUNNEL_GRE);

	b = rsip_client_binding(f->c, 70);
	assert_non_null(b);
	assert_string_equal(inet_ntop(AF_INET, &b->addr, a, sizeof(a)), "192.0.2.10");
	/* No tunnel endpoint in the answer: the gateway itself. */
	assert_string_equal(inet_ntop(AF_INET, &b->endpoint, a, sizeof(a)), "10.0.0.1");
	assert_int_equal(b->method, RSIP_METHOD_RSIPSEC);
	assert_int_equal(b->tunnel, RSIP_TUNNEL_GRE);
	assert_true(b->spi_range);
	assert_int_equal(b->spi_first, 0x1000);
	assert_int_equal(b->n_spis, 256);
	assert_int_equal(b->n_ports, 0);
	assert_int_equal(b->lease_s, 10);
	assert_int_equal(b->expires_us, t0 + 10 * SEC);
	assert_true(t0 <= f->now);
	teardown_f(f);
}

static void test_assign_with_ports(void **state)
{
	struct fixture *f = setup();
	const struct rsip_binding *b;
	const struct rsip_msg *q;

	(void)state;
	lease(f, 4, 2, 0);
	q = f->gw.reqs[1];
	assert_int_equal(q->local_ports.form, RSIP_PORTS_ANY);
	assert_int_equal(q->local_ports.number, 2);
	assert_int_equal(q->remote_ports.form, RSIP_PORTS_ANY);
	assert_false(q->has & RSIP_HAS_LEASE);
	b = rsip_client_binding(f->c, 70);
	assert_int_equal(b->n_ports, 2);
	assert_true(b->port_range);
	assert_int_equal(b->port_first, 40000);
	teardown_f(f);
}

static void test_build_assign_checks(void **state)
{
	struct rsip_msg *m = malloc(sizeof(*m));
	struct rsip_assign_req r;

	(void)state;
	r = (struct rsip_assign_req){.method = RSIP_METHOD_RSIPSEC};
	assert_int_equal(rsip_client_build_assign(&r, m), -EINVAL); /* no SPIs */
	r = (struct rsip_assign_req){.method = RSIP_METHOD_RSAP_IP};
	assert_int_equal(rsip_client_build_assign(&r, m), -EINVAL); /* no ports */
	r = (struct rsip_assign_req){.method = RSIP_METHOD_RSA_IP, .n_ports = 1};
	assert_int_equal(rsip_client_build_assign(&r, m), -EINVAL);
	r = (struct rsip_assign_req){.method = 9, .n_spis = 1};
	assert_int_equal(rsip_client_build_assign(&r, m), -EINVAL);
	r = (struct rsip_assign_req){.method = RSIP_METHOD_RSAP_IP, .n_ports = 2, .port = 65535};
	assert_int_equal(rsip_client_build_assign(&r, m), -EINVAL);
	r = (struct rsip_assign_req){.method = RSIP_METHOD_RSAP_IP, .n_ports = 256};
	assert_int_equal(rsip_client_build_assign(&r, m), -EINVAL);
	r = (struct rsip_assign_req){.method = RSIP_METHOD_RSIPSEC, .n_spis = 2, .spi = UINT32_MAX};
	assert_int_equal(rsip_client_build_assign(&r, m), -EINVAL);

	/* RSAP-IP with a specific first port and a named peer. */
	r = (struct rsip_assign_req){.method = RSIP_METHOD_RSAP_IP,
				     .n_ports = 4,
				     .port = 10000,
				     .remote = {htonl(0xc6336405)},
				     .remote_port = 500};
	assert_int_equal(rsip_client_build_assign(&r, m), 0);
	assert_int_equal(m->type, RSIP_ASSIGN_REQUEST_RSAP_IP);
	assert_int_equal(m->local_ports.form, RSIP_PORTS_RANGE);
	assert_int_equal(rsip_ports_at(&m->local_ports, 0), 10000);
	assert_int_equal(m->local_ports.number, 4);
	assert_false(m->remote_addr.any);
	assert_int_equal(ntohl(m->remote_addr.u.v4.s_addr), 0xc6336405);
	assert_int_equal(m->remote_ports.form, RSIP_PORTS_RANGE);
	assert_int_equal(m->remote_ports.number, 1);
	assert_int_equal(rsip_ports_at(&m->remote_ports, 0), 500);
	free(m);
}

static void test_renewal_at_half_lease(void **state)
{
	struct fixture *f = setup();
	const struct rsip_binding *b;
	uint64_t t0;

	(void)state;
	t0 = lease(f, 4, 0, 3600);
	/* Lease 10 s: the EXTEND leaves at 5 s, not before. */
	assert_int_equal(rsip_client_next_deadline_us(f->c), t0 + 5 * SEC);
	f->now = t0 + 5 * SEC - 1;
	rsip_client_dispatch(f->c, 0);
	assert_int_equal(fake_recv(f->sv[1], false, f->req, 0), 0);
	f->now = t0 + 5 * SEC;
	rsip_client_dispatch(f->c, 0);
	assert_true(fake_recv(f->sv[1], false, f->req, 100) > 0);
	assert_int_equal(f->req->type, RSIP_EXTEND_REQUEST);
	assert_int_equal(f->req->bind_id, 70);
	assert_int_equal(f->req->client_id, 7);
	assert_int_equal(f->req->lease, 3600); /* what was asked for at first */
	/* The gateway grants 20 s more, counted from now. */
	fake_ids_response(f->m, RSIP_EXTEND_RESPONSE, 7, 70, true, 20, true);
	f->m->counter = f->req->counter;
	f->m->has |= RSIP_HAS_COUNTER;
	fake_send(f->sv[1], f->m);
	f->now = t0 + 5 * SEC + 3000;
	rsip_client_dispatch(f->c, POLLIN);
	assert_int_equal(f->n_ev, 1);
	assert_int_equal(f->ev[0].type, RSIP_EV_BINDING_EXTENDED);
	assert_int_equal(f->ev[0].bind_id, 70);
	assert_int_equal(f->ev[0].lease_s, 20);
	b = rsip_client_binding(f->c, 70);
	assert_int_equal(b->lease_s, 20);
	assert_int_equal(b->expires_us, f->now + 20 * SEC);
	assert_int_equal(rsip_client_next_deadline_us(f->c), f->now + 10 * SEC);
	teardown_f(f);
}

static void renew_once(struct fixture *f, uint64_t t0)
{
	f->now = t0 + 5 * SEC;
	rsip_client_dispatch(f->c, 0);
	assert_true(fake_recv(f->sv[1], false, f->req, 100) > 0);
	assert_int_equal(f->req->type, RSIP_EXTEND_REQUEST);
}

static void test_renewal_refused(void **state)
{
	struct fixture *f = setup();
	uint64_t t0;

	(void)state;
	t0 = lease(f, 4, 0, 0);
	renew_once(f, t0);
	rsip_msg_error(f->m, RSIP_E_BAD_BIND_ID, true, f->req->counter, true, 7, true, 70);
	fake_send(f->sv[1], f->m);
	rsip_client_dispatch(f->c, POLLIN);
	assert_int_equal(f->n_ev, 1);
	assert_int_equal(f->ev[0].type, RSIP_EV_BINDING_LOST);
	assert_int_equal(f->ev[0].error, RSIP_E_BAD_BIND_ID);
	assert_int_equal(rsip_client_n_bindings(f->c), 0);
	assert_true(rsip_client_registration(f->c)->registered);
	teardown_f(f);
}

static void test_renewal_finds_gateway_forgot_us(void **state)
{
	struct fixture *f = setup();
	uint64_t t0;

	(void)state;
	t0 = lease(f, 4, 0, 0);
	renew_once(f, t0);
	rsip_msg_error(f->m, RSIP_E_REGISTER_FIRST, true, f->req->counter, false, 0, false, 0);
	fake_send(f->sv[1], f->m);
	rsip_client_dispatch(f->c, POLLIN);
	assert_int_equal(f->n_ev, 1);
	assert_int_equal(f->ev[0].type, RSIP_EV_DEREGISTERED);
	assert_int_equal(f->ev[0].error, RSIP_E_REGISTER_FIRST);
	assert_int_equal(f->ev[0].client_id, 7);
	assert_false(rsip_client_registration(f->c)->registered);
	assert_int_equal(rsip_client_n_bindings(f->c), 0);
	teardown_f(f);
}

static void test_renewal_unanswered_then_expiry(void **state)
{
	struct fixture *f = setup();
	uint64_t t0, deadline;
	int extends = 0, guard = 0;

	(void)state;
	t0 = lease(f, 4, 0, 0);
	/* Follow the library's own deadlines and never answer. */
	while (rsip_client_n_bindings(f->c) && guard++ < 1000) {
		deadline = rsip_client_next_deadline_us(f->c);
		assert_true(deadline <= t0 + 10 * SEC);
		f->now = deadline;
		rsip_client_dispatch(f->c, 0);
		while (fake_recv(f->sv[1], false, f->req, 0) > 0) {
			assert_int_equal(f->req->type, RSIP_EXTEND_REQUEST);
			extends++;
		}
	}
	/* Several renewal attempts of 7 sends each, then the lease ran out
	 * exactly when granted. */
	assert_true(extends >= 14);
	assert_int_equal(extends % 7, 0);
	assert_int_equal(f->now, t0 + 10 * SEC);
	assert_true(f->n_ev >= 3);
	for (int i = 0; i < f->n_ev - 1; i++) {
		assert_int_equal(f->ev[i].type, RSIP_EV_RENEW_FAILED);
		assert_int_equal(f->ev[i].error, -ETIMEDOUT);
	}
	assert_int_equal(f->ev[f->n_ev - 1].type, RSIP_EV_BINDING_LOST);
	assert_int_equal(f->ev[f->n_ev - 1].error, -ETIMEDOUT);
	teardown_f(f);
}

static void test_unusable_answer_is_freed(void **state)
{
	struct fixture *f = setup();
	struct rsip_assign_req ar = {.method = RSIP_METHOD_RSIPSEC, .n_spis = 2};
	static const struct fake_gw_step script[] = {{reg_ok, NULL}};

	(void)state;
	run_script(f, script, 1);
	go_live(f);
	assert_int_equal(rsip_client_register(f->c, false), 0);
	freeze(f);
	fake_gw_join(&f->gw);

	for (int bad = 0; bad < 3; bad++) {
		assert_int_equal(rsip_client_build_assign(&ar, f->m), 0);
		f->done_calls = 0;
		rsip_client_submit(f->c, f->m, on_done, f);
		assert_true(fake_recv(f->sv[1], false, f->req, 100) > 0);
		fake_rsipsec_response(f->m, 7, 80 + bad, "192.0.2.10", 0x2000, 2, 0, 0, 60,
				      RSIP_TUNNEL_IPIP);
		if (bad == 0) /* an IPv6 Nb */
			f->m->local_addr.type = RSIP_ADDR_IPV6;
		else if (bad == 1) /* "don't care" is no grant */
			f->m->spi.form = RSIP_SPI_ANY;
		else { /* "don't care" ports are no grant either */
			f->m->local_ports.form = RSIP_PORTS_ANY;
			f->m->local_ports.number = 2;
			f->m->remote_ports.form = RSIP_PORTS_ANY;
			f->m->remote_ports.number = 1;
		}
		f->m->counter = f->req->counter;
		f->m->has |= RSIP_HAS_COUNTER;
		assert_int_equal(fake_send(f->sv[1], f->m), 0);
		rsip_client_dispatch(f->c, POLLIN);
		assert_int_equal(f->done_calls, 1);
		assert_int_equal(f->done_rc, -EPROTO);
		assert_int_equal(rsip_client_n_bindings(f->c), 0);
		/* RFC 3103 9.7.3: FREE it so both sides agree. */
		assert_true(fake_recv(f->sv[1], false, f->req, 100) > 0);
		assert_int_equal(f->req->type, RSIP_FREE_REQUEST);
		assert_int_equal(f->req->bind_id, 80 + bad);
		fake_ids_response(f->m, RSIP_FREE_RESPONSE, 7, 80 + bad, true, 0, false);
		f->m->counter = f->req->counter;
		f->m->has |= RSIP_HAS_COUNTER;
		fake_send(f->sv[1], f->m);
		rsip_client_dispatch(f->c, POLLIN);
		assert_int_equal(rsip_client_pending(f->c), 0);
	}
	teardown_f(f);
}

static void test_spi_list_answers(void **state)
{
	struct fixture *f = setup();
	struct rsip_assign_req ar = {.method = RSIP_METHOD_RSIPSEC, .n_spis = 3};
	static const struct fake_gw_step script[] = {{reg_ok, NULL}};
	static const uint32_t lists[2][3] = {{0x3000, 0x3001, 0x3002}, {0x3005, 0x3001, 0x3009}};

	(void)state;
	run_script(f, script, 1);
	go_live(f);
	assert_int_equal(rsip_client_register(f->c, false), 0);
	freeze(f);
	fake_gw_join(&f->gw);
	for (int i = 0; i < 2; i++) {
		const struct rsip_binding *b;

		rsip_client_build_assign(&ar, f->m);
		rsip_client_submit(f->c, f->m, on_done, f);
		assert_true(fake_recv(f->sv[1], false, f->req, 100) > 0);
		fake_rsipsec_response(f->m, 7, 90 + i, "192.0.2.10", 0, 3, 0, 0, 60,
				      RSIP_TUNNEL_IPIP);
		f->m->spi.form = RSIP_SPI_LIST;
		f->m->spi.list = lists[i]; /* encoded by fake_send below */
		f->m->counter = f->req->counter;
		f->m->has |= RSIP_HAS_COUNTER;
		fake_send(f->sv[1], f->m);
		rsip_client_dispatch(f->c, POLLIN);
		assert_int_equal(f->done_rc, 0);
		b = rsip_client_binding(f->c, 90 + i);
		assert_non_null(b);
		assert_int_equal(b->n_spis, 3);
		assert_int_equal(b->spi_first, 0x3000 + (i ? 1 : 0));
		/* An ascending run sent as a list is still a range. */
		assert_int_equal(b->spi_range, i == 0);
		assert_int_equal(b->spis[2], lists[i][2]);
	}
	teardown_f(f);
}

static void test_register_takeover(void **state)
{
	static const struct fake_gw_step script[] = {
	    {already_registered_55, NULL}, {dereg_ok, NULL}, {reg_ok_56, NULL}};
	static const struct fake_gw_step refuse[] = {{already_registered_55, NULL}};
	struct fixture *f = setup();

	(void)state;
	/* Without takeover: the typed error, naming the old Client ID. */
	run_script(f, refuse, 1);
	go_live(f);
	assert_int_equal(rsip_client_register(f->c, false), RSIP_E_ALREADY_REGISTERED);
	fake_gw_join(&f->gw);
	assert_int_equal(rsip_client_last_error(f->c)->client_id, 55);
	fake_gw_free(&f->gw);

	/* With it: RFC 3103 10.2.1, de-register 55, then register again. */
	run_script(f, script, 3);
	assert_int_equal(rsip_client_register(f->c, true), 0);
	assert_int_equal(fake_gw_join(&f->gw), 0);
	assert_int_equal(f->gw.n_requests, 3);
	assert_int_equal(f->gw.reqs[0]->type, RSIP_REGISTER_REQUEST);
	assert_int_equal(f->gw.reqs[1]->type, RSIP_DEREGISTER_REQUEST);
	assert_int_equal(f->gw.reqs[1]->client_id, 55);
	assert_int_equal(f->gw.reqs[2]->type, RSIP_REGISTER_REQUEST);
	assert_int_equal(rsip_client_registration(f->c)->client_id, 56);
	teardown_f(f);
}

static void test_release_all(void **state)
{
	static const struct fake_gw_step script[] = {{free_ok, NULL}, {dereg_ok, NULL}};
	static const struct fake_gw_step refused[] = {{bad_bind, NULL}, {dereg_ok, NULL}};
	struct fixture *f;

	(void)state;
	for (int variant = 0; variant < 2; variant++) {
		f = setup();
		lease(f, 4, 0, 0);
		fake_gw_free(&f->gw);
		run_script(f, variant ? refused : script, 2);
		/* Past the renewal time: no EXTEND may slip in between the
		 * FREE and the DE-REGISTER. */
		f->now += 6 * SEC;
		go_live(f);
		/* A binding already gone at the gateway (306) is not a
		 * failure of the release. */
		assert_int_equal(rsip_client_release_all(f->c), 0);
		assert_int_equal(fake_gw_join(&f->gw), 0);
		assert_int_equal(f->gw.reqs[0]->type, RSIP_FREE_REQUEST);
		assert_int_equal(f->gw.reqs[0]->bind_id, 70);
		assert_int_equal(f->gw.reqs[1]->type, RSIP_DEREGISTER_REQUEST);
		assert_int_equal(f->gw.reqs[1]->client_id, 7);
		assert_int_equal(fake_recv(f->sv[1], false, f->req, 50), 0);
		assert_false(rsip_client_registration(f->c)->registered);
		assert_int_equal(rsip_client_n_bindings(f->c), 0);
		teardown_f(f);
	}
}

static void test_query(void **state)
{
	static const struct fake_gw_step script[] = {{reg_ok, NULL}, {query_ok, NULL}};
	struct rsip_query_item q[1] = {{.indicator = RSIP_IND_ADDRESS}}, out[4];
	struct fixture *f = setup();
	unsigned int n = 0;
	char a[INET_ADDRSTRLEN];

	(void)state;
	inet_pton(AF_INET, "10.0.0.5", &q[0].addr);
	run_script(f, script, 2);
	go_live(f);
	assert_int_equal(rsip_client_register(f->c, false), 0);
	assert_int_equal(rsip_client_query(f->c, q, 1, out, 4, &n), 0);
	assert_int_equal(fake_gw_join(&f->gw), 0);
	assert_int_equal(f->gw.reqs[1]->n_tuples, 1);
	assert_int_equal(f->gw.reqs[1]->tuples[0].indicator, RSIP_IND_ADDRESS);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].indicator, RSIP_IND_LOCAL_ADDRESS);
	assert_string_equal(inet_ntop(AF_INET, &out[0].addr, a, sizeof(a)), "10.0.0.5");
	assert_int_equal(out[1].indicator, RSIP_IND_LOCAL_NETWORK);
	assert_string_equal(inet_ntop(AF_INET, &out[1].mask, a, sizeof(a)), "255.255.0.0");
	teardown_f(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_assign_rsipsec_wire_and_binding),
	    cmocka_unit_test(test_assign_with_ports),
	    cmocka_unit_test(test_build_assign_checks),
	    cmocka_unit_test(test_renewal_at_half_lease),
	    cmocka_unit_test(test_renewal_refused),
	    cmocka_unit_test(test_renewal_finds_gateway_forgot_us),
	    cmocka_unit_test(test_renewal_unanswered_then_expiry),
	    cmocka_unit_test(test_unusable_answer_is_freed),
	    cmocka_unit_test(test_spi_list_answers),
	    cmocka_unit_test(test_register_takeover),
	    cmocka_unit_test(test_release_all),
	    cmocka_unit_test(test_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
