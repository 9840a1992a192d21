/* SPDX-License-Identifier: BSD-2-Clause */
/* Huge pages for the heap during a restore (heap_thp.h). */
#include "heap_thp.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE_MASK_4K	      ((uintptr_t)4095)
#define GLIBC_TOP_PAD_DEFAULT (128u << 10) /* M_TOP_PAD's documented default */
/* What the populating thread faults in per system call: it looks at the
 * stop flag in between, so heap_thp_end waits for one chunk at most. */
#define POPULATE_CHUNK (4u << 20)

static uintptr_t marked; /* the heap's end when it was last marked */

/* The populating thread and what it has still to fault in, [lo, hi). */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t tid;
	bool running, stop;
	uintptr_t lo, hi;
} pop = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static uintptr_t heap_end(void)
{
	/* sbrk(0) returns glibc's cached break: no system call. */
	return (uintptr_t)sbrk(0);
}

static void *populate_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pop.mu);
	for (;;) {
		uintptr_t lo, n;

		while (!pop.stop && pop.lo >= pop.hi)
			pthread_cond_wait(&pop.cv, &pop.mu);
		if (pop.stop)
			break;
		lo = pop.lo;
		n = pop.hi - lo < POPULATE_CHUNK ? pop.hi - lo : POPULATE_CHUNK;
		pop.lo += n;
		pthread_mutex_unlock(&pop.mu);
		/* Faults the pages in as a write would, without changing a byte:
		 * rsipd's thread may be writing to them meanwhile. A range the
		 * heap gave back meanwhile fails (ENOMEM) and is skipped. */
		if (madvise((void *)lo, n, MADV_POPULATE_WRITE) < 0 && errno == EINVAL) {
			pthread_mutex_lock(&pop.mu);
			pop.stop = true; /* before Linux 5.14: rsipd's thread faults them */
			break;
		}
		pthread_mutex_lock(&pop.mu);
	}
	pthread_mutex_unlock(&pop.mu);
	return NULL;
}

void heap_thp_begin(void)
{
	/* One large growth instead of many 132 KB ones: each growth is marked
	 * after its first block is handed out, so only the start of a step
	 * may get small pages. Without glibc's malloc (a sanitizer's) this
	 * does nothing and the heap does not move. */
	mallopt(M_TOP_PAD, (int)HEAP_THP_STEP);
	marked = (heap_end() + PAGE_MASK_4K) & ~PAGE_MASK_4K;
	pop.stop = false;
	pop.lo = pop.hi = 0;
	/* Without the thread (no memory for one) the restore is the same, its
	 * page faults on rsipd's thread as before. */
	pop.running = pthread_create(&pop.tid, NULL, populate_thread, NULL) == 0;
}

void heap_thp_follow(void)
{
	uintptr_t end = heap_end(), from = marked;

	if (end <= marked) {
		bool trimmed = end < marked;

		/* Not grown, or trimmed: what grows back from there is new. */
		marked = (end + PAGE_MASK_4K) & ~PAGE_MASK_4K;
		if (trimmed && pop.running) {
			pthread_mutex_lock(&pop.mu);
			if (pop.hi > marked)
				pop.hi = marked; /* given back: nothing to fault in there */
			pthread_mutex_unlock(&pop.mu);
		}
		return;
	}
	/* Advice only: with THP "never" or an old kernel it fails, and the
	 * heap keeps 4 KB pages, as without this. */
	(void)madvise((void *)marked, (end - marked + PAGE_MASK_4K) & ~PAGE_MASK_4K, MADV_HUGEPAGE);
	marked = (end + PAGE_MASK_4K) & ~PAGE_MASK_4K;
	if (!pop.running)
		return;
	/* The new step to the thread: a fault of a fresh 2 MB page cost
	 * rsipd's thread about 3 ms on this project's VM when the host had to
	 * back the page first (a first start; docs/performance.md); the thread
	 * takes those faults on the other CPU, ahead of the rows that use them. */
	pthread_mutex_lock(&pop.mu);
	if (pop.lo >= pop.hi || pop.hi != from)
		pop.lo = from;
	pop.hi = marked;
	pthread_cond_signal(&pop.cv);
	pthread_mutex_unlock(&pop.mu);
}

void heap_thp_end(void)
{
	heap_thp_follow();
	if (pop.running) {
		pthread_mutex_lock(&pop.mu);
		pop.stop = true;
		pthread_cond_signal(&pop.cv);
		pthread_mutex_unlock(&pop.mu);
		pthread_join(pop.tid, NULL);
		pop.running = false;
	}
	mallopt(M_TOP_PAD, (int)GLIBC_TOP_PAD_DEFAULT);
}
