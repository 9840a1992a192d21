// SPDX-License-Identifier: BSD-2-Clause
/*
 * The RSIP parameter layer: delimiting TLVs, the complete TLV walk that runs
 * before any grammar check (spec 6.1 step 4), and one decoder per parameter
 * value. Each decoder checks the declared length against what its form needs
 * before touching a byte, iked style, and knows nothing about where the
 * parameter sits in the message (roles are msg_grammar.c's business).
 */
#include <string.h>

#include "log.h"
#include "msg_internal.h"

void rsip_tlv_iter_init(struct rsip_tlv_iter *it, const uint8_t *msg, size_t len)
{
	it->base = msg;
	it->pos = msg + RSIP_HDR_LEN;
	it->end = msg + len;
}

int rsip_tlv_next(struct rsip_tlv_iter *it, struct rsip_tlv *t)
{
	size_t left = (size_t)(it->end - it->pos);
	uint16_t vlen;

	if (left == 0)
		return 0;
	if (left < RSIP_PARAM_HDR)
		return -1;
	vlen = be16_get(it->pos + 1);
	if (vlen > left - RSIP_PARAM_HDR)
		return -1;
	t->code = it->pos[0];
	t->len = vlen;
	t->val = it->pos + RSIP_PARAM_HDR;
	t->off = (size_t)(it->pos - it->base);
	it->pos += RSIP_PARAM_HDR + vlen;
	return 1;
}

void rsip_tlv_salvage(const uint8_t *msg, size_t len, struct rsip_decode_err *err)
{
	struct rsip_tlv_iter it;
	struct rsip_tlv t;

	if (len < RSIP_HDR_LEN)
		return;
	rsip_tlv_iter_init(&it, msg, len);
	while (rsip_tlv_next(&it, &t) == 1) {
		if (t.len != 4)
			continue;
		if (t.code == RSIP_P_MESSAGE_COUNTER && !err->has_counter) {
			err->has_counter = true;
			err->counter = be32_get(t.val);
		} else if (t.code == RSIP_P_CLIENT_ID && !err->has_client_id) {
			err->has_client_id = true;
			err->client_id = be32_get(t.val);
		}
	}
}

static int bad(const char **why, const char *reason)
{
	*why = reason;
	return RSIP_E_BAD_PARAM;
}

int rsip_dec_u32(const struct rsip_tlv *t, uint32_t *v, const char **why)
{
	if (t->len != 4)
		return bad(why, "value length is not 4");
	*v = be32_get(t->val);
	return 0;
}

/* Tunnel Type and RSIP Method: one byte, 0 reserved. Unassigned values are
 * the receiver's to refuse (307 for a tunnel), so they pass here. */
static int dec_u8_nonzero(const struct rsip_tlv *t, uint8_t *v, const char **why)
{
	if (t->len != 1)
		return bad(why, "value length is not 1");
	if (t->val[0] == 0)
		return bad(why, "reserved value 0");
	*v = t->val[0];
	return 0;
}

int rsip_dec_tunnel(const struct rsip_tlv *t, uint8_t *v, const char **why)
{
	return dec_u8_nonzero(t, v, why);
}

int rsip_dec_method(const struct rsip_tlv *t, uint8_t *v, const char **why)
{
	return dec_u8_nonzero(t, v, why);
}

int rsip_dec_error(const struct rsip_tlv *t, uint16_t *v, const char **why)
{
	if (t->len != 2)
		return bad(why, "Error length is not 2");
	if (be16_get(t->val) == 0)
		return bad(why, "Error code 0");
	*v = be16_get(t->val);
	return 0;
}

int rsip_dec_flow(const struct rsip_tlv *t, uint8_t *local, uint8_t *remote, const char **why)
{
	if (t->len != 2)
		return bad(why, "Flow Policy length is not 2");
	if (!rsip_flow_ok(t->val[0], t->val[1]))
		return bad(why, "Flow Policy value not defined");
	*local = t->val[0];
	*remote = t->val[1];
	return 0;
}

