/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals of the RSIP codec, shared by user/lib/msg_*.c only:
 *   msg_tlv.c      TLV iteration, the complete TLV walk, value decoders
 *   msg_values.c   value rules the encoder and the decoder both enforce
 *   msg_grammar.c  one validate function per message type
 *   msg_decode.c   rsip_decode: framing, version, type, walk, grammar
 *   msg_encode.c   rsip_encode
 * Value decoders return 0 or RSIP_E_BAD_PARAM and set *why to a static
 * reason; they never read outside [t->val, t->val + t->len).
 */
#ifndef RSIP_MSG_INTERNAL_H
#define RSIP_MSG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "be.h"
#include "rsip/msg.h"

/* One parameter as it sits in the buffer. */
struct rsip_tlv {
	uint8_t code;
	uint16_t len;	    /* value length */
	const uint8_t *val; /* len bytes, inside the message */
	size_t off;	    /* offset of the parameter from the message start */
};

struct rsip_tlv_iter {
	const uint8_t *base; /* message start, for offsets in logs */
	const uint8_t *pos, *end;
};

void rsip_tlv_iter_init(struct rsip_tlv_iter *it, const uint8_t *msg, size_t len);
/* 1: *t is the next parameter; 0: no more; -1: the next parameter's header
 * or value runs past the end of the message. */
int rsip_tlv_next(struct rsip_tlv_iter *it, struct rsip_tlv *t);

/* Record the first well-formed Message Counter and Client ID in err, looking
 * at whatever parameters can be delimited. Never fails. */
void rsip_tlv_salvage(const uint8_t *msg, size_t len, struct rsip_decode_err *err);

/* The complete TLV walk over a message whose header is already checked:
 * 207 when a parameter runs past the end (that wins: the message cannot be
 * parsed), else the first 204 (unknown code) or 205 (bad value) in order,
 * else 0. Sets err->error and err->why on failure. */
int rsip_tlv_walk(const uint8_t *msg, size_t len, struct rsip_decode_err *err);

/* Value decoders: context-free checks only (length, form, contents). */
int rsip_dec_u32(const struct rsip_tlv *t, uint32_t *v, const char **why);
int rsip_dec_tunnel(const struct rsip_tlv *t, uint8_t *v, const char **why);
int rsip_dec_method(const struct rsip_tlv *t, uint8_t *v, const char **why);
int rsip_dec_error(const struct rsip_tlv *t, uint16_t *v, const char **why);
int rsip_dec_flow(const struct rsip_tlv *t, uint8_t *local, uint8_t *remote, const char **why);
int rsip_dec_indicator(const struct rsip_tlv *t, uint8_t *v, const char **why);
int rsip_dec_address(const struct rsip_tlv *t, struct rsip_address *a, const char **why);
int rsip_dec_ports(const struct rsip_tlv *t, struct rsip_ports *p, const char **why);
int rsip_dec_spi(const struct rsip_tlv *t, struct rsip_spi *s, const char **why);
int rsip_dec_vendor(const struct rsip_tlv *t, struct rsip_vendor *v, const char **why);

/* Grammar of m->type over the parameters of msg (header already checked and
 * the TLV walk passed): fills m, returns 0 or 201/202/203/205/207. */
int rsip_grammar(struct rsip_msg *m, const uint8_t *msg, size_t len, struct rsip_decode_err *err);

/* ---- value rules shared by decoder and encoder (msg_values.c) ---- */

/* The place an Address takes in its message. */
enum rsip_addr_role {
	RSIP_ROLE_LOCAL,
	RSIP_ROLE_REMOTE,
	RSIP_ROLE_ENDPOINT,   /* tunnel endpoint, optional third Address */
	RSIP_ROLE_TUPLE_ADDR, /* the Address of a QUERY address tuple */
	RSIP_ROLE_TUPLE_NET,  /* the network of a QUERY network tuple */
	RSIP_ROLE_TUPLE_MASK, /* the netmask of a QUERY network tuple */
};

/* NULL when a may take role, else the static reason it may not (205). */
const char *rsip_addr_role_bad(const struct rsip_address *a, enum rsip_addr_role role);
/* NULL when ports p may appear in a message of type type, else the reason. */
const char *rsip_ports_role_bad(const struct rsip_ports *p, uint8_t type);
/* NULL when indicator is one that message type uses, else the reason. */
const char *rsip_indicator_bad(uint8_t indicator, uint8_t type);
bool rsip_indicator_is_network(uint8_t indicator);

bool rsip_fqdn_ok(const char *name, size_t len);
bool rsip_netmask_ok(struct in_addr mask);
bool rsip_flow_ok(uint8_t local, uint8_t remote);
/* A LIST's values are all non-zero and pairwise distinct (checked on a
 * sorted copy); false for more than RSIP_MAX_PORTS / RSIP_MAX_SPI_LIST. */
bool rsip_ports_distinct_nonzero(const struct rsip_ports *p);
bool rsip_spis_distinct_nonzero(const struct rsip_spi *s);

#endif
