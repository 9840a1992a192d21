// SPDX-License-Identifier: BSD-2-Clause
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pinned_record.h"
#include "rsip_tc.skel.h"
#include "tc_reuse.h"
#include "xdp_reuse.h"

#define REC_MAP	   "rsip_reuse_tc"
#define PROG_PIN   "prog_" /* as xdp_reuse.c: --detach-on-exit removes them with the rest */
#define REC_LAYOUT 1u
#define REC_NAME   32
#define MAX_OWN	   8  /* maps the TC object creates itself (.rodata, .bss) */
#define MAX_USED   64 /* map ids one program uses */

struct tc_rec_prog {
	char name[REC_NAME];
	uint32_t id;
	uint8_t tag[8];
};

/* The value of the pinned rsip_reuse_tc array (one entry). */
struct tc_reuse_rec {
	uint32_t layout; /* REC_LAYOUT; another value: not ours to read */
	uint32_t n_progs, n_own, pad;
	uint8_t obj_digest[32], cfg_digest[32];
	struct tc_rec_prog prog[TC_REUSE_MAX_PROGS];
	uint32_t own[MAX_OWN];
};

static uint32_t map_id(int fd)
{
	struct bpf_map_info info = {0};
	uint32_t len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ? 0 : info.id;
}

/* The ids of the maps obj shares with the XDP object (every map that is
 * not one of its data sections): the live ones, through bpf_map__fd. */
static unsigned int shared_ids(struct bpf_object *obj, uint32_t *ids, unsigned int max)
{
	struct bpf_map *m;
	unsigned int n = 0;

	bpf_object__for_each_map(m, obj)
	{
		if (!bpf_map__is_internal(m) && bpf_map__fd(m) >= 0 && n < max)
			ids[n++] = map_id(bpf_map__fd(m));
	}
	return n;
}

