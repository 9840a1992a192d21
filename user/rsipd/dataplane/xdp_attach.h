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

enum xdp_attach_how {
	XDP_ATTACHED, /* a new link */
	XDP_REPLACED, /* the pinned link now runs prog (BPF_LINK_UPDATE) */
	XDP_KEPT,     /* the pinned link already runs prog (reused, xdp_reuse.h) */
};

/* "attached", "replaced in place", "kept": for the start log. */
const char *xdp_attach_how_name(enum xdp_attach_how how);

/* Attach the program prog_fd to ifindex (ifname for messages) through the
 * link pinned at pin: kept when it already runs prog_fd there, updated in
 * place when it exists and holds ifindex in the same mode, else replaced by
 * a new link. *how tells which. 0 or -errno (logged with what to do). */
int xdp_attach(int prog_fd, int ifindex, const char *ifname, bool generic, const char *pin,
	       enum xdp_attach_how *how);

/* Detach: remove the pin; the link, and with it the program, goes when the
 * last reference closes. */
void xdp_detach(const char *pin);

#endif
