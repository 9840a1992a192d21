// SPDX-License-Identifier: BSD-2-Clause
/*
 * What the data plane learned (IKE cookies and peer entries, outbound SPIs,
 * echo ids), shared through etcd (docs/cluster.md "Learned entries"). One
 * key per entry:
 *
 *   PREFIX learned/ike/HEX32   rsip_ike key (Nb, port, kind 0, cookie), or
 *                              a peer entry (Nb, port, kind 1, Y, zeros)
 *   PREFIX learned/icmp/HEX16  rsip_icmp_key (Nb, echo id)
 *   PREFIX learned/out/HEX16   rsip_out_key (Y, Y's SPI)
 *
 * the map key in hex as include/rsip/dp_abi.h lays it out; the value names
 * the host and how to reach it: {"host":"HEX8","xa":"A.B.C.D","tunnel":N,
 * "remote":"A.B.C.D","gateway":NAME} (the gateway that learned it); an ike
 * row adds "kind" (its key's: 0 a cookie, 1 a peer entry) and a peer entry
 * "several" (true: several hosts talk IKE with Y, RSIP_TF_IKE_SEVERAL; the
 * host named is the first). Fan-outs in progress are never listed.
 *
 * The active gateway publishes: every PUBLISH_EVERY_MS it lists its learned
 * entries (dataplane learned_list) and compares them with the table of what
 * it published; what is new or changed is put, what its data plane forgot
 * (the idle sweep, a host whose lease ended) is deleted - in transactions of
 * at most TXN_OPS operations that compare the fence like every write, at
 * most `rate` operations an interval. What does not fit waits for the next
 * interval (counted: learned.waiting); it is still in the maps, so the next
 * comparison finds it again: nothing is dropped.
 *
 * A standby mirrors: each key the watch brings is checked (the key's form,
 * the value's fields) and written through learned_put, which checks it
 * against the host as this gateway mirrored it (registered, its Nb, its
 * tunnels, its learned-entry cap); a refused row is skipped with a warning
 * that names it. The table then holds what etcd holds, so a standby that
 * becomes active starts from it and publishes only the difference.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_store_internal.h"
#include "dataplane/dataplane.h"
#include "log.h"
#include "rsip/dp_abi.h" /* rsip_ike_key: an ike row's kind */

#define PUBLISH_EVERY_MS 1000 /* the rate's interval */
/* A standby writes every mirrored entry again this often: its own sweep
 * expires learned entries idle for 300 s (dataplane/xdp.c), and a standby
 * sees none of their traffic; etcd still holding them is what keeps them. */
#define REFRESH_EVERY_MS 60000
#define TXN_OPS		 100 /* per transaction: etcd's --max-txn-ops is 128 */
#define ROW_ID		 (1 + DP_LEARNED_KEY_MAX)

struct lrow {
	uint8_t id[ROW_ID]; /* kind, then the key (zero-padded) */
	struct dp_learned l;
	bool mark;    /* publish: the data plane still has it, unchanged */
	bool seen;    /* mirror: brought by the full read under way */
	bool pending; /* mirror: not written yet (the data plane said not now) */
	UT_hash_handle hh;
};

struct cs_learned {
	struct dataplane *dp;
	char prefix[128]; /* PREFIX "learned/" */
	char gateway[33];
	uint32_t rate; /* operations an interval; 0: publish nothing */
	struct lrow *rows;
	size_t npending;
	uint64_t due_ms, refresh_ms;
	uint64_t published, withdrawn, waiting, mirrored, refused;
	bool said_waiting;
};

static const char *const kind_name[] = {
    [DP_LEARNED_IKE] = "ike", [DP_LEARNED_ICMP_ID] = "icmp", [DP_LEARNED_OUT_SPI] = "out"};
static const uint8_t kind_klen[] = {
    [DP_LEARNED_IKE] = 16, [DP_LEARNED_ICMP_ID] = 8, [DP_LEARNED_OUT_SPI] = 8};

struct cs_learned *cs_learned_new(struct dataplane *dp, const char *prefix, const char *gateway,
				  uint32_t rate)
{
	struct cs_learned *L = calloc(1, sizeof(*L));

	if (!L)
		return NULL;
	L->dp = dp;
	snprintf(L->prefix, sizeof(L->prefix), "%slearned/", prefix);
	snprintf(L->gateway, sizeof(L->gateway), "%s", gateway);
	L->rate = rate;
	return L;
}

