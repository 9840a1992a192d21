// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsipd: parse the configuration, open the RSIP sockets and the control
 * socket, run the event loop until SIGTERM/SIGINT, then free everything and
 * tell the data plane. Exit status: 0 clean stop, 1 start-up failure (a
 * socket that cannot be bound...), 2 bad command line or configuration.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "cluster/cluster_store.h"
#include "cluster/role_file.h"
#include "config.h"
#include "ctl/ctl.h"
#include "dataplane/dataplane.h"
#include "dataplane/xdp.h"
#include "engine/engine.h"
#include "heap_thp.h"
#include "net/port_busy.h"
#include "net/event.h"
#include "log.h"
#include "metrics/http.h"
#include "net/net.h"
#include "store/follow.h"
#include "reload/reload.h"
#include "rsip/dp_abi.h"
#include "startup/detach.h"
#include "startup/lock.h"
#include "startup/preflight.h"

#define TICK_MS	   500 /* lease expiry resolution */
#define CLUSTER_MS 20  /* the etcd watch and the role file: the failover's share */

struct rsipd {
	struct rsipd_config cfg;
	struct ev_loop *loop;
	struct dataplane *dp;
	struct net net;
	struct engine *engine;
	struct ctl_ctx ctl_ctx;
	struct ctl_server *ctl;
	struct metrics_server *metrics;
	struct ev_timer *tick;
	struct store_follow *store;
	struct cluster_store *cluster; /* --store etcd://... */
	struct ev_timer *cluster_timer;
	char role_word[16]; /* what --role-file said last */
	struct instance_lock lock;
	int sigfd;
	int argc; /* for a reload: the same command line, the file read again */
	char **argv;
};

/* The end of an event-loop iteration: its changes are committed to the
 * lease store, then its replies leave (group commit). A commit that failed
 * (twice, follow.c) sends none of them: a reply must not describe what a
 * restart would not have; the hosts retransmit and get the same answer
 * from the reply cache once a commit succeeds (docs/store.md). Then the
 * store's checkpoint, when due: after the replies, never before one. */
static void on_iteration_end(void *arg)
{
	struct rsipd *d = arg;
	bool stored;

	if (d->cluster) {
		/* Sent to etcd without waiting; the replies leave once it
		 * committed (docs/cluster.md, "Pipelined commits"). A
		 * connection to close waits for its last reply. */
		cluster_store_end_iteration(d->cluster, net_take_held(&d->net));
		if (!cluster_store_replies_waiting(d->cluster))
			tcp_server_reap(d->net.tcp);
		return;
	}
	stored = store_follow_commit(d->store) == 0;
	if (stored)
		net_release(&d->net);
	else
		net_drop_held(&d->net);
	tcp_server_reap(d->net.tcp);
	store_follow_idle(d->store);
}

static void replies_send(void *arg, void *batch)
{
	struct rsipd *d = arg;

	net_send_held(&d->net, batch);
}

static void replies_drop(void *arg, void *batch)
{
	net_free_held(batch);
}

/* <dir of the store>/state.json, what an older rsipd wrote; NULL when that
 * is the store itself. */
static const char *old_state_path(const char *store, char *buf, size_t len)
{
	const char *slash = strrchr(store, '/');
	int n = slash ? (int)(slash - store) : 1;

	if (!strcmp(slash ? slash + 1 : store, CFG_OLD_STATE_NAME))
		return NULL;
	snprintf(buf, len, "%.*s/%s", n, slash ? store : ".", CFG_OLD_STATE_NAME);
	return buf;
}

