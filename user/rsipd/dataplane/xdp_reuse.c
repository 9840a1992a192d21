// SPDX-License-Identifier: BSD-2-Clause
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pinned_record.h"
#include "xdp_reuse.h"

#define REC_MAP	   "rsip_reuse"
#define PROG_PIN   "prog_"
#define MAP_PIN	   "map_" /* the maps the object does not pin by name (below) */
#define REC_LAYOUT 1u
#define REC_NAME   32
#define MAX_USED   64 /* map ids all the programs use together */

/* One program or map a load created, as the kernel knows it. */
struct rec_obj {
	char name[REC_NAME];
	uint32_t id;
	uint8_t tag[8]; /* programs: the kernel's tag of the instructions */
};

/* The value of the pinned rsip_reuse array (one entry). */
struct reuse_rec {
	uint32_t layout; /* REC_LAYOUT; another value: not ours to read */
	uint32_t n_progs, n_maps, pad;
	uint8_t obj_digest[32], cfg_digest[32];
	struct rec_obj prog[XDP_REUSE_MAX_PROGS];
	struct rec_obj map[XDP_REUSE_MAX_MAPS];
};

/* ---- identity ---------------------------------------------------------------- */

static void put(EVP_MD_CTX *c, const void *p, size_t n)
{
	EVP_DigestUpdate(c, p, n);
}

static void put_u32(EVP_MD_CTX *c, uint32_t v)
{
	put(c, &v, sizeof(v));
}

static void put_str(EVP_MD_CTX *c, const char *s)
{
	put(c, s, strlen(s) + 1);
}

/* The object: its bytes, and the libbpf that relocates them (another libbpf
 * may emit other instructions from the same bytes). */
static int digest_object(const void *elf, size_t elf_sz, uint8_t out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok;

	if (!c)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	put_str(c, "rsip_reuse object 1");
	put_u32(c, libbpf_major_version());
	put_u32(c, libbpf_minor_version());
	put(c, elf, elf_sz);
	ok = ok && EVP_DigestFinal_ex(c, out, NULL);
	EVP_MD_CTX_free(c);
	return ok ? 0 : -EIO;
}

/* What was set between open and load: every map's definition, whether it is
 * pinned, the initial bytes of the data sections (the load-time constants of
 * bpf/config.h live in .rodata), and which programs load. */
static int digest_config(struct bpf_object *obj, const struct xdp_reuse_input *in, uint8_t out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	struct bpf_program *p;
	struct bpf_map *m;
	const void *init;
	size_t sz;
	int ok;

	if (!c)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	put_str(c, "rsip_reuse config 1");
	put_u32(c, (uint32_t)in->extra_sz);
	if (in->extra_sz)
		put(c, in->extra, in->extra_sz);
	bpf_object__for_each_map(m, obj)
	{
		put_str(c, bpf_map__name(m));
		put_u32(c, bpf_map__type(m));
		put_u32(c, bpf_map__key_size(m));
		put_u32(c, bpf_map__value_size(m));
		put_u32(c, bpf_map__max_entries(m));
		put_u32(c, bpf_map__map_flags(m));
		put_u32(c, bpf_map__pin_path(m) != NULL);
		sz = 0;
		init = bpf_map__initial_value(m, &sz);
		put_u32(c, init ? (uint32_t)sz : UINT32_MAX);
		if (init)
			put(c, init, sz);
	}
	bpf_object__for_each_program(p, obj)
	{
		put_str(c, bpf_program__name(p));
		put_u32(c, bpf_program__autoload(p));
		put_u32(c, bpf_program__type(p));
		put_u32(c, bpf_program__expected_attach_type(p));
	}
	ok = ok && EVP_DigestFinal_ex(c, out, NULL);
	EVP_MD_CTX_free(c);
	return ok ? 0 : -EIO;
}

int xdp_reuse_digests(struct bpf_object *obj, const struct xdp_reuse_input *in,
		      uint8_t obj_digest[32], uint8_t cfg_digest[32])
{
	int rc = digest_object(in->elf, in->elf_sz, obj_digest);

	return rc ? rc : digest_config(obj, in, cfg_digest);
}

/* ---- the record ------------------------------------------------------------- */

static int name_into(char dst[REC_NAME], const char *name)
{
	if (strlen(name) >= REC_NAME)
		return -ENAMETOOLONG;
	strcpy(dst, name);
	return 0;
}

/* ---- taking the previous run's programs ---------------------------------------- */

struct taking {
	struct bpf_object *obj;
	const char *pin_path;
	const struct reuse_rec *rec;
	int prog_fd[XDP_REUSE_MAX_PROGS];
	const struct bpf_program *prog[XDP_REUSE_MAX_PROGS];
	size_t n_progs;
	int map_fd[XDP_REUSE_MAX_MAPS];
	size_t n_maps;
	uint32_t used[MAX_USED]; /* the map ids the programs use */
	size_t n_used;
	char why[128];
};

