// SPDX-License-Identifier: BSD-2-Clause
/* The accept() back-off of every rsipd listener (accept_pause.h). */
#include "accept_pause.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

#include "clock.h"
#include "log.h"
#include "net/event.h"

void accept_pause_init(struct accept_pause *p, struct ev_loop *loop, int fd, const char *what)
{
	memset(p, 0, sizeof(*p));
	p->loop = loop;
	p->fd = fd;
	p->what = what;
}

bool accept_pause_failed(struct accept_pause *p, int err, size_t n_conns)
{
	uint64_t now = mono_ms();

	if (err != EMFILE && err != ENFILE && err != ENOMEM && err != ENOBUFS)
		return false;
	p->failures++;
	p->errors++;
	if (!p->log_ms || now - p->log_ms >= ACCEPT_LOG_EVERY_MS) {
		log_warnx("%s: accept: %s (%u time%s since the last line, %zu connections): "
			  "pausing the listener",
			  p->what, strerror(err), p->errors, p->errors == 1 ? "" : "s", n_conns);
		p->log_ms = now;
		p->errors = 0;
	}
	p->paused = true;
	ev_mod_fd(p->loop, p->fd, 0);
	return true;
}

void accept_pause_resume(struct accept_pause *p)
{
	if (!p->paused)
		return;
	p->paused = false;
	ev_mod_fd(p->loop, p->fd, EPOLLIN);
}
