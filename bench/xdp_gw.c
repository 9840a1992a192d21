// SPDX-License-Identifier: BSD-2-Clause
/*
 * xdp_gw: sets up the gateway side of the rate benchmark (xdp_rate.sh).
 *
 *   xdp_gw rsip  -w WAN -l LAN -M CLIENT_MAC -a NA -n CLIENTS -d PINDIR [-s CAPACITY] [-P]
 *       Loads the project's programs (rsip_xdp skeleton) with their load-time
 *       constants, fills the maps through the dpx layer with CLIENTS clients
 *       (bench_clients.h: each with a leased port and an owned SPI block),
 *       makes rsip_lan learn every client's IKE SPI (one test run of its
 *       tunnelled IKE_SA_INIT each: the real learning path), and pins
 *       rsip_wan and rsip_stats under PINDIR. Attaches nothing. -s sets the
 *       capacity of the maps the clients fill (default: dp_abi.h's). -P
 *       creates the hash maps preallocated (the object's are not), for
 *       xdp_rate.sh's "pre" program (docs/performance.md).
 *       -S CPULIST also fills rsip_cpumap for those CPUs and rsip_steer
 *       (slots dealt over them) and pins rsip_wan_steer and rsip_steer: the
 *       --spi-steer first stage, for xdp_rate.sh's "one" and "two" programs.
 *   xdp_gw steer STEERPIN CPULIST
 *       Deals the pinned rsip_steer's slots over CPULIST (CPUs given to -S).
 *   xdp_gw ref   -l LAN -M CLIENT_MAC -a NA -d PINDIR
 *       Loads the trivial encapsulating program (ref_progs.bpf.c) towards
 *       client 0 and pins it as PINDIR/ref_encap, and its DEVMAP_HASH
 *       variant as PINDIR/ref_encap_hash.
 *   xdp_gw lookup -l LAN -M CLIENT_MAC -a NA -n CLIENTS -d PINDIR
 *       Loads ref_lookup three times, one per frame kind, each with a map
 *       sized like the project's for that path and an entry per client, and
 *       pins them as PINDIR/ref_lookup_{esp,ike,udp}; likewise ref_lookup12
 *       and ref_lookup16 (the same entries under a 12- and a 16-byte key) as
 *       PINDIR/ref_lookup{12,16}_{esp,ike,udp}.
 *   xdp_gw sink IFNAME            attaches ref_drop (native; stays attached)
 *   xdp_gw pass IFNAME            attaches ref_pass (native; stays attached):
 *       what any XDP program costs a veth and its peer (rsipc_iperf.sh)
 *   xdp_gw attach IFNAME PROGPIN  attaches a pinned program (native, replaces)
 *   xdp_gw detach IFNAME
 *   xdp_gw counters STATSPIN      rsip_stats summed over CPUs: name=value ...
 *   xdp_gw prun PROGPIN [-k KIND] [-n CLIENTS] [-f FLOWS] [-c CALLS]
 *       The program alone: BPF_PROG_TEST_RUN with repeat 1 (a repeat feeds
 *       the previous output back in: design.md) over CALLS calls, cycling
 *       through the flows' frames; prints the kernel's ns per run (mean,
 *       median, p90) and the verdicts. Compare with ref_drop's figure, which
 *       is the test run's own cost.
 *
 * Programs attached through netlink stay attached after xdp_gw exits; the
 * pins keep rsip_wan (and through it its maps) alive while ref_encap runs.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ref_progs.skel.h"
#include "../tests/lib/rec_build.h"
#include "bench_clients.h"
#include "bench_frames.h"
#include "bench_maps.h"
#include "bench_net.h"
#include "dp_names.h"
#include "cpulist.h"
#include "config.h"
#include "dataplane/map_sizes.h"
#include "dataplane/maps.h"
#include "dataplane/xdp_steer.h"
#include "log.h"
#include "parse.h"
#include "rsip/wire.h"
#include "rsip_xdp.skel.h"

#define COOKIE_CAP    4
#define CFG_STEER_MAX 256 /* RSIP_STEER_SLOTS */

