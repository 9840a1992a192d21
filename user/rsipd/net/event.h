/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rsipd's single-threaded event loop (epoll + timerfd). Everything in the
 * daemon - RSIP sockets, the control socket, lease timers, data-plane
 * notifications - runs from here, so no state needs a lock.
 */
#ifndef RSIPD_EVENT_H
#define RSIPD_EVENT_H

#include <stdint.h>

struct ev_loop;
struct ev_timer;

typedef void (*ev_fd_cb)(int fd, uint32_t events, void *arg);
typedef void (*ev_timer_cb)(void *arg);

struct ev_loop *ev_loop_new(void);
void ev_loop_free(struct ev_loop *l);

/* events: EPOLLIN / EPOLLOUT bits. Returns 0 or -errno. */
int ev_add_fd(struct ev_loop *l, int fd, uint32_t events, ev_fd_cb cb, void *arg);
int ev_mod_fd(struct ev_loop *l, int fd, uint32_t events);
int ev_del_fd(struct ev_loop *l, int fd);

/* One-shot (every_ms == 0) or periodic timer, first firing after after_ms. */
struct ev_timer *ev_timer_add(struct ev_loop *l, uint64_t after_ms, uint64_t every_ms,
			      ev_timer_cb cb, void *arg);
void ev_timer_del(struct ev_loop *l, struct ev_timer *t);

/* Run until ev_loop_stop. Returns 0, or -errno on a broken loop. */
int ev_loop_run(struct ev_loop *l);
/* fn runs after each round of callbacks (one epoll_wait's events): the lease
 * store commits there, then the replies held back meanwhile leave. */
void ev_loop_set_post(struct ev_loop *l, void (*fn)(void *arg), void *arg);
void ev_loop_stop(struct ev_loop *l);

#endif
