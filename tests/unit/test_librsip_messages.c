// SPDX-License-Identifier: BSD-2-Clause
/*
 * librsip against crafted gateway messages through a socketpair: every
 * ERROR_RESPONSE becomes its typed error, unsolicited FREE_RESPONSE /
 * DE-REGISTER_RESPONSE / ERROR_RESPONSE (counter 0) become events at any
 * time, answers with the wrong counter, unparsable bytes and request types
 * are dropped without a reply, TCP messages are split by Overall Length
 * whatever the segmentation.
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
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../lib/fake_gw.h"
#include "rsip/client.h"

#define MAX_EVENTS 16

struct fixture {
	uint64_t now;
	int sv[2];
	bool stream;
	struct rsip_client *c;
	int done_calls, done_rc;
	uint8_t done_type;
	struct rsip_client_event ev[MAX_EVENTS];
	int n_ev;
	struct rsip_msg *m, *req;
};

static uint64_t fake_clock(void *arg)
{
	return ((struct fixture *)arg)->now;
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

	f->done_calls++;
	f->done_rc = rc;
	f->done_type = rsp ? rsp->type : 0;
}

static struct fixture *setup(bool stream)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct rsip_client_cfg cfg = {
	    .transport = stream ? RSIP_TRANSPORT_TCP : RSIP_TRANSPORT_UDP,
	    .first_counter = 1,
	    .clock = fake_clock,
	    .on_event = on_event,
	};

	assert_non_null(f);
	f->now = 5000000;
	f->stream = stream;
	cfg.clock_arg = f;
	cfg.event_arg = f;
	assert_int_equal(socketpair(AF_UNIX, stream ? SOCK_STREAM : SOCK_DGRAM, 0, f->sv), 0);
	f->c = rsip_client_open_fd(f->sv[0], (struct in_addr){htonl(0x0a000001)}, &cfg);
	assert_non_null(f->c);
	f->m = malloc(sizeof(*f->m));
	f->req = malloc(sizeof(*f->req));
	assert_non_null(f->m);
	assert_non_null(f->req);
	return f;
}

static void teardown_f(struct fixture *f)
{
	rsip_client_close(f->c);
	close(f->sv[1]);
	free(f->m);
	free(f->req);
	free(f);
}

/* The fake gateway's side: read the request the client just sent. */
static void expect_request(struct fixture *f, uint8_t type)
{
	assert_true(fake_recv(f->sv[1], f->stream, f->req, 1000) > 0);
	assert_int_equal(f->req->type, type);
}

static void answer(struct fixture *f)
{
	assert_int_equal(fake_send(f->sv[1], f->m), 0);
	rsip_client_dispatch(f->c, POLLIN);
}

static void with_counter(struct rsip_msg *m, uint32_t counter)
{
	m->counter = counter;
	m->has |= RSIP_HAS_COUNTER;
}

/* Register (counter 1) as client 7, and lease one RSIPSEC binding 70
 * (counter 2) with auto-renew off. */
static void register_and_assign(struct fixture *f)
{
	struct rsip_assign_req ar = {.method = RSIP_METHOD_RSIPSEC, .n_spis = 4};

	rsip_msg_init(f->m, RSIP_REGISTER_REQUEST);
	rsip_client_submit(f->c, f->m, on_done, f);
	expect_request(f, RSIP_REGISTER_REQUEST);
	fake_register_response(f->m, 7, 600);
	with_counter(f->m, f->req->counter);
	answer(f);
	assert_int_equal(f->done_rc, 0);
	assert_true(rsip_client_registration(f->c)->registered);

	assert_int_equal(rsip_client_build_assign(&ar, f->m), 0);
	rsip_client_submit(f->c, f->m, on_done, f);
	expect_request(f, RSIP_ASSIGN_REQUEST_RSIPSEC);
	fake_rsipsec_response(f->m, 7, 70, "192.0.2.10", 0x1000, 4, 0, 0, 600, RSIP_TUNNEL_IPIP);
	with_counter(f->m, f->req->counter);
	answer(f);
	assert_int_equal(f->done_rc, 0);
	assert_int_equal(rsip_client_n_bindings(f->c), 1);
	f->done_calls = 0;
}

static const uint16_t all_errors[] = {
    101, 102, 103, 104, 105, 106, 201, 202, 203, 204, 205, 206, 207, 208, 301, 302,
    303, 304, 305, 306, 307, 308, 309, 310, 311, 312, 313, 314, 315, 401, 402, 403,
};

