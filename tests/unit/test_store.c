// SPDX-License-Identifier: BSD-2-Clause
/*
 * The lease store (user/rsipd/store/): the SQLite schema and its checks on
 * open (mode 0600, no symlink, a directory nobody else may write, a newer
 * schema refused), rows in and out, the import of an old state.json, and
 * the validation of every field of a stored host record as wire input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "store/follow.h"
#include "store/statefile.h"
#include "store/store.h"
#include "../lib/engine_harness.h"

#define ARGS  "--listen 10.0.0.1 --public 192.0.2.1 --allow 10.0.0.0/24 --lease 600"
#define WALL0 1700000000000ull

struct tmp {
	char dir[64], db[128];
};

static void tmp_make(struct tmp *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/rsip-store-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->db, sizeof(t->db), "%s/rsipd.db", t->dir);
}

static void tmp_rm(struct tmp *t)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	assert_int_equal(system(cmd), 0);
}

struct rows {
	int64_t ids[8];
	char docs[8][64];
	int n;
};

static int collect(void *arg, int64_t id, const char *doc, size_t len)
{
	struct rows *r = arg;

	r->ids[r->n] = id;
	snprintf(r->docs[r->n], sizeof(r->docs[0]), "%.*s", (int)len, doc);
	r->n++;
	return 0;
}

static void test_schema_and_rows(void **state)
{
	struct tmp t;
	struct store *s;
	struct rows r = {0};
	struct stat st;
	char err[256];
	int shift;

	tmp_make(&t);
	s = store_open(t.db, STORE_SYNC_NORMAL, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(stat(t.db, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(store_is_empty(s));
	assert_int_equal(store_begin(s), 0);
	assert_true(store_in_txn(s));
	assert_int_equal(store_put(s, 7, "{\"a\":7}", strlen("{\"a\":7}")), 0);
	assert_int_equal(store_put(s, 3, "{\"a\":3}", strlen("{\"a\":3}")), 0);
	assert_int_equal(store_put(s, 9, "{\"a\":9}", strlen("{\"a\":9}")), 0);
	assert_int_equal(store_set_meta(s, "spi_block_shift", 8), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_del(s, 9), 0);
	assert_int_equal(store_put(s, 3, "{\"a\":33}", strlen("{\"a\":33}")), 0); /* a rewrite */
	assert_int_equal(store_commit(s), 0);
	store_close(s);

	s = store_open(t.db, STORE_SYNC_FULL, err, sizeof(err));
	assert_non_null(s);
	assert_false(store_is_empty(s));
	assert_int_equal(store_load(s, collect, &r, &shift, err, sizeof(err)), 0);
	assert_int_equal(shift, 8);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ids[0], 3); /* Client ID order */
	assert_string_equal(r.docs[0], "{\"a\":33}");
	assert_int_equal(r.ids[1], 7);
	store_close(s);
	tmp_rm(&t);
}

