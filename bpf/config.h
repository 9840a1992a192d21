/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Load-time constants (libbpf-bootstrap habit): set through the skeleton's
 * rodata before load (skel->rodata->cfg_na = ...); the verifier then sees
 * them as constants. Addresses in network order.
 */
#ifndef RSIP_BPF_CONFIG_H
#define RSIP_BPF_CONFIG_H

#include "vmlinux.h"

#include "rsip/rules/parse.h"

/* Na: the gateway's LAN address, tunnel endpoint and outer source. */
const volatile __be32 cfg_na = 0;
/* The LAN device's MAC: source of every frame the WAN program sends. */
const volatile __u8 cfg_lan_mac[6] = {};
/* The WAN device's MAC: frames to another unicast MAC are not for us (all
 * zero: no check, e.g. in tests; see frame_for_other_host). */
const volatile __u8 cfg_wan_mac[6] = {};
/* The LAN MTU: bigger after encapsulation goes to the slow path. */
const volatile __u32 cfg_lan_mtu = 1500;
/* log2 of the SPI block size (decision D13): block = ntohl(spi) >> shift. */
const volatile __u32 cfg_spi_block_shift = 8;
/* The SPI directory (include/rsip/spi_dir.h): on (1), owned SPI blocks are
 * in rsip_spi_dir at rsip_spi_dir_slot(block, cfg_spi_key, 32 - shift);
 * off (0), in rsip_spi_blk by (Nb, block). */
const volatile __u32 cfg_spi_dir_on = 0;
const volatile __u64 cfg_spi_key = 0;
/* Leased ports by index: on (1), an Nb with an rsip_nb_dir entry has its
 * ports in rsip_port_dir; off (0), all in rsip_ports. */
const volatile __u32 cfg_port_dir_on = 0;
/* The WAN device: the LAN program forwards only there (0: wherever the FIB
 * says, e.g. in tests). */
const volatile __u32 cfg_wan_ifindex = 0;

/* Copies cfg_lan_mac byte by byte: a memcpy from a volatile object would let
 * the compiler read the compile-time zeros. */
static __always_inline void copy_lan_mac(__u8 *dst)
{
#pragma unroll
	for (int i = 0; i < ETH_ALEN; i++)
		dst[i] = cfg_lan_mac[i];
}

/* A unicast frame to another host's MAC, which a switch floods when it does
 * not know that MAC (e.g. the moment a gateway's port goes down): the kernel
 * would drop it (PACKET_OTHERHOST), and the programs must not forward it
 * either, or a cluster's standby duplicates what the active gateway forwards
 * (docs/cluster.md). An all-zero mac (tests) checks nothing. */
static __always_inline bool frame_for_other_host(const struct ethhdr *eth, const volatile __u8 *mac)
{
	__u8 set = 0, diff = 0;

	if (eth->h_dest[0] & 1) /* broadcast, multicast */
		return false;
#pragma unroll
	for (int i = 0; i < ETH_ALEN; i++) {
		set |= mac[i];
		diff |= eth->h_dest[i] ^ mac[i];
	}
	return set && diff;
}

#endif