static bool id_in(const uint32_t *ids, unsigned int n, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* The map ids program fd uses. Their number, or -errno. */
static int used_ids(int fd, uint32_t ids[MAX_USED])
{
	struct bpf_prog_info info = {0};
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return -errno;
	if (info.nr_map_ids > MAX_USED)
		return -E2BIG;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = MAX_USED;
	info.map_ids = (uint64_t)(uintptr_t)ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return -errno;
	return (int)info.nr_map_ids;
}

static int digests(struct bpf_object *obj, const char *pin_path, uint8_t obj_d[32],
		   uint8_t cfg_d[32])
{
	struct xdp_reuse_input in = {.pin_path = pin_path};

	in.elf = rsip_tc__elf_bytes(&in.elf_sz);
	return xdp_reuse_digests(obj, &in, obj_d, cfg_d);
}

/* One pinned program: the recorded one (id, tag, type), using only the
 * shared maps and its own recorded ones. fd, or -errno with why set. */
static int take_one(const char *pin_path, struct bpf_program *p, const struct tc_rec_prog *ro,
		    const struct tc_reuse_rec *rec, const uint32_t *shared, unsigned int n_shared,
		    char *why, size_t why_len)
{
	const char *name = bpf_program__name(p);
	struct bpf_prog_info info = {0};
	uint32_t len = sizeof(info), used[MAX_USED];
	char path[PATH_MAX];
	int fd, n, i, rc = pinned_path(path, sizeof(path), pin_path, PROG_PIN, name);

	if (rc)
		return rc;
	fd = pinned_open(path);
	if (fd < 0) {
		snprintf(why, why_len, "program pin %s%s: %s", PROG_PIN, name, strerror(-fd));
		return fd;
	}
	rc = bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ? -errno : 0;
	if (!rc && (strncmp(ro->name, name, REC_NAME) != 0 || info.id != ro->id ||
		    memcmp(info.tag, ro->tag, sizeof(ro->tag)) != 0 ||
		    info.type != bpf_program__type(p))) {
		snprintf(why, why_len, "the pinned program %s is not the recorded one", name);
		rc = -ESTALE;
	}
	n = rc ? 0 : used_ids(fd, used);
	if (n < 0)
		rc = n;
	for (i = 0; !rc && i < n; i++)
		if (!id_in(shared, n_shared, used[i]) && !id_in(rec->own, rec->n_own, used[i])) {
			snprintf(why, why_len,
				 "the pinned program %s uses map id %u, not one of the XDP "
				 "object's",
				 name, used[i]);
			rc = -ESTALE;
		}
	if (rc) {
		if (!why[0])
			snprintf(why, why_len, "program %s: %s", name, strerror(-rc));
		close(fd);
		return rc;
	}
	return fd;
}

void tc_reuse_take(struct bpf_object *obj, const char *pin_path, bool xdp_reused,
		   struct tc_reuse *r)
{
	struct tc_reuse_rec *rec = calloc(1, sizeof(*rec));
	uint32_t shared[MAX_USED];
	uint8_t obj_d[32], cfg_d[32];
	unsigned int n_shared, n = 0;
	struct bpf_program *p;
	char why[112] = "";
	int rc = 0, fd;

	memset(r, 0, sizeof(*r));
	if (!rec)
		rc = -ENOMEM;
	else if (!xdp_reused) {
		snprintf(why, sizeof(why), "the XDP programs were loaded");
		rc = -ESTALE;
	}
	if (!rc) {
		rc = pinned_record_read(pin_path, REC_MAP, rec, sizeof(*rec));
		if (rc == -ENOENT)
			snprintf(why, sizeof(why), "no record of a previous load");
		else if (rc || rec->layout != REC_LAYOUT || rec->n_own > MAX_OWN ||
			 rec->n_progs > TC_REUSE_MAX_PROGS) {
			snprintf(why, sizeof(why), "the record is unreadable");
			rc = rc ? rc : -EPROTO;
		}
	}
	if (!rc && (rc = digests(obj, pin_path, obj_d, cfg_d)) != 0)
		snprintf(why, sizeof(why), "cannot compute the digests: %s", strerror(-rc));
	if (!rc &&
	    (memcmp(rec->obj_digest, obj_d, 32) != 0 || memcmp(rec->cfg_digest, cfg_d, 32))) {
		snprintf(why, sizeof(why), "another TC object or load-time configuration");
		rc = -ESTALE;
	}
	n_shared = rc ? 0 : shared_ids(obj, shared, MAX_USED);
	bpf_object__for_each_program(p, obj)
	{
		if (rc || !bpf_program__autoload(p))
			continue;
		if (n >= rec->n_progs) {
			snprintf(why, sizeof(why), "the record lists other programs");
			rc = -ENOENT;
			break;
		}
		fd = take_one(pin_path, p, &rec->prog[n], rec, shared, n_shared, why, sizeof(why));
		if (fd < 0) {
			rc = fd;
			break;
		}
		r->prog[n] = p;
		r->fd[n++] = fd;
		r->n = n;
	}
	if (!rc && n != rec->n_progs) {
		snprintf(why, sizeof(why), "the record lists other programs");
		rc = -ENOENT;
	}
	free(rec);
	if (rc) {
		tc_reuse_close(r);
		pinned_record_withdraw(pin_path, REC_MAP);
		snprintf(r->how, sizeof(r->how), "loaded (%s)", why[0] ? why : strerror(-rc));
		return;
	}
	r->reused = true;
	snprintf(r->how, sizeof(r->how), "reused (same object and config)");
}

void tc_reuse_record(struct bpf_object *obj, const char *pin_path)
{
	struct tc_reuse_rec *rec = calloc(1, sizeof(*rec));
	uint32_t shared[MAX_USED], used[MAX_USED];
	unsigned int n_shared = shared_ids(obj, shared, MAX_USED);
	struct bpf_program *p;
	char path[PATH_MAX];
	int rc = rec ? 0 : -ENOMEM, n, i;

	pinned_record_withdraw(pin_path, REC_MAP);
	if (!rc) {
		rec->layout = REC_LAYOUT;
		rc = digests(obj, pin_path, rec->obj_digest, rec->cfg_digest);
	}
	bpf_object__for_each_program(p, obj)
	{
		struct tc_rec_prog *ro = rec ? &rec->prog[rec->n_progs] : NULL;
		struct bpf_prog_info info = {0};
		uint32_t len = sizeof(info);

		if (rc)
			break;
		rc = pinned_path(path, sizeof(path), pin_path, PROG_PIN, bpf_program__name(p));
		if (rc)
			break;
		unlink(path); /* the previous load's */
		if (!bpf_program__autoload(p))
			continue;
		if (rec->n_progs == TC_REUSE_MAX_PROGS ||
		    strlen(bpf_program__name(p)) >= REC_NAME) {
			rc = -E2BIG;
			break;
		}
		strcpy(ro->name, bpf_program__name(p));
		if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) < 0 ||
		    bpf_obj_pin(bpf_program__fd(p), path) < 0) {
			rc = -errno;
			break;
		}
		ro->id = info.id;
		memcpy(ro->tag, info.tag, sizeof(ro->tag));
		rec->n_progs++;
		n = used_ids(bpf_program__fd(p), used);
		if (n < 0) {
			rc = n;
			break;
		}
		for (i = 0; i < n; i++) {
			if (id_in(shared, n_shared, used[i]) ||
			    id_in(rec->own, rec->n_own, used[i]))
				continue;
			if (rec->n_own == MAX_OWN) {
				rc = -E2BIG;
				break;
			}
			rec->own[rec->n_own++] = used[i];
		}
	}
	if (!rc)
		rc = pinned_record_write(pin_path, REC_MAP, rec, sizeof(*rec));
	if (rc)
		log_warnx("cannot record the loaded TC programs under %s (the next start loads "
			  "them again): %s",
			  pin_path, strerror(-rc));
	free(rec);
}

int tc_reuse_prog_fd(const struct tc_reuse *r, const struct bpf_program *p)
{
	return pinned_prog_fd(r->prog, r->fd, r->n, p);
}

void tc_reuse_close(struct tc_reuse *r)
{
	pinned_progs_close(r->fd, r->n);
	r->n = 0;
}

void tc_reuse_unpin(const char *pin_path)
{
	struct rsip_tc *t = rsip_tc__open(); /* for the programs' names only */
	struct bpf_program *p;
	char path[PATH_MAX];

	pinned_record_withdraw(pin_path, REC_MAP);
	if (!t)
		return;
	bpf_object__for_each_program(p, t->obj)
	{
		if (pinned_path(path, sizeof(path), pin_path, PROG_PIN, bpf_program__name(p)) == 0)
			unlink(path);
	}
	rsip_tc__destroy(t);
}
