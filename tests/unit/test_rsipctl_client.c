// SPDX-License-Identifier: BSD-2-Clause
/* rsipctl's command line, the requests it builds, and the control-socket
 * round trip against a scripted fake daemon (user/lib/ctl_client.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ctl_client.h"

#define ARGV(...)	   ((char *const[]){"rsipctl", __VA_ARGS__, NULL})
#define ARGC(...)	   ((int)(sizeof((char *[]){"rsipctl", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(a, err, ...) ctl_parse_args(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), a, err, sizeof(err))

static void test_parse_commands(void **state)
{
	struct ctl_args a;
	char err[256];

	assert_int_equal(PARSE(&a, err, "status"), 0);
	assert_int_equal(a.cmd, CTL_CMD_STATUS);
	assert_string_equal(a.socket, CTL_DEFAULT_SOCKET);
	assert_false(a.json);
	assert_false(a.has_id);

	assert_int_equal(PARSE(&a, err, "--json", "clients"), 0);
	assert_int_equal(a.cmd, CTL_CMD_CLIENTS);
	assert_true(a.json);

	/* Options after the command, both socket spellings. */
	assert_int_equal(PARSE(&a, err, "counters", "-j", "--socket", "/tmp/x.sock"), 0);
	assert_int_equal(a.cmd, CTL_CMD_COUNTERS);
	assert_true(a.json);
	assert_string_equal(a.socket, "/tmp/x.sock");
	assert_int_equal(PARSE(&a, err, "--socket=/tmp/y", "status"), 0);
	assert_string_equal(a.socket, "/tmp/y");
	assert_int_equal(PARSE(&a, err, "-s", "/tmp/z", "status"), 0);
	assert_string_equal(a.socket, "/tmp/z");

	/* IDs: optional for bindings, required for free/deregister, hex ok. */
	assert_int_equal(PARSE(&a, err, "bindings"), 0);
	assert_false(a.has_id);
	assert_int_equal(PARSE(&a, err, "bindings", "0x1f"), 0);
	assert_true(a.has_id);
	assert_int_equal(a.id, 31);
	assert_int_equal(PARSE(&a, err, "free", "4294967295"), 0);
	assert_int_equal(a.cmd, CTL_CMD_FREE);
	assert_int_equal(a.id, 4294967295u);
	assert_int_equal(PARSE(&a, err, "deregister", "--", "12"), 0);
	assert_int_equal(a.cmd, CTL_CMD_DEREGISTER);
	assert_int_equal(a.id, 12);

	assert_int_equal(PARSE(&a, err, "status", "-h"), 0);
	assert_true(a.help);
	assert_int_equal(PARSE(&a, err, "--help"), 0);
	assert_true(a.help);
}

static void expect_usage_error(int ret, const char *err, const char *want)
{
	assert_int_equal(ret, -EINVAL);
	if (!strstr(err, want))
		fprintf(stderr, "error '%s' lacks '%s'\n", err, want);
	assert_non_null(strstr(err, want));
}

static void test_parse_errors(void **state)
{
	struct ctl_args a;
	char err[256];

	expect_usage_error(ctl_parse_args(1, ARGV(NULL), &a, err, sizeof(err)), err,
			   "no command given");
	expect_usage_error(PARSE(&a, err, "--json"), err, "no command given");
	expect_usage_error(PARSE(&a, err, "stats"), err, "unknown command 'stats'");
	expect_usage_error(PARSE(&a, err, "-x", "status"), err, "unknown option -x");
	expect_usage_error(PARSE(&a, err, "status", "--socket"), err, "--socket needs a PATH");
	expect_usage_error(PARSE(&a, err, "--socket=", "status"), err, "non-empty PATH");
	expect_usage_error(PARSE(&a, err, "status", "3"), err, "status: unexpected argument '3'");
	expect_usage_error(PARSE(&a, err, "free"), err, "free needs a BIND_ID");
	expect_usage_error(PARSE(&a, err, "deregister"), err, "deregister needs a CLIENT_ID");
	expect_usage_error(PARSE(&a, err, "free", "-1"), err, "unknown option -1");
	expect_usage_error(PARSE(&a, err, "free", "--", "-1"), err, "bad BIND_ID '-1'");
	expect_usage_error(PARSE(&a, err, "bindings", "4294967296"), err,
			   "bad CLIENT_ID '4294967296'");
	expect_usage_error(PARSE(&a, err, "bindings", "7x"), err, "bad CLIENT_ID '7x'");
	expect_usage_error(PARSE(&a, err, "free", "1", "2"), err, "unexpected argument");
}

