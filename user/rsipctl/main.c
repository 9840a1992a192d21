// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsipctl: the administrator's view of a running rsipd, over its control
 * socket. The work is in user/lib/ctl_client.c (arguments, one request and
 * its response) and user/lib/ctl_render.c (tables for humans).
 * Exit status: 0 done, 1 the daemon or the socket failed, 2 bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ctl_client.h"
#include "ctl_render.h"
#include "explain.h"

int main(int argc, char **argv)
{
	struct json_object *req = NULL, *data = NULL;
	struct ctl_args a;
	char err[512] = "";
	int fd = -1, ret, rc = 1;

	if (ctl_parse_args(argc, argv, &a, err, sizeof(err))) {
		fprintf(stderr, "rsipctl: %s\n%s", err, ctl_usage);
		return 2;
	}
	if (a.help) {
		fputs(ctl_usage, stdout);
		return 0;
	}
	if (a.cmd == CTL_CMD_EXPLAIN) {
		ret = ctl_explain(stdout, a.name, a.json);
		if (ret == -ENOENT) {
			fprintf(stderr,
				"rsipctl: no program counter is called '%s' (rsipctl explain "
				"lists them; the slow path's own slow_* counters are in "
				"docs/dataplane.md, Counters)\n",
				a.name);
			return 2;
		}
		if (ret || fflush(stdout)) {
			fprintf(stderr, "rsipctl: cannot write the output\n");
			return 1;
		}
		return 0;
	}
	fd = ctl_connect(a.socket, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "rsipctl: %s\n", err);
		goto out;
	}
	req = ctl_build_request(&a);
	if (!req) {
		fprintf(stderr, "rsipctl: out of memory\n");
		goto out;
	}
	ret = ctl_transact(fd, req, CTL_TIMEOUT_MS, &data, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "rsipctl: %s%s\n", ret == -EREMOTEIO ? "rsipd: " : "", err);
		goto out;
	}
	if (a.json)
		ret = ctl_render_json(stdout, data);
	/* The daemon only echoes the ID of what it revoked: say it in words. */
	else if (a.cmd == CTL_CMD_FREE)
		ret = printf("binding %u freed\n", a.id) < 0 ? -EIO : 0;
	else if (a.cmd == CTL_CMD_DEREGISTER)
		ret = printf("client %u deregistered\n", a.id) < 0 ? -EIO : 0;
	else
		ret = ctl_render(stdout, data);
	if (ret || fflush(stdout)) {
		fprintf(stderr, "rsipctl: cannot write the output\n");
		goto out;
	}
	rc = 0;
out:
	json_object_put(data);
	json_object_put(req);
	if (fd >= 0)
		close(fd);
	return rc;
}
