// SPDX-License-Identifier: BSD-2-Clause
/* rsipc command-line parsing (user/rsipc/args.c): defaults, every option,
 * options on either side of the command word, "--" and the command to run,
 * and a clear refusal of everything malformed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "../../user/rsipc/args.h"

static struct rsipc_opts o;
static char err[256];

#define PARSE(...)                                                                                 \
	({                                                                                         \
		static char *argv_[] = {"rsipc", __VA_ARGS__, NULL};                               \
		rsipc_parse_args((int)(sizeof(argv_) / sizeof(argv_[0])) - 1, argv_, &o, err,      \
				 sizeof(err));                                                     \
	})

static void test_defaults(void **state)
{
	char a[INET_ADDRSTRLEN];

	(void)state;
	assert_int_equal(PARSE("--server", "10.0.0.1", "up"), 0);
	assert_int_equal(o.cmd, RSIPC_CMD_UP);
	assert_string_equal(inet_ntop(AF_INET, &o.server, a, sizeof(a)), "10.0.0.1");
	assert_int_equal(o.port, 4555);
	assert_int_equal(o.transport, RSIP_TRANSPORT_TCP);
	assert_int_equal(o.method, RSIP_METHOD_RSIPSEC);
	assert_int_equal(o.n_spis, RSIPC_DEFAULT_SPIS);
	assert_true(o.spis_default);
	assert_int_equal(o.n_ports, 0);
	/* RFC 3104 6.1: rsipsec leases the IKE pair unless --shared-ike. */
	assert_true(o.ike_port);
	assert_true(o.ike_port_default);
	assert_false(o.shared_ike);
	assert_int_equal(o.tunnel, RSIP_TUNNEL_IPIP);
	assert_int_equal(o.lease_s, 0);
	assert_string_equal(o.state_dir, "/run/rsipc");
	assert_string_equal(o.dev, "rsip%d");
	assert_int_equal(o.table, 4555);
	assert_int_equal(o.cmd_argc, 0);
	assert_null(o.cmd_argv);
}

static void test_everything(void **state)
{
	char a[INET_ADDRSTRLEN];

	(void)state;
	assert_int_equal(PARSE("--server", "10.0.0.1:5000", "--transport", "udp", "-v", "up",
			       "--spis", "0x40", "--ports", "3", "--ike-port", "--tunnel", "gre",
			       "--lease", "30", "--json", "--state-dir", "/tmp/x", "--dev", "tun7",
			       "--table", "100", "--rule-priority", "200", "--mtu", "1400",
			       "--remote", "198.51.100.5:500", "--takeover", "--", "charon",
			       "--debug", "2"),
			 0);
	assert_int_equal(o.port, 5000);
	assert_int_equal(o.transport, RSIP_TRANSPORT_UDP);
	assert_int_equal(o.verbose, 1);
	assert_int_equal(o.n_spis, 64);
	assert_false(o.spis_default);
	assert_int_equal(o.n_ports, 3);
	assert_true(o.ike_port);
	assert_int_equal(rsipc_ports_wanted(&o), 5);
	assert_int_equal(o.tunnel, RSIP_TUNNEL_GRE);
	assert_int_equal(o.lease_s, 30);
	assert_true(o.json);
	assert_string_equal(o.state_dir, "/tmp/x");
	assert_string_equal(o.dev, "tun7");
	assert_int_equal(o.table, 100);
	assert_int_equal(o.rule_prio, 200);
	assert_int_equal(o.mtu, 1400);
	assert_string_equal(inet_ntop(AF_INET, &o.remote, a, sizeof(a)), "198.51.100.5");
	assert_int_equal(o.remote_port, 500);
	assert_true(o.takeover);
	/* Options of the command stay the command's. */
	assert_int_equal(o.cmd_argc, 3);
	assert_string_equal(o.cmd_argv[0], "charon");
	assert_string_equal(o.cmd_argv[1], "--debug");
	assert_string_equal(o.cmd_argv[2], "2");
	assert_null(o.cmd_argv[3]);
}

static void test_options_after_command(void **state)
{
	(void)state;
	assert_int_equal(PARSE("up", "--server", "10.0.0.1", "--method", "rsap-ip"), 0);
	assert_int_equal(o.cmd, RSIPC_CMD_UP);
	assert_int_equal(o.method, RSIP_METHOD_RSAP_IP);
	/* RSAP-IP always grants a port, and asks for no SPIs. */
	assert_int_equal(o.n_ports, 1);
	assert_int_equal(o.n_spis, 0);
	assert_int_equal(PARSE("--state-dir", "/tmp/s", "status", "--json"), 0);
	assert_int_equal(o.cmd, RSIPC_CMD_STATUS);
	assert_true(o.json);
	assert_string_equal(o.state_dir, "/tmp/s");
	assert_int_equal(PARSE("down"), 0);
	assert_int_equal(o.cmd, RSIPC_CMD_DOWN);
	assert_int_equal(PARSE("--help"), 0);
	assert_int_equal(o.cmd, RSIPC_CMD_HELP);
	assert_int_equal(PARSE("up", "-h"), 0);
	assert_int_equal(o.cmd, RSIPC_CMD_HELP);
}

