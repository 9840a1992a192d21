// SPDX-License-Identifier: BSD-2-Clause
/* rsipc's direct way out (user/rsipc/pkt_tx.c) without a socket: the frame
 * header it puts in front of an inner packet (IP-IP and GRE), and the next
 * hop's MAC read from a neighbour table in /proc/net/arp's format. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../user/rsipc/pkt_tx.h"
#include "rsip/wire.h"

static const uint8_t mac_nh[6] = {0x02, 0x00, 0x0a, 0x00, 0x00, 0x01};
static const uint8_t mac_own[6] = {0x02, 0x00, 0x0a, 0x00, 0x00, 0x0b};

static struct pkt_tx tx(uint8_t tunnel)
{
	struct pkt_tx p = {.fd = -1, .tunnel = tunnel, .id = 0xffff, .dev = "eth0"};

	inet_aton("10.0.0.1", &p.nexthop);
	inet_aton("10.0.0.11", &p.src);
	inet_aton("10.0.0.1", &p.endpoint);
	memcpy(p.eth, mac_nh, 6);
	memcpy(p.eth + 6, mac_own, 6);
	p.eth[12] = 0x08;
	return p;
}

static const uint8_t addrs[8] = {10, 0, 0, 11, 10, 0, 0, 1}; /* Xa, endpoint */
static const uint8_t gre[4] = {0, 0, 0x08, 0};

static uint16_t sum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void check(uint8_t tunnel, uint8_t inner_tos, uint8_t inner_frag, uint16_t want_id)
{
	static struct pkt_tx p;
	uint8_t inner[100] = {0x45, inner_tos, 0, 100, 0, 0, inner_frag}, h[PKT_TX_HDR_MAX];
	size_t olen = tunnel == RSIP_TUNNEL_GRE ? 24 : 20, n;

	if (want_id == 0xffff)
		p = tx(tunnel);
	n = pkt_tx_header(&p, h, inner, sizeof(inner));
	assert_int_equal(n, 14 + olen);
	assert_memory_equal(h, mac_nh, 6);
	assert_memory_equal(h + 6, mac_own, 6);
	assert_int_equal(h[12] << 8 | h[13], 0x0800);
	assert_int_equal(h[14], 0x45);
	assert_int_equal(h[15], inner_tos);
	assert_int_equal(h[16] << 8 | h[17], sizeof(inner) + olen);
	assert_int_equal(h[18] << 8 | h[19], want_id);
	assert_int_equal(h[20], inner_frag & 0x40); /* DF only */
	assert_int_equal(h[21], 0);
	assert_int_equal(h[22], 64);
	assert_int_equal(h[23], tunnel == RSIP_TUNNEL_GRE ? 47 : 4);
	assert_memory_equal(h + 26, addrs, 8);
	assert_int_equal(sum(h + 14, 20), 0xffff);
	if (tunnel == RSIP_TUNNEL_GRE)
		assert_memory_equal(h + 34, gre, 4);
}

static void test_ipip(void **state)
{
	(void)state;
	check(RSIP_TUNNEL_IPIP, 0xb9, 0x40, 0xffff); /* DF, DSCP 46 + ECT(1) */
	check(RSIP_TUNNEL_IPIP, 0x00, 0x20, 0x0000); /* MF not copied; the ID wraps */
}

static void test_gre(void **state)
{
	(void)state;
	check(RSIP_TUNNEL_GRE, 0x02, 0x00, 0xffff);
	check(RSIP_TUNNEL_GRE, 0x02, 0x40, 0x0000);
}

static void arp_file(char *path, const char *body)
{
	int fd;

	strcpy(path, "/tmp/test_pkt_tx.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
	close(fd);
}

#define ARP_HEAD "IP address       HW type     Flags       HW address            Mask     Device\n"

static void test_neighbour(void **state)
{
	struct pkt_tx p = tx(RSIP_TUNNEL_IPIP);
	char path[64];

	(void)state;
	memset(p.eth, 0, 6);
	/* Another address, the right one on another device, then ours. */
	arp_file(path, ARP_HEAD
		 "10.0.0.12        0x1         0x2         02:00:0a:00:00:0c     *        eth0\n"
		 "10.0.0.1         0x1         0x2         02:00:00:00:00:99     *        lan1\n"
		 "10.0.0.1         0x1         0x2         02:00:0a:00:00:01     *        eth0\n");
	assert_true(pkt_tx_refresh(&p, path));
	assert_memory_equal(p.eth, mac_nh, 6);
	assert_memory_equal(p.eth + 6, mac_own, 6);
	unlink(path);

	/* Incomplete (being resolved): not ready; and no entry at all. */
	arp_file(path, ARP_HEAD
		 "10.0.0.1         0x1         0x0         00:00:00:00:00:00     *        eth0\n");
	assert_false(pkt_tx_refresh(&p, path));
	unlink(path);
	arp_file(path, ARP_HEAD);
	assert_false(pkt_tx_refresh(&p, path));
	unlink(path);
	assert_false(pkt_tx_refresh(&p, "/nonexistent/arp"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ipip),
	    cmocka_unit_test(test_gre),
	    cmocka_unit_test(test_neighbour),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
