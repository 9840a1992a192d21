// SPDX-License-Identifier: BSD-2-Clause
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "dataplane.h"
#include "log.h"
#include "rsip/dp_abi.h"
#include "rsip_xdp.skel.h"
#include "xdp_load.h"
#include "xdp_reuse.h"

/* The pinned maps; fixed: a size not from the configuration (0: the
 * object's, or map_sizes.c's for the maps it sizes). A pin of another size
 * is kept (its entries are forwarding state), except rsip_bind_stats: it
 * holds only counters, so --stat-slots takes effect at a restart with a new
 * map and the counts start from zero (docs/dataplane.md, Per-binding
 * counters). */
static const struct {
	const char *name;
	uint32_t fixed;
} pinned[] = {
    {RSIP_MAP_CLIENTS, 0}, {RSIP_MAP_NB, 0},	   {RSIP_MAP_PORTS, 0},	   {RSIP_MAP_IKE, 0},
    {RSIP_MAP_SPI, 0},	   {RSIP_MAP_SPI_BLK, 64}, /* unused: rsipd loads the SPI directory
						      (docs/dataplane.md) */
    {RSIP_MAP_SPI_DIR, 0}, {RSIP_MAP_PORT_DIR, 0}, {RSIP_MAP_ICMP_ID, 0},  {RSIP_MAP_OUT_SPI, 0},
    {RSIP_MAP_STATS, 0},   {RSIP_MAP_META, 0},	   {RSIP_MAP_SLOWPATH, 0}, {RSIP_MAP_BIND_STATS, 0},
};

#define N_PINNED (sizeof(pinned) / sizeof(pinned[0]))

