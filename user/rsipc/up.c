// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsipc up: lease, bring the tunnel up, then one poll loop over the RSIP
 * socket (answers, renewals, the gateway taking things back), the TUN and
 * the raw tunnel socket (packets), the control socket (status, down) and a
 * signalfd (SIGINT/SIGTERM, the command exiting). Whatever ends the loop,
 * the way out is the same: stop the command, take the tunnel down, FREE and
 * DE-REGISTER as far as the gateway answers, remove the state.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "commands.h"
#include "ctl.h"
#include "lease_view.h"
#include "log.h"
#include "rsip/client.h"
#include "saved.h"
#include "tunnel.h"

extern char **environ;

#define MAX_CONNS      8
#define CHILD_GRACE_MS 5000

enum stop_reason {
	STOP_NONE = 0,
	STOP_SIGNAL,
	STOP_CHILD,
	STOP_DOWN,
	STOP_REVOKED, /* FREE_RESPONSE or DE-REGISTER_RESPONSE from the gateway */
	STOP_LOST,    /* the lease ran out or a renewal was refused */
};

struct conn {
	int fd;
	size_t len;
	bool want_down;
	char buf[RSIPC_CTL_LINE_MAX];
};

struct up {
	const struct rsipc_opts *o;
	bool ike_pair; /* the IKE and NAT-T ports are asked for */
	struct rsip_client *c;
	struct tunnel tun;
	bool tunnel_is_up;
	struct rsipc_lease lease;
	int sfd, ctl_fd;
	struct conn conns[MAX_CONNS];
	pid_t child;
	int child_status;
	enum stop_reason stop;
	int stop_signal;
	uint64_t started_us;
	unsigned int renewals, renew_failures;
	bool resumed; /* took up a killed rsipc's registration and binding */
	uint32_t listen_ids[RSIPC_MAX_LISTEN]; /* --listen bindings, in order */
	bool saved_ike;
};

static const char *stop_text(enum stop_reason r)
{
	switch (r) {
	case STOP_SIGNAL:
		return "signal";
	case STOP_CHILD:
		return "command exited";
	case STOP_DOWN:
		return "rsipc down";
	case STOP_REVOKED:
		return "revoked by the gateway";
	case STOP_LOST:
		return "lease lost";
	default:
		return "running";
	}
}

static void add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

