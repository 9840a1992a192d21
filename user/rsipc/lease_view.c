// SPDX-License-Identifier: BSD-2-Clause
/* rsipc: the lease as its users see it: text, JSON and environment (see lease_view.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lease_view.h"

const char *rsipc_method_text(uint8_t method)
{
	switch (method) {
	case RSIP_METHOD_RSIPSEC:
		return "rsipsec";
	case RSIP_METHOD_RSAP_IP:
		return "rsap-ip";
	case RSIP_METHOD_RSA_IP:
		return "rsa-ip";
	default:
		return "unknown";
	}
}

const char *rsipc_tunnel_text(uint8_t tunnel)
{
	switch (tunnel) {
	case RSIP_TUNNEL_IPIP:
		return "ipip";
	case RSIP_TUNNEL_GRE:
		return "gre";
	case RSIP_TUNNEL_L2TP:
		return "l2tp";
	default:
		return "unknown";
	}
}

int rsipc_lease_from(struct rsipc_lease *l, const struct rsip_registration *reg,
		     const struct rsip_binding *b, bool ike)
{
	unsigned int i;

	l->client_id = reg->client_id;
	l->bind_id = b->bind_id;
	l->method = b->method;
	l->tunnel = b->tunnel;
	l->addr = b->addr;
	l->endpoint = b->endpoint;
	l->lease_s = b->lease_s;
	l->n_ports = b->n_ports;
	for (i = 0; i < b->n_ports; i++)
		l->ports[i] = b->port_range ? (uint16_t)(b->port_first + i) : b->ports[i];
	l->ike_port = l->natt_port = 0;
	if (ike) {
		if (l->n_ports < 2)
			return -EPROTO;
		l->ike_port = l->ports[0];
		l->natt_port = l->ports[1];
	}
	l->n_spis = b->n_spis;
	l->spi_range = b->spi_range;
	l->spi_min = l->spi_max = 0;
	if (b->n_spis) {
		l->spi_min = b->spi_first;
		if (b->spi_range) {
			l->spi_max = b->spi_first + b->n_spis - 1;
		} else {
			l->spi_max = b->spis[0];
			for (i = 0; i < b->n_spis; i++)
				if (b->spis[i] > l->spi_max)
					l->spi_max = b->spis[i];
		}
	}
	return 0;
}

void rsipc_lease_ports_text(const struct rsipc_lease *l, char *buf, size_t cap)
{
	unsigned int first = l->ike_port ? 2 : 0, n, i;
	bool run = true;
	size_t off = 0;

	buf[0] = '\0';
	if (l->n_ports <= first)
		return;
	n = l->n_ports - first;
	for (i = 1; i < n; i++)
		if (l->ports[first + i] != l->ports[first + i - 1] + 1)
			run = false;
	if (n == 1) {
		snprintf(buf, cap, "%u", l->ports[first]);
		return;
	}
	if (run) {
		snprintf(buf, cap, "%u-%u", l->ports[first], l->ports[first + n - 1]);
		return;
	}
	for (i = 0; i < n && off < cap; i++)
		off += (size_t)snprintf(buf + off, cap - off, "%s%u", i ? "," : "",
					l->ports[first + i]);
}

static int push(char ***env, size_t *n, size_t *cap, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int push(char ***env, size_t *n, size_t *cap, const char *name, const char *fmt, ...)
{
	char **ne, *s = NULL, *v = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -ENOMEM;
	rc = name ? asprintf(&s, "%s=%s", name, v) : asprintf(&s, "%s", v);
	free(v);
	if (rc < 0)
		return -ENOMEM;
	if (*n + 2 > *cap) {
		*cap = *cap ? 2 * *cap : 32;
		ne = realloc(*env, *cap * sizeof(*ne));
		if (!ne) {
			free(s);
			return -ENOMEM;
		}
		*env = ne;
	}
	(*env)[(*n)++] = s;
	(*env)[*n] = NULL;
	return 0;
}

void rsipc_env_free(char **env)
{
	if (!env)
		return;
	for (char **p = env; *p; p++)
		free(*p);
	free(env);
}

char **rsipc_env_build(const struct rsipc_lease *l, char *const *base)
{
	char a[INET_ADDRSTRLEN], e[INET_ADDRSTRLEN], s[INET_ADDRSTRLEN], ports[2048];
	char **env = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	/* The caller's environment minus stale RSIP_* (a nested rsipc, or a
	 * shell that exported them), so the command sees only this lease. */
	for (; base && *base; base++) {
		if (!strncmp(*base, "RSIP_", 5))
			continue;
		rc |= push(&env, &n, &cap, NULL, "%s", *base);
	}
	inet_ntop(AF_INET, &l->addr, a, sizeof(a));
	inet_ntop(AF_INET, &l->endpoint, e, sizeof(e));
	inet_ntop(AF_INET, &l->server, s, sizeof(s));
	rsipc_lease_ports_text(l, ports, sizeof(ports));

	rc |= push(&env, &n, &cap, "RSIP_ADDRESS", "%s", a);
	rc |= push(&env, &n, &cap, "RSIP_SERVER", "%s:%u", s, l->server_port);
	rc |= push(&env, &n, &cap, "RSIP_TRANSPORT", "%s",
		   l->transport == RSIP_TRANSPORT_UDP ? "udp" : "tcp");
	rc |= push(&env, &n, &cap, "RSIP_ENDPOINT", "%s", e);
	rc |= push(&env, &n, &cap, "RSIP_CLIENT_ID", "%u", l->client_id);
	rc |= push(&env, &n, &cap, "RSIP_BIND_ID", "%u", l->bind_id);
	rc |= push(&env, &n, &cap, "RSIP_METHOD", "%s", rsipc_method_text(l->method));
	rc |= push(&env, &n, &cap, "RSIP_LEASE", "%u", l->lease_s);
	rc |= push(&env, &n, &cap, "RSIP_TUNNEL_DEV", "%s", l->dev);
	rc |= push(&env, &n, &cap, "RSIP_TUNNEL_TYPE", "%s", rsipc_tunnel_text(l->tunnel));
	rc |= push(&env, &n, &cap, "RSIP_MTU", "%u", l->mtu);
	rc |= push(&env, &n, &cap, "RSIP_PORTS", "%s", ports);
	/* Set even when empty, so that scripts can tell "no IKE port leased"
	 * from "not run by rsipc". */
	if (l->ike_port) {
		rc |= push(&env, &n, &cap, "RSIP_IKE_PORT", "%u", l->ike_port);
		rc |= push(&env, &n, &cap, "RSIP_NATT_PORT", "%u", l->natt_port);
	} else {
		rc |= push(&env, &n, &cap, "RSIP_IKE_PORT", "%s", "");
		rc |= push(&env, &n, &cap, "RSIP_NATT_PORT", "%s", "");
	}
	rc |= push(&env, &n, &cap, "RSIP_SPI_COUNT", "%u", l->n_spis);
	if (l->n_spis && l->spi_range) {
		/* strongSwan's charon.spi_min/spi_max take 0x... directly. */
		rc |= push(&env, &n, &cap, "RSIP_SPI_MIN", "0x%08x", l->spi_min);
		rc |= push(&env, &n, &cap, "RSIP_SPI_MAX", "0x%08x", l->spi_max);
	} else {
		/* Not a range we own end to end: an IKE daemon must not be
		 * told to allocate from min..max. */
		rc |= push(&env, &n, &cap, "RSIP_SPI_MIN", "%s", "");
		rc |= push(&env, &n, &cap, "RSIP_SPI_MAX", "%s", "");
	}
	if (l->state_dir[0])
		rc |= push(&env, &n, &cap, "RSIP_STATE_DIR", "%s", l->state_dir);
	if (rc) {
		rsipc_env_free(env);
		return NULL;
	}
	return env;
}

