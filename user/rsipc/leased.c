// SPDX-License-Identifier: BSD-2-Clause
/* The lease rule for the raw-socket receiver (leased.h). */
#include <arpa/inet.h>
#include <string.h>

#include "leased.h"

#define HOST_ENV		    const struct leased
#define HOST_PORT_LEASED(env, port) leased_has_port(env, ntohs(port))
#include "rsip/rules/host.h"

void leased_init(struct leased *l, const struct rsipc_tc_cfg *cfg)
{
	memset(l, 0, sizeof(*l));
	l->cfg = *cfg;
}

void leased_add_port(struct leased *l, uint16_t port)
{
	l->ports[port / 64] |= 1ull << (port % 64);
}

bool leased_has_port(const struct leased *l, uint16_t port)
{
	return l->ports[port / 64] >> (port % 64) & 1;
}

bool leased_inner(const struct leased *l, const uint8_t *pkt, size_t len)
{
	struct host_inner hi = {0};
	size_t hlen;

	if (len < 20)
		return false;
	hlen = (size_t)(pkt[0] & 0x0f) * 4;
	if (hlen < 20 || hlen > len)
		return false;
	hi.protocol = pkt[9];
	memcpy(&hi.frag_off, pkt + 6, sizeof(hi.frag_off));
	/* Shorter than 8 bytes of L4: the missing bytes stay 0, which is no
	 * leased port and no SPI of the block (>= 256, spec D13). */
	memcpy(hi.l4, pkt + hlen, len - hlen < sizeof(hi.l4) ? len - hlen : sizeof(hi.l4));
	return host_leased(l, &l->cfg, &hi);
}
