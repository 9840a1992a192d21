// SPDX-License-Identifier: BSD-2-Clause
/* rsipc's lease as environment, text and JSON (user/rsipc/lease_view.c): what a
 * command run by `rsipc up -- CMD` finds in its environment. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../user/rsipc/lease_view.h"

static struct rsip_registration reg = {.registered = true, .client_id = 4242};
static struct rsip_binding *b;
static struct rsipc_lease l;

static int setup(void **state)
{
	(void)state;
	b = calloc(1, sizeof(*b));
	b->bind_id = 77;
	b->method = RSIP_METHOD_RSIPSEC;
	b->tunnel = RSIP_TUNNEL_IPIP;
	inet_pton(AF_INET, "192.0.2.10", &b->addr);
	inet_pton(AF_INET, "10.0.0.1", &b->endpoint);
	b->lease_s = 600;
	b->n_spis = 256;
	b->spi_range = true;
	b->spi_first = 0x1000;
	b->n_ports = 5;
	b->port_range = true;
	b->port_first = 40000;
	memset(&l, 0, sizeof(l));
	inet_pton(AF_INET, "10.0.0.1", &l.server);
	l.server_port = 4555;
	l.transport = RSIP_TRANSPORT_TCP;
	snprintf(l.dev, sizeof(l.dev), "rsip0");
	l.mtu = 1480;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(b);
	return 0;
}

static const char *get(char **env, const char *name)
{
	size_t n = strlen(name);
	const char *found = NULL;

	for (; *env; env++) {
		if (!strncmp(*env, name, n) && (*env)[n] == '=') {
			assert_null(found); /* each variable once */
			found = *env + n + 1;
		}
	}
	return found;
}

static void test_env_with_ike_ports(void **state)
{
	char *base[] = {"PATH=/usr/bin", "RSIP_ADDRESS=203.0.113.1", "RSIP_STALE=1", "HOME=/root",
			NULL};
	char **env;

	(void)state;
	assert_int_equal(rsipc_lease_from(&l, &reg, b, true), 0);
	env = rsipc_env_build(&l, base);
	assert_non_null(env);
	/* The caller's variables stay, stale RSIP_* ones go. */
	assert_string_equal(get(env, "PATH"), "/usr/bin");
	assert_string_equal(get(env, "HOME"), "/root");
	assert_null(get(env, "RSIP_STALE"));
	assert_string_equal(get(env, "RSIP_ADDRESS"), "192.0.2.10");
	assert_string_equal(get(env, "RSIP_SERVER"), "10.0.0.1:4555");
	assert_string_equal(get(env, "RSIP_TRANSPORT"), "tcp");
	assert_string_equal(get(env, "RSIP_ENDPOINT"), "10.0.0.1");
	assert_string_equal(get(env, "RSIP_CLIENT_ID"), "4242");
	assert_string_equal(get(env, "RSIP_BIND_ID"), "77");
	assert_string_equal(get(env, "RSIP_METHOD"), "rsipsec");
	assert_string_equal(get(env, "RSIP_LEASE"), "600");
	assert_string_equal(get(env, "RSIP_TUNNEL_DEV"), "rsip0");
	assert_string_equal(get(env, "RSIP_TUNNEL_TYPE"), "ipip");
	assert_string_equal(get(env, "RSIP_MTU"), "1480");
	/* strongSwan's charon.spi_min / spi_max take these as they are. */
	assert_string_equal(get(env, "RSIP_SPI_MIN"), "0x00001000");
	assert_string_equal(get(env, "RSIP_SPI_MAX"), "0x000010ff");
	assert_string_equal(get(env, "RSIP_SPI_COUNT"), "256");
	/* The first two ports are IKE and NAT-T, the rest general. */
	assert_string_equal(get(env, "RSIP_IKE_PORT"), "40000");
	assert_string_equal(get(env, "RSIP_NATT_PORT"), "40001");
	assert_string_equal(get(env, "RSIP_PORTS"), "40002-40004");
	rsipc_env_free(env);
}

