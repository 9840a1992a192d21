// SPDX-License-Identifier: BSD-2-Clause
/* rsipc's state file read back after a crash (saved.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "host_tc.h"
#include "log.h"
#include "nl.h"
#include "saved.h"

static bool get(struct json_object *o, const char *key, json_type t, struct json_object **v)
{
	return json_object_object_get_ex(o, key, v) && json_object_is_type(*v, t);
}

static int64_t get_int(struct json_object *o, const char *key, int64_t dflt)
{
	struct json_object *v;

	return get(o, key, json_type_int, &v) ? json_object_get_int64(v) : dflt;
}

static int get_addr(struct json_object *o, const char *key, struct in_addr *a)
{
	struct json_object *v;

	if (!get(o, key, json_type_string, &v) ||
	    inet_pton(AF_INET, json_object_get_string(v), a) != 1)
		return -EINVAL;
	return 0;
}

static int get_spi(struct json_object *o, const char *key, uint32_t *spi)
{
	struct json_object *v;
	unsigned long x;
	char *end;

	if (!get(o, key, json_type_string, &v))
		return -EINVAL;
	errno = 0;
	x = strtoul(json_object_get_string(v), &end, 16);
	if (errno || *end || x > UINT32_MAX)
		return -EINVAL;
	*spi = (uint32_t)x;
	return 0;
}

static int parse(struct json_object *o, struct rsipc_saved *s)
{
	struct json_object *v, *p;
	uint32_t spi_max;
	char server[64], *colon;
	size_t n;

	memset(s, 0, sizeof(*s));
	s->pid = (int)get_int(o, "pid", 0);
	s->client_id = (uint32_t)get_int(o, "client_id", 0);
	s->b.bind_id = (uint32_t)get_int(o, "bind_id", 0);
	s->lease_expires = get_int(o, "lease_expires_unix", 0);
	s->table = (uint32_t)get_int(o, "table", 0);
	s->prio = (uint32_t)get_int(o, "rule_priority", 0);
	s->tc_ifindex = (int)get_int(o, "tc_ifindex", 0);
	if (!s->pid || !s->client_id || !s->b.bind_id || !s->table || !s->prio)
		return -EINVAL;
	if (!get(o, "server", json_type_string, &v))
		return -EINVAL;
	snprintf(server, sizeof(server), "%s", json_object_get_string(v));
	colon = strchr(server, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (inet_pton(AF_INET, server, &s->server) != 1)
		return -EINVAL;
	s->server_port = (uint16_t)atoi(colon + 1);
	s->transport =
	    get(o, "transport", json_type_string, &v) && !strcmp(json_object_get_string(v), "udp")
		? RSIP_TRANSPORT_UDP
		: RSIP_TRANSPORT_TCP;
	if (get_addr(o, "address", &s->b.addr) || get_addr(o, "endpoint", &s->b.endpoint))
		return -EINVAL;
	if (!get(o, "method", json_type_string, &v))
		return -EINVAL;
	s->b.method = !strcmp(json_object_get_string(v), "rsa-ip")    ? RSIP_METHOD_RSA_IP
		      : !strcmp(json_object_get_string(v), "rsap-ip") ? RSIP_METHOD_RSAP_IP
								      : RSIP_METHOD_RSIPSEC;
	if (!get(o, "tunnel", json_type_string, &v))
		return -EINVAL;
	s->b.tunnel =
	    !strcmp(json_object_get_string(v), "gre") ? RSIP_TUNNEL_GRE : RSIP_TUNNEL_IPIP;
	if (!get(o, "ports", json_type_array, &p))
		return -EINVAL;
	n = json_object_array_length(p);
	if (n > RSIP_MAX_PORTS)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		s->b.ports[i] = (uint16_t)json_object_get_int(json_object_array_get_idx(p, i));
	s->b.n_ports = (uint16_t)n;
	s->ike_port = get(o, "ike_port", json_type_int, &v);
	s->b.n_spis = (uint16_t)get_int(o, "spi_count", 0);
	if (s->b.n_spis) {
		/* Only a contiguous block is written down in full. */
		if (!get(o, "spi_contiguous", json_type_boolean, &v) ||
		    !json_object_get_boolean(v) || get_spi(o, "spi_min", &s->b.spi_first) ||
		    get_spi(o, "spi_max", &spi_max) || spi_max - s->b.spi_first + 1 != s->b.n_spis)
			return -EINVAL;
		s->b.spi_range = true;
	}
	return 0;
}

int rsipc_saved_load(const char *dir, struct rsipc_saved *s)
{
	char path[4096];
	struct json_object *o;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, RSIPC_STATE_NAME);
	o = json_object_from_file(path);
	if (!o)
		return errno == ENOENT ? -ENOENT : -EINVAL;
	rc = parse(o, s);
	json_object_put(o);
	if (rc)
		log_warnx("%s: not a state file rsipc can use", path);
	return rc;
}

bool rsipc_saved_resumable(const struct rsipc_saved *s)
{
	bool gone = kill(s->pid, 0) < 0 && errno == ESRCH;

	return gone && s->lease_expires > (int64_t)time(NULL);
}

void rsipc_saved_remove_tunnel(const struct rsipc_saved *s)
{
	struct nl_route r = {.table = s->table};
	struct nl *n = nl_open();
	int rc;

	if (n) {
		rc = nl_rule(n, false, s->b.addr, s->table, s->prio);
		if (rc && rc != -ENOENT)
			log_warnx("removing the rule from the leased address: %s", strerror(-rc));
		/* The pump's route went with the TUN; the BPF one is on the
		 * LAN device. */
		if (s->tc_ifindex) {
			r.ifindex = s->tc_ifindex;
			rc = nl_route_default(n, false, &r);
			if (rc && rc != -ESRCH)
				log_warnx("removing the route in table %u: %s", s->table,
					  strerror(-rc));
		}
		nl_close(n);
	}
	if (s->tc_ifindex)
		host_tc_remove(s->tc_ifindex, s->table);
}

bool rsipc_saved_release(const struct rsipc_saved *s, const char *dir)
{
	struct rsip_client_cfg cfg = {.transport = s->transport};
	struct rsip_client *c = rsip_client_connect(s->server, s->server_port, &cfg);
	bool released = false;
	char e[96];
	int rc = -errno;

	if (c) {
		/* The EXTEND inside checks the gateway still knows us. */
		rc = rsip_client_resume(c, s->client_id, &s->b, 0, false);
		if (!rc)
			rc = rsip_client_release_all(c);
		rsip_client_close(c);
	}
	released = rc == 0;
	if (!released)
		log_warnx("releasing client %u, binding %u at the gateway: %s (what is left "
			  "expires with its lease)",
			  s->client_id, s->b.bind_id,
			  rc > 0 ? rsip_client_strerror(rc, e, sizeof(e)) : strerror(-rc));
	rsipc_saved_remove_tunnel(s);
	ctl_cleanup(dir);
	return released;
}
