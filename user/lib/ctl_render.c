// SPDX-License-Identifier: BSD-2-Clause
#include "ctl_render.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define INDENT_STEP 2

/* A copy of s with every control byte (and DEL) replaced by '?'. */
static char *sanitize(const char *s)
{
	char *out = strdup(s ? s : "");

	if (!out)
		return NULL;
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = '?';
	return out;
}

static bool is_scalar(struct json_object *v)
{
	return !json_object_is_type(v, json_type_object) &&
	       !json_object_is_type(v, json_type_array);
}

static bool is_number(struct json_object *v)
{
	return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

/* True for a non-empty array whose every element is an object: a table. */
static bool is_table(struct json_object *v)
{
	size_t n;

	if (!json_object_is_type(v, json_type_array))
		return false;
	n = json_object_array_length(v);
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_object))
			return false;
	return true;
}

/* One value as the text of a table cell or of a "key: value" line (malloc'd).
 * Strings print bare, null as "-", arrays of scalars comma-joined, anything
 * deeper as compact JSON. */
static char *cell_text(struct json_object *v)
{
	char *buf = NULL, *s;
	size_t len = 0;
	FILE *f;

	if (!v)
		return strdup("-");
	if (json_object_is_type(v, json_type_string))
		return sanitize(json_object_get_string(v));
	if (is_scalar(v))
		return sanitize(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	if (json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);
		bool flat = true;

		for (size_t i = 0; i < n; i++)
			if (!is_scalar(json_object_array_get_idx(v, i)))
				flat = false;
		if (flat) {
			f = open_memstream(&buf, &len);
			if (!f)
				return NULL;
			for (size_t i = 0; i < n; i++) {
				s = cell_text(json_object_array_get_idx(v, i));
				fprintf(f, "%s%s", i ? "," : "", s ? s : "");
				free(s);
			}
			if (fclose(f)) {
				free(buf);
				return NULL;
			}
			return buf;
		}
	}
	return sanitize(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
}

struct column {
	const char *key;
	size_t width;
	bool numeric; /* every present cell is a number: right-align */
};

static int render_table(FILE *out, struct json_object *arr, int indent)
{
	size_t nrows = json_object_array_length(arr), ncols = 0, cap = 0;
	struct column *cols = NULL, *tmp;
	char **cells = NULL;
	int ret = -ENOMEM;

	/* Columns: every key, in first-seen order (the daemon's order). */
	for (size_t r = 0; r < nrows; r++) {
		json_object_object_foreach(json_object_array_get_idx(arr, r), key, val)
		{
			size_t c;

			(void)val;
			for (c = 0; c < ncols; c++)
				if (!strcmp(cols[c].key, key))
					break;
			if (c < ncols)
				continue;
			if (ncols == cap) {
				cap = cap ? 2 * cap : 16;
				tmp = realloc(cols, cap * sizeof(*cols));
				if (!tmp)
					goto out;
				cols = tmp;
			}
			cols[ncols++] =
			    (struct column){.key = key, .width = strlen(key), .numeric = true};
		}
	}
	if (ncols == 0) {
		/* Rows that are all empty objects: nothing but a count to show. */
		ret = fprintf(out, "%*s(%zu empty rows)\n", indent, "", nrows) < 0 ? -EIO : 0;
		goto out;
	}
	cells = calloc(nrows * ncols, sizeof(*cells));
	if (!cells)
		goto out;
	for (size_t r = 0; r < nrows; r++) {
		struct json_object *row = json_object_array_get_idx(arr, r), *v;

		for (size_t c = 0; c < ncols; c++) {
			char **cell = &cells[r * ncols + c];
			size_t w;

			if (!json_object_object_get_ex(row, cols[c].key, &v) || !v) {
				*cell = strdup("-");
			} else {
				*cell = cell_text(v);
				if (!is_number(v))
					cols[c].numeric = false;
			}
			if (!*cell)
				goto out;
			w = strlen(*cell);
			if (w > cols[c].width)
				cols[c].width = w;
		}
	}

	ret = -EIO;
	for (size_t r = 0; r <= nrows; r++) {
		if (fprintf(out, "%*s", indent, "") < 0)
			goto out;
		for (size_t c = 0; c < ncols; c++) {
			const char *text = r == 0 ? cols[c].key : cells[(r - 1) * ncols + c];
			bool last = c + 1 == ncols;
			int w = (int)cols[c].width, n;

			if (cols[c].numeric)
				n = fprintf(out, "%*s", w, text);
			else if (last)
				n = fprintf(out, "%s", text); /* no trailing blanks */
			else
				n = fprintf(out, "%-*s", w, text);
			if (n < 0 || fputs(last ? "\n" : "  ", out) < 0)
				goto out;
		}
	}
	ret = 0;
out:
	if (cells)
		for (size_t i = 0; i < nrows * ncols; i++)
			free(cells[i]);
	free(cells);
	free(cols);
	return ret;
}

static int render_object(FILE *out, struct json_object *obj, int indent)
{
	int ret;

	json_object_object_foreach(obj, key, val)
	{
		char *k = sanitize(key), *text;

		if (!k)
			return -ENOMEM;
		if (json_object_is_type(val, json_type_object) &&
		    json_object_object_length(val) > 0) {
			ret = fprintf(out, "%*s%s:\n", indent, "", k) < 0
				  ? -EIO
				  : render_object(out, val, indent + INDENT_STEP);
		} else if (is_table(val)) {
			ret = fprintf(out, "%*s%s:\n", indent, "", k) < 0
				  ? -EIO
				  : render_table(out, val, indent + INDENT_STEP);
		} else {
			bool empty = (json_object_is_type(val, json_type_object) &&
				      json_object_object_length(val) == 0) ||
				     (json_object_is_type(val, json_type_array) &&
				      json_object_array_length(val) == 0);

			text = empty ? strdup("(none)") : cell_text(val);
			if (!text) {
				free(k);
				return -ENOMEM;
			}
			ret = fprintf(out, "%*s%s: %s\n", indent, "", k, text) < 0 ? -EIO : 0;
			free(text);
		}
		free(k);
		if (ret)
			return ret;
	}
	return 0;
}

int ctl_render(FILE *out, struct json_object *data)
{
	char *text;
	int ret;

	if (!data)
		return 0; /* JSON null: nothing to show */
	if (json_object_is_type(data, json_type_object))
		return json_object_object_length(data) ? render_object(out, data, 0)
						       : (fputs("(none)\n", out) < 0 ? -EIO : 0);
	if (json_object_is_type(data, json_type_array) && json_object_array_length(data) == 0)
		return fputs("(none)\n", out) < 0 ? -EIO : 0;
	if (is_table(data))
		return render_table(out, data, 0);
	if (json_object_is_type(data, json_type_array)) {
		/* A list of scalars (or a mixture): one element per line. */
		for (size_t i = 0; i < json_object_array_length(data); i++) {
			text = cell_text(json_object_array_get_idx(data, i));
			if (!text)
				return -ENOMEM;
			ret = fprintf(out, "%s\n", text) < 0 ? -EIO : 0;
			free(text);
			if (ret)
				return ret;
		}
		return 0;
	}
	text = cell_text(data);
	if (!text)
		return -ENOMEM;
	ret = fprintf(out, "%s\n", text) < 0 ? -EIO : 0;
	free(text);
	return ret;
}

int ctl_render_json(FILE *out, struct json_object *data)
{
	const char *s = json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE);

	return fprintf(out, "%s\n", s ? s : "null") < 0 ? -EIO : 0;
}
