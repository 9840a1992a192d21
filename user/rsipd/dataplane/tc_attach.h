/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * --attach tc: the gateway's TC programs (bpf/rsip_tc.bpf.c) on clsact
 * ingress of the WAN and the LAN device, instead of the XDP programs. The TC
 * object is loaded over the XDP object's maps (bpf_map__reuse_fd: one set,
 * pinned once) with its load-time constants, or its pinned programs of the
 * previous run are taken (tc_reuse.h). rsipd creates the clsact qdisc where
 * there is none and puts one filter per device at a fixed handle and
 * priority (libbpf's bpf_tc_*). Like the XDP links the filters outlive
 * rsipd: a stop leaves them running against the pinned maps, and the next
 * start keeps a filter that already runs the program it would attach, or
 * swaps its program in place (BPF_TC_F_REPLACE: cls_bpf replaces the
 * filter's program atomically, no packet sees the device without one).
 * Which devices carry the filters, and on which rsipd created the qdisc,
 * is pinned (tc_filters under the pin directory), for the start or the
 * --detach-on-exit stop of a later process. docs/dataplane.md, "With
 * --attach tc".
 */
#ifndef RSIPD_TC_ATTACH_H
#define RSIPD_TC_ATTACH_H

#include <stdbool.h>

struct dp_tc_status;
struct rsip_xdp;
struct rsip_tc;
struct tc_lane;

/* Opens and loads the TC object over xdp's maps and constants. 0 or -errno
 * (logged). */
int tc_load(struct rsip_xdp *xdp, struct rsip_tc **out);

struct tc_lane_cfg {
	const char *pin_path;
	bool xdp_reused; /* the XDP programs (and maps) are the previous run's */
	int wan_ifindex, lan_ifindex;
	const char *wan_if, *lan_if; /* for messages */
};

/* Takes the previous run's TC programs or loads them over xdp's maps, and
 * puts rsip_wan_tc on the WAN and rsip_lan_tc on the LAN device: a filter
 * already running that program is kept, another one at rsipd's handle is
 * replaced in place. A filter rsipd left on a device that is no longer
 * --wan or --lan is removed. On failure what is attached stays (the maps it
 * runs against are filled: the previous run's, or this start's before it
 * attaches). 0 or -errno (logged). */
int tc_lane_start(struct rsip_xdp *xdp, const struct tc_lane_cfg *cfg, struct tc_lane **out);

/* What tc_lane_start did, into out (its strings live as long as t). */
void tc_lane_status(const struct tc_lane *t, struct dp_tc_status *out);

/* Frees t; remove: also take away its filters, the qdiscs rsipd created
 * and the pins of tc_lane_start (--detach-on-exit). NULL: nothing. */
void tc_lane_stop(struct tc_lane *t, bool remove);

/* Without a lane: remove the filters at rsipd's handle on the two devices
 * and on the devices the pinned record names, the qdiscs it records as
 * rsipd's, and the TC pins (--attach xdp after tc, a failed first start). */
void tc_filters_remove(const char *pin_path, int wan_ifindex, int lan_ifindex);

#endif
