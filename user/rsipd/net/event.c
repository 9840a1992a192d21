// SPDX-License-Identifier: BSD-2-Clause
/*
 * The event loop: epoll for file descriptors, one timerfd per timer. A
 * callback may delete any handler, its own included: deleted handlers are
 * only marked during a dispatch round and freed after it, so an event
 * already fetched for them is skipped instead of touching freed memory.
 */
#include "event.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "hash32.h"

#include "log.h"

struct ev_handler {
	int fd;
	ev_fd_cb cb;
	void *arg;
	bool dead;
	struct ev_timer *timer; /* set for a timer's own timerfd */
	struct ev_handler *next_dead;
	UT_hash_handle hh;
};

struct ev_timer {
	int fd;
	ev_timer_cb cb;
	void *arg;
};

struct ev_loop {
	int epfd;
	bool stop;
	void (*post)(void *arg); /* after each round of callbacks */
	void *post_arg;
	struct ev_handler *fds; /* by fd */
	struct ev_handler *graveyard;
};

struct ev_loop *ev_loop_new(void)
{
	struct ev_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

static void bury(struct ev_loop *l)
{
	while (l->graveyard) {
		struct ev_handler *h = l->graveyard;

		l->graveyard = h->next_dead;
		free(h);
	}
}

void ev_loop_free(struct ev_loop *l)
{
	struct ev_handler *h, *tmp;

	if (!l)
		return;
	HASH_ITER(hh, l->fds, h, tmp)
	{
		HASH_DEL(l->fds, h);
		if (h->timer) { /* timers are the loop's; other fds their owner's */
			close(h->timer->fd);
			free(h->timer);
		}
		free(h);
	}
	bury(l);
	close(l->epfd);
	free(l);
}

static struct ev_handler *find(struct ev_loop *l, int fd)
{
	struct ev_handler *h;

	HASH_FIND_INT(l->fds, &fd, h);
	return h;
}

int ev_add_fd(struct ev_loop *l, int fd, uint32_t events, ev_fd_cb cb, void *arg)
{
	struct epoll_event ev = {.events = events};
	struct ev_handler *h;

	if (fd < 0 || !cb)
		return -EINVAL;
	if (find(l, fd))
		return -EEXIST;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fd = fd;
	h->cb = cb;
	h->arg = arg;
	ev.data.ptr = h;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int rc = -errno;

		free(h);
		return rc;
	}
	HASH_ADD_INT(l->fds, fd, h);
	return 0;
}

int ev_mod_fd(struct ev_loop *l, int fd, uint32_t events)
{
	struct ev_handler *h = find(l, fd);
	struct epoll_event ev = {.events = events};

	if (!h)
		return -ENOENT;
	ev.data.ptr = h;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int ev_del_fd(struct ev_loop *l, int fd)
{
	struct ev_handler *h = find(l, fd);

	if (!h)
		return -ENOENT;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	HASH_DEL(l->fds, h);
	h->dead = true;
	h->next_dead = l->graveyard;
	l->graveyard = h;
	return 0;
}

static void timer_fired(int fd, uint32_t events, void *arg)
{
	struct ev_timer *t = arg;
	uint64_t n;

	/* Drain the expiration count; the callback may delete the timer, so
	 * it is the last thing done here. */
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	t->cb(t->arg);
}

static struct timespec ms_ts(uint64_t ms)
{
	return (struct timespec){.tv_sec = (time_t)(ms / 1000),
				 .tv_nsec = (long)(ms % 1000) * 1000000};
}

struct ev_timer *ev_timer_add(struct ev_loop *l, uint64_t after_ms, uint64_t every_ms,
			      ev_timer_cb cb, void *arg)
{
	struct itimerspec its = {.it_value = ms_ts(after_ms), .it_interval = ms_ts(every_ms)};
	struct ev_timer *t = calloc(1, sizeof(*t));
	struct ev_handler *h;

	if (!t)
		return NULL;
	if (after_ms == 0) /* an all-zero it_value would disarm it */
		its.it_value.tv_nsec = 1;
	t->cb = cb;
	t->arg = arg;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->fd < 0)
		goto fail;
	if (timerfd_settime(t->fd, 0, &its, NULL) < 0 ||
	    ev_add_fd(l, t->fd, EPOLLIN, timer_fired, t) < 0) {
		close(t->fd);
		goto fail;
	}
	h = find(l, t->fd);
	h->timer = t;
	return t;
fail:
	free(t);
	return NULL;
}

void ev_timer_del(struct ev_loop *l, struct ev_timer *t)
{
	if (!t)
		return;
	ev_del_fd(l, t->fd);
	close(t->fd);
	free(t);
}

int ev_loop_run(struct ev_loop *l)
{
	struct epoll_event evs[64];
	int i, n;

	l->stop = false;
	while (!l->stop) {
		n = epoll_wait(l->epfd, evs, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < n; i++) {
			struct ev_handler *h = evs[i].data.ptr;

			if (h->dead)
				continue;
			h->cb(h->fd, evs[i].events, h->arg);
		}
		bury(l);
		if (l->post)
			l->post(l->post_arg);
	}
	return 0;
}

void ev_loop_set_post(struct ev_loop *l, void (*fn)(void *arg), void *arg)
{
	l->post = fn;
	l->post_arg = arg;
}

void ev_loop_stop(struct ev_loop *l)
{
	l->stop = true;
}
