// SPDX-License-Identifier: BSD-2-Clause
/* rsipc tunnel packet checks and decapsulation (see encap.h). */
#include <netinet/ip.h>
#include <string.h>

#include "be.h"
#include "encap.h"
#include "rsip/wire.h"

#define GRE_FLAG_C     0x8000 /* checksum present (RFC 2784) */
#define GRE_FLAG_K     0x2000 /* key present (RFC 2890) */
#define GRE_FLAG_S     0x1000 /* sequence number present (RFC 2890) */
#define GRE_PROTO_IPV4 0x0800

static const char *const verdict_names[ENCAP_N_VERDICTS] = {
    [ENCAP_OK] = "ok",
    [ENCAP_SHORT] = "short",
    [ENCAP_NOT_IPV4] = "not_ipv4",
    [ENCAP_BAD_HEADER] = "bad_header",
    [ENCAP_WRONG_PROTO] = "wrong_proto",
    [ENCAP_WRONG_SOURCE] = "wrong_source",
    [ENCAP_FRAGMENT] = "fragment",
    [ENCAP_BAD_GRE] = "bad_gre",
    [ENCAP_INNER_NOT_IPV4] = "inner_not_ipv4",
    [ENCAP_INNER_NOT_OURS] = "inner_not_ours",
    [ENCAP_NOT_FROM_NB] = "not_from_nb",
    [ENCAP_UNLEASED] = "unleased",
};

const char *encap_verdict_name(int v)
{
	if (v < 0 || v >= ENCAP_N_VERDICTS)
		return "unknown";
	return verdict_names[v];
}

unsigned int encap_overhead(uint8_t tunnel)
{
	return tunnel == RSIP_TUNNEL_GRE ? GRE_OVERHEAD : IPIP_OVERHEAD;
}

uint8_t encap_ip_proto(uint8_t tunnel)
{
	return tunnel == RSIP_TUNNEL_GRE ? IPPROTO_GRE : IPPROTO_IPIP;
}

void encap_gre_header(uint8_t hdr[GRE_HDR_LEN])
{
	hdr[0] = 0;
	hdr[1] = 0; /* no flags, version 0 */
	hdr[2] = GRE_PROTO_IPV4 >> 8;
	hdr[3] = GRE_PROTO_IPV4 & 0xff;
}

/* Check an IPv4 header at pkt; return its header length and the packet's
 * total length through the pointers. */
static int check_ipv4(const uint8_t *pkt, size_t len, size_t *hlen, size_t *tot)
{
	if (len < sizeof(struct iphdr))
		return ENCAP_SHORT;
	if (pkt[0] >> 4 != 4)
		return ENCAP_NOT_IPV4;
	*hlen = (size_t)(pkt[0] & 0x0f) * 4;
	*tot = be16_get(pkt + 2);
	if (*hlen < sizeof(struct iphdr) || *tot < *hlen)
		return ENCAP_BAD_HEADER;
	if (*tot > len)
		return ENCAP_SHORT;
	return ENCAP_OK;
}

int encap_check_outbound(const uint8_t *pkt, size_t len, struct in_addr nb)
{
	size_t hlen, tot;
	int v = check_ipv4(pkt, len, &hlen, &tot);

	if (v)
		return v;
	if (memcmp(pkt + 12, &nb.s_addr, 4))
		return ENCAP_NOT_FROM_NB;
	return ENCAP_OK;
}

int encap_decap(const uint8_t *pkt, size_t len, uint8_t tunnel, struct in_addr endpoint,
		struct in_addr nb, size_t *off, size_t *inner_len)
{
	size_t hlen, tot, pos, ihlen, itot;
	uint16_t flags;
	int v;

