/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The state file on disk: JSON written atomically (a temporary file in the
 * same directory, fsync, rename over the old one, fsync of the directory),
 * so a crash at any moment leaves either the old state or the new one.
 */
#ifndef RSIPD_STATEFILE_H
#define RSIPD_STATEFILE_H

#include <stdbool.h>
#include <stdint.h>

struct json_object;

#define STATEFILE_DEFAULT "/var/lib/rsipd/state.json"

/* Write st to path (its directory is created if missing). 0 or -errno. */
int statefile_write(const char *path, struct json_object *st);
/* Read path: 0 and *out (the caller puts it), -ENOENT when there is none,
 * -EINVAL when it is not JSON, else -errno. */
int statefile_read(const char *path, struct json_object **out);

/* --- rsipd's use of it -------------------------------------------------------
 * Restore the engine from path (nothing to do when there is no file): the
 * import of an older rsipd's state.json into the lease store (follow.c).
 * 0, or -errno after logging why the file cannot be used. */
struct engine;
int statefile_load_engine(struct engine *e, const char *path);

#endif
