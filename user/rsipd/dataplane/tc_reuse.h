/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * --attach tc: reusing the TC programs a previous run loaded, as xdp_reuse.h
 * does for the XDP object, so that a restart finds its filters already
 * running the programs it would load and keeps them (tc_attach.h). After a
 * load the programs are pinned (prog_rsip_wan_tc, prog_rsip_lan_tc) and a
 * record next to them (the array map rsip_reuse_tc): the digests of the TC
 * object and its configuration (xdp_reuse_digests), the programs' ids and
 * tags, and the ids of the maps the programs use that are not the XDP
 * object's (the TC object's own .rodata and .bss). The TC object holds no
 * map of the XDP object's by pin: every other map is the XDP object's, so
 * the programs are taken only when the XDP programs were reused too (then
 * those maps are the previous run's) and every map a pinned program uses is
 * either one of the XDP object's maps now or one of its recorded own maps.
 * Anything else loads, as before (the reason is logged).
 */
#ifndef RSIPD_TC_REUSE_H
#define RSIPD_TC_REUSE_H

#include <stdbool.h>

struct bpf_object;
struct bpf_program;

#define TC_REUSE_MAX_PROGS 4

struct tc_reuse {
	bool reused;
	char how[128]; /* "reused (...)" or "loaded (why)" */
	unsigned int n;
	const struct bpf_program *prog[TC_REUSE_MAX_PROGS];
	int fd[TC_REUSE_MAX_PROGS];
};

/* Before loading obj (its shared maps set with bpf_map__reuse_fd, not
 * loaded): take the pinned programs when they are what this load would give.
 * xdp_reused: the XDP programs are the previous run's. r->reused says
 * whether, r->how why; when not, the record is withdrawn (the load that
 * follows writes a new one). Changes nothing of obj. */
void tc_reuse_take(struct bpf_object *obj, const char *pin_path, bool xdp_reused,
		   struct tc_reuse *r);

/* After a load of obj: pin its programs and write the record. A failure is
 * logged and leaves no record (the next start loads). */
void tc_reuse_record(struct bpf_object *obj, const char *pin_path);

/* The fd of p: the reused program's, else libbpf's. */
int tc_reuse_prog_fd(const struct tc_reuse *r, const struct bpf_program *p);

/* Close the reused programs' fds (their pins keep them). */
void tc_reuse_close(struct tc_reuse *r);

/* Remove the record and the TC programs' pins (--detach-on-exit, or
 * --attach xdp after tc). */
void tc_reuse_unpin(const char *pin_path);

#endif
