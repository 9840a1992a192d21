/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ABI between the XDP programs (bpf/) and user space (rsipd, rsipctl,
 * tests): map names, keys, values, the counter enum and the slow-path record.
 * Both clang -target bpf (with vmlinux.h) and gcc (with the uapi headers)
 * compile this file.
 *
 * Rules (style.md): keys have no holes (explicit pad fields, zeroed before
 * use); addresses, ports and SPIs are in network byte order (__be*); every
 * struct's size is checked with _Static_assert; a layout change bumps
 * RSIP_DP_ABI_VERSION and the changed map's name suffix (rsip_ports_v2), so a
 * new rsipd never reuses an old pin with the wrong layout.
 *
 * Map overview (all pinned under --pin-path, default /sys/fs/bpf/rsip/, except
 * rsip_tx: the kernel marks devmaps read-only for programs and libbpf 1.1
 * then refuses to reuse the pin on the next start):
 *
 *   rsip_clients  Xa            -> rsip_client   who may send tunnelled packets
 *   rsip_nb       Nb            -> rsip_nb_val   our public addresses (whole or shared)
 *   rsip_ports    (Nb, port)    -> rsip_target   RSAP-IP/RSIPSEC/LISTEN ports, IKE ports
 *   rsip_ike      (Nb, port, cookie) -> rsip_target   IKE on 500/4500 by cookie/SPI,
 *                 and (Nb, port, peer) -> the client(s) talking IKE with that peer
 *   rsip_spi      (Nb, SPI)     -> rsip_target   single SPIs
 *   rsip_spi_blk  (Nb, SPI >> shift) -> rsip_target   client-owned SPI blocks, when
 *                 the SPI directory is off (cfg_spi_dir_on 0: tests, old pins)
 *   rsip_spi_dir  ARRAY: rsip_spi_dir_slot(SPI >> shift) -> rsip_dir_val
 *                 client-owned SPI blocks by index (include/rsip/spi_dir.h);
 *                 an empty slot has nb 0
 *   rsip_port_dir ARRAY: slot << 16 | port -> rsip_dir_val  leased ports of
 *                 the Nb that has partition `slot` (rsip_nb_dir), by index
 *   rsip_nb_dir   ARRAY of RSIP_NB_DIR_SIZE rsip_nb_slot, indexed by
 *                 rsip_nb_filter_bit(nb) (not pinned: dpx_nb_add fills it
 *                 before the programs are attached)
 *   rsip_icmp_id  (Nb, echo id) -> rsip_target   learned from clients' echo requests
 *   rsip_out_spi  (Y, SPI)      -> rsip_out_val  learned outbound SAs (ICMP errors quote them)
 *   rsip_stats    per-CPU array of __u64 indexed by enum rsip_counter
 *   rsip_bind_stats per-CPU array of rsip_bind_stats indexed by
 *                 rsip_target.stat_slot / rsip_client.stat_slot: per-binding
 *                 packets and bytes in, per-client packets and bytes out
 *   rsip_meta     array[1] of rsip_meta          ABI version, for pin reuse checks
 *   rsip_slowpath perf event array: rsip_slow_meta + the frame, for rsipd
 *   rsip_tx       DEVMAP_HASH ifindex -> ifindex  redirect targets (not pinned)
 *   rsip_nb_filter array of RSIP_NB_FILTER_WORDS __u32: one bit per
 *                 rsip_nb_filter_bit() of every Nb (not pinned: dpx_nb_add
 *                 fills it before the programs are attached). A clear bit
 *                 means "certainly not ours": after its first lookup misses,
 *                 the WAN program passes such traffic without another; a set
 *                 bit defers to rsip_nb.
 *
 * The object declares no `pinning` attribute: the loader pins the maps above
 * by name itself (bpf_map__set_pin_path), so loading the skeleton in a test or
 * a benchmark never touches /sys/fs/bpf. rsip_slowpath has max_entries 0
 * (libbpf sizes it to the possible CPUs); set it explicitly before reusing a
 * pin. The hash maps are BPF_F_NO_PREALLOC: memory follows the number of
 * bindings, max_entries is still the hard limit (a full map: -E2BIG, which the
 * map-writing layer turns into -ENOSPC).
 *
 * A rsip_target carries everything the WAN path needs to encapsulate (client
 * address, MAC, LAN ifindex, tunnel type), so a hit costs one lookup; rsipd
 * rewrites a client's targets when its MAC changes (rare).
 */