static const char *const all_names[] = {
    "UNKNOWN_ERROR",
    "USE_TCP",
    "FLOW_POLICY_VIOLATION",
    "INTERNAL_SERVER_ERROR",
    "MESSAGE_COUNTER_REQUIRED",
    "UNSUPPORTED_RSIP_VERSION",
    "MISSING_PARAM",
    "DUPLICATE_PARAM",
    "EXTRA_PARAM",
    "ILLEGAL_PARAM",
    "BAD_PARAM",
    "ILLEGAL_MESSAGE",
    "BAD_MESSAGE",
    "UNSUPPORTED_MESSAGE",
    "REGISTER_FIRST",
    "ALREADY_REGISTERED",
    "ALREADY_UNREGISTERED",
    "REGISTRATION_DENIED",
    "BAD_CLIENT_ID",
    "BAD_BIND_ID",
    "BAD_TUNNEL_TYPE",
    "LOCAL_ADDR_UNAVAILABLE",
    "LOCAL_ADDRPORT_UNAVAILABLE",
    "LOCAL_ADDR_INUSE",
    "LOCAL_ADDRPORT_INUSE",
    "LOCAL_ADDR_UNALLOWED",
    "LOCAL_ADDRPORT_UNALLOWED",
    "REMOTE_ADDR_UNALLOWED",
    "REMOTE_ADDRPORT_UNALLOWED",
    "IPSEC_UNALLOWED",
    "IPSEC_SPI_UNAVAILABLE",
    "IPSEC_SPI_INUSE",
};

static void test_every_error_is_typed(void **state)
{
	(void)state;
	for (bool stream = false;; stream = true) {
		struct fixture *f = setup(stream);

		for (unsigned int i = 0; i < sizeof(all_errors) / sizeof(all_errors[0]); i++) {
			char buf[64], want[64];

			rsip_msg_init(f->m, RSIP_REGISTER_REQUEST);
			rsip_client_submit(f->c, f->m, on_done, f);
			expect_request(f, RSIP_REGISTER_REQUEST);
			rsip_msg_error(f->m, all_errors[i], true, f->req->counter, true, 1234, true,
				       99);
			f->done_calls = 0;
			answer(f);
			assert_int_equal(f->done_calls, 1);
			assert_int_equal(f->done_rc, all_errors[i]);
			assert_int_equal(f->done_type, RSIP_ERROR_RESPONSE);
			assert_string_equal(rsip_error_name((unsigned int)f->done_rc),
					    all_names[i]);
			snprintf(want, sizeof(want), "%s (%u)", all_names[i], all_errors[i]);
			assert_string_equal(rsip_client_strerror(f->done_rc, buf, sizeof(buf)),
					    want);
			assert_int_equal(rsip_client_last_error(f->c)->code, all_errors[i]);
			assert_int_equal(rsip_client_last_error(f->c)->request_type,
					 RSIP_REGISTER_REQUEST);
			assert_true(rsip_client_last_error(f->c)->has_client_id);
			assert_int_equal(rsip_client_last_error(f->c)->client_id, 1234);
			assert_int_equal(rsip_client_last_error(f->c)->bind_id, 99);
			assert_false(rsip_client_registration(f->c)->registered);
		}
		assert_int_equal(f->n_ev, 0);
		teardown_f(f);
		if (stream)
			break;
	}
}

static void test_wrong_counter_ignored(void **state)
{
	struct fixture *f = setup(false);

	(void)state;
	rsip_msg_init(f->m, RSIP_REGISTER_REQUEST);
	rsip_client_submit(f->c, f->m, on_done, f);
	expect_request(f, RSIP_REGISTER_REQUEST);
	assert_int_equal(f->req->counter, 1);
	/* An answer to some other counter (a stale one, a spoofed one). */
	fake_register_response(f->m, 66, 600);
	with_counter(f->m, 2);
	answer(f);
	assert_int_equal(f->done_calls, 0);
	assert_false(rsip_client_registration(f->c)->registered);
	/* Over UDP a message without a counter is dropped too (105). */
	fake_register_response(f->m, 67, 600);
	answer(f);
	assert_int_equal(f->done_calls, 0);
	/* The real answer still completes the request. */
	fake_register_response(f->m, 7, 600);
	with_counter(f->m, 1);
	answer(f);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->done_rc, 0);
	assert_int_equal(rsip_client_registration(f->c)->client_id, 7);
	/* A duplicate of that answer, arriving late, changes nothing. */
	fake_register_response(f->m, 8, 600);
	with_counter(f->m, 1);
	answer(f);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(rsip_client_registration(f->c)->client_id, 7);
	/* The host never answers the gateway (RFC 3103 9.1.3). */
	assert_int_equal(fake_pending(f->sv[1]), 0);
	teardown_f(f);
}

