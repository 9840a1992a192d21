// SPDX-License-Identifier: BSD-2-Clause
/*
 * Learned counts stay exact (rsip_client.cookies, docs/dataplane.md "Learned
 * counts"): the LAN program adds to a host's count when it learns, user
 * space takes counts off (the idle sweep) and charges mirrored entries (a
 * cluster), all through the rsip_learned program's compare-and-swap. The
 * LAN program's increments are made with real packets through rsip_lan
 * (BPF_PROG_TEST_RUN), at the worst moment: from inside the map-writing
 * layer's own map calls (an interposer around the kernel's map ops, the
 * moment a read-modify-write of the client entry would lose them; the same
 * around rsipd's slow path, which learns too), and from a second thread
 * while mirrored entries are charged and taken off. After each step the
 * count must equal the entries the host holds in the maps, and the cap must
 * hold. With main's read-modify-writes the interposed cases fail every time,
 * the thread race in most runs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "../lib/bpf_scenario.h"
#include "rsip/wire.h"
#include "slowpath/demux.h"

#define XDP_DROP     1
#define XDP_REDIRECT 4

static struct bpf_fx fx;

/* ---- packets through rsip_lan ---------------------------------------------- */

static void tunnelled(struct pkt *in, const struct client_def *c, uint8_t proto)
{
	struct ipv4_opts o = {.src = FX_NB1, .dst = FX_PEER, .proto = proto, .df = true};

	pkt_ipv4(in, &o);
	client_tunnel(in, c, RSIP_TUNNEL_IPIP);
}

/* An echo request from c with this id: the LAN program learns the id. */
static int lan_echo(const struct client_def *c, uint16_t id)
{
	struct pkt in, out;

	pkt_init(&in);
	pkt_icmp_echo(&in, 8, id, 1);
	tunnelled(&in, c, 1);
	return bpf_fx_run(&fx, fx.lan_prog, fx.lan_if, &in, &out);
}

/* ESP from c to the peer with this SPI: the LAN program learns it. */
static int lan_esp(const struct client_def *c, uint32_t spi)
{
	struct pkt in, out;

	pkt_init(&in);
	pkt_esp(&in, spi, 1);
	tunnelled(&in, c, 50);
	return bpf_fx_run(&fx, fx.lan_prog, fx.lan_if, &in, &out);
}

/* ---- the interposer: the LAN program learns in the middle of a call --------- */

static struct {
	const struct client_def *c; /* armed: learn for c `left` times */
	uint16_t id;		    /* the echo id it learns next */
	int left, fired, action;
} hook;

/* ---- what a host holds ----------------------------------------------------- */

static uint32_t count_of(const struct client_def *c)
{
	struct rsip_client v;
	__be32 xa = ip4(c->xa);

	assert_int_equal(bpf_map_lookup_elem(fx.m.clients, &xa, &v), 0);
	return v.cookies;
}

/* Entries of map (rsip_ike, rsip_icmp_id: learned targets; rsip_out_spi)
 * whose holder is c. */
static unsigned int held_in(int fd, unsigned int klen, bool out_spi, const struct client_def *c)
{
	uint8_t key[16], next[16], val[64];
	unsigned int n = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, klen);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, val))
			continue;
		if (out_spi) {
			struct rsip_out_val v;

			memcpy(&v, val, sizeof(v));
			n += v.xa == ip4(c->xa);
		} else {
			struct rsip_target t;

			memcpy(&t, val, sizeof(t));
			n += t.xa == ip4(c->xa) && (t.flags & RSIP_TF_LEARNED);
		}
	}
	return n;
}

static unsigned int held_cookies(const struct client_def *c)
{
	return held_in(fx.m.ike, sizeof(struct rsip_ike_key), false, c) +
	       held_in(fx.m.icmp_id, sizeof(struct rsip_icmp_key), false, c);
}

static unsigned int held_out_spis(const struct client_def *c)
{
	return held_in(fx.m.out_spi, sizeof(struct rsip_out_key), true, c);
}

