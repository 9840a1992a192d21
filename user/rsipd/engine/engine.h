/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The RSIP engine: everything the gateway decides, with no socket in sight.
 * The transports (tcp.c, udp.c) hand it whole messages with their source; it
 * answers through the send callback, keeps registrations, bindings, leases
 * and the reply cache, and tells the data plane about every change. Time
 * comes from an injected clock, so unit tests drive it byte by byte.
 */
#ifndef RSIPD_ENGINE_H
#define RSIPD_ENGINE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binding_rec.h"
#include "rsip/wire.h"

struct engine;
struct alloc;
struct dataplane;
struct rsipd_config;

/* rsipd's own numbering, not librsip's enum rsip_transport (include/rsip/
 * client.h: TCP 1, UDP 2): the names differ so that one means one thing. */
enum engine_transport { ENGINE_T_UDP = 0, ENGINE_T_TCP = 1 };

/* Where a message came from, or goes to. */
struct engine_src {
	enum engine_transport transport;
	struct in_addr addr; /* the host's source IP (network order) */
	uint16_t port;	     /* host order */
	uint64_t conn;	     /* TCP connection id (non-zero); 0 over UDP */
};

struct engine_io {
	/* Send one message. Returns 0, or -errno when it cannot be sent (a
	 * closed TCP connection: -ENOTCONN). */
	int (*send)(void *arg, const struct engine_src *to, const uint8_t *buf, size_t len);
	void *arg;
};

/* The engine's environment, injectable for tests: clock, randomness, and
 * which ports the gateway itself uses. */
struct engine_clock {
	uint64_t (*now_ms)(void *arg); /* CLOCK_MONOTONIC ms; NULL: the real clock */
	void *arg;
	uint32_t (*random32)(void *arg); /* NULL: getrandom(2) */
	void *random_arg;
	/* NULL: no port is the gateway's own (rsipd passes rsipd_port_busy). */
	bool (*port_busy)(void *arg, struct in_addr nb, uint16_t port);
	void *port_busy_arg;
};

#define ENGINE_N_ERRORS 500 /* error codes are below 500 */

struct engine_counters {
	uint64_t messages_in, messages_out;
	uint64_t registrations, deregistrations;
	uint64_t assignments, extends, frees, queries, listens;
	uint64_t retransmits, malformed;
	uint64_t leases_expired, registrations_expired;
	uint64_t unsolicited_sent, unsolicited_dropped;
	uint64_t revocations, violations;
	uint64_t registers_limited;	  /* REGISTERs over --register-rate */
	uint64_t registers_capped;	  /* REGISTERs refused at --max-clients */
	uint64_t registrations_evicted;	  /* never-used UDP ones, at --max-clients */
	uint64_t dropped_not_allowed;	  /* UDP from outside --allow: no answer */
	uint64_t passive_dropped;	  /* requests to a standby gateway: no answer */
	uint64_t errors[ENGINE_N_ERRORS]; /* ERROR_RESPONSEs sent, by code */
};

/* engine_handle() results. */
#define ENGINE_OK    0
#define ENGINE_CLOSE 1 /* TCP: the stream is lost, close the connection */

/* cfg, dp and io must outlive the engine. The engine makes its allocator
 * from cfg. NULL on a configuration the allocator refuses. */
struct engine *engine_new(const struct rsipd_config *cfg, struct dataplane *dp,
			  const struct engine_io *io, const struct engine_clock *clk);
/* Free every binding and registration, telling the data plane when tell_dp
 * (clean shutdown); no message goes to the hosts. */
void engine_free(struct engine *e, bool tell_dp);

/* One whole message (a UDP datagram, or one Overall-Length frame of a TCP
 * stream). Returns ENGINE_OK or ENGINE_CLOSE. */
int engine_handle(struct engine *e, const struct engine_src *from, const uint8_t *buf, size_t len);
/* A TCP stream whose next Overall Length is impossible: answer 207; the
 * caller closes the connection. */
void engine_bad_frame(struct engine *e, const struct engine_src *from);
/* A TCP connection went away: unsolicited messages for its host are dropped
 * (and counted) until the host connects again. */
void engine_conn_closed(struct engine *e, uint64_t conn);
/* Expire leases and caches whose time has come (clock: engine_clock). */
void engine_tick(struct engine *e);

/* Administrative revocation (rsipctl free / deregister): the unsolicited
 * FREE_RESPONSE / DE-REGISTER_RESPONSE goes to the host. 0 or -ENOENT. */
int engine_revoke_binding(struct engine *e, uint32_t bind_id);
int engine_revoke_client(struct engine *e, uint32_t client_id);

/* --- state file (engine_state.c) -----------------------------------------------
 * A snapshot of registrations, bindings, IDs, leases (as wall-clock times:
 * wall_now_ms is CLOCK_REALTIME in ms) and each host's cached last reply.
 * restore rebuilds them in an engine without registrations, taking exactly
 * the same IDs and resources again and telling the data plane as it goes; a
 * binding that cannot come back (the configuration changed) is freed with an
 * unsolicited FREE_RESPONSE. 0, or -EINVAL with a message in err (a snapshot
 * that is not ours, another --spi-block...), or -ENOMEM. */