static struct json_object *state_json(struct up *u)
{
	struct json_object *o = rsipc_lease_json(&u->lease), *t, *d;
	struct tunnel_stats st;
	const struct rsip_binding *b = rsip_client_binding(u->c, u->lease.bind_id);
	uint64_t now = rsip_client_now_us(u->c);
	int64_t left_s = b && b->expires_us > now ? (int64_t)((b->expires_us - now) / 1000000) : 0;

	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(
	    o, "datapath",
	    json_object_new_string(u->tunnel_is_up ? tunnel_datapath_name(&u->tun) : "none"));
	json_object_object_add(o, "state", json_object_new_string(stop_text(u->stop)));
	json_object_object_add(o, "uptime_s",
			       json_object_new_int64((int64_t)((now - u->started_us) / 1000000)));
	json_object_object_add(o, "lease_remaining_s", json_object_new_int64(left_s));
	/* Wall clock: what a restarted rsipc compares with. */
	json_object_object_add(o, "lease_expires_unix",
			       json_object_new_int64((int64_t)time(NULL) + left_s));
	json_object_object_add(o, "rule_priority", json_object_new_int64(u->o->rule_prio));
	json_object_object_add(
	    o, "tc_ifindex",
	    json_object_new_int(u->tunnel_is_up && u->tun.bpf ? u->tun.tc.ifindex : 0));
	json_object_object_add(o, "resumed", json_object_new_boolean(u->resumed));
	d = json_object_new_array();
	for (unsigned int i = 0; i < u->o->n_listen; i++)
		if (u->listen_ids[i])
			json_object_array_add(d, json_object_new_int(u->o->listen_ports[i]));
	json_object_object_add(o, "listen_ports", d);
	json_object_object_add(o, "renewals", json_object_new_int64(u->renewals));
	json_object_object_add(o, "renew_failures", json_object_new_int64(u->renew_failures));
	json_object_object_add(o, "command",
			       u->o->cmd_argc ? json_object_new_string(u->o->cmd_argv[0]) : NULL);
	json_object_object_add(o, "command_pid",
			       u->child > 0 ? json_object_new_int(u->child) : NULL);
	tunnel_stats_read(&u->tun, &st);
	t = json_object_new_object();
	add_u64(t, "tx_packets", st.tx_packets);
	add_u64(t, "tx_bytes", st.tx_bytes);
	add_u64(t, "rx_packets", st.rx_packets);
	add_u64(t, "rx_bytes", st.rx_bytes);
	add_u64(t, "tx_errors", st.tx_errors);
	add_u64(t, "rx_errors", st.rx_errors);
	add_u64(t, "rx_partial_csum", st.rx_partial_csum);
	add_u64(t, "rx_tun_writes", st.rx_tun_writes);
	add_u64(t, "rx_coalesced", st.rx_coalesced);
	add_u64(t, "tx_tso", st.tx_tso);
	add_u64(t, "tx_uso", st.tx_uso);
	add_u64(t, "tx_direct", st.tx_direct);
	add_u64(t, "tx_partial_csum", st.tx_partial_csum);
	add_u64(t, "tx_queue_full", st.tx_queue_full);
	d = json_object_new_object();
	for (int i = 1; i < ENCAP_N_VERDICTS; i++)
		add_u64(d, encap_verdict_name(i), st.drops[i]);
	json_object_object_add(t, "drops", d);
	if (u->tun.bpf) {
		uint64_t c[RSIPC_TC_N_COUNTERS];

		host_tc_counters(&u->tun.tc, c);
		d = json_object_new_object();
		for (unsigned int i = 0; i < RSIPC_TC_N_COUNTERS; i++)
			add_u64(d, host_tc_counter_name(i), c[i]);
		json_object_object_add(t, "bpf", d);
	}
	json_object_object_add(o, "counters", t);
	return o;
}

static void save_state(struct up *u)
{
	struct json_object *s = state_json(u);
	int rc = ctl_write_state(u->o->state_dir, s);

	if (rc)
		log_warnx("state file in %s: %s", u->o->state_dir, strerror(-rc));
	json_object_put(s);
}

static void on_event(void *arg, const struct rsip_client_event *ev)
{
	struct up *u = arg;
	char e[64];

	switch (ev->type) {
	case RSIP_EV_BINDING_FREED:
		if (ev->bind_id != u->lease.bind_id) {
			log_warnx("the gateway took listener binding %u back", ev->bind_id);
			return;
		}
		log_warnx("the gateway took binding %u back (FREE_RESPONSE)", ev->bind_id);
		u->stop = STOP_REVOKED;
		return;
	case RSIP_EV_DEREGISTERED:
		log_warnx("the gateway ended our registration (client %u)%s%s", ev->client_id,
			  ev->error ? ": " : "",
			  ev->error ? rsip_client_strerror(ev->error, e, sizeof(e)) : "");
		u->stop = STOP_REVOKED;
		return;
	case RSIP_EV_BINDING_LOST:
		if (ev->bind_id != u->lease.bind_id)
			return;
		log_warnx("binding %u is lost: %s", ev->bind_id,
			  rsip_client_strerror(ev->error, e, sizeof(e)));
		u->stop = STOP_LOST;
		return;
	case RSIP_EV_BINDING_EXTENDED:
		u->renewals++;
		u->lease.lease_s = ev->lease_s;
		log_info("binding %u renewed: lease %u s", ev->bind_id, ev->lease_s);
		save_state(u);
		return;
	case RSIP_EV_RENEW_FAILED:
		u->renew_failures++;
		log_warnx("renewing binding %u failed (%s): retrying while the lease lasts",
			  ev->bind_id, rsip_client_strerror(ev->error, e, sizeof(e)));
		return;
	case RSIP_EV_ERROR:
		log_warnx("the gateway reports %s", rsip_client_strerror(ev->error, e, sizeof(e)));
		return;
	case RSIP_EV_DISCONNECTED:
		log_info("the gateway closed the RSIP connection; the registration lives on, "
			 "the next request reconnects");
		return;
	}
}

