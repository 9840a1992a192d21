// SPDX-License-Identifier: BSD-2-Clause
/*
 * The in-memory data plane (--dataplane none). It checks what a real one
 * would refuse - a client added twice, a binding for an unknown client, a
 * delete of something never added - so engine bugs show up in tests.
 */
#include "none.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include "hash32.h"

struct none_client {
	struct dp_client c;
	uint32_t nbindings; /* so client_del's check is O(1), not a walk */
	UT_hash_handle hh;
};

struct none_binding {
	struct binding_rec *b; /* the data plane's own copy */
	UT_hash_handle hh;
};

struct dp_none {
	struct dataplane dp; /* first: the ops see a struct dataplane * */
	struct none_client *clients;
	struct none_binding *bindings;
	size_t n_clients, n_bindings;
	size_t max_clients, max_bindings;
	uint64_t refused, adds, dels;
};

static struct dp_none *to_none(struct dataplane *dp)
{
	return (struct dp_none *)dp;
}

static struct none_client *find_client(const struct dp_none *n, uint32_t id)
{
	struct none_client *c;

	HASH_FIND(hh, n->clients, &id, sizeof(id), c);
	return c;
}

static struct none_binding *find_binding(const struct dp_none *n, uint32_t id)
{
	struct none_binding *b;

	HASH_FIND(hh, n->bindings, &id, sizeof(id), b);
	return b;
}

static int none_client_add(struct dataplane *dp, const struct dp_client *c)
{
	struct dp_none *n = to_none(dp);
	struct none_client *nc;

	if (find_client(n, c->client_id))
		return -EEXIST;
	if (n->max_clients && n->n_clients >= n->max_clients) {
		n->refused++;
		return -ENOSPC;
	}
	nc = calloc(1, sizeof(*nc));
	if (!nc)
		return -ENOMEM;
	nc->c = *c;
	HASH_ADD(hh, n->clients, c.client_id, sizeof(nc->c.client_id), nc);
	n->n_clients++;
	n->adds++;
	return 0;
}

static int none_client_del(struct dataplane *dp, const struct dp_client *c)
{
	struct dp_none *n = to_none(dp);
	struct none_client *nc = find_client(n, c->client_id);

	if (!nc)
		return -ENOENT;
	if (nc->nbindings)
		return -EBUSY; /* the engine deletes bindings first */
	HASH_DEL(n->clients, nc);
	free(nc);
	n->n_clients--;
	n->dels++;
	return 0;
}

static void free_binding(struct none_binding *b)
{
	free(b->b);
	free(b);
}

static int none_binding_add(struct dataplane *dp, const struct binding_rec *b)
{
	struct dp_none *n = to_none(dp);
	struct none_client *nc = find_client(n, b->client_id);
	struct none_binding *nb;

	if (!nc)
		return -ENOENT;
	if (find_binding(n, b->bind_id))
		return -EEXIST;
	if (n->max_bindings && n->n_bindings >= n->max_bindings) {
		n->refused++;
		return -ENOSPC;
	}
	nb = calloc(1, sizeof(*nb));
	if (!nb)
		return -ENOMEM;
	nb->b = binding_rec_dup(b);
	if (!nb->b) {
		free(nb);
		return -ENOMEM;
	}
	HASH_ADD_KEYPTR(hh, n->bindings, &nb->b->bind_id, sizeof(nb->b->bind_id), nb);
	nc->nbindings++;
	n->n_bindings++;
	n->adds++;
	return 0;
}

static int none_binding_del(struct dataplane *dp, const struct binding_rec *b)
{
	struct dp_none *n = to_none(dp);
	struct none_binding *nb = find_binding(n, b->bind_id);
	struct none_client *nc;

	if (!nb || nb->b->client_id != b->client_id)
		return -ENOENT;
	nc = find_client(n, b->client_id);
	if (nc && nc->nbindings)
		nc->nbindings--;
	HASH_DEL(n->bindings, nb);
	free_binding(nb);
	n->n_bindings--;
	n->dels++;
	return 0;
}

static int none_counters(struct dataplane *dp, struct json_object *out)
{
	struct dp_none *n = to_none(dp);

	json_object_object_add(out, "clients", json_object_new_int64((int64_t)n->n_clients));
	json_object_object_add(out, "bindings", json_object_new_int64((int64_t)n->n_bindings));
	json_object_object_add(out, "adds", json_object_new_int64((int64_t)n->adds));
	json_object_object_add(out, "deletes", json_object_new_int64((int64_t)n->dels));
	json_object_object_add(out, "adds_refused", json_object_new_int64((int64_t)n->refused));
	return 0;
}

static void none_destroy(struct dataplane *dp, bool detach)
{
	struct dp_none *n = to_none(dp);
	struct none_binding *b, *bt;
	struct none_client *c, *ct;

	HASH_ITER(hh, n->bindings, b, bt)
	{
		HASH_DEL(n->bindings, b);
		free_binding(b);
	}
	HASH_ITER(hh, n->clients, c, ct)
	{
		HASH_DEL(n->clients, c);
		free(c);
	}
	free(n);
}

static const struct dataplane_ops none_ops = {
    .name = "none",
    .client_add = none_client_add,
    .client_del = none_client_del,
    .binding_add = none_binding_add,
    .binding_del = none_binding_del,
    .binding_stats = NULL, /* no packets, nothing to count */
    .counters = none_counters,
    .destroy = none_destroy,
};

struct dataplane *dataplane_none_new(void)
{
	struct dp_none *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->dp.ops = &none_ops;
	return &n->dp;
}

void dataplane_none_set_capacity(struct dataplane *dp, size_t max_clients, size_t max_bindings)
{
	to_none(dp)->max_clients = max_clients;
	to_none(dp)->max_bindings = max_bindings;
}

size_t dataplane_none_n_clients(const struct dataplane *dp)
{
	return ((const struct dp_none *)dp)->n_clients;
}

size_t dataplane_none_n_bindings(const struct dataplane *dp)
{
	return ((const struct dp_none *)dp)->n_bindings;
}

bool dataplane_none_has_client(const struct dataplane *dp, uint32_t client_id)
{
	return find_client((const struct dp_none *)dp, client_id) != NULL;
}

const struct binding_rec *dataplane_none_binding(const struct dataplane *dp, uint32_t bind_id)
{
	struct none_binding *b = find_binding((const struct dp_none *)dp, bind_id);

	return b ? b->b : NULL;
}

void dataplane_none_violation(struct dataplane *dp, struct in_addr xa, uint16_t error)
{
	if (dp->cb.violation)
		dp->cb.violation(dp->cb.arg, xa, error);
}
