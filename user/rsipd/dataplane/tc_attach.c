// SPDX-License-Identifier: BSD-2-Clause
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rsip_tc.skel.h"
#include "rsip_xdp.skel.h"
#include "tc_attach.h"

/* rsipd's filter on each device: a fixed handle and priority, so a filter
 * left by an rsipd that was killed is replaced, never doubled. */
#define TC_HANDLE   0x5253 /* "RS" */
#define TC_PRIORITY 1

struct tc_hook {
	int ifindex;
	const char *ifname;
	bool qdisc_ours; /* rsipd created the clsact qdisc */
	bool attached;
};

struct tc_lane {
	struct rsip_tc *skel;
	struct tc_hook wan, lan;
};

int tc_load(struct rsip_xdp *xdp, struct rsip_tc **out)
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

static void hook_detach(struct tc_hook *h)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = h->ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE, .priority = TC_PRIORITY);
	int rc;

	if (h->attached) {
		rc = bpf_tc_detach(&hook, &opts);
		if (rc && rc != -ENOENT)
			log_warnx("cannot detach the TC program from %s: %s", h->ifname,
				  strerror(-rc));
		h->attached = false;
	}
	if (h->qdisc_ours) {
		/* Both points: libbpf then deletes the qdisc itself. */
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		rc = bpf_tc_hook_destroy(&hook);
		if (rc && rc != -ENOENT)
			log_warnx("cannot remove the clsact qdisc of %s: %s", h->ifname,
				  strerror(-rc));
		h->qdisc_ours = false;
	}
}

static int hook_attach(struct tc_hook *h, struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = h->ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE, .priority = TC_PRIORITY,
		    .prog_fd = bpf_program__fd(prog), .flags = BPF_TC_F_REPLACE);
	int rc = bpf_tc_hook_create(&hook);

	if (rc && rc != -EEXIST) {
		log_warnx("cannot create a clsact qdisc on %s: %s", h->ifname, strerror(-rc));
		return rc;
	}
	h->qdisc_ours = rc == 0;
	rc = bpf_tc_attach(&hook, &opts);
	if (rc) {
		log_warnx("cannot attach %s to %s (clsact ingress): %s", bpf_program__name(prog),
			  h->ifname, strerror(-rc));
		hook_detach(h);
		return rc;
	}
	h->attached = true;
	return 0;
}

int tc_lane_start(struct rsip_xdp *xdp, int wan_ifindex, const char *wan_if, int lan_ifindex,
		  const char *lan_if, struct tc_lane **out)
{
	struct tc_lane *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return -ENOMEM;
	t->wan = (struct tc_hook){.ifindex = wan_ifindex, .ifname = wan_if};
	t->lan = (struct tc_hook){.ifindex = lan_ifindex, .ifname = lan_if};
	rc = tc_load(xdp, &t->skel);
	if (!rc)
		rc = hook_attach(&t->wan, t->skel->progs.rsip_wan_tc);
	if (!rc)
		rc = hook_attach(&t->lan, t->skel->progs.rsip_lan_tc);
	if (rc) {
		tc_lane_stop(t);
		return rc;
	}
	*out = t;
	return 0;
}

void tc_lane_stop(struct tc_lane *t)
{
	if (!t)
		return;
	hook_detach(&t->wan);
	hook_detach(&t->lan);
	rsip_tc__destroy(t->skel);
	free(t);
}
