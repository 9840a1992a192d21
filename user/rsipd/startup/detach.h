/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * --daemon: into the background before anything is opened. rsipd used to
 * start and then call daemon(), whose fork left the lease store's SQLite
 * connection in a child that does not hold the parent's file locks (POSIX
 * locks are not inherited): the next `sqlite3` an operator ran on the store
 * found no other user, checkpointed, deleted the -wal and -shm files, and
 * every later commit of rsipd went to the unlinked WAL, lost at the next
 * start. Now the process forks first; the child starts and tells the
 * parent, which waits in the foreground and exits with the child's verdict,
 * so start-up errors still reach the terminal and the exit status.
 */
#ifndef RSIPD_STARTUP_DETACH_H
#define RSIPD_STARTUP_DETACH_H

#include <stdbool.h>

/* Forks. Returns in the child (a new session), with the pipe end for
 * detach_done in *ready_fd; -errno when the fork fails. The parent does not
 * return: it exits 0 once the child reports a start, 1 otherwise. */
int detach_begin(int *ready_fd);

/* In the child, after start-up: tells the parent how it went; on success
 * also leaves the working directory and the terminal (cd /, standard input,
 * output and error on /dev/null), as daemon(3) does. */
void detach_done(int ready_fd, bool started);

#endif
