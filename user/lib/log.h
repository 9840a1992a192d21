/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Logging, iked style: stderr in the foreground, syslog when daemonized.
 * log_warn appends strerror(errno); log_warnx does not. fatal/fatalx are for
 * broken internal invariants and start-up failures only: malformed network
 * input is logged with log_debug and never stops a daemon.
 */
#ifndef RSIP_LOG_H
#define RSIP_LOG_H

#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdbool.h>

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* ident: program name; to_syslog: use syslog instead of stderr;
 * verbosity: 0 = info and above, 1 = debug. */
void log_init(const char *ident, bool to_syslog, int verbosity);
void log_set_verbosity(int verbosity);
int log_get_verbosity(void);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* libbpf print callback that demotes libbpf's chatter to debug level. */
int log_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap);

#endif
