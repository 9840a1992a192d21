// SPDX-License-Identifier: BSD-2-Clause
/* In-memory BPF maps for unit tests (fake_maps.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include "fake_maps.h"

#define FAKE_MAX_MAPS 32

struct fake_map {
	unsigned int klen, vlen, max;
	size_t n;
	unsigned char *keys, *vals; /* max * klen, max * vlen */
};

struct fake_maps {
	struct fake_map maps[FAKE_MAX_MAPS];
	int nmaps;
	int fail_after, fail_err;
	unsigned long writes;
	struct dpx_map_ops ops;
	void (*after_batch)(void *arg); /* fake_maps_after_batch */
	void *after_batch_arg;
};

struct fake_snapshot {
	int nmaps;
	struct fake_map maps[FAKE_MAX_MAPS];
};

#define FD_BASE 3

static struct fake_map *map_of(struct fake_maps *f, int fd)
{
	if (fd < FD_BASE || fd >= FD_BASE + f->nmaps)
		return NULL;
	return &f->maps[fd - FD_BASE];
}

static long find(const struct fake_map *m, const void *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (memcmp(m->keys + i * m->klen, key, m->klen) == 0)
			return (long)i;
	return -1;
}

static int f_lookup(void *arg, int fd, const void *key, void *value)
{
	struct fake_map *m = map_of(arg, fd);
	long i;

	if (!m)
		return -EBADF;
	i = find(m, key);
	if (i < 0)
		return -ENOENT;
	memcpy(value, m->vals + i * m->vlen, m->vlen);
	return 0;
}

/* fake_maps_fail_update_after: the call that reaches 0 fails once with the
 * chosen error; the calls before it count down. */
static int injected_failure(struct fake_maps *f)
{
	if (f->fail_after == 0) {
		f->fail_after = -1;
		return f->fail_err;
	}
	if (f->fail_after > 0)
		f->fail_after--;
	return 0;
}

static int f_update(void *arg, int fd, const void *key, const void *value, uint64_t flags)
{
	struct fake_maps *f = arg;
	struct fake_map *m = map_of(f, fd);
	long i;
	int rc;

	if (!m)
		return -EBADF;
	rc = injected_failure(f);
	if (rc)
		return rc;
	i = find(m, key);
	if (i >= 0 && flags == BPF_NOEXIST)
		return -EEXIST;
	if (i < 0 && flags == BPF_EXIST)
		return -ENOENT;
	if (i < 0) {
		if (m->n == m->max)
			return -E2BIG;
		i = (long)m->n++;
		memcpy(m->keys + i * m->klen, key, m->klen);
	}
	memcpy(m->vals + i * m->vlen, value, m->vlen);
	f->writes++;
	return 0;
}

static int f_delete(void *arg, int fd, const void *key)
{
	struct fake_maps *f = arg;
	struct fake_map *m = map_of(f, fd);
	long i;

	if (!m)
		return -EBADF;
	i = find(m, key);
	if (i < 0)
		return -ENOENT;
	m->n--;
	memmove(m->keys + i * m->klen, m->keys + (i + 1) * m->klen, (m->n - i) * m->klen);
	memmove(m->vals + i * m->vlen, m->vals + (i + 1) * m->vlen, (m->n - i) * m->vlen);
	f->writes++;
	return 0;
}

static int f_next_key(void *arg, int fd, const void *key, void *next)
{
	struct fake_map *m = map_of(arg, fd);
	long i;

	if (!m)
		return -EBADF;
	/* Like a BPF hash map: an unknown key restarts from the first. */
	i = key ? find(m, key) + 1 : 0;
	if ((size_t)i >= m->n)
		return -ENOENT;
	memcpy(next, m->keys + i * m->klen, m->klen);
	return 0;
}

/* The rsip_learned program (bpf/learned.h) on the in-memory maps: the same
 * rule (rules/learned.h) on the rsip_client entry of the clients map, whose
 * fd names the program here (fake_maps_dpx). A write like any update
 * (counted, failure injection). */
