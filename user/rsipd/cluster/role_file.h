/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The role keepalived gives this gateway, as its notify script
 * (contrib/keepalived/rsipd-notify.sh) writes it: one word, MASTER, BACKUP
 * or FAULT, in a file replaced atomically. MASTER is the active gateway;
 * anything else, a missing or unreadable file included, is a standby
 * (never two actives because a file could not be read).
 */
#ifndef RSIPD_ROLE_FILE_H
#define RSIPD_ROLE_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* True when path says MASTER; word (optional) gets what it says. */
bool role_file_active(const char *path, char *word, size_t len);

#endif
