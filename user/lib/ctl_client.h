/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The client side of rsipd's control socket (brief ctl-protocol): rsipctl's
 * command line, the JSON request it makes, and one request/response round
 * trip over the UNIX socket. Kept out of user/rsipctl/ so unit tests link it.
 */
#ifndef RSIP_CTL_CLIENT_H
#define RSIP_CTL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

#define CTL_DEFAULT_SOCKET "/run/rsipd/rsipd.sock"
#define CTL_TIMEOUT_MS	   10000       /* a daemon that does not answer in 10 s is stuck */
#define CTL_MAX_RESPONSE   (16u << 20) /* a sane bound on one response line */

enum ctl_cmd {
	CTL_CMD_STATUS = 1,
	CTL_CMD_CLIENTS,
	CTL_CMD_BINDINGS,
	CTL_CMD_COUNTERS,
	CTL_CMD_FREE,
	CTL_CMD_DEREGISTER,
	CTL_CMD_EXPLAIN, /* answered by rsipctl itself: no daemon needed */
};

struct ctl_args {
	const char *socket; /* CTL_DEFAULT_SOCKET unless --socket */
	bool json;
	bool help;
	enum ctl_cmd cmd;
	bool has_id; /* bindings CLIENT_ID, free BIND_ID, deregister CLIENT_ID */
	uint32_t id;
	const char *name; /* explain COUNTER; NULL: every counter */
};

/* Usage text, for --help and for bad usage. */
extern const char ctl_usage[];

/* Parse argv (argv[0] is the program). Options may come before or after the
 * command; "--" ends them. Returns 0 (a->help set for -h/--help), or -EINVAL
 * with a one-line reason in err. */
int ctl_parse_args(int argc, char *const argv[], struct ctl_args *a, char *err, size_t errlen);

/* The request object for a parsed command line (caller puts it). */
struct json_object *ctl_build_request(const struct ctl_args *a);

/* Connect to the control socket. Returns the fd, or -errno with a message
 * telling the user what to check in err. */
int ctl_connect(const char *path, char *err, size_t errlen);

/* Send req as one line and read the one-line response, waiting at most
 * timeout_ms. On success returns 0 and *data holds the response's data (a
 * new reference, NULL for JSON null). Returns -EREMOTEIO when the daemon
 * answered ok:false (its message in err), -EPROTO for a response that is
 * not the protocol's, or another -errno for I/O trouble. */
int ctl_transact(int fd, struct json_object *req, int timeout_ms, struct json_object **data,
		 char *err, size_t errlen);

#endif
