// SPDX-License-Identifier: BSD-2-Clause
/*
 * One gateway's allocator driven hard against a shared etcd, for
 * tests/cluster/test_alloc_two_gateways.sh, which runs two of these at the
 * same time and checks their logs for overlaps (check_overlap.py):
 *
 *   alloc_gw GATEWAY OWNER_BASE SEED ROUNDS LOG [unchecked | outage PID,...]
 *
 * A small pool so that the two gateways meet all the time: ports and SPIs
 * (256 ports, 64 SPI blocks of 16) on 192.0.2.10 and .11; whole addresses
 * mostly end up on 192.0.2.12, where specific ports are asked for too. Each round takes ports (any
 * or specific), single SPIs, SPI runs in blocks or a whole address for one of 16 owners, or gives a
 * grant back. Every claim and every release is logged with the etcd revision that made it: "G|R REV
 * KIND NB VALUE OWNER".
 *
 * "unchecked" is the control: the same allocations without the claims layer
 * (each resource just written to etcd for its revision), so the checker
 * must find overlaps there - proof that it can fail.
 *
 * "outage PIDS" (one gateway): half way, every etcd member (their PIDs) is
 * paused: see outage() below.
 *
 * At the end (checked mode): what this gateway holds locally and what etcd
 * says it holds must be the same, and the allocator passes its selfcheck.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc/alloc.h"
#include "cluster/claims.h"
#include "rsip/wire.h"
#include "store/etcd_client.h"

#define PREFIX	   "/rsip/test-alloc/"
#define N_OWNERS   16
#define MAX_GRANTS 48
#define SPI_SHIFT  4
#define SPI_BLOCK  (1u << SPI_SHIFT)

static const char *const kind_names[] = {"addr", "port", "blk", "spi"};

struct grant {
	struct claim_list items;
};

static struct grant grants[MAX_GRANTS];
static int n_grants;

static int whole_held(void)
{
	int n = 0;
	for (int i = 0; i < n_grants; i++)
		n += grants[i].items.n && grants[i].items.v[0].kind == CLAIM_ADDR;
	return n;
}
static FILE *log_out;
static uint32_t owner_base;
static struct alloc *a;
static struct etcd *e;
static struct claims *cl;
static bool unchecked;
static const char *gw;
static unsigned seed;

static uint32_t rnd(uint32_t n)
{
	return (uint32_t)rand_r(&seed) % n;
}

static void log_items(char what, int64_t rev, const struct claim_list *l)
{
	char nb[INET_ADDRSTRLEN];
	for (size_t i = 0; i < l->n; i++) {
		inet_ntop(AF_INET, &l->v[i].nb, nb, sizeof(nb));
		fprintf(log_out, "%c %lld %s %s %u %u\n", what, (long long)rev,
			kind_names[l->v[i].kind], nb, l->v[i].value, l->v[i].owner);
	}
}

struct req {
	int op;
	uint32_t owner;
	uint16_t n;
	struct in_addr nb;
	uint16_t port;
};

static int take(struct alloc_txn *t, void *arg, struct claim_list *took)
{
	struct req *r = arg;
	struct in_addr nb, any = {0}, want = r->nb;
	uint16_t ports[8];
	uint32_t spis[8], blk;
	bool has_block;
	int rc;
	switch (r->op) {
	case 0: /* ports, any */
		rc = alloc_addr_shared(a, r->owner, want, r->n, 0, &nb);
		if (!rc)
			rc = alloc_ports_any(t, r->owner, nb, r->n, ports);
		for (int i = 0; !rc && i < r->n; i++)
			rc = claim_list_add(took, CLAIM_PORT, nb, ports[i], r->owner);
		return rc;
	case 1: /* one specific port */
		rc = alloc_ports_specific(t, r->owner, r->nb, &r->port, 1);
		return rc ? rc : claim_list_add(took, CLAIM_PORT, r->nb, r->port, r->owner);
	case 2: /* a single SPI */
	case 3: /* a run in a block */
		rc = alloc_addr_shared(a, r->owner, want, 0, r->n, &nb);
		if (!rc)
			rc = alloc_spi_any(t, r->owner, nb, r->n, spis, &has_block, &blk);
		if (!rc && has_block)
			rc = claim_list_add(took, CLAIM_BLOCK, nb, blk, r->owner);
		for (int i = 0; !rc && i < r->n; i++)
			rc = claim_list_add(took, CLAIM_SPI, nb, spis[i], r->owner);
		return rc;
	default: /* a whole address */
		rc = alloc_addr_whole(t, r->owner, any, &nb);
		return rc ? rc : claim_list_add(took, CLAIM_ADDR, nb, 0, r->owner);
	}
}

