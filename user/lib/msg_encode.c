// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsip_encode: a struct rsip_msg to bytes, in its grammar's canonical order:
 * required parameters in grammar order, then the optional ones in the order
 * the grammar lists them, then Vendor Specific. "Don't care" goes out in the
 * canonical short forms (D5), the Indicator as 2 bytes (D6).
 *
 * The grammars are written here as data (one item list per type), apart from
 * msg_grammar.c's validate functions on purpose: the round-trip tests and the
 * fuzzer check the two against each other. The encoder refuses whatever the
 * decoder would refuse, so an encoded message always decodes.
 */
#include <errno.h>
#include <string.h>

#include "msg_internal.h"

enum item {
	I_END = 0,
	I_ERROR,
	I_CLIENT,
	I_BIND,
	I_LADDR,
	I_LPORTS,
	I_RADDR,
	I_RPORTS,
	I_SPI,
	I_LEASE,
	I_FLOW,
	I_TUNNEL,   /* required: exactly one; optional: up to max */
	I_METHOD,   /* optional, up to max */
	I_ENDPOINT, /* the optional third Address of a response */
	I_COUNTER,
	I_TUPLES, /* QUERY tuples, in the order given */
};

struct item_spec {
	uint8_t item;
	bool required;
	uint8_t max; /* I_TUNNEL, I_METHOD */
};

#define REQ(i)                                                                                     \
	{                                                                                          \
		i, true, 1                                                                         \
	}
#define OPT(i)                                                                                     \
	{                                                                                          \
		i, false, 1                                                                        \
	}
#define MANY(i)                                                                                    \
	{                                                                                          \
		i, false, 8                                                                        \
	}
#define ITEMS(...) ((const struct item_spec[]){__VA_ARGS__, {I_END, false, 0}})

_Static_assert(RSIP_MAX_TUNNELS == 8 && RSIP_MAX_METHODS == 8, "MANY() assumes 8");

