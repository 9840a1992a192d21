/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The engine's binding table: every binding of the gateway lives in one
 * table (engine->bindings, keyed by Bind ID). A binding is its record
 * (binding_rec.h: the shape the data plane and a state file see too) plus
 * the table handles, the only runtime pointers.
 */
#ifndef RSIPD_BINDING_H
#define RSIPD_BINDING_H

#include <stdint.h>
#include "hash32.h"

#include "binding_rec.h"

struct binding {
	UT_hash_handle hh;	       /* engine->bindings, by bind_id */
	struct binding *cnext, *cprev; /* the client's list */
	struct binding_rec r;	       /* must stay last: it ends in res[] */
};

/* A zeroed binding with room for nspis SPIs and nports ports. */
struct binding *binding_alloc(uint16_t nspis, uint16_t nports);

#endif
