// SPDX-License-Identifier: BSD-2-Clause
/* rsipc status / rsipc down: talk to a running rsipc up over its socket. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "ctl.h"
#include "log.h"
#include "saved.h"

/* Seconds `down` waits: releasing over UDP takes up to ~1.6 s per request
 * when the gateway is gone, and the command gets 5 s to stop. */
#define DOWN_TIMEOUT_MS	  60000
#define STATUS_TIMEOUT_MS 5000

static void render(struct json_object *v, int indent, FILE *f)
{
	json_object_object_foreach(v, key, val)
	{
		if (json_object_is_type(val, json_type_object)) {
			fprintf(f, "%*s%s:\n", indent, "", key);
			render(val, indent + 2, f);
		} else if (json_object_is_type(val, json_type_array)) {
			fprintf(f, "%*s%s: ", indent, "", key);
			for (size_t i = 0; i < json_object_array_length(val); i++)
				fprintf(f, "%s%s", i ? "," : "",
					json_object_get_string(json_object_array_get_idx(val, i)));
			fputc('\n', f);
		} else {
			fprintf(f, "%*s%s: %s\n", indent, "", key,
				val ? json_object_get_string(val) : "-");
		}
	}
}

static int call(const struct rsipc_opts *o, const char *cmd, int timeout_ms,
		struct json_object **data)
{
	struct json_object *reply = NULL, *ok, *d, *e;
	int rc;

	*data = NULL;
	rc = ctl_call(o->state_dir, cmd, timeout_ms, &reply);
	if (rc == -ENOENT || rc == -ECONNREFUSED) {
		fprintf(stderr, "rsipc: not running (no rsipc up answers in %s)\n", o->state_dir);
		return RSIPC_EXIT_NOT_RUNNING;
	}
	if (rc) {
		fprintf(stderr, "rsipc: %s: %s\n", cmd, strerror(-rc));
		return RSIPC_EXIT_FAIL;
	}
	if (!json_object_object_get_ex(reply, "ok", &ok) || !json_object_get_boolean(ok)) {
		json_object_object_get_ex(reply, "error", &e);
		fprintf(stderr, "rsipc: %s: %s\n", cmd, e ? json_object_get_string(e) : "failed");
		json_object_put(reply);
		return RSIPC_EXIT_FAIL;
	}
	if (json_object_object_get_ex(reply, "data", &d))
		*data = json_object_get(d);
	json_object_put(reply);
	return 0;
}

int rsipc_status(const struct rsipc_opts *o)
{
	struct json_object *data;
	int rc = call(o, "status", STATUS_TIMEOUT_MS, &data);

	if (rc)
		return rc;
	if (o->json)
		printf("%s\n", json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN));
	else
		render(data, 0, stdout);
	json_object_put(data);
	return 0;
}

int rsipc_down(const struct rsipc_opts *o)
{
	struct json_object *data, *rel;
	bool released = false;
	struct rsipc_saved sv;
	int rc = call(o, "down", DOWN_TIMEOUT_MS, &data);

	/* Nobody answers, but a killed rsipc left its state file: release
	 * what it names. */
	if (rc == RSIPC_EXIT_NOT_RUNNING && !rsipc_saved_load(o->state_dir, &sv) &&
	    rsipc_saved_resumable(&sv)) {
		fprintf(stderr,
			"rsipc: releasing what the killed rsipc (pid %d) left: client %u, "
			"binding %u\n",
			sv.pid, sv.client_id, sv.b.bind_id);
		released = rsipc_saved_release(&sv, o->state_dir);
		printf("rsipc: down; %s\n",
		       released ? "released at the gateway"
				: "the gateway did not confirm the release (it expires with its "
				  "lease)");
		return 0;
	}
	if (rc)
		return rc;
	if (json_object_object_get_ex(data, "released", &rel))
		released = json_object_get_boolean(rel);
	if (o->json)
		printf("%s\n", json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN));
	else
		printf("rsipc: down; %s\n",
		       released
			   ? "released at the gateway"
			   : "the gateway did not confirm the release (it expires with its lease)");
	json_object_put(data);
	return 0;
}
