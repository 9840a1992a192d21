/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A scripted RSIP gateway for librsip tests, on the other end of a
 * socketpair: either driven step by step from the test (fake_send,
 * fake_recv), or as a thread that answers each request with the next step of
 * a script while the library under test sits in a blocking call.
 */
#ifndef RSIP_TEST_FAKE_GW_H
#define RSIP_TEST_FAKE_GW_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "rsip/msg.h"

#define FAKE_GW_MAX 32

/* Fill rsp as the answer to req. Return true to send it, false to send
 * nothing (a lost answer). The counter is copied from req unless rsp already
 * has one. */
typedef bool (*fake_gw_fn)(void *arg, const struct rsip_msg *req, struct rsip_msg *rsp);

struct fake_gw_step {
	fake_gw_fn fn;
	void *arg;
};

struct fake_gw {
	int fd;
	bool stream;
	const struct fake_gw_step *steps;
	int n_steps;
	pthread_t th;
	int n_requests;
	struct rsip_msg *reqs[FAKE_GW_MAX]; /* what the client sent, decoded */
	int error;			    /* 0, or what went wrong in the thread */
	/* Retransmissions of a request the gateway had already answered (the
	 * answer crossed them, e.g. on a loaded machine): answered again like
	 * a real gateway's reply cache, without taking a step of the script. */
	int n_repeats;
};

int fake_gw_start(struct fake_gw *g, int fd, bool stream, const struct fake_gw_step *steps,
		  int n_steps);
/* Wait for the script to end; returns g->error. Frees the recorded requests
 * only in fake_gw_free. */
int fake_gw_join(struct fake_gw *g);
void fake_gw_free(struct fake_gw *g);

/* Step-by-step helpers. */
int fake_send(int fd, const struct rsip_msg *m);
int fake_send_raw(int fd, const uint8_t *buf, size_t len);
/* Read one message (a datagram, or one Overall-Length frame from a stream)
 * within timeout_ms and decode it. Returns its length, 0 on timeout, -1 on
 * error or EOF. */
int fake_recv(int fd, bool stream, struct rsip_msg *m, int timeout_ms);
/* Count what is waiting without decoding it (datagram sockets). */
int fake_pending(int fd);

/* Answers. */
void fake_register_response(struct rsip_msg *m, uint32_t client_id, uint32_t lease);
void fake_error_response(struct rsip_msg *m, uint16_t code, uint32_t client_id);
/* ASSIGN_RESPONSE_RSIPSEC: nb "a.b.c.d", SPIs spi..spi+n-1 as a range,
 * ports port..port+nports-1 (nports 0: "don't need"). */
void fake_rsipsec_response(struct rsip_msg *m, uint32_t client_id, uint32_t bind_id, const char *nb,
			   uint32_t spi, uint16_t n_spis, uint16_t port, uint8_t nports,
			   uint32_t lease, uint8_t tunnel);
void fake_ids_response(struct rsip_msg *m, uint8_t type, uint32_t client_id, uint32_t bind_id,
		       bool has_bind, uint32_t lease, bool has_lease);

#endif
