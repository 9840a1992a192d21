// SPDX-License-Identifier: BSD-2-Clause
/*
 * Every RSIP parameter and every form of it, both directions: a value is put
 * in its slot of an otherwise valid message, decoded (accepted, or refused
 * with the expected code), and when accepted encoded back and compared with
 * the canonical bytes (D5 zero spellings become the short "don't care"
 * forms, a 1-byte Indicator becomes 2 bytes per D6).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "../lib/msg_raw.h"
#include "rsip/msg.h"

enum slot {
	S_LOCAL_ADDR,	   /* ASSIGN_REQUEST_RSAP-IP */
	S_REMOTE_ADDR,	   /* ASSIGN_REQUEST_RSAP-IP */
	S_ENDPOINT,	   /* ASSIGN_RESPONSE_RSA-IP, third Address */
	S_LOCAL_PORTS,	   /* ASSIGN_REQUEST_RSAP-IP */
	S_SEC_LOCAL_PORTS, /* ASSIGN_REQUEST_RSIPSEC */
	S_SPI,		   /* ASSIGN_REQUEST_RSIPSEC */
	S_LEASE,	   /* EXTEND_RESPONSE */
	S_TUNNEL,	   /* ASSIGN_REQUEST_RSAP-IP, optional */
	S_METHOD,	   /* REGISTER_RESPONSE, optional */
	S_FLOW,		   /* REGISTER_RESPONSE */
	S_ERROR,	   /* ERROR_RESPONSE */
	S_IND_REQ,	   /* QUERY_REQUEST, address tuple */
	S_IND_RESP,	   /* QUERY_RESPONSE, address tuple */
	S_TUPLE_ADDR,	   /* QUERY_REQUEST, the Address of an address tuple */
	S_TUPLE_NET,	   /* QUERY_REQUEST, the network of a network tuple */
	S_MASK,		   /* QUERY_REQUEST, the netmask of a network tuple */
	S_CLIENT,	   /* DE-REGISTER_REQUEST */
	S_BIND,		   /* FREE_REQUEST */
	S_COUNTER,	   /* REGISTER_REQUEST */
	S_VENDOR,	   /* REGISTER_REQUEST */
};

static const struct {
	uint8_t code, index; /* which parameter of the message is the slot */
} slot_param[] = {
    [S_LOCAL_ADDR] = {RSIP_P_ADDRESS, 0},
    [S_REMOTE_ADDR] = {RSIP_P_ADDRESS, 1},
    [S_ENDPOINT] = {RSIP_P_ADDRESS, 2},
    [S_LOCAL_PORTS] = {RSIP_P_PORTS, 0},
    [S_SEC_LOCAL_PORTS] = {RSIP_P_PORTS, 0},
    [S_SPI] = {RSIP_P_SPI, 0},
    [S_LEASE] = {RSIP_P_LEASE_TIME, 0},
    [S_TUNNEL] = {RSIP_P_TUNNEL_TYPE, 0},
    [S_METHOD] = {RSIP_P_RSIP_METHOD, 0},
    [S_FLOW] = {RSIP_P_FLOW_POLICY, 0},
    [S_ERROR] = {RSIP_P_ERROR, 0},
    [S_IND_REQ] = {RSIP_P_INDICATOR, 0},
    [S_IND_RESP] = {RSIP_P_INDICATOR, 0},
    [S_TUPLE_ADDR] = {RSIP_P_ADDRESS, 0},
    [S_TUPLE_NET] = {RSIP_P_ADDRESS, 0},
    [S_MASK] = {RSIP_P_ADDRESS, 1},
    [S_CLIENT] = {RSIP_P_CLIENT_ID, 0},
    [S_BIND] = {RSIP_P_BIND_ID, 0},
    [S_COUNTER] = {RSIP_P_MESSAGE_COUNTER, 0},
    [S_VENDOR] = {RSIP_P_VENDOR_SPECIFIC, 0},
};

static struct raw r;
static struct rsip_msg m;
static uint8_t enc[RSIP_MAX_MSG];

static void hexval(uint8_t code, const char *hex)
{
	uint8_t v[512];
	size_t n = hex2bin(hex, v, sizeof(v));

	raw_param(&r, code, v, n);
}

