// SPDX-License-Identifier: BSD-2-Clause
/*
 * The XDP data plane of rsipd (dataplane_ops): glue between the engine, the
 * map-writing layer (dpx), neighbours, the slow path and the loader.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dataplane.h"
#include "dp_names.h"
#include "xdp.h"
#include "map_sizes.h"
#include "maps.h"
#include "net/event.h"
#include "log.h"
#include "neigh.h"
#include "netdev.h"
#include "rsip/dp_abi.h"
#include "rsip_xdp.skel.h"
#include "slowpath/slowpath.h"
#include "tc_attach.h"
#include "xdp_attach.h"
#include "xdp_load.h"
#include "xdp_reuse.h"
#include "xdp_steer.h"

#define TICK_MS		 1000 /* slow-path reassembly timeouts */
#define SWEEP_EVERY	 10   /* ticks between sweeps of learned entries */
#define LEARNED_IDLE_S	 300  /* a learned cookie / echo id / SPI idle this long goes */
#define PERF_PAGES	 64   /* per CPU: 256 KiB of slow-path records */
#define MAX_WAN_GATEWAYS 8

struct dp_xdp {
	struct dataplane dp; /* first: to_xdp() */
	const struct rsipd_config *cfg;
	struct ev_loop *loop;
	struct xdp_load ld; /* the object, its programs (reused or loaded) */
	int loaded;	    /* dataplane_xdp_loaded: 0 not yet, 1 done, else its -errno */
	struct dpx *dpx;
	struct netdev_info lan, wan;
	uint32_t na;
	struct neigh *lan_neigh, *wan_neigh;
	struct perf_buffer *pb;
	int pb_fd;
	struct slowpath *slow;
	struct slow_tx tx;
	struct slow_tx_ops tx_ops;
	struct dp_view view;
	struct dpx_maps maps;
	struct ev_timer *timer;
	unsigned int ticks;
	bool restoring; /* until dataplane_xdp_restored */
	bool undo;	/* dataplane_xdp_start_failed on a fresh start */
	char link_wan[PATH_MAX], link_lan[PATH_MAX];
	struct tc_lane *tc; /* --attach tc: the TC programs, attached */
	bool fresh;	    /* no pins of a previous run at start */
	bool filled;	    /* the restore ended: the maps hold every lease */
};

static struct dp_xdp *to_xdp(struct dataplane *dp)
{
	return (struct dp_xdp *)dp;
}

/* ---- dataplane_ops -------------------------------------------------------- */

static int xdp_client_add(struct dataplane *dp, const struct dp_client *c)
{
	struct dp_xdp *x = to_xdp(dp);
	int rc = dpx_client_add(x->dpx, c);

	if (rc < 0)
		return rc;
	/* Its MAC comes from the kernel's neighbour table: at once when known,
	 * else when the managed entry resolves (its traffic takes the slow path
	 * meanwhile). A restored client keeps the MAC of its live map entry
	 * until its neighbour entry is looked at, soon after the restart. */
	if ((x->restoring ? neigh_watch_later : neigh_watch)(x->lan_neigh, c->xa) < 0)
		log_warnx("client %s: its MAC will not be tracked: its packets take the slow "
			  "path (WAN) or are dropped (LAN)",
			  inet_ntoa(c->xa));
	return 0;
}

static int xdp_client_del(struct dataplane *dp, const struct dp_client *c)
{
	struct dp_xdp *x = to_xdp(dp);

	neigh_unwatch(x->lan_neigh, c->xa);
	return dpx_client_del(x->dpx, c);
}

static int xdp_binding_add(struct dataplane *dp, const struct binding_rec *b)
{
	return dpx_binding_add(to_xdp(dp)->dpx, b);
}

static int xdp_binding_del(struct dataplane *dp, const struct binding_rec *b)
{
	return dpx_binding_del(to_xdp(dp)->dpx, b);
}

static int xdp_binding_stats(struct dataplane *dp, const struct binding_rec *b,
			     struct dp_binding_stats *out)
{
	return dpx_binding_stats(to_xdp(dp)->dpx, b, out);
}

