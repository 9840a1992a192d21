// SPDX-License-Identifier: BSD-2-Clause
#include "exposition.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "store/follow.h"

/* ---- the families ------------------------------------------------------------ */

/* Each data-plane counter name is one sample of one of these families; the
 * name's parts become labels (docs/operations.md, Metrics). */
enum family {
	F_DROPS,     /* <side>_drop_<reason>, slow_<side>_drop_<reason> */
	F_PASSED,    /* <side>_pass_<reason>: handed to the kernel */
	F_FORWARDED, /* <side>_tx[_<kind>], slow_<side>_tx[_<kind>] */
	F_PUNTED,    /* wan_slow_<reason>: sent to the slow path */
	F_EVENTS,    /* the rest of the slow path's counters */
	F_UNCOUNTED, /* bind_slots_uncounted: no counter slot of their own */
	F_MAX
};

static const struct {
	const char *name, *help;
} families[F_MAX] = {
    [F_DROPS] = {"rsip_dataplane_drops_total", "Packets dropped, by path, side and reason."},
    [F_PASSED] = {"rsip_dataplane_passed_to_kernel_total",
		  "Packets the XDP programs left to the kernel, by side and reason."},
    [F_FORWARDED] = {"rsip_dataplane_forwarded_total",
		     "Packets forwarded (tunnelled to a host, or out of its tunnel), by path, side "
		     "and kind."},
    [F_PUNTED] = {"rsip_dataplane_slowpath_total",
		  "Packets the XDP programs sent to rsipd's slow path, by side and reason."},
    [F_EVENTS] = {"rsip_slowpath_events_total", "Slow-path events, by event."},
    [F_UNCOUNTED] = {"rsip_dataplane_uncounted_bindings_total",
		     "Bindings and hosts given no per-binding counter slot (--stat-slots full "
		     "or 0): their traffic is forwarded, not counted as theirs."},
};

struct sample {
	enum family f;
	char labels[160];
	long long v;
};

/* Classify one data-plane counter name. */
static void classify(const char *key, struct sample *s)
{
	const char *path = "xdp", *k = key, *side, *rest;
	char sidebuf[8];

	if (!strcmp(k, "bind_slots_uncounted")) {
		s->f = F_UNCOUNTED;
		s->labels[0] = '\0';
		return;
	}
	if (!strncmp(k, "slow_", 5)) {
		path = "slow";
		k += 5;
	}
	if (strncmp(k, "wan_", 4) && strncmp(k, "lan_", 4)) {
		s->f = F_EVENTS;
		snprintf(s->labels, sizeof(s->labels), "event=\"%s\"", key);
		return;
	}
	snprintf(sidebuf, sizeof(sidebuf), "%.3s", k);
	side = sidebuf;
	rest = k + 4;
	if (!strncmp(rest, "drop_", 5)) {
		s->f = F_DROPS;
		snprintf(s->labels, sizeof(s->labels), "path=\"%s\",side=\"%s\",reason=\"%s\"",
			 path, side, rest + 5);
	} else if (!strncmp(rest, "pass_", 5)) {
		s->f = F_PASSED;
		snprintf(s->labels, sizeof(s->labels), "side=\"%s\",reason=\"%s\"", side, rest + 5);
	} else if (!strcmp(rest, "tx") || !strncmp(rest, "tx_", 3)) {
		s->f = F_FORWARDED;
		snprintf(s->labels, sizeof(s->labels), "path=\"%s\",side=\"%s\",kind=\"%s\"", path,
			 side, rest[2] ? rest + 3 : "all");
	} else if (!strncmp(rest, "slow_", 5) && !strcmp(path, "xdp")) {
		s->f = F_PUNTED;
		snprintf(s->labels, sizeof(s->labels), "side=\"%s\",reason=\"%s\"", side, rest + 5);
	} else {
		s->f = F_EVENTS;
		snprintf(s->labels, sizeof(s->labels), "event=\"%s\"", key);
	}
}

/* ---- writing ------------------------------------------------------------------- */

static void family_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(FILE *f, const char *name, const char *type, const char *help, long long v)
{
	family_head(f, name, type, help);
	fprintf(f, "%s %lld\n", name, v);
}

static long long geti(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? (long long)json_object_get_int64(v) : 0;
}

static struct json_object *data_of(struct ctl_ctx *ctx, const char *cmd, struct json_object **resp)
{
	char line[64];
	struct json_object *d;

	snprintf(line, sizeof(line), "{\"cmd\":\"%s\"}", cmd);
	*resp = ctl_command(ctx, line);
	if (!*resp || !json_object_object_get_ex(*resp, "data", &d))
		return NULL;
	return d;
}

/* The RSIP protocol counters: rsip_<name>_total, messages by direction. */
static void rsip_counters(FILE *f, struct json_object *r)
{
	struct json_object *errs;

	family_head(f, "rsip_messages_total", "counter", "RSIP messages, by direction.");
	fprintf(f, "rsip_messages_total{direction=\"received\"} %lld\n", geti(r, "messages_in"));
	fprintf(f, "rsip_messages_total{direction=\"sent\"} %lld\n", geti(r, "messages_out"));
	json_object_object_foreach(r, key, val)
	{
		char name[96];

		if (!strcmp(key, "messages_in") || !strcmp(key, "messages_out") ||
		    !strcmp(key, "errors"))
			continue;
		snprintf(name, sizeof(name), "rsip_%s_total", key);
		one(f, name, "counter", "RSIP protocol counter (rsipctl counters).",
		    (long long)json_object_get_int64(val));
	}
	family_head(f, "rsip_error_responses_total", "counter",
		    "ERROR_RESPONSE messages sent, by RSIP error code.");
	if (json_object_object_get_ex(r, "errors", &errs)) {
		json_object_object_foreach(errs, ekey, evalue)
		{
			char code[8] = "";
			const char *sp = strchr(ekey, ' ');

			snprintf(code, sizeof(code), "%.*s", sp ? (int)(sp - ekey) : 3, ekey);
			fprintf(f, "rsip_error_responses_total{code=\"%s\",name=\"%s\"} %lld\n",
				code, sp ? sp + 1 : "", (long long)json_object_get_int64(evalue));
		}
	}
}

