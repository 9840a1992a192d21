/* SPDX-License-Identifier: BSD-2-Clause */
/* rsipc's three commands; each returns the process exit code. */
#ifndef RSIPC_COMMANDS_H
#define RSIPC_COMMANDS_H

#include "args.h"

/* Exit codes besides 0 and the command's own. */
#define RSIPC_EXIT_FAIL	       1 /* could not lease or bring the tunnel up */
#define RSIPC_EXIT_USAGE       2
#define RSIPC_EXIT_NOT_RUNNING 3 /* status/down: no rsipc up there */
#define RSIPC_EXIT_REVOKED     4 /* the gateway took the lease back */

int rsipc_up(const struct rsipc_opts *o);
int rsipc_status(const struct rsipc_opts *o);
int rsipc_down(const struct rsipc_opts *o);

#endif