static void test_env_without_ports_or_spis(void **state)
{
	char **env;

	(void)state;
	b->n_ports = 0;
	b->method = RSIP_METHOD_RSA_IP;
	b->n_spis = 0;
	b->tunnel = RSIP_TUNNEL_GRE;
	assert_int_equal(rsipc_lease_from(&l, &reg, b, false), 0);
	env = rsipc_env_build(&l, NULL);
	assert_non_null(env);
	assert_string_equal(get(env, "RSIP_METHOD"), "rsa-ip");
	assert_string_equal(get(env, "RSIP_TUNNEL_TYPE"), "gre");
	/* Set but empty: "nothing leased", as opposed to "not under rsipc". */
	assert_string_equal(get(env, "RSIP_IKE_PORT"), "");
	assert_string_equal(get(env, "RSIP_NATT_PORT"), "");
	assert_string_equal(get(env, "RSIP_PORTS"), "");
	assert_string_equal(get(env, "RSIP_SPI_MIN"), "");
	assert_string_equal(get(env, "RSIP_SPI_COUNT"), "0");
	rsipc_env_free(env);
}

static void test_ike_needs_two_ports(void **state)
{
	(void)state;
	b->n_ports = 1;
	assert_int_equal(rsipc_lease_from(&l, &reg, b, true), -EPROTO);
	b->n_ports = 2;
	assert_int_equal(rsipc_lease_from(&l, &reg, b, true), 0);
	assert_int_equal(l.ike_port, 40000);
	assert_int_equal(l.natt_port, 40001);
}

static void test_port_lists_and_spi_lists(void **state)
{
	char buf[64], **env;

	(void)state;
	b->port_range = false;
	b->n_ports = 4;
	b->ports[0] = 500;
	b->ports[1] = 4500;
	b->ports[2] = 7000;
	b->ports[3] = 9000;
	b->spi_range = false;
	b->n_spis = 3;
	b->spi_first = 0x300;
	b->spis[0] = 0x900;
	b->spis[1] = 0x300;
	b->spis[2] = 0x500;
	assert_int_equal(rsipc_lease_from(&l, &reg, b, true), 0);
	assert_int_equal(l.ike_port, 500);
	assert_int_equal(l.natt_port, 4500);
	rsipc_lease_ports_text(&l, buf, sizeof(buf));
	assert_string_equal(buf, "7000,9000");
	assert_int_equal(l.spi_min, 0x300);
	assert_int_equal(l.spi_max, 0x900);
	/* Not a window we own end to end: never offered as one. */
	env = rsipc_env_build(&l, NULL);
	assert_string_equal(get(env, "RSIP_SPI_MIN"), "");
	assert_string_equal(get(env, "RSIP_SPI_MAX"), "");
	assert_string_equal(get(env, "RSIP_SPI_COUNT"), "3");
	rsipc_env_free(env);
	/* One general port. */
	b->n_ports = 3;
	rsipc_lease_from(&l, &reg, b, true);
	rsipc_lease_ports_text(&l, buf, sizeof(buf));
	assert_string_equal(buf, "7000");
}

static void test_json(void **state)
{
	struct json_object *j, *v;

	(void)state;
	assert_int_equal(rsipc_lease_from(&l, &reg, b, true), 0);
	j = rsipc_lease_json(&l);
	assert_non_null(j);
	assert_true(json_object_object_get_ex(j, "address", &v));
	assert_string_equal(json_object_get_string(v), "192.0.2.10");
	assert_true(json_object_object_get_ex(j, "spi_min", &v));
	assert_string_equal(json_object_get_string(v), "0x00001000");
	assert_true(json_object_object_get_ex(j, "spi_max", &v));
	assert_string_equal(json_object_get_string(v), "0x000010ff");
	assert_true(json_object_object_get_ex(j, "ike_port", &v));
	assert_int_equal(json_object_get_int(v), 40000);
	assert_true(json_object_object_get_ex(j, "ports", &v));
	assert_int_equal(json_object_array_length(v), 5);
	assert_true(json_object_object_get_ex(j, "client_id", &v));
	assert_int_equal(json_object_get_int64(v), 4242);
	assert_true(json_object_object_get_ex(j, "dev", &v));
	assert_string_equal(json_object_get_string(v), "rsip0");
	json_object_put(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_env_with_ike_ports, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_env_without_ports_or_spis, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ike_needs_two_ports, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_port_lists_and_spi_lists, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_json, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
