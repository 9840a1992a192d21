// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsipc's TC programs (bpf/rsipc_tc.bpf.c) under BPF_PROG_TEST_RUN: exact
 * bytes of what egress encapsulates (IP-IP, GRE) and ingress decapsulates
 * (UDP and TCP on leased ports, ESP and AH on leased SPIs, ICMP, a packet
 * larger than the MTU as GRO makes them), and everything that must pass
 * untouched: not from Nb, wrong outer source or destination, another Nb,
 * unleased port or SPI, outer fragments, bad GRE, inconsistent lengths, and
 * the tunnel packet cut at every length. BPF_PROG_TEST_RUN cannot give an skb
 * a GSO type, only gso_size: such a packet cannot be resized, and must then be
 * dropped on egress (never sent bare) and passed on ingress. Real GSO and GRO
 * packets go through the programs in tests/netns/test_rsipc_bulk.sh.
 *
 * The lease rule (include/rsip/rules/host.h) also runs in rsipc's raw-socket
 * receiver (user/rsipc/leased.c): every inner packet ingress decapsulates or
 * passes as unleased goes through that side too, which must agree.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../lib/pkt.h"
#include "../../user/rsipc/leased.h"
#include "rsip/host_tc.h"
#include "rsipc_tc.skel.h"

#define TC_ACT_OK   0
#define TC_ACT_SHOT 2

#define XA    "10.0.0.11"
#define NA    "10.0.0.1"
#define NB    "192.0.2.10"
#define NB2   "192.0.2.11"
#define PEER  "198.51.100.2"
#define OTHER "10.0.0.99"
#define PORT  7000 /* leased */
#define PORT2 7001 /* not leased */
#define SPI0  0x99770800u
#define SPI1  0x997708ffu

static const uint8_t MAC_NA[6] = {2, 0, 0x0a, 0, 0, 1};
static const uint8_t MAC_X[6] = {2, 0, 0x0a, 0, 0, 0x0b};

struct tc {
	struct rsipc_tc *skel;
	int eg, in;
	struct leased user; /* the same lease for the raw-socket receiver */
};

static struct tc ipip, gre;

static int load(struct tc *t, uint8_t tunnel)
{
	uint16_t port = htons(PORT);
	uint8_t one = 1;

	t->skel = rsipc_tc__open();
	if (!t->skel)
		return -1;
	t->skel->rodata->cfg = (struct rsipc_tc_cfg){
	    .nb = ip4(NB),
	    .xa = ip4(XA),
	    .endpoint = ip4(NA),
	    .spi_min = htonl(SPI0),
	    .spi_max = htonl(SPI1),
	    .tunnel = tunnel,
	    /* The IP-IP lease is RSIPSEC (IKE by cookie), the GRE one not. */
	    .flags = tunnel == RSIPC_TC_TUNNEL_IPIP ? RSIPC_TC_F_IKE_PORTS : 0,
	};
	leased_init(&t->user, (const struct rsipc_tc_cfg *)&t->skel->rodata->cfg);
	leased_add_port(&t->user, PORT);
	if (rsipc_tc__load(t->skel))
		return -1;
	if (bpf_map__update_elem(t->skel->maps.rsipc_ports, &port, sizeof(port), &one, 1, 0))
		return -1;
	t->eg = bpf_program__fd(t->skel->progs.rsipc_egress);
	t->in = bpf_program__fd(t->skel->progs.rsipc_ingress);
	return 0;
}

static int setup(void **state)
{
	if (geteuid() != 0) {
		printf("skipped: BPF tests need root\n");
		exit(77);
	}
	if (load(&ipip, RSIPC_TC_TUNNEL_IPIP) || load(&gre, RSIPC_TC_TUNNEL_GRE)) {
		fprintf(stderr, "cannot load rsipc_tc\n");
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	rsipc_tc__destroy(ipip.skel);
	rsipc_tc__destroy(gre.skel);
	return 0;
}

static uint64_t counter(struct tc *t, uint32_t c)
{
	int n = libbpf_num_possible_cpus();
	uint64_t v[n], sum = 0;

	assert_int_equal(
	    bpf_map__lookup_elem(t->skel->maps.rsipc_stats, &c, sizeof(c), v, sizeof(v), 0), 0);
	for (int i = 0; i < n; i++)
		sum += v[i];
	return sum;
}

/* One run; returns the TC verdict, out gets the packet after. gso_size != 0
 * marks the skb as GSO (without a type: all the test runner can do). */
static int run(int prog, const struct pkt *in, struct pkt *out, uint16_t gso_size)
{
	struct __sk_buff ctx = {.gso_size = gso_size, .gso_segs = gso_size ? 2 : 0};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in->b, .data_size_in = (uint32_t)in->len,
		    .data_out = out->b, .data_size_out = sizeof(out->b), .repeat = 1);

	if (gso_size) {
		o.ctx_in = &ctx;
		o.ctx_size_in = sizeof(ctx);
	}
	pkt_init(out);
	if (bpf_prog_test_run_opts(prog, &o))
		return -errno;
	out->len = o.data_size_out;
	return (int)o.retval;
}