/* An otherwise valid message with value (hex) in slot s. */
static void build(enum slot s, const char *val)
{
	switch (s) {
	case S_LOCAL_ADDR:
	case S_REMOTE_ADDR:
	case S_LOCAL_PORTS:
	case S_TUNNEL:
		raw_begin(&r, RSIP_ASSIGN_REQUEST_RSAP_IP);
		raw_u32(&r, RSIP_P_CLIENT_ID, 7);
		hexval(RSIP_P_ADDRESS, s == S_LOCAL_ADDR ? val : "01");
		hexval(RSIP_P_PORTS, s == S_LOCAL_PORTS ? val : "01");
		hexval(RSIP_P_ADDRESS, s == S_REMOTE_ADDR ? val : "01");
		hexval(RSIP_P_PORTS, "01");
		if (s == S_TUNNEL)
			hexval(RSIP_P_TUNNEL_TYPE, val);
		break;
	case S_ENDPOINT:
		raw_begin(&r, RSIP_ASSIGN_RESPONSE_RSA_IP);
		raw_u32(&r, RSIP_P_CLIENT_ID, 7);
		raw_u32(&r, RSIP_P_BIND_ID, 1);
		raw_ipv4(&r, RSIP_ADDR_IPV4, "192.0.2.1");
		raw_any(&r, RSIP_ADDR_IPV4);
		hexval(RSIP_P_PORTS, "01");
		raw_u32(&r, RSIP_P_LEASE_TIME, 60);
		raw_u8(&r, RSIP_P_TUNNEL_TYPE, 1);
		hexval(RSIP_P_ADDRESS, val);
		break;
	case S_SEC_LOCAL_PORTS:
	case S_SPI:
		raw_begin(&r, RSIP_ASSIGN_REQUEST_RSIPSEC);
		raw_u32(&r, RSIP_P_CLIENT_ID, 7);
		raw_any(&r, RSIP_ADDR_IPV4);
		hexval(RSIP_P_PORTS, s == S_SEC_LOCAL_PORTS ? val : "");
		raw_ipv4(&r, RSIP_ADDR_IPV4, "198.51.100.5");
		hexval(RSIP_P_PORTS, "");
		hexval(RSIP_P_SPI, s == S_SPI ? val : "00 01");
		break;
	case S_LEASE:
		raw_begin(&r, RSIP_EXTEND_RESPONSE);
		raw_u32(&r, RSIP_P_CLIENT_ID, 7);
		raw_u32(&r, RSIP_P_BIND_ID, 1);
		hexval(RSIP_P_LEASE_TIME, val);
		break;
	case S_METHOD:
	case S_FLOW:
		raw_begin(&r, RSIP_REGISTER_RESPONSE);
		raw_u32(&r, RSIP_P_CLIENT_ID, 7);
		raw_u32(&r, RSIP_P_LEASE_TIME, 600);
		hexval(RSIP_P_FLOW_POLICY, s == S_FLOW ? val : "01 03");
		if (s == S_METHOD)
			hexval(RSIP_P_RSIP_METHOD, val);
		break;
	case S_ERROR:
		raw_begin(&r, RSIP_ERROR_RESPONSE);
		hexval(RSIP_P_ERROR, val);
		break;
	case S_IND_REQ:
	case S_IND_RESP:
		raw_begin(&r, s == S_IND_REQ ? RSIP_QUERY_REQUEST : RSIP_QUERY_RESPONSE);
		raw_u32(&r, RSIP_P_CLIENT_ID, 7);
		hexval(RSIP_P_INDICATOR, val);
		raw_ipv4(&r, RSIP_ADDR_IPV4, "10.0.0.1");
		break;
	case S_TUPLE_ADDR:
		raw_begin(&r, RSIP_QUERY_REQUEST);
		raw_u32(&r, RSIP_P_CLIENT_ID, 7);
		raw_u16(&r, RSIP_P_INDICATOR, RSIP_IND_ADDRESS);
		hexval(RSIP_P_ADDRESS, val);
		break;
	case S_TUPLE_NET:
	case S_MASK:
		raw_begin(&r, RSIP_QUERY_REQUEST);
		raw_u32(&r, RSIP_P_CLIENT_ID, 7);
		raw_u16(&r, RSIP_P_INDICATOR, RSIP_IND_NETWORK);
		hexval(RSIP_P_ADDRESS, s == S_TUPLE_NET ? val : "01 0a 00 00 00");
		hexval(RSIP_P_ADDRESS, s == S_MASK ? val : "02 ff 00 00 00");
		break;
	case S_CLIENT:
		raw_begin(&r, RSIP_DEREGISTER_REQUEST);
		hexval(RSIP_P_CLIENT_ID, val);
		break;
	case S_BIND:
		raw_begin(&r, RSIP_FREE_REQUEST);
		raw_u32(&r, RSIP_P_CLIENT_ID, 7);
		hexval(RSIP_P_BIND_ID, val);
		break;
	case S_COUNTER:
		raw_begin(&r, RSIP_REGISTER_REQUEST);
		hexval(RSIP_P_MESSAGE_COUNTER, val);
		break;
	case S_VENDOR:
		raw_begin(&r, RSIP_REGISTER_REQUEST);
		hexval(RSIP_P_VENDOR_SPECIFIC, val);
		break;
	}
}

