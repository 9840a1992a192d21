// SPDX-License-Identifier: BSD-2-Clause
/* Map state and fixture-table runner of the BPF tests (bpf_scenario.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "bpf_scenario.h"
#include "rec_build.h"
#include "dp_names.h"
#include "rsip/wire.h"
#include "slowpath/demux.h"

const struct client_def CL_A = {"A", "10.0.0.11", {0x02, 0, 0, 0, 0, 0x0a}, 11};
const struct client_def CL_B = {"B", "10.0.0.12", {0x02, 0, 0, 0, 0, 0x0b}, 12};
const struct client_def CL_W = {"W", "10.0.0.13", {0x02, 0, 0, 0, 0, 0x0c}, 13};
const struct client_def CL_Z = {"Z", "10.0.0.14", {0}, 14};
const struct client_def CL_C = {"C", "10.0.0.15", {0x02, 0, 0, 0, 0, 0x0e}, 15};
const struct client_def CL_D = {"D", "10.0.0.16", {0x02, 0, 0, 0, 0, 0x0f}, 16};
const struct client_def CL_E = {"E", "10.0.0.17", {0x02, 0, 0, 0, 0, 0x10}, 17};

static void must(int err, const char *what)
{
	if (err) {
		fprintf(stderr, "scenario: %s: %s\n", what, strerror(-err));
		exit(1);
	}
}

static void add_client(struct bpf_fx *fx, const struct client_def *c, uint32_t ifindex)
{
	struct dp_client dc = {.client_id = c->client_id};

	dc.xa.s_addr = ip4(c->xa);
	must(dpx_client_add(fx->x, &dc), c->name);
	if (ifindex)
		must(dpx_client_set_link(fx->x, dc.xa, c->mac, ifindex), c->name);
}

/* Templates: a binding's ports or SPIs, the rest filled by add_binding. */
static struct rec_buf with_ports(const uint16_t *ports, uint16_t n)
{
	struct rec_buf t = rec_make(0, 0, (struct in_addr){0}, (struct in_addr){0}, 0);

	rec_set_ports(&t, ports, n);
	return t;
}

static struct rec_buf with_spis(const uint32_t *spis, uint16_t n)
{
	struct rec_buf t = rec_make(0, 0, (struct in_addr){0}, (struct in_addr){0}, 0);

	rec_set_spis(&t, spis, n);
	return t;
}

static void add_binding(struct bpf_fx *fx, const struct client_def *c, uint32_t bind_id,
			const char *nb, uint8_t method, uint8_t tunnel, const struct rec_buf *tmpl)
{
	struct rec_buf b = tmpl ? *tmpl : with_ports(NULL, 0);

	b.r.client_id = c->client_id;
	b.r.bind_id = bind_id;
	b.r.xa.s_addr = ip4(c->xa);
	b.r.nb.s_addr = ip4(nb);
	b.r.method = method;
	b.r.kind = rec_kind_of(method);
	b.r.tunnel = tunnel;
	must(dpx_binding_add(fx->x, &b.r), c->name);
}

