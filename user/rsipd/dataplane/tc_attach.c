// SPDX-License-Identifier: BSD-2-Clause
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane.h"
#include "log.h"
#include "pinned_record.h"
#include "rsip_tc.skel.h"
#include "rsip_xdp.skel.h"
#include "tc_attach.h"
#include "tc_reuse.h"

/* rsipd's filter on each device: a fixed handle and priority, so a filter
 * left by a previous rsipd is found, kept or replaced, never doubled. */
#define TC_HANDLE   0x5253 /* "RS" */
#define TC_PRIORITY 1

#define REC_PIN	   "tc_filters"
#define REC_LAYOUT 1u

enum { SIDE_WAN, SIDE_LAN, SIDES };

/* The value of the pinned tc_filters array (one entry): where the filters
 * are, and where rsipd created the clsact qdisc (removed with them by
 * --detach-on-exit, perhaps by another process than the one that made it). */
struct tc_filters_rec {
	uint32_t layout;
	uint32_t ifindex[SIDES]; /* 0: none */
	uint8_t qdisc_ours[SIDES];
	uint8_t pad[2];
};

enum tc_how { TC_ATTACHED, TC_REPLACED, TC_KEPT };

struct tc_hook {
	int ifindex;
	const char *ifname;
	bool qdisc_ours; /* rsipd created the clsact qdisc (this run or one before) */
	enum tc_how how;
};

struct tc_lane {
	struct rsip_tc *skel;
	struct tc_reuse progs;
	char pin_path[PATH_MAX];
	struct tc_hook hook[SIDES];
};

/* The TC object opened, its constants set from xdp's and its maps made
 * xdp's; not loaded. 0 or -errno (logged). */
static int tc_open(struct rsip_xdp *xdp, struct rsip_tc **out)
{
	struct rsip_tc *t = rsip_tc__open();
	struct bpf_map *map, *theirs;
	int rc;

	if (!t) {
		rc = -errno;
		log_warnx("cannot open the TC object: %s", strerror(-rc));
		return rc;
	}
	t->rodata->cfg_na = xdp->rodata->cfg_na;
	memcpy((void *)t->rodata->cfg_lan_mac, (const void *)xdp->rodata->cfg_lan_mac, 6);
	memcpy((void *)t->rodata->cfg_wan_mac, (const void *)xdp->rodata->cfg_wan_mac, 6);
	t->rodata->cfg_lan_mtu = xdp->rodata->cfg_lan_mtu;
	t->rodata->cfg_spi_block_shift = xdp->rodata->cfg_spi_block_shift;
	t->rodata->cfg_spi_dir_on = xdp->rodata->cfg_spi_dir_on;
	t->rodata->cfg_spi_key = xdp->rodata->cfg_spi_key;
	t->rodata->cfg_port_dir_on = xdp->rodata->cfg_port_dir_on;
	t->rodata->cfg_wan_ifindex = xdp->rodata->cfg_wan_ifindex;
	/* Every map of the TC object is one of the XDP object's (maps.h): its
	 * own data sections (.rodata, .bss) are the only ones it creates. */
	bpf_object__for_each_map(map, t->obj)
	{
		if (bpf_map__is_internal(map))
			continue;
		theirs = bpf_object__find_map_by_name(xdp->obj, bpf_map__name(map));
		rc = theirs ? bpf_map__reuse_fd(map, bpf_map__fd(theirs)) : -ENOENT;
		if (rc) {
			log_warnx("TC object: cannot share the map %s: %s", bpf_map__name(map),
				  strerror(-rc));
			rsip_tc__destroy(t);
			return rc;
		}
	}
	*out = t;
	return 0;
}

int tc_load(struct rsip_xdp *xdp, struct rsip_tc **out)
{
	struct rsip_tc *t;
	int rc = tc_open(xdp, &t);

	if (rc)
		return rc;
	rc = rsip_tc__load(t);
	if (rc) {
		log_warnx("cannot load the TC programs: %s (run with -v for the verifier's log)",
			  strerror(-rc));
		rsip_tc__destroy(t);
		return rc;
	}
	*out = t;
	return 0;
}

/* ---- the pinned record --------------------------------------------------------- */

/* The record, or all zero when there is none (or it is not ours to read). */
static void rec_read(const char *pin_path, struct tc_filters_rec *rec)
{
	if (pinned_record_read(pin_path, REC_PIN, rec, sizeof(*rec)) || rec->layout != REC_LAYOUT)
		memset(rec, 0, sizeof(*rec));
}

