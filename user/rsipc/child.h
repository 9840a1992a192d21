/* SPDX-License-Identifier: BSD-2-Clause */
/* rsipc: the command run with the lease (e.g. an IKE daemon). */
#ifndef RSIPC_CHILD_H
#define RSIPC_CHILD_H

#include <stdbool.h>
#include <sys/types.h>

/* fork + execvpe(argv[0], argv, envp) with every signal unblocked again.
 * Returns the pid, or -errno. A command that cannot be executed exits 127. */
pid_t child_spawn(char **argv, char **envp);

/* Ask the child to stop (SIGTERM), give it grace_ms, then SIGKILL. Returns
 * its wait status. */
int child_stop(pid_t pid, int grace_ms);

/* The shell's convention: the exit code, or 128 + the signal. */
int child_exit_code(int wstatus);

#endif
