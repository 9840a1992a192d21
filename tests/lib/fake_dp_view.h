/* SPDX-License-Identifier: BSD-2-Clause */
/* A struct dp_view over a table in memory, for slow-path unit tests. */
#ifndef TESTS_FAKE_DP_VIEW_H
#define TESTS_FAKE_DP_VIEW_H

#include <stddef.h>

#include "slowpath/demux.h"

/* Forget every entry; the view's spi_block_shift becomes shift. */
void fake_view_reset(struct dp_view *v, uint8_t shift);
/* Add (or replace) key -> val in map m. */
void fake_view_put(enum dp_map_id m, const void *key, const void *val, size_t vlen);
/* Remove key from map m (no-op when absent). */
void fake_view_del(enum dp_map_id m, const void *key);

#endif
