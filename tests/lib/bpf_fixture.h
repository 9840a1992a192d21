/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fixture for the BPF_PROG_TEST_RUN tests (tests/bpf/): a private network
 * namespace with a WAN and a LAN veth (routes, neighbours, forwarding on),
 * the rsip_xdp skeleton loaded (not attached) with its load-time constants,
 * the rsip_tc skeleton (--attach tc) loaded with the same constants over the
 * same maps, the maps filled through dpx, both devices in rsip_tx, and a
 * reader for the slow-path perf buffer.
 */
#ifndef RSIP_TEST_BPF_FIXTURE_H
#define RSIP_TEST_BPF_FIXTURE_H

#include <stdint.h>

#include "dataplane/maps.h"
#include "pkt.h"

/* The test network (inside the namespace). */
#define FX_NA	    "10.0.0.1"	/* gateway LAN address, tunnel endpoint */
#define FX_NB1	    "192.0.2.1" /* shared public addresses */
#define FX_NB2	    "192.0.2.2" /* leased whole in the tests */
#define FX_NB3	    "192.0.2.3"
#define FX_PEER	    "198.51.100.7"   /* Y, via the default gateway (WAN: .241/28) */
#define FX_WAN_GW   "198.51.100.254" /* with a permanent neighbour entry */
#define FX_NO_NEIGH "198.51.100.249" /* on-link, no neighbour entry */
#define FX_UNREACH  "203.0.113.200"  /* an unreachable route */
#define FX_LAN_HOST "10.0.0.99"	     /* on the LAN, with a neighbour entry */
#define FX_LAN_MTU  1500
#define FX_SHIFT    8

extern const uint8_t FX_WAN_MAC[6], FX_LAN_MAC[6], FX_GW_MAC[6], FX_PEER_MAC[6];

struct slow_rec {
	struct rsip_slow_meta meta;
	uint8_t frame[PKT_MAX];
	size_t flen;
};

#define FX_MAX_RECS 32

struct rsip_xdp;
struct rsip_tc;
struct perf_buffer;

struct bpf_fx {
	struct rsip_xdp *skel;
	struct rsip_tc *tc_skel;
	struct dpx *x;
	struct dpx_maps m;
	/* The programs bpf_fx_run runs: XDP's, or TC's after bpf_fx_use_tc. */
	int wan_prog, lan_prog;
	int wan_xdp, lan_xdp, wan_tc, lan_tc;
	bool tc;
	int wan_if, lan_if;
	struct dp_dirs spi_dir; /* as loaded (slots 0: off) */
	struct perf_buffer *pb;
	struct slow_rec recs[FX_MAX_RECS];
	int nrec;
	unsigned long lost;
};

struct bpf_fx_opts {
	unsigned int map_size;	 /* max_entries of every hash map (default 1024) */
	unsigned int ports_size; /* rsip_ports only (default map_size) */
	uint32_t cookie_cap;	 /* default 16 */
	/* The SPI directory (rsip/spi_dir.h): rsip_spi_dir's size (0: off,
	 * owned blocks in rsip_spi_blk), its key and partition size. */
	uint32_t spi_dir_slots, spi_dir_per_nb;
	uint64_t spi_key;
	/* Leased ports by index (rules/ports.h): rsip_port_dir's partitions
	 * (0: off, ports in rsip_ports). */
	uint32_t port_dir_slots;
};

/* Exits 77 (skip) with a message when not root or namespaces are not
 * available; then enters a new network namespace and builds the test
 * network there. Call once, first. */
void bpf_fx_enter_netns(void);
/* Loads the object and fills the fixture; 0 or -errno (messages on
 * stderr). */
int bpf_fx_load(struct bpf_fx *fx, const struct bpf_fx_opts *o);
void bpf_fx_destroy(struct bpf_fx *fx);
/* One BPF_PROG_TEST_RUN (repeat 1) of prog with the frame arriving on
 * ifindex. Returns the XDP action (or -errno); out gets the frame after.
 * With fx->tc, prog is a TC program run on an skb, and its verdict is
 * returned as the XDP action that means the same (TC_ACT_OK: XDP_PASS,
 * TC_ACT_SHOT: XDP_DROP, TC_ACT_REDIRECT: XDP_REDIRECT; any other: -1000 -
 * verdict), so every fixture row holds for both. */
int bpf_fx_run(struct bpf_fx *fx, int prog, int ifindex, const struct pkt *in, struct pkt *out);
/* As bpf_fx_run for a TC program, on an skb marked GSO (gso_size, gso_segs;
 * the test runner gives no GSO type). Returns the TC verdict. */
int bpf_fx_run_tc_gso(struct bpf_fx *fx, int prog, int ifindex, const struct pkt *in,
		      struct pkt *out, uint16_t gso_size, uint16_t gso_segs);
/* Run the TC programs (true) or the XDP programs (false) from now on:
 * sets fx->tc, fx->wan_prog and fx->lan_prog. */
void bpf_fx_use_tc(struct bpf_fx *fx, bool tc);
/* rsip_stats summed over CPUs. */
void bpf_fx_counters(struct bpf_fx *fx, uint64_t *out);
/* rsip_bind_stats[slot] summed over CPUs, read as rsipctl reads it. */
struct rsip_bind_stats bpf_fx_slot_sum(struct bpf_fx *fx, uint32_t slot);
/* Drains the slow-path buffer into fx->recs (cleared first); returns the
 * number of records. */
int bpf_fx_poll(struct bpf_fx *fx);
/* The verifier's processed-instruction count of a program (0: unknown). */
uint32_t bpf_fx_verified_insns(int prog_fd);
/* Runs a shell command, failing loudly. */
void fx_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
