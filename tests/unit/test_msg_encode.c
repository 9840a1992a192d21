// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsip_encode's refusals: -EINVAL for a message lacking a required field or
 * holding something its grammar does not allow (so nothing it writes is
 * refused by our own decoder), -ENOSPC for a short buffer (never writing
 * past it), -EMSGSIZE past RSIP_MAX_MSG; canonical output for the D5
 * spellings built through the API; rsip_msg_error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/msg_raw.h"
#include "rsip/msg.h"

static struct rsip_msg m;
static uint8_t buf[RSIP_MAX_MSG];

/* Lists the messages below point at (a sender's own storage). */
static const uint16_t dup_ports[] = {5000, 5000}, zero_port[] = {5000, 0};
static const uint32_t two_spis[] = {0x1000, 0x2000}, dup_spis[] = {0x1000, 0x1000},
		      zero_spi[] = {0, 0x2000};
static char long_fqdn[RSIP_MAX_FQDN + 1];

static void set_v4(struct rsip_address *a, uint8_t type, const char *s)
{
	memset(a, 0, sizeof(*a));
	a->type = type;
	assert_int_equal(inet_pton(AF_INET, s, &a->u.v4), 1);
}

/* A valid ASSIGN_REQUEST_RSAP-IP to spoil. */
static void rsap_request(void)
{
	rsip_msg_init(&m, RSIP_ASSIGN_REQUEST_RSAP_IP);
	m.has = RSIP_HAS_CLIENT_ID | RSIP_HAS_LOCAL_ADDR | RSIP_HAS_LOCAL_PORTS |
		RSIP_HAS_REMOTE_ADDR | RSIP_HAS_REMOTE_PORTS | RSIP_HAS_COUNTER;
	m.client_id = 7;
	m.counter = 1;
	set_v4(&m.local_addr, RSIP_ADDR_IPV4, "192.0.2.1");
	m.local_ports.form = RSIP_PORTS_RANGE;
	m.local_ports.number = 2;
	m.local_ports.first = 5000;
	set_v4(&m.remote_addr, RSIP_ADDR_IPV4, "198.51.100.5");
	m.remote_ports.form = RSIP_PORTS_ANY;
	m.remote_ports.number = 1;
}

/* A valid ASSIGN_RESPONSE_RSIPSEC to spoil. */
static void rsipsec_response(void)
{
	rsip_msg_init(&m, RSIP_ASSIGN_RESPONSE_RSIPSEC);
	m.has = RSIP_HAS_CLIENT_ID | RSIP_HAS_BIND_ID | RSIP_HAS_LOCAL_ADDR | RSIP_HAS_LOCAL_PORTS |
		RSIP_HAS_REMOTE_ADDR | RSIP_HAS_REMOTE_PORTS | RSIP_HAS_SPI | RSIP_HAS_LEASE;
	m.client_id = 7;
	m.bind_id = 2;
	set_v4(&m.local_addr, RSIP_ADDR_IPV4, "192.0.2.10");
	m.local_ports.form = RSIP_PORTS_NOT_NEEDED;
	set_v4(&m.remote_addr, RSIP_ADDR_IPV4, "198.51.100.5");
	m.remote_ports.form = RSIP_PORTS_NOT_NEEDED;
	m.spi.form = RSIP_SPI_LIST;
	m.spi.number = 2;
	m.spi.list = two_spis;
	m.lease = 600;
	m.n_tunnels = 1;
	m.tunnels[0] = RSIP_TUNNEL_GRE;
}

static void query_request(void)
{
	rsip_msg_init(&m, RSIP_QUERY_REQUEST);
	m.has = RSIP_HAS_CLIENT_ID;
	m.client_id = 7;
	assert_non_null(rsip_msg_add_tuple(&m));
	m.tuples[0].indicator = RSIP_IND_NETWORK;
	set_v4(&m.tuples[0].addr, RSIP_ADDR_IPV4, "10.0.0.0");
	set_v4(&m.tuples[0].mask, RSIP_ADDR_IPV4_NETMASK, "255.0.0.0");
}

#define EINVAL_AFTER(setup, spoil)                                                                 \
	do {                                                                                       \
		setup();                                                                           \
		assert_true(rsip_encode(&m, buf, sizeof(buf)) > 0);                                \
		spoil;                                                                             \
		assert_int_equal(rsip_encode(&m, buf, sizeof(buf)), -EINVAL);                      \
	} while (0)

