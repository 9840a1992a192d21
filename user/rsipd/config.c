// SPDX-License-Identifier: BSD-2-Clause
/*
 * Command line and INI file. One table describes every option; the same
 * setter applies a value whether it came from a flag or from the file, so the
 * two can never disagree about what a value means.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cpulist.h"
#include "parse.h"
#include "rsip/dp_abi.h"
#include "rsip/wire.h"
#include "store/etcd_url.h"

enum cfg_src { SRC_FILE, SRC_FLAG };

struct cfg_opt;
typedef int (*cfg_setter)(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v);

struct cfg_opt {
	const char *name; /* long flag = INI key */
	int has_arg;	  /* no_argument: a boolean flag */
	int short_opt;
	cfg_setter set;
	const char *hint; /* what a good value looks like */
	const char *help; /* --help line */
	bool list;	  /* repeatable: flags replace the file's entries */
};

/* ---- setters --------------------------------------------------------------- */

static int set_listen(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	struct in_addr a;
	uint16_t port = CFG_DEFAULT_PORT;

	if (parse_addr_port(v, &a, &port))
		return -EINVAL;
	cfg->listen_addr = a;
	cfg->listen_port = port;
	cfg->has_listen = true;
	return 0;
}

static int set_public(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	struct in_addr tmp[CFG_MAX_PUBLIC];
	size_t n = cfg->n_public, i;
	char buf[1024], *save = NULL, *tok;

	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	memcpy(tmp, cfg->public_addrs, sizeof(tmp));
	strcpy(buf, v);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct in_addr a;

		if (n >= CFG_MAX_PUBLIC || parse_ipv4(tok, &a) || a.s_addr == INADDR_ANY ||
		    a.s_addr == INADDR_BROADCAST)
			return -EINVAL;
		for (i = 0; i < n; i++)
			if (tmp[i].s_addr == a.s_addr)
				return -EINVAL; /* listed twice */
		tmp[n++] = a;
	}
	if (n == cfg->n_public)
		return -EINVAL; /* nothing in it */
	memcpy(cfg->public_addrs, tmp, sizeof(tmp));
	cfg->n_public = n;
	return 0;
}

static int set_dataplane(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	if (!strcmp(v, "none"))
		cfg->dataplane = CFG_DP_NONE;
	else if (!strcmp(v, "xdp"))
		cfg->dataplane = CFG_DP_XDP;
	else
		return -EINVAL;
	return 0;
}

static int set_seconds(uint32_t *out, const char *v, uint32_t min)
{
	uint32_t s;

	if (parse_u32(v, &s) || s < min)
		return -EINVAL;
	*out = s;
	return 0;
}

static int set_lease(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return set_seconds(&cfg->lease, v, 1);
}

static int set_lease_min(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return set_seconds(&cfg->lease_min, v, 1);
}

static int set_holdback(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	/* Stored as milliseconds by the allocator: keep it well inside u32. */
	if (set_seconds(&cfg->holdback, v, 0) || cfg->holdback > 86400)
		return -EINVAL;
	return 0;
}

static int set_spi_range(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	uint64_t lo, hi;

	/* SPIs 0-255 are reserved by IPsec (D13). */
	if (parse_range(v, UINT32_MAX, &lo, &hi) || lo < 256)
		return -EINVAL;
	cfg->spi_lo = (uint32_t)lo;
	cfg->spi_hi = (uint32_t)hi;
	return 0;
}

static int set_spi_block(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	uint32_t n;

	if (parse_u32(v, &n) || n == 0 || (n & (n - 1)) || n > 65536)
		return -EINVAL;
	cfg->spi_block = n;
	return 0;
}

static int set_port_range(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	uint64_t lo, hi;

	if (parse_range(v, UINT16_MAX, &lo, &hi) || lo == 0)
		return -EINVAL;
	cfg->port_lo = (uint16_t)lo;
	cfg->port_hi = (uint16_t)hi;
	return 0;
}

static int add_cidr(struct cidr_list *l, const char *v)
{
	struct cidr c;

	if (l->n >= CFG_MAX_CIDRS || parse_cidr(v, &c.net, &c.len))
		return -EINVAL;
	l->v[l->n++] = c;
	return 0;
}

static int set_allow(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return add_cidr(&cfg->allow, v);
}

static int set_ipsec_allow(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return add_cidr(&cfg->ipsec_allow, v);
}

static int set_local_net(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return add_cidr(&cfg->local_net, v);
}

static int set_deny_remote(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return add_cidr(&cfg->deny_remote, v);
}

static int set_deny_remote_port(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	uint16_t p;

	if (cfg->n_deny_remote_port >= CFG_MAX_PORTS || parse_u16(v, &p) || p == 0)
		return -EINVAL;
	cfg->deny_remote_port[cfg->n_deny_remote_port++] = p;
	return 0;
}