/* The value of the index-th parameter with this code in an encoding. */
static bool find_param(const uint8_t *b, size_t n, uint8_t code, int index, const uint8_t **val,
		       size_t *len)
{
	size_t off = RSIP_HDR_LEN, vlen;

	while (off + RSIP_PARAM_HDR <= n) {
		vlen = (size_t)(b[off + 1] << 8 | b[off + 2]);
		if (b[off] == code && index-- == 0) {
			*val = b + off + RSIP_PARAM_HDR;
			*len = vlen;
			return true;
		}
		off += RSIP_PARAM_HDR + vlen;
	}
	return false;
}

struct pcase {
	enum slot slot;
	const char *val;
	uint16_t rc;	   /* expected decode result */
	const char *canon; /* accepted: the value rsip_encode writes; NULL = as given */
};

static void run_case(const struct pcase *c)
{
	struct rsip_decode_err err;
	uint8_t want[512];
	const uint8_t *val;
	size_t wn, vlen;
	ssize_t n;
	int rc;

	build(c->slot, c->val);
	rc = raw_decode(&r, &m, &err);
	if (rc != c->rc)
		fail_msg("slot %d value [%s]: decode gave %d (%s), want %u", c->slot, c->val, rc,
			 err.why ? err.why : "-", c->rc);
	if (rc)
		return;
	n = rsip_encode(&m, enc, sizeof(enc));
	if (n < 0)
		fail_msg("slot %d value [%s]: encode failed %zd", c->slot, c->val, n);
	wn = hex2bin(c->canon ? c->canon : c->val, want, sizeof(want));
	if (!find_param(enc, (size_t)n, slot_param[c->slot].code, slot_param[c->slot].index, &val,
			&vlen))
		fail_msg("slot %d value [%s]: parameter missing from the encoding", c->slot,
			 c->val);
	if (vlen != wn || memcmp(val, want, wn))
		fail_msg("slot %d value [%s]: encoded as %zu bytes, want [%s]", c->slot, c->val,
			 vlen, c->canon ? c->canon : c->val);
}

#define OK(s, v)                                                                                   \
	{                                                                                          \
		s, v, 0, NULL                                                                      \
	}
#define CANON(s, v, c)                                                                             \
	{                                                                                          \
		s, v, 0, c                                                                         \
	}
#define BAD(s, v)                                                                                  \
	{                                                                                          \
		s, v, RSIP_E_BAD_PARAM, NULL                                                       \
	}

static const struct pcase address_cases[] = {
    OK(S_REMOTE_ADDR, "01 c0 00 02 01"),
    OK(S_REMOTE_ADDR, "01"),			  /* IPv4 "don't care", Length 1 */
    CANON(S_REMOTE_ADDR, "01 00 00 00 00", "01"), /* D5: 0.0.0.0 */
    OK(S_REMOTE_ADDR, "03 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 05"),
    OK(S_REMOTE_ADDR, "03"),
    CANON(S_REMOTE_ADDR, "03 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", "03"),
    OK(S_REMOTE_ADDR, "04 70 65 65 72 2e 65 78 61 6d 70 6c 65"), /* peer.example */
    OK(S_LOCAL_ADDR, "01 c0 00 02 01"),
    OK(S_LOCAL_ADDR, "03"), /* IPv6 local: the daemon's 308 (D16), not ours */
    CANON(S_LOCAL_ADDR, "01 00 00 00 00", "01"),
    OK(S_ENDPOINT, "01 cb 00 71 01"),
    OK(S_ENDPOINT, "04 74 65 70"),
    OK(S_TUPLE_ADDR, "01 0a 00 00 01"),
    OK(S_TUPLE_ADDR, "04 68 6f 73 74"),
    OK(S_TUPLE_NET, "01 0a 14 3c 00"),
    OK(S_MASK, "02 ff ff ff 00"),
    OK(S_MASK, "02 00 00 00 00"), /* /0: a netmask, never "don't care" */
    OK(S_MASK, "02 ff ff ff ff"),
    BAD(S_REMOTE_ADDR, ""),		     /* no Addrtype */
    BAD(S_REMOTE_ADDR, "00 c0 00 02 01"),    /* Addrtype 0 reserved */
    BAD(S_REMOTE_ADDR, "05 c0 00 02 01"),    /* unassigned */
    BAD(S_REMOTE_ADDR, "f1 c0 00 02 01"),    /* private */
    BAD(S_REMOTE_ADDR, "01 c0 00 02"),	     /* short IPv4 */
    BAD(S_REMOTE_ADDR, "01 c0 00 02 01 00"), /* long IPv4 */
    BAD(S_REMOTE_ADDR, "03 20 01 0d b8"),    /* short IPv6 */
    BAD(S_REMOTE_ADDR, "04"),		     /* empty FQDN */
    BAD(S_REMOTE_ADDR, "04 61 00 62"),	     /* NUL inside an FQDN */
    BAD(S_REMOTE_ADDR, "04 61 20 62"),	     /* space */
    BAD(S_REMOTE_ADDR, "04 61 7f"),	     /* DEL */
    BAD(S_REMOTE_ADDR, "02 ff ff ff 00"),    /* netmask outside the netmask slot */
    BAD(S_REMOTE_ADDR, "02"),		     /* netmask "don't care" */
    BAD(S_LOCAL_ADDR, "04 68 6f 73 74"),     /* FQDN local address (RFC 8.1) */
    BAD(S_LOCAL_ADDR, "02 ff ff ff 00"),
    BAD(S_ENDPOINT, "01"), /* "don't care" tunnel endpoint */
    BAD(S_ENDPOINT, "02 ff ff ff 00"),
    BAD(S_TUPLE_ADDR, "02 ff ff ff 00"), /* netmask in an address tuple */
    BAD(S_TUPLE_NET, "02 ff ff ff 00"),	 /* netmask as the network */
    BAD(S_TUPLE_NET, "04 6e 65 74"),	 /* FQDN network (9.14.3) */
    BAD(S_TUPLE_NET, "03 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 00"), /* no v6 mask */
    BAD(S_MASK, "01 ff ff ff 00"), /* IPv4 Addrtype in the netmask slot */
    BAD(S_MASK, "02 ff 00 ff 00"), /* not contiguous */
    BAD(S_MASK, "02 00 00 00 01"),
    BAD(S_MASK, "02 ff ff ff"),
};

