// SPDX-License-Identifier: BSD-2-Clause
/* Huge pages for the heap during a restore (user/lib/heap_thp.c): what the
 * heap grows by between begin and end is marked MADV_HUGEPAGE ("hg" in the
 * VMA's VmFlags), what it held before is not touched. The heap is grown
 * here with sbrk() itself, as glibc's malloc grows it (under ASan malloc
 * does not use the heap, so the test moves the break on its own). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "heap_thp.h"

#define GROW (8u << 20)

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_growth_marked, setup),
	    cmocka_unit_test_setup(test_before_begin_untouched, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