static void test_shape_refusals(void **state)
{
	/* Unknown type. */
	EINVAL_AFTER(rsap_request, m.type = 0);
	EINVAL_AFTER(rsap_request, m.type = 18);
	/* A required field missing. */
	EINVAL_AFTER(rsap_request, m.has &= ~RSIP_HAS_CLIENT_ID);
	EINVAL_AFTER(rsap_request, m.has &= ~RSIP_HAS_REMOTE_PORTS);
	EINVAL_AFTER(rsipsec_response, m.has &= ~RSIP_HAS_SPI);
	EINVAL_AFTER(rsipsec_response, m.n_tunnels = 0); /* required Tunnel Type */
	/* A field foreign to the grammar. */
	EINVAL_AFTER(rsap_request, m.has |= RSIP_HAS_BIND_ID);
	EINVAL_AFTER(rsap_request, m.has |= RSIP_HAS_SPI);
	EINVAL_AFTER(rsap_request, m.has |= RSIP_HAS_ENDPOINT); /* only responses */
	EINVAL_AFTER(rsap_request, m.n_methods = 1);
	EINVAL_AFTER(rsap_request, m.n_tuples = 1);
	/* More than the grammar allows. */
	EINVAL_AFTER(rsap_request, m.n_tunnels = 2);
	EINVAL_AFTER(rsipsec_response, m.n_tunnels = 2);
	EINVAL_AFTER(rsap_request, m.n_vendor = RSIP_MAX_VENDOR + 1);
	EINVAL_AFTER(query_request, m.n_tuples = RSIP_MAX_TUPLES + 1);
}

static void test_value_refusals(void **state)
{
	/* Addresses. */
	EINVAL_AFTER(rsap_request, m.local_addr.type = 0);
	EINVAL_AFTER(rsap_request, m.local_addr.type = 5);
	EINVAL_AFTER(rsap_request, m.remote_addr.type = RSIP_ADDR_IPV4_NETMASK);
	EINVAL_AFTER(rsap_request, m.local_addr.type = RSIP_ADDR_FQDN; m.local_addr.fqdn_len = 1;
		     m.local_addr.u.fqdn = "a");
	EINVAL_AFTER(rsap_request, m.remote_addr.type = RSIP_ADDR_FQDN; m.remote_addr.fqdn_len = 0);
	memset(long_fqdn, 'a', sizeof(long_fqdn));
	EINVAL_AFTER(rsap_request, m.remote_addr.type = RSIP_ADDR_FQDN;
		     m.remote_addr.u.fqdn = long_fqdn; m.remote_addr.fqdn_len = 256);
	EINVAL_AFTER(rsap_request, m.remote_addr.type = RSIP_ADDR_FQDN; m.remote_addr.fqdn_len = 3;
		     m.remote_addr.u.fqdn = "a b");
	EINVAL_AFTER(rsap_request, m.remote_addr.type = RSIP_ADDR_FQDN; m.remote_addr.fqdn_len = 3;
		     m.remote_addr.u.fqdn = "ab");
	EINVAL_AFTER(rsap_request, m.remote_addr.type = RSIP_ADDR_FQDN; m.remote_addr.any = true;
		     m.remote_addr.fqdn_len = 1);
	EINVAL_AFTER(rsipsec_response, m.has |= RSIP_HAS_ENDPOINT; m.endpoint.type = RSIP_ADDR_IPV4;
		     m.endpoint.any = true);
	EINVAL_AFTER(query_request, m.tuples[0].mask.type = RSIP_ADDR_IPV4);
	EINVAL_AFTER(query_request, m.tuples[0].mask.u.v4.s_addr = htonl(0xff00ff00));
	EINVAL_AFTER(query_request, m.tuples[0].mask.any = true);
	EINVAL_AFTER(query_request, m.tuples[0].addr.type = RSIP_ADDR_IPV6);
	EINVAL_AFTER(query_request, m.tuples[0].indicator = RSIP_IND_REMOTE_ADDRESS);
	EINVAL_AFTER(query_request, m.tuples[0].indicator = 0);
	EINVAL_AFTER(query_request, m.tuples[0].indicator = RSIP_IND_ADDRESS;
		     m.tuples[0].addr = m.tuples[0].mask);
	/* Ports. */
	EINVAL_AFTER(rsap_request, m.local_ports.form = RSIP_PORTS_UNSET);
	EINVAL_AFTER(rsap_request, m.local_ports.form = 9);
	EINVAL_AFTER(rsap_request, m.local_ports.number = 0);
	EINVAL_AFTER(rsap_request, m.local_ports.first = 0);
	EINVAL_AFTER(rsap_request, m.local_ports.first = 65535);
	EINVAL_AFTER(rsap_request, m.local_ports.form = RSIP_PORTS_NOT_NEEDED);
	EINVAL_AFTER(rsap_request, m.remote_ports.number = 0);
	EINVAL_AFTER(rsap_request, m.local_ports.form = RSIP_PORTS_LIST; m.local_ports.number = 1);
	EINVAL_AFTER(rsap_request, m.local_ports.form = RSIP_PORTS_LIST); /* no list */
	EINVAL_AFTER(rsap_request, m.local_ports.form = RSIP_PORTS_LIST;
		     m.local_ports.list = dup_ports);
	EINVAL_AFTER(rsap_request, m.local_ports.form = RSIP_PORTS_LIST;
		     m.local_ports.list = zero_port);
	/* SPI. */
	EINVAL_AFTER(rsipsec_response, m.spi.form = RSIP_SPI_UNSET);
	EINVAL_AFTER(rsipsec_response, m.spi.number = 1);
	EINVAL_AFTER(rsipsec_response, m.spi.number = RSIP_MAX_SPI_LIST + 1);
	EINVAL_AFTER(rsipsec_response, m.spi.list = NULL);
	EINVAL_AFTER(rsipsec_response, m.spi.list = dup_spis);
	EINVAL_AFTER(rsipsec_response, m.spi.list = zero_spi);
	EINVAL_AFTER(rsipsec_response, m.spi.form = RSIP_SPI_RANGE; m.spi.first = 0xffffffff);
	EINVAL_AFTER(rsipsec_response, m.spi.form = RSIP_SPI_RANGE; m.spi.first = 0);
	EINVAL_AFTER(rsipsec_response, m.spi.form = RSIP_SPI_ANY; m.spi.number = 0);
	/* One-byte and two-byte values. */
	EINVAL_AFTER(rsipsec_response, m.tunnels[0] = 0);
	EINVAL_AFTER(rsipsec_response, rsip_msg_add_vendor(&m)->len = 3);
	EINVAL_AFTER(rsipsec_response, rsip_msg_add_vendor(&m)->len = 65532;
		     m.vendor[0].data = buf);
}

