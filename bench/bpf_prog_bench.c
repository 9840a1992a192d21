// SPDX-License-Identifier: BSD-2-Clause
/*
 * bpf_prog_bench: what BPF_PROG_TEST_RUN measures per packet for rsip_wan's
 * hot paths, next to a trivial encapsulate-and-redirect program and an
 * XDP_PASS program loaded in the same run.
 *
 * Method (shared/bench-baseline/README.md, pitfall 5): repeat = 1 per call,
 * many calls, the kernel's per-call duration; with repeat > 1 the kernel
 * hands each repetition the previous one's output, so an encapsulating or
 * demultiplexing program would time the wrong path. Calls are interleaved in
 * rounds (every program in every round) so drift hits all alike; the median
 * of the XDP_PASS program is the fixed cost of a call and is subtracted.
 * Every call's return value is checked: a figure for the wrong path is
 * refused, not printed.
 *
 *   bpf_prog_bench [-c CPU] [-r ROUNDS] [-k CALLS_PER_ROUND] [-n FILLER_CLIENTS] [-P] [-d]
 *                  [-B OBJ]...
 * -P creates rsip_xdp's hash maps preallocated (the object asks for
 * BPF_F_NO_PREALLOC), to measure that choice (docs/xdp-programs.md).
 * -d turns the SPI directory on (as rsipd and xdp_gw load the programs):
 * every client's block is at a slot of the Nb's partition, so the ESP block
 * hit is an array read instead of the rsip_spi_blk hash lookup.
 * -B OBJ (up to MAX_OTHER times) also loads rsip_wan from another build of
 * bpf/rsip_xdp.bpf.c (e.g. the commit before a change, or an ablation variant
 * of bench/wan_ablate.sh) on the same maps and load-time constants, and times
 * it in the same interleaved rounds: a comparison the machine's load hits
 * alike.
 * Each loaded rsip_wan's size is printed too (translated instructions,
 * JIT bytes), from the kernel's program info.
 * Needs root. Loads, never attaches.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../tests/lib/rec_build.h"
#include "bench_clients.h"
#include "bench_maps.h"
#include "dataplane/maps.h"
#include "bench_xdp.skel.h"
#include "parse.h"
#include "rsip/wire.h"
#include "rsip_xdp.skel.h"

#define XDP_PASS       2
#define XDP_REDIRECT   4
#define LO_IFINDEX     1 /* rsip_tx needs a real device; nothing is sent */
#define MAX_OTHER      8
#define RSIP_WAN_FIRST 3 /* cases[]: the three references, then rsip_wan's four */
#define DIR_SLOTS      BENCH_CLIENTS_PER_NB /* -d: one Nb's partition */

static const uint8_t CLIENT_MAC[6] = {0x02, 0, 0, 0, 0, 0x0a};
static const uint8_t LAN_MAC[6] = {0x02, 0, 0, 0, 0x0b, 0x01};
static const uint8_t COOKIE[8] = {0xc2, 2, 2, 2, 2, 2, 2, 2};

struct case_ {
	char name[64];
	int prog;
	const uint8_t *frame;
	size_t len;
	int want;
	unsigned int *ns;
	size_t n;
};

