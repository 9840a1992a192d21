/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rsipd's configuration: command-line flags and the optional INI file given
 * with --config. Every flag is also a key of the file (key = long flag name,
 * no section or section [rsipd]); flags override the file. Parsing is a pure
 * function of argv and the file, so unit tests call it directly.
 */
#ifndef RSIPD_CONFIG_H
#define RSIPD_CONFIG_H

#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CFG_MAX_PUBLIC	   64
#define CFG_MAX_CIDRS	   64
#define CFG_MAX_PORTS	   64
#define CFG_MAX_STEER_CPUS 256 /* RSIP_STEER_SLOTS: more CPUs than slots get none */

#define CFG_DEFAULT_PORT	 4555
#define CFG_DEFAULT_LEASE	 3600
#define CFG_DEFAULT_LEASE_MIN	 1
#define CFG_DEFAULT_SPI_LO	 0x100u
#define CFG_DEFAULT_SPI_HI	 0xffffffffu
#define CFG_DEFAULT_SPI_BLOCK	 256
#define CFG_DEFAULT_PORT_LO	 1024
#define CFG_DEFAULT_PORT_HI	 65535
#define CFG_DEFAULT_HOLDBACK	 120
#define CFG_DEFAULT_MAX_BINDINGS 64
/* --stat-slots: per-binding counter slots per host (rsip_bind_stats):
 * two bindings and the client itself (dp_abi.h RSIP_DEF_BIND_STATS). */
#define CFG_DEFAULT_STAT_SLOTS 3
#define CFG_MAX_STAT_SLOTS     256
#define CFG_DEFAULT_MAX_PORTS  1024
#define CFG_DEFAULT_MAX_SPIS   1024
#define CFG_DEFAULT_CTL_SOCKET "/run/rsipd/rsipd.sock"
/* --max-clients under --dataplane none (under xdp: what the maps hold). */
#define CFG_DEFAULT_MAX_CLIENTS_NONE 65536
#define CFG_DEFAULT_REGISTER_RATE    20	  /* REGISTERs per second per source prefix */
#define CFG_DEFAULT_LEARNED_RATE     1000 /* learned entries written to etcd a second */
#define CFG_DEFAULT_REGISTER_BURST   40
#define CFG_DEFAULT_REGISTER_PREFIX  24
#define CFG_DEFAULT_TCP_TIMEOUT	     5 /* seconds to complete a message */
#define CFG_DEFAULT_TCP_PER_ADDR     8 /* connections per source address */

/* One etcd request on one member, and its connect: past them the next
 * member is tried; a silent watch stream's member is probed after the
 * idle time (docs/cluster.md, "A hung member"). */
#define CFG_DEFAULT_ETCD_TIMEOUT_MS    1000
#define CFG_DEFAULT_ETCD_CONNECT_MS    200
#define CFG_DEFAULT_ETCD_WATCH_IDLE_MS 2000
#define CFG_DEFAULT_ETCD_INFLIGHT      4

enum cfg_dataplane { CFG_DP_NONE = 0, CFG_DP_XDP };
enum cfg_xdp_mode { CFG_XDP_NATIVE = 0, CFG_XDP_GENERIC };
enum cfg_attach { CFG_ATTACH_XDP = 0, CFG_ATTACH_TC };

#define CFG_DEFAULT_PIN_PATH   "/sys/fs/bpf/rsip"
#define CFG_DEFAULT_STATE_FILE "/var/lib/rsipd/rsipd.db"
/* What older rsipd wrote; imported into an empty store from its directory. */
#define CFG_OLD_STATE_NAME "state.json"

struct cidr {
	struct in_addr net; /* network order, host bits zero */
	uint8_t len;
};

struct cidr_list {
	size_t n;
	struct cidr v[CFG_MAX_CIDRS];
};