struct gw_opts {
	const char *wan, *lan, *pindir;
	uint8_t client_mac[6];
	bool have_client_mac;
	struct in_addr na;
	uint32_t clients;
	uint32_t capacity;	       /* 0: the defaults, raised to clients if needed */
	bool prealloc;		       /* -P: hash maps preallocated */
	uint16_t steer[CFG_STEER_MAX]; /* -S: rsip_wan_steer's CPUs */
	size_t n_steer;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdp_gw rsip -w WAN -l LAN -M CLIENT_MAC -a NA -n CLIENTS -d PINDIR [-s "
		"CAP] [-P] [-S CPULIST] [-v]\n"
		"       xdp_gw steer STEERPIN CPULIST\n"
		"       xdp_gw ref -l LAN -M CLIENT_MAC -a NA -d PINDIR [-v]\n"
		"       xdp_gw lookup -l LAN -M CLIENT_MAC -a NA -n CLIENTS -d PINDIR [-v]\n"
		"       xdp_gw sink IFNAME | pass IFNAME | attach IFNAME PROGPIN | detach IFNAME\n"
		"       xdp_gw counters STATSPIN\n"
		"       xdp_gw prun PROGPIN [-k esp|ike|udp] [-n CLIENTS] [-f FLOWS] [-c CALLS]\n");
}