static int flow_word(const char *s, size_t n, bool remote, uint8_t *out)
{
	if (n == 5 && !strncmp(s, "macro", 5))
		*out = RSIP_FLOW_MACRO;
	else if (n == 5 && !strncmp(s, "micro", 5))
		*out = RSIP_FLOW_MICRO;
	else if (remote && n == 4 && !strncmp(s, "none", 4))
		*out = RSIP_FLOW_NONE; /* "no policy" exists for the remote side only */
	else
		return -EINVAL;
	return 0;
}

static int set_flow_policy(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	const char *slash = strchr(v, '/');
	uint8_t l, r;

	if (!slash || flow_word(v, (size_t)(slash - v), false, &l) ||
	    flow_word(slash + 1, strlen(slash + 1), true, &r))
		return -EINVAL;
	cfg->flow_local = l;
	cfg->flow_remote = r;
	return 0;
}

static int set_max_bindings(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return parse_u32(v, &cfg->max_bindings);
}

static int set_max_ports(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return parse_u32(v, &cfg->max_ports);
}

static int set_max_spis(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return parse_u32(v, &cfg->max_spis);
}

static int parse_bool(const char *v, bool *out)
{
	if (!v) { /* a flag without a value */
		*out = true;
		return 0;
	}
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") ||
	    !strcasecmp(v, "on"))
		*out = true;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") ||
		 !strcasecmp(v, "off"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int set_no_rsa_ip(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return parse_bool(v, &cfg->no_rsa_ip);
}

static int set_tcp_only(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return parse_bool(v, &cfg->tcp_only);
}

static int set_daemon(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return parse_bool(v, &cfg->daemon);
}

static int set_tunnel_endpoint(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	struct in_addr a;

	if (parse_ipv4(v, &a) || a.s_addr == INADDR_ANY)
		return -EINVAL;
	cfg->tunnel_endpoint = a;
	return 0;
}

static int set_metrics(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	struct in_addr a;
	uint16_t port = 0;

	if (!*v) { /* empty: none */
		cfg->metrics_port = 0;
		return 0;
	}
	if (parse_addr_port(v, &a, &port) || port == 0)
		return -EINVAL;
	cfg->metrics_addr = a;
	cfg->metrics_port = port;
	return 0;
}

static int set_ctl_socket(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	if (strlen(v) >= sizeof(cfg->ctl_socket))
		return -EINVAL;
	strcpy(cfg->ctl_socket, v);
	return 0;
}

/* ---- --dataplane xdp ---- */

static int set_ifname(char *out, const char *v)
{
	if (!*v || strlen(v) >= 16 || strchr(v, '/') || strchr(v, ' '))
		return -EINVAL;
	strcpy(out, v);
	return 0;
}

static int set_wan(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return set_ifname(cfg->wan_if, v);
}

static int set_lan(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return set_ifname(cfg->lan_if, v);
}

static int set_xdp_mode(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	if (!strcmp(v, "native"))
		cfg->xdp_mode = CFG_XDP_NATIVE;
	else if (!strcmp(v, "generic"))
		cfg->xdp_mode = CFG_XDP_GENERIC;
	else
		return -EINVAL;
	return 0;
}

static int set_attach(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	if (!strcmp(v, "xdp"))
		cfg->attach = CFG_ATTACH_XDP;
	else if (!strcmp(v, "tc"))
		cfg->attach = CFG_ATTACH_TC;
	else
		return -EINVAL;
	return 0;
}

static int set_pin_path(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	/* Room for "/<map name>" after it. */
	if (v[0] != '/' || strlen(v) >= sizeof(cfg->pin_path) - 32)
		return -EINVAL;
	strcpy(cfg->pin_path, v);
	return 0;
}

static int set_map_size(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	uint32_t n;

	if (parse_u32(v, &n) || n < 16 || n > (1u << 24))
		return -EINVAL;
	cfg->map_size = n;
	return 0;
}

static int set_stat_slots(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	uint32_t n;

	if (parse_u32(v, &n) || n > CFG_MAX_STAT_SLOTS)
		return -EINVAL;
	cfg->stat_slots = n;
	return 0;
}

static int set_map_prealloc(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return parse_bool(v, &cfg->map_prealloc);
}

static int set_spi_steer(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	/* Empty: off (a config file can say so explicitly). */
	if (!*v) {
		cfg->n_spi_steer = 0;
		return 0;
	}
	return cpulist_parse(v, cfg->spi_steer, CFG_MAX_STEER_CPUS, &cfg->n_spi_steer);
}

static int set_detach_on_exit(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return parse_bool(v, &cfg->detach_on_exit);
}

static int set_state_file(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	if (strlen(v) >= sizeof(cfg->state_file) - 8) /* room for ".tmp" */
		return -EINVAL;
	/* "none", like the help says: no file (not a file named none). */
	strcpy(cfg->state_file, strcmp(v, "none") ? v : "");
	cfg->has_state_file = true;
	return 0;
}

static int set_store_sync(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	if (!strcmp(v, "normal"))
		cfg->store_sync_full = false;
	else if (!strcmp(v, "full"))
		cfg->store_sync_full = true;
	else
		return -EINVAL;
	return 0;
}

/* Checked whole in check_consistency (with the TLS options). */
static int set_store(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	if (strlen(v) >= sizeof(cfg->store_url) || strncmp(v, "etcd://", 7))
		return -EINVAL;
	strcpy(cfg->store_url, v);
	return 0;
}

static int set_path(char *dst, size_t len, const char *v)
{
	if (!*v || strlen(v) >= len)
		return -EINVAL;
	strcpy(dst, v);
	return 0;
}

static int set_etcd_cacert(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return set_path(cfg->etcd_cacert, sizeof(cfg->etcd_cacert), v);
}

static int set_etcd_cert(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return set_path(cfg->etcd_cert, sizeof(cfg->etcd_cert), v);
}

static int set_etcd_key(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return set_path(cfg->etcd_key, sizeof(cfg->etcd_key), v);
}

static int set_role_file(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return set_path(cfg->role_file, sizeof(cfg->role_file), v);
}

/* The cluster's name for this gateway: etcd keys and rsipctl status. */
static bool gateway_name_ok(const char *v)
{
	size_t n = strlen(v);

	if (!n || n > 32)
		return false;
	for (; *v; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
		      (*v >= '0' && *v <= '9') || *v == '.' || *v == '-' || *v == '_'))
			return false;
	return true;
}

