// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsipc command line. Global options may come before or after the command
 * word ("rsipc --server X up" and "rsipc up --server X" both work); "--"
 * ends the options and starts the command to run with the lease.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "parse.h"

enum {
	OPT_SERVER = 's',
	OPT_TRANSPORT = 't',
	OPT_VERBOSE = 'v',
	OPT_HELP = 'h',
	OPT_STATE_DIR = 256,
	OPT_JSON,
	OPT_SPIS,
	OPT_PORTS,
	OPT_IKE_PORT,
	OPT_METHOD,
	OPT_TUNNEL,
	OPT_LEASE,
	OPT_DEV,
	OPT_TABLE,
	OPT_PRIO,
	OPT_MTU,
	OPT_REMOTE,
	OPT_TAKEOVER,
	OPT_DATAPATH,
	OPT_LISTEN,
};

static const struct option long_opts[] = {
    {"server", required_argument, NULL, OPT_SERVER},
    {"transport", required_argument, NULL, OPT_TRANSPORT},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"help", no_argument, NULL, OPT_HELP},
    {"state-dir", required_argument, NULL, OPT_STATE_DIR},
    {"json", no_argument, NULL, OPT_JSON},
    {"spis", required_argument, NULL, OPT_SPIS},
    {"ports", required_argument, NULL, OPT_PORTS},
    {"ike-port", no_argument, NULL, OPT_IKE_PORT},
    {"method", required_argument, NULL, OPT_METHOD},
    {"tunnel", required_argument, NULL, OPT_TUNNEL},
    {"lease", required_argument, NULL, OPT_LEASE},
    {"dev", required_argument, NULL, OPT_DEV},
    {"table", required_argument, NULL, OPT_TABLE},
    {"rule-priority", required_argument, NULL, OPT_PRIO},
    {"mtu", required_argument, NULL, OPT_MTU},
    {"remote", required_argument, NULL, OPT_REMOTE},
    {"takeover", no_argument, NULL, OPT_TAKEOVER},
    {"datapath", required_argument, NULL, OPT_DATAPATH},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {NULL, 0, NULL, 0},
};

void rsipc_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: rsipc --server ADDR[:PORT] [--transport tcp|udp] up [options] [-- CMD "
	    "ARGS...]\n"
	    "       rsipc [--state-dir DIR] [--json] status\n"
	    "       rsipc [--state-dir DIR] down\n"
	    "\n"
	    "up: register with the RSIP gateway, lease a public address (and SPIs, ports),\n"
	    "bring up a tunnel holding it, renew the lease, and release everything on exit.\n"
	    "  --method rsipsec|rsap-ip|rsa-ip  what to lease (default rsipsec)\n"
	    "  --spis N          SPIs to lease (rsipsec; default %d, fewer if the gateway\n"
	    "                    cannot grant that many)\n"
	    "  --ports N         local ports to lease (rsap-ip default 1)\n"
	    "  --ike-port        two more ports: one for IKE, one for NAT-T\n"
	    "  --tunnel ipip|gre tunnel type to ask for (default ipip)\n"
	    "  --lease S         lease to ask for, in seconds (default: the gateway's)\n"
	    "  --remote A[:P]    the one peer (when the gateway's remote flow policy needs it)\n"
	    "  --dev NAME        TUN device name (default rsip%%d: rsip0, rsip1, ...)\n"
	    "  --listen PORT[,PORT...]  let peers reach these ports of the leased address\n"
	    "                    (LISTEN_REQUEST, one binding each; may be repeated)\n"
	    "  --datapath auto|bpf|pump  TC-BPF tunnel on the LAN device, or the userspace\n"
	    "                    pump through the TUN (auto: bpf where it loads)\n"
	    "  --mtu N           tunnel MTU (default: path MTU to the gateway - 20, or - 24\n"
	    "                    for GRE)\n"
	    "  --table N         routing table for traffic from the leased address (%d)\n"
	    "  --rule-priority N priority of its 'from ADDR lookup TABLE' rule (%d)\n"
	    "  --takeover        if this host is still registered (a previous rsipc that\n"
	    "                    was killed), de-register that registration first\n"
	    "  --json            print the lease as JSON\n"
	    "  -- CMD ARGS...    run CMD with the lease in its environment (RSIP_ADDRESS,\n"
	    "                    RSIP_SPI_MIN, RSIP_SPI_MAX, RSIP_IKE_PORT, ...); release\n"
	    "                    everything when it exits, and exit with its status\n"
	    "common:\n"
	    "  --server A[:P]    the gateway's RSIP address (port %d by default)\n"
	    "  --transport T     tcp (default) or udp\n"
	    "  --state-dir DIR   where up keeps its control socket and state file\n"
	    "                    (default %s)\n"
	    "  -v, --verbose     log the RSIP exchange\n"
	    "  -h, --help        this text\n",
	    RSIPC_DEFAULT_SPIS, RSIPC_DEFAULT_TABLE, RSIPC_DEFAULT_PRIO, RSIP_PORT,
	    RSIPC_DEFAULT_STATE_DIR);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void defaults(struct rsipc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->port = RSIP_PORT;
	o->transport = RSIP_TRANSPORT_TCP; /* RFC 3103 section 5 recommends TCP */
	o->method = RSIP_METHOD_RSIPSEC;
	o->n_spis = RSIPC_DEFAULT_SPIS;
	o->spis_default = true;
	o->tunnel = RSIP_TUNNEL_IPIP;
	o->table = RSIPC_DEFAULT_TABLE;
	o->rule_prio = RSIPC_DEFAULT_PRIO;
	snprintf(o->state_dir, sizeof(o->state_dir), "%s", RSIPC_DEFAULT_STATE_DIR);
	snprintf(o->dev, sizeof(o->dev), "%s", RSIPC_DEFAULT_DEV);
}

