// SPDX-License-Identifier: BSD-2-Clause
/*
 * Who may do what: registration and IPsec networks (--allow,
 * --ipsec-allow), local networks for QUERY (D18), the methods and tunnels
 * offered (D9, D15), and the parameter values RFC 3103/3104 forbid that the
 * codec leaves to the receiver (D8, D13, D16).
 */
#include "engine_priv.h"

#include "parse.h"

bool policy_may_register(const struct engine *e, struct in_addr xa)
{
	/* No --allow: every host that reaches the server may register. */
	return e->cfg->allow.n == 0 || cidr_list_contains(&e->cfg->allow, xa);
}

bool policy_may_ipsec(const struct engine *e, struct in_addr xa)
{
	return e->cfg->ipsec_allow.n == 0 || cidr_list_contains(&e->cfg->ipsec_allow, xa);
}

const struct cidr_list *policy_local_nets(const struct engine *e)
{
	/* D18: --local-net, or else the networks allowed to register. */
	return e->cfg->local_net.n ? &e->cfg->local_net : &e->cfg->allow;
}

bool policy_rsa_ip_allowed(const struct engine *e)
{
	/* D9: RSA-IP needs local macro policy. */
	return !e->cfg->no_rsa_ip && e->cfg->flow_local == RSIP_FLOW_MACRO;
}

size_t policy_methods(const struct engine *e, struct in_addr xa, uint8_t *out, size_t cap)
{
	size_t n = 0;

	if (policy_rsa_ip_allowed(e) && n < cap)
		out[n++] = RSIP_METHOD_RSA_IP;
	if (n < cap)
		out[n++] = RSIP_METHOD_RSAP_IP;
	if (policy_may_ipsec(e, xa) && n < cap)
		out[n++] = RSIP_METHOD_RSIPSEC;
	return n;
}

int policy_tunnel(const struct rsip_msg *req, uint8_t *tunnel)
{
	size_t i;

	if (req->n_tunnels == 0) { /* no suggestion: IP-IP (RFC 3103 9.6) */
		*tunnel = RSIP_TUNNEL_IPIP;
		return 0;
	}
	/* LISTEN may offer several: the first one we carry wins. L2TP and
	 * anything unknown: 307 (D15). */
	for (i = 0; i < req->n_tunnels; i++)
		if (req->tunnels[i] == RSIP_TUNNEL_IPIP || req->tunnels[i] == RSIP_TUNNEL_GRE) {
			*tunnel = req->tunnels[i];
			return 0;
		}
	return RSIP_E_BAD_TUNNEL_TYPE;
}

static int check_addr(const struct rsip_address *a, bool remote)
{
	if (a->type == RSIP_ADDR_IPV4_NETMASK) /* D16: only in a network tuple */
		return RSIP_E_BAD_PARAM;
	if (a->type == RSIP_ADDR_FQDN) /* local: RFC 3103 8.1; remote: D16 */
		return RSIP_E_BAD_PARAM;
	return 0;
}

static int check_ports(const struct rsip_ports *p, bool rsipsec)
{
	unsigned int i, j;

	switch (p->form) {
	case RSIP_PORTS_NOT_NEEDED: /* RFC 3104 only (D8) */
		return rsipsec ? 0 : RSIP_E_BAD_PARAM;
	case RSIP_PORTS_RANGE:
		if (p->first == 0 || (uint32_t)p->first + p->number - 1 > UINT16_MAX)
			return RSIP_E_BAD_PARAM;
		return 0;
	case RSIP_PORTS_LIST:
		for (i = 0; i < p->number; i++) {
			if (rsip_ports_at(p, i) == 0)
				return RSIP_E_BAD_PARAM;
			for (j = 0; j < i; j++)
				if (rsip_ports_at(p, j) == rsip_ports_at(p, i))
					return RSIP_E_BAD_PARAM;
		}
		return 0;
	default:
		return 0;
	}
}

static int check_spi(const struct rsip_spi *s)
{
	unsigned int i, j;

	/* D13: SPIs 0-255 are IPsec's; a single 0 is the D5 "don't care",
	 * which the codec already turned into RSIP_SPI_ANY. */
	switch (s->form) {
	case RSIP_SPI_RANGE:
		if (s->first < 256 || (uint64_t)s->first + s->number - 1 > UINT32_MAX)
			return RSIP_E_BAD_PARAM;
		return 0;
	case RSIP_SPI_LIST:
		for (i = 0; i < s->number; i++) {
			if (rsip_spi_at(s, i) < 256)
				return RSIP_E_BAD_PARAM;
			for (j = 0; j < i; j++)
				if (rsip_spi_at(s, j) == rsip_spi_at(s, i))
					return RSIP_E_BAD_PARAM;
		}
		return 0;
	default:
		return 0;
	}
}

int policy_check_values(const struct rsip_msg *m)
{
	bool rsipsec = m->type == RSIP_ASSIGN_REQUEST_RSIPSEC;
	int rc = 0;

	if (!rc && (m->has & RSIP_HAS_LOCAL_ADDR))
		rc = check_addr(&m->local_addr, false);
	if (!rc && (m->has & RSIP_HAS_REMOTE_ADDR))
		rc = check_addr(&m->remote_addr, true);
	if (!rc && (m->has & RSIP_HAS_LOCAL_PORTS))
		rc = check_ports(&m->local_ports, rsipsec);
	if (!rc && (m->has & RSIP_HAS_REMOTE_PORTS))
		rc = check_ports(&m->remote_ports, rsipsec);
	if (!rc && (m->has & RSIP_HAS_SPI))
		rc = check_spi(&m->spi);
	return rc;
}