static void test_wrong_type_or_client_ignored(void **state)
{
	struct fixture *f = setup(false);

	(void)state;
	register_and_assign(f);
	/* FREE 70 in flight; an EXTEND_RESPONSE with the right counter is not
	 * its answer, nor a FREE_RESPONSE for another client or binding. */
	rsip_msg_init(f->m, RSIP_FREE_REQUEST);
	f->m->bind_id = 70;
	f->m->has |= RSIP_HAS_BIND_ID;
	rsip_client_submit(f->c, f->m, on_done, f);
	expect_request(f, RSIP_FREE_REQUEST);
	assert_int_equal(f->req->client_id, 7);
	fake_ids_response(f->m, RSIP_EXTEND_RESPONSE, 7, 70, true, 60, true);
	with_counter(f->m, f->req->counter);
	answer(f);
	fake_ids_response(f->m, RSIP_FREE_RESPONSE, 8, 70, true, 0, false);
	with_counter(f->m, f->req->counter);
	answer(f);
	fake_ids_response(f->m, RSIP_FREE_RESPONSE, 7, 71, true, 0, false);
	with_counter(f->m, f->req->counter);
	answer(f);
	assert_int_equal(f->done_calls, 0);
	assert_int_equal(rsip_client_n_bindings(f->c), 1);
	fake_ids_response(f->m, RSIP_FREE_RESPONSE, 7, 70, true, 0, false);
	with_counter(f->m, f->req->counter);
	answer(f);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->done_rc, 0);
	assert_int_equal(rsip_client_n_bindings(f->c), 0);
	assert_int_equal(f->n_ev, 0); /* an answer, not an unsolicited FREE */
	teardown_f(f);
}

static void test_unparsable_dropped(void **state)
{
	static const uint8_t junk[][12] = {
	    {0x02, 0x03, 0x00, 0x04},			/* version 2 */
	    {0x01, 0x03, 0x00, 0x0b, 0x0b, 0x00, 0x04}, /* truncated */
	    {0x01, 0x63, 0x00, 0x04},			/* unknown type 99 */
	    {0x01, 0x03, 0x00, 0x04},			/* REGISTER_RESPONSE, no params */
	    {0x01, 0x02, 0x00, 0x0b, 0x0b, 0x00, 0x04, 0, 0, 0, 1}, /* a request */
	};
	static const size_t lens[] = {4, 7, 4, 4, 11};
	struct fixture *f = setup(false);

	(void)state;
	rsip_msg_init(f->m, RSIP_REGISTER_REQUEST);
	rsip_client_submit(f->c, f->m, on_done, f);
	expect_request(f, RSIP_REGISTER_REQUEST);
	for (unsigned int i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		assert_int_equal(fake_send_raw(f->sv[1], junk[i], lens[i]), 0);
		rsip_client_dispatch(f->c, POLLIN);
		assert_int_equal(f->done_calls, 0);
	}
	/* An oversized datagram (beyond the 4096-byte cap) too. */
	{
		uint8_t *big = calloc(1, 5000);

		big[0] = 1;
		big[1] = RSIP_REGISTER_RESPONSE;
		big[2] = 5000 >> 8;
		big[3] = 5000 & 0xff;
		fake_send_raw(f->sv[1], big, 5000);
		rsip_client_dispatch(f->c, POLLIN);
		free(big);
		assert_int_equal(f->done_calls, 0);
	}
	/* No ERROR_RESPONSE goes back, nor anything else. */
	assert_int_equal(fake_pending(f->sv[1]), 0);
	fake_register_response(f->m, 7, 600);
	with_counter(f->m, 1);
	answer(f);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->done_rc, 0);
	teardown_f(f);
}

