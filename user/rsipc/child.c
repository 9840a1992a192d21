// SPDX-License-Identifier: BSD-2-Clause
/* rsipc: running the command with the lease (see child.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"

pid_t child_spawn(char **argv, char **envp)
{
	sigset_t none;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		return pid;
	/* rsipc blocks its signals to read them from a signalfd; the command
	 * must get the normal behaviour back. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvpe(argv[0], argv, envp);
	fprintf(stderr, "rsipc: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int child_stop(pid_t pid, int grace_ms)
{
	struct timespec step = {.tv_nsec = 20 * 1000000};
	int st = 0;

	if (kill(pid, SIGTERM) < 0 && errno == ESRCH)
		goto reap;
	for (int waited = 0; waited < grace_ms; waited += 20) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return st;
		nanosleep(&step, NULL);
	}
	kill(pid, SIGKILL);
reap:
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

int child_exit_code(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 1;
}
