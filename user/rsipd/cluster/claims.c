// SPDX-License-Identifier: BSD-2-Clause
/*
 * Claiming in etcd what the local allocator took (claims.h): one etcd
 * transaction per allocation, the allocator transaction committed only
 * when it holds, releases as conditional deletions.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims_internal.h"
#include "log.h"
#include "rsip/wire.h"

#define TXN_MAX_OPS 128 /* etcd's default --max-txn-ops */

int claim_list_add(struct claim_list *l, enum claim_kind kind, struct in_addr nb, uint32_t value,
		   uint32_t owner)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct claim *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return RSIP_E_INTERNAL_SERVER_ERROR;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct claim){.kind = kind, .nb = nb, .value = value, .owner = owner};
	return 0;
}

void claim_list_free(struct claim_list *l)
{
	free(l->v);
	*l = (struct claim_list){0};
}

struct claims *claims_new(const struct claims_cfg *cfg)
{
	size_t gl = cfg->gateway ? strlen(cfg->gateway) : 0;
	size_t pl = cfg->prefix ? strlen(cfg->prefix) : 0;
	if (gl == 0 || gl > CLAIM_GW_MAX ||
	    strspn(cfg->gateway,
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != gl) {
		log_warnx("cluster: gateway name must be 1-%d of A-Z a-z 0-9 _ . -", CLAIM_GW_MAX);
		return NULL;
	}
	if (pl == 0 || pl >= sizeof(((struct claims *)0)->prefix) || cfg->prefix[pl - 1] != '/') {
		log_warnx("cluster: etcd prefix must end with '/' and be shorter than 96");
		return NULL;
	}
	if (!cfg->etcd || !cfg->alloc || cfg->spi_block_shift > 16)
		return NULL;
	struct claims *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->e = cfg->etcd;
	c->a = cfg->alloc;
	c->shift = cfg->spi_block_shift;
	memcpy(c->prefix, cfg->prefix, pl + 1);
	memcpy(c->gw, cfg->gateway, gl + 1);
	snprintf(c->fence, sizeof(c->fence), "%sgw/%s/fence", c->prefix, c->gw);
	char watched[sizeof(c->prefix) + 8];
	snprintf(watched, sizeof(watched), "%salloc/", c->prefix);
	c->w = etcd_watch_new(c->e, watched, &claims_watch_ops, c);
	if (!c->w) {
		free(c);
		return NULL;
	}
	return c;
}

void claims_free(struct claims *c)
{
	if (!c)
		return;
	struct claim_rec *r, *tmp;
	HASH_ITER(hh, c->recs, r, tmp)
	{
		HASH_DEL(c->recs, r);
		free(r);
	}
	etcd_watch_free(c->w);
	claim_list_free(&c->pending);
	free(c);
}

void claims_stats(const struct claims *c, struct claims_stats *st)
{
	*st = c->st;
	st->pending = c->pending.n;
	struct etcd_watch_stats ws;
	etcd_watch_stats(c->w, &ws);
	st->rev = ws.rev;
}

/* --- building the claim transaction -------------------------------------- */

/* Strings the comparisons and operations point to live here until the
 * transaction is sent. */
struct txn_build {
	struct etcd_cmp cmp[TXN_MAX_OPS];
	struct etcd_op ok[TXN_MAX_OPS], fail[TXN_MAX_OPS];
	size_t ncmp, nok, nfail;
	char str[3 * TXN_MAX_OPS][CLAIM_KEY_MAX];
	size_t nstr;
	bool overflow;
};

static char *tb_str(struct txn_build *b)
{
	if (b->nstr == 3 * TXN_MAX_OPS) {
		b->overflow = true;
		return NULL;
	}
	return b->str[b->nstr++];
}

static void tb_cmp(struct txn_build *b, struct etcd_cmp cmp)
{
	for (size_t i = 0; i < b->ncmp; i++)
		if (!strcmp(b->cmp[i].key, cmp.key) &&
		    (b->cmp[i].range_end == NULL) == (cmp.range_end == NULL) &&
		    (!cmp.range_end || !strcmp(b->cmp[i].range_end, cmp.range_end)))
			return; /* the same comparison once is enough */
	if (b->ncmp == TXN_MAX_OPS) {
		b->overflow = true;
		return;
	}
	b->cmp[b->ncmp++] = cmp;
}

static void tb_absent(struct txn_build *b, const char *key)
{
	tb_cmp(b, (struct etcd_cmp){
		      .key = key, .target = ETCD_CMP_VERSION, .result = ETCD_CMP_EQUAL, .num = 0});
}

/* No key in [key, end). */
static void tb_none_in(struct txn_build *b, const char *key, const char *end)
{
	tb_cmp(b, (struct etcd_cmp){.key = key,
				    .range_end = end,
				    .target = ETCD_CMP_VERSION,
				    .result = ETCD_CMP_EQUAL,
				    .num = 0});
}

static void tb_fail_read(struct txn_build *b, const char *key)
{
	if (b->nfail < TXN_MAX_OPS)
		b->fail[b->nfail++] = (struct etcd_op){.type = ETCD_OP_RANGE, .key = key};
}

/* PREFIX alloc/KIND/NB/ and its range end. */
static void tb_nb_range(struct txn_build *b, const struct claims *c, const char *kind,
			struct in_addr nb, char **from, char **to)
{
	char a[INET_ADDRSTRLEN];
	*from = tb_str(b);
	*to = tb_str(b);
	if (!*from || !*to)
		return;
	inet_ntop(AF_INET, &nb, a, sizeof(a));
	snprintf(*from, CLAIM_KEY_MAX, "%salloc/%s/%s/", c->prefix, kind, a);
	etcd_prefix_end(*from, *to, CLAIM_KEY_MAX);
}

/* The key of cl in a string of b. */
static char *tb_key(struct txn_build *b, const struct claims *c, const struct claim *cl)
{
	char *k = tb_str(b);
	if (k && claims_key(c, cl, k, CLAIM_KEY_MAX) < 0)
		b->overflow = true;
	return k;
}

static bool list_has_block(const struct claim_list *l, const struct claim *spi, uint8_t shift)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].kind == CLAIM_BLOCK && l->v[i].owner == spi->owner &&
		    l->v[i].nb.s_addr == spi->nb.s_addr && l->v[i].value == spi->value >> shift)
			return true;
	return false;
}