static void assert_same(const struct pkt *got, const struct pkt *want)
{
	if (got->len != want->len || memcmp(got->b, want->b, want->len)) {
		pkt_hexdump("got", got->b, got->len);
		pkt_hexdump("want", want->b, want->len);
		fail_msg("packet differs (%zu bytes, want %zu)", got->len, want->len);
	}
}

/* --- builders: payload first, then headers inside-out ----------------------- */

struct inner {
	const char *src, *dst;
	uint8_t proto;
	uint16_t port;	/* UDP/TCP destination */
	uint32_t spi;	/* ESP/AH */
	size_t payload; /* bytes after the L4 header (default 16) */
	uint16_t frag_off;
	bool mf;
};

static void inner_pkt(struct pkt *p, const struct inner *i)
{
	size_t n = i->payload ? i->payload : 16;

	pkt_init(p);
	/* pkt_esp, pkt_ah and pkt_icmp_echo bring their own bytes. */
	if (i->proto != 50 && i->proto != 51 && i->proto != 1)
		for (size_t k = 0; k < n; k++)
			pkt_bytes(p, &(uint8_t){(uint8_t)(k * 7 + 1)}, 1);
	switch (i->proto) {
	case 17:
		pkt_udp(p, 40000, i->port);
		break;
	case 6:
		pkt_tcp(p, 40000, i->port);
		break;
	case 50:
		pkt_esp(p, i->spi, 1);
		break;
	case 51:
		pkt_ah(p, i->spi, 1);
		break;
	case 1:
		pkt_icmp_echo(p, 0, 77, 1);
		break;
	default:
		break;
	}
	pkt_ipv4(p, &(struct ipv4_opts){.src = i->src ? i->src : PEER,
					.dst = i->dst ? i->dst : NB,
					.proto = i->proto,
					.tos = 0x2a,
					.ttl = 61,
					.id = 0x1234,
					.df = !i->mf && !i->frag_off,
					.mf = i->mf,
					.frag_off = i->frag_off});
}

struct outer {
	const char *src, *dst;
	bool gre;
	uint16_t gre_flags;
	bool mf;
	uint8_t ttl;
	uint16_t id;
	bool df;
	uint8_t tos;
	int16_t tot_len_adj;
};

static void wrap(struct pkt *p, const struct outer *o)
{
	if (o->gre) {
		pkt_gre(p);
		p->b[0] = (uint8_t)(o->gre_flags >> 8);
		p->b[1] = (uint8_t)o->gre_flags;
	}
	pkt_ipv4(p, &(struct ipv4_opts){.src = o->src ? o->src : NA,
					.dst = o->dst ? o->dst : XA,
					.proto = o->gre ? 47 : 4,
					.ttl = o->ttl ? o->ttl : 64,
					.id = o->id,
					.df = o->df,
					.mf = o->mf,
					.tos = o->tos,
					.tot_len_adj = o->tot_len_adj});
}

static void eth(struct pkt *p, bool to_na)
{
	pkt_eth(p, to_na ? MAC_NA : MAC_X, to_na ? MAC_X : MAC_NA, 0x0800);
}

/* --- egress ----------------------------------------------------------------- */

static void encap_one(struct tc *t, bool is_gre, const struct inner *i)
{
	struct pkt in, want, out;
	uint64_t n0 = counter(t, RSIPC_TC_ENCAP);

	inner_pkt(&in, i);
	want = in;
	eth(&in, true);
	/* The outer header copies the inner TOS, ID and DF; TTL 64. */
	wrap(&want, &(struct outer){.src = XA,
				    .dst = NA,
				    .gre = is_gre,
				    .id = 0x1234,
				    .df = !i->mf && !i->frag_off,
				    .tos = 0x2a});
	eth(&want, true);
	assert_int_equal(run(t->eg, &in, &out, 0), TC_ACT_OK);
	assert_same(&out, &want);
	assert_int_equal(counter(t, RSIPC_TC_ENCAP), n0 + 1);
}