static int xdp_counters(struct dataplane *dp, struct json_object *out)
{
	struct dp_xdp *x = to_xdp(dp);
	uint64_t ctr[RSIP_CNT_MAX], sc[SC_MAX];
	unsigned int i;
	int rc = dpx_counters(x->dpx, ctr);

	if (rc == 0)
		for (i = 0; i < RSIP_CNT_MAX; i++)
			json_object_object_add(out, dp_counter_name(i),
					       json_object_new_int64((int64_t)ctr[i]));
	json_object_object_add(out, "bind_slots_uncounted",
			       json_object_new_int64((int64_t)dpx_slots_uncounted(x->dpx)));
	slow_counters(x->slow, sc);
	for (i = 0; i < SC_MAX; i++)
		json_object_object_add(out, slow_counter_name(i),
				       json_object_new_int64((int64_t)sc[i]));
	return rc;
}

static void stop_io(struct dp_xdp *x)
{
	if (x->timer)
		ev_timer_del(x->loop, x->timer);
	x->timer = NULL;
	if (x->pb) {
		ev_del_fd(x->loop, x->pb_fd);
		perf_buffer__free(x->pb);
		x->pb = NULL;
	}
	slow_tx_close(&x->tx);
}

static void xdp_destroy(struct dataplane *dp, bool detach)
{
	struct dp_xdp *x = to_xdp(dp);

	/* A load still running on its thread (a start that failed meanwhile)
	 * pins maps and programs: it ends before anything is taken down. */
	xdp_load_wait(&x->ld);
	stop_io(x);
	/* --attach tc: the filters stay, as the links do, unless a first start
	 * ends before its maps were filled (docs/dataplane.md) or failed after
	 * (dataplane_xdp_start_failed). */
	tc_lane_stop(x->tc, detach || x->undo || (x->fresh && !x->filled));
	detach = detach || x->undo;
	if (detach) {
		if (x->undo) /* as a start that fails in dataplane_xdp_new */
			tc_filters_remove(x->cfg->pin_path, x->wan.ifindex, x->lan.ifindex);
		xdp_detach(x->link_wan);
		xdp_detach(x->link_lan);
		xdp_unpin_maps(x->cfg->pin_path);
		if (x->undo)
			log_info("removed what this failed start pinned under %s",
				 x->cfg->pin_path);
		else
			log_info("XDP data plane taken down (--detach-on-exit)");
	}
	neigh_free(x->lan_neigh, detach);
	neigh_free(x->wan_neigh, detach);
	dpx_free(x->dpx);
	slow_free(x->slow);
	xdp_load_close(&x->ld);
	free(x);
}

static int xdp_learned_list(struct dataplane *dp, void (*fn)(const struct dp_learned *l, void *arg),
			    void *arg)
{
	return dpx_learned_list(to_xdp(dp)->dpx, fn, arg);
}

static int xdp_learned_put(struct dataplane *dp, const struct dp_learned *l, const char **why)
{
	return dpx_learned_put(to_xdp(dp)->dpx, l, why);
}

static int xdp_learned_del(struct dataplane *dp, const struct dp_learned *l)
{
	return dpx_learned_del(to_xdp(dp)->dpx, l);
}

static const struct dataplane_ops xdp_ops = {
    .name = "xdp",
    .client_add = xdp_client_add,
    .client_del = xdp_client_del,
    .binding_add = xdp_binding_add,
    .binding_del = xdp_binding_del,
    .binding_stats = xdp_binding_stats,
    .counters = xdp_counters,
    .learned_list = xdp_learned_list,
    .learned_put = xdp_learned_put,
    .learned_del = xdp_learned_del,
    .destroy = xdp_destroy,
};

/* ---- neighbours ------------------------------------------------------------ */