static char *key_of(const struct claim *c, char *buf, size_t len)
{
	char nb[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &c->nb, nb, sizeof(nb));
	if (c->kind == CLAIM_ADDR)
		snprintf(buf, len, "%salloc/addr/%s", PREFIX, nb);
	else
		snprintf(buf, len, "%salloc/%s/%s/%08x", PREFIX, kind_names[c->kind], nb, c->value);
	return buf;
}

/* The control: allocate locally and just write the keys (no comparison). */
static int take_unchecked(struct req *r, struct claim_list *took, int64_t *rev)
{
	struct alloc_txn *t = alloc_txn_begin(a);
	int rc = take(t, r, took);
	if (rc) {
		alloc_txn_abort(t);
		return rc;
	}
	alloc_txn_commit(t);
	for (size_t i = 0; i < took->n; i++) {
		char k[160], v[64];
		snprintf(v, sizeof(v), "%s %08x", gw, took->v[i].owner);
		if (etcd_put(e, key_of(&took->v[i], k, sizeof(k)), v, strlen(v), 0, rev) < 0)
			return RSIP_E_INTERNAL_SERVER_ERROR;
	}
	return 0;
}

static void release_unchecked(struct claim_list *l, int64_t *rev)
{
	for (size_t i = 0; i < l->n; i++) {
		struct claim *c = &l->v[i];
		uint16_t port = (uint16_t)c->value;
		char k[160];
		if (c->kind == CLAIM_PORT)
			alloc_ports_release(a, c->owner, c->nb, &port, 1);
		else if (c->kind == CLAIM_SPI)
			alloc_spi_release(a, c->owner, c->nb, &c->value, 1);
		else if (c->kind == CLAIM_ADDR)
			alloc_addr_whole_release(a, c->owner, c->nb);
		etcd_delete(e, key_of(c, k, sizeof(k)), NULL, NULL, rev);
	}
}

static void release_one(void)
{
	int i = (int)rnd((uint32_t)n_grants);
	struct claim_list *l = &grants[i].items, blocks = {0}, gone = {0};
	int64_t rev = 0;
	/* The blocks the owner has now that this grant has SPIs in: those it
	 * no longer owns afterwards went back with this release (whichever
	 * grant listed them). */
	for (size_t k = 0; k < l->n; k++) {
		struct claim *c = &l->v[k];
		uint32_t idx = c->value / SPI_BLOCK;
		if (c->kind == CLAIM_SPI && alloc_spi_block_owner(a, c->nb, idx) == c->owner)
			claim_list_add(&blocks, CLAIM_BLOCK, c->nb, idx, c->owner);
	}
	if (unchecked) {
		release_unchecked(l, &rev);
	} else {
		int rc = claims_release(cl, l->v, l->n, &rev);
		if (rc < 0) {
			fprintf(stderr, "%s: release failed: %s\n", gw, etcd_error(e));
			exit(1);
		}
	}
	for (size_t k = 0; k < l->n; k++)
		if (l->v[k].kind != CLAIM_BLOCK)
			claim_list_add(&gone, l->v[k].kind, l->v[k].nb, l->v[k].value,
				       l->v[k].owner);
	for (size_t k = 0; k < blocks.n; k++) {
		struct claim *b = &blocks.v[k];
		bool dup = false;
		for (size_t j = 0; j < gone.n; j++)
			dup |= gone.v[j].kind == CLAIM_BLOCK && gone.v[j].value == b->value &&
			       gone.v[j].nb.s_addr == b->nb.s_addr;
		if (!dup && alloc_spi_block_owner(a, b->nb, b->value) != b->owner)
			claim_list_add(&gone, CLAIM_BLOCK, b->nb, b->value, b->owner);
	}
	log_items('R', rev, &gone);
	claim_list_free(&blocks);
	claim_list_free(&gone);
	claim_list_free(l);
	grants[i] = grants[--n_grants];
	grants[n_grants].items = (struct claim_list){0};
}

struct verify {
	int mine, bad;
};

static int verify_kv(void *arg, const struct etcd_kv *kv)
{
	struct verify *v = arg;
	char g[40];
	unsigned owner;
	if (sscanf(kv->value, "%39s %x", g, &owner) != 2 || strcmp(g, gw))
		return 0;
	v->mine++;
	/* Find it among the live grants. */
	for (int i = 0; i < n_grants; i++)
		for (size_t k = 0; k < grants[i].items.n; k++) {
			char key[160];
			if (!strcmp(key_of(&grants[i].items.v[k], key, sizeof(key)), kv->key))
				return 0;
		}
	/* A block of an owner whose grant listing it was released while
	 * another grant still has SPIs in it. */
	if (strstr(kv->key, "/alloc/blk/"))
		return 0;
	fprintf(stderr, "%s: etcd says %s is ours, no live grant has it\n", gw, kv->key);
	v->bad++;
	return 0;
}

