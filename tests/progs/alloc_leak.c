// SPDX-License-Identifier: GPL-2.0
/*
 * alloc_leak.c - the same known leaks whichever allocator serves them:
 * built against glibc (alloc_leak), jemalloc (alloc_leak_je, which also
 * calls mallocx/rallocx/sdallocx/dallocx), tcmalloc (alloc_leak_tc: tc_*),
 * mimalloc (alloc_leak_mi: mi_*), static glibc (alloc_leak_static), static
 * musl (alloc_leak_musl), and run with LD_PRELOAD'ed allocators.
 *
 * Expected leaks (frame 0 function: blocks x size = bytes, alloc_fn);
 * each leaking call is on the line marked "L:NAME":
 *   leak_malloc          3 x 100  =  300  malloc
 *   leak_calloc          2 x 200  =  400  calloc  (calloc(10, 20))
 *   leak_realloc         1 x 1000 = 1000  realloc (malloc(10) -> realloc 100
 *                                          -> realloc 1000)
 *   leak_aligned         1 x 512  =  512  aligned_alloc (align 128)
 *   leak_strdup          1 x 10   =   10  strdup ("leakystr!")
 *   leak_direct          2 x 64   =  128  malloc (the allocator's own API:
 *                                          mallocx, tc_malloc, mi_malloc;
 *                                          plain malloc elsewhere)
 *   leak_posix_memalign  1 x 320  =  320  posix_memalign (align 64); not seen
 *                                          under jemalloc, whose
 *                                          posix_memalign calls no public
 *                                          function that gives the pointer
 * balanced_work() (BALANCED_ROUNDS = 10 times) leaks nothing.
 * No stdio: output is one write(2) of "done\n".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(ALLOC_JE)
void *mallocx(size_t size, int flags);
void *rallocx(void *ptr, size_t size, int flags);
void sdallocx(void *ptr, size_t size, int flags);
void dallocx(void *ptr, int flags);
#define DIRECT_MALLOC(n)	mallocx(n, 0)
#define DIRECT_FREE(p, n)	sdallocx(p, n, 0)
#elif defined(ALLOC_TC)
void *tc_malloc(size_t size);
void tc_free(void *ptr);
#define DIRECT_MALLOC(n)	tc_malloc(n)
#define DIRECT_FREE(p, n)	tc_free(p)
#elif defined(ALLOC_MI)
void *mi_malloc(size_t size);
void mi_free(void *ptr);
#define DIRECT_MALLOC(n)	mi_malloc(n)
#define DIRECT_FREE(p, n)	mi_free(p)
#else
#define DIRECT_MALLOC(n)	malloc(n)
#define DIRECT_FREE(p, n)	free(p)
#endif

static volatile uintptr_t sink;

/* Overwrite the only copy of the pointer: the block is definitely lost. */
static void drop(void *p)
{
	sink = (uintptr_t)p ^ 0x5a5a5a5a;
}

static void touch(void *p, size_t n)
{
	volatile char *c = p;

	if (c && n)
		c[n - 1] = 1;
}

void leak_malloc(void)
{
	for (int i = 0; i < 3; i++) {
		void *p = malloc(100); /* L:leak_malloc */
		touch(p, 100);
		drop(p);
	}
}

void leak_calloc(void)
{
	for (int i = 0; i < 2; i++) {
		void *p = calloc(10, 20); /* L:leak_calloc */
		touch(p, 200);
		drop(p);
	}
}

void leak_realloc(void)
{
	char *p = malloc(10);

	touch(p, 10);
	p = realloc(p, 100);
	touch(p, 100);
	p = realloc(p, 1000); /* L:leak_realloc */
	touch(p, 1000);
	drop(p);
}

void leak_aligned(void)
{
	void *p = aligned_alloc(128, 512); /* L:leak_aligned */

	touch(p, 512);
	drop(p);
}

void leak_strdup(void)
{
	char *p = strdup("leakystr!"); /* L:leak_strdup */

	touch(p, 10);
	drop(p);
}

void leak_posix_memalign(void)
{
	void *p = NULL;

	if (posix_memalign(&p, 64, 320) != 0) /* L:leak_posix_memalign */
		_exit(2);
	touch(p, 320);
	drop(p);
}

void leak_direct(void)
{
	for (int i = 0; i < 2; i++) {
		void *p = DIRECT_MALLOC(64); /* L:leak_direct */
		touch(p, 64);
		drop(p);
	}
}

#define BALANCED_ROUNDS 10

/* Every allocation here is freed again; none of it may be reported. */
void balanced_work(void)
{
	void *p;
	char *s;

	p = malloc(50);
	touch(p, 50);
	free(p);
	p = calloc(5, 10);
	touch(p, 50);
	free(p);
	p = malloc(16);
	p = realloc(p, 64);
	p = realloc(p, 4096);
	touch(p, 4096);
	free(p);
	p = aligned_alloc(64, 128);
	touch(p, 128);
	free(p);
	p = NULL;
	if (posix_memalign(&p, 32, 96) != 0)
		_exit(2);
	touch(p, 96);
	free(p);
	s = strdup("balanced");
	touch(s, 9);
	free(s);
	p = DIRECT_MALLOC(48);
	touch(p, 48);
	DIRECT_FREE(p, 48);
#if defined(ALLOC_JE)
	p = mallocx(32, 0);
	p = rallocx(p, 2048, 0);
	touch(p, 2048);
	dallocx(p, 0);
#endif
}

int main(void)
{
	for (int i = 0; i < BALANCED_ROUNDS; i++)
		balanced_work();
	leak_malloc();
	leak_calloc();
	leak_realloc();
	leak_aligned();
	leak_strdup();
	leak_direct();
	leak_posix_memalign();
	if (write(1, "done\n", 5) != 5)
		return 1;
	return 0;
}
