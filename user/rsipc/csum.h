/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TCP/UDP checksum of an inner packet that GRO merged. When GRO at a hop
 * before this host (a bridge port, the host's own NIC) merges IP-IP packets,
 * the raw tunnel socket hands rsipc one inner packet longer than the tunnel
 * MTU whose TCP/UDP checksum still belongs to the first segment (the kernel
 * would only have fixed it while segmenting). Written to the TUN as it is,
 * the host's stack drops it (TcpInCsumErrors) and a bulk TCP stream stalls.
 */
#ifndef RSIPC_CSUM_H
#define RSIPC_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Recompute the TCP or UDP checksum of the IPv4 packet pkt[0..len) in place
 * (a UDP checksum of 0, "none", stays 0). Returns 0 when it did, -1 when the
 * packet is not an unfragmented IPv4 TCP/UDP packet of exactly len bytes
 * (left unchanged). */
int csum_refresh_l4(uint8_t *pkt, size_t len);

#endif