int rsip_dec_indicator(const struct rsip_tlv *t, uint8_t *v, const char **why)
{
	uint16_t ind;

	/* D6: RFC 3103 draws 2 bytes but its QUERY text says 1; take both. */
	if (t->len == 1)
		ind = t->val[0];
	else if (t->len == 2)
		ind = be16_get(t->val);
	else
		return bad(why, "Indicator length is not 1 or 2");
	if (ind < RSIP_IND_LOCAL_ADDRESS || ind > RSIP_IND_REMOTE_NETWORK)
		return bad(why, "Indicator value not defined");
	*v = (uint8_t)ind;
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

int rsip_dec_address(const struct rsip_tlv *t, struct rsip_address *a, const char **why)
{
	size_t n;

	memset(a, 0, sizeof(*a));
	if (t->len < 1)
		return bad(why, "Address without Addrtype");
	a->type = t->val[0];
	n = t->len - 1u;
	switch (a->type) {
	case RSIP_ADDR_IPV4:
	case RSIP_ADDR_IPV6: {
		size_t need = a->type == RSIP_ADDR_IPV4 ? 4 : 16;

		if (n == 0 || (n == need && all_zero(t->val + 1, n))) {
			/* "Don't care": Length 1, or all zeros (D5). */
			a->any = true;
			return 0;
		}
		if (n != need)
			return bad(why, "Address length does not match its Addrtype");
		if (a->type == RSIP_ADDR_IPV4)
			memcpy(&a->u.v4, t->val + 1, 4);
		else
			memcpy(&a->u.v6, t->val + 1, 16);
		return 0;
	}
	case RSIP_ADDR_IPV4_NETMASK:
		/* 0.0.0.0 is the /0 netmask here, not "don't care". */
		if (n != 4)
			return bad(why, "netmask length is not 4");
		memcpy(&a->u.v4, t->val + 1, 4);
		if (!rsip_netmask_ok(a->u.v4))
			return bad(why, "netmask is not contiguous");
		return 0;
	case RSIP_ADDR_FQDN:
		if (n == 0)
			return bad(why, "empty FQDN");
		if (n > RSIP_MAX_FQDN)
			return bad(why, "FQDN longer than 255");
		if (!rsip_fqdn_ok((const char *)t->val + 1, n))
			return bad(why, "FQDN with a non-printable character");
		a->u.fqdn = (const char *)t->val + 1;
		a->fqdn_len = (uint16_t)n;
		return 0;
	default:
		return bad(why, "Addrtype reserved or unassigned");
	}
}

int rsip_dec_ports(const struct rsip_tlv *t, struct rsip_ports *p, const char **why)
{
	size_t k;
	uint8_t number;

	memset(p, 0, sizeof(*p));
	if (t->len == 0) {
		p->form = RSIP_PORTS_NOT_NEEDED; /* RFC 3104 "don't need" */
		return 0;
	}
	number = t->val[0];
	if (number == 0)
		return bad(why, "Ports Number 0");
	p->number = number;
	if (t->len == 1) {
		p->form = RSIP_PORTS_ANY;
		return 0;
	}
	if ((t->len - 1u) % 2)
		return bad(why, "Ports length is not 1 + 2k");
	k = (t->len - 1u) / 2;
	if (k == 1) {
		p->first = be16_get(t->val + 1);
		if (p->first == 0) {
			if (number != 1)
				return bad(why, "port range starting at 0");
			p->form = RSIP_PORTS_ANY; /* Number 1, port 0: D5 */
			return 0;
		}
		if ((uint32_t)p->first + number - 1 > UINT16_MAX)
			return bad(why, "port range past 65535");
		p->form = RSIP_PORTS_RANGE;
		return 0;
	}
	if (k != number)
		return bad(why, "Ports Number does not match the port fields");
	p->form = RSIP_PORTS_LIST;
	p->list_wire = t->val + 1;
	if (!rsip_ports_distinct_nonzero(p))
		return bad(why, "port list with port 0 or a repeat");
	return 0;
}

int rsip_dec_spi(const struct rsip_tlv *t, struct rsip_spi *s, const char **why)
{
	size_t k;
	uint16_t number;

	memset(s, 0, sizeof(*s));
	if (t->len < 2)
		return bad(why, "SPI without Number");
	number = be16_get(t->val);
	if (number == 0)
		return bad(why, "SPI Number 0");
	s->number = number;
	if (t->len == 2) {
		s->form = RSIP_SPI_ANY;
		return 0;
	}
	if ((t->len - 2u) % 4)
		return bad(why, "SPI length is not 2 + 4k");
	k = (t->len - 2u) / 4;
	if (k == 1) {
		s->first = be32_get(t->val + 2);
		if (s->first == 0) {
			if (number != 1)
				return bad(why, "SPI range starting at 0");
			s->form = RSIP_SPI_ANY; /* Number 1, SPI 0: D5 */
			return 0;
		}
		if ((uint64_t)s->first + number - 1 > UINT32_MAX)
			return bad(why, "SPI range past 0xffffffff");
		s->form = RSIP_SPI_RANGE;
		return 0;
	}
	if (k != number)
		return bad(why, "SPI Number does not match the SPI fields");
	if (k > RSIP_MAX_SPI_LIST)
		return bad(why, "SPI list too long");
	s->form = RSIP_SPI_LIST;
	s->list_wire = t->val + 2;
	if (!rsip_spis_distinct_nonzero(s))
		return bad(why, "SPI list with SPI 0 or a repeat");
	return 0;
}

int rsip_dec_vendor(const struct rsip_tlv *t, struct rsip_vendor *v, const char **why)
{
	if (t->len < 4)
		return bad(why, "Vendor Specific shorter than 4"); /* D7 */
	v->vendor_id = be16_get(t->val);
	v->subtype = be16_get(t->val + 2);
	v->len = t->len - 4;
	v->data = t->val + 4;
	return 0;
}

/* Decode one value into scratch space: only the verdict matters here. */
static int check_value(const struct rsip_tlv *t, const char **why)
{
	union {
		struct rsip_address a;
		struct rsip_ports p;
		struct rsip_spi s;
		struct rsip_vendor v;
		uint32_t u32;
		uint16_t u16;
		uint8_t u8[2];
	} x;

	switch (t->code) {
	case RSIP_P_ADDRESS:
		return rsip_dec_address(t, &x.a, why);
	case RSIP_P_PORTS:
		return rsip_dec_ports(t, &x.p, why);
	case RSIP_P_LEASE_TIME:
	case RSIP_P_CLIENT_ID:
	case RSIP_P_BIND_ID:
	case RSIP_P_MESSAGE_COUNTER:
		return rsip_dec_u32(t, &x.u32, why);
	case RSIP_P_TUNNEL_TYPE:
		return rsip_dec_tunnel(t, &x.u8[0], why);
	case RSIP_P_RSIP_METHOD:
		return rsip_dec_method(t, &x.u8[0], why);
	case RSIP_P_ERROR:
		return rsip_dec_error(t, &x.u16, why);
	case RSIP_P_FLOW_POLICY:
		return rsip_dec_flow(t, &x.u8[0], &x.u8[1], why);
	case RSIP_P_INDICATOR:
		return rsip_dec_indicator(t, &x.u8[0], why);
	case RSIP_P_VENDOR_SPECIFIC:
		return rsip_dec_vendor(t, &x.v, why);
	case RSIP_P_SPI:
		return rsip_dec_spi(t, &x.s, why);
	default:
		/* 0, 13-21, 23-240 unassigned, 241-255 private (D7). */
		*why = "unknown parameter code";
		return RSIP_E_ILLEGAL_PARAM;
	}
}

int rsip_tlv_walk(const uint8_t *msg, size_t len, struct rsip_decode_err *err)
{
	struct rsip_tlv_iter it;
	struct rsip_tlv t, bad_tlv = {0};
	const char *why = NULL, *first_why = NULL;
	int rc, first = 0;

	rsip_tlv_iter_init(&it, msg, len);
	while ((rc = rsip_tlv_next(&it, &t)) == 1) {
		if (first)
			continue; /* keep delimiting: a later overrun wins */
		first = check_value(&t, &why);
		if (first) {
			first_why = why;
			bad_tlv = t;
		}
	}
	if (rc < 0) {
		err->error = RSIP_E_BAD_MESSAGE;
		err->why = "parameter runs past the end of the message";
		log_debug("%s: %s at offset %zu", __func__, err->why, (size_t)(it.pos - it.base));
		return err->error;
	}
	if (first) {
		err->error = (uint16_t)first;
		err->why = first_why;
		log_debug("%s: %s parameter %u (%s) at offset %zu, length %u: %s", __func__,
			  rsip_error_name(first), bad_tlv.code, rsip_param_name(bad_tlv.code),
			  bad_tlv.off, bad_tlv.len, first_why);
	}
	return first;
}
