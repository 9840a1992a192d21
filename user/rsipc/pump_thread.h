/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A thread that calls fn(arg) each time fd is readable, until stopped: the
 * pump's outbound half (TUN -> gateway) runs on it, the inbound half stays in
 * rsipc's poll loop. A bulk flow drives both halves at once (data one way,
 * its ACKs the other), and the kernel's work for each packet (the host's
 * TCP, the LAN device, on a veth the receiving side too) runs in the context
 * of the thread that hands it over: one thread did both in turn (issue 9,
 * docs/performance.md "Host side").
 */
#ifndef RSIPC_PUMP_THREAD_H
#define RSIPC_PUMP_THREAD_H

#include <pthread.h>
#include <stdbool.h>

struct pump_thread {
	pthread_t tid;
	int stop_fd; /* eventfd: written by pump_thread_stop */
	int fd;
	void (*fn)(void *arg);
	void *arg;
	bool running;
};

/* Start the thread (signals stay blocked as in the caller). 0 or -errno. */
int pump_thread_start(struct pump_thread *p, int fd, void (*fn)(void *arg), void *arg);
/* Stop and join it; safe when it never started or has stopped already. */
void pump_thread_stop(struct pump_thread *p);

#endif
