// SPDX-License-Identifier: BSD-2-Clause
/*
 * pktgen: the rate benchmark's traffic generator. It sends ESP, IKE or UDP
 * frames from the public peer to the benchmark's clients (bench_clients.h)
 * out of a veth, in the kernel: BPF_PROG_TEST_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES on pktgen.bpf.c, which redirects every frame.
 * Run it inside the generator's namespace (the ifindex is resolved there).
 *
 * Flows: flow f of F goes to client f * n / F, so F flows spread evenly
 * over a table of n clients and every packet of a cycle hits another entry.
 *
 * Each test run creates and destroys a page pool, which costs tens of
 * milliseconds here: calls are sized to last about half a second (measured
 * rate), so that pause stays a few percent of the run (bench-baseline,
 * pitfall 4).
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pktgen.skel.h"
#include "bench_clients.h"
#include "bench_frames.h"
#include "bench_net.h"
#include "log.h"
#include "parse.h"
#include "pktgen.h"

#define CALL_SECONDS 0.5
#define MIN_REPEAT   (1u << 16)
#define MAX_REPEAT   (1u << 26)

struct pktgen_opts {
	const char *ifname;
	enum bench_kind kind;
	uint32_t seconds;
	uint32_t clients;
	uint32_t flows; /* 0: one per client */
	int cpu;	/* -1: wherever */
	uint32_t batch;
	struct bench_wire wire;
	bool have_dst_mac;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: pktgen -i IFNAME -m GW_MAC [-k esp|ike|udp] [-t SECONDS] [-n CLIENTS]\n"
		   "              [-f FLOWS] [-c CPU] [-b BATCH] [-p PEER_ADDR] [-v]\n"
		   "  -i  the generator's veth (run inside its namespace)\n"
		   "  -m  the gateway WAN MAC (frames' destination)\n"
		   "  -k  frame kind (default esp)\n"
		   "  -t  seconds to send (default 10)\n"
		   "  -n  clients in the gateway's tables (default 1)\n"
		   "  -f  flows spread over them (default: one per client)\n"
		   "  -c  CPU to run on (the whole test run stays there)\n"
		   "  -b  frames per batch (default 64, at most 256)\n"
		   "  -p  the peer's source address (default 192.0.2.2)\n");
}

static int parse_opts(int argc, char **argv, struct pktgen_opts *o)
{
	uint32_t v;
	int c;

	*o = (struct pktgen_opts){
	    .kind = BENCH_ESP, .seconds = 10, .clients = 1, .cpu = -1, .batch = 64};
	parse_ipv4("192.0.2.2", &o->wire.peer);
	while ((c = getopt(argc, argv, "i:m:k:t:n:f:c:b:p:vh")) != -1) {
		switch (c) {
		case 'i':
			o->ifname = optarg;
			break;
		case 'm':
			if (bench_parse_mac(optarg, o->wire.dst_mac) < 0)
				goto bad;
			o->have_dst_mac = true;
			break;
		case 'k':
			if (bench_kind_parse(optarg, &o->kind) < 0)
				goto bad;
			break;
		case 't':
			if (parse_u32(optarg, &o->seconds) < 0 || !o->seconds)
				goto bad;
			break;
		case 'n':
			if (bench_parse_clients(optarg, &o->clients) < 0)
				goto bad;
			break;
		case 'f':
			if (parse_u32(optarg, &o->flows) < 0 || !o->flows ||
			    o->flows > PKTGEN_MAX_FLOWS)
				goto bad;
			break;
		case 'c':
			if (parse_u32(optarg, &v) < 0 || v >= CPU_SETSIZE)
				goto bad;
			o->cpu = (int)v;
			break;
		case 'b':
			if (parse_u32(optarg, &o->batch) < 0 || !o->batch || o->batch > 256)
				goto bad;
			break;
		case 'p':
			if (parse_ipv4(optarg, &o->wire.peer) < 0)
				goto bad;
			break;
		case 'v':
			log_set_verbosity(log_get_verbosity() + 1);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (!o->ifname || !o->have_dst_mac) {
		log_warnx("-i and -m are required");
		usage(stderr);
		return -EINVAL;
	}
	if (!o->flows || o->flows > o->clients)
		o->flows = o->clients;
	return 0;
bad:
	log_warnx("bad value for -%c: '%s'", c, optarg);
	return -EINVAL;
}

/* The frame for flow f, and its words the program copies per packet. */
static size_t flow_frame(const struct pktgen_opts *o, uint32_t f, uint8_t *buf)
{
	struct bench_client c;

	bench_client((uint32_t)((uint64_t)f * o->clients / o->flows), &c);
	return bench_wan_frame(o->kind, &c, &o->wire, buf);
}

static int fill_flows(struct pktgen *skel, const struct pktgen_opts *o)
{
	int fd = bpf_map__fd(skel->maps.pktgen_flows);
	uint8_t buf[BENCH_FRAME_MAX];

	for (uint32_t f = 0; f < o->flows; f++) {
		struct pktgen_flow v;

		flow_frame(o, f, buf);
		memcpy(&v, buf + PKTGEN_FLOW_OFF, sizeof(v));
		if (bpf_map_update_elem(fd, &f, &v, BPF_ANY) < 0) {
			log_warn("pktgen_flows[%u]", f);
			return -errno;
		}
	}
	return 0;
}

static int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		log_warn("cannot run on CPU %d", cpu);
		return -errno;
	}
	return 0;
}

