// SPDX-License-Identifier: BSD-2-Clause
/*
 * A host's record, read straight into typed fields (record.h says why and
 * how strict). A small recursive-descent JSON reader over a bounded buffer:
 * every read checks the end first, nesting is capped, integers that do not
 * fit in 64 bits are not integers.
 */
#include "record.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32

struct rd {
	const char *p, *end;
};

enum vtype { V_INT, V_STR, V_BOOL, V_ARR_INT, V_BINDINGS };

struct field {
	const char *key;
	size_t len; /* strlen(key): every key of every row is compared */
	int bit;
	enum vtype type;
};

#define F(key, bit, type)                                                                          \
	{                                                                                          \
		key, sizeof(key) - 1, bit, type                                                    \
	}

static const struct field cfields[] = {
    F("client_id", RC_CLIENT_ID, V_INT),
    F("flow_local", RC_FLOW_LOCAL, V_INT),
    F("flow_remote", RC_FLOW_REMOTE, V_INT),
    F("udp_port", RC_UDP_PORT, V_INT),
    F("registered_ms", RC_REGISTERED_MS, V_INT),
    F("expires_ms", RC_EXPIRES_MS, V_INT),
    F("last_counter", RC_LAST_COUNTER, V_INT),
    F("last_port", RC_LAST_PORT, V_INT),
    F("xa", RC_XA, V_STR),
    F("transport", RC_TRANSPORT, V_STR),
    F("last_request", RC_LAST_REQUEST, V_STR),
    F("last_reply", RC_LAST_REPLY, V_STR),
    F("bindings", RC_BINDINGS, V_BINDINGS),
};

static const struct field bfields[] = {
    F("bind_id", RB_BIND_ID, V_INT),
    F("kind", RB_KIND, V_INT),
    F("method", RB_METHOD, V_INT),
    F("tunnel", RB_TUNNEL, V_INT),
    F("remote_policy", RB_REMOTE_POLICY, V_INT),
    F("remote_port", RB_REMOTE_PORT, V_INT),
    F("spi_block", RB_SPI_BLOCK, V_INT),
    F("lease_s", RB_LEASE_S, V_INT),
    F("created_ms", RB_CREATED_MS, V_INT),
    F("expires_ms", RB_EXPIRES_MS, V_INT),
    F("nb", RB_NB, V_STR),
    F("remote", RB_REMOTE, V_STR),
    F("ports", RB_PORTS, V_ARR_INT),
    F("spis", RB_SPIS, V_ARR_INT),
    F("has_spi_block", RB_HAS_SPI_BLOCK, V_BOOL),
    F("ports_dont_need", RB_PORTS_DONT_NEED, V_BOOL),
};

#undef F

static const struct field *lookup(const struct field *t, size_t n, const struct rec_str *k)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].len == k->n && !memcmp(t[i].key, k->p, k->n))
			return &t[i];
	return NULL;
}

