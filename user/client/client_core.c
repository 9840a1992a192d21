// SPDX-License-Identifier: BSD-2-Clause
/*
 * librsip core: the request queue, Message Counters, retransmission timing
 * and the sorting of what the gateway sends (answer, unsolicited, or noise).
 *
 * Counter rules (RFC 3103 section 10.1): one request outstanding at a time;
 * the host moves from n to n+1 only once n is answered. We also move on when
 * we give up on n: the gateway may have processed n, and re-using n for a
 * different request would get n's cached answer (spec D3 lets the gateway
 * accept any new value).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "client_internal.h"
#include "log.h"

static uint64_t default_clock(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t rsip_client_now_us(const struct rsip_client *c)
{
	return rsip_now(c);
}

static uint32_t random_counter(void)
{
	uint32_t v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (uint32_t)default_clock(NULL) ^ (uint32_t)getpid();
	return v % 0x7fffffffu + 1;
}

static struct rsip_client *client_new(int fd, enum rsip_transport t, struct in_addr server,
				      const struct rsip_client_cfg *cfg)
{
	struct rsip_client *c;

	if (!cfg || (t != RSIP_TRANSPORT_TCP && t != RSIP_TRANSPORT_UDP)) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->rx = malloc(sizeof(*c->rx));
	c->dgram_cap = 65536;
	c->dgram = malloc(c->dgram_cap);
	if (!c->rx || !c->dgram) {
		free(c->rx);
		free(c->dgram);
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	c->cfg = *cfg;
	if (!c->cfg.clock)
		c->cfg.clock = default_clock;
	if (!c->cfg.rto_first_us)
		c->cfg.rto_first_us = RSIP_CLIENT_RTO_FIRST_US;
	if (!c->cfg.max_sends)
		c->cfg.max_sends = RSIP_CLIENT_MAX_SENDS;
	if (!c->cfg.tcp_timeout_us)
		c->cfg.tcp_timeout_us = RSIP_CLIENT_TCP_TIMEOUT_US;
	if (!c->cfg.renew_den || c->cfg.renew_num == 0 || c->cfg.renew_num >= c->cfg.renew_den) {
		c->cfg.renew_num = 1;
		c->cfg.renew_den = 2;
	}
	c->counter = cfg->first_counter ? cfg->first_counter : random_counter();
	c->fd = fd;
	c->transport = t;
	c->server = server;
	return c;
}

struct rsip_client *rsip_client_connect(struct in_addr server, uint16_t port,
					const struct rsip_client_cfg *cfg)
{
	struct rsip_client *c;
	int fd;

	if (!cfg) {
		errno = EINVAL;
		return NULL;
	}
	fd =
	    rsip_io_connect(server, port, cfg->transport,
			    cfg->tcp_timeout_us ? cfg->tcp_timeout_us : RSIP_CLIENT_TCP_TIMEOUT_US);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	c = client_new(fd, cfg->transport, server, cfg);
	if (!c) {
		close(fd);
		return NULL;
	}
	c->port = port;
	c->can_reconnect = true;
	return c;
}

struct rsip_client *rsip_client_open_fd(int fd, struct in_addr server,
					const struct rsip_client_cfg *cfg)
{
	int fl;

	if (fd < 0) {
		errno = EBADF;
		return NULL;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return NULL;
	return client_new(fd, cfg ? cfg->transport : 0, server, cfg);
}

static void req_free(struct rsip_req *r)
{
	if (!r)
		return;
	free(r->m);
	free(r);
}

void rsip_client_close(struct rsip_client *c)
{
	struct rsip_req *r, *n;

	if (!c)
		return;
	for (r = c->head; r; r = n) {
		n = r->next;
		req_free(r);
	}
	rsip_bind_clear(c);
	free(c->bindings);
	rsip_io_disconnect(c);
	free(c->rx);
	free(c->dgram);
	free(c);
}

int rsip_client_fd(const struct rsip_client *c)
{
	return c->fd;
}

short rsip_client_poll_events(const struct rsip_client *c)
{
	if (c->fd < 0)
		return 0;
	return (short)(POLLIN | (c->out_len ? POLLOUT : 0));
}

uint32_t rsip_client_next_counter(const struct rsip_client *c)
{
	return c->counter;
}

enum rsip_transport rsip_client_transport(const struct rsip_client *c)
{
	return c->transport;
}

struct in_addr rsip_client_server(const struct rsip_client *c)
{
	return c->server;
}

unsigned int rsip_client_pending(const struct rsip_client *c)
{
	return c->n_pending;
}

const struct rsip_registration *rsip_client_registration(const struct rsip_client *c)
{
	return &c->reg;
}

const struct rsip_client_error *rsip_client_last_error(const struct rsip_client *c)
{
	return &c->last_err;
}

static void advance_counter(struct rsip_client *c)
{
	/* Wraps to 1, never 0: 0 marks the gateway's unsolicited messages. */
	c->counter = c->counter == UINT32_MAX ? 1 : c->counter + 1;
}

