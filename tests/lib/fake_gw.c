// SPDX-License-Identifier: BSD-2-Clause
/* A scripted RSIP gateway for librsip tests (see fake_gw.h). */
#include "fake_gw.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int fake_send_raw(int fd, const uint8_t *buf, size_t len)
{
	ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

	return n == (ssize_t)len ? 0 : -1;
}

int fake_send(int fd, const struct rsip_msg *m)
{
	uint8_t buf[RSIP_MAX_MSG];
	ssize_t len = rsip_encode(m, buf, sizeof(buf));

	if (len < 0)
		return (int)len;
	return fake_send_raw(fd, buf, (size_t)len);
}

static int read_full(int fd, uint8_t *buf, size_t len, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return got ? -1 : 0;
		n = read(fd, buf + got, len - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 1;
}

int fake_recv(int fd, bool stream, struct rsip_msg *m, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	/* m's views (lists, FQDNs) point here until this thread's next call
	 * (the fake gateway may run as a thread of its own). */
	static __thread uint8_t buf[RSIP_MAX_MSG + 16];
	struct rsip_decode_err err;
	size_t len;
	ssize_t n;
	int rc;

	if (!stream) {
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return 0;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			return -1;
		len = (size_t)n;
	} else {
		rc = read_full(fd, buf, RSIP_HDR_LEN, timeout_ms);
		if (rc <= 0)
			return rc;
		len = (size_t)(buf[2] << 8 | buf[3]);
		if (len < RSIP_HDR_LEN || len > RSIP_MAX_MSG)
			return -1;
		if (read_full(fd, buf + RSIP_HDR_LEN, len - RSIP_HDR_LEN, timeout_ms) <= 0 &&
		    len > RSIP_HDR_LEN)
			return -1;
	}
	if (rsip_decode(buf, len, m, &err))
		return -1;
	return (int)len;
}

int fake_pending(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	uint8_t buf[RSIP_MAX_MSG + 16];
	int n = 0;

	while (poll(&pfd, 1, 0) > 0 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		n++;
	return n;
}

/* b repeats a (same type and counter): a retransmission. */
static bool same_request(const struct rsip_msg *a, const struct rsip_msg *b)
{
	return a->type == b->type && (a->has & RSIP_HAS_COUNTER) && (b->has & RSIP_HAS_COUNTER) &&
	       a->counter == b->counter;
}

static void *gw_thread(void *arg)
{
	struct fake_gw *g = arg;
	struct rsip_msg *rsp = malloc(sizeof(*rsp));
	bool answered = false; /* rsp holds the answer to the last request */

	if (!rsp) {
		g->error = ENOMEM;
		return NULL;
	}
	for (int i = 0; i < g->n_steps && g->n_requests < FAKE_GW_MAX; i++) {
		struct rsip_msg *req = malloc(sizeof(*req));

		if (!req) {
			g->error = ENOMEM;
			break;
		}
		if (fake_recv(g->fd, g->stream, req, 5000) <= 0) {
			free(req);
			g->error = ETIMEDOUT;
			break;
		}
		if (answered && same_request(g->reqs[g->n_requests - 1], req)) {
			free(req);
			g->n_repeats++;
			i--; /* the script's step is still to come */
			if (fake_send(g->fd, rsp)) {
				g->error = EIO;
				break;
			}
			continue;
		}
		g->reqs[g->n_requests++] = req;
		rsip_msg_init(rsp, RSIP_ERROR_RESPONSE);
		answered = false;
		if (!g->steps[i].fn(g->steps[i].arg, req, rsp))
			continue;
		answered = true;
		if (!(rsp->has & RSIP_HAS_COUNTER) && (req->has & RSIP_HAS_COUNTER)) {
			rsp->counter = req->counter;
			rsp->has |= RSIP_HAS_COUNTER;
		}
		if (fake_send(g->fd, rsp)) {
			g->error = EIO;
			break;
		}
	}
	free(rsp);
	return NULL;
}

int fake_gw_start(struct fake_gw *g, int fd, bool stream, const struct fake_gw_step *steps,
		  int n_steps)
{
	memset(g, 0, sizeof(*g));
	g->fd = fd;
	g->stream = stream;
	g->steps = steps;
	g->n_steps = n_steps;
	return pthread_create(&g->th, NULL, gw_thread, g);
}

int fake_gw_join(struct fake_gw *g)
{
	pthread_join(g->th, NULL);
	return g->error;
}

void fake_gw_free(struct fake_gw *g)
{
	for (int i = 0; i < g->n_requests; i++)
		free(g->reqs[i]);
	g->n_requests = 0;
}

void fake_register_response(struct rsip_msg *m, uint32_t client_id, uint32_t lease)
{
	rsip_msg_init(m, RSIP_REGISTER_RESPONSE);
	m->client_id = client_id;
	m->lease = lease;
	m->flow_local = RSIP_FLOW_MACRO;
	m->flow_remote = RSIP_FLOW_NONE;
	m->has = RSIP_HAS_CLIENT_ID | RSIP_HAS_LEASE | RSIP_HAS_FLOW_POLICY;
	m->n_methods = 2;
	m->methods[0] = RSIP_METHOD_RSAP_IP;
	m->methods[1] = RSIP_METHOD_RSIPSEC;
	m->n_tunnels = 2;
	m->tunnels[0] = RSIP_TUNNEL_IPIP;
	m->tunnels[1] = RSIP_TUNNEL_GRE;
}

void fake_error_response(struct rsip_msg *m, uint16_t code, uint32_t client_id)
{
	rsip_msg_error(m, code, false, 0, client_id != 0, client_id, false, 0);
}

void fake_rsipsec_response(struct rsip_msg *m, uint32_t client_id, uint32_t bind_id, const char *nb,
			   uint32_t spi, uint16_t n_spis, uint16_t port, uint8_t nports,
			   uint32_t lease, uint8_t tunnel)
{
	rsip_msg_init(m, RSIP_ASSIGN_RESPONSE_RSIPSEC);
	m->client_id = client_id;
	m->bind_id = bind_id;
	m->local_addr.type = RSIP_ADDR_IPV4;
	inet_pton(AF_INET, nb, &m->local_addr.u.v4);
	if (nports) {
		m->local_ports.form = RSIP_PORTS_RANGE;
		m->local_ports.number = nports;
		m->local_ports.first = port;
		m->remote_ports.form = RSIP_PORTS_ANY;
		m->remote_ports.number = 1;
	} else {
		m->local_ports.form = RSIP_PORTS_NOT_NEEDED;
		m->remote_ports.form = RSIP_PORTS_NOT_NEEDED;
	}
	m->remote_addr.type = RSIP_ADDR_IPV4;
	m->remote_addr.any = true;
	m->spi.form = RSIP_SPI_RANGE;
	m->spi.number = n_spis;
	m->spi.first = spi;
	m->lease = lease;
	m->n_tunnels = 1;
	m->tunnels[0] = tunnel;
	m->has = RSIP_HAS_CLIENT_ID | RSIP_HAS_BIND_ID | RSIP_HAS_LOCAL_ADDR |
		 RSIP_HAS_LOCAL_PORTS | RSIP_HAS_REMOTE_ADDR | RSIP_HAS_REMOTE_PORTS |
		 RSIP_HAS_SPI | RSIP_HAS_LEASE;
}

void fake_ids_response(struct rsip_msg *m, uint8_t type, uint32_t client_id, uint32_t bind_id,
		       bool has_bind, uint32_t lease, bool has_lease)
{
	rsip_msg_init(m, type);
	m->client_id = client_id;
	m->has = RSIP_HAS_CLIENT_ID;
	if (has_bind) {
		m->bind_id = bind_id;
		m->has |= RSIP_HAS_BIND_ID;
	}
	if (has_lease) {
		m->lease = lease;
		m->has |= RSIP_HAS_LEASE;
	}
}