static void test_encap_exact(void **state)
{
	encap_one(&ipip, false, &(struct inner){.src = NB, .dst = PEER, .proto = 17, .port = 500});
	encap_one(&gre, true, &(struct inner){.src = NB, .dst = PEER, .proto = 17, .port = 500});
	encap_one(&ipip, false,
		  &(struct inner){.src = NB, .dst = PEER, .proto = 6, .port = 80, .payload = 1400});
	encap_one(&gre, true, &(struct inner){.src = NB, .dst = PEER, .proto = 50, .spi = 7});
	/* A fragment keeps no DF on the outside. */
	encap_one(&ipip, false,
		  &(struct inner){.src = NB, .dst = PEER, .proto = 17, .port = 9, .mf = true});
}

static void egress_untouched(struct tc *t, const struct pkt *in)
{
	struct pkt out;
	uint64_t n0 = counter(t, RSIPC_TC_ENCAP);

	assert_int_equal(run(t->eg, in, &out, 0), TC_ACT_OK);
	assert_same(&out, in);
	assert_int_equal(counter(t, RSIPC_TC_ENCAP), n0);
}

static void test_egress_pass(void **state)
{
	struct pkt p;

	/* The host's own traffic from Xa. */
	inner_pkt(&p, &(struct inner){.src = XA, .dst = NA, .proto = 6, .port = 4555});
	eth(&p, true);
	egress_untouched(&ipip, &p);
	egress_untouched(&gre, &p);
	/* Another leased address on the same host (a second rsipc). */
	inner_pkt(&p, &(struct inner){.src = NB2, .dst = PEER, .proto = 17, .port = 1});
	eth(&p, true);
	egress_untouched(&ipip, &p);
	/* ARP: not IPv4. */
	pkt_init(&p);
	pkt_zeros(&p, 28);
	pkt_eth(&p, MAC_NA, MAC_X, 0x0806);
	egress_untouched(&ipip, &p);
}

/* From Nb but not a well-formed IPv4 packet: dropped, not sent bare. */
static void test_egress_malformed_dropped(void **state)
{
	struct pkt in, out;
	uint64_t f0 = counter(&ipip, RSIPC_TC_ENCAP_FAIL);

	inner_pkt(&in, &(struct inner){.src = NB, .dst = PEER, .proto = 17, .port = 1});
	eth(&in, true);
	in.len = 14 + 20; /* cut after the header (the runner refuses shorter) */
	assert_int_equal(run(ipip.eg, &in, &out, 0), TC_ACT_SHOT);
	inner_pkt(&in, &(struct inner){.src = NB, .dst = PEER, .proto = 17, .port = 1});
	eth(&in, true);
	in.b[14] = 0x44; /* IHL 4 */
	assert_int_equal(run(gre.eg, &in, &out, 0), TC_ACT_SHOT);
	assert_int_equal(counter(&ipip, RSIPC_TC_ENCAP_FAIL), f0 + 1);
}

/* A GSO skb the kernel cannot resize (test runs give no GSO type): from Nb it
 * must be dropped, not sent unencapsulated. */
static void test_egress_gso_untyped_dropped(void **state)
{
	struct pkt in, out;
	uint64_t f0 = counter(&ipip, RSIPC_TC_ENCAP_FAIL);

	inner_pkt(&in,
		  &(struct inner){.src = NB, .dst = PEER, .proto = 6, .port = 80, .payload = 2800});
	eth(&in, true);
	assert_int_equal(run(ipip.eg, &in, &out, 1400), TC_ACT_SHOT);
	assert_int_equal(counter(&ipip, RSIPC_TC_ENCAP_FAIL), f0 + 1);
}

/* --- ingress ---------------------------------------------------------------- */

/* The raw-socket receiver's verdict on the inner packet of a tunnelled frame
 * (Ethernet, outer IPv4 [, GRE]). */
static bool user_leased(const struct tc *t, const struct pkt *frame)
{
	size_t off = 14 + 20 + (t->user.cfg.tunnel == RSIPC_TC_TUNNEL_GRE ? 4 : 0);

	assert_true(frame->len > off);
	return leased_inner(&t->user, frame->b + off, frame->len - off);
}

