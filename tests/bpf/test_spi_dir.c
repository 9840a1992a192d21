// SPDX-License-Identifier: BSD-2-Clause
/*
 * The SPI directory against the hash demux it replaces (issue 11 item 1): on
 * random binding tables, filled through dpx into two loaded objects (one
 * with the directory, one with owned blocks in rsip_spi_blk), every random
 * ESP, AH and UDP-ESP packet gets the same XDP action and the same output
 * frame (so the same target) from both, and rsipd's slow path, over the
 * directory's maps, decides as it does over the hash maps.
 *
 * One difference is by design and checked as such: a block whose slot is not
 * in its Nb's partition (restored from another key, a full partition) is
 * carried as single SPIs, so an SPI of it that no binding leased is dropped
 * (DROP_NO_SPI) where the hash demux delivered it to the block's owner.
 *
 * The tables mix blocks in their Nb's partition, in another Nb's and
 * anywhere, shared blocks whose bindings disagree (split into single SPIs),
 * single SPIs, both tunnel types and remote policies. RSIP_TEST_SEED=n
 * repeats a run (the seed is printed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../lib/bpf_scenario.h"
#include "../lib/rec_build.h"
#include "dp_names.h"
#include "rsip/spi_dir.h"
#include "rsip/wire.h"
#include "slowpath/demux.h"

#define XDP_DROP     1
#define XDP_PASS     2
#define XDP_REDIRECT 4

#define SLOTS	   3072
#define PER_NB	   (SLOTS / 3)
#define NCLIENTS   300
#define NPKTS	   4000
#define MAX_SPIS   (NCLIENTS * 8)
#define MAX_BLKS   (NCLIENTS * 2)
#define BITS	   (32 - FX_SHIFT)
#define NOT_OURS   "198.51.100.50"
#define OTHER_PEER "198.51.100.8"

static const char *const NBS[3] = {FX_NB1, FX_NB2, FX_NB3};

struct blk {
	uint32_t nb, block, xa;
	bool in_dir; /* its slot is its Nb's: the directory carries it */
	bool split;  /* its bindings disagree: single SPIs either way */
};

struct spi_ent {
	uint32_t nb, spi;
};

/* A leased port, and its client (for LAN frames from it). */
struct port_ent {
	uint32_t nb;
	uint16_t port;
	uint32_t client; /* index */
};

struct client {
	uint32_t xa, nb, id;
	uint8_t mac[6];
	int tunnel; /* of its port binding; 0: it has none */
};

static struct bpf_fx on, off;
static struct blk blks[MAX_BLKS];
static struct spi_ent spis[MAX_SPIS];
static struct port_ent ports[NCLIENTS * 3];
static struct client clients[NCLIENTS];
static size_t nblks, nspis, nports;
static uint64_t key;

static uint32_t rnd(void)
{
	return (uint32_t)random();
}

static const struct blk *blk_of(uint32_t nb, uint32_t block)
{
	for (size_t i = 0; i < nblks; i++)
		if (blks[i].nb == nb && blks[i].block == block)
			return &blks[i];
	return NULL;
}

static bool port_leased(uint32_t nb, uint16_t port)
{
	for (size_t i = 0; i < nports; i++)
		if (ports[i].nb == nb && ports[i].port == port)
			return true;
	return false;
}

static bool spi_leased(uint32_t nb, uint32_t spi)
{
	for (size_t i = 0; i < nspis; i++)
		if (spis[i].nb == nb && spis[i].spi == spi)
			return true;
	return false;
}

/* A block for client xa on Nb nbi that nobody owns: mostly in nbi's
 * partition, sometimes in another's or anywhere (then not in the
 * directory). */
static uint32_t new_block(int nbi)
{
	for (;;) {
		uint32_t r = rnd() % 100, block, slot;

		if (r < 70)
			slot = (uint32_t)nbi * PER_NB + rnd() % PER_NB;
		else if (r < 85)
			slot = (uint32_t)((nbi + 1 + rnd() % 2) % 3) * PER_NB + rnd() % PER_NB;
		else
			slot = rnd() & rsip_spi_dir_mask(BITS);
		block = rsip_spi_dir_block(slot, key, BITS);
		if (block != 0 && !blk_of(ip4(NBS[nbi]), block))
			return block;
	}
}

