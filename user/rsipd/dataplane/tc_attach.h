/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * --attach tc: the gateway's TC programs (bpf/rsip_tc.bpf.c) on clsact
 * ingress of the WAN and the LAN device, instead of the XDP programs. The TC
 * object is loaded over the XDP object's maps (bpf_map__reuse_fd: one set,
 * pinned once) with its load-time constants. rsipd creates the clsact qdisc
 * where there is none, attaches one filter per device with libbpf
 * (bpf_tc_hook_create, bpf_tc_attach), and on every exit removes exactly
 * that: its two filters, and a qdisc only if it created it. Unlike the XDP
 * links (pinned, kept across a restart) the filters do not outlive rsipd:
 * a restart leaves a gap of its start-up time (docs/dataplane.md).
 */
#ifndef RSIPD_TC_ATTACH_H
#define RSIPD_TC_ATTACH_H

struct rsip_xdp;
struct rsip_tc;
struct tc_lane;

/* Opens and loads the TC object over xdp's maps and constants. 0 or -errno
 * (logged). */
int tc_load(struct rsip_xdp *xdp, struct rsip_tc **out);

/* Loads the TC object and attaches rsip_wan_tc to wan_ifindex and
 * rsip_lan_tc to lan_ifindex (names for messages). On failure nothing of
 * it is left. 0 or -errno (logged). */
int tc_lane_start(struct rsip_xdp *xdp, int wan_ifindex, const char *wan_if, int lan_ifindex,
		  const char *lan_if, struct tc_lane **out);

/* Detaches what tc_lane_start attached and frees it (NULL: nothing). */
void tc_lane_stop(struct tc_lane *t);

#endif