void cs_learned_free(struct cs_learned *L)
{
	struct lrow *r, *tmp;

	if (!L)
		return;
	HASH_ITER(hh, L->rows, r, tmp)
	{
		HASH_DEL(L->rows, r);
		free(r);
	}
	free(L);
}

bool cs_learned_key(const struct cluster_store *cs, const char *key, size_t len)
{
	size_t pl = cs->learned ? strlen(cs->learned->prefix) : 0;

	return pl && len > pl && !memcmp(key, cs->learned->prefix, pl);
}

static void row_id(const struct dp_learned *l, uint8_t id[ROW_ID])
{
	memset(id, 0, ROW_ID);
	id[0] = l->kind;
	memcpy(id + 1, l->key, l->klen);
}

static struct lrow *row_find(struct cs_learned *L, const struct dp_learned *l)
{
	uint8_t id[ROW_ID];
	struct lrow *r;

	row_id(l, id);
	HASH_FIND(hh, L->rows, id, ROW_ID, r);
	return r;
}

static struct lrow *row_set(struct cs_learned *L, const struct dp_learned *l)
{
	struct lrow *r = row_find(L, l);

	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return NULL;
		row_id(l, r->id);
		HASH_ADD(hh, L->rows, id, ROW_ID, r);
	}
	r->l = *l;
	return r;
}

static void row_del(struct cs_learned *L, struct lrow *r)
{
	if (r->pending)
		L->npending--;
	HASH_DEL(L->rows, r);
	free(r);
}

static bool same(const struct dp_learned *a, const struct dp_learned *b)
{
	return a->client_id == b->client_id && a->xa.s_addr == b->xa.s_addr &&
	       a->tunnel == b->tunnel && a->remote.s_addr == b->remote.s_addr &&
	       a->several == b->several;
}

static void key_of(const struct cs_learned *L, const struct dp_learned *l, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s/", L->prefix, kind_name[l->kind]);

	for (size_t i = 0; i < l->klen && n > 0 && (size_t)n + 3 <= len; i++)
		n += snprintf(buf + n, len - (size_t)n, "%02x", l->key[i]);
}

/* The rsip_ike key's kind (RSIP_IKE_KIND_*), as the map lays it out. */
static uint16_t ike_kind(const struct dp_learned *l)
{
	struct rsip_ike_key k;

	memcpy(&k, l->key, sizeof(k));
	return k.kind;
}

static void value_of(const struct cs_learned *L, const struct dp_learned *l, char *buf, size_t len)
{
	char xa[INET_ADDRSTRLEN], remote[INET_ADDRSTRLEN], ike[40] = "";

	inet_ntop(AF_INET, &l->xa, xa, sizeof(xa));
	inet_ntop(AF_INET, &l->remote, remote, sizeof(remote));
	if (l->kind == DP_LEARNED_IKE && ike_kind(l) == RSIP_IKE_KIND_PEER)
		snprintf(ike, sizeof(ike), ",\"kind\":%u,\"several\":%s", RSIP_IKE_KIND_PEER,
			 l->several ? "true" : "false");
	else if (l->kind == DP_LEARNED_IKE)
		snprintf(ike, sizeof(ike), ",\"kind\":%u", RSIP_IKE_KIND_COOKIE);
	snprintf(buf, len,
		 "{\"host\":\"%08x\",\"xa\":\"%s\",\"tunnel\":%u,\"remote\":\"%s\","
		 "\"gateway\":\"%s\"%s}",
		 l->client_id, xa, l->tunnel, remote, L->gateway, ike);
}

/* ---- the active gateway: publish --------------------------------------------- */

struct diff {
	struct cs_learned *L;
	struct dp_learned *puts;
	size_t n, cap;
	bool nomem;
};

static void collect(const struct dp_learned *l, void *arg)
{
	struct diff *d = arg;
	struct lrow *r = row_find(d->L, l);

	if (r && same(&r->l, l)) {
		r->mark = true;
		return;
	}
	if (r)
		r->mark = true; /* changed: the put replaces it */
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct dp_learned *p = realloc(d->puts, cap * sizeof(*p));

		if (!p) {
			d->nomem = true; /* the rest waits for the next interval */
			return;
		}
		d->puts = p;
		d->cap = cap;
	}
	d->puts[d->n++] = *l;
}

/* One transaction: ops[i] is a delete of dels[i] (i < ndel) or a put of
 * puts[i - ndel]. 0, -EPERM (fenced) or -errno (etcd). */