static void add_binding(struct bpf_fx *fx, const struct rec_buf *b)
{
	assert_int_equal(dpx_binding_add(fx->x, &b->r), 0);
}

static void policy(struct rec_buf *b)
{
	uint32_t r = rnd() % 10;

	b->r.tunnel = rnd() % 2 ? RSIP_TUNNEL_IPIP : RSIP_TUNNEL_GRE;
	if (r < 3) {
		b->r.remote_policy = RSIP_FLOW_MACRO;
		b->r.remote.s_addr = ip4(r == 0 ? OTHER_PEER : FX_PEER);
	}
}

/* One client: a block binding, maybe a second binding sharing the block
 * (with its own policy: it may split the block), maybe a single SPI. */
static void add_client(uint32_t i)
{
	int nbi = (int)(rnd() % 3);
	struct in_addr nb = {.s_addr = ip4(NBS[nbi])};
	struct in_addr xa = {.s_addr = htonl(0x0a010000u + i)};
	struct dp_client c = {.client_id = 1000 + i, .xa = xa};
	uint8_t mac[6] = {0x02, 0x10, 0, 0, (uint8_t)(i >> 8), (uint8_t)i};
	uint32_t block = new_block(nbi), s[4], k = 1 + rnd() % 4, base = block << FX_SHIFT;
	struct rec_buf b = rec_make(c.client_id, 10000 + i * 4, xa, nb, RSIP_METHOD_RSIPSEC);
	struct bpf_fx *fx[2] = {&on, &off};
	uint32_t slot = rsip_spi_dir_slot(block, key, BITS);

	for (uint32_t j = 0; j < k; j++)
		s[j] = base + j * 7;
	rec_set_spis(&b, s, (uint16_t)k);
	b.r.has_spi_block = true;
	b.r.spi_block = block;
	policy(&b);
	blks[nblks++] = (struct blk){.nb = nb.s_addr,
				     .block = block,
				     .xa = xa.s_addr,
				     .in_dir = slot < SLOTS && slot / PER_NB == (uint32_t)nbi};
	for (uint32_t j = 0; j < k; j++)
		spis[nspis++] = (struct spi_ent){nb.s_addr, htonl(s[j])};
	for (int f = 0; f < 2; f++) {
		assert_int_equal(dpx_client_add(fx[f]->x, &c), 0);
		assert_int_equal(dpx_client_set_link(fx[f]->x, xa, mac, fx[f]->lan_if), 0);
		add_binding(fx[f], &b);
	}
	if (rnd() % 5 == 0) { /* a second binding with SPIs in the same block */
		struct rec_buf b2 =
		    rec_make(c.client_id, b.r.bind_id + 1, xa, nb, RSIP_METHOD_RSIPSEC);
		uint32_t s2 = base + 200;

		rec_set_spis(&b2, &s2, 1);
		policy(&b2);
		blks[nblks - 1].split = b2.r.tunnel != b.r.tunnel ||
					b2.r.remote_policy != b.r.remote_policy ||
					b2.r.remote.s_addr != b.r.remote.s_addr;
		spis[nspis++] = (struct spi_ent){nb.s_addr, htonl(s2)};
		for (int f = 0; f < 2; f++)
			add_binding(fx[f], &b2);
	}
	clients[i] = (struct client){.xa = xa.s_addr, .nb = nb.s_addr, .id = c.client_id};
	memcpy(clients[i].mac, mac, 6);
	if (rnd() % 10 < 7) { /* a port binding: 1-3 ports nobody else holds on nb */
		struct rec_buf bp =
		    rec_make(c.client_id, b.r.bind_id + 3, xa, nb, RSIP_METHOD_RSAP_IP);
		uint16_t pp[3], n = (uint16_t)(1 + rnd() % 3);

		for (uint16_t j = 0; j < n; j++) {
			do
				pp[j] = (uint16_t)(1024 + rnd() % 64512);
			while (pp[j] == 4500 || port_leased(nb.s_addr, pp[j]));
			ports[nports++] = (struct port_ent){nb.s_addr, pp[j], i};
		}
		rec_set_ports(&bp, pp, n);
		policy(&bp);
		clients[i].tunnel = bp.r.tunnel;
		for (int f = 0; f < 2; f++)
			add_binding(fx[f], &bp);
	}
	if (rnd() % 3 == 0) { /* a single SPI outside every owned block */
		struct rec_buf b3 =
		    rec_make(c.client_id, b.r.bind_id + 2, xa, nb, RSIP_METHOD_RSIPSEC);
		uint32_t s3;

		do
			s3 = 0x100 + rnd() % 0x7fffff00u;
		while (blk_of(nb.s_addr, s3 >> FX_SHIFT) || spi_leased(nb.s_addr, htonl(s3)));
		rec_set_spis(&b3, &s3, 1);
		policy(&b3);
		spis[nspis++] = (struct spi_ent){nb.s_addr, htonl(s3)};
		for (int f = 0; f < 2; f++)
			add_binding(fx[f], &b3);
	}
}

