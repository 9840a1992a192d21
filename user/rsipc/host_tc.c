// SPDX-License-Identifier: BSD-2-Clause
/* rsipc's TC-BPF tunnel: load, attach, ports, counters, detach (host_tc.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "host_tc.h"
#include "errbuf.h"
#include "log.h"
#include "rsipc_tc.skel.h"

static const char *const counter_names[RSIPC_TC_N_COUNTERS] = {
    [RSIPC_TC_ENCAP] = "encap",
    [RSIPC_TC_ENCAP_BYTES] = "encap_bytes",
    [RSIPC_TC_ENCAP_GSO] = "encap_gso",
    [RSIPC_TC_ENCAP_FAIL] = "encap_fail",
    [RSIPC_TC_DECAP] = "decap",
    [RSIPC_TC_DECAP_BYTES] = "decap_bytes",
    [RSIPC_TC_DECAP_GSO] = "decap_gso",
    [RSIPC_TC_DECAP_FAIL] = "decap_fail",
    [RSIPC_TC_PASS_WRONG_SOURCE] = "pass_wrong_source",
    [RSIPC_TC_PASS_MALFORMED] = "pass_malformed",
    [RSIPC_TC_PASS_FRAGMENT] = "pass_fragment",
    [RSIPC_TC_PASS_NOT_OURS] = "pass_not_ours",
    [RSIPC_TC_PASS_UNLEASED] = "pass_unleased",
};

const char *host_tc_counter_name(unsigned int c)
{
	return c < RSIPC_TC_N_COUNTERS ? counter_names[c] : "unknown";
}

static struct bpf_tc_hook hook_of(int ifindex, enum bpf_tc_attach_point where)
{
	return (struct bpf_tc_hook){
	    .sz = sizeof(struct bpf_tc_hook), .ifindex = ifindex, .attach_point = where};
}

int host_tc_add_port(struct host_tc *h, uint16_t port)
{
	uint16_t key = htons(port);
	uint8_t one = 1;

	if (!h->skel)
		return -ENOENT;
	if (bpf_map__update_elem(h->skel->maps.rsipc_ports, &key, sizeof(key), &one, sizeof(one),
				 BPF_ANY))
		return -errno;
	return 0;
}

static int attach_one(struct host_tc *h, enum bpf_tc_attach_point where, int prog_fd)
{
	struct bpf_tc_hook hook = hook_of(h->ifindex, where);
	struct bpf_tc_opts opts = {.sz = sizeof(opts),
				   .handle = h->handle,
				   .priority = HOST_TC_PRIO,
				   .prog_fd = prog_fd,
				   .flags = BPF_TC_F_REPLACE};

	return bpf_tc_attach(&hook, &opts);
}

int host_tc_attach(struct host_tc *h, const struct host_tc_cfg *c, char *err, size_t errlen)
{
	struct bpf_tc_hook hook = hook_of(c->ifindex, BPF_TC_INGRESS | BPF_TC_EGRESS);
	int rc;

	memset(h, 0, sizeof(*h));
	h->ifindex = c->ifindex;
	h->handle = c->handle;
	libbpf_set_print(log_libbpf);
	h->skel = rsipc_tc__open();
	if (!h->skel)
		return errbuf_set(err, errlen, -errno, "opening the TC object");
	h->skel->rodata->cfg = c->lease;
	rc = rsipc_tc__load(h->skel);
	if (rc) {
		errbuf_set(err, errlen, rc, "loading the TC programs");
		goto out;
	}
	for (unsigned int i = 0; i < c->n_ports; i++) {
		rc = host_tc_add_port(h, c->ports[i]);
		if (rc) {
			errbuf_set(err, errlen, rc, "leased port %u into the map", c->ports[i]);
			goto out;
		}
	}
	/* clsact may be there already (ours from a killed rsipc, or someone
	 * else's filters): share it. */
	rc = bpf_tc_hook_create(&hook);
	if (rc && rc != -EEXIST) {
		errbuf_set(err, errlen, rc, "clsact qdisc on ifindex %d", c->ifindex);
		goto out;
	}
	/* Ingress first: once egress encapsulates, answers must come in. */
	rc = attach_one(h, BPF_TC_INGRESS, bpf_program__fd(h->skel->progs.rsipc_ingress));
	if (rc) {
		errbuf_set(err, errlen, rc, "attaching to ingress of ifindex %d", c->ifindex);
		goto out;
	}
	h->ingress = true;
	rc = attach_one(h, BPF_TC_EGRESS, bpf_program__fd(h->skel->progs.rsipc_egress));
	if (rc) {
		errbuf_set(err, errlen, rc, "attaching to egress of ifindex %d", c->ifindex);
		goto out;
	}
	h->egress = true;
	return 0;
out:
	host_tc_detach(h);
	return rc;
}

void host_tc_counters(const struct host_tc *h, uint64_t out[RSIPC_TC_N_COUNTERS])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v;

	memset(out, 0, sizeof(uint64_t) * RSIPC_TC_N_COUNTERS);
	if (!h->skel || ncpu <= 0)
		return;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return;
	for (uint32_t k = 0; k < RSIPC_TC_N_COUNTERS; k++) {
		if (bpf_map__lookup_elem(h->skel->maps.rsipc_stats, &k, sizeof(k), v,
					 sizeof(*v) * (size_t)ncpu, 0))
			continue;
		for (int i = 0; i < ncpu; i++)
			out[k] += v[i];
	}
	free(v);
}

static int detach_one(int ifindex, uint32_t handle, enum bpf_tc_attach_point where)
{
	struct bpf_tc_hook hook = hook_of(ifindex, where);
	struct bpf_tc_opts opts = {.sz = sizeof(opts), .handle = handle, .priority = HOST_TC_PRIO};

	return bpf_tc_detach(&hook, &opts);
}

void host_tc_detach(struct host_tc *h)
{
	int rc;

	/* Egress first: stop sending into the tunnel before answers stop. */
	if (h->egress) {
		rc = detach_one(h->ifindex, h->handle, BPF_TC_EGRESS);
		if (rc)
			log_warnx("detaching the TC egress program: %s", strerror(-rc));
	}
	if (h->ingress) {
		rc = detach_one(h->ifindex, h->handle, BPF_TC_INGRESS);
		if (rc)
			log_warnx("detaching the TC ingress program: %s", strerror(-rc));
	}
	h->egress = h->ingress = false;
	rsipc_tc__destroy(h->skel);
	h->skel = NULL;
}

int host_tc_remove(int ifindex, uint32_t handle)
{
	int n = 0;

	libbpf_set_print(log_libbpf);
	if (!detach_one(ifindex, handle, BPF_TC_EGRESS))
		n++;
	if (!detach_one(ifindex, handle, BPF_TC_INGRESS))
		n++;
	return n;
}