/* Both halves of c's count equal what c holds. */
static void assert_exact(const struct client_def *c)
{
	uint32_t n = count_of(c);

	assert_int_equal(RSIP_LEARNED_COOKIES(n), held_cookies(c));
	assert_int_equal(RSIP_LEARNED_OUT_SPIS(n), held_out_spis(c));
}

/* Everything learned so far idle and swept: every test starts from zero. */
static void sweep_all(void)
{
	hook.left = 0; /* a test that failed may have left it armed */
	assert_int_equal(
	    dpx_sweep(fx.x, dpx_now_ns() + 3600ull * 1000000000u, 60ull * 1000000000u, NULL), 0);
}

static void hook_fire(void)
{
	if (!hook.left)
		return;
	hook.left--;
	hook.action = lan_echo(hook.c, hook.id++);
	hook.fired++;
}

static void hook_arm_n(const struct client_def *c, uint16_t id, int n)
{
	hook.c = c;
	hook.id = id;
	hook.left = n;
	hook.fired = 0;
}

static void hook_arm(const struct client_def *c, uint16_t id)
{
	hook_arm_n(c, id, 1);
}

/* A read of the client entry is where a read-modify-write starts. */
static int i_lookup(void *arg, int fd, const void *key, void *value)
{
	int err = dpx_kernel_ops.lookup(arg, fd, key, value);

	if (fd == fx.m.clients)
		hook_fire();
	return err;
}

static int i_update(void *arg, int fd, const void *key, const void *value, uint64_t flags)
{
	return dpx_kernel_ops.update(arg, fd, key, value, flags);
}

static int i_delete(void *arg, int fd, const void *key)
{
	return dpx_kernel_ops.delete(arg, fd, key);
}

static int i_next_key(void *arg, int fd, const void *key, void *next)
{
	return dpx_kernel_ops.next_key(arg, fd, key, next);
}

static int i_learned_add(void *arg, int prog_fd, struct rsip_learned_req *req)
{
	hook_fire();
	return dpx_kernel_ops.learned_add(arg, prog_fd, req);
}

static const struct dpx_map_ops interposer = {
    .lookup = i_lookup,
    .update = i_update,
    .delete = i_delete,
    .next_key = i_next_key,
    .learned_add = i_learned_add,
};

/* ---- the tests ------------------------------------------------------------- */

/* The sweep takes A's four idle echo ids off its count while the LAN program
 * learns a fifth: A holds one, and its count says one. */
static void sweep_keeps_cookie_learned_meanwhile(void **state)
{
	struct dpx_sweep_result r;

	sweep_all();
	for (uint16_t id = 0x100; id < 0x104; id++)
		assert_int_equal(lan_echo(&CL_A, id), XDP_REDIRECT);
	assert_int_equal(RSIP_LEARNED_COOKIES(count_of(&CL_A)), 4);
	assert_exact(&CL_A);

	hook_arm(&CL_A, 0x104);
	assert_int_equal(
	    dpx_sweep(fx.x, dpx_now_ns() + 3600ull * 1000000000u, 60ull * 1000000000u, &r), 0);
	assert_int_equal(hook.fired, 1);
	assert_int_equal(hook.action, XDP_REDIRECT);
	assert_int_equal(r.icmp_ids, 4);
	assert_int_equal(held_cookies(&CL_A), 1);
	assert_exact(&CL_A);
}

/* The same for the other half: outbound SPIs swept while an echo id is
 * learned. Each half is its own, and neither loses the other's change. */