	v = check_ipv4(pkt, len, &hlen, &tot);
	if (v)
		return v;
	if (pkt[9] != encap_ip_proto(tunnel))
		return ENCAP_WRONG_PROTO;
	if (memcmp(pkt + 12, &endpoint.s_addr, 4))
		return ENCAP_WRONG_SOURCE;
	if (be16_get(pkt + 6) & 0x3fff) /* MF or a fragment offset */
		return ENCAP_FRAGMENT;
	pos = hlen;
	if (tunnel == RSIP_TUNNEL_GRE) {
		if (tot - pos < GRE_HDR_LEN)
			return ENCAP_SHORT;
		flags = be16_get(pkt + pos);
		/* Only C, K and S may be set (RFC 2784/2890); the routing bit,
		 * the other reserved bits and any version but 0 mean a GRE we
		 * do not speak. */
		if (flags & ~(GRE_FLAG_C | GRE_FLAG_K | GRE_FLAG_S))
			return ENCAP_BAD_GRE;
		if (be16_get(pkt + pos + 2) != GRE_PROTO_IPV4)
			return ENCAP_BAD_GRE;
		pos += GRE_HDR_LEN;
		pos += (flags & GRE_FLAG_C) ? 4 : 0;
		pos += (flags & GRE_FLAG_K) ? 4 : 0;
		pos += (flags & GRE_FLAG_S) ? 4 : 0;
		if (pos > tot)
			return ENCAP_SHORT;
	}
	v = check_ipv4(pkt + pos, tot - pos, &ihlen, &itot);
	if (v == ENCAP_NOT_IPV4 || v == ENCAP_BAD_HEADER)
		return ENCAP_INNER_NOT_IPV4;
	if (v)
		return v;
	if (memcmp(pkt + pos + 16, &nb.s_addr, 4))
		return ENCAP_INNER_NOT_OURS;
	*off = pos;
	*inner_len = itot;
	return ENCAP_OK;
}

/* RFC 1071 one's complement sum of len bytes, not folded. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += be16_get(p + i);
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

bool encap_partial_csum(const uint8_t *pkt, size_t len, struct encap_csum *c)
{
	size_t hlen, tot, l4len;
	uint32_t pseudo;
	uint16_t off;

	if (check_ipv4(pkt, len, &hlen, &tot) || be16_get(pkt + 6) & 0x3fff)
		return false;
	switch (pkt[9]) {
	case IPPROTO_TCP:
		off = 16;
		break;
	case IPPROTO_UDP:
		off = 6;
		break;
	default:
		return false;
	}
	l4len = tot - hlen;
	if (l4len < (size_t)off + 2u)
		return false;
	pseudo = sum16(pkt + 12, 8, pkt[9] + (uint32_t)l4len);
	if (be16_get(pkt + hlen + off) != fold(pseudo))
		return false;
	c->start = (uint16_t)hlen;
	c->offset = off;
	return true;
}

void encap_csum_complete(uint8_t *pkt, size_t len, const struct encap_csum *c)
{
	uint8_t *field = pkt + c->start + c->offset;
	uint16_t csum = (uint16_t)~fold(sum16(pkt + c->start, len - c->start, 0));

	/* The field's pseudo-header sum is part of the sum above. UDP sends
	 * a computed 0 as 0xffff (RFC 768). */
	if (!csum && c->offset == 6)
		csum = 0xffff;
	field[0] = (uint8_t)(csum >> 8);
	field[1] = (uint8_t)csum;
}

bool encap_l4_csum_valid(const uint8_t *ip, size_t len)
{
	size_t hlen = (size_t)(ip[0] & 0x0f) * 4;

	/* The pseudo-header, then the L4 header and payload with the field
	 * as sent: a correct checksum makes the whole sum 0xffff. */
	return hlen < len &&
	       fold(sum16(ip + hlen, len - hlen,
			  sum16(ip + 12, 8, ip[9] + (uint32_t)(len - hlen)))) == 0xffff;
}

uint16_t encap_pseudo_sum(const uint8_t *ip, size_t l4len)
{
	return fold(sum16(ip + 12, 8, ip[9] + (uint32_t)l4len));
}

void encap_ip_csum_set(uint8_t *ip)
{
	size_t hlen = (size_t)(ip[0] & 0x0f) * 4;
	uint16_t csum;

	ip[10] = ip[11] = 0;
	csum = (uint16_t)~fold(sum16(ip, hlen, 0));
	ip[10] = (uint8_t)(csum >> 8);
	ip[11] = (uint8_t)csum;
}
