// SPDX-License-Identifier: BSD-2-Clause
/*
 * librsip timing with an injected clock: over UDP a request is sent at 0,
 * 12.5, 37.5, 87.5, 187.5, 387.5 and 787.5 ms (binary exponential backoff
 * from 12.5 ms, RFC 3103 App. D), the same bytes every time, and given up at
 * 1587.5 ms after the 7th send; over TCP it is sent once. Message Counters:
 * n+1 only after n is answered or given up, wrap to 1, never 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../lib/fake_gw.h"
#include "rsip/client.h"

struct fixture {
	uint64_t now; /* the injected clock, microseconds */
	int sv[2];    /* [0] client, [1] fake gateway */
	struct rsip_client *c;
	int done_calls;
	int done_rc;
	struct rsip_msg *m;
};

static uint64_t fake_clock(void *arg)
{
	return ((struct fixture *)arg)->now;
}

static void on_done(void *arg, int rc, const struct rsip_msg *rsp)
{
	struct fixture *f = arg;

	(void)rsp;
	f->done_calls++;
	f->done_rc = rc;
}

static struct fixture *setup(int type, enum rsip_transport t, uint32_t first_counter)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct rsip_client_cfg cfg = {
	    .transport = t,
	    .first_counter = first_counter,
	    .clock = fake_clock,
	};

	assert_non_null(f);
	f->now = 1000000; /* not 0: "time 0" must not be special */
	cfg.clock_arg = f;
	assert_int_equal(socketpair(AF_UNIX, type, 0, f->sv), 0);
	f->c = rsip_client_open_fd(f->sv[0], (struct in_addr){0}, &cfg);
	assert_non_null(f->c);
	f->m = malloc(sizeof(*f->m));
	assert_non_null(f->m);
	return f;
}

static void teardown_f(struct fixture *f)
{
	rsip_client_close(f->c);
	close(f->sv[1]);
	free(f->m);
	free(f);
}

static void submit_register(struct fixture *f)
{
	rsip_msg_init(f->m, RSIP_REGISTER_REQUEST);
	assert_int_equal(rsip_client_submit(f->c, f->m, on_done, f), 0);
}

/* Advance to t (relative to the start, in µs) and let the library run. */
static void at(struct fixture *f, uint64_t start, uint64_t t)
{
	f->now = start + t;
	rsip_client_dispatch(f->c, 0);
}

static void test_udp_backoff_schedule(void **state)
{
	/* Send times from RFC 3103 App. D, in microseconds. */
	static const uint64_t sends[] = {0, 12500, 37500, 87500, 187500, 387500, 787500};
	struct fixture *f = setup(SOCK_DGRAM, RSIP_TRANSPORT_UDP, 1);
	uint8_t first[64], again[64];
	uint64_t start = f->now;
	ssize_t n0, n;

	(void)state;
	submit_register(f);
	n0 = recv(f->sv[1], first, sizeof(first), MSG_DONTWAIT);
	assert_true(n0 > 0); /* sent at once, at time 0 */
	assert_int_equal(rsip_client_next_deadline_us(f->c), start + 12500);
	assert_int_equal(rsip_client_timeout_ms(f->c), 13); /* 12.5 ms, rounded up */

	for (unsigned int k = 1; k < sizeof(sends) / sizeof(sends[0]); k++) {
		/* 1 µs early: nothing. */
		at(f, start, sends[k] - 1);
		assert_int_equal(fake_pending(f->sv[1]), 0);
		assert_int_equal(rsip_client_next_deadline_us(f->c), start + sends[k]);
		/* On time: exactly one send, the same bytes (RFC 3103 10.1:
		 * the buffered copy, unchanged). */
		at(f, start, sends[k]);
		n = recv(f->sv[1], again, sizeof(again), MSG_DONTWAIT);
		assert_int_equal(n, n0);
		assert_memory_equal(first, again, (size_t)n0);
		assert_int_equal(fake_pending(f->sv[1]), 0);
		assert_int_equal(f->done_calls, 0);
	}
	/* After the 7th send the library waits 800 ms more, then gives up
	 * without an 8th send. */
	assert_int_equal(rsip_client_next_deadline_us(f->c), start + 1587500);
	at(f, start, 1587499);
	assert_int_equal(f->done_calls, 0);
	at(f, start, 1587500);
	assert_int_equal(fake_pending(f->sv[1]), 0);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->done_rc, -ETIMEDOUT);
	assert_int_equal(rsip_client_pending(f->c), 0);
	assert_int_equal(rsip_client_timeout_ms(f->c), -1);
	/* The given-up counter is never reused. */
	assert_int_equal(rsip_client_next_counter(f->c), 2);
	teardown_f(f);
}

static void test_udp_late_dispatch_counts_from_send(void **state)
{
	/* A loop that wakes up late retransmits late, and the next timeout
	 * runs from that actual send. */
	struct fixture *f = setup(SOCK_DGRAM, RSIP_TRANSPORT_UDP, 1);
	uint64_t start = f->now;

	(void)state;
	submit_register(f);
	assert_int_equal(fake_pending(f->sv[1]), 1);
	at(f, start, 20000);
	assert_int_equal(fake_pending(f->sv[1]), 1);
	assert_int_equal(rsip_client_next_deadline_us(f->c), start + 20000 + 25000);
	teardown_f(f);
}

