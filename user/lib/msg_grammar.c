// SPDX-License-Identifier: BSD-2-Clause
/*
 * RSIP message grammars (RFC 3103 section 9, RFC 3104 section 6.2; spec 4.2),
 * one validate function per message type. Each takes its required
 * parameters in exact order (anything else in that place: 201, D1), then
 * loops over the optional part where any order goes: a repeat where the
 * grammar allows one is 202, a parameter foreign to the grammar is 203,
 * Vendor Specific is always welcome (D7).
 *
 * Positions give roles: the first Address is the local one, the second the
 * remote one, a third in a response the tunnel endpoint; Ports likewise.
 * Role-dependent value checks (a netmask outside the netmask slot, an FQDN
 * local address, "don't need" Ports outside RSIPSEC) are 205 and happen here,
 * in parameter order, because only the grammar knows the roles.
 *
 * The TLV walk has already delimited and checked every value, so the
 * decoders below cannot fail on their own; their result is still checked.
 */
#include "log.h"
#include "msg_internal.h"

struct gram {
	struct rsip_tlv_iter it;
	struct rsip_tlv t; /* the current parameter, valid while more */
	bool more;
	struct rsip_msg *m;
	struct rsip_decode_err *err;
};

#define P(code) (1u << (code))

static void g_advance(struct gram *g)
{
	g->more = rsip_tlv_next(&g->it, &g->t) == 1;
}

static int g_fail(struct gram *g, uint16_t code, const char *why)
{
	g->err->error = code;
	g->err->why = why;
	if (g->more)
		log_debug("rsip_grammar: %s: %s: %s at parameter %u (%s), offset %zu",
			  rsip_msg_type_name(g->m->type), rsip_error_name(code), why, g->t.code,
			  rsip_param_name(g->t.code), g->t.off);
	else
		log_debug("rsip_grammar: %s: %s: %s at the end of the message",
			  rsip_msg_type_name(g->m->type), rsip_error_name(code), why);
	return code;
}

/* The end of taking one parameter: its decoder's verdict (rc, why), then the
 * parameter counts as present (bit) and the walk moves on. */
static int g_took(struct gram *g, int rc, const char *why, uint32_t bit)
{
	if (rc)
		return g_fail(g, rc, why);
	g->m->has |= bit;
	g_advance(g);
	return 0;
}

/* ---- required parameters: the next one must be exactly this ---- */

static int g_expect(struct gram *g, uint8_t code, const char *why)
{
	if (g->more && g->t.code == code)
		return 0;
	return g_fail(g, RSIP_E_MISSING_PARAM, why);
}

static int req_u32(struct gram *g, uint8_t code, uint32_t bit, uint32_t *dst)
{
	const char *why = NULL;
	int rc;

	if ((rc = g_expect(g, code, "required parameter missing or out of order")))
		return rc;
	rc = rsip_dec_u32(&g->t, dst, &why);
	return g_took(g, rc, why, bit);
}

static int req_client(struct gram *g)
{
	return req_u32(g, RSIP_P_CLIENT_ID, RSIP_HAS_CLIENT_ID, &g->m->client_id);
}

static int req_bind(struct gram *g)
{
	return req_u32(g, RSIP_P_BIND_ID, RSIP_HAS_BIND_ID, &g->m->bind_id);
}

static int req_lease(struct gram *g)
{
	return req_u32(g, RSIP_P_LEASE_TIME, RSIP_HAS_LEASE, &g->m->lease);
}

static int req_error(struct gram *g)
{
	const char *why = NULL;
	int rc;

	if ((rc = g_expect(g, RSIP_P_ERROR, "Error missing or out of order")))
		return rc;
	rc = rsip_dec_error(&g->t, &g->m->error, &why);
	return g_took(g, rc, why, RSIP_HAS_ERROR);
}

static int req_flow(struct gram *g)
{
	const char *why = NULL;
	int rc;

	if ((rc = g_expect(g, RSIP_P_FLOW_POLICY, "Flow Policy missing or out of order")))
		return rc;
	rc = rsip_dec_flow(&g->t, &g->m->flow_local, &g->m->flow_remote, &why);
	return g_took(g, rc, why, RSIP_HAS_FLOW_POLICY);
}

