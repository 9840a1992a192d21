// SPDX-License-Identifier: BSD-2-Clause
#include "ctl_client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "clock.h"
#include "parse.h"

const char ctl_usage[] =
    "usage: rsipctl [--socket PATH] [--json] COMMAND\n"
    "commands:\n"
    "  status                  daemon summary: listen address, data plane, pools\n"
    "  clients                 registered clients\n"
    "  bindings [CLIENT_ID]    bindings, all or one client's\n"
    "  counters                protocol and data-plane counters\n"
    "  free BIND_ID            revoke a binding (its client gets a FREE_RESPONSE)\n"
    "  deregister CLIENT_ID    revoke a registration (DE-REGISTER_RESPONSE)\n"
    "  explain [COUNTER]       what the data-plane counters count (no daemon needed)\n"
    "options:\n"
    "  -s, --socket PATH       control socket (default " CTL_DEFAULT_SOCKET ")\n"
    "  -j, --json              print the daemon's data as JSON\n"
    "  -h, --help              this text\n"
    "IDs are decimal or 0x-prefixed hex.\n";

static const struct {
	const char *name;
	enum ctl_cmd cmd;
	int id; /* 0: no ID, 1: optional, 2: required, 3: an optional name */
	const char *id_name;
} commands[] = {
    {"status", CTL_CMD_STATUS, 0, NULL},
    {"clients", CTL_CMD_CLIENTS, 0, NULL},
    {"bindings", CTL_CMD_BINDINGS, 1, "CLIENT_ID"},
    {"counters", CTL_CMD_COUNTERS, 0, NULL},
    {"free", CTL_CMD_FREE, 2, "BIND_ID"},
    {"deregister", CTL_CMD_DEREGISTER, 2, "CLIENT_ID"},
    {"explain", CTL_CMD_EXPLAIN, 3, "COUNTER"},
};

int ctl_parse_args(int argc, char *const argv[], struct ctl_args *a, char *err, size_t errlen)
{
	const char *pos[3];
	int npos = 0, c;
	bool opts = true;

	*a = (struct ctl_args){.socket = CTL_DEFAULT_SOCKET};
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (opts && !strcmp(s, "--")) {
			opts = false;
		} else if (opts && (!strcmp(s, "-h") || !strcmp(s, "--help"))) {
			a->help = true;
			return 0;
		} else if (opts && (!strcmp(s, "-j") || !strcmp(s, "--json"))) {
			a->json = true;
		} else if (opts && (!strcmp(s, "-s") || !strcmp(s, "--socket"))) {
			if (i + 1 >= argc) {
				snprintf(err, errlen, "%s needs a PATH", s);
				return -EINVAL;
			}
			a->socket = argv[++i];
		} else if (opts && !strncmp(s, "--socket=", 9)) {
			a->socket = s + 9;
		} else if (opts && s[0] == '-' && s[1]) {
			snprintf(err, errlen, "unknown option %s", s);
			return -EINVAL;
		} else {
			if (npos == (int)(sizeof(pos) / sizeof(pos[0]))) {
				snprintf(err, errlen, "unexpected argument '%s'", s);
				return -EINVAL;
			}
			pos[npos++] = s;
		}
	}
	if (!*a->socket) {
		snprintf(err, errlen, "--socket needs a non-empty PATH");
		return -EINVAL;
	}
	if (npos == 0) {
		snprintf(err, errlen, "no command given");
		return -EINVAL;
	}
	for (c = 0; c < (int)(sizeof(commands) / sizeof(commands[0])); c++)
		if (!strcmp(pos[0], commands[c].name))
			break;
	if (c == (int)(sizeof(commands) / sizeof(commands[0]))) {
		snprintf(err, errlen, "unknown command '%s'", pos[0]);
		return -EINVAL;
	}
	a->cmd = commands[c].cmd;
	if (npos > 2 || (npos == 2 && commands[c].id == 0)) {
		snprintf(err, errlen, "%s: unexpected argument '%s'", commands[c].name,
			 pos[npos - 1]);
		return -EINVAL;
	}
	if (npos == 1 && commands[c].id == 2) {
		snprintf(err, errlen, "%s needs a %s", commands[c].name, commands[c].id_name);
		return -EINVAL;
	}
	if (npos == 2 && commands[c].id == 3) {
		a->name = pos[1];
	} else if (npos == 2) {
		if (parse_u32(pos[1], &a->id)) {
			snprintf(err, errlen, "%s: bad %s '%s' (a number up to 4294967295)",
				 commands[c].name, commands[c].id_name, pos[1]);
			return -EINVAL;
		}
		a->has_id = true;
	}
	return 0;
}

struct json_object *ctl_build_request(const struct ctl_args *a)
{
	struct json_object *req = json_object_new_object();
	const char *cmd = NULL, *id_key = NULL;