static bool has_u8(const uint8_t *v, unsigned int n, uint8_t x)
{
	for (unsigned int i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* A killed rsipc's state file in our state directory: take its registration
 * and binding up again (same Nb, ports and SPIs). 0 when resumed, 1 when
 * there is nothing to resume (or the gateway no longer knows it). */
static int try_resume(struct up *u, struct rsip_binding *b, bool *tried)
{
	const struct rsipc_opts *o = u->o;
	const struct rsip_binding *got;
	struct rsipc_saved sv;
	char e[96];
	int rc;

	if (rsipc_saved_load(o->state_dir, &sv))
		return 1;
	if (!rsipc_saved_resumable(&sv)) {
		log_info("state file of an earlier rsipc (pid %d): its lease is over, starting "
			 "afresh",
			 sv.pid);
		return 1;
	}
	if (sv.server.s_addr != o->server.s_addr || sv.server_port != o->port) {
		log_info("state file of an earlier rsipc names another gateway: starting afresh");
		return 1;
	}
	*tried = true;
	rc = rsip_client_resume(u->c, sv.client_id, &sv.b, o->lease_s, true);
	if (rc) {
		log_warnx(
		    "could not resume client %u, binding %u of the killed rsipc (pid %d): %s; "
		    "registering anew",
		    sv.client_id, sv.b.bind_id, sv.pid, rsip_client_strerror(rc, e, sizeof(e)));
		return 1;
	}
	got = rsip_client_binding(u->c, sv.b.bind_id);
	if (!got)
		return 1;
	*b = *got;
	u->resumed = true;
	u->saved_ike = sv.ike_port;
	log_info("resumed client %u, binding %u of the killed rsipc (pid %d): same address, "
		 "ports and SPIs; no new registration",
		 sv.client_id, sv.b.bind_id, sv.pid);
	return 0;
}

/* Register and lease. Returns 0 or prints why not and returns -1. */
static int acquire(struct up *u, struct rsip_binding *b)
{
	const struct rsipc_opts *o = u->o;
	struct rsip_client_cfg cfg = {
	    .transport = o->transport,
	    .on_event = on_event,
	    .event_arg = u,
	};
	const struct rsip_registration *reg;
	struct rsip_assign_req req = {0};
	bool tried = false;
	unsigned int n_ports;
	char e[96];
	int rc;

	u->c = rsip_client_connect(o->server, o->port, &cfg);
	if (!u->c) {
		log_warnx("cannot reach the gateway %s:%u over %s: %s", inet_ntoa(o->server),
			  o->port, o->transport == RSIP_TRANSPORT_UDP ? "udp" : "tcp",
			  strerror(errno));
		return -1;
	}
	if (try_resume(u, b, &tried) == 0) {
		reg = rsip_client_registration(u->c);
		goto leased;
	}
	/* A state file that could not be resumed was ours: its registration,
	 * if the gateway still holds it, may be taken over. */
	/* The registration's lease follows --lease too: a killed rsipc's
	 * registration that cannot be resumed then lapses with its binding,
	 * not after the gateway's default (an hour). Renewing the binding
	 * renews it (R = max(R, Bi)). */
	rc = rsip_client_register_lease(u->c, o->takeover || tried, o->lease_s);
	if (rc == RSIP_E_ALREADY_REGISTERED) {
		const struct rsip_client_error *le = rsip_client_last_error(u->c);

		log_warnx("this host is already registered with the gateway as client %u "
			  "(another rsipc up, or one that was killed: stop it, wait for its "
			  "lease to run out, or use --takeover)",
			  le->client_id);
		return -1;
	}
	if (rc == RSIP_E_USE_TCP) {
		log_warnx("the gateway only speaks TCP: use --transport tcp");
		return -1;
	}
	if (rc) {
		log_warnx("REGISTER failed: %s", rsip_client_strerror(rc, e, sizeof(e)));
		return -1;
	}
	reg = rsip_client_registration(u->c);
	log_debug("registered as client %u (lease %u s, flow policy %s/%s)", reg->client_id,
		  reg->lease_s, rsip_flow_name(reg->flow_local), rsip_flow_name(reg->flow_remote));
	if (!has_u8(reg->methods, reg->n_methods, o->method))
		log_warnx("the gateway does not advertise %s; asking anyway",
			  rsipc_method_text(o->method));
	if (!has_u8(reg->tunnels, reg->n_tunnels, o->tunnel))
		log_warnx("the gateway does not advertise %s tunnels; asking anyway",
			  rsipc_tunnel_text(o->tunnel));

	/* Say what the gateway's flow policy needs before it answers 103. A
	 * default IKE pair gives way to a micro-flow policy (one port). */
	u->ike_pair = o->ike_port;
	n_ports = rsipc_ports_wanted(o);
	if (reg->flow_local == RSIP_FLOW_MICRO && o->ike_port_default && n_ports > 1) {
		log_info("the gateway's local flow policy is micro-flow (one port per binding): "
			 "no IKE ports, IKE shares 500/4500");
		u->ike_pair = false;
		n_ports -= 2;
	}
	if (reg->flow_local == RSIP_FLOW_MICRO && n_ports > 1) {
		log_warnx("the gateway's local flow policy is micro-flow: one port per binding, "
			  "so --ports/--ike-port cannot be granted (ask for at most one port)");
		return -1;
	}
	if (reg->flow_remote != RSIP_FLOW_NONE && !o->remote.s_addr) {
		log_warnx("the gateway's remote flow policy is %s-flow: name the peer with "
			  "--remote ADDR%s",
			  rsip_flow_name(reg->flow_remote),
			  reg->flow_remote == RSIP_FLOW_MICRO ? ":PORT" : "[:PORT]");
		return -1;
	}
	if (reg->flow_remote == RSIP_FLOW_MICRO && !o->remote_port) {
		log_warnx("the gateway's remote flow policy is micro-flow: --remote needs a port");
		return -1;
	}

	req.method = o->method;
	req.n_ports = (uint16_t)n_ports;
	req.remote = o->remote;
	req.remote_port = o->remote_port;
	req.n_spis = o->method == RSIP_METHOD_RSIPSEC ? o->n_spis : 0;
	req.lease_s = o->lease_s;
	req.tunnel = o->tunnel;
	req.auto_renew = true;
	for (;;) {
		rc = rsip_client_assign(u->c, &req, b);
		/* The default SPI count is a wish: settle for fewer rather
		 * than nothing when the gateway's blocks are smaller. */
		if (rc == RSIP_E_IPSEC_SPI_UNAVAILABLE && o->spis_default &&
		    req.n_spis / 2 >= RSIPC_MIN_DEFAULT_SPIS) {
			req.n_spis /= 2;
			log_info("the gateway cannot grant that many SPIs: asking for %u",
				 req.n_spis);
			continue;
		}
		break;
	}
	if (rc) {
		log_warnx("ASSIGN (%s) failed: %s", rsipc_method_text(o->method),
			  rsip_client_strerror(rc, e, sizeof(e)));
		return -1;
	}
	if (b->tunnel != RSIP_TUNNEL_IPIP && b->tunnel != RSIP_TUNNEL_GRE) {
		log_warnx("the gateway chose a %s tunnel, which rsipc cannot carry",
			  rsip_tunnel_name(b->tunnel));
		return -1;
	}
	if (b->n_spis && b->n_spis < req.n_spis)
		log_warnx("asked for %u SPIs, granted %u", req.n_spis, b->n_spis);
	if (b->n_spis && !b->spi_range)
		log_warnx("the granted SPIs are not one contiguous range: RSIP_SPI_MIN/MAX stay "
			  "empty");
leased:
	if (rsipc_lease_from(&u->lease, reg, b, u->resumed ? u->saved_ike : u->ike_pair)) {
		log_warnx("asked for IKE and NAT-T ports, granted %u port(s)", b->n_ports);
		return -1;
	}
	u->lease.server = o->server;
	u->lease.server_port = o->port;
	u->lease.transport = o->transport;
	u->lease.table = o->table;
	snprintf(u->lease.state_dir, sizeof(u->lease.state_dir), "%s", o->state_dir);
	return 0;
}

/* --listen: one LISTEN_REQUEST per port, on our Nb, with our tunnel type;
 * each port goes into the data path's set of our ports. 0, or -1 with the reason told. */
static int listen_ports(struct up *u, const struct rsip_binding *main_b)
{
	const struct rsipc_opts *o = u->o;
	struct rsip_binding lb;
	char e[96];
	int rc;

	for (unsigned int i = 0; i < o->n_listen; i++) {
		struct rsip_listen_req req = {.local = main_b->addr,
					      .port = o->listen_ports[i],
					      .lease_s = o->lease_s,
					      .tunnel = main_b->tunnel,
					      .auto_renew = true};

		rc = rsip_client_listen(u->c, &req, &lb);
		if (rc) {
			log_warnx("LISTEN on %s:%u failed: %s", inet_ntoa(main_b->addr), req.port,
				  rsip_client_strerror(rc, e, sizeof(e)));
			return -1;
		}
		u->listen_ids[i] = lb.bind_id;
		rc = tunnel_add_port(&u->tun, req.port);
		if (rc) {
			log_warnx("port %u into the TC map: %s", req.port, strerror(-rc));
			return -1;
		}
		log_info("listening on %s:%u (binding %u)", inet_ntoa(main_b->addr), req.port,
			 lb.bind_id);
	}
	return 0;
}

static void conn_close(struct conn *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	k->len = 0;
	k->want_down = false;
}

static void conn_accept(struct up *u)
{
	int fd = accept4(u->ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (int i = 0; i < MAX_CONNS; i++) {
		if (u->conns[i].fd < 0) {
			u->conns[i].fd = fd;
			u->conns[i].len = 0;
			return;
		}
	}
	ctl_send_error(fd, "too many control connections");
	close(fd);
}

static void conn_command(struct up *u, struct conn *k, const char *line)
{
	struct json_object *req = json_tokener_parse(line), *cmd;
	const char *name;

	if (!req || !json_object_object_get_ex(req, "cmd", &cmd) ||
	    !json_object_is_type(cmd, json_type_string)) {
		ctl_send_error(k->fd, "expected {\"cmd\":\"status\"|\"down\"}");
		goto out;
	}
	name = json_object_get_string(cmd);
	if (!strcmp(name, "status")) {
		ctl_send_ok(k->fd, state_json(u));
	} else if (!strcmp(name, "down")) {
		/* Answered once everything is released. */
		k->want_down = true;
		if (!u->stop)
			u->stop = STOP_DOWN;
	} else {
		char msg[160];

		snprintf(msg, sizeof(msg), "unknown cmd \"%.64s\": status or down", name);
		ctl_send_error(k->fd, msg);
	}
out:
	json_object_put(req);
}

static void conn_read(struct up *u, struct conn *k)
{
	char *nl;
	ssize_t n;

	n = read(k->fd, k->buf + k->len, sizeof(k->buf) - 1 - k->len);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (!k->want_down)
			conn_close(k);
		return;
	}
	k->len += (size_t)n;
	k->buf[k->len] = '\0';
	while (!k->want_down && (nl = strchr(k->buf, '\n'))) {
		*nl = '\0';
		conn_command(u, k, k->buf);
		k->len -= (size_t)(nl + 1 - k->buf);
		memmove(k->buf, nl + 1, k->len + 1);
	}
	if (k->len == sizeof(k->buf) - 1) {
		ctl_send_error(k->fd, "request too long");
		conn_close(k);
	}
}

static void on_signal(struct up *u)
{
	struct signalfd_siginfo si;
	pid_t pid;
	int st;

	while (read(u->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
				if (pid != u->child)
					continue;
				u->child_status = st;
				u->child = 0;
				log_info("%s exited (%d)", u->o->cmd_argv[0], child_exit_code(st));
				if (!u->stop)
					u->stop = STOP_CHILD;
			}
			continue;
		}
		log_info("%s: releasing the lease", strsignal((int)si.ssi_signo));
		u->stop_signal = (int)si.ssi_signo;
		if (!u->stop)
			u->stop = STOP_SIGNAL;
	}
}

enum { PFD_SIG, PFD_CTL, PFD_RSIP, PFD_RAW, PFD_CONN0, PFD_N = PFD_CONN0 + MAX_CONNS };

static void loop(struct up *u)
{
	struct pollfd pfd[PFD_N];
	int n, to;

	while (!u->stop) {
		pfd[PFD_SIG] = (struct pollfd){.fd = u->sfd, .events = POLLIN};
		pfd[PFD_CTL] = (struct pollfd){.fd = u->ctl_fd, .events = POLLIN};
		pfd[PFD_RSIP] = (struct pollfd){.fd = rsip_client_fd(u->c),
						.events = rsip_client_poll_events(u->c)};
		pfd[PFD_RAW] = (struct pollfd){.fd = u->tun.raw_fd, .events = POLLIN};
		for (int i = 0; i < MAX_CONNS; i++)
			pfd[PFD_CONN0 + i] =
			    (struct pollfd){.fd = u->conns[i].fd, .events = POLLIN};
		to = rsip_client_timeout_ms(u->c);
		n = poll(pfd, PFD_N, to);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_warn("poll");
			u->stop = STOP_SIGNAL;
			break;
		}
		if (pfd[PFD_SIG].revents)
			on_signal(u);
		rsip_client_dispatch(u->c, pfd[PFD_RSIP].fd >= 0 ? pfd[PFD_RSIP].revents : 0);
		if (pfd[PFD_RAW].revents & POLLIN)
			tunnel_pump_in(&u->tun);
		if (pfd[PFD_CTL].revents & POLLIN)
			conn_accept(u);
		for (int i = 0; i < MAX_CONNS; i++)
			if (u->conns[i].fd >= 0 && pfd[PFD_CONN0 + i].revents)
				conn_read(u, &u->conns[i]);
	}
}

