// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsip_assign_bench: how many RSIP assignments (and frees) per second a
 * running rsipd grants over UDP, next to the cost of the transport alone.
 *
 * N hosts (UDP sockets bound to N source addresses, 127.0.0.2 and up by
 * default: rsipd keys hosts by source IP) register, then each keeps exactly
 * one request outstanding - the RFC's stop-and-wait - and all N run at once,
 * so the daemon always has work. Three phases of --seconds each, after a
 * --warmup that is not counted:
 *   baseline  REGISTER from a registered host -> ERROR_RESPONSE 302: decode,
 *             look-up, encode, two datagrams, and nothing allocated;
 *   rsipsec   ASSIGN_REQUEST_RSIPSEC (1 SPI, ports "don't need") then
 *             FREE_REQUEST for the binding it got;
 *   rsap-ip   ASSIGN_REQUEST_RSAP-IP (1 port, "don't care") then FREE.
 * Every answer is decoded with the project codec and checked (type, counter,
 * Client ID); an unexpected one is counted as an error, and a host that
 * hears nothing for RETRANSMIT_MS resends the same bytes (the daemon answers
 * duplicates from its cache). The three phases run --rounds times,
 * interleaved, so a noisy neighbour hits all of them alike; the summary gives
 * medians: round trips per second, assign+free pairs per second, their ratio
 * to the baseline's round trips in the same round, and - with --rsipd-pid -
 * rsipd's own CPU time per round trip (from /proc/PID/schedstat), which
 * noise on a shared machine disturbs far less than the rates.
 * No pass/fail: timing belongs here, never in a test.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "clock.h"
#include "parse.h"
#include "rsip/msg.h"

#define MAX_HOSTS      1000
#define MAX_ROUNDS     50
#define RETRANSMIT_MS  250
#define REGISTER_TRIES 20

enum phase { PH_BASELINE, PH_RSIPSEC, PH_RSAPIP, PH_COUNT };
static const char *const phase_name[PH_COUNT] = {"baseline", "rsipsec", "rsap-ip"};

enum step { ST_IDLE, ST_ASSIGN, ST_FREE, ST_REGISTER };

struct host {
	int fd;
	struct in_addr src;
	uint32_t client_id;
	uint32_t counter;
	uint32_t bind_id; /* the binding to free next */
	enum step step;	  /* what the outstanding request is */
	uint64_t sent_ms;
	size_t len;
	uint8_t req[256]; /* the outstanding request, for retransmission */
};

struct tally {
	uint64_t round_trips, pairs, errors, retransmits;
	int64_t cpu_ns; /* rsipd's CPU time in the window; -1: unknown */
	uint64_t error_codes[1000];
};

struct bench {
	struct host hosts[MAX_HOSTS];
	int nhosts;
	int ep;
	struct sockaddr_in server;
	unsigned seconds, warmup, rounds;
	pid_t rsipd_pid; /* 0: do not measure its CPU time */
	/* Decoding space: struct rsip_msg is large, keep it off the stack. */
	struct rsip_msg req, rep;
};

static uint32_t next_counter(struct host *h)
{
	h->counter = h->counter == UINT32_MAX ? 1 : h->counter + 1; /* never 0 */
	return h->counter;
}

static void set_any_addr(struct rsip_address *a)
{
	a->type = RSIP_ADDR_IPV4;
	a->any = true;
}