static void decap_one(struct tc *t, bool is_gre, const struct inner *i)
{
	struct pkt in, want, out;
	uint64_t n0 = counter(t, RSIPC_TC_DECAP);

	inner_pkt(&in, i);
	want = in;
	eth(&want, false);
	wrap(&in, &(struct outer){.gre = is_gre, .id = 99});
	eth(&in, false);
	assert_true(user_leased(t, &in));
	assert_int_equal(run(t->in, &in, &out, 0), TC_ACT_OK);
	assert_same(&out, &want);
	assert_int_equal(counter(t, RSIPC_TC_DECAP), n0 + 1);
}

static void test_decap_exact(void **state)
{
	decap_one(&ipip, false, &(struct inner){.proto = 17, .port = PORT});
	decap_one(&gre, true, &(struct inner){.proto = 17, .port = PORT});
	decap_one(&ipip, false, &(struct inner){.proto = 6, .port = PORT});
	decap_one(&ipip, false, &(struct inner){.proto = 50, .spi = SPI0});
	decap_one(&gre, true, &(struct inner){.proto = 50, .spi = SPI1});
	decap_one(&ipip, false, &(struct inner){.proto = 51, .spi = SPI0 + 5});
	decap_one(&ipip, false, &(struct inner){.proto = 1});
	/* RSIPSEC: IKE and NAT-T, which the gateway demultiplexes by cookie. */
	decap_one(&ipip, false, &(struct inner){.proto = 17, .port = 500});
	decap_one(&ipip, false, &(struct inner){.proto = 17, .port = 4500});
	/* A later fragment has no ports: it joins its checked first one. */
	decap_one(&ipip, false, &(struct inner){.proto = 17, .port = PORT2, .frag_off = 185});
}

/* Larger than any MTU here, the way GRO hands a merged packet up. */
static void test_decap_gro_sized(void **state)
{
	decap_one(&ipip, false, &(struct inner){.proto = 6, .port = PORT, .payload = 3000});
	decap_one(&gre, true, &(struct inner){.proto = 6, .port = PORT, .payload = 3000});
}

static void ingress_untouched(struct tc *t, const struct pkt *in, uint32_t why)
{
	struct pkt out;
	uint64_t d0 = counter(t, RSIPC_TC_DECAP),
		 w0 = why < RSIPC_TC_N_COUNTERS ? counter(t, why) : 0;

	assert_int_equal(run(t->in, in, &out, 0), TC_ACT_OK);
	assert_same(&out, in);
	assert_int_equal(counter(t, RSIPC_TC_DECAP), d0);
	if (why < RSIPC_TC_N_COUNTERS)
		assert_int_equal(counter(t, why), w0 + 1);
	if (why == RSIPC_TC_PASS_UNLEASED)
		assert_false(user_leased(t, in));
}

static void tunnelled(struct pkt *p, const struct inner *i, const struct outer *o)
{
	inner_pkt(p, i);
	wrap(p, o);
	eth(p, false);
}