static const struct pcase ports_cases[] = {
    OK(S_LOCAL_PORTS, "01 00 50"),	       /* single port 80 */
    OK(S_LOCAL_PORTS, "04 27 10"),	       /* range 10000-10003 */
    OK(S_LOCAL_PORTS, "ff 01 00"),	       /* range of 255 */
    OK(S_LOCAL_PORTS, "01 ff ff"),	       /* 65535 */
    OK(S_LOCAL_PORTS, "02 ff fe"),	       /* 65534-65535 */
    OK(S_LOCAL_PORTS, "03 13 88 1b 58 17 70"), /* list 5000, 7000, 6000 */
    OK(S_LOCAL_PORTS, "04"),		       /* don't care, 4 ports */
    OK(S_LOCAL_PORTS, "01"),
    CANON(S_LOCAL_PORTS, "01 00 00", "01"), /* D5: Number 1, port 0 */
    OK(S_SEC_LOCAL_PORTS, ""),		    /* RFC 3104 "don't need" */
    OK(S_SEC_LOCAL_PORTS, "02 c3 50"),
    BAD(S_LOCAL_PORTS, ""),		     /* "don't need" outside RSIPSEC (D8) */
    BAD(S_LOCAL_PORTS, "00"),		     /* don't care with Number 0 */
    BAD(S_LOCAL_PORTS, "00 00 50"),	     /* Number 0 */
    BAD(S_LOCAL_PORTS, "00 00 00"),	     /* all zeros: Number 0 too */
    BAD(S_LOCAL_PORTS, "02 00 00"),	     /* range starting at port 0 */
    BAD(S_LOCAL_PORTS, "02 ff ff"),	     /* range past 65535 */
    BAD(S_LOCAL_PORTS, "01 00"),	     /* odd port field */
    BAD(S_LOCAL_PORTS, "02 13 88 13 89 00"), /* Length not 1 + 2k */
    BAD(S_LOCAL_PORTS, "03 13 88 13 89"),    /* Number 3, two fields */
    BAD(S_LOCAL_PORTS, "01 13 88 13 89"),    /* Number 1, two fields */
    BAD(S_LOCAL_PORTS, "02 13 88 13 88"),    /* repeat in a list */
    BAD(S_LOCAL_PORTS, "02 13 88 00 00"),    /* port 0 in a list */
};