static const struct item_spec *const grammars[] = {
    [RSIP_ERROR_RESPONSE] = ITEMS(REQ(I_ERROR), OPT(I_COUNTER), OPT(I_CLIENT), OPT(I_BIND)),
    [RSIP_REGISTER_REQUEST] = ITEMS(OPT(I_COUNTER)),
    [RSIP_REGISTER_RESPONSE] = ITEMS(REQ(I_CLIENT), REQ(I_LEASE), REQ(I_FLOW), OPT(I_COUNTER),
				     MANY(I_METHOD), MANY(I_TUNNEL)),
    [RSIP_DEREGISTER_REQUEST] = ITEMS(REQ(I_CLIENT), OPT(I_COUNTER)),
    [RSIP_DEREGISTER_RESPONSE] = ITEMS(REQ(I_CLIENT), OPT(I_COUNTER)),
    [RSIP_ASSIGN_REQUEST_RSA_IP] = ITEMS(REQ(I_CLIENT), REQ(I_LADDR), REQ(I_RADDR), REQ(I_RPORTS),
					 OPT(I_COUNTER), OPT(I_LEASE), OPT(I_TUNNEL)),
    [RSIP_ASSIGN_RESPONSE_RSA_IP] =
	ITEMS(REQ(I_CLIENT), REQ(I_BIND), REQ(I_LADDR), REQ(I_RADDR), REQ(I_RPORTS), REQ(I_LEASE),
	      REQ(I_TUNNEL), OPT(I_ENDPOINT), OPT(I_COUNTER)),
    [RSIP_ASSIGN_REQUEST_RSAP_IP] =
	ITEMS(REQ(I_CLIENT), REQ(I_LADDR), REQ(I_LPORTS), REQ(I_RADDR), REQ(I_RPORTS),
	      OPT(I_COUNTER), OPT(I_LEASE), OPT(I_TUNNEL)),
    [RSIP_ASSIGN_RESPONSE_RSAP_IP] =
	ITEMS(REQ(I_CLIENT), REQ(I_BIND), REQ(I_LADDR), REQ(I_LPORTS), REQ(I_RADDR), REQ(I_RPORTS),
	      REQ(I_LEASE), REQ(I_TUNNEL), OPT(I_ENDPOINT), OPT(I_COUNTER)),
    [RSIP_EXTEND_REQUEST] = ITEMS(REQ(I_CLIENT), REQ(I_BIND), OPT(I_LEASE), OPT(I_COUNTER)),
    [RSIP_EXTEND_RESPONSE] = ITEMS(REQ(I_CLIENT), REQ(I_BIND), REQ(I_LEASE), OPT(I_COUNTER)),
    [RSIP_FREE_REQUEST] = ITEMS(REQ(I_CLIENT), REQ(I_BIND), OPT(I_COUNTER)),
    [RSIP_FREE_RESPONSE] = ITEMS(REQ(I_CLIENT), REQ(I_BIND), OPT(I_COUNTER)),
    [RSIP_QUERY_REQUEST] = ITEMS(REQ(I_CLIENT), OPT(I_COUNTER), OPT(I_TUPLES)),
    [RSIP_QUERY_RESPONSE] = ITEMS(REQ(I_CLIENT), OPT(I_COUNTER), OPT(I_TUPLES)),
    [RSIP_LISTEN_REQUEST] = ITEMS(REQ(I_CLIENT), REQ(I_LADDR), REQ(I_LPORTS), REQ(I_RADDR),
				  REQ(I_RPORTS), OPT(I_COUNTER), OPT(I_LEASE), MANY(I_TUNNEL)),
    /* Tunnel Type before Lease Time here, and only here. */
    [RSIP_LISTEN_RESPONSE] =
	ITEMS(REQ(I_CLIENT), REQ(I_BIND), REQ(I_LADDR), REQ(I_LPORTS), REQ(I_RADDR), REQ(I_RPORTS),
	      REQ(I_TUNNEL), REQ(I_LEASE), OPT(I_ENDPOINT), OPT(I_COUNTER)),
    [RSIP_ASSIGN_REQUEST_RSIPSEC] =
	ITEMS(REQ(I_CLIENT), REQ(I_LADDR), REQ(I_LPORTS), REQ(I_RADDR), REQ(I_RPORTS), REQ(I_SPI),
	      OPT(I_COUNTER), OPT(I_LEASE), OPT(I_TUNNEL)),
    [RSIP_ASSIGN_RESPONSE_RSIPSEC] =
	ITEMS(REQ(I_CLIENT), REQ(I_BIND), REQ(I_LADDR), REQ(I_LPORTS), REQ(I_RADDR), REQ(I_RPORTS),
	      REQ(I_SPI), REQ(I_LEASE), REQ(I_TUNNEL), OPT(I_ENDPOINT), OPT(I_COUNTER)),
};

/* The RSIP_HAS_* bit behind an item; 0 for the counted ones. */
static uint32_t item_bit(uint8_t item)
{
	switch (item) {
	case I_ERROR:
		return RSIP_HAS_ERROR;
	case I_CLIENT:
		return RSIP_HAS_CLIENT_ID;
	case I_BIND:
		return RSIP_HAS_BIND_ID;
	case I_LADDR:
		return RSIP_HAS_LOCAL_ADDR;
	case I_LPORTS:
		return RSIP_HAS_LOCAL_PORTS;
	case I_RADDR:
		return RSIP_HAS_REMOTE_ADDR;
	case I_RPORTS:
		return RSIP_HAS_REMOTE_PORTS;
	case I_SPI:
		return RSIP_HAS_SPI;
	case I_LEASE:
		return RSIP_HAS_LEASE;
	case I_FLOW:
		return RSIP_HAS_FLOW_POLICY;
	case I_ENDPOINT:
		return RSIP_HAS_ENDPOINT;
	case I_COUNTER:
		return RSIP_HAS_COUNTER;
	default:
		return 0;
	}
}

/* Bytes out. len counts the whole message even past cap, so that a message
 * too big for RSIP at all is told apart from a buffer too small. */
struct wbuf {
	uint8_t *buf;
	size_t cap, len;
	int err; /* first -EINVAL, sticky */
	uint8_t type;
};

static void w_invalid(struct wbuf *w)
{
	if (!w->err)
		w->err = -EINVAL;
}

/* Room for one parameter: a pointer to its value bytes, or NULL when it does
 * not fit (or the message is already refused). */
