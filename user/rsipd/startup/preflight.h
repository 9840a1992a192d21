/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Start-up checks that only read the system: the mistakes an operator makes
 * most (no privileges, no bpffs, an address on the wrong interface) get a
 * message that says what to do, before rsipd touches anything, instead of
 * the obscure error of whatever fails first later. rsipd --check-config runs
 * them too.
 */
#ifndef RSIPD_STARTUP_PREFLIGHT_H
#define RSIPD_STARTUP_PREFLIGHT_H

#include <stdbool.h>

#include "config.h"

/* Every problem is logged (not only the first). 0 when none; else -EPERM
 * (privileges), -ENODEV, -EADDRNOTAVAIL or -ENOTSUP (bpffs) for the first.
 * check_privileges: false for --check-config, which an unprivileged
 * operator may run. */
int preflight(const struct rsipd_config *cfg, bool check_privileges);

#endif
