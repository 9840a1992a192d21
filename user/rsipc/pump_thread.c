// SPDX-License-Identifier: BSD-2-Clause
/* rsipc: a thread for one half of the pump (pump_thread.h). */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "pump_thread.h"

static void *run(void *arg)
{
	struct pump_thread *p = arg;
	struct pollfd pfd[2] = {{.fd = p->stop_fd, .events = POLLIN},
				{.fd = p->fd, .events = POLLIN}};

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("pump thread: poll");
			break;
		}
		if (pfd[0].revents)
			break;
		if (pfd[1].revents & POLLIN)
			p->fn(p->arg);
		else if (pfd[1].revents) {
			/* POLLERR/POLLHUP without data: nothing to read will
			 * come; wait for the stop instead of spinning. */
			pfd[1].fd = -1;
		}
	}
	return NULL;
}

int pump_thread_start(struct pump_thread *p, int fd, void (*fn)(void *arg), void *arg)
{
	int rc;

	*p = (struct pump_thread){.stop_fd = -1, .fd = fd, .fn = fn, .arg = arg};
	p->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->stop_fd < 0)
		return -errno;
	rc = pthread_create(&p->tid, NULL, run, p);
	if (rc) {
		close(p->stop_fd);
		p->stop_fd = -1;
		return -rc;
	}
	p->running = true;
	return 0;
}

void pump_thread_stop(struct pump_thread *p)
{
	uint64_t one = 1;

	if (p->running) {
		if (write(p->stop_fd, &one, sizeof(one)) != sizeof(one))
			log_warn("pump thread: stop");
		else
			pthread_join(p->tid, NULL);
		p->running = false;
	}
	if (p->stop_fd >= 0)
		close(p->stop_fd);
	p->stop_fd = -1;
}
