/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * CPU lists as the kernel writes them (/sys/devices/system/cpu/online,
 * taskset -c): "0-3,8,10-11". Used by rsipd --spi-steer and bench/xdp_gw.
 */
#ifndef RSIP_CPULIST_H
#define RSIP_CPULIST_H

#include <stddef.h>
#include <stdint.h>

#define CPULIST_MAX_CPU 4095 /* the highest CPU number accepted */

/* Parses s into cpus[] (ascending, each once), *n of them, at most cap.
 * 0, or -EINVAL (bad syntax, a CPU twice, above CPULIST_MAX_CPU, more than
 * cap CPUs, empty) leaving the outputs untouched. */
int cpulist_parse(const char *s, uint16_t *cpus, size_t cap, size_t *n);

/* Writes the list back in the same syntax ("" for none); snprintf's return. */
int cpulist_format(char *buf, size_t len, const uint16_t *cpus, size_t n);

#endif
