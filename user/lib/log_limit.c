// SPDX-License-Identifier: BSD-2-Clause
/*
 * Per-call-site log rate limits: fixed windows, a burst per window, one
 * summary line per window that suppressed something.
 */
#include "log_limit.h"

#include <errno.h>

#include "clock.h"

static struct log_limit *limiters;
static uint64_t suppressed_total;

uint64_t log_limit_now(void)
{
	return mono_ms();
}

static void summarize(struct log_limit *l)
{
	if (l->suppressed) {
		/* errno must survive: log_warn callers print it after us. */
		int saved = errno;

		log_warnx("%u \"%s\" log line%s suppressed in the last %us", l->suppressed, l->what,
			  l->suppressed == 1 ? "" : "s", LOG_LIMIT_WINDOW_MS / 1000);
		errno = saved;
	}
	l->suppressed = 0;
	l->lines = 0;
}

bool log_limit_pass(struct log_limit *l, uint64_t now_ms)
{
	if (!l->listed) {
		l->listed = true;
		l->next = limiters;
		limiters = l;
		l->window_start = now_ms;
	}
	if (now_ms - l->window_start >= LOG_LIMIT_WINDOW_MS) {
		summarize(l);
		l->window_start = now_ms;
	}
	if (l->lines < LOG_LIMIT_BURST) {
		l->lines++;
		return true;
	}
	l->suppressed++;
	suppressed_total++;
	return false;
}

void log_limit_flush(uint64_t now_ms)
{
	for (struct log_limit *l = limiters; l; l = l->next)
		if (l->suppressed && now_ms - l->window_start >= LOG_LIMIT_WINDOW_MS) {
			summarize(l);
			l->window_start = now_ms;
		}
}

uint64_t log_limit_suppressed_total(void)
{
	return suppressed_total;
}
