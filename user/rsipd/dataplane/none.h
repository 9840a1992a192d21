/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * --dataplane none: no packet moves, but every client and binding the engine
 * announces is recorded in memory, so tests (and rsipctl counters) can check
 * exactly what the engine told its data plane. A capacity can be set to make
 * adds fail with -ENOSPC, the way a full BPF map would.
 */
#ifndef RSIPD_DATAPLANE_NONE_H
#define RSIPD_DATAPLANE_NONE_H

#include <stdbool.h>
#include <stddef.h>

#include "dataplane.h"

/* 0: no limit (the default). */
void dataplane_none_set_capacity(struct dataplane *dp, size_t max_clients, size_t max_bindings);
size_t dataplane_none_n_clients(const struct dataplane *dp);
size_t dataplane_none_n_bindings(const struct dataplane *dp);
bool dataplane_none_has_client(const struct dataplane *dp, uint32_t client_id);
/* The binding as last added (the data plane's own copy of the record), or
 * NULL. */
const struct binding_rec *dataplane_none_binding(const struct dataplane *dp, uint32_t bind_id);
/* Report a data-path violation the way a real data plane would (D14). */
void dataplane_none_violation(struct dataplane *dp, struct in_addr xa, uint16_t error);

#endif
