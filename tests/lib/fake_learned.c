// SPDX-License-Identifier: BSD-2-Clause
/* What the rsip_learned program (bpf/learned.h) does to a host's entry, for
 * the in-memory maps (fake_maps.c): the same rule, rules/learned.h. Its own
 * file: the rules' headers bring <netinet/ip_icmp.h>, whose icmp_id macro
 * would rename struct dpx_maps' member in fake_maps.c. */
#include "fake_maps.h"
#include "rsip/rules/learned.h"

void fake_learned_apply(struct rsip_client *c, struct rsip_learned_req *req)
{
	__u32 n = 0;

	if (rsip_learned_added(c->cookies, c->cookie_cap, req->d_cookies, req->d_out,
			       req->flags & RSIP_LREQ_F_CAP, &n)) {
		req->count = c->cookies;
		req->result = RSIP_LREQ_OVER_CAP;
		return;
	}
	c->cookies = n;
	req->count = n;
	req->result = RSIP_LREQ_DONE;
}
