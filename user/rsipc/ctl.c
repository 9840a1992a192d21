// SPDX-License-Identifier: BSD-2-Clause
/* rsipc control socket and state file (see ctl.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

static int path_in(const char *dir, const char *name, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static int sock_addr(const char *dir, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	return path_in(dir, RSIPC_SOCK_NAME, sun->sun_path, sizeof(sun->sun_path));
}

static int mkdir_p(const char *dir)
{
	char tmp[4096];
	size_t len;

	len = (size_t)snprintf(tmp, sizeof(tmp), "%s", dir);
	if (len >= sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int connect_sock(const char *dir)
{
	struct sockaddr_un sun;
	int fd, rc;

	rc = sock_addr(dir, &sun);
	if (rc)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

int ctl_listen(const char *dir, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd, rc;

	rc = mkdir_p(dir);
	if (rc) {
		snprintf(err, errlen, "state directory %s: %s", dir, strerror(-rc));
		return rc;
	}
	rc = sock_addr(dir, &sun);
	if (rc) {
		snprintf(err, errlen, "state directory %s: path too long", dir);
		return rc;
	}
	fd = connect_sock(dir);
	if (fd >= 0) {
		close(fd);
		snprintf(err, errlen,
			 "another rsipc up is running with state directory %s (rsipc --state-dir "
			 "%s down stops it)",
			 dir, dir);
		return -EADDRINUSE;
	}
	unlink(sun.sun_path); /* stale: its owner is gone */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return rc;
	}
	old = umask(0177); /* 0600: it can take the lease down */
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc < 0 || listen(fd, 8) < 0) {
		rc = -errno;
		snprintf(err, errlen, "control socket %s: %s", sun.sun_path, strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
}

void ctl_cleanup(const char *dir)
{
	char p[4096];

	if (!path_in(dir, RSIPC_SOCK_NAME, p, sizeof(p)))
		unlink(p);
	if (!path_in(dir, RSIPC_STATE_NAME, p, sizeof(p)))
		unlink(p);
}

int ctl_write_state(const char *dir, struct json_object *state)
{
	char p[4096], tmp[4200];
	const char *s;
	FILE *f;
	int rc = 0, fd;

	if (path_in(dir, RSIPC_STATE_NAME, p, sizeof(p)))
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	/* 0600 and no symlink followed: it names the lease a restarted rsipc
	 * takes up (and `down` releases), in a directory others may see. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		rc = -errno;
		close(fd);
		unlink(tmp);
		return rc;
	}
	s = json_object_to_json_string_ext(state, JSON_C_TO_STRING_PRETTY);
	if (fprintf(f, "%s\n", s) < 0)
		rc = -EIO;
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, p) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

static int send_all(int fd, const char *s, size_t len)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	ssize_t n;

	while (len) {
		n = send(fd, s, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && poll(&pfd, 1, 1000) > 0)
				continue;
			return -errno;
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

int ctl_send_json(int fd, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	int rc = send_all(fd, s, strlen(s));

	if (!rc)
		rc = send_all(fd, "\n", 1);
	return rc;
}

int ctl_send_ok(int fd, struct json_object *data)
{
	struct json_object *o = json_object_new_object();
	int rc;

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "data", data);
	rc = ctl_send_json(fd, o);
	json_object_put(o);
	return rc;
}

int ctl_send_error(int fd, const char *msg)
{
	struct json_object *o = json_object_new_object();
	int rc;

	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	rc = ctl_send_json(fd, o);
	json_object_put(o);
	return rc;
}

int ctl_call(const char *dir, const char *cmd, int timeout_ms, struct json_object **reply)
{
	char line[RSIPC_CTL_LINE_MAX * 16];
	struct pollfd pfd;
	size_t len = 0;
	ssize_t n;
	int fd, rc;

	*reply = NULL;
	fd = connect_sock(dir);
	if (fd < 0)
		return fd;
	n = snprintf(line, sizeof(line), "{\"cmd\":\"%s\"}\n", cmd);
	rc = send_all(fd, line, (size_t)n);
	if (rc)
		goto out;
	pfd = (struct pollfd){.fd = fd, .events = POLLIN};
	for (;;) {
		rc = poll(&pfd, 1, timeout_ms);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			rc = rc ? -errno : -ETIMEDOUT;
			goto out;
		}
		n = read(fd, line + len, sizeof(line) - 1 - len);
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		if (n == 0) {
			rc = -ECONNRESET;
			goto out;
		}
		len += (size_t)n;
		line[len] = '\0';
		if (strchr(line, '\n'))
			break;
		if (len == sizeof(line) - 1) {
			rc = -EMSGSIZE;
			goto out;
		}
	}
	*reply = json_tokener_parse(line);
	rc = *reply ? 0 : -EPROTO;
out:
	close(fd);
	return rc;
}