static void test_unsolicited_free(void **state)
{
	for (bool stream = false;; stream = true) {
		struct fixture *f = setup(stream);

		(void)state;
		register_and_assign(f);
		/* For another client: ignored. */
		fake_ids_response(f->m, RSIP_FREE_RESPONSE, 8, 70, true, 0, false);
		with_counter(f->m, 0);
		answer(f);
		/* For a binding we do not have: ignored. */
		fake_ids_response(f->m, RSIP_FREE_RESPONSE, 7, 71, true, 0, false);
		with_counter(f->m, 0);
		answer(f);
		assert_int_equal(f->n_ev, 0);
		assert_int_equal(rsip_client_n_bindings(f->c), 1);
		/* Ours, counter 0: the binding is gone, an event says so. */
		fake_ids_response(f->m, RSIP_FREE_RESPONSE, 7, 70, true, 0, false);
		with_counter(f->m, 0);
		answer(f);
		assert_int_equal(f->n_ev, 1);
		assert_int_equal(f->ev[0].type, RSIP_EV_BINDING_FREED);
		assert_int_equal(f->ev[0].bind_id, 70);
		assert_int_equal(f->ev[0].client_id, 7);
		assert_int_equal(rsip_client_n_bindings(f->c), 0);
		assert_null(rsip_client_binding(f->c, 70));
		assert_true(rsip_client_registration(f->c)->registered);
		assert_int_equal(fake_pending(f->sv[1]), 0);
		teardown_f(f);
		if (stream)
			break;
	}
}

static void test_unsolicited_during_request(void **state)
{
	/* An unsolicited DE-REGISTER_RESPONSE arrives while a QUERY waits
	 * for its answer: the event fires at once, the QUERY still gets its
	 * own answer (here: REGISTER_FIRST, as the gateway forgot us). */
	struct fixture *f = setup(false);

	(void)state;
	register_and_assign(f);
	rsip_msg_init(f->m, RSIP_QUERY_REQUEST);
	rsip_client_submit(f->c, f->m, on_done, f);
	expect_request(f, RSIP_QUERY_REQUEST);
	fake_ids_response(f->m, RSIP_DEREGISTER_RESPONSE, 7, 0, false, 0, false);
	with_counter(f->m, 0);
	answer(f);
	assert_int_equal(f->n_ev, 1);
	assert_int_equal(f->ev[0].type, RSIP_EV_DEREGISTERED);
	assert_int_equal(f->ev[0].client_id, 7);
	assert_false(rsip_client_registration(f->c)->registered);
	assert_int_equal(rsip_client_n_bindings(f->c), 0);
	assert_int_equal(f->done_calls, 0);
	rsip_msg_error(f->m, RSIP_E_REGISTER_FIRST, true, f->req->counter, false, 0, false, 0);
	answer(f);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->done_rc, RSIP_E_REGISTER_FIRST);
	teardown_f(f);
}

static void test_unsolicited_error_and_other_types(void **state)
{
	struct fixture *f = setup(false);

	(void)state;
	register_and_assign(f);
	/* D14: a data-path violation report. */
	rsip_msg_error(f->m, RSIP_E_LOCAL_ADDRPORT_UNALLOWED, true, 0, true, 7, true, 70);
	answer(f);
	assert_int_equal(f->n_ev, 1);
	assert_int_equal(f->ev[0].type, RSIP_EV_ERROR);
	assert_int_equal(f->ev[0].error, RSIP_E_LOCAL_ADDRPORT_UNALLOWED);
	assert_int_equal(f->ev[0].bind_id, 70);
	assert_int_equal(rsip_client_n_bindings(f->c), 1); /* nothing taken back */
	/* For another client: not ours. */
	rsip_msg_error(f->m, RSIP_E_LOCAL_ADDR_UNALLOWED, true, 0, true, 8, false, 0);
	answer(f);
	assert_int_equal(f->n_ev, 1);
	/* Only ERROR, FREE and DE-REGISTER responses may be unsolicited. */
	fake_ids_response(f->m, RSIP_EXTEND_RESPONSE, 7, 70, true, 1, true);
	with_counter(f->m, 0);
	answer(f);
	fake_register_response(f->m, 7, 1);
	with_counter(f->m, 0);
	answer(f);
	assert_int_equal(f->n_ev, 1);
	assert_int_equal(rsip_client_binding(f->c, 70)->lease_s, 600);
	assert_int_equal(rsip_client_registration(f->c)->lease_s, 600);
	teardown_f(f);
}