static void ws(struct rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

/* Peek the next non-blank byte; 0 at the end. */
static char peek(struct rd *r)
{
	ws(r);
	return r->p < r->end ? *r->p : 0;
}

static bool eat(struct rd *r, char c)
{
	if (peek(r) != c)
		return false;
	r->p++;
	return true;
}

static bool hexdig(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A string at r->p ('"' next). *plain: no escape inside (only then is s
 * the value's bytes). -EINVAL on bad syntax. */
static int string(struct rd *r, struct rec_str *s, bool *plain)
{
	if (!eat(r, '"'))
		return -EINVAL;
	s->p = r->p;
	*plain = true;
	while (r->p < r->end) {
		unsigned char c = (unsigned char)*r->p;

		if (c == '"') {
			s->n = (size_t)(r->p - s->p);
			r->p++;
			return 0;
		}
		if (c < 0x20)
			return -EINVAL;
		if (c == '\\') {
			*plain = false;
			if (r->end - r->p < 2)
				return -EINVAL;
			c = (unsigned char)r->p[1];
			if (c == 'u') {
				if (r->end - r->p < 6 || !hexdig(r->p[2]) || !hexdig(r->p[3]) ||
				    !hexdig(r->p[4]) || !hexdig(r->p[5]))
					return -EINVAL;
				r->p += 6;
				continue;
			}
			if (!strchr("\"\\/bfnrt", c) || c == 0)
				return -EINVAL;
			r->p += 2;
			continue;
		}
		r->p++;
	}
	return -EINVAL;
}

/* A number at r->p. *is_int: no fraction or exponent and it fits int64. */
static int number(struct rd *r, int64_t *v, bool *is_int)
{
	bool neg = false, digits = false;
	uint64_t mag = 0, lim;

	*is_int = true;
	if (r->p < r->end && *r->p == '-') {
		neg = true;
		r->p++;
	}
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (r->p < r->end && *r->p == '0') {
		r->p++;
		digits = true;
	} else {
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
			unsigned d = (unsigned)(*r->p - '0');

			if (mag > (lim - d) / 10)
				*is_int = false;
			else
				mag = mag * 10 + d;
			r->p++;
			digits = true;
		}
	}
	if (!digits)
		return -EINVAL;
	if (r->p < r->end && *r->p == '.') {
		*is_int = false;
		r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return -EINVAL;
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		*is_int = false;
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return -EINVAL;
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	if (*is_int)
		*v = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag)
			 : (int64_t)mag;
	return 0;
}

static int literal(struct rd *r, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n))
		return -EINVAL;
	r->p += n;
	return 0;
}

static int skip(struct rd *r, int depth);

/* Members of an object or elements of an array, each skipped. */
static int skip_seq(struct rd *r, int depth, char close, bool object)
{
	struct rec_str k;
	bool plain;

	if (eat(r, close))
		return 0;
	do {
		if (object && (string(r, &k, &plain) || !eat(r, ':')))
			return -EINVAL;
		if (skip(r, depth + 1))
			return -EINVAL;
	} while (eat(r, ','));
	return eat(r, close) ? 0 : -EINVAL;
}

/* Any value, read and forgotten. */
static int skip(struct rd *r, int depth)
{
	struct rec_str s;
	int64_t v;
	bool b;

	if (depth > MAX_DEPTH)
		return -EINVAL;
	switch (peek(r)) {
	case '{':
		r->p++;
		return skip_seq(r, depth, '}', true);
	case '[':
		r->p++;
		return skip_seq(r, depth, ']', false);
	case '"':
		return string(r, &s, &b);
	case 't':
		return literal(r, "true");
	case 'f':
		return literal(r, "false");
	case 'n':
		return literal(r, "null");
	default:
		return number(r, &v, &b);
	}
}

static int pool_push(struct rec_client *rc, int64_t v)
{
	if (rc->npool == rc->cap_pool) {
		size_t ncap = rc->cap_pool ? rc->cap_pool * 2 : 64;
		int64_t *np = realloc(rc->pool, ncap * sizeof(*np));

		if (!np)
			return -ENOMEM;
		rc->pool = np;
		rc->cap_pool = ncap;
	}
	rc->pool[rc->npool++] = v;
	return 0;
}

/* One typed value for a known key. Syntax errors: -EINVAL; a value of
 * another type: skipped and *wrong set. */
