// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "log.h"
#include "statefile.h"

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int statefile_write(const char *path, struct json_object *st)
{
	char tmp[PATH_MAX], dcopy[PATH_MAX], *dir;
	const char *text;
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp) ||
	    snprintf(dcopy, sizeof(dcopy), "%s", path) >= (int)sizeof(dcopy))
		return -ENAMETOOLONG;
	dir = dirname(dcopy);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	text = json_object_to_json_string_ext(st, JSON_C_TO_STRING_PLAIN);
	if (!text)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = write_all(fd, text, strlen(text));
	if (!rc)
		rc = write_all(fd, "\n", 1);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc) {
		unlink(tmp);
		return rc;
	}
	return fsync_dir(dir);
}

int statefile_read(const char *path, struct json_object **out)
{
	struct json_object *st;
	struct stat sb;
	char *buf;
	FILE *f;
	size_t n;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fstat(fileno(f), &sb) < 0 || sb.st_size > 1024L * 1024 * 1024) {
		fclose(f);
		return -EFBIG;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, (size_t)sb.st_size, f);
	fclose(f);
	buf[n] = '\0';
	st = json_tokener_parse(buf);
	free(buf);
	if (!st)
		return -EINVAL;
	*out = st;
	return 0;
}

/* ---- rsipd's use of it ------------------------------------------------------ */

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int statefile_load_engine(struct engine *e, const char *path)
{
	struct json_object *st = NULL;
	char err[512];
	int rc;

	rc = statefile_read(path, &st);
	if (rc == -ENOENT) {
		log_info("state file %s: none yet, starting afresh", path);
		return 0;
	}
	if (rc < 0) {
		log_warnx("state file %s: %s%s", path, rc == -EINVAL ? "not JSON" : strerror(-rc),
			  " (move it away to start afresh: every client then registers again)");
		return rc;
	}
	rc = engine_state_restore(e, st, wall_ms(), err, sizeof(err));
	json_object_put(st);
	if (rc < 0)
		log_warnx("state file %s: %s", path, rc == -ENOMEM ? "out of memory" : err);
	return rc;
}