/* Comparisons: each resource free, or (a block reused) still this owner's
 * here; no whole lease on its address; for a whole address, nothing at all
 * on it; for a new block, no SPI of anybody inside. Operations: a put per
 * new claim. Failure branch: read the keys, to learn who has them. */
static void build_claim(struct claims *c, const struct claim_list *l, struct txn_build *b,
			char vals[][CLAIM_VAL_MAX])
{
	for (size_t i = 0; i < l->n && !b->overflow; i++) {
		const struct claim *cl = &l->v[i];
		char *key = tb_key(b, c, cl), *from, *to;
		if (!key)
			return;
		claims_value(c, cl->owner, vals[i], CLAIM_VAL_MAX);
		struct claim_rec *r = claims_rec_find(c, key);
		bool reuse = cl->kind == CLAIM_BLOCK && r && r->mine && r->cl.owner == cl->owner;
		if (reuse) {
			tb_cmp(b, (struct etcd_cmp){.key = key,
						    .target = ETCD_CMP_VALUE,
						    .result = ETCD_CMP_EQUAL,
						    .value = vals[i],
						    .value_len = strlen(vals[i])});
		} else {
			tb_absent(b, key);
			if (b->nok == TXN_MAX_OPS) {
				b->overflow = true;
				return;
			}
			b->ok[b->nok++] = (struct etcd_op){.type = ETCD_OP_PUT,
							   .key = key,
							   .value = vals[i],
							   .value_len = strlen(vals[i])};
		}
		tb_fail_read(b, key);
		if (cl->kind == CLAIM_ADDR) {
			static const char *const kinds[] = {"port", "blk", "spi"};
			for (int k = 0; k < 3; k++) {
				tb_nb_range(b, c, kinds[k], cl->nb, &from, &to);
				if (from && to)
					tb_none_in(b, from, to);
			}
			continue;
		}
		struct claim whole = {.kind = CLAIM_ADDR, .nb = cl->nb};
		char *wk = tb_key(b, c, &whole);
		if (!wk)
			return;
		tb_absent(b, wk);
		if (cl->kind == CLAIM_BLOCK && !reuse) {
			struct claim lo = {
			    .kind = CLAIM_SPI, .nb = cl->nb, .value = cl->value << c->shift};
			struct claim hi = lo;
			hi.value = lo.value + ((uint32_t)1 << c->shift) - 1;
			from = tb_key(b, c, &lo);
			to = tb_key(b, c, &hi);
			if (!from || !to)
				return;
			strcat(to, "\x01"); /* range end: just past the last SPI */
			tb_none_in(b, from, to);
		} else if (cl->kind == CLAIM_SPI && !list_has_block(l, cl, c->shift)) {
			struct claim blk = {.kind = CLAIM_BLOCK,
					    .nb = cl->nb,
					    .value = cl->value >> c->shift,
					    .owner = cl->owner};
			char *bk = tb_key(b, c, &blk);
			if (!bk)
				return;
			struct claim_rec *br = claims_rec_find(c, bk);
			if (br && br->mine && br->cl.owner == cl->owner) {
				/* inside the owner's own block: still its */
				char *v = tb_str(b);
				if (!v)
					return;
				claims_value(c, cl->owner, v, CLAIM_KEY_MAX);
				tb_cmp(b, (struct etcd_cmp){.key = bk,
							    .target = ETCD_CMP_VALUE,
							    .result = ETCD_CMP_EQUAL,
							    .value = v,
							    .value_len = strlen(v)});
			} else {
				tb_absent(b, bk);
				tb_fail_read(b, bk);
			}
		}
	}
}

