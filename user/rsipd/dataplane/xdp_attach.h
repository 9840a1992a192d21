/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Attaching the XDP programs so that a restart or an upgrade never leaves a
 * gap: each program hangs on a bpf_link (BPF_LINK_CREATE, BPF_XDP) pinned
 * under the pin directory. The pin keeps the program attached while rsipd is
 * down; the next rsipd opens the pin and swaps its new program in with
 * BPF_LINK_UPDATE (bpf_link__update_program), atomically. libxdp's
 * multi-program dispatcher would let other XDP programs share the interface,
 * but cannot load here (its freplace programs get EPERM); see
 * docs/dataplane.md.
 */
#ifndef RSIPD_XDP_ATTACH_H
#define RSIPD_XDP_ATTACH_H

#include <stdbool.h>

struct bpf_program;

/* Attach prog to ifindex (ifname for messages) through the link pinned at
 * pin: updated in place when it exists and holds ifindex in the same mode,
 * else replaced by a new link. *updated tells which. 0 or -errno (logged
 * with what to do). */
int xdp_attach(struct bpf_program *prog, int ifindex, const char *ifname, bool generic,
	       const char *pin, bool *updated);

/* Detach: remove the pin; the link, and with it the program, goes when the
 * last reference closes. */
void xdp_detach(const char *pin);

#endif