static int set_gateway(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	if (!gateway_name_ok(v))
		return -EINVAL;
	strcpy(cfg->gateway, v);
	return 0;
}

static int set_learned_rate(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return parse_u32(v, &cfg->learned_rate) || cfg->learned_rate > 1000000 ? -EINVAL : 0;
}

/* 50 ms - 60 s: shorter fails requests of a loaded but live member,
 * longer lets one hung member hold the event loop for longer than a host
 * waits for an answer. */
static int set_etcd_timeout(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return parse_u32(v, &cfg->etcd_timeout_ms) || cfg->etcd_timeout_ms < 50 ||
		       cfg->etcd_timeout_ms > 60000
		   ? -EINVAL
		   : 0;
}

static int set_etcd_connect(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return parse_u32(v, &cfg->etcd_connect_ms) || cfg->etcd_connect_ms < 10 ||
		       cfg->etcd_connect_ms > 60000
		   ? -EINVAL
		   : 0;
}

static int set_etcd_watch_idle(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return parse_u32(v, &cfg->etcd_watch_idle_ms) || cfg->etcd_watch_idle_ms < 100 ||
		       cfg->etcd_watch_idle_ms > 3600000
		   ? -EINVAL
		   : 0;
}

/* 1-16: 16 is the table of transactions in flight (CS_MAX_INFLIGHT). */
static int set_etcd_inflight(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return parse_u32(v, &cfg->etcd_inflight) || cfg->etcd_inflight < 1 ||
		       cfg->etcd_inflight > 16
		   ? -EINVAL
		   : 0;
}

static int set_max_clients(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	return parse_u32(v, &cfg->max_clients) || cfg->max_clients == 0 ? -EINVAL : 0;
}

/* RATE or RATE/BURST (the burst defaults to twice the rate). */
static int set_register_rate(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	char buf[32], *slash;
	uint32_t rate, burst;

	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, v);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (parse_u32(buf, &rate) || rate > 1000000)
		return -EINVAL;
	burst = rate * 2;
	if (slash && (parse_u32(slash + 1, &burst) || burst == 0 || burst > 1000000))
		return -EINVAL;
	cfg->register_rate = rate;
	cfg->register_burst = rate ? burst : 0;
	return 0;
}

static int set_register_prefix(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	uint32_t n;

	if (parse_u32(v, &n) || n > 32)
		return -EINVAL;
	cfg->register_prefix = (uint8_t)n;
	return 0;
}

static int set_tcp_timeout(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	uint32_t n;

	if (parse_u32(v, &n) || n < 1 || n > 3600)
		return -EINVAL;
	cfg->tcp_timeout = n;
	return 0;
}

static int set_tcp_per_addr(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	uint32_t n;

	if (parse_u32(v, &n) || n < 1 || n > 65536)
		return -EINVAL;
	cfg->tcp_per_addr = n;
	return 0;
}

static int set_config(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	if (!*v || strlen(v) >= sizeof(cfg->config_file))
		return -EINVAL;
	strcpy(cfg->config_file, v);
	return 0;
}

static int set_check_config(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	cfg->check_only = true;
	return 0;
}

static int set_verbose(struct rsipd_config *cfg, const struct cfg_opt *o, const char *v)
{
	uint32_t n;

	if (!v) { /* -v: one more level */
		cfg->verbosity++;
		return 0;
	}
	if (parse_u32(v, &n) || n > 9)
		return -EINVAL;
	cfg->verbosity = (int)n;
	return 0;
}