/* A random packet's destination and SPI (network order). */
static void pick(uint32_t *dst, uint32_t *spi)
{
	uint32_t r = rnd() % 100;
	const struct blk *b = &blks[rnd() % nblks];

	*dst = ip4(NBS[rnd() % 3]);
	if (r < 45) { /* a leased SPI */
		const struct spi_ent *e = &spis[rnd() % nspis];

		*dst = e->nb;
		*spi = e->spi;
	} else if (r < 65) { /* anywhere in an owned block */
		*dst = b->nb;
		*spi = htonl(b->block << FX_SHIFT | (rnd() & 0xff));
	} else if (r < 75) { /* an owned block's SPI, to whichever Nb */
		*spi = htonl(b->block << FX_SHIFT | (rnd() & 0xff));
	} else if (r < 90) {
		*spi = htonl(rnd() | 0x100);
	} else {
		*dst = ip4(NOT_OURS);
		*spi = htonl(b->block << FX_SHIFT);
	}
}

static void packet(struct pkt *p, uint32_t dst, uint32_t spi)
{
	char d[INET_ADDRSTRLEN];
	uint32_t r = rnd() % 10;

	inet_ntop(AF_INET, &dst, d, sizeof(d));
	pkt_init(p);
	if (r < 6) {
		pkt_esp(p, ntohl(spi), 1);
		wan_frame(p, FX_PEER, d, IPPROTO_ESP);
	} else if (r < 8) {
		pkt_ah(p, ntohl(spi), 1);
		pkt_zeros(p, 20); /* the protected packet */
		wan_frame(p, FX_PEER, d, IPPROTO_AH);
	} else {
		pkt_esp(p, ntohl(spi), 1);
		pkt_udp(p, 4500, 4500);
		wan_frame(p, FX_PEER, d, IPPROTO_UDP);
	}
}

static void slow(struct bpf_fx *fx, const struct pkt *in, struct slow_result *res);

/* Unleased, in an owned block the directory does not carry: the one place
 * the two differ (see the top). */
static bool by_design(uint32_t dst, uint32_t spi)
{
	const struct blk *b = blk_of(dst, ntohl(spi) >> FX_SHIFT);

	return b && !b->in_dir && !b->split && !spi_leased(dst, spi);
}