static uint8_t *w_param(struct wbuf *w, uint8_t code, size_t vlen)
{
	uint8_t *p;

	if (w->err)
		return NULL;
	if (vlen > UINT16_MAX) {
		w_invalid(w);
		return NULL;
	}
	if (w->len + RSIP_PARAM_HDR + vlen > w->cap) {
		w->len += RSIP_PARAM_HDR + vlen;
		return NULL;
	}
	p = w->buf + w->len;
	p[0] = code;
	be16_put(p + 1, (uint16_t)vlen);
	w->len += RSIP_PARAM_HDR + vlen;
	return p + RSIP_PARAM_HDR;
}

static void put_u32(struct wbuf *w, uint8_t code, uint32_t v)
{
	uint8_t *p = w_param(w, code, 4);

	if (p)
		be32_put(p, v);
}

static void put_u8_nonzero(struct wbuf *w, uint8_t code, uint8_t v)
{
	uint8_t *p;

	if (v == 0) {
		w_invalid(w);
		return;
	}
	if ((p = w_param(w, code, 1)))
		p[0] = v;
}

static void put_error(struct wbuf *w, uint16_t code)
{
	uint8_t *p;

	if (code == 0) {
		w_invalid(w);
		return;
	}
	if ((p = w_param(w, RSIP_P_ERROR, 2)))
		be16_put(p, code);
}

static void put_flow(struct wbuf *w, uint8_t local, uint8_t remote)
{
	uint8_t *p;

	if (!rsip_flow_ok(local, remote)) {
		w_invalid(w);
		return;
	}
	if ((p = w_param(w, RSIP_P_FLOW_POLICY, 2))) {
		p[0] = local;
		p[1] = remote;
	}
}

static void put_address(struct wbuf *w, const struct rsip_address *a, enum rsip_addr_role role)
{
	struct rsip_address shape = {.type = a->type, .any = a->any};
	size_t vlen;
	uint8_t *p;

	switch (a->type) {
	case RSIP_ADDR_IPV4:
		/* All zeros is "don't care" (D5): send the Length-1 form. */
		shape.any |= a->u.v4.s_addr == 0;
		vlen = shape.any ? 1 : 5;
		break;
	case RSIP_ADDR_IPV6:
		shape.any |= IN6_IS_ADDR_UNSPECIFIED(&a->u.v6);
		vlen = shape.any ? 1 : 17;
		break;
	case RSIP_ADDR_IPV4_NETMASK:
		if (a->any || !rsip_netmask_ok(a->u.v4)) {
			w_invalid(w);
			return;
		}
		vlen = 5;
		break;
	case RSIP_ADDR_FQDN:
		if (a->any || !a->u.fqdn || !rsip_fqdn_ok(a->u.fqdn, a->fqdn_len)) {
			w_invalid(w);
			return;
		}
		vlen = 1 + a->fqdn_len;
		break;
	default:
		w_invalid(w);
		return;
	}
	if (rsip_addr_role_bad(&shape, role)) {
		w_invalid(w);
		return;
	}
	if (!(p = w_param(w, RSIP_P_ADDRESS, vlen)))
		return;
	p[0] = a->type;
	if (vlen == 1)
		return;
	if (a->type == RSIP_ADDR_IPV6)
		memcpy(p + 1, &a->u.v6, 16);
	else if (a->type == RSIP_ADDR_FQDN)
		memcpy(p + 1, a->u.fqdn, a->fqdn_len);
	else
		memcpy(p + 1, &a->u.v4, 4);
}