#ifndef RSIP_DP_ABI_H
#define RSIP_DP_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* 2: rsip_spi_dir, rsip_port_dir, rsip_meta.spi_key; 3: rsip_target's
 * packets and bytes moved to rsip_bind_stats (stat_slot); 4: rsip_client's
 * likewise (rsip_client.stat_slot, 64 -> 56 bytes); 5: the last-seen time
 * stamp in 8 bytes (struct rsip_seen: rsip_target 48 -> 40, rsip_client
 * 56 -> 48, rsip_out_val 16 -> 12) */
#define RSIP_DP_ABI_VERSION 5

#define RSIP_MAP_CLIENTS    "rsip_clients"
#define RSIP_MAP_NB	    "rsip_nb"
#define RSIP_MAP_PORTS	    "rsip_ports"
#define RSIP_MAP_IKE	    "rsip_ike"
#define RSIP_MAP_SPI	    "rsip_spi"
#define RSIP_MAP_SPI_BLK    "rsip_spi_blk"
#define RSIP_MAP_SPI_DIR    "rsip_spi_dir"
#define RSIP_MAP_PORT_DIR   "rsip_port_dir"
#define RSIP_MAP_NB_DIR	    "rsip_nb_dir"
#define RSIP_MAP_ICMP_ID    "rsip_icmp_id"
#define RSIP_MAP_OUT_SPI    "rsip_out_spi"
#define RSIP_MAP_STATS	    "rsip_stats"
#define RSIP_MAP_META	    "rsip_meta"
#define RSIP_MAP_SLOWPATH   "rsip_slowpath"
#define RSIP_MAP_TX	    "rsip_tx"
#define RSIP_MAP_NB_FILTER  "rsip_nb_filter"
#define RSIP_MAP_BIND_STATS "rsip_bind_stats"

/* Default capacities: sized for 100k clients (rsipd --map-size scales them). */
#define RSIP_DEF_NB	    1024
#define RSIP_DEF_CLIENTS    131072
#define RSIP_DEF_PORTS	    524288
#define RSIP_DEF_IKE	    262144
#define RSIP_DEF_SPI	    262144
#define RSIP_DEF_SPI_BLK    131072
#define RSIP_DEF_SPI_DIR    131072 /* slots: SPI blocks by index, all Nb together */
#define RSIP_DEF_ICMP_ID    65536
#define RSIP_DEF_OUT_SPI    262144
#define RSIP_DEF_BIND_STATS 393216 /* counter slots: two bindings and the client itself */
/* Learned entries (IKE cookies, echo ids) a client may hold unless rsipd
 * says otherwise (rsip_client.cookie_cap). */
#define RSIP_DEF_COOKIE_CAP 64

/* The Nb pre-filter: 65536 bits. With the 1024 Nb rsip_nb holds at most,
 * under 2 % of other addresses share a bit with one of ours. */
#define RSIP_NB_FILTER_WORDS 2048
/* rsip_nb_dir: one entry per filter bit. Two Nb on one bit: the first added
 * gets it, the other's ports stay in rsip_ports. */
#define RSIP_NB_DIR_SIZE   (RSIP_NB_FILTER_WORDS * 32)
#define RSIP_PORT_DIR_SPAN 65536 /* rsip_port_dir entries per Nb partition */

/* Which bit of rsip_nb_filter an address sets: a multiplicative hash of its
 * 32 bits (network order as stored), so consecutive addresses spread. */
static inline __u32 rsip_nb_filter_bit(__be32 nb)
{
	return ((__u32)nb * 0x9e3779b1u) >> 16;
}

/* Tunnel types as the data plane stores them (rsip_target.tunnel, bit
 * numbers in rsip_client.tunnels): the RSIP Tunnel Type values
 * (RSIP_TUNNEL_* in wire.h, which the BPF side cannot include; the
 * map-writing layer asserts they agree). */
#define RSIP_DP_TUNNEL_IPIP 1
#define RSIP_DP_TUNNEL_GRE  2

/* Tunnel encapsulation sizes. */
#define RSIP_IPIP_OVERHEAD 20
#define RSIP_GRE_OVERHEAD  24

/*
 * When an entry last carried a packet (docs/dataplane.md "Last seen"), in 8
 * bytes: every binding has several entries, each with a time stamp (issue 11,
 * memory per binding). The programs compare jiffies (bpf_jiffies64, which the
 * verifier inlines into a plain load) on every packet, and write sec only when
 * the jiffies moved by RSIP_SEEN_JIFFIES: bpf_ktime_get_coarse_ns() (at jiffy
 * resolution, CLOCK_MONOTONIC) >> RSIP_SEEN_SHIFT, units of 2^30 ns (~1.07 s),
 * rounded down; 32 bits of them last 146 years of uptime. Every reader and
 * writer converts through rsip_seen_ns, rsip_seen_sec and rsip_seen_at.
 */
