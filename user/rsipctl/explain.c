// SPDX-License-Identifier: BSD-2-Clause
/* rsipctl explain (explain.h). */
#include "explain.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "dp_names.h"

/* rsipd's slow path counts the packets the programs handed it under the
 * programs' own names with this prefix (user/rsipd/slowpath/counters.c). */
#define SLOW_PREFIX "slow_"
#define SLOW_NOTE   "rsipd's slow path, for what the programs handed it: "

static const char *kind(unsigned int c)
{
	return dp_counter_is_exit(c) ? "exit" : "event";
}

/* Does counter c answer to name (NULL: every counter)? *slow: by its slow
 * path twin. */
static bool wanted(unsigned int c, const char *name, bool *slow)
{
	*slow = false;
	if (!name || !strcmp(name, dp_counter_name(c)))
		return true;
	*slow = !strncmp(name, SLOW_PREFIX, strlen(SLOW_PREFIX)) &&
		!strcmp(name + strlen(SLOW_PREFIX), dp_counter_name(c));
	return *slow;
}

static int explain_json(FILE *f, const char *name)
{
	struct json_object *arr = json_object_new_array();
	int rc = -ENOMEM;

	if (!arr)
		return rc;
	for (unsigned int c = 0; c < RSIP_CNT_MAX; c++) {
		struct json_object *o;
		char counts[256];
		bool slow;

		if (!wanted(c, name, &slow))
			continue;
		snprintf(counts, sizeof(counts), "%s%s", slow ? SLOW_NOTE : "", dp_counter_help(c));
		o = json_object_new_object();
		if (!o || json_object_array_add(arr, o)) {
			json_object_put(o);
			goto out;
		}
		if (json_object_object_add(
			o, "name", json_object_new_string(slow ? name : dp_counter_name(c))) ||
		    json_object_object_add(o, "kind", json_object_new_string(kind(c))) ||
		    json_object_object_add(o, "counts", json_object_new_string(counts)))
			goto out;
	}
	rc = 0;
	if (name && json_object_array_length(arr) == 0)
		rc = -ENOENT;
	else if (fprintf(f, "%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN)) <
		 0)
		rc = -EIO;
out:
	json_object_put(arr);
	return rc;
}

int ctl_explain(FILE *f, const char *name, bool json)
{
	size_t width = 0;
	bool found = false, slow;

	if (json)
		return explain_json(f, name);
	for (unsigned int c = 0; c < RSIP_CNT_MAX; c++)
		if (wanted(c, name, &slow) && strlen(slow ? name : dp_counter_name(c)) > width)
			width = strlen(slow ? name : dp_counter_name(c));
	for (unsigned int c = 0; c < RSIP_CNT_MAX; c++) {
		if (!wanted(c, name, &slow))
			continue;
		found = true;
		if (fprintf(f, "%-*s  %-5s  %s%s\n", (int)width, slow ? name : dp_counter_name(c),
			    kind(c), slow ? SLOW_NOTE : "", dp_counter_help(c)) < 0)
			return -EIO;
	}
	return found ? 0 : -ENOENT;
}