static bool id_in(const uint32_t *ids, size_t n, uint32_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* The map ids prog fd uses, added to t->used. */
static int add_used_maps(struct taking *t, int fd, const char *name)
{
	struct bpf_prog_info info = {0};
	uint32_t ids[MAX_USED], len = sizeof(info), i;

	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return -errno;
	if (info.nr_map_ids > MAX_USED) {
		snprintf(t->why, sizeof(t->why), "program %s uses more maps than expected", name);
		return -E2BIG;
	}
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = MAX_USED;
	info.map_ids = (uint64_t)(uintptr_t)ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return -errno;
	for (i = 0; i < info.nr_map_ids && i < MAX_USED; i++) {
		if (id_in(t->used, t->n_used, ids[i]))
			continue;
		if (t->n_used == MAX_USED) {
			snprintf(t->why, sizeof(t->why), "the programs use too many maps");
			return -E2BIG;
		}
		t->used[t->n_used++] = ids[i];
	}
	return 0;
}

/* Every program that loads: its pin, which must hold the recorded program
 * (id and tag) of the object's type. */
static int take_programs(struct taking *t)
{
	struct bpf_program *p;
	char path[PATH_MAX];
	int rc;

	bpf_object__for_each_program(p, t->obj)
	{
		const struct rec_obj *ro = &t->rec->prog[t->n_progs];
		const char *name = bpf_program__name(p);
		struct bpf_prog_info info = {0};
		uint32_t len = sizeof(info);
		int fd;

		if (!bpf_program__autoload(p))
			continue;
		if (t->n_progs >= t->rec->n_progs || t->n_progs >= XDP_REUSE_MAX_PROGS ||
		    strncmp(ro->name, name, REC_NAME) != 0) {
			snprintf(t->why, sizeof(t->why), "the record lists other programs");
			return -ENOENT;
		}
		rc = pinned_path(path, sizeof(path), t->pin_path, PROG_PIN, name);
		if (rc)
			return rc;
		fd = pinned_open(path);
		if (fd < 0) {
			snprintf(t->why, sizeof(t->why), "program pin %s%s: %s", PROG_PIN, name,
				 strerror(-fd));
			return fd;
		}
		t->prog[t->n_progs] = p;
		t->prog_fd[t->n_progs++] = fd;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
			return -errno;
		if (info.id != ro->id || memcmp(info.tag, ro->tag, sizeof(ro->tag)) != 0 ||
		    info.type != bpf_program__type(p)) {
			snprintf(t->why, sizeof(t->why),
				 "the pinned program %s is not the recorded one", name);
			return -ESTALE;
		}
		rc = add_used_maps(t, fd, name);
		if (rc)
			return rc;
	}
	if (t->n_progs != t->rec->n_progs) {
		snprintf(t->why, sizeof(t->why), "the record lists other programs");
		return -ENOENT;
	}
	return 0;
}

/* A new empty map like m: what a load creates for a map that is neither
 * pinned nor held by a program (e.g. the --spi-steer maps without it). */
static int create_like(struct bpf_map *m)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = bpf_map__map_flags(m));
	size_t sz = 0;
	int fd;

	if (bpf_map__initial_value(m, &sz))
		return -EINVAL; /* a data section no program holds: not ours to rebuild */
	fd = bpf_map_create(bpf_map__type(m), bpf_map__name(m), bpf_map__key_size(m),
			    bpf_map__value_size(m), bpf_map__max_entries(m), &o);
	return fd < 0 ? -errno : fd;
}

/* Every map of the object: its pin (the recorded map), else the recorded map
 * when a program holds it, else a new one. Its definition must be the
 * object's; and every map a program uses must be one of these (no second
 * copy of a pinned map behind the programs' back). */