/* --- allocating ------------------------------------------------------------- */

/* Rewrite the fence: from its new revision on, no claim txn sent before can
 * apply (each compares the old one). */
static int fence_bump(struct claims *c)
{
	int64_t rev = 0;
	int rc = etcd_put(c->e, c->fence, c->gw, strlen(c->gw), 0, &rev);
	if (rc == 0)
		c->fence_rev = rev; /* a put's revision is the key's mod revision */
	return rc;
}

struct learnt {
	char key[CLAIM_KEY_MAX];
	char val[CLAIM_VAL_MAX];
	int64_t rev;
};

struct learn_buf {
	struct learnt v[TXN_MAX_OPS];
	size_t n;
};

static int learn_kv(void *arg, const struct etcd_kv *kv)
{
	struct learn_buf *lb = arg;
	if (lb->n < TXN_MAX_OPS && kv->key_len < CLAIM_KEY_MAX && kv->value_len < CLAIM_VAL_MAX) {
		memcpy(lb->v[lb->n].key, kv->key, kv->key_len + 1);
		memcpy(lb->v[lb->n].val, kv->value, kv->value_len + 1);
		lb->v[lb->n].rev = kv->mod_rev;
		lb->n++;
	}
	return 0;
}

/* After a timeout: did the claim land? The fence first, so that it cannot
 * land later; then its first put tells (the txn is atomic). 1 yes, 0 no,
 * -errno when etcd cannot say. */
static int claim_landed(struct claims *c, const struct txn_build *b, int64_t *rev)
{
	static struct learn_buf lb;
	lb.n = 0;
	c->fence_rev = 0;
	int rc = fence_bump(c);
	if (rc < 0)
		return rc;
	if (b->nok == 0)
		return 0;
	rc = etcd_range(c->e, b->ok[0].key, NULL, 0, learn_kv, &lb, NULL);
	if (rc < 0)
		return rc;
	if (lb.n == 1 && lb.v[0].rev < c->fence_rev &&
	    !strcmp(lb.v[0].val, (const char *)b->ok[0].value)) {
		*rev = lb.v[0].rev;
		return 1;
	}
	return 0;
}