static void sweep_keeps_other_half(void **state)
{
	struct dpx_sweep_result r;

	sweep_all();
	assert_int_equal(count_of(&CL_A), 0);
	assert_int_equal(lan_esp(&CL_A, 0xa001), XDP_REDIRECT);
	assert_int_equal(lan_esp(&CL_A, 0xa002), XDP_REDIRECT);
	assert_int_equal(count_of(&CL_A), 2 * RSIP_LEARNED_OUT_SPI);

	hook_arm(&CL_A, 0x105);
	assert_int_equal(
	    dpx_sweep(fx.x, dpx_now_ns() + 3600ull * 1000000000u, 60ull * 1000000000u, &r), 0);
	assert_int_equal(hook.fired, 1);
	assert_int_equal(r.out_spis, 2);
	assert_int_equal(count_of(&CL_A), 1);
	assert_exact(&CL_A);
}

static struct dp_learned mirrored_echo(const struct client_def *c, uint16_t id)
{
	struct dp_learned l = {.kind = DP_LEARNED_ICMP_ID,
			       .klen = sizeof(struct rsip_icmp_key),
			       .client_id = c->client_id,
			       .tunnel = RSIP_DP_TUNNEL_IPIP};
	struct rsip_icmp_key k = {.nb = ip4(FX_NB1), .id = htons(id)};

	l.xa.s_addr = ip4(c->xa);
	memcpy(l.key, &k, sizeof(k));
	return l;
}

/* E may hold 2. It holds 1; a mirrored echo id arrives while the LAN
 * program learns E's second: the mirrored one is refused (the cap), and
 * what E holds is what its count says. */
static void mirrored_add_keeps_the_cap(void **state)
{
	struct dp_learned l = mirrored_echo(&CL_E, 0x201);
	struct rsip_icmp_key k;
	struct rsip_target t;

	sweep_all();
	assert_int_equal(lan_echo(&CL_E, 0x200), XDP_REDIRECT);
	assert_int_equal(count_of(&CL_E), 1);

	hook_arm(&CL_E, 0x202);
	assert_int_equal(dpx_learned_put(fx.x, &l, NULL), -EDQUOT);
	assert_int_equal(hook.fired, 1);
	assert_int_equal(hook.action, XDP_REDIRECT);
	memcpy(&k, l.key, sizeof(k));
	assert_int_equal(bpf_map_lookup_elem(fx.m.icmp_id, &k, &t), -ENOENT);
	assert_int_equal(held_cookies(&CL_E), 2);
	assert_exact(&CL_E);

	/* With room again (one swept), the mirrored entry is taken and
	 * charged; a second put of it charges nothing. */
	sweep_all();
	assert_int_equal(lan_echo(&CL_E, 0x200), XDP_REDIRECT);
	assert_int_equal(dpx_learned_put(fx.x, &l, NULL), 0);
	assert_int_equal(dpx_learned_put(fx.x, &l, NULL), 0);
	assert_int_equal(count_of(&CL_E), 2);
	assert_exact(&CL_E);
	/* ... and the LAN program now refuses a third, as the put did. */
	assert_int_equal(lan_echo(&CL_E, 0x203), XDP_DROP);
	assert_exact(&CL_E);
	assert_int_equal(dpx_learned_del(fx.x, &l), 0);
	assert_int_equal(count_of(&CL_E), 1);
	assert_exact(&CL_E);
}

/* rsipd's slow path (the LAN rules over the maps, for a reassembled tunnel
 * packet) learns too, with the LAN program learning at each of its reads of
 * the client entry and at its charge. */
static struct dp_view slow_view;

static int slow_lookup(void *arg, enum dp_map_id m, const void *key, void *val)
{
	struct dp_view inner;
	int err;

	fx_slow_view(&fx, &inner);
	err = inner.lookup(arg, m, key, val);
	if (m == DPM_CLIENTS)
		hook_fire();
	return err;
}

static int slow_learned_add(void *arg, struct rsip_learned_req *req)
{
	struct dp_view inner;

	fx_slow_view(&fx, &inner);
	hook_fire();
	return inner.learned_add(arg, req);
}

