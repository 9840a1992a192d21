/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The "describe the problem in err" half of functions that return 0 or
 * -errno and fill a caller's buffer with the reason.
 */
#ifndef RSIP_ERRBUF_H
#define RSIP_ERRBUF_H

#include <stddef.h>

/* Write the message to err, then ": strerror(-rc)" when rc < 0; returns rc,
 * so that a caller can `return errbuf_set(err, errlen, rc, "...")`. */
int errbuf_set(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