static int parse_u32_min(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;

	if (parse_u64(s, max, &v) || v < min)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* One option. Returns 0 or -EINVAL (message in err). */
static int one_opt(int opt, const char *arg, const char *argv0, struct rsipc_opts *o, char *err,
		   size_t errlen, bool *ports_given, bool *spis_given)
{
	uint32_t v;

	switch (opt) {
	case OPT_SERVER:
		if (parse_addr_port(arg, &o->server, &o->port))
			return fail(err, errlen, "--server %s: expected an IPv4 ADDR[:PORT]", arg);
		o->have_server = true;
		return 0;
	case OPT_TRANSPORT:
		if (!strcmp(arg, "tcp"))
			o->transport = RSIP_TRANSPORT_TCP;
		else if (!strcmp(arg, "udp"))
			o->transport = RSIP_TRANSPORT_UDP;
		else
			return fail(err, errlen, "--transport %s: expected tcp or udp", arg);
		return 0;
	case OPT_VERBOSE:
		o->verbose++;
		return 0;
	case OPT_HELP:
		o->cmd = RSIPC_CMD_HELP;
		return 0;
	case OPT_STATE_DIR:
		if (!*arg || strlen(arg) >= sizeof(o->state_dir))
			return fail(err, errlen,
				    "--state-dir: path empty or too long (at most %zu characters: "
				    "the control socket goes there)",
				    sizeof(o->state_dir) - 1);
		snprintf(o->state_dir, sizeof(o->state_dir), "%s", arg);
		return 0;
	case OPT_JSON:
		o->json = true;
		return 0;
	case OPT_SPIS:
		if (parse_u32_min(arg, 1, UINT16_MAX, &v))
			return fail(err, errlen, "--spis %s: expected 1..65535", arg);
		o->n_spis = (uint16_t)v;
		o->spis_default = false;
		*spis_given = true;
		return 0;
	case OPT_PORTS:
		if (parse_u32_min(arg, 1, RSIP_MAX_PORTS, &v))
			return fail(err, errlen, "--ports %s: expected 1..%d", arg, RSIP_MAX_PORTS);
		o->n_ports = (uint16_t)v;
		*ports_given = true;
		return 0;
	case OPT_IKE_PORT:
		o->ike_port = true;
		return 0;
	case OPT_METHOD:
		if (!strcmp(arg, "rsipsec"))
			o->method = RSIP_METHOD_RSIPSEC;
		else if (!strcmp(arg, "rsap-ip"))
			o->method = RSIP_METHOD_RSAP_IP;
		else if (!strcmp(arg, "rsa-ip"))
			o->method = RSIP_METHOD_RSA_IP;
		else
			return fail(err, errlen, "--method %s: expected rsipsec, rsap-ip or rsa-ip",
				    arg);
		return 0;
	case OPT_TUNNEL:
		if (!strcmp(arg, "ipip"))
			o->tunnel = RSIP_TUNNEL_IPIP;
		else if (!strcmp(arg, "gre"))
			o->tunnel = RSIP_TUNNEL_GRE;
		else
			return fail(err, errlen, "--tunnel %s: expected ipip or gre", arg);
		return 0;
	case OPT_LEASE:
		if (parse_u32_min(arg, 1, UINT32_MAX, &o->lease_s))
			return fail(err, errlen, "--lease %s: expected seconds, at least 1", arg);
		return 0;
	case OPT_DEV:
		if (!*arg || strlen(arg) >= IFNAMSIZ || strchr(arg, '/') || strchr(arg, ' '))
			return fail(err, errlen, "--dev %s: not a valid interface name", arg);
		snprintf(o->dev, sizeof(o->dev), "%s", arg);
		return 0;
	case OPT_TABLE:
		/* 0 is unspec; 253-255 are the kernel's default/main/local. */
		if (parse_u32_min(arg, 1, UINT32_MAX, &v) || (v >= 253 && v <= 255))
			return fail(err, errlen, "--table %s: expected 1..252 or 256..4294967295",
				    arg);
		o->table = v;
		return 0;
	case OPT_PRIO:
		if (parse_u32_min(arg, 1, 32765, &o->rule_prio))
			return fail(err, errlen,
				    "--rule-priority %s: expected 1..32765 (before the main table)",
				    arg);
		return 0;
	case OPT_MTU:
		if (parse_u32_min(arg, 68, 65535, &v))
			return fail(err, errlen, "--mtu %s: expected 68..65535", arg);
		o->mtu = (uint16_t)v;
		return 0;
	case OPT_REMOTE:
		if (parse_addr_port(arg, &o->remote, &o->remote_port))
			return fail(err, errlen, "--remote %s: expected an IPv4 ADDR[:PORT]", arg);
		return 0;
	case OPT_TAKEOVER:
		o->takeover = true;
		return 0;
	case OPT_LISTEN: {
		/* PORT or PORT,PORT,...; may be repeated. */
		char buf[256], *save = NULL, *tok;

		snprintf(buf, sizeof(buf), "%s", arg);
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (parse_u32_min(tok, 1, 65535, &v))
				return fail(err, errlen, "--listen %s: expected ports 1..65535",
					    arg);
			if (o->n_listen == RSIPC_MAX_LISTEN)
				return fail(err, errlen, "--listen: at most %d ports",
					    RSIPC_MAX_LISTEN);
			o->listen_ports[o->n_listen++] = (uint16_t)v;
		}
		return 0;
	}
	case OPT_DATAPATH:
		if (!strcmp(arg, "auto"))
			o->datapath = TUNNEL_DP_AUTO;
		else if (!strcmp(arg, "bpf"))
			o->datapath = TUNNEL_DP_BPF;
		else if (!strcmp(arg, "pump"))
			o->datapath = TUNNEL_DP_PUMP;
		else
			return fail(err, errlen, "--datapath %s: expected auto, bpf or pump", arg);
		return 0;
	case ':':
		return fail(err, errlen, "%s: option %s needs a value", argv0, arg);
	default:
		return fail(err, errlen, "%s: unknown option %s (see --help)", argv0, arg);
	}
}

