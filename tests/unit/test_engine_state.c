// SPDX-License-Identifier: BSD-2-Clause
/*
 * The engine's state snapshot (user/rsipd/engine_state.c) and the state file
 * (statefile.c): a restarted engine holds exactly the registrations,
 * bindings, IDs, resources, leases and cached replies of the old one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/statefile.h"
#include "../lib/engine_harness.h"

#define ARGS                                                                                       \
	"--listen 10.0.0.1 --public 192.0.2.1,192.0.2.2 --lease 600 --spi-block 16 "               \
	"--holdback 60"
#define WALL0 1700000000000ull

struct snap {
	uint32_t bind_id, client_id;
	struct in_addr xa, nb;
	uint16_t nports, nspis;
	uint16_t ports[8];
	uint32_t spis[8];
	uint8_t kind, tunnel;
	uint64_t expires_ms;
};

struct snaps {
	struct snap v[16];
	size_t n;
};

static void take(const struct binding_rec *b, void *arg)
{
	struct snaps *s = arg;
	struct snap *p = &s->v[s->n++];

	memset(p, 0, sizeof(*p));
	p->bind_id = b->bind_id;
	p->client_id = b->client_id;
	p->xa = b->xa;
	p->nb = b->nb;
	p->kind = b->kind;
	p->tunnel = b->tunnel;
	p->nports = b->nports;
	p->nspis = b->nspis;
	memcpy(p->ports, binding_ports(b), b->nports * 2u);
	memcpy(p->spis, binding_spis(b), b->nspis * 4u);
	p->expires_ms = b->expires_ms;
}

static const struct snap *find(const struct snaps *s, uint32_t bind_id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].bind_id == bind_id)
			return &s->v[i];
	return NULL;
}

/* Two hosts: ports, an RSIPSEC block, a whole address; one retransmittable
 * reply. Returns the harness. */
static struct harness *populate(uint32_t *id1, uint32_t *id2, struct raw *last_req)
{
	struct harness *h = h_new(ARGS);
	struct engine_src x1 = h_udp("10.0.0.11", 40000), x2 = h_tcp("10.0.0.12", 40001, 7);
	struct raw r;

	*id1 = h_register(h, &x1, 1);
	*id2 = h_register(h, &x2, 0);
	h_assign_ports(h, &x1, *id1, 4, 2);
	h_assign_rsipsec(&r, *id1, "any", "01", "any", "01", "00 03", 3);
	h_send(h, &x1, &r);
	assert_int_equal(h_msg(h, -1)->type, RSIP_ASSIGN_RESPONSE_RSIPSEC);
	h_assign_rsa(&r, *id2, "192.0.2.2", "any", "01", 0);
	h_send(h, &x2, &r);
	assert_int_equal(h_msg(h, -1)->type, RSIP_ASSIGN_RESPONSE_RSA_IP);
	/* The last request of X1, which a retransmission repeats. */
	h_assign_ports(h, &x1, *id1, 1, 4);
	h_assign_rsap(last_req, *id1, "any", "01", "any", "01", 4);
	return h;
}

static void test_roundtrip(void **state)
{
	struct engine_src x1 = h_udp("10.0.0.11", 40000);
	struct snaps before = {0}, after = {0};
	struct json_object *st;
	struct harness *h, *h2;
	uint32_t id1, id2;
	struct raw again;
	uint8_t reply[RSIP_MAX_MSG];
	size_t reply_len, i, mark;
	char err[256];

	h = populate(&id1, &id2, &again);
	reply_len = h->sent[h->n_sent - 1].len;
	memcpy(reply, h->sent[h->n_sent - 1].buf, reply_len);
	engine_foreach_binding(h->e, 0, take, &before);
	assert_int_equal(before.n, 4);
	st = engine_state_save(h->e, WALL0);
	/* A round trip through text, as the file does it. */
	{
		struct json_object *copy = json_tokener_parse(json_object_to_json_string(st));

		assert_non_null(copy);
		json_object_put(st);
		st = copy;
	}

	/* A new engine, started 5 s later on a different monotonic clock. */
	h2 = h_new(ARGS);
	h2->now = 42000;
	assert_int_equal(engine_state_restore(h2->e, st, WALL0 + 5000, err, sizeof(err)), 0);
	assert_int_equal(engine_n_clients(h2->e), 2);
	engine_foreach_binding(h2->e, 0, take, &after);
	assert_int_equal(after.n, 4);
	for (i = 0; i < before.n; i++) {
		const struct snap *b = &before.v[i], *a = find(&after, b->bind_id);

		assert_non_null(a);
		assert_int_equal(a->client_id, b->client_id);
		assert_int_equal(a->xa.s_addr, b->xa.s_addr);
		assert_int_equal(a->nb.s_addr, b->nb.s_addr);
		assert_int_equal(a->kind, b->kind);
		assert_int_equal(a->nports, b->nports);
		assert_int_equal(a->nspis, b->nspis);
		assert_memory_equal(a->ports, b->ports, sizeof(a->ports));
		assert_memory_equal(a->spis, b->spis, sizeof(a->spis));
		/* The same absolute end: 5 s of it went by while down. */
		assert_int_equal(a->expires_ms - h2->now, b->expires_ms - h->now - 5000);
		/* The data plane heard of it again. */
		assert_non_null(dataplane_none_binding(h2->dp, b->bind_id));
	}
	assert_true(dataplane_none_has_client(h2->dp, id1));
	assert_true(dataplane_none_has_client(h2->dp, id2));

	/* A retransmission of X1's last request gets the same bytes, and no
	 * second allocation. */
	mark = h2->n_sent;
	h_send(h2, &x1, &again);
	assert_int_equal(h2->n_sent, mark + 1);
	assert_int_equal(h2->sent[mark].len, reply_len);
	assert_memory_equal(h2->sent[mark].buf, reply, reply_len);
	assert_int_equal(engine_n_bindings(h2->e), 4);

	/* The resources are taken: the ports of X1 cannot go to anyone else,
	 * the whole address neither. */
	{
		struct engine_src x3 = h_udp("10.0.0.13", 40000);
		uint32_t id3 = h_register(h2, &x3, 1);
		const struct snap *p = NULL;
		char hex[32];
		struct raw r;

		for (i = 0; i < after.n; i++)
			if (after.v[i].nports == 4)
				p = &after.v[i];
		assert_non_null(p);
		snprintf(hex, sizeof(hex), "01 %02x %02x", p->ports[0] >> 8, p->ports[0] & 0xff);
		mark = h2->n_sent;
		h_assign_rsap(&r, id3, "192.0.2.1", hex, "any", "01", 2);
		h_send(h2, &x3, &r);
		h_expect_error(h2, mark, RSIP_E_LOCAL_ADDRPORT_INUSE);
		mark = h2->n_sent;
		h_assign_rsa(&r, id3, "192.0.2.2", "any", "01", 3);
		h_send(h2, &x3, &r);
		h_expect_error(h2, mark, RSIP_E_LOCAL_ADDR_INUSE);
	}
	/* Leases run on: 600 s after the first grant everything expires. */
	h2->now += 600 * 1000;
	engine_tick(h2->e);
	assert_int_equal(engine_n_bindings(h2->e), 0);

	json_object_put(st);
	h_free(h);
	h_free(h2);
}