static int take_address(struct gram *g, struct rsip_address *dst, enum rsip_addr_role role)
{
	const char *why;
	int rc;

	if ((rc = rsip_dec_address(&g->t, dst, &why)))
		return g_fail(g, rc, why);
	if ((why = rsip_addr_role_bad(dst, role)))
		return g_fail(g, RSIP_E_BAD_PARAM, why);
	g_advance(g);
	return 0;
}

static int req_address(struct gram *g, struct rsip_address *dst, uint32_t bit,
		       enum rsip_addr_role role)
{
	int rc;

	if ((rc = g_expect(g, RSIP_P_ADDRESS, "Address missing or out of order")))
		return rc;
	if ((rc = take_address(g, dst, role)))
		return rc;
	g->m->has |= bit;
	return 0;
}

static int req_local_addr(struct gram *g)
{
	return req_address(g, &g->m->local_addr, RSIP_HAS_LOCAL_ADDR, RSIP_ROLE_LOCAL);
}

static int req_remote_addr(struct gram *g)
{
	return req_address(g, &g->m->remote_addr, RSIP_HAS_REMOTE_ADDR, RSIP_ROLE_REMOTE);
}

static int req_ports(struct gram *g, struct rsip_ports *dst, uint32_t bit)
{
	const char *why;
	int rc;

	if ((rc = g_expect(g, RSIP_P_PORTS, "Ports missing or out of order")))
		return rc;
	if ((rc = rsip_dec_ports(&g->t, dst, &why)))
		return g_fail(g, rc, why);
	if ((why = rsip_ports_role_bad(dst, g->m->type)))
		return g_fail(g, RSIP_E_BAD_PARAM, why);
	g->m->has |= bit;
	g_advance(g);
	return 0;
}

static int req_local_ports(struct gram *g)
{
	return req_ports(g, &g->m->local_ports, RSIP_HAS_LOCAL_PORTS);
}

static int req_remote_ports(struct gram *g)
{
	return req_ports(g, &g->m->remote_ports, RSIP_HAS_REMOTE_PORTS);
}

static int req_spi(struct gram *g)
{
	const char *why = NULL;
	int rc;

	if ((rc = g_expect(g, RSIP_P_SPI, "SPI missing or out of order")))
		return rc;
	rc = rsip_dec_spi(&g->t, &g->m->spi, &why);
	return g_took(g, rc, why, RSIP_HAS_SPI);
}

/* A Tunnel Type, required or optional: at most max of them. A second one
 * where only one is allowed is a duplicate (202); past a list's capacity the
 * message is beyond what we parse (207, like too many QUERY tuples). */
static int take_tunnel(struct gram *g, uint8_t max)
{
	struct rsip_msg *m = g->m;
	const char *why;
	int rc;

	if (m->n_tunnels >= max)
		return g_fail(g, max == 1 ? RSIP_E_DUPLICATE_PARAM : RSIP_E_BAD_MESSAGE,
			      max == 1 ? "repeated Tunnel Type" : "too many Tunnel Types");
	if ((rc = rsip_dec_tunnel(&g->t, &m->tunnels[m->n_tunnels], &why)))
		return g_fail(g, rc, why);
	m->n_tunnels++;
	g_advance(g);
	return 0;
}

static int req_tunnel(struct gram *g)
{
	int rc;

	if ((rc = g_expect(g, RSIP_P_TUNNEL_TYPE, "Tunnel Type missing or out of order")))
		return rc;
	return take_tunnel(g, 1);
}

/* ---- the optional part ---- */

static int opt_u32(struct gram *g, uint32_t bit, uint32_t *dst)
{
	const char *why = NULL;
	int rc;

	if (g->m->has & bit)
		return g_fail(g, RSIP_E_DUPLICATE_PARAM, "repeated parameter");
	rc = rsip_dec_u32(&g->t, dst, &why);
	return g_took(g, rc, why, bit);
}

static int opt_counter(struct gram *g)
{
	return opt_u32(g, RSIP_HAS_COUNTER, &g->m->counter);
}

