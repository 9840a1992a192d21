// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsip_decode: one whole RSIP message in, a struct rsip_msg out, checked in
 * the order of spec 6.1: framing (207), version (106), message type (206),
 * the complete TLV walk (207, 204, 205), the grammar (201, 202, 203, and the
 * role-dependent 205). Receiver policy (105, 206 for a response sent by a
 * host, 208, SPI 1-255, IPv6 and FQDN rules) is left to the receiver: this
 * decoder serves the gateway and the client library alike.
 */
#include <string.h>

#include "log.h"
#include "msg_internal.h"

static int fail(struct rsip_decode_err *err, uint16_t code, bool fatal, const char *why)
{
	err->error = code;
	err->fatal = fatal;
	err->why = why;
	log_debug("rsip_decode: %s (%u): %s", rsip_error_name(code), code, why);
	return code;
}

int rsip_decode(const uint8_t *buf, size_t len, struct rsip_msg *m, struct rsip_decode_err *err)
{
	struct rsip_decode_err local;
	size_t overall;
	int rc;

	if (!err)
		err = &local;
	memset(err, 0, sizeof(*err));
	rsip_msg_init(m, 0);
	m->version = 0;

	if (len >= 2)
		err->type = buf[1];
	if (len < RSIP_HDR_LEN)
		return fail(err, RSIP_E_BAD_MESSAGE, true, "shorter than the 4-byte header");
	overall = be16_get(buf + 2);
	/* Whatever goes wrong below, the caller's ERROR_RESPONSE should carry
	 * the counter and client ID if they can be found. */
	rsip_tlv_salvage(buf, overall < len ? overall : len, err);

	/* A bad Overall Length means a TCP stream can no longer be split. */
	if (overall < RSIP_HDR_LEN)
		return fail(err, RSIP_E_BAD_MESSAGE, true, "Overall Length below 4");
	if (overall > RSIP_MAX_MSG || len > RSIP_MAX_MSG)
		return fail(err, RSIP_E_BAD_MESSAGE, true, "message larger than 4096 bytes (D2)");
	if (overall != len)
		return fail(err, RSIP_E_BAD_MESSAGE, true,
			    "Overall Length differs from the message length");
	if (buf[0] != RSIP_VERSION)
		return fail(err, RSIP_E_UNSUPPORTED_RSIP_VERSION, false, "RSIP version is not 1");
	if (!rsip_msg_type_known(buf[1]))
		return fail(err, RSIP_E_ILLEGAL_MESSAGE, false, "unknown message type");

	m->version = buf[0];
	m->type = buf[1];
	if ((rc = rsip_tlv_walk(buf, len, err)))
		return rc;
	return rsip_grammar(m, buf, len, err);
}

int rsip_frame_len(const uint8_t *buf, size_t len)
{
	uint16_t overall;

	if (len < RSIP_HDR_LEN)
		return 0;
	overall = be16_get(buf + 2);
	if (overall < RSIP_HDR_LEN || overall > RSIP_MAX_MSG)
		return -1;
	return overall;
}
