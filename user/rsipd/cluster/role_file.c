// SPDX-License-Identifier: BSD-2-Clause
/* Reading keepalived's state file (role_file.h). */
#include "role_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool role_file_active(const char *path, char *word, size_t len)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		if (word && len)
			snprintf(word, len, "(missing)");
		return false;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	buf[strcspn(buf, " \t\r\n")] = '\0';
	if (word && len)
		snprintf(word, len, "%s", buf[0] ? buf : "(empty)");
	return !strcmp(buf, "MASTER");
}
