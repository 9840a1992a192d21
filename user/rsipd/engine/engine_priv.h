/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inside the engine: the state shared by the per-message files (register.c,
 * assign.c, extend_free.c, query.c, listen.c), the tables (clients.c,
 * binding.c), the caches (reply_cache.c) and the lease timer (lease.c).
 * Nothing outside user/rsipd/ includes this.
 */
#ifndef RSIPD_ENGINE_PRIV_H
#define RSIPD_ENGINE_PRIV_H

#include "hash32.h"

#include "binding.h"
#include "config.h"
#include "engine.h"
#include "record.h"
#include "rsip/msg.h"

struct alloc;
struct dataplane;
struct lease_heap;

/* D14: data-path violations reported to a host at most once a second per
 * reason. */
enum violation_slot { VIOL_307, VIOL_312, VIOL_313, VIOL_314, VIOL_315, VIOL_N };

/* A registration (plain data, except the table handles and the reply cache
 * at the end, which a state file saves separately). */
struct client_rec {
	uint32_t client_id;
	struct in_addr xa; /* the host's private address: the key (D4) */
	uint8_t transport; /* enum engine_transport, fixed at registration */
	uint8_t flow_local, flow_remote;
	uint16_t udp_port; /* last UDP source port (host order) */
	uint64_t registered_ms;
	uint64_t expires_ms; /* R = max(R, Bi) (D12) */
	uint32_t nbindings, nports, nspis;
	bool has_last; /* the reply cache below is valid */
	uint32_t last_counter;
	uint64_t violation_ms[VIOL_N];
};

struct client {
	struct client_rec r;
	uint64_t tcp_conn; /* current TCP connection (0: none); not saved */
	/* The last reply, byte for byte (6.2), and the request it answered:
	 * a duplicate is the same bytes from the same UDP port / TCP
	 * connection, so a rebooted host that starts again at counter 1 gets
	 * 302, not a stale REGISTER_RESPONSE. */
	uint8_t *reply;
	size_t reply_len;
	uint8_t *last_req;
	size_t last_req_len;
	uint16_t last_port;
	uint64_t last_conn;
	struct binding *bindings; /* this host's bindings (utlist, via cnext/cprev) */
	UT_hash_handle hh_id, hh_addr;
	/* Registered over UDP and not heard from since with its Client ID:
	 * possibly a forged source that never saw the reply. At --max-clients
	 * the oldest of these makes room (engine->unproven, oldest first). */
	bool unproven;
	struct client *uprev, *unext;
};

struct engine {
	const struct rsipd_config *cfg;
	struct dataplane *dp;
	struct engine_io io;
	struct engine_clock clk;
	struct alloc *alloc;
	struct client *by_id, *by_addr; /* uthash tables */
	struct binding *bindings;	/* the one binding table, by bind_id */
	size_t n_clients, n_bindings;
	struct reply_cache *prereg;    /* before registration: by IP + port */
	struct register_limit *reglim; /* REGISTER token buckets per source prefix */
	struct client *unproven;       /* see struct client, oldest first */
	struct lease_heap *leases;
	struct engine_counters ctr;
	/* The state file (engine_state.c): state_gen moves with every change a
	 * snapshot holds; the hook runs when it moved since the last save. */
	uint64_t state_gen, state_saved_gen;
	void (*state_hook)(void *arg);
	void *state_hook_arg;
	void (*dirty_hook)(void *arg, uint32_t client_id); /* the lease store */
	void *dirty_hook_arg;
	/* A standby gateway of a cluster (engine_set_passive): it holds every
	 * binding (mirrored) but answers nothing, expires nothing and sends
	 * nothing; the active gateway does. */
	bool passive;
	/* The cluster's store must be able to record a new allocation
	 * (engine_set_alloc_gate): an RSIP error when it cannot. */
	int (*alloc_gate)(void *arg);
	void *alloc_gate_arg;
	/* Scratch messages: one request and one reply in flight at a time
	 * (single-threaded), too big for the stack. */
	struct rsip_msg req, rep, unsol;
	uint8_t outbuf[RSIP_MAX_MSG];
	/* A host's record being read or written (snapshot.c), kept for the
	 * next: no allocation per row at a restart or a commit. */
	struct rec_client rec;
	struct rec_out rec_out;
};

/* register_limit.c: REGISTER token buckets per source prefix, at most
 * REGLIM_MAX of them. admit: true when src may register now (takes a
 * token). */
#define REGLIM_MAX 16384
struct register_limit;
struct register_limit *register_limit_new(void);
void register_limit_free(struct register_limit *rl);
bool register_limit_admit(struct register_limit *rl, const struct rsipd_config *cfg,
			  struct in_addr src, uint64_t now_ms);
size_t register_limit_size(const struct register_limit *rl);

/* What one request needs while it is being answered. */
struct req_ctx {
	const struct engine_src *src;
	const uint8_t *raw; /* the request's bytes */
	size_t raw_len;
	struct rsip_msg *req;
	struct rsip_msg *rep;
	struct client *c; /* the registration (NULL: none) */
	/* What an ERROR_RESPONSE for this request carries besides the counter
	 * (D17). */
	bool err_has_client;
	uint32_t err_client;
	bool err_has_bind;
	uint32_t err_bind;
};

/* Message handlers: fill x->rep and return 0, or return an RSIP error code
 * (the dispatcher then answers with an ERROR_RESPONSE). */
