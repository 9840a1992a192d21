/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The XDP programs' rules, in user space, for the packets that reach rsipd's
 * slow path whole: reassembled datagrams from the public side, ICMP errors
 * (whose client is found from the packet they quote: only the slow path does
 * that) and reassembled tunnel packets from the LAN. The WAN and LAN rules
 * are the programs' own (include/rsip/rules/, compiled here by gcc); this
 * module supplies their hooks and turns their outcome into a slow_result.
 * The maps are read and written (learning) through a struct dp_view, so unit
 * tests give it tables in memory and rsipd gives it the BPF maps.
 */
#ifndef RSIPD_SLOW_DEMUX_H
#define RSIPD_SLOW_DEMUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsip/dp_abi.h"
#include "counters.h"

enum dp_map_id {
	DPM_CLIENTS = 0, /* __be32 xa -> struct rsip_client */
	DPM_NB,		 /* __be32 nb -> struct rsip_nb_val */
	DPM_PORTS,	 /* struct rsip_port_key -> struct rsip_target */
	DPM_IKE,	 /* struct rsip_ike_key -> struct rsip_target */
	DPM_SPI,	 /* struct rsip_spi_key -> struct rsip_target */
	DPM_SPI_BLK,	 /* struct rsip_blk_key -> struct rsip_target */
	DPM_ICMP_ID,	 /* struct rsip_icmp_key -> struct rsip_target */
	DPM_OUT_SPI,	 /* struct rsip_out_key -> struct rsip_out_val */
	DPM_SPI_DIR,	 /* __u32 slot -> struct rsip_dir_val (rsip/spi_dir.h) */
	DPM_PORT_DIR,	 /* __u32 slot << 16 | port -> struct rsip_dir_val */
	DPM_NB_DIR,	 /* __u32 filter bit -> struct rsip_nb_slot */
	DPM_MAX,
};

struct dp_view {
	/* Copy the value for key into val: 0, or -ENOENT. */
	int (*lookup)(void *arg, enum dp_map_id map, const void *key, void *val);
	/* Write key -> val with BPF_NOEXIST, BPF_EXIST or BPF_ANY: 0, or
	 * -EEXIST, -ENOENT, -E2BIG (full)... (what the LAN rules learn). */
	int (*update)(void *arg, enum dp_map_id map, const void *key, const void *val,
		      uint64_t flags);
	/* For the IKE fan-out (fanout.h; NULL: no fan-out, counted): the key
	 * after key (NULL: the first) into next, 0 or -ENOENT at the end; and
	 * delete key, 0 or -ENOENT. */
	int (*next_key)(void *arg, enum dp_map_id map, const void *key, void *next);
	int (*del)(void *arg, enum dp_map_id map, const void *key);
	/* Changes a host's learned count as the rsip_learned program does
	 * (bpf/learned.h: a compare-and-swap in the kernel, never a rewrite of
	 * the client entry, which would lose the programs' increments); fills
	 * req. 0, or -errno when it could not run. */
	int (*learned_add)(void *arg, struct rsip_learned_req *req);
	void *arg;
	uint8_t spi_block_shift;
	bool spi_dir_on;  /* the programs' cfg_spi_dir_on */
	uint64_t spi_key; /* ... and cfg_spi_key */
	bool port_dir_on; /* the programs' cfg_port_dir_on */
	uint32_t na;	  /* Na, network order: the LAN rules take tunnels to it */
};

enum slow_verdict {
	SV_TUNNEL = 0, /* tunnel the packet to target.xa with target.tunnel */
	SV_SEND,       /* (LAN) send the inner packet to the public side */
	SV_DROP,       /* counted under why */
	SV_FANOUT,     /* (WAN) IKE for one of several clients: the fan-out's (fanout.h) */
};

struct slow_result {
	enum slow_verdict verdict;
	enum slow_counter why;	   /* the counter for this outcome */
	uint32_t rule;		   /* the rules' counter (enum rsip_counter), as XDP counts it */
	struct rsip_target target; /* SV_TUNNEL: where to */
	/* SV_SEND: the inner packet inside the caller's buffer */
	const uint8_t *inner;
	size_t inner_len;
	/* LAN drops that break a lease (D14): the RSIP error, else 0 */
	uint16_t violation;
	uint32_t bind_id; /* the binding involved, when one matched */
};

/* A whole IPv4 packet from the public side (not a fragment): which client,
 * by the rules of the WAN program. */
void slow_wan_demux(const struct dp_view *v, const uint8_t *pkt, size_t len,
		    struct slow_result *res);

/* An ICMP error to one of our Nb: the client whose flow the quoted header
 * belongs to (quoted UDP/TCP source port -> port binding; IKE -> cookie; ESP
 * and AH -> the outbound (Y, SPI) learned in rsip_out_spi; echo -> id).
 * SV_TUNNEL, or SV_DROP with SC_ICMP_ERR_NO_OWNER / SC_ICMP_ERR_MALFORMED. */
void slow_icmp_error_owner(const struct dp_view *v, const uint8_t *pkt, size_t len,
			   struct slow_result *res);

/* The client that sent the IPv4 packet q (qn bytes; a truncated quote is
 * fine if it holds the header and 8 bytes), by the same rules: 0 and *t,
 * -ENOENT, or -EINVAL when q is too short or not IPv4. */
int slow_outbound_owner(const struct dp_view *v, const uint8_t *q, size_t qn,
			struct rsip_target *t);

/* True for the ICMP types that quote a packet (errors). */
int slow_icmp_is_error(uint8_t type);

/* A whole (reassembled) tunnel packet from a client, outer IPv4 header
 * first; mac: the Ethernet source it came with. The LAN program's checks:
 * SV_SEND with the inner packet, or SV_DROP. */
void slow_lan_check(const struct dp_view *v, const uint8_t mac[6], const uint8_t *pkt, size_t len,
		    struct slow_result *res);

#endif