static int publish_chunk(struct cluster_store *cs, struct lrow **dels, size_t ndel,
			 const struct dp_learned *puts, size_t nput)
{
	struct cs_learned *L = cs->learned;
	struct etcd_op ops[TXN_OPS] = {0};
	struct etcd_cmp fence = cs_fence_cmp(cs);
	char keys[TXN_OPS][160], vals[TXN_OPS][192];
	size_t n = ndel + nput;
	int64_t rev = 0;
	bool ok = false;
	int rc;

	for (size_t i = 0; i < n; i++) {
		const struct dp_learned *l = i < ndel ? &dels[i]->l : &puts[i - ndel];

		key_of(L, l, keys[i], sizeof(keys[i]));
		ops[i].key = keys[i];
		ops[i].type = i < ndel ? ETCD_OP_DELETE : ETCD_OP_PUT;
		if (i >= ndel) {
			value_of(L, l, vals[i], sizeof(vals[i]));
			ops[i].value = vals[i];
			ops[i].value_len = strlen(vals[i]);
		}
	}
	rc = etcd_txn(cs->e, &fence, 1, ops, n, NULL, 0, NULL, NULL, &ok, &rev);
	if (rc < 0)
		return rc;
	if (!ok) {
		cs->fence_refused++;
		cs->fenced = true; /* cluster_store_poll demotes */
		log_warnx("cluster: etcd refused gateway %s's learned entries: %s is no longer at "
			  "revision %lld (another gateway took it)",
			  cs->gateway, cs->fence_key, (long long)cs->fence_rev);
		return -EPERM;
	}
	for (size_t i = 0; i < ndel; i++)
		row_del(L, dels[i]);
	for (size_t i = 0; i < nput; i++)
		if (!row_set(L, &puts[i]))
			return -ENOMEM; /* put again next time: harmless */
	L->withdrawn += ndel;
	L->published += nput;
	return 0;
}

static void publish(struct cluster_store *cs)
{
	struct cs_learned *L = cs->learned;
	struct diff d = {.L = L};
	struct lrow *r, *tmp, **dels = NULL;
	size_t ndel = 0, total, budget, done = 0, di = 0, pi = 0;
	int rc;

	HASH_ITER(hh, L->rows, r, tmp)
	r->mark = false;
	rc = L->dp->ops->learned_list(L->dp, collect, &d);
	if (rc < 0) {
		log_warnx("cluster: cannot read the learned entries: %s", strerror(-rc));
		free(d.puts);
		return;
	}
	dels = calloc(HASH_COUNT(L->rows) + 1, sizeof(*dels));
	if (!dels) {
		free(d.puts);
		return;
	}
	HASH_ITER(hh, L->rows, r, tmp)
	if (!r->mark)
		dels[ndel++] = r;
	/* Deletions first: the data plane forgot them, and a standby that
	 * took over with them would route to a host that left. */
	total = ndel + d.n;
	budget = total < L->rate ? total : L->rate;
	while (done < budget) {
		size_t room = budget - done < TXN_OPS ? budget - done : TXN_OPS;
		size_t nd = ndel - di < room ? ndel - di : room;
		size_t np = room - nd;

		rc = publish_chunk(cs, dels + di, nd, d.puts + pi, np);
		if (rc < 0)
			break;
		di += nd;
		pi += np;
		done += nd + np;
	}
	if (rc < 0 && rc != -EPERM && rc != -ENOMEM) {
		log_warnx("cluster: learned entries not written to etcd (written when it "
			  "answers): %s",
			  etcd_error(cs->e));
		cs_failed(cs);
	} else if (rc == 0 && total) {
		cs_ok(cs);
	}
	L->waiting = total - done + (d.nomem ? 1 : 0);
	if (L->waiting && !L->said_waiting)
		log_notice("cluster: %llu learned entr%s wait%s for the next interval "
			   "(--learned-rate %u a second)",
			   (unsigned long long)L->waiting, L->waiting == 1 ? "y" : "ies",
			   L->waiting == 1 ? "s" : "", L->rate);
	L->said_waiting = L->waiting != 0;
	free(dels);
	free(d.puts);
}

/* ---- a standby: mirror ----------------------------------------------------------- */

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* PREFIX learned/KIND/HEX -> l's kind and key; NULL, or what is wrong. */
static const char *parse_key(const struct cs_learned *L, const char *key, size_t len,
			     struct dp_learned *l)
{
	size_t pl = strlen(L->prefix), nl;
	const char *p = key + pl, *end = key + len, *slash;

