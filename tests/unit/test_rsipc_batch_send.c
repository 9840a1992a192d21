// SPDX-License-Identifier: BSD-2-Clause
/* The pump's batched send (user/rsipc/batch_send.c) on a datagram socket
 * pair: every message taken when the reader keeps up; a queue that stays
 * full gives up the rest of the batch after one wait, not one wait per
 * message; a message refused for itself is given up alone; without
 * wait_full a full queue gives up each message at once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../user/rsipc/batch_send.h"

#define N   64
#define LEN 1000
#define BIG (1 << 20) /* more than a datagram socket's buffer ever holds */

static uint8_t payload[N][LEN];
static struct iovec iov[N];
static struct mmsghdr mm[N];
static size_t lens[N];

/* n messages of LEN bytes (message i holds the byte i), except big: one of
 * big_len bytes at index big (if big < n). */
static void batch(unsigned int n, unsigned int big, size_t big_len)
{
	static uint8_t huge[BIG];

	memset(mm, 0, sizeof(mm));
	for (unsigned int i = 0; i < n; i++) {
		memset(payload[i], (int)i, LEN);
		iov[i] = (struct iovec){payload[i], LEN};
		if (i == big)
			iov[i] = (struct iovec){huge, big_len};
		lens[i] = iov[i].iov_len;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
}

/* A connected datagram pair whose sender has room for a few messages only. */
static void pair(int sv[2])
{
	int small = 4096;

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
}

/* How many messages the reader got, and whether each is the next one. */
struct reader {
	int fd;
	unsigned int want, got;
	bool in_order;
};

static void *read_all(void *arg)
{
	struct reader *r = arg;
	uint8_t buf[LEN];

	r->in_order = true;
	while (r->got < r->want) {
		ssize_t k = recv(r->fd, buf, sizeof(buf), 0);

		if (k != LEN || buf[0] != (uint8_t)r->got || buf[LEN - 1] != (uint8_t)r->got)
			r->in_order = false;
		r->got++;
	}
	return NULL;
}

static void test_reader_keeps_up(void **state)
{
	struct batch_tally t = {0};
	struct reader r = {.want = N};
	pthread_t th;
	int sv[2];

	pair(sv);
	r.fd = sv[1];
	batch(N, N, 0);
	assert_int_equal(pthread_create(&th, NULL, read_all, &r), 0);
	/* A wait far longer than the reader needs: nothing may be given up. */
	batch_send(sv[0], mm, lens, N, true, 10 * 1000 * 1000, &t);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(t.sent, N);
	assert_int_equal(t.sent_bytes, (uint64_t)N * LEN);
	assert_int_equal(t.failed, 0);
	assert_int_equal(r.got, N);
	assert_true(r.in_order);
	close(sv[0]);
	close(sv[1]);
}

/* N messages into a socket whose reader never reads: some fit its buffer,
 * the rest are given up; with wait_full after one wait (a wait per message
 * would count a refusal for each), without it at once. */
static void stuck(bool wait_full, unsigned int refusals)
{
	struct batch_tally t = {0};
	int sv[2];

	pair(sv);
	batch(N, N, 0);
	batch_send(sv[0], mm, lens, N, wait_full, 1000, &t);
	assert_true(t.sent > 0 && t.sent < N);
	assert_int_equal(t.sent + t.failed, N);
	assert_int_equal(t.refusals, refusals);
	assert_int_equal(t.last_error, EAGAIN);
	close(sv[0]);
	close(sv[1]);
}

static void test_stuck_queue_gives_up_the_rest_once(void **state)
{
	stuck(true, 1);
}

static void test_without_wait_each_refused_alone(void **state)
{
	stuck(false, 0);
}

static void test_one_bad_message_alone(void **state)
{
	struct batch_tally t = {0};
	struct reader r = {.want = 9};
	pthread_t th;
	int sv[2];

	pair(sv);
	r.fd = sv[1];
	/* Message 4 is larger than the socket's buffer can ever hold:
	 * EMSGSIZE, given up alone; the other 9 arrive. */
	batch(10, 4, BIG);
	assert_int_equal(pthread_create(&th, NULL, read_all, &r), 0);
	batch_send(sv[0], mm, lens, 10, true, 10 * 1000 * 1000, &t);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(t.sent, 9);
	assert_int_equal(t.failed, 1);
	assert_int_equal(t.last_error, EMSGSIZE);
	assert_int_equal(t.sent_bytes, 9 * LEN);
	assert_int_equal(r.got, 9);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reader_keeps_up),
	    cmocka_unit_test(test_stuck_queue_gives_up_the_rest_once),
	    cmocka_unit_test(test_without_wait_each_refused_alone),
	    cmocka_unit_test(test_one_bad_message_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
