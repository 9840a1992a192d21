// SPDX-License-Identifier: BSD-2-Clause
/* BPF test fixture (bpf_fixture.h). */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_fixture.h"
#include "dataplane/maps_internal.h"
#include "dataplane/tc_attach.h"
#include "rsip_tc.skel.h"
#include "rsip_xdp.skel.h"

const uint8_t FX_WAN_MAC[6] = {0x02, 0, 0, 0, 0x0a, 0x01};
const uint8_t FX_LAN_MAC[6] = {0x02, 0, 0, 0, 0x0b, 0x01};
const uint8_t FX_GW_MAC[6] = {0x02, 0, 0, 0, 0xfe, 0xfe};
const uint8_t FX_PEER_MAC[6] = {0x02, 0, 0, 0, 0x0a, 0x02};

void fx_sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0) {
		fprintf(stderr, "fixture: '%s' failed (%d)\n", cmd, rc);
		exit(1);
	}
}

static void skip(const char *why)
{
	printf("skipped: %s\n", why);
	fflush(stdout);
	exit(77);
}

void bpf_fx_enter_netns(void)
{
	if (geteuid() != 0)
		skip("BPF tests need root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)");
	/* A namespace of our own: fixed device names cannot collide with
	 * other tests, and everything vanishes with the process. */
	if (unshare(CLONE_NEWNET) != 0)
		skip("cannot create a network namespace (unshare CLONE_NEWNET)");
	fx_sh("ip link set lo up");
	fx_sh("ip link add rsipwan address 02:00:00:00:0a:01 type veth peer name rsipwanp "
	      "address 02:00:00:00:0a:02");
	fx_sh("ip link add rsiplan address 02:00:00:00:0b:01 type veth peer name rsiplanp");
	fx_sh("for d in rsipwan rsipwanp rsiplan rsiplanp; do ip link set $d up; done");
	fx_sh("ip addr add 198.51.100.241/28 dev rsipwan");
	fx_sh("for a in %s %s %s; do ip addr add $a/32 dev rsipwan; done", FX_NB1, FX_NB2, FX_NB3);
	fx_sh("ip addr add %s/24 dev rsiplan", FX_NA);
	fx_sh("ip neigh replace %s lladdr 02:00:00:00:fe:fe dev rsipwan nud permanent", FX_WAN_GW);
	fx_sh("ip neigh replace %s lladdr 02:00:00:00:99:99 dev rsiplan nud permanent",
	      FX_LAN_HOST);
	fx_sh("ip route add default via %s", FX_WAN_GW);
	fx_sh("ip route add unreachable 203.0.113.128/25");
	fx_sh("echo 1 > /proc/sys/net/ipv4/ip_forward");
}

static void on_sample(void *ctx, int cpu, void *data, __u32 size)
{
	struct bpf_fx *fx = ctx;
	struct slow_rec *r;

	if (fx->nrec == FX_MAX_RECS || size < sizeof(r->meta))
		return;
	r = &fx->recs[fx->nrec++];
	memcpy(&r->meta, data, sizeof(r->meta));
	/* perf pads samples to 8 bytes: cap_len says how many are frame. */
	r->flen = size - sizeof(r->meta);
	if (r->flen > r->meta.cap_len)
		r->flen = r->meta.cap_len;
	if (r->flen > sizeof(r->frame))
		r->flen = sizeof(r->frame);
	memcpy(r->frame, (uint8_t *)data + sizeof(r->meta), r->flen);
}

static void on_lost(void *ctx, int cpu, __u64 cnt)
{
	((struct bpf_fx *)ctx)->lost += cnt;
}

/* The TC object over the XDP object's maps, with its constants: as rsipd
 * loads it (dataplane/tc_attach.c). */
static int load_tc(struct bpf_fx *fx)
{
	int err = tc_load(fx->skel, &fx->tc_skel);

	if (err)
		return err;
	fx->wan_tc = bpf_program__fd(fx->tc_skel->progs.rsip_wan_tc);
	fx->lan_tc = bpf_program__fd(fx->tc_skel->progs.rsip_lan_tc);
	return 0;
}