static int hook_calls;

static void hook(void *arg)
{
	hook_calls++;
}

static void test_hook_and_file(void **state)
{
	struct harness *h = h_new(ARGS), *h2;
	struct engine_src x = h_udp("10.0.0.11", 40000);
	char dir[] = "/tmp/rsipd-state-XXXXXX", path[300], err[256];
	struct json_object *st, *back;
	uint32_t id, bind;
	struct raw r;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/state.json", dir);
	engine_set_state_hook(h->e, hook, NULL);
	id = h_register(h, &x, 1);
	assert_int_equal(hook_calls, 1);
	bind = h_assign_ports(h, &x, id, 2, 2);
	assert_int_equal(hook_calls, 2);
	/* A QUERY changes nothing the file holds. */
	raw_begin(&r, RSIP_QUERY_REQUEST);
	raw_u32(&r, RSIP_P_CLIENT_ID, id);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 3);
	h_send(h, &x, &r);
	assert_int_equal(hook_calls, 2);
	/* A revocation does. */
	assert_int_equal(engine_revoke_binding(h->e, bind), 0);
	assert_int_equal(hook_calls, 3);

	st = engine_state_save(h->e, WALL0);
	assert_int_equal(statefile_read(path, &back), -ENOENT);
	assert_int_equal(statefile_write(path, st), 0);
	assert_int_equal(statefile_read(path, &back), 0);
	h2 = h_new(ARGS);
	assert_int_equal(engine_state_restore(h2->e, back, WALL0, err, sizeof(err)), 0);
	assert_int_equal(engine_n_clients(h2->e), 1);
	/* Restoring twice is refused: the engine is not empty. */
	assert_int_equal(engine_state_restore(h2->e, back, WALL0, err, sizeof(err)), -EINVAL);
	json_object_put(back);
	json_object_put(st);
	h_free(h);
	h_free(h2);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
}

static void test_refused(void **state)
{
	struct harness *h, *h2;
	uint32_t id1, id2;
	struct raw again;
	struct json_object *st, *bad;
	char err[256];

	h = populate(&id1, &id2, &again);
	st = engine_state_save(h->e, WALL0);

	/* Another SPI block size: the maps would be keyed wrongly. */
	h2 = h_new("--listen 10.0.0.1 --public 192.0.2.1,192.0.2.2 --lease 600 --spi-block 256");
	assert_int_equal(engine_state_restore(h2->e, st, WALL0, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--spi-block 16"));
	assert_int_equal(engine_n_clients(h2->e), 0);
	h_free(h2);

	/* Not ours, another version. */
	h2 = h_new(ARGS);
	bad = json_tokener_parse("{\"format\":\"something\"}");
	assert_int_equal(engine_state_restore(h2->e, bad, WALL0, err, sizeof(err)), -EINVAL);
	json_object_put(bad);
	bad = json_tokener_parse("{\"format\":\"rsipd-state\",\"version\":9}");
	assert_int_equal(engine_state_restore(h2->e, bad, WALL0, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "version 9"));
	json_object_put(bad);
	h_free(h2);

	/* An address that left the pool: its binding is freed, and the host
	 * hears so (an unsolicited FREE_RESPONSE); the rest comes back. */
	h2 = h_new("--listen 10.0.0.1 --public 192.0.2.1 --lease 600 --spi-block 16");
	assert_int_equal(engine_state_restore(h2->e, st, WALL0, err, sizeof(err)), 0);
	assert_int_equal(engine_n_clients(h2->e), 2);
	assert_int_equal(engine_n_bindings(h2->e), 3);
	assert_int_equal(engine_counters(h2->e)->unsolicited_dropped, 1); /* X2: TCP, gone */
	json_object_put(st);
	h_free(h);
	h_free(h2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_hook_and_file),
	    cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
