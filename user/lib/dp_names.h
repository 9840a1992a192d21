/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Names of the data plane's counters (enum rsip_counter in
 * include/rsip/dp_abi.h) and slow-path reasons, for rsipctl, logs and JSON.
 */
#ifndef RSIP_DP_NAMES_H
#define RSIP_DP_NAMES_H

#include <stdbool.h>

#include "rsip/dp_abi.h"

/* "wan_tx_esp", ... Never NULL: out of range gives "unknown". */
const char *dp_counter_name(unsigned int counter);
/* One line on what it counts (docs/dataplane.md "Counters" has the same
 * text). Never NULL: out of range gives "". */
const char *dp_counter_help(unsigned int counter);
/* true for counters that count a packet's exit (pass, tx, drop, slow path);
 * false for events (learning, violation records, truncation): every packet
 * the programs see increments exactly one exit counter. */
bool dp_counter_is_exit(unsigned int counter);
/* "fragment", "oversize", ... for enum rsip_slow_reason. */
const char *dp_slow_reason_name(unsigned int reason);

#endif
