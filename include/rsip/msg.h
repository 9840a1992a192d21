/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * RSIP messages, decoded: the codec (user/lib/msg_*.c) turns bytes into a
 * struct rsip_msg and back. The struct holds every parameter by its ROLE (the
 * first Address of an ASSIGN is the local one, the second the remote one, a
 * third in a response is the tunnel endpoint), so the daemon and the client
 * library never see TLV positions.
 *
 * Decoding checks, in this order (spec section 6.1): framing (207), version
 * (106), message type (206), the TLV walk (207 overrun, 204 unknown code, 205
 * bad value), then the message's grammar (201 missing or out of order, 202
 * duplicate, 203 extra). Policy checks (105 over UDP, 206 for a response type
 * sent by a host, D13's SPI 1-255, ...) belong to the receiver.
 *
 * The decoder never reads past len, whatever the bytes.
 */
#ifndef RSIP_MSG_H
#define RSIP_MSG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rsip/wire.h"

#define RSIP_MAX_FQDN	  255  /* DNS limit; a longer FQDN is 205 BAD_PARAM */
#define RSIP_MAX_PORTS	  255  /* Number is one byte */
#define RSIP_MAX_SPI_LIST 1022 /* >= the 1021 that fit in RSIP_MAX_MSG */
#define RSIP_MAX_TUPLES	  64   /* QUERY tuples; more is 207 BAD_MESSAGE */
#define RSIP_MAX_VENDOR	  16   /* Vendor Specific params kept; more are skipped */
#define RSIP_MAX_METHODS  8    /* REGISTER_RESPONSE [RSIP Method]...; more is 207 */
#define RSIP_MAX_TUNNELS  8    /* [Tunnel Type]...; more is 207 */

/*
 * Variable-length values (an FQDN, a Ports or SPI list, Vendor Specific data)
 * are not copied into the struct: a decoded message points into the buffer it
 * was decoded from, so that buffer must outlive the message; a sender points
 * them at its own storage, which must live until rsip_encode. That keeps
 * struct rsip_msg small (a _Static_assert below holds it to 4 KB) and a decode
 * touches only the bytes the message really has.
 */

struct rsip_address {
	uint8_t type; /* enum rsip_addr_type */
	/* "Don't care": the Length-1 form, or an all-zero IPv4/IPv6 address
	 * (decision D5). When set, the address bytes are zero. */
	bool any;
	uint16_t fqdn_len;
	union {
		struct in_addr v4; /* IPV4 and IPV4_NETMASK, network order */
		struct in6_addr v6;
		/* FQDN: fqdn_len printable characters, NOT NUL-terminated
		 * (decoded: inside the message; print with "%.*s"). */
		const char *fqdn;
	} u;
};

enum rsip_ports_form {
	RSIP_PORTS_UNSET = 0,
	RSIP_PORTS_RANGE,     /* Number k >= 1, one port: p .. p+k-1 (k = 1: single) */
	RSIP_PORTS_LIST,      /* Number k >= 2, k ports */
	RSIP_PORTS_ANY,	      /* "don't care", Number k >= 1 (Length 1, or k=1 port 0) */
	RSIP_PORTS_NOT_NEEDED /* RFC 3104 "don't need": Length 0 */
};

/* Ports. Read port i of any form with rsip_ports_at(); a sender sets a list
 * with rsip_ports_set(). */
struct rsip_ports {
	uint8_t form;	/* enum rsip_ports_form */
	uint8_t number; /* k */
	uint16_t first; /* RANGE: the first port, host order */
	/* LIST: exactly one of these is set. */
	const uint8_t *list_wire; /* decoded: k * 2 bytes, network order */
	const uint16_t *list;	  /* sent: the sender's k ports, host order */
};

enum rsip_spi_form {
	RSIP_SPI_UNSET = 0,
	RSIP_SPI_RANGE, /* Number k >= 1, one SPI: s .. s+k-1 (k = 1: single) */
	RSIP_SPI_LIST,	/* Number k >= 2, k SPIs */
	RSIP_SPI_ANY,	/* "don't care", Number k >= 1 (Length 2, or k=1 SPI 0) */
};

/* SPIs, the same way as ports: rsip_spi_at(), rsip_spi_set(). */
struct rsip_spi {
	uint8_t form; /* enum rsip_spi_form */
	uint16_t number;
	uint32_t first;		  /* RANGE: the first SPI, host order */
	const uint8_t *list_wire; /* decoded LIST: k * 4 bytes, network order */
	const uint32_t *list;	  /* sent LIST: the sender's k SPIs, host order */
};

struct rsip_tuple {
	uint8_t indicator;	  /* enum rsip_indicator */
	struct rsip_address addr; /* address, or network */
	struct rsip_address mask; /* network tuples only: IPV4_NETMASK */
};

struct rsip_vendor {
	uint16_t vendor_id;
	uint16_t subtype;
	uint16_t len;
	const uint8_t *data; /* decode: points into the decoded buffer */
};

/* Bits of rsip_msg.has: which single-valued fields are present. */
enum {
	RSIP_HAS_COUNTER = 1u << 0,
	RSIP_HAS_CLIENT_ID = 1u << 1,
	RSIP_HAS_BIND_ID = 1u << 2,
	RSIP_HAS_LEASE = 1u << 3,
	RSIP_HAS_ERROR = 1u << 4,
	RSIP_HAS_FLOW_POLICY = 1u << 5,
	RSIP_HAS_LOCAL_ADDR = 1u << 6,
	RSIP_HAS_LOCAL_PORTS = 1u << 7,
	RSIP_HAS_REMOTE_ADDR = 1u << 8,
	RSIP_HAS_REMOTE_PORTS = 1u << 9,
	RSIP_HAS_ENDPOINT = 1u << 10, /* Address (tunnel endpoint) */
	RSIP_HAS_SPI = 1u << 11,
};

struct rsip_msg {
	uint8_t version;
	uint8_t type; /* enum rsip_msg_type */
	uint32_t has; /* RSIP_HAS_* */

	uint32_t counter;
	uint32_t client_id;
	uint32_t bind_id;
	uint32_t lease; /* seconds */
	uint16_t error; /* enum rsip_error */
	uint8_t flow_local, flow_remote;

	uint8_t n_methods;
	uint8_t methods[RSIP_MAX_METHODS];
	uint8_t n_tunnels;
	uint8_t tunnels[RSIP_MAX_TUNNELS];

	struct rsip_address local_addr, remote_addr, endpoint;
	struct rsip_ports local_ports, remote_ports;
	struct rsip_spi spi;

	uint16_t n_tuples;
	uint16_t n_vendor;

	/* Counted slots: only the first n_tuples / n_vendor hold anything.
	 * rsip_msg_init and rsip_decode clear everything above this line and
	 * none of these (that would be most of the struct, for messages that
	 * mostly have none); fill them with rsip_msg_add_tuple/_vendor. */
	struct rsip_tuple tuples[RSIP_MAX_TUPLES];
	struct rsip_vendor vendor[RSIP_MAX_VENDOR];
};

_Static_assert(sizeof(struct rsip_msg) <= 4096, "struct rsip_msg is held to 4 KB");

/* What a failed decode could still tell the caller, so that it can answer
 * with an ERROR_RESPONSE carrying the request's counter and client ID. */
struct rsip_decode_err {
	uint16_t error;	  /* the RSIP error code; 0 on success */
	bool has_counter; /* a well-formed Message Counter was found */
	uint32_t counter;
	bool has_client_id;
	uint32_t client_id;
	uint8_t type; /* message type byte, if the header was readable */
	/* Over TCP the stream cannot be split any more (bad Overall Length):
	 * answer, then close the connection. */
	bool fatal;
	const char *why; /* static text for debug logs */
};

/* Start a message of the given type: zeroes every field but the counted
 * slots (n_tuples and n_vendor are 0), sets version and type. */
void rsip_msg_init(struct rsip_msg *m, uint8_t type);

/* The next QUERY tuple / Vendor Specific slot, zeroed and counted; NULL when
 * the message already holds RSIP_MAX_TUPLES / RSIP_MAX_VENDOR. */
struct rsip_tuple *rsip_msg_add_tuple(struct rsip_msg *m);
struct rsip_vendor *rsip_msg_add_vendor(struct rsip_msg *m);

/* The registration lease a REGISTER_REQUEST asks for (RSIP_VSUB_REGISTER_LEASE):
 * add it to m, its 4 bytes kept in buf, which must live as long as m does
 * (-ENOSPC when m has no Vendor Specific slot left); find it in a decoded
 * message (false when absent or not 4 bytes long). */
int rsip_msg_set_reg_lease(struct rsip_msg *m, uint8_t buf[4], uint32_t lease_s);
bool rsip_msg_reg_lease(const struct rsip_msg *m, uint32_t *lease_s);

/* Port i (0 <= i < number) of a RANGE or LIST; 0 for the other forms. */
static inline uint16_t rsip_ports_at(const struct rsip_ports *p, unsigned int i)
{
	if (p->form == RSIP_PORTS_RANGE)
		return (uint16_t)(p->first + i);
	if (p->form != RSIP_PORTS_LIST)
		return 0;
	if (p->list_wire)
		return (uint16_t)(p->list_wire[2 * i] << 8 | p->list_wire[2 * i + 1]);
	return p->list[i];
}

/* SPI i (0 <= i < number) of a RANGE or LIST; 0 for the other forms. */
static inline uint32_t rsip_spi_at(const struct rsip_spi *s, unsigned int i)
{
	const uint8_t *b;

	if (s->form == RSIP_SPI_RANGE)
		return s->first + i;
	if (s->form != RSIP_SPI_LIST)
		return 0;
	if (!s->list_wire)
		return s->list[i];
	b = s->list_wire + 4 * i;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* A sender's k ports / SPIs: a RANGE when they follow each other, else a
 * LIST pointing at v (which must live until rsip_encode). */
void rsip_ports_set(struct rsip_ports *p, const uint16_t *v, uint8_t k);
void rsip_spi_set(struct rsip_spi *s, const uint32_t *v, uint16_t k);

/* Decode one whole message of exactly len bytes (a UDP datagram, or one
 * message cut out of a TCP stream with rsip_frame_len). Returns 0, or the
 * RSIP error code (also in err->error). m's vendor data points into buf.
 * err may be NULL. On error m holds nothing reliable; err carries what could
 * be salvaged. Decisions: docs/decisions-codec.md. */
int rsip_decode(const uint8_t *buf, size_t len, struct rsip_msg *m, struct rsip_decode_err *err);

/* Encode m in its grammar's canonical order ("don't care" in the canonical
 * Length-1/Length-2 forms, Indicator as 2 bytes per D6). Returns the number of
 * bytes written, -ENOSPC when cap is too small, -EINVAL when m lacks a
 * required field or holds a value the grammar does not allow, -EMSGSIZE when
 * the message would exceed RSIP_MAX_MSG (our receivers refuse it, D2).
 * Whatever it writes, rsip_decode accepts. */
ssize_t rsip_encode(const struct rsip_msg *m, uint8_t *buf, size_t cap);

/* TCP framing: given the first len bytes of the stream, return the Overall
 * Length of the next message (>= RSIP_HDR_LEN), 0 when fewer than 4 bytes are
 * buffered, or -1 when Overall Length is below 4 or above RSIP_MAX_MSG (the
 * stream is lost: answer 207 and close). */
int rsip_frame_len(const uint8_t *buf, size_t len);

/* Fill an ERROR_RESPONSE for code, carrying counter / client ID / bind ID
 * when the corresponding has_* is true. */
void rsip_msg_error(struct rsip_msg *m, uint16_t code, bool has_counter, uint32_t counter,
		    bool has_client_id, uint32_t client_id, bool has_bind_id, uint32_t bind_id);

/* Human one-line summary for logs and debugging ("ASSIGN_REQUEST_RSIPSEC
 * client=7 counter=3 spi=any*2 ..."). Always NUL-terminates. */
void rsip_msg_format(const struct rsip_msg *m, char *out, size_t cap);

#endif
