// SPDX-License-Identifier: BSD-2-Clause
/*
 * What every curl connection to a member has in common (etcd_internal.h):
 * its options and the buffer an answer is received into. Used by the
 * request connection (etcd_client.c), the read-ahead (etcd_readahead.c)
 * and the watch stream (etcd_watch.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "etcd_internal.h"

int etcd_curl_common(const struct etcd *e, CURL *h, struct curl_slist **hdrs)
{
	*hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	if (!*hdrs)
		return -ENOMEM;
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)e->cfg.connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	if (e->cfg.cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, e->cfg.cacert);
	if (e->cfg.cert) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, e->cfg.cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, e->cfg.key);
	}
	return 0;
}

size_t etcd_buf_write(char *p, size_t size, size_t n, void *arg)
{
	struct etcd_buf *b = arg;
	size_t len = size * n;
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len + 1)
			cap *= 2;
		if (cap > ETCD_MAX_ANSWER)
			return 0; /* curl fails the transfer: CURLE_WRITE_ERROR */
		char *np = realloc(b->p, cap);
		if (!np)
			return 0;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = '\0';
	return len;
}