static void same_demux(void **state)
{
	uint64_t c_on[RSIP_CNT_MAX], c_off[RSIP_CNT_MAX];
	unsigned int redirect_dir = 0, designed = 0, in_dir = 0, dropped = 0, passed = 0;
	struct pkt in, o_on, o_off;

	for (int i = 0; i < NPKTS; i++) {
		uint32_t dst, spi;
		struct slow_result s_on, s_off;
		const struct blk *b;
		int a_on, a_off;

		pick(&dst, &spi);
		packet(&in, dst, spi);
		a_on = bpf_fx_run(&on, on.wan_prog, on.wan_if, &in, &o_on);
		a_off = bpf_fx_run(&off, off.wan_prog, off.wan_if, &in, &o_off);
		slow(&on, &in, &s_on);
		slow(&off, &in, &s_off);
		b = blk_of(dst, ntohl(spi) >> FX_SHIFT);
		/* Carried as single SPIs, a block's SPIs name their own
		 * bindings; the hash demux's block entry names its oldest
		 * (same client, same tunnel and policy: same frame), and
		 * counts in that binding's slot. */
		if (b && !b->in_dir) {
			s_on.target.bind_id = s_off.target.bind_id = 0;
			s_on.target.stat_slot = s_off.target.stat_slot = 0;
		}
		if (by_design(dst, spi)) {
			designed++;
			/* The hash demux found the block (then sent, or dropped by
			 * its remote policy); the directory has no entry. */
			if (a_on == XDP_DROP && s_on.rule == RSIP_CNT_WAN_DROP_NO_SPI &&
			    (a_off == XDP_REDIRECT ||
			     s_off.rule == RSIP_CNT_WAN_DROP_REMOTE_POLICY))
				continue;
		} else if (a_on == a_off && s_on.verdict == s_off.verdict &&
			   s_on.rule == s_off.rule &&
			   (a_on != XDP_REDIRECT ||
			    (o_on.len == o_off.len && !memcmp(o_on.b, o_off.b, o_on.len))) &&
			   (s_on.verdict != SV_TUNNEL ||
			    !memcmp(&s_on.target, &s_off.target, RSIP_TARGET_CFG_END))) {
			redirect_dir += a_on == XDP_REDIRECT && b && b->in_dir;
			dropped += a_on == XDP_DROP;
			passed += a_on == XDP_PASS;
			continue;
		}
		pkt_hexdump("input", in.b, in.len);
		fail_msg("packet %d to %08x SPI %08x: directory %d (slow %s), hash %d (slow %s)%s",
			 i, ntohl(dst), ntohl(spi), a_on, dp_counter_name(s_on.rule), a_off,
			 dp_counter_name(s_off.rule), by_design(dst, spi) ? " (by design)" : "");
	}
	/* The counters agree but for the by-design moves. */
	bpf_fx_counters(&on, c_on);
	bpf_fx_counters(&off, c_off);
	for (int k = 0; k < RSIP_CNT_MAX; k++) {
		bool moved = k == RSIP_CNT_WAN_DROP_NO_SPI || k == RSIP_CNT_WAN_TX_ESP ||
			     k == RSIP_CNT_WAN_TX_AH || k == RSIP_CNT_WAN_TX_UDP_ESP ||
			     k == RSIP_CNT_WAN_DROP_REMOTE_POLICY;

		if (!moved && c_on[k] != c_off[k])
			fail_msg("counter %s: directory %llu, hash %llu", dp_counter_name(k),
				 (unsigned long long)c_on[k], (unsigned long long)c_off[k]);
	}
	for (size_t i = 0; i < nblks; i++)
		in_dir += blks[i].in_dir;
	printf("%zu blocks (%u in the directory), %zu SPIs; %d packets: %u delivered through "
	       "the directory, %u dropped, %u passed, %u by-design differences\n",
	       nblks, in_dir, nspis, NPKTS, redirect_dir, dropped, passed, designed);
	/* Not vacuous: every kind of outcome happened. */
	assert_true(redirect_dir > NPKTS / 10);
	assert_true(dropped > 0 && passed > 0 && designed > 0);
	assert_true(in_dir > 0 && in_dir < nblks);
}

/* A UDP or TCP frame from the peer to dst:dport. */
static void port_packet(struct pkt *p, uint32_t dst, uint16_t dport)
{
	char d[INET_ADDRSTRLEN];
	bool udp = rnd() % 2;

	inet_ntop(AF_INET, &dst, d, sizeof(d));
	pkt_init(p);
	pkt_zeros(p, 16);
	if (udp)
		pkt_udp(p, 443, dport);
	else
		pkt_tcp(p, 443, dport);
	wan_frame(p, FX_PEER, d, udp ? IPPROTO_UDP : IPPROTO_TCP);
}

/* A tunnelled frame from client c: UDP or TCP from its Nb:sport to the
 * peer. */
static void lan_packet(struct pkt *p, const struct client *c, uint16_t sport)
{
	char nb[INET_ADDRSTRLEN], xa[INET_ADDRSTRLEN];
	struct client_def cd = {.name = "random", .xa = xa, .client_id = c->id};
	bool udp = rnd() % 2;

	inet_ntop(AF_INET, &c->nb, nb, sizeof(nb));
	inet_ntop(AF_INET, &c->xa, xa, sizeof(xa));
	memcpy(cd.mac, c->mac, 6);
	pkt_init(p);
	pkt_zeros(p, 16);
	if (udp)
		pkt_udp(p, sport, 443);
	else
		pkt_tcp(p, sport, 443);
	inner_ip(p, nb, FX_PEER, udp ? IPPROTO_UDP : IPPROTO_TCP);
	client_tunnel(p, &cd, c->tunnel);
}

