// SPDX-License-Identifier: BSD-2-Clause
/* rsipc: the RSIP client command (see docs/client.md). */
#include <stdio.h>

#include "args.h"
#include "commands.h"
#include "log.h"

int main(int argc, char **argv)
{
	struct rsipc_opts o;
	char err[256];

	if (rsipc_parse_args(argc, argv, &o, err, sizeof(err))) {
		fprintf(stderr, "rsipc: %s\n", err);
		return RSIPC_EXIT_USAGE;
	}
	log_init("rsipc", false, o.verbose);
	switch (o.cmd) {
	case RSIPC_CMD_UP:
		return rsipc_up(&o);
	case RSIPC_CMD_STATUS:
		return rsipc_status(&o);
	case RSIPC_CMD_DOWN:
		return rsipc_down(&o);
	default:
		rsipc_usage(stdout);
		return 0;
	}
}
