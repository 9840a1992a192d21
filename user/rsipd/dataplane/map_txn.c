// SPDX-License-Identifier: BSD-2-Clause
/*
 * dpx: map access, the undo journal that makes every call all-or-nothing,
 * and sets of entries (what a client's state asks for).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "maps_internal.h"
#include "log.h"

static int k_lookup(void *arg, int fd, const void *key, void *value)
{
	return bpf_map_lookup_elem(fd, key, value);
}

static int k_update(void *arg, int fd, const void *key, const void *value, uint64_t flags)
{
	return bpf_map_update_elem(fd, key, value, flags);
}

static int k_delete(void *arg, int fd, const void *key)
{
	return bpf_map_delete_elem(fd, key);
}

static int k_next_key(void *arg, int fd, const void *key, void *next)
{
	return bpf_map_get_next_key(fd, key, next);
}

static int k_lookup_batch(void *arg, int fd, void *in_batch, void *out_batch, void *keys,
			  void *values, uint32_t *count)
{
	return bpf_map_lookup_batch(fd, in_batch, out_batch, keys, values, count, NULL);
}

static int k_update_batch(void *arg, int fd, const void *keys, const void *values, uint32_t *count)
{
	return bpf_map_update_batch(fd, keys, values, count, NULL);
}

static int k_delete_batch(void *arg, int fd, const void *keys, uint32_t *count)
{
	return bpf_map_delete_batch(fd, keys, count, NULL);
}

/* BPF_PROG_TEST_RUN of the BPF_PROG_TYPE_SYSCALL program: the kernel
 * copies the context back into req. */
static int k_learned_add(void *arg, int prog_fd, struct rsip_learned_req *req)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = req, .ctx_size_in = sizeof(*req));

	return bpf_prog_test_run_opts(prog_fd, &o);
}

const struct dpx_map_ops dpx_kernel_ops = {
    .lookup = k_lookup,
    .update = k_update,
    .delete = k_delete,
    .next_key = k_next_key,
    .lookup_batch = k_lookup_batch,
    .update_batch = k_update_batch,
    .delete_batch = k_delete_batch,
    .learned_add = k_learned_add,
};

int dpx_lookup(struct dpx *x, int fd, const void *key, void *val)
{
	int err = x->ops->lookup(x->ops->arg, fd, key, val);

	if (!err && dir_is(x, fd) && dir_empty(val))
		return -ENOENT;
	return err;
}

int dpx_next_key(struct dpx *x, int fd, const void *key, void *next)
{
	return x->ops->next_key(x->ops->arg, fd, key, next);
}

int dpx_raw_update(struct dpx *x, int fd, const void *key, const void *val, uint64_t flags)
{
	int err = x->ops->update(x->ops->arg, fd, key, val, flags);

	/* A full BPF hash map says E2BIG; callers and the engine speak ENOSPC. */
	return err == -E2BIG ? -ENOSPC : err;
}

int dpx_raw_delete(struct dpx *x, int fd, const void *key)
{
	if (dir_is(x, fd)) {
		struct rsip_dir_val v;
		int err = dpx_lookup(x, fd, key, &v);

		if (err)
			return err;
		memset(&v, 0, sizeof(v));
		return dpx_raw_update(x, fd, key, &v, BPF_ANY);
	}
	return x->ops->delete (x->ops->arg, fd, key);
}

/* --- entry sets ------------------------------------------------------- */

struct dpx_entry *set_add(struct dpx_set *s, int fd, const void *key, unsigned int klen,
			  const void *val, unsigned int vlen, unsigned int cfg_len)
{
	struct dpx_entry *e;

	if (klen > DPX_KEY_MAX || vlen > DPX_VAL_MAX || cfg_len > vlen)
		return NULL;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct dpx_entry *n = realloc(s->e, cap * sizeof(*n));

		if (!n)
			return NULL;
		s->e = n;
		s->cap = cap;
	}
	e = &s->e[s->n++];
	memset(e, 0, sizeof(*e));
	e->fd = fd;
	e->klen = klen;
	e->vlen = vlen;
	e->cfg_len = cfg_len;
	memcpy(e->key, key, klen);
	if (val)
		memcpy(e->val, val, vlen);
	return e;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct dpx_entry *x = a, *y = b;

	if (x->fd != y->fd)
		return x->fd < y->fd ? -1 : 1;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	return memcmp(x->key, y->key, x->klen);
}

void set_sort(struct dpx_set *s)
{
	if (s->n > 1)
		qsort(s->e, s->n, sizeof(*s->e), entry_cmp);
}

const struct dpx_entry *set_find(const struct dpx_set *s, int fd, const void *key,
				 unsigned int klen)
{
	struct dpx_entry probe = {.fd = fd, .klen = klen};

	if (!s->n)
		return NULL;
	memcpy(probe.key, key, klen);
	return bsearch(&probe, s->e, s->n, sizeof(*s->e), entry_cmp);
}

void set_free(struct dpx_set *s)
{
	free(s->e);
	memset(s, 0, sizeof(*s));
}

/* --- the journal -------------------------------------------------------- */

void txn_begin(struct dpx_txn *t, struct dpx *x)
{
	memset(t, 0, sizeof(*t));
	t->x = x;
}

int txn_put(struct dpx_txn *t, const struct dpx_entry *e)
{
	uint8_t old[DPX_VAL_MAX], val[DPX_VAL_MAX];
	struct dpx_entry *u;
	bool had_old;
	int err;

	err = dpx_lookup(t->x, e->fd, e->key, old);
	if (err && err != -ENOENT)
		return err;
	had_old = err == 0;
	if (had_old && memcmp(old, e->val, e->cfg_len) == 0)
		return 0; /* identical live entry: leave it (and its counters) alone */
	memcpy(val, e->val, e->vlen);
	if (had_old)
		memcpy(val + e->cfg_len, old + e->cfg_len, e->vlen - e->cfg_len);

	/* Room in the journal first: a change we could not undo must not
	 * happen. */
	u = set_add(&t->undo, e->fd, e->key, e->klen, had_old ? old : NULL, e->vlen, 0);
	if (!u)
		return -ENOMEM;
	u->had_old = had_old;
	err = dpx_raw_update(t->x, e->fd, e->key, val, BPF_ANY);
	if (err) {
		t->undo.n--;
		return err;
	}
	return 0;
}

int txn_del(struct dpx_txn *t, int fd, const void *key, unsigned int klen, unsigned int vlen)
{
	uint8_t old[DPX_VAL_MAX];
	struct dpx_entry *u;
	int err;

	err = dpx_lookup(t->x, fd, key, old);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	u = set_add(&t->undo, fd, key, klen, old, vlen, 0);
	if (!u)
		return -ENOMEM;
	u->had_old = true;
	err = dpx_raw_delete(t->x, fd, key);
	if (err == -ENOENT)
		err = 0; /* gone meanwhile: nothing to undo either way */
	if (err) {
		t->undo.n--;
		return err;
	}
	return 0;
}

void txn_abort(struct dpx_txn *t)
{
	for (size_t i = t->undo.n; i-- > 0;) {
		const struct dpx_entry *u = &t->undo.e[i];
		int err;

		if (u->had_old)
			err = dpx_raw_update(t->x, u->fd, u->key, u->val, BPF_ANY);
		else
			err = dpx_raw_delete(t->x, u->fd, u->key);
		if (err && err != -ENOENT)
			log_warnx("dpx: rollback of a map entry failed (fd %d): %s", u->fd,
				  strerror(-err));
	}
	set_free(&t->undo);
}

void txn_commit(struct dpx_txn *t)
{
	set_free(&t->undo);
}