struct json_object *rsipc_lease_json(const struct rsipc_lease *l)
{
	char a[INET_ADDRSTRLEN], e[INET_ADDRSTRLEN], s[INET_ADDRSTRLEN], buf[2048];
	struct json_object *o = json_object_new_object(), *arr;

	if (!o)
		return NULL;
	inet_ntop(AF_INET, &l->addr, a, sizeof(a));
	inet_ntop(AF_INET, &l->endpoint, e, sizeof(e));
	inet_ntop(AF_INET, &l->server, s, sizeof(s));
	snprintf(buf, sizeof(buf), "%s:%u", s, l->server_port);
	json_object_object_add(o, "server", json_object_new_string(buf));
	json_object_object_add(
	    o, "transport",
	    json_object_new_string(l->transport == RSIP_TRANSPORT_UDP ? "udp" : "tcp"));
	json_object_object_add(o, "client_id", json_object_new_int64(l->client_id));
	json_object_object_add(o, "bind_id", json_object_new_int64(l->bind_id));
	json_object_object_add(o, "method", json_object_new_string(rsipc_method_text(l->method)));
	json_object_object_add(o, "address", json_object_new_string(a));
	json_object_object_add(o, "endpoint", json_object_new_string(e));
	json_object_object_add(o, "lease_s", json_object_new_int64(l->lease_s));
	arr = json_object_new_array();
	for (unsigned int i = 0; i < l->n_ports; i++)
		json_object_array_add(arr, json_object_new_int(l->ports[i]));
	json_object_object_add(o, "ports", arr);
	rsipc_lease_ports_text(l, buf, sizeof(buf));
	json_object_object_add(o, "other_ports", json_object_new_string(buf));
	json_object_object_add(o, "ike_port",
			       l->ike_port ? json_object_new_int(l->ike_port) : NULL);
	json_object_object_add(o, "natt_port",
			       l->natt_port ? json_object_new_int(l->natt_port) : NULL);
	json_object_object_add(o, "spi_count", json_object_new_int(l->n_spis));
	json_object_object_add(o, "spi_contiguous", json_object_new_boolean(l->spi_range));
	if (l->n_spis) {
		snprintf(buf, sizeof(buf), "0x%08x", l->spi_min);
		json_object_object_add(o, "spi_min", json_object_new_string(buf));
		snprintf(buf, sizeof(buf), "0x%08x", l->spi_max);
		json_object_object_add(o, "spi_max", json_object_new_string(buf));
	}
	json_object_object_add(o, "tunnel", json_object_new_string(rsipc_tunnel_text(l->tunnel)));
	json_object_object_add(o, "dev", json_object_new_string(l->dev));
	json_object_object_add(o, "mtu", json_object_new_int(l->mtu));
	json_object_object_add(o, "table", json_object_new_int64(l->table));
	return o;
}