static void test_tcp_framing(void **state)
{
	struct fixture *f = setup(true);
	uint8_t a[RSIP_MAX_MSG], b[RSIP_MAX_MSG], both[2 * RSIP_MAX_MSG];
	ssize_t la, lb;

	(void)state;
	rsip_msg_init(f->m, RSIP_REGISTER_REQUEST);
	rsip_client_submit(f->c, f->m, on_done, f);
	expect_request(f, RSIP_REGISTER_REQUEST);
	/* The answer in three pieces, one byte of header alone. */
	fake_register_response(f->m, 7, 600);
	with_counter(f->m, f->req->counter);
	la = rsip_encode(f->m, a, sizeof(a));
	assert_true(la > 8);
	fake_send_raw(f->sv[1], a, 1);
	rsip_client_dispatch(f->c, POLLIN);
	fake_send_raw(f->sv[1], a + 1, 5);
	rsip_client_dispatch(f->c, POLLIN);
	assert_int_equal(f->done_calls, 0);
	fake_send_raw(f->sv[1], a + 6, (size_t)la - 6);
	rsip_client_dispatch(f->c, POLLIN);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->done_rc, 0);

	/* Two messages in one segment: an answer and an unsolicited error. */
	rsip_msg_init(f->m, RSIP_QUERY_REQUEST);
	rsip_client_submit(f->c, f->m, on_done, f);
	expect_request(f, RSIP_QUERY_REQUEST);
	fake_ids_response(f->m, RSIP_QUERY_RESPONSE, 7, 0, false, 0, false);
	with_counter(f->m, f->req->counter);
	la = rsip_encode(f->m, a, sizeof(a));
	rsip_msg_error(f->m, RSIP_E_REMOTE_ADDR_UNALLOWED, true, 0, true, 7, false, 0);
	lb = rsip_encode(f->m, b, sizeof(b));
	memcpy(both, a, (size_t)la);
	memcpy(both + la, b, (size_t)lb);
	fake_send_raw(f->sv[1], both, (size_t)(la + lb));
	rsip_client_dispatch(f->c, POLLIN);
	assert_int_equal(f->done_calls, 2);
	assert_int_equal(f->done_rc, 0);
	assert_int_equal(f->done_type, RSIP_QUERY_RESPONSE);
	assert_int_equal(f->n_ev, 1);
	assert_int_equal(f->ev[0].type, RSIP_EV_ERROR);
	teardown_f(f);
}

static void test_tcp_answer_without_counter(void **state)
{
	/* Over TCP the counter is optional: an answer without one is matched
	 * by its type, and a FREE_RESPONSE that does not answer the request
	 * in flight is taken as unsolicited. */
	struct fixture *f = setup(true);

	(void)state;
	register_and_assign(f);
	rsip_msg_init(f->m, RSIP_EXTEND_REQUEST);
	f->m->bind_id = 70;
	f->m->has |= RSIP_HAS_BIND_ID;
	rsip_client_submit(f->c, f->m, on_done, f);
	expect_request(f, RSIP_EXTEND_REQUEST);
	fake_ids_response(f->m, RSIP_FREE_RESPONSE, 7, 70, true, 0, false);
	answer(f);
	assert_int_equal(f->n_ev, 1);
	assert_int_equal(f->ev[0].type, RSIP_EV_BINDING_FREED);
	assert_int_equal(f->done_calls, 0);
	fake_ids_response(f->m, RSIP_EXTEND_RESPONSE, 7, 70, true, 30, true);
	answer(f);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->done_rc, 0);
	teardown_f(f);
}

