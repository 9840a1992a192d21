/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rsipd's state in the Prometheus text exposition format (version 0.0.4).
 * Built from the same JSON the control socket answers (status, counters),
 * so every counter rsipctl shows is a metric, and nothing is counted twice.
 * Names and labels: docs/operations.md, Metrics.
 */
#ifndef RSIPD_METRICS_EXPOSITION_H
#define RSIPD_METRICS_EXPOSITION_H

#include <stddef.h>

struct ctl_ctx;

/* The whole page in *out (malloc'd, the caller frees it), its length in
 * *len. 0 or -errno. */
int metrics_render(struct ctl_ctx *ctx, char **out, size_t *len);

#endif