	slash = memchr(p, '/', (size_t)(end - p));
	if (!slash)
		return "not learned/KIND/KEY";
	nl = (size_t)(slash - p);
	for (uint8_t k = DP_LEARNED_IKE; k <= DP_LEARNED_OUT_SPI; k++)
		if (strlen(kind_name[k]) == nl && !memcmp(p, kind_name[k], nl))
			l->kind = k;
	if (!l->kind)
		return "unknown kind (ike, icmp, out)";
	l->klen = kind_klen[l->kind];
	p = slash + 1;
	if ((size_t)(end - p) != 2u * l->klen)
		return "key of the wrong length";
	for (size_t i = 0; i < l->klen; i++) {
		int hi = unhex(p[2 * i]), lo = unhex(p[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return "key not in lower-case hex";
		l->key[i] = (uint8_t)(hi << 4 | lo);
	}
	return NULL;
}

static bool get_addr(struct json_object *o, const char *k, struct in_addr *out)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) &&
	       inet_pton(AF_INET, json_object_get_string(v), out) == 1;
}

static const char *parse_value(const struct etcd_kv *kv, struct dp_learned *l)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = NULL, *v;
	const char *why = NULL;
	char *end;
	unsigned long id;
	int64_t t;

	if (tok && kv->value_len <= 4096) {
		o = json_tokener_parse_ex(tok, kv->value, (int)kv->value_len);
		if (o && tok->char_offset != (int)kv->value_len) {
			json_object_put(o);
			o = NULL;
		}
	}
	json_tokener_free(tok);
	if (!o || !json_object_is_type(o, json_type_object)) {
		why = "not a JSON object";
		goto out;
	}
	if (!json_object_object_get_ex(o, "host", &v) ||
	    !json_object_is_type(v, json_type_string) || strlen(json_object_get_string(v)) != 8) {
		why = "no host (8 hex digits)";
		goto out;
	}
	id = strtoul(json_object_get_string(v), &end, 16);
	if (*end || !id || id > UINT32_MAX) {
		why = "host is not a Client ID in hex";
		goto out;
	}
	l->client_id = (uint32_t)id;
	if (!get_addr(o, "xa", &l->xa) || !get_addr(o, "remote", &l->remote)) {
		why = "xa or remote is not an IPv4 address";
		goto out;
	}
	if (!json_object_object_get_ex(o, "tunnel", &v) || !json_object_is_type(v, json_type_int) ||
	    (t = json_object_get_int64(v)) < 0 || t > 255) {
		why = "tunnel is not a number 0-255";
		goto out;
	}
	l->tunnel = (uint8_t)t;
	/* An ike row says which kind its key is, and a peer entry whether it
	 * names several hosts: the same words in the key and the value, or
	 * the row is refused (a writer that does not know peer entries). */
	if (l->kind == DP_LEARNED_IKE) {
		uint16_t kind = ike_kind(l);

		if (json_object_object_get_ex(o, "kind", &v)
			? !json_object_is_type(v, json_type_int) ||
			      json_object_get_int64(v) != (int64_t)kind
			: kind != RSIP_IKE_KIND_COOKIE) {
			why = "kind is not its key's (0 a cookie, 1 a peer entry)";
			goto out;
		}
	}
	if (json_object_object_get_ex(o, "several", &v)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			why = "several is not true or false";
			goto out;
		}
		if (l->kind != DP_LEARNED_IKE || ike_kind(l) != RSIP_IKE_KIND_PEER) {
			why = "several on a row that is not an IKE peer entry";
			goto out;
		}
		l->several = json_object_get_boolean(v);
	}
out:
	json_object_put(o);
	return why;
}

static const char *put_error(int rc, const char *why)
{
	switch (rc) {
	case -ENOENT:
		return "its host is not mirrored here (Client ID and address)";
	case -EINVAL:
		return why ? why : "does not fit its host";
	case -EDQUOT:
		return "its host holds its cap of learned entries";
	}
	return strerror(-rc);
}

/* Writes r into the data plane; false: refused (logged, the row goes).
 * refresh: the periodic rewrite of what is in place (not counted). */
static bool apply(struct cs_learned *L, struct lrow *r, const char *key, size_t klen, bool refresh)
{
	const char *why = NULL;
	int rc = L->dp->ops->learned_put(L->dp, &r->l, &why);

	if (rc == -EAGAIN) {
		if (!r->pending)
			L->npending++;
		r->pending = true;
		return true;
	}
	if (r->pending)
		L->npending--;
	r->pending = false;
	if (rc < 0) {
		char name[160];

		if (!key) {
			key_of(L, &r->l, name, sizeof(name));
			key = name;
			klen = strlen(name);
		}
		L->refused++;
		log_warnx("cluster: learned entry %.*s (host %08x) from etcd: %s: skipped",
			  (int)klen, key, r->l.client_id, put_error(rc, why));
		row_del(L, r);
		return false;
	}
	if (!refresh)
		L->mirrored++;
	return true;
}

