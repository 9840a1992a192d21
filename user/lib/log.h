/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Logging, iked style, with syslog priorities everywhere (docs/rsipd.md,
 * Logs):
 *   log_err/log_errx   err      rsipd cannot do what it was asked (start-up)
 *   log_warn/log_warnx warning  wrong and needs the operator
 *   log_notice         notice   life cycle: started, stopped, reloaded
 *   log_info           info     per-client events (register, bind, expire)
 *   log_debug          debug    with -v: every message, malformed input
 * Where a line goes: syslog when daemonized; on stderr otherwise, and there
 * with a "<N>" priority prefix when stderr is the journal (systemd sets
 * JOURNAL_STREAM), so that journalctl -p warning works under the unit.
 * log_warn and log_err append strerror(errno). fatal/fatalx are for broken
 * internal invariants and start-up failures only: malformed network input
 * is logged with log_debug and never stops a daemon.
 *
 * Floods: each call site may write LOG_BURST lines per LOG_WINDOW_S seconds;
 * the rest are counted and summed up in one line when the window ends.
 */
#ifndef RSIP_LOG_H
#define RSIP_LOG_H

#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdbool.h>

#define LOG_BURST    20
#define LOG_WINDOW_S 10

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* ident: program name; to_syslog: use syslog instead of stderr;
 * verbosity: 0 = info and above, 1 = debug. */
void log_init(const char *ident, bool to_syslog, int verbosity);
void log_set_verbosity(int verbosity);
int log_get_verbosity(void);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Write the summary line of every call site whose window has ended with
 * lines suppressed (a daemon calls it from a timer, so that the summary of a
 * flood that stopped is not held back until the next line of the site). */
void log_flush_suppressed(void);

/* libbpf print callback that demotes libbpf's chatter to debug level. */
int log_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap);

#endif
