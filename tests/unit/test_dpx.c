// SPDX-License-Identifier: BSD-2-Clause
/*
 * The map-writing layer (user/rsipd/dpx_*.c) on in-memory maps: what each
 * client and binding writes, SPI block sharing and splitting, all-or-nothing
 * on map errors, reconciliation without rewrites, link changes, stats,
 * counters, the sweep and the restart prune. The same layer on real maps,
 * read by the real programs, is tested in tests/bpf/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include "../lib/fake_maps.h"
#include "../lib/rec_build.h"
#include "rsip/wire.h"

#define SHIFT 8

struct fx {
	struct fake_maps *f;
	struct dpx_maps m;
	struct dpx *x;
};

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* A time stamp as rsipd writes one (no jiffies: the programs' next packet
 * refreshes it). */
static struct rsip_seen seen_at(uint64_t ns)
{
	return rsip_seen_at(0, ns);
}

static const uint8_t MAC1[6] = {0x02, 0, 0, 0, 0, 0x11};
static const uint8_t MAC2[6] = {0x02, 0, 0, 0, 0, 0x22};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct dpx_config cfg = {.spi_block_shift = SHIFT, .cookie_cap = 8, .ncpus = 2};

	fx->f = fake_maps_new();
	fake_maps_dpx(fx->f, &fx->m, 256, 2);
	cfg.ops = fake_maps_ops(fx->f);
	fx->x = dpx_new(&fx->m, &cfg);
	assert_non_null(fx->x);
	assert_int_equal(dpx_nb_add(fx->x, ip("192.0.2.1")), 0);
	assert_int_equal(dpx_nb_add(fx->x, ip("192.0.2.2")), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	dpx_free(fx->x);
	fake_maps_free(fx->f);
	free(fx);
	return 0;
}

static struct dp_client client(uint32_t id, const char *xa)
{
	struct dp_client c = {.client_id = id, .xa = ip(xa)};

	return c;
}

static void add_client(struct fx *fx, uint32_t id, const char *xa, const uint8_t *mac)
{
	struct dp_client c = client(id, xa);

	assert_int_equal(dpx_client_add(fx->x, &c), 0);
	if (mac)
		assert_int_equal(dpx_client_set_link(fx->x, c.xa, mac, 7), 0);
}

static struct rec_buf binding(uint32_t cid, uint32_t bid, const char *xa, const char *nb,
			      uint8_t method)
{
	return rec_make(cid, bid, ip(xa), ip(nb), method);
}

static int get_port(struct fx *fx, const char *nb, uint16_t port, struct rsip_target *t)
{
	struct rsip_port_key k = {.nb = ip(nb).s_addr, .port = htons(port)};

	return fake_maps_ops(fx->f)->lookup(fx->f, fx->m.ports, &k, t);
}

static int get_spi(struct fx *fx, const char *nb, uint32_t spi, struct rsip_target *t)
{
	struct rsip_spi_key k = {.nb = ip(nb).s_addr, .spi = htonl(spi)};

	return fake_maps_ops(fx->f)->lookup(fx->f, fx->m.spi, &k, t);
}

static int get_blk(struct fx *fx, const char *nb, uint32_t block, struct rsip_target *t)
{
	struct rsip_blk_key k = {.nb = ip(nb).s_addr, .block = block};

	return fake_maps_ops(fx->f)->lookup(fx->f, fx->m.spi_blk, &k, t);
}

static int get_client(struct fx *fx, const char *xa, struct rsip_client *v)
{
	__be32 k = ip(xa).s_addr;

	return fake_maps_ops(fx->f)->lookup(fx->f, fx->m.clients, &k, v);
}

static int get_nb(struct fx *fx, const char *nb, struct rsip_nb_val *v)
{
	__be32 k = ip(nb).s_addr;

	return fake_maps_ops(fx->f)->lookup(fx->f, fx->m.nb, &k, v);
}

static int put(struct fx *fx, int fd, const void *k, const void *v)
{
	return fake_maps_ops(fx->f)->update(fx->f, fd, k, v, BPF_ANY);
}

static void set_cookies(struct fx *fx, const char *xa, uint32_t n)
{
	struct rsip_client cv;
	__be32 k = ip(xa).s_addr;

	assert_int_equal(get_client(fx, xa, &cv), 0);
	cv.cookies = n;
	assert_int_equal(put(fx, fx->m.clients, &k, &cv), 0);
}

static void test_client_and_ports(void **state)
{
	struct fx *fx = *state;
	static const uint16_t ports[] = {1024, 1025, 1026};
	struct rec_buf b = binding(1, 100, "10.0.0.11", "192.0.2.1", RSIP_METHOD_RSAP_IP);
	struct dp_client dup = client(1, "10.0.0.11");
	struct rsip_client cv;
	struct rsip_target t;

	add_client(fx, 1, "10.0.0.11", MAC1);
	assert_int_equal(dpx_client_add(fx->x, &dup), -EEXIST);
	assert_int_equal(get_client(fx, "10.0.0.11", &cv), 0);
	assert_int_equal(cv.client_id, 1);
	assert_int_equal(cv.cookie_cap, 8);
	assert_memory_equal(cv.mac, MAC1, 6);
	assert_int_equal(cv.lan_ifindex, 7);
	assert_int_equal(cv.tunnels, 0);

	b.r.tunnel = RSIP_TUNNEL_GRE;
	rec_set_ports(&b, ports, 3);
	b.r.remote_policy = RSIP_FLOW_MICRO;
	b.r.remote = ip("198.51.100.7");
	b.r.remote_port = 80;
	assert_int_equal(dpx_binding_add(fx->x, &b.r), 0);
	assert_int_equal(dpx_binding_add(fx->x, &b.r), -EEXIST);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(get_port(fx, "192.0.2.1", ports[i], &t), 0);
		assert_int_equal(t.xa, ip("10.0.0.11").s_addr);
		assert_int_equal(t.bind_id, 100);
		assert_int_equal(t.tunnel, RSIP_DP_TUNNEL_GRE);
		assert_memory_equal(t.mac, MAC1, 6);
		assert_int_equal(t.lan_ifindex, 7);
		assert_int_equal(t.flags, RSIP_TF_REMOTE_ADDR | RSIP_TF_REMOTE_PORT);
		assert_int_equal(t.remote, ip("198.51.100.7").s_addr);
		assert_int_equal(t.remote_port, htons(80));
	}
	assert_int_equal(get_client(fx, "10.0.0.11", &cv), 0);
	assert_int_equal(cv.nb, ip("192.0.2.1").s_addr);
	assert_int_equal(cv.tunnels, 1u << RSIP_DP_TUNNEL_GRE);
	assert_int_equal(cv.flags, 0);

	assert_int_equal(dpx_binding_del(fx->x, &b.r), 0);
	assert_int_equal(fake_map_count(fx->f, fx->m.ports), 0);
	assert_int_equal(get_client(fx, "10.0.0.11", &cv), 0);
	assert_int_equal(cv.tunnels, 0);
	assert_int_equal(dpx_binding_del(fx->x, &b.r), -ENOENT);
}

static void test_bad_bindings(void **state)
{
	struct fx *fx = *state;
	struct rec_buf b = binding(1, 100, "10.0.0.11", "192.0.2.1", RSIP_METHOD_RSAP_IP);
	struct rec_buf other = binding(1, 101, "10.0.0.11", "192.0.2.2", RSIP_METHOD_RSAP_IP);
	struct rec_buf stranger = binding(9, 102, "10.0.0.99", "192.0.2.1", RSIP_METHOD_RSAP_IP);

	add_client(fx, 1, "10.0.0.11", MAC1);
	b.r.tunnel = RSIP_TUNNEL_L2TP;
	assert_int_equal(dpx_binding_add(fx->x, &b.r), -EINVAL);
	b.r.tunnel = RSIP_TUNNEL_IPIP;
	b.r.method = 9;
	assert_int_equal(dpx_binding_add(fx->x, &b.r), -EINVAL);
	b.r.method = RSIP_METHOD_RSIPSEC;
	assert_int_equal(dpx_binding_add(fx->x, &b.r), 0);
	/* One Nb per client. */
	assert_int_equal(dpx_binding_add(fx->x, &other.r), -EINVAL);
	assert_int_equal(dpx_binding_add(fx->x, &stranger.r), -ENOENT);
	/* The client id must match. */
	stranger.r.xa = ip("10.0.0.11");
	assert_int_equal(dpx_binding_add(fx->x, &stranger.r), -ENOENT);
	/* Nothing of the refused ones reached the maps. */
	assert_int_equal(fake_map_count(fx->f, fx->m.ports), 0);
	assert_int_equal(dpx_nb_del(fx->x, ip("192.0.2.1")), -EBUSY);
	assert_int_equal(dpx_nb_del(fx->x, ip("192.0.2.2")), 0);
	assert_int_equal(dpx_nb_del(fx->x, ip("192.0.2.2")), -ENOENT);
}