/* Sends until the time is up or a signal arrives; *sent counts frames. */
static int send_loop(int prog_fd, const uint8_t *frame, size_t len, const struct pktgen_opts *o,
		     uint64_t *sent, double *secs)
{
	uint32_t repeat = 1u << 20;
	double t0 = now_s(), t = t0;
	int err = 0;

	*sent = 0;
	while (!stop && t - t0 < o->seconds) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (__u32)len,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .repeat = repeat,
			    .batch_size = o->batch);
		double want;

		err = bpf_prog_test_run_opts(prog_fd, &opts);
		if (err == -EINTR) {
			err = 0;
			break;
		}
		if (err == -EPERM) {
			/* Seen on a kernel build (6.18.44-fc-v1300) that runs every
			 * other test run: say what is missing, not just "EPERM". */
			log_warnx("test run: %s: this kernel refuses live-frame test runs "
				  "(BPF_F_TEST_XDP_LIVE_FRAMES), which this generator needs",
				  strerror(-err));
			break;
		}
		if (err) {
			log_warnx("test run: %s", strerror(-err));
			break;
		}
		*sent += repeat;
		t = now_s();
		want = (double)*sent / (t - t0) * CALL_SECONDS;
		repeat = want < MIN_REPEAT   ? MIN_REPEAT
			 : want > MAX_REPEAT ? MAX_REPEAT
					     : (uint32_t)want;
	}
	*secs = now_s() - t0;
	return err;
}

int main(int argc, char **argv)
{
	struct pktgen_opts o;
	struct pktgen *skel = NULL;
	uint8_t frame[BENCH_FRAME_MAX];
	uint64_t sent = 0;
	double secs = 0;
	unsigned int ifindex;
	size_t len;
	int err;

	log_init("pktgen", false, 0);
	libbpf_set_print(log_libbpf);
	err = parse_opts(argc, argv, &o);
	if (err)
		return 2;
	ifindex = if_nametoindex(o.ifname);
	if (!ifindex) {
		log_warn("%s (run pktgen inside the generator's namespace)", o.ifname);
		return 1;
	}
	err = bench_if_mac(o.ifname, o.wire.src_mac);
	if (err) {
		log_warnx("%s: MAC: %s", o.ifname, strerror(-err));
		return 1;
	}
	if (o.cpu >= 0 && pin_cpu(o.cpu))
		return 1;

	len = flow_frame(&o, 0, frame);
	skel = pktgen__open();
	if (!skel) {
		log_warn("cannot open the generator's BPF object");
		return 1;
	}
	skel->rodata->cfg_ifindex = ifindex;
	skel->rodata->cfg_nflows = o.flows;
	memcpy((void *)skel->rodata->cfg_tmpl, frame, PKTGEN_HDR);
	err = bpf_map__set_max_entries(skel->maps.pktgen_flows, o.flows);
	if (!err)
		err = pktgen__load(skel);
	if (err) {
		log_warnx("cannot load the generator: %s (-v for libbpf's log)", strerror(-err));
		goto out;
	}
	err = fill_flows(skel, &o);
	if (err)
		goto out;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	err = send_loop(bpf_program__fd(skel->progs.pktgen_xmit), frame, len, &o, &sent, &secs);
	printf("pktgen: kind=%s len=%zu clients=%u flows=%u sent=%llu secs=%.3f pps=%.0f\n",
	       bench_kind_name(o.kind), len, o.clients, o.flows, (unsigned long long)sent, secs,
	       secs > 0 ? (double)sent / secs : 0.0);
out:
	pktgen__destroy(skel);
	return err ? 1 : 0;
}