static void expect_request(const char *want, struct ctl_args *a)
{
	struct json_object *req = ctl_build_request(a);

	assert_non_null(req);
	assert_string_equal(json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN), want);
	json_object_put(req);
}

static void test_requests(void **state)
{
	struct ctl_args a;
	char err[256];

	assert_int_equal(PARSE(&a, err, "status"), 0);
	expect_request("{\"cmd\":\"status\"}", &a);
	assert_int_equal(PARSE(&a, err, "clients"), 0);
	expect_request("{\"cmd\":\"clients\"}", &a);
	assert_int_equal(PARSE(&a, err, "counters"), 0);
	expect_request("{\"cmd\":\"counters\"}", &a);
	assert_int_equal(PARSE(&a, err, "bindings"), 0);
	expect_request("{\"cmd\":\"bindings\"}", &a);
	assert_int_equal(PARSE(&a, err, "bindings", "0x10"), 0);
	expect_request("{\"cmd\":\"bindings\",\"client_id\":16}", &a);
	assert_int_equal(PARSE(&a, err, "free", "4294967295"), 0);
	expect_request("{\"cmd\":\"free\",\"bind_id\":4294967295}", &a);
	assert_int_equal(PARSE(&a, err, "deregister", "9"), 0);
	expect_request("{\"cmd\":\"deregister\",\"client_id\":9}", &a);
}

/* ---- the round trip, against a fake daemon on a socketpair ---------------- */

struct fake {
	int fd;
	char got[512];	    /* the request line it read, without "\n" */
	const char *answer; /* written back verbatim; NULL: nothing */
	size_t split;	    /* write the answer in two pieces at this offset */
	int close_after;    /* close the socket after answering */
};

static void *fake_daemon(void *arg)
{
	struct fake *f = arg;
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(f->got) - 1) {
		n = read(f->fd, f->got + len, 1);
		if (n <= 0 || f->got[len] == '\n')
			break;
		len++;
	}
	f->got[len] = '\0';
	if (f->answer) {
		size_t total = strlen(f->answer),
		       cut = f->split && f->split < total ? f->split : total;

		if (write(f->fd, f->answer, cut) < 0)
			return NULL;
		if (cut < total) {
			usleep(20000); /* the client must keep reading until "\n" */
			if (write(f->fd, f->answer + cut, total - cut) < 0)
				return NULL;
		}
	}
	if (f->close_after)
		shutdown(f->fd, SHUT_RDWR);
	return NULL;
}

/* Run one transaction of req against a fake daemon answering answer. */
static int round_trip(struct fake *f, const char *req_json, int timeout_ms,
		      struct json_object **data, char *err, size_t errlen)
{
	struct json_object *req = json_tokener_parse(req_json);
	pthread_t th;
	int sv[2], ret;

	assert_non_null(req);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	f->fd = sv[1];
	assert_int_equal(pthread_create(&th, NULL, fake_daemon, f), 0);
	ret = ctl_transact(sv[0], req, timeout_ms, data, err, errlen);
	/* Unblock a fake still waiting for a request that never came. */
	shutdown(sv[0], SHUT_RDWR);
	assert_int_equal(pthread_join(th, NULL), 0);
	close(sv[0]);
	close(sv[1]);
	json_object_put(req);
	return ret;
}