void scenario_setup(struct bpf_fx *fx)
{
	static const uint16_t a_ports[] = {1024, 1025, 1026, 1027}, a_pol[] = {2000};
	static const uint32_t a_run[] = {0x123410, 0x123411, 0x123412, 0x123413};
	static const uint32_t a_spi[] = {0x5001}, b_spi[] = {0x6001}, e_spi[] = {0x7001};
	static const uint16_t b_ports[] = {3000}, z_ports[] = {4000}, c_ports[] = {5000},
			      d_ports[] = {6000};
	struct rec_buf t;
	struct in_addr a;

	for (const char *const *nb = (const char *const[]){FX_NB1, FX_NB2, FX_NB3, NULL}; *nb;
	     nb++) {
		a.s_addr = ip4(*nb);
		must(dpx_nb_add(fx->x, a), *nb);
	}
	add_client(fx, &CL_A, fx->lan_if);
	add_client(fx, &CL_B, fx->lan_if);
	add_client(fx, &CL_W, fx->lan_if);
	add_client(fx, &CL_Z, 0);
	add_client(fx, &CL_C, fx->lan_if);
	add_client(fx, &CL_D, 999);
	add_client(fx, &CL_E, fx->lan_if);
	a.s_addr = ip4(CL_E.xa);
	must(dpx_client_set_cookie_cap(fx->x, a, 2), "E cap");

	t = with_ports(a_ports, 4);
	add_binding(fx, &CL_A, 1101, FX_NB1, RSIP_METHOD_RSAP_IP, RSIP_TUNNEL_IPIP, &t);
	t = with_spis(a_run, 4);
	t.r.has_spi_block = true;
	t.r.spi_block = 0x1234;
	add_binding(fx, &CL_A, 1102, FX_NB1, RSIP_METHOD_RSIPSEC, RSIP_TUNNEL_IPIP, &t);
	t = with_spis(a_spi, 1);
	add_binding(fx, &CL_A, 1103, FX_NB1, RSIP_METHOD_RSIPSEC, RSIP_TUNNEL_IPIP, &t);
	t = with_ports(a_pol, 1);
	t.r.remote_policy = RSIP_FLOW_MICRO;
	t.r.remote_port = 443;
	t.r.remote.s_addr = ip4(FX_PEER);
	add_binding(fx, &CL_A, 1104, FX_NB1, RSIP_METHOD_RSAP_IP, RSIP_TUNNEL_IPIP, &t);

	t = with_ports(b_ports, 1);
	add_binding(fx, &CL_B, 1201, FX_NB1, RSIP_METHOD_RSAP_IP, RSIP_TUNNEL_GRE, &t);
	t = with_spis(b_spi, 1);
	add_binding(fx, &CL_B, 1202, FX_NB1, RSIP_METHOD_RSIPSEC, RSIP_TUNNEL_GRE, &t);

	add_binding(fx, &CL_W, 1301, FX_NB2, RSIP_METHOD_RSA_IP, RSIP_TUNNEL_IPIP, NULL);
	t = with_ports(z_ports, 1);
	add_binding(fx, &CL_Z, 1401, FX_NB3, RSIP_METHOD_RSAP_IP, RSIP_TUNNEL_IPIP, &t);
	t = with_ports(c_ports, 1);
	add_binding(fx, &CL_C, 1501, FX_NB1, RSIP_METHOD_RSAP_IP, RSIP_TUNNEL_IPIP, &t);
	t = with_ports(d_ports, 1);
	add_binding(fx, &CL_D, 1601, FX_NB1, RSIP_METHOD_RSAP_IP, RSIP_TUNNEL_IPIP, &t);
	t = with_spis(e_spi, 1);
	add_binding(fx, &CL_E, 1701, FX_NB1, RSIP_METHOD_RSIPSEC, RSIP_TUNNEL_IPIP, &t);
}

void client_tunnel(struct pkt *p, const struct client_def *c, int tunnel)
{
	struct ipv4_opts o = {.src = c->xa, .dst = FX_NA, .df = true};

	if (tunnel == RSIP_TUNNEL_GRE) {
		pkt_gre(p);
		o.proto = 47;
	} else {
		o.proto = 4;
	}
	pkt_ipv4(p, &o);
	pkt_eth(p, FX_LAN_MAC, c->mac, 0x0800);
}

void inner_ip(struct pkt *p, const char *nb, const char *dst, uint8_t proto)
{
	struct ipv4_opts o = {.src = nb, .dst = dst, .proto = proto, .df = true, .id = 0x1234};

	pkt_ipv4(p, &o);
}

void wan_frame(struct pkt *p, const char *src, const char *dst, uint8_t proto)
{
	struct ipv4_opts o = {.src = src, .dst = dst, .proto = proto, .df = true, .id = 0x4321};

	pkt_ipv4(p, &o);
	pkt_eth(p, FX_WAN_MAC, FX_PEER_MAC, 0x0800);
}

void expect_tunnel(struct fx_expect *e, const struct pkt *in, const struct client_def *c,
		   int tunnel)
{
	const uint8_t *inner = in->b + 14;
	bool df = inner[6] & 0x40;
	struct ipv4_opts o = {.src = FX_NA, .dst = c->xa, .tos = inner[1], .df = df, .ttl = 64};

	pkt_init(&e->out);
	/* The inner packet exactly as it arrived (tot_len bytes). */
	pkt_bytes(&e->out, inner, (size_t)(inner[2] << 8 | inner[3]));
	if (tunnel == RSIP_TUNNEL_GRE) {
		pkt_gre(&e->out);
		o.proto = 47;
	} else {
		o.proto = 4;
	}
	pkt_ipv4(&e->out, &o);
	pkt_eth(&e->out, c->mac, FX_LAN_MAC, 0x0800);
	e->mask_outer_id = !df;
}