static int setup_signals(struct up *u)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	u->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return u->sfd < 0 ? -errno : 0;
}

/* The one way out. */
static int teardown(struct up *u, int code)
{
	struct json_object *data;
	bool released = false;
	char e[96];
	int rc;

	if (u->child > 0) {
		u->child_status = child_stop(u->child, CHILD_GRACE_MS);
		u->child = 0;
	}
	if (u->tunnel_is_up)
		tunnel_down(&u->tun);
	u->tunnel_is_up = false;
	if (u->c) {
		if (rsip_client_registration(u->c)->registered) {
			rc = rsip_client_release_all(u->c);
			released = rc == 0;
			if (rc)
				log_warnx("releasing at the gateway: %s (what is left expires "
					  "with its lease)",
					  rsip_client_strerror(rc, e, sizeof(e)));
			else
				log_info("released everything at the gateway");
		}
		rsip_client_close(u->c);
		u->c = NULL;
	}
	ctl_cleanup(u->o->state_dir);
	for (int i = 0; i < MAX_CONNS; i++) {
		if (u->conns[i].fd < 0)
			continue;
		if (u->conns[i].want_down) {
			data = json_object_new_object();
			json_object_object_add(data, "released", json_object_new_boolean(released));
			json_object_object_add(data, "reason",
					       json_object_new_string(stop_text(u->stop)));
			ctl_send_ok(u->conns[i].fd, data);
		}
		conn_close(&u->conns[i]);
	}
	if (u->ctl_fd >= 0)
		close(u->ctl_fd);
	if (u->sfd >= 0)
		close(u->sfd);
	return code;
}