/* ---- the option table -------------------------------------------------------- */

enum { OPT_BASE = 256 };

static const struct cfg_opt opts[] = {
    {"listen", required_argument, 0, set_listen, "ADDR or ADDR:PORT (IPv4)",
     "RSIP server address (TCP and UDP), port 4555 by default", false},
    {"public", required_argument, 0, set_public,
     "IPv4 addresses separated by commas, no duplicates",
     "public addresses Nb lent to hosts (repeatable)", true},
    {"dataplane", required_argument, 0, set_dataplane, "none or xdp",
     "packet path: none (control plane only) or xdp", false},
    {"lease", required_argument, 0, set_lease, "seconds >= 1",
     "default and maximum lease, seconds (3600)", false},
    {"lease-min", required_argument, 0, set_lease_min, "seconds >= 1",
     "smallest lease granted, seconds (1)", false},
    {"spi-range", required_argument, 0, set_spi_range, "LO-HI with 256 <= LO <= HI <= 0xffffffff",
     "SPIs lent to hosts (0x100-0xffffffff)", false},
    {"spi-block", required_argument, 0, set_spi_block, "a power of two, at most 65536",
     "size of the aligned SPI block a host owns for k > 1 SPIs (256)", false},
    {"port-range", required_argument, 0, set_port_range, "LO-HI with 1 <= LO <= HI <= 65535",
     "ports lent to hosts (1024-65535)", false},
    {"holdback", required_argument, 0, set_holdback, "seconds, at most 86400",
     "seconds a released port or SPI stays out of use (120)", false},
    {"allow", required_argument, 0, set_allow, "A.B.C.D/LEN with zero host bits",
     "network whose hosts may register (repeatable; none: everyone)", true},
    {"ipsec-allow", required_argument, 0, set_ipsec_allow, "A.B.C.D/LEN with zero host bits",
     "network whose hosts may use RSIPSEC (repeatable; none: every host)", true},
    {"local-net", required_argument, 0, set_local_net, "A.B.C.D/LEN with zero host bits",
     "network QUERY reports as local (repeatable; none: the --allow networks)", true},
    {"deny-remote", required_argument, 0, set_deny_remote, "A.B.C.D/LEN with zero host bits",
     "remote network hosts may not name (314; repeatable)", true},
    {"deny-remote-port", required_argument, 0, set_deny_remote_port, "a port 1-65535",
     "remote port hosts may not name (315; repeatable)", true},
    {"flow-policy", required_argument, 0, set_flow_policy,
     "LOCAL/REMOTE: LOCAL macro|micro, REMOTE macro|micro|none",
     "local/remote flow policy (macro/none)", false},
    {"max-bindings", required_argument, 0, set_max_bindings, "a number (0: no limit)",
     "bindings per host (64)", false},
    {"max-ports", required_argument, 0, set_max_ports, "a number (0: no limit)",
     "ports per host (1024)", false},
    {"max-spis", required_argument, 0, set_max_spis, "a number (0: no limit)",
     "SPIs per host (1024)", false},
    {"max-clients", required_argument, 0, set_max_clients, "a number >= 1",
     "registered hosts (xdp: what --map-size holds; none: 65536); more get 304", false},
    {"register-rate", required_argument, 0, set_register_rate, "RATE or RATE/BURST (0: no limit)",
     "REGISTERs per second per --register-prefix source network (20/40); over UDP "
     "the excess is dropped unanswered",
     false},
    {"register-prefix", required_argument, 0, set_register_prefix, "a prefix length 0-32",
     "source prefix length --register-rate counts by (24)", false},
    {"tcp-timeout", required_argument, 0, set_tcp_timeout, "seconds 1-3600",
     "a TCP connection that has not completed a message within this is closed (5)", false},
    {"tcp-per-addr", required_argument, 0, set_tcp_per_addr, "a number 1-65536",
     "TCP connections per source address; a new one closes the oldest (8)", false},
    {"no-rsa-ip", no_argument, 0, set_no_rsa_ip, "yes or no",
     "refuse RSA-IP (whole-address) requests with 208", false},
    {"tcp-only", no_argument, 0, set_tcp_only, "yes or no",
     "answer every UDP request with 102 USE_TCP", false},
    {"tunnel-endpoint", required_argument, 0, set_tunnel_endpoint, "an IPv4 address",
     "tunnel endpoint announced to hosts (default: none, hosts use the server)", false},
    {"ctl-socket", required_argument, 0, set_ctl_socket, "a path shorter than 108 bytes",
     "control socket for rsipctl (/run/rsipd/rsipd.sock; empty: none)", false},
    {"metrics", required_argument, 0, set_metrics, "ADDR:PORT (IPv4; empty: none)",
     "serve Prometheus metrics on http://ADDR:PORT/metrics (default: none)", false},
    {"wan", required_argument, 0, set_wan, "an interface name",
     "xdp: the public-side interface (Nb lives there)", false},
    {"lan", required_argument, 0, set_lan, "an interface name",
     "xdp: the private-side interface (Na lives there)", false},
    {"xdp-mode", required_argument, 0, set_xdp_mode, "native or generic",
     "xdp: attach mode (native)", false},
    {"attach", required_argument, 0, set_attach, "xdp or tc",
     "xdp: run the programs as XDP (xdp, default) or on TC clsact ingress (tc: GRO/GSO "
     "packets cross whole, for veth and virtual NICs; docs/xdp-programs.md)",
     false},
    {"pin-path", required_argument, 0, set_pin_path, "an absolute path on a bpffs",
     "xdp: where maps and links are pinned (" CFG_DEFAULT_PIN_PATH ")", false},
    {"map-size", required_argument, 0, set_map_size, "a number 16-16777216",
     "xdp: clients the maps hold; the other maps scale with it (131072)", false},
    {"stat-slots", required_argument, 0, set_stat_slots, "a number 0-256",
     "xdp: per-binding counter slots per host the counter map holds (3; 0: no per-binding "
     "counters; memory: slots x 16 bytes x possible CPUs, docs/dataplane.md)",
     false},
    {"map-prealloc", no_argument, 0, set_map_prealloc, "yes or no",
     "xdp: reserve the hash maps' memory at start (faster with many active clients, "
     "docs/performance.md; default: memory follows the bindings)",
     false},
    {"spi-steer", required_argument, 0, set_spi_steer, "a CPU list such as 0-3,6 (empty: off)",
     "xdp: spread ESP/AH/UDP-ESP over these CPUs by SPI, so one peer's SAs use them all "
     "(docs/dataplane.md; default: off, each packet stays on the CPU that received it)",
     false},
    {"detach-on-exit", no_argument, 0, set_detach_on_exit, "yes or no",
     "xdp: take the programs and pins down on exit (default: keep forwarding)", false},
    {"state-file", required_argument, 0, set_state_file, "a path (empty or none: none)",
     "the lease store, SQLite (xdp: " CFG_DEFAULT_STATE_FILE "; none: no store)", false},
    {"store-sync", required_argument, 0, set_store_sync, "normal or full",
     "normal: nothing acknowledged is lost if rsipd is killed; full: nor on power loss "
     "(an fsync per commit)",
     false},
    {"store", required_argument, 0, set_store, "etcd://HOST:PORT[,HOST:PORT...]/PREFIX",
     "share leases with the other gateways of a cluster through etcd (docs/cluster.md)", false},
    {"etcd-cacert", required_argument, 0, set_etcd_cacert, "a PEM file",
     "CA that signed the etcd members' certificates (https)", false},
    {"etcd-cert", required_argument, 0, set_etcd_cert, "a PEM file",
     "client certificate presented to etcd (with --etcd-key)", false},
    {"etcd-key", required_argument, 0, set_etcd_key, "a PEM file", "the key of --etcd-cert", false},
    {"gateway", required_argument, 0, set_gateway, "1-32 of A-Z a-z 0-9 . - _",
     "this gateway's name in the cluster (default: the host name)", false},
    {"role-file", required_argument, 0, set_role_file, "a path",
     "keepalived's state for this gateway (MASTER: active, else standby)", false},
    {"learned-rate", required_argument, 0, set_learned_rate, "a number 0-1000000",
     "learned IKE cookies, outbound SPIs and echo ids the active gateway writes to etcd a "
     "second (1000; 0: none)",
     false},
    {"etcd-timeout", required_argument, 0, set_etcd_timeout, "milliseconds 50-60000",
     "deadline of one etcd request on one member; past it the next member is tried (1000)", false},
    {"etcd-connect-timeout", required_argument, 0, set_etcd_connect, "milliseconds 10-60000",
     "deadline of the connection to an etcd member, within --etcd-timeout (200)", false},
    {"etcd-watch-idle", required_argument, 0, set_etcd_watch_idle, "milliseconds 100-3600000",
     "a watch stream silent this long has its etcd member probed; no answer within "
     "--etcd-timeout: the watch resumes on the next member (2000)",
     false},
    {"etcd-inflight", required_argument, 0, set_etcd_inflight, "a number 1-16",
     "etcd transactions of the active gateway in flight at once; what arrives meanwhile "
     "waits for the next (4)",
     false},
    {"config", required_argument, 0, set_config, "a file name",
     "INI file; keys are the long flag names, flags override it", false},
    {"daemon", no_argument, 0, set_daemon, "yes or no", "run in the background, log to syslog",
     false},
    {"check-config", no_argument, 't', set_check_config, "",
     "check the configuration and the system, change nothing, exit 0 if it would start", false},
    {"verbose", no_argument, 'v', set_verbose, "a number 0-9",
     "-v: debug logging (malformed input, every message)", false},
};

