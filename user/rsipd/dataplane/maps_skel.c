// SPDX-License-Identifier: BSD-2-Clause
/* dpx: the map-fd table of a loaded rsip_xdp skeleton, for rsipd, the tests
 * and the benchmarks alike. */
#include <bpf/libbpf.h>

#include "maps.h"
#include "rsip_xdp.skel.h"

struct dpx_maps dpx_maps_of(const struct rsip_xdp *skel)
{
	return (struct dpx_maps){
	    .clients = bpf_map__fd(skel->maps.rsip_clients),
	    .nb = bpf_map__fd(skel->maps.rsip_nb),
	    .ports = bpf_map__fd(skel->maps.rsip_ports),
	    .ike = bpf_map__fd(skel->maps.rsip_ike),
	    .spi = bpf_map__fd(skel->maps.rsip_spi),
	    .spi_blk = bpf_map__fd(skel->maps.rsip_spi_blk),
	    .spi_dir = bpf_map__fd(skel->maps.rsip_spi_dir),
	    .port_dir = bpf_map__fd(skel->maps.rsip_port_dir),
	    .nb_dir = bpf_map__fd(skel->maps.rsip_nb_dir),
	    .icmp_id = bpf_map__fd(skel->maps.rsip_icmp_id),
	    .out_spi = bpf_map__fd(skel->maps.rsip_out_spi),
	    .stats = bpf_map__fd(skel->maps.rsip_stats),
	    .nb_filter = bpf_map__fd(skel->maps.rsip_nb_filter),
	    .learned = bpf_program__fd(skel->progs.rsip_learned),
	    .bind_stats = bpf_map__fd(skel->maps.rsip_bind_stats),
	    .bind_slots = bpf_map__max_entries(skel->maps.rsip_bind_stats),
	};
}

struct dpx_maps dpx_maps_later(uint32_t bind_slots)
{
	return (struct dpx_maps){
	    .clients = -1,
	    .nb = -1,
	    .ports = -1,
	    .ike = -1,
	    .spi = -1,
	    .spi_blk = -1,
	    .spi_dir = -1,
	    .port_dir = -1,
	    .nb_dir = -1,
	    .icmp_id = -1,
	    .out_spi = -1,
	    .stats = -1,
	    .nb_filter = -1,
	    .learned = -1,
	    .bind_stats = -1,
	    .bind_slots = bind_slots,
	};
}
