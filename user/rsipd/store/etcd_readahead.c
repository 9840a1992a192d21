// SPDX-License-Identifier: BSD-2-Clause
/*
 * A paged range read's next page, asked for before the current page is
 * applied (etcd_internal.h): while rsipd restores 1,000 records, etcd
 * serves the next 1,000 instead of waiting for the request. Its own curl
 * easy handle (its own connection, kept for the whole read) in a multi
 * handle, so that starting it and letting it progress never block; the
 * synchronous connection (struct etcd's) stays free for whatever the
 * callbacks ask of etcd meanwhile. Failover and error words are left to
 * etcd_call: an answer that is not a clean one is dropped and the caller
 * asks for that page again the ordinary way (range reads are idempotent).
 */
#include <stdlib.h>
#include <string.h>

#include "etcd_internal.h"

struct etcd_readahead {
	struct etcd *e;
	CURLM *multi;
	CURL *h;
	struct curl_slist *hdrs;
	char *req; /* the request body, alive while the transfer is */
	bool running;
	struct etcd_buf body;
};

struct etcd_readahead *etcd_readahead_new(struct etcd *e)
{
	struct etcd_readahead *ra = calloc(1, sizeof(*ra));
	if (!ra)
		return NULL;
	ra->e = e;
	ra->multi = curl_multi_init();
	ra->h = curl_easy_init();
	if (!ra->multi || !ra->h) {
		etcd_readahead_free(ra);
		return NULL;
	}
	return ra;
}

static void stop(struct etcd_readahead *ra)
{
	if (ra->running)
		curl_multi_remove_handle(ra->multi, ra->h);
	ra->running = false;
	curl_slist_free_all(ra->hdrs);
	ra->hdrs = NULL;
	free(ra->req);
	ra->req = NULL;
}

void etcd_readahead_free(struct etcd_readahead *ra)
{
	if (!ra)
		return;
	stop(ra);
	if (ra->h)
		curl_easy_cleanup(ra->h);
	if (ra->multi)
		curl_multi_cleanup(ra->multi);
	free(ra->body.p);
	free(ra);
}

bool etcd_readahead_start(struct etcd_readahead *ra, const char *path, json_object *req)
{
	const char *json = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	char url[512];
	stop(ra);
	/* Reset keeps the connection: every page after the second reuses it. */
	curl_easy_reset(ra->h);
	ra->req = json ? strdup(json) : NULL;
	if (!ra->req || etcd_curl_common(ra->e, ra->h, &ra->hdrs) < 0) {
		stop(ra);
		return false;
	}
	snprintf(url, sizeof(url), "%s%s", ra->e->ep[ra->e->cur], path);
	curl_easy_setopt(ra->h, CURLOPT_URL, url);
	/* From the start of the request: a page that takes longer than one
	 * request may (the records before it applied slowly) is asked again. */
	curl_easy_setopt(ra->h, CURLOPT_TIMEOUT_MS, (long)ra->e->cfg.timeout_ms);
	curl_easy_setopt(ra->h, CURLOPT_POSTFIELDS, ra->req);
	curl_easy_setopt(ra->h, CURLOPT_WRITEFUNCTION, etcd_buf_write);
	curl_easy_setopt(ra->h, CURLOPT_WRITEDATA, &ra->body);
	ra->body.len = 0;
	if (curl_multi_add_handle(ra->multi, ra->h) != CURLM_OK) {
		stop(ra);
		return false;
	}
	ra->running = true;
	etcd_readahead_pump(ra); /* connect and send now */
	return true;
}

void etcd_readahead_pump(struct etcd_readahead *ra)
{
	int running;
	if (ra->running)
		curl_multi_perform(ra->multi, &running);
}

json_object *etcd_readahead_take(struct etcd_readahead *ra)
{
	CURLcode result = CURLE_OK;
	bool done = false;
	json_object *resp = NULL, *err;
	while (ra->running && !done) {
		int running, left;
		CURLMsg *m;
		curl_multi_perform(ra->multi, &running);
		while ((m = curl_multi_info_read(ra->multi, &left)))
			if (m->msg == CURLMSG_DONE && m->easy_handle == ra->h) {
				result = m->data.result;
				done = true;
			}
		/* The handle's timeout ends the transfer: this loop is bounded. */
		if (!done)
			curl_multi_poll(ra->multi, NULL, 0, 100, NULL);
	}
	if (done && result == CURLE_OK && ra->body.len)
		resp = json_tokener_parse(ra->body.p);
	stop(ra);
	if (resp && (!json_object_is_type(resp, json_type_object) ||
		     json_object_object_get_ex(resp, "error", &err))) {
		json_object_put(resp);
		resp = NULL;
	}
	return resp;
}