#define N_OPTS	    (sizeof(opts) / sizeof(opts[0]))
#define OPT_HELP    (OPT_BASE + (int)N_OPTS)
#define OPT_VERSION (OPT_HELP + 1)

/* Options of the command line only: not keys of the file. */
static bool flag_only(const struct cfg_opt *o)
{
	return o->set == set_config || o->set == set_check_config;
}

void config_usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: rsipd --listen ADDR[:PORT] --public ADDR[,ADDR...] [options]\n"
		     "RSIP gateway (RFC 3103, RFC 3104) control plane.\n\n");
	for (i = 0; i < N_OPTS; i++) {
		char lhs[64];

		if (opts[i].short_opt)
			snprintf(lhs, sizeof(lhs), "-%c, --%s", opts[i].short_opt, opts[i].name);
		else if (opts[i].has_arg == no_argument)
			snprintf(lhs, sizeof(lhs), "--%s", opts[i].name);
		else
			snprintf(lhs, sizeof(lhs), "--%s VALUE", opts[i].name);
		fprintf(out, "  %-26s %s\n", lhs, opts[i].help);
		if (opts[i].hint[0])
			fprintf(out, "  %-26s   value: %s\n", "", opts[i].hint);
	}
	fprintf(out, "  %-26s %s\n", "-h, --help", "this text");
	fprintf(out, "  %-26s %s\n", "--version", "the version and the data-plane ABI version");
	fprintf(out, "\nNumbers are decimal or 0x hex. Every long flag is also a key of the "
		     "--config file\n(\"lease = 600\", \"allow = 10.0.0.0/8\" once per network, "
		     "\"daemon = yes\").\n");
}