struct rsip_seen {
	__u32 jiffies; /* low 32 bits of jiffies when sec was written */
	__u32 sec;     /* CLOCK_MONOTONIC ns >> RSIP_SEEN_SHIFT */
};

#define RSIP_SEEN_SHIFT 30

/* last_seen is refreshed when the jiffies counter moved by this much
 * (0.26 s at HZ=1000, 1 s at HZ=250, 2.56 s at HZ=100): reading the clock
 * costs ~30 ns per packet on the project VM, jiffies nearly nothing. */
#define RSIP_SEEN_JIFFIES 256

/* The time stamp in CLOCK_MONOTONIC ns: the start of its 2^30 ns unit, so
 * an entry looks up to ~1.07 s older than it is, never younger. */
static inline __u64 rsip_seen_ns(const struct rsip_seen *s)
{
	return (__u64)s->sec << RSIP_SEEN_SHIFT;
}

/* rsip_seen.sec of CLOCK_MONOTONIC ns `ns`. */
static inline __u32 rsip_seen_sec(__u64 ns)
{
	return (__u32)(ns >> RSIP_SEEN_SHIFT);
}

/* A time stamp of CLOCK_MONOTONIC ns `ns`, with jiffies `jiffies` (0 from
 * user space, which has no jiffies: the programs' next packet refreshes it). */
static inline struct rsip_seen rsip_seen_at(__u32 jiffies, __u64 ns)
{
	struct rsip_seen s = {.jiffies = jiffies, .sec = rsip_seen_sec(ns)};

	return s;
}

/* rsip_client.flags */
#define RSIP_CF_WHOLE_NB (1u << 0) /* holds its Nb whole (RSA-IP): any port, any proto */
#define RSIP_CF_IPSEC	 (1u << 1) /* may send IKE/ESP/AH (has an RSIPSEC binding) */

/*
 * Written by user space (the map-writing layer, user/rsipd/dpx_*.c): client_id
 * .. cookie_cap (RSIP_CLIENT_CFG_END). Written by the LAN program: cookies (atomic add on learning;
 * user space changes it only through the rsip_learned program's compare-and-swap),
 * viol_sec/viol_mask (rate limit of violation events: one per client, per reason, per second), and
 * seen (written only when the jiffies moved by RSIP_SEEN_JIFFIES). Its packets and bytes
 * out are not here: they are in its rsip_bind_stats slot (stat_slot), so a packet writes no line
 * that every CPU reads for configuration.
 */
struct rsip_client {
	__u32 client_id;
	__be32 nb;	   /* the one public address its bindings live on */
	__u8 mac[6];	   /* its LAN MAC; all zero: not resolved yet (its packets are dropped) */
	__u8 tunnels;	   /* bit (1 << RSIP_DP_TUNNEL_*) per tunnel type it leased */
	__u8 flags;	   /* RSIP_CF_* */
	__u32 lan_ifindex; /* where it lives (rsip_tx key) */
	__u32 cookie_cap;  /* how many learned entries (IKE cookies, echo ids) it may hold */
	/* rsip_bind_stats index of its packets and bytes out (client ->
	 * public); rsipd gives each client its own, as to each binding */
	__u32 stat_slot;
	/* --- below: written by the LAN program (and the sweep) --- */
	__u32 cookies;	       /* learned entries it holds (RSIP_LEARNED_*) */
	__u32 viol_sec;	       /* rsip_seen_sec() of the last violation event */
	__u32 viol_mask;       /* RSIP_VIOL_* bits already reported during viol_sec */
	struct rsip_seen seen; /* its last packet, as in rsip_target */
} __attribute__((aligned(8))); /* as rsip_target */

/* Non-counter part of rsip_client: what user space writes and compares. */
#define RSIP_CLIENT_CFG_END __builtin_offsetof(struct rsip_client, cookies)

/* rsip_client.cookies counts two kinds of learned entries, each against
 * cookie_cap (so at most 65535): IKE cookies and echo ids in the low 16
 * bits, outbound (Y, SPI) pairs in the high 16 (so a host's SAs cannot use up
 * the entries its IKE needs). One atomic add of RSIP_LEARNED_* learns one. */
#define RSIP_LEARNED_COOKIE	 1u
#define RSIP_LEARNED_OUT_SPI	 (1u << 16)
#define RSIP_LEARNED_COOKIES(n)	 ((n)&0xffffu)
#define RSIP_LEARNED_OUT_SPIS(n) ((n) >> 16)
#define RSIP_LEARNED_CAP_MAX	 0xffffu