static void slow_lan(struct bpf_fx *fx, const struct pkt *in, struct slow_result *res);

/* Leased ports by index (rules/ports.h; Nb3 has no partition, so its
 * ports stay in rsip_ports) against all in rsip_ports: both directions, the
 * same action, frame and slow-path decision for every packet. */
static void same_port_demux(void **state)
{
	unsigned int wan_dir = 0, wan_other = 0, lan_fwd = 0, lan_other = 0;
	struct pkt in, o_on, o_off;

	for (int i = 0; i < NPKTS; i++) {
		const struct port_ent *e = &ports[rnd() % nports];
		struct slow_result s_on, s_off;
		bool lan = rnd() % 2;
		uint32_t r = rnd() % 100, dst = e->nb;
		uint16_t port = e->port;
		int a_on, a_off;

		if (r >= 60)
			port = (uint16_t)(1024 + rnd() % 64512); /* mostly not leased */
		if (!lan && r >= 80)
			dst = r >= 90 ? ip4(NOT_OURS) : ip4(NBS[rnd() % 3]);
		if (lan) {
			const struct client *c = &clients[e->client];

			lan_packet(&in, c, port);
			a_on = bpf_fx_run(&on, on.lan_prog, on.lan_if, &in, &o_on);
			a_off = bpf_fx_run(&off, off.lan_prog, off.lan_if, &in, &o_off);
			slow_lan(&on, &in, &s_on);
			slow_lan(&off, &in, &s_off);
		} else {
			port_packet(&in, dst, port);
			a_on = bpf_fx_run(&on, on.wan_prog, on.wan_if, &in, &o_on);
			a_off = bpf_fx_run(&off, off.wan_prog, off.wan_if, &in, &o_off);
			slow(&on, &in, &s_on);
			slow(&off, &in, &s_off);
		}
		if (a_on == a_off && s_on.verdict == s_off.verdict && s_on.rule == s_off.rule &&
		    (a_on != XDP_REDIRECT ||
		     (o_on.len == o_off.len && !memcmp(o_on.b, o_off.b, o_on.len))) &&
		    (s_on.verdict != SV_TUNNEL ||
		     !memcmp(&s_on.target, &s_off.target, RSIP_TARGET_CFG_END))) {
			bool hit = a_on == XDP_REDIRECT;

			if (lan) {
				lan_fwd += hit;
				lan_other += !hit;
			} else {
				wan_dir += hit && dst != ip4(FX_NB3);
				wan_other += !hit;
			}
			continue;
		}
		pkt_hexdump("input", in.b, in.len);
		fail_msg("%s packet %d (Nb %08x port %u): by index %d (slow %s), by hash %d "
			 "(slow %s)",
			 lan ? "LAN" : "WAN", i, ntohl(dst), port, a_on, dp_counter_name(s_on.rule),
			 a_off, dp_counter_name(s_off.rule));
	}
	printf("%zu ports; %d packets: WAN %u sent by index, %u not; LAN %u forwarded, %u "
	       "not\n",
	       nports, NPKTS, wan_dir, wan_other, lan_fwd, lan_other);
	assert_true(wan_dir > NPKTS / 20 && wan_other > 0 && lan_fwd > NPKTS / 20 && lan_other > 0);
}

static int count_dir_n(int fd, uint32_t slots)
{
	struct rsip_dir_val v;
	int n = 0;

	for (uint32_t k = 0; k < slots; k++)
		if (bpf_map_lookup_elem(fd, &k, &v) == 0 && v.nb)
			n++;
	return n;
}

static int count_dir(int fd)
{
	return count_dir_n(fd, SLOTS);
}

/* What dpx wrote: the directory holds the agreeing blocks that have a slot
 * (none in rsip_spi_blk); the other object holds every agreeing block in
 * rsip_spi_blk. Releasing every client empties both. */
