/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rsipd's slow-path counters: one per outcome, so nothing the XDP programs
 * hand over is lost without a trace. rsipctl counters shows them with the
 * XDP counters (names prefixed "slow_"); docs/dataplane.md explains each.
 */
#ifndef RSIPD_SLOW_COUNTERS_H
#define RSIPD_SLOW_COUNTERS_H

enum slow_counter {
	SC_RECORDS = 0, /* records read from rsip_slowpath */
	SC_LOST,	/* records the perf buffer lost (rsipd too slow) */
	SC_BAD_RECORD,	/* too short, unknown reason, truncated frame */
	SC_MALFORMED,	/* the packet in a record does not parse */
	/* WAN: demultiplexing a reassembled datagram (same rules as XDP) */
	SC_WAN_TX_ESP,
	SC_WAN_TX_AH,
	SC_WAN_TX_UDP_ESP,
	SC_WAN_TX_IKE,
	SC_WAN_TX_PORT,
	SC_WAN_TX_WHOLE,
	SC_WAN_TX_ICMP,
	SC_WAN_DROP_NOT_NB, /* not to one of our Nb (cannot happen unless maps changed) */
	SC_WAN_DROP_LOCAL,  /* for N itself: the kernel never sees slow-path packets */
	SC_WAN_DROP_NO_SPI,
	SC_WAN_DROP_NO_COOKIE,
	SC_WAN_DROP_REMOTE_POLICY,
	SC_WAN_DROP_NO_ICMP_ID,
	SC_WAN_DROP_KEEPALIVE,
	SC_WAN_DROP_MALFORMED,
	/* WAN: the other reasons */
	SC_OVERSIZE_ICMP_SENT, /* DF set: fragmentation needed sent to the peer */
	SC_OVERSIZE_TUNNELLED, /* DF clear: tunnelled, the kernel fragments the outer packet */
	SC_NO_NEIGH_TUNNELLED, /* the kernel resolves the client's MAC */
	SC_ICMP_ERR_TUNNELLED, /* an ICMP error to the client whose flow it quotes */
	SC_ICMP_ERR_NO_OWNER,  /* quotes no flow of a client: dropped */
	SC_ICMP_ERR_MALFORMED, /* too short to quote anything */
	/* LAN */
	SC_LAN_ROUTE_SENT,  /* inner packet sent through the kernel */
	SC_LAN_TX,	    /* reassembled tunnel packet passed the checks and was sent */
	SC_LAN_TX_FRAGMENT, /* ... a non-first inner fragment (ports not visible) */
	SC_LAN_DROP_NOT_CLIENT,
	SC_LAN_DROP_BAD_MAC,
	SC_LAN_DROP_BAD_TUNNEL,
	SC_LAN_DROP_BAD_SRC,
	SC_LAN_DROP_BAD_PORT,
	SC_LAN_DROP_NO_IPSEC,
	SC_LAN_DROP_REMOTE_POLICY,
	SC_LAN_DROP_COOKIE_TAKEN, /* IKE cookie held by another client */
	SC_LAN_DROP_ID_TAKEN,	  /* echo id held by another client */
	SC_LAN_DROP_COOKIE_CAP,	  /* the client holds too many learned entries */
	SC_LAN_DROP_LEARN_FULL,	  /* rsip_ike / rsip_icmp_id full */
	SC_LAN_DROP_MALFORMED,
	SC_LAN_DROP_TTL,
	/* D14 */
	SC_VIOLATIONS, /* violation events passed to the engine */
	/* sending */
	SC_TX_TOO_BIG, /* EMSGSIZE: bigger than the path allows (DF or hdrincl) */
	SC_TX_ERROR,   /* any other send error */
	/* fragments (struct reasm_stats, both directions) */
	SC_FRAG_IN,
	SC_FRAG_REASSEMBLED,
	SC_FRAG_DUPLICATE,
	SC_FRAG_OVERLAP,
	SC_FRAG_TIMEOUT,
	SC_FRAG_EVICTED,
	SC_FRAG_MALFORMED,
	SC_FRAG_TOO_BIG,
	SC_FRAG_TOO_MANY,
	SC_FRAG_BYTES_HELD, /* a gauge */
	/* IKE from a known peer with a cookie nobody sent (fanout.h) */
	SC_WAN_TX_IKE_PEER,		/* reassembled: to the one client talking to the peer */
	SC_WAN_DROP_IKE_AMBIGUOUS,	/* reassembled: unprotected, several candidates */
	SC_LAN_DROP_FANOUT_UNPROTECTED, /* reassembled: unprotected answer to a fan-out */
	SC_FANOUT_STARTED,		/* fan-outs started (cookie marked, copies sent) */
	SC_FANOUT_REPEATED,		/* retransmissions sent to the same candidates */
	SC_FANOUT_COPIES,		/* copies tunnelled to candidates */
	SC_FANOUT_ANSWERED,		/* a candidate's protected answer took the cookie */
	SC_FANOUT_EXPIRED,		/* nobody did within FANOUT_TTL_S: mark removed */
	SC_FANOUT_FULL,			/* table, the peer's share or rsip_ike full: dropped */
	SC_FANOUT_NO_CANDIDATE,		/* no client has a cookie naming the peer: dropped */
	SC_FANOUT_RACED,		/* a client claimed the cookie meanwhile: dropped */
	SC_MAX,
};

/* "slow_records", ...; NULL past SC_MAX. */
const char *slow_counter_name(unsigned int c);

#endif
