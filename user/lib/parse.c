// SPDX-License-Identifier: BSD-2-Clause
#include "parse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int base = 10;

	if (!s || !*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		if (!isxdigit((unsigned char)s[2]))
			return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;

	if (parse_u64(s, UINT32_MAX, &v))
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int parse_u16(const char *s, uint16_t *out)
{
	uint64_t v;

	if (parse_u64(s, UINT16_MAX, &v))
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

int parse_range(const char *s, uint64_t max, uint64_t *lo, uint64_t *hi)
{
	char buf[64];
	const char *dash;
	uint64_t a, b;

	if (!s)
		return -EINVAL;
	dash = strchr(s, '-');
	if (!dash || (size_t)(dash - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = '\0';
	if (parse_u64(buf, max, &a) || parse_u64(dash + 1, max, &b) || a > b)
		return -EINVAL;
	*lo = a;
	*hi = b;
	return 0;
}

int parse_ipv4(const char *s, struct in_addr *out)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = a;
	return 0;
}

static uint32_t prefix_mask(uint8_t len)
{
	return len ? htonl(~0u << (32 - len)) : 0;
}

int parse_cidr(const char *s, struct in_addr *net, uint8_t *len)
{
	char buf[INET_ADDRSTRLEN + 4];
	const char *slash;
	struct in_addr a;
	uint64_t l = 32;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(s, '/');
	if (slash) {
		buf[slash - s] = '\0';
		if (parse_u64(slash + 1, 32, &l))
			return -EINVAL;
	}
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -EINVAL;
	if (a.s_addr & ~prefix_mask((uint8_t)l))
		return -EINVAL;
	*net = a;
	*len = (uint8_t)l;
	return 0;
}

int parse_addr_port(const char *s, struct in_addr *addr, uint16_t *port)
{
	char buf[INET_ADDRSTRLEN + 8];
	const char *colon;
	struct in_addr a;
	uint16_t p;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	colon = strchr(s, ':');
	if (colon) {
		buf[colon - s] = '\0';
		if (parse_u16(colon + 1, &p) || p == 0)
			return -EINVAL;
	}
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -EINVAL;
	*addr = a;
	if (colon)
		*port = p;
	return 0;
}

bool cidr_contains(struct in_addr net, uint8_t len, struct in_addr addr)
{
	return (addr.s_addr & prefix_mask(len)) == net.s_addr;
}