/* Whether nb's bit is set in rsip_nb_filter. */
static bool filter_has(struct fx *fx, struct in_addr nb)
{
	uint32_t bit = rsip_nb_filter_bit(nb.s_addr), idx = bit >> 5, w = 0;

	fake_maps_ops(fx->f)->lookup(fx->f, fx->m.nb_filter, &idx, &w);
	return (w >> (bit & 31)) & 1;
}

/* The Nb pre-filter follows the pool: set on add, cleared on delete unless
 * another Nb shares the bit; a second dpx over the same maps (a restart)
 * writes nothing. */
static void test_nb_filter(void **state)
{
	struct fx *fx = *state;
	struct in_addr a = ip("192.0.2.1"), b = ip("192.0.2.2"), c = {0}, d = ip("192.0.2.3");
	uint32_t bit = rsip_nb_filter_bit(a.s_addr);
	struct dpx_config cfg = {
	    .spi_block_shift = SHIFT, .cookie_cap = 8, .ncpus = 2, .ops = fake_maps_ops(fx->f)};
	struct dpx *again;

	assert_true(filter_has(fx, a));
	assert_true(filter_has(fx, b));
	assert_false(filter_has(fx, d));
	/* An address with the same bit as a (search the space once). */
	for (uint32_t v = 1; v; v++) {
		if (v != a.s_addr && rsip_nb_filter_bit(v) == bit) {
			c.s_addr = v;
			break;
		}
	}
	assert_int_not_equal(c.s_addr, 0);
	assert_int_equal(dpx_nb_add(fx->x, c), 0);
	assert_int_equal(dpx_nb_del(fx->x, a), 0);
	assert_true(filter_has(fx, a)); /* c keeps the bit */
	assert_int_equal(dpx_nb_del(fx->x, c), 0);
	assert_false(filter_has(fx, a));
	assert_true(filter_has(fx, b));

	again = dpx_new(&fx->m, &cfg);
	assert_non_null(again);
	fake_maps_reset_writes(fx->f);
	assert_int_equal(dpx_nb_add(again, b), 0);
	assert_int_equal(fake_maps_writes(fx->f), 0);
	dpx_free(again);
}

static void test_whole_address(void **state)
{
	struct fx *fx = *state;
	struct rec_buf b = binding(1, 100, "10.0.0.11", "192.0.2.2", RSIP_METHOD_RSA_IP);
	struct rec_buf c = binding(2, 200, "10.0.0.12", "203.0.113.9", RSIP_METHOD_RSA_IP);
	struct rsip_client cv;
	struct rsip_nb_val v;

	add_client(fx, 1, "10.0.0.11", MAC1);
	add_client(fx, 2, "10.0.0.12", MAC2);
	assert_int_equal(dpx_binding_add(fx->x, &b.r), 0);
	assert_int_equal(get_nb(fx, "192.0.2.2", &v), 0);
	assert_int_equal(v.flags, RSIP_NB_WHOLE);
	assert_int_equal(v.whole.xa, ip("10.0.0.11").s_addr);
	assert_int_equal(v.whole.bind_id, 100);
	assert_int_equal(get_client(fx, "10.0.0.11", &cv), 0);
	assert_int_equal(cv.flags, RSIP_CF_WHOLE_NB);
	assert_int_equal(cv.nb, ip("192.0.2.2").s_addr);

	/* An Nb outside the pool: created, and deleted on free. */
	assert_int_equal(dpx_binding_add(fx->x, &c.r), 0);
	assert_int_equal(get_nb(fx, "203.0.113.9", &v), 0);
	assert_int_equal(dpx_binding_del(fx->x, &c.r), 0);
	assert_int_equal(get_nb(fx, "203.0.113.9", &v), -ENOENT);

	/* A pool Nb reverts to shared. */
	assert_int_equal(dpx_binding_del(fx->x, &b.r), 0);
	assert_int_equal(get_nb(fx, "192.0.2.2", &v), 0);
	assert_int_equal(v.flags, 0);
	assert_int_equal(v.whole.xa, 0);
}

static void test_spi_block_shared(void **state)
{
	struct fx *fx = *state;
	/* Block 0x1234 with shift 8: SPIs 0x123400-0x1234ff. */
	static const uint32_t run1[] = {0x123410, 0x123411}, run2[] = {0x123420};
	static const uint32_t lone[] = {0x777777};
	struct rec_buf b1 = binding(1, 100, "10.0.0.11", "192.0.2.1", RSIP_METHOD_RSIPSEC);
	struct rec_buf b2 = binding(1, 101, "10.0.0.11", "192.0.2.1", RSIP_METHOD_RSIPSEC);
	struct rec_buf b3 = binding(1, 102, "10.0.0.11", "192.0.2.1", RSIP_METHOD_RSIPSEC);
	struct rsip_client cv;
	struct rsip_target t;
	uint32_t slot;

	add_client(fx, 1, "10.0.0.11", MAC1);
	rec_set_spis(&b1, run1, 2);
	b1.r.has_spi_block = true;
	b1.r.spi_block = 0x1234;
	rec_set_spis(&b2, run2, 1);
	b2.r.has_spi_block = true;
	b2.r.spi_block = 0x1234;
	rec_set_spis(&b3, lone, 1);
	assert_int_equal(dpx_binding_add(fx->x, &b1.r), 0);
	assert_int_equal(dpx_binding_add(fx->x, &b2.r), 0);
	assert_int_equal(dpx_binding_add(fx->x, &b3.r), 0);
	assert_int_equal(get_client(fx, "10.0.0.11", &cv), 0);
	assert_int_equal(cv.flags, RSIP_CF_IPSEC);

	/* One block entry (the oldest binding's), no singles inside it. */
	assert_int_equal(fake_map_count(fx->f, fx->m.spi_blk), 1);
	assert_int_equal(get_blk(fx, "192.0.2.1", 0x1234, &t), 0);
	assert_int_equal(t.bind_id, 100);
	assert_int_equal(get_spi(fx, "192.0.2.1", 0x123410, &t), -ENOENT);
	assert_int_equal(get_spi(fx, "192.0.2.1", 0x123420, &t), -ENOENT);
	assert_int_equal(fake_map_count(fx->f, fx->m.spi), 1);
	assert_int_equal(get_spi(fx, "192.0.2.1", 0x777777, &t), 0);
	assert_int_equal(t.bind_id, 102);

	/* The programs' part of the block (its time stamp) survives the
	 * hand-over to the next binding; the block then counts in that
	 * binding's slot (the first binding's counts went with it). */
	assert_int_equal(get_blk(fx, "192.0.2.1", 0x1234, &t), 0);
	slot = t.stat_slot;
	assert_true(slot != 0);
	t.seen = rsip_seen_at(5, 500ull << RSIP_SEEN_SHIFT);
	{
		struct rsip_blk_key k = {.nb = ip("192.0.2.1").s_addr, .block = 0x1234};

		assert_int_equal(put(fx, fx->m.spi_blk, &k, &t), 0);
	}
	assert_int_equal(dpx_binding_del(fx->x, &b1.r), 0);
	assert_int_equal(get_blk(fx, "192.0.2.1", 0x1234, &t), 0);
	assert_int_equal(t.bind_id, 101);
	assert_int_equal(t.seen.jiffies, 5);
	assert_int_equal(rsip_seen_ns(&t.seen), 500ull << RSIP_SEEN_SHIFT);
	assert_true(t.stat_slot != 0 && t.stat_slot != slot);
	/* The last reference goes: so does the block. */
	assert_int_equal(dpx_binding_del(fx->x, &b2.r), 0);
	assert_int_equal(fake_map_count(fx->f, fx->m.spi_blk), 0);
	assert_int_equal(fake_map_count(fx->f, fx->m.spi), 1);
}

static void test_spi_block_split(void **state)
{
	struct fx *fx = *state;
	static const uint32_t run1[] = {0x123410, 0x123411}, run2[] = {0x123420};
	struct rec_buf b1 = binding(1, 100, "10.0.0.11", "192.0.2.1", RSIP_METHOD_RSIPSEC);
	struct rec_buf b2 = binding(1, 101, "10.0.0.11", "192.0.2.1", RSIP_METHOD_RSIPSEC);
	struct rsip_target t;

	add_client(fx, 1, "10.0.0.11", MAC1);
	rec_set_spis(&b1, run1, 2);
	b1.r.has_spi_block = true;
	b1.r.spi_block = 0x1234;
	rec_set_spis(&b2, run2, 1);
	b2.r.has_spi_block = true;
	b2.r.spi_block = 0x1234;
	b2.r.remote_policy = RSIP_FLOW_MACRO;
	b2.r.remote = ip("198.51.100.7");
	assert_int_equal(dpx_binding_add(fx->x, &b1.r), 0);
	assert_int_equal(fake_map_count(fx->f, fx->m.spi_blk), 1);
	/* Different remote policy in the same block: singles, each with its
	 * binding's policy, and no block entry. */
	assert_int_equal(dpx_binding_add(fx->x, &b2.r), 0);
	assert_int_equal(fake_map_count(fx->f, fx->m.spi_blk), 0);
	assert_int_equal(fake_map_count(fx->f, fx->m.spi), 3);
	assert_int_equal(get_spi(fx, "192.0.2.1", 0x123411, &t), 0);
	assert_int_equal(t.bind_id, 100);
	assert_int_equal(t.flags, 0);
	assert_int_equal(get_spi(fx, "192.0.2.1", 0x123420, &t), 0);
	assert_int_equal(t.bind_id, 101);
	assert_int_equal(t.flags, RSIP_TF_REMOTE_ADDR);
	/* Agreement again: back to one block entry. */
	assert_int_equal(dpx_binding_del(fx->x, &b2.r), 0);
	assert_int_equal(fake_map_count(fx->f, fx->m.spi_blk), 1);
	assert_int_equal(fake_map_count(fx->f, fx->m.spi), 0);
}