static const struct pcase spi_cases[] = {
    OK(S_SPI, "00 01 00 00 10 00"), /* single */
    OK(S_SPI, "00 04 00 00 10 00"), /* range 0x1000-0x1003 */
    OK(S_SPI, "00 01 ff ff ff ff"),
    OK(S_SPI, "00 02 00 00 20 00 00 00 30 00"), /* list */
    OK(S_SPI, "00 02"),				/* don't care, 2 SPIs */
    OK(S_SPI, "ff ff"),
    CANON(S_SPI, "00 01 00 00 00 00", "00 01"), /* D5: Number 1, SPI 0 */
    OK(S_SPI, "00 01 00 00 00 01"),		/* SPI 1: D13's ban is the daemon's (205 there) */
    BAD(S_SPI, ""),
    BAD(S_SPI, "00"),
    BAD(S_SPI, "00 00"),			 /* Number 0 */
    BAD(S_SPI, "00 02 00 00 00 00"),		 /* range starting at 0 */
    BAD(S_SPI, "00 10 ff ff ff f8"),		 /* range past 0xffffffff */
    BAD(S_SPI, "00 01 00 00 10"),		 /* Length not 2 + 4k */
    BAD(S_SPI, "00 03 00 00 20 00 00 00 30 00"), /* Number 3, two fields */
    BAD(S_SPI, "00 02 00 00 20 00 00 00 20 00"), /* repeat */
    BAD(S_SPI, "00 02 00 00 20 00 00 00 00 00"), /* SPI 0 in a list */
};

static const struct pcase fixed_cases[] = {
    OK(S_LEASE, "00 00 0e 10"),
    OK(S_LEASE, "00 00 00 00"),
    OK(S_LEASE, "ff ff ff ff"),
    BAD(S_LEASE, "00 0e 10"),
    BAD(S_LEASE, "00 00 00 0e 10"),
    BAD(S_LEASE, ""),
    OK(S_CLIENT, "00 00 00 07"),
    OK(S_CLIENT, "00 00 00 00"), /* the daemon decides what 0 means */
    BAD(S_CLIENT, "00 00 07"),
    OK(S_BIND, "de ad be ef"),
    BAD(S_BIND, "de ad be ef 00"),
    OK(S_COUNTER, "00 00 00 01"),
    OK(S_COUNTER, "00 00 00 00"), /* gateway's unsolicited 0; D3 is the daemon's */
    BAD(S_COUNTER, "00 00 01"),
    OK(S_TUNNEL, "01"),
    OK(S_TUNNEL, "02"),
    OK(S_TUNNEL, "03"), /* L2TP: 307 is the daemon's */
    OK(S_TUNNEL, "f1"),
    BAD(S_TUNNEL, "00"),
    BAD(S_TUNNEL, "00 01"),
    BAD(S_TUNNEL, ""),
    OK(S_METHOD, "01"),
    OK(S_METHOD, "03"),
    BAD(S_METHOD, "00"),
    BAD(S_METHOD, "01 02"),
    OK(S_ERROR, "01 2d"),
    OK(S_ERROR, "01 93"),
    BAD(S_ERROR, "00 00"),
    BAD(S_ERROR, "01"),
    BAD(S_ERROR, "00 01 2d"),
    OK(S_FLOW, "01 01"),
    OK(S_FLOW, "02 03"),
    BAD(S_FLOW, "03 01"), /* local has no "no policy" */
    BAD(S_FLOW, "00 01"),
    BAD(S_FLOW, "01 00"),
    BAD(S_FLOW, "01 04"),
    BAD(S_FLOW, "01"),
    BAD(S_FLOW, "01 01 01"),
};

static const struct pcase indicator_cases[] = {
    OK(S_IND_REQ, "00 01"),
    CANON(S_IND_REQ, "01", "00 01"), /* D6: accept 1 byte, send 2 */
    OK(S_IND_RESP, "00 01"),
    OK(S_IND_RESP, "00 03"),
    CANON(S_IND_RESP, "03", "00 03"),
    BAD(S_IND_REQ, "00 03"), /* remote address: a QUERY_RESPONSE value */
    BAD(S_IND_REQ, "00 00"),
    BAD(S_IND_REQ, "00"),
    BAD(S_IND_RESP, "00 05"),
    BAD(S_IND_RESP, "01 01"), /* 0x0101 */
    BAD(S_IND_REQ, "00 00 01"),
    BAD(S_IND_REQ, ""),
};

static const struct pcase vendor_cases[] = {
    OK(S_VENDOR, "00 09 00 01 de ad be ef"),
    OK(S_VENDOR, "ff ff 00 00"), /* no data */
    BAD(S_VENDOR, "00 09 00"),	 /* D7: Length below 4 */
    BAD(S_VENDOR, ""),
};

#define RUN(cases)                                                                                 \
	do {                                                                                       \
		size_t i_;                                                                         \
		for (i_ = 0; i_ < sizeof(cases) / sizeof(cases[0]); i_++)                          \
			run_case(&cases[i_]);                                                      \
	} while (0)

static void test_address_forms(void **state)
{
	RUN(address_cases);
}

static void test_ports_forms(void **state)
{
	RUN(ports_cases);
}

static void test_spi_forms(void **state)
{
	RUN(spi_cases);
}

static void test_fixed_size_params(void **state)
{
	RUN(fixed_cases);
}

