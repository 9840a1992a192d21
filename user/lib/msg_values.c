// SPDX-License-Identifier: BSD-2-Clause
/*
 * Value rules of the RSIP codec that both directions enforce. Keeping them in
 * one place is what makes "rsip_encode succeeded" imply "rsip_decode accepts
 * the bytes" (the fuzzer checks that property).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "msg_internal.h"

const char *rsip_addr_role_bad(const struct rsip_address *a, enum rsip_addr_role role)
{
	/* D16 / spec 6.1: a netmask only in the netmask slot of a network
	 * tuple, and that slot only holds a netmask. */
	if (role == RSIP_ROLE_TUPLE_MASK)
		return a->type == RSIP_ADDR_IPV4_NETMASK ? NULL : "netmask slot without a netmask";
	if (a->type == RSIP_ADDR_IPV4_NETMASK)
		return "netmask Addrtype outside the netmask slot";

	switch (role) {
	case RSIP_ROLE_LOCAL:
		/* RFC 3103 8.1: a host may not ask for an FQDN local address,
		 * and a gateway has no FQDN to grant. */
		if (a->type == RSIP_ADDR_FQDN)
			return "FQDN as local address";
		break;
	case RSIP_ROLE_ENDPOINT:
		/* D8: a tunnel endpoint must be a real place to send to. */
		if (a->any)
			return "\"don't care\" tunnel endpoint";
		break;
	case RSIP_ROLE_TUPLE_NET:
		/* The only netmask Addrtype is IPv4 (spec 3.1), so a network
		 * must be IPv4 too; RFC 3103 9.14.3 also rules out FQDN. */
		if (a->type != RSIP_ADDR_IPV4)
			return "QUERY network is not IPv4";
		break;
	default:
		break;
	}
	return NULL;
}

const char *rsip_ports_role_bad(const struct rsip_ports *p, uint8_t type)
{
	/* "Don't need" exists only in RFC 3104's messages (D8). */
	if (p->form == RSIP_PORTS_NOT_NEEDED && type != RSIP_ASSIGN_REQUEST_RSIPSEC &&
	    type != RSIP_ASSIGN_RESPONSE_RSIPSEC)
		return "\"don't need\" Ports outside ASSIGN_*_RSIPSEC";
	return NULL;
}

bool rsip_indicator_is_network(uint8_t indicator)
{
	return indicator == RSIP_IND_LOCAL_NETWORK || indicator == RSIP_IND_REMOTE_NETWORK;
}

const char *rsip_indicator_bad(uint8_t indicator, uint8_t type)
{
	uint8_t max = type == RSIP_QUERY_RESPONSE ? RSIP_IND_REMOTE_NETWORK : RSIP_IND_NETWORK;

	if (indicator < 1 || indicator > max)
		return "Indicator value not defined for this message";
	return NULL;
}

bool rsip_fqdn_ok(const char *name, size_t len)
{
	size_t i;

	if (len < 1 || len > RSIP_MAX_FQDN)
		return false;
	/* Printable ASCII without space: rules out the NUL that would cut
	 * the C string short and anything that could garble a log line. */
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x21 || (unsigned char)name[i] > 0x7e)
			return false;
	return true;
}

bool rsip_netmask_ok(struct in_addr mask)
{
	uint32_t host = ~ntohl(mask.s_addr);

	/* Contiguous: the host part is 0...01...1. */
	return (host & (host + 1)) == 0;
}

bool rsip_flow_ok(uint8_t local, uint8_t remote)
{
	/* Local policy has no "no policy" value (spec 3.9). */
	return (local == RSIP_FLOW_MACRO || local == RSIP_FLOW_MICRO) &&
	       (remote >= RSIP_FLOW_MACRO && remote <= RSIP_FLOW_NONE);
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

bool rsip_ports_distinct_nonzero(const struct rsip_ports *p)
{
	uint16_t sorted[RSIP_MAX_PORTS];
	size_t i, n = p->number;

	for (i = 0; i < n; i++)
		sorted[i] = rsip_ports_at(p, (unsigned int)i);
	qsort(sorted, n, sizeof(*sorted), cmp_u16);
	for (i = 0; i < n; i++)
		if (sorted[i] == 0 || (i > 0 && sorted[i] == sorted[i - 1]))
			return false;
	return true;
}

bool rsip_spis_distinct_nonzero(const struct rsip_spi *s)
{
	uint32_t sorted[RSIP_MAX_SPI_LIST];
	size_t i, n = s->number;

	if (n > RSIP_MAX_SPI_LIST)
		return false;
	for (i = 0; i < n; i++)
		sorted[i] = rsip_spi_at(s, (unsigned int)i);
	qsort(sorted, n, sizeof(*sorted), cmp_u32);
	for (i = 0; i < n; i++)
		if (sorted[i] == 0 || (i > 0 && sorted[i] == sorted[i - 1]))
			return false;
	return true;
}
