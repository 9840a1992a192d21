/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Which inner packets the raw-socket receiver may hand to the host: the same
 * rule the TC ingress program runs (include/rsip/rules/host.h), with the
 * leased and listened-for ports in a bitmap instead of a BPF map. Used on
 * whatever the raw socket receives: every tunnel packet (the pump) or the
 * ones the kernel reassembled from outer fragments (the bpf data path).
 */
#ifndef RSIPC_LEASED_H
#define RSIPC_LEASED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsip/host_tc.h"

struct leased {
	struct rsipc_tc_cfg cfg;    /* the TC programs' lease (flags, SPI block) */
	uint64_t ports[65536 / 64]; /* bit = port, host order */
};

void leased_init(struct leased *l, const struct rsipc_tc_cfg *cfg);
void leased_add_port(struct leased *l, uint16_t port); /* host order */
bool leased_has_port(const struct leased *l, uint16_t port);

/* pkt: an inner IPv4 packet of len bytes (its header checked by
 * encap_decap). Is it for our lease? */
bool leased_inner(const struct leased *l, const uint8_t *pkt, size_t len);

#endif