/* Take the head off the queue, let the library apply the outcome, then tell
 * the caller. rsp is the gateway's message for rc >= 0 answers. */
static void complete_head(struct rsip_client *c, int rc, const struct rsip_msg *rsp)
{
	struct rsip_req *r = c->head;

	c->head = r->next;
	if (!c->head)
		c->tail = NULL;
	c->n_pending--;
	if (r->sent)
		advance_counter(c);
	if (rc < 0)
		rsip_apply_failure(c, r, rc);
	if (r->done)
		r->done(r->arg, rc, rc >= 0 ? rsp : NULL);
	req_free(r);
}

void rsip_core_fail_all(struct rsip_client *c, int rc)
{
	while (c->head)
		complete_head(c, rc, NULL);
}

static uint64_t first_timeout(const struct rsip_client *c)
{
	return c->transport == RSIP_TRANSPORT_UDP ? c->cfg.rto_first_us : c->cfg.tcp_timeout_us;
}

/* Encode and send the head for the first time. */
static int send_first(struct rsip_client *c, struct rsip_req *r)
{
	struct rsip_msg *m = r->m;
	char line[256];
	ssize_t len;

	if (m->type != RSIP_REGISTER_REQUEST && !(m->has & RSIP_HAS_CLIENT_ID)) {
		if (!c->reg.registered)
			return -ENOTCONN;
		m->client_id = c->reg.client_id;
		m->has |= RSIP_HAS_CLIENT_ID;
	}
	m->counter = c->counter;
	m->has |= RSIP_HAS_COUNTER;
	len = rsip_encode(m, r->buf, sizeof(r->buf));
	if (len < 0)
		return (int)len;
	r->len = (size_t)len;
	r->counter = c->counter;
	r->sent = true;
	r->sends = 1;
	r->deadline_us = rsip_now(c) + first_timeout(c);
	if (log_get_verbosity() > 0) {
		rsip_msg_format(m, line, sizeof(line));
		log_debug("rsip: -> %s", line);
	}
	return rsip_io_send(c, r->buf, r->len);
}

static void connection_lost(struct rsip_client *c, int rc)
{
	struct rsip_client_event ev = {.type = RSIP_EV_DISCONNECTED, .error = rc};

	log_debug("rsip: connection to the gateway lost: %s", strerror(-rc));
	rsip_io_disconnect(c);
	/* Over TCP a counter is only echoed, never used to spot duplicates
	 * (spec D3): re-sending the request on a new connection could run it
	 * twice. So it fails, and the caller decides. */
	if (c->head && c->head->sent)
		complete_head(c, -ECONNRESET, NULL);
	if (!c->can_reconnect)
		rsip_core_fail_all(c, -ECONNRESET);
	ev.client_id = c->reg.client_id;
	rsip_emit(c, &ev);
}