static int typed(struct rd *r, struct rec_client *rc, enum vtype t, int64_t *iv, struct rec_str *sv,
		 bool *bv, struct rec_arr *av, bool *wrong, int depth)
{
	char c = peek(r);
	bool plain, is_int;
	int rc2;

	*wrong = false;
	switch (t) {
	case V_INT:
		if (c != '-' && (c < '0' || c > '9'))
			break;
		rc2 = number(r, iv, &is_int);
		*wrong = !is_int;
		return rc2;
	case V_STR:
		if (c != '"')
			break;
		rc2 = string(r, sv, &plain);
		*wrong = !plain;
		return rc2;
	case V_BOOL:
		if (c == 't' || c == 'f') {
			*bv = c == 't';
			return literal(r, c == 't' ? "true" : "false");
		}
		break;
	case V_ARR_INT:
		if (c != '[')
			break;
		r->p++;
		av->off = rc->npool;
		av->n = 0;
		if (eat(r, ']'))
			return 0;
		do {
			int64_t v = 0;

			c = peek(r);
			if (c != '-' && (c < '0' || c > '9')) {
				*wrong = true;
				if (skip(r, depth + 1))
					return -EINVAL;
				continue;
			}
			if (number(r, &v, &is_int))
				return -EINVAL;
			if (!is_int)
				*wrong = true;
			else if (pool_push(rc, v))
				return -ENOMEM;
			else
				av->n++;
		} while (eat(r, ','));
		return eat(r, ']') ? 0 : -EINVAL;
	case V_BINDINGS:
		break; /* read by the caller */
	}
	*wrong = true;
	return skip(r, depth);
}

/* The members of an object ('{' next): member() reads each value; f is the
 * key's field in t, NULL for a key this rsipd does not know (or one with an
 * escape sequence). */
typedef int (*member_fn)(struct rd *r, struct rec_client *rc, void *obj, const struct field *f);
static int members(struct rd *r, struct rec_client *rc, const struct field *t, size_t n,
		   member_fn member, void *obj)
{
	struct rec_str k;
	bool plain;
	int err;

	if (!eat(r, '{'))
		return -EINVAL;
	if (eat(r, '}'))
		return 0;
	do {
		if (string(r, &k, &plain) || !eat(r, ':'))
			return -EINVAL;
		err = member(r, rc, obj, plain ? lookup(t, n, &k) : NULL);
		if (err)
			return err;
	} while (eat(r, ','));
	return eat(r, '}') ? 0 : -EINVAL;
}

static int binding_member(struct rd *r, struct rec_client *rc, void *obj, const struct field *f)
{
	struct rec_binding *b = obj;
	int64_t iv = 0;
	struct rec_str sv = {0};
	struct rec_arr av = {0};
	bool bv = false, wrong;
	int err;

	if (!f)
		return skip(r, 3);
	err = typed(r, rc, f->type, &iv, &sv, &bv, &av, &wrong, 3);
	if (err)
		return err;
	if (wrong || rec_has(b->have, f->bit))
		b->bad = true;
	if (wrong)
		return 0;
	b->have |= 1u << f->bit;
	if (f->type == V_INT)
		b->v[f->bit] = iv;
	else if (f->bit == RB_NB)
		b->nb = sv;
	else if (f->bit == RB_REMOTE)
		b->remote = sv;
	else if (f->bit == RB_PORTS)
		b->ports = av;
	else if (f->bit == RB_SPIS)
		b->spis = av;
	else if (f->bit == RB_HAS_SPI_BLOCK)
		b->has_spi_block = bv;
	else
		b->ports_dont_need = bv;
	return 0;
}

static int binding(struct rd *r, struct rec_client *rc, struct rec_binding *b)
{
	memset(b, 0, sizeof(*b));
	if (peek(r) != '{') {
		b->bad = true;
		return skip(r, 2);
	}
	return members(r, rc, bfields, sizeof(bfields) / sizeof(bfields[0]), binding_member, b);
}

static int bindings(struct rd *r, struct rec_client *rc)
{
	int err;

	if (!eat(r, '['))
		return -EINVAL;
	if (eat(r, ']'))
		return 0;
	do {
		if (rc->nb == rc->cap_b) {
			size_t ncap = rc->cap_b ? rc->cap_b * 2 : 8;
			struct rec_binding *nb = realloc(rc->b, ncap * sizeof(*nb));

			if (!nb)
				return -ENOMEM;
			rc->b = nb;
			rc->cap_b = ncap;
		}
		err = binding(r, rc, &rc->b[rc->nb]);
		if (err)
			return err;
		rc->nb++;
	} while (eat(r, ','));
	return eat(r, ']') ? 0 : -EINVAL;
}

