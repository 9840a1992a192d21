/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The per-host cap on learned entries, written once (rsip_client.cookies,
 * dp_abi.h: IKE cookies and echo ids in the low half, outbound SPIs in the
 * high half, each against cookie_cap). The LAN rules (rules/lan.h: the XDP
 * program and rsipd's slow path) ask rsip_learned_room before they learn;
 * the rsip_learned program (bpf/learned.h), through which user space adds
 * and removes counts (a cluster's mirrored entries, the idle sweep), and the
 * unit tests' in-memory stand-in of it compute the new count with
 * rsip_learned_added. Pure functions: no map, no hook.
 */
#ifndef RSIP_RULES_LEARNED_H
#define RSIP_RULES_LEARNED_H

#include "rsip/rules/env.h"

/* The cap rule: a host holding `held` entries of one kind may take n more
 * while that stays within its cap. */
static __always_inline bool rsip_learned_fits(__u32 held, __u32 n, __u32 cap)
{
	return (__u64)held + n <= cap;
}

/* The half of count that entries of `unit` (RSIP_LEARNED_*) are held in. */
static __always_inline __u32 rsip_learned_held(__u32 count, __u32 unit)
{
	return unit == RSIP_LEARNED_OUT_SPI ? RSIP_LEARNED_OUT_SPIS(count)
					    : RSIP_LEARNED_COOKIES(count);
}

/* May a host whose count is `count` learn one more entry of `unit`? */
static __always_inline bool rsip_learned_room(__u32 count, __u32 cap, __u32 unit)
{
	return rsip_learned_fits(rsip_learned_held(count, unit), 1, cap);
}

/* held + d kept within 0..RSIP_LEARNED_CAP_MAX: a removal never borrows
 * from the other half, an add never carries into it. */
static __always_inline __u32 rsip_learned_half(__u32 held, __s32 d)
{
	__s64 v = (__s64)held + d;

	if (v < 0)
		return 0;
	return v > RSIP_LEARNED_CAP_MAX ? RSIP_LEARNED_CAP_MAX : (__u32)v;
}

/* The count after adding d_cookies and d_out (either may be negative) to
 * count. With cap_on, an add that would take a half over cap is refused as
 * the LAN rules refuse to learn: -1, *out untouched. Else 0. */
static __always_inline int rsip_learned_added(__u32 count, __u32 cap, __s32 d_cookies, __s32 d_out,
					      bool cap_on, __u32 *out)
{
	__u32 lo = RSIP_LEARNED_COOKIES(count), hi = RSIP_LEARNED_OUT_SPIS(count);

	if (cap_on && ((d_cookies > 0 && !rsip_learned_fits(lo, (__u32)d_cookies, cap)) ||
		       (d_out > 0 && !rsip_learned_fits(hi, (__u32)d_out, cap))))
		return -1;
	*out =
	    rsip_learned_half(hi, d_out) * RSIP_LEARNED_OUT_SPI + rsip_learned_half(lo, d_cookies);
	return 0;
}

#endif
