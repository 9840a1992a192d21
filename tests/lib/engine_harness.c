// SPDX-License-Identifier: BSD-2-Clause
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "engine_harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t h_clock(void *arg)
{
	return ((struct harness *)arg)->now;
}

static int h_io_send(void *arg, const struct engine_src *to, const uint8_t *buf, size_t len)
{
	struct harness *h = arg;
	struct h_sent *s;

	if (h->send_rc)
		return h->send_rc;
	assert_true(h->n_sent < H_MAX_SENT);
	assert_true(len <= RSIP_MAX_MSG);
	s = &h->sent[h->n_sent++];
	s->to = *to;
	memcpy(s->buf, buf, len);
	s->len = len;
	return 0;
}

struct harness *h_new(const char *args)
{
	struct harness *h = calloc(1, sizeof(*h));
	struct engine_io io = {.send = h_io_send};
	struct engine_clock clk = {.now_ms = h_clock};
	char *copy = strdup(args), *save = NULL, *tok, err[512];
	char *argv[64];
	int argc = 0;

	assert_non_null(h);
	argv[argc++] = "rsipd";
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	if (config_parse(&h->cfg, argc, argv, err, sizeof(err))) {
		fprintf(stderr, "harness config '%s': %s\n", args, err);
		fail();
	}
	free(copy);
	h->now = 1000000; /* not 0: a zero time hides bugs */
	io.arg = h;
	clk.arg = h;
	h->dp = dataplane_none_new();
	h->e = engine_new(&h->cfg, h->dp, &io, &clk);
	assert_non_null(h->e);
	return h;
}

void h_free(struct harness *h)
{
	engine_free(h->e, true);
	/* A clean shutdown leaves the data plane empty. */
	assert_int_equal(dataplane_none_n_bindings(h->dp), 0);
	assert_int_equal(dataplane_none_n_clients(h->dp), 0);
	h->dp->ops->destroy(h->dp, false);
	free(h);
}

struct engine_src h_udp(const char *ip, uint16_t port)
{
	struct engine_src s = {.transport = ENGINE_T_UDP, .port = port};

	assert_int_equal(inet_pton(AF_INET, ip, &s.addr), 1);
	return s;
}

struct engine_src h_tcp(const char *ip, uint16_t port, uint64_t conn)
{
	struct engine_src s = {.transport = ENGINE_T_TCP, .port = port, .conn = conn};

	assert_int_equal(inet_pton(AF_INET, ip, &s.addr), 1);
	return s;
}

int h_send(struct harness *h, const struct engine_src *src, struct raw *r)
{
	size_t len = raw_len(r);
	uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees overreads */
	int rc;

	memcpy(copy, r->b, len);
	rc = engine_handle(h->e, src, copy, len);
	free(copy);
	return rc;
}

const struct rsip_msg *h_msg(struct harness *h, int i)
{
	struct rsip_decode_err de;
	size_t idx = i < 0 ? h->n_sent + (size_t)i : (size_t)i;

	assert_true(idx < h->n_sent);
	if (rsip_decode(h->sent[idx].buf, h->sent[idx].len, &h->msg, &de)) {
		fprintf(stderr, "sent message %zu does not decode: %u %s\n", idx, de.error,
			de.why ? de.why : "");
		fail();
	}
	return &h->msg;
}

const struct rsip_msg *h_reply_since(struct harness *h, size_t mark)
{
	if (h->n_sent != mark + 1) {
		fprintf(stderr, "expected exactly one message, got %zu\n", h->n_sent - mark);
		fail();
	}
	return h_msg(h, -1);
}

void h_expect_error(struct harness *h, size_t mark, uint16_t code)
{
	const struct rsip_msg *m = h_reply_since(h, mark);

	if (m->type != RSIP_ERROR_RESPONSE || m->error != code) {
		char line[256];

		rsip_msg_format(m, line, sizeof(line));
		fprintf(stderr, "expected ERROR_RESPONSE %u, got %s\n", code, line);
		fail();
	}
}

uint32_t h_register(struct harness *h, const struct engine_src *src, uint32_t counter)
{
	struct raw r;
	size_t mark = h->n_sent;
	const struct rsip_msg *m;

	raw_begin(&r, RSIP_REGISTER_REQUEST);
	if (counter)
		raw_u32(&r, RSIP_P_MESSAGE_COUNTER, counter);
	assert_int_equal(h_send(h, src, &r), ENGINE_OK);
	m = h_reply_since(h, mark);
	assert_int_equal(m->type, RSIP_REGISTER_RESPONSE);
	assert_true(m->client_id != 0);
	return m->client_id;
}

void h_addr(struct raw *r, const char *a)
{
	if (!strcmp(a, "-"))
		return;
	if (!strcmp(a, "any"))
		raw_any(r, RSIP_ADDR_IPV4);
	else
		raw_ipv4(r, RSIP_ADDR_IPV4, a);
}

void h_hexparam(struct raw *r, uint8_t code, const char *hex)
{
	uint8_t b[RAW_MAX];
	size_t n = hex2bin(hex, b, sizeof(b));

	raw_param(r, code, b, n);
}

static void tail(struct raw *r, uint32_t counter)
{
	if (counter)
		raw_u32(r, RSIP_P_MESSAGE_COUNTER, counter);
}

void h_assign_rsap(struct raw *r, uint32_t client, const char *local, const char *lports,
		   const char *remote, const char *rports, uint32_t counter)
{
	raw_begin(r, RSIP_ASSIGN_REQUEST_RSAP_IP);
	raw_u32(r, RSIP_P_CLIENT_ID, client);
	h_addr(r, local);
	h_hexparam(r, RSIP_P_PORTS, lports);
	h_addr(r, remote);
	h_hexparam(r, RSIP_P_PORTS, rports);
	tail(r, counter);
}

void h_assign_rsipsec(struct raw *r, uint32_t client, const char *local, const char *lports,
		      const char *remote, const char *rports, const char *spi, uint32_t counter)
{
	raw_begin(r, RSIP_ASSIGN_REQUEST_RSIPSEC);
	raw_u32(r, RSIP_P_CLIENT_ID, client);
	h_addr(r, local);
	h_hexparam(r, RSIP_P_PORTS, lports);
	h_addr(r, remote);
	h_hexparam(r, RSIP_P_PORTS, rports);
	h_hexparam(r, RSIP_P_SPI, spi);
	tail(r, counter);
}

void h_assign_rsa(struct raw *r, uint32_t client, const char *local, const char *remote,
		  const char *rports, uint32_t counter)
{
	raw_begin(r, RSIP_ASSIGN_REQUEST_RSA_IP);
	raw_u32(r, RSIP_P_CLIENT_ID, client);
	h_addr(r, local);
	h_addr(r, remote);
	h_hexparam(r, RSIP_P_PORTS, rports);
	tail(r, counter);
}

uint32_t h_assign_ports(struct harness *h, const struct engine_src *src, uint32_t client,
			unsigned int k, uint32_t counter)
{
	struct raw r;
	char hex[8];
	size_t mark = h->n_sent;
	const struct rsip_msg *m;

	snprintf(hex, sizeof(hex), "%02x", k);
	h_assign_rsap(&r, client, "any", hex, "any", "01", counter);
	assert_int_equal(h_send(h, src, &r), ENGINE_OK);
	m = h_reply_since(h, mark);
	if (m->type != RSIP_ASSIGN_RESPONSE_RSAP_IP) {
		fprintf(stderr, "ASSIGN refused: error %u\n", m->error);
		fail();
	}
	return m->bind_id;
}
