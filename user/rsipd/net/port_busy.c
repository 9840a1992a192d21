// SPDX-License-Identifier: BSD-2-Clause
/*
 * Is a port of Nb in use by the gateway itself? Probed by binding a throw-away
 * socket to nb:port without SO_REUSEADDR: the kernel answers EADDRINUSE
 * exactly when a socket in this network namespace holds the port on nb or on
 * the wildcard address (listening, connected, or in TIME_WAIT - recently used,
 * which is just as good a reason not to lend it). IP_FREEBIND lets the probe
 * work whether or not nb is configured on an interface yet (--dataplane none).
 * Any other failure (EACCES for ports below 1024 without
 * CAP_NET_BIND_SERVICE, out of descriptors) says nothing about the port:
 * it counts as free rather than shrinking the pool on a hunch.
 *
 * A restart asks about every restored port: two probes each cost seconds at
 * 100k bindings, so then the answers come from one read of the namespace's
 * sockets (/proc/net/{tcp,udp}{,6}: every state, TIME_WAIT included) taken
 * when the restore begins.
 *
 * Live, the two probes were a quarter of rsipd's CPU on the ASSIGN path, so
 * the same read, at most LIVE_MS old, answers first: a port it does not list
 * is free; one it lists is probed, so a port freed since is lent at once.
 * What the read cannot see is a socket bound in the last LIVE_MS: the same
 * race any check has with a socket bound just after it, made one second
 * longer.
 */
#include "port_busy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

#define LIVE_MS 1000 /* how old the live read may be */

/* A local address and port some socket holds (addr 0: the wildcard). */
struct held_port {
	uint32_t addr; /* network byte order */
	uint16_t port;
};

static struct {
	struct held_port *v;
	size_t n, cap;
	bool on;	  /* a restore's read: its answers are final */
	uint64_t live_ms; /* when the live read was taken (0: none) */
} snap;

static int take_snapshot(void);

static bool held(int type, struct in_addr nb, uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr = nb, .sin_port = htons(port)};
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	int one = 1;
	bool busy = false;

	if (fd < 0)
		return false;
	(void)setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno == EADDRINUSE)
		busy = true;
	close(fd);
	return busy;
}

static int held_cmp(const void *a, const void *b)
{
	const struct held_port *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (int)x->port - (int)y->port;
}

static bool snap_has(uint32_t addr, uint16_t port)
{
	struct held_port k = {.addr = addr, .port = port};

	return snap.n && bsearch(&k, snap.v, snap.n, sizeof(k), held_cmp);
}

bool rsipd_port_busy(void *arg, struct in_addr nb, uint16_t port)
{
	uint64_t now;

	(void)arg;
	if (snap.on)
		return snap_has(nb.s_addr, port) || snap_has(0, port);
	now = mono_ms();
	if ((!snap.live_ms || now - snap.live_ms >= LIVE_MS) && take_snapshot() == 0)
		snap.live_ms = now;
	if (snap.live_ms && !snap_has(nb.s_addr, port) && !snap_has(0, port))
		return false;
	/* A leased port covers TCP and UDP alike (decision D10). */
	return held(SOCK_DGRAM, nb, port) || held(SOCK_STREAM, nb, port);
}

static int snap_add(uint32_t addr, uint16_t port)
{
	if (snap.n == snap.cap) {
		size_t cap = snap.cap ? snap.cap * 2 : 256;
		struct held_port *v = realloc(snap.v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		snap.v = v;
		snap.cap = cap;
	}
	snap.v[snap.n++] = (struct held_port){.addr = addr, .port = port};
	return 0;
}

/* The kernel prints each 32-bit word of an address as the native integer
 * (%08X), and the port in host order. An IPv6 socket on :: or on
 * ::ffff:a.b.c.d holds the IPv4 port too (unless IPV6_V6ONLY, which the
 * file does not say: counted as held, the safe side). Others are ignored. */
static int read_table(const char *path, bool v6)
{
	char line[512], addr[40];
	unsigned int port;
	FILE *f = fopen(path, "re");
	int err = 0;

	if (!f)
		return errno == ENOENT ? 0 : -errno; /* no IPv6: nothing held there */
	if (!fgets(line, sizeof(line), f)) {	     /* the header */
		fclose(f);
		return 0;
	}
	while (!err && fgets(line, sizeof(line), f)) {
		uint32_t w[4] = {0};

		if (sscanf(line, " %*u: %39[0-9A-Fa-f]:%x", addr, &port) != 2 || port > 65535)
			continue;
		if (!v6) {
			if (strlen(addr) != 8 || sscanf(addr, "%8x", &w[3]) != 1)
				continue;
		} else if (strlen(addr) != 32 ||
			   sscanf(addr, "%8x%8x%8x%8x", &w[0], &w[1], &w[2], &w[3]) != 4) {
			continue;
		} else if (w[0] || w[1] || (w[2] && w[2] != htonl(0xffff))) {
			continue; /* a real IPv6 address */
		}
		err = snap_add(w[3], (uint16_t)port);
	}
	fclose(f);
	return err;
}

/* One read of the namespace's sockets into snap (sorted). 0 or -errno. */
static int take_snapshot(void)
{
	static const char *const tables[] = {"/proc/net/tcp", "/proc/net/udp", "/proc/net/tcp6",
					     "/proc/net/udp6"};
	int err = 0;

	snap.n = 0;
	snap.live_ms = 0;
	for (size_t i = 0; !err && i < sizeof(tables) / sizeof(tables[0]); i++)
		err = read_table(tables[i], i >= 2);
	if (err) {
		snap.n = 0;
		return err;
	}
	if (snap.n > 1)
		qsort(snap.v, snap.n, sizeof(*snap.v), held_cmp);
	return 0;
}

int rsipd_port_busy_snapshot(void)
{
	int err = take_snapshot();

	if (err) {
		log_warnx("reading the host's sockets (%s): the restore probes each port instead",
			  strerror(-err));
		rsipd_port_busy_forget();
		return err;
	}
	snap.on = true;
	return 0;
}

void rsipd_port_busy_forget(void)
{
	free(snap.v);
	memset(&snap, 0, sizeof(snap));
}