static struct in_addr pool[3];

static void one_round(int round, int *granted, int *refused)
{
	uint32_t r = rnd(100);
	if (n_grants > 0 && (r >= 75 || n_grants == MAX_GRANTS)) {
		release_one();
		return;
	}
	struct req q = {.owner = owner_base + rnd(N_OWNERS)};
	q.nb = pool[rnd(2)]; /* shared use: .10 or .11 */
	if (r < 30) {
		q.op = 0;
		q.n = (uint16_t)(1 + rnd(4));
	} else if (r < 40) {
		q.op = 1;
		q.nb = pool[rnd(3)];
		q.port = (uint16_t)(2000 + rnd(256));
	} else if (r < 55) {
		q.op = 2;
		q.n = 1;
	} else if (r < 68) {
		q.op = 3;
		q.n = (uint16_t)(2 + rnd(6));
	} else if (whole_held() == 0) {
		q.op = 4; /* one whole address at a time: shared use stays possible */
	} else {
		q.op = 0;
		q.n = 1;
	}
	struct claim_list *took = &grants[n_grants].items;
	int64_t rev = 0;
	int rc;
	if (unchecked) {
		rc = take_unchecked(&q, took, &rev);
	} else {
		rc = claims_alloc(cl, take, &q, took, &rev);
	}
	if (rc == 0 && took->n) {
		log_items('G', rev, took);
		n_grants++;
		(*granted)++;
	} else {
		claim_list_free(took);
		(*refused)++;
	}
	if (round % 16 == 0 && cl)
		claims_poll(cl, 0);
}

/* Every member stopped answering (SIGSTOP): an allocation is refused with
 * 104 and takes nothing; a release gives back locally and leaves its
 * deletions for later; once the members answer again, the deletions go
 * through and allocations work, without a restart. */