static void test_transact_ok(void **state)
{
	struct fake f = {.answer =
			     "{\"ok\":true,\"data\":{\"clients\":3,\"public\":[\"192.0.2.1\"]}}\n",
			 .split = 10};
	struct json_object *data = NULL, *v;
	char err[256] = "";

	assert_int_equal(round_trip(&f, "{\"cmd\":\"status\"}", 5000, &data, err, sizeof(err)), 0);
	/* The request goes as exactly one line. */
	assert_string_equal(f.got, "{\"cmd\":\"status\"}");
	assert_non_null(data);
	assert_true(json_object_object_get_ex(data, "clients", &v));
	assert_int_equal(json_object_get_int(v), 3);
	json_object_put(data);

	/* ok with JSON null data. */
	f = (struct fake){.answer = "{\"ok\":true,\"data\":null}\n"};
	data = (struct json_object *)&f; /* must be reset */
	assert_int_equal(
	    round_trip(&f, "{\"cmd\":\"free\",\"bind_id\":5}", 5000, &data, err, sizeof(err)), 0);
	assert_string_equal(f.got, "{\"cmd\":\"free\",\"bind_id\":5}");
	assert_null(data);
}

static void test_transact_daemon_error(void **state)
{
	struct fake f = {.answer = "{\"ok\":false,\"error\":\"no binding 5\"}\n"};
	struct json_object *data = NULL;
	char err[256] = "";

	assert_int_equal(
	    round_trip(&f, "{\"cmd\":\"free\",\"bind_id\":5}", 5000, &data, err, sizeof(err)),
	    -EREMOTEIO);
	assert_string_equal(err, "no binding 5");
	assert_null(data);

	f = (struct fake){.answer = "{\"ok\":false}\n"};
	assert_int_equal(round_trip(&f, "{\"cmd\":\"x\"}", 5000, &data, err, sizeof(err)),
			 -EREMOTEIO);
	assert_non_null(strstr(err, "without saying why"));
}

static void test_transact_broken_responses(void **state)
{
	static const char *const bad[] = {
	    "not json\n", "[1,2]\n", "{\"data\":1}\n", "{\"ok\":\"yes\"}\n", "\n",
	};
	struct json_object *data = NULL;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fake f = {.answer = bad[i]};

		assert_int_equal(
		    round_trip(&f, "{\"cmd\":\"status\"}", 5000, &data, err, sizeof(err)), -EPROTO);
		assert_null(data);
	}

	/* Closed without a complete line. */
	struct fake f = {.answer = "{\"ok\":true", .close_after = 1};

	assert_int_equal(round_trip(&f, "{\"cmd\":\"status\"}", 5000, &data, err, sizeof(err)),
			 -ECONNRESET);
	assert_non_null(strstr(err, "closed the connection"));
}

static void test_transact_timeout(void **state)
{
	/* A daemon that reads the request and never answers. */
	struct fake f = {.answer = NULL};
	struct json_object *data = NULL;
	char err[256];

	assert_int_equal(round_trip(&f, "{\"cmd\":\"status\"}", 50, &data, err, sizeof(err)),
			 -ETIMEDOUT);
	assert_non_null(strstr(err, "did not answer within 50 ms"));
}

static void test_connect(void **state)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char dir[] = "/tmp/rsipctl-test-XXXXXX", path[128], err[512];
	char longpath[200];
	int lfd, fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);

	/* Nobody listening: the message says what to check. */
	fd = ctl_connect(path, err, sizeof(err));
	assert_int_equal(fd, -ENOENT);
	assert_non_null(strstr(err, "cannot connect to "));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "is rsipd running? --socket PATH"));

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(ctl_connect(longpath, err, sizeof(err)), -ENAMETOOLONG);
	assert_non_null(strstr(err, "too long"));

	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	fd = ctl_connect(path, err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
	close(lfd);

	/* A socket file whose daemon is gone. */
	fd = ctl_connect(path, err, sizeof(err));
	assert_int_equal(fd, -ECONNREFUSED);
	assert_non_null(strstr(err, "is rsipd running?"));
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_commands),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_requests),
	    cmocka_unit_test(test_transact_ok),
	    cmocka_unit_test(test_transact_daemon_error),
	    cmocka_unit_test(test_transact_broken_responses),
	    cmocka_unit_test(test_transact_timeout),
	    cmocka_unit_test(test_connect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