static void put_ports(struct wbuf *w, const struct rsip_ports *ports)
{
	uint8_t form = ports->form, number = ports->number;
	size_t i;
	uint8_t *p;

	/* Number 1 with port 0 is the D5 spelling of "don't care". */
	if (form == RSIP_PORTS_RANGE && number == 1 && ports->first == 0)
		form = RSIP_PORTS_ANY;
	switch (form) {
	case RSIP_PORTS_NOT_NEEDED:
		if (rsip_ports_role_bad(ports, w->type)) {
			w_invalid(w);
			return;
		}
		w_param(w, RSIP_P_PORTS, 0);
		return;
	case RSIP_PORTS_ANY:
		if (number == 0) {
			w_invalid(w);
			return;
		}
		if ((p = w_param(w, RSIP_P_PORTS, 1)))
			p[0] = number;
		return;
	case RSIP_PORTS_RANGE:
		if (number == 0 || ports->first == 0 ||
		    (uint32_t)ports->first + number - 1 > UINT16_MAX) {
			w_invalid(w);
			return;
		}
		if ((p = w_param(w, RSIP_P_PORTS, 3))) {
			p[0] = number;
			be16_put(p + 1, ports->first);
		}
		return;
	case RSIP_PORTS_LIST:
		if (number < 2 || !(ports->list || ports->list_wire) ||
		    !rsip_ports_distinct_nonzero(ports)) {
			w_invalid(w);
			return;
		}
		if ((p = w_param(w, RSIP_P_PORTS, 1 + 2 * (size_t)number))) {
			p[0] = number;
			for (i = 0; i < number; i++)
				be16_put(p + 1 + 2 * i, rsip_ports_at(ports, (unsigned int)i));
		}
		return;
	default:
		w_invalid(w);
		return;
	}
}

static void put_spi(struct wbuf *w, const struct rsip_spi *s)
{
	uint8_t form = s->form;
	uint16_t number = s->number;
	size_t i;
	uint8_t *p;

	/* Number 1 with SPI 0 is the D5 spelling of "don't care". */
	if (form == RSIP_SPI_RANGE && number == 1 && s->first == 0)
		form = RSIP_SPI_ANY;
	switch (form) {
	case RSIP_SPI_ANY:
		if (number == 0) {
			w_invalid(w);
			return;
		}
		if ((p = w_param(w, RSIP_P_SPI, 2)))
			be16_put(p, number);
		return;
	case RSIP_SPI_RANGE:
		if (number == 0 || s->first == 0 || (uint64_t)s->first + number - 1 > UINT32_MAX) {
			w_invalid(w);
			return;
		}
		if ((p = w_param(w, RSIP_P_SPI, 6))) {
			be16_put(p, number);
			be32_put(p + 2, s->first);
		}
		return;
	case RSIP_SPI_LIST:
		if (number < 2 || number > RSIP_MAX_SPI_LIST || !(s->list || s->list_wire) ||
		    !rsip_spis_distinct_nonzero(s)) {
			w_invalid(w);
			return;
		}
		if ((p = w_param(w, RSIP_P_SPI, 2 + 4 * (size_t)number))) {
			be16_put(p, number);
			for (i = 0; i < number; i++)
				be32_put(p + 2 + 4 * i, rsip_spi_at(s, (unsigned int)i));
		}
		return;
	default:
		w_invalid(w);
		return;
	}
}

static void put_tuples(struct wbuf *w, const struct rsip_msg *m)
{
	const struct rsip_tuple *tp;
	uint8_t *p;
	size_t i;

	for (i = 0; i < m->n_tuples; i++) {
		tp = &m->tuples[i];
		if (rsip_indicator_bad(tp->indicator, m->type)) {
			w_invalid(w);
			return;
		}
		if ((p = w_param(w, RSIP_P_INDICATOR, 2))) /* D6: always 2 bytes */
			be16_put(p, tp->indicator);
		if (rsip_indicator_is_network(tp->indicator)) {
			put_address(w, &tp->addr, RSIP_ROLE_TUPLE_NET);
			put_address(w, &tp->mask, RSIP_ROLE_TUPLE_MASK);
		} else {
			put_address(w, &tp->addr, RSIP_ROLE_TUPLE_ADDR);
		}
	}
}

static void put_vendors(struct wbuf *w, const struct rsip_msg *m)
{
	const struct rsip_vendor *v;
	uint8_t *p;
	size_t i;

	for (i = 0; i < m->n_vendor; i++) {
		v = &m->vendor[i];
		if (v->len > UINT16_MAX - 4 || (v->len && !v->data)) {
			w_invalid(w);
			return;
		}
		if (!(p = w_param(w, RSIP_P_VENDOR_SPECIFIC, 4 + (size_t)v->len)))
			continue;
		be16_put(p, v->vendor_id);
		be16_put(p + 2, v->subtype);
		if (v->len)
			memcpy(p + 4, v->data, v->len);
	}
}