static int cmp_u(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static uint16_t csum(const uint8_t *b, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Ethernet + IPv4 (DF, TTL 64) to dst with proto, around l4 (len bytes). */
static size_t frame(uint8_t *f, uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *l4,
		    size_t len)
{
	uint8_t *ip = f + 14;
	uint16_t c, tot = (uint16_t)(20 + len);

	memset(f, 0, 34);
	memcpy(f, (uint8_t[]){2, 0, 0, 0, 0x0a, 1}, 6);
	memcpy(f + 6, (uint8_t[]){2, 0, 0, 0, 0x0a, 2}, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = tot >> 8;
	ip[3] = tot & 0xff;
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	c = csum(ip, 20);
	ip[10] = c >> 8;
	ip[11] = c & 0xff;
	memcpy(f + 34, l4, len);
	return 34 + len;
}

static int run_once(struct case_ *c, uint8_t *out)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = c->frame, .data_size_in = c->len,
		    .data_out = out, .data_size_out = 4096, .repeat = 1);
	int err = bpf_prog_test_run_opts(c->prog, &o);

	if (err) {
		fprintf(stderr, "%s: test run: %s\n", c->name, strerror(-err));
		return err;
	}
	if ((int)o.retval != c->want) {
		fprintf(stderr, "%s: returned %u, expected %d: refusing to time the wrong path\n",
			c->name, o.retval, c->want);
		return -EINVAL;
	}
	c->ns[c->n++] = o.duration;
	return 0;
}

static void must(int err, const char *what)
{
	if (err) {
		fprintf(stderr, "bpf_prog_bench: %s: %s\n", what, strerror(-err));
		exit(1);
	}
}

/* Client A (the measured one) and `filler` others, each with an SPI block
 * and a learned cookie, so the hash maps are not trivially small. */
/* Appends a case named "who what". */
static void add_case(struct case_ *cases, size_t *n, const char *who, const char *what, int prog,
		     const uint8_t *frame_, size_t len, int want)
{
	struct case_ *c = &cases[(*n)++];

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s %s", who, what);
	c->prog = prog;
	c->frame = frame_;
	c->len = len;
	c->want = want;
}

/* Client i's first SPI (host order): client 0's is the measured one. With
 * the directory (-d) every block is at a slot of the Nb's partition, as
 * rsipd's allocator picks them (bench_clients.h's scattering). */
static uint32_t spi_base_of(unsigned int i, bool dir)
{
	if (dir)
		return rsip_spi_dir_block(bench_dir_slot(i), BENCH_SPI_KEY, 32 - 8) << 8;
	return i == 0 ? 0x123400 : 0x01000000 + i * 256;
}

static void fill(struct dpx *x, int ike_fd, uint32_t nb, unsigned int filler, bool dir)
{
	struct in_addr a = {.s_addr = nb};

	must(dpx_nb_add(x, a), "nb");
	for (unsigned int i = 0; i <= filler; i++) {
		struct dp_client c = {.client_id = i + 1};
		uint32_t spi_base = spi_base_of(i, dir);
		uint32_t spis[2] = {spi_base + 0x10, spi_base + 0x11};
		struct rec_buf b;
		struct rsip_ike_key k = {.nb = nb, .port = htons(500)};
		struct rsip_target t = {.tunnel = RSIP_DP_TUNNEL_IPIP,
					.flags = RSIP_TF_LEARNED,
					.lan_ifindex = LO_IFINDEX};

		c.xa.s_addr = htonl(0x0a010000 + i);
		b = rec_make(i + 1, 1000 + i, c.xa, a, RSIP_METHOD_RSIPSEC);
		rec_set_spis(&b, spis, 2);
		b.r.has_spi_block = true;
		b.r.spi_block = spi_base >> 8;
		must(dpx_client_add(x, &c), "client");
		must(dpx_client_set_link(x, c.xa, CLIENT_MAC, LO_IFINDEX), "link");
		must(dpx_binding_add(x, &b.r), "binding");
		/* The cookie the LAN program would have learned. */
		memcpy(k.cookie, COOKIE, 8);
		if (i)
			memcpy(k.cookie, &c.xa.s_addr, 4);
		t.xa = c.xa.s_addr;
		memcpy(t.mac, CLIENT_MAC, 6);
		must(bpf_map_update_elem(ike_fd, &k, &t, BPF_NOEXIST), "cookie");
	}
}

/* rsip_wan of another build of the object, on s's maps (by name) and with
 * s's load-time constants; its program fd. */
static int load_other(const char *path, struct rsip_xdp *s)
{
	struct bpf_object *o = bpf_object__open_file(path, NULL);
	struct bpf_program *p;
	struct bpf_map *m;

	if (!o)
		must(-errno, path);
	bpf_object__for_each_map(m, o)
	{
		const char *name = bpf_map__name(m);
		const struct bpf_map *mine;

		if (strstr(name, ".rodata")) {
			size_t sz;
			const void *v = bpf_map__initial_value(s->maps.rodata, &sz);

			if (bpf_map__value_size(m) != sz)
				must(-EINVAL, "-B: its load-time constants differ");
			must(bpf_map__set_initial_value(m, v, sz), "-B rodata");
			continue;
		}
		mine = bpf_object__find_map_by_name(s->obj, name);
		if (mine)
			must(bpf_map__reuse_fd(m, bpf_map__fd(mine)), name);
	}
	must(bpf_object__load(o), "-B load");
	p = bpf_object__find_program_by_name(o, "rsip_wan");
	if (!p)
		must(-ENOENT, "-B: no rsip_wan");
	return bpf_program__fd(p); /* the object lives until exit */
}

/* The loaded program's size: translated instructions and JIT bytes. */
static void print_size(const char *name, int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		printf("%-34s size unknown (%s)\n", name, strerror(errno));
		return;
	}
	printf("%-34s %6u insns translated, %6u bytes JIT\n", name, info.xlated_prog_len / 8,
	       info.jited_prog_len);
}