static int client_member(struct rd *r, struct rec_client *rc, void *obj, const struct field *f)
{
	int64_t iv = 0;
	struct rec_str sv = {0};
	bool wrong;
	int err;

	if (!f)
		return skip(r, 1);
	if (rec_has(rc->have, f->bit))
		return -EINVAL; /* twice: which one would count? */
	rc->have |= 1u << f->bit;
	if (f->type == V_BINDINGS)
		return bindings(r, rc);
	err = typed(r, rc, f->type, &iv, &sv, NULL, NULL, &wrong, 1);
	if (err || wrong)
		return -EINVAL;
	if (f->type == V_INT)
		rc->v[f->bit] = iv;
	else if (f->bit == RC_XA)
		rc->xa = sv;
	else if (f->bit == RC_TRANSPORT)
		rc->transport = sv;
	else if (f->bit == RC_LAST_REQUEST)
		rc->last_request = sv;
	else
		rc->last_reply = sv;
	return 0;
}

int rec_parse(struct rec_client *rc, const char *text, size_t len)
{
	struct rd r = {.p = text, .end = text + len};
	int err;

	rc->have = 0;
	memset(rc->v, 0, sizeof(rc->v));
	rc->xa = rc->transport = rc->last_request = rc->last_reply = (struct rec_str){0};
	rc->nb = 0;
	rc->npool = 0;
	err = members(&r, rc, cfields, sizeof(cfields) / sizeof(cfields[0]), client_member, NULL);
	if (!err && peek(&r))
		err = -EINVAL; /* trailing bytes */
	return err;
}

void rec_free(struct rec_client *rc)
{
	free(rc->b);
	free(rc->pool);
	rc->b = NULL;
	rc->pool = NULL;
	rc->nb = rc->cap_b = rc->npool = rc->cap_pool = 0;
}

/* ---- writing -------------------------------------------------------------- */

static bool room(struct rec_out *o, size_t n)
{
	if (o->oom)
		return false;
	if (o->len + n + 1 > o->cap) {
		size_t ncap = o->cap ? o->cap : 1024;
		char *np;

		while (ncap < o->len + n + 1)
			ncap *= 2;
		np = realloc(o->p, ncap);
		if (!np) {
			o->oom = true;
			return false;
		}
		o->p = np;
		o->cap = ncap;
	}
	return true;
}

void rec_out_reset(struct rec_out *o)
{
	o->len = 0;
	o->oom = false;
	if (room(o, 0))
		o->p[0] = '\0';
}

void rec_out_free(struct rec_out *o)
{
	free(o->p);
	*o = (struct rec_out){0};
}

static void put_n(struct rec_out *o, const char *s, size_t n)
{
	if (!room(o, n))
		return;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

void rec_put(struct rec_out *o, const char *s)
{
	put_n(o, s, strlen(s));
}

void rec_put_int(struct rec_out *o, const char *s, int64_t v)
{
	char buf[24], *q = buf + sizeof(buf);
	/* The magnitude as unsigned: -INT64_MIN does not fit an int64. */
	uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	rec_put(o, s);
	do {
		*--q = (char)('0' + m % 10);
		m /= 10;
	} while (m);
	if (v < 0)
		*--q = '-';
	put_n(o, q, (size_t)(buf + sizeof(buf) - q));
}

void rec_put_str(struct rec_out *o, const char *s, const char *v)
{
	rec_put(o, s);
	put_n(o, "\"", 1);
	rec_put(o, v);
	put_n(o, "\"", 1);
}

void rec_put_hex(struct rec_out *o, const char *s, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	rec_put(o, s);
	if (!room(o, 2 * n + 2))
		return;
	o->p[o->len++] = '"';
	for (size_t i = 0; i < n; i++) {
		o->p[o->len++] = digits[p[i] >> 4];
		o->p[o->len++] = digits[p[i] & 15];
	}
	o->p[o->len++] = '"';
	o->p[o->len] = '\0';
}
