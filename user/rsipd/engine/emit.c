// SPDX-License-Identifier: BSD-2-Clause
/*
 * What the engine sends out: messages to hosts (answers and unsolicited
 * notices, counted), and the notice that its persistent state changed. The
 * lowest layer of the engine: every other engine file may call it, it calls
 * none of them.
 */
#include "engine_priv.h"

#include <arpa/inet.h>

#include "log.h"

uint64_t engine_now(struct engine *e)
{
	return e->clk.now_ms(e->clk.arg);
}

ssize_t engine_send_bytes(struct engine *e, const struct engine_src *dst, const uint8_t *buf,
			  size_t len)
{
	int rc = e->io.send(e->io.arg, dst, buf, len);

	if (rc < 0)
		return rc;
	e->ctr.messages_out++;
	return (ssize_t)len;
}

ssize_t engine_send_msg(struct engine *e, const struct engine_src *dst, const struct rsip_msg *m)
{
	ssize_t n = rsip_encode(m, e->outbuf, sizeof(e->outbuf));

	if (n < 0) {
		log_warnx("cannot encode %s (%zd): internal error", rsip_msg_type_name(m->type), n);
		return n;
	}
	if (m->type == RSIP_ERROR_RESPONSE && m->error < ENGINE_N_ERRORS)
		e->ctr.errors[m->error]++;
	return engine_send_bytes(e, dst, e->outbuf, (size_t)n);
}

void engine_send_unsolicited(struct engine *e, struct client *c, struct rsip_msg *m)
{
	struct engine_src dst = {.transport = c->r.transport, .addr = c->r.xa};
	char line[256];

	/* RFC 3103 10.1: unsolicited messages carry counter 0, over UDP and
	 * TCP alike (spec 6.2). */
	m->counter = 0;
	m->has |= RSIP_HAS_COUNTER;
	if (e->passive) { /* the active gateway speaks for the cluster */
		e->ctr.unsolicited_dropped++;
		return;
	}
	if (c->r.transport == ENGINE_T_TCP) {
		dst.conn = c->tcp_conn;
		if (!dst.conn) { /* D4: no connection, nowhere to send it */
			e->ctr.unsolicited_dropped++;
			log_info("client %u: no TCP connection, unsolicited %s dropped",
				 c->r.client_id, rsip_msg_type_name(m->type));
			return;
		}
	} else {
		dst.port = c->r.udp_port;
	}
	if (engine_send_msg(e, &dst, m) < 0) {
		e->ctr.unsolicited_dropped++;
		return;
	}
	e->ctr.unsolicited_sent++;
	if (log_get_verbosity() > 0) {
		rsip_msg_format(m, line, sizeof(line));
		log_debug("-> %s: %s (unsolicited)", inet_ntoa(c->r.xa), line);
	}
}

void engine_state_changed(struct engine *e)
{
	if (e->state_hook && e->state_gen != e->state_saved_gen) {
		e->state_saved_gen = e->state_gen;
		e->state_hook(e->state_hook_arg);
	}
}