static int parse_opts(int argc, char **argv, struct gw_opts *o)
{
	int c;

	*o = (struct gw_opts){.clients = 1};
	optind = 2;
	while ((c = getopt(argc, argv, "w:l:M:a:n:d:s:PS:v")) != -1) {
		switch (c) {
		case 'w':
			o->wan = optarg;
			break;
		case 'l':
			o->lan = optarg;
			break;
		case 'M':
			if (bench_parse_mac(optarg, o->client_mac) < 0)
				goto bad;
			o->have_client_mac = true;
			break;
		case 'a':
			if (parse_ipv4(optarg, &o->na) < 0)
				goto bad;
			break;
		case 'n':
			if (bench_parse_clients(optarg, &o->clients) < 0)
				goto bad;
			break;
		case 'd':
			o->pindir = optarg;
			break;
		case 's':
			if (parse_u32(optarg, &o->capacity) < 0 || !o->capacity)
				goto bad;
			break;
		case 'P':
			o->prealloc = true;
			break;
		case 'S':
			if (cpulist_parse(optarg, o->steer, CFG_STEER_MAX, &o->n_steer) < 0)
				goto bad;
			break;
		case 'v':
			log_set_verbosity(log_get_verbosity() + 1);
			break;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (o->capacity && o->capacity < o->clients) {
		log_warnx("-s %u cannot hold %u clients", o->capacity, o->clients);
		return -EINVAL;
	}
	if (!o->lan || !o->have_client_mac || !o->na.s_addr || !o->pindir) {
		log_warnx("-l, -M, -a and -d are required");
		usage(stderr);
		return -EINVAL;
	}
	return 0;
bad:
	log_warnx("bad value for -%c: '%s'", c, optarg);
	return -EINVAL;
}

static int ifindex_of(const char *name, uint32_t *ifindex)
{
	*ifindex = name ? if_nametoindex(name) : 0;
	if (!*ifindex) {
		log_warnx("no interface '%s' in this namespace", name ? name : "(none)");
		return -ENODEV;
	}
	return 0;
}

static int pin_at(const char *dir, const char *name, int (*pin)(void *, const char *), void *obj)
{
	char path[512];
	int err;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	unlink(path); /* a previous run's pin */
	err = pin(obj, path);
	if (err)
		log_warnx("cannot pin %s: %s", path, strerror(-err));
	return err;
}

static int pin_prog(void *p, const char *path)
{
	return bpf_program__pin(p, path);
}

static int pin_map(void *m, const char *path)
{
	return bpf_map__pin(m, path);
}

/* --- rsip --------------------------------------------------------------------- */

/* The maps the clients here leave (nearly) empty, by rsipd's own rules
 * (map_sizes.c) for rsipd's defaults, with --map-size n when n is more:
 * what rsipd would give them, not a fixed worst case. */
static int size_by_rsipd_rules(struct rsip_xdp *skel, uint32_t n)
{
	struct in_addr nbs[BENCH_MAX_CLIENTS / BENCH_CLIENTS_PER_NB];
	struct map_limits l = {
	    .map_size = n > RSIP_DEF_CLIENTS ? n : 0,
	    .public_addrs = nbs,
	    .n_public = bench_nb_count(n),
	    .port_range = CFG_DEFAULT_PORT_HI - CFG_DEFAULT_PORT_LO + 1,
	    .learned_cap = RSIP_DEF_COOKIE_CAP,
	    .stat_slots = CFG_DEFAULT_STAT_SLOTS,
	};
	struct bpf_map *maps[] = {skel->maps.rsip_ports, skel->maps.rsip_spi,
				  skel->maps.rsip_icmp_id, skel->maps.rsip_out_spi,
				  skel->maps.rsip_bind_stats};
	struct map_sizes s;
	char why[256];
	int err;

	for (uint32_t i = 0; i < l.n_public; i++)
		nbs[i].s_addr = htonl(BENCH_NB_BASE + i);
	err = map_sizes_compute(&l, &s, why, sizeof(why));
	if (err) {
		log_warnx("%s", why);
		return err;
	}
	for (size_t i = 0; !err && i < sizeof(maps) / sizeof(maps[0]); i++)
		err = bpf_map__set_max_entries(maps[i], map_sizes_of(&s, bpf_map__name(maps[i])));
	return err;
}

/* Room for n clients in every map they fill (the defaults hold 100k), or
 * exactly capacity entries. A hash map's bucket array follows max_entries
 * even without preallocation, so the capacity sets how sparse it is. */
static int size_maps(struct rsip_xdp *skel, uint32_t n, uint32_t capacity)
{
	struct bpf_map *maps[] = {skel->maps.rsip_clients, skel->maps.rsip_ike,
				  skel->maps.rsip_ports};
	/* Unused with the SPI directory (rsipd sizes it so too, xdp_load.c). */
	int err = bpf_map__set_max_entries(skel->maps.rsip_spi_blk, 64);
	/* rsip_ports (ports of an Nb without a partition) by rsipd's rules,
	 * unless a capacity is asked for. */
	size_t n_maps = capacity ? 3 : 2;

	for (size_t i = 0; !err && i < n_maps; i++) {
		/* rsip_ike also holds the (Nb, port, peer) entry of every Nb
		 * the learning writes: with exactly n entries the last Nb's
		 * clients found it full at 1M clients. */
		uint32_t need = maps[i] == skel->maps.rsip_ike ? n + bench_nb_count(n) : n;

		if (capacity)
			err = bpf_map__set_max_entries(maps[i], capacity);
		else if (bpf_map__max_entries(maps[i]) < need)
			err = bpf_map__set_max_entries(maps[i], need);
	}
	if (!err && !capacity)
		err = size_by_rsipd_rules(skel, n);
	return err;
}

static int add_client(struct dpx *x, uint32_t k, const struct gw_opts *o, uint32_t lan_ifindex)
{
	struct bench_client bc;
	int err;

	bench_client(k, &bc);
	struct dp_client c = {.client_id = bc.client_id, .xa = bc.xa};
	struct rec_buf ports =
	    rec_make(bc.client_id, bc.port_bind_id, bc.xa, bc.nb, RSIP_METHOD_RSAP_IP);
	struct rec_buf ipsec =
	    rec_make(bc.client_id, bc.ipsec_bind_id, bc.xa, bc.nb, RSIP_METHOD_RSIPSEC);

	ports.r.remote_policy = RSIP_FLOW_MACRO;
	rec_set_ports(&ports, &bc.port, 1);
	ipsec.r.remote_policy = RSIP_FLOW_MACRO;
	rec_set_spis(&ipsec, bc.spis, 2);
	ipsec.r.has_spi_block = true;
	ipsec.r.spi_block = bc.spi_block;

	err = dpx_client_add(x, &c);
	if (!err)
		err = dpx_client_set_link(x, bc.xa, o->client_mac, lan_ifindex);
	if (!err)
		err = dpx_binding_add(x, &ports.r);
	if (!err)
		err = dpx_binding_add(x, &ipsec.r);
	if (err)
		log_warnx("client %u (%s): %s", k, inet_ntoa(bc.xa), strerror(-err));
	return err;
}

/* rsip_lan learns each client's IKE SPI from its first IKE_SA_INIT, as it
 * would on the LAN; the test run's verdict does not matter (the packet goes
 * on to a FIB lookup the test run has no device for), the learning does. */
static int learn_cookies(struct rsip_xdp *skel, struct dpx *x, const struct gw_opts *o,
			 const uint8_t lan_mac[6])
{
	int fd = bpf_program__fd(skel->progs.rsip_lan);
	uint64_t before[RSIP_CNT_MAX], after[RSIP_CNT_MAX];
	struct bench_wire w = {0};
	uint8_t frame[BENCH_FRAME_MAX];
	int err;

	memcpy(w.src_mac, o->client_mac, 6);
	memcpy(w.dst_mac, lan_mac, 6);
	parse_ipv4("192.0.2.2", &w.peer);
	err = dpx_counters(x, before);
	for (uint32_t k = 0; !err && k < o->clients; k++) {
		struct bench_client c;

		bench_client(k, &c);
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
			    .data_size_in = (__u32)bench_lan_ike_frame(&c, &w, o->na, frame),
			    .repeat = 1);
		err = bpf_prog_test_run_opts(fd, &opts);
	}
	if (!err)
		err = dpx_counters(x, after);
	if (err) {
		log_warnx("learning the IKE SPIs: %s", strerror(-err));
		return err;
	}
	if (after[RSIP_CNT_LAN_LEARN_COOKIE] - before[RSIP_CNT_LAN_LEARN_COOKIE] != o->clients) {
		log_warnx("rsip_lan learned %llu IKE SPIs of %u clients",
			  (unsigned long long)(after[RSIP_CNT_LAN_LEARN_COOKIE] -
					       before[RSIP_CNT_LAN_LEARN_COOKIE]),
			  o->clients);
		for (unsigned int i = 0; i < RSIP_CNT_MAX; i++)
			if (after[i] != before[i])
				log_warnx("  %s +%llu", dp_counter_name(i),
					  (unsigned long long)(after[i] - before[i]));
		return -EPROTO;
	}
	return 0;
}

static long count_entries(struct bpf_map *m)
{
	uint8_t key[64], next[64];
	int fd = bpf_map__fd(m);
	long n = 0;

	if (bpf_map__key_size(m) > sizeof(key))
		return -EINVAL;
	for (void *prev = NULL; bpf_map_get_next_key(fd, prev, next) == 0; prev = key, n++)
		memcpy(key, next, bpf_map__key_size(m));
	return n;
}

/* Used slots of the SPI directory (an array: every key exists). */
static unsigned int dir_entries(struct rsip_xdp *skel, uint32_t slots)
{
	int fd = bpf_map__fd(skel->maps.rsip_spi_dir);
	struct rsip_dir_val v;
	unsigned int n = 0;

	for (uint32_t k = 0; k < slots; k++)
		n += bpf_map_lookup_elem(fd, &k, &v) == 0 && v.nb;
	return n;
}

static int cmd_rsip(const struct gw_opts *o)
{
	uint32_t slots = bench_nb_count(o->clients) * BENCH_CLIENTS_PER_NB;
	struct dpx_config cfg = {
	    .spi_block_shift = BENCH_SPI_SHIFT,
	    .cookie_cap = COOKIE_CAP,
	    .spi_dir = {.key = BENCH_SPI_KEY,
			.slots = slots,
			.per_nb = BENCH_CLIENTS_PER_NB,
			.port_slots = bench_nb_count(o->clients)},
	};
	uint32_t wan_ifindex, lan_ifindex, key;
	struct rsip_xdp *skel = NULL;
	struct dpx *x = NULL;
	struct dpx_maps maps;
	uint8_t lan_mac[6];
	double t0 = now_s();
	int err;

	err = ifindex_of(o->wan, &wan_ifindex);
	if (!err)
		err = ifindex_of(o->lan, &lan_ifindex);
	if (!err)
		err = bench_if_mac(o->lan, lan_mac);
	if (err)
		return err;
	skel = rsip_xdp__open();
	if (!skel) {
		log_warn("cannot open the rsip_xdp object");
		return -errno;
	}
	skel->rodata->cfg_na = o->na.s_addr;
	memcpy((void *)skel->rodata->cfg_lan_mac, lan_mac, 6);
	skel->rodata->cfg_lan_mtu = 1500;
	skel->rodata->cfg_spi_block_shift = BENCH_SPI_SHIFT;
	skel->rodata->cfg_wan_ifindex = wan_ifindex;
	skel->rodata->cfg_spi_dir_on = 1;
	skel->rodata->cfg_spi_key = BENCH_SPI_KEY;
	skel->rodata->cfg_port_dir_on = 1;
	err = bpf_map__set_max_entries(skel->maps.rsip_spi_dir, slots);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.rsip_port_dir,
					       bench_nb_count(o->clients) * RSIP_PORT_DIR_SPAN);
	if (!err)
		err = size_maps(skel, o->clients, o->capacity);
	if (!err) /* a cpumap key is a CPU number */
		err = bpf_map__set_max_entries(skel->maps.rsip_cpumap,
					       (uint32_t)libbpf_num_possible_cpus());
	if (!err && o->prealloc)
		err = bench_hash_maps_prealloc(skel->obj);
	if (!err)
		err = rsip_xdp__load(skel);
	if (err) {
		log_warnx("cannot load rsip_xdp: %s (-v for libbpf's log)", strerror(-err));
		goto out;
	}
	key = lan_ifindex;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.rsip_tx), &key, &lan_ifindex, BPF_ANY)) {
		err = -errno;
		log_warn("rsip_tx[%u]", lan_ifindex);
		goto out;
	}

	maps = dpx_maps_of(skel);
	x = dpx_new(&maps, &cfg);
	if (!x) {
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; !err && i < bench_nb_count(o->clients); i++) {
		struct in_addr nb = {.s_addr = htonl(BENCH_NB_BASE + i)};

		err = dpx_nb_add(x, nb);
	}
	for (uint32_t k = 0; !err && k < o->clients; k++)
		err = add_client(x, k, o, lan_ifindex);
	if (!err)
		err = learn_cookies(skel, x, o, lan_mac);
	if (!err)
		err = pin_at(o->pindir, "rsip_wan", pin_prog, skel->progs.rsip_wan);
	if (!err)
		err = pin_at(o->pindir, "rsip_stats", pin_map, skel->maps.rsip_stats);
	if (!err && o->n_steer) {
		err = xdp_steer_fill(skel, bpf_program__fd(skel->progs.rsip_wan_cpu), o->steer,
				     o->n_steer);
		if (!err)
			err = pin_at(o->pindir, "rsip_wan_steer", pin_prog,
				     skel->progs.rsip_wan_steer);
		if (!err)
			err = pin_at(o->pindir, "rsip_steer", pin_map, skel->maps.rsip_steer);
		if (!err) {
			struct bpf_map_info info = {0};
			uint32_t len = sizeof(info);

			/* Its kthreads are "cpumap/CPU/map:ID": xdp_rate.sh reads
			 * their CPU time. */
			if (bpf_obj_get_info_by_fd(bpf_map__fd(skel->maps.rsip_cpumap), &info,
						   &len) == 0)
				printf("xdp_gw: rsip_cpumap id=%u\n", info.id);
		}
	}
	if (err)
		goto out;
	printf("xdp_gw: rsip_wan pinned: clients=%u nb=%u entries: clients=%ld ports=%ld "
	       "spi_dir=%u spi_blk=%ld spi=%ld ike=%ld (%.1f s)\n",
	       o->clients, bench_nb_count(o->clients), count_entries(skel->maps.rsip_clients),
	       count_entries(skel->maps.rsip_ports), dir_entries(skel, slots),
	       count_entries(skel->maps.rsip_spi_blk), count_entries(skel->maps.rsip_spi),
	       count_entries(skel->maps.rsip_ike), now_s() - t0);
	{
		unsigned long long bytes = bench_map_bytes(skel->obj, true);

		/* two bindings per client (bench_clients.h) */
		/* "hash maps" includes the SPI directory (bench_maps.h) */
		printf("xdp_gw: map memory%s: hash maps %.1f MiB, %llu bytes per binding\n",
		       o->prealloc ? " (preallocated)" : "", bytes / 1048576.0,
		       o->clients ? bytes / (2ull * o->clients) : 0);
	}
