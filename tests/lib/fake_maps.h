/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * In-memory stand-ins for BPF hash and per-CPU array maps, behind the dpx map
 * operations, so the map-writing layer can be unit-tested without the
 * kernel: same flags semantics (BPF_NOEXIST, BPF_EXIST), -E2BIG when full,
 * -ENOENT for a missing key, plus failure injection and write counters.
 */
#ifndef RSIP_TEST_FAKE_MAPS_H
#define RSIP_TEST_FAKE_MAPS_H

#include <stdbool.h>
#include <stddef.h>

#include "dataplane/maps.h"

struct fake_maps;

struct fake_maps *fake_maps_new(void);
void fake_maps_free(struct fake_maps *f);
/* A new map; returns its fd (>= 3). */
int fake_map_create(struct fake_maps *f, unsigned int klen, unsigned int vlen,
		    unsigned int max_entries);
/* Ops for struct dpx_config.ops (arg is f). */
const struct dpx_map_ops *fake_maps_ops(struct fake_maps *f);
/* From now on the ops have batch calls too (bpf_map_*_batch semantics). */
void fake_maps_enable_batch(struct fake_maps *f);
/* The next n updates succeed, the one after fails with err (n < 0: never). */
void fake_maps_fail_update_after(struct fake_maps *f, int n, int err);
size_t fake_map_count(struct fake_maps *f, int fd);
/* fn(arg) runs after every batch read (with fake_maps_enable_batch): what
 * a program writes between a batch and the caller's next step. */
void fake_maps_after_batch(struct fake_maps *f, void (*fn)(void *arg), void *arg);
/* Updates and deletes since creation (or the last reset). */
unsigned long fake_maps_writes(struct fake_maps *f);
void fake_maps_reset_writes(struct fake_maps *f);
/* A copy of every map's content, and whether two copies are equal. */
struct fake_snapshot;
struct fake_snapshot *fake_maps_snapshot(struct fake_maps *f);
bool fake_snapshot_equal(const struct fake_snapshot *a, const struct fake_snapshot *b);
void fake_snapshot_free(struct fake_snapshot *s);

/* The rsip_learned program's work on c (fake_learned.c): fills req. Its
 * ops run it on the clients map of fake_maps_dpx, which m->learned names. */
void fake_learned_apply(struct rsip_client *c, struct rsip_learned_req *req);

/* All the maps dpx needs, created in f with the given capacity. */
void fake_maps_dpx(struct fake_maps *f, struct dpx_maps *m, unsigned int max_entries,
		   unsigned int ncpus);

#endif
