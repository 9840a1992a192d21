// SPDX-License-Identifier: BSD-2-Clause
/*
 * dpx: whole-map reads and many-entry writes, for the restart. One system
 * call per chunk of entries (bpf_map_*_batch, Linux >= 5.6) instead of one or
 * two per entry: restoring 100k clients element by element cost seconds of
 * syscalls alone. Map ops without batch calls (the unit tests' in-memory
 * maps) get the same results one element at a time (the map ops'
 * single-element calls).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h> /* BPF_ANY */

#include "maps_internal.h"

/* Entries per system call: large enough that the call overhead vanishes,
 * small enough for a few hundred KiB of buffer. A hash bucket holding more
 * than this makes lookup_batch fail with ENOSPC: it is then retried with a
 * larger chunk. */
#define BATCH_CHUNK 4096u

/* The kernel's ENOTSUPP (include/linux/errno.h, not in the UAPI): a map
 * type without batch calls. */
#define ENOTSUPP_K 524

/* One element at a time: the walk collects keys first (deleting or
 * rewriting while walking a hash map restarts the walk). */
static int dump_slow(struct dpx *x, int fd, unsigned int klen, unsigned int vlen,
		     unsigned int cfg_len, struct dpx_set *out)
{
	uint8_t key[DPX_KEY_MAX], next[DPX_KEY_MAX], val[DPX_VAL_MAX];
	bool first = true;
	int err;

	while ((err = dpx_next_key(x, fd, first ? NULL : key, next)) == 0) {
		first = false;
		memcpy(key, next, klen);
		if (dpx_lookup(x, fd, key, val))
			continue; /* gone meanwhile */
		if (!set_add(out, fd, key, klen, val, vlen, cfg_len))
			return -ENOMEM;
	}
	return err == -ENOENT ? 0 : err;
}

int dpx_dump(struct dpx *x, int fd, unsigned int klen, unsigned int vlen, unsigned int cfg_len,
	     struct dpx_set *out)
{
	const struct dpx_map_ops *b = x->ops;
	uint8_t token[DPX_KEY_MAX > 8 ? DPX_KEY_MAX : 8], *keys = NULL, *vals = NULL;
	uint32_t chunk = BATCH_CHUNK, n;
	bool first = true, done = false;
	int err = 0;

	if (!b || !b->lookup_batch)
		return dump_slow(x, fd, klen, vlen, cfg_len, out);
	if (klen > DPX_KEY_MAX || vlen > DPX_VAL_MAX)
		return -EINVAL;
	while (!done) {
		uint8_t *nk = realloc(keys, (size_t)chunk * klen);
		uint8_t *nv = nk ? realloc(vals, (size_t)chunk * vlen) : NULL;

		if (nk)
			keys = nk;
		if (!nk || !nv) {
			err = -ENOMEM;
			break;
		}
		vals = nv;
		n = chunk;
		err = b->lookup_batch(b->arg, fd, first ? NULL : token, token, keys, vals, &n);
		if (first && (err == -EINVAL || err == -EOPNOTSUPP || err == -ENOTSUPP_K)) {
			free(keys);
			free(vals);
			return dump_slow(x, fd, klen, vlen, cfg_len, out); /* no batch calls */
		}
		if (err == -ENOSPC && n == 0 && chunk < (1u << 20)) {
			chunk *= 4; /* one bucket holds more than a chunk */
			continue;
		}
		if (err == -ENOENT) {
			done = true; /* the last (possibly empty) chunk */
			err = 0;
		}
		if (err)
			break;
		first = false;
		for (uint32_t i = 0; i < n; i++) {
			if (dir_is(x, fd) && dir_empty(vals + (size_t)i * vlen))
				continue;
			if (!set_add(out, fd, keys + (size_t)i * klen, klen,
				     vals + (size_t)i * vlen, vlen, cfg_len)) {
				err = -ENOMEM;
				done = true;
				break;
			}
		}
	}
	free(keys);
	free(vals);
	return err;
}

/* The entries of s[from, to) (all of map fd, same key and value sizes) as
 * two packed arrays. */
static int pack(const struct dpx_set *s, size_t from, size_t to, uint8_t **keys, uint8_t **vals)
{
	unsigned int klen = s->e[from].klen, vlen = s->e[from].vlen;

	*keys = malloc((to - from) * klen);
	*vals = malloc((to - from) * vlen);
	if (!*keys || !*vals)
		return -ENOMEM;
	for (size_t i = from; i < to; i++) {
		memcpy(*keys + (i - from) * klen, s->e[i].key, klen);
		memcpy(*vals + (i - from) * vlen, s->e[i].val, vlen);
	}
	return 0;
}

/* s[from, to): one map's entries, written (del false) or deleted. */
static int run_batch(struct dpx *x, const struct dpx_set *s, size_t from, size_t to, bool del)
{
	const struct dpx_map_ops *b = x->ops;
	uint8_t *keys = NULL, *vals = NULL;
	int fd = s->e[from].fd, err;

	/* An array has no delete: the directory's empty slots are written. */
	if (!b || (del ? !b->delete_batch || dir_is(x, fd) : !b->update_batch)) {
		for (size_t i = from; i < to; i++) {
			const struct dpx_entry *e = &s->e[i];

			err = del ? dpx_raw_delete(x, fd, e->key)
				  : dpx_raw_update(x, fd, e->key, e->val, BPF_ANY);
			if (err && !(del && err == -ENOENT))
				return err;
		}
		return 0;
	}
	err = pack(s, from, to, &keys, &vals);
	for (size_t at = from; !err && at < to;) {
		uint32_t n = to - at > BATCH_CHUNK ? BATCH_CHUNK : (uint32_t)(to - at);
		size_t off = at - from;

		if (del) {
			err = b->delete_batch(b->arg, fd, keys + off * s->e[from].klen, &n);
			/* A key that went meanwhile stops a delete batch after n
			 * entries: skip that one and go on. */
			if (err == -ENOENT) {
				err = 0;
				n++;
			}
		} else {
			err = b->update_batch(b->arg, fd, keys + off * s->e[from].klen,
					      vals + off * s->e[from].vlen, &n);
			if (err == -E2BIG)
				err = -ENOSPC; /* a full hash map (dpx_raw_update) */
		}
		if (!err && n == 0)
			err = -EIO; /* no progress: never loop */
		at += n;
	}
	free(keys);
	free(vals);
	return err;
}

/* Runs over a sorted set one map (run of equal fd) at a time. */
static int by_map(struct dpx *x, const struct dpx_set *s, bool del)
{
	int err = 0;

	for (size_t i = 0; !err && i < s->n;) {
		size_t j = i + 1;

		while (j < s->n && s->e[j].fd == s->e[i].fd)
			j++;
		err = run_batch(x, s, i, j, del);
		i = j;
	}
	return err;
}

int dpx_write_all(struct dpx *x, const struct dpx_set *s)
{
	return by_map(x, s, false);
}

int dpx_delete_all(struct dpx *x, const struct dpx_set *s)
{
	return by_map(x, s, true);
}