static void test_indicator(void **state)
{
	RUN(indicator_cases);
}

static void test_vendor_values(void **state)
{
	RUN(vendor_cases);
}

/* ---- decoded field values, form by form ---- */

static void decode_ok(enum slot s, const char *val)
{
	struct rsip_decode_err err;

	build(s, val);
	if (raw_decode(&r, &m, &err))
		fail_msg("[%s]: %u %s", val, err.error, err.why);
}

static void test_address_fields(void **state)
{
	struct in6_addr v6;

	decode_ok(S_REMOTE_ADDR, "01 c0 00 02 01");
	assert_int_equal(m.remote_addr.type, RSIP_ADDR_IPV4);
	assert_false(m.remote_addr.any);
	assert_int_equal(ntohl(m.remote_addr.u.v4.s_addr), 0xc0000201);

	decode_ok(S_REMOTE_ADDR, "01 00 00 00 00");
	assert_int_equal(m.remote_addr.type, RSIP_ADDR_IPV4);
	assert_true(m.remote_addr.any);

	decode_ok(S_REMOTE_ADDR, "03 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 05");
	assert_int_equal(m.remote_addr.type, RSIP_ADDR_IPV6);
	assert_false(m.remote_addr.any);
	inet_pton(AF_INET6, "2001:db8::5", &v6);
	assert_memory_equal(&m.remote_addr.u.v6, &v6, 16);

	decode_ok(S_REMOTE_ADDR, "03");
	assert_int_equal(m.remote_addr.type, RSIP_ADDR_IPV6);
	assert_true(m.remote_addr.any);
	memset(&v6, 0, sizeof(v6));
	assert_memory_equal(&m.remote_addr.u.v6, &v6, 16);

	decode_ok(S_REMOTE_ADDR, "04 70 65 65 72 2e 65 78 61 6d 70 6c 65");
	assert_int_equal(m.remote_addr.type, RSIP_ADDR_FQDN);
	assert_int_equal(m.remote_addr.fqdn_len, 12);
	assert_memory_equal(m.remote_addr.u.fqdn, "peer.example", 12);

	decode_ok(S_MASK, "02 00 00 00 00");
	assert_int_equal(m.tuples[0].mask.type, RSIP_ADDR_IPV4_NETMASK);
	assert_false(m.tuples[0].mask.any);
}

static void test_fqdn_limits(void **state)
{
	struct rsip_decode_err err;
	uint8_t v[1 + 256];

	/* 255 characters: the DNS limit, accepted; 256: 205. */
	memset(v, 'a', sizeof(v));
	v[0] = RSIP_ADDR_FQDN;
	raw_begin(&r, RSIP_ASSIGN_REQUEST_RSA_IP);
	raw_u32(&r, RSIP_P_CLIENT_ID, 7);
	raw_any(&r, RSIP_ADDR_IPV4);
	raw_param(&r, RSIP_P_ADDRESS, v, 1 + 255);
	raw_hex(&r, "02 00 01 01");
	assert_int_equal(raw_decode(&r, &m, &err), 0);
	assert_int_equal(m.remote_addr.fqdn_len, 255);
	assert_memory_equal(m.remote_addr.u.fqdn, v + 1, 255);
	assert_true(rsip_encode(&m, enc, sizeof(enc)) > 0);

	raw_begin(&r, RSIP_ASSIGN_REQUEST_RSA_IP);
	raw_u32(&r, RSIP_P_CLIENT_ID, 7);
	raw_any(&r, RSIP_ADDR_IPV4);
	raw_param(&r, RSIP_P_ADDRESS, v, 1 + 256);
	raw_hex(&r, "02 00 01 01");
	assert_int_equal(raw_decode(&r, &m, &err), RSIP_E_BAD_PARAM);
}

static void test_ports_fields(void **state)
{
	decode_ok(S_LOCAL_PORTS, "01 00 50");
	assert_int_equal(m.local_ports.form, RSIP_PORTS_RANGE);
	assert_int_equal(m.local_ports.number, 1);
	assert_int_equal(rsip_ports_at(&m.local_ports, 0), 80);

	decode_ok(S_LOCAL_PORTS, "04 27 10");
	assert_int_equal(m.local_ports.form, RSIP_PORTS_RANGE);
	assert_int_equal(m.local_ports.number, 4);
	assert_int_equal(rsip_ports_at(&m.local_ports, 0), 10000);

	decode_ok(S_LOCAL_PORTS, "03 13 88 1b 58 17 70");
	assert_int_equal(m.local_ports.form, RSIP_PORTS_LIST);
	assert_int_equal(m.local_ports.number, 3);
	assert_int_equal(rsip_ports_at(&m.local_ports, 0), 5000);
	assert_int_equal(rsip_ports_at(&m.local_ports, 1), 7000);
	assert_int_equal(rsip_ports_at(&m.local_ports, 2), 6000);

	decode_ok(S_LOCAL_PORTS, "04");
	assert_int_equal(m.local_ports.form, RSIP_PORTS_ANY);
	assert_int_equal(m.local_ports.number, 4);

	decode_ok(S_LOCAL_PORTS, "01 00 00");
	assert_int_equal(m.local_ports.form, RSIP_PORTS_ANY);
	assert_int_equal(m.local_ports.number, 1);

	decode_ok(S_SEC_LOCAL_PORTS, "");
	assert_int_equal(m.local_ports.form, RSIP_PORTS_NOT_NEEDED);
}

