/* SPDX-License-Identifier: BSD-2-Clause */
/* Huge pages for the heap during a restore (heap_thp.h). */
#include "heap_thp.h"

#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE_MASK_4K	      ((uintptr_t)4095)
#define GLIBC_TOP_PAD_DEFAULT (128u << 10) /* M_TOP_PAD's documented default */

static uintptr_t marked; /* the heap's end when it was last marked */

static uintptr_t heap_end(void)
{
	/* sbrk(0) returns glibc's cached break: no system call. */
	return (uintptr_t)sbrk(0);
}

void heap_thp_begin(void)
{
	/* One large growth instead of many 132 KB ones: each growth is marked
	 * after its first block is handed out, so only the start of a step
	 * may get small pages. Without glibc's malloc (a sanitizer's) this
	 * does nothing and the heap does not move. */
	mallopt(M_TOP_PAD, (int)HEAP_THP_STEP);
	marked = (heap_end() + PAGE_MASK_4K) & ~PAGE_MASK_4K;
}

void heap_thp_follow(void)
{
	uintptr_t end = heap_end();

	if (end <= marked) {
		/* Not grown, or trimmed: what grows back from there is new. */
		marked = (end + PAGE_MASK_4K) & ~PAGE_MASK_4K;
		return;
	}
	/* Advice only: with THP "never" or an old kernel it fails, and the
	 * heap keeps 4 KB pages, as without this. */
	(void)madvise((void *)marked, (end - marked + PAGE_MASK_4K) & ~PAGE_MASK_4K, MADV_HUGEPAGE);
	marked = (end + PAGE_MASK_4K) & ~PAGE_MASK_4K;
}

void heap_thp_end(void)
{
	heap_thp_follow();
	mallopt(M_TOP_PAD, (int)GLIBC_TOP_PAD_DEFAULT);
}