int claims_alloc(struct claims *c, claims_alloc_fn fn, void *arg, struct claim_list *took,
		 int64_t *rev_out)
{
	static struct txn_build b; /* large; single-threaded like the allocator */
	static struct learn_buf lb;
	static char vals[TXN_MAX_OPS][CLAIM_VAL_MAX];
	int rc = RSIP_E_INTERNAL_SERVER_ERROR;

	for (int attempt = 0; attempt < CLAIM_RETRIES; attempt++) {
		/* Others' recent claims first: fewer conflicts. */
		claims_poll(c, 0);
		if (c->fence_rev == 0 && fence_bump(c) < 0) {
			c->st.unreachable++;
			log_warnx("cluster: allocation refused (RSIP 104), etcd unreachable: %s",
				  etcd_error(c->e));
			rc = RSIP_E_INTERNAL_SERVER_ERROR;
			break;
		}
		struct alloc_txn *t = alloc_txn_begin(c->a);
		if (!t)
			break;
		took->n = 0;
		rc = fn(t, arg, took);
		if (rc != 0) {
			alloc_txn_abort(t);
			break; /* the allocator's answer stands */
		}
		if (took->n == 0) {
			alloc_txn_commit(t);
			break;
		}
		memset(&b, 0, sizeof(b));
		if (took->n > TXN_MAX_OPS)
			b.overflow = true;
		else
			build_claim(c, took, &b, vals);
		tb_cmp(&b, (struct etcd_cmp){.key = c->fence,
					     .target = ETCD_CMP_MOD,
					     .result = ETCD_CMP_EQUAL,
					     .num = c->fence_rev});
		tb_fail_read(&b, c->fence);
		if (b.overflow) {
			alloc_txn_abort(t);
			log_warnx("cluster: an allocation of %zu resources does not fit one etcd "
				  "transaction (%d operations)",
				  took->n, TXN_MAX_OPS);
			rc = RSIP_E_INTERNAL_SERVER_ERROR;
			break;
		}
		bool ok = false;
		int64_t rev = 0;
		lb.n = 0;
		int erc = etcd_txn(c->e, b.cmp, b.ncmp, b.ok, b.nok, b.fail, b.nfail, learn_kv, &lb,
				   &ok, &rev);
		if (erc == -ETIMEDOUT) {
			int landed = claim_landed(c, &b, &rev);
			if (landed < 0) {
				/* Unknown: keep the resources claimed-or-not
				 * out of everybody's reach until etcd says;
				 * the deletions below are conditional. */
				for (size_t i = 0; i < took->n; i++)
					claim_list_add(&c->pending, took->v[i].kind, took->v[i].nb,
						       took->v[i].value, took->v[i].owner);
			}
			erc = landed < 0 ? landed : 0;
			ok = landed == 1;
		}
		if (erc < 0) {
			alloc_txn_abort(t);
			c->st.unreachable++;
			log_warnx("cluster: allocation refused (RSIP 104), etcd unreachable: %s",
				  etcd_error(c->e));
			rc = RSIP_E_INTERNAL_SERVER_ERROR;
			break;
		}
		if (ok) {
			alloc_txn_commit(t);
			for (size_t i = 0; i < took->n; i++)
				claims_own_add(c, &took->v[i], rev);
			c->st.commits++;
			if (rev_out)
				*rev_out = rev;
			rc = 0;
			break;
		}
		alloc_txn_abort(t);
		c->st.conflicts++;
		size_t learnt = 0;
		for (size_t i = 0; i < lb.n; i++) {
			struct claim cl;
			char gw[CLAIM_GW_MAX + 1];
			if (!strcmp(lb.v[i].key, c->fence)) {
				if (lb.v[i].rev != c->fence_rev) {
					/* Another process writes as this gateway? */
					log_warnx("cluster: fence %s moved to revision %lld",
						  c->fence, (long long)lb.v[i].rev);
					c->fence_rev = 0;
					learnt++;
				}
				continue;
			}
			if (claims_parse(c, lb.v[i].key, lb.v[i].val, &cl, gw) &&
			    strcmp(gw, c->gw) != 0) {
				claims_learn_put(c, lb.v[i].key, lb.v[i].val, lb.v[i].rev);
				learnt++;
			}
		}
		/* A range comparison failed (nothing read says why): the
		 * watch will tell; give it a moment. */
		if (learnt == 0)
			claims_poll(c, 20);
		rc = RSIP_E_INTERNAL_SERVER_ERROR;
		if (attempt == CLAIM_RETRIES - 1) {
			c->st.exhausted++;
			log_warnx("cluster: allocation given up after %d conflicts in etcd",
				  CLAIM_RETRIES);
		}
	}
	if (rc != 0)
		took->n = 0;
	return rc;
}