static const char *action_name(int a)
{
	static const char *names[] = {"ABORTED", "DROP", "PASS", "TX", "REDIRECT"};

	return a >= 0 && a <= 4 ? names[a] : "?";
}

static void compare_frames(const struct fx_expect *e, const struct pkt *out)
{
	struct pkt want = e->out, got = *out;

	if (e->mask_outer_id && got.len >= 34 && want.len >= 34) {
		/* ID and checksum depend on a per-CPU counter: check the
		 * checksum is right and DF clear, then compare the rest. */
		assert_int_equal(inet_csum(got.b + 14, 20), 0);
		assert_int_equal(got.b[20] & 0x40, 0);
		memset(got.b + 18, 0, 2);
		memset(got.b + 24, 0, 2);
		memset(want.b + 18, 0, 2);
		memset(want.b + 24, 0, 2);
	}
	if (got.len < want.len || memcmp(got.b, want.b, want.len) != 0) {
		pkt_hexdump("expected", want.b, want.len);
		pkt_hexdump("got", got.b, got.len);
		fail_msg("output frame differs");
	}
	/* Trailing bytes beyond the IPv4 total length would be Ethernet
	 * padding; our frames have none. */
	assert_int_equal(got.len, want.len);
}

/* ---- the slow path over the fixture's maps ------------------------------------ */

static int map_fd(const struct bpf_fx *fx, enum dp_map_id m)
{
	const int fds[DPM_MAX] = {
	    [DPM_CLIENTS] = fx->m.clients, [DPM_NB] = fx->m.nb,
	    [DPM_PORTS] = fx->m.ports,	   [DPM_IKE] = fx->m.ike,
	    [DPM_SPI] = fx->m.spi,	   [DPM_SPI_BLK] = fx->m.spi_blk,
	    [DPM_ICMP_ID] = fx->m.icmp_id, [DPM_OUT_SPI] = fx->m.out_spi,
	    [DPM_SPI_DIR] = fx->m.spi_dir, [DPM_PORT_DIR] = fx->m.port_dir,
	    [DPM_NB_DIR] = fx->m.nb_dir,
	};

	return fds[m];
}

static int view_lookup(void *arg, enum dp_map_id m, const void *key, void *val)
{
	return bpf_map_lookup_elem(map_fd(arg, m), key, val) < 0 ? -errno : 0;
}

static int view_update(void *arg, enum dp_map_id m, const void *key, const void *val,
		       uint64_t flags)
{
	return bpf_map_update_elem(map_fd(arg, m), key, val, flags) < 0 ? -errno : 0;
}

static int view_learned_add(void *arg, struct rsip_learned_req *req)
{
	const struct bpf_fx *fx = arg;

	return dpx_kernel_ops.learned_add(NULL, fx->m.learned, req);
}

void fx_slow_view(struct bpf_fx *fx, struct dp_view *v)
{
	*v = (struct dp_view){.lookup = view_lookup,
			      .update = view_update,
			      .learned_add = view_learned_add,
			      .arg = fx,
			      .spi_block_shift = FX_SHIFT,
			      .spi_dir_on = fx->spi_dir.slots != 0,
			      .spi_key = fx->spi_dir.key,
			      .port_dir_on = fx->spi_dir.port_slots != 0,
			      .na = ip4(FX_NA)};
}

enum { SAME_COUNTER, RULES_TUNNEL, RULES_FORWARD };

/* The exits only the program has: after them, what did the rules decide? */
static int xdp_only_exit(unsigned int c)
{
	switch (c) {
	case RSIP_CNT_WAN_SLOW_OVERSIZE:
	case RSIP_CNT_WAN_SLOW_NO_NEIGH:
	case RSIP_CNT_WAN_DROP_ENCAP_FAIL:
	case RSIP_CNT_WAN_DROP_NO_TX:
	case RSIP_CNT_WAN_SLOW_LOST:
		return RULES_TUNNEL;
	case RSIP_CNT_LAN_SLOW_ROUTE:
	case RSIP_CNT_LAN_DROP_FIB:
	case RSIP_CNT_LAN_DROP_NO_TX:
	case RSIP_CNT_LAN_SLOW_LOST:
		return RULES_FORWARD;
	}
	return SAME_COUNTER;
}