static int pin_file(char *buf, size_t len, const char *dir, const char *name)
{
	if (snprintf(buf, len, "%s/%s", dir, name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* mkdir -p, then make sure it is a bpffs (pins elsewhere fail late and
 * obscurely). */
static int prepare_dir(const char *dir)
{
	char path[PATH_MAX], *p;
	struct statfs sfs;

	if (strlen(dir) >= sizeof(path))
		return -ENAMETOOLONG;
	strcpy(path, dir);
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (statfs(path, &sfs) < 0)
		return -errno;
	if (sfs.f_type != BPF_FS_MAGIC) {
		log_warnx("--pin-path %s is not on a bpf filesystem: mount one "
			  "(mount -t bpf bpf %s) or choose a directory under /sys/fs/bpf",
			  dir, dir);
		return -ENOTSUP;
	}
	return 0;
}

/* rsip_meta of live pins: same ABI and SPI block size, or stop here.
 * *spi_key: theirs (the SPI directory's slots stay where they are). */
static int check_meta(const struct xdp_load_cfg *cfg, bool *reused, uint64_t *spi_key)
{
	char path[PATH_MAX];
	struct rsip_meta m;
	uint32_t key = 0;
	int fd, rc;

	*reused = false;
	rc = pin_file(path, sizeof(path), cfg->pin_path, RSIP_MAP_META);
	if (rc)
		return rc;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	rc = bpf_map_lookup_elem(fd, &key, &m);
	close(fd);
	if (rc < 0) {
		log_warnx("%s: cannot read it: %s", path, strerror(errno));
		return -errno;
	}
	if (m.abi_version == 0)
		return 0; /* created, never written: a start that failed half-way */
	if (m.abi_version != RSIP_DP_ABI_VERSION) {
		log_warnx("the maps pinned under %s are data-plane ABI version %u, this rsipd "
			  "uses version %u: stop the old data plane first (rsipd "
			  "--detach-on-exit, or remove the pins), then start this one",
			  cfg->pin_path, m.abi_version, RSIP_DP_ABI_VERSION);
		return -EPROTO;
	}
	if (m.spi_block_shift != cfg->spi_block_shift) {
		log_warnx("the maps pinned under %s key SPI blocks of %u SPIs, this rsipd "
			  "runs with --spi-block %u: start with the old value or remove the "
			  "pins (every client then registers again)",
			  cfg->pin_path, 1u << m.spi_block_shift, 1u << cfg->spi_block_shift);
		return -EPROTO;
	}
	*spi_key = m.spi_key;
	*reused = true;
	return 0;
}

/* A new SPI directory key: random, never 0 (0 is "none yet" in a pin). */
static int new_spi_key(uint64_t *key)
{
	do {
		if (getrandom(key, sizeof(*key), 0) != sizeof(*key))
			return -errno;
	} while (*key == 0);
	return 0;
}

/* Size a map: the pin's size and flags when one exists (libbpf refuses to
 * reuse a pin of another size or flags; *flags_kept then says the pin's
 * flags won), else the request. Checks the pin's layout too. */
static int size_map(const struct xdp_load_cfg *cfg, struct bpf_map *map, uint32_t want,
		    bool *flags_kept)
{
	struct bpf_map_info info = {0};
	uint32_t len = sizeof(info);
	char path[PATH_MAX];
	int fd, rc;

	rc = pin_file(path, sizeof(path), cfg->pin_path, bpf_map__name(map));
	if (rc)
		return rc;
	rc = bpf_map__set_pin_path(map, path);
	if (rc)
		return rc;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		if (errno != ENOENT)
			return -errno;
		return want ? bpf_map__set_max_entries(map, want) : 0;
	}
	rc = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (rc < 0)
		return -errno;
	if (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
	    info.value_size != bpf_map__value_size(map)) {
		log_warnx("pinned map %s has another layout than this rsipd's (type %u key %u "
			  "value %u, expected %u %u %u): remove the pins of the old version",
			  path, info.type, info.key_size, info.value_size, bpf_map__type(map),
			  bpf_map__key_size(map), bpf_map__value_size(map));
		return -EPROTO;
	}
	if (want && info.max_entries != want && !strcmp(bpf_map__name(map), RSIP_MAP_BIND_STATS)) {
		/* The running programs keep the old map until the new ones
		 * replace them; bindings get slots of the new one (map_restore.c). */
		if (unlink(path) < 0)
			return -errno;
		log_info("%s: %u slots, the pinned map had %u: a new map, every per-binding "
			 "counter starts from zero",
			 RSIP_MAP_BIND_STATS, want, info.max_entries);
		return bpf_map__set_max_entries(map, want);
	}
	if (want && info.max_entries != want)
		log_warnx("pinned map %s keeps its %u entries (this configuration asks for %u; "
			  "resizing needs a restart with --detach-on-exit first)",
			  path, info.max_entries, want);
	if (info.map_flags != bpf_map__map_flags(map)) {
		*flags_kept = true;
		rc = bpf_map__set_map_flags(map, info.map_flags);
		if (rc)
			return rc;
	}
	return bpf_map__set_max_entries(map, info.max_entries);
}

int xdp_load_open(const struct xdp_load_cfg *cfg, struct xdp_load *ld)
{
	struct rsip_xdp *skel = NULL;
	uint64_t spi_key = 0;
	bool flags_kept = false;
	char path[PATH_MAX];
	size_t n_pub, i;
	int rc, ncpus;

	memset(ld, 0, sizeof(*ld));
	ld->ri.pin_path = cfg->pin_path;
	ld->spi_block_shift = cfg->spi_block_shift;
	rc = prepare_dir(cfg->pin_path);
	if (rc) {
		if (rc != -ENOTSUP)
			log_warnx("--pin-path %s: %s", cfg->pin_path, strerror(-rc));
		return rc;
	}
	rc = check_meta(cfg, &ld->reused, &spi_key);
	if (!rc && !spi_key)
		rc = new_spi_key(&spi_key);
	if (rc)
		return rc;
	skel = rsip_xdp__open();
	if (!skel) {
		rc = -errno;
		log_warnx("cannot open the XDP object: %s", strerror(-rc));
		return rc;
	}
	ld->skel = skel;
	skel->rodata->cfg_na = cfg->na;
	memcpy(skel->rodata->cfg_lan_mac, cfg->lan_mac, 6);
	memcpy((void *)skel->rodata->cfg_wan_mac, cfg->wan_mac, 6);
	skel->rodata->cfg_lan_mtu = cfg->lan_mtu;
	skel->rodata->cfg_spi_block_shift = cfg->spi_block_shift;
	skel->rodata->cfg_wan_ifindex = cfg->wan_ifindex;
	skel->rodata->cfg_spi_dir_on = 1;
	skel->rodata->cfg_spi_key = spi_key;
	skel->rodata->cfg_port_dir_on = 1;

	/* A perf event array has one slot per possible CPU; say so, or the
	 * pin (created with that size) does not match max_entries 0. */
	ncpus = libbpf_num_possible_cpus();
	if (ncpus < 0)
		return ncpus;
	rc = bpf_map__set_max_entries(skel->maps.rsip_slowpath, (uint32_t)ncpus);
	/* One rsip_cpumap key per CPU (--spi-steer): a key is a CPU number. */
	if (!rc)
		rc = bpf_map__set_max_entries(skel->maps.rsip_cpumap, (uint32_t)ncpus);
	for (i = 0; !rc && i < N_PINNED; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(skel->obj, pinned[i].name);
		uint32_t want =
		    pinned[i].fixed ? pinned[i].fixed : map_sizes_of(&cfg->sizes, pinned[i].name);

		if (m && cfg->map_prealloc && bpf_map__type(m) == BPF_MAP_TYPE_HASH)
			rc = bpf_map__set_map_flags(m, bpf_map__map_flags(m) & ~BPF_F_NO_PREALLOC);
		if (!rc)
			rc = m ? size_map(cfg, m, want, &flags_kept) : -ENOENT;
	}
	if (!rc && flags_kept)
		log_warnx("the maps pinned under %s keep their %spreallocated memory "
			  "(--map-prealloc takes effect after a restart with --detach-on-exit)",
			  cfg->pin_path, cfg->map_prealloc ? "un" : "");
	if (rc) {
		if (rc != -EPROTO)
			log_warnx("preparing the maps under %s: %s", cfg->pin_path, strerror(-rc));
		return rc;
	}
	/* The maps are sized: what the map layer's mirror and the allocator
	 * need is known before they exist. */
	ld->spi_dir.key = spi_key;
	ld->spi_dir.slots = bpf_map__max_entries(skel->maps.rsip_spi_dir);
	ld->spi_dir.per_nb = ld->spi_dir.slots / (cfg->n_public ? cfg->n_public : 1);
	ld->spi_dir.port_slots =
	    bpf_map__max_entries(skel->maps.rsip_port_dir) / RSIP_PORT_DIR_SPAN;
	ld->bind_slots = bpf_map__max_entries(skel->maps.rsip_bind_stats);
	rc = pin_file(path, sizeof(path), cfg->pin_path, RSIP_MAP_BIND_STATS);
	if (rc)
		return rc;
	ld->bind_stats_new = access(path, F_OK) < 0 && errno == ENOENT;
	/* The steering stage (--spi-steer) is never attached without the
	 * option, which only a restart changes: no verifier pass, no kernel
	 * memory for two programs that would never run. */
	if (!cfg->steer)
		rc = bpf_program__set_autoload(skel->progs.rsip_wan_steer, false);
	if (!rc && !cfg->steer)
		rc = bpf_program__set_autoload(skel->progs.rsip_wan_cpu, false);
	if (rc)
		return rc;
	/* The previous run's programs when they are what this load would
	 * verify again (xdp_reuse.h). */
	ld->ri.elf = rsip_xdp__elf_bytes(&ld->ri.elf_sz);
	n_pub = cfg->public_addrs ? cfg->n_public : 0;
	ld->extra = calloc(2 + n_pub, sizeof(*ld->extra));
	if (!ld->extra)
		return -ENOMEM;
	ld->extra[0] = cfg->lan_ifindex;
	ld->extra[1] = cfg->wan_ifindex;
	for (i = 0; i < n_pub; i++)
		ld->extra[2 + i] = cfg->public_addrs[i].s_addr;
	ld->ri.extra = ld->extra;
	ld->ri.extra_sz = (2 + n_pub) * sizeof(*ld->extra);
	rc = xdp_reuse_take(skel->obj, &ld->ri, &ld->progs);
	if (ld->progs.reused)
		ld->bind_stats_new = false; /* the previous run's maps come with them */
	return rc;
}

/* The second step: what may run on the thread. It reads and writes only
 * ld (and the kernel); log.c serialises its lines with rsipd's. */
static int load_finish(struct xdp_load *ld)
{
	struct rsip_meta meta = {.abi_version = RSIP_DP_ABI_VERSION,
				 .spi_block_shift = ld->spi_block_shift,
				 .spi_key = ld->spi_dir.key};
	uint32_t key = 0;
	int rc;

	if (!ld->progs.reused) {
		rc = rsip_xdp__load(ld->skel);
		if (rc) {
			log_warnx("cannot load the XDP programs: %s (run with -v for the "
				  "verifier's log)",
				  strerror(-rc));
			return rc;
		}
		xdp_reuse_record(ld->skel->obj, &ld->ri);
	}
	log_notice("programs: %s", ld->progs.how);
	if (bpf_map_update_elem(bpf_map__fd(ld->skel->maps.rsip_meta), &key, &meta, BPF_ANY) < 0) {
		rc = -errno;
		log_warnx("cannot write rsip_meta: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void *load_thread(void *arg)
{
	struct xdp_load *ld = arg;
	uint64_t t0 = mono_ms();

	ld->thread_rc = load_finish(ld);
	ld->thread_ms = mono_ms() - t0;
	return NULL;
}

int xdp_load_start(struct xdp_load *ld)
{
	int rc;

	/* Reused programs: nothing to verify, nothing worth a thread. */
	if (ld->progs.reused)
		return load_finish(ld);
	rc = pthread_create(&ld->tid, NULL, load_thread, ld);
	if (rc) {
		log_warnx("cannot start the thread that loads the XDP programs: %s", strerror(rc));
		return -rc;
	}
	ld->on_thread = true;
	return 0;
}

int xdp_load_wait(struct xdp_load *ld)
{
	if (!ld->on_thread)
		return 0;
	pthread_join(ld->tid, NULL);
	ld->on_thread = false;
	return ld->thread_rc;
}

void xdp_load_close(struct xdp_load *ld)
{
	xdp_load_wait(ld);
	free(ld->extra);
	ld->extra = NULL;
	xdp_reuse_close(&ld->progs);
	rsip_xdp__destroy(ld->skel);
	ld->skel = NULL;
}

int xdp_load(const struct xdp_load_cfg *cfg, struct rsip_xdp **out, bool *reused,
	     struct dp_dirs *spi_dir, struct xdp_reuse *progs)
{
	struct xdp_load ld;
	int rc = xdp_load_open(cfg, &ld);

	if (!rc)
		rc = xdp_load_start(&ld);
	if (!rc)
		rc = xdp_load_wait(&ld);
	if (rc) {
		xdp_load_close(&ld);
		return rc;
	}
	*out = ld.skel;
	*reused = ld.reused;
	*spi_dir = ld.spi_dir;
	*progs = ld.progs;
	free(ld.extra);
	return 0;
}

void xdp_unpin_maps(const char *pin_path)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < N_PINNED; i++)
		if (pin_file(path, sizeof(path), pin_path, pinned[i].name) == 0)
			unlink(path);
	xdp_reuse_unpin(pin_path);
	rmdir(pin_path);
}