/* getopt_long over argv[*idx..]; stops at the first non-option or "--". */
static int scan(int argc, char **argv, struct rsipc_opts *o, char *err, size_t errlen,
		bool *ports_given, bool *spis_given)
{
	int opt, rc;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:s:t:vh", long_opts, NULL)) != -1) {
		const char *arg = optarg;

		if (opt == '?' || opt == ':')
			arg = argv[optind - 1];
		rc = one_opt(opt, arg, argv[0], o, err, errlen, ports_given, spis_given);
		if (rc)
			return rc;
	}
	return 0;
}

unsigned int rsipc_ports_wanted(const struct rsipc_opts *o)
{
	return o->n_ports + (o->ike_port ? 2u : 0u);
}

static int check_up(struct rsipc_opts *o, bool ports_given, bool spis_given, char *err,
		    size_t errlen)
{
	if (!o->have_server)
		return fail(err, errlen, "up: --server ADDR[:PORT] is required");
	switch (o->method) {
	case RSIP_METHOD_RSA_IP:
		if (ports_given || spis_given || o->ike_port)
			return fail(err, errlen,
				    "--method rsa-ip leases a whole address: --ports, --spis and "
				    "--ike-port do not apply");
		o->n_spis = 0;
		break;
	case RSIP_METHOD_RSAP_IP:
		if (spis_given)
			return fail(err, errlen, "--spis needs --method rsipsec");
		o->n_spis = 0;
		if (!rsipc_ports_wanted(o))
			o->n_ports = 1; /* RSAP-IP always grants at least one */
		break;
	default:
		break;
	}
	if (rsipc_ports_wanted(o) > RSIP_MAX_PORTS)
		return fail(err, errlen, "too many ports: at most %d in one binding",
			    RSIP_MAX_PORTS);
	return 0;
}

