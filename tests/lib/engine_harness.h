/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Drive rsipd's engine with no socket: a configuration from a flag string
 * (through the real parser), the in-memory data plane, an injected clock, and
 * a send callback that records every message the engine sends. Requests are
 * crafted byte by byte with tests/lib/msg_raw.h.
 */
#ifndef RSIP_TEST_ENGINE_HARNESS_H
#define RSIP_TEST_ENGINE_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc/alloc.h"
#include "../../user/rsipd/config.h"
#include "dataplane/none.h"
#include "engine/engine.h"
#include "msg_raw.h"
#include "rsip/msg.h"

#define H_MAX_SENT 256

struct h_sent {
	struct engine_src to;
	uint8_t buf[RSIP_MAX_MSG];
	size_t len;
};

struct harness {
	struct rsipd_config cfg;
	struct dataplane *dp;
	struct engine *e;
	uint64_t now; /* ms */
	int send_rc;  /* what the send callback returns (0, or -ENOTCONN...) */
	size_t n_sent;
	struct h_sent sent[H_MAX_SENT];
	struct rsip_msg msg; /* the last reply, decoded by h_reply */
};

/* A harness for "rsipd <args>" (args split on spaces); aborts when the
 * configuration is refused. Free with h_free. */
struct harness *h_new(const char *args);
void h_free(struct harness *h);

struct engine_src h_udp(const char *ip, uint16_t port);
struct engine_src h_tcp(const char *ip, uint16_t port, uint64_t conn);

/* Hand r (its Overall Length patched) to the engine. Returns engine_handle's
 * result; the messages sent in answer are appended to h->sent. */
int h_send(struct harness *h, const struct engine_src *src, struct raw *r);
/* Decode sent message i (negative: from the end, -1 the last) into h->msg
 * and return it; fails the test when it does not decode. */
const struct rsip_msg *h_msg(struct harness *h, int i);
/* Decode the only message sent since mark (fails the test otherwise). */
const struct rsip_msg *h_reply_since(struct harness *h, size_t mark);
/* Assert the last message is ERROR_RESPONSE code. */
void h_expect_error(struct harness *h, size_t mark, uint16_t code);

/* REGISTER_REQUEST with counter (0: none); returns the Client ID. */
uint32_t h_register(struct harness *h, const struct engine_src *src, uint32_t counter);

/* Requests built from parts. Ports and SPI parameters are hex text of the
 * parameter VALUE ("" for "don't need" Ports), e.g. "04" = don't care x4,
 * "01 27 10" = port 10000. Address: dotted text, "any" (Length 1 IPv4) or
 * "-" to leave the parameter out (for malformed tests). */
void h_assign_rsap(struct raw *r, uint32_t client, const char *local, const char *lports,
		   const char *remote, const char *rports, uint32_t counter);
void h_assign_rsipsec(struct raw *r, uint32_t client, const char *local, const char *lports,
		      const char *remote, const char *rports, const char *spi, uint32_t counter);
void h_assign_rsa(struct raw *r, uint32_t client, const char *local, const char *remote,
		  const char *rports, uint32_t counter);
void h_addr(struct raw *r, const char *a);
void h_hexparam(struct raw *r, uint8_t code, const char *hex);

/* ASSIGN_REQUEST_RSAP-IP for k don't-care ports, remote don't care; returns
 * the Bind ID (fails the test on an error). */
uint32_t h_assign_ports(struct harness *h, const struct engine_src *src, uint32_t client,
			unsigned int k, uint32_t counter);

#endif