static void slow_path_learns_exactly(void **state)
{
	struct slow_result res;
	struct pkt in;

	sweep_all();
	fx_slow_view(&fx, &slow_view);
	slow_view.lookup = slow_lookup;
	slow_view.learned_add = slow_learned_add;
	pkt_init(&in);
	pkt_icmp_echo(&in, 8, 0x300, 1);
	tunnelled(&in, &CL_A, 1);
	hook_arm_n(&CL_A, 0x301, 8);
	slow_lan_check(&slow_view, in.b + 6, in.b + 14, in.len - 14, &res);
	assert_int_equal(res.verdict, SV_SEND);
	assert_true(hook.fired >= 2);
	assert_int_equal(held_cookies(&CL_A), 1 + hook.fired);
	assert_exact(&CL_A);
	hook.left = 0;
}

static int run_learned(struct rsip_learned_req *req)
{
	req->result = 0;
	return dpx_kernel_ops.learned_add(NULL, fx.m.learned, req);
}

/* The program itself: each half on its own, never below 0 (no borrow from
 * the other half), the cap as the LAN program applies it, no client. */
static void program_rules(void **state)
{
	struct rsip_learned_req req = {.xa = ip4(CL_E.xa), .d_out = 2};

	sweep_all();
	assert_int_equal(run_learned(&req), 0);
	assert_int_equal(req.result, RSIP_LREQ_DONE);
	assert_int_equal(req.count, 2 * RSIP_LEARNED_OUT_SPI);
	/* Taking a cookie E does not have: the low half stays 0. */
	req = (struct rsip_learned_req){.xa = ip4(CL_E.xa), .d_cookies = -1};
	assert_int_equal(run_learned(&req), 0);
	assert_int_equal(req.result, RSIP_LREQ_DONE);
	assert_int_equal(count_of(&CL_E), 2 * RSIP_LEARNED_OUT_SPI);
	/* At its cap (2) for outbound SPIs: an add under the cap is refused,
	 * nothing written; the LAN program does not learn a third either. */
	req = (struct rsip_learned_req){.xa = ip4(CL_E.xa), .d_out = 1, .flags = RSIP_LREQ_F_CAP};
	assert_int_equal(run_learned(&req), 0);
	assert_int_equal(req.result, RSIP_LREQ_OVER_CAP);
	assert_int_equal(req.count, 2 * RSIP_LEARNED_OUT_SPI);
	assert_int_equal(lan_esp(&CL_E, 0x7001), XDP_REDIRECT);
	assert_int_equal(count_of(&CL_E), 2 * RSIP_LEARNED_OUT_SPI);
	/* The other half still has room. */
	req =
	    (struct rsip_learned_req){.xa = ip4(CL_E.xa), .d_cookies = 2, .flags = RSIP_LREQ_F_CAP};
	assert_int_equal(run_learned(&req), 0);
	assert_int_equal(req.result, RSIP_LREQ_DONE);
	/* Removing more than there is: 0, the other half untouched. */
	req = (struct rsip_learned_req){.xa = ip4(CL_E.xa), .d_out = -5};
	assert_int_equal(run_learned(&req), 0);
	assert_int_equal(req.count, 2);
	req = (struct rsip_learned_req){.xa = ip4(CL_E.xa), .d_cookies = -2};
	assert_int_equal(run_learned(&req), 0);
	assert_int_equal(count_of(&CL_E), 0);
	/* No such host: nothing. */
	req = (struct rsip_learned_req){.xa = ip4("10.9.9.9"), .d_cookies = 1};
	assert_int_equal(run_learned(&req), 0);
	assert_int_equal(req.result, RSIP_LREQ_NO_CLIENT);
}

/* A second thread sends A's echo requests through the LAN program, each
 * with a new id (RACE_IDS of them: rsip_icmp_id holds 1024), while this one
 * charges a mirrored echo id of A's and takes it off again, round after
 * round. A removal that reaches 0 clamps there, which would hide a lost
 * increment: nothing the thread learned is swept meanwhile. */
#define RACE_IDS 900

static int race_go, race_done, race_bad;