static int opt_method(struct gram *g)
{
	struct rsip_msg *m = g->m;
	const char *why;
	int rc;

	if (m->n_methods >= RSIP_MAX_METHODS)
		return g_fail(g, RSIP_E_BAD_MESSAGE, "too many RSIP Methods");
	if ((rc = rsip_dec_method(&g->t, &m->methods[m->n_methods], &why)))
		return g_fail(g, rc, why);
	m->n_methods++;
	g_advance(g);
	return 0;
}

/* The third Address of a response. */
static int opt_endpoint(struct gram *g)
{
	int rc;

	if (g->m->has & RSIP_HAS_ENDPOINT)
		return g_fail(g, RSIP_E_DUPLICATE_PARAM, "fourth Address");
	if ((rc = take_address(g, &g->m->endpoint, RSIP_ROLE_ENDPOINT)))
		return rc;
	g->m->has |= RSIP_HAS_ENDPOINT;
	return 0;
}

/* Vendor Specific: kept up to RSIP_MAX_VENDOR, further ones skipped (D7). */
static int opt_vendor(struct gram *g)
{
	struct rsip_msg *m = g->m;
	struct rsip_vendor v;
	const char *why;
	int rc;

	if ((rc = rsip_dec_vendor(&g->t, &v, &why)))
		return g_fail(g, rc, why);
	if (m->n_vendor < RSIP_MAX_VENDOR)
		*rsip_msg_add_vendor(m) = v;
	g_advance(g);
	return 0;
}

/* Whatever the optional part of a message does not take by name: Vendor
 * Specific is fine, a parameter of this grammar (in_grammar, bits P(code))
 * met again is a duplicate, anything else does not belong here. */
static int opt_other(struct gram *g, uint32_t in_grammar)
{
	if (g->t.code == RSIP_P_VENDOR_SPECIFIC)
		return opt_vendor(g);
	if (g->t.code < 32 && (in_grammar & P(g->t.code)))
		return g_fail(g, RSIP_E_DUPLICATE_PARAM, "parameter repeated");
	return g_fail(g, RSIP_E_EXTRA_PARAM, "parameter not in this message's grammar");
}

/* QUERY tuple: Indicator immediately followed by its Address, or by network
 * and netmask Addresses. Nothing may sit inside a tuple (D1). */
static int opt_tuple(struct gram *g)
{
	struct rsip_msg *m = g->m;
	struct rsip_tuple *tp;
	const char *why;
	int rc;

	if (!(tp = rsip_msg_add_tuple(m)))
		return g_fail(g, RSIP_E_BAD_MESSAGE, "too many QUERY tuples");
	if ((rc = rsip_dec_indicator(&g->t, &tp->indicator, &why)))
		return g_fail(g, rc, why);
	if ((why = rsip_indicator_bad(tp->indicator, m->type)))
		return g_fail(g, RSIP_E_BAD_PARAM, why);
	g_advance(g);
	if (rsip_indicator_is_network(tp->indicator)) {
		if ((rc = g_expect(g, RSIP_P_ADDRESS, "network tuple without its network")) ||
		    (rc = take_address(g, &tp->addr, RSIP_ROLE_TUPLE_NET)) ||
		    (rc = g_expect(g, RSIP_P_ADDRESS, "network tuple without its netmask")) ||
		    (rc = take_address(g, &tp->mask, RSIP_ROLE_TUPLE_MASK)))
			return rc;
	} else {
		if ((rc = g_expect(g, RSIP_P_ADDRESS, "address tuple without its Address")) ||
		    (rc = take_address(g, &tp->addr, RSIP_ROLE_TUPLE_ADDR)))
			return rc;
	}
	return 0;
}

/* One parameter of the optional part that the grammar takes by name (its
 * bit is in takes, bits P(code)). In a QUERY (takes Indicators) an Address
 * belongs inside a tuple; elsewhere the optional Address is the third one,
 * the tunnel endpoint of a response. */
