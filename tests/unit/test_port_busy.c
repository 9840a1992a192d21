// SPDX-License-Identifier: BSD-2-Clause
/*
 * net/port_busy.c: the snapshot a restart answers from (one read of
 * /proc/net/{tcp,udp}{,6}) says the same as the bind probe it replaces, for
 * ports held on the address, on the wildcard, over TCP and over UDP, and for
 * a free port; forgetting it goes back to probing. Live, the answers come
 * from a read at most a second old whose "held" is checked by a probe: a
 * port closed since is free at once, one taken since is seen within a
 * second.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/port_busy.h"

/* A socket of type bound to addr:0 (TCP listening); its port in *port. */
static int hold(int type, const char *addr, uint16_t *port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, type, 0);

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* A port nobody holds on 127.0.0.1 (bound, read, closed). */
static uint16_t free_port(void)
{
	uint16_t p;

	close(hold(SOCK_DGRAM, "127.0.0.1", &p));
	return p;
}

static void test_snapshot_agrees_with_probe(void **state)
{
	struct in_addr lo = ip("127.0.0.1"), other = ip("127.0.0.2");
	uint16_t tcp_lo, udp_any, freep;
	int t = hold(SOCK_STREAM, "127.0.0.1", &tcp_lo);
	int u = hold(SOCK_DGRAM, "0.0.0.0", &udp_any);

	(void)state;
	freep = free_port();
	/* The probe first: what the snapshot must repeat. */
	assert_true(rsipd_port_busy(NULL, lo, tcp_lo));
	assert_true(rsipd_port_busy(NULL, lo, udp_any));
	assert_true(rsipd_port_busy(NULL, other, udp_any)); /* the wildcard holds it */
	assert_false(rsipd_port_busy(NULL, other, tcp_lo)); /* only on 127.0.0.1 */

	assert_int_equal(rsipd_port_busy_snapshot(), 0);
	assert_true(rsipd_port_busy(NULL, lo, tcp_lo));
	assert_true(rsipd_port_busy(NULL, lo, udp_any));
	assert_true(rsipd_port_busy(NULL, other, udp_any));
	assert_false(rsipd_port_busy(NULL, other, tcp_lo));
	assert_false(rsipd_port_busy(NULL, lo, freep));

	/* A snapshot is a snapshot: a port taken after it is not seen... */
	{
		uint16_t later;
		int l = hold(SOCK_DGRAM, "127.0.0.1", &later);

		assert_false(rsipd_port_busy(NULL, lo, later));
		/* ...until it is forgotten and the probe answers again. */
		rsipd_port_busy_forget();
		assert_true(rsipd_port_busy(NULL, lo, later));
		close(l);
	}
	close(t);
	close(u);
}

static void test_live_read(void **state)
{
	struct in_addr lo = ip("127.0.0.1");
	uint16_t p, q;
	int t = hold(SOCK_STREAM, "127.0.0.1", &p), u;

	(void)state;
	rsipd_port_busy_forget(); /* live: the next question reads */
	assert_true(rsipd_port_busy(NULL, lo, p));
	close(t); /* listed by the read, freed since: the probe says free */
	assert_false(rsipd_port_busy(NULL, lo, p));
	u = hold(SOCK_DGRAM, "127.0.0.1", &q);
	usleep(1100 * 1000); /* past the read's second: read again */
	assert_true(rsipd_port_busy(NULL, lo, q));
	close(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_snapshot_agrees_with_probe),
	    cmocka_unit_test(test_live_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
