// SPDX-License-Identifier: BSD-2-Clause
#include "lock.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* The pin path as one file name: every byte but [A-Za-z0-9._] becomes %XX,
 * so two different paths never share a lock. */
static int escape_path(char *out, size_t len, const char *path)
{
	size_t o = 0;

	for (; *path; path++) {
		unsigned char c = (unsigned char)*path;

		if (o + 4 > len)
			return -ENAMETOOLONG;
		if (isalnum(c) || c == '.' || c == '_')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, len - o, "%%%02X", c);
	}
	out[o] = '\0';
	return 0;
}

/* Interface names repeat in every network namespace: the key is the
 * namespace's inode and the name. */
static int netns_id(unsigned long *out)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st) < 0)
		return -errno;
	*out = (unsigned long)st.st_ino;
	return 0;
}

static pid_t read_pid(int fd)
{
	char buf[32] = {0};
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	return n > 0 ? (pid_t)atol(buf) : 0;
}

static void write_pid(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		log_err("instance lock: cannot write the PID");
}

/* Lock one file. Someone who removed the file between our open and our
 * flock (a stopping instance) leaves us a lock on a dead inode: open again. */
static int lock_one(const char *path, const char *what, int *fd_out)
{
	struct stat a, b;
	int fd, tries;

	for (tries = 0; tries < 10; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0) {
			int e = errno;

			log_errx("instance lock %s: %s", path, strerror(e));
			return -e;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int e = errno;
			pid_t pid = read_pid(fd);

			close(fd);
			if (e != EWOULDBLOCK) {
				log_errx("instance lock %s: %s", path, strerror(e));
				return -e;
			}
			log_errx("another rsipd (PID %ld) already runs on %s (lock %s): stop it "
				 "first (systemctl stop rsipd, or kill %ld), or give this one "
				 "other interfaces and another --pin-path",
				 (long)pid, what, path, (long)pid);
			return -EBUSY;
		}
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev) {
			write_pid(fd);
			*fd_out = fd;
			return 0;
		}
		close(fd);
	}
	log_errx("instance lock %s: keeps changing under us", path);
	return -EAGAIN;
}

int instance_lock_take(struct instance_lock *l, const struct rsipd_config *cfg, const char *dir)
{
	char esc[200], what[INSTANCE_LOCK_MAX][PATH_MAX + 32];
	unsigned long ns = 0;
	size_t i;
	int rc;

	memset(l, 0, sizeof(*l));
	if (cfg->dataplane != CFG_DP_XDP)
		return 0;
	if ((rc = escape_path(esc, sizeof(esc), cfg->pin_path)) < 0 || (rc = netns_id(&ns)) < 0) {
		log_errx("instance lock: %s", strerror(-rc));
		return rc;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		rc = -errno;
		log_errx("instance lock: cannot create %s: %s", dir, strerror(-rc));
		return rc;
	}
	snprintf(l->path[0], sizeof(l->path[0]), "%s/pin-%s.lock", dir, esc);
	snprintf(what[0], sizeof(what[0]), "the pin path %s", cfg->pin_path);
	snprintf(l->path[1], sizeof(l->path[1]), "%s/if-%lu-%s.lock", dir, ns, cfg->wan_if);
	snprintf(what[1], sizeof(what[1]), "the interface %s (--wan)", cfg->wan_if);
	snprintf(l->path[2], sizeof(l->path[2]), "%s/if-%lu-%s.lock", dir, ns, cfg->lan_if);
	snprintf(what[2], sizeof(what[2]), "the interface %s (--lan)", cfg->lan_if);
	for (i = 0; i < INSTANCE_LOCK_MAX; i++) {
		rc = lock_one(l->path[i], what[i], &l->fd[i]);
		if (rc < 0) {
			while (i--) {
				unlink(l->path[i]);
				close(l->fd[i]);
			}
			l->n = 0;
			return rc;
		}
		l->n = i + 1;
	}
	return 0;
}

void instance_lock_release(struct instance_lock *l)
{
	size_t i;

	/* Unlink while still holding the lock: whoever opened the old file
	 * sees it gone after its flock and opens the path again. */
	for (i = 0; i < l->n; i++) {
		unlink(l->path[i]);
		close(l->fd[i]);
	}
	l->n = 0;
}