static int take_option(struct gram *g, uint32_t takes, uint8_t max_tunnels)
{
	switch (g->t.code) {
	case RSIP_P_MESSAGE_COUNTER:
		return opt_counter(g);
	case RSIP_P_CLIENT_ID:
		return opt_u32(g, RSIP_HAS_CLIENT_ID, &g->m->client_id);
	case RSIP_P_BIND_ID:
		return opt_u32(g, RSIP_HAS_BIND_ID, &g->m->bind_id);
	case RSIP_P_LEASE_TIME:
		return opt_u32(g, RSIP_HAS_LEASE, &g->m->lease);
	case RSIP_P_RSIP_METHOD:
		return opt_method(g);
	case RSIP_P_TUNNEL_TYPE:
		return take_tunnel(g, max_tunnels);
	case RSIP_P_INDICATOR:
		return opt_tuple(g);
	case RSIP_P_ADDRESS:
		if (takes & P(RSIP_P_INDICATOR))
			return g_fail(g, RSIP_E_MISSING_PARAM,
				      "Address outside a tuple: no Indicator");
		return opt_endpoint(g);
	}
	return opt_other(g, 0);
}

/* The optional part of every grammar, any order: what it takes by name
 * (take_option; at most max_tunnels Tunnel Types), anything else as
 * opt_other with the required part's parameters (in_grammar). */
static int optional_part(struct gram *g, uint32_t takes, uint32_t in_grammar, uint8_t max_tunnels)
{
	int rc;

	while (g->more) {
		if (g->t.code < 32 && (takes & P(g->t.code)))
			rc = take_option(g, takes, max_tunnels);
		else
			rc = opt_other(g, in_grammar);
		if (rc)
			return rc;
	}
	return 0;
}

/* The optional parts by name. ASSIGN_REQUEST_*: [Message Counter] [Lease
 * Time] [Tunnel Type] (LISTEN_REQUEST allows several Tunnel Types);
 * ASSIGN_RESPONSE_* and LISTEN_RESPONSE: [Address (tunnel endpoint)]
 * [Message Counter]. */
#define COUNTER_ONLY P(RSIP_P_MESSAGE_COUNTER)
#define ASSIGN_REQUEST_OPTIONS                                                                     \
	(P(RSIP_P_MESSAGE_COUNTER) | P(RSIP_P_LEASE_TIME) | P(RSIP_P_TUNNEL_TYPE))
#define ASSIGN_RESPONSE_OPTIONS (P(RSIP_P_ADDRESS) | P(RSIP_P_MESSAGE_COUNTER))

/* ---- the grammars ---- */

static int validate_error_response(struct gram *g)
{
	int rc;

	if ((rc = req_error(g)))
		return rc;
	return optional_part(g, COUNTER_ONLY | P(RSIP_P_CLIENT_ID) | P(RSIP_P_BIND_ID),
			     P(RSIP_P_ERROR), 0);
}

static int validate_register_request(struct gram *g)
{
	return optional_part(g, COUNTER_ONLY, 0, 0);
}

static int validate_register_response(struct gram *g)
{
	int rc;

	if ((rc = req_client(g)) || (rc = req_lease(g)) || (rc = req_flow(g)))
		return rc;
	return optional_part(g, COUNTER_ONLY | P(RSIP_P_RSIP_METHOD) | P(RSIP_P_TUNNEL_TYPE),
			     P(RSIP_P_CLIENT_ID) | P(RSIP_P_LEASE_TIME) | P(RSIP_P_FLOW_POLICY),
			     RSIP_MAX_TUNNELS);
}

/* <Client ID> [Message Counter]: DE-REGISTER_REQUEST and _RESPONSE. */
static int validate_client_and_counter(struct gram *g)
{
	int rc;

	if ((rc = req_client(g)))
		return rc;
	return optional_part(g, COUNTER_ONLY, P(RSIP_P_CLIENT_ID), 0);
}

static int validate_assign_request_rsa_ip(struct gram *g)
{
	int rc;

	if ((rc = req_client(g)) || (rc = req_local_addr(g)) || (rc = req_remote_addr(g)) ||
	    (rc = req_remote_ports(g)))
		return rc;
	return optional_part(g, ASSIGN_REQUEST_OPTIONS,
			     P(RSIP_P_CLIENT_ID) | P(RSIP_P_ADDRESS) | P(RSIP_P_PORTS), 1);
}