static void test_answer_stops_retransmission(void **state)
{
	struct fixture *f = setup(SOCK_DGRAM, RSIP_TRANSPORT_UDP, 41);
	uint64_t start = f->now;
	struct rsip_msg *rsp = malloc(sizeof(*rsp));

	(void)state;
	submit_register(f);
	at(f, start, 12500);
	assert_int_equal(fake_pending(f->sv[1]), 2);
	fake_register_response(rsp, 7, 600);
	rsp->counter = 41;
	rsp->has |= RSIP_HAS_COUNTER;
	assert_int_equal(fake_send(f->sv[1], rsp), 0);
	f->now = start + 20000;
	rsip_client_dispatch(f->c, POLLIN);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->done_rc, 0);
	assert_int_equal(rsip_client_registration(f->c)->client_id, 7);
	assert_int_equal(rsip_client_next_counter(f->c), 42);
	/* Nothing more goes out, however long we wait. */
	at(f, start, 5000000);
	assert_int_equal(fake_pending(f->sv[1]), 0);
	assert_int_equal(rsip_client_timeout_ms(f->c), -1);
	free(rsp);
	teardown_f(f);
}

static void test_tcp_sends_once(void **state)
{
	struct fixture *f = setup(SOCK_STREAM, RSIP_TRANSPORT_TCP, 1);
	uint64_t start = f->now;
	struct rsip_msg *m = malloc(sizeof(*m));

	(void)state;
	submit_register(f);
	assert_true(fake_recv(f->sv[1], true, m, 100) > 0);
	assert_int_equal(m->type, RSIP_REGISTER_REQUEST);
	/* TCP retransmits by itself: the library only bounds the wait. */
	at(f, start, 1587500);
	assert_int_equal(fake_recv(f->sv[1], true, m, 0), 0);
	assert_int_equal(f->done_calls, 0);
	at(f, start, RSIP_CLIENT_TCP_TIMEOUT_US);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->done_rc, -ETIMEDOUT);
	assert_int_equal(fake_recv(f->sv[1], true, m, 0), 0);
	free(m);
	teardown_f(f);
}

static void test_counter_wraps_to_one(void **state)
{
	struct fixture *f = setup(SOCK_DGRAM, RSIP_TRANSPORT_UDP, UINT32_MAX);
	struct rsip_msg *rsp = malloc(sizeof(*rsp)), *req = malloc(sizeof(*req));

	(void)state;
	submit_register(f);
	assert_true(fake_recv(f->sv[1], false, req, 100) > 0);
	assert_int_equal(req->counter, UINT32_MAX);
	fake_register_response(rsp, 9, 60);
	rsp->counter = UINT32_MAX;
	rsp->has |= RSIP_HAS_COUNTER;
	fake_send(f->sv[1], rsp);
	rsip_client_dispatch(f->c, POLLIN);
	assert_int_equal(f->done_rc, 0);
	/* 0 is reserved for the gateway's unsolicited messages. */
	assert_int_equal(rsip_client_next_counter(f->c), 1);
	rsip_msg_init(f->m, RSIP_QUERY_REQUEST);
	rsip_client_submit(f->c, f->m, on_done, f);
	assert_true(fake_recv(f->sv[1], false, req, 100) > 0);
	assert_int_equal(req->type, RSIP_QUERY_REQUEST);
	assert_int_equal(req->counter, 1);
	assert_int_equal(req->client_id, 9); /* filled in from the registration */
	free(rsp);
	free(req);
	teardown_f(f);
}

static void test_stop_and_wait(void **state)
{
	/* Two requests queued: the second leaves only once the first is
	 * answered, with the next counter. */
	struct fixture *f = setup(SOCK_DGRAM, RSIP_TRANSPORT_UDP, 5);
	struct rsip_msg *rsp = malloc(sizeof(*rsp)), *req = malloc(sizeof(*req));

	(void)state;
	submit_register(f);
	rsip_msg_init(f->m, RSIP_QUERY_REQUEST);
	rsip_client_submit(f->c, f->m, on_done, f);
	assert_int_equal(rsip_client_pending(f->c), 2);
	assert_true(fake_recv(f->sv[1], false, req, 100) > 0);
	assert_int_equal(req->type, RSIP_REGISTER_REQUEST);
	assert_int_equal(fake_pending(f->sv[1]), 0);
	fake_register_response(rsp, 3, 60);
	rsp->counter = 5;
	rsp->has |= RSIP_HAS_COUNTER;
	fake_send(f->sv[1], rsp);
	rsip_client_dispatch(f->c, POLLIN);
	assert_true(fake_recv(f->sv[1], false, req, 100) > 0);
	assert_int_equal(req->type, RSIP_QUERY_REQUEST);
	assert_int_equal(req->counter, 6);
	free(rsp);
	free(req);
	teardown_f(f);
}

static void test_request_before_register_fails(void **state)
{
	struct fixture *f = setup(SOCK_DGRAM, RSIP_TRANSPORT_UDP, 1);

	(void)state;
	rsip_msg_init(f->m, RSIP_QUERY_REQUEST);
	assert_int_equal(rsip_client_submit(f->c, f->m, on_done, f), 0);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->done_rc, -ENOTCONN);
	assert_int_equal(fake_pending(f->sv[1]), 0);
	/* Nothing was sent, so the counter did not move. */
	assert_int_equal(rsip_client_next_counter(f->c), 1);
	/* A response type is not a request. */
	rsip_msg_init(f->m, RSIP_REGISTER_RESPONSE);
	assert_int_equal(rsip_client_submit(f->c, f->m, on_done, f), -EINVAL);
	teardown_f(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_udp_backoff_schedule),
	    cmocka_unit_test(test_udp_late_dispatch_counts_from_send),
	    cmocka_unit_test(test_answer_stops_retransmission),
	    cmocka_unit_test(test_tcp_sends_once),
	    cmocka_unit_test(test_counter_wraps_to_one),
	    cmocka_unit_test(test_stop_and_wait),
	    cmocka_unit_test(test_request_before_register_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
