/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pump's way of handing the kernel a batch of packets: one sendmmsg per
 * run of messages the kernel takes, and what to do when it takes none.
 *
 * The packet socket bypasses the qdisc (pkt_tx.h), which would have held a
 * packet while the device's queue was full (a NIC's TX ring, a veth's ring
 * whose reader is behind): the kernel then answers EAGAIN (the socket's send
 * buffer is full of packets the device has not let go of) or ENOBUFS (the
 * device refused it) and keeps nothing. Dropping the packet would cost the host's TCP a
 * retransmission, so with wait_full the sender keeps it and tries again,
 * yielding the CPU (to whatever drains the queue: on a small machine, a
 * softirq or NAPI thread on the same CPU) for up to wait_us with no progress.
 * Then the device is taken as stuck: that packet and the rest of the batch
 * are given up at once, so a dead device stalls the pump for wait_us per
 * batch, not per packet. Any other error gives up only the packet it names.
 */
#ifndef RSIPC_BATCH_SEND_H
#define RSIPC_BATCH_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* How long the pump waits for a full device queue to take one packet. A
 * veth's ring (and a host's virtual NIC) is drained by a softirq or a NAPI
 * thread, which the scheduler can keep waiting for some milliseconds on a
 * busy CPU: 2 ms gave up packets in about 1 lab run in 20 with the draining
 * thread starved (tests/netns/test_rsipc_bulk.sh). */
#define BATCH_SEND_WAIT_US 10000

struct batch_tally {
	unsigned int sent;     /* messages the kernel took */
	uint64_t sent_bytes;   /* their lens[] */
	unsigned int failed;   /* given up: an error, or the queue stayed full */
	unsigned int refusals; /* full-queue refusals waited out or given up on */
	int last_error;	       /* errno of the last packet given up, or 0 */
};

/* Send mm[0..n) on fd (MSG_DONTWAIT); lens[i] is what message i counts as in
 * sent_bytes. wait_full: wait out EAGAIN and ENOBUFS (a full device queue,
 * above) for up to wait_us without progress. Adds to *t. */
void batch_send(int fd, struct mmsghdr *mm, const size_t *lens, unsigned int n, bool wait_full,
		long wait_us, struct batch_tally *t);

#endif
