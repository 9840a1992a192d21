/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Human rendering of rsipd control-socket data (docs: brief ctl-protocol).
 * The daemon decides the shapes; rsipctl only lays them out, so a new key in
 * the daemon shows up here with no change:
 *   - an array of objects is an aligned table whose columns are the keys in
 *     the order the daemon sent them (keys missing in a row show as "-");
 *   - an object is "key: value" lines, nested objects and tables indented;
 *   - an array of scalars is one comma-separated value;
 *   - strings are printed with control characters replaced by '?', so a
 *     hostile or broken daemon cannot drive the terminal.
 */
#ifndef RSIP_CTL_RENDER_H
#define RSIP_CTL_RENDER_H

#include <stdio.h>

struct json_object;

/* Write data (any JSON value, NULL = JSON null) for a human. Returns 0, or
 * -EIO when writing to out failed. */
int ctl_render(FILE *out, struct json_object *data);

/* Write data as one line of JSON (the --json output). Returns 0 or -EIO. */
int ctl_render_json(FILE *out, struct json_object *data);

#endif
