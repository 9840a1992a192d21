// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsipd's loader on a real bpffs: --map-prealloc creates the hash maps
 * preallocated, a restart reuses the pins as they were created whatever the
 * flag now says (libbpf refuses a pin whose flags differ), and only a start
 * after the pins are gone changes it. The maps get the sizes the
 * configuration allows (map_sizes.c), read back from the pins, and a map
 * filled to its size refuses the next entry with -ENOSPC (nothing lost);
 * --stat-slots sizes rsip_bind_stats, a restart with another value gets a
 * new one, and a host beyond its slots is served uncounted.
 * Pins go to a bpffs of this test's own, mounted on a temporary directory and
 * removed at the end.
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

#include "../lib/rec_build.h"
#include "dataplane/dataplane.h"
#include "dataplane/map_sizes.h"
#include "dataplane/maps.h"
#include "dataplane/xdp_load.h"
#include "dataplane/xdp_reuse.h"
#include "rsip/dp_abi.h"
#include "rsip_xdp.skel.h"

static char mnt[] = "/tmp/rsip-test-load.XXXXXX";
static char pin_dir[PATH_MAX];

/* pin_dir/name (a static buffer: one at a time). */
static const char *pin_path_of(const char *name)
{
	static char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	return path;
}

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
	    .n_public = 1,
	};
	struct in_addr nb = {htonl(0xc6336401)};
	struct map_limits l = {.map_size = 1024,
			       .public_addrs = &nb,
			       .n_public = 1,
			       .port_range = 64512,
			       .learned_cap = 64,
			       .stat_slots = 3};
	char why[256];

	assert_int_equal(map_sizes_compute(&l, &c.sizes, why, sizeof(why)), 0);
	return c;
}

/* The kernel's description of the pinned map called name. */
static struct bpf_map_info pinned_info(const char *name)
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
	return info;
}

static uint32_t pinned_size(const char *name)
{
	return pinned_info(name).max_entries;
}

static uint32_t pinned_flags(const char *name)
{
	return pinned_info(name).map_flags;
}

/* The SPI directory key of the last fresh load: reused pins keep it (the
 * slots of live blocks must not move). */
static uint64_t fresh_key;