static int validate_assign_response_rsa_ip(struct gram *g)
{
	int rc;

	if ((rc = req_client(g)) || (rc = req_bind(g)) || (rc = req_local_addr(g)) ||
	    (rc = req_remote_addr(g)) || (rc = req_remote_ports(g)) || (rc = req_lease(g)) ||
	    (rc = req_tunnel(g)))
		return rc;
	return optional_part(g, ASSIGN_RESPONSE_OPTIONS,
			     P(RSIP_P_CLIENT_ID) | P(RSIP_P_BIND_ID) | P(RSIP_P_PORTS) |
				 P(RSIP_P_LEASE_TIME) | P(RSIP_P_TUNNEL_TYPE),
			     0);
}

/* <Client ID> <Address (local)> <Ports (local)> <Address (remote)>
 * <Ports (remote)>: the head of ASSIGN_REQUEST_RSAP-IP, LISTEN_REQUEST and
 * ASSIGN_REQUEST_RSIPSEC. */
static int rsap_request_head(struct gram *g)
{
	int rc;

	if ((rc = req_client(g)) || (rc = req_local_addr(g)) || (rc = req_local_ports(g)) ||
	    (rc = req_remote_addr(g)) || (rc = req_remote_ports(g)))
		return rc;
	return 0;
}

/* The same with <Bind ID> after the Client ID, for the responses. */
static int rsap_response_head(struct gram *g)
{
	int rc;

	if ((rc = req_client(g)) || (rc = req_bind(g)) || (rc = req_local_addr(g)) ||
	    (rc = req_local_ports(g)) || (rc = req_remote_addr(g)) || (rc = req_remote_ports(g)))
		return rc;
	return 0;
}

#define RSAP_REQUEST_PARAMS (P(RSIP_P_CLIENT_ID) | P(RSIP_P_ADDRESS) | P(RSIP_P_PORTS))
#define RSAP_RESPONSE_PARAMS                                                                       \
	(P(RSIP_P_CLIENT_ID) | P(RSIP_P_BIND_ID) | P(RSIP_P_PORTS) | P(RSIP_P_LEASE_TIME) |        \
	 P(RSIP_P_TUNNEL_TYPE))

static int validate_assign_request_rsap_ip(struct gram *g)
{
	int rc;

	if ((rc = rsap_request_head(g)))
		return rc;
	return optional_part(g, ASSIGN_REQUEST_OPTIONS, RSAP_REQUEST_PARAMS, 1);
}

static int validate_assign_response_rsap_ip(struct gram *g)
{
	int rc;

	if ((rc = rsap_response_head(g)) || (rc = req_lease(g)) || (rc = req_tunnel(g)))
		return rc;
	return optional_part(g, ASSIGN_RESPONSE_OPTIONS, RSAP_RESPONSE_PARAMS, 0);
}

static int validate_extend_request(struct gram *g)
{
	int rc;

	if ((rc = req_client(g)) || (rc = req_bind(g)))
		return rc;
	return optional_part(g, COUNTER_ONLY | P(RSIP_P_LEASE_TIME),
			     P(RSIP_P_CLIENT_ID) | P(RSIP_P_BIND_ID), 0);
}

static int validate_extend_response(struct gram *g)
{
	int rc;

	if ((rc = req_client(g)) || (rc = req_bind(g)) || (rc = req_lease(g)))
		return rc;
	return optional_part(g, COUNTER_ONLY,
			     P(RSIP_P_CLIENT_ID) | P(RSIP_P_BIND_ID) | P(RSIP_P_LEASE_TIME), 0);
}

/* <Client ID> <Bind ID> [Message Counter]: FREE_REQUEST and _RESPONSE. */
static int validate_client_bind_and_counter(struct gram *g)
{
	int rc;

	if ((rc = req_client(g)) || (rc = req_bind(g)))
		return rc;
	return optional_part(g, COUNTER_ONLY, P(RSIP_P_CLIENT_ID) | P(RSIP_P_BIND_ID), 0);
}

/* QUERY_REQUEST and QUERY_RESPONSE differ only in their Indicator values
 * (rsip_indicator_bad). Tuple kinds may come in any order: they are
 * optional parameters. A Message Counter may sit between tuples (D1). */