static void test_ingress_pass(void **state)
{
	const struct inner ok = {.proto = 17, .port = PORT};
	struct pkt p;

	tunnelled(&p, &ok, &(struct outer){.src = OTHER});
	ingress_untouched(&ipip, &p, RSIPC_TC_PASS_WRONG_SOURCE);
	tunnelled(&p, &ok, &(struct outer){.dst = OTHER});
	ingress_untouched(&ipip, &p, RSIPC_TC_PASS_WRONG_SOURCE);
	/* GRE to the IP-IP lease is just another protocol. */
	tunnelled(&p, &ok, &(struct outer){.gre = true});
	ingress_untouched(&ipip, &p, RSIPC_TC_N_COUNTERS);
	tunnelled(&p, &(struct inner){.dst = NB2, .proto = 17, .port = PORT}, &(struct outer){0});
	ingress_untouched(&ipip, &p, RSIPC_TC_PASS_NOT_OURS);
	tunnelled(&p, &(struct inner){.proto = 17, .port = PORT2}, &(struct outer){0});
	ingress_untouched(&ipip, &p, RSIPC_TC_PASS_UNLEASED);
	tunnelled(&p, &(struct inner){.proto = 6, .port = PORT2}, &(struct outer){.gre = true});
	ingress_untouched(&gre, &p, RSIPC_TC_PASS_UNLEASED);
	/* IKE ports only for an RSIPSEC lease, and only UDP. */
	tunnelled(&p, &(struct inner){.proto = 17, .port = 500}, &(struct outer){.gre = true});
	ingress_untouched(&gre, &p, RSIPC_TC_PASS_UNLEASED);
	tunnelled(&p, &(struct inner){.proto = 6, .port = 4500}, &(struct outer){0});
	ingress_untouched(&ipip, &p, RSIPC_TC_PASS_UNLEASED);
	tunnelled(&p, &(struct inner){.proto = 50, .spi = SPI1 + 1}, &(struct outer){0});
	ingress_untouched(&ipip, &p, RSIPC_TC_PASS_UNLEASED);
	tunnelled(&p, &(struct inner){.proto = 50, .spi = SPI0 - 1}, &(struct outer){0});
	ingress_untouched(&ipip, &p, RSIPC_TC_PASS_UNLEASED);
	tunnelled(&p, &(struct inner){.proto = 47}, &(struct outer){0});
	ingress_untouched(&ipip, &p, RSIPC_TC_PASS_UNLEASED);
	tunnelled(&p, &ok, &(struct outer){.mf = true});
	ingress_untouched(&ipip, &p, RSIPC_TC_PASS_FRAGMENT);
	/* GRE with a key, a checksum, version 1. */
	tunnelled(&p, &ok, &(struct outer){.gre = true, .gre_flags = 0x2000});
	ingress_untouched(&gre, &p, RSIPC_TC_PASS_MALFORMED);
	tunnelled(&p, &ok, &(struct outer){.gre = true, .gre_flags = 0x8000});
	ingress_untouched(&gre, &p, RSIPC_TC_PASS_MALFORMED);
	tunnelled(&p, &ok, &(struct outer){.gre = true, .gre_flags = 0x0001});
	ingress_untouched(&gre, &p, RSIPC_TC_PASS_MALFORMED);
	/* Outer length longer, shorter than the packet. */
	tunnelled(&p, &ok, &(struct outer){.tot_len_adj = 4});
	ingress_untouched(&ipip, &p, RSIPC_TC_PASS_MALFORMED);
	tunnelled(&p, &ok, &(struct outer){.tot_len_adj = -4});
	ingress_untouched(&ipip, &p, RSIPC_TC_PASS_MALFORMED);
	/* Inner not IPv4. */
	tunnelled(&p, &ok, &(struct outer){0});
	p.b[14 + 20] = 0x65;
	ingress_untouched(&ipip, &p, RSIPC_TC_PASS_MALFORMED);
}

/* The tunnel packet cut at every length: never decapsulated, never changed. */
static void test_ingress_truncated(void **state)
{
	struct tc *ts[2] = {&ipip, &gre};
	struct pkt full, p;

	for (int k = 0; k < 2; k++) {
		tunnelled(&full, &(struct inner){.proto = 17, .port = PORT},
			  &(struct outer){.gre = k == 1});
		/* The test runner itself refuses IPv4 frames shorter than
		 * an IPv4 header (EINVAL): start there. */
		for (size_t len = 14 + 20; len < full.len; len++) {
			p = full;
			p.len = len;
			ingress_untouched(ts[k], &p, RSIPC_TC_N_COUNTERS);
		}
	}
}

/* A GSO skb without a type cannot be shrunk: passed untouched, counted. */
static void test_ingress_gso_untyped_passed(void **state)
{
	struct pkt in, out;
	uint64_t f0 = counter(&ipip, RSIPC_TC_DECAP_FAIL);

	tunnelled(&in, &(struct inner){.proto = 6, .port = PORT, .payload = 2800},
		  &(struct outer){0});
	assert_int_equal(run(ipip.in, &in, &out, 1400), TC_ACT_OK);
	assert_same(&out, &in);
	assert_int_equal(counter(&ipip, RSIPC_TC_DECAP_FAIL), f0 + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encap_exact),
	    cmocka_unit_test(test_egress_pass),
	    cmocka_unit_test(test_egress_malformed_dropped),
	    cmocka_unit_test(test_egress_gso_untyped_dropped),
	    cmocka_unit_test(test_decap_exact),
	    cmocka_unit_test(test_decap_gro_sized),
	    cmocka_unit_test(test_ingress_pass),
	    cmocka_unit_test(test_ingress_truncated),
	    cmocka_unit_test(test_ingress_gso_untyped_passed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