int main(int argc, char **argv)
{
	unsigned int rounds = 20, calls = 10000, filler = 10000, cpu = 1;
	bool prealloc = false, dir = false;
	const char *other[MAX_OTHER];
	int other_wan[MAX_OTHER];
	size_t nother = 0;
	uint32_t na = htonl(0x0a000001), nb = htonl(0xc0000201), peer = htonl(0xc6336407);
	uint8_t esp[8 + 44], ike[8 + 28 + 8], out[4096];
	uint8_t f_esp[128], f_ike[128], f_single[128], f_other[128];
	size_t len_esp, len_ike, len_single, len_other, nc = 0;
	struct case_ cases[3 + 4 * (MAX_OTHER + 1)];
	struct rsip_xdp *s;
	struct bench_xdp *b;
	struct dpx *x;
	int opt;

	while ((opt = getopt(argc, argv, "c:r:k:n:PdB:")) != -1) {
		uint32_t v;

		if (opt == 'P') {
			prealloc = true;
			continue;
		}
		if (opt == 'd') {
			dir = true;
			continue;
		}
		if (opt == 'B') {
			if (nother == MAX_OTHER) {
				fprintf(stderr, "bpf_prog_bench: at most %d -B\n", MAX_OTHER);
				return 2;
			}
			other[nother++] = optarg;
			continue;
		}
		if (parse_u32(optarg, &v)) {
			fprintf(stderr, "bpf_prog_bench: bad number '%s'\n", optarg);
			return 2;
		}
		switch (opt) {
		case 'c':
			cpu = v;
			break;
		case 'r':
			rounds = v ? v : 1;
			break;
		case 'k':
			calls = v ? v : 1;
			break;
		case 'n':
			filler = v;
			break;
		default:
			fprintf(stderr, "usage: bpf_prog_bench [-c CPU] [-r ROUNDS] [-k CALLS] "
					"[-n FILLER_CLIENTS] [-P] [-d] [-B OBJ]...\n");
			return 2;
		}
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bpf_prog_bench: needs root\n");
		return 77;
	}
	{
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			fprintf(stderr, "bpf_prog_bench: cannot pin to CPU %u, not pinned\n", cpu);
	}

	s = rsip_xdp__open();
	if (!s)
		must(-errno, "open rsip_xdp");
	s->rodata->cfg_na = na;
	memcpy((void *)s->rodata->cfg_lan_mac, LAN_MAC, 6);
	s->rodata->cfg_lan_mtu = 1500;
	s->rodata->cfg_spi_block_shift = 8;
	if (dir) {
		s->rodata->cfg_spi_dir_on = 1;
		s->rodata->cfg_spi_key = BENCH_SPI_KEY;
		must(bpf_map__set_max_entries(s->maps.rsip_spi_dir, DIR_SLOTS), "spi_dir size");
	}
	if (filler >= DIR_SLOTS) {
		fprintf(stderr, "bpf_prog_bench: at most %u filler clients\n", DIR_SLOTS - 1);
		return 2;
	}
	if (prealloc)
		must(bench_hash_maps_prealloc(s->obj), "prealloc");
	must(rsip_xdp__load(s), "load rsip_xdp");
	b = bench_xdp__open();
	if (!b)
		must(-errno, "open bench_xdp");
	memcpy((void *)b->rodata->new_src, LAN_MAC, 6);
	memcpy((void *)b->rodata->new_dst, CLIENT_MAC, 6);
	b->rodata->outer_saddr = na;
	b->rodata->outer_daddr = htonl(0x0a010000);
	b->rodata->tx_ifindex = LO_IFINDEX;
	must(bench_xdp__load(b), "load bench_xdp");
	{
		__u32 lo = LO_IFINDEX;

		must(bpf_map_update_elem(bpf_map__fd(s->maps.rsip_tx), &lo, &lo, BPF_ANY), "tx");
		must(bpf_map_update_elem(bpf_map__fd(b->maps.bench_tx), &lo, &lo, BPF_ANY), "tx");
	}
	{
		struct dpx_maps m = dpx_maps_of(s);
		struct dpx_config cfg = {.spi_block_shift = 8, .cookie_cap = 16};

		if (dir)
			cfg.spi_dir = (struct dp_dirs){
			    .key = BENCH_SPI_KEY, .slots = DIR_SLOTS, .per_nb = DIR_SLOTS};
		x = dpx_new(&m, &cfg);
		if (!x)
			must(-ENOMEM, "dpx");
		fill(x, m.ike, nb, filler, dir);
		/* One more: a single SPI (block lookup misses, then the SPI). */
		{
			static const uint32_t one[] = {0x5001};
			struct in_addr xa = {.s_addr = htonl(0x0a010000)}, nb_a = {.s_addr = nb};
			struct rec_buf sb = rec_make(1, 999, xa, nb_a, RSIP_METHOD_RSIPSEC);

			rec_set_spis(&sb, one, 1);
			must(dpx_binding_add(x, &sb.r), "single SPI");
		}
	}

	for (size_t i = 0; i < nother; i++)
		other_wan[i] = load_other(other[i], s);

	/* The reference demux map, as full as rsip_spi_blk: the measured key
	 * (Nb, SPI 0x123411) and one per filler client. */
	for (unsigned int i = 0; i <= filler; i++) {
		struct {
			uint32_t daddr, spi;
		} k = {nb, htonl(spi_base_of(i, dir) + (i == 0 ? 0x11 : 0x10))};
		uint8_t v[56] = {0};

		must(bpf_map_update_elem(bpf_map__fd(b->maps.bench_demux), &k, v, BPF_ANY),
		     "demux");
	}

	/* ESP 86 bytes (the baseline's frame), IKEv2 78 bytes; the frames. */
	memset(esp, 0x5a, sizeof(esp));
	{
		uint32_t spi = htonl(spi_base_of(0, dir) + 0x11);

		memcpy(esp, &spi, 4);
		memcpy(esp + 4, (uint8_t[]){0, 0, 0, 1}, 4);
	}
	memset(ike, 0, sizeof(ike));
	ike[0] = 0x01, ike[1] = 0xf4, ike[2] = 0x01, ike[3] = 0xf4; /* 500 -> 500 */
	ike[4] = 0, ike[5] = sizeof(ike);
	memcpy(ike + 8, COOKIE, 8);				  /* SPIi: the client's */
	memcpy(ike + 16, (uint8_t[]){9, 9, 9, 9, 9, 9, 9, 9}, 8); /* SPIr: the peer's */
	ike[8 + 17] = 0x20;					  /* IKEv2 */
	ike[8 + 19] = 0x20;					  /* response, I clear */
	len_esp = frame(f_esp, peer, nb, 50, esp, sizeof(esp));
	len_ike = frame(f_ike, peer, nb, 17, ike, sizeof(ike));
	/* ESP to an address that is not an Nb (192.0.2.99): passed. */
	len_other = frame(f_other, peer, htonl(0xc0000263), 50, esp, sizeof(esp));
	memcpy(esp, (uint8_t[]){0, 0, 0x50, 0x01}, 4); /* SPI 0x5001 */
	len_single = frame(f_single, peer, nb, 50, esp, sizeof(esp));

	add_case(cases, &nc, "bench_pass", "(XDP_PASS)", bpf_program__fd(b->progs.bench_pass),
		 f_esp, len_esp, XDP_PASS);
	add_case(cases, &nc, "bench_encap", "(trivial IPIP)", bpf_program__fd(b->progs.bench_encap),
		 f_esp, len_esp, XDP_REDIRECT);
	add_case(cases, &nc, "bench_encap_lookup", "(+1 hash)",
		 bpf_program__fd(b->progs.bench_encap_lookup), f_esp, len_esp, XDP_REDIRECT);
	for (size_t i = 0; i <= nother; i++) {
		int fd = i == 0 ? bpf_program__fd(s->progs.rsip_wan) : other_wan[i - 1];
		char who[40];

		if (i == 0)
			snprintf(who, sizeof(who), "rsip_wan");
		else
			snprintf(who, sizeof(who), "-B%zu", i);
		print_size(i == 0 ? "rsip_wan" : other[i - 1], fd);
		add_case(cases, &nc, who, "ESP, SPI block hit", fd, f_esp, len_esp, XDP_REDIRECT);
		add_case(cases, &nc, who, "IKE, cookie hit", fd, f_ike, len_ike, XDP_REDIRECT);
		add_case(cases, &nc, who, "ESP, single SPI", fd, f_single, len_single,
			 XDP_REDIRECT);
		add_case(cases, &nc, who, "ESP, not ours", fd, f_other, len_other, XDP_PASS);
	}
	print_size("bench_encap", bpf_program__fd(b->progs.bench_encap));
	for (size_t i = 0; i < nc; i++) {
		/* room for the warm-up's 1000 calls too */
		cases[i].ns = calloc((size_t)rounds * calls + 1000, sizeof(unsigned int));
		if (!cases[i].ns)
			must(-ENOMEM, "calloc");
	}
	/* Warm up, then interleaved rounds. */
	for (size_t i = 0; i < nc; i++) {
		for (unsigned int k = 0; k < 1000; k++)
			if (run_once(&cases[i], out))
				return 1;
		cases[i].n = 0;
	}
	/* Every other round in reverse order: a program never always follows
	 * the same one. */
	for (unsigned int r = 0; r < rounds; r++)
		for (size_t j = 0; j < nc; j++) {
			size_t i = r % 2 ? nc - 1 - j : j;

			for (unsigned int k = 0; k < calls; k++)
				if (run_once(&cases[i], out))
					return 1;
		}

	printf("%s", prealloc ? "rsip_xdp hash maps PREALLOCATED (-P)\n" : "");
	{
		unsigned long long bytes = bench_hash_map_bytes(s->obj);

		printf("rsip_xdp hash maps: %.1f MiB for %u clients (%llu bytes per client)\n",
		       bytes / 1048576.0, filler + 1, bytes / (filler + 1));
	}
	printf("BPF_PROG_TEST_RUN, repeat=1, %u rounds x %u calls per program, CPU %u, "
	       "%u filler clients (SPI block + cookie each)%s\n",
	       rounds, calls, cpu, filler, dir ? ", SPI directory on (-d)" : "");
	/* The kernel's clock here ticks in ~10 ns steps: the mean of many
	 * calls resolves finer than the median. */
	printf("%-32s %7s %9s %10s %14s %14s %12s\n", "program", "frame", "median", "mean",
	       "median - pass", "mean - pass", "vs rsip_wan");
	{
		double pass_med = 0, pass_mean = 0;
		double *round_mean = calloc((size_t)nc * rounds, sizeof(double));

		if (!round_mean)
			must(-ENOMEM, "calloc");
		/* Each round's mean per case, before the sort below: paired
		 * differences between cases of one round cancel the drift. */
		for (size_t i = 0; i < nc; i++)
			for (unsigned int r = 0; r < rounds; r++) {
				unsigned long long sum = 0;

				for (unsigned int k = 0; k < calls; k++)
					sum += cases[i].ns[(size_t)r * calls + k];
				round_mean[i * rounds + r] = (double)sum / calls;
			}
		for (size_t i = 0; i < nc; i++) {
			unsigned long long sum = 0;
			double med, diff = 0;

			qsort(cases[i].ns, cases[i].n, sizeof(unsigned int), cmp_u);
			for (size_t k = 0; k < cases[i].n; k++)
				sum += cases[i].ns[k];
			med = cases[i].ns[cases[i].n / 2];
			if (i == 0) {
				pass_med = med;
				pass_mean = (double)sum / cases[i].n;
			}
			/* Against the whole rsip_wan on the same frame (the
			 * references against its ESP case): the median over
			 * rounds of the difference of the round means. */
			if (i > 0 && (i < RSIP_WAN_FIRST || i >= RSIP_WAN_FIRST + 4)) {
				size_t base = i < RSIP_WAN_FIRST
						  ? RSIP_WAN_FIRST
						  : RSIP_WAN_FIRST + (i - RSIP_WAN_FIRST) % 4;
				double d[rounds];

				for (unsigned int r = 0; r < rounds; r++)
					d[r] = round_mean[i * rounds + r] -
					       round_mean[base * rounds + r];
				qsort(d, rounds, sizeof(double), cmp_d);
				diff = d[rounds / 2];
			}
			printf("%-32s %5zu B %6.0f ns %7.1f ns %11.0f ns %11.1f ns %+9.1f ns\n",
			       cases[i].name, cases[i].len, med, (double)sum / cases[i].n,
			       med - pass_med, (double)sum / cases[i].n - pass_mean, diff);
		}
		free(round_mean);
	}
	for (size_t i = 0; i < nc; i++)
		free(cases[i].ns);
	dpx_free(x);
	bench_xdp__destroy(b);
	rsip_xdp__destroy(s);
	return 0;
}
