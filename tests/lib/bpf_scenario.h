/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The map state of the BPF fixture tests, written through dpx (so the tests
 * exercise it), and a fixture-table runner that runs every row through the
 * XDP program and then through rsipd's slow-path decision over the same
 * maps (the differential test of the shared rules, include/rsip/rules/).
 *
 *   A  10.0.0.11  IP-IP  Nb1 ports 1024-1027; SPIs 0x123410-13 in block 0x1234;
 *                        SPI 0x5001; port 2000 with remote micro policy
 *                        198.51.100.7:443; RSIPSEC (may do IKE)
 *   B  10.0.0.12  GRE    Nb1 port 3000; SPI 0x6001 (RSIPSEC)
 *   W  10.0.0.13  IP-IP  Nb2 leased whole (RSA-IP)
 *   Z  10.0.0.14  IP-IP  Nb3 port 4000; MAC never resolved
 *   C  10.0.0.15  IP-IP  Nb1 port 5000; no IPsec
 *   D  10.0.0.16  IP-IP  Nb1 port 6000; its LAN ifindex is not in rsip_tx
 *   E  10.0.0.17  IP-IP  Nb1 SPI 0x7001 (RSIPSEC); learned-entry cap 2
 */
#ifndef RSIP_TEST_BPF_SCENARIO_H
#define RSIP_TEST_BPF_SCENARIO_H

#include <stdbool.h>

#include "bpf_fixture.h"

struct client_def {
	const char *name;
	const char *xa;
	uint8_t mac[6];
	uint32_t client_id;
};

extern const struct client_def CL_A, CL_B, CL_W, CL_Z, CL_C, CL_D, CL_E;

/* rsipd's slow path over the fixture's maps, configured as the programs
 * were loaded (SPI block shift, the directories). */
struct dp_view;
void fx_slow_view(struct bpf_fx *fx, struct dp_view *v);

/* Clients and bindings above; 0 or fails the test. */
void scenario_setup(struct bpf_fx *fx);

/* The current bytes (an inner IPv4 packet) in c's tunnel to Na, in an
 * Ethernet frame from c's MAC to the LAN device. */
void client_tunnel(struct pkt *p, const struct client_def *c, int tunnel);
/* An inner IPv4 packet from Nb to the peer around the current bytes. */
void inner_ip(struct pkt *p, const char *nb, const char *dst, uint8_t proto);
/* A frame from the peer to dst around the current bytes. */
void wan_frame(struct pkt *p, const char *src, const char *dst, uint8_t proto);

/* What a row expects besides the action and counter. */
struct fx_expect {
	struct pkt out;		  /* the frame after the program; len 0: not compared */
	bool mask_outer_id;	  /* outer IPv4 ID not compared (non-DF inner); checksum checked */
	uint32_t slow_reason;	  /* one slow-path record expected */
	uint32_t slow_xa;	  /* ... about this client (network order), 0: none */
	uint16_t slow_error;	  /* ... with this RSIP error (violations) */
	bool slow_frame_is_input; /* ... carrying the input frame */
	bool slow_frame_is_out;	  /* ... carrying the expected output (decapsulated) */
	/* An entry the rules learn from this packet (LAN): checked after XDP,
	 * removed, and learned again by the slow path. learn_map 0: none. */
	int learn_map; /* DPM_* + 1 */
	uint8_t learn_key[16];
	const struct client_def *learn_by;
	/* An entry another client holds, which this packet must not take over
	 * (checked after XDP and after the slow path). hold_map 0: none. */
	int hold_map; /* DPM_* + 1 */
	uint8_t hold_key[16];
	const struct client_def *hold_by;
};

struct fx_row {
	const char *name;
	bool lan; /* rsip_lan (from the LAN device) or rsip_wan */
	void (*build)(struct pkt *in, struct fx_expect *e);
	int action;
	unsigned int counter; /* the exit counter that must move by one */
};

/* The frame after tunnelling `in` (a WAN frame) to client c. */
void expect_tunnel(struct fx_expect *e, const struct pkt *in, const struct client_def *c,
		   int tunnel);

/* Runs one row and checks action, exit counter (exactly one exit counted,
 * this one), output bytes and slow-path record, with cmocka asserts; then
 * runs the same packet through the slow path's decision (slow_wan_demux or
 * slow_lan_check over the fixture's maps) and requires the same verdict and
 * counter: the rules' counter when the program's exit is the rules' own,
 * else (an exit only XDP has: no MAC yet, too big, no redirect target, the
 * FIB's answer) the send the rules decided. Frames that are not IPv4 never
 * reach the slow path and are not compared. */
void fx_check_row(struct bpf_fx *fx, const struct fx_row *r);
/* Every row as its own cmocka test. */
int fx_run_rows(const char *group, struct bpf_fx *fx, const struct fx_row *rows, size_t n);

#endif
