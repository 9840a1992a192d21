// SPDX-License-Identifier: BSD-2-Clause
#include "cpulist.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

/* One item: "N" or "LO-HI". */
static int parse_item(const char *item, uint64_t *lo, uint64_t *hi)
{
	if (strchr(item, '-'))
		return parse_range(item, CPULIST_MAX_CPU, lo, hi);
	if (parse_u64(item, CPULIST_MAX_CPU, lo))
		return -EINVAL;
	*hi = *lo;
	return 0;
}

int cpulist_parse(const char *s, uint16_t *cpus, size_t cap, size_t *n)
{
	bool seen[CPULIST_MAX_CPU + 1] = {false};
	char buf[256], *item, *save = NULL;
	uint64_t lo, hi, c;
	size_t count = 0, i = 0;

	if (!s || !*s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	if (buf[0] == ',' || buf[strlen(buf) - 1] == ',' || strstr(buf, ",,"))
		return -EINVAL;
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if (parse_item(item, &lo, &hi))
			return -EINVAL;
		for (c = lo; c <= hi; c++) {
			if (seen[c] || ++count > cap)
				return -EINVAL;
			seen[c] = true;
		}
	}
	for (c = 0; c <= CPULIST_MAX_CPU; c++)
		if (seen[c])
			cpus[i++] = (uint16_t)c;
	*n = count;
	return 0;
}

int cpulist_format(char *buf, size_t len, const uint16_t *cpus, size_t n)
{
	size_t i = 0, j;
	int w = 0, r;

	if (len)
		buf[0] = '\0';
	while (i < n) {
		/* Past the end: count what would have been written, as snprintf. */
		char *dst = (size_t)w < len ? buf + w : NULL;
		size_t room = dst ? len - (size_t)w : 0;

		for (j = i; j + 1 < n && cpus[j + 1] == cpus[j] + 1; j++)
			;
		if (j == i)
			r = snprintf(dst, room, "%s%u", w ? "," : "", cpus[i]);
		else
			r = snprintf(dst, room, "%s%u-%u", w ? "," : "", cpus[i], cpus[j]);
		if (r < 0)
			return r;
		w += r;
		i = j + 1;
	}
	return w;
}