out:
	dpx_free(x);
	rsip_xdp__destroy(skel);
	return err;
}

/* Refills a pinned rsip_steer: which CPUs the SPI slots go to. */
static int cmd_steer(const char *pin, const char *list)
{
	uint16_t cpus[CFG_STEER_MAX];
	size_t n;
	int fd, err;

	if (cpulist_parse(list, cpus, CFG_STEER_MAX, &n) < 0) {
		log_warnx("steer: bad CPU list '%s'", list);
		return -EINVAL;
	}
	fd = bpf_obj_get(pin);
	if (fd < 0) {
		log_warn("steer: %s", pin);
		return -errno;
	}
	err = xdp_steer_slots(fd, cpus, n);
	if (err)
		log_warnx("steer: cannot write %s: %s", pin, strerror(-err));
	close(fd);
	return err;
}

/* --- reference programs ---------------------------------------------------------- */

static int cmd_ref(const struct gw_opts *o)
{
	struct ref_progs *skel;
	struct bench_client c0;
	uint32_t lan_ifindex, key = 0;
	uint8_t lan_mac[6];
	int err;

	err = ifindex_of(o->lan, &lan_ifindex);
	if (!err)
		err = bench_if_mac(o->lan, lan_mac);
	if (err)
		return err;
	bench_client(0, &c0);
	skel = ref_progs__open();
	if (!skel) {
		log_warn("cannot open the ref_progs object");
		return -errno;
	}
	memcpy((void *)skel->rodata->ref_src_mac, lan_mac, 6);
	memcpy((void *)skel->rodata->ref_dst_mac, o->client_mac, 6);
	skel->rodata->ref_outer_src = o->na.s_addr;
	skel->rodata->ref_outer_dst = c0.xa.s_addr;
	skel->rodata->ref_lan_ifindex = lan_ifindex;
	err = ref_progs__load(skel);
	if (err) {
		log_warnx("cannot load ref_progs: %s (-v for libbpf's log)", strerror(-err));
		goto out;
	}
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.ref_tx), &key, &lan_ifindex, BPF_ANY)) {
		err = -errno;
		log_warn("ref_tx[0]");
		goto out;
	}
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.ref_tx_hash), &lan_ifindex, &lan_ifindex,
				BPF_ANY)) {
		err = -errno;
		log_warn("ref_tx_hash[%u]", lan_ifindex);
		goto out;
	}
	err = pin_at(o->pindir, "ref_encap", pin_prog, skel->progs.ref_encap);
	if (!err)
		err = pin_at(o->pindir, "ref_encap_hash", pin_prog, skel->progs.ref_encap_hash);
	if (!err)
		err = pin_at(o->pindir, "ref_drop", pin_prog, skel->progs.ref_drop);
	if (!err)
		printf("xdp_gw: ref_encap, ref_encap_hash, ref_drop pinned\n");