static int take_maps(struct taking *t)
{
	uint32_t mine[XDP_REUSE_MAX_MAPS];
	char path[PATH_MAX];
	struct bpf_map *m;
	size_t i;
	int fd;

	bpf_object__for_each_map(m, t->obj)
	{
		const struct rec_obj *ro = &t->rec->map[t->n_maps];
		const char *name = bpf_map__name(m);
		struct bpf_map_info info = {0};
		uint32_t len = sizeof(info);

		if (t->n_maps >= t->rec->n_maps || t->n_maps >= XDP_REUSE_MAX_MAPS ||
		    strncmp(ro->name, name, REC_NAME) != 0) {
			snprintf(t->why, sizeof(t->why), "the record lists other maps");
			return -ENOENT;
		}
		if (bpf_map__pin_path(m)) {
			fd = pinned_open(bpf_map__pin_path(m));
		} else if (id_in(t->used, t->n_used, ro->id)) {
			/* By its pin, not bpf_map_get_fd_by_id: that needs
			 * CAP_SYS_ADMIN, which rsipd may run without. */
			fd = pinned_path(path, sizeof(path), t->pin_path, MAP_PIN, name);
			if (!fd)
				fd = pinned_open(path);
		} else {
			fd = create_like(m);
		}
		if (fd < 0) {
			snprintf(t->why, sizeof(t->why), "map %s: %s", name, strerror(-fd));
			return fd;
		}
		t->map_fd[t->n_maps] = fd;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
			return -errno;
		mine[t->n_maps++] = info.id;
		/* The kernel adds BPF_F_RDONLY_PROG to a devmap's flags. */
		if ((id_in(t->used, t->n_used, ro->id) && info.id != ro->id) ||
		    (bpf_map__pin_path(m) && info.id != ro->id) || info.type != bpf_map__type(m) ||
		    info.key_size != bpf_map__key_size(m) ||
		    info.value_size != bpf_map__value_size(m) ||
		    info.max_entries != bpf_map__max_entries(m) ||
		    (info.map_flags & ~BPF_F_RDONLY_PROG) !=
			(bpf_map__map_flags(m) & ~BPF_F_RDONLY_PROG)) {
			snprintf(t->why, sizeof(t->why), "map %s is not the recorded one", name);
			return -ESTALE;
		}
	}
	if (t->n_maps != t->rec->n_maps) {
		snprintf(t->why, sizeof(t->why), "the record lists other maps");
		return -ENOENT;
	}
	for (i = 0; i < t->n_used; i++)
		if (!id_in(mine, t->n_maps, t->used[i])) {
			snprintf(t->why, sizeof(t->why),
				 "the programs use map id %u, not one of the object's", t->used[i]);
			return -ESTALE;
		}
	return 0;
}

static void taking_close(struct taking *t)
{
	size_t i;

	for (i = 0; i < t->n_progs; i++)
		close(t->prog_fd[i]);
	for (i = 0; i < t->n_maps; i++)
		if (t->map_fd[i] >= 0)
			close(t->map_fd[i]);
	t->n_progs = t->n_maps = 0;
}

/* Why not, into t->why; 0 when the previous run's objects can be taken. */
static int check(struct taking *t, const struct xdp_reuse_input *in, struct reuse_rec *rec)
{
	uint8_t obj_d[32], cfg_d[32];
	int rc;

	rc = digest_object(in->elf, in->elf_sz, obj_d);
	if (!rc)
		rc = digest_config(t->obj, in, cfg_d);
	if (rc) {
		snprintf(t->why, sizeof(t->why), "cannot compute the digests: %s", strerror(-rc));
		return rc;
	}
	rc = pinned_record_read(t->pin_path, REC_MAP, rec, sizeof(*rec));
	if (rc == -ENOENT) {
		snprintf(t->why, sizeof(t->why), "no record of a previous load");
		return rc;
	}
	if (rc || rec->layout != REC_LAYOUT) {
		snprintf(t->why, sizeof(t->why), "the record is unreadable (%s)",
			 rc ? strerror(-rc) : "another layout");
		return rc ? rc : -EPROTO;
	}
	if (memcmp(rec->obj_digest, obj_d, sizeof(obj_d)) != 0) {
		snprintf(t->why, sizeof(t->why), "another BPF object (a different rsipd build)");
		return -ESTALE;
	}
	if (memcmp(rec->cfg_digest, cfg_d, sizeof(cfg_d)) != 0) {
		snprintf(t->why, sizeof(t->why),
			 "another load-time configuration (constants, maps, programs, --public or "
			 "devices)");
		return -ESTALE;
	}
	rc = take_programs(t);
	if (!rc)
		rc = take_maps(t);
	if (rc && !t->why[0])
		snprintf(t->why, sizeof(t->why), "%s", strerror(-rc));
	return rc;
}

int xdp_reuse_take(struct bpf_object *obj, const struct xdp_reuse_input *in, struct xdp_reuse *r)
{
	const char *pin_path = in->pin_path;
	struct taking t = {.obj = obj, .pin_path = pin_path};
	struct reuse_rec *rec = calloc(1, sizeof(*rec));
	struct bpf_map *m;
	size_t i = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!rec)
		return -ENOMEM;
	t.rec = rec;
	if (check(&t, in, rec)) {
		taking_close(&t);
		free(rec);
		/* The load that follows replaces the pins: no record until it
		 * wrote a new one. */
		pinned_record_withdraw(pin_path, REC_MAP);
		snprintf(r->how, sizeof(r->how), "loaded (%s)", t.why);
		return 0;
	}
	free(rec);
	bpf_object__for_each_map(m, obj)
	{
		rc = bpf_map__reuse_fd(m, t.map_fd[i]);
		if (rc) {
			log_warnx("cannot take map %s of the previous run: %s", bpf_map__name(m),
				  strerror(-rc));
			taking_close(&t);
			return rc;
		}
		close(t.map_fd[i]); /* libbpf holds a dup */
		t.map_fd[i++] = -1;
	}
	t.n_maps = 0;
	for (i = 0; i < t.n_progs; i++) {
		r->prog[i] = t.prog[i];
		r->fd[i] = t.prog_fd[i];
	}
	r->n = t.n_progs;
	r->reused = true;
	snprintf(r->how, sizeof(r->how), "reused (same object and config)");
	return 0;
}

