/* SPDX-License-Identifier: BSD-2-Clause */
/* rsipc command line: what the user asked for, checked before anything runs. */
#ifndef RSIPC_ARGS_H
#define RSIPC_ARGS_H

#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rsip/client.h"
#include "tunnel.h"

#define RSIPC_DEFAULT_STATE_DIR "/run/rsipc"
#define RSIPC_DEFAULT_DEV	"rsip%d" /* the kernel picks rsip0, rsip1, ... */
/* SPIs asked for by default. strongSwan hangs when its SPI window is used
 * up, and a rekey needs a fresh SPI while the old SA lives on for a while:
 * 256 covers 2 x (concurrent CHILD_SAs) with a wide margin. When the gateway
 * cannot give that many (402), rsipc halves the request down to
 * RSIPC_MIN_DEFAULT_SPIS. */
#define RSIPC_DEFAULT_SPIS     256
#define RSIPC_MIN_DEFAULT_SPIS 4
/* The control socket lives in it, and a UNIX socket path has at most 107
 * characters. */
#define RSIPC_STATE_DIR_MAX 96
#define RSIPC_DEFAULT_TABLE 4555
#define RSIPC_MAX_LISTEN    16 /* --listen ports (one LISTEN binding each) */
#define RSIPC_DEFAULT_PRIO  4555

enum rsipc_cmd {
	RSIPC_CMD_NONE = 0,
	RSIPC_CMD_UP,
	RSIPC_CMD_STATUS,
	RSIPC_CMD_DOWN,
	RSIPC_CMD_HELP,
};

struct rsipc_opts {
	enum rsipc_cmd cmd;
	bool have_server;
	struct in_addr server;
	uint16_t port;
	enum rsip_transport transport;
	uint8_t method; /* enum rsip_method */
	uint16_t n_spis;
	bool spis_default;     /* --spis not given: may shrink on 402 */
	uint16_t n_ports;      /* --ports: ports besides the IKE pair */
	bool ike_port;	       /* two more ports: IKE and NAT-T */
	bool ike_port_default; /* rsipsec leases the IKE pair unless --shared-ike
				* (RFC 3104 6.1); dropped under a micro-flow
				* local policy, which grants one port */
	bool shared_ike;       /* --shared-ike: IKE on 500/4500, cookie demux */
	uint8_t tunnel;	       /* enum rsip_tunnel_type */
	uint32_t lease_s;      /* 0: the gateway's default */
	bool json;
	bool takeover;
	int verbose;
	char state_dir[RSIPC_STATE_DIR_MAX];
	char dev[IFNAMSIZ];
	uint32_t table;
	uint32_t rule_prio;
	enum tunnel_datapath datapath;
	uint16_t listen_ports[RSIPC_MAX_LISTEN]; /* --listen: LISTEN_REQUEST each */
	unsigned int n_listen;
	uint16_t mtu; /* 0: path MTU to the endpoint minus the tunnel overhead */
	struct in_addr remote;
	uint16_t remote_port;
	/* The command to run with the lease, after "--" (NULL-terminated,
	 * points into argv). */
	int cmd_argc;
	char **cmd_argv;
};

/* Parse argv into o (defaults first). Returns 0, or -EINVAL with a message
 * for the user in err. */
int rsipc_parse_args(int argc, char **argv, struct rsipc_opts *o, char *err, size_t errlen);
/* Total ports to ask for: --ports plus the IKE/NAT-T pair. */
unsigned int rsipc_ports_wanted(const struct rsipc_opts *o);
void rsipc_usage(FILE *f);

#endif