	if (!req)
		return NULL;
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (commands[c].cmd == a->cmd)
			cmd = commands[c].name;
	if (!cmd)
		goto fail;
	if (a->cmd == CTL_CMD_FREE)
		id_key = "bind_id";
	else if (a->cmd == CTL_CMD_BINDINGS || a->cmd == CTL_CMD_DEREGISTER)
		id_key = "client_id";
	if (json_object_object_add(req, "cmd", json_object_new_string(cmd)))
		goto fail;
	if (a->has_id && id_key &&
	    json_object_object_add(req, id_key, json_object_new_int64(a->id)))
		goto fail;
	return req;
fail:
	json_object_put(req);
	return NULL;
}

int ctl_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd, ret;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long (at most %zu bytes)", path,
			 sizeof(sun.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return ret;
	}
	/* A UNIX stream connect does not return EINPROGRESS: it succeeds or
	 * fails at once (EAGAIN when the backlog is full). */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot connect to %s: %s (is rsipd running? --socket PATH)",
			 path, strerror(errno));
		close(fd);
		return ret;
	}
	return fd;
}

/* Wait for events on fd until the deadline; -ETIMEDOUT when it passes. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	uint64_t now;
	int n;

	for (;;) {
		now = mono_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)(deadline - now));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int send_line(int fd, const char *line, uint64_t deadline, char *err, size_t errlen)
{
	size_t len = strlen(line), off = 0;
	ssize_t n;
	int ret;

	while (off < len) {
		n = send(fd, line + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			ret = -errno;
			snprintf(err, errlen, "sending to rsipd: %s", strerror(errno));
			return ret;
		}
		ret = wait_fd(fd, POLLOUT, deadline);
		if (ret) {
			snprintf(err, errlen, "sending to rsipd: %s", strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* Read up to and excluding the first '\n' into a malloc'd string. */
static int recv_line(int fd, uint64_t deadline, char **line, char *err, size_t errlen)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *tmp, *nl;
	ssize_t n;
	int ret;

	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? 2 * cap : 8192;
			tmp = realloc(buf, cap + 1);
			if (!tmp) {
				ret = -ENOMEM;
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			buf = tmp;
		}
		n = recv(fd, buf + len, cap - len, MSG_DONTWAIT);
		if (n > 0) {
			nl = memchr(buf + len, '\n', (size_t)n);
			len += (size_t)n;
			if (nl) {
				*nl = '\0';
				*line = buf;
				return 0;
			}
			if (len > CTL_MAX_RESPONSE) {
				ret = -EMSGSIZE;
				snprintf(err, errlen, "rsipd's response exceeds %u bytes",
					 CTL_MAX_RESPONSE);
				goto out;
			}
			continue;
		}
		if (n == 0) {
			ret = -ECONNRESET;
			snprintf(err, errlen, "rsipd closed the connection without answering");
			goto out;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			ret = -errno;
			snprintf(err, errlen, "reading from rsipd: %s", strerror(errno));
			goto out;
		}
		ret = wait_fd(fd, POLLIN, deadline);
		if (ret) {
			snprintf(err, errlen, "reading from rsipd: %s", strerror(-ret));
			goto out;
		}
	}
out:
	free(buf);
	return ret;
}

int ctl_transact(int fd, struct json_object *req, int timeout_ms, struct json_object **data,
		 char *err, size_t errlen)
{
	struct json_object *resp = NULL, *ok, *v;
	uint64_t deadline = mono_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	char *reqline = NULL, *line = NULL;
	int ret;

	*data = NULL;
	if (asprintf(&reqline, "%s\n",
		     json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN)) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = send_line(fd, reqline, deadline, err, errlen);
	if (ret)
		goto out;
	ret = recv_line(fd, deadline, &line, err, errlen);
	if (ret) {
		if (ret == -ETIMEDOUT)
			snprintf(err, errlen, "rsipd did not answer within %d ms", timeout_ms);
		goto out;
	}
	ret = -EPROTO;
	resp = json_tokener_parse(line);
	if (!resp || !json_object_is_type(resp, json_type_object)) {
		snprintf(err, errlen, "rsipd's response is not a JSON object");
		goto out;
	}
	if (!json_object_object_get_ex(resp, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean)) {
		snprintf(err, errlen, "rsipd's response has no boolean \"ok\"");
		goto out;
	}
	if (!json_object_get_boolean(ok)) {
		ret = -EREMOTEIO;
		if (json_object_object_get_ex(resp, "error", &v) &&
		    json_object_is_type(v, json_type_string))
			snprintf(err, errlen, "%s", json_object_get_string(v));
		else
			snprintf(err, errlen, "rsipd refused the request without saying why");
		goto out;
	}
	if (json_object_object_get_ex(resp, "data", &v))
		*data = json_object_get(v);
	ret = 0;
out:
	json_object_put(resp);
	free(line);
	free(reqline);
	return ret;
}