/* The client of a learned entry (map: DPM_* + 1), or -ENOENT. */
static int entry_xa(struct bpf_fx *fx, int map, const uint8_t *key, uint32_t *xa)
{
	union {
		struct rsip_target t;
		struct rsip_out_val o;
	} v;
	enum dp_map_id m = (enum dp_map_id)(map - 1);

	if (bpf_map_lookup_elem(map_fd(fx, m), key, &v) < 0)
		return -ENOENT;
	*xa = m == DPM_OUT_SPI ? v.o.xa : v.t.xa;
	return 0;
}

static int learned_xa(struct bpf_fx *fx, const struct fx_expect *e, uint32_t *xa)
{
	return entry_xa(fx, e->learn_map, e->learn_key, xa);
}

static void check_held(struct bpf_fx *fx, const struct fx_expect *e, const char *after)
{
	uint32_t xa = 0;

	if (!e->hold_map)
		return;
	if (entry_xa(fx, e->hold_map, e->hold_key, &xa) < 0 || xa != ip4(e->hold_by->xa))
		fail_msg("after %s: %s's entry was taken over", after, e->hold_by->name);
}

/* Forgets what XDP learned (and its charge to the client), so the slow
 * path has to learn it again. */
static void unlearn(struct bpf_fx *fx, const struct fx_expect *e)
{
	enum dp_map_id m = (enum dp_map_id)(e->learn_map - 1);
	uint32_t xa = ip4(e->learn_by->xa);
	struct rsip_client c;

	assert_int_equal(bpf_map_delete_elem(map_fd(fx, m), e->learn_key), 0);
	assert_int_equal(bpf_map_lookup_elem(fx->m.clients, &xa, &c), 0);
	c.cookies -= m == DPM_OUT_SPI ? RSIP_LEARNED_OUT_SPI : RSIP_LEARNED_COOKIE;
	assert_int_equal(bpf_map_update_elem(fx->m.clients, &xa, &c, BPF_EXIST), 0);
}

static void check_slow_path(struct bpf_fx *fx, const struct fx_row *r, const struct fx_expect *e,
			    const struct pkt *in, const struct pkt *out)
{
	struct dp_view v;
	struct slow_result res;
	int want = xdp_only_exit(r->counter);
	uint32_t xa;

	fx_slow_view(fx, &v);
	check_held(fx, e, "XDP");
	if (in->len < 14 || in->b[12] != 0x08 || in->b[13] != 0x00)
		return; /* not IPv4: never handed to rsipd */
	if (e->learn_map) {
		assert_int_equal(learned_xa(fx, e, &xa), 0);
		assert_int_equal(xa, ip4(e->learn_by->xa));
		unlearn(fx, e);
	}
	if (r->lan)
		slow_lan_check(&v, in->b + 6, in->b + 14, in->len - 14, &res);
	else
		slow_wan_demux(&v, in->b + 14, in->len - 14, &res);
	if (want == RULES_TUNNEL) {
		if (res.verdict != SV_TUNNEL)
			fail_msg("%s: slow path: %s, XDP tunnelled (then %s)", r->name,
				 dp_counter_name(res.rule), dp_counter_name(r->counter));
		if (e->slow_xa)
			assert_int_equal(res.target.xa, e->slow_xa);
	} else if (want == RULES_FORWARD) {
		if (res.verdict != SV_SEND)
			fail_msg("%s: slow path: %s, XDP forwarded (then %s)", r->name,
				 dp_counter_name(res.rule), dp_counter_name(r->counter));
	} else {
		if (res.rule != r->counter)
			fail_msg("%s: slow path counted %s, XDP %s", r->name,
				 dp_counter_name(res.rule), dp_counter_name(r->counter));
		if (r->action == 4 /* XDP_REDIRECT */)
			assert_int_equal(res.verdict, r->lan ? SV_SEND : SV_TUNNEL);
		else if (res.rule == RSIP_CNT_WAN_SLOW_IKE_FANOUT)
			assert_int_equal(res.verdict, SV_FANOUT);
		else if (res.rule != RSIP_CNT_WAN_SLOW_ICMP_ERROR)
			assert_int_equal(res.verdict, SV_DROP);
	}
	/* The same client: the outer destination of the tunnelled frame. */
	if (!r->lan && r->action == 4 && out->len >= 34)
		assert_memory_equal(&res.target.xa, out->b + 30, 4);
	if (r->lan && res.verdict == SV_SEND)
		assert_int_equal(res.inner_len, (size_t)(out->len - 14));
	if (e->slow_reason == RSIP_SLOW_VIOLATION)
		assert_int_equal(res.violation, e->slow_error);
	else
		assert_int_equal(res.violation, 0);
	if (e->learn_map) {
		assert_int_equal(learned_xa(fx, e, &xa), 0);
		assert_int_equal(xa, ip4(e->learn_by->xa));
	}
	check_held(fx, e, "the slow path");
}