/*
 * The context of the rsip_learned program (BPF_PROG_TYPE_SYSCALL,
 * bpf/learned.h), which user space runs with BPF_PROG_TEST_RUN to change a
 * host's learned count: a compare-and-swap on rsip_client.cookies inside the
 * kernel, so an increment the LAN program makes meanwhile is never lost (a
 * lookup and an update of the whole value from user space would lose it).
 * The new count follows rsip_learned_added (rules/learned.h): each half kept
 * within 0..RSIP_LEARNED_CAP_MAX, with RSIP_LREQ_F_CAP an add that would take
 * a half over cookie_cap is refused, as the LAN program refuses to learn.
 */
struct rsip_learned_req {
	__be32 xa;	 /* in: the host (rsip_clients key) */
	__s32 d_cookies; /* in: added to the IKE cookies / echo ids half */
	__s32 d_out;	 /* in: added to the outbound SPIs half */
	__u32 flags;	 /* in: RSIP_LREQ_F_* */
	__u32 result;	 /* out: RSIP_LREQ_* */
	__u32 count;	 /* out: rsip_client.cookies after (as found when refused) */
};

#define RSIP_LREQ_F_CAP (1u << 0) /* refuse an add over the host's cookie_cap */

/* rsip_learned_req.result */
#define RSIP_LREQ_DONE	    1 /* count written */
#define RSIP_LREQ_NO_CLIENT 2 /* no rsip_clients entry: nothing written */
#define RSIP_LREQ_OVER_CAP  3 /* RSIP_LREQ_F_CAP and no room: nothing written */
#define RSIP_LREQ_BUSY	    4 /* the count changed under every try: nothing written, try again */

/* Violation reasons (rsip_client.viol_mask bits, rsip_slow_meta.error). */
#define RSIP_VIOL_BAD_TUNNEL  (1u << 0) /* 307 BAD_TUNNEL_TYPE */
#define RSIP_VIOL_BAD_SRC     (1u << 1) /* 312 LOCAL_ADDR_UNALLOWED */
#define RSIP_VIOL_BAD_PORT    (1u << 2) /* 313 LOCAL_ADDRPORT_UNALLOWED */
#define RSIP_VIOL_REMOTE      (1u << 3) /* 314 REMOTE_ADDR_UNALLOWED */
#define RSIP_VIOL_REMOTE_PORT (1u << 4) /* 315 REMOTE_ADDRPORT_UNALLOWED */
/* The RSIP error codes (include/rsip/wire.h enum rsip_error), repeated here
 * because the BPF side cannot include wire.h. */
#define RSIP_ERR_BAD_TUNNEL_TYPE	   307
#define RSIP_ERR_LOCAL_ADDR_UNALLOWED	   312
#define RSIP_ERR_LOCAL_ADDRPORT_UNALLOWED  313
#define RSIP_ERR_REMOTE_ADDR_UNALLOWED	   314
#define RSIP_ERR_REMOTE_ADDRPORT_UNALLOWED 315

/* rsip_target.flags */
#define RSIP_TF_REMOTE_ADDR (1u << 0) /* only from/to remote (remote macro/micro policy) */
#define RSIP_TF_REMOTE_PORT (1u << 1) /* ... and only remote_port (remote micro) */
#define RSIP_TF_LEARNED	    (1u << 2) /* inserted by the LAN program (IKE cookie, echo id) */
/* rsip_ike entries of kind RSIP_IKE_KIND_PEER (docs/dataplane.md "IKE from a
 * known peer"): the peer talks IKE with more than one client on (Nb, port),
 * so a miss cannot pick one by itself. */
#define RSIP_TF_IKE_SEVERAL (1u << 3)
/* A fan-out in progress (rsipd's slow path wrote it, xa 0): the cookie
 * belongs to whichever candidate answers with a protected IKE message. */
#define RSIP_TF_IKE_FANOUT (1u << 4)

struct rsip_target {
	__be32 xa;     /* tunnel destination: the client's private address */
	__u32 bind_id; /* 0 for learned entries */
	__u8 mac[6];   /* the client's MAC (copy of rsip_client.mac) */
	__u8 tunnel;   /* RSIP_DP_TUNNEL_IPIP or RSIP_DP_TUNNEL_GRE */
	__u8 flags;    /* RSIP_TF_* */
	__u32 lan_ifindex;
	__be32 remote;	    /* policy, with RSIP_TF_REMOTE_ADDR */
	__be16 remote_port; /* policy, with RSIP_TF_REMOTE_PORT */
	__u16 pad;
	/* rsip_bind_stats index of the binding's packets and bytes (rsipd
	 * gives each binding its own, user/rsipd/dataplane/bind_slots.c);
	 * 0: shared by everything not counted per binding (learned entries) */
	__u32 stat_slot;
	/* --- below: written by the programs (RSIP_TARGET_CFG_END) --- */
	struct rsip_seen seen; /* refreshed at most every RSIP_SEEN_JIFFIES */
} __attribute__((aligned(8))); /* as the kernel stores map values anyway (no
				* byte more): the programs copy and clear it in
				* 8-byte words, 46 instructions fewer in rsip_xdp */