out:
	ref_progs__destroy(skel);
	return err;
}

/* Where ref_lookup finds each kind's per-client 4 bytes (after the
 * destination address): the ESP SPI, the UDP destination port (and length),
 * the end of the IKE SPIi. And how big the project's map for that path is. */
static const struct {
	uint32_t key_off, capacity;
} lookup_kind[] = {
    [BENCH_ESP] = {34, RSIP_DEF_SPI_BLK},
    [BENCH_IKE] = {46, RSIP_DEF_IKE},
    [BENCH_UDP] = {36, RSIP_DEF_PORTS},
};

static int load_lookup(const struct gw_opts *o, enum bench_kind kind, uint32_t lan_ifindex,
		       const uint8_t lan_mac[6])
{
	uint32_t cap = lookup_kind[kind].capacity, off = lookup_kind[kind].key_off, key0 = 0;
	struct bench_wire w = {0};
	struct ref_progs *skel;
	char name[32];
	int err, fd;

	skel = ref_progs__open();
	if (!skel) {
		log_warn("cannot open the ref_progs object");
		return -errno;
	}
	memcpy((void *)skel->rodata->ref_src_mac, lan_mac, 6);
	skel->rodata->ref_outer_src = o->na.s_addr;
	skel->rodata->ref_key_off = off;
	struct bpf_map *maps[] = {skel->maps.ref_keys, skel->maps.ref_keys12,
				  skel->maps.ref_keys16};
	struct bpf_program *progs[] = {skel->progs.ref_lookup, skel->progs.ref_lookup12,
				       skel->progs.ref_lookup16};
	const char *prog_names[] = {"ref_lookup", "ref_lookup12", "ref_lookup16"};

	err = 0;
	for (size_t m = 0; !err && m < sizeof(maps) / sizeof(maps[0]); m++)
		err = bpf_map__set_max_entries(maps[m], cap < o->clients ? o->clients : cap);
	if (!err)
		err = ref_progs__load(skel);
	if (err) {
		log_warnx("cannot load ref_progs: %s (-v for libbpf's log)", strerror(-err));
		goto out;
	}
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.ref_tx), &key0, &lan_ifindex, BPF_ANY)) {
		err = -errno;
		log_warn("ref_tx[0]");
		goto out;
	}
	for (uint32_t k = 0; k < o->clients; k++) {
		uint8_t frame[BENCH_FRAME_MAX], key[16] = {0};
		struct rsip_target t = {.tunnel = RSIP_DP_TUNNEL_IPIP, .lan_ifindex = lan_ifindex};
		struct bench_client c;

		bench_client(k, &c);
		bench_wan_frame(kind, &c, &w, frame);
		memcpy(key, frame + ETH_HLEN + 16, 4); /* the IPv4 destination */
		memcpy(key + 4, frame + off, 4);
		t.xa = c.xa.s_addr;
		memcpy(t.mac, o->client_mac, 6);
		/* the same key in each map, zero-padded to its length */
		for (size_t m = 0; m < sizeof(maps) / sizeof(maps[0]); m++) {
			fd = bpf_map__fd(maps[m]);
			if (bpf_map_update_elem(fd, key, &t, BPF_NOEXIST)) {
				err = -errno;
				log_warn("%s: client %u", bpf_map__name(maps[m]), k);
				goto out;
			}
		}
	}
	for (size_t p = 0; !err && p < sizeof(progs) / sizeof(progs[0]); p++) {
		snprintf(name, sizeof(name), "%s_%s", prog_names[p], bench_kind_name(kind));
		err = pin_at(o->pindir, name, pin_prog, progs[p]);
	}