struct json_object;
struct json_object *engine_state_save(struct engine *e, uint64_t wall_now_ms);
int engine_state_restore(struct engine *e, struct json_object *st, uint64_t wall_now_ms, char *err,
			 size_t errlen);
/* fn runs after any request, lease expiry or revocation that changed what a
 * snapshot holds (at most once per event). */
void engine_set_state_hook(struct engine *e, void (*fn)(void *arg), void *arg);

/* --- the lease store, one row per host (store/) ------------------------------
 * fn(arg, client_id) runs whenever what a host's row holds may have changed
 * (registration, bindings, leases, its cached reply) or the host went away;
 * the store rewrites or deletes that one row at the end of the event-loop
 * iteration, so the cost follows the change. */
void engine_set_dirty_hook(struct engine *e, void (*fn)(void *arg, uint32_t client_id), void *arg);
/* One host's record (the snapshot's client object), NULL when no host has
 * that Client ID (any more). The caller puts it. */
struct json_object *engine_state_client(struct engine *e, uint32_t client_id, uint64_t wall_now_ms);
/* The same as JSON text, written without a JSON object per value (the
 * store's commit): 1 and *text (len bytes, NUL-terminated, valid until the
 * next call), 0 when no host has that Client ID, -ENOMEM. */
int engine_state_client_text(struct engine *e, uint32_t client_id, uint64_t wall_now_ms,
			     const char **text, size_t *len);
/* Restore one host's record, validated like wire input (docs/store.md):
 * 0, -EINVAL with what is wrong in err (nothing of it was taken: skip it
 * with a warning), or -ENOMEM. Bindings that are malformed or cannot come
 * back are dropped one by one (logged, and the host told). */
int engine_state_restore_client(struct engine *e, struct json_object *o, uint64_t wall_now_ms,
				char *err, size_t errlen);
/* The same from the record's text (a store row), read straight into typed
 * fields (engine/record.h): the restart's fast path. */
int engine_state_restore_client_text(struct engine *e, const char *text, size_t len,
				     uint64_t wall_now_ms, char *err, size_t errlen);
uint8_t engine_spi_block_shift(const struct engine *e);
/* The same for a host that may be live (a cluster's mirror, docs/cluster.md):
 * restored when new; else bindings the record no longer lists end, new ones
 * are restored, the others take its lease, and the live map entries stay
 * (their counters too). 0, -EINVAL (err), -ENOMEM. -EINVAL also when the
 * host is in but some of its bindings could not come back (err says how
 * many): the caller must treat the record as not mirrored. */
int engine_state_update_client(struct engine *e, struct json_object *o, uint64_t wall_now_ms,
			       char *err, size_t errlen);
/* Take a host's registration and bindings away without a word to it
 * (another gateway of the cluster ended them, docs/cluster.md): resources
 * released, data plane told. 0 or -ENOENT. */
int engine_drop_client(struct engine *e, uint32_t client_id);

/* --- cluster role (cluster/) --------------------------------------------------
 * Passive: a standby gateway. Requests are dropped unanswered (counted in
 * passive_dropped), no lease expires and no unsolicited message leaves;
 * bindings come and go through the mirror only. Leases that fall due while
 * passive expire when the engine becomes active (if the active gateway has
 * not ended them first). */
void engine_set_passive(struct engine *e, bool passive);
/* gate(arg) runs before every new registration and binding: 0 lets it go
 * on, an RSIP error code is the answer instead (the cluster store refuses
 * while etcd cannot record it, docs/cluster.md). EXTEND, FREE and
 * DE-REGISTER never ask. NULL: no gate. */
void engine_set_alloc_gate(struct engine *e, int (*gate)(void *arg), void *arg);
bool engine_is_passive(const struct engine *e);

/* --- read-only views, for the control socket and tests --------------------- */
struct engine_client_view {
	uint32_t client_id;
	struct in_addr addr;
	enum engine_transport transport;
	uint32_t nbindings, nports, nspis;
	uint64_t registered_ms, expires_ms;
};

typedef void (*engine_client_cb)(const struct engine_client_view *v, void *arg);
/* Each binding as the engine keeps it (binding_rec.h); valid during the
 * call. */
typedef void (*engine_binding_cb)(const struct binding_rec *b, void *arg);
void engine_foreach_client(struct engine *e, engine_client_cb cb, void *arg);
/* client_id 0: every binding. */
void engine_foreach_binding(struct engine *e, uint32_t client_id, engine_binding_cb cb, void *arg);
size_t engine_n_clients(const struct engine *e);
size_t engine_n_bindings(const struct engine *e);
const struct engine_counters *engine_counters(const struct engine *e);
/* The configuration the engine reads (the one given to engine_new) has
 * changed in its reloadable fields: apply what the engine copied from it. */
void engine_config_changed(struct engine *e);
struct alloc *engine_alloc(struct engine *e);
struct dataplane *engine_dataplane(struct engine *e);
uint64_t engine_now(struct engine *e);
const char *binding_kind_name(uint8_t kind);

#endif
