/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rsipctl explain: what each data-plane counter counts, from the table the
 * daemon names them by (user/lib/dp_names.c), so an operator on a gateway
 * reads the meaning of `rsipctl counters` without the docs or a daemon.
 */
#ifndef RSIPCTL_EXPLAIN_H
#define RSIPCTL_EXPLAIN_H

#include <stdbool.h>
#include <stdio.h>

/* Every counter (name NULL) or the one called name: "name  kind  text" lines,
 * or with json one array of {"name","kind","counts"} objects. Returns 0,
 * -ENOENT when no counter has that name, -EIO when f cannot be written. */
int ctl_explain(FILE *f, const char *name, bool json);

#endif