out:
	ref_progs__destroy(skel);
	return err;
}

static int cmd_lookup(const struct gw_opts *o)
{
	uint32_t lan_ifindex;
	uint8_t lan_mac[6];
	int err;

	err = ifindex_of(o->lan, &lan_ifindex);
	if (!err)
		err = bench_if_mac(o->lan, lan_mac);
	for (int k = BENCH_ESP; !err && k <= BENCH_UDP; k++)
		err = load_lookup(o, (enum bench_kind)k, lan_ifindex, lan_mac);
	if (!err)
		printf("xdp_gw: ref_lookup{,12,16}_{esp,ike,udp} pinned: clients=%u\n", o->clients);
	return err;
}

/* --- attach, detach, counters ------------------------------------------------------ */

static int attach_fd(const char *ifname, int fd)
{
	uint32_t ifindex;
	int err = ifindex_of(ifname, &ifindex);

	if (!err)
		err = bpf_xdp_attach((int)ifindex, fd, XDP_FLAGS_DRV_MODE, NULL);
	if (err)
		log_warnx("%s: native XDP attach: %s", ifname, strerror(-err));
	return err;
}

/* Attaches ref_drop (pass false) or ref_pass (true); the link outlives us. */
static int cmd_attach_ref(const char *ifname, bool pass)
{
	struct ref_progs *skel = ref_progs__open_and_load();
	int err;

	if (!skel) {
		log_warn("cannot load ref_progs");
		return -errno;
	}
	err =
	    attach_fd(ifname, bpf_program__fd(pass ? skel->progs.ref_pass : skel->progs.ref_drop));
	ref_progs__destroy(skel);
	return err;
}