void config_defaults(struct rsipd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen_port = CFG_DEFAULT_PORT;
	cfg->dataplane = CFG_DP_NONE;
	cfg->lease = CFG_DEFAULT_LEASE;
	cfg->lease_min = CFG_DEFAULT_LEASE_MIN;
	cfg->spi_lo = CFG_DEFAULT_SPI_LO;
	cfg->spi_hi = CFG_DEFAULT_SPI_HI;
	cfg->spi_block = CFG_DEFAULT_SPI_BLOCK;
	cfg->port_lo = CFG_DEFAULT_PORT_LO;
	cfg->port_hi = CFG_DEFAULT_PORT_HI;
	cfg->holdback = CFG_DEFAULT_HOLDBACK;
	cfg->flow_local = RSIP_FLOW_MACRO;
	cfg->flow_remote = RSIP_FLOW_NONE;
	cfg->max_bindings = CFG_DEFAULT_MAX_BINDINGS;
	cfg->stat_slots = CFG_DEFAULT_STAT_SLOTS;
	cfg->max_ports = CFG_DEFAULT_MAX_PORTS;
	cfg->register_rate = CFG_DEFAULT_REGISTER_RATE;
	cfg->learned_rate = CFG_DEFAULT_LEARNED_RATE;
	cfg->etcd_timeout_ms = CFG_DEFAULT_ETCD_TIMEOUT_MS;
	cfg->etcd_connect_ms = CFG_DEFAULT_ETCD_CONNECT_MS;
	cfg->etcd_watch_idle_ms = CFG_DEFAULT_ETCD_WATCH_IDLE_MS;
	cfg->etcd_inflight = CFG_DEFAULT_ETCD_INFLIGHT;
	cfg->register_burst = CFG_DEFAULT_REGISTER_BURST;
	cfg->register_prefix = CFG_DEFAULT_REGISTER_PREFIX;
	cfg->tcp_timeout = CFG_DEFAULT_TCP_TIMEOUT;
	cfg->tcp_per_addr = CFG_DEFAULT_TCP_PER_ADDR;
	cfg->max_spis = CFG_DEFAULT_MAX_SPIS;
	strcpy(cfg->ctl_socket, CFG_DEFAULT_CTL_SOCKET);
	strcpy(cfg->pin_path, CFG_DEFAULT_PIN_PATH);
}

bool cidr_list_contains(const struct cidr_list *l, struct in_addr addr)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (cidr_contains(l->v[i].net, l->v[i].len, addr))
			return true;
	return false;
}

/* ---- applying values ---------------------------------------------------------- */

struct parse_state {
	struct rsipd_config *cfg;
	char *err;
	size_t errlen;
	bool flag_seen[N_OPTS]; /* a list option given as a flag drops the file's list */
	int failed;
	FILE *file;
	int lineno; /* Debian's libinih passes no line numbers: count them */
};

static void errf(struct parse_state *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->failed)
		return; /* keep the first error */
	va_start(ap, fmt);
	vsnprintf(ps->err, ps->errlen, fmt, ap);
	va_end(ap);
	ps->failed = -EINVAL;
}

static void clear_list(struct rsipd_config *cfg, const struct cfg_opt *o)
{
	if (o->set == set_public)
		cfg->n_public = 0;
	else if (o->set == set_allow)
		cfg->allow.n = 0;
	else if (o->set == set_ipsec_allow)
		cfg->ipsec_allow.n = 0;
	else if (o->set == set_local_net)
		cfg->local_net.n = 0;
	else if (o->set == set_deny_remote)
		cfg->deny_remote.n = 0;
	else if (o->set == set_deny_remote_port)
		cfg->n_deny_remote_port = 0;
}

