// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsipd's event loop (user/rsipd/event.c): fd callbacks, one-shot and
 * periodic timers, and deleting handlers from inside callbacks. No timing
 * assertions: only that what must happen happens, in a sane order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "net/event.h"

struct ctx {
	struct ev_loop *l;
	int fds[2], fds2[2];
	int reads, ticks, oneshots;
	struct ev_timer *periodic;
};

static void on_read(int fd, uint32_t events, void *arg)
{
	struct ctx *c = arg;
	char b[16];

	assert_true(events & EPOLLIN);
	assert_true(read(fd, b, sizeof(b)) > 0);
	c->reads++;
	/* Both pipes are readable in the same batch; whichever runs first
	 * deletes both handlers, and the other one's pending event must then
	 * be skipped (reads stays 1). */
	ev_del_fd(c->l, c->fds[0]);
	ev_del_fd(c->l, c->fds2[0]);
}

static void on_tick(void *arg)
{
	struct ctx *c = arg;

	if (++c->ticks == 3) {
		ev_timer_del(c->l, c->periodic); /* from inside its own callback */
		c->periodic = NULL;
	}
}

static void on_oneshot(void *arg)
{
	struct ctx *c = arg;

	c->oneshots++;
}

static void on_stop(void *arg)
{
	struct ctx *c = arg;

	if (c->ticks >= 3 && c->oneshots == 1 && c->reads == 1)
		ev_loop_stop(c->l);
}

static void test_loop(void **state)
{
	struct ctx c = {0};

	c.l = ev_loop_new();
	assert_non_null(c.l);
	assert_int_equal(pipe(c.fds), 0);
	assert_int_equal(pipe(c.fds2), 0);
	assert_int_equal(ev_add_fd(c.l, c.fds2[0], EPOLLIN, on_read, &c), 0);
	assert_int_equal(ev_add_fd(c.l, c.fds[0], EPOLLIN, on_read, &c), 0);
	assert_int_equal(ev_add_fd(c.l, c.fds[0], EPOLLIN, on_read, &c), -EEXIST);
	assert_int_equal(ev_mod_fd(c.l, 12345, EPOLLIN), -ENOENT);
	assert_int_equal(ev_del_fd(c.l, 12345), -ENOENT);
	/* Both pipes readable before the loop runs: one batch. */
	assert_int_equal(write(c.fds2[1], "y", 1), 1);
	assert_int_equal(write(c.fds[1], "x", 1), 1);
	c.periodic = ev_timer_add(c.l, 1, 1, on_tick, &c);
	assert_non_null(c.periodic);
	assert_non_null(ev_timer_add(c.l, 0, 0, on_oneshot, &c)); /* freed by ev_loop_free */
	assert_non_null(ev_timer_add(c.l, 5, 5, on_stop, &c));
	assert_int_equal(ev_loop_run(c.l), 0);
	assert_int_equal(c.reads, 1);
	assert_int_equal(c.oneshots, 1);
	assert_int_equal(c.ticks, 3);
	assert_null(c.periodic);
	ev_loop_free(c.l);
	close(c.fds[0]);
	close(c.fds[1]);
	close(c.fds2[0]);
	close(c.fds2[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
