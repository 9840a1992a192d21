// SPDX-License-Identifier: BSD-2-Clause
#include "log.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static const char *log_ident = "rsip";
static bool log_syslog;
static int log_verbosity;

void log_init(const char *ident, bool to_syslog, int verbosity)
{
	log_ident = ident;
	log_syslog = to_syslog;
	log_verbosity = verbosity;
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_verbosity(int verbosity)
{
	log_verbosity = verbosity;
}

int log_get_verbosity(void)
{
	return log_verbosity;
}

static void vlog(int prio, const char *fmt, va_list ap, int errnum)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_syslog) {
		if (errnum)
			syslog(prio, "%s: %s", msg, strerror(errnum));
		else
			syslog(prio, "%s", msg);
		return;
	}
	if (errnum)
		fprintf(stderr, "%s: %s: %s\n", log_ident, msg, strerror(errnum));
	else
		fprintf(stderr, "%s: %s\n", log_ident, msg);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, 0);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, saved);
	va_end(ap);
	errno = saved;
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, 0);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, saved);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(1);
}

int log_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char msg[1024];
	size_t n;

	/* libbpf's warnings during feature probing are noise unless -v. */
	if (level == LIBBPF_DEBUG || (level == LIBBPF_INFO && log_verbosity < 2))
		return 0;
	if (level == LIBBPF_WARN && log_verbosity < 1)
		return 0;
	n = (size_t)vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n > 0 && n < sizeof(msg) && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	log_debug("libbpf: %s", msg);
	return 0;
}