static void test_open_refuses(void **state)
{
	struct tmp t;
	char err[256], path[160];
	sqlite3 *db;

	tmp_make(&t);
	/* A symlink in place of the file is never followed. */
	snprintf(path, sizeof(path), "%s/target", t.dir);
	assert_int_equal(symlink(path, t.db), 0);
	assert_null(store_open(t.db, STORE_SYNC_NORMAL, err, sizeof(err)));
	assert_non_null(strstr(err, "symlink"));
	assert_int_equal(access(path, F_OK), -1);
	unlink(t.db);
	/* A directory others may write. */
	assert_int_equal(chmod(t.dir, 0777), 0);
	assert_null(store_open(t.db, STORE_SYNC_NORMAL, err, sizeof(err)));
	assert_non_null(strstr(err, "chmod go-w"));
	assert_int_equal(chmod(t.dir, 0700), 0);
	/* A file others may read (it holds the reply caches). */
	{
		FILE *f = fopen(t.db, "w");

		assert_non_null(f);
		fclose(f);
		assert_int_equal(chmod(t.db, 0644), 0);
		assert_null(store_open(t.db, STORE_SYNC_NORMAL, err, sizeof(err)));
		unlink(t.db);
	}
	/* Not a database: refused with SQLite's word for it. */
	{
		FILE *f = fopen(t.db, "w");

		assert_non_null(f);
		for (int i = 0; i < 200; i++)
			fputs("garbage!", f);
		fclose(f);
		assert_int_equal(chmod(t.db, 0600), 0);
		assert_null(store_open(t.db, STORE_SYNC_NORMAL, err, sizeof(err)));
		unlink(t.db);
	}
	/* A schema from a newer rsipd. */
	assert_int_equal(sqlite3_open(t.db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER);"
				      "INSERT INTO meta VALUES ('schema', 99);",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(chmod(t.db, 0600), 0);
	assert_null(store_open(t.db, STORE_SYNC_NORMAL, err, sizeof(err)));
	assert_non_null(strstr(err, "schema version 99"));
	tmp_rm(&t);
}

/* A host with one binding, as its store row. */
static struct json_object *sample(struct harness *h, uint32_t *id)
{
	struct engine_src x = h_udp("10.0.0.2", 40000);

	*id = h_register(h, &x, 1);
	h_assign_ports(h, &x, *id, 2, 2);
	return engine_state_client(h->e, *id, WALL0);
}

static int restore_with(const char *args, struct json_object *rec, const char *key,
			struct json_object *val, size_t *nbindings)
{
	struct harness *h = h_new(args);
	struct json_object *copy = NULL;
	char err[256];
	int rc;

	assert_int_equal(json_object_deep_copy(rec, &copy, NULL), 0);
	if (key) {
		if (val)
			json_object_object_add(copy, key, val);
		else
			json_object_object_del(copy, key);
	}
	rc = engine_state_restore_client(h->e, copy, WALL0, err, sizeof(err));
	if (rc)
		print_message("  refused: %s\n", err);
	*nbindings = engine_n_bindings(h->e);
	assert_int_equal(engine_n_clients(h->e), rc ? 0 : 1);
	json_object_put(copy);
	h_free(h);
	return rc;
}

static struct json_object *binding_with(struct json_object *rec, const char *key,
					struct json_object *val)
{
	struct json_object *bs, *b, *copy = NULL, *nbs = json_object_new_array();

	assert_true(json_object_object_get_ex(rec, "bindings", &bs));
	assert_int_equal(json_object_deep_copy(json_object_array_get_idx(bs, 0), &copy, NULL), 0);
	b = copy;
	json_object_object_add(b, key, val);
	json_object_array_add(nbs, b);
	return nbs;
}

static void test_every_field_validated(void **state)
{
	struct harness *h = h_new(ARGS);
	struct json_object *rec;
	uint32_t id;
	size_t nb;

	rec = sample(h, &id);
	assert_non_null(rec);
	h_free(h);

	/* The record as written comes back whole. */
	assert_int_equal(restore_with(ARGS, rec, NULL, NULL, &nb), 0);
	assert_int_equal(nb, 1);
	/* IDs: non-zero, 32 bits. */
	assert_int_equal(restore_with(ARGS, rec, "client_id", json_object_new_int64(0), &nb),
			 -EINVAL);
	assert_int_equal(
	    restore_with(ARGS, rec, "client_id", json_object_new_int64(1ll << 32), &nb), -EINVAL);
	assert_int_equal(restore_with(ARGS, rec, "client_id", json_object_new_string("7"), &nb),
			 -EINVAL);
	/* Addresses: inside --allow, never 0.0.0.0 or broadcast. */
	assert_int_equal(restore_with(ARGS, rec, "xa", json_object_new_string("0.0.0.0"), &nb),
			 -EINVAL);
	assert_int_equal(
	    restore_with(ARGS, rec, "xa", json_object_new_string("255.255.255.255"), &nb), -EINVAL);
	assert_int_equal(restore_with(ARGS, rec, "xa", json_object_new_string("10.9.9.9"), &nb),
			 -EINVAL);
	assert_int_equal(restore_with(ARGS, rec, "xa", json_object_new_string("banana"), &nb),
			 -EINVAL);
	assert_int_equal(restore_with(ARGS, rec, "transport", json_object_new_string("sctp"), &nb),
			 -EINVAL);
	assert_int_equal(restore_with(ARGS, rec, "udp_port", json_object_new_int64(70000), &nb),
			 -EINVAL);
	assert_int_equal(restore_with(ARGS, rec, "flow_local", json_object_new_int64(-1), &nb),
			 -EINVAL);
	assert_int_equal(restore_with(ARGS, rec, "bindings", NULL, &nb), -EINVAL);
	/* Times: any int64 is safe (no overflow) and a lease is clamped. */
	assert_int_equal(
	    restore_with(ARGS, rec, "expires_ms", json_object_new_int64(INT64_MIN), &nb), 0);
	assert_int_equal(
	    restore_with(ARGS, rec, "expires_ms", json_object_new_int64(INT64_MAX), &nb), 0);
	assert_int_equal(
	    restore_with(ARGS, rec, "registered_ms", json_object_new_int64(INT64_MIN), &nb), 0);
	/* A bad binding is dropped alone: the host stays. */
	assert_int_equal(restore_with(ARGS, rec, "bindings",
				      binding_with(rec, "bind_id", json_object_new_int64(0)), &nb),
			 0);
	assert_int_equal(nb, 0);
	assert_int_equal(restore_with(ARGS, rec, "bindings",
				      binding_with(rec, "nb", json_object_new_string("192.0.2.99")),
				      &nb),
			 0);
	assert_int_equal(nb, 0);
	{
		struct json_object *ports = json_object_new_array();

		json_object_array_add(ports, json_object_new_int64(80)); /* outside --port-range */
		assert_int_equal(
		    restore_with(ARGS, rec, "bindings", binding_with(rec, "ports", ports), &nb), 0);
		assert_int_equal(nb, 0);
	}
	assert_int_equal(
	    restore_with(ARGS, rec, "bindings",
			 binding_with(rec, "expires_ms", json_object_new_int64(INT64_MIN)), &nb),
	    0);
	assert_int_equal(nb, 1);
	assert_int_equal(
	    restore_with(ARGS, rec, "bindings",
			 binding_with(rec, "lease_s", json_object_new_int64(UINT32_MAX)), &nb),
	    0);
	assert_int_equal(nb, 1);
	/* A smaller --lease afterwards: the stored expiry is clamped to it. */
	{
		struct harness *h2 = h_new(ARGS " --lease 60");
		struct json_object *o;
		char err[256];
		uint32_t id2;

		assert_int_equal(json_object_deep_copy(rec, &o, NULL), 0);
		json_object_object_add(o, "expires_ms", json_object_new_int64(WALL0 + 86400000));
		assert_int_equal(engine_state_restore_client(h2->e, o, WALL0, err, sizeof(err)), 0);
		id2 = (uint32_t)json_object_get_int64(json_object_object_get(o, "client_id"));
		json_object_put(o);
		o = engine_state_client(h2->e, id2, WALL0);
		assert_true(json_object_get_int64(json_object_object_get(o, "expires_ms")) <=
			    (int64_t)WALL0 + 60000);
		json_object_put(o);
		h_free(h2);
	}
	json_object_put(rec);
}

/* Two rows claiming the same ID, address or port: the second is refused
 * (ID, address) or loses the binding (port). */
static void test_unique(void **state)
{
	struct harness *h = h_new(ARGS), *h2;
	struct json_object *rec, *dup = NULL;
	char err[256];
	uint32_t id;

	rec = sample(h, &id);
	h_free(h);
	h2 = h_new(ARGS);
	assert_int_equal(engine_state_restore_client(h2->e, rec, WALL0, err, sizeof(err)), 0);
	assert_int_equal(json_object_deep_copy(rec, &dup, NULL), 0);
	json_object_object_add(dup, "xa", json_object_new_string("10.0.0.3"));
	assert_int_equal(engine_state_restore_client(h2->e, dup, WALL0, err, sizeof(err)), -EINVAL);
	json_object_object_add(dup, "client_id", json_object_new_int64((int64_t)id + 1));
	json_object_object_add(dup, "xa", json_object_new_string("10.0.0.2"));
	assert_int_equal(engine_state_restore_client(h2->e, dup, WALL0, err, sizeof(err)), -EINVAL);
	/* Another host with the same binding (same Bind ID, ports): restored
	 * without it. */
	json_object_object_add(dup, "xa", json_object_new_string("10.0.0.3"));
	assert_int_equal(engine_state_restore_client(h2->e, dup, WALL0, err, sizeof(err)), 0);
	assert_int_equal(engine_n_clients(h2->e), 2);
	assert_int_equal(engine_n_bindings(h2->e), 1);
	json_object_put(dup);
	json_object_put(rec);
	h_free(h2);
}

/* An old rsipd's state.json is imported into an empty store, renamed, and
 * the next start reads the store. */
static void test_import_state_json(void **state)
{
	struct harness *h = h_new(ARGS), *h2, *h3;
	struct engine_src x = h_udp("10.0.0.2", 40000);
	struct store_follow *f;
	struct json_object *st;
	char json[160], done[180];
	struct tmp t;
	uint32_t id;
	int rc;

	tmp_make(&t);
	snprintf(json, sizeof(json), "%s/state.json", t.dir);
	snprintf(done, sizeof(done), "%s.imported", json);
	id = h_register(h, &x, 1);
	h_assign_ports(h, &x, id, 3, 2);
	st = engine_state_save(h->e, WALL0);
	assert_int_equal(statefile_write(json, st), 0);
	json_object_put(st);
	h_free(h);

	h2 = h_new(ARGS);
	f = store_follow_open(h2->e, t.db, STORE_SYNC_NORMAL, json, &rc);
	assert_non_null(f);
	assert_int_equal(engine_n_clients(h2->e), 1);
	assert_int_equal(engine_n_bindings(h2->e), 1);
	assert_int_equal(access(json, F_OK), -1);
	assert_int_equal(access(done, F_OK), 0);
	store_follow_close(f);
	h_free(h2);

	h3 = h_new(ARGS);
	f = store_follow_open(h3->e, t.db, STORE_SYNC_NORMAL, json, &rc);
	assert_non_null(f);
	assert_int_equal(engine_n_clients(h3->e), 1);
	assert_int_equal(engine_n_bindings(h3->e), 1);
	/* It follows: a de-registration deletes the row at the commit. */
	{
		struct raw r;

		raw_begin(&r, RSIP_DEREGISTER_REQUEST);
		raw_u32(&r, RSIP_P_CLIENT_ID, id);
		raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 9);
		h_send(h3, &x, &r);
	}
	assert_int_equal(engine_n_clients(h3->e), 0);
	assert_int_equal(store_follow_commit(f), 0);
	store_follow_close(f);
	h_free(h3);

	h3 = h_new(ARGS);
	f = store_follow_open(h3->e, t.db, STORE_SYNC_NORMAL, NULL, &rc);
	assert_non_null(f);
	assert_int_equal(engine_n_clients(h3->e), 0);
	store_follow_close(f);
	h_free(h3);
	tmp_rm(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_schema_and_rows),	  cmocka_unit_test(test_open_refuses),
	    cmocka_unit_test(test_every_field_validated), cmocka_unit_test(test_unique),
	    cmocka_unit_test(test_import_state_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
