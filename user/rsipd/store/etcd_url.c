// SPDX-License-Identifier: BSD-2-Clause
/*
 * Parsing of etcd://HOST:PORT[,HOST:PORT...]/PREFIX (etcd_url.h). Strict: a
 * member without a port, an empty member, a port out of range or a prefix
 * with characters other than [A-Za-z0-9_.-/] is refused here, at start-up,
 * rather than found out at the first request.
 */
#include "etcd_url.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEME "etcd://"

static int why_f(char *why, size_t wlen, const char *msg, const char *what, size_t n)
{
	snprintf(why, wlen, "%s '%.*s'", msg, (int)n, what);
	return -EINVAL;
}

static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_';
}

static bool prefix_char(char c)
{
	return host_char(c) || c == '/';
}

/* One HOST:PORT of n bytes at m. */
static int member(const char *m, size_t n, char *why, size_t wlen)
{
	const char *colon = memrchr(m, ':', n);
	unsigned long port = 0;
	size_t i;

	if (!colon || colon == m || colon + 1 == m + n)
		return why_f(why, wlen, "expected HOST:PORT, not", m, n);
	for (i = 0; m + i < colon; i++)
		if (!host_char(m[i]))
			return why_f(why, wlen, "bad host in", m, n);
	for (const char *p = colon + 1; p < m + n; p++) {
		if (*p < '0' || *p > '9' || port > 65535)
			return why_f(why, wlen, "bad port in", m, n);
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port == 0 || port > 65535)
		return why_f(why, wlen, "port out of range in", m, n);
	return 0;
}

int etcd_url_parse(const char *url, bool tls, char *endpoints, size_t elen, char *prefix,
		   size_t plen, char *why, size_t wlen)
{
	const char *hosts, *slash, *p;
	size_t used = 0, n_members = 0;
	int rc;

	if (strncmp(url, SCHEME, strlen(SCHEME)))
		return why_f(why, wlen, "expected etcd://HOST:PORT[,HOST:PORT...]/PREFIX, not", url,
			     strlen(url));
	hosts = url + strlen(SCHEME);
	slash = strchr(hosts, '/');
	if (!slash || slash == hosts)
		return why_f(why, wlen, "no member or no /PREFIX in", url, strlen(url));
	endpoints[0] = '\0';
	for (p = hosts; p < slash;) {
		const char *comma = memchr(p, ',', (size_t)(slash - p));
		size_t n = comma ? (size_t)(comma - p) : (size_t)(slash - p);
		int w;

		rc = member(p, n, why, wlen);
		if (rc)
			return rc;
		if (++n_members > 16)
			return why_f(why, wlen, "more than 16 members in", url, strlen(url));
		w = snprintf(endpoints + used, elen - used, "%s%s://%.*s", used ? "," : "",
			     tls ? "https" : "http", (int)n, p);
		if (w < 0 || (size_t)w >= elen - used)
			return why_f(why, wlen, "too many members in", url, strlen(url));
		used += (size_t)w;
		p += n + (comma ? 1 : 0);
		if (comma && p == slash)
			return why_f(why, wlen, "an empty member in", url, strlen(url));
	}
	while (*slash == '/')
		slash++;
	if (!*slash)
		return why_f(why, wlen, "no PREFIX after the members in", url, strlen(url));
	for (p = slash; *p; p++)
		if (!prefix_char(*p))
			return why_f(why, wlen, "bad character in the prefix of", url, strlen(url));
	rc = snprintf(prefix, plen, "/%s", slash);
	if (rc < 0 || (size_t)rc + 2 > plen)
		return why_f(why, wlen, "prefix too long in", url, strlen(url));
	while (rc > 1 && prefix[rc - 1] == '/') /* exactly one trailing slash */
		prefix[--rc] = '\0';
	if (strstr(prefix, "//"))
		return why_f(why, wlen, "an empty path element in the prefix of", url, strlen(url));
	strcat(prefix, "/");
	return 0;
}