void rsipc_lease_print(const struct rsipc_lease *l, FILE *f)
{
	char a[INET_ADDRSTRLEN], e[INET_ADDRSTRLEN], s[INET_ADDRSTRLEN], ports[2048];

	inet_ntop(AF_INET, &l->addr, a, sizeof(a));
	inet_ntop(AF_INET, &l->endpoint, e, sizeof(e));
	inet_ntop(AF_INET, &l->server, s, sizeof(s));
	rsipc_lease_ports_text(l, ports, sizeof(ports));
	fprintf(f, "leased from %s:%u (%s): client %u, binding %u (%s)\n", s, l->server_port,
		l->transport == RSIP_TRANSPORT_UDP ? "udp" : "tcp", l->client_id, l->bind_id,
		rsipc_method_text(l->method));
	fprintf(f, "  address   %s\n", a);
	if (l->n_spis && l->spi_range)
		fprintf(f, "  spis      0x%08x-0x%08x (%u)\n", l->spi_min, l->spi_max, l->n_spis);
	else if (l->n_spis)
		fprintf(f, "  spis      %u, not contiguous, between 0x%08x and 0x%08x\n", l->n_spis,
			l->spi_min, l->spi_max);
	if (l->ike_port)
		fprintf(f, "  ike port  %u\n  nat-t     %u\n", l->ike_port, l->natt_port);
	if (ports[0])
		fprintf(f, "  ports     %s\n", ports);
	fprintf(f, "  tunnel    %s via %s (mtu %u) to %s\n", rsipc_tunnel_text(l->tunnel), l->dev,
		l->mtu, e);
	fprintf(f, "  lease     %u s, renewed automatically\n", l->lease_s);
	fflush(f);
}