static void test_register_response_refusals(void **state)
{
	rsip_msg_init(&m, RSIP_REGISTER_RESPONSE);
	m.has = RSIP_HAS_CLIENT_ID | RSIP_HAS_LEASE | RSIP_HAS_FLOW_POLICY;
	m.flow_local = RSIP_FLOW_MACRO;
	m.flow_remote = RSIP_FLOW_NONE;
	m.n_methods = RSIP_MAX_METHODS;
	memset(m.methods, 2, sizeof(m.methods));
	assert_true(rsip_encode(&m, buf, sizeof(buf)) > 0);
	m.methods[3] = 0;
	assert_int_equal(rsip_encode(&m, buf, sizeof(buf)), -EINVAL);
	m.methods[3] = 1;
	m.n_methods = RSIP_MAX_METHODS + 1;
	assert_int_equal(rsip_encode(&m, buf, sizeof(buf)), -EINVAL);
	m.n_methods = 1;
	m.flow_local = RSIP_FLOW_NONE;
	assert_int_equal(rsip_encode(&m, buf, sizeof(buf)), -EINVAL);
	m.flow_local = RSIP_FLOW_MICRO;
	m.flow_remote = 0;
	assert_int_equal(rsip_encode(&m, buf, sizeof(buf)), -EINVAL);

	rsip_msg_error(&m, 0, false, 0, false, 0, false, 0);
	assert_int_equal(rsip_encode(&m, buf, sizeof(buf)), -EINVAL);
}

/* Every buffer size short of the message: -ENOSPC and not one byte written
 * past cap (each buffer is an exact heap allocation under ASan). */
static void test_enospc(void **state)
{
	ssize_t n, rc;
	size_t cap;
	uint8_t *b;

	rsipsec_response();
	n = rsip_encode(&m, buf, sizeof(buf));
	assert_true(n > 0);
	for (cap = 0; cap < (size_t)n; cap++) {
		b = malloc(cap ? cap : 1);
		assert_non_null(b);
		rc = rsip_encode(&m, cap ? b : NULL, cap);
		free(b);
		if (rc != -ENOSPC)
			fail_msg("cap %zu: got %zd", cap, rc);
	}
	b = malloc((size_t)n);
	assert_int_equal(rsip_encode(&m, b, (size_t)n), n);
	assert_memory_equal(b, buf, (size_t)n);
	free(b);
}

static void test_emsgsize(void **state)
{
	static uint8_t data[2100];
	ssize_t n;

	rsip_msg_init(&m, RSIP_REGISTER_REQUEST);
	m.n_vendor = 2;
	m.vendor[0] = (struct rsip_vendor){.vendor_id = 1, .len = 2000, .data = data};
	m.vendor[1] = (struct rsip_vendor){.vendor_id = 2, .len = 2078, .data = data};
	n = rsip_encode(&m, buf, sizeof(buf));
	assert_int_equal(n, RSIP_MAX_MSG); /* 4 + 2007 + 2085 */
	m.vendor[1].len++;
	/* Too big for any RSIP receiver of ours, whatever the buffer. */
	assert_int_equal(rsip_encode(&m, buf, sizeof(buf)), -EMSGSIZE);
	assert_int_equal(rsip_encode(&m, buf, 10), -EMSGSIZE);
}

