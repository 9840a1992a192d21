/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which rsip_tx slot a frame leaves through (enum rsip_tx_slot, dp_abi.h).
 * The XDP programs pass the slot to bpf_redirect_map: an empty slot (rsipd
 * has not filled it) or no slot drops the frame with the *_drop_no_tx
 * counter. The TC programs never touch rsip_tx: at load the kernel
 * (bpf_check_tail_call, map_type_contains_progs) refuses a program whose
 * type differs from the first user of a map that can hold programs, and an
 * array DEVMAP is one (a DEVMAP_HASH is not; seen as -EINVAL after a clean
 * verifier log on 6.18), so rsip_wan_tc only checks that a target has the LAN
 * slot and bpf_redirects to its ifindex, and rsip_lan_tc redirects to
 * cfg_wan_ifindex.
 */
#ifndef RSIP_BPF_TX_H
#define RSIP_BPF_TX_H

#include "vmlinux.h"

#include "config.h"
#include "rsip/dp_abi.h"

/* RSIP_TX_LAN when t's LAN device is the one the programs were loaded for,
 * else RSIP_TX_SLOTS (out of the map: a target left from another LAN device
 * is not sent out of this one). cfg_lan_ifindex is a constant to the
 * verifier: one compare, no lookup. */
static __always_inline __u32 tx_slot_of_target(const struct rsip_target *t)
{
	return t->lan_ifindex == cfg_lan_ifindex ? RSIP_TX_LAN : RSIP_TX_SLOTS;
}

#endif