void cs_learned_seen(struct cluster_store *cs, const struct etcd_kv *kv, bool deleted)
{
	struct cs_learned *L = cs->learned;
	struct dp_learned l = {0}, old;
	bool changed = false;
	const char *why;
	struct lrow *r;

	if (cs->active)
		return; /* the active gateway's table is what it published */
	why = parse_key(L, kv->key, kv->key_len, &l);
	if (why || (!deleted && (why = parse_value(kv, &l)))) {
		L->refused++;
		log_warnx("cluster: learned entry %.*s from etcd (revision %lld): %s: skipped",
			  (int)kv->key_len, kv->key, (long long)kv->mod_rev, why);
		return;
	}
	r = row_find(L, &l);
	if (deleted) {
		if (r) {
			L->dp->ops->learned_del(L->dp, &r->l);
			row_del(L, r);
		}
		return;
	}
	if (r && same(&r->l, &l) && !r->pending) {
		r->seen = true; /* in place already */
		return;
	}
	if (r && !same(&r->l, &l)) {
		old = r->l;
		if (old.client_id != l.client_id || old.xa.s_addr != l.xa.s_addr)
			L->dp->ops->learned_del(L->dp, &old); /* another host's now */
		else
			changed = true; /* the same host's (one host became several, another
					 * tunnel): rewritten in place, charged once */
	}
	r = row_set(L, &l); /* NULL (no memory): brought again by the next full read */
	if (r)
		r->seen = true;
	if ((!r || !apply(L, r, kv->key, kv->key_len, false)) && changed)
		L->dp->ops->learned_del(L->dp, &old); /* not written: the old one goes too */
}

void cs_learned_reset(struct cluster_store *cs)
{
	struct lrow *r, *tmp;

	if (!cs->learned)
		return;
	HASH_ITER(hh, cs->learned->rows, r, tmp)
	r->seen = false;
}

/* A full read is complete: an entry it did not bring is gone from etcd. */
void cs_learned_synced(struct cluster_store *cs)
{
	struct cs_learned *L = cs->learned;
	struct lrow *r, *tmp;

	if (!L || cs->active)
		return;
	HASH_ITER(hh, L->rows, r, tmp)
	if (!r->seen) {
		if (L->dp->ops->learned_del)
			L->dp->ops->learned_del(L->dp, &r->l);
		row_del(L, r);
	}
}

void cs_learned_poll(struct cluster_store *cs)
{
	struct cs_learned *L = cs->learned;
	struct lrow *r, *tmp;
	uint64_t now = cs_now_ms();

	if (!L || !L->dp->ops->learned_list)
		return;
	if (!cs->active) {
		bool refresh = now >= L->refresh_ms;

		if (refresh)
			L->refresh_ms = now + REFRESH_EVERY_MS;
		if (refresh || L->npending) /* pending: written once the restore is over */
			HASH_ITER(hh, L->rows, r, tmp)
		if (refresh || r->pending)
			apply(L, r, NULL, 0, !r->pending);
		return;
	}
	if (now < L->due_ms || !L->rate || !cs->last_ok)
		return;
	L->due_ms = now + PUBLISH_EVERY_MS;
	publish(cs);
}

struct json_object *cs_learned_status(const struct cluster_store *cs)
{
	const struct cs_learned *L = cs->learned;
	struct json_object *o = json_object_new_object();

	if (!L)
		return o;
	json_object_object_add(o, "rate", json_object_new_int64(L->rate));
	json_object_object_add(o, "entries", json_object_new_int64(HASH_COUNT(L->rows)));
	json_object_object_add(o, "published", json_object_new_int64((int64_t)L->published));
	json_object_object_add(o, "withdrawn", json_object_new_int64((int64_t)L->withdrawn));
	json_object_object_add(o, "waiting", json_object_new_int64((int64_t)L->waiting));
	json_object_object_add(o, "mirrored", json_object_new_int64((int64_t)L->mirrored));
	json_object_object_add(o, "refused", json_object_new_int64((int64_t)L->refused));
	json_object_object_add(o, "pending", json_object_new_int64((int64_t)L->npending));
	return o;
}
