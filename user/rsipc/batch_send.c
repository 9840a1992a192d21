// SPDX-License-Identifier: BSD-2-Clause
/* The pump's batched send: batch_send.h. */
#include <errno.h>
#include <sched.h>
#include <time.h>

#include "batch_send.h"

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/* A refusal at now, the first of this wait at *since (0: none yet): whether
 * to try the same packet again, after letting the CPU go. The first 100 us
 * only yield (a drainer on another CPU, or ready on this one, is quick);
 * then sleep 20 us at a time, so that a drainer of lower priority than the
 * pump on this CPU runs. */
static bool wait_more(long *since, long wait_us, struct batch_tally *t)
{
	struct timespec pause = {0, 20000};
	long now = now_us();

	if (!*since) {
		*since = now;
		t->refusals++;
	} else if (now - *since > wait_us) {
		return false;
	}
	if (now - *since < 100)
		sched_yield();
	else
		nanosleep(&pause, NULL);
	return true;
}

void batch_send(int fd, struct mmsghdr *mm, const size_t *lens, unsigned int n, bool wait_full,
		long wait_us, struct batch_tally *t)
{
	unsigned int done = 0;
	long since = 0;

	while (done < n) {
		int k = sendmmsg(fd, mm + done, n - done, MSG_DONTWAIT);
		int err;

		if (k > 0) {
			for (unsigned int i = done; i < done + (unsigned int)k; i++)
				t->sent_bytes += lens[i];
			t->sent += (unsigned int)k;
			done += (unsigned int)k;
			since = 0;
			continue;
		}
		err = k < 0 ? errno : EIO;
		if (err == EINTR)
			continue;
		if (wait_full && (err == EAGAIN || err == ENOBUFS)) {
			if (wait_more(&since, wait_us, t))
				continue;
			/* No packet taken for wait_us: the device is stuck. */
			t->failed += n - done;
			t->last_error = err;
			return;
		}
		/* mm[done] was refused for itself (too big, no route...):
		 * count it and go on with the rest. */
		t->failed++;
		t->last_error = err;
		done++;
		since = 0;
	}
}
