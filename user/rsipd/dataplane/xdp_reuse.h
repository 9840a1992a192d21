/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reusing the programs a previous run loaded, instead of loading (and
 * verifying) the same object again at every start (docs/xdp-programs.md,
 * "Reuse at restart"). After a load, every program is pinned under the pin
 * directory (prog_<name>), so is every map the object does not pin by name
 * (map_<name>: .bss, rsip_tx...), and a record is pinned next to them (the array map
 * rsip_reuse): two SHA-256 digests, one of the object's bytes (and the
 * libbpf that relocated them), one of everything configured before the load
 * (every map's definition, the initial bytes of .rodata/.data, which
 * programs load), and the ids and tags of the programs and maps that load
 * created. The next start computes the digests of what it would load; when
 * they are equal and the pinned programs and the maps they use are the
 * recorded ones, it takes them (bpf_obj_get, bpf_map__reuse_fd) and loads
 * nothing. Anything else (no record, another digest, a missing or foreign
 * pin, a map the programs use that is not one of the object's) means a
 * load, as without reuse; the reason is logged and shown by rsipctl status.
 * Everything is iterated over the object (bpf_object__for_each_*), so a
 * program or map added to bpf/ is covered without a change here.
 */
#ifndef RSIPD_XDP_REUSE_H
#define RSIPD_XDP_REUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_object;
struct bpf_program;

#define XDP_REUSE_MAX_PROGS 16
#define XDP_REUSE_MAX_MAPS  48

/* What the identity is made of besides the object's own settings. */
struct xdp_reuse_input {
	const char *pin_path;
	const void *elf; /* the object's bytes (the skeleton's) */
	size_t elf_sz;
	/* Settings the unpinned maps' contents follow that start-up only adds
	 * to (the --public list: rsip_nb_filter, rsip_nb_dir; the devices:
	 * rsip_tx): another value must mean new, empty maps, i.e. a load. */
	const void *extra;
	size_t extra_sz;
};

struct xdp_reuse {
	bool reused;   /* the programs are the previous run's */
	char how[160]; /* "reused (same object and config)" or "loaded (why)" */
	size_t n;      /* programs taken (reused only) */
	const struct bpf_program *prog[XDP_REUSE_MAX_PROGS];
	int fd[XDP_REUSE_MAX_PROGS];
};

/* Before loading obj (its maps sized and pinned, its programs' autoload set):
 * take the previous run's programs and maps when the record under pin_path
 * says they came from the same elf bytes, configuration and extra, and the kernel
 * objects agree. r->reused says whether; r->how why. The object's maps then
 * hold the live maps' fds (bpf_map__fd works), the programs' fds are
 * xdp_reuse_prog_fd's. When not reused the record is withdrawn (the load that
 * follows replaces the pins) and nothing of obj was changed. 0, or -errno for
 * an error that leaves obj half-changed (logged; stop). */
int xdp_reuse_take(struct bpf_object *obj, const struct xdp_reuse_input *in, struct xdp_reuse *r);

/* After a load of obj: pin its programs and write the record. A failure is
 * logged and leaves no record (the next start loads). */
void xdp_reuse_record(struct bpf_object *obj, const struct xdp_reuse_input *in);

/* The two digests of the record for obj as configured now (the TC object's
 * reuse, tc_reuse.h, records them too). 0 or -errno. */
int xdp_reuse_digests(struct bpf_object *obj, const struct xdp_reuse_input *in,
		      uint8_t obj_digest[32], uint8_t cfg_digest[32]);

/* The fd of p: the reused program's, else libbpf's (bpf_program__fd). */
int xdp_reuse_prog_fd(const struct xdp_reuse *r, const struct bpf_program *p);

/* Close the reused programs' fds (the pins and links keep them). */
void xdp_reuse_close(struct xdp_reuse *r);

/* Remove the record and the program and map_ pins (--detach-on-exit). */
void xdp_reuse_unpin(const char *pin_path);

#endif