/* SIGHUP: parse everything again; nothing changes unless it all parses. */
static void reload(struct rsipd *d)
{
	static struct rsipd_config next; /* large: off the stack */
	struct in_addr old_addr = d->cfg.metrics_addr;
	uint16_t old_port = d->cfg.metrics_port;
	struct reload_result res;
	char err[512];
	int rc;

	sd_notify(0, "RELOADING=1");
	rc = config_parse(&next, d->argc, d->argv, err, sizeof(err));
	if (rc) {
		log_errx("reload refused, the running configuration stays: %s", err);
		sd_notify(0, "READY=1");
		return;
	}
	reload_apply(&d->cfg, &next, &res);
	if (res.verbosity_changed)
		log_set_verbosity(d->cfg.verbosity);
	engine_config_changed(d->engine);
	if (res.metrics_changed) {
		struct metrics_server *m = NULL;

		if (d->cfg.metrics_port)
			m = metrics_server_new(d->loop, d->cfg.metrics_addr, d->cfg.metrics_port,
					       &d->ctl_ctx, &rc);
		if (d->cfg.metrics_port && !m) {
			log_errx(
			    "reload: cannot serve metrics on %s:%u: %s; the old endpoint stays",
			    inet_ntoa(d->cfg.metrics_addr), d->cfg.metrics_port, strerror(-rc));
			d->cfg.metrics_addr = old_addr;
			d->cfg.metrics_port = old_port;
		} else {
			metrics_server_free(d->metrics);
			d->metrics = m;
		}
	}
	log_notice("reloaded: %u option%s applied, %u left for a restart", res.applied,
		   res.applied == 1 ? "" : "s", res.restart);
	sd_notify(0, "READY=1");
}

static void on_signal(int fd, uint32_t events, void *arg)
{
	struct rsipd *d = arg;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(d);
			continue;
		}
		log_notice("signal %u: stopping", si.ssi_signo);
		ev_loop_stop(d->loop);
	}
}

static void on_tick(void *arg)
{
	struct rsipd *d = arg;

	engine_tick(d->engine);
	log_flush_suppressed();
}

/* The role (--role-file: keepalived's word; none: always active), then the
 * watch. */
static void on_cluster(void *arg)
{
	struct rsipd *d = arg;
	char word[sizeof(d->role_word)] = "";
	bool active = true;

	if (d->cfg.role_file[0]) {
		active = role_file_active(d->cfg.role_file, word, sizeof(word));
		if (strcmp(word, d->role_word)) {
			log_info("cluster: %s says %s", d->cfg.role_file, word);
			snprintf(d->role_word, sizeof(d->role_word), "%s", word);
		}
	}
	/* keepalived's MASTER takes the fence from a live holder; always-active
	 * (no role file) only when it is free. */
	cluster_store_set_active(d->cluster, active, d->cfg.role_file[0] != '\0');
	cluster_store_poll(d->cluster);
}

static int start_cluster(struct rsipd *d)
{
	struct rsipd_config *cfg = &d->cfg;
	struct cluster_store_cfg cc = {
	    .engine = d->engine,
	    .endpoints = cfg->etcd_endpoints,
	    .prefix = cfg->etcd_prefix,
	    .cacert = cfg->etcd_cacert,
	    .cert = cfg->etcd_cert,
	    .key = cfg->etcd_key,
	    .gateway = cfg->gateway,
	    .dp = d->dp,
	    .learned_rate = cfg->learned_rate,
	    .timeout_ms = cfg->etcd_timeout_ms,
	    .connect_timeout_ms = cfg->etcd_connect_ms,
	    .watch_idle_ms = cfg->etcd_watch_idle_ms,
	    .max_inflight = cfg->etcd_inflight,
	    .loop = d->loop,
	    .replies = {.send = replies_send, .drop = replies_drop, .arg = d}};
	int err;

	/* The full read restores every host of the cluster: one read of the
	 * gateway's own sockets instead of a probe (a socket, a bind) per
	 * restored port, as for the SQLite store below (a new standby syncing
	 * 100k hosts spent a quarter of its CPU on those probes). */
	rsipd_port_busy_snapshot();
	d->cluster = cluster_store_open(&cc, &err);
	rsipd_port_busy_forget();
	if (!d->cluster)
		return err;
	log_notice("cluster: gateway %s, store %s, %zu host%s from etcd", cfg->gateway,
		   cfg->store_url, engine_n_clients(d->engine),
		   engine_n_clients(d->engine) == 1 ? "" : "s");
	d->net.hold = true;
	tcp_server_defer_close(d->net.tcp, true);
	ev_loop_set_post(d->loop, on_iteration_end, d);
	on_cluster(d); /* the role before the first request */
	d->cluster_timer = ev_timer_add(d->loop, CLUSTER_MS, CLUSTER_MS, on_cluster, d);
	return d->cluster_timer ? 0 : -ENOMEM;
}

