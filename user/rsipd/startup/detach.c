// SPDX-License-Identifier: BSD-2-Clause
/* --daemon: fork first, start in the child (detach.h). */
#include "detach.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int detach_begin(int *ready_fd)
{
	int fds[2];
	pid_t pid;
	char verdict;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(fds[0]);
		close(fds[1]);
		return -e;
	}
	if (pid == 0) {
		close(fds[0]);
		setsid();
		*ready_fd = fds[1];
		return 0;
	}
	/* The parent: the child's verdict, or EOF if it died first. */
	close(fds[1]);
	while (read(fds[0], &verdict, 1) < 0 && errno == EINTR)
		;
	_exit(verdict == 'y' ? 0 : 1);
}

void detach_done(int ready_fd, bool started)
{
	char verdict = started ? 'y' : 'n';
	int fd;

	if (started) {
		if (chdir("/") < 0) {
			/* cannot happen for root; the daemon runs on regardless */
		}
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			if (fd > STDERR_FILENO)
				close(fd);
		}
	}
	while (write(ready_fd, &verdict, 1) < 0 && errno == EINTR)
		;
	close(ready_fd);
}