static const struct cfg_opt *find_opt(const char *name)
{
	size_t i;

	for (i = 0; i < N_OPTS; i++)
		if (!strcmp(opts[i].name, name))
			return &opts[i];
	return NULL;
}

static char *ini_reader_lines(char *str, int num, void *stream)
{
	struct parse_state *ps = stream;
	char *line = fgets(str, num, ps->file);

	if (line)
		ps->lineno++;
	return line;
}

static int ini_kv(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *ps = user;
	const struct cfg_opt *o;
	int lineno = ps->lineno;

	if (ps->failed)
		return 0;
	if (*section && strcmp(section, "rsipd")) {
		errf(ps, "%s:%d: unknown section [%s] (keys go before any section or in [rsipd])",
		     ps->cfg->config_file, lineno, section);
		return 0;
	}
	o = find_opt(name);
	if (!o || flag_only(o)) {
		errf(ps, "%s:%d: unknown key '%s'", ps->cfg->config_file, lineno, name);
		return 0;
	}
	if (o->set(ps->cfg, o, value)) {
		errf(ps, "%s:%d: invalid value '%s' for key '%s': expected %s",
		     ps->cfg->config_file, lineno, value, name, o->hint);
		return 0;
	}
	return 1;
}

static int load_file(struct parse_state *ps)
{
	int rc;

	ps->file = fopen(ps->cfg->config_file, "r");
	if (!ps->file) {
		errf(ps, "invalid value '%s' for --config: cannot read it: %s",
		     ps->cfg->config_file, strerror(errno));
		return ps->failed;
	}
	rc = ini_parse_stream(ini_reader_lines, ps, ini_kv, ps);
	fclose(ps->file);
	ps->file = NULL;
	if (ps->failed)
		return ps->failed;
	if (rc > 0) {
		errf(ps, "%s:%d: syntax error (expected 'key = value')", ps->cfg->config_file, rc);
		return ps->failed;
	}
	return 0;
}

/* --store etcd:// and its companions. */
static void check_cluster(struct parse_state *ps)
{
	struct rsipd_config *cfg = ps->cfg;
	bool tls = cfg->etcd_cacert[0] || cfg->etcd_cert[0];
	char why[256], host[256];

	if (!cfg->store_url[0]) {
		if (tls || cfg->etcd_key[0] || cfg->gateway[0] || cfg->role_file[0] ||
		    cfg->learned_rate != CFG_DEFAULT_LEARNED_RATE ||
		    cfg->etcd_timeout_ms != CFG_DEFAULT_ETCD_TIMEOUT_MS ||
		    cfg->etcd_connect_ms != CFG_DEFAULT_ETCD_CONNECT_MS ||
		    cfg->etcd_watch_idle_ms != CFG_DEFAULT_ETCD_WATCH_IDLE_MS ||
		    cfg->etcd_inflight != CFG_DEFAULT_ETCD_INFLIGHT)
			errf(ps, "--etcd-cacert, --etcd-cert, --etcd-key, --etcd-timeout, "
				 "--etcd-connect-timeout, --etcd-watch-idle, --etcd-inflight, "
				 "--gateway, "
				 "--role-file and "
				 "--learned-rate need --store etcd://...");
		return;
	}
	if (cfg->etcd_connect_ms > cfg->etcd_timeout_ms)
		errf(ps, "--etcd-connect-timeout (%u ms) is longer than --etcd-timeout (%u ms)",
		     cfg->etcd_connect_ms, cfg->etcd_timeout_ms);
	if (etcd_url_parse(cfg->store_url, tls, cfg->etcd_endpoints, sizeof(cfg->etcd_endpoints),
			   cfg->etcd_prefix, sizeof(cfg->etcd_prefix), why, sizeof(why))) {
		errf(ps, "invalid value '%s' for --store: %s", cfg->store_url, why);
		return;
	}
	if (!cfg->etcd_cert[0] != !cfg->etcd_key[0])
		errf(ps, "--etcd-cert and --etcd-key go together");
	else if (cfg->has_state_file && cfg->state_file[0])
		errf(ps, "--state-file and --store etcd://... exclude each other (the cluster's "
			 "leases live in etcd)");
	if (!cfg->gateway[0]) {
		if (gethostname(host, sizeof(host)) < 0 || (host[sizeof(host) - 1] = '\0', 0) ||
		    !gateway_name_ok(host))
			errf(ps, "--store etcd://... needs --gateway NAME (the host name is not "
				 "usable: 1-32 of A-Z a-z 0-9 . - _)");
		else
			strcpy(cfg->gateway, host);
	}
	cfg->state_file[0] = '\0';
}