static void test_ports_max_list(void **state)
{
	struct rsip_decode_err err;
	uint8_t v[1 + 2 * 255];
	int i;

	/* Number is one byte: 255 listed ports is the most there can be. */
	v[0] = 255;
	for (i = 0; i < 255; i++) {
		v[1 + 2 * i] = (uint8_t)((1000 + 3 * i) >> 8);
		v[2 + 2 * i] = (uint8_t)(1000 + 3 * i);
	}
	raw_begin(&r, RSIP_ASSIGN_REQUEST_RSAP_IP);
	raw_u32(&r, RSIP_P_CLIENT_ID, 7);
	raw_any(&r, RSIP_ADDR_IPV4);
	raw_param(&r, RSIP_P_PORTS, v, sizeof(v));
	raw_any(&r, RSIP_ADDR_IPV4);
	raw_hex(&r, "02 00 01 01");
	assert_int_equal(raw_decode(&r, &m, &err), 0);
	assert_int_equal(m.local_ports.form, RSIP_PORTS_LIST);
	assert_int_equal(m.local_ports.number, 255);
	assert_int_equal(rsip_ports_at(&m.local_ports, 254), 1000 + 3 * 254);
}

static void test_spi_fields(void **state)
{
	decode_ok(S_SPI, "00 01 00 00 10 00");
	assert_int_equal(m.spi.form, RSIP_SPI_RANGE);
	assert_int_equal(m.spi.number, 1);
	assert_int_equal(rsip_spi_at(&m.spi, 0), 0x1000);

	decode_ok(S_SPI, "00 04 de ad be ef");
	assert_int_equal(m.spi.form, RSIP_SPI_RANGE);
	assert_int_equal(m.spi.number, 4);
	assert_int_equal(rsip_spi_at(&m.spi, 0), 0xdeadbeef);

	decode_ok(S_SPI, "00 02 00 00 30 00 00 00 20 00");
	assert_int_equal(m.spi.form, RSIP_SPI_LIST);
	assert_int_equal(m.spi.number, 2);
	assert_int_equal(rsip_spi_at(&m.spi, 0), 0x3000);
	assert_int_equal(rsip_spi_at(&m.spi, 1), 0x2000);

	decode_ok(S_SPI, "01 00");
	assert_int_equal(m.spi.form, RSIP_SPI_ANY);
	assert_int_equal(m.spi.number, 256);

	decode_ok(S_SPI, "00 01 00 00 00 00");
	assert_int_equal(m.spi.form, RSIP_SPI_ANY);
	assert_int_equal(m.spi.number, 1);
}

static void test_spi_long_list(void **state)
{
	struct rsip_decode_err err;
	static uint8_t v[2 + 4 * 1000];
	size_t k = 1000, i;
	ssize_t n;

	v[0] = (uint8_t)(k >> 8);
	v[1] = (uint8_t)k;
	for (i = 0; i < k; i++) {
		uint32_t spi = 0x10000 + 7 * (uint32_t)(k - i);

		v[2 + 4 * i] = (uint8_t)(spi >> 24);
		v[3 + 4 * i] = (uint8_t)(spi >> 16);
		v[4 + 4 * i] = (uint8_t)(spi >> 8);
		v[5 + 4 * i] = (uint8_t)spi;
	}
	raw_begin(&r, RSIP_ASSIGN_RESPONSE_RSIPSEC);
	raw_u32(&r, RSIP_P_CLIENT_ID, 7);
	raw_u32(&r, RSIP_P_BIND_ID, 1);
	raw_ipv4(&r, RSIP_ADDR_IPV4, "192.0.2.1");
	raw_hex(&r, "02 00 00");
	raw_any(&r, RSIP_ADDR_IPV4);
	raw_hex(&r, "02 00 00");
	raw_param(&r, RSIP_P_SPI, v, sizeof(v));
	raw_u32(&r, RSIP_P_LEASE_TIME, 60);
	raw_u8(&r, RSIP_P_TUNNEL_TYPE, 1);
	assert_int_equal(raw_decode(&r, &m, &err), 0);
	assert_int_equal(m.spi.form, RSIP_SPI_LIST);
	assert_int_equal(m.spi.number, 1000);
	assert_int_equal(rsip_spi_at(&m.spi, 999), 0x10000 + 7);
	n = rsip_encode(&m, enc, sizeof(enc));
	assert_int_equal(n, r.len);
	assert_memory_equal(enc, r.b, r.len);
}