/* Non-counter part of rsip_target: what user space writes and compares. */
#define RSIP_TARGET_CFG_END __builtin_offsetof(struct rsip_target, seen)

/*
 * rsip_bind_stats: a per-CPU array indexed by rsip_target.stat_slot (a
 * binding's traffic in) and rsip_client.stat_slot (a client's traffic out).
 * Each CPU adds to its own copy (plain adds, exact, no atomics, no line
 * another CPU reads); readers sum the copies. Slot 0 is never given to a
 * binding or a client: it counts the traffic to learned entries (IKE
 * cookies, echo ids), which no binding owns. rsipd zeroes a slot before it
 * gives it to a new binding or client.
 */
struct rsip_bind_stats {
	__u64 pkts; /* a binding's slot: public -> client, the inner packets
		     * tunnelled; a client's slot: client -> public */
	__u64 bytes;
};

/* rsip_nb_val.flags */
#define RSIP_NB_WHOLE (1u << 0) /* leased whole (RSA-IP): target takes everything */

struct rsip_nb_val {
	__u32 flags;
	__u32 pad;
	struct rsip_target whole; /* with RSIP_NB_WHOLE */
};

/* Non-counter part of rsip_nb_val (the whole target's counters end it). */
#define RSIP_NB_CFG_END (__builtin_offsetof(struct rsip_nb_val, whole) + RSIP_TARGET_CFG_END)

struct rsip_port_key {
	__be32 nb;
	__be16 port; /* a leased port covers TCP and UDP (decision D10) */
	__u16 pad;
};

struct rsip_ike_key {
	__be32 nb;
	__be16 port;	/* 500 or 4500 (or a leased IKE port) */
	__u16 kind;	/* RSIP_IKE_KIND_*: what cookie holds */
	__u8 cookie[8]; /* IKEv1 initiator cookie / the client's IKEv2 SPI, as on the wire;
			 * RSIP_IKE_KIND_PEER: the peer's address, then zeros */
};

/* rsip_ike_key.kind. A peer entry (Nb, port, Y) names the client that talks
 * IKE with Y on (Nb, port), or says there are several (RSIP_TF_IKE_SEVERAL):
 * the LAN program writes it when it learns a cookie, the WAN program asks it
 * when a cookie from Y is unknown (a rekey or re-authentication Y started). */
#define RSIP_IKE_KIND_COOKIE 0
#define RSIP_IKE_KIND_PEER   1

struct rsip_spi_key {
	__be32 nb;
	__be32 spi;
};

struct rsip_blk_key {
	__be32 nb;
	__u32 block; /* host order: ntohl(spi) >> spi_block_shift */
};

/* A slot of rsip_spi_dir or rsip_port_dir: the target, and which Nb and
 * block or port it is (the programs compare nb with the packet's Nb: a slot
 * is one Nb's; id is for readers such as bpftool). nb 0: empty. */
struct rsip_dir_val {
	__be32 nb;
	__u32 id; /* host order: the SPI block (as rsip_blk_key.block), or the port */
	struct rsip_target t;
};

/* rsip_nb_dir[rsip_nb_filter_bit(nb)]: the Nb whose ports are in
 * rsip_port_dir, and its partition there (slot << 16 | port). nb 0: none. */
struct rsip_nb_slot {
	__be32 nb;
	__u32 slot;
};

/* Non-counter part of rsip_dir_val. */
#define RSIP_DIR_CFG_END (__builtin_offsetof(struct rsip_dir_val, t) + RSIP_TARGET_CFG_END)

struct rsip_icmp_key {
	__be32 nb;
	__be16 id;
	__u16 pad;
};

struct rsip_out_key {
	__be32 peer; /* Y */
	__be32 spi;  /* Y's SPI, as the client sends it */
};

struct rsip_out_val {
	__be32 xa;
	struct rsip_seen seen; /* as in rsip_target */
};

struct rsip_meta {
	__u32 abi_version; /* RSIP_DP_ABI_VERSION of whoever created the pins */
	__u32 spi_block_shift;
	__u64 spi_key; /* the SPI directory's permutation key (spi_dir.h), random */
	__u64 reserved[2];
};

