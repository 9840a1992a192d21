// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the lease store's loader: one stored row (a host's
 * JSON record, engine/snapshot.c, read by engine/record.c) restored into a
 * fresh engine, as rsipd does at start for every row of the store
 * (store/follow.c).
 *
 * Whatever the bytes: no undefined behaviour (UBSan, every int64 in every
 * time field included), no out-of-bounds access (ASan), the row is taken
 * whole or refused with -EINVAL (never a half host), the allocator's books
 * stay consistent (alloc_selfcheck), and a restored host's record survives a
 * second round trip with its bindings.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/alloc.h"
#include "config.h"
#include "dataplane/dataplane.h"
#include "engine/engine.h"
#include "log.h"

#define WALL0 1700000000000ull

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_store_row: check failed: %s\n", #cond);              \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static int no_send(void *arg, const struct engine_src *to, const uint8_t *buf, size_t len)
{
	return 0;
}

static struct rsipd_config cfg;

static void take_id(const struct engine_client_view *v, void *arg)
{
	*(uint32_t *)arg = v->client_id;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *args[] = {
	    "rsipd",   "--listen",     "10.0.0.1",  "--public",	   "192.0.2.1,192.0.2.2",
	    "--allow", "127.0.0.0/8",  "--lease",   "600",	   "--spi-block",
	    "16",      "--port-range", "1024-2047", "--spi-range", "0x100-0xffff",
	    NULL};
	char err[256];

	log_init("fuzz", false, 0);
	CHECK(config_parse(&cfg, 15, args, err, sizeof(err)) == 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct engine_io io = {.send = no_send};
	struct dataplane *dp = dataplane_none_new();
	struct engine *e = engine_new(&cfg, dp, &io, NULL);
	char err[256];
	int rc;

	CHECK(dp && e);
	/* The row's bytes as the store hands them over: not NUL-terminated. */
	rc = engine_state_restore_client_text(e, (const char *)data, size, WALL0, err, sizeof(err));
	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	CHECK(engine_n_clients(e) == (rc == 0 ? 1u : 0u));
	CHECK(alloc_selfcheck(engine_alloc(e)) == 0);
	if (rc == 0) {
		/* Round trip: what was taken is written out and comes back
		 * whole in another engine, through the text and through the
		 * JSON object (the cluster's path). */
		struct engine *e2 = engine_new(&cfg, NULL, &io, NULL);
		struct engine *e3 = engine_new(&cfg, NULL, &io, NULL);
		struct json_object *rec;
		const char *text;
		uint32_t id = 0;
		size_t len;

		CHECK(e2 && e3);
		engine_foreach_client(e, take_id, &id);
		CHECK(engine_state_client_text(e, id, WALL0, &text, &len) == 1);
		CHECK(engine_state_restore_client_text(e2, text, len, WALL0, err, sizeof(err)) ==
		      0);
		CHECK(engine_n_bindings(e2) == engine_n_bindings(e));
		rec = engine_state_client(e, id, WALL0);
		CHECK(rec);
		CHECK(engine_state_restore_client(e3, rec, WALL0, err, sizeof(err)) == 0);
		CHECK(engine_n_bindings(e3) == engine_n_bindings(e));
		json_object_put(rec);
		engine_free(e2, false);
		engine_free(e3, false);
	}
	engine_free(e, true);
	dp->ops->destroy(dp, true);
	return 0;
}