/* Send queued requests until one is in flight. */
static void start_next(struct rsip_client *c)
{
	int rc, fd;

	while (c->head && !c->head->sent) {
		/* A renewal queued for a binding that is gone since (freed,
		 * taken back) has nothing left to renew. */
		if (c->head->is_renewal && !rsip_bind_find(c, c->head->m->bind_id)) {
			complete_head(c, -ECANCELED, NULL);
			continue;
		}
		if (c->fd < 0) {
			if (!c->can_reconnect) {
				complete_head(c, -ENOTCONN, NULL);
				continue;
			}
			fd = rsip_io_connect(c->server, c->port, c->transport,
					     c->cfg.tcp_timeout_us);
			if (fd < 0) {
				complete_head(c, fd, NULL);
				continue;
			}
			c->fd = fd;
			log_debug("rsip: reconnected to the gateway");
		}
		rc = send_first(c, c->head);
		if (rc == -ENOTCONN || rc == -EINVAL || rc == -ENOSPC) {
			complete_head(c, rc == -ENOSPC ? -EINVAL : rc, NULL);
			continue;
		}
		if (rc < 0) {
			connection_lost(c, rc);
			continue;
		}
	}
}

int rsip_client_submit(struct rsip_client *c, const struct rsip_msg *m, rsip_done_fn done,
		       void *arg)
{
	int rc = rsip_queue_submit(c, m, done, arg, NULL);

	if (rc == 0)
		start_next(c);
	return rc;
}

/* Is m, which carries no counter (allowed over TCP), the answer to r? */
static bool answers(const struct rsip_req *r, const struct rsip_msg *m)
{
	if (m->type == RSIP_ERROR_RESPONSE)
		return true;
	if (m->type != r->m->type + 1)
		return false;
	if ((m->type == RSIP_FREE_RESPONSE || m->type == RSIP_EXTEND_RESPONSE) &&
	    m->bind_id != r->m->bind_id)
		return false;
	return true;
}

static bool may_be_unsolicited(uint8_t type)
{
	return type == RSIP_ERROR_RESPONSE || type == RSIP_FREE_RESPONSE ||
	       type == RSIP_DEREGISTER_RESPONSE;
}

static void on_answer(struct rsip_client *c, struct rsip_req *r, const struct rsip_msg *m)
{
	int rc;

	if (m->type == RSIP_ERROR_RESPONSE) {
		c->last_err = (struct rsip_client_error){
		    .code = m->error ? m->error : RSIP_E_UNKNOWN_ERROR,
		    .request_type = r->m->type,
		    .has_client_id = !!(m->has & RSIP_HAS_CLIENT_ID),
		    .client_id = m->client_id,
		    .has_bind_id = !!(m->has & RSIP_HAS_BIND_ID),
		    .bind_id = m->bind_id,
		};
		log_debug("rsip: %s refused: %s (%u)", rsip_msg_type_name(r->m->type),
			  rsip_error_name(c->last_err.code), c->last_err.code);
		rsip_apply_error(c, r, m);
		complete_head(c, c->last_err.code, m);
		return;
	}
	if (m->type != r->m->type + 1) {
		log_debug("rsip: %s does not answer %s: dropped", rsip_msg_type_name(m->type),
			  rsip_msg_type_name(r->m->type));
		return;
	}
	if (m->type != RSIP_REGISTER_RESPONSE && (m->has & RSIP_HAS_CLIENT_ID) &&
	    m->client_id != r->m->client_id) {
		log_debug("rsip: answer for client %u, we are %u: dropped", m->client_id,
			  r->m->client_id);
		return;
	}
	if ((m->type == RSIP_FREE_RESPONSE || m->type == RSIP_EXTEND_RESPONSE) &&
	    m->bind_id != r->m->bind_id) {
		log_debug("rsip: answer for bind %u, we asked about %u: dropped", m->bind_id,
			  r->m->bind_id);
		return;
	}
	rc = rsip_apply_response(c, r, m);
	complete_head(c, rc, m);
}