int rsipc_up(const struct rsipc_opts *o)
{
	struct rsip_binding *b = NULL;
	struct tunnel_cfg tcfg;
	struct up u = {.o = o, .sfd = -1, .ctl_fd = -1};
	char err[512];
	char **env;
	int code = RSIPC_EXIT_FAIL;

	for (int i = 0; i < MAX_CONNS; i++)
		u.conns[i].fd = -1;
	if (setup_signals(&u)) {
		log_warn("signals");
		return RSIPC_EXIT_FAIL;
	}
	u.ctl_fd = ctl_listen(o->state_dir, err, sizeof(err));
	if (u.ctl_fd < 0) {
		log_warnx("%s", err);
		if (u.ctl_fd == -EADDRINUSE) {
			close(u.sfd);
			return RSIPC_EXIT_FAIL; /* not ours to clean up */
		}
		goto out;
	}
	b = malloc(sizeof(*b));
	if (!b || acquire(&u, b))
		goto out;
	u.started_us = rsip_client_now_us(u.c);

	tcfg = (struct tunnel_cfg){
	    .dev = o->dev,
	    .type = b->tunnel,
	    .addr = b->addr,
	    .endpoint = b->endpoint,
	    .mtu = o->mtu,
	    .table = o->table,
	    .prio = o->rule_prio,
	    .datapath = o->datapath,
	    .ports = u.lease.ports,
	    .n_ports = u.lease.n_ports,
	    .spi_min = u.lease.spi_range ? u.lease.spi_min : 0,
	    .spi_max = u.lease.spi_range ? u.lease.spi_max : 0,
	    .whole_addr = o->method == RSIP_METHOD_RSA_IP,
	    .ike_ports = b->method == RSIP_METHOD_RSIPSEC,
	};
	if (tunnel_up(&u.tun, &tcfg, err, sizeof(err))) {
		log_warnx("tunnel: %s", err);
		goto out;
	}
	u.tunnel_is_up = true;
	if (listen_ports(&u, b))
		goto out;
	snprintf(u.lease.dev, sizeof(u.lease.dev), "%s", u.tun.dev);
	u.lease.mtu = (uint16_t)u.tun.mtu;

	if (o->json) {
		struct json_object *j = rsipc_lease_json(&u.lease);

		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		fflush(stdout);
		json_object_put(j);
	} else {
		rsipc_lease_print(&u.lease, stdout);
	}
	save_state(&u);

	if (o->cmd_argc) {
		env = rsipc_env_build(&u.lease, environ);
		if (!env) {
			log_warnx("out of memory building the environment");
			goto out;
		}
		u.child = child_spawn(o->cmd_argv, env);
		rsipc_env_free(env);
		if (u.child < 0) {
			log_warnx("cannot start %s: %s", o->cmd_argv[0], strerror(-u.child));
			u.child = 0;
			goto out;
		}
		save_state(&u);
	}

	loop(&u);
	switch (u.stop) {
	case STOP_CHILD:
		code = child_exit_code(u.child_status);
		break;
	case STOP_REVOKED:
	case STOP_LOST:
		code = RSIPC_EXIT_REVOKED;
		break;
	default:
		code = 0;
		break;
	}
out:
	free(b);
	return teardown(&u, code);
}
