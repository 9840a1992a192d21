// SPDX-License-Identifier: BSD-2-Clause
#include "reload.h"

#include <stddef.h>
#include <string.h>

#include "log.h"

#define F(field) offsetof(struct rsipd_config, field), sizeof(((struct rsipd_config *)0)->field)

struct field {
	const char *option;
	size_t off, size;
};

/* Applied on SIGHUP. Lists carry their count: the whole struct is compared. */
static const struct field reloadable[] = {
    {"allow", F(allow)},
    {"ipsec-allow", F(ipsec_allow)},
    {"local-net", F(local_net)},
    {"deny-remote", F(deny_remote)},
    {"deny-remote-port", F(deny_remote_port)},
    {"deny-remote-port", F(n_deny_remote_port)},
    {"flow-policy", F(flow_local)},
    {"flow-policy", F(flow_remote)},
    {"no-rsa-ip", F(no_rsa_ip)},
    {"tcp-only", F(tcp_only)},
    {"lease", F(lease)},
    {"lease-min", F(lease_min)},
    {"max-bindings", F(max_bindings)},
    {"max-ports", F(max_ports)},
    {"max-spis", F(max_spis)},
    {"verbose", F(verbosity)},
    {"metrics", F(metrics_addr)},
    {"metrics", F(metrics_port)},
};

/* Known to need a restart, named in the log when they differ. */
static const struct field restart_only[] = {
    {"listen", F(listen_addr)},
    {"listen", F(listen_port)},
    {"public", F(public_addrs)},
    {"public", F(n_public)},
    {"dataplane", F(dataplane)},
    {"spi-range", F(spi_lo)},
    {"spi-range", F(spi_hi)},
    {"spi-block", F(spi_block)},
    {"spi-block", F(spi_block_shift)},
    {"port-range", F(port_lo)},
    {"port-range", F(port_hi)},
    {"holdback", F(holdback)},
    {"tunnel-endpoint", F(tunnel_endpoint)},
    {"ctl-socket", F(ctl_socket)},
    {"daemon", F(daemon)},
    {"wan", F(wan_if)},
    {"lan", F(lan_if)},
    {"xdp-mode", F(xdp_mode)},
    {"attach", F(attach)},
    {"pin-path", F(pin_path)},
    {"map-size", F(map_size)},
    {"map-prealloc", F(map_prealloc)},
    {"stat-slots", F(stat_slots)},
    {"spi-steer", F(spi_steer)},
    {"spi-steer", F(n_spi_steer)},
    {"detach-on-exit", F(detach_on_exit)},
    {"state-file", F(state_file)},
    {"store", F(store_url)},
    {"store", F(etcd_endpoints)},
    {"store", F(etcd_prefix)},
    {"etcd-cacert", F(etcd_cacert)},
    {"etcd-cert", F(etcd_cert)},
    {"etcd-key", F(etcd_key)},
    {"gateway", F(gateway)},
    {"role-file", F(role_file)},
    {"learned-rate", F(learned_rate)},
    {"etcd-timeout", F(etcd_timeout_ms)},
    {"etcd-connect-timeout", F(etcd_connect_ms)},
    {"etcd-watch-idle", F(etcd_watch_idle_ms)},
    {"etcd-inflight", F(etcd_inflight)},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static bool differs(const void *a, const void *b, const struct field *f)
{
	return memcmp((const char *)a + f->off, (const char *)b + f->off, f->size) != 0;
}

void reload_apply(struct rsipd_config *running, const struct rsipd_config *next,
		  struct reload_result *res)
{
	static struct rsipd_config merged; /* large: off the stack */
	const char *last = "";
	size_t i;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < N(restart_only); i++) {
		if (!differs(running, next, &restart_only[i]) ||
		    !strcmp(last, restart_only[i].option))
			continue;
		last = restart_only[i].option;
		log_warnx("reload: --%s changed: it needs a restart (systemctl restart rsipd); "
			  "the running value stays",
			  restart_only[i].option);
		res->restart++;
	}
	/* Options this table does not know (added later) count as restart-only:
	 * compare everything but the reloadable fields and the named ones. */
	merged = *next;
	for (i = 0; i < N(reloadable); i++)
		memcpy((char *)&merged + reloadable[i].off,
		       (const char *)running + reloadable[i].off, reloadable[i].size);
	for (i = 0; i < N(restart_only); i++)
		memcpy((char *)&merged + restart_only[i].off,
		       (const char *)running + restart_only[i].off, restart_only[i].size);
	merged.has_listen = running->has_listen;
	merged.has_state_file = running->has_state_file;
	merged.check_only = running->check_only;
	if (memcmp(&merged, running, sizeof(merged))) {
		log_warnx("reload: other options changed that need a restart; the running values "
			  "stay");
		res->restart++;
	}
	last = "";
	for (i = 0; i < N(reloadable); i++) {
		const struct field *f = &reloadable[i];

		if (!differs(running, next, f))
			continue;
		memcpy((char *)running + f->off, (const char *)next + f->off, f->size);
		if (!strcmp(f->option, "metrics"))
			res->metrics_changed = true;
		if (!strcmp(f->option, "verbose"))
			res->verbosity_changed = true;
		if (!strcmp(last, f->option))
			continue;
		last = f->option;
		log_notice("reload: --%s applied", f->option);
		res->applied++;
	}
}