int handle_register(struct engine *e, struct req_ctx *x);
int handle_deregister(struct engine *e, struct req_ctx *x);
int handle_assign(struct engine *e, struct req_ctx *x);
int handle_listen(struct engine *e, struct req_ctx *x);
int handle_extend(struct engine *e, struct req_ctx *x);
int handle_free(struct engine *e, struct req_ctx *x);
int handle_query(struct engine *e, struct req_ctx *x);

/* emit.c: the bottom layer, calls no other engine file */
uint64_t engine_now(struct engine *e);
/* Send bytes already encoded (a reply, a cached reply); counts
 * messages_out. Returns len or -errno. */
ssize_t engine_send_bytes(struct engine *e, const struct engine_src *dst, const uint8_t *buf,
			  size_t len);
/* Encode m and send it to dst; counts messages_out. Returns the encoded
 * length (> 0) or -errno. */
ssize_t engine_send_msg(struct engine *e, const struct engine_src *dst, const struct rsip_msg *m);
/* An unsolicited message (counter 0) to a host: its current TCP connection
 * or its last UDP source (D4). Counted as sent or dropped. */
void engine_send_unsolicited(struct engine *e, struct client *c, struct rsip_msg *m);

/* clients.c */
struct client *client_by_addr(struct engine *e, struct in_addr xa);
struct client *client_by_id(struct engine *e, uint32_t id);
/* Create a registration (tells the data plane). Returns an RSIP error. */
int client_create(struct engine *e, const struct engine_src *src, struct client **out);
/* Free every binding (unsolicited FREE_RESPONSEs not sent), tell the data
 * plane, release the ID, drop the table entry. */
void client_destroy(struct engine *e, struct client *c, bool tell_dp);
/* A message with its Client ID came from the host: it saw the reply. */
void client_proven(struct engine *e, struct client *c);
void client_set_reply(struct client *c, const struct req_ctx *x, const uint8_t *buf, size_t len);
/* The cached reply when x is a retransmission of the last request. */
const uint8_t *client_cached_reply(const struct client *c, const struct req_ctx *x, size_t *len);

/* binding.c (table) */
struct binding *binding_by_id(struct engine *e, uint32_t bind_id);
/* Insert b (allocated with binding_alloc) into the table and its client. */
void binding_insert(struct engine *e, struct client *c, struct binding *b);
/* Give back b's resources (held back), tell the data plane, free it. */
void binding_destroy(struct engine *e, struct client *c, struct binding *b, bool tell_dp);

/* lease.c */
struct lease_heap *lease_heap_new(void);
void lease_heap_free(struct lease_heap *h);
void lease_schedule_binding(struct engine *e, const struct binding *b);
void lease_schedule_client(struct engine *e, const struct client *c);
/* Granted lease for a requested one (D12): 0 or absent gives the default. */
uint32_t lease_grant(const struct engine *e, bool has_lease, uint32_t requested);
/* The lease of a registration whose binding now ends at expires_ms. */
void client_touch_lease(struct engine *e, struct client *c, uint64_t expires_ms);
/* The earliest entry due at now, taken off the heap: false when none. It may
 * be stale (its record has moved on): the caller compares the time. */
struct lease_due {
	uint64_t at;
	uint32_t id;
	bool is_client;
};
bool lease_pop_due(struct lease_heap *h, uint64_t now, struct lease_due *out);

/* reply_cache.c: replies to hosts without a registration, keyed by source
 * IP + port, kept a short while (spec 6.2). */
#define PREREG_TTL_MS 30000
#define PREREG_MAX    4096
struct reply_cache *reply_cache_new(void);
void reply_cache_free(struct reply_cache *rc);
void reply_cache_put(struct reply_cache *rc, const struct req_ctx *x, const uint8_t *buf,
		     size_t len, uint64_t now);
/* The cached reply when x repeats the request cached for its source, or
 * NULL. */
const uint8_t *reply_cache_get(struct reply_cache *rc, const struct req_ctx *x, uint64_t now,
			       size_t *len);
void reply_cache_expire(struct reply_cache *rc, uint64_t now);

/* emit.c: run the state hook if something changed (after every request,
 * tick and revocation). */
void engine_state_changed(struct engine *e);
/* 0 when a new registration or binding may be made now, else the RSIP
 * error to answer (the cluster's etcd is unreachable, engine.h). */
static inline int engine_alloc_gate(struct engine *e)
{
	return e->alloc_gate ? e->alloc_gate(e->alloc_gate_arg) : 0;
}

/* What host client_id's store row holds may have changed (emit.c). */
static inline void engine_dirty(struct engine *e, uint32_t client_id)
{
	if (e->dirty_hook)
		e->dirty_hook(e->dirty_hook_arg, client_id);
}

/* policy.c */
bool policy_may_register(const struct engine *e, struct in_addr xa);
bool policy_may_ipsec(const struct engine *e, struct in_addr xa);
const struct cidr_list *policy_local_nets(const struct engine *e);
bool policy_rsa_ip_allowed(const struct engine *e);
/* The RSIP methods a host may use, as REGISTER_RESPONSE lists them. */
size_t policy_methods(const struct engine *e, struct in_addr xa, uint8_t *out, size_t cap);
/* Pick the tunnel type from a request's offers (none: IP-IP). 0 or 307. */
int policy_tunnel(const struct rsip_msg *req, uint8_t *tunnel);
/* Receiver-side parameter value checks the codec leaves to us (205). */
int policy_check_values(const struct rsip_msg *m);

#endif
