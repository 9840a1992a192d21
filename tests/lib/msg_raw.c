// SPDX-License-Identifier: BSD-2-Clause
/* Raw RSIP message builders for the codec tests (msg_raw.h). */
#include "msg_raw.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void need(struct raw *r, size_t n)
{
	if (r->len + n > RAW_MAX) {
		fprintf(stderr, "msg_raw: message too big for the test buffer\n");
		abort();
	}
}

void raw_begin(struct raw *r, uint8_t type)
{
	memset(r, 0, sizeof(*r));
	r->b[0] = RSIP_VERSION;
	r->b[1] = type;
	r->len = RSIP_HDR_LEN;
}

void raw_param(struct raw *r, uint8_t code, const void *val, size_t len)
{
	need(r, RSIP_PARAM_HDR + len);
	r->b[r->len] = code;
	r->b[r->len + 1] = (uint8_t)(len >> 8);
	r->b[r->len + 2] = (uint8_t)len;
	if (len)
		memcpy(r->b + r->len + RSIP_PARAM_HDR, val, len);
	r->len += RSIP_PARAM_HDR + len;
}

void raw_u8(struct raw *r, uint8_t code, uint8_t v)
{
	raw_param(r, code, &v, 1);
}

void raw_u16(struct raw *r, uint8_t code, uint16_t v)
{
	uint8_t b[2] = {v >> 8, v & 0xff};

	raw_param(r, code, b, 2);
}

void raw_u32(struct raw *r, uint8_t code, uint32_t v)
{
	uint8_t b[4] = {v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff};

	raw_param(r, code, b, 4);
}

void raw_ipv4(struct raw *r, uint8_t addrtype, const char *dotted)
{
	uint8_t b[5] = {addrtype};

	if (inet_pton(AF_INET, dotted, b + 1) != 1)
		abort();
	raw_param(r, RSIP_P_ADDRESS, b, 5);
}

void raw_any(struct raw *r, uint8_t addrtype)
{
	raw_param(r, RSIP_P_ADDRESS, &addrtype, 1);
}

size_t hex2bin(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex; hex++) {
		int v;

		if (*hex == ' ' || *hex == '|' || *hex == '\n' || *hex == '\t')
			continue;
		if (*hex >= '0' && *hex <= '9')
			v = *hex - '0';
		else if (*hex >= 'a' && *hex <= 'f')
			v = *hex - 'a' + 10;
		else if (*hex >= 'A' && *hex <= 'F')
			v = *hex - 'A' + 10;
		else
			abort();
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= cap)
			abort();
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		abort();
	return n;
}

void raw_hex(struct raw *r, const char *hex)
{
	r->len += hex2bin(hex, r->b + r->len, RAW_MAX - r->len);
}

size_t raw_len(struct raw *r)
{
	r->b[2] = (uint8_t)(r->len >> 8);
	r->b[3] = (uint8_t)r->len;
	return r->len;
}

int decode_exact(const uint8_t *buf, size_t len, struct rsip_msg *m, struct rsip_decode_err *err)
{
	/* One copy per destination message (tests decode into a handful). */
	static struct {
		const struct rsip_msg *m;
		uint8_t *copy;
	} held[16];
	size_t i;

	for (i = 0; i < 16 && held[i].m && held[i].m != m; i++)
		;
	if (i == 16)
		abort(); /* more messages than any test uses */
	free(held[i].copy);
	held[i].m = m;
	/* Exactly len bytes (ASan makes even malloc(0) a real, unreadable
	 * allocation), so any read past the end is reported. */
	held[i].copy = malloc(len);
	if (!held[i].copy && len)
		abort();
	if (len)
		memcpy(held[i].copy, buf, len);
	return rsip_decode(held[i].copy, len, m, err);
}

int raw_decode(struct raw *r, struct rsip_msg *m, struct rsip_decode_err *err)
{
	raw_len(r);
	return decode_exact(r->b, r->len, m, err);
}