static void test_methods(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-s", "10.0.0.1", "up", "--method", "rsa-ip"), 0);
	assert_int_equal(o.method, RSIP_METHOD_RSA_IP);
	assert_int_equal(o.n_spis, 0);
	assert_int_equal(rsipc_ports_wanted(&o), 0);
	assert_int_equal(PARSE("-s", "10.0.0.1", "up", "--method", "rsap-ip", "--ike-port"), 0);
	assert_int_equal(o.n_ports, 0);
	assert_int_equal(rsipc_ports_wanted(&o), 2);
	/* RSIPSEC leases the IKE pair by default (RFC 3104 6.1)... */
	assert_int_equal(PARSE("-s", "10.0.0.1", "up", "--method", "rsipsec"), 0);
	assert_int_equal(rsipc_ports_wanted(&o), 2);
	assert_true(o.ike_port_default);
	/* ... and no ports at all with --shared-ike ("don't need"). */
	assert_int_equal(PARSE("-s", "10.0.0.1", "up", "--shared-ike"), 0);
	assert_int_equal(rsipc_ports_wanted(&o), 0);
	assert_false(o.ike_port);
	assert_true(o.shared_ike);
	/* An explicit --ike-port is not a default: never dropped. */
	assert_int_equal(PARSE("-s", "10.0.0.1", "up", "--ike-port"), 0);
	assert_true(o.ike_port);
	assert_false(o.ike_port_default);
}

struct bad {
	const char *why;
	char *argv[12];
};

static void test_refusals(void **state)
{
	static struct bad bad[] = {
	    {"no command", {"rsipc", "--server", "10.0.0.1", NULL}},
	    {"unknown command", {"rsipc", "start", NULL}},
	    {"unknown option", {"rsipc", "--frobnicate", "up", NULL}},
	    {"unknown option after", {"rsipc", "up", "--server", "1.2.3.4", "--nope", NULL}},
	    {"missing value", {"rsipc", "up", "--server", NULL}},
	    {"no server", {"rsipc", "up", NULL}},
	    {"server name", {"rsipc", "up", "--server", "gw.example", NULL}},
	    {"server port 0", {"rsipc", "up", "--server", "10.0.0.1:0", NULL}},
	    {"transport", {"rsipc", "-s", "10.0.0.1", "-t", "sctp", "up", NULL}},
	    {"spis 0", {"rsipc", "-s", "10.0.0.1", "up", "--spis", "0", NULL}},
	    {"spis big", {"rsipc", "-s", "10.0.0.1", "up", "--spis", "65536", NULL}},
	    {"ports 0", {"rsipc", "-s", "10.0.0.1", "up", "--ports", "0", NULL}},
	    {"ports 256", {"rsipc", "-s", "10.0.0.1", "up", "--ports", "256", NULL}},
	    {"ports+ike", {"rsipc", "-s", "10.0.0.1", "up", "--ports", "254", "--ike-port", NULL}},
	    {"method", {"rsipc", "-s", "10.0.0.1", "up", "--method", "nat", NULL}},
	    {"tunnel", {"rsipc", "-s", "10.0.0.1", "up", "--tunnel", "l2tp", NULL}},
	    {"lease 0", {"rsipc", "-s", "10.0.0.1", "up", "--lease", "0", NULL}},
	    {"lease junk", {"rsipc", "-s", "10.0.0.1", "up", "--lease", "10s", NULL}},
	    {"dev long", {"rsipc", "-s", "10.0.0.1", "up", "--dev", "abcdefghijklmnopq", NULL}},
	    {"dev slash", {"rsipc", "-s", "10.0.0.1", "up", "--dev", "a/b", NULL}},
	    {"table main", {"rsipc", "-s", "10.0.0.1", "up", "--table", "254", NULL}},
	    {"table 0", {"rsipc", "-s", "10.0.0.1", "up", "--table", "0", NULL}},
	    {"prio", {"rsipc", "-s", "10.0.0.1", "up", "--rule-priority", "32766", NULL}},
	    {"mtu", {"rsipc", "-s", "10.0.0.1", "up", "--mtu", "67", NULL}},
	    {"rsa-ip spis",
	     {"rsipc", "-s", "10.0.0.1", "up", "--method", "rsa-ip", "--spis", "4", NULL}},
	    {"rsa-ip ports",
	     {"rsipc", "-s", "10.0.0.1", "up", "--method", "rsa-ip", "--ike-port", NULL}},
	    {"ike both ways",
	     {"rsipc", "-s", "10.0.0.1", "up", "--ike-port", "--shared-ike", NULL}},
	    {"ports+default ike", {"rsipc", "-s", "10.0.0.1", "up", "--ports", "254", NULL}},
	    {"rsap shared ike",
	     {"rsipc", "-s", "10.0.0.1", "up", "--method", "rsap-ip", "--shared-ike", NULL}},
	    {"rsap spis",
	     {"rsipc", "-s", "10.0.0.1", "up", "--method", "rsap-ip", "--spis", "4", NULL}},
	    {"stray arg", {"rsipc", "-s", "10.0.0.1", "up", "charon", NULL}},
	    {"empty --", {"rsipc", "-s", "10.0.0.1", "up", "--", NULL}},
	    {"-- first", {"rsipc", "--", "up", NULL}},
	    {"status cmd", {"rsipc", "status", "--", "ls", NULL}},
	    {"state dir",
	     {"rsipc", "--state-dir",
	      "/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	      "status", NULL}},
	};

	(void)state;
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int argc = 0;

		while (bad[i].argv[argc])
			argc++;
		err[0] = '\0';
		if (rsipc_parse_args(argc, bad[i].argv, &o, err, sizeof(err)) != -EINVAL)
			fail_msg("accepted: %s", bad[i].why);
		if (!err[0])
			fail_msg("no message for: %s", bad[i].why);
	}
	/* The message names the culprit. */
	assert_int_equal(PARSE("-s", "10.0.0.1", "up", "--spis", "lots"), -EINVAL);
	assert_non_null(strstr(err, "--spis lots"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_everything),
	    cmocka_unit_test(test_options_after_command),
	    cmocka_unit_test(test_methods),
	    cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
