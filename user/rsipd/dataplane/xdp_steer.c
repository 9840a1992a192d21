// SPDX-License-Identifier: BSD-2-Clause
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>

#include "cpulist.h"
#include "log.h"
#include "rsip/steer_abi.h"
#include "rsip_xdp.skel.h"
#include "xdp_steer.h"

int xdp_steer_slots(int steer_fd, const uint16_t *cpus, size_t n)
{
	uint32_t slot, cpu;

	if (n == 0)
		return -EINVAL;
	for (slot = 0; slot < RSIP_STEER_SLOTS; slot++) {
		cpu = cpus[slot % n];
		if (bpf_map_update_elem(steer_fd, &slot, &cpu, BPF_ANY) < 0)
			return -errno;
	}
	return 0;
}

int xdp_steer_fill(struct rsip_xdp *skel, int cpu_prog_fd, const uint16_t *cpus, size_t n)
{
	int cpumap = bpf_map__fd(skel->maps.rsip_cpumap);
	int steer = bpf_map__fd(skel->maps.rsip_steer);
	struct bpf_cpumap_val val = {.qsize = RSIP_STEER_QSIZE};
	uint32_t max = bpf_map__max_entries(skel->maps.rsip_cpumap), cpu;
	char list[128];
	size_t i;

	if (n == 0 || n > RSIP_STEER_SLOTS)
		return -EINVAL;
	cpulist_format(list, sizeof(list), cpus, n);
	val.bpf_prog.fd = cpu_prog_fd;
	for (i = 0; i < n; i++) {
		cpu = cpus[i];
		if (cpu >= max) {
			log_warnx("--spi-steer %s: CPU %u does not exist here (CPUs 0-%u)", list,
				  cpu, max - 1);
			return -ENODEV;
		}
		/* The kernel starts the entry's kthread, bound to the CPU. */
		if (bpf_map_update_elem(cpumap, &cpu, &val, BPF_ANY) < 0) {
			int err = -errno;

			log_warnx("--spi-steer %s: cannot give CPU %u its cpumap entry: %s%s", list,
				  cpu, strerror(-err),
				  err == -ENODEV || err == -EINVAL ? " (is it online?)" : "");
			return err;
		}
	}
	if (xdp_steer_slots(steer, cpus, n) < 0) {
		log_warnx("cannot fill rsip_steer: %s", strerror(errno));
		return -errno;
	}
	/* No slot leads to them any more: their kthreads go. */
	for (cpu = 0; cpu < max; cpu++) {
		for (i = 0; i < n && cpus[i] != cpu; i++)
			;
		if (i == n && bpf_map_delete_elem(cpumap, &cpu) < 0 && errno != ENOENT)
			log_debug("rsip_cpumap: cannot remove CPU %u: %s", cpu, strerror(errno));
	}
	log_info("SPI steering: ESP/AH/UDP-ESP spread over CPUs %s by SPI", list);
	return 0;
}