/* D5 spellings built through the API go out canonically. */
static void test_canonical_forms(void **state)
{
	struct rsip_decode_err err;
	uint8_t want[64];
	size_t wn;
	ssize_t n;

	rsip_msg_init(&m, RSIP_ASSIGN_REQUEST_RSIPSEC);
	m.has = RSIP_HAS_CLIENT_ID | RSIP_HAS_LOCAL_ADDR | RSIP_HAS_LOCAL_PORTS |
		RSIP_HAS_REMOTE_ADDR | RSIP_HAS_REMOTE_PORTS | RSIP_HAS_SPI;
	m.client_id = 7;
	m.local_addr.type = RSIP_ADDR_IPV4; /* 0.0.0.0, any not set */
	m.local_ports.form = RSIP_PORTS_RANGE;
	m.local_ports.number = 1;	     /* port 0 */
	m.remote_addr.type = RSIP_ADDR_IPV6; /* :: */
	m.remote_ports.form = RSIP_PORTS_NOT_NEEDED;
	m.remote_ports.number = 5; /* ignored by "don't need" */
	m.spi.form = RSIP_SPI_RANGE;
	m.spi.number = 1; /* SPI 0 */
	m.tunnels[0] = 9; /* n_tunnels 0: not sent */
	n = rsip_encode(&m, buf, sizeof(buf));
	wn = hex2bin("01 16 00 1f | 04 00 04 00 00 00 07 | 01 00 01 01 | 02 00 01 01 | "
		     "01 00 01 03 | 02 00 00 | 16 00 02 00 01",
		     want, sizeof(want));
	assert_int_equal(n, wn);
	assert_memory_equal(buf, want, wn);
	assert_int_equal(decode_exact(buf, (size_t)n, &m, &err), 0);
	assert_true(m.local_addr.any);
	assert_int_equal(m.local_ports.form, RSIP_PORTS_ANY);
	assert_true(m.remote_addr.any);
	assert_int_equal(m.spi.form, RSIP_SPI_ANY);
}

static void test_msg_error(void **state)
{
	struct rsip_decode_err err;
	uint8_t want[64];
	size_t wn;
	ssize_t n;

	rsip_msg_error(&m, RSIP_E_BAD_BIND_ID, true, 3, true, 7, true, 99);
	assert_int_equal(m.version, 1);
	assert_int_equal(m.type, RSIP_ERROR_RESPONSE);
	assert_int_equal(m.has,
			 RSIP_HAS_ERROR | RSIP_HAS_COUNTER | RSIP_HAS_CLIENT_ID | RSIP_HAS_BIND_ID);
	n = rsip_encode(&m, buf, sizeof(buf));
	wn = hex2bin("01 01 00 1e | 08 00 02 01 32 | 0b 00 04 00 00 00 03 | 04 00 04 00 00 00 07 "
		     "| 05 00 04 00 00 00 63",
		     want, sizeof(want));
	assert_int_equal(n, wn);
	assert_memory_equal(buf, want, wn);

	/* Unsolicited: counter 0, nothing else. */
	rsip_msg_error(&m, RSIP_E_LOCAL_ADDR_UNALLOWED, true, 0, false, 5, false, 5);
	assert_int_equal(m.has, RSIP_HAS_ERROR | RSIP_HAS_COUNTER);
	n = rsip_encode(&m, buf, sizeof(buf));
	assert_int_equal(n, 16);
	assert_int_equal(decode_exact(buf, (size_t)n, &m, &err), 0);
	assert_int_equal(m.error, RSIP_E_LOCAL_ADDR_UNALLOWED);
	assert_int_equal(m.counter, 0);

	/* From a failed decode, as the daemon does it. */
	assert_int_equal(decode_exact((const uint8_t *)"\x02\x04\x00\x12"
						       "\x04\x00\x04\x00\x00\x00\x07"
						       "\x0b\x00\x04\x00\x00\x00\x05",
				      18, &m, &err),
			 RSIP_E_UNSUPPORTED_RSIP_VERSION);
	rsip_msg_error(&m, err.error, err.has_counter, err.counter, err.has_client_id,
		       err.client_id, false, 0);
	n = rsip_encode(&m, buf, sizeof(buf));
	wn = hex2bin("01 01 00 17 | 08 00 02 00 6a | 0b 00 04 00 00 00 05 | 04 00 04 00 00 00 07",
		     want, sizeof(want));
	assert_int_equal(n, wn);
	assert_memory_equal(buf, want, wn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shape_refusals),
	    cmocka_unit_test(test_value_refusals),
	    cmocka_unit_test(test_register_response_refusals),
	    cmocka_unit_test(test_enospc),
	    cmocka_unit_test(test_emsgsize),
	    cmocka_unit_test(test_canonical_forms),
	    cmocka_unit_test(test_msg_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
