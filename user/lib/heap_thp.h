/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Transparent huge pages for the heap while a restart restores its hosts.
 * A 100,000-host restore touches about 170 MB of new heap in small blocks
 * (a client, a binding, the map layer's copies, the allocator's owners):
 * about 44,000 page faults of 4 KB. On this project's VM a fault costs
 * 10-20 us and that cost varies from one start to the next, which made the
 * lease read take 1.1 s or 1.6 s with the same rows (docs/performance.md).
 * With THP set to "madvise" (the usual default) the heap gets 4 KB pages
 * unless asked; glibc asks only under GLIBC_TUNABLES=glibc.malloc.hugetlb=1,
 * read at exec. So, between begin and end, the heap grows in large steps
 * and every new part of it is marked MADV_HUGEPAGE: a fault then maps 2 MB.
 * Only the main heap (brk) is concerned: blocks glibc mmaps on their own
 * (large arrays) and other threads' arenas are not.
 * A second thread, from begin to end, faults each new step in
 * (MADV_POPULATE_WRITE, 4 MB a call) while the caller goes on: on a first
 * start the host had often taken the guest's free memory back, and each
 * 2 MB fault then cost the restoring thread about 3 ms (clearing the page);
 * the other CPU is idle then (docs/performance.md). Its price: the part of
 * the last step no row used is resident too (up to HEAP_THP_STEP). Without
 * the thread (it could not be created) the faults stay with the caller.
 */
#ifndef RSIP_HEAP_THP_H
#define RSIP_HEAP_THP_H

/* From here the heap grows in HEAP_THP_STEP steps. */
void heap_thp_begin(void);
/* Mark what the heap grew by since the last call (cheap when it did not
 * grow: no system call); call it often, e.g. once per restored row, so
 * little of a new step is touched before it is marked. */
void heap_thp_follow(void);
/* Marks the last growth, stops the thread (waiting for one chunk at most)
 * and puts the growth step back to glibc's default. */
void heap_thp_end(void);

#define HEAP_THP_STEP (64u << 20)

#endif
