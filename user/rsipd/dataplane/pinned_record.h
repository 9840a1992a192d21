/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pins rsipd keeps under the pin directory to find a previous run's
 * objects again: their paths, opening one, and a record, a pinned one-entry
 * ARRAY map whose value is the caller's struct (rsip_reuse of xdp_reuse.h,
 * rsip_reuse_tc of tc_reuse.h, tc_filters of tc_attach.h). One place for
 * them so that every record is read and written alike: a pin is never
 * followed through a symlink, and a record whose map is not an ARRAY of the
 * reader's value size is another layout, never read.
 */
#ifndef RSIPD_PINNED_RECORD_H
#define RSIPD_PINNED_RECORD_H

#include <stddef.h>

/* dir/prefix+name into buf, a '.' of name made '_' (bpffs refuses dots in
 * names: libbpf's internal maps are "<object>.bss", "<object>.rodata").
 * 0 or -ENAMETOOLONG. */
int pinned_path(char *buf, size_t len, const char *dir, const char *prefix, const char *name);

/* The object pinned at path, never through a symlink (a pin is a regular
 * file of the bpffs). fd or -errno. */
int pinned_open(const char *path);

/* The value of the record dir/name into value (size bytes). 0, -ENOENT when
 * there is none, -EPROTO when its map is not a one-entry ARRAY of that value
 * size (another layout), or another -errno. */
int pinned_record_read(const char *dir, const char *name, void *value, size_t size);

/* Pin a new record dir/name holding value (size bytes) in place of any
 * previous one; a failure before the pin leaves the previous one. 0 or -errno. */
int pinned_record_write(const char *dir, const char *name, const void *value, size_t size);

/* Remove the record dir/name, if there is one. */
void pinned_record_withdraw(const char *dir, const char *name);

struct bpf_program;

/* The programs a start took from their pins instead of loading them
 * (xdp_reuse.h, tc_reuse.h): prog[i] has fd[i], n of them. The fd of p:
 * the taken one, else libbpf's (bpf_program__fd). */
int pinned_prog_fd(const struct bpf_program *const *prog, const int *fd, size_t n,
		   const struct bpf_program *p);

/* Close the n fds of taken programs (their pins and links keep them). */
void pinned_progs_close(const int *fd, size_t n);

#endif