static void dataplane_counters(FILE *f, struct json_object *dp)
{
	struct sample *s;
	size_t n = 0, cap = (size_t)json_object_object_length(dp) + 1, i;
	int fam;

	s = calloc(cap, sizeof(*s));
	if (!s)
		return;
	json_object_object_foreach(dp, key, val)
	{
		classify(key, &s[n]);
		s[n++].v = (long long)json_object_get_int64(val);
	}
	for (fam = 0; fam < F_MAX; fam++) {
		family_head(f, families[fam].name, "counter", families[fam].help);
		for (i = 0; i < n; i++)
			if (s[i].f == (enum family)fam && s[i].labels[0])
				fprintf(f, "%s{%s} %lld\n", families[fam].name, s[i].labels,
					s[i].v);
			else if (s[i].f == (enum family)fam)
				fprintf(f, "%s %lld\n", families[fam].name, s[i].v);
	}
	free(s);
}

static void status_gauges(FILE *f, struct json_object *st)
{
	struct json_object *a, *pub;

	one(f, "rsip_clients", "gauge", "Registered clients.", geti(st, "clients"));
	one(f, "rsip_bindings", "gauge", "Bindings (leases) held by clients.",
	    geti(st, "bindings"));
	one(f, "rsip_uptime_seconds", "gauge", "Seconds since rsipd started.",
	    geti(st, "uptime_s"));
	one(f, "rsip_lease_default_seconds", "gauge", "The default and longest lease.",
	    geti(st, "lease_default_s"));
	if (json_object_object_get_ex(st, "public", &pub))
		one(f, "rsip_public_addresses", "gauge", "Public addresses (Nb) in the pool.",
		    (long long)json_object_array_length(pub));
	if (!json_object_object_get_ex(st, "alloc", &a))
		return;
	family_head(f, "rsip_pool_used", "gauge", "Pool resources leased to clients now.");
	fprintf(f, "rsip_pool_used{resource=\"ports\"} %lld\n", geti(a, "ports_used"));
	fprintf(f, "rsip_pool_used{resource=\"spis\"} %lld\n", geti(a, "spis_used"));
	fprintf(f, "rsip_pool_used{resource=\"spi_blocks\"} %lld\n", geti(a, "blocks_owned"));
	fprintf(f, "rsip_pool_used{resource=\"whole_addresses\"} %lld\n", geti(a, "addrs_whole"));
	family_head(f, "rsip_pool_held_back", "gauge",
		    "Released resources still out of use (--holdback).");
	fprintf(f, "rsip_pool_held_back{resource=\"ports\"} %lld\n", geti(a, "ports_held"));
	fprintf(f, "rsip_pool_held_back{resource=\"spis\"} %lld\n", geti(a, "spis_held"));
	family_head(f, "rsip_pool_size", "gauge", "Pool resources in all.");
	fprintf(f, "rsip_pool_size{resource=\"ports\"} %lld\n", geti(a, "ports_total"));
	fprintf(f, "rsip_pool_size{resource=\"addresses\"} %lld\n", geti(a, "addrs_total"));
}

static void store_health(FILE *f)
{
	struct store_health h;

	store_follow_health(&h);
	one(f, "rsip_store_enabled", "gauge", "1 when leases are kept in the lease store.",
	    h.enabled);
	one(f, "rsip_store_commits_total", "counter", "Lease store transactions committed.",
	    (long long)h.commits);
	one(f, "rsip_store_commit_failures_total", "counter",
	    "Lease store transactions that failed.", (long long)h.failures);
	one(f, "rsip_store_healthy", "gauge",
	    "1 when the last commit of the lease store succeeded (or no store is kept).",
	    !h.enabled || h.last_ok);
}

int metrics_render(struct ctl_ctx *ctx, char **out, size_t *len)
{
	struct json_object *sresp = NULL, *cresp = NULL, *st, *ctr, *r, *dp;
	FILE *f = open_memstream(out, len);
	int rc = 0;

	if (!f)
		return -errno;
	st = data_of(ctx, "status", &sresp);
	ctr = data_of(ctx, "counters", &cresp);
	if (!st || !ctr) {
		rc = -EIO;
		goto out;
	}
	one(f, "rsip_up", "gauge", "1: rsipd answers.", 1);
	status_gauges(f, st);
	if (json_object_object_get_ex(ctr, "rsip", &r))
		rsip_counters(f, r);
	if (json_object_object_get_ex(ctr, "dataplane", &dp))
		dataplane_counters(f, dp);
	store_health(f);
out:
	json_object_put(sresp);
	json_object_put(cresp);
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	if (rc) {
		free(*out);
		*out = NULL;
	}
	return rc;
}