static void test_tcp_bad_framing_and_eof(void **state)
{
	struct fixture *f = setup(true);
	static const uint8_t bad[] = {0x01, 0x03, 0x00, 0x02}; /* Overall Length 2 */

	(void)state;
	rsip_msg_init(f->m, RSIP_REGISTER_REQUEST);
	rsip_client_submit(f->c, f->m, on_done, f);
	expect_request(f, RSIP_REGISTER_REQUEST);
	/* The stream cannot be split any more: the connection is dropped and
	 * the request fails; a socketpair cannot be reconnected. */
	fake_send_raw(f->sv[1], bad, sizeof(bad));
	rsip_client_dispatch(f->c, POLLIN);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->done_rc, -ECONNRESET);
	assert_int_equal(f->n_ev, 1);
	assert_int_equal(f->ev[0].type, RSIP_EV_DISCONNECTED);
	assert_int_equal(rsip_client_fd(f->c), -1);
	teardown_f(f);

	f = setup(true);
	rsip_msg_init(f->m, RSIP_REGISTER_REQUEST);
	rsip_client_submit(f->c, f->m, on_done, f);
	expect_request(f, RSIP_REGISTER_REQUEST);
	shutdown(f->sv[1], SHUT_WR); /* the gateway closes */
	rsip_client_dispatch(f->c, POLLIN);
	assert_int_equal(f->done_rc, -ECONNRESET);
	assert_int_equal(f->ev[0].type, RSIP_EV_DISCONNECTED);
	teardown_f(f);
}

static void test_tcp_reconnects(void **state)
{
	/* A client made by rsip_client_connect reconnects for the next
	 * request after the gateway closed the connection: the registration
	 * lives on at the gateway (spec D4), so the request carries the same
	 * Client ID on the new connection. */
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr = {htonl(INADDR_LOOPBACK)}};
	struct rsip_client_cfg cfg = {.transport = RSIP_TRANSPORT_TCP, .first_counter = 1};
	struct fixture f = {0};
	socklen_t sl = sizeof(sin);
	int lfd, a1, a2;

	(void)state;
	cfg.on_event = on_event;
	cfg.event_arg = &f;
	f.m = malloc(sizeof(*f.m));
	f.req = malloc(sizeof(*f.req));
	f.stream = true;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 2), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);
	f.c = rsip_client_connect(sin.sin_addr, ntohs(sin.sin_port), &cfg);
	assert_non_null(f.c);
	a1 = accept(lfd, NULL, NULL);
	assert_true(a1 >= 0);
	f.sv[1] = a1;

	rsip_msg_init(f.m, RSIP_REGISTER_REQUEST);
	rsip_client_submit(f.c, f.m, on_done, &f);
	expect_request(&f, RSIP_REGISTER_REQUEST);
	fake_register_response(f.m, 7, 600);
	with_counter(f.m, f.req->counter);
	fake_send(a1, f.m);
	while (f.done_calls == 0) {
		struct pollfd p = {.fd = rsip_client_fd(f.c), .events = POLLIN};

		assert_true(poll(&p, 1, 5000) == 1);
		rsip_client_dispatch(f.c, p.revents);
	}
	assert_int_equal(f.done_rc, 0);

	/* The gateway closes; the client notices. */
	close(a1);
	while (f.n_ev == 0) {
		struct pollfd p = {.fd = rsip_client_fd(f.c), .events = POLLIN};

		assert_true(poll(&p, 1, 5000) == 1);
		rsip_client_dispatch(f.c, p.revents);
	}
	assert_int_equal(f.ev[0].type, RSIP_EV_DISCONNECTED);
	assert_int_equal(rsip_client_fd(f.c), -1);
	assert_true(rsip_client_registration(f.c)->registered);

	/* The next request opens a new connection. */
	rsip_msg_init(f.m, RSIP_QUERY_REQUEST);
	assert_int_equal(rsip_client_submit(f.c, f.m, on_done, &f), 0);
	assert_true(rsip_client_fd(f.c) >= 0);
	a2 = accept(lfd, NULL, NULL);
	assert_true(a2 >= 0);
	f.sv[1] = a2;
	expect_request(&f, RSIP_QUERY_REQUEST);
	assert_int_equal(f.req->client_id, 7);
	assert_int_equal(f.req->counter, 2);

	rsip_client_close(f.c);
	close(a2);
	close(lfd);
	free(f.m);
	free(f.req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_error_is_typed),
	    cmocka_unit_test(test_wrong_counter_ignored),
	    cmocka_unit_test(test_wrong_type_or_client_ignored),
	    cmocka_unit_test(test_unparsable_dropped),
	    cmocka_unit_test(test_unsolicited_free),
	    cmocka_unit_test(test_unsolicited_during_request),
	    cmocka_unit_test(test_unsolicited_error_and_other_types),
	    cmocka_unit_test(test_tcp_framing),
	    cmocka_unit_test(test_tcp_answer_without_counter),
	    cmocka_unit_test(test_tcp_bad_framing_and_eof),
	    cmocka_unit_test(test_tcp_reconnects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