int rsipc_parse_args(int argc, char **argv, struct rsipc_opts *o, char *err, size_t errlen)
{
	bool ports_given = false, spis_given = false;
	const char *word;
	int rc;

	defaults(o);
	err[0] = '\0';
	optind = 0; /* full re-initialisation: the parser may run more than once */
	rc = scan(argc, argv, o, err, errlen, &ports_given, &spis_given);
	if (rc)
		return rc;
	if (o->cmd == RSIPC_CMD_HELP)
		return 0;
	if (optind >= argc)
		return fail(err, errlen, "missing command: up, status or down (see --help)");
	if (!strcmp(argv[optind - 1], "--") && optind > 1)
		return fail(err, errlen, "missing command before \"--\": up, status or down");
	word = argv[optind];
	if (!strcmp(word, "up"))
		o->cmd = RSIPC_CMD_UP;
	else if (!strcmp(word, "status"))
		o->cmd = RSIPC_CMD_STATUS;
	else if (!strcmp(word, "down"))
		o->cmd = RSIPC_CMD_DOWN;
	else if (!strcmp(word, "help"))
		o->cmd = RSIPC_CMD_HELP;
	else
		return fail(err, errlen, "unknown command \"%s\": up, status or down", word);

	/* Options after the command word, then "--" and the command to run.
	 * getopt sees argv[optind] as the program name of this second scan. */
	{
		int sub_argc = argc - optind;
		char **sub_argv = argv + optind;
		enum rsipc_cmd cmd = o->cmd;

		optind = 0;
		rc = scan(sub_argc, sub_argv, o, err, errlen, &ports_given, &spis_given);
		if (rc)
			return rc;
		if (o->cmd == RSIPC_CMD_HELP)
			return 0;
		o->cmd = cmd;
		if (optind < sub_argc) {
			if (optind == 0 || strcmp(sub_argv[optind - 1], "--"))
				return fail(err, errlen,
					    "unexpected argument \"%s\" (a command to run goes "
					    "after \"--\")",
					    sub_argv[optind]);
			o->cmd_argc = sub_argc - optind;
			o->cmd_argv = sub_argv + optind;
		} else if (optind > 1 && !strcmp(sub_argv[optind - 1], "--")) {
			return fail(err, errlen, "nothing to run after \"--\"");
		}
	}
	if (o->cmd_argc && o->cmd != RSIPC_CMD_UP)
		return fail(err, errlen, "only up runs a command");
	if (o->cmd == RSIPC_CMD_UP)
		return check_up(o, ports_given, spis_given, err, errlen);
	return 0;
}