static void maps_as_designed(void **state)
{
	struct rsip_blk_key k0, k1;

	assert_int_equal(bpf_map_get_next_key(on.m.spi_blk, NULL, &k0), -ENOENT);
	assert_true(count_dir(on.m.spi_dir) > 0);
	assert_int_equal(bpf_map_get_next_key(off.m.spi_blk, NULL, &k1), 0);
	assert_int_equal(count_dir(off.m.spi_dir), 0);
	/* Ports: Nb1's and Nb2's by index, Nb3's (no partition) hashed. */
	{
		size_t nb3 = 0, hashed = 0;
		struct rsip_port_key pk, *prev = NULL;

		for (size_t i = 0; i < nports; i++)
			nb3 += ports[i].nb == ip4(FX_NB3);
		while (bpf_map_get_next_key(on.m.ports, prev, &pk) == 0) {
			assert_int_equal(pk.nb, ip4(FX_NB3));
			hashed++;
			prev = &pk;
		}
		assert_int_equal(hashed, nb3);
		assert_int_equal(count_dir_n(on.m.port_dir, 2 * RSIP_PORT_DIR_SPAN), nports - nb3);
		assert_int_equal(count_dir_n(off.m.port_dir, RSIP_PORT_DIR_SPAN), 0);
	}
	for (uint32_t i = 0; i < NCLIENTS; i++) {
		struct dp_client c = {.client_id = 1000 + i, .xa.s_addr = htonl(0x0a010000u + i)};

		assert_int_equal(dpx_client_del(on.x, &c), 0);
		assert_int_equal(dpx_client_del(off.x, &c), 0);
	}
	assert_int_equal(count_dir(on.m.spi_dir), 0);
	assert_int_equal(count_dir_n(on.m.port_dir, 2 * RSIP_PORT_DIR_SPAN), 0);
	assert_int_equal(bpf_map_get_next_key(on.m.spi, NULL, &k0), -ENOENT);
	assert_int_equal(bpf_map_get_next_key(off.m.spi_blk, NULL, &k1), -ENOENT);
}

static void slow_lan(struct bpf_fx *fx, const struct pkt *in, struct slow_result *res)
{
	struct dp_view v;

	fx_slow_view(fx, &v);
	memset(res, 0, sizeof(*res));
	slow_lan_check(&v, in->b + 6, in->b + 14, in->len - 14, res);
}

static void slow(struct bpf_fx *fx, const struct pkt *in, struct slow_result *res)
{
	struct dp_view v;

	fx_slow_view(fx, &v);
	memset(res, 0, sizeof(*res));
	slow_wan_demux(&v, in->b + 14, in->len - 14, res);
}

static int setup(void **state)
{
	const char *env = getenv("RSIP_TEST_SEED");
	unsigned int seed = env ? (unsigned int)strtoul(env, NULL, 0) : (unsigned int)time(NULL);
	struct bpf_fx_opts o_off = {.map_size = 4096};
	struct bpf_fx_opts o_on = o_off;

	printf("seed %u (RSIP_TEST_SEED=%u repeats this run)\n", seed, seed);
	srandom(seed);
	key = (uint64_t)rnd() << 33 ^ (uint64_t)rnd() << 2 ^ rnd();
	o_on.spi_dir_slots = SLOTS;
	o_on.spi_dir_per_nb = PER_NB;
	o_on.spi_key = key;
	o_on.port_dir_slots = 2; /* Nb3 gets none: its ports stay in rsip_ports */
	if (bpf_fx_load(&on, &o_on) || bpf_fx_load(&off, &o_off))
		return -1;
	for (int i = 0; i < 3; i++) {
		struct in_addr nb = {.s_addr = ip4(NBS[i])};

		if (dpx_nb_add(on.x, nb) || dpx_nb_add(off.x, nb))
			return -1;
	}
	for (uint32_t i = 0; i < NCLIENTS; i++)
		add_client(i);
	return 0;
}

static int teardown(void **state)
{
	bpf_fx_destroy(&on);
	bpf_fx_destroy(&off);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(same_demux),
	    cmocka_unit_test(same_port_demux),
	    cmocka_unit_test(maps_as_designed),
	};

	bpf_fx_enter_netns();
	return cmocka_run_group_tests(tests, setup, teardown);
}