static void load(bool prealloc, bool want_reused)
{
	struct xdp_load_cfg c = cfg(prealloc);
	struct rsip_xdp *skel = NULL;
	struct dp_dirs dir = {0};
	struct xdp_reuse progs;
	bool reused = !want_reused;

	assert_int_equal(xdp_load(&c, &skel, &reused, &dir, &progs), 0);
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
	xdp_reuse_close(&progs);
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

/* 100 hosts at most, three Nb but room for one port partition, 100 ports
 * leasable: every size below is the rule of
 * docs/dataplane.md worked by hand, not map_sizes.c's answer. */
static const struct in_addr three_nb[] = {
    {0x016433c6}, {0x026433c6}, {0x036433c6}}; /* 198.51.100.1-3, network order */

static const struct map_limits small_limits = {.map_size = 131072,
					       .max_clients = 100,
					       .public_addrs = three_nb,
					       .n_public = 3,
					       .port_range = 100,
					       .learned_cap = 64,
					       .stat_slots = 3};

static void sizes_follow_the_configuration(void **state)
{
	struct xdp_load_cfg c = cfg(false);
	struct rsip_xdp *skel = NULL;
	struct dp_dirs dir = {0};
	struct xdp_reuse progs;
	bool reused = true;
	char why[256];

	xdp_unpin_maps(pin_dir);
	c.n_public = 3;
	assert_int_equal(map_sizes_compute(&small_limits, &c.sizes, why, sizeof(why)), 0);
	assert_int_equal(xdp_load(&c, &skel, &reused, &dir, &progs), 0);
	rsip_xdp__destroy(skel);
	xdp_reuse_close(&progs);
	assert_int_equal(pinned_size(RSIP_MAP_CLIENTS), 100);
	/* 400 ports' share: one partition, so two Nb are without one. */
	assert_int_equal(pinned_size(RSIP_MAP_PORT_DIR), RSIP_PORT_DIR_SPAN);
	assert_int_equal(c.sizes.orphan_nb, 2);
	/* min(share 400, 2 Nb x 100 ports) */
	assert_int_equal(pinned_size(RSIP_MAP_PORTS), 200);
	assert_int_equal(pinned_size(RSIP_MAP_IKE), 200);
	assert_int_equal(pinned_size(RSIP_MAP_SPI), 200);
	assert_int_equal(pinned_size(RSIP_MAP_SPI_DIR), 100);
	/* share 50, at least 64 */
	assert_int_equal(pinned_size(RSIP_MAP_ICMP_ID), 64);
	assert_int_equal(pinned_size(RSIP_MAP_OUT_SPI), 200);
	/* three counter slots per host: two bindings and the client */
	assert_int_equal(pinned_size(RSIP_MAP_BIND_STATS), 300);
	xdp_unpin_maps(pin_dir);
}

/* The default shape: every Nb has a partition, so rsip_ports holds nothing
 * and gets one entry, not the 524,288 it had. */
static void no_orphan_no_port_map(void **state)
{
	struct xdp_load_cfg c = cfg(false);
	struct rsip_xdp *skel = NULL;
	struct dp_dirs dir = {0};
	struct xdp_reuse progs;
	bool reused = true;

	xdp_unpin_maps(pin_dir);
	assert_int_equal(c.sizes.orphan_nb, 0);
	assert_int_equal(xdp_load(&c, &skel, &reused, &dir, &progs), 0);
	rsip_xdp__destroy(skel);
	xdp_reuse_close(&progs);
	assert_int_equal(pinned_size(RSIP_MAP_PORTS), 1);
	assert_int_equal(pinned_size(RSIP_MAP_CLIENTS), 1024);
	/* min(share 512, 1 Nb x 65536 ids, 1024 hosts x 64) */
	assert_int_equal(pinned_size(RSIP_MAP_ICMP_ID), 512);
	xdp_unpin_maps(pin_dir);
}

/* A configuration the maps cannot hold is refused, with the flags to
 * change in the reason. */
static void more_clients_than_the_maps_hold(void **state)
{
	struct map_limits l = small_limits;
	struct map_sizes s;
	char why[256] = "";

	l.map_size = 1024;
	l.max_clients = 1025;
	assert_int_equal(map_sizes_compute(&l, &s, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "--max-clients 1025"));
	assert_non_null(strstr(why, "--map-size"));
}

/* Two Nb on one rsip_nb_filter bit: the later one has no partition even
 * with partitions to spare (maps.c dir_nb_added), so its ports need
 * rsip_ports: one --port-range worth. */
static void shared_filter_bit_needs_port_map(void **state)
{
	/* 198.51.100.1 and 23.99.239.15 share bit 42570; 198.51.100.2 not. */
	static const struct in_addr nbs[] = {{0x016433c6}, {0x0fef6317}, {0x026433c6}};
	struct map_limits l = {
	    .public_addrs = nbs, .n_public = 3, .port_range = 64512, .learned_cap = 64};
	struct map_sizes s;
	char why[256];

	assert_int_equal(rsip_nb_filter_bit(nbs[0].s_addr), rsip_nb_filter_bit(nbs[1].s_addr));
	assert_int_equal(map_sizes_compute(&l, &s, why, sizeof(why)), 0);
	assert_int_equal(s.port_dir, 3 * RSIP_PORT_DIR_SPAN);
	assert_int_equal(s.orphan_nb, 1);
	assert_int_equal(s.ports, 64512);
	/* Defaults otherwise: 131,072 clients, their shares. */
	assert_int_equal(s.clients, RSIP_DEF_CLIENTS);
	assert_int_equal(s.out_spi, RSIP_DEF_OUT_SPI);
	assert_int_equal(s.icmp_id, RSIP_DEF_ICMP_ID);
}

/* rsip_ports filled to its 200 entries through the map-writing layer rsipd
 * uses: the 201st port is refused with -ENOSPC and the 200 stay. */
static void full_port_map_refuses(void **state)
{
	struct xdp_load_cfg c = cfg(false);
	struct rsip_xdp *skel = NULL;
	struct dp_dirs dir = {0};
	struct dpx_maps maps;
	struct dpx *x;
	struct xdp_reuse progs;
	bool reused = true;
	char why[256];
	uint16_t ports[100];
	uint32_t n = 0;
	uint8_t key[64];

	xdp_unpin_maps(pin_dir);
	c.n_public = 3;
	assert_int_equal(map_sizes_compute(&small_limits, &c.sizes, why, sizeof(why)), 0);
	assert_int_equal(xdp_load(&c, &skel, &reused, &dir, &progs), 0);
	maps = dpx_maps_of(skel);
	x = dpx_new(&maps, &(struct dpx_config){.spi_block_shift = 8, .spi_dir = dir, .ncpus = 0});
	assert_non_null(x);
	for (int i = 0; i < 3; i++)
		assert_int_equal(dpx_nb_add(x, three_nb[i]), 0);
	/* Nb 2 and 3 are the ones without a partition: 100 ports each. */
	for (int k = 0; k < 2; k++) {
		struct dp_client dc = {.client_id = 1 + k, .xa = {htonl(0x0a000001 + k)}};
		struct rec_buf b =
		    rec_make(dc.client_id, 10 + k, dc.xa, three_nb[1 + k], RSIP_METHOD_RSAP_IP);

		for (int p = 0; p < 100; p++)
			ports[p] = (uint16_t)(1000 + p);
		rec_set_ports(&b, ports, 100);
		assert_int_equal(dpx_client_add(x, &dc), 0);
		assert_int_equal(dpx_binding_add(x, &b.r), 0);
	}
	{
		struct dp_client dc = {.client_id = 3, .xa = {htonl(0x0a000003)}};
		struct rec_buf b = rec_make(3, 12, dc.xa, three_nb[2], RSIP_METHOD_RSAP_IP);

		ports[0] = 2000;
		rec_set_ports(&b, ports, 1);
		assert_int_equal(dpx_client_add(x, &dc), 0);
		assert_int_equal(dpx_binding_add(x, &b.r), -ENOSPC);
	}
	for (void *prev = NULL; bpf_map_get_next_key(maps.ports, prev, key) == 0; prev = key)
		n++;
	assert_int_equal(n, 200);
	dpx_free(x);
	rsip_xdp__destroy(skel);
	xdp_reuse_close(&progs);
	xdp_unpin_maps(pin_dir);
}

/* The id of the pinned map called name. */
static uint32_t pinned_id(const char *name)
{
	struct bpf_map_info info = {0};
	uint32_t len = sizeof(info);
	int fd = bpf_obj_get(pin_path_of(name));

	assert_true(fd >= 0);
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	close(fd);
	return info.id;
}

/* rsip_bind_stats[slot] summed over the possible CPUs, from the pin. */
static uint64_t pinned_slot_pkts(uint32_t slot)
{
	int ncpus = libbpf_num_possible_cpus();
	struct rsip_bind_stats v[ncpus > 0 ? ncpus : 1];
	uint64_t sum = 0;
	int fd = bpf_obj_get(pin_path_of(RSIP_MAP_BIND_STATS));

	assert_true(ncpus > 0 && fd >= 0);
	assert_int_equal(bpf_map_lookup_elem(fd, &slot, v), 0);
	close(fd);
	for (int i = 0; i < ncpus; i++)
		sum += v[i].pkts;
	return sum;
}

static void set_slot_pkts(uint32_t slot, uint64_t pkts)
{
	int ncpus = libbpf_num_possible_cpus();
	struct rsip_bind_stats v[ncpus > 0 ? ncpus : 1];
	int fd = bpf_obj_get(pin_path_of(RSIP_MAP_BIND_STATS));

	assert_true(ncpus > 0 && fd >= 0);
	memset(v, 0, sizeof(v));
	v[0].pkts = pkts;
	assert_int_equal(bpf_map_update_elem(fd, &slot, v, BPF_ANY), 0);
	close(fd);
}

/* Load with --stat-slots n (100 hosts at most), the pins kept. */
static void load_stat_slots(uint32_t n)
{
	struct xdp_load_cfg c = cfg(false);
	struct map_limits l = small_limits;
	struct rsip_xdp *skel = NULL;
	struct dp_dirs dir = {0};
	struct xdp_reuse progs;
	bool reused;
	char why[256];

	c.n_public = 3;
	l.stat_slots = n;
	assert_int_equal(map_sizes_compute(&l, &c.sizes, why, sizeof(why)), 0);
	assert_int_equal(xdp_load(&c, &skel, &reused, &dir, &progs), 0);
	rsip_xdp__destroy(skel);
	xdp_reuse_close(&progs);
}

/* --stat-slots reaches the kernel as rsip_bind_stats' max_entries, and a
 * restart with another value makes a new map (counts from zero) while the
 * forwarding maps stay the same objects; the same value keeps the map and
 * its counts. */
static void stat_slots_size_the_counter_map(void **state)
{
	uint32_t clients_id, stats_id;

	xdp_unpin_maps(pin_dir);
	load_stat_slots(2);
	assert_int_equal(pinned_size(RSIP_MAP_BIND_STATS), 200); /* 100 hosts x 2 */
	clients_id = pinned_id(RSIP_MAP_CLIENTS);
	stats_id = pinned_id(RSIP_MAP_BIND_STATS);
	set_slot_pkts(150, 42);

	load_stat_slots(2); /* same value: the same map, the count kept */
	assert_int_equal(pinned_id(RSIP_MAP_BIND_STATS), stats_id);
	assert_int_equal(pinned_slot_pkts(150), 42);

	load_stat_slots(5); /* more: a new map */
	assert_int_equal(pinned_size(RSIP_MAP_BIND_STATS), 500);
	assert_int_not_equal(pinned_id(RSIP_MAP_BIND_STATS), stats_id);
	assert_int_equal(pinned_slot_pkts(150), 0);
	assert_int_equal(pinned_id(RSIP_MAP_CLIENTS), clients_id);

	load_stat_slots(0); /* none: slot 0 alone */
	assert_int_equal(pinned_size(RSIP_MAP_BIND_STATS), 1);
	assert_int_equal(pinned_id(RSIP_MAP_CLIENTS), clients_id);

	load_stat_slots(1); /* 100 hosts x 1 */
	assert_int_equal(pinned_size(RSIP_MAP_BIND_STATS), 100);
	xdp_unpin_maps(pin_dir);
}

/* With the counter map full (--stat-slots 0 here: slot 0 alone) hosts and
 * bindings are still added, through the map layer rsipd uses, on the real
 * maps: they carry slot 0, read zero, and are counted as uncounted. */
static void no_slot_is_no_error(void **state)
{
	struct xdp_load_cfg c = cfg(false);
	struct map_limits l = small_limits;
	struct rsip_xdp *skel = NULL;
	struct dp_dirs dir = {0};
	struct dp_binding_stats st;
	struct dpx_maps maps;
	struct rsip_client cv;
	struct dpx *x;
	struct xdp_reuse progs;
	bool reused;
	char why[256];
	uint16_t port = 3000;
	struct dp_client dc = {.client_id = 7, .xa = {htonl(0x0a000007)}};
	struct rec_buf b = rec_make(7, 70, dc.xa, three_nb[0], RSIP_METHOD_RSAP_IP);

	xdp_unpin_maps(pin_dir);
	c.n_public = 3;
	l.stat_slots = 0;
	assert_int_equal(map_sizes_compute(&l, &c.sizes, why, sizeof(why)), 0);
	assert_int_equal(xdp_load(&c, &skel, &reused, &dir, &progs), 0);
	maps = dpx_maps_of(skel);
	assert_int_equal(maps.bind_slots, 1);
	x = dpx_new(&maps, &(struct dpx_config){.spi_block_shift = 8, .spi_dir = dir});
	assert_non_null(x);
	assert_int_equal(dpx_nb_add(x, three_nb[0]), 0);
	rec_set_ports(&b, &port, 1);
	assert_int_equal(dpx_client_add(x, &dc), 0);
	assert_int_equal(dpx_binding_add(x, &b.r), 0);
	assert_int_equal(dpx_slots_uncounted(x), 2);
	assert_int_equal(bpf_map_lookup_elem(maps.clients, &dc.xa.s_addr, &cv), 0);
	assert_int_equal(cv.stat_slot, 0);
	assert_int_equal(dpx_binding_stats(x, &b.r, &st), 0);
	assert_int_equal(st.packets_in, 0);
	assert_int_equal(st.packets_out, 0);
	dpx_free(x);
	rsip_xdp__destroy(skel);
	xdp_reuse_close(&progs);
	xdp_unpin_maps(pin_dir);
}

/* ---- reuse of the loaded programs (xdp_reuse.h) ---- */

static uint32_t fd_id(int fd)
{
	struct bpf_prog_info info = {0}; /* id first in map and link infos too */
	uint32_t len = sizeof(info);

	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.id;
}

struct loaded {
	bool reused;
	char how[160];
	uint32_t wan, lan, learned; /* program ids */
	uint32_t bss, ports;	    /* map ids: internal (unpinned), pinned */
};

static struct loaded load_progs(const struct xdp_load_cfg *c)
{
	struct rsip_xdp *skel = NULL;
	struct dp_dirs dir = {0};
	struct xdp_reuse progs;
	struct loaded l;
	bool reused;
	int fd;

	assert_int_equal(xdp_load(c, &skel, &reused, &dir, &progs), 0);
	l.reused = progs.reused;
	snprintf(l.how, sizeof(l.how), "%s", progs.how);
	l.wan = fd_id(xdp_reuse_prog_fd(&progs, skel->progs.rsip_wan));
	l.lan = fd_id(xdp_reuse_prog_fd(&progs, skel->progs.rsip_lan));
	l.learned = fd_id(xdp_reuse_prog_fd(&progs, skel->progs.rsip_learned));
	l.bss = fd_id(bpf_map__fd(skel->maps.bss));
	l.ports = fd_id(bpf_map__fd(skel->maps.rsip_ports));
	fd = bpf_obj_get(pin_path_of(RSIP_MAP_PORTS));
	assert_int_equal(l.ports, fd_id(fd)); /* the pinned map, no second copy */
	close(fd);
	rsip_xdp__destroy(skel); /* the pins keep programs and maps */
	xdp_reuse_close(&progs);
	return l;
}

/* Flip one byte of the pinned record (the object digest: offset 16). */
static void tamper_record(void)
{
	uint32_t key = 0;
	uint8_t v[8192];
	int fd = bpf_obj_get(pin_path_of("rsip_reuse"));

	assert_true(fd >= 0);
	assert_int_equal(bpf_map_lookup_elem(fd, &key, v), 0);
	v[16] ^= 1;
	assert_int_equal(bpf_map_update_elem(fd, &key, v, BPF_ANY), 0);
	close(fd);
}

/* Same object and configuration: the programs and every map are the first
 * load's (ids equal), the internal .bss too; another constant, a tampered
 * record, a pin swapped for another program: loaded again. */
static void programs_reused_when_unchanged(void **state)
{
	struct xdp_load_cfg c = cfg(false);
	struct loaded a, b, d;
	int fd;

	xdp_unpin_maps(pin_dir);
	a = load_progs(&c);
	assert_false(a.reused);
	assert_non_null(strstr(a.how, "loaded (no record"));
	b = load_progs(&c);
	assert_true(b.reused);
	assert_string_equal(b.how, "reused (same object and config)");
	assert_int_equal(b.wan, a.wan);
	assert_int_equal(b.lan, a.lan);
	assert_int_equal(b.learned, a.learned);
	assert_int_equal(b.bss, a.bss);
	assert_int_equal(b.ports, a.ports);

	/* A load-time constant changed (Na): a new load, the maps kept. */
	c.na = htonl(0x0a000002);
	d = load_progs(&c);
	assert_false(d.reused);
	assert_non_null(strstr(d.how, "another load-time configuration"));
	assert_int_not_equal(d.wan, a.wan);
	assert_int_equal(d.ports, a.ports);
	b = load_progs(&c);
	assert_true(b.reused);
	assert_int_equal(b.wan, d.wan);
	/* Another --public list: rsip_nb_filter and rsip_nb_dir (unpinned,
	 * only added to by start-up) must start empty, so a load. */
	c.public_addrs = &three_nb[1];
	d = load_progs(&c);
	assert_false(d.reused);
	assert_int_not_equal(d.wan, b.wan);
	b = load_progs(&c);
	assert_true(b.reused);
	assert_int_equal(b.wan, d.wan);

	/* The record is not trusted blindly. */
	tamper_record();
	b = load_progs(&c);
	assert_false(b.reused);
	assert_non_null(strstr(b.how, "another BPF object"));
	assert_int_not_equal(b.wan, d.wan);
	/* A pin that holds another program (rsip_wan at rsip_lan's place). */
	fd = bpf_obj_get(pin_path_of("prog_rsip_wan"));
	assert_true(fd >= 0);
	assert_int_equal(unlink(pin_path_of("prog_rsip_lan")), 0);
	assert_int_equal(bpf_obj_pin(fd, pin_path_of("prog_rsip_lan")), 0);
	close(fd);
	d = load_progs(&c);
	assert_false(d.reused);
	assert_non_null(strstr(d.how, "rsip_lan is not the recorded one"));
	/* A missing program pin. */
	assert_int_equal(unlink(pin_path_of("prog_rsip_learned")), 0);
	b = load_progs(&c);
	assert_false(b.reused);
	assert_non_null(strstr(b.how, "prog_rsip_learned"));
	assert_int_not_equal(b.learned, d.learned);
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
	    cmocka_unit_test_teardown(sizes_follow_the_configuration, teardown),
	    cmocka_unit_test_teardown(no_orphan_no_port_map, teardown),
	    cmocka_unit_test(more_clients_than_the_maps_hold),
	    cmocka_unit_test(shared_filter_bit_needs_port_map),
	    cmocka_unit_test_teardown(full_port_map_refuses, teardown),
	    cmocka_unit_test_teardown(stat_slots_size_the_counter_map, teardown),
	    cmocka_unit_test_teardown(no_slot_is_no_error, teardown),
	    cmocka_unit_test_teardown(programs_reused_when_unchanged, teardown),
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
