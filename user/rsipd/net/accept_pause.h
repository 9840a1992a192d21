/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * accept() failing for want of fds or memory (EMFILE, ENFILE, ENOMEM,
 * ENOBUFS) leaves the connection in the backlog and the listener readable:
 * a handler that just returns is called again at once, for ever (100% CPU,
 * a log line each time). The rule, for every listener of rsipd (RSIP over
 * TCP, the control socket): stop watching the listener until a connection
 * closes (an fd came back) or the owner's periodic timer fires (a timer
 * made then would need an fd, which is what is missing), and log it at
 * most once per interval with how many failures the line stands for.
 */
#ifndef RSIPD_ACCEPT_PAUSE_H
#define RSIPD_ACCEPT_PAUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ev_loop;

#define ACCEPT_LOG_EVERY_MS 10000

struct accept_pause {
	struct ev_loop *loop;
	int fd;		  /* the listener, watched for EPOLLIN */
	const char *what; /* names it in the log line: "tcp", "control socket" */
	bool paused;
	uint64_t log_ms;
	uint32_t errors;   /* since the last line */
	uint64_t failures; /* in all */
};

void accept_pause_init(struct accept_pause *p, struct ev_loop *loop, int fd, const char *what);
/* After accept4() failed with err: true when err is a shortage (the
 * listener is then paused), false for anything else (the caller decides). */
bool accept_pause_failed(struct accept_pause *p, int err, size_t n_conns);
/* Watch the listener again (a connection closed, or the timer fired). */
void accept_pause_resume(struct accept_pause *p);

#endif
