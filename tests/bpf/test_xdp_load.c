// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsipd's loader on a real bpffs: --map-prealloc creates the hash maps
 * preallocated, a restart reuses the pins as they were created whatever the
 * flag now says (libbpf refuses a pin whose flags differ), and only a start
 * after the pins are gone changes it. Pins go to a bpffs of this test's own,
 * mounted on a temporary directory and removed at the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane/dataplane.h"
#include "dataplane/xdp_load.h"
#include "rsip/dp_abi.h"
#include "rsip_xdp.skel.h"

static char mnt[] = "/tmp/rsip-test-load.XXXXXX";
static char pin_dir[PATH_MAX];

static struct xdp_load_cfg cfg(bool prealloc)
{
	struct xdp_load_cfg c = {
	    .pin_path = pin_dir,
	    .map_size = 1024, /* small: a preallocated map reserves it all */
	    .na = htonl(0x0a000001),
	    .lan_mac = {0x02, 0, 0, 0, 0, 1},
	    .lan_mtu = 1500,
	    .spi_block_shift = 8,
	    .map_prealloc = prealloc,
	};

	return c;
}

/* The map_flags of the pinned map called name. */
static uint32_t pinned_flags(const char *name)
{
	struct bpf_map_info info = {0};
	uint32_t len = sizeof(info);
	char path[PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	fd = bpf_obj_get(path);
	assert_true(fd >= 0);
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	close(fd);
	return info.map_flags;
}

/* The SPI directory key of the last fresh load: reused pins keep it (the
 * slots of live blocks must not move). */
static uint64_t fresh_key;

static void load(bool prealloc, bool want_reused)
{
	struct xdp_load_cfg c = cfg(prealloc);
	struct rsip_xdp *skel = NULL;
	struct dp_dirs dir = {0};
	bool reused = !want_reused;

	assert_int_equal(xdp_load(&c, &skel, &reused, &dir), 0);
	assert_non_null(skel);
	assert_int_equal(reused, want_reused);
	assert_true(dir.key != 0);
	assert_int_equal(dir.slots, bpf_map__max_entries(skel->maps.rsip_spi_dir));
	assert_true(dir.per_nb > 0 && dir.per_nb <= dir.slots);
	if (want_reused)
		assert_true(dir.key == fresh_key);
	else
		fresh_key = dir.key;
	rsip_xdp__destroy(skel); /* the pins stay */
}

static void prealloc_follows_the_pins(void **state)
{
	static const char *const hashes[] = {RSIP_MAP_CLIENTS, RSIP_MAP_NB, RSIP_MAP_PORTS,
					     RSIP_MAP_IKE, RSIP_MAP_OUT_SPI};

	load(true, false);
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		assert_false(pinned_flags(hashes[i]) & BPF_F_NO_PREALLOC);
	/* Restart without the flag: the pins are reused as they are. */
	load(false, true);
	assert_false(pinned_flags(RSIP_MAP_PORTS) & BPF_F_NO_PREALLOC);
	/* Pins gone (--detach-on-exit): the default, memory as bindings come. */
	xdp_unpin_maps(pin_dir);
	load(false, false);
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		assert_true(pinned_flags(hashes[i]) & BPF_F_NO_PREALLOC);
	/* And the other way round. */
	load(true, true);
	assert_true(pinned_flags(RSIP_MAP_PORTS) & BPF_F_NO_PREALLOC);
	xdp_unpin_maps(pin_dir);
}

static int teardown(void **state)
{
	xdp_unpin_maps(pin_dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(prealloc_follows_the_pins, teardown),
	};
	int rc;

	if (!mkdtemp(mnt) || mount("bpf", mnt, "bpf", 0, NULL) < 0) {
		fprintf(stderr, "cannot mount a bpffs on %s: %s\n", mnt, strerror(errno));
		rmdir(mnt);
		return 1;
	}
	snprintf(pin_dir, sizeof(pin_dir), "%s/rsip", mnt);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	umount(mnt);
	rmdir(mnt);
	return rc;
}
