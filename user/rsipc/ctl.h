/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * How `rsipc status` and `rsipc down` reach a running `rsipc up`: a UNIX
 * stream socket DIR/rsipc.sock (mode 0600) speaking the same one-JSON-object-
 * per-line protocol as rsipd's control socket:
 *   {"cmd":"status"} -> {"ok":true,"data":{lease, runtime, counters}}
 *   {"cmd":"down"}   -> the reply comes once everything is released and the
 *                       tunnel is gone: {"ok":true,"data":{"released":bool}}
 * `up` also writes DIR/state.json (the lease and its pid), atomically, for
 * tools that only read files; both go away when `up` ends.
 */
#ifndef RSIPC_CTL_H
#define RSIPC_CTL_H

#include <json-c/json.h>
#include <stddef.h>

#define RSIPC_SOCK_NAME	   "rsipc.sock"
#define RSIPC_STATE_NAME   "state.json"
#define RSIPC_CTL_LINE_MAX 4096

/* Create DIR if needed and listen on DIR/rsipc.sock. -EADDRINUSE when
 * another rsipc up answers there (a stale socket is replaced). */
int ctl_listen(const char *dir, char *err, size_t errlen);
/* Remove the socket and the state file. */
void ctl_cleanup(const char *dir);
int ctl_write_state(const char *dir, struct json_object *state);

/* Client side: send {"cmd":cmd}, wait up to timeout_ms for the reply line and
 * parse it into *reply (the caller puts it). -ENOENT/-ECONNREFUSED when no
 * rsipc up is running there. */
int ctl_call(const char *dir, const char *cmd, int timeout_ms, struct json_object **reply);

/* Server side helpers. */
int ctl_send_json(int fd, struct json_object *o);
int ctl_send_ok(int fd, struct json_object *data); /* takes data */
int ctl_send_error(int fd, const char *msg);

#endif