static void test_vendor_fields(void **state)
{
	struct rsip_decode_err err;
	uint8_t v[4 + 3] = {0x00, 0x09, 0x00, 0x01, 0xaa, 0xbb, 0xcc};
	ssize_t n;
	int i;

	/* Vendor Specific anywhere in the optional part, kept in order. */
	raw_begin(&r, RSIP_FREE_RESPONSE);
	raw_u32(&r, RSIP_P_CLIENT_ID, 7);
	raw_u32(&r, RSIP_P_BIND_ID, 1);
	raw_param(&r, RSIP_P_VENDOR_SPECIFIC, v, sizeof(v));
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 3);
	v[3] = 2;
	raw_param(&r, RSIP_P_VENDOR_SPECIFIC, v, 4);
	assert_int_equal(raw_decode(&r, &m, &err), 0);
	assert_int_equal(m.counter, 3);
	assert_int_equal(m.n_vendor, 2);
	assert_int_equal(m.vendor[0].vendor_id, 9);
	assert_int_equal(m.vendor[0].subtype, 1);
	assert_int_equal(m.vendor[0].len, 3);
	assert_memory_equal(m.vendor[0].data, "\xaa\xbb\xcc", 3);
	assert_int_equal(m.vendor[1].subtype, 2);
	assert_int_equal(m.vendor[1].len, 0);

	/* More than RSIP_MAX_VENDOR: accepted, the first 16 kept (D7). */
	raw_begin(&r, RSIP_REGISTER_REQUEST);
	for (i = 0; i < RSIP_MAX_VENDOR + 4; i++) {
		v[3] = (uint8_t)i;
		raw_param(&r, RSIP_P_VENDOR_SPECIFIC, v, sizeof(v));
	}
	assert_int_equal(raw_decode(&r, &m, &err), 0);
	assert_int_equal(m.n_vendor, RSIP_MAX_VENDOR);
	assert_int_equal(m.vendor[15].subtype, 15);
	n = rsip_encode(&m, enc, sizeof(enc));
	assert_int_equal(n, RSIP_HDR_LEN + RSIP_MAX_VENDOR * (RSIP_PARAM_HDR + sizeof(v)));
}

static void test_fixed_fields(void **state)
{
	decode_ok(S_LEASE, "00 00 0e 10");
	assert_int_equal(m.lease, 3600);
	assert_true(m.has & RSIP_HAS_LEASE);
	decode_ok(S_CLIENT, "ff ff ff fe");
	assert_int_equal(m.client_id, 0xfffffffe);
	decode_ok(S_BIND, "de ad be ef");
	assert_int_equal(m.bind_id, 0xdeadbeef);
	decode_ok(S_COUNTER, "80 00 00 01");
	assert_int_equal(m.counter, 0x80000001);
	decode_ok(S_TUNNEL, "02");
	assert_int_equal(m.n_tunnels, 1);
	assert_int_equal(m.tunnels[0], RSIP_TUNNEL_GRE);
	decode_ok(S_METHOD, "03");
	assert_int_equal(m.n_methods, 1);
	assert_int_equal(m.methods[0], RSIP_METHOD_RSIPSEC);
	decode_ok(S_FLOW, "02 01");
	assert_int_equal(m.flow_local, RSIP_FLOW_MICRO);
	assert_int_equal(m.flow_remote, RSIP_FLOW_MACRO);
	decode_ok(S_ERROR, "01 2d");
	assert_int_equal(m.error, RSIP_E_REGISTER_FIRST);
	decode_ok(S_IND_RESP, "03");
	assert_int_equal(m.tuples[0].indicator, RSIP_IND_REMOTE_ADDRESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_address_forms),  cmocka_unit_test(test_ports_forms),
	    cmocka_unit_test(test_spi_forms),	   cmocka_unit_test(test_fixed_size_params),
	    cmocka_unit_test(test_indicator),	   cmocka_unit_test(test_vendor_values),
	    cmocka_unit_test(test_address_fields), cmocka_unit_test(test_fqdn_limits),
	    cmocka_unit_test(test_ports_fields),   cmocka_unit_test(test_ports_max_list),
	    cmocka_unit_test(test_spi_fields),	   cmocka_unit_test(test_spi_long_list),
	    cmocka_unit_test(test_vendor_fields),  cmocka_unit_test(test_fixed_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