static void *race_learner(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&race_go, __ATOMIC_ACQUIRE))
		sched_yield();
	for (unsigned int i = 0; i < RACE_IDS; i++)
		race_bad += lan_echo(&CL_A, (uint16_t)(0x1000 + i)) != XDP_REDIRECT;
	__atomic_store_n(&race_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The two threads on two CPUs of the ones we may use, so that they run at
 * the same time rather than by turns (old: this thread's mask, put back
 * afterwards). Fewer than two: left to the scheduler. */
static void pin_apart(pthread_t th, cpu_set_t *old)
{
	cpu_set_t one, two;
	int a = -1, b = -1;

	CPU_ZERO(old);
	if (sched_getaffinity(0, sizeof(*old), old))
		return;
	for (int i = 0; i < CPU_SETSIZE && b < 0; i++)
		if (CPU_ISSET(i, old)) {
			if (a < 0)
				a = i;
			else
				b = i;
		}
	if (b < 0)
		return;
	CPU_ZERO(&one);
	CPU_SET(a, &one);
	CPU_ZERO(&two);
	CPU_SET(b, &two);
	pthread_setaffinity_np(th, sizeof(two), &two);
	sched_setaffinity(0, sizeof(one), &one);
}

static void count_races_the_program(void **state)
{
	struct dp_learned l = mirrored_echo(&CL_A, 0x0fff);
	struct in_addr xa = {.s_addr = ip4(CL_A.xa)};
	unsigned int rounds = 0;
	cpu_set_t mask;
	pthread_t th;

	sweep_all();
	assert_int_equal(dpx_client_set_cookie_cap(fx.x, xa, RSIP_LEARNED_CAP_MAX), 0);
	assert_int_equal(count_of(&CL_A), 0);
	race_go = race_done = 0;
	assert_int_equal(pthread_create(&th, NULL, race_learner, NULL), 0);
	pin_apart(th, &mask);
	__atomic_store_n(&race_go, 1, __ATOMIC_RELEASE);
	do {
		assert_int_equal(dpx_learned_put(fx.x, &l, NULL), 0);
		assert_int_equal(dpx_learned_del(fx.x, &l), 0);
		rounds++;
	} while (!__atomic_load_n(&race_done, __ATOMIC_ACQUIRE));
	assert_int_equal(pthread_join(th, NULL), 0);
	sched_setaffinity(0, sizeof(mask), &mask);
	assert_int_equal(race_bad, 0);
	printf("# %u rounds of a mirrored put and its delete during %u echo ids learned\n", rounds,
	       RACE_IDS);
	assert_int_equal(held_cookies(&CL_A), RACE_IDS);
	assert_exact(&CL_A);
	sweep_all();
	assert_int_equal(dpx_client_set_cookie_cap(fx.x, xa, 16), 0);
}

int main(void)
{
	const struct CMUnitTest seq[] = {
	    cmocka_unit_test(sweep_keeps_cookie_learned_meanwhile),
	    cmocka_unit_test(sweep_keeps_other_half),
	    cmocka_unit_test(mirrored_add_keeps_the_cap),
	    cmocka_unit_test(slow_path_learns_exactly),
	    cmocka_unit_test(program_rules),
	    cmocka_unit_test(count_races_the_program),
	};
	struct dpx_config cfg = {.spi_block_shift = FX_SHIFT, .cookie_cap = 16, .ops = &interposer};
	int rc;

	bpf_fx_enter_netns();
	if (bpf_fx_load(&fx, NULL))
		return 1;
	/* The fixture's layer on the interposed map calls. */
	dpx_free(fx.x);
	fx.x = dpx_new(&fx.m, &cfg);
	if (!fx.x) {
		bpf_fx_destroy(&fx);
		return 1;
	}
	scenario_setup(&fx);
	rc = cmocka_run_group_tests_name("learned counts", seq, NULL, NULL);
	bpf_fx_destroy(&fx);
	return rc ? 1 : 0;
}
