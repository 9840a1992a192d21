/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IPv4 fragmentation in user space (RFC 791 3.2), for packets the slow path
 * sends through a header-including raw socket: the kernel never fragments
 * those (it answers EMSGSIZE), so rsipd splits a packet without DF itself.
 */
#ifndef RSIPD_SLOW_FRAG_H
#define RSIPD_SLOW_FRAG_H

#include <stddef.h>
#include <stdint.h>

typedef int (*slow_frag_emit)(void *arg, const uint8_t *frag, size_t len);

/*
 * Emit pkt as fragments of at most mtu bytes each (the first keeps every IP
 * option, later ones only the options with the copied flag). A packet that
 * already fits is emitted as it is. A fragment is fragmented further with the
 * right offsets and MF. Returns the number of fragments emitted, -EMSGSIZE
 * when DF is set and the packet does not fit, -EINVAL on a malformed packet
 * or an mtu too small (< 68), or the first negative value emit returned.
 */
int slow_fragment(const uint8_t *pkt, size_t len, size_t mtu, slow_frag_emit emit, void *arg);

#endif