void fx_check_row(struct bpf_fx *fx, const struct fx_row *r)
{
	uint64_t before[RSIP_CNT_MAX], after[RSIP_CNT_MAX];
	struct fx_expect e;
	struct pkt in, out;
	int action, exits = 0;

	memset(&e, 0, sizeof(e));
	pkt_init(&in);
	r->build(&in, &e);
	bpf_fx_poll(fx); /* nothing left over from earlier rows */
	if (e.slow_reason == RSIP_SLOW_VIOLATION) {
		/* Records are rate-limited per client, kind and second: forget
		 * earlier rows' violations so this row sees its own. */
		struct rsip_client cv;

		assert_int_equal(bpf_map_lookup_elem(fx->m.clients, &e.slow_xa, &cv), 0);
		cv.viol_sec = 0;
		cv.viol_mask = 0;
		assert_int_equal(bpf_map_update_elem(fx->m.clients, &e.slow_xa, &cv, BPF_EXIST), 0);
	}
	bpf_fx_counters(fx, before);
	action = bpf_fx_run(fx, r->lan ? fx->lan_prog : fx->wan_prog,
			    r->lan ? fx->lan_if : fx->wan_if, &in, &out);
	bpf_fx_counters(fx, after);
	if (action != r->action)
		fail_msg("%s: action %s, expected %s", r->name, action_name(action),
			 action_name(r->action));
	for (unsigned int i = 0; i < RSIP_CNT_MAX; i++) {
		if (!dp_counter_is_exit(i))
			continue;
		if (after[i] != before[i])
			fprintf(stderr, "  counter %s +%llu\n", dp_counter_name(i),
				(unsigned long long)(after[i] - before[i]));
		exits += (int)(after[i] - before[i]);
	}
	if (after[r->counter] - before[r->counter] != 1)
		fail_msg("%s: counter %s did not move by one", r->name,
			 dp_counter_name(r->counter));
	assert_int_equal(exits, 1);

	if (action == 2 /* XDP_PASS */ && !e.out.len)
		e.out = in; /* passed untouched */
	if (e.out.len)
		compare_frames(&e, &out);

	assert_int_equal(bpf_fx_poll(fx), e.slow_reason ? 1 : 0);
	if (e.slow_reason) {
		const struct slow_rec *rec = &fx->recs[0];

		assert_int_equal(rec->meta.reason, e.slow_reason);
		assert_int_equal(rec->meta.xa, e.slow_xa);
		assert_int_equal(rec->meta.error, e.slow_error);
		assert_int_equal(rec->meta.ifindex, r->lan ? fx->lan_if : fx->wan_if);
		if (e.slow_frame_is_input) {
			assert_int_equal(rec->meta.pkt_len, in.len);
			assert_int_equal(rec->meta.cap_len, in.len);
			assert_int_equal(rec->flen, in.len);
			assert_memory_equal(rec->frame, in.b, in.len);
		}
		if (e.slow_frame_is_out) {
			assert_int_equal(rec->flen, e.out.len);
			assert_memory_equal(rec->frame, e.out.b, e.out.len);
		}
	}
	check_slow_path(fx, r, &e, &in, &out);
}

static struct bpf_fx *rows_fx;

static void row_test(void **state)
{
	fx_check_row(rows_fx, *state);
}

int fx_run_rows(const char *group, struct bpf_fx *fx, const struct fx_row *rows, size_t n)
{
	struct CMUnitTest *tests = calloc(n, sizeof(*tests));
	int rc;

	if (!tests)
		abort();
	rows_fx = fx;
	for (size_t i = 0; i < n; i++) {
		tests[i].name = rows[i].name;
		tests[i].test_func = row_test;
		tests[i].initial_state = (void *)&rows[i];
	}
	rc = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
	free(tests);
	return rc;
}