static int setup_signals(struct rsipd *d)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	/* A file size limit (RLIMIT_FSIZE) makes a store write fail with EFBIG,
	 * handled like any failed write, instead of killing rsipd. */
	signal(SIGXFSZ, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return -errno;
	return ev_add_fd(d->loop, d->sigfd, EPOLLIN, on_signal, d);
}

/* /run/rsipd/rsipd.sock: systemd makes /run/rsipd (RuntimeDirectory=), a
 * foreground root run makes it here. One level only. */
static void make_parent_dir(const char *path)
{
	char dir[sizeof(((struct rsipd_config *)0)->ctl_socket)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		log_warn("mkdir %s", dir);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int start(struct rsipd *d)
{
	struct rsipd_config *cfg = &d->cfg;
	struct engine_io io = {.send = net_send, .arg = &d->net};
	/* Never lend a port the gateway itself uses on Nb (its own services). */
	struct engine_clock env = {.port_busy = rsipd_port_busy};
	uint64_t t0 = mono_ms(), t_dp = 0, t_leases = 0, t_loaded = 0, t_cluster = 0;
	int err = 0;

	d->loop = ev_loop_new();
	if (!d->loop) {
		log_errx("cannot create the event loop");
		return -ENOMEM;
	}
	err = setup_signals(d);
	if (err < 0) {
		log_errx("signals: %s", strerror(-err));
		return err;
	}
	if (cfg->dataplane == CFG_DP_XDP)
		d->dp = dataplane_xdp_new(cfg, d->loop, &err);
	else
		d->dp = dataplane_none_new();
	if (!d->dp)
		return err ? err : -ENOMEM;
	t_dp = mono_ms();
	d->net.tcp = tcp_server_new(d->loop, cfg->listen_addr, cfg->listen_port,
				    cfg->role_file[0] != '\0', &err);
	if (!d->net.tcp) {
		log_errx("cannot listen on tcp %s:%u: %s", inet_ntoa(cfg->listen_addr),
			 cfg->listen_port, strerror(-err));
		return err;
	}
	tcp_server_set_limits(d->net.tcp, cfg->tcp_timeout, cfg->tcp_per_addr);
	d->net.udp = udp_server_new(d->loop, cfg->listen_addr, cfg->listen_port,
				    cfg->role_file[0] != '\0', &err);
	if (!d->net.udp) {
		log_errx("cannot bind udp %s:%u: %s", inet_ntoa(cfg->listen_addr), cfg->listen_port,
			 strerror(-err));
		return err;
	}
	d->engine = engine_new(cfg, d->dp, &io, &env);
	if (!d->engine) {
		log_errx("cannot start the RSIP engine (allocator refused the configuration)");
		return -EINVAL;
	}
	/* Restart without loss: the leases of the store, then the data plane
	 * drops what none of them claims, then every change is stored. */
	if (cfg->state_file[0]) {
		char old[PATH_MAX + 16];

		rsipd_port_busy_snapshot(); /* the ports of every restored binding */
		/* The rows' many small blocks on huge pages (heap_thp.h): their
		 * 4 KB page faults made the lease read slow, and by how much
		 * varied from start to start (docs/performance.md). */
		heap_thp_begin();
		d->store =
		    store_follow_open(d->engine, cfg->state_file,
				      cfg->store_sync_full ? STORE_SYNC_FULL : STORE_SYNC_NORMAL,
				      old_state_path(cfg->state_file, old, sizeof(old)), &err);
		heap_thp_end();
		rsipd_port_busy_forget();
		if (!d->store)
			return err;
		d->net.hold = true;
		tcp_server_defer_close(d->net.tcp, true);
		ev_loop_set_post(d->loop, on_iteration_end, d);
	}
	t_leases = mono_ms();
	/* A first start's programs were verified on a second thread while the
	 * leases were read (dataplane_xdp_new): the maps are usable from here.
	 * The cluster's read may write learned entries into them. */
	if (cfg->dataplane == CFG_DP_XDP && (err = dataplane_xdp_loaded(d->dp)) < 0)
		return err;
	t_loaded = mono_ms();
	if (cfg->store_url[0] && (err = start_cluster(d)) < 0)
		return err;
	t_cluster = mono_ms();
	if (cfg->dataplane == CFG_DP_XDP) {
		err = dataplane_xdp_restored(d->dp);
		if (err < 0)
			return err;
		/* The restart figure of docs/store.md (bench/restore_bench.sh). */
		log_notice("restore: %zu clients, %zu bindings, maps reconciled in %" PRIu64
			   " ms (data plane opened %" PRIu64 ", leases read %" PRIu64
			   ", programs waited for and attached %" PRIu64
			   ", maps compared and written %" PRIu64 ")",
			   engine_n_clients(d->engine), engine_n_bindings(d->engine),
			   mono_ms() - t0, t_dp - t0, (t_leases - t_dp) + (t_cluster - t_loaded),
			   t_loaded - t_leases, mono_ms() - t_cluster);
	}
	tcp_server_set_engine(d->net.tcp, d->engine);
	udp_server_set_engine(d->net.udp, d->engine);
	d->ctl_ctx = (struct ctl_ctx){.engine = d->engine,
				      .cfg = cfg,
				      .tcp = d->net.tcp,
				      .start_ms = engine_now(d->engine),
				      .cluster = d->cluster};
	if (cfg->ctl_socket[0]) {
		make_parent_dir(cfg->ctl_socket);
		d->ctl = ctl_server_new(d->loop, cfg->ctl_socket, &d->ctl_ctx, &err);
		if (!d->ctl) {
			log_errx("cannot open the control socket %s: %s", cfg->ctl_socket,
				 strerror(-err));
			return err;
		}
	}
	if (cfg->metrics_port) {
		d->metrics = metrics_server_new(d->loop, cfg->metrics_addr, cfg->metrics_port,
						&d->ctl_ctx, &err);
		if (!d->metrics) {
			log_errx("cannot serve metrics on %s:%u: %s", inet_ntoa(cfg->metrics_addr),
				 cfg->metrics_port, strerror(-err));
			return err;
		}
	}
	d->tick = ev_timer_add(d->loop, TICK_MS, TICK_MS, on_tick, d);
	if (!d->tick)
		return -ENOMEM;
	return 0;
}

static void stop(struct rsipd *d)
{
	metrics_server_free(d->metrics);
	ctl_server_free(d->ctl);
	/* Replies waiting for a commit go with the transports: the hosts
	 * retransmit to the next rsipd, which has what was committed. */
	cluster_store_drop_replies(d->cluster);
	/* The transports report closed connections to the engine: before it. */
	tcp_server_free(d->net.tcp);
	udp_server_free(d->net.udp);
	/* Replies held for a commit that will not come: the hosts
	 * retransmit to the next rsipd, which has what was committed. */
	store_follow_commit(d->store);
	cluster_store_commit(d->cluster);
	net_drop_held(&d->net);
	store_follow_close(d->store);
	cluster_store_close(d->cluster);
	/* XDP keeps forwarding with the pinned maps while rsipd is away:
	 * its entries stay, unless --detach-on-exit takes it all down. */
	engine_free(d->engine, d->cfg.dataplane != CFG_DP_XDP);
	if (d->dp)
		d->dp->ops->destroy(d->dp, d->cfg.detach_on_exit);
	if (d->loop) {
		ev_timer_del(d->loop, d->tick);
		ev_timer_del(d->loop, d->cluster_timer);
		if (d->sigfd > 0) {
			ev_del_fd(d->loop, d->sigfd);
			close(d->sigfd);
		}
		ev_loop_free(d->loop);
	}
}

int main(int argc, char **argv)
{
	static struct rsipd d; /* large: keep it off the stack */
	const char *lock_dir;
	char err[512];
	int rc, ready_fd = -1;

	d.argc = argc;
	d.argv = argv;
	rc = config_parse(&d.cfg, argc, argv, err, sizeof(err));
	if (rc == CONFIG_HELP) {
		config_usage(stdout);
		return 0;
	}
	if (rc == CONFIG_VERSION) {
		printf("rsipd %s (data-plane ABI %u)\n", RSIP_RELEASE, RSIP_DP_ABI_VERSION);
		return 0;
	}
	if (rc) {
		fprintf(stderr, "rsipd: %s\n(rsipd --help lists every option)\n", err);
		return 2;
	}
	log_init("rsipd", false, d.cfg.verbosity);
	if (!d.cfg.allow.n)
		log_warnx("no --allow: every host that reaches %s may register",
			  inet_ntoa(d.cfg.listen_addr));
	/* Read-only checks, then the locks, then the first change. */
	if (preflight(&d.cfg, !d.cfg.check_only) < 0)
		return 1;
	if (d.cfg.check_only) {
		if (d.cfg.config_file[0])
			printf("rsipd: configuration OK (%s)\n", d.cfg.config_file);
		else
			printf("rsipd: configuration OK\n");
		return 0;
	}
	/* systemd's RuntimeDirectory= (the unit's user owns it), else /run/rsipd. */
	lock_dir = getenv("RUNTIME_DIRECTORY");
	if (!lock_dir || !*lock_dir || strchr(lock_dir, ':'))
		lock_dir = INSTANCE_LOCK_DIR;
	/* --daemon forks before anything is opened (startup/detach.h says
	 * what a fork after start-up did to the lease store). */
	if (d.cfg.daemon && (rc = detach_begin(&ready_fd)) < 0) {
		log_errx("cannot go into the background: %s", strerror(-rc));
		return 1;
	}
	if (instance_lock_take(&d.lock, &d.cfg, lock_dir) < 0) {
		if (ready_fd >= 0)
			detach_done(ready_fd, false);
		return 1;
	}

	d.sigfd = -1;
	if (start(&d) < 0) {
		log_errx("not started (the lines above say why)");
		if (d.dp && d.cfg.dataplane == CFG_DP_XDP)
			dataplane_xdp_start_failed(d.dp);
		stop(&d);
		instance_lock_release(&d.lock);
		if (ready_fd >= 0)
			detach_done(ready_fd, false);
		return 1;
	}
	if (ready_fd >= 0) {
		log_init("rsipd", true, d.cfg.verbosity);
		detach_done(ready_fd, true);
	}
	log_notice("listening on %s:%u (tcp%s), %zu public address%s, data plane %s, lease %us",
		   inet_ntoa(d.cfg.listen_addr), d.cfg.listen_port, d.cfg.tcp_only ? "" : ", udp",
		   d.cfg.n_public, d.cfg.n_public == 1 ? "" : "es", d.dp->ops->name, d.cfg.lease);
	/* Type=notify: systemd starts what depends on rsipd only now. */
	sd_notifyf(0, "READY=1\nSTATUS=serving %u public address%s\nMAINPID=%ld",
		   (unsigned)d.cfg.n_public, d.cfg.n_public == 1 ? "" : "es", (long)getpid());
	rc = ev_loop_run(d.loop);
	if (rc < 0)
		log_errx("event loop: %s", strerror(-rc));
	sd_notify(0, "STOPPING=1");
	stop(&d);
	instance_lock_release(&d.lock);
	log_notice("stopped");
	return rc < 0 ? 1 : 0;
}
