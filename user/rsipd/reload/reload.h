/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SIGHUP: which options change while rsipd runs. The policy (who may
 * register, use IPsec, name which peers; flow policy, RSA-IP, TCP only), the
 * limits (leases, per-client caps), the log level and the metrics endpoint
 * apply to what comes next (leases already granted keep their terms). The
 * rest (addresses, interfaces, pins, pools, files, sockets) is bound to
 * sockets, maps or allocations made at start: a change is named in the log
 * and waits for a restart.
 */
#ifndef RSIPD_RELOAD_H
#define RSIPD_RELOAD_H

#include <stdbool.h>

#include "config.h"

struct reload_result {
	unsigned int applied;	/* reloadable options that changed */
	unsigned int restart;	/* options that changed and need a restart */
	bool metrics_changed;	/* --metrics: the caller moves the endpoint */
	bool verbosity_changed; /* -v: the caller tells the logger */
};

/* Copy next's reloadable options into running, log each change, and log
 * each restart-only option that differs (running keeps its value). */
void reload_apply(struct rsipd_config *running, const struct rsipd_config *next,
		  struct reload_result *res);

#endif