static void test_full_map_all_or_nothing(void **state)
{
	struct fx *fx = *state;
	static const uint16_t ports[] = {2000, 2001, 2002, 2003, 2004, 2005};
	struct rec_buf b = binding(1, 100, "10.0.0.11", "192.0.2.1", RSIP_METHOD_RSAP_IP);
	struct fake_snapshot *before, *after;

	add_client(fx, 1, "10.0.0.11", MAC1);
	/* A 4-entry ports map. */
	fx->m.ports =
	    fake_map_create(fx->f, sizeof(struct rsip_port_key), sizeof(struct rsip_target), 4);
	dpx_free(fx->x);
	{
		struct dpx_config cfg = {.spi_block_shift = SHIFT,
					 .cookie_cap = 8,
					 .ncpus = 2,
					 .ops = fake_maps_ops(fx->f)};
		struct dp_client c = client(1, "10.0.0.11");

		fx->x = dpx_new(&fx->m, &cfg);
		assert_int_equal(dpx_client_add(fx->x, &c), 0); /* adopts the live link */
	}
	before = fake_maps_snapshot(fx->f);
	rec_set_ports(&b, ports, 6);
	assert_int_equal(dpx_binding_add(fx->x, &b.r), -ENOSPC);
	after = fake_maps_snapshot(fx->f);
	assert_true(fake_snapshot_equal(before, after));
	fake_snapshot_free(after);
	/* The mirror forgot it too: the same bind id fits with fewer ports. */
	b.r.nports = 4;
	assert_int_equal(dpx_binding_add(fx->x, &b.r), 0);
	assert_int_equal(fake_map_count(fx->f, fx->m.ports), 4);
	fake_snapshot_free(before);
}

static void test_rollback_on_any_error(void **state)
{
	struct fx *fx = *state;
	static const uint16_t ports[] = {3000, 3001};
	static const uint32_t spis[] = {0x123410, 0x123411};
	struct rec_buf b = binding(1, 100, "10.0.0.11", "192.0.2.1", RSIP_METHOD_RSIPSEC);
	struct fake_snapshot *before, *after;
	int ok = 0;

	add_client(fx, 1, "10.0.0.11", MAC1);
	rec_set_ports(&b, ports, 2);
	rec_set_spis(&b, spis, 2);
	b.r.has_spi_block = true;
	b.r.spi_block = 0x1234;
	/* Fail the 1st, 2nd, ... update: every time the maps are untouched;
	 * once enough updates succeed, the binding lands. */
	for (int n = 0; n < 20 && !ok; n++) {
		before = fake_maps_snapshot(fx->f);
		fake_maps_fail_update_after(fx->f, n, -EIO);
		if (dpx_binding_add(fx->x, &b.r) == 0) {
			ok = 1;
		} else {
			after = fake_maps_snapshot(fx->f);
			assert_true(fake_snapshot_equal(before, after));
			fake_snapshot_free(after);
		}
		fake_snapshot_free(before);
	}
	fake_maps_fail_update_after(fx->f, -1, 0);
	assert_true(ok);
	assert_int_equal(fake_map_count(fx->f, fx->m.ports), 2);
	assert_int_equal(fake_map_count(fx->f, fx->m.spi_blk), 1);
	/* Deletion fails too (a client rewrite is an update): unchanged. */
	before = fake_maps_snapshot(fx->f);
	fake_maps_fail_update_after(fx->f, 0, -EIO);
	assert_int_equal(dpx_binding_del(fx->x, &b.r), -EIO);
	fake_maps_fail_update_after(fx->f, -1, 0);
	after = fake_maps_snapshot(fx->f);
	assert_true(fake_snapshot_equal(before, after));
	fake_snapshot_free(before);
	fake_snapshot_free(after);
	assert_int_equal(dpx_binding_del(fx->x, &b.r), 0);
}

