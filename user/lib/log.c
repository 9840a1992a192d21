// SPDX-License-Identifier: BSD-2-Clause
#include "log.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

static const char *log_ident = "rsip";
static bool log_syslog;
static bool log_journal; /* stderr is journald's stream: "<N>" prefixes */
static int log_verbosity;

/* ---- rate limit per call site ------------------------------------------------ */

#define SITES 128 /* call sites tracked; a collision only shares a budget */

struct site {
	const char *fmt; /* the call site's format string identifies it */
	int prio;
	uint64_t window_start;
	unsigned int lines, suppressed;
};

static struct site sites[SITES];
/* rsipc's pump and rsipd's start-up log from a second thread: the table is
 * shared, so admitting a line is serialised (lines are rare; the lock is
 * never held while a line is formatted). */
static pthread_mutex_t sites_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

static void emit(int prio, const char *msg);

static void summarise(struct site *s)
{
	char msg[256];

	if (!s->suppressed)
		return;
	snprintf(msg, sizeof(msg), "%u more lines like \"%.120s\" suppressed in %d s (flood)",
		 s->suppressed, s->fmt, LOG_WINDOW_S);
	s->suppressed = 0;
	emit(s->prio, msg);
}

/* True when this line may be written now. Called with sites_lock held. */
static bool admit_locked(int prio, const char *fmt)
{
	struct site *s = &sites[((uintptr_t)fmt >> 3) % SITES];
	uint64_t now = now_s();

	if (s->fmt != fmt || now - s->window_start >= LOG_WINDOW_S) {
		if (s->fmt)
			summarise(s);
		s->fmt = fmt;
		s->prio = prio;
		s->window_start = now;
		s->lines = 0;
	}
	if (s->lines < LOG_BURST) {
		s->lines++;
		return true;
	}
	s->suppressed++;
	return false;
}

static bool admit(int prio, const char *fmt)
{
	bool ok;

	pthread_mutex_lock(&sites_lock);
	ok = admit_locked(prio, fmt);
	pthread_mutex_unlock(&sites_lock);
	return ok;
}

void log_flush_suppressed(void)
{
	uint64_t now = now_s();
	size_t i;

	pthread_mutex_lock(&sites_lock);
	for (i = 0; i < SITES; i++)
		if (sites[i].suppressed && now - sites[i].window_start >= LOG_WINDOW_S) {
			summarise(&sites[i]);
			sites[i].window_start = now;
			sites[i].lines = 0;
		}
	pthread_mutex_unlock(&sites_lock);
}

/* ---- output -------------------------------------------------------------------- */

/* systemd sets JOURNAL_STREAM=dev:ino for the stream it connected to
 * stderr; only then do priority prefixes mean something to the reader. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident, bool to_syslog, int verbosity)
{
	log_ident = ident;
	log_syslog = to_syslog;
	log_verbosity = verbosity;
	log_journal = !to_syslog && stderr_is_journal();
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

static void emit(int prio, const char *msg)
{
	if (log_syslog)
		syslog(prio, "%s", msg);
	else if (log_journal)
		fprintf(stderr, "<%d>%s\n", prio, msg);
	else
		fprintf(stderr, "%s: %s\n", log_ident, msg);
}

static void vlog(int prio, const char *fmt, va_list ap, int errnum)
{
	char msg[1024];
	int n;

	if (prio == LOG_DEBUG && log_verbosity < 1)
		return;
	/* Debug lines are asked for (-v): a verifier log must come whole. */
	if (prio != LOG_CRIT && prio != LOG_DEBUG && !admit(prio, fmt))
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(errnum));
	emit(prio, msg);
}

#define LOG_FN(name, prio, with_errno)                                                             \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		int saved = errno;                                                                 \
		va_list ap;                                                                        \
                                                                                                   \
		va_start(ap, fmt);                                                                 \
		vlog(prio, fmt, ap, with_errno ? saved : 0);                                       \
		va_end(ap);                                                                        \
		errno = saved;                                                                     \
	}

LOG_FN(log_debug, LOG_DEBUG, false)
LOG_FN(log_info, LOG_INFO, false)
LOG_FN(log_notice, LOG_NOTICE, false)
LOG_FN(log_warn, LOG_WARNING, true)
LOG_FN(log_warnx, LOG_WARNING, false)
LOG_FN(log_err, LOG_ERR, true)
LOG_FN(log_errx, LOG_ERR, false)

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