/* ---- recording a load -------------------------------------------------------- */

static int record_programs(struct bpf_object *obj, const char *pin_path, struct reuse_rec *rec)
{
	struct bpf_program *p;
	char path[PATH_MAX];
	int rc;

	bpf_object__for_each_program(p, obj)
	{
		struct rec_obj *ro = &rec->prog[rec->n_progs];
		struct bpf_prog_info info = {0};
		uint32_t len = sizeof(info);
		int fd = bpf_program__fd(p);

		rc = pinned_path(path, sizeof(path), pin_path, PROG_PIN, bpf_program__name(p));
		if (rc)
			return rc;
		unlink(path); /* the previous load's, or a stale one */
		if (!bpf_program__autoload(p))
			continue;
		if (rec->n_progs == XDP_REUSE_MAX_PROGS)
			return -E2BIG;
		rc = name_into(ro->name, bpf_program__name(p));
		if (rc)
			return rc;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0 || bpf_obj_pin(fd, path) < 0)
			return -errno;
		ro->id = info.id;
		memcpy(ro->tag, info.tag, sizeof(ro->tag));
		rec->n_progs++;
	}
	return 0;
}

/* Every map's id; the maps the object does not pin by name are pinned as
 * map_<name>, for the next start to open them. */
static int record_maps(struct bpf_object *obj, const char *pin_path, struct reuse_rec *rec)
{
	char path[PATH_MAX];
	struct bpf_map *m;
	int rc;

	bpf_object__for_each_map(m, obj)
	{
		struct rec_obj *ro = &rec->map[rec->n_maps];
		struct bpf_map_info info = {0};
		uint32_t len = sizeof(info);

		if (rec->n_maps == XDP_REUSE_MAX_MAPS)
			return -E2BIG;
		rc = name_into(ro->name, bpf_map__name(m));
		if (rc)
			return rc;
		if (bpf_obj_get_info_by_fd(bpf_map__fd(m), &info, &len) < 0)
			return -errno;
		ro->id = info.id;
		rec->n_maps++;
		rc = pinned_path(path, sizeof(path), pin_path, MAP_PIN, bpf_map__name(m));
		if (rc)
			return rc;
		unlink(path); /* the previous load's */
		if (!bpf_map__pin_path(m) && bpf_obj_pin(bpf_map__fd(m), path) < 0)
			return -errno;
	}
	return 0;
}

void xdp_reuse_record(struct bpf_object *obj, const struct xdp_reuse_input *in)
{
	const char *pin_path = in->pin_path;
	struct reuse_rec *rec = calloc(1, sizeof(*rec));
	int rc;

	pinned_record_withdraw(pin_path, REC_MAP);
	if (!rec) {
		rc = -ENOMEM;
		goto out;
	}
	rec->layout = REC_LAYOUT;
	rc = digest_object(in->elf, in->elf_sz, rec->obj_digest);
	if (!rc)
		rc = digest_config(obj, in, rec->cfg_digest);
	if (!rc)
		rc = record_programs(obj, pin_path, rec);
	if (!rc)
		rc = record_maps(obj, pin_path, rec);
	if (!rc)
		rc = pinned_record_write(pin_path, REC_MAP, rec, sizeof(*rec));
out:
	if (rc)
		log_warnx("cannot record the loaded programs under %s (the next start loads "
			  "them again): %s",
			  pin_path, strerror(-rc));
	free(rec);
}

int xdp_reuse_prog_fd(const struct xdp_reuse *r, const struct bpf_program *p)
{
	return pinned_prog_fd(r->prog, r->fd, r->n, p);
}

void xdp_reuse_close(struct xdp_reuse *r)
{
	pinned_progs_close(r->fd, r->n);
	r->n = 0;
}

void xdp_reuse_unpin(const char *pin_path)
{
	struct dirent *e;
	DIR *d;

	pinned_record_withdraw(pin_path, REC_MAP);
	d = opendir(pin_path);
	if (!d)
		return;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, PROG_PIN, strlen(PROG_PIN)) == 0 ||
		    strncmp(e->d_name, MAP_PIN, strlen(MAP_PIN)) == 0)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}