/* Replace the record with what t has attached now. */
static void rec_write(const struct tc_lane *t)
{
	struct tc_filters_rec rec = {.layout = REC_LAYOUT};
	int s, rc;

	for (s = 0; s < SIDES; s++) {
		rec.ifindex[s] = (uint32_t)t->hook[s].ifindex;
		rec.qdisc_ours[s] = t->hook[s].qdisc_ours;
	}
	rc = pinned_record_write(t->pin_path, REC_PIN, &rec, sizeof(rec));
	if (rc)
		log_warnx("cannot pin %s under %s: a --detach-on-exit stop will not know which "
			  "clsact qdisc rsipd created: %s",
			  REC_PIN, t->pin_path, strerror(-rc));
}

/* ---- one device ------------------------------------------------------------------ */

/* The id of the program rsipd's filter on ifindex runs: 0 when there is
 * no such filter (or no clsact qdisc). */
static uint32_t filter_prog(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE, .priority = TC_PRIORITY);

	return bpf_tc_query(&hook, &opts) < 0 ? 0 : opts.prog_id;
}

/* Remove rsipd's filter from ifindex, and the clsact qdisc when rsipd
 * created it. */
static void filter_remove(int ifindex, const char *ifname, bool qdisc_ours)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE, .priority = TC_PRIORITY);
	int rc;

	if (filter_prog(ifindex)) {
		rc = bpf_tc_detach(&hook, &opts);
		if (rc && rc != -ENOENT)
			log_warnx("cannot detach the TC program from %s: %s", ifname,
				  strerror(-rc));
	}
	if (qdisc_ours) {
		/* Both points: libbpf then deletes the qdisc itself. */
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		rc = bpf_tc_hook_destroy(&hook);
		if (rc && rc != -ENOENT && rc != -ENODEV && rc != -EINVAL)
			log_warnx("cannot remove the clsact qdisc of %s: %s", ifname,
				  strerror(-rc));
	}
}

static uint32_t prog_id(int fd)
{
	struct bpf_prog_info info = {0};
	uint32_t len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ? 0 : info.id;
}

/* Put prog_fd at rsipd's handle on h's device (h->qdisc_ours: the record
 * says rsipd created its qdisc). */
static int hook_attach(struct tc_hook *h, int prog_fd, const char *prog_name)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = h->ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE, .priority = TC_PRIORITY,
		    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	uint32_t running;
	int rc = bpf_tc_hook_create(&hook);

	if (rc && rc != -EEXIST) {
		log_warnx("cannot create a clsact qdisc on %s: %s", h->ifname, strerror(-rc));
		return rc;
	}
	h->qdisc_ours = h->qdisc_ours || rc == 0;
	running = filter_prog(h->ifindex);
	if (running && running == prog_id(prog_fd)) {
		h->how = TC_KEPT;
		return 0;
	}
	/* cls_bpf swaps the program of an existing filter in place. */
	rc = bpf_tc_attach(&hook, &opts);
	if (rc) {
		log_warnx("cannot attach %s to %s (clsact ingress): %s", prog_name, h->ifname,
			  strerror(-rc));
		return rc;
	}
	h->how = running ? TC_REPLACED : TC_ATTACHED;
	return 0;
}

static const char *how_name(enum tc_how how)
{
	switch (how) {
	case TC_KEPT:
		return "kept";
	case TC_REPLACED:
		return "replaced in place";
	default:
		return "attached";
	}
}

/* ---- the lane --------------------------------------------------------------------- */

/* The programs: the previous run's when tc_reuse_take allows, else loaded
 * (and recorded for the next start). */
static int lane_programs(struct tc_lane *t, struct rsip_xdp *xdp, bool xdp_reused)
{
	int rc = tc_open(xdp, &t->skel);

	if (rc)
		return rc;
	tc_reuse_take(t->skel->obj, t->pin_path, xdp_reused, &t->progs);
	if (!t->progs.reused) {
		rc = rsip_tc__load(t->skel);
		if (rc) {
			log_warnx("cannot load the TC programs: %s (run with -v for the "
				  "verifier's log)",
				  strerror(-rc));
			return rc;
		}
		tc_reuse_record(t->skel->obj, t->pin_path);
	}
	log_notice("TC programs: %s", t->progs.how);
	return 0;
}

