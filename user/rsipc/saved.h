/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a killed rsipc up left behind, read back from its state file
 * (DIR/state.json, written by up.c through ctl_write_state): enough to take
 * the same registration and binding up again (rsip_client_resume) - so an
 * IKE daemon's SAs keep their SPIs and ports - or, for `rsipc down`, to
 * release them and remove the rule, route and TC filters it left.
 */
#ifndef RSIPC_SAVED_H
#define RSIPC_SAVED_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "rsip/client.h"

struct rsipc_saved {
	int pid;
	struct in_addr server;
	uint16_t server_port;
	enum rsip_transport transport;
	uint32_t client_id;
	struct rsip_binding b; /* bind ID, method, tunnel, Nb, endpoint, ports, SPIs */
	bool ike_port;	       /* the first two ports are IKE and NAT-T */
	int64_t lease_expires; /* Unix time */
	uint32_t table, prio;
	int tc_ifindex; /* 0: the pump data path */
};

/* Read DIR/state.json. 0, -ENOENT (none), or -EINVAL (unusable: message on
 * stderr through the log). */
int rsipc_saved_load(const char *dir, struct rsipc_saved *s);
/* The process that wrote it is gone and the lease has not run out. */
bool rsipc_saved_resumable(const struct rsipc_saved *s);
/* Remove the rule, route and TC filters s names (what outlives a killed
 * rsipc: the TUN went with it). */
void rsipc_saved_remove_tunnel(const struct rsipc_saved *s);

/* `rsipc down` after a crash: FREE and DE-REGISTER what s names (as far as
 * the gateway still knows it), remove the tunnel's remains and the state
 * directory's files. Returns true when the gateway confirmed the release. */
bool rsipc_saved_release(const struct rsipc_saved *s, const char *dir);

#endif
