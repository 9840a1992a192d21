// SPDX-License-Identifier: BSD-2-Clause
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pinned_record.h"

int pinned_path(char *buf, size_t len, const char *dir, const char *prefix, const char *name)
{
	int head = snprintf(buf, len, "%s/%s", dir, prefix);
	char *p;

	if (head < 0 || head >= (int)len ||
	    snprintf(buf + head, len - (size_t)head, "%s", name) >= (int)len - head)
		return -ENAMETOOLONG;
	for (p = buf + head; *p; p++)
		if (*p == '.')
			*p = '_';
	return 0;
}

/* The directory is rsipd's (0700); refusing a symlink keeps a pin from
 * being any other file of the bpffs. */
int pinned_open(const char *path)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int pinned_record_read(const char *dir, const char *name, void *value, size_t size)
{
	struct bpf_map_info info = {0};
	uint32_t len = sizeof(info), key = 0;
	char path[PATH_MAX];
	int fd, rc;

	rc = pinned_path(path, sizeof(path), dir, "", name);
	if (rc)
		return rc;
	fd = pinned_open(path);
	if (fd < 0)
		return fd;
	rc = bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ? -errno : 0;
	if (!rc && (info.type != BPF_MAP_TYPE_ARRAY || info.key_size != sizeof(key) ||
		    info.value_size != size))
		rc = -EPROTO; /* another layout */
	if (!rc && bpf_map_lookup_elem(fd, &key, value) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int pinned_record_write(const char *dir, const char *name, const void *value, size_t size)
{
	char path[PATH_MAX];
	uint32_t key = 0;
	int fd, rc;

	rc = pinned_path(path, sizeof(path), dir, "", name);
	if (rc)
		return rc;
	if (size > UINT32_MAX)
		return -E2BIG;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(key), (uint32_t)size, 1, NULL);
	if (fd < 0)
		return -errno;
	rc = 0;
	if (bpf_map_update_elem(fd, &key, value, BPF_ANY) < 0)
		rc = -errno;
	if (!rc) {
		unlink(path);
		if (bpf_obj_pin(fd, path) < 0) /* 0600: bpffs pins get no group or other bits */
			rc = -errno;
	}
	close(fd);
	return rc;
}

void pinned_record_withdraw(const char *dir, const char *name)
{
	char path[PATH_MAX];

	if (pinned_path(path, sizeof(path), dir, "", name) == 0)
		unlink(path);
}

int pinned_prog_fd(const struct bpf_program *const *prog, const int *fd, size_t n,
		   const struct bpf_program *p)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (prog[i] == p)
			return fd[i];
	return bpf_program__fd(p);
}

void pinned_progs_close(const int *fd, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		close(fd[i]);
}