/* Why a packet went to rsipd's slow path. */
enum rsip_slow_reason {
	RSIP_SLOW_FRAGMENT = 1,	  /* an IPv4 fragment to Nb: rsipd reassembles, then demuxes */
	RSIP_SLOW_OVERSIZE = 2,	  /* too big for the LAN after encapsulation */
	RSIP_SLOW_NO_NEIGH = 3,	  /* the client's MAC is not known yet */
	RSIP_SLOW_ICMP_ERROR = 4, /* an ICMP error to Nb: rsipd finds whose flow it quotes */
	/* Decapsulated (the frame is Ethernet + the inner packet, its TTL already
	 * decremented), but XDP cannot send it: no neighbour entry for the next
	 * hop, a destination on N itself, or bigger than the WAN MTU. rsipd
	 * sends the inner packet through the kernel (raw socket). */
	RSIP_SLOW_LAN_ROUTE = 5,
	/* A fragment of the tunnel packet itself (outer header MF or offset):
	 * rsipd reassembles the outer packet, then applies the LAN checks. */
	RSIP_SLOW_LAN_FRAGMENT = 6,
	/* Not a packet to send: a registered client (address and MAC matched)
	 * broke its lease on the data path (RFC 3103 10.4, decision D14). xa is
	 * the client, error the RSIP error code (307, 312-315), bind_id the
	 * binding when one matched; the frame head follows (at most
	 * RSIP_VIOL_CAP bytes) for the debug log. At most one per client, per
	 * reason, per second. The packet itself was dropped. */
	RSIP_SLOW_VIOLATION = 7,
	/* An IKE message from a peer that talks IKE with several clients on
	 * (Nb, port), protected, with a cookie none of them sent: rsipd sends
	 * a copy to each candidate (bounded) and marks the cookie as a fan-out
	 * in rsip_ike; the candidate that answers with a protected message
	 * learns it (docs/dataplane.md). */
	RSIP_SLOW_IKE_FANOUT = 8,
};

/* Record written to rsip_slowpath, followed by cap_len bytes of the frame
 * (from the Ethernet header). */
struct rsip_slow_meta {
	__u32 reason;  /* enum rsip_slow_reason */
	__u32 ifindex; /* where it arrived */
	__be32 xa;     /* the matched client, when there is one */
	__u32 bind_id;
	__u8 tunnel; /* the matched binding's tunnel type */
	__u8 pad;
	__u16 error;   /* RSIP_SLOW_VIOLATION: the RSIP error code */
	__u16 pkt_len; /* the frame's length */
	__u16 cap_len; /* bytes that follow (== pkt_len unless truncated) */
};

#define RSIP_VIOL_CAP	    128	 /* frame bytes sent with a violation event */
#define RSIP_SLOW_MAX_FRAME 9216 /* longer frames are truncated (and counted) */

/*
 * Every XDP exit is counted under one reason (xdp-tools habit: one
 * count-and-return helper). The names user space prints are in
 * user/lib/dp_names.c, in this order. From ABI 1 on, new counters are
 * APPENDED before RSIP_CNT_MAX (pinned per-CPU values keep their meaning
 * across upgrades); the map has RSIP_CNT_SLOTS entries so appending does not
 * change its layout.
 */
