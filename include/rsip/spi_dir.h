/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The SPI directory (issue 11 item 1, docs/dataplane.md "SPI blocks by
 * index"): the gateway chooses every SPI block, so it chooses blocks whose
 * index, put through a keyed permutation, is a small array index. The WAN
 * program then finds a block's target with one array lookup (an address
 * computation, no hashing) instead of a hash lookup.
 *
 *   slot  = rsip_spi_dir_slot(block, key, bits)   data plane: block -> slot
 *   block = rsip_spi_dir_block(slot, key, bits)   allocator: slot -> block
 *
 * bits = 32 - spi_block_shift: a block index has that many bits, and both
 * functions are bijections on [0, 2^bits), inverse to each other. A slot
 * below the directory's size is an array index; the directory is cut into
 * one partition of per_nb slots per public address (the address's place in
 * --public), so two addresses never share a slot and the allocator, which
 * keeps blocks unique per address, keeps slots unique too.
 *
 * The permutation is three cheap bijective steps (xor, multiply by an odd
 * number, xor-shift) keyed by 64 random bits: not a cipher. Why that is
 * enough, and what an observer can learn: docs/dataplane.md.
 *
 * Both clang -target bpf and gcc compile this file.
 */
#ifndef RSIP_SPI_DIR_H
#define RSIP_SPI_DIR_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

static __always_inline __u32 rsip_spi_dir_mask(__u32 bits)
{
	return bits >= 32 ? 0xffffffffu : (1u << bits) - 1;
}

/* The multiplier the key selects: always odd, so invertible mod 2^bits. */
static __always_inline __u32 rsip_spi_dir_mul(__u64 key)
{
	return (__u32)(key >> 32) | 1u;
}

/* block -> slot. shift = ceil(bits / 2): one more xor-shift by it undoes it. */
static __always_inline __u32 rsip_spi_dir_slot(__u32 block, __u64 key, __u32 bits)
{
	__u32 mask = rsip_spi_dir_mask(bits), h = (bits + 1) / 2;
	__u32 x = (block ^ (__u32)key) & mask;

	x = (x * rsip_spi_dir_mul(key)) & mask;
	x ^= x >> h;
	return x;
}

#ifndef __bpf__
/* The inverse of m mod 2^32 (m odd): Newton's iteration doubles the correct
 * low bits each step, 3 -> 6 -> 12 -> 24 -> 48. */
static inline __u32 rsip_spi_dir_inv(__u32 m)
{
	__u32 x = m; /* correct to 3 bits for any odd m */

	for (int i = 0; i < 4; i++)
		x *= 2u - m * x;
	return x;
}

/* slot -> block: the steps of rsip_spi_dir_slot undone in reverse order. */
static inline __u32 rsip_spi_dir_block(__u32 slot, __u64 key, __u32 bits)
{
	__u32 mask = rsip_spi_dir_mask(bits), h = (bits + 1) / 2;
	__u32 x = slot & mask;

	x ^= x >> h; /* 2h >= bits: (x >> h) >> h is 0 */
	x = (x * rsip_spi_dir_inv(rsip_spi_dir_mul(key))) & mask;
	return (x ^ (__u32)key) & mask;
}
#endif

#endif
