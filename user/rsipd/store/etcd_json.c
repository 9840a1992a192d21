// SPDX-License-Identifier: BSD-2-Clause
/*
 * The etcd JSON gateway's encoding: proto3 JSON, so 64-bit integers travel
 * as strings, zero values are left out, and bytes (keys, values) are
 * base64. Base64 is OpenSSL's (libcrypto is already there for libcurl's
 * TLS): EVP_DecodeBlock counts padding as decoded zero bytes, which is
 * corrected here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "etcd_internal.h"

json_object *etcd_b64_json(const void *p, size_t n)
{
	if (n > (size_t)INT32_MAX / 2)
		return NULL;
	size_t cap = 4 * ((n + 2) / 3) + 1;
	unsigned char *out = malloc(cap);
	if (!out)
		return NULL;
	int len = EVP_EncodeBlock(out, p, (int)n);
	json_object *s = json_object_new_string_len((const char *)out, len);
	free(out);
	return s;
}

char *etcd_unb64(const char *s, size_t *n)
{
	size_t len = s ? strlen(s) : 0;
	if (len % 4 != 0 || len > (size_t)INT32_MAX)
		return NULL;
	unsigned char *out = malloc(len / 4 * 3 + 1);
	if (!out)
		return NULL;
	int got = len ? EVP_DecodeBlock(out, (const unsigned char *)s, (int)len) : 0;
	if (got < 0) {
		free(out);
		return NULL;
	}
	size_t pad = 0;
	if (len >= 1 && s[len - 1] == '=')
		pad++;
	if (len >= 2 && s[len - 2] == '=')
		pad++;
	*n = (size_t)got - pad;
	out[*n] = '\0';
	return (char *)out;
}

int64_t etcd_json_i64(json_object *o, const char *field)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, field, &v))
		return 0;
	if (json_object_is_type(v, json_type_string))
		return strtoll(json_object_get_string(v), NULL, 10);
	return json_object_get_int64(v);
}

int etcd_json_kv(json_object *o, struct etcd_kv *kv, char **kbuf, char **vbuf)
{
	json_object *k, *v = NULL;
	*kbuf = *vbuf = NULL;
	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "key", &k) ||
	    !json_object_is_type(k, json_type_string))
		return -EPROTO;
	json_object_object_get_ex(o, "value", &v);
	size_t kl, vl;
	*kbuf = etcd_unb64(json_object_get_string(k), &kl);
	*vbuf = etcd_unb64(v ? json_object_get_string(v) : NULL, &vl);
	if (!*kbuf || !*vbuf) {
		free(*kbuf);
		free(*vbuf);
		*kbuf = *vbuf = NULL;
		return -EPROTO;
	}
	*kv = (struct etcd_kv){
	    .key = *kbuf,
	    .key_len = kl,
	    .value = *vbuf,
	    .value_len = vl,
	    .create_rev = etcd_json_i64(o, "create_revision"),
	    .mod_rev = etcd_json_i64(o, "mod_revision"),
	    .version = etcd_json_i64(o, "version"),
	    .lease = etcd_json_i64(o, "lease"),
	};
	return 0;
}

void etcd_prefix_end(const char *prefix, char *end, size_t endlen)
{
	/* etcd's rule: the prefix with its last byte below 0xff incremented
	 * and what follows dropped; all 0xff (or empty): "\0", every key. */
	size_t n = strlen(prefix);
	if (n >= endlen)
		n = endlen - 1;
	memcpy(end, prefix, n);
	while (n > 0) {
		unsigned char c = (unsigned char)end[n - 1];
		if (c < 0xff) {
			end[n - 1] = (char)(c + 1);
			end[n] = '\0';
			return;
		}
		n--;
	}
	end[0] = '\0';
}
