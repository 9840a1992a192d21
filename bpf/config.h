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
/* The LAN device's MAC: source of every frame the WAN program sends. Both
 * MACs are 2-aligned (where the compiler put them anyway, so the layout of
 * .rodata is unchanged): read as three 16-bit words (mac16). */
const volatile __u8 cfg_lan_mac[6] __attribute__((aligned(2))) = {};
/* The WAN device's MAC: frames to another unicast MAC are not for us (all
 * zero: no check, e.g. in tests; see frame_for_other_host). */
const volatile __u8 cfg_wan_mac[6] __attribute__((aligned(2))) = {};
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

/* A MAC as three 16-bit words, for a MAC at an even address: the load-time
 * MACs above, rsip_target.mac (offset 8 of an 8-aligned value), and a frame's
 * Ethernet addresses (an XDP frame or an skb starts 2-aligned at least; an
 * x86 or arm64 JIT would not mind less). Three loads, three stores or three
 * compares instead of six: the byte loops cost rsip_wan's ESP hit path about
 * 45 translated instructions, with spills (docs/performance.md, dp21). */
#define mac16(m)     ((const __u16 *)(m))
#define mac16_mut(m) ((__u16 *)(m))

/* Copies cfg_lan_mac word by word: a memcpy from a volatile object would let
 * the compiler read the compile-time zeros. */
static __always_inline void copy_lan_mac(__u8 *dst)
{
	const volatile __u16 *src = (const volatile __u16 *)cfg_lan_mac;

	mac16_mut(dst)[0] = src[0];
	mac16_mut(dst)[1] = src[1];
	mac16_mut(dst)[2] = src[2];
}

/* A unicast frame to another host's MAC, which a switch floods when it does
 * not know that MAC (e.g. the moment a gateway's port goes down): the kernel
 * would drop it (PACKET_OTHERHOST), and the programs must not forward it
 * either, or a cluster's standby duplicates what the active gateway forwards
 * (docs/cluster.md). An all-zero mac (tests) checks nothing. */
static __always_inline bool frame_for_other_host(const struct ethhdr *eth, const volatile __u8 *mac)
{
	const volatile __u16 *m = (const volatile __u16 *)mac;
	const __u16 *d = mac16(eth->h_dest);
	__u16 m0, m1, m2;

	if (eth->h_dest[0] & 1) /* broadcast, multicast */
		return false;
	m0 = m[0];
	m1 = m[1];
	m2 = m[2];
	return (m0 | m1 | m2) && ((d[0] ^ m0) | (d[1] ^ m1) | (d[2] ^ m2));
}

#endif