static int outage(char *pids)
{
	pid_t pid[8];
	int n = 0, bad = 0;
	for (char *save = NULL, *t = strtok_r(pids, ",", &save); t && n < 8;
	     t = strtok_r(NULL, ",", &save))
		pid[n++] = (pid_t)atoi(t);
	struct alloc_usage before, after;
	struct claims_stats st;
	for (int i = 0; i < n; i++)
		kill(pid[i], SIGSTOP);
	alloc_expire(a);
	alloc_usage(a, &before);
	struct req q = {.op = 0, .owner = owner_base + 1, .n = 2}; /* any Nb */
	struct claim_list took = {0};
	int rc = claims_alloc(cl, take, &q, &took, NULL);
	alloc_expire(a);
	alloc_usage(a, &after);
	claims_stats(cl, &st);
	printf("%s: %d grants held when etcd went silent\n", gw, n_grants);
	printf("%s: etcd silent: allocation answered RSIP %d (%s)\n", gw, rc, etcd_error(e));
	if (rc != RSIP_E_INTERNAL_SERVER_ERROR || st.unreachable != 1 || took.n != 0) {
		fprintf(stderr, "%s: allocation without etcd: rc %d, unreachable %llu\n", gw, rc,
			(unsigned long long)st.unreachable);
		bad++;
	}
	if (after.ports_used != before.ports_used || after.spis_used != before.spis_used ||
	    after.addrs_whole != before.addrs_whole || alloc_selfcheck(a) != 0) {
		fprintf(stderr, "%s: a refused allocation kept something\n", gw);
		bad++;
	}
	int64_t rev;
	struct claim_list *l = &grants[0].items;
	size_t n_items = l->n;
	rc = n_grants ? claims_release(cl, l->v, l->n, &rev) : 0;
	claims_stats(cl, &st);
	printf("%s: etcd silent: release of %zu resources: rc %d, %llu deletions pending\n", gw,
	       n_items, rc, (unsigned long long)st.pending);
	if (n_grants == 0 || rc >= 0 || st.pending < n_items) {
		fprintf(stderr, "%s: release without etcd: rc %d, pending %llu\n", gw, rc,
			(unsigned long long)st.pending);
		bad++;
	}
	if (n_grants) {
		claim_list_free(l);
		grants[0] = grants[--n_grants];
		grants[n_grants].items = (struct claim_list){0};
	}
	for (int i = 0; i < n; i++)
		kill(pid[i], SIGCONT);
	for (int i = 0; i < 300; i++) {
		claims_poll(cl, 100);
		claims_stats(cl, &st);
		if (st.pending == 0)
			break;
	}
	rc = claims_alloc(cl, take, &q, &took, NULL);
	claims_stats(cl, &st);
	printf("%s: etcd back: deletions pending %llu, allocation RSIP %d\n", gw,
	       (unsigned long long)st.pending, rc);
	if (st.pending != 0 || rc != 0) {
		fprintf(stderr, "%s: no catch-up after the outage: pending %llu, rc %d (%s)\n", gw,
			(unsigned long long)st.pending, rc, etcd_error(e));
		bad++;
	}
	if (rc == 0 && n_grants < MAX_GRANTS) {
		grants[n_grants++].items = took;
		log_items('G', 0, &took);
	}
	return bad;
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(
		    stderr,
		    "usage: %s GATEWAY OWNER_BASE SEED ROUNDS LOG [unchecked | outage PID,...]\n",
		    argv[0]);
		return 2;
	}
	gw = argv[1];
	owner_base = (uint32_t)strtoul(argv[2], NULL, 0);
	seed = (unsigned)strtoul(argv[3], NULL, 0);
	int rounds = atoi(argv[4]);
	log_out = fopen(argv[5], "w");
	unchecked = argc > 6 && !strcmp(argv[6], "unchecked");
	char *outage_pids = argc > 7 && !strcmp(argv[6], "outage") ? argv[7] : NULL;
	const char *eps = getenv("ETCD_ENDPOINTS");
	if (!log_out || !eps) {
		fprintf(stderr, "need a log file and ETCD_ENDPOINTS\n");
		return 2;
	}

	inet_pton(AF_INET, "192.0.2.10", &pool[0]);
	inet_pton(AF_INET, "192.0.2.11", &pool[1]);
	inet_pton(AF_INET, "192.0.2.12", &pool[2]);
	struct alloc_cfg acfg = {
	    .public_addrs = pool,
	    .n_public = 3,
	    .port_lo = 2000,
	    .port_hi = 2255,
	    .spi_lo = 256,
	    .spi_hi = 256 + 64 * SPI_BLOCK - 1,
	    .spi_block_shift = SPI_SHIFT,
	    .holdback_ms = 50,
	};
	a = alloc_new(&acfg);
	char err[256];
	struct etcd_cfg ecfg = {.endpoints = eps};
	e = etcd_new(&ecfg, err, sizeof(err));
	if (!a || !e) {
		fprintf(stderr, "set-up: %s\n", e ? "alloc" : err);
		return 1;
	}
	struct claims_cfg ccfg = {
	    .etcd = e, .prefix = PREFIX, .gateway = gw, .alloc = a, .spi_block_shift = SPI_SHIFT};
	if (!unchecked && !(cl = claims_new(&ccfg)))
		return 1;

	int granted = 0, refused = 0, bad = 0;
	for (int round = 0; round < rounds; round++) {
		if (outage_pids && round == rounds / 2)
			bad += outage(outage_pids);
		one_round(round, &granted, &refused);
	}

	if (!unchecked) {
		struct verify v = {0};
		char end[160];
		etcd_prefix_end(PREFIX, end, sizeof(end));
		if (etcd_range(e, PREFIX, end, 0, verify_kv, &v, NULL) < 0) {
			fprintf(stderr, "%s: final read: %s\n", gw, etcd_error(e));
			bad++;
		}
		int live = 0;
		for (int i = 0; i < n_grants; i++)
			for (size_t k = 0; k < grants[i].items.n; k++)
				live += grants[i].items.v[k].kind != CLAIM_BLOCK;
		bad += v.bad;
		struct claims_stats st;
		claims_stats(cl, &st);
		printf("%s: %d rounds, %d granted, %d refused; etcd: %llu claims committed, %llu "
		       "conflicts, %llu given up, %llu unreachable; pinned from the other gateway: "
		       "%llu (%llu not pinnable); live: %d resources, %d own keys in etcd\n",
		       gw, rounds, granted, refused, (unsigned long long)st.commits,
		       (unsigned long long)st.conflicts, (unsigned long long)st.exhausted,
		       (unsigned long long)st.unreachable, (unsigned long long)st.pinned,
		       (unsigned long long)st.pin_failed, live, v.mine);
		if (alloc_selfcheck(a) != 0) {
			fprintf(stderr, "%s: allocator selfcheck failed\n", gw);
			bad++;
		}
		claims_free(cl);
	} else {
		printf("%s (unchecked): %d rounds, %d granted, %d refused\n", gw, rounds, granted,
		       refused);
	}
	fclose(log_out);
	etcd_free(e);
	alloc_free(a);
	return bad ? 1 : 0;
}