/* Everything the gateway sends comes here (through rsip_io_read). */
static void on_message(struct rsip_client *c, const uint8_t *buf, size_t len)
{
	struct rsip_req *r = c->head && c->head->sent ? c->head : NULL;
	struct rsip_decode_err err;
	struct rsip_msg *m = c->rx;
	char line[256];

	if (rsip_decode(buf, len, m, &err)) {
		log_debug("rsip: dropped an unparsable message from the gateway (%s: %s)",
			  rsip_error_name(err.error), err.why ? err.why : "");
		return;
	}
	if (log_get_verbosity() > 0) {
		rsip_msg_format(m, line, sizeof(line));
		log_debug("rsip: <- %s", line);
	}
	if (!rsip_msg_is_response(m->type)) {
		log_debug("rsip: the gateway sent a request type (%s): dropped",
			  rsip_msg_type_name(m->type));
		return;
	}
	if (m->has & RSIP_HAS_COUNTER) {
		if (m->counter == 0) {
			if (may_be_unsolicited(m->type))
				rsip_apply_unsolicited(c, m);
			else
				log_debug("rsip: %s with counter 0: dropped",
					  rsip_msg_type_name(m->type));
			return;
		}
		if (r && m->counter == r->counter) {
			on_answer(c, r, m);
			return;
		}
		/* A late answer to a request we gave up on, or to an earlier
		 * transmission: never the answer to the current request. */
		log_debug("rsip: counter %u answers nothing outstanding: dropped", m->counter);
		return;
	}
	if (c->transport == RSIP_TRANSPORT_UDP) {
		log_debug("rsip: UDP message without a Message Counter: dropped");
		return;
	}
	if (r && answers(r, m))
		on_answer(c, r, m);
	else if (may_be_unsolicited(m->type))
		rsip_apply_unsolicited(c, m);
	else
		log_debug("rsip: %s answers nothing outstanding: dropped",
			  rsip_msg_type_name(m->type));
}

static void run_timers(struct rsip_client *c)
{
	struct rsip_req *r = c->head;
	uint64_t now = rsip_now(c);

	if (r && r->sent && now >= r->deadline_us) {
		if (c->transport == RSIP_TRANSPORT_UDP && r->sends < c->cfg.max_sends) {
			/* Binary exponential backoff: the k-th send waits
			 * rto * 2^(k-1) for its answer (RFC 3103 App. D). */
			log_debug("rsip: retransmitting counter %u (send %u)", r->counter,
				  r->sends + 1);
			r->deadline_us = now + ((uint64_t)c->cfg.rto_first_us << r->sends);
			r->sends++;
			rsip_io_send(c, r->buf, r->len);
		} else {
			log_debug("rsip: no answer to %s (counter %u) after %u send(s): giving up",
				  rsip_msg_type_name(r->m->type), r->counter, r->sends);
			complete_head(c, -ETIMEDOUT, NULL);
		}
	}
	rsip_bind_tick(c);
}

int rsip_client_dispatch(struct rsip_client *c, short revents)
{
	int rc = 0;

	if (c->fd >= 0 && (revents & POLLOUT)) {
		rc = rsip_io_flush(c);
		if (rc < 0)
			connection_lost(c, rc);
	}
	if (c->fd >= 0 && (revents & (POLLIN | POLLHUP | POLLERR))) {
		rc = rsip_io_read(c, on_message);
		if (rc < 0)
			connection_lost(c, rc);
	}
	run_timers(c);
	start_next(c);
	return rc;
}

uint64_t rsip_client_next_deadline_us(const struct rsip_client *c)
{
	uint64_t t = rsip_bind_next_deadline(c);

	if (c->head) {
		if (!c->head->sent)
			return 0; /* something to send right away */
		if (c->head->deadline_us < t)
			t = c->head->deadline_us;
	}
	return t;
}

int rsip_client_timeout_ms(const struct rsip_client *c)
{
	uint64_t t = rsip_client_next_deadline_us(c), now, ms;

	if (t == UINT64_MAX)
		return -1;
	now = rsip_now(c);
	if (t <= now)
		return 0;
	ms = (t - now + 999) / 1000;
	return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

const char *rsip_client_strerror(int rc, char *buf, size_t cap)
{
	if (rc > 0)
		snprintf(buf, cap, "%s (%d)", rsip_error_name((unsigned int)rc), rc);
	else if (rc < 0)
		snprintf(buf, cap, "%s", strerror(-rc));
	else
		snprintf(buf, cap, "success");
	return buf;
}