static int validate_query(struct gram *g)
{
	int rc;

	if ((rc = req_client(g)))
		return rc;
	return optional_part(g, COUNTER_ONLY | P(RSIP_P_INDICATOR) | P(RSIP_P_ADDRESS),
			     P(RSIP_P_CLIENT_ID), 0);
}

static int validate_listen_request(struct gram *g)
{
	int rc;

	if ((rc = rsap_request_head(g)))
		return rc;
	return optional_part(g, ASSIGN_REQUEST_OPTIONS, RSAP_REQUEST_PARAMS, RSIP_MAX_TUNNELS);
}

static int validate_listen_response(struct gram *g)
{
	int rc;

	/* Tunnel Type BEFORE Lease Time, unlike every ASSIGN_RESPONSE. */
	if ((rc = rsap_response_head(g)) || (rc = req_tunnel(g)) || (rc = req_lease(g)))
		return rc;
	return optional_part(g, ASSIGN_RESPONSE_OPTIONS, RSAP_RESPONSE_PARAMS, 0);
}

static int validate_assign_request_rsipsec(struct gram *g)
{
	int rc;

	if ((rc = rsap_request_head(g)) || (rc = req_spi(g)))
		return rc;
	return optional_part(g, ASSIGN_REQUEST_OPTIONS, RSAP_REQUEST_PARAMS | P(RSIP_P_SPI), 1);
}

static int validate_assign_response_rsipsec(struct gram *g)
{
	int rc;

	if ((rc = rsap_response_head(g)) || (rc = req_spi(g)) || (rc = req_lease(g)) ||
	    (rc = req_tunnel(g)))
		return rc;
	return optional_part(g, ASSIGN_RESPONSE_OPTIONS, RSAP_RESPONSE_PARAMS | P(RSIP_P_SPI), 0);
}

static int (*const validators[])(struct gram *) = {
    [RSIP_ERROR_RESPONSE] = validate_error_response,
    [RSIP_REGISTER_REQUEST] = validate_register_request,
    [RSIP_REGISTER_RESPONSE] = validate_register_response,
    [RSIP_DEREGISTER_REQUEST] = validate_client_and_counter,
    [RSIP_DEREGISTER_RESPONSE] = validate_client_and_counter,
    [RSIP_ASSIGN_REQUEST_RSA_IP] = validate_assign_request_rsa_ip,
    [RSIP_ASSIGN_RESPONSE_RSA_IP] = validate_assign_response_rsa_ip,
    [RSIP_ASSIGN_REQUEST_RSAP_IP] = validate_assign_request_rsap_ip,
    [RSIP_ASSIGN_RESPONSE_RSAP_IP] = validate_assign_response_rsap_ip,
    [RSIP_EXTEND_REQUEST] = validate_extend_request,
    [RSIP_EXTEND_RESPONSE] = validate_extend_response,
    [RSIP_FREE_REQUEST] = validate_client_bind_and_counter,
    [RSIP_FREE_RESPONSE] = validate_client_bind_and_counter,
    [RSIP_QUERY_REQUEST] = validate_query,
    [RSIP_QUERY_RESPONSE] = validate_query,
    [RSIP_LISTEN_REQUEST] = validate_listen_request,
    [RSIP_LISTEN_RESPONSE] = validate_listen_response,
    [RSIP_ASSIGN_REQUEST_RSIPSEC] = validate_assign_request_rsipsec,
    [RSIP_ASSIGN_RESPONSE_RSIPSEC] = validate_assign_response_rsipsec,
};

int rsip_grammar(struct rsip_msg *m, const uint8_t *msg, size_t len, struct rsip_decode_err *err)
{
	struct gram g = {.m = m, .err = err};

	if (m->type >= sizeof(validators) / sizeof(validators[0]) || !validators[m->type]) {
		err->error = RSIP_E_ILLEGAL_MESSAGE;
		err->why = "unknown message type";
		return err->error;
	}
	rsip_tlv_iter_init(&g.it, msg, len);
	g_advance(&g);
	return validators[m->type](&g);
}