enum rsip_counter {
	/* WAN: passed to the kernel untouched */
	RSIP_CNT_WAN_PASS_NOT_IPV4 = 0, /* ARP, IPv6, VLAN-tagged... */
	RSIP_CNT_WAN_PASS_NOT_NB,	/* not to one of our public addresses */
	RSIP_CNT_WAN_PASS_LOCAL,	/* to Nb but for N itself (no binding claims it) */
	RSIP_CNT_WAN_PASS_ICMP_REQ,	/* ICMP echo request etc. to Nb: N answers */
	RSIP_CNT_WAN_PASS_SHORT,	/* IPv4 header too short to see the destination */
	/* WAN: tunnelled to a client */
	RSIP_CNT_WAN_TX_ESP,
	RSIP_CNT_WAN_TX_AH,
	RSIP_CNT_WAN_TX_UDP_ESP, /* UDP 4500 without the non-ESP marker */
	RSIP_CNT_WAN_TX_IKE,	 /* by cookie on 500 / 4500 */
	RSIP_CNT_WAN_TX_PORT,	 /* TCP/UDP by leased port */
	RSIP_CNT_WAN_TX_WHOLE,	 /* RSA-IP: whole address */
	RSIP_CNT_WAN_TX_ICMP,	 /* echo reply by learned id */
	/* WAN: dropped */
	RSIP_CNT_WAN_DROP_MALFORMED,	 /* truncated/bad IPv4, UDP, ESP, AH, IKE headers */
	RSIP_CNT_WAN_DROP_NO_SPI,	 /* ESP/AH/UDP-ESP with an unknown SPI (RFC 3104 5) */
	RSIP_CNT_WAN_DROP_NO_COOKIE,	 /* IKE on 500/4500 with an unknown cookie (App. E) */
	RSIP_CNT_WAN_DROP_REMOTE_POLICY, /* a binding matched but the peer is not allowed */
	RSIP_CNT_WAN_DROP_NO_ICMP_ID,	 /* echo reply with no learned id */
	RSIP_CNT_WAN_DROP_ENCAP_FAIL,	 /* adjust_head failed (no headroom) */
	RSIP_CNT_WAN_DROP_NO_TX,	 /* redirect target missing from rsip_tx */
	RSIP_CNT_WAN_DROP_KEEPALIVE,	 /* NAT-T keepalive (1 byte 0xff) to 4500: no owner */
	/* WAN: to rsipd's slow path */
	RSIP_CNT_WAN_SLOW_FRAGMENT,
	RSIP_CNT_WAN_SLOW_OVERSIZE,
	RSIP_CNT_WAN_SLOW_NO_NEIGH,
	RSIP_CNT_WAN_SLOW_ICMP_ERROR,
	RSIP_CNT_WAN_SLOW_LOST, /* perf buffer output failed: dropped */
	/* LAN: passed */
	RSIP_CNT_LAN_PASS_NOT_TUNNEL, /* not IPIP/GRE to Na: the kernel's business */
	/* LAN: forwarded to the public side */
	RSIP_CNT_LAN_TX,
	RSIP_CNT_LAN_TX_FRAGMENT, /* a non-first inner fragment: ports not visible (docs) */
	/* LAN: dropped */
	RSIP_CNT_LAN_DROP_MALFORMED,
	RSIP_CNT_LAN_DROP_NOT_CLIENT,	 /* outer source is not a registered client */
	RSIP_CNT_LAN_DROP_BAD_MAC,	 /* right address, wrong (or unknown) MAC: spoofing */
	RSIP_CNT_LAN_DROP_BAD_TUNNEL,	 /* tunnel type it did not lease (307) */
	RSIP_CNT_LAN_DROP_BAD_SRC,	 /* inner source is not its Nb (312) */
	RSIP_CNT_LAN_DROP_BAD_PORT,	 /* inner source port not leased to it (313) */
	RSIP_CNT_LAN_DROP_NO_IPSEC,	 /* ESP/AH/IKE from a client without RSIPSEC (313) */
	RSIP_CNT_LAN_DROP_REMOTE_POLICY, /* remote address/port not allowed (314/315) */
	RSIP_CNT_LAN_DROP_COOKIE_TAKEN,	 /* IKE cookie held by another client (RFC 3104 6.1) */
	RSIP_CNT_LAN_DROP_ID_TAKEN,	 /* echo id held by another client on the same Nb */
	RSIP_CNT_LAN_DROP_COOKIE_CAP,	 /* client holds too many learned entries */
	RSIP_CNT_LAN_DROP_LEARN_FULL,	 /* rsip_ike / rsip_icmp_id full */
	RSIP_CNT_LAN_DROP_TTL,		 /* inner TTL would reach 0 */
	RSIP_CNT_LAN_DROP_FIB,		 /* no route to the inner destination via the WAN */
	RSIP_CNT_LAN_DROP_NO_TX,	 /* WAN device missing from rsip_tx */
	/* LAN: to rsipd's slow path */
	RSIP_CNT_LAN_SLOW_ROUTE,
	RSIP_CNT_LAN_SLOW_FRAGMENT,
	RSIP_CNT_LAN_SLOW_LOST,
	/* events (not exits) */
	RSIP_CNT_LAN_LEARN_COOKIE,
	RSIP_CNT_LAN_LEARN_ICMP_ID,
	RSIP_CNT_LAN_LEARN_OUT_SPI,
	RSIP_CNT_LAN_EVENT_VIOLATION, /* violation records sent to rsipd */
	RSIP_CNT_LAN_EVENT_LOST,      /* ... and lost (perf buffer full) */
	RSIP_CNT_SLOW_TRUNCATED,      /* slow-path frames cut to RSIP_SLOW_MAX_FRAME */
	RSIP_CNT_LAN_OUT_SPI_TAKEN,   /* (Y, SPI) another client holds: not taken over */
	RSIP_CNT_LAN_OUT_SPI_FULL,    /* rsip_out_spi full: not learned */
	RSIP_CNT_LAN_OUT_SPI_CAP,     /* the client holds cookie_cap outbound SPIs: not learned */
	/* IKE from a known peer with a cookie nobody sent (its rekey or
	 * re-authentication): docs/dataplane.md */
	RSIP_CNT_WAN_TX_IKE_PEER,	      /* to the one client talking IKE with the peer */
	RSIP_CNT_WAN_SLOW_IKE_FANOUT,	      /* several candidates: rsipd fans it out */
	RSIP_CNT_WAN_DROP_IKE_AMBIGUOUS,      /* several candidates, unprotected message */
	RSIP_CNT_LAN_DROP_FANOUT_UNPROTECTED, /* an unprotected answer to a fan-out */
	RSIP_CNT_LAN_LEARN_IKE_PEER,	      /* (Nb, port, peer) entries written */
	RSIP_CNT_LAN_LEARN_FANOUT,	      /* fan-out cookies taken by a protected answer */
	RSIP_CNT_LAN_CSUM_COMPLETED, /* inner TCP/UDP checksum was only partial: completed */
	/* --spi-steer (bpf/steer.h), counted on the receiving CPU: */
	RSIP_CNT_WAN_STEERED,	  /* handed to another CPU's rsip_cpumap entry by SPI */
	RSIP_CNT_WAN_STEER_LOCAL, /* that CPU has no cpumap entry: handled here */
	/* ... counted on the CPU it was steered to, when it got there: the
	 * difference to wan_steered is what the cpumap hop lost (queue full) */
	RSIP_CNT_WAN_STEER_ARRIVED,
	/* --attach tc (bpf/rsip_tc.bpf.c): GSO packets (several segments in
	 * one skb) each program sent on whole; their segments are counted
	 * in the exit counters, as XDP would have seen them */
	RSIP_CNT_WAN_TC_GSO,
	RSIP_CNT_LAN_TC_GSO,
	/* --attach tc: frames whose headers the rules read were not all in
	 * the skb's linear part, made linear first (bpf/tc_pull.h) */
	RSIP_CNT_WAN_TC_PULLED,
	RSIP_CNT_LAN_TC_PULLED,
	/* --attach tc: GSO packets whose segments would not fit the LAN with
	 * the tunnel header: cut smaller by it (bpf/wan_tc.h) */
	RSIP_CNT_WAN_TC_GSO_CUT,
	RSIP_CNT_MAX,
};