struct rsipd_config {
	struct in_addr listen_addr;
	uint16_t listen_port;
	bool has_listen;
	struct in_addr public_addrs[CFG_MAX_PUBLIC];
	size_t n_public;
	enum cfg_dataplane dataplane;
	uint32_t lease;	    /* seconds: the default and the maximum (D12) */
	uint32_t lease_min; /* seconds: the smallest lease granted */
	uint32_t spi_lo, spi_hi, spi_block;
	/* log2(spi_block), set once by config_parse: the allocator's blocks,
	 * the maps' rsip_spi_blk keys, the programs and a state file all use
	 * this one value. */
	uint8_t spi_block_shift;
	uint16_t port_lo, port_hi;
	uint32_t holdback;	      /* seconds a released port/SPI stays out of use */
	struct cidr_list allow;	      /* who may register; empty: everyone */
	struct cidr_list ipsec_allow; /* who may use RSIPSEC; empty: every registered host */
	struct cidr_list local_net;   /* QUERY answers; empty: the allow list */
	struct cidr_list deny_remote; /* remote peers nobody may name (314) */
	uint16_t deny_remote_port[CFG_MAX_PORTS]; /* remote ports nobody may name (315) */
	size_t n_deny_remote_port;
	uint8_t flow_local, flow_remote;	    /* RSIP_FLOW_* */
	uint32_t max_bindings, max_ports, max_spis; /* per client; 0: no limit */
	bool no_rsa_ip;				    /* ASSIGN_REQUEST_RSA-IP gets 208 */
	bool tcp_only;				    /* every UDP request gets 102 USE_TCP */
	struct in_addr tunnel_endpoint;		    /* INADDR_ANY: not sent (D15) */
	char ctl_socket[108];			    /* sun_path; "": no control socket */
	struct in_addr metrics_addr;		    /* --metrics ADDR:PORT */
	uint16_t metrics_port;			    /* 0: no metrics endpoint */
	char config_file[PATH_MAX];
	bool daemon;
	bool check_only; /* --check-config: validate, change nothing */
	int verbosity;
	/* --dataplane xdp (docs/dataplane.md) */
	char wan_if[16], lan_if[16]; /* IFNAMSIZ */
	uint8_t xdp_mode;	     /* CFG_XDP_NATIVE / CFG_XDP_GENERIC */
	uint8_t attach;		     /* CFG_ATTACH_XDP / CFG_ATTACH_TC (docs/xdp-programs.md) */
	char pin_path[PATH_MAX];     /* bpffs directory of the pins */
	uint32_t map_size;	     /* clients the maps hold (others scale); 0: defaults */
	bool detach_on_exit;	     /* take the data plane down on exit */
	bool map_prealloc;	     /* hash maps preallocated (docs/performance.md) */
	uint32_t stat_slots;	     /* counter slots per host; 0: no per-binding counters */
	/* --spi-steer: the CPUs ESP/AH/UDP-ESP is spread over by SPI
	 * (docs/dataplane.md); none: off. */
	uint16_t spi_steer[CFG_MAX_STEER_CPUS];
	size_t n_spi_steer;
	char state_file[PATH_MAX]; /* "": none */
	/* What one host, or a flood of spoofed ones, may make rsipd hold. */
	uint32_t max_clients;	 /* registrations; 0 until config_parse sets the default */
	uint32_t register_rate;	 /* REGISTERs per second per source prefix; 0: no limit */
	uint32_t register_burst; /* bucket size */
	uint8_t register_prefix; /* source prefix length the buckets are kept for */
	uint32_t tcp_timeout;	 /* seconds a connection may take to complete a message */
	uint32_t tcp_per_addr;	 /* connections per source address */
	bool has_state_file;	 /* given (else: the default with xdp, none without) */
	bool store_sync_full;	 /* --store-sync full: an fsync per commit */
	/* --store etcd://...: a gateway cluster sharing its leases through etcd
	 * (docs/cluster.md); replaces the SQLite store. */
	char store_url[1024];	    /* as given; "": the embedded store */
	char etcd_endpoints[1200];  /* parsed from it: URL,URL... */
	char etcd_prefix[96];	    /* "/PREFIX/" */
	char etcd_cacert[PATH_MAX]; /* "": none (the system CAs with https) */
	char etcd_cert[PATH_MAX];   /* client certificate, "": none */
	char etcd_key[PATH_MAX];    /* its key */
	char gateway[33];	    /* this gateway's name in the cluster */
	char role_file[PATH_MAX];   /* keepalived's state (MASTER...); "": always active */
	uint32_t learned_rate;	    /* learned entries written to etcd a second; 0: none */

	/* --etcd-timeout, --etcd-connect-timeout, --etcd-watch-idle (ms) */
	uint32_t etcd_timeout_ms, etcd_connect_ms, etcd_watch_idle_ms;
	/* --etcd-inflight: commits in flight at once (docs/cluster.md) */
	uint32_t etcd_inflight;
};

/* Results of config_parse besides 0. */
#define CONFIG_HELP    1 /* --help was given: usage printed to the help stream */
#define CONFIG_VERSION 2 /* --version was given */

/* Fill cfg with the defaults. */
void config_defaults(struct rsipd_config *cfg);

/* Parse argv (and the --config file it names). Returns 0, CONFIG_HELP, or
 * -EINVAL with a message naming the flag or key and the bad value in err.
 * rsipd exits with status 2 on -EINVAL. */
int config_parse(struct rsipd_config *cfg, int argc, char **argv, char *err, size_t errlen);

/* The --help text. */
void config_usage(FILE *out);

/* True when addr lies in one of the list's networks. */
bool cidr_list_contains(const struct cidr_list *l, struct in_addr addr);

#endif
