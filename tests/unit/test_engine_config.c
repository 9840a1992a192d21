// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsipd configuration: every flag, every config-file key, flags over the
 * file, and every bad value refused with a message naming the flag or key
 * and the value (rsipd exits 2 on it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../user/rsipd/config.h"
#include "rsip/wire.h"

static char err[512];

/* Parse "rsipd <args>" (split on spaces). */
static int parse(struct rsipd_config *cfg, const char *args)
{
	char *copy = strdup(args), *save = NULL, *tok, *argv[64];
	int argc = 0, rc;

	argv[argc++] = "rsipd";
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	rc = config_parse(cfg, argc, argv, err, sizeof(err));
	free(copy);
	return rc;
}

#define BASE "--listen 10.0.0.1 --public 192.0.2.1 "

static void expect_bad(const char *args, const char *name, const char *value)
{
	struct rsipd_config cfg;

	if (parse(&cfg, args) != -EINVAL) {
		fprintf(stderr, "accepted: %s\n", args);
		fail();
	}
	if (!strstr(err, name) || (value && !strstr(err, value))) {
		fprintf(stderr, "'%s': message '%s' does not name '%s' / '%s'\n", args, err, name,
			value ? value : "");
		fail();
	}
}

static uint32_t ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

static void test_defaults(void **state)
{
	struct rsipd_config cfg;

	assert_int_equal(parse(&cfg, BASE), 0);
	assert_int_equal(cfg.listen_addr.s_addr, ip("10.0.0.1"));
	assert_int_equal(cfg.listen_port, 4555);
	assert_int_equal(cfg.n_public, 1);
	assert_int_equal(cfg.dataplane, CFG_DP_NONE);
	assert_int_equal(cfg.lease, 3600);
	assert_int_equal(cfg.lease_min, 1);
	assert_int_equal(cfg.spi_lo, 0x100);
	assert_int_equal(cfg.spi_hi, 0xffffffffu);
	assert_int_equal(cfg.spi_block, 256);
	assert_int_equal(cfg.spi_block_shift, 8);
	assert_int_equal(cfg.port_lo, 1024);
	assert_int_equal(cfg.port_hi, 65535);
	assert_int_equal(cfg.holdback, 120);
	assert_int_equal(cfg.flow_local, RSIP_FLOW_MACRO);
	assert_int_equal(cfg.flow_remote, RSIP_FLOW_NONE);
	assert_int_equal(cfg.max_bindings, 64);
	assert_int_equal(cfg.max_ports, 1024);
	assert_int_equal(cfg.max_spis, 1024);
	assert_string_equal(cfg.ctl_socket, "/run/rsipd/rsipd.sock");
	assert_false(cfg.daemon);
	assert_false(cfg.no_rsa_ip);
	assert_false(cfg.tcp_only);
	assert_int_equal(cfg.allow.n, 0);
	assert_int_equal(cfg.tunnel_endpoint.s_addr, INADDR_ANY);
}

static void test_every_flag(void **state)
{
	struct rsipd_config cfg;

	assert_int_equal(parse(&cfg,
			       "--listen 10.0.0.1:0x11cb --public 192.0.2.1,192.0.2.2 "
			       "--public 192.0.2.3 --dataplane none --lease 0x258 "
			       "--lease-min 10 --spi-range 0x1000-0x1fff --spi-block 0x40 "
			       "--port-range 2000-2999 --holdback 5 --allow 10.0.0.0/24 "
			       "--allow 10.1.0.0/16 --ipsec-allow 10.0.0.0/25 "
			       "--local-net 172.16.0.0/12 --deny-remote 203.0.113.0/24 "
			       "--deny-remote-port 25 --deny-remote-port 0x89 "
			       "--flow-policy micro/macro --max-bindings 3 --max-ports 0 "
			       "--max-spis 7 --no-rsa-ip --tcp-only --tunnel-endpoint 10.0.0.9 "
			       "--ctl-socket /tmp/x.sock --daemon -v -v"),
			 0);
	assert_int_equal(cfg.listen_port, 4555);
	assert_int_equal(cfg.n_public, 3);
	assert_int_equal(cfg.public_addrs[2].s_addr, ip("192.0.2.3"));
	assert_int_equal(cfg.lease, 600);
	assert_int_equal(cfg.lease_min, 10);
	assert_int_equal(cfg.spi_lo, 0x1000);
	assert_int_equal(cfg.spi_hi, 0x1fff);
	assert_int_equal(cfg.spi_block, 64);
	assert_int_equal(cfg.spi_block_shift, 6);
	assert_int_equal(cfg.port_lo, 2000);
	assert_int_equal(cfg.port_hi, 2999);
	assert_int_equal(cfg.holdback, 5);
	assert_int_equal(cfg.allow.n, 2);
	assert_int_equal(cfg.allow.v[1].net.s_addr, ip("10.1.0.0"));
	assert_int_equal(cfg.allow.v[1].len, 16);
	assert_int_equal(cfg.ipsec_allow.n, 1);
	assert_int_equal(cfg.local_net.n, 1);
	assert_int_equal(cfg.deny_remote.n, 1);
	assert_int_equal(cfg.n_deny_remote_port, 2);
	assert_int_equal(cfg.deny_remote_port[1], 137);
	assert_int_equal(cfg.flow_local, RSIP_FLOW_MICRO);
	assert_int_equal(cfg.flow_remote, RSIP_FLOW_MACRO);
	assert_int_equal(cfg.max_bindings, 3);
	assert_int_equal(cfg.max_ports, 0);
	assert_int_equal(cfg.max_spis, 7);
	assert_true(cfg.no_rsa_ip);
	assert_true(cfg.tcp_only);
	assert_int_equal(cfg.tunnel_endpoint.s_addr, ip("10.0.0.9"));
	assert_string_equal(cfg.ctl_socket, "/tmp/x.sock");
	assert_true(cfg.daemon);
	assert_int_equal(cfg.verbosity, 2);
	/* xdp needs its two interfaces; its flags, and the defaults. */
	assert_int_equal(parse(&cfg, BASE "--dataplane xdp"), -EINVAL);
	assert_int_equal(parse(&cfg, BASE "--dataplane xdp --wan eth0 --lan eth0"), -EINVAL);
	assert_int_equal(parse(&cfg, BASE "--dataplane xdp --wan eth0 --lan eth1"), 0);
	assert_int_equal(cfg.dataplane, CFG_DP_XDP);
	assert_string_equal(cfg.wan_if, "eth0");
	assert_string_equal(cfg.lan_if, "eth1");
	assert_int_equal(cfg.xdp_mode, CFG_XDP_NATIVE);
	assert_string_equal(cfg.pin_path, CFG_DEFAULT_PIN_PATH);
	assert_string_equal(cfg.state_file, CFG_DEFAULT_STATE_FILE);
	assert_int_equal(cfg.map_size, 0);
	assert_false(cfg.detach_on_exit);
	assert_false(cfg.map_prealloc);
	assert_int_equal(parse(&cfg, BASE "--dataplane xdp --wan w --lan l --xdp-mode generic "
					  "--pin-path /tmp/p --map-size 0x1000 --detach-on-exit "
					  "--map-prealloc "
					  "--state-file="),
			 0);
	assert_int_equal(cfg.xdp_mode, CFG_XDP_GENERIC);
	assert_string_equal(cfg.pin_path, "/tmp/p");
	assert_int_equal(cfg.map_size, 4096);
	assert_true(cfg.detach_on_exit);
	assert_true(cfg.map_prealloc);
	assert_string_equal(cfg.state_file, "");
	assert_int_equal(parse(&cfg, BASE "--dataplane xdp --wan w --lan l --xdp-mode skb"),
			 -EINVAL);
	/* --attach: xdp by default, tc, nothing else; tc has no --spi-steer. */
	assert_int_equal(parse(&cfg, BASE "--dataplane xdp --wan w --lan l"), 0);
	assert_int_equal(cfg.attach, CFG_ATTACH_XDP);
	assert_int_equal(parse(&cfg, BASE "--dataplane xdp --wan w --lan l --attach tc"), 0);
	assert_int_equal(cfg.attach, CFG_ATTACH_TC);
	assert_int_equal(parse(&cfg, BASE "--dataplane xdp --wan w --lan l --attach xdp"), 0);
	assert_int_equal(cfg.attach, CFG_ATTACH_XDP);
	expect_bad(BASE "--dataplane xdp --wan w --lan l --attach tcx", "--attach", "tcx");
	expect_bad(BASE "--dataplane xdp --wan w --lan l --attach tc --spi-steer 0", "--spi-steer",
		   "--attach xdp");
	/* --spi-steer: off by default, a CPU list, bad lists refused. */
	assert_int_equal(cfg.n_spi_steer, 0);
	assert_int_equal(parse(&cfg, BASE "--dataplane xdp --wan w --lan l --spi-steer 3,0-1"), 0);
	assert_int_equal(cfg.n_spi_steer, 3);
	assert_int_equal(cfg.spi_steer[0], 0);
	assert_int_equal(cfg.spi_steer[2], 3);
	assert_int_equal(parse(&cfg, BASE "--spi-steer 1,1"), -EINVAL);
	assert_int_equal(parse(&cfg, BASE "--spi-steer 0-4096"), -EINVAL);
	assert_int_equal(parse(&cfg, BASE "--spi-steer x"), -EINVAL);
	assert_int_equal(parse(&cfg, BASE "--spi-steer="), 0);
	assert_int_equal(cfg.n_spi_steer, 0);
	assert_int_equal(parse(&cfg, BASE "--pin-path relative"), -EINVAL);
	assert_int_equal(parse(&cfg, BASE "--map-size 8"), -EINVAL);
	/* --stat-slots: 3 by default, 0 (no per-binding counters) to 256. */
	assert_int_equal(parse(&cfg, BASE), 0);
	assert_int_equal(cfg.stat_slots, CFG_DEFAULT_STAT_SLOTS);
	assert_int_equal(parse(&cfg, BASE "--stat-slots 0"), 0);
	assert_int_equal(cfg.stat_slots, 0);
	assert_int_equal(parse(&cfg, BASE "--stat-slots 256"), 0);
	assert_int_equal(cfg.stat_slots, 256);
	expect_bad(BASE "--stat-slots 257", "--stat-slots", "257");
	expect_bad(BASE "--stat-slots -1", "--stat-slots", "-1");
	expect_bad(BASE "--stat-slots many", "--stat-slots", "many");
	assert_int_equal(parse(&cfg, BASE "--wan a/b"), -EINVAL);
	assert_int_equal(parse(&cfg, BASE "--lan 0123456789abcdef"), -EINVAL);
	/* Without xdp no state file unless one is named. */
	assert_int_equal(parse(&cfg, BASE), 0);
	assert_string_equal(cfg.state_file, "");
	assert_int_equal(parse(&cfg, BASE "--state-file /tmp/s.json"), 0);
	assert_string_equal(cfg.state_file, "/tmp/s.json");
	assert_int_equal(parse(&cfg, BASE "--ctl-socket="), 0);
	assert_string_equal(cfg.ctl_socket, "");
	assert_int_equal(parse(&cfg, BASE "--help"), CONFIG_HELP);
	assert_int_equal(parse(&cfg, "-h"), CONFIG_HELP);
}

static void test_bad_values(void **state)
{
	expect_bad("--public 192.0.2.1", "--listen", NULL);
	expect_bad("--listen 10.0.0.1", "--public", NULL);
	expect_bad("--listen 10.0.0.300 --public 192.0.2.1", "--listen", "10.0.0.300");
	expect_bad("--listen 10.0.0.1:0 --public 192.0.2.1", "--listen", "10.0.0.1:0");
	expect_bad("--listen 10.0.0.1:70000 --public 192.0.2.1", "--listen", "70000");
	expect_bad("--listen 10.0.0.1 --public 192.0.2.1,x", "--public", "192.0.2.1,x");
	expect_bad("--listen 10.0.0.1 --public 192.0.2.1,192.0.2.1", "--public", NULL);
	expect_bad("--listen 10.0.0.1 --public 0.0.0.0", "--public", "0.0.0.0");
	expect_bad(BASE "--dataplane dpdk", "--dataplane", "dpdk");
	expect_bad(BASE "--lease 0", "--lease", "0");
	expect_bad(BASE "--lease 10s", "--lease", "10s");
	expect_bad(BASE "--lease -5", "--lease", "-5");
	expect_bad(BASE "--lease 0x100000000", "--lease", "0x100000000");
	expect_bad(BASE "--lease-min 0", "--lease-min", "0");
	expect_bad(BASE "--lease 60 --lease-min 61", "--lease-min", "61");
	expect_bad(BASE "--spi-range 5-0x1000", "--spi-range", "5-0x1000");
	expect_bad(BASE "--spi-range 0x2000-0x1000", "--spi-range", NULL);
	expect_bad(BASE "--spi-range 0x1000", "--spi-range", NULL);
	expect_bad(BASE "--spi-block 100", "--spi-block", "100");
	expect_bad(BASE "--spi-block 0", "--spi-block", "0");
	expect_bad(BASE "--spi-block 0x20000", "--spi-block", "0x20000");
	expect_bad(BASE "--spi-range 0x100-0x10f --spi-block 32", "--spi-block", "32");
	expect_bad(BASE "--port-range 0-100", "--port-range", "0-100");
	expect_bad(BASE "--port-range 2000-70000", "--port-range", NULL);
	expect_bad(BASE "--holdback 90000", "--holdback", "90000");
	expect_bad(BASE "--allow 10.0.0.1/24", "--allow", "10.0.0.1/24");
	expect_bad(BASE "--allow 10.0.0.0/33", "--allow", "10.0.0.0/33");
	expect_bad(BASE "--ipsec-allow nope", "--ipsec-allow", "nope");
	expect_bad(BASE "--local-net 10.0.0.0/", "--local-net", NULL);
	expect_bad(BASE "--deny-remote 1.2.3", "--deny-remote", "1.2.3");
	expect_bad(BASE "--deny-remote-port 0", "--deny-remote-port", "0");
	expect_bad(BASE "--flow-policy macro", "--flow-policy", "macro");
	expect_bad(BASE "--flow-policy none/none", "--flow-policy", "none/none");
	expect_bad(BASE "--flow-policy macro/mega", "--flow-policy", "macro/mega");
	expect_bad(BASE "--max-bindings many", "--max-bindings", "many");
	expect_bad(BASE "--max-ports -1", "--max-ports", "-1");
	expect_bad(BASE "--max-spis 1e3", "--max-spis", "1e3");
	expect_bad(BASE "--tunnel-endpoint 0.0.0.0", "--tunnel-endpoint", "0.0.0.0");
	expect_bad(BASE "--frobnicate", "--frobnicate", NULL);
	expect_bad(BASE "--lease", "--lease", NULL);
	expect_bad(BASE "stray", "stray", NULL);
	expect_bad(BASE "--config /nonexistent/rsipd.conf", "--config", "/nonexistent/rsipd.conf");
}

/* --store etcd://... and its companions (docs/cluster.md). */
static void test_cluster_flags(void **state)
{
	struct rsipd_config cfg;

	assert_int_equal(parse(&cfg, BASE "--dataplane xdp --wan w --lan l --store "
					  "etcd://10.9.0.1:2379,etcd2.example:12379/rsip/site1/ "
					  "--gateway gw-1 --role-file /run/rsipd/vrrp-state"),
			 0);
	assert_string_equal(cfg.etcd_endpoints, "http://10.9.0.1:2379,http://etcd2.example:12379");
	assert_string_equal(cfg.etcd_prefix, "/rsip/site1/");
	assert_string_equal(cfg.gateway, "gw-1");
	assert_string_equal(cfg.role_file, "/run/rsipd/vrrp-state");
	/* The leases are in etcd: no SQLite store, even with xdp. */
	assert_string_equal(cfg.state_file, "");
	/* A CA or a client certificate: https. */
	assert_int_equal(parse(&cfg, BASE "--store etcd://h:1/p --etcd-cacert /ca.pem --etcd-cert "
					  "/c.pem --etcd-key /c.key --gateway g"),
			 0);
	assert_string_equal(cfg.etcd_endpoints, "https://h:1");
	assert_string_equal(cfg.etcd_prefix, "/p/");
	assert_string_equal(cfg.etcd_cert, "/c.pem");
	/* The gateway's name defaults to the host name (when usable). */
	assert_int_equal(parse(&cfg, BASE "--store etcd://h:1/p"), 0);
	assert_true(cfg.gateway[0] != '\0');

	expect_bad(BASE "--store sqlite:///x", "--store", "sqlite:///x");
	expect_bad(BASE "--store etcd://h/p", "--store", "etcd://h/p");
	expect_bad(BASE "--store etcd://h:0/p", "--store", "etcd://h:0/p");
	expect_bad(BASE "--store etcd://h:65536/p", "--store", "etcd://h:65536/p");
	expect_bad(BASE "--store etcd://h:1", "--store", "etcd://h:1");
	expect_bad(BASE "--store etcd://h:1/", "--store", "etcd://h:1/");
	expect_bad(BASE "--store etcd://:1/p", "--store", "etcd://:1/p");
	expect_bad(BASE "--store etcd://h:1,,k:2/p", "--store", "etcd://h:1,,k:2/p");
	expect_bad(BASE "--store etcd://h:1/a//b", "--store", "etcd://h:1/a//b");
	expect_bad(BASE "--store etcd://h:1/p* --gateway g", "--store", "etcd://h:1/p*");
	expect_bad(BASE "--store etcd://h:1/p --etcd-cert /c.pem", "--etcd-cert", NULL);
	expect_bad(BASE "--store etcd://h:1/p --state-file /tmp/s.db", "--state-file", NULL);
	expect_bad(BASE "--store etcd://h:1/p --gateway a/b", "--gateway", "a/b");
	expect_bad(BASE "--store etcd://h:1/p --gateway 012345678901234567890123456789012",
		   "--gateway", NULL);
	expect_bad(BASE "--role-file /run/x", "--role-file", NULL);
	expect_bad(BASE "--etcd-cacert /ca.pem", "--etcd-cacert", NULL);

	/* The deadlines of a hung member (docs/cluster.md, "A hung member"). */
	assert_int_equal(parse(&cfg, BASE "--store etcd://h:1/p --gateway g"), 0);
	assert_int_equal(cfg.etcd_timeout_ms, 1000);
	assert_int_equal(cfg.etcd_connect_ms, 200);
	assert_int_equal(cfg.etcd_watch_idle_ms, 2000);
	assert_int_equal(parse(&cfg, BASE "--store etcd://h:1/p --gateway g --etcd-timeout 300 "
					  "--etcd-connect-timeout 100 --etcd-watch-idle 500"),
			 0);
	assert_int_equal(cfg.etcd_timeout_ms, 300);
	assert_int_equal(cfg.etcd_connect_ms, 100);
	assert_int_equal(cfg.etcd_watch_idle_ms, 500);
	expect_bad(BASE "--store etcd://h:1/p --gateway g --etcd-timeout 49", "--etcd-timeout",
		   "49");
	expect_bad(BASE "--store etcd://h:1/p --gateway g --etcd-timeout 1s", "--etcd-timeout",
		   "1s");
	expect_bad(BASE "--store etcd://h:1/p --gateway g --etcd-watch-idle 99",
		   "--etcd-watch-idle", "99");
	expect_bad(BASE "--store etcd://h:1/p --gateway g --etcd-timeout 300 "
			"--etcd-connect-timeout 400",
		   "--etcd-connect-timeout", "400");
	expect_bad(BASE "--etcd-timeout 300", "--etcd-timeout", NULL);

	/* Pipelined commits in flight (docs/cluster.md, "Pipelined commits"). */
	assert_int_equal(parse(&cfg, BASE "--store etcd://h:1/p --gateway g"), 0);
	assert_int_equal(cfg.etcd_inflight, 4);
	assert_int_equal(parse(&cfg, BASE "--store etcd://h:1/p --gateway g --etcd-inflight 1"), 0);
	assert_int_equal(cfg.etcd_inflight, 1);
	assert_int_equal(parse(&cfg, BASE "--store etcd://h:1/p --gateway g --etcd-inflight 16"),
			 0);
	assert_int_equal(cfg.etcd_inflight, 16);
	expect_bad(BASE "--store etcd://h:1/p --gateway g --etcd-inflight 0", "--etcd-inflight",
		   "0");
	expect_bad(BASE "--store etcd://h:1/p --gateway g --etcd-inflight 17", "--etcd-inflight",
		   "17");
	expect_bad(BASE "--etcd-inflight 8", "--etcd-inflight", NULL);
}

static char *write_file(const char *text)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/rsipd-cfg-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_config_file(void **state)
{
	struct rsipd_config cfg;
	char args[256], *path;

	path = write_file("; rsipd test\n"
			  "listen = 10.0.0.1:4556\n"
			  "public = 192.0.2.1\n"
			  "lease = 900\n"
			  "allow = 10.0.0.0/24\n"
			  "allow = 10.2.0.0/16\n"
			  "[rsipd]\n"
			  "flow-policy = macro/micro\n"
			  "daemon = yes\n"
			  "tcp-only = no\n"
			  "verbose = 1\n"
			  "attach = tc\n"
			  "spi-block = 0x80\n");
	snprintf(args, sizeof(args), "--config %s", path);
	assert_int_equal(parse(&cfg, args), 0);
	assert_int_equal(cfg.listen_port, 4556);
	assert_int_equal(cfg.lease, 900);
	assert_int_equal(cfg.allow.n, 2);
	assert_int_equal(cfg.flow_remote, RSIP_FLOW_MICRO);
	assert_true(cfg.daemon);
	assert_false(cfg.tcp_only);
	assert_int_equal(cfg.verbosity, 1);
	assert_int_equal(cfg.spi_block, 128);
	assert_int_equal(cfg.spi_block_shift, 7);
	assert_int_equal(cfg.attach, CFG_ATTACH_TC);
	/* Flags override the file; a list flag replaces the file's list. */
	snprintf(args, sizeof(args), "--lease 60 --allow 10.9.0.0/16 --config=%s", path);
	assert_int_equal(parse(&cfg, args), 0);
	assert_int_equal(cfg.lease, 60);
	assert_int_equal(cfg.allow.n, 1);
	assert_int_equal(cfg.allow.v[0].net.s_addr, ip("10.9.0.0"));
	assert_int_equal(cfg.n_public, 1);
	unlink(path);
}

static void test_config_file_errors(void **state)
{
	struct rsipd_config cfg;
	char args[256], *path;

	path = write_file("listen = 10.0.0.1\npublic = 192.0.2.1\n\nlease = soon\n");
	snprintf(args, sizeof(args), "--config %s", path);
	assert_int_equal(parse(&cfg, args), -EINVAL);
	assert_non_null(strstr(err, "'lease'"));
	assert_non_null(strstr(err, "'soon'"));
	assert_non_null(strstr(err, ":4:")); /* the line */
	unlink(path);

	path = write_file("listen = 10.0.0.1\ncolour = blue\n");
	snprintf(args, sizeof(args), "--config %s", path);
	assert_int_equal(parse(&cfg, args), -EINVAL);
	assert_non_null(strstr(err, "'colour'"));
	unlink(path);

	path = write_file("[other]\nlease = 5\n");
	snprintf(args, sizeof(args), "--config %s", path);
	assert_int_equal(parse(&cfg, args), -EINVAL);
	assert_non_null(strstr(err, "[other]"));
	unlink(path);

	path = write_file("listen = 10.0.0.1\npublic = 192.0.2.1\ndaemon = maybe\n");
	snprintf(args, sizeof(args), "--config %s", path);
	assert_int_equal(parse(&cfg, args), -EINVAL);
	assert_non_null(strstr(err, "'daemon'"));
	assert_non_null(strstr(err, "'maybe'"));
	unlink(path);

	path = write_file("listen = 10.0.0.1\nthis is not ini\n");
	snprintf(args, sizeof(args), "--config %s", path);
	assert_int_equal(parse(&cfg, args), -EINVAL);
	assert_non_null(strstr(err, ":2:"));
	unlink(path);
}

static void test_usage_names_every_flag(void **state)
{
	static const char *const flags[] = {
	    "--listen",		 "--public",
	    "--dataplane",	 "--lease",
	    "--lease-min",	 "--spi-range",
	    "--spi-block",	 "--port-range",
	    "--holdback",	 "--allow",
	    "--ipsec-allow",	 "--local-net",
	    "--deny-remote",	 "--deny-remote-port",
	    "--flow-policy",	 "--max-bindings",
	    "--max-ports",	 "--max-spis",
	    "--no-rsa-ip",	 "--tcp-only",
	    "--tunnel-endpoint", "--ctl-socket",
	    "--config",		 "--daemon",
	    "--verbose",	 "--help",
	};
	char buf[16384];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	size_t i;

	config_usage(f);
	fclose(f);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "%s ", flags[i]);
		if (!strstr(buf, want))
			fprintf(stderr, "--help lacks %s\n", flags[i]);
		assert_non_null(strstr(buf, want));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_every_flag),
	    cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_cluster_flags),
	    cmocka_unit_test(test_config_file),
	    cmocka_unit_test(test_config_file_errors),
	    cmocka_unit_test(test_usage_names_every_flag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