#define RSIP_CNT_SLOTS 128 /* rsip_stats max_entries: room to append counters */
_Static_assert(RSIP_CNT_MAX <= RSIP_CNT_SLOTS, "rsip_stats: raise RSIP_CNT_SLOTS (and the ABI)");

#define RSIP_ASSERT_SIZE(t, n) _Static_assert(sizeof(t) == (n), #t " layout changed: bump the ABI")
RSIP_ASSERT_SIZE(struct rsip_seen, 8);
RSIP_ASSERT_SIZE(struct rsip_client, 48);
RSIP_ASSERT_SIZE(struct rsip_target, 40);
RSIP_ASSERT_SIZE(struct rsip_bind_stats, 16);
RSIP_ASSERT_SIZE(struct rsip_nb_val, 48);
RSIP_ASSERT_SIZE(struct rsip_port_key, 8);
RSIP_ASSERT_SIZE(struct rsip_ike_key, 16);
RSIP_ASSERT_SIZE(struct rsip_spi_key, 8);
RSIP_ASSERT_SIZE(struct rsip_blk_key, 8);
RSIP_ASSERT_SIZE(struct rsip_icmp_key, 8);
RSIP_ASSERT_SIZE(struct rsip_dir_val, 48);
RSIP_ASSERT_SIZE(struct rsip_nb_slot, 8);
RSIP_ASSERT_SIZE(struct rsip_out_key, 8);
RSIP_ASSERT_SIZE(struct rsip_out_val, 12);
RSIP_ASSERT_SIZE(struct rsip_meta, 32);
RSIP_ASSERT_SIZE(struct rsip_slow_meta, 24);
RSIP_ASSERT_SIZE(struct rsip_learned_req, 24);
#define RSIP_ASSERT_OFF(t, f, n) _Static_assert(__builtin_offsetof(t, f) == (n), #t "." #f " moved")
RSIP_ASSERT_OFF(struct rsip_client, lan_ifindex, 16);
RSIP_ASSERT_OFF(struct rsip_client, cookie_cap, 20);
RSIP_ASSERT_OFF(struct rsip_client, stat_slot, 24);
RSIP_ASSERT_OFF(struct rsip_client, cookies, 28);
RSIP_ASSERT_OFF(struct rsip_client, seen, 40);
RSIP_ASSERT_OFF(struct rsip_target, lan_ifindex, 16);
RSIP_ASSERT_OFF(struct rsip_target, stat_slot, 28);
RSIP_ASSERT_OFF(struct rsip_target, seen, 32);
RSIP_ASSERT_OFF(struct rsip_nb_val, whole, 8);
RSIP_ASSERT_OFF(struct rsip_ike_key, cookie, 8);
RSIP_ASSERT_OFF(struct rsip_slow_meta, error, 18);
RSIP_ASSERT_OFF(struct rsip_slow_meta, cap_len, 22);

#endif
