/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One rsipd per pin path and per interface. Two instances on the same pins
 * or interfaces would replace each other's programs and delete each other's
 * map entries, so the second one must stop before it touches anything: it
 * takes an flock(2) on one file per resource under a lock directory, and a
 * lock held elsewhere names the process holding it.
 */
#ifndef RSIPD_STARTUP_LOCK_H
#define RSIPD_STARTUP_LOCK_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"

#define INSTANCE_LOCK_DIR "/run/rsipd" /* RuntimeDirectory=rsipd of the unit */
#define INSTANCE_LOCK_MAX 3	       /* pin path, WAN, LAN */

struct instance_lock {
	size_t n;
	int fd[INSTANCE_LOCK_MAX];
	char path[INSTANCE_LOCK_MAX][256];
};

/* Lock every resource cfg claims (nothing with --dataplane none: the listen
 * socket is exclusive by itself). dir: INSTANCE_LOCK_DIR unless a test says
 * otherwise. 0, or -EBUSY after logging which PID holds which resource, or
 * another -errno after logging why. Takes nothing on failure. */
int instance_lock_take(struct instance_lock *l, const struct rsipd_config *cfg, const char *dir);

/* Remove the lock files and release them. */
void instance_lock_release(struct instance_lock *l);

#endif
