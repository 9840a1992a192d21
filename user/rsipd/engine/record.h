/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A host's record as the lease store and etcd hold it (one JSON object,
 * engine/snapshot.c writes it), read straight into typed fields: no tree of
 * JSON objects, no allocation per value. At a 100k-host restart json-c's
 * objects (a hash table per object, a malloc per value) were about half of
 * the time spent reading the rows (bench/README.md, restore_bench).
 *
 * This file only reads the syntax and the types; what the values may be
 * (ranges, addresses, uniqueness) is checked where the record is restored
 * (snapshot.c), like wire input. Stricter than a general JSON reader on
 * purpose: a key that appears twice, a known key with a value of the wrong
 * type, or an escape sequence in a known string makes the record (or, inside
 * a binding, that binding) invalid rather than guessing which value counts.
 * Unknown keys are skipped (nesting bounded), so a newer rsipd may add some.
 */
#ifndef RSIPD_ENGINE_RECORD_H
#define RSIPD_ENGINE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A string value: bytes inside the source text (not NUL-terminated). */
struct rec_str {
	const char *p;
	size_t n;
};

/* An array of integers: n values from the record's pool at off. */
struct rec_arr {
	size_t off, n;
};

enum rec_bfield {
	RB_BIND_ID,
	RB_KIND,
	RB_METHOD,
	RB_TUNNEL,
	RB_REMOTE_POLICY,
	RB_REMOTE_PORT,
	RB_SPI_BLOCK,
	RB_LEASE_S,
	RB_CREATED_MS,
	RB_EXPIRES_MS,
	RB_NB,
	RB_REMOTE,
	RB_PORTS,
	RB_SPIS,
	RB_HAS_SPI_BLOCK,
	RB_PORTS_DONT_NEED,
	RB_NFIELDS
};

struct rec_binding {
	uint32_t have;		      /* 1 << RB_*: present with the right type */
	bool bad;		      /* not an object, a key twice, a value of the wrong type */
	int64_t v[RB_CREATED_MS + 2]; /* RB_BIND_ID .. RB_EXPIRES_MS */
	struct rec_str nb, remote;
	struct rec_arr ports, spis;
	bool has_spi_block, ports_dont_need;
};

enum rec_cfield {
	RC_CLIENT_ID,
	RC_FLOW_LOCAL,
	RC_FLOW_REMOTE,
	RC_UDP_PORT,
	RC_REGISTERED_MS,
	RC_EXPIRES_MS,
	RC_LAST_COUNTER,
	RC_LAST_PORT,
	RC_XA,
	RC_TRANSPORT,
	RC_LAST_REQUEST,
	RC_LAST_REPLY,
	RC_BINDINGS,
	RC_NFIELDS
};

/* One parsed record; reuse it for many (rec_parse resets it) and free it
 * once. The rec_str fields point into the text given to rec_parse. */
struct rec_client {
	uint32_t have;		     /* 1 << RC_* */
	int64_t v[RC_LAST_PORT + 1]; /* RC_CLIENT_ID .. RC_LAST_PORT */
	struct rec_str xa, transport, last_request, last_reply;
	struct rec_binding *b;
	size_t nb, cap_b;
	int64_t *pool; /* the ports and SPIs of every binding */
	size_t npool, cap_pool;
};

/* Read one record: 0; -EINVAL when it is not one JSON object (syntax, a
 * trailing byte, nesting deeper than 32, a client-level key twice or of the
 * wrong type); -ENOMEM. */
int rec_parse(struct rec_client *r, const char *text, size_t len);
void rec_free(struct rec_client *r);

static inline bool rec_has(uint32_t have, int field)
{
	return have & (1u << field);
}

/* --- writing ------------------------------------------------------------------
 * A growing text buffer the record is written into (snapshot.c), key by key,
 * without a JSON object per value. oom: an append failed (the text is
 * incomplete and must not be used). */
struct rec_out {
	char *p;
	size_t len, cap;
	bool oom;
};
void rec_out_reset(struct rec_out *o);
void rec_out_free(struct rec_out *o);
/* Raw bytes (keys with their quotes, colon and separator). */
void rec_put(struct rec_out *o, const char *s);
/* s then the integer v. */
void rec_put_int(struct rec_out *o, const char *s, int64_t v);
/* s then the string v in quotes (v needs no escaping: addresses, names). */
void rec_put_str(struct rec_out *o, const char *s, const char *v);
/* s then n bytes as lowercase hex in quotes. */
void rec_put_hex(struct rec_out *o, const char *s, const uint8_t *p, size_t n);

#endif
