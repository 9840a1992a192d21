// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the RSIP decoder (user/lib/msg_*.c).
 *
 * Whatever the bytes, rsip_decode must not read outside them (ASan), must
 * answer 0 or one of the decoder's error codes, and when it accepts a
 * message the codec must round-trip it: encode succeeds, the encoding
 * decodes to a field-wise equal message, and encoding that again gives the
 * same bytes (the canonical form is a fixed point).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg_compare.h"
#include "rsip/msg.h"

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_decode: check failed: %s: ", #cond);                 \
			fprintf(stderr, __VA_ARGS__);                                              \
			fprintf(stderr, "\n");                                                     \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static bool decoder_error(int rc)
{
	switch (rc) {
	case RSIP_E_UNSUPPORTED_RSIP_VERSION:
	case RSIP_E_MISSING_PARAM:
	case RSIP_E_DUPLICATE_PARAM:
	case RSIP_E_EXTRA_PARAM:
	case RSIP_E_ILLEGAL_PARAM:
	case RSIP_E_BAD_PARAM:
	case RSIP_E_ILLEGAL_MESSAGE:
	case RSIP_E_BAD_MESSAGE:
		return true;
	default:
		return false;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* m1's FQDNs, lists and vendor data point into data, which libFuzzer
	 * allocates at exactly size bytes: ASan sees any view that reaches
	 * past the message when encode and diff read through it. */
	static struct rsip_msg m1, m2;
	static uint8_t enc1[RSIP_MAX_MSG], enc2[RSIP_MAX_MSG];
	struct rsip_decode_err err;
	const char *diff;
	char line[512];
	ssize_t n1, n2;
	int rc, frame;

	frame = rsip_frame_len(data, size);
	CHECK(frame == 0 || frame == -1 || (frame >= RSIP_HDR_LEN && frame <= RSIP_MAX_MSG),
	      "frame %d", frame);

	rc = rsip_decode(data, size, &m1, &err);
	CHECK(rc == err.error, "rc %d err %u", rc, err.error);
	if (rc) {
		CHECK(decoder_error(rc), "unexpected code %d", rc);
		CHECK(err.why != NULL, "no reason for %d", rc);
		return 0;
	}
	CHECK(frame >= 0 && (size_t)frame == size, "accepted with frame %d size %zu", frame, size);
	rsip_msg_format(&m1, line, sizeof(line));
	CHECK(strlen(line) < sizeof(line), "format overran");

	n1 = rsip_encode(&m1, enc1, sizeof(enc1));
	if (n1 == -EMSGSIZE) {
		/* The only way the canonical form grows: a 1-byte Indicator
		 * is sent back with 2 bytes (D6). */
		CHECK(size + m1.n_tuples > RSIP_MAX_MSG, "EMSGSIZE for %zu bytes", size);
		return 0;
	}
	CHECK(n1 >= RSIP_HDR_LEN, "encode of a decoded %s failed: %zd", line, n1);

	rc = rsip_decode(enc1, (size_t)n1, &m2, &err);
	CHECK(rc == 0, "re-decode of %s failed: %d (%s)", line, rc, err.why);
	diff = rsip_msg_diff(&m1, &m2);
	CHECK(diff == NULL, "round trip of %s changed %s", line, diff);

	n2 = rsip_encode(&m2, enc2, sizeof(enc2));
	CHECK(n2 == n1 && memcmp(enc1, enc2, (size_t)n1) == 0, "re-encode of %s not stable", line);
	return 0;
}
