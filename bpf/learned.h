/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rsip_learned: user space's only way to change a host's learned count
 * (rsip_client.cookies). The LAN program adds to it with an atomic add when
 * it learns; rsipd takes counts off (the idle sweep) and charges entries a
 * cluster mirrors in. Done from user space as a lookup and an update of the
 * whole rsip_client, every increment the program made in between would be
 * lost (the host could then exceed its cap, or its count drift). This
 * BPF_PROG_TYPE_SYSCALL program, run with BPF_PROG_TEST_RUN and a struct
 * rsip_learned_req (dp_abi.h) as its context, does a compare-and-swap on the
 * counter inside the kernel instead: the kernel's atomic add and
 * compare-and-swap on one word never lose each other's update. The new
 * count and the cap are rules/learned.h's, the ones the LAN rules use.
 */
#ifndef RSIP_BPF_LEARNED_H
#define RSIP_BPF_LEARNED_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "maps.h"
#include "rsip/rules/learned.h"

/* Each failed swap means another CPU's add landed (progress); learning for
 * one host on many CPUs at once is rare, so a handful of tries is plenty and
 * user space tries again on RSIP_LREQ_BUSY. */
#define LEARNED_TRIES 16

static __always_inline int learned_main(struct rsip_learned_req *req)
{
	__be32 xa = req->xa;
	struct rsip_client *c = bpf_map_lookup_elem(&rsip_clients, &xa);
	__u32 old, new = 0;

	if (!c) {
		req->result = RSIP_LREQ_NO_CLIENT;
		return 0;
	}
	for (int i = 0; i < LEARNED_TRIES; i++) {
		old = *(volatile __u32 *)&c->cookies;
		if (rsip_learned_added(old, c->cookie_cap, req->d_cookies, req->d_out,
				       req->flags & RSIP_LREQ_F_CAP, &new)) {
			req->count = old;
			req->result = RSIP_LREQ_OVER_CAP;
			return 0;
		}
		if (__sync_val_compare_and_swap(&c->cookies, old, new) == old) {
			req->count = new;
			req->result = RSIP_LREQ_DONE;
			return 0;
		}
	}
	req->result = RSIP_LREQ_BUSY;
	return 0;
}

#endif
