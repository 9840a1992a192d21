/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test helpers for the RSIP codec: build raw messages byte by byte (so tests
 * can write malformed ones the encoder refuses to produce), turn hex text
 * into bytes, and decode from an exactly-sized heap copy so that ASan flags
 * any read past the end.
 */
#ifndef RSIP_TEST_MSG_RAW_H
#define RSIP_TEST_MSG_RAW_H

#include <stddef.h>
#include <stdint.h>

#include "rsip/msg.h"

#define RAW_MAX 8192

struct raw {
	uint8_t b[RAW_MAX];
	size_t len;
};

/* Header: version 1, type, Overall Length patched by raw_len(). */
void raw_begin(struct raw *r, uint8_t type);
void raw_param(struct raw *r, uint8_t code, const void *val, size_t len);
void raw_u8(struct raw *r, uint8_t code, uint8_t v);
void raw_u16(struct raw *r, uint8_t code, uint16_t v);
void raw_u32(struct raw *r, uint8_t code, uint32_t v);
/* Address of Addrtype 1 (IPv4) or 2 (netmask) from dotted text. */
void raw_ipv4(struct raw *r, uint8_t addrtype, const char *dotted);
/* Address "don't care": Length 1. */
void raw_any(struct raw *r, uint8_t addrtype);
/* Append hex text ("01 00 | 0a"; spaces and '|' ignored) as is. */
void raw_hex(struct raw *r, const char *hex);
/* Patch Overall Length to the bytes written so far; returns it. */
size_t raw_len(struct raw *r);

/* hex text -> bytes; returns the count. Aborts on bad hex or overflow. */
size_t hex2bin(const char *hex, uint8_t *out, size_t cap);

/* rsip_decode on a heap copy of exactly len bytes. The copy lives until the
 * next decode_exact into the same m, so m's views (FQDNs, lists, vendor
 * data) stay valid until then, whatever other messages are decoded. */
int decode_exact(const uint8_t *buf, size_t len, struct rsip_msg *m, struct rsip_decode_err *err);
int raw_decode(struct raw *r, struct rsip_msg *m, struct rsip_decode_err *err);

#endif