static void check_consistency(struct parse_state *ps)
{
	struct rsipd_config *cfg = ps->cfg;

	/* set_spi_block admits powers of two only, as does the default. */
	cfg->spi_block_shift = (uint8_t)__builtin_ctz(cfg->spi_block);
	if (!cfg->has_listen)
		errf(ps, "missing --listen ADDR[:PORT] (the RSIP server address)");
	else if (cfg->n_public == 0)
		errf(ps, "missing --public ADDR[,ADDR...] (the addresses lent to hosts)");
	else if (cfg->lease_min > cfg->lease)
		errf(ps, "invalid value '%u' for --lease-min: exceeds --lease %u", cfg->lease_min,
		     cfg->lease);
	else if ((uint64_t)cfg->spi_hi - cfg->spi_lo + 1 < cfg->spi_block)
		errf(ps, "invalid value '%u' for --spi-block: larger than --spi-range 0x%x-0x%x",
		     cfg->spi_block, cfg->spi_lo, cfg->spi_hi);
	else if (cfg->dataplane == CFG_DP_XDP && (!cfg->wan_if[0] || !cfg->lan_if[0]))
		errf(ps, "--dataplane xdp needs --wan IF and --lan IF");
	else if (cfg->dataplane == CFG_DP_XDP && !strcmp(cfg->wan_if, cfg->lan_if))
		errf(ps, "invalid value '%s' for --lan: the same interface as --wan", cfg->lan_if);
	else if (cfg->attach == CFG_ATTACH_TC && cfg->n_spi_steer)
		errf(ps, "--spi-steer needs --attach xdp (it steers XDP frames through a cpumap)");
	check_cluster(ps);
	if (!cfg->has_state_file && cfg->dataplane == CFG_DP_XDP && !cfg->store_url[0])
		strcpy(cfg->state_file, CFG_DEFAULT_STATE_FILE);
	if (!cfg->max_clients)
		cfg->max_clients = cfg->dataplane == CFG_DP_XDP
				       ? (cfg->map_size ? cfg->map_size : RSIP_DEF_CLIENTS)
				       : CFG_DEFAULT_MAX_CLIENTS_NONE;
}

int config_parse(struct rsipd_config *cfg, int argc, char **argv, char *err, size_t errlen)
{
	struct option lopts[N_OPTS + 3];
	struct parse_state ps = {.cfg = cfg, .err = err, .errlen = errlen};
	const char *shorts = ":hvt";
	size_t i;
	int c;

	config_defaults(cfg);
	if (errlen)
		err[0] = '\0';
	for (i = 0; i < N_OPTS; i++)
		lopts[i] = (struct option){opts[i].name, opts[i].has_arg, NULL, OPT_BASE + (int)i};
	lopts[N_OPTS] = (struct option){"help", no_argument, NULL, OPT_HELP};
	lopts[N_OPTS + 1] = (struct option){"version", no_argument, NULL, OPT_VERSION};
	lopts[N_OPTS + 2] = (struct option){NULL, 0, NULL, 0};

	/* Pass 1: --help and --config only; the file is applied before the flags
	 * so that flags override it. */
	opterr = 0;
	optind = 0; /* glibc: full re-initialisation, parse_config may run twice */
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		if (c == 'h' || c == OPT_HELP)
			return CONFIG_HELP;
		if (c == OPT_VERSION)
			return CONFIG_VERSION;
		if (c >= OPT_BASE && c < OPT_HELP && opts[c - OPT_BASE].set == set_config &&
		    set_config(cfg, NULL, optarg)) {
			errf(&ps, "invalid value '%s' for --config: expected %s", optarg,
			     opts[c - OPT_BASE].hint);
			return ps.failed;
		}
	}
	if (cfg->config_file[0] && load_file(&ps))
		return ps.failed;

	/* Pass 2: the flags. */
	optind = 0;
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		const struct cfg_opt *o;

		if (c == '?') {
			if (optopt)
				errf(&ps, "unknown option '-%c'", optopt);
			else
				errf(&ps, "unknown option '%s'", argv[optind - 1]);
			return ps.failed;
		}
		if (c == ':') {
			errf(&ps, "option '%s' needs a value", argv[optind - 1]);
			return ps.failed;
		}
		o = c == 'v'   ? find_opt("verbose")
		    : c == 't' ? find_opt("check-config")
			       : &opts[c - OPT_BASE];
		if (o->set == set_config)
			continue;
		if (o->list && !ps.flag_seen[o - opts]) {
			clear_list(cfg, o);
			ps.flag_seen[o - opts] = true;
		}
		if (o->set(cfg, o, o->has_arg == no_argument ? NULL : optarg)) {
			errf(&ps, "invalid value '%s' for --%s: expected %s", optarg, o->name,
			     o->hint);
			return ps.failed;
		}
	}
	if (optind < argc) {
		errf(&ps, "unexpected argument '%s'", argv[optind]);
		return ps.failed;
	}
	check_consistency(&ps);
	return ps.failed;
}