static void put_item(struct wbuf *w, const struct rsip_msg *m, const struct item_spec *it)
{
	size_t i;

	switch (it->item) {
	case I_ERROR:
		put_error(w, m->error);
		break;
	case I_CLIENT:
		put_u32(w, RSIP_P_CLIENT_ID, m->client_id);
		break;
	case I_BIND:
		put_u32(w, RSIP_P_BIND_ID, m->bind_id);
		break;
	case I_LADDR:
		put_address(w, &m->local_addr, RSIP_ROLE_LOCAL);
		break;
	case I_LPORTS:
		put_ports(w, &m->local_ports);
		break;
	case I_RADDR:
		put_address(w, &m->remote_addr, RSIP_ROLE_REMOTE);
		break;
	case I_RPORTS:
		put_ports(w, &m->remote_ports);
		break;
	case I_SPI:
		put_spi(w, &m->spi);
		break;
	case I_LEASE:
		put_u32(w, RSIP_P_LEASE_TIME, m->lease);
		break;
	case I_FLOW:
		put_flow(w, m->flow_local, m->flow_remote);
		break;
	case I_TUNNEL:
		for (i = 0; i < m->n_tunnels; i++)
			put_u8_nonzero(w, RSIP_P_TUNNEL_TYPE, m->tunnels[i]);
		return;
	case I_METHOD:
		for (i = 0; i < m->n_methods; i++)
			put_u8_nonzero(w, RSIP_P_RSIP_METHOD, m->methods[i]);
		return;
	case I_ENDPOINT:
		put_address(w, &m->endpoint, RSIP_ROLE_ENDPOINT);
		break;
	case I_COUNTER:
		put_u32(w, RSIP_P_MESSAGE_COUNTER, m->counter);
		break;
	case I_TUPLES:
		put_tuples(w, m);
		break;
	}
}

/* Does m hold exactly what its grammar allows and requires? */
static bool shape_ok(const struct rsip_msg *m, const struct item_spec *items)
{
	const struct item_spec *it;
	uint32_t allowed = 0;
	uint8_t max_tunnels = 0, min_tunnels = 0, max_methods = 0;
	bool tuples = false;

	for (it = items; it->item != I_END; it++) {
		uint32_t bit = item_bit(it->item);

		allowed |= bit;
		if (it->required && bit && !(m->has & bit))
			return false;
		if (it->item == I_TUNNEL) {
			max_tunnels = it->max;
			min_tunnels = it->required;
		}
		if (it->item == I_METHOD)
			max_methods = it->max;
		if (it->item == I_TUPLES)
			tuples = true;
	}
	return !(m->has & ~allowed) && m->n_tunnels >= min_tunnels && m->n_tunnels <= max_tunnels &&
	       m->n_methods <= max_methods &&
	       (tuples ? m->n_tuples <= RSIP_MAX_TUPLES : m->n_tuples == 0) &&
	       m->n_vendor <= RSIP_MAX_VENDOR;
}

ssize_t rsip_encode(const struct rsip_msg *m, uint8_t *buf, size_t cap)
{
	const struct item_spec *items, *it;
	struct wbuf w = {.buf = buf, .cap = cap, .len = RSIP_HDR_LEN, .type = m->type};

	if (!rsip_msg_type_known(m->type))
		return -EINVAL;
	items = grammars[m->type];
	if (!shape_ok(m, items))
		return -EINVAL;
	for (it = items; it->item != I_END; it++) {
		uint32_t bit = item_bit(it->item);

		/* Absent optional fields are skipped; counted ones emit
		 * however many there are. */
		if (!bit || (m->has & bit))
			put_item(&w, m, it);
	}
	put_vendors(&w, m);
	if (w.err)
		return w.err;
	/* Our own receivers refuse anything larger (D2). */
	if (w.len > RSIP_MAX_MSG)
		return -EMSGSIZE;
	if (w.len > cap)
		return -ENOSPC;
	buf[0] = RSIP_VERSION;
	buf[1] = m->type;
	be16_put(buf + 2, (uint16_t)w.len);
	return (ssize_t)w.len;
}
