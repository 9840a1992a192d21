/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Rate limits for log lines that an event from the network can trigger (a
 * registration, a refused connection, accept() failing): a flood must not
 * become a flood of log lines. Each call site has its own limiter: at most
 * LOG_LIMIT_BURST lines per LOG_LIMIT_WINDOW_MS; what is suppressed is
 * counted and reported in one summary line when the window is over (at the
 * site's next line, or at the latest when log_limit_flush() runs from a
 * periodic timer).
 */
#ifndef RSIP_LOG_LIMIT_H
#define RSIP_LOG_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "log.h"

#define LOG_LIMIT_BURST	    10
#define LOG_LIMIT_WINDOW_MS 10000

struct log_limit {
	const char *what; /* names the suppressed lines in the summary */
	uint64_t window_start;
	uint32_t lines, suppressed;
	bool listed;
	struct log_limit *next; /* every limiter used so far, for the flush */
};

/* True when this site may log now (and count it); false: suppressed. */
bool log_limit_pass(struct log_limit *l, uint64_t now_ms);
/* Summary lines for every limiter whose window is over with lines
 * suppressed. */
void log_limit_flush(uint64_t now_ms);
/* Total lines suppressed so far (for tests and counters). */
uint64_t log_limit_suppressed_total(void);

/* log_info / log_warnx behind a per-call-site limiter. */
#define LOG_LIMITED(logfn, what_, ...)                                                             \
	do {                                                                                       \
		static struct log_limit ll_ = {.what = (what_)};                                   \
		if (log_limit_pass(&ll_, log_limit_now()))                                         \
			logfn(__VA_ARGS__);                                                        \
	} while (0)
#define log_info_limited(what, ...)  LOG_LIMITED(log_info, what, __VA_ARGS__)
#define log_warnx_limited(what, ...) LOG_LIMITED(log_warnx, what, __VA_ARGS__)
#define log_warn_limited(what, ...)  LOG_LIMITED(log_warn, what, __VA_ARGS__)

uint64_t log_limit_now(void); /* CLOCK_MONOTONIC ms */

#endif
