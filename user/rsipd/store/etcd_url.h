/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The cluster store's URL (rsipd --store): etcd://HOST:PORT[,HOST:PORT...]/PREFIX
 * names the etcd members and the key prefix this cluster's gateways share.
 * Members are spoken to over https when tls is set (a CA or a client
 * certificate was given), else http.
 */
#ifndef RSIPD_ETCD_URL_H
#define RSIPD_ETCD_URL_H

#include <stdbool.h>
#include <stddef.h>

#define ETCD_URL_PREFIX_MAX 96

/* endpoints gets "SCHEME://HOST:PORT,..." for etcd_cfg.endpoints, prefix
 * "/PREFIX/" (one leading and one trailing slash). 0, or -EINVAL with what
 * is wrong in why. */
int etcd_url_parse(const char *url, bool tls, char *endpoints, size_t elen, char *prefix,
		   size_t plen, char *why, size_t wlen);

#endif