static void on_client_mac(void *arg, struct in_addr addr, const uint8_t mac[6], int ifindex)
{
	struct dp_xdp *x = arg;
	int rc = dpx_client_set_link(x->dpx, addr, mac, (uint32_t)ifindex);

	if (rc < 0 && rc != -ENOENT)
		log_warnx("client %s: cannot store its MAC: %s", inet_ntoa(addr), strerror(-rc));
	else
		log_debug("client %s is at %02x:%02x:%02x:%02x:%02x:%02x", inet_ntoa(addr), mac[0],
			  mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static void on_gateway_mac(void *arg, struct in_addr addr, const uint8_t mac[6], int ifindex)
{
	/* Nothing to store: the LAN program's FIB lookup finds the kernel's
	 * entry, which the managed flag keeps resolved. */
	log_debug("WAN next hop %s resolved", inet_ntoa(addr));
}

static int start_neighbours(struct dp_xdp *x)
{
	struct in_addr gw[MAX_WAN_GATEWAYS];
	int rc, n, i;

	x->lan_neigh = neigh_new(x->loop, x->lan.ifindex, on_client_mac, x, &rc);
	if (!x->lan_neigh)
		return rc;
	x->wan_neigh = neigh_new(x->loop, x->wan.ifindex, on_gateway_mac, x, &rc);
	if (!x->wan_neigh)
		return rc;
	n = neigh_route_gateways(x->wan.ifindex, gw, MAX_WAN_GATEWAYS);
	for (i = 0; i < n; i++)
		neigh_watch(x->wan_neigh, gw[i]);
	return 0;
}

/* ---- slow path --------------------------------------------------------------- */

static int view_fd(const struct dpx_maps *m, enum dp_map_id id)
{
	switch (id) {
	case DPM_CLIENTS:
		return m->clients;
	case DPM_NB:
		return m->nb;
	case DPM_PORTS:
		return m->ports;
	case DPM_IKE:
		return m->ike;
	case DPM_SPI:
		return m->spi;
	case DPM_SPI_BLK:
		return m->spi_blk;
	case DPM_ICMP_ID:
		return m->icmp_id;
	case DPM_OUT_SPI:
		return m->out_spi;
	case DPM_SPI_DIR:
		return m->spi_dir;
	case DPM_PORT_DIR:
		return m->port_dir;
	case DPM_NB_DIR:
		return m->nb_dir;
	default:
		return -1;
	}
}

static int view_lookup(void *arg, enum dp_map_id m, const void *key, void *val)
{
	struct dp_xdp *x = arg;

	if (bpf_map_lookup_elem(view_fd(&x->maps, m), key, val) < 0)
		return -errno;
	return 0;
}

static int view_update(void *arg, enum dp_map_id m, const void *key, const void *val,
		       uint64_t flags)
{
	struct dp_xdp *x = arg;

	if (bpf_map_update_elem(view_fd(&x->maps, m), key, val, flags) < 0)
		return -errno;
	return 0;
}

static int view_next_key(void *arg, enum dp_map_id m, const void *key, void *next)
{
	struct dp_xdp *x = arg;

	if (bpf_map_get_next_key(view_fd(&x->maps, m), key, next) < 0)
		return -errno;
	return 0;
}

static int view_del(void *arg, enum dp_map_id m, const void *key)
{
	struct dp_xdp *x = arg;

	if (bpf_map_delete_elem(view_fd(&x->maps, m), key) < 0)
		return -errno;
	return 0;
}

static void on_sample(void *ctx, int cpu, void *data, __u32 size)
{
	slow_record(((struct dp_xdp *)ctx)->slow, data, size);
}

static void on_lost(void *ctx, int cpu, __u64 cnt)
{
	slow_lost(((struct dp_xdp *)ctx)->slow, cnt);
}

static void on_perf(int fd, uint32_t events, void *arg)
{
	struct dp_xdp *x = arg;
	int rc = perf_buffer__consume(x->pb);

	if (rc < 0)
		log_debug("slow path: reading the perf buffer: %s", strerror(-rc));
}

static void on_tick(void *arg)
{
	struct dp_xdp *x = arg;
	struct dpx_sweep_result res;

	slow_tick(x->slow);
	if (++x->ticks % SWEEP_EVERY)
		return;
	if (dpx_sweep(x->dpx, dpx_now_ns(), (uint64_t)LEARNED_IDLE_S * 1000000000u, &res) == 0 &&
	    (res.cookies || res.icmp_ids || res.out_spis))
		log_debug("learned entries expired: %u cookies, %u echo ids, %u outbound SPIs",
			  res.cookies, res.icmp_ids, res.out_spis);
}

static int view_learned_add(void *arg, struct rsip_learned_req *req)
{
	struct dp_xdp *x = arg;

	return dpx_kernel_ops.learned_add(NULL, x->maps.learned, req);
}

static int start_slow_path(struct dp_xdp *x)
{
	struct slow_cfg sc = {0};
	int rc;

	x->view = (struct dp_view){.lookup = view_lookup,
				   .update = view_update,
				   .next_key = view_next_key,
				   .del = view_del,
				   .learned_add = view_learned_add,
				   .arg = x,
				   .spi_block_shift = x->cfg->spi_block_shift,
				   .spi_dir_on = x->dp.spi_dir.slots != 0,
				   .spi_key = x->dp.spi_dir.key,
				   .port_dir_on = x->dp.spi_dir.port_slots != 0,
				   .na = x->na};
	/* A cluster gateway (--role-file) binds Na before it holds it, as its
	 * RSIP sockets do (main.c). */
	rc = slow_tx_open(&x->tx, x->na, x->cfg->role_file[0] != '\0');
	if (rc < 0)
		return rc;
	slow_tx_ops_init(&x->tx_ops, &x->tx);
	sc.view = &x->view;
	sc.tx = &x->tx_ops;
	sc.cb = &x->dp.cb;
	sc.na = x->na;
	sc.lan_mtu = (uint16_t)x->lan.mtu;
	sc.wan_mtu = (uint16_t)x->wan.mtu;
	x->slow = slow_new(&sc);
	if (!x->slow)
		return -ENOMEM;
	x->pb = perf_buffer__new(bpf_map__fd(x->ld.skel->maps.rsip_slowpath), PERF_PAGES, on_sample,
				 on_lost, x, NULL);
	if (!x->pb) {
		rc = -errno;
		log_warnx("slow path: cannot open the perf buffer: %s", strerror(-rc));
		return rc;
	}
	x->pb_fd = perf_buffer__epoll_fd(x->pb);
	rc = ev_add_fd(x->loop, x->pb_fd, EPOLLIN, on_perf, x);
	if (rc < 0)
		return rc;
	x->timer = ev_timer_add(x->loop, TICK_MS, TICK_MS, on_tick, x);
	return x->timer ? 0 : -ENOMEM;
}

/* ---- start ------------------------------------------------------------------ */

static int get_dev(const char *flag, const char *name, struct netdev_info *out)
{
	int rc = netdev_info(name, out);

	if (rc < 0)
		log_warnx("%s %s: %s", flag, name,
			  rc == -ENODEV ? "no such interface" : strerror(-rc));
	return rc;
}

static int fill_tx(struct dp_xdp *x)
{
	int fd = bpf_map__fd(x->ld.skel->maps.rsip_tx);
	uint32_t lan = (uint32_t)x->lan.ifindex, wan = (uint32_t)x->wan.ifindex;

	if (bpf_map_update_elem(fd, &lan, &lan, BPF_ANY) < 0 ||
	    bpf_map_update_elem(fd, &wan, &wan, BPF_ANY) < 0) {
		log_warnx("cannot fill rsip_tx: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* --attach tc: the TC programs instead. XDP links a previous rsipd left
 * pinned (--attach xdp keeps them on exit) would run in front of them, and
 * go first. */
static int attach_tc(struct dp_xdp *x)
{
	struct tc_lane_cfg tc = {.pin_path = x->cfg->pin_path,
				 .xdp_reused = x->ld.progs.reused,
				 .wan_ifindex = x->wan.ifindex,
				 .lan_ifindex = x->lan.ifindex,
				 .wan_if = x->cfg->wan_if,
				 .lan_if = x->cfg->lan_if};
	int rc;

	xdp_detach(x->link_wan);
	xdp_detach(x->link_lan);
	rc = tc_lane_start(x->ld.skel, &tc, &x->tc);
	if (!rc) {
		tc_lane_status(x->tc, &x->dp.tc);
		log_notice("TC programs on clsact ingress of %s and %s (--attach tc)",
			   x->cfg->wan_if, x->cfg->lan_if);
	}
	return rc;
}

static int prog_fd(const struct dp_xdp *x, const struct bpf_program *p)
{
	return xdp_reuse_prog_fd(&x->ld.progs, p);
}

static int attach_both(struct dp_xdp *x)
{
	bool generic = x->cfg->xdp_mode == CFG_XDP_GENERIC;
	enum xdp_attach_how wan, lan;
	int rc;

	if (x->cfg->attach == CFG_ATTACH_TC)
		return attach_tc(x);

	/* --spi-steer: the first stage in front of the same WAN program. */
	rc = xdp_attach(prog_fd(x, x->cfg->n_spi_steer ? x->ld.skel->progs.rsip_wan_steer
						       : x->ld.skel->progs.rsip_wan),
			x->wan.ifindex, x->cfg->wan_if, generic, x->link_wan, &wan);
	if (rc)
		return rc;
	rc = xdp_attach(prog_fd(x, x->ld.skel->progs.rsip_lan), x->lan.ifindex, x->cfg->lan_if,
			generic, x->link_lan, &lan);
	if (rc)
		return rc;
	log_notice("XDP %s on %s (%s) and %s (%s)", generic ? "generic" : "native", x->cfg->wan_if,
		   xdp_attach_how_name(wan), x->cfg->lan_if, xdp_attach_how_name(lan));
	/* TC filters of an earlier --attach tc run: behind XDP now, so no gap. */
	tc_filters_remove(x->cfg->pin_path, x->wan.ifindex, x->lan.ifindex);
	return 0;
}

/* The LAN program forwards clients' packets with bpf_fib_lookup, which
 * refuses (and every such packet is dropped as lan_drop_fib) while IPv4
 * forwarding is off on the interface they arrive on. Not fatal: the operator
 * may turn it on after rsipd starts; but say so now rather than let traffic
 * vanish. */
static void warn_if_not_forwarding(const char *lan_if)
{
	char path[128], v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding", lan_if);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fread(&v, 1, 1, f) == 1 && v == '0')
		log_warnx("IPv4 forwarding is off on %s: clients' packets will be dropped "
			  "(lan_drop_fib) until it is on: sysctl -w net.ipv4.conf.all.forwarding=1",
			  lan_if);
	fclose(f);
}

/* The map sizes this configuration needs (map_sizes.c), or -EINVAL after
 * saying why it cannot be held. */
static int xdp_map_sizes(const struct rsipd_config *cfg, struct map_sizes *sizes)
{
	char why[256];
	int rc = map_sizes_for_config(cfg, sizes, why, sizeof(why));

	if (rc)
		log_warnx("%s", why);
	else
		log_info("map sizes: rsip_clients %u, rsip_port_dir %u, rsip_ports %u (%u Nb "
			 "without a port partition), rsip_ike %u, rsip_spi %u, rsip_spi_dir %u, "
			 "rsip_icmp_id %u, rsip_out_spi %u (docs/dataplane.md, Map sizes)",
			 sizes->clients, sizes->port_dir, sizes->ports, sizes->orphan_nb,
			 sizes->ike, sizes->spi, sizes->spi_dir, sizes->icmp_id, sizes->out_spi);
	/* The rsip_bind_stats line is preflight's (start-up and -t alike). */
	return rc;
}

struct dataplane *dataplane_xdp_new(const struct rsipd_config *cfg, struct ev_loop *loop, int *err)
{
	struct dp_xdp *x = calloc(1, sizeof(*x));
	struct xdp_load_cfg lc = {0};
	struct dpx_config dc = {0};
	char meta[PATH_MAX + 16];
	bool fresh = false;
	int rc;

	if (!x) {
		*err = -ENOMEM;
		return NULL;
	}
	x->dp.ops = &xdp_ops;
	x->cfg = cfg;
	x->loop = loop;
	x->tx.ipip = x->tx.gre = x->tx.raw = -1;
	libbpf_set_print(log_libbpf);
	/* Na: the tunnel endpoint the hosts are told, else the RSIP server. */
	x->na = cfg->tunnel_endpoint.s_addr ? cfg->tunnel_endpoint.s_addr : cfg->listen_addr.s_addr;
	rc = get_dev("--wan", cfg->wan_if, &x->wan);
	if (!rc)
		rc = get_dev("--lan", cfg->lan_if, &x->lan);
	if (rc)
		goto fail;
	if (x->lan.mtu < x->wan.mtu + RSIP_GRE_OVERHEAD)
		log_warnx("LAN MTU %u is below the WAN MTU %u + %u: packets from the public side "
			  "that do not fit after encapsulation take the slow path "
			  "(docs/dataplane.md, MTU)",
			  x->lan.mtu, x->wan.mtu, RSIP_GRE_OVERHEAD);
	warn_if_not_forwarding(cfg->lan_if);
	if (snprintf(x->link_wan, sizeof(x->link_wan), "%s/link_wan", cfg->pin_path) >=
		(int)sizeof(x->link_wan) ||
	    snprintf(x->link_lan, sizeof(x->link_lan), "%s/link_lan", cfg->pin_path) >=
		(int)sizeof(x->link_lan)) {
		rc = -ENAMETOOLONG;
		goto fail;
	}

	/* No pins of a previous run: whatever this start pins is its own, and a
	 * failure takes it away again (nothing is left of a failed first start). */
	snprintf(meta, sizeof(meta), "%s/%s", cfg->pin_path, RSIP_MAP_META);
	fresh = access(meta, F_OK) < 0 && errno == ENOENT;
	x->fresh = fresh;

	lc.pin_path = cfg->pin_path;
	lc.map_size = cfg->map_size;
	rc = xdp_map_sizes(cfg, &lc.sizes);
	if (rc)
		goto fail;
	lc.map_prealloc = cfg->map_prealloc;
	lc.na = x->na;
	memcpy(lc.lan_mac, x->lan.mac, 6);
	memcpy(lc.wan_mac, x->wan.mac, 6);
	lc.lan_mtu = x->lan.mtu;
	lc.wan_ifindex = (uint32_t)x->wan.ifindex;
	lc.spi_block_shift = cfg->spi_block_shift;
	lc.n_public = (uint32_t)cfg->n_public;
	lc.public_addrs = cfg->public_addrs;
	lc.lan_ifindex = (uint32_t)x->lan.ifindex;
	lc.steer = cfg->n_spi_steer > 0;
	rc = xdp_load_open(&lc, &x->ld);
	if (rc)
		goto fail;
	/* The mirror and the allocator need the SPI directory and the maps'
	 * sizes, not the maps: they are built now, the maps' fds are given
	 * at dataplane_xdp_loaded. */
	x->dp.spi_dir = x->ld.spi_dir;
	dc.spi_block_shift = cfg->spi_block_shift;
	dc.spi_dir = x->dp.spi_dir;
	dc.cookie_cap = RSIP_DEF_COOKIE_CAP;
	x->maps = dpx_maps_later(x->ld.bind_slots);
	x->dpx = dpx_new(&x->maps, &dc);
	if (!x->dpx) {
		rc = -ENOMEM;
		goto fail;
	}
	/* Everything the engine adds from now on until dataplane_xdp_restored
	 * is compared with what the pins hold, not rewritten. */
	dpx_restore_begin(x->dpx);
	x->restoring = true;
	rc = start_neighbours(x);
	if (!rc)
		rc = xdp_load_start(&x->ld); /* the last step that can fail here */
	if (rc)
		goto fail;
	return &x->dp;
fail:
	/* Nothing of a previous run is taken down: its pins stay as they were. */
	xdp_load_wait(&x->ld);
	stop_io(x);
	tc_lane_stop(x->tc, fresh);
	if (fresh) {
		tc_filters_remove(cfg->pin_path, x->wan.ifindex, x->lan.ifindex);
		xdp_detach(x->link_wan);
		xdp_detach(x->link_lan);
		xdp_unpin_maps(cfg->pin_path);
		log_info("removed what this failed start pinned under %s", cfg->pin_path);
	}
	neigh_free(x->lan_neigh, false);
	neigh_free(x->wan_neigh, false);
	dpx_free(x->dpx);
	slow_free(x->slow);
	xdp_load_close(&x->ld);
	free(x);
	*err = rc;
	return NULL;
}

/* After the load: the maps' fds to the mirror, the public addresses, the
 * devices, the slow path, then the programs attached. */
static int loaded_setup(struct dp_xdp *x)
{
	const struct rsipd_config *cfg = x->cfg;
	size_t i;
	int rc;

	x->dp.programs = x->ld.progs.how;
	x->maps = dpx_maps_of(x->ld.skel);
	x->maps.learned = prog_fd(x, x->ld.skel->progs.rsip_learned);
	x->maps.bind_stats_new = x->ld.bind_stats_new;
	rc = dpx_set_maps(x->dpx, &x->maps);
	if (rc)
		return rc;
	for (i = 0; i < cfg->n_public; i++) {
		rc = dpx_nb_add(x->dpx, cfg->public_addrs[i]);
		if (rc) {
			log_warnx("cannot add --public %s to the data plane: %s",
				  inet_ntoa(cfg->public_addrs[i]), strerror(-rc));
			return rc;
		}
	}
	rc = fill_tx(x);
	if (!rc && cfg->n_spi_steer)
		rc = xdp_steer_fill(x->ld.skel, prog_fd(x, x->ld.skel->progs.rsip_wan_cpu),
				    cfg->spi_steer, cfg->n_spi_steer);
	if (!rc)
		rc = start_slow_path(x);
	if (!rc)
		rc = attach_both(x);
	if (rc)
		return rc;
	log_notice("XDP data plane: Na %s, LAN %s (MTU %u), WAN %s (MTU %u), pins %s%s",
		   inet_ntoa((struct in_addr){.s_addr = x->na}), cfg->lan_if, x->lan.mtu,
		   cfg->wan_if, x->wan.mtu, cfg->pin_path, x->ld.reused ? " (reused)" : "");
	return 0;
}

int dataplane_xdp_loaded(struct dataplane *dp)
{
	struct dp_xdp *x = to_xdp(dp);
	bool threaded = x->ld.on_thread;
	struct timespec t0, t1;
	int rc;

	if (x->loaded)
		return x->loaded < 0 ? x->loaded : 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = xdp_load_wait(&x->ld);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (threaded)
		log_info("programs loaded on a second thread in %" PRIu64
			 " ms; rsipd's thread waited %" PRIu64 " ms for them",
			 x->ld.thread_ms,
			 (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000 +
				    (t1.tv_nsec - t0.tv_nsec) / 1000000));
	if (!rc)
		rc = loaded_setup(x);
	x->loaded = rc ? rc : 1;
	return rc;
}

int dataplane_xdp_restored(struct dataplane *dp)
{
	int n = dataplane_xdp_loaded(dp);

	if (n < 0)
		return n;
	n = dpx_restore_end(to_xdp(dp)->dpx);

	to_xdp(dp)->restoring = false;
	to_xdp(dp)->filled = n >= 0;

	if (n < 0) {
		log_warnx("data plane: cleaning up after the restart: %s%s", strerror(-n),
			  n == -ENOSPC
			      ? " (the maps cannot hold the restored leases: they need a larger "
				"--map-size, which takes effect after a --detach-on-exit stop)"
			      : "");
		return n;
	}
	if (n)
		log_info("data plane: %d stale entr%s of the previous run removed", n,
			 n == 1 ? "y" : "ies");
	return 0;
}

void dataplane_xdp_start_failed(struct dataplane *dp)
{
	to_xdp(dp)->undo = to_xdp(dp)->fresh;
}