/* --- releasing ---------------------------------------------------------------- */

/* Delete own claims in etcd: all in one txn when every one is still ours,
 * else one by one (a claim that is not ours any more is left alone). */
static int delete_claims(struct claims *c, const struct claim *items, size_t n, int64_t *rev)
{
	static struct txn_build b;
	static char vals[TXN_MAX_OPS][CLAIM_VAL_MAX];
	for (size_t done = 0; done < n;) {
		size_t chunk = n - done < TXN_MAX_OPS ? n - done : TXN_MAX_OPS;
		memset(&b, 0, sizeof(b));
		for (size_t i = 0; i < chunk; i++) {
			const struct claim *cl = &items[done + i];
			char *key = tb_key(&b, c, cl);
			claims_value(c, cl->owner, vals[i], CLAIM_VAL_MAX);
			b.cmp[b.ncmp++] = (struct etcd_cmp){.key = key,
							    .target = ETCD_CMP_VALUE,
							    .result = ETCD_CMP_EQUAL,
							    .value = vals[i],
							    .value_len = strlen(vals[i])};
			b.ok[b.nok++] = (struct etcd_op){.type = ETCD_OP_DELETE, .key = key};
		}
		bool ok = false;
		int rc = etcd_txn(c->e, b.cmp, b.ncmp, b.ok, b.nok, NULL, 0, NULL, NULL, &ok, rev);
		if (rc < 0)
			return rc;
		if (!ok && chunk > 1) {
			for (size_t i = 0; i < chunk; i++) {
				rc = etcd_txn(c->e, &b.cmp[i], 1, &b.ok[i], 1, NULL, 0, NULL, NULL,
					      &ok, rev);
				if (rc < 0)
					return rc;
			}
		}
		for (size_t i = 0; i < chunk; i++)
			claims_own_del(c, &items[done + i]);
		done += chunk;
	}
	return 0;
}

int claims_release(struct claims *c, const struct claim *items, size_t n, int64_t *rev)
{
	struct claim_list del = {0};
	for (size_t i = 0; i < n; i++) {
		const struct claim *cl = &items[i];
		uint16_t port = (uint16_t)cl->value;
		uint32_t freed[1];
		switch (cl->kind) {
		case CLAIM_ADDR:
			alloc_addr_whole_release(c->a, cl->owner, cl->nb);
			break;
		case CLAIM_PORT:
			alloc_ports_release(c->a, cl->owner, cl->nb, &port, 1);
			break;
		case CLAIM_SPI:
			if (alloc_spi_release_blocks(c->a, cl->owner, cl->nb, &cl->value, 1, freed,
						     1) == 1)
				claim_list_add(&del, CLAIM_BLOCK, cl->nb, freed[0], cl->owner);
			break;
		case CLAIM_BLOCK:
			continue; /* goes with its last SPI */
		}
		claim_list_add(&del, cl->kind, cl->nb, cl->value, cl->owner);
	}
	int rc = del.n ? delete_claims(c, del.v, del.n, rev) : 0;
	if (rc < 0) {
		log_warnx("cluster: %zu claims stay in etcd until it answers again: %s", del.n,
			  etcd_error(c->e));
		for (size_t i = 0; i < del.n; i++)
			claim_list_add(&c->pending, del.v[i].kind, del.v[i].nb, del.v[i].value,
				       del.v[i].owner);
	}
	claim_list_free(&del);
	return rc;
}

int claims_poll(struct claims *c, int timeout_ms)
{
	/* Deletions of claims whose txn timed out wait for the fence: a txn
	 * still in flight must not land after its deletion. */
	if (c->pending.n && (c->fence_rev != 0 || fence_bump(c) == 0)) {
		struct claim_list p = c->pending;
		c->pending = (struct claim_list){0};
		if (delete_claims(c, p.v, p.n, NULL) < 0)
			c->pending = p;
		else
			claim_list_free(&p);
	}
	return etcd_watch_poll(c->w, timeout_ms);
}
