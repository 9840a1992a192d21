/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Parsers for command-line and config values. Each returns 0 or -EINVAL and
 * leaves its output untouched on error, so a caller can name the bad value.
 * Numbers are decimal or 0x-prefixed hex; no sign, no trailing junk.
 */
#ifndef RSIP_PARSE_H
#define RSIP_PARSE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

int parse_u64(const char *s, uint64_t max, uint64_t *out);
int parse_u32(const char *s, uint32_t *out);
int parse_u16(const char *s, uint16_t *out);
/* "LO-HI" with LO <= HI, each a number as above, both <= max. */
int parse_range(const char *s, uint64_t max, uint64_t *lo, uint64_t *hi);
int parse_ipv4(const char *s, struct in_addr *out);
/* "A.B.C.D/LEN" (LEN 0-32, default 32); host bits must be zero. */
int parse_cidr(const char *s, struct in_addr *net, uint8_t *len);
/* "A.B.C.D[:PORT]"; *port is left alone when no port is given. */
int parse_addr_port(const char *s, struct in_addr *addr, uint16_t *port);
/* true when addr lies in net/len (all network order). */
bool cidr_contains(struct in_addr net, uint8_t len, struct in_addr addr);

#endif