void bpf_fx_use_tc(struct bpf_fx *fx, bool tc)
{
	fx->tc = tc;
	fx->wan_prog = tc ? fx->wan_tc : fx->wan_xdp;
	fx->lan_prog = tc ? fx->lan_tc : fx->lan_xdp;
}

int bpf_fx_load(struct bpf_fx *fx, const struct bpf_fx_opts *o)
{
	unsigned int size = o && o->map_size ? o->map_size : 1024;
	unsigned int psize = o && o->ports_size ? o->ports_size : size;
	struct dpx_config cfg = {
	    .spi_block_shift = FX_SHIFT,
	    .cookie_cap = o && o->cookie_cap ? o->cookie_cap : 16,
	};
	struct rsip_xdp *s;
	int err;

	memset(fx, 0, sizeof(*fx));
	fx->wan_if = if_nametoindex("rsipwan");
	fx->lan_if = if_nametoindex("rsiplan");
	if (!fx->wan_if || !fx->lan_if) {
		fprintf(stderr, "fixture: test devices missing (bpf_fx_enter_netns first)\n");
		return -ENODEV;
	}
	s = rsip_xdp__open();
	if (!s) {
		fprintf(stderr, "fixture: cannot open the BPF object: %s\n", strerror(errno));
		return -errno;
	}
	s->rodata->cfg_na = ip4(FX_NA);
	memcpy((void *)s->rodata->cfg_lan_mac, FX_LAN_MAC, 6);
	memcpy((void *)s->rodata->cfg_wan_mac, FX_WAN_MAC, 6);
	s->rodata->cfg_lan_mtu = FX_LAN_MTU;
	s->rodata->cfg_spi_block_shift = FX_SHIFT;
	s->rodata->cfg_wan_ifindex = fx->wan_if;
	if (o && o->spi_dir_slots) {
		fx->spi_dir = (struct dp_dirs){
		    .key = o->spi_key, .slots = o->spi_dir_slots, .per_nb = o->spi_dir_per_nb};
		s->rodata->cfg_spi_dir_on = 1;
		s->rodata->cfg_spi_key = o->spi_key;
		bpf_map__set_max_entries(s->maps.rsip_spi_dir, o->spi_dir_slots);
		cfg.spi_dir = fx->spi_dir;
	}
	bpf_map__set_max_entries(s->maps.rsip_port_dir,
				 (o && o->port_dir_slots ? o->port_dir_slots : 1) *
				     RSIP_PORT_DIR_SPAN);
	if (o && o->port_dir_slots) {
		fx->spi_dir.port_slots = o->port_dir_slots;
		s->rodata->cfg_port_dir_on = 1;
		cfg.spi_dir = fx->spi_dir;
	}
	bpf_map__set_max_entries(s->maps.rsip_clients, size);
	bpf_map__set_max_entries(s->maps.rsip_nb, size);
	bpf_map__set_max_entries(s->maps.rsip_ports, psize);
	bpf_map__set_max_entries(s->maps.rsip_ike, size);
	bpf_map__set_max_entries(s->maps.rsip_spi, size);
	bpf_map__set_max_entries(s->maps.rsip_spi_blk, size);
	bpf_map__set_max_entries(s->maps.rsip_icmp_id, size);
	bpf_map__set_max_entries(s->maps.rsip_out_spi, size);
	err = rsip_xdp__load(s);
	if (err) {
		fprintf(stderr, "fixture: cannot load the BPF object: %s\n", strerror(-err));
		rsip_xdp__destroy(s);
		return err;
	}
	fx->skel = s;
	fx->wan_xdp = fx->wan_prog = bpf_program__fd(s->progs.rsip_wan);
	fx->lan_xdp = fx->lan_prog = bpf_program__fd(s->progs.rsip_lan);
	err = load_tc(fx);
	if (err) {
		bpf_fx_destroy(fx);
		return err;
	}
	fx->m = dpx_maps_of(s);
	fx->x = dpx_new(&fx->m, &cfg);
	if (!fx->x) {
		bpf_fx_destroy(fx);
		return -ENOMEM;
	}
	/* bpf_redirect_map returns XDP_REDIRECT only for a key in the devmap. */
	for (int i = 0; i < 2; i++) {
		__u32 ifx = i ? fx->wan_if : fx->lan_if;

		err = bpf_map_update_elem(bpf_map__fd(s->maps.rsip_tx), &ifx, &ifx, BPF_ANY);
		if (err) {
			fprintf(stderr, "fixture: rsip_tx: %s\n", strerror(-err));
			bpf_fx_destroy(fx);
			return err;
		}
	}
	fx->pb =
	    perf_buffer__new(bpf_map__fd(s->maps.rsip_slowpath), 16, on_sample, on_lost, fx, NULL);
	if (!fx->pb) {
		err = -errno;
		fprintf(stderr, "fixture: perf buffer: %s\n", strerror(errno));
		bpf_fx_destroy(fx);
		return err;
	}
	return 0;
}

