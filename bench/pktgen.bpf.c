// SPDX-License-Identifier: GPL-2.0
/*
 * The rate benchmark's traffic generator, run by pktgen.c with
 * BPF_PROG_TEST_RUN and BPF_F_TEST_XDP_LIVE_FRAMES (xdp-trafficgen's
 * mechanism): every repetition hands this program a frame from the test
 * run's page pool, and it sends the frame out of the generator's veth.
 *
 * Live frames are initialised from the template only when a page is first
 * allocated, not when it comes back to the pool, and the gateway writes into
 * them (MACs, the pushed outer header): without the rewrite below those
 * bytes would leak into later packets. So the header is rewritten from the
 * template on every packet, then the next flow's bytes go on top
 * (pktgen.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "pktgen.h"

const volatile __u32 cfg_ifindex = 0;
const volatile __u32 cfg_nflows = 1;
const volatile __u64 cfg_tmpl[PKTGEN_HDR / 8] = {};

/* cfg_nflows entries (pktgen.c sizes the map before load). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pktgen_flow);
} pktgen_flows SEC(".maps");

/* One test run at a time uses an object (one thread), so no atomics. */
__u32 next_flow = 0;

SEC("xdp")
int pktgen_xmit(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u64 *w = data;
	struct pktgen_flow *f;
	__u32 i;

	if (data + PKTGEN_HDR > data_end)
		return XDP_ABORTED;
#pragma unroll
	for (i = 0; i < PKTGEN_HDR / 8; i++)
		w[i] = cfg_tmpl[i];
	if (cfg_nflows > 1) {
		__u32 idx = next_flow;

		next_flow = idx + 1 >= cfg_nflows ? 0 : idx + 1;
		f = bpf_map_lookup_elem(&pktgen_flows, &idx);
		if (!f)
			return XDP_ABORTED;
#pragma unroll
		for (i = 0; i < PKTGEN_FLOW_LEN / 8; i++)
			w[PKTGEN_FLOW_OFF / 8 + i] = f->w[i];
	}
	return bpf_redirect(cfg_ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
