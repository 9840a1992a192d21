/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ABI between the XDP programs (bpf/) and user space (rsipd, rsipctl,
 * tests): map names, keys, values and the counter enum. Both clang -target bpf
 * (with vmlinux.h) and gcc (with the uapi headers) compile this file, so it
 * uses only the __u8/__u16/__u32/__u64 and __be types both sides have.
 *
 * Rules: keys have no holes (explicit padding, zeroed); addresses, ports and
 * SPIs are in network byte order; sizes are checked with _Static_assert; a
 * layout change bumps RSIP_DP_ABI_VERSION (and the map names' suffix).
 */
#ifndef RSIP_DP_ABI_H
#define RSIP_DP_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define RSIP_DP_ABI_VERSION 1

/* Every XDP exit is counted under one of these reasons. */
enum rsip_counter {
	RSIP_CNT_PASS_NOT_IP = 0, /* not IPv4: the kernel's business */
	RSIP_CNT_MAX,
};

#define RSIP_MAP_STATS "rsip_stats"

#endif
