// SPDX-License-Identifier: BSD-2-Clause
/* Huge pages for the heap during a restore (user/lib/heap_thp.c): what the
 * heap grows by between begin and end is marked MADV_HUGEPAGE ("hg" in the
 * VMA's VmFlags) and faulted in by a second thread (mincore), what it held
 * before is not touched. The heap is grown here with sbrk() itself, as
 * glibc's malloc grows it (under ASan malloc does not use the heap, so the
 * test moves the break on its own). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "heap_thp.h"

#define GROW (8u << 20)
#define PAGE 4096u

/* pthread_create, failing while fail_thread is set: the executable's
 * definition comes before libc's (and the sanitizer's), so heap_thp.c
 * calls this one. */
static bool fail_thread;
typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	create_fn real;

	if (fail_thread)
		return EAGAIN;
	*(void **)&real = dlsym(RTLD_NEXT, "pthread_create");
	return real ? real(t, attr, fn, arg) : ENOSYS;
}

/* Pages of [from, to) (page-aligned) that are in memory. */
static size_t resident(uintptr_t from, uintptr_t to)
{
	static unsigned char vec[GROW / PAGE];
	size_t n = (to - from) / PAGE, in = 0;

	assert_true(n <= sizeof(vec));
	assert_int_equal(mincore((void *)from, to - from, vec), 0);
	for (size_t i = 0; i < n; i++)
		in += vec[i] & 1;
	return in;
}

static uintptr_t page_up(const void *p)
{
	return ((uintptr_t)p + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
}

/* 1: the VMA holding addr has MADV_HUGEPAGE; 0: it has not; -1: no VMA. */
static int advised_huge(const void *addr)
{
	uintptr_t a = (uintptr_t)addr, lo = 0, hi = 0;
	bool in = false;
	int found = -1;
	char line[512];
	FILE *f = fopen("/proc/self/smaps", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			lo = s;
			hi = e;
			in = a >= lo && a < hi;
			continue;
		}
		if (in && strncmp(line, "VmFlags:", 8) == 0) {
			found = strstr(line, " hg") != NULL;
			break;
		}
	}
	fclose(f);
	return found;
}

static int setup(void **state)
{
	if (access("/sys/kernel/mm/transparent_hugepage/enabled", R_OK) != 0) {
		print_message("heap_thp: this kernel has no transparent huge pages\n");
		skip();
	}
	return 0;
}

static void test_growth_marked(void **state)
{
	char *start, *p;

	heap_thp_begin();
	start = sbrk(0);
	p = sbrk(GROW);
	assert_ptr_not_equal(p, (void *)-1);
	p[0] = 1; /* a block handed out before the growth is marked */
	assert_int_equal(advised_huge(start + GROW / 2), 0);
	heap_thp_follow();
	assert_int_equal(advised_huge(start + GROW / 2), 1);
	assert_int_equal(advised_huge(start + GROW - 1), 1);
	/* Not grown: nothing changes. */
	heap_thp_follow();
	assert_int_equal(advised_huge(start + GROW / 2), 1);

	/* Trimmed, then grown again past the old end: the new part is
	 * marked too, up to the new end. */
	assert_ptr_not_equal(sbrk(-(intptr_t)GROW), (void *)-1);
	heap_thp_follow();
	assert_int_equal(advised_huge(start + GROW / 2), -1);
	p = sbrk(2 * GROW);
	assert_ptr_equal(p, start);
	heap_thp_end();
	assert_int_equal(advised_huge(start + GROW / 2), 1);
	assert_int_equal(advised_huge(start + 2 * GROW - 1), 1);
	assert_ptr_not_equal(sbrk(-2 * (intptr_t)GROW), (void *)-1);
}

static void test_before_begin_untouched(void **state)
{
	char *start = sbrk(0), *p = sbrk(GROW);

	assert_ptr_not_equal(p, (void *)-1);
	heap_thp_begin(); /* the heap already held [start, start + GROW) */
	heap_thp_follow();
	heap_thp_end();
	assert_int_equal(advised_huge(start + GROW / 2), 0);
	assert_ptr_not_equal(sbrk(-(intptr_t)GROW), (void *)-1);
}

/* The thread faults a new step in without anyone touching it (waited for:
 * it runs beside this thread; 10 s is far more than 8 MB takes). */
static void test_growth_populated(void **state)
{
	char *start, *p;
	uintptr_t from, to;
	size_t in = 0;

	heap_thp_begin();
	start = sbrk(0);
	p = sbrk(GROW);
	assert_ptr_not_equal(p, (void *)-1);
	from = page_up(start);
	to = (uintptr_t)start + GROW;
	to &= ~(uintptr_t)(PAGE - 1);
	assert_int_equal(resident(from, to), 0);
	heap_thp_follow();
	for (int i = 0; i < 1000 && (in = resident(from, to)) < (to - from) / PAGE; i++)
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
	assert_int_equal(in, (to - from) / PAGE);
	heap_thp_end();
	assert_int_equal(advised_huge(start + GROW / 2), 1);
	assert_ptr_not_equal(sbrk(-(intptr_t)GROW), (void *)-1);
}

/* No thread (pthread_create fails): the steps are still marked, nothing is
 * faulted in behind the caller's back, and end does not wait for a thread
 * that never started. */
static void test_no_thread(void **state)
{
	char *start, *p;

	fail_thread = true;
	heap_thp_begin();
	start = sbrk(0);
	p = sbrk(GROW);
	assert_ptr_not_equal(p, (void *)-1);
	heap_thp_follow();
	assert_int_equal(advised_huge(start + GROW / 2), 1);
	heap_thp_end();
	fail_thread = false;
	assert_int_equal(
	    resident(page_up(start), ((uintptr_t)start + GROW) & ~(uintptr_t)(PAGE - 1)), 0);
	assert_ptr_not_equal(sbrk(-(intptr_t)GROW), (void *)-1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_growth_marked, setup),
	    cmocka_unit_test_setup(test_before_begin_untouched, setup),
	    cmocka_unit_test_setup(test_growth_populated, setup),
	    cmocka_unit_test_setup(test_no_thread, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