static int cmd_attach(const char *ifname, const char *pin)
{
	int fd = bpf_obj_get(pin), err;

	if (fd < 0) {
		log_warn("%s", pin);
		return -errno;
	}
	err = attach_fd(ifname, fd);
	close(fd);
	return err;
}

static int cmd_detach(const char *ifname)
{
	uint32_t ifindex;
	int err = ifindex_of(ifname, &ifindex);

	if (!err)
		err = bpf_xdp_detach((int)ifindex, XDP_FLAGS_DRV_MODE, NULL);
	if (err)
		log_warnx("%s: detach: %s", ifname, strerror(-err));
	return err;
}

static int cmd_counters(const char *pin)
{
	int ncpus = libbpf_num_possible_cpus(), fd = bpf_obj_get(pin), err = 0;
	uint64_t *vals;

	if (fd < 0) {
		log_warn("%s", pin);
		return -errno;
	}
	if (ncpus <= 0) {
		close(fd);
		return ncpus ? ncpus : -EINVAL;
	}
	vals = calloc((size_t)ncpus, sizeof(*vals));
	if (!vals) {
		close(fd);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < RSIP_CNT_MAX; i++) {
		uint64_t sum = 0;

		if (bpf_map_lookup_elem(fd, &i, vals)) {
			err = -errno;
			log_warn("%s[%u]", pin, i);
			break;
		}
		for (int c = 0; c < ncpus; c++)
			sum += vals[c];
		if (sum)
			printf("%s%s=%llu", i ? " " : "", dp_counter_name(i),
			       (unsigned long long)sum);
	}
	printf("\n");
	free(vals);
	close(fd);
	return err;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmd_prun(int argc, char **argv)
{
	uint32_t clients = 1, flows = 0, calls = 200000, verdicts[8] = {0};
	enum bench_kind kind = BENCH_ESP;
	struct bench_wire w = {.src_mac = {2, 0, 0, 0, 0, 2}, .dst_mac = {2, 0, 0, 0, 0, 1}};
	uint8_t(*frames)[BENCH_FRAME_MAX] = NULL;
	uint32_t *ns = NULL;
	size_t len = 0;
	uint64_t sum = 0;
	int fd, c, err = 0;

	optind = 3;
	while ((c = getopt(argc, argv, "k:n:f:c:")) != -1) {
		if ((c == 'k' && bench_kind_parse(optarg, &kind) < 0) ||
		    (c == 'n' && bench_parse_clients(optarg, &clients) < 0) ||
		    (c == 'f' && (parse_u32(optarg, &flows) < 0 || !flows)) ||
		    (c == 'c' && (parse_u32(optarg, &calls) < 0 || !calls)) || c == '?') {
			usage(stderr);
			return -EINVAL;
		}
	}
	if (!flows || flows > clients)
		flows = clients;
	parse_ipv4("192.0.2.2", &w.peer);
	fd = bpf_obj_get(argv[2]);
	if (fd < 0) {
		log_warn("%s", argv[2]);
		return -errno;
	}
	frames = calloc(flows, sizeof(*frames));
	ns = calloc(calls, sizeof(*ns));
	if (!frames || !ns) {
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t f = 0; f < flows; f++) {
		struct bench_client bc;

		bench_client((uint32_t)((uint64_t)f * clients / flows), &bc);
		len = bench_wan_frame(kind, &bc, &w, frames[f]);
	}
	for (uint32_t i = 0; i < calls; i++) {
		uint8_t out[BENCH_FRAME_MAX + 64];
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frames[i % flows],
			    .data_size_in = (__u32)len, .data_out = out,
			    .data_size_out = sizeof(out), .repeat = 1);

		err = bpf_prog_test_run_opts(fd, &opts);
		if (err) {
			log_warnx("test run: %s", strerror(-err));
			goto out;
		}
		ns[i] = opts.duration;
		sum += opts.duration;
		verdicts[opts.retval & 7]++;
	}
	qsort(ns, calls, sizeof(*ns), cmp_u32);
	printf("xdp_gw: prun %s kind=%s clients=%u flows=%u calls=%u ns/run: mean=%.1f "
	       "median=%u p90=%u verdicts: drop=%u pass=%u tx=%u redirect=%u\n",
	       argv[2], bench_kind_name(kind), clients, flows, calls, (double)sum / calls,
	       ns[calls / 2], ns[calls / 10 * 9], verdicts[XDP_DROP], verdicts[XDP_PASS],
	       verdicts[XDP_TX], verdicts[XDP_REDIRECT]);
out:
	free(frames);
	free(ns);
	close(fd);
	return err;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	struct gw_opts o;
	int err;

	log_init("xdp_gw", false, 0);
	libbpf_set_print(log_libbpf);
	if (!strcmp(cmd, "lookup")) {
		if (parse_opts(argc, argv, &o))
			return 2;
		err = cmd_lookup(&o);
	} else if (!strcmp(cmd, "rsip") || !strcmp(cmd, "ref")) {
		if (parse_opts(argc, argv, &o))
			return 2;
		if (!strcmp(cmd, "rsip") && !o.wan) {
			log_warnx("rsip needs -w WAN");
			return 2;
		}
		err = !strcmp(cmd, "rsip") ? cmd_rsip(&o) : cmd_ref(&o);
	} else if (!strcmp(cmd, "steer") && argc == 4) {
		err = cmd_steer(argv[2], argv[3]);
	} else if (!strcmp(cmd, "sink") && argc == 3) {
		err = cmd_attach_ref(argv[2], false);
	} else if (!strcmp(cmd, "pass") && argc == 3) {
		err = cmd_attach_ref(argv[2], true);
	} else if (!strcmp(cmd, "attach") && argc == 4) {
		err = cmd_attach(argv[2], argv[3]);
	} else if (!strcmp(cmd, "detach") && argc == 3) {
		err = cmd_detach(argv[2]);
	} else if (!strcmp(cmd, "prun") && argc >= 3) {
		err = cmd_prun(argc, argv);
	} else if (!strcmp(cmd, "counters") && argc == 3) {
		err = cmd_counters(argv[2]);
	} else {
		usage(stderr);
		return 2;
	}
	return err ? 1 : 0;
}