/* Build the next request of host h for its step into h->req. */
static int build(struct bench *b, struct host *h, enum phase ph)
{
	struct rsip_msg *m = &b->req;
	ssize_t n;

	switch (h->step) {
	case ST_REGISTER:
		rsip_msg_init(m, RSIP_REGISTER_REQUEST);
		break;
	case ST_FREE:
		rsip_msg_init(m, RSIP_FREE_REQUEST);
		m->has = RSIP_HAS_CLIENT_ID | RSIP_HAS_BIND_ID;
		m->client_id = h->client_id;
		m->bind_id = h->bind_id;
		break;
	case ST_ASSIGN:
		rsip_msg_init(m, ph == PH_RSIPSEC ? RSIP_ASSIGN_REQUEST_RSIPSEC
						  : RSIP_ASSIGN_REQUEST_RSAP_IP);
		m->has = RSIP_HAS_CLIENT_ID | RSIP_HAS_LOCAL_ADDR | RSIP_HAS_LOCAL_PORTS |
			 RSIP_HAS_REMOTE_ADDR | RSIP_HAS_REMOTE_PORTS;
		m->client_id = h->client_id;
		set_any_addr(&m->local_addr);
		set_any_addr(&m->remote_addr);
		if (ph == PH_RSIPSEC) {
			m->local_ports.form = RSIP_PORTS_NOT_NEEDED;
			m->remote_ports.form = RSIP_PORTS_NOT_NEEDED;
			m->has |= RSIP_HAS_SPI;
			m->spi.form = RSIP_SPI_ANY;
			m->spi.number = 1;
		} else {
			m->local_ports.form = RSIP_PORTS_ANY;
			m->local_ports.number = 1;
			m->remote_ports.form = RSIP_PORTS_ANY;
			m->remote_ports.number = 1;
		}
		break;
	default:
		return -EINVAL;
	}
	m->has |= RSIP_HAS_COUNTER;
	m->counter = next_counter(h);
	n = rsip_encode(m, h->req, sizeof(h->req));
	if (n < 0)
		return (int)n;
	h->len = (size_t)n;
	return 0;
}

static int send_req(struct host *h)
{
	h->sent_ms = mono_ms();
	if (send(h->fd, h->req, h->len, 0) < 0 && errno != EAGAIN && errno != ENOBUFS)
		return -errno;
	return 0;
}

/* The first step of a cycle in phase ph. */
static enum step first_step(enum phase ph)
{
	return ph == PH_BASELINE ? ST_REGISTER : ST_ASSIGN;
}

/* Handle one datagram for h. Returns 1 when the outstanding request was
 * answered (h->step is then the next step), 0 for a stray datagram. */
static int handle(struct bench *b, struct host *h, const uint8_t *buf, size_t len, enum phase ph,
		  bool counting, struct tally *t)
{
	struct rsip_msg *m = &b->rep;
	struct rsip_decode_err de;
	bool ok;

	if (rsip_decode(buf, len, m, &de) || !(m->has & RSIP_HAS_COUNTER) ||
	    m->counter != h->counter)
		return 0; /* unsolicited, stale or broken: not our answer */
	switch (h->step) {
	case ST_REGISTER:
		/* The baseline's answer: 302 with our Client ID. */
		ok = m->type == RSIP_ERROR_RESPONSE && m->error == RSIP_E_ALREADY_REGISTERED &&
		     m->client_id == h->client_id;
		break;
	case ST_ASSIGN:
		ok = m->type == (ph == PH_RSIPSEC ? RSIP_ASSIGN_RESPONSE_RSIPSEC
						  : RSIP_ASSIGN_RESPONSE_RSAP_IP) &&
		     m->client_id == h->client_id && (m->has & RSIP_HAS_BIND_ID);
		break;
	case ST_FREE:
		ok = m->type == RSIP_FREE_RESPONSE && m->bind_id == h->bind_id;
		break;
	default:
		return 0;
	}
	if (counting)
		t->round_trips++;
	if (!ok) {
		if (counting) {
			t->errors++;
			if (m->type == RSIP_ERROR_RESPONSE && m->error < 1000)
				t->error_codes[m->error]++;
		}
		/* A refused FREE leaves nothing to free; a refused ASSIGN
		 * holds nothing: start the cycle again either way. */
		h->step = first_step(ph);
		return 1;
	}
	if (h->step == ST_ASSIGN) {
		h->bind_id = m->bind_id;
		h->step = ST_FREE;
	} else {
		if (h->step == ST_FREE && counting)
			t->pairs++;
		h->step = first_step(ph);
	}
	return 1;
}

/* Nanoseconds pid has spent on a CPU (first field of schedstat), or -1. */
static int64_t cpu_ns(pid_t pid)
{
	char path[64];
	long long ns = -1;
	FILE *f;

	if (!pid)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &ns) != 1)
		ns = -1;
	fclose(f);
	return ns;
}

/* Run phase ph: warmup + seconds, then let every host finish its cycle
 * (free what it holds) without counting. */
