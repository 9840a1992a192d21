/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The ISAKMP (RFC 2408) / IKEv2 (RFC 7296) header and which of its two SPIs
 * (cookies) belongs to the RSIP client.
 *
 * IKEv1 (RFC 3104 section 4): the key is the initiator cookie, whoever
 * initiated: the client's when it started the exchange; the peer's when the
 * peer started a new Main Mode (a re-authentication), which reaches the
 * client by the peer entry (rules/wan.h) and is learned from its answer.
 * IKEv2: SPIi belongs to the original initiator of the IKE SA and the I flag
 * says whether the sender is that initiator. The client's own SPI is SPIi
 * when the client initiated and SPIr when it responded, e.g. after the peer
 * rekeyed the IKE SA (the peer is then the initiator of the new SA). Seen
 * from the peer's side the I flag is the peer's, so the rule flips.
 */
#ifndef RSIP_RULES_IKE_H
#define RSIP_RULES_IKE_H

#include "rsip/rules/env.h"

#define IKE_PORT	   500
#define IKE_NATT_PORT	   4500
#define IKE_FLAG_I	   0x08 /* IKEv2: sender is the original initiator */
#define NATT_KEEPALIVE	   0xff
#define NON_ESP_MARKER_LEN 4	/* RFC 3948: four zero bytes before IKE on 4500 */
#define IKEV1_FLAG_E	   0x01 /* IKEv1: the payloads after the header are encrypted */
#define IKEV2_PAYLOAD_SK   46	/* IKEv2 Encrypted and Authenticated (RFC 7296 3.14) */
#define IKEV2_PAYLOAD_SKF  53	/* ... its fragment (RFC 7383) */

struct ike_hdr {
	__u8 spi_i[8]; /* IKEv1 initiator cookie */
	__u8 spi_r[8]; /* IKEv1 responder cookie */
	__u8 next_payload;
	__u8 version; /* major << 4 | minor */
	__u8 exchange;
	__u8 flags;
	__be32 msg_id;
	__be32 length;
};
_Static_assert(sizeof(struct ike_hdr) == 28, "ISAKMP header");

static __always_inline int ike_major(const struct ike_hdr *h)
{
	return h->version >> 4;
}

/*
 * Copies the client's cookie into out: from a packet the peer sent
 * (from_client false) or one the client sent. -1 for an unknown version.
 * Both SPIs are loaded and the value selected: selecting between the two
 * pointers lets clang 14 turn the choice into a variable packet offset that
 * the verifier no longer bounds.
 */
static __always_inline int ike_client_cookie(const struct ike_hdr *h, bool from_client, __u8 *out)
{
	__u64 spi_i, spi_r;
	bool initiator;

	__builtin_memcpy(&spi_i, h->spi_i, sizeof(spi_i));
	__builtin_memcpy(&spi_r, h->spi_r, sizeof(spi_r));
	switch (ike_major(h)) {
	case 1:
		__builtin_memcpy(out, &spi_i, sizeof(spi_i));
		return 0;
	case 2:
		/* I flag: the sender is the original initiator. */
		initiator = (h->flags & IKE_FLAG_I) != 0;
		if (initiator == from_client)
			__builtin_memcpy(out, &spi_i, sizeof(spi_i));
		else
			__builtin_memcpy(out, &spi_r, sizeof(spi_r));
		return 0;
	}
	return -1;
}

/*
 * A protected message: only an end of the IKE SA could have written it
 * (IKEv2: the first payload is SK or SKF; IKEv1: the encryption flag). An
 * IKE_SA_INIT, a Main Mode's first four messages or an INVALID_IKE_SPI
 * notification are not: anyone could send them, so a fan-out never learns
 * from them (rules/lan.h).
 */
static __always_inline bool ike_protected(const struct ike_hdr *h)
{
	switch (ike_major(h)) {
	case 1:
		return (h->flags & IKEV1_FLAG_E) != 0;
	case 2:
		return h->next_payload == IKEV2_PAYLOAD_SK || h->next_payload == IKEV2_PAYLOAD_SKF;
	}
	return false;
}

/* RFC 3948 2.3: a NAT-keepalive is one 0xff byte of UDP payload (the
 * caller checked that payload[0] is there). */
static __always_inline bool natt_is_keepalive(const struct udphdr *udp, const __u8 *payload)
{
	return udp->len == bpf_htons(sizeof(*udp) + 1) && payload[0] == NATT_KEEPALIVE;
}

static __always_inline bool cookie_is_zero(const __u8 *c)
{
	__u64 v;

	__builtin_memcpy(&v, c, sizeof(v));
	return v == 0;
}

#endif