int tc_lane_start(struct rsip_xdp *xdp, const struct tc_lane_cfg *cfg, struct tc_lane **out)
{
	struct tc_lane *t = calloc(1, sizeof(*t));
	struct tc_filters_rec rec;
	int rc, s, r;

	if (!t)
		return -ENOMEM;
	if (snprintf(t->pin_path, sizeof(t->pin_path), "%s", cfg->pin_path) >=
	    (int)sizeof(t->pin_path)) {
		free(t);
		return -ENAMETOOLONG;
	}
	t->hook[SIDE_WAN] = (struct tc_hook){.ifindex = cfg->wan_ifindex, .ifname = cfg->wan_if};
	t->hook[SIDE_LAN] = (struct tc_hook){.ifindex = cfg->lan_ifindex, .ifname = cfg->lan_if};
	rec_read(cfg->pin_path, &rec);
	/* A device that is no longer --wan or --lan keeps no filter of ours. */
	for (s = 0; s < SIDES; s++)
		if (rec.ifindex[s] && (int)rec.ifindex[s] != cfg->wan_ifindex &&
		    (int)rec.ifindex[s] != cfg->lan_ifindex) {
			log_info("removing the TC filter rsipd left on ifindex %u (no longer "
				 "--wan or --lan)",
				 rec.ifindex[s]);
			filter_remove((int)rec.ifindex[s], "a former device", rec.qdisc_ours[s]);
		}
	/* A qdisc rsipd created stays rsipd's, whichever run did it. */
	for (s = 0; s < SIDES; s++)
		for (r = 0; r < SIDES; r++)
			if ((int)rec.ifindex[r] == t->hook[s].ifindex && rec.qdisc_ours[r])
				t->hook[s].qdisc_ours = true;
	rc = lane_programs(t, xdp, cfg->xdp_reused);
	for (s = 0; !rc && s < SIDES; s++) {
		struct bpf_program *p =
		    s == SIDE_WAN ? t->skel->progs.rsip_wan_tc : t->skel->progs.rsip_lan_tc;

		rc = hook_attach(&t->hook[s], tc_reuse_prog_fd(&t->progs, p), bpf_program__name(p));
		rec_write(t); /* at once: a qdisc created here is rsipd's whatever follows */
	}
	if (rc) {
		tc_lane_stop(t, false);
		return rc;
	}
	log_notice("tc filters: %s on %s, %s on %s", how_name(t->hook[SIDE_WAN].how), cfg->wan_if,
		   how_name(t->hook[SIDE_LAN].how), cfg->lan_if);
	*out = t;
	return 0;
}

void tc_lane_status(const struct tc_lane *t, struct dp_tc_status *out)
{
	int s;

	out->programs = t->progs.how;
	for (s = 0; s < SIDES; s++) {
		out->dev[s] = t->hook[s].ifname;
		out->filter[s] = how_name(t->hook[s].how);
	}
}

void tc_lane_stop(struct tc_lane *t, bool remove)
{
	int s;

	if (!t)
		return;
	if (remove) {
		for (s = 0; s < SIDES; s++)
			if (t->hook[s].ifindex)
				filter_remove(t->hook[s].ifindex, t->hook[s].ifname,
					      t->hook[s].qdisc_ours);
		pinned_record_withdraw(t->pin_path, REC_PIN);
		tc_reuse_unpin(t->pin_path);
	}
	tc_reuse_close(&t->progs);
	rsip_tc__destroy(t->skel);
	free(t);
}

void tc_filters_remove(const char *pin_path, int wan_ifindex, int lan_ifindex)
{
	struct tc_filters_rec rec;
	int dev[SIDES * 2], n = 0, i, s;
	bool ours;

	rec_read(pin_path, &rec);
	for (s = 0; s < SIDES; s++)
		if (rec.ifindex[s])
			dev[n++] = (int)rec.ifindex[s];
	dev[n++] = wan_ifindex;
	dev[n++] = lan_ifindex;
	for (i = 0; i < n; i++) {
		ours = false;
		for (s = 0; s < SIDES; s++)
			if ((int)rec.ifindex[s] == dev[i] && rec.qdisc_ours[s])
				ours = true;
		for (s = 0; s < i; s++)
			if (dev[s] == dev[i])
				break;
		if (s < i)
			continue; /* done */
		if (filter_prog(dev[i]) || ours) {
			log_info("removing the TC filter%s rsipd left on ifindex %d",
				 ours ? " and clsact qdisc" : "", dev[i]);
			filter_remove(dev[i], "a device of a previous --attach tc", ours);
		}
	}
	pinned_record_withdraw(pin_path, REC_PIN);
	tc_reuse_unpin(pin_path);
}