void bpf_fx_destroy(struct bpf_fx *fx)
{
	perf_buffer__free(fx->pb);
	dpx_free(fx->x);
	rsip_tc__destroy(fx->tc_skel);
	rsip_xdp__destroy(fx->skel);
	memset(fx, 0, sizeof(*fx));
}

#define TC_ACT_OK	0
#define TC_ACT_SHOT	2
#define TC_ACT_REDIRECT 7

int bpf_fx_run_tc_gso(struct bpf_fx *fx, int prog, int ifindex, const struct pkt *in,
		      struct pkt *out, uint16_t gso_size, uint16_t gso_segs)
{
	struct __sk_buff ctx = {.ifindex = ifindex,
				.ingress_ifindex = ifindex,
				.gso_size = gso_size,
				.gso_segs = gso_segs};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in->b, .data_size_in = in->len,
		    .data_out = out->b, .data_size_out = sizeof(out->b), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int err = bpf_prog_test_run_opts(prog, &o);

	if (err)
		return err;
	out->len = o.data_size_out;
	return o.retval;
}

static int run_tc(struct bpf_fx *fx, int prog, int ifindex, const struct pkt *in, struct pkt *out)
{
	int verdict = bpf_fx_run_tc_gso(fx, prog, ifindex, in, out, 0, 0);

	switch (verdict) {
	case TC_ACT_OK:
		return 2; /* XDP_PASS */
	case TC_ACT_SHOT:
		return 1; /* XDP_DROP */
	case TC_ACT_REDIRECT:
		return 4; /* XDP_REDIRECT */
	}
	return verdict < 0 ? verdict : -1000 - verdict;
}

int bpf_fx_run(struct bpf_fx *fx, int prog, int ifindex, const struct pkt *in, struct pkt *out)
{
	if (fx->tc)
		return run_tc(fx, prog, ifindex, in, out);
	struct xdp_md md = {.data_end = in->len, .ingress_ifindex = ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in->b, .data_size_in = in->len,
		    .data_out = out->b, .data_size_out = sizeof(out->b), .ctx_in = &md,
		    .ctx_size_in = sizeof(md), .repeat = 1);
	int err = bpf_prog_test_run_opts(prog, &o);

	if (err)
		return err;
	out->len = o.data_size_out;
	return o.retval;
}

void bpf_fx_counters(struct bpf_fx *fx, uint64_t *out)
{
	if (dpx_counters(fx->x, out)) {
		fprintf(stderr, "fixture: cannot read rsip_stats\n");
		exit(1);
	}
}

struct rsip_bind_stats bpf_fx_slot_sum(struct bpf_fx *fx, uint32_t slot)
{
	struct rsip_bind_stats sum = {0};
	uint64_t pkts, bytes;

	if (slot_read(fx->x, slot, &pkts, &bytes)) {
		fprintf(stderr, "fixture: cannot read rsip_bind_stats slot %u\n", slot);
		exit(1);
	}
	sum.pkts = pkts;
	sum.bytes = bytes;
	return sum;
}

int bpf_fx_poll(struct bpf_fx *fx)
{
	fx->nrec = 0;
	perf_buffer__consume(fx->pb);
	return fx->nrec;
}

uint32_t bpf_fx_verified_insns(int prog_fd)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return 0;
	return info.verified_insns;
}
