/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Field-wise comparison of two decoded RSIP messages: what the unit tests and
 * the fuzzer use to check a round trip, and what a client could use to tell
 * two answers apart. Only meaningful fields count (a RANGE compares its first
 * value, a LIST its values wherever they are held, an "any" address no bytes,
 * vendor data by content, not by pointer).
 */
#ifndef RSIP_MSG_COMPARE_H
#define RSIP_MSG_COMPARE_H

#include "rsip/msg.h"

/* NULL when a and b carry the same message, else the static name of the
 * first field that differs ("local_addr", "vendor[2]", ...). */
const char *rsip_msg_diff(const struct rsip_msg *a, const struct rsip_msg *b);

#endif
