// SPDX-License-Identifier: BSD-2-Clause
/*
 * Building and holding a struct rsip_msg: the struct stays within 4 KB;
 * rsip_msg_init and rsip_decode clear the fixed fields and leave the counted
 * tuple and vendor slots alone; rsip_msg_add_tuple/_vendor hand out zeroed
 * slots up to the caps; rsip_ports_set/rsip_spi_set pick RANGE or LIST; a
 * decoded message's lists and FQDNs are views into the decoded bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "rsip/msg.h"

static struct rsip_msg m;

static void test_size(void **state)
{
	/* The _Static_assert in msg.h holds this at build time; say it here
	 * too so a failing build is not the only place it shows. */
	assert_true(sizeof(struct rsip_msg) <= 4096);
	/* The part every init and decode clears is small. */
	assert_true(offsetof(struct rsip_msg, tuples) <= 256);
}

static void test_init_leaves_counted_slots(void **state)
{
	memset(&m, 0xa5, sizeof(m));
	rsip_msg_init(&m, RSIP_QUERY_REQUEST);
	assert_int_equal(m.version, RSIP_VERSION);
	assert_int_equal(m.type, RSIP_QUERY_REQUEST);
	assert_int_equal(m.has, 0);
	assert_int_equal(m.n_tuples, 0);
	assert_int_equal(m.n_vendor, 0);
	assert_int_equal(m.local_ports.form, RSIP_PORTS_UNSET);
	assert_null(m.spi.list);
	/* Not cleared: nothing reads a slot past the count. */
	assert_int_equal(m.tuples[5].indicator, 0xa5);
	assert_int_equal(m.vendor[3].subtype, 0xa5a5);
}

static void test_add_slots(void **state)
{
	struct rsip_tuple *t;
	struct rsip_vendor *v;
	int i;

	memset(&m, 0xa5, sizeof(m));
	rsip_msg_init(&m, RSIP_QUERY_REQUEST);
	for (i = 0; i < RSIP_MAX_TUPLES; i++) {
		t = rsip_msg_add_tuple(&m);
		assert_ptr_equal(t, &m.tuples[i]);
		assert_int_equal(t->indicator, 0);
		assert_false(t->addr.any);
		assert_int_equal(t->mask.type, 0);
	}
	assert_null(rsip_msg_add_tuple(&m));
	assert_int_equal(m.n_tuples, RSIP_MAX_TUPLES);
	for (i = 0; i < RSIP_MAX_VENDOR; i++) {
		v = rsip_msg_add_vendor(&m);
		assert_non_null(v);
		assert_null(v->data);
		assert_int_equal(v->len, 0);
	}
	assert_null(rsip_msg_add_vendor(&m));
	assert_int_equal(m.n_vendor, RSIP_MAX_VENDOR);
}

static void test_set_lists(void **state)
{
	static const uint16_t run[] = {7000, 7001, 7002}, scattered[] = {7000, 7005, 7001};
	static const uint32_t spi_run[] = {0x500, 0x501}, spi_scattered[] = {0x900, 0x500};
	struct rsip_ports p;
	struct rsip_spi s;

	rsip_ports_set(&p, run, 3);
	assert_int_equal(p.form, RSIP_PORTS_RANGE);
	assert_int_equal(p.first, 7000);
	assert_int_equal(rsip_ports_at(&p, 2), 7002);
	rsip_ports_set(&p, scattered, 3);
	assert_int_equal(p.form, RSIP_PORTS_LIST);
	assert_ptr_equal(p.list, scattered); /* the sender's array, not a copy */
	assert_int_equal(rsip_ports_at(&p, 1), 7005);
	rsip_ports_set(&p, run, 1);
	assert_int_equal(p.form, RSIP_PORTS_RANGE);
	assert_int_equal(p.number, 1);

	rsip_spi_set(&s, spi_run, 2);
	assert_int_equal(s.form, RSIP_SPI_RANGE);
	assert_int_equal(rsip_spi_at(&s, 1), 0x501);
	rsip_spi_set(&s, spi_scattered, 2);
	assert_int_equal(s.form, RSIP_SPI_LIST);
	assert_int_equal(rsip_spi_at(&s, 0), 0x900);
	assert_int_equal(rsip_spi_at(&s, 1), 0x500);
	/* Other forms have no values. */
	s.form = RSIP_SPI_ANY;
	assert_int_equal(rsip_spi_at(&s, 0), 0);
}

/* A decoded LIST and FQDN point into the decoded bytes: nothing is copied,
 * and the values read through the view are the wire's. */
static void test_decoded_views(void **state)
{
	static uint8_t enc[RSIP_MAX_MSG];
	static const uint16_t lports[] = {5000, 7000, 6000};
	static const uint32_t spis[] = {0x3000, 0x1000};
	struct rsip_decode_err err;
	ssize_t n;

	rsip_msg_init(&m, RSIP_ASSIGN_REQUEST_RSIPSEC);
	m.has = RSIP_HAS_CLIENT_ID | RSIP_HAS_LOCAL_ADDR | RSIP_HAS_LOCAL_PORTS |
		RSIP_HAS_REMOTE_ADDR | RSIP_HAS_REMOTE_PORTS | RSIP_HAS_SPI;
	m.client_id = 3;
	m.local_addr.type = RSIP_ADDR_IPV4;
	m.local_addr.any = true;
	m.remote_addr.type = RSIP_ADDR_FQDN;
	m.remote_addr.u.fqdn = "ike.example";
	m.remote_addr.fqdn_len = 11;
	rsip_ports_set(&m.local_ports, lports, 3);
	m.remote_ports.form = RSIP_PORTS_ANY;
	m.remote_ports.number = 1;
	rsip_spi_set(&m.spi, spis, 2);
	n = rsip_encode(&m, enc, sizeof(enc));
	assert_true(n > 0);

	assert_int_equal(rsip_decode(enc, (size_t)n, &m, &err), 0);
	assert_int_equal(m.local_ports.form, RSIP_PORTS_LIST);
	assert_null(m.local_ports.list);
	assert_true(m.local_ports.list_wire > enc && m.local_ports.list_wire < enc + n);
	assert_int_equal(rsip_ports_at(&m.local_ports, 2), 6000);
	assert_true(m.spi.list_wire > enc && m.spi.list_wire < enc + n);
	assert_int_equal(rsip_spi_at(&m.spi, 0), 0x3000);
	assert_true((const uint8_t *)m.remote_addr.u.fqdn > enc &&
		    (const uint8_t *)m.remote_addr.u.fqdn < enc + n);
	assert_memory_equal(m.remote_addr.u.fqdn, "ike.example", 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_size),	  cmocka_unit_test(test_init_leaves_counted_slots),
	    cmocka_unit_test(test_add_slots),	  cmocka_unit_test(test_set_lists),
	    cmocka_unit_test(test_decoded_views),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