static int run_phase(struct bench *b, enum phase ph, struct tally *t)
{
	struct epoll_event evs[64];
	uint64_t start = mono_ms(), count_from = start + b->warmup * 1000ull,
		 stop = count_from + b->seconds * 1000ull, drain_until = stop + 10000;
	uint8_t buf[4096];
	bool in_window = false, window_done = false;
	int64_t cpu_start = -1;
	int ret, n;

	memset(t, 0, sizeof(*t));
	t->cpu_ns = -1;
	for (int i = 0; i < b->nhosts; i++) {
		struct host *h = &b->hosts[i];

		h->step = first_step(ph);
		ret = build(b, h, ph);
		if (!ret)
			ret = send_req(h);
		if (ret)
			return ret;
	}
	for (;;) {
		uint64_t now = mono_ms();
		bool stopping = now >= stop, busy = false;

		if (!in_window && now >= count_from) {
			in_window = true;
			cpu_start = cpu_ns(b->rsipd_pid);
		}
		if (in_window && !window_done && now >= stop) {
			int64_t end = cpu_ns(b->rsipd_pid);

			window_done = true;
			if (cpu_start >= 0 && end >= cpu_start)
				t->cpu_ns = end - cpu_start;
		}
		if (now >= drain_until) {
			fprintf(stderr, "rsip_assign_bench: %s: hosts still busy after 10 s\n",
				phase_name[ph]);
			return -ETIMEDOUT;
		}
		for (int i = 0; i < b->nhosts; i++) {
			struct host *h = &b->hosts[i];

			if (h->step == ST_IDLE)
				continue;
			busy = true;
			if (now - h->sent_ms >= RETRANSMIT_MS) {
				if (now >= count_from && now < stop)
					t->retransmits++;
				ret = send_req(h);
				if (ret)
					return ret;
			}
		}
		if (stopping && !busy)
			return 0;
		n = epoll_wait(b->ep, evs, 64, 50);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int e = 0; e < n; e++) {
			struct host *h = evs[e].data.ptr;
			ssize_t len;

			while ((len = recv(h->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
				now = mono_ms();
				if (h->step == ST_IDLE ||
				    !handle(b, h, buf, (size_t)len, ph,
					    now >= count_from && now < stop, t))
					continue;
				/* Past the window, a host only finishes its cycle. */
				if (now >= stop && h->step == first_step(ph)) {
					h->step = ST_IDLE;
					continue;
				}
				ret = build(b, h, ph);
				if (!ret)
					ret = send_req(h);
				if (ret)
					return ret;
			}
		}
	}
}

/* Open the hosts' sockets and register each (one at a time). */
static int setup_hosts(struct bench *b, struct in_addr first)
{
	uint8_t buf[4096];

	b->ep = epoll_create1(EPOLL_CLOEXEC);
	if (b->ep < 0)
		return -errno;
	for (int i = 0; i < b->nhosts; i++) {
		struct host *h = &b->hosts[i];
		struct sockaddr_in sin = {.sin_family = AF_INET};
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = h};
		int tries;

		h->src.s_addr = htonl(ntohl(first.s_addr) + (uint32_t)i);
		sin.sin_addr = h->src;
		h->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (h->fd < 0)
			return -errno;
		if (bind(h->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
		    connect(h->fd, (struct sockaddr *)&b->server, sizeof(b->server)) < 0 ||
		    epoll_ctl(b->ep, EPOLL_CTL_ADD, h->fd, &ev) < 0) {
			fprintf(stderr, "rsip_assign_bench: host %s: %s\n", inet_ntoa(h->src),
				strerror(errno));
			return -errno;
		}
		h->step = ST_REGISTER;
		for (tries = 0; tries < REGISTER_TRIES; tries++) {
			struct timeval tv = {.tv_usec = RETRANSMIT_MS * 1000};
			ssize_t len;

			if (build(b, h, PH_BASELINE) || send_req(h))
				return -EIO;
			setsockopt(h->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			len = recv(h->fd, buf, sizeof(buf), 0);
			if (len <= 0)
				continue;
			if (rsip_decode(buf, (size_t)len, &b->rep, NULL) == 0 &&
			    b->rep.counter == h->counter &&
			    (b->rep.type == RSIP_REGISTER_RESPONSE ||
			     (b->rep.type == RSIP_ERROR_RESPONSE &&
			      b->rep.error == RSIP_E_ALREADY_REGISTERED))) {
				h->client_id = b->rep.client_id;
				break;
			}
			fprintf(stderr, "rsip_assign_bench: host %s: REGISTER refused\n",
				inet_ntoa(h->src));
			return -EPROTO;
		}
		if (tries == REGISTER_TRIES) {
			fprintf(stderr,
				"rsip_assign_bench: no answer from %s:%u (is rsipd running?)\n",
				inet_ntoa(b->server.sin_addr), ntohs(b->server.sin_port));
			return -ETIMEDOUT;
		}
		h->step = ST_IDLE;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rsip_assign_bench --server ADDR:PORT [--hosts N] [--src ADDR]\n"
		"                         [--seconds S] [--warmup S] [--rounds N] [--rsipd-pid P]\n"
		"  --hosts N     concurrent hosts, one source address each (16, max %d)\n"
		"  --src ADDR    first source address (127.0.0.2); host i uses ADDR+i\n"
		"  --seconds S   measured time per phase and round (3)\n"
		"  --warmup S    uncounted time before each phase's window (1)\n"
		"  --rounds N    times the three phases run, interleaved (3)\n"
		"  --rsipd-pid P also report rsipd's CPU time per round trip\n",
		MAX_HOSTS);
}

static double rate(const struct bench *b, uint64_t n)
{
	return n / (double)b->seconds;
}

/* CPU microseconds rsipd spent per round trip, or -1. */
static double cpu_us_per_rt(const struct tally *t)
{
	return t->cpu_ns >= 0 && t->round_trips ? t->cpu_ns / 1e3 / t->round_trips : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void print_round(const struct bench *b, unsigned r, const struct tally t[PH_COUNT])
{
	double base = rate(b, t[PH_BASELINE].round_trips);

	printf("round %u:", r + 1);
	for (int ph = 0; ph < PH_COUNT; ph++) {
		printf("  %s %.0f rt/s", phase_name[ph], rate(b, t[ph].round_trips));
		if (ph != PH_BASELINE)
			printf(" (x%.2f)", base > 0 ? rate(b, t[ph].round_trips) / base : 0.0);
		if (cpu_us_per_rt(&t[ph]) >= 0)
			printf(" %.1f us cpu/rt", cpu_us_per_rt(&t[ph]));
	}
	printf("\n");
	for (int ph = 0; ph < PH_COUNT; ph++) {
		const struct tally *x = &t[ph];

		if (!x->errors && !x->retransmits)
			continue;
		printf("  %s: %llu unexpected answers, %llu retransmissions", phase_name[ph],
		       (unsigned long long)x->errors, (unsigned long long)x->retransmits);
		for (int c = 0; c < 1000; c++)
			if (x->error_codes[c])
				printf(", %llu x %d %s", (unsigned long long)x->error_codes[c], c,
				       rsip_error_name(c));
		printf("\n");
	}
}

/* The median over rounds of f(tally of round r, phase ph, round r's baseline). */
static double median_of(const struct bench *b, struct tally (*t)[PH_COUNT], int ph,
			double (*f)(const struct bench *, const struct tally *,
				    const struct tally *))
{
	double v[MAX_ROUNDS];

	for (unsigned r = 0; r < b->rounds; r++)
		v[r] = f(b, &t[r][ph], &t[r][PH_BASELINE]);
	return median(v, b->rounds);
}

static double f_rt(const struct bench *b, const struct tally *x, const struct tally *base)
{
	return rate(b, x->round_trips);
}

static double f_pairs(const struct bench *b, const struct tally *x, const struct tally *base)
{
	return rate(b, x->pairs);
}

/* Ratios are taken within each round (same conditions), then the median. */
static double f_rt_ratio(const struct bench *b, const struct tally *x, const struct tally *base)
{
	return base->round_trips ? (double)x->round_trips / base->round_trips : 0;
}

static double f_cpu(const struct bench *b, const struct tally *x, const struct tally *base)
{
	return cpu_us_per_rt(x);
}

static double f_cpu_ratio(const struct bench *b, const struct tally *x, const struct tally *base)
{
	double c = cpu_us_per_rt(x), cb = cpu_us_per_rt(base);

	return c >= 0 && cb > 0 ? c / cb : -1;
}

static void print_summary(const struct bench *b, struct tally (*t)[PH_COUNT])
{
	bool cpu = cpu_us_per_rt(&t[0][PH_BASELINE]) >= 0;

	printf("median of %u rounds (ratios taken within each round):\n", b->rounds);
	printf("  %-9s %14s %14s %10s", "phase", "round trips/s", "assign+free/s", "vs base");
	if (cpu)
		printf(" %17s %8s", "rsipd CPU per rt", "vs base");
	printf("\n");
	for (int ph = 0; ph < PH_COUNT; ph++) {
		printf("  %-9s %14.0f ", phase_name[ph], median_of(b, t, ph, f_rt));
		if (ph == PH_BASELINE)
			printf("%14s %10s", "-", "1.00");
		else
			printf("%14.0f %10.2f", median_of(b, t, ph, f_pairs),
			       median_of(b, t, ph, f_rt_ratio));
		if (cpu)
			printf(" %14.1f us %8.2f", median_of(b, t, ph, f_cpu),
			       median_of(b, t, ph, f_cpu_ratio));
		printf("\n");
	}
	printf("  (baseline: REGISTER -> 302, transport + decode + encode, nothing allocated;\n"
	       "   an assign+free pair is two round trips)\n");
}

int main(int argc, char **argv)
{
	static struct bench b;
	static struct tally t[MAX_ROUNDS][PH_COUNT];
	char src_text[INET_ADDRSTRLEN], server_text[INET_ADDRSTRLEN];
	struct in_addr first;
	uint16_t port = RSIP_PORT;
	uint64_t v;
	int ret;

	inet_pton(AF_INET, "127.0.0.2", &first);
	b.nhosts = 16;
	b.seconds = 3;
	b.warmup = 1;
	b.rounds = 3;
	b.server.sin_family = AF_INET;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!val) {
			fprintf(stderr, "rsip_assign_bench: %s needs a value\n", arg);
			usage(stderr);
			return 2;
		}
		i++;
		if (!strcmp(arg, "--server")) {
			if (parse_addr_port(val, &b.server.sin_addr, &port))
				goto bad;
		} else if (!strcmp(arg, "--src")) {
			if (parse_ipv4(val, &first))
				goto bad;
		} else if (!strcmp(arg, "--hosts")) {
			if (parse_u64(val, MAX_HOSTS, &v) || v == 0)
				goto bad;
			b.nhosts = (int)v;
		} else if (!strcmp(arg, "--seconds")) {
			if (parse_u64(val, 3600, &v) || v == 0)
				goto bad;
			b.seconds = (unsigned)v;
		} else if (!strcmp(arg, "--rounds")) {
			if (parse_u64(val, MAX_ROUNDS, &v) || v == 0)
				goto bad;
			b.rounds = (unsigned)v;
		} else if (!strcmp(arg, "--rsipd-pid")) {
			if (parse_u64(val, INT32_MAX, &v) || v == 0)
				goto bad;
			b.rsipd_pid = (pid_t)v;
		} else if (!strcmp(arg, "--warmup")) {
			if (parse_u64(val, 600, &v))
				goto bad;
			b.warmup = (unsigned)v;
		} else {
			fprintf(stderr, "rsip_assign_bench: unknown option %s\n", arg);
			usage(stderr);
			return 2;
		}
		continue;
	bad:
		fprintf(stderr, "rsip_assign_bench: bad value '%s' for %s\n", val, arg);
		return 2;
	}
	if (!b.server.sin_addr.s_addr) {
		fprintf(stderr, "rsip_assign_bench: --server ADDR:PORT is required\n");
		usage(stderr);
		return 2;
	}
	b.server.sin_port = htons(port);

	ret = setup_hosts(&b, first);
	if (ret) {
		fprintf(stderr, "rsip_assign_bench: setting up hosts: %s\n", strerror(-ret));
		return 1;
	}
	inet_ntop(AF_INET, &first, src_text, sizeof(src_text));
	inet_ntop(AF_INET, &b.server.sin_addr, server_text, sizeof(server_text));
	printf("rsip_assign_bench: %d hosts (%s and up), %u s per phase after %u s warm-up, "
	       "server %s:%u\n",
	       b.nhosts, src_text, b.seconds, b.warmup, server_text, port);
	if (b.rsipd_pid && cpu_ns(b.rsipd_pid) < 0) {
		fprintf(stderr, "rsip_assign_bench: cannot read /proc/%d/schedstat\n",
			(int)b.rsipd_pid);
		return 1;
	}
	for (unsigned r = 0; r < b.rounds; r++) {
		for (int ph = 0; ph < PH_COUNT; ph++) {
			ret = run_phase(&b, (enum phase)ph, &t[r][ph]);
			if (ret) {
				fprintf(stderr, "rsip_assign_bench: %s: %s\n", phase_name[ph],
					strerror(-ret));
				return 1;
			}
		}
		print_round(&b, r, t[r]);
		fflush(stdout);
	}
	print_summary(&b, t);
	return 0;
}