static void test_set_link_rewrites_keeping_counters(void **state)
{
	struct fx *fx = *state;
	static const uint16_t ports[] = {1024};
	struct rec_buf b = binding(1, 100, "10.0.0.11", "192.0.2.1", RSIP_METHOD_RSIPSEC);
	struct rsip_ike_key ik = {.nb = ip("192.0.2.1").s_addr, .port = htons(500)};
	struct rsip_target t, learned = {.xa = ip("10.0.0.11").s_addr,
					 .tunnel = RSIP_DP_TUNNEL_IPIP,
					 .flags = RSIP_TF_LEARNED,
					 .lan_ifindex = 7,
					 .seen = {.jiffies = 3}};
	struct rsip_client cv;

	memcpy(learned.mac, MAC1, 6);
	memcpy(ik.cookie, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	add_client(fx, 1, "10.0.0.11", MAC1);
	rec_set_ports(&b, ports, 1);
	assert_int_equal(dpx_binding_add(fx->x, &b.r), 0);
	assert_int_equal(put(fx, fx->m.ike, &ik, &learned), 0);
	set_cookies(fx, "10.0.0.11", 1); /* as the LAN program counts */
	assert_int_equal(get_port(fx, "192.0.2.1", 1024, &t), 0);
	t.seen.jiffies = 42;
	{
		struct rsip_port_key k = {.nb = ip("192.0.2.1").s_addr, .port = htons(1024)};

		assert_int_equal(put(fx, fx->m.ports, &k, &t), 0);
	}
	/* The same link again: no write at all. */
	fake_maps_reset_writes(fx->f);
	assert_int_equal(dpx_client_set_link(fx->x, ip("10.0.0.11"), MAC1, 7), 0);
	assert_int_equal(fake_maps_writes(fx->f), 0);
	/* A new MAC: every entry follows, counters stay. */
	assert_int_equal(dpx_client_set_link(fx->x, ip("10.0.0.11"), MAC2, 9), 0);
	assert_int_equal(get_port(fx, "192.0.2.1", 1024, &t), 0);
	assert_memory_equal(t.mac, MAC2, 6);
	assert_int_equal(t.lan_ifindex, 9);
	assert_int_equal(t.seen.jiffies, 42);
	assert_int_equal(fake_maps_ops(fx->f)->lookup(fx->f, fx->m.ike, &ik, &t), 0);
	assert_memory_equal(t.mac, MAC2, 6);
	assert_int_equal(t.lan_ifindex, 9);
	assert_int_equal(t.seen.jiffies, 3);
	assert_int_equal(get_client(fx, "10.0.0.11", &cv), 0);
	assert_memory_equal(cv.mac, MAC2, 6);
	assert_int_equal(dpx_client_set_link(fx->x, ip("10.9.9.9"), MAC2, 9), -ENOENT);
}

static void test_restore_without_rewrites(void **state)
{
	struct fx *fx = *state;
	static const uint16_t ports[] = {1024, 1025};
	static const uint32_t spis[] = {0x123410};
	struct rec_buf b = binding(1, 100, "10.0.0.11", "192.0.2.1", RSIP_METHOD_RSIPSEC);
	struct rec_buf w = binding(2, 200, "10.0.0.12", "192.0.2.2", RSIP_METHOD_RSA_IP);
	struct rec_buf stale = binding(3, 300, "10.0.0.13", "192.0.2.1", RSIP_METHOD_RSAP_IP);
	static const uint16_t stale_ports[] = {4000};
	struct dp_client c1 = client(1, "10.0.0.11"), c2 = client(2, "10.0.0.12");
	struct dpx_config cfg = {.spi_block_shift = SHIFT, .cookie_cap = 8, .ncpus = 2};
	struct fake_snapshot *before, *after;
	struct dp_binding_stats s;
	struct rsip_client cv;
	struct rsip_nb_val nv;
	struct rsip_target t;
	uint32_t c1_slot;

	add_client(fx, 1, "10.0.0.11", MAC1);
	add_client(fx, 2, "10.0.0.12", MAC2);
	add_client(fx, 3, "10.0.0.13", MAC2);
	rec_set_ports(&b, ports, 2);
	rec_set_spis(&b, spis, 1);
	b.r.has_spi_block = true;
	b.r.spi_block = 0x1234;
	rec_set_ports(&stale, stale_ports, 1);
	assert_int_equal(dpx_binding_add(fx->x, &b.r), 0);
	assert_int_equal(dpx_binding_add(fx->x, &w.r), 0);
	assert_int_equal(dpx_binding_add(fx->x, &stale.r), 0);
	/* The programs counted meanwhile (the client's traffic out in its
	 * own slot). */
	assert_int_equal(get_client(fx, "10.0.0.11", &cv), 0);
	assert_true(cv.stat_slot != 0);
	c1_slot = cv.stat_slot;
	cv.cookies = 2;
	assert_int_equal(put(fx, fx->m.clients, &c1.xa.s_addr, &cv), 0);
	assert_int_equal(
	    put(fx, fx->m.bind_stats, &c1_slot, (struct rsip_bind_stats[2]){{70, 7000}, {7, 700}}),
	    0);

	/* rsipd restarts: a new mirror restores clients 1 and 2 (3's lease
	 * ran out while it was down). */
	dpx_free(fx->x);
	cfg.ops = fake_maps_ops(fx->f);
	fx->x = dpx_new(&fx->m, &cfg);
	assert_non_null(fx->x);
	before = fake_maps_snapshot(fx->f);
	fake_maps_reset_writes(fx->f);
	dpx_restore_begin(fx->x);
	assert_int_equal(dpx_nb_add(fx->x, ip("192.0.2.1")), 0);
	assert_int_equal(dpx_nb_add(fx->x, ip("192.0.2.2")), 0);
	assert_int_equal(dpx_client_add(fx->x, &c1), 0);
	assert_int_equal(dpx_client_add(fx->x, &c2), 0);
	assert_int_equal(dpx_binding_add(fx->x, &b.r), 0);
	assert_int_equal(dpx_binding_add(fx->x, &w.r), 0);
	assert_int_equal(fake_maps_writes(fx->f), 0);
	after = fake_maps_snapshot(fx->f);
	assert_true(fake_snapshot_equal(before, after));
	fake_snapshot_free(before);
	fake_snapshot_free(after);
	/* Client 3 and its port go; nothing else is touched. */
	assert_int_equal(dpx_restore_end(fx->x), 2);
	assert_int_equal(fake_maps_writes(fx->f), 2);
	assert_int_equal(get_client(fx, "10.0.0.13", &cv), -ENOENT);
	assert_int_equal(get_port(fx, "192.0.2.1", 4000, &t), -ENOENT);
	assert_int_equal(get_client(fx, "10.0.0.11", &cv), 0);
	assert_int_equal(cv.cookies, 2);
	/* It kept its slot, so its counts out. */
	assert_int_equal(cv.stat_slot, c1_slot);
	assert_int_equal(dpx_binding_stats(fx->x, &b.r, &s), 0);
	assert_int_equal(s.packets_out, 77);
	assert_int_equal(s.bytes_out, 7700);
	assert_memory_equal(cv.mac, MAC1, 6);
	assert_int_equal(get_nb(fx, "192.0.2.2", &nv), 0);
	assert_int_equal(nv.flags, RSIP_NB_WHOLE);
}

static void test_restore_prunes_stale_whole(void **state)
{
	struct fx *fx = *state;
	struct rec_buf w = binding(2, 200, "10.0.0.12", "192.0.2.2", RSIP_METHOD_RSA_IP);
	struct dpx_config cfg = {.spi_block_shift = SHIFT, .cookie_cap = 8, .ncpus = 2};
	struct rsip_nb_val nv;

	add_client(fx, 2, "10.0.0.12", MAC2);
	assert_int_equal(dpx_binding_add(fx->x, &w.r), 0);
	dpx_free(fx->x);
	cfg.ops = fake_maps_ops(fx->f);
	fx->x = dpx_new(&fx->m, &cfg);
	dpx_restore_begin(fx->x);
	assert_int_equal(dpx_nb_add(fx->x, ip("192.0.2.2")), 0);
	/* The whole lease reverts, the client goes, 192.0.2.1 left the pool. */
	assert_int_equal(dpx_restore_end(fx->x), 3);
	assert_int_equal(get_nb(fx, "192.0.2.2", &nv), 0);
	assert_int_equal(nv.flags, 0);
	assert_int_equal(get_nb(fx, "192.0.2.1", &nv), -ENOENT); /* left the pool */
}

/* The restart with batch calls, over more entries than one chunk (4096):
 * 5000 clients with a port each; rsipd comes back with 4999 of them, one
 * port entry went missing meanwhile and one carries counters. Only the
 * missing entry is written, only the departed client's two entries go. */
static void test_restore_batches(void **state)
{
	enum { N = 5000 };
	struct fake_maps *f = fake_maps_new();
	struct dpx_config cfg = {.spi_block_shift = SHIFT, .cookie_cap = 8, .ncpus = 2};
	struct rsip_port_key missing = {.nb = ip("192.0.2.1").s_addr, .port = htons(1024 + 7)};
	struct rsip_port_key counted = {.nb = ip("192.0.2.1").s_addr, .port = htons(1024 + 9)};
	struct dpx_maps m;
	struct rsip_target t;
	struct dpx *x;

	(void)state;
	fake_maps_dpx(f, &m, 2 * N + 16, 2); /* counter slots: a client and a binding each */
	fake_maps_enable_batch(f);
	cfg.ops = fake_maps_ops(f);
	for (int pass = 0; pass < 2; pass++) {
		x = dpx_new(&m, &cfg);
		assert_non_null(x);
		if (pass)
			dpx_restore_begin(x);
		assert_int_equal(dpx_nb_add(x, ip("192.0.2.1")), 0);
		for (uint32_t i = 0; i < (uint32_t)(N - pass); i++) {
			struct in_addr xa = {.s_addr = htonl(0x0a010000u + i)};
			struct dp_client c = {.client_id = i + 1, .xa = xa};
			struct rec_buf b =
			    rec_make(i + 1, 1000 + i, xa, ip("192.0.2.1"), RSIP_METHOD_RSAP_IP);
			uint16_t port = (uint16_t)(1024 + i);

			rec_set_ports(&b, &port, 1);
			assert_int_equal(dpx_client_add(x, &c), 0);
			assert_int_equal(dpx_binding_add(x, &b.r), 0);
		}
		if (pass) {
			struct rec_buf c9 = rec_make(10, 1009, (struct in_addr){htonl(0x0a010009u)},
						     ip("192.0.2.1"), RSIP_METHOD_RSAP_IP);
			uint16_t port9 = 1024 + 9;
			struct dp_binding_stats s9;

			fake_maps_reset_writes(f);
			assert_int_equal(dpx_restore_end(x), 2);
			/* the missing entry, and the zeroed slot of its binding,
			 * whose live slot went with the entry */
			assert_int_equal(fake_maps_writes(f), 3 + 1);
			/* The counting binding kept its slot, so its counts. */
			rec_set_ports(&c9, &port9, 1);
			assert_int_equal(dpx_binding_stats(x, &c9.r, &s9), 0);
			assert_int_equal(s9.packets_in, 100);
			assert_int_equal(s9.bytes_in, 10000);
		} else {
			/* While rsipd is away: one entry lost, one counting. */
			assert_int_equal(fake_maps_ops(f)->delete (f, m.ports, &missing), 0);
			assert_int_equal(fake_maps_ops(f)->lookup(f, m.ports, &counted, &t), 0);
			struct rsip_bind_stats percpu[2] = {{99, 9900}, {1, 100}};

			t.seen = rsip_seen_at(99, 9900ull << RSIP_SEEN_SHIFT);
			assert_int_equal(
			    fake_maps_ops(f)->update(f, m.ports, &counted, &t, BPF_ANY), 0);
			assert_int_equal(fake_maps_ops(f)->update(f, m.bind_stats, &t.stat_slot,
								  percpu, BPF_ANY),
					 0);
		}
		dpx_free(x);
	}
	assert_int_equal(fake_map_count(f, m.clients), N - 1);
	assert_int_equal(fake_map_count(f, m.ports), N - 1);
	assert_int_equal(fake_maps_ops(f)->lookup(f, m.ports, &missing, &t), 0);
	assert_int_equal(t.bind_id, 1000 + 7);
	assert_int_equal(fake_maps_ops(f)->lookup(f, m.ports, &counted, &t), 0);
	assert_int_equal(t.bind_id, 1000 + 9);
	assert_int_equal(t.seen.jiffies, 99);
	assert_int_equal(rsip_seen_ns(&t.seen), 9900ull << RSIP_SEEN_SHIFT);
	fake_maps_free(f);
}

/* A first start: the maps are empty, so every claim is written as it is
 * (one client and one port entry a host), and the counter slots are zeroed
 * only when rsip_bind_stats is not new (a new one holds zeros, as the fake's
 * does). */
static void test_restore_first_start(void **state)
{
	enum { N = 300 };

	(void)state;
	for (int fresh = 0; fresh < 2; fresh++) {
		struct fake_maps *f = fake_maps_new();
		struct dpx_config cfg = {.spi_block_shift = SHIFT, .cookie_cap = 8, .ncpus = 2};
		struct dpx_maps m;
		struct dpx *x;

		fake_maps_dpx(f, &m, 2 * N + 16, 2);
		fake_maps_enable_batch(f);
		m.bind_stats_new = fresh;
		cfg.ops = fake_maps_ops(f);
		x = dpx_new(&m, &cfg);
		assert_non_null(x);
		dpx_restore_begin(x);
		assert_int_equal(dpx_nb_add(x, ip("192.0.2.1")), 0);
		for (uint32_t i = 0; i < N; i++) {
			struct in_addr xa = {.s_addr = htonl(0x0a020000u + i)};
			struct dp_client c = {.client_id = i + 1, .xa = xa};
			struct rec_buf b =
			    rec_make(i + 1, 2000 + i, xa, ip("192.0.2.1"), RSIP_METHOD_RSAP_IP);
			uint16_t port = (uint16_t)(2048 + i);

			rec_set_ports(&b, &port, 1);
			assert_int_equal(dpx_client_add(x, &c), 0);
			assert_int_equal(dpx_binding_add(x, &b.r), 0);
		}
		fake_maps_reset_writes(f);
		assert_int_equal(dpx_restore_end(x), 0);
		/* A client and a port a host; a slot each for the client and
		 * its binding unless the map is new. */
		assert_int_equal(fake_maps_writes(f), fresh ? 2 * N : 4 * N);
		assert_int_equal(fake_map_count(f, m.clients), N);
		assert_int_equal(fake_map_count(f, m.ports), N);
		for (uint32_t i = 0; i < N; i += 37) {
			struct rsip_port_key k = {.nb = ip("192.0.2.1").s_addr,
						  .port = htons((uint16_t)(2048 + i))};
			struct rsip_target t;

			assert_int_equal(fake_maps_ops(f)->lookup(f, m.ports, &k, &t), 0);
			assert_int_equal(t.bind_id, 2000 + i);
			assert_int_equal(t.xa, htonl(0x0a020000u + i));
			assert_int_not_equal(t.stat_slot, 0);
		}
		dpx_free(x);
		fake_maps_free(f);
	}
}

static void test_stats_and_counters(void **state)
{
	struct fx *fx = *state;
	static const uint16_t ports[] = {1024, 1025};
	struct rec_buf b = binding(1, 100, "10.0.0.11", "192.0.2.1", RSIP_METHOD_RSAP_IP);
	struct dp_binding_stats s;
	struct rsip_client cv;
	struct rsip_target t;
	uint64_t percpu[2] = {3, 4}, out[RSIP_CNT_MAX];
	uint32_t k = RSIP_CNT_WAN_TX_ESP;

	add_client(fx, 1, "10.0.0.11", MAC1);
	rec_set_ports(&b, ports, 2);
	assert_int_equal(dpx_binding_add(fx->x, &b.r), 0);
	for (int i = 0; i < 2; i++) {
		struct rsip_port_key pk = {.nb = ip("192.0.2.1").s_addr, .port = htons(ports[i])};

		assert_int_equal(get_port(fx, "192.0.2.1", ports[i], &t), 0);
		/* 5 and 10 units of 2^30 ns, the second 12345 ns into its unit */
		t.seen = rsip_seen_at(0, ((i + 1) * 5ull << RSIP_SEEN_SHIFT) + (uint64_t)i * 12345);
		assert_int_equal(put(fx, fx->m.ports, &pk, &t), 0);
	}
	/* Both ports count in the binding's one slot, per CPU. */
	assert_int_equal(put(fx, fx->m.bind_stats, &t.stat_slot,
			     (struct rsip_bind_stats[2]){{10, 1000}, {11, 1000}}),
			 0);
	/* The client's traffic out in its own slot, per CPU. */
	assert_int_equal(get_client(fx, "10.0.0.11", &cv), 0);
	assert_true(cv.stat_slot != 0 && cv.stat_slot != t.stat_slot);
	assert_int_equal(put(fx, fx->m.bind_stats, &cv.stat_slot,
			     (struct rsip_bind_stats[2]){{3, 300}, {4, 400}}),
			 0);
	cv.seen = rsip_seen_at(0, 1ull << RSIP_SEEN_SHIFT);
	assert_int_equal(put(fx, fx->m.clients, &b.r.xa.s_addr, &cv), 0);
	assert_int_equal(dpx_binding_stats(fx->x, &b.r, &s), 0);
	assert_int_equal(s.packets_in, 21);
	assert_int_equal(s.bytes_in, 2000);
	assert_int_equal(s.packets_out, 7);
	assert_int_equal(s.bytes_out, 700);
	assert_int_equal(s.last_seen_ms, 10737); /* 10 * 2^30 ns, rounded down */

	assert_int_equal(put(fx, fx->m.stats, &k, percpu), 0);
	assert_int_equal(dpx_counters(fx->x, out), 0);
	assert_int_equal(out[RSIP_CNT_WAN_TX_ESP], 7);
	assert_int_equal(out[RSIP_CNT_WAN_TX_AH], 0);
}

static void test_sweep(void **state)
{
	struct fx *fx = *state;
	const uint64_t sec = 1000000000ull, now = 1000 * sec;
	struct rsip_target t = {.xa = ip("10.0.0.11").s_addr, .flags = RSIP_TF_LEARNED};
	struct rsip_ike_key ik = {.nb = ip("192.0.2.1").s_addr, .port = htons(500)};
	struct rsip_icmp_key ck = {.nb = ip("192.0.2.1").s_addr, .id = htons(9)};
	struct rsip_out_key ok = {.peer = ip("198.51.100.7").s_addr, .spi = htonl(0x5000)};
	struct rsip_out_val ov = {.xa = ip("10.0.0.11").s_addr, .seen = seen_at(now - 500 * sec)};
	struct dpx_sweep_result r;
	struct rsip_client cv;

	add_client(fx, 1, "10.0.0.11", MAC1);
	assert_int_equal(get_client(fx, "10.0.0.11", &cv), 0);
	cv.cookies = 3 + RSIP_LEARNED_OUT_SPI; /* 3 cookies/ids, 1 outbound SPI */
	assert_int_equal(put(fx, fx->m.clients, &ik.nb, &cv), 0); /* key: any 4 bytes */
	{
		__be32 xa = ip("10.0.0.11").s_addr;

		assert_int_equal(put(fx, fx->m.clients, &xa, &cv), 0);
	}
	/* Two idle cookies (one just past the 300 s), two fresh ones (one
	 * 298 s old: the time stamp's rounding down to 2^30 ns adds at most
	 * 1.07 s), one idle echo id, one idle out SPI. */
	t.seen = seen_at(now - 400 * sec);
	ik.cookie[0] = 1;
	assert_int_equal(put(fx, fx->m.ike, &ik, &t), 0);
	t.seen = seen_at(now - 301 * sec);
	ik.cookie[0] = 2;
	assert_int_equal(put(fx, fx->m.ike, &ik, &t), 0);
	t.seen = seen_at(now - 10 * sec);
	ik.cookie[0] = 3;
	assert_int_equal(put(fx, fx->m.ike, &ik, &t), 0);
	t.seen = seen_at(now - 298 * sec);
	ik.cookie[0] = 5;
	assert_int_equal(put(fx, fx->m.ike, &ik, &t), 0);
	t.seen = seen_at(now - 400 * sec);
	assert_int_equal(put(fx, fx->m.icmp_id, &ck, &t), 0);
	assert_int_equal(put(fx, fx->m.out_spi, &ok, &ov), 0);
	/* A binding-owned (not learned) entry is never swept. */
	ik.cookie[0] = 4;
	t.flags = 0;
	assert_int_equal(put(fx, fx->m.ike, &ik, &t), 0);

	assert_int_equal(dpx_sweep(fx->x, now, 300 * sec, &r), 0);
	assert_int_equal(r.cookies, 2);
	assert_int_equal(r.icmp_ids, 1);
	assert_int_equal(r.out_spis, 1);
	assert_int_equal(fake_map_count(fx->f, fx->m.ike), 3);
	assert_int_equal(fake_map_count(fx->f, fx->m.icmp_id), 0);
	assert_int_equal(fake_map_count(fx->f, fx->m.out_spi), 0);
	assert_int_equal(get_client(fx, "10.0.0.11", &cv), 0);
	assert_int_equal(cv.cookies, 0); /* 3 - 3 (floored) and 1 - 1 */
}

/* An idle fan-out mark (xa 0: rsipd wrote it, no client owns it yet) swept
 * before a client's idle cookies: each cookie still comes off that client's
 * count (the per-client tally once merged them into the mark's). */
static void test_sweep_fanout_mark_first(void **state)
{
	struct fx *fx = *state;
	const uint64_t sec = 1000000000ull, now = 1000 * sec;
	struct rsip_target mark = {.flags = RSIP_TF_LEARNED | RSIP_TF_IKE_FANOUT,
				   .seen = seen_at(now - 400 * sec)};
	struct rsip_target t = {.xa = ip("10.0.0.11").s_addr,
				.flags = RSIP_TF_LEARNED,
				.seen = seen_at(now - 400 * sec)};
	struct rsip_ike_key ik = {.nb = ip("192.0.2.1").s_addr, .port = htons(500)};
	__be32 xa = ip("10.0.0.11").s_addr;
	struct dpx_sweep_result r;
	struct rsip_client cv;

	add_client(fx, 1, "10.0.0.11", MAC1);
	assert_int_equal(get_client(fx, "10.0.0.11", &cv), 0);
	cv.cookies = 2;
	assert_int_equal(put(fx, fx->m.clients, &xa, &cv), 0);
	ik.cookie[0] = 1;
	assert_int_equal(put(fx, fx->m.ike, &ik, &mark), 0);
	for (uint8_t i = 2; i <= 3; i++) {
		ik.cookie[0] = i;
		assert_int_equal(put(fx, fx->m.ike, &ik, &t), 0);
	}
	assert_int_equal(dpx_sweep(fx->x, now, 300 * sec, &r), 0);
	assert_int_equal(r.cookies, 3);
	assert_int_equal(fake_map_count(fx->f, fx->m.ike), 0);
	assert_int_equal(get_client(fx, "10.0.0.11", &cv), 0);
	assert_int_equal(cv.cookies, 0);
}

/* What rsip_lan does when the client uses its idle cookie again between the
 * sweep's batch read and its delete: refresh the time stamp. */
struct touch_ctx {
	struct fx *fx;
	struct rsip_ike_key key;
	uint64_t now_ns;
};

static void touch_cookie(void *arg)
{
	struct touch_ctx *c = arg;
	struct rsip_target t;

	if (fake_maps_ops(c->fx->f)->lookup(c->fx->f, c->fx->m.ike, &c->key, &t))
		return;
	t.seen = seen_at(c->now_ns);
	assert_int_equal(put(c->fx, c->fx->m.ike, &c->key, &t), 0);
}

static void test_sweep_rechecks_live_value(void **state)
{
	struct fx *fx = *state;
	const uint64_t sec = 1000000000ull, now = 1000 * sec;
	struct rsip_target t = {.xa = ip("10.0.0.11").s_addr, .flags = RSIP_TF_LEARNED};
	struct touch_ctx c = {.fx = fx, .now_ns = now - sec};
	struct dpx_sweep_result r;
	struct rsip_seen want;

	fake_maps_enable_batch(fx->f);
	add_client(fx, 1, "10.0.0.11", MAC1);
	c.key.nb = ip("192.0.2.1").s_addr;
	c.key.port = htons(500);
	t.seen = seen_at(now - 400 * sec);
	for (uint8_t i = 1; i <= 7; i++) {
		c.key.cookie[0] = i;
		assert_int_equal(put(fx, fx->m.ike, &c.key, &t), 0);
	}
	/* Cookie 1 is used again right after the sweep's batch read it (idle
	 * then). */
	c.key.cookie[0] = 1;
	fake_maps_after_batch(fx->f, touch_cookie, &c);
	assert_int_equal(dpx_sweep(fx->x, now, 300 * sec, &r), 0);
	fake_maps_after_batch(fx->f, NULL, NULL);
	assert_int_equal(r.cookies, 6);
	assert_int_equal(fake_map_count(fx->f, fx->m.ike), 1);
	assert_int_equal(fake_maps_ops(fx->f)->lookup(fx->f, fx->m.ike, &c.key, &t), 0);
	want = seen_at(now - sec);
	assert_true(rsip_seen_ns(&t.seen) == rsip_seen_ns(&want));
}

static void test_client_del_takes_everything(void **state)
{
	struct fx *fx = *state;
	static const uint16_t ports[] = {1024};
	struct rec_buf b = binding(1, 100, "10.0.0.11", "192.0.2.1", RSIP_METHOD_RSAP_IP);
	struct dp_client c = client(1, "10.0.0.11"), wrong = client(2, "10.0.0.11");
	struct rsip_target t = {.xa = ip("10.0.0.11").s_addr, .flags = RSIP_TF_LEARNED};
	struct rsip_target other = {.xa = ip("10.0.0.12").s_addr, .flags = RSIP_TF_LEARNED};
	struct rsip_icmp_key ck = {.nb = ip("192.0.2.1").s_addr, .id = htons(9)};
	struct rsip_out_key ok = {.peer = ip("198.51.100.7").s_addr, .spi = htonl(0x5000)};
	struct rsip_out_val ov = {.xa = ip("10.0.0.11").s_addr, .seen = seen_at(dpx_now_ns())};

	add_client(fx, 1, "10.0.0.11", MAC1);
	rec_set_ports(&b, ports, 1);
	assert_int_equal(dpx_binding_add(fx->x, &b.r), 0);
	assert_int_equal(put(fx, fx->m.icmp_id, &ck, &t), 0);
	ck.id = htons(10);
	assert_int_equal(put(fx, fx->m.icmp_id, &ck, &other), 0);
	assert_int_equal(put(fx, fx->m.out_spi, &ok, &ov), 0);
	set_cookies(fx, "10.0.0.11", 1); /* as the LAN program counts */
	assert_int_equal(dpx_client_del(fx->x, &wrong), -ENOENT);
	assert_int_equal(dpx_client_del(fx->x, &c), 0);
	assert_int_equal(fake_map_count(fx->f, fx->m.ports), 0);
	assert_int_equal(fake_map_count(fx->f, fx->m.clients), 0);
	assert_int_equal(fake_map_count(fx->f, fx->m.icmp_id), 1); /* the other client's */
	assert_int_equal(fake_map_count(fx->f, fx->m.out_spi), 1); /* left to the sweep */
	/* ... which takes it at once, fresh as it is: its host is gone. A
	 * fresh outbound SPI of a live host stays. */
	{
		struct dpx_sweep_result r;
		struct rsip_out_key ok2 = {.peer = ip("198.51.100.7").s_addr, .spi = htonl(0x6000)};
		struct rsip_out_val ov2 = {.xa = ip("10.0.0.12").s_addr,
					   .seen = seen_at(dpx_now_ns())};

		add_client(fx, 2, "10.0.0.12", MAC2);
		assert_int_equal(put(fx, fx->m.out_spi, &ok2, &ov2), 0);
		assert_int_equal(dpx_sweep(fx->x, dpx_now_ns(), 300000000000ull, &r), 0);
		assert_int_equal(r.out_spis, 1);
		assert_int_equal(fake_map_count(fx->f, fx->m.out_spi), 1);
		assert_int_equal(fake_maps_ops(fx->f)->lookup(fx->f, fx->m.out_spi, &ok2, &ov2), 0);
	}
	assert_int_equal(dpx_client_del(fx->x, &c), -ENOENT);
	/* Its bind id is free again. */
	add_client(fx, 1, "10.0.0.11", MAC1);
	assert_int_equal(dpx_binding_add(fx->x, &b.r), 0);
}

/* l's IKE key with another Nb (0: the same) and first cookie byte (the key
 * sits unaligned in struct dp_learned: copied, never cast). */
static void ike_key_set(struct dp_learned *l, const char *nb, int cookie0)
{
	struct rsip_ike_key k;

	memcpy(&k, l->key, sizeof(k));
	if (nb)
		k.nb = ip(nb).s_addr;
	if (cookie0 >= 0)
		k.cookie[0] = (uint8_t)cookie0;
	else
		memset(k.cookie, 0, sizeof(k.cookie));
	memcpy(l->key, &k, sizeof(k));
}

static void collect_learned(const struct dp_learned *l, void *arg)
{
	struct dp_learned *out = arg;
	size_t i = 0;

	while (out[i].kind)
		i++;
	assert_true(i < 7);
	out[i] = *l;
}

/* A cluster's mirror (docs/cluster.md "Learned entries"): entries written
 * from outside are checked against their host, charged to its count (and
 * its cap), listed back, and deleted only when they are that host's. */
/* Learned counts change only through the rsip_learned program: map
 * operations that cannot run it are refused at dpx_new, not found out at
 * the first sweep. */
static void test_ops_without_learned_add(void **state)
{
	struct fx *fx = *state;
	struct dpx_map_ops ops = *fake_maps_ops(fx->f);
	struct dpx_config cfg = {
	    .spi_block_shift = SHIFT, .cookie_cap = 8, .ncpus = 2, .ops = &ops};

	ops.learned_add = NULL;
	assert_null(dpx_new(&fx->m, &cfg));
}

/* l's IKE entry is in rsip_ike as host 1's (10.0.0.11, MAC1, LAN ifindex
 * 7), learned, its peer l->remote, charged once to host 1; *t is the entry. */
static void assert_learned_ike_of_host1(struct fx *fx, const struct rsip_ike_key *ik,
					const struct dp_learned *l, struct rsip_target *t)
{
	struct rsip_client cv;

	assert_int_equal(fake_maps_ops(fx->f)->lookup(fx->f, fx->m.ike, ik, t), 0);
	assert_int_equal(t->xa, l->xa.s_addr);
	assert_memory_equal(t->mac, MAC1, 6);
	assert_int_equal(t->lan_ifindex, 7);
	assert_int_equal(t->flags, RSIP_TF_LEARNED);
	assert_int_equal(t->remote, l->remote.s_addr);
	assert_int_equal(get_client(fx, "10.0.0.11", &cv), 0);
	assert_int_equal(cv.cookies, 1);
}

static void test_learned_from_outside(void **state)
{
	struct fx *fx = *state;
	static const uint32_t spis[] = {0x5001};
	struct rec_buf b = binding(1, 100, "10.0.0.11", "192.0.2.1", RSIP_METHOD_RSIPSEC);
	struct rsip_ike_key ik = {.nb = ip("192.0.2.1").s_addr, .port = htons(500)};
	struct rsip_out_key ok = {.peer = ip("198.51.100.7").s_addr, .spi = htonl(0x7000)};
	struct dp_learned l = {.kind = DP_LEARNED_IKE,
			       .klen = sizeof(ik),
			       .client_id = 1,
			       .xa = ip("10.0.0.11"),
			       .tunnel = RSIP_DP_TUNNEL_IPIP,
			       .remote = ip("198.51.100.7")},
			  bad, o = {.kind = DP_LEARNED_OUT_SPI, .klen = sizeof(ok), .client_id = 1};
	struct dp_learned listed[8] = {0};
	struct rsip_client cv;
	struct rsip_target t;
	struct rsip_seen before;

	add_client(fx, 1, "10.0.0.11", MAC1);
	add_client(fx, 2, "10.0.0.12", MAC2);
	rec_set_spis(&b, spis, 1);
	assert_int_equal(dpx_binding_add(fx->x, &b.r), 0);
	memset(ik.cookie, 0xc1, sizeof(ik.cookie));
	memcpy(l.key, &ik, sizeof(ik));

	assert_int_equal(dpx_learned_put(fx->x, &l, NULL), 0);
	assert_learned_ike_of_host1(fx, &ik, &l, &t);
	/* Again (a standby's periodic rewrite): in place, not charged twice,
	 * its packet counters kept, seen now (its own sweep must not expire
	 * it). */
	t.seen = rsip_seen_at(42, 0);
	before = seen_at(dpx_now_ns());
	assert_int_equal(put(fx, fx->m.ike, &ik, &t), 0);
	assert_int_equal(dpx_learned_put(fx->x, &l, NULL), 0);
	assert_int_equal(get_client(fx, "10.0.0.11", &cv), 0);
	assert_int_equal(cv.cookies, 1);
	assert_int_equal(fake_maps_ops(fx->f)->lookup(fx->f, fx->m.ike, &ik, &t), 0);
	assert_true(t.seen.sec > 0 && rsip_seen_ns(&t.seen) >= rsip_seen_ns(&before));
	assert_int_equal(t.seen.jiffies, 42);

	/* Refused, nothing written: another Client ID at that address, an
	 * unknown host, another Nb, a tunnel it did not lease, a host without
	 * RSIPSEC, a zero cookie. */
	bad = l;
	bad.client_id = 9;
	assert_int_equal(dpx_learned_put(fx->x, &bad, NULL), -ENOENT);
	bad = l;
	bad.xa = ip("10.0.0.99");
	assert_int_equal(dpx_learned_put(fx->x, &bad, NULL), -ENOENT);
	bad = l;
	ike_key_set(&bad, "192.0.2.2", 2);
	assert_int_equal(dpx_learned_put(fx->x, &bad, NULL), -EINVAL);
	bad = l;
	bad.tunnel = RSIP_DP_TUNNEL_GRE;
	ike_key_set(&bad, NULL, 3);
	assert_int_equal(dpx_learned_put(fx->x, &bad, NULL), -EINVAL);
	bad = l;
	bad.client_id = 2;
	bad.xa = ip("10.0.0.12");
	ike_key_set(&bad, NULL, 4);
	assert_int_equal(dpx_learned_put(fx->x, &bad, NULL), -EINVAL);
	bad = l;
	ike_key_set(&bad, NULL, -1);
	assert_int_equal(dpx_learned_put(fx->x, &bad, NULL), -EINVAL);
	assert_int_equal(fake_map_count(fx->f, fx->m.ike), 1);

	/* An outbound SPI: the other half of the count. */
	memcpy(o.key, &ok, sizeof(ok));
	o.xa = l.xa;
	assert_int_equal(dpx_learned_put(fx->x, &o, NULL), 0);
	assert_int_equal(get_client(fx, "10.0.0.11", &cv), 0);
	assert_int_equal(cv.cookies, 1 + RSIP_LEARNED_OUT_SPI);

	/* Listed back, with the host's Client ID. */
	assert_int_equal(dpx_learned_list(fx->x, collect_learned, listed), 0);
	assert_int_equal(listed[0].kind, DP_LEARNED_IKE);
	assert_memory_equal(listed[0].key, &ik, sizeof(ik));
	assert_int_equal(listed[0].client_id, 1);
	assert_int_equal(listed[0].tunnel, RSIP_DP_TUNNEL_IPIP);
	assert_int_equal(listed[1].kind, DP_LEARNED_OUT_SPI);
	assert_int_equal(listed[1].xa.s_addr, l.xa.s_addr);
	assert_int_equal(listed[2].kind, 0);

	/* The cap: a host that holds cookie_cap (8) learns no more. */
	set_cookies(fx, "10.0.0.11", 8 + RSIP_LEARNED_OUT_SPI);
	bad = l;
	ike_key_set(&bad, NULL, 5);
	assert_int_equal(dpx_learned_put(fx->x, &bad, NULL), -EDQUOT);
	set_cookies(fx, "10.0.0.11", 1 + RSIP_LEARNED_OUT_SPI);

	/* Deleted only as that host's; taken off its count. */
	bad = l;
	bad.xa = ip("10.0.0.12");
	assert_int_equal(dpx_learned_del(fx->x, &bad), 0);
	assert_int_equal(fake_map_count(fx->f, fx->m.ike), 1);
	assert_int_equal(dpx_learned_del(fx->x, &l), 0);
	assert_int_equal(dpx_learned_del(fx->x, &o), 0);
	assert_int_equal(fake_map_count(fx->f, fx->m.ike), 0);
	assert_int_equal(fake_map_count(fx->f, fx->m.out_spi), 0);
	assert_int_equal(get_client(fx, "10.0.0.11", &cv), 0);
	assert_int_equal(cv.cookies, 0);

	/* During a restart's restore: not now. */
	dpx_restore_begin(fx->x);
	assert_int_equal(dpx_learned_put(fx->x, &l, NULL), -EAGAIN);
}

/* l, a peer entry (Nb, port, Y), with port, Y, the key's last four bytes,
 * its kind (the key sits unaligned in struct dp_learned: copied). */
static void peer_key_set(struct dp_learned *l, uint16_t port, const char *y, uint32_t tail,
			 uint16_t kind)
{
	struct rsip_ike_key k;
	__be32 a = ip(y).s_addr;

	memcpy(&k, l->key, sizeof(k));
	k.port = htons(port);
	k.kind = kind;
	memcpy(k.cookie, &a, sizeof(a));
	memcpy(k.cookie + sizeof(a), &tail, sizeof(tail));
	memcpy(l->key, &k, sizeof(k));
}

/* l refused as not fitting (-EINVAL), with a reason that says so, and
 * nothing written: the map and the host's count as they were. */
static void refused(struct fx *fx, const struct dp_learned *l, const char *reason)
{
	const char *why = NULL;
	size_t n = fake_map_count(fx->f, fx->m.ike);
	struct rsip_client before, after;

	assert_int_equal(get_client(fx, "10.0.0.11", &before), 0);
	assert_int_equal(dpx_learned_put(fx->x, l, &why), -EINVAL);
	assert_non_null(why);
	if (!strstr(why, reason))
		fail_msg("refused for \"%s\", expected \"%s\"", why, reason);
	assert_int_equal(fake_map_count(fx->f, fx->m.ike), n);
	assert_int_equal(get_client(fx, "10.0.0.11", &after), 0);
	assert_int_equal(after.cookies, before.cookies);
}

/* The IKE peer entries (Nb, port, Y) across a cluster (docs/cluster.md
 * "Learned entries"): written from outside as the LAN program writes them
 * (rules/lan.h lan_ike_peer), several hosts or one; the same host's again
 * in place and charged once; listed back with "several"; a fan-out in
 * progress never listed; rows the LAN rules could never have written
 * refused, each with its reason, nothing written. */
static void test_learned_peer_from_outside(void **state)
{
	struct fx *fx = *state;
	static const uint32_t spis[] = {0x5001};
	struct rec_buf b = binding(1, 100, "10.0.0.11", "192.0.2.1", RSIP_METHOD_RSIPSEC);
	struct rsip_ike_key ik = {.nb = ip("192.0.2.1").s_addr}, fk;
	struct rsip_target t, mark = {.flags = RSIP_TF_LEARNED | RSIP_TF_IKE_FANOUT};
	struct dp_learned l = {.kind = DP_LEARNED_IKE,
			       .klen = sizeof(ik),
			       .client_id = 1,
			       .xa = ip("10.0.0.11"),
			       .tunnel = RSIP_DP_TUNNEL_IPIP,
			       .remote = ip("198.51.100.7")},
			  bad, l4500;
	struct dp_learned listed[8] = {0};
	struct rsip_client cv;
	const char *why = NULL;

	add_client(fx, 1, "10.0.0.11", MAC1);
	add_client(fx, 2, "10.0.0.12", MAC2);
	rec_set_spis(&b, spis, 1);
	assert_int_equal(dpx_binding_add(fx->x, &b.r), 0);
	memcpy(l.key, &ik, sizeof(ik));
	peer_key_set(&l, 500, "198.51.100.7", 0, RSIP_IKE_KIND_PEER);
	memcpy(&ik, l.key, sizeof(ik));

	/* One host talks IKE with Y: its target, charged once. */
	assert_int_equal(dpx_learned_put(fx->x, &l, &why), 0);
	assert_learned_ike_of_host1(fx, &ik, &l, &t);

	/* Several now: the same key, the same host named, rewritten in place
	 * (counters kept), no second entry, not charged again. */
	t.seen.jiffies = 42;
	assert_int_equal(put(fx, fx->m.ike, &ik, &t), 0);
	l.several = true;
	assert_int_equal(dpx_learned_put(fx->x, &l, NULL), 0);
	assert_int_equal(fake_maps_ops(fx->f)->lookup(fx->f, fx->m.ike, &ik, &t), 0);
	assert_int_equal(t.flags, RSIP_TF_LEARNED | RSIP_TF_IKE_SEVERAL);
	assert_int_equal(t.seen.jiffies, 42);
	assert_int_equal(fake_map_count(fx->f, fx->m.ike), 1);
	assert_int_equal(get_client(fx, "10.0.0.11", &cv), 0);
	assert_int_equal(cv.cookies, 1);

	/* 4500 too (the host's IKE floated, or lan_ike_leased): a second entry. */
	l4500 = l;
	l4500.several = false;
	peer_key_set(&l4500, 4500, "198.51.100.7", 0, RSIP_IKE_KIND_PEER);
	assert_int_equal(dpx_learned_put(fx->x, &l4500, NULL), 0);
	assert_int_equal(get_client(fx, "10.0.0.11", &cv), 0);
	assert_int_equal(cv.cookies, 2);

	/* A fan-out in progress (rsipd's mark, no host; here even one naming
	 * the host): never listed. */
	fk = ik;
	fk.kind = RSIP_IKE_KIND_COOKIE;
	memset(fk.cookie, 0xfa, sizeof(fk.cookie));
	assert_int_equal(put(fx, fx->m.ike, &fk, &mark), 0);
	fk.cookie[0] = 0xfb;
	mark.xa = l.xa.s_addr;
	assert_int_equal(put(fx, fx->m.ike, &fk, &mark), 0);

	/* Listed back: both peer entries, "several" as written, the host's
	 * Client ID; not the marks. */
	assert_int_equal(dpx_learned_list(fx->x, collect_learned, listed), 0);
	assert_int_equal(listed[2].kind, 0);
	for (int i = 0; i < 2; i++) {
		const struct dp_learned *want =
		    memcmp(listed[i].key, l.key, sizeof(ik)) ? &l4500 : &l;

		assert_int_equal(listed[i].kind, DP_LEARNED_IKE);
		assert_memory_equal(listed[i].key, want->key, sizeof(ik));
		assert_int_equal(listed[i].several, want->several);
		assert_int_equal(listed[i].client_id, 1);
		assert_int_equal(listed[i].remote.s_addr, l.remote.s_addr);
		assert_int_equal(listed[i].tunnel, RSIP_DP_TUNNEL_IPIP);
	}

	/* Refused like wire input, each with its reason, nothing written. */
	bad = l;
	peer_key_set(&bad, 4501, "198.51.100.7", 0, RSIP_IKE_KIND_PEER);
	refused(fx, &bad, "port not 500 or 4500");
	bad = l;
	peer_key_set(&bad, 0, "198.51.100.7", 0, RSIP_IKE_KIND_PEER);
	refused(fx, &bad, "port not 500 or 4500");
	static const char *const not_unicast[] = {"0.0.0.0",   "255.255.255.255", "224.0.0.5",
						  "239.1.2.3", "127.0.0.1",	  "240.0.0.1"};
	for (size_t i = 0; i < sizeof(not_unicast) / sizeof(not_unicast[0]); i++) {
		bad = l;
		bad.remote = ip(not_unicast[i]);
		peer_key_set(&bad, 500, not_unicast[i], 0, RSIP_IKE_KIND_PEER);
		refused(fx, &bad, "not a unicast address");
	}
	bad = l;
	bad.remote = ip("198.51.100.8");
	refused(fx, &bad, "remote is not the key's peer Y");
	bad = l;
	peer_key_set(&bad, 500, "198.51.100.7", 1, RSIP_IKE_KIND_PEER);
	refused(fx, &bad, "peer key not Y then zeros");
	bad = l;
	peer_key_set(&bad, 500, "198.51.100.7", 0, 2);
	refused(fx, &bad, "unknown IKE entry kind");
	bad = l;
	memcpy(&fk, bad.key, sizeof(fk));
	fk.nb = ip("192.0.2.2").s_addr;
	memcpy(bad.key, &fk, sizeof(fk));
	refused(fx, &bad, "not on its host's Nb");
	bad = l;
	bad.tunnel = RSIP_DP_TUNNEL_GRE;
	peer_key_set(&bad, 500, "198.51.100.9", 0, RSIP_IKE_KIND_PEER);
	bad.remote = ip("198.51.100.9");
	refused(fx, &bad, "a tunnel its host did not lease");
	bad = l; /* a cookie too: the rules learn IKE on 500 and 4500 only */
	bad.several = false;
	peer_key_set(&bad, 4501, "198.51.100.7", 0, RSIP_IKE_KIND_COOKIE);
	refused(fx, &bad, "port not 500 or 4500");
	bad = l; /* "several" belongs to peer entries: a cookie never names several */
	peer_key_set(&bad, 500, "198.51.100.7", 0, RSIP_IKE_KIND_COOKIE);
	refused(fx, &bad, "several hosts named on a cookie");
	bad = l; /* a host without RSIPSEC (and no Nb of its own) */
	bad.client_id = 2;
	bad.xa = ip("10.0.0.12");
	refused(fx, &bad, "not on its host's Nb");
	bad = l;
	bad.client_id = 9;
	assert_int_equal(dpx_learned_put(fx->x, &bad, NULL), -ENOENT);

	/* The cap bounds peer entries as it bounds cookies. */
	set_cookies(fx, "10.0.0.11", 8);
	bad = l;
	peer_key_set(&bad, 500, "198.51.100.9", 0, RSIP_IKE_KIND_PEER);
	bad.remote = ip("198.51.100.9");
	assert_int_equal(dpx_learned_put(fx->x, &bad, NULL), -EDQUOT);
	set_cookies(fx, "10.0.0.11", 2);

	/* Deleted as that host's, taken off its count. */
	assert_int_equal(dpx_learned_del(fx->x, &l), 0);
	assert_int_equal(dpx_learned_del(fx->x, &l4500), 0);
	assert_int_equal(fake_map_count(fx->f, fx->m.ike), 2); /* the two marks */
	assert_int_equal(get_client(fx, "10.0.0.11", &cv), 0);
	assert_int_equal(cv.cookies, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_client_and_ports, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_bindings, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nb_filter, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_whole_address, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_spi_block_shared, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_spi_block_split, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_full_map_all_or_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rollback_on_any_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_link_rewrites_keeping_counters, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_restore_without_rewrites, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restore_prunes_stale_whole, setup, teardown),
	    cmocka_unit_test(test_restore_batches),
	    cmocka_unit_test(test_restore_first_start),
	    cmocka_unit_test_setup_teardown(test_stats_and_counters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sweep_rechecks_live_value, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sweep_fanout_mark_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_client_del_takes_everything, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_learned_from_outside, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_learned_peer_from_outside, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ops_without_learned_add, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