static int f_learned_add(void *arg, int prog_fd, struct rsip_learned_req *req)
{
	struct fake_maps *f = arg;
	struct fake_map *m = map_of(f, prog_fd);
	struct rsip_client c;
	long i;
	int rc;

	if (!m || m->vlen != sizeof(c) || m->klen != sizeof(req->xa))
		return -EBADF;
	rc = injected_failure(f);
	if (rc)
		return rc;
	i = find(m, &req->xa);
	if (i < 0) {
		req->result = RSIP_LREQ_NO_CLIENT;
		return 0;
	}
	memcpy(&c, m->vals + i * m->vlen, sizeof(c));
	fake_learned_apply(&c, req);
	if (req->result == RSIP_LREQ_DONE) {
		memcpy(m->vals + i * m->vlen, &c, sizeof(c));
		f->writes++;
	}
	return 0;
}

/* Batch calls as the kernel's hash maps answer them: the token is where
 * the walk stands (here an index), -ENOENT with the last chunk; update and
 * delete stop at the first failing entry with *count = entries done. */
static int f_lookup_batch(void *arg, int fd, void *in_batch, void *out_batch, void *keys,
			  void *values, uint32_t *count)
{
	struct fake_map *m = map_of(arg, fd);
	uint32_t at = 0, n = 0;

	if (!m)
		return -EBADF;
	if (in_batch)
		memcpy(&at, in_batch, sizeof(at));
	while (n < *count && at < m->n) {
		memcpy((unsigned char *)keys + (size_t)n * m->klen, m->keys + (size_t)at * m->klen,
		       m->klen);
		memcpy((unsigned char *)values + (size_t)n * m->vlen,
		       m->vals + (size_t)at * m->vlen, m->vlen);
		n++;
		at++;
	}
	memcpy(out_batch, &at, sizeof(at));
	*count = n;
	n = at >= m->n; /* the last chunk */
	if (((struct fake_maps *)arg)->after_batch)
		((struct fake_maps *)arg)->after_batch(((struct fake_maps *)arg)->after_batch_arg);
	return n ? -ENOENT : 0;
}

void fake_maps_after_batch(struct fake_maps *f, void (*fn)(void *arg), void *arg)
{
	f->after_batch = fn;
	f->after_batch_arg = arg;
}

/* values NULL: delete. */
static int f_each(void *arg, int fd, const void *keys, const void *values, uint32_t *count)
{
	struct fake_map *m = map_of(arg, fd);
	int err = 0;
	uint32_t i;

	if (!m)
		return -EBADF;
	for (i = 0; !err && i < *count; i++) {
		const unsigned char *k = (const unsigned char *)keys + (size_t)i * m->klen;

		err = values
			  ? f_update(arg, fd, k,
				     (const unsigned char *)values + (size_t)i * m->vlen, BPF_ANY)
			  : f_delete(arg, fd, k);
	}
	*count = err ? i - 1 : i;
	return err;
}

static int f_update_batch(void *arg, int fd, const void *keys, const void *values, uint32_t *count)
{
	return f_each(arg, fd, keys, values, count);
}

static int f_delete_batch(void *arg, int fd, const void *keys, uint32_t *count)
{
	return f_each(arg, fd, keys, NULL, count);
}

void fake_maps_enable_batch(struct fake_maps *f)
{
	f->ops.lookup_batch = f_lookup_batch;
	f->ops.update_batch = f_update_batch;
	f->ops.delete_batch = f_delete_batch;
}

struct fake_maps *fake_maps_new(void)
{
	struct fake_maps *f = calloc(1, sizeof(*f));

	if (!f)
		abort();
	f->fail_after = -1;
	f->ops.lookup = f_lookup;
	f->ops.update = f_update;
	f->ops.delete = f_delete;
	f->ops.next_key = f_next_key;
	f->ops.learned_add = f_learned_add;
	f->ops.arg = f;
	return f;
}

void fake_maps_free(struct fake_maps *f)
{
	for (int i = 0; i < f->nmaps; i++) {
		free(f->maps[i].keys);
		free(f->maps[i].vals);
	}
	free(f);
}

int fake_map_create(struct fake_maps *f, unsigned int klen, unsigned int vlen,
		    unsigned int max_entries)
{
	struct fake_map *m;

	if (f->nmaps == FAKE_MAX_MAPS)
		abort();
	m = &f->maps[f->nmaps];
	m->klen = klen;
	m->vlen = vlen;
	m->max = max_entries;
	m->keys = calloc(max_entries, klen);
	m->vals = calloc(max_entries, vlen);
	if (!m->keys || !m->vals)
		abort();
	return FD_BASE + f->nmaps++;
}

const struct dpx_map_ops *fake_maps_ops(struct fake_maps *f)
{
	return &f->ops;
}

