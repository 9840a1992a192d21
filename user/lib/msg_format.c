// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsip_msg_format: a one-line summary of a message for logs and debugging,
 * e.g. "ASSIGN_REQUEST_RSIPSEC client=7 counter=3 local=any4 lports=none
 * remote=198.51.100.5 rports=none spi=any*2". Only fields that are present
 * are printed; output is cut (never overrun) at cap.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>

#include "msg_internal.h"

struct sbuf {
	char *out;
	size_t cap, len;
};

static void sb_printf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->len + 1 >= sb->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->out + sb->len, sb->cap - sb->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb->len += (size_t)n;
	if (sb->len >= sb->cap)
		sb->len = sb->cap - 1;
}

static void fmt_address(struct sbuf *sb, const char *name, const struct rsip_address *a)
{
	char ip[INET6_ADDRSTRLEN];

	switch (a->type) {
	case RSIP_ADDR_IPV4:
	case RSIP_ADDR_IPV4_NETMASK:
		if (a->any)
			sb_printf(sb, " %s=any4", name);
		else
			sb_printf(sb, " %s=%s", name, inet_ntop(AF_INET, &a->u.v4, ip, sizeof(ip)));
		break;
	case RSIP_ADDR_IPV6:
		if (a->any)
			sb_printf(sb, " %s=any6", name);
		else
			sb_printf(sb, " %s=%s", name,
				  inet_ntop(AF_INET6, &a->u.v6, ip, sizeof(ip)));
		break;
	case RSIP_ADDR_FQDN:
		sb_printf(sb, " %s=%.*s", name, a->u.fqdn ? (int)a->fqdn_len : 0,
			  a->u.fqdn ? a->u.fqdn : "");
		break;
	default:
		sb_printf(sb, " %s=?", name);
	}
}

static void fmt_ports(struct sbuf *sb, const char *name, const struct rsip_ports *p)
{
	size_t i;

	switch (p->form) {
	case RSIP_PORTS_NOT_NEEDED:
		sb_printf(sb, " %s=none", name);
		break;
	case RSIP_PORTS_ANY:
		sb_printf(sb, " %s=any*%u", name, p->number);
		break;
	case RSIP_PORTS_RANGE:
		if (p->number <= 1)
			sb_printf(sb, " %s=%u", name, p->first);
		else
			sb_printf(sb, " %s=%u-%u", name, p->first,
				  (unsigned int)(p->first + p->number - 1));
		break;
	case RSIP_PORTS_LIST:
		sb_printf(sb, " %s=", name);
		for (i = 0; i < p->number && i < RSIP_MAX_PORTS; i++)
			sb_printf(sb, "%s%u", i ? "," : "", rsip_ports_at(p, (unsigned int)i));
		break;
	default:
		sb_printf(sb, " %s=?", name);
	}
}

static void fmt_spi(struct sbuf *sb, const struct rsip_spi *s)
{
	size_t i;

	switch (s->form) {
	case RSIP_SPI_ANY:
		sb_printf(sb, " spi=any*%u", s->number);
		break;
	case RSIP_SPI_RANGE:
		if (s->number <= 1)
			sb_printf(sb, " spi=0x%x", s->first);
		else
			sb_printf(sb, " spi=0x%x-0x%x", s->first,
				  (uint32_t)(s->first + s->number - 1u));
		break;
	case RSIP_SPI_LIST:
		sb_printf(sb, " spi=");
		for (i = 0; i < s->number && i < RSIP_MAX_SPI_LIST; i++)
			sb_printf(sb, "%s0x%x", i ? "," : "", rsip_spi_at(s, (unsigned int)i));
		break;
	default:
		sb_printf(sb, " spi=?");
	}
}

static void fmt_list(struct sbuf *sb, const char *name, const uint8_t *v, size_t n,
		     const char *(*namer)(unsigned int))
{
	size_t i;

	sb_printf(sb, " %s=", name);
	for (i = 0; i < n; i++)
		sb_printf(sb, "%s%s", i ? "," : "", namer(v[i]));
}

void rsip_msg_format(const struct rsip_msg *m, char *out, size_t cap)
{
	struct sbuf sb = {.out = out, .cap = cap};
	size_t i;

	if (cap == 0)
		return;
	out[0] = '\0';
	sb_printf(&sb, "%s", rsip_msg_type_name(m->type));
	if (m->has & RSIP_HAS_ERROR)
		sb_printf(&sb, " error=%s(%u)", rsip_error_name(m->error), m->error);
	if (m->has & RSIP_HAS_CLIENT_ID)
		sb_printf(&sb, " client=%u", m->client_id);
	if (m->has & RSIP_HAS_BIND_ID)
		sb_printf(&sb, " bind=%u", m->bind_id);
	if (m->has & RSIP_HAS_COUNTER)
		sb_printf(&sb, " counter=%u", m->counter);
	if (m->has & RSIP_HAS_LEASE)
		sb_printf(&sb, " lease=%u", m->lease);
	if (m->has & RSIP_HAS_FLOW_POLICY)
		sb_printf(&sb, " flow=%s/%s", rsip_flow_name(m->flow_local),
			  rsip_flow_name(m->flow_remote));
	if (m->has & RSIP_HAS_LOCAL_ADDR)
		fmt_address(&sb, "local", &m->local_addr);
	if (m->has & RSIP_HAS_LOCAL_PORTS)
		fmt_ports(&sb, "lports", &m->local_ports);
	if (m->has & RSIP_HAS_REMOTE_ADDR)
		fmt_address(&sb, "remote", &m->remote_addr);
	if (m->has & RSIP_HAS_REMOTE_PORTS)
		fmt_ports(&sb, "rports", &m->remote_ports);
	if (m->has & RSIP_HAS_SPI)
		fmt_spi(&sb, &m->spi);
	if (m->has & RSIP_HAS_ENDPOINT)
		fmt_address(&sb, "endpoint", &m->endpoint);
	if (m->n_methods)
		fmt_list(&sb, "methods", m->methods,
			 m->n_methods < RSIP_MAX_METHODS ? m->n_methods : RSIP_MAX_METHODS,
			 rsip_method_name);
	if (m->n_tunnels)
		fmt_list(&sb, "tunnels", m->tunnels,
			 m->n_tunnels < RSIP_MAX_TUNNELS ? m->n_tunnels : RSIP_MAX_TUNNELS,
			 rsip_tunnel_name);
	for (i = 0; i < m->n_tuples && i < RSIP_MAX_TUPLES; i++) {
		const struct rsip_tuple *tp = &m->tuples[i];
		char name[16];

		snprintf(name, sizeof(name), "tuple%u", tp->indicator);
		fmt_address(&sb, name, &tp->addr);
		if (rsip_indicator_is_network(tp->indicator))
			fmt_address(&sb, "mask", &tp->mask);
	}
	if (m->n_vendor)
		sb_printf(&sb, " vendor=%u", m->n_vendor);
}