void fake_maps_fail_update_after(struct fake_maps *f, int n, int err)
{
	f->fail_after = n;
	f->fail_err = err;
}

size_t fake_map_count(struct fake_maps *f, int fd)
{
	struct fake_map *m = map_of(f, fd);

	return m ? m->n : 0;
}

unsigned long fake_maps_writes(struct fake_maps *f)
{
	return f->writes;
}

void fake_maps_reset_writes(struct fake_maps *f)
{
	f->writes = 0;
}

struct fake_snapshot *fake_maps_snapshot(struct fake_maps *f)
{
	struct fake_snapshot *s = calloc(1, sizeof(*s));

	if (!s)
		abort();
	s->nmaps = f->nmaps;
	for (int i = 0; i < f->nmaps; i++) {
		struct fake_map *m = &f->maps[i];

		s->maps[i] = *m;
		s->maps[i].keys = malloc((size_t)m->max * m->klen);
		s->maps[i].vals = malloc((size_t)m->max * m->vlen);
		if (!s->maps[i].keys || !s->maps[i].vals)
			abort();
		memcpy(s->maps[i].keys, m->keys, m->n * m->klen);
		memcpy(s->maps[i].vals, m->vals, m->n * m->vlen);
	}
	return s;
}

/* Equal content regardless of order. */
bool fake_snapshot_equal(const struct fake_snapshot *a, const struct fake_snapshot *b)
{
	if (a->nmaps != b->nmaps)
		return false;
	for (int i = 0; i < a->nmaps; i++) {
		const struct fake_map *x = &a->maps[i], *y = &b->maps[i];

		if (x->n != y->n)
			return false;
		for (size_t k = 0; k < x->n; k++) {
			long j = find(y, x->keys + k * x->klen);

			if (j < 0 || memcmp(x->vals + k * x->vlen, y->vals + j * y->vlen, x->vlen))
				return false;
		}
	}
	return true;
}

void fake_snapshot_free(struct fake_snapshot *s)
{
	for (int i = 0; i < s->nmaps; i++) {
		free(s->maps[i].keys);
		free(s->maps[i].vals);
	}
	free(s);
}

void fake_maps_dpx(struct fake_maps *f, struct dpx_maps *m, unsigned int max_entries,
		   unsigned int ncpus)
{
	unsigned int tsz = sizeof(struct rsip_target);

	m->clients = fake_map_create(f, 4, sizeof(struct rsip_client), max_entries);
	m->learned = m->clients; /* f_learned_add works on it */
	m->nb = fake_map_create(f, 4, sizeof(struct rsip_nb_val), max_entries);
	m->ports = fake_map_create(f, sizeof(struct rsip_port_key), tsz, max_entries);
	m->ike = fake_map_create(f, sizeof(struct rsip_ike_key), tsz, max_entries);
	m->spi = fake_map_create(f, sizeof(struct rsip_spi_key), tsz, max_entries);
	m->spi_blk = fake_map_create(f, sizeof(struct rsip_blk_key), tsz, max_entries);
	m->icmp_id = fake_map_create(f, sizeof(struct rsip_icmp_key), tsz, max_entries);
	m->out_spi = fake_map_create(f, sizeof(struct rsip_out_key), sizeof(struct rsip_out_val),
				     max_entries);
	m->nb_filter = fake_map_create(f, 4, 4, RSIP_NB_FILTER_WORDS);
	/* A per-CPU array: value = ncpus counters; pre-filled like the kernel. */
	m->stats = fake_map_create(f, 4, 8 * ncpus, RSIP_CNT_SLOTS);
	for (uint32_t k = 0; k < RSIP_CNT_SLOTS; k++) {
		uint64_t zero[ncpus];

		memset(zero, 0, sizeof(zero));
		f_update(f, m->stats, &k, zero, BPF_ANY);
	}
	m->bind_slots = max_entries;
	m->bind_stats_new = false; /* as a pinned map: a restore zeroes the slots it gives out */
	m->bind_stats =
	    fake_map_create(f, 4, sizeof(struct rsip_bind_stats) * ncpus, m->bind_slots);
	for (uint32_t k = 0; k < m->bind_slots; k++) {
		struct rsip_bind_stats zero[ncpus];

		memset(zero, 0, sizeof(zero));
		f_update(f, m->bind_stats, &k, zero, BPF_ANY);
	}
	f->writes = 0;
}
