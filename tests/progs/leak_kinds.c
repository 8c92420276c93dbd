// SPDX-License-Identifier: GPL-2.0
/*
 * leak_kinds.c - one leaking function per glibc allocator entry point,
 * plus balanced work that must not be reported.
 *
 * Expected leaks (frame 0 function: blocks x size = bytes, alloc_fn);
 * each leaking call is on the line marked "L:NAME" (the test greps it):
 *   leak_malloc          3 x 100  =  300  malloc
 *   leak_calloc          2 x 200  =  400  calloc  (calloc(10, 20))
 *   leak_realloc_chain   1 x 1000 = 1000  realloc (malloc(10) -> realloc 100
 *                                          -> realloc 1000; reported at the
 *                                          second realloc's line; the
 *                                          malloc(10) and the 100-byte step
 *                                          are not leaks)
 *   leak_posix_memalign  2 x 256  =  512  posix_memalign (align 64)
 *   leak_aligned_alloc   1 x 512  =  512  aligned_alloc (align 128)
 *   leak_memalign        1 x 192  =  192  aligned_alloc (memalign(64, 192):
 *                                          glibc's memalign and aligned_alloc
 *                                          are the same code)
 *   leak_valloc          1 x 4000 = 4000  valloc
 *   leak_pvalloc         1 x 4096 = 4096  pvalloc (a page: no rounding)
 *   leak_strdup          1 x 10   =   10  strdup ("leakystr!", 9 chars)
 *   leak_strndup         1 x 6    =    6  strndup ("abcdefghijkl", 5)
 *   leak_reallocarray    1 x 100  =  100  reallocarray (NULL, 4, 25)
 *   total               15 blocks, 11128 bytes from this program
 * balanced_work() (called BALANCED_ROUNDS = 10 times) and main leak nothing.
 * No stdio: output is one write(2) of "done\n".
 * "leak_kinds no-pvalloc" skips leak_pvalloc (valgrind aborts on pvalloc), so
 * `valgrind --leak-check=full --show-leak-kinds=all tests/progs/leak_kinds
 * no-pvalloc` shows the other 14 blocks, 7032 bytes, as definitely lost.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile uintptr_t sink;

/* Overwrite the only copy of the pointer: the block is definitely lost. */
static void drop(void *p)
{
	sink = (uintptr_t)p ^ 0x5a5a5a5a;
}

/* Use a block so that nothing can consider it dead. */
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

void leak_realloc_chain(void)
{
	char *p = malloc(10);

	touch(p, 10);
	p = realloc(p, 100);
	touch(p, 100);
	p = realloc(p, 1000); /* L:leak_realloc_chain */
	touch(p, 1000);
	drop(p);
}

void leak_posix_memalign(void)
{
	for (int i = 0; i < 2; i++) {
		void *p = NULL;

		if (posix_memalign(&p, 64, 256) != 0) /* L:leak_posix_memalign */
			_exit(2);
		touch(p, 256);
		drop(p);
	}
}

void leak_aligned_alloc(void)
{
	void *p = aligned_alloc(128, 512); /* L:leak_aligned_alloc */

	touch(p, 512);
	drop(p);
}

void leak_memalign(void)
{
	void *p = memalign(64, 192); /* L:leak_memalign */

	touch(p, 192);
	drop(p);
}

void leak_valloc(void)
{
	void *p = valloc(4000); /* L:leak_valloc */

	touch(p, 4000);
	drop(p);
}

void leak_pvalloc(void)
{
	void *p = pvalloc(4096); /* L:leak_pvalloc */

	touch(p, 4096);
	drop(p);
}

static const char leaky[] = "leakystr!";	/* 9 chars + NUL = 10 bytes */
static const char longer[] = "abcdefghijkl";

void leak_strdup(void)
{
	char *p = strdup(leaky); /* L:leak_strdup */

	touch(p, 10);
	drop(p);
}

void leak_strndup(void)
{
	char *p = strndup(longer, 5); /* L:leak_strndup */

	touch(p, 6);
	drop(p);
}

void leak_reallocarray(void)
{
	void *p = reallocarray(NULL, 4, 25); /* L:leak_reallocarray */

	touch(p, 100);
	drop(p);
}

#define BALANCED_ROUNDS 10

/* Every allocation here is freed again; none of it may be reported. */
void balanced_work(void)
{
	void *p, *q;
	char *s;

	p = malloc(50);
	touch(p, 50);
	free(p);

	p = calloc(5, 10);
	touch(p, 50);
	free(p);

	p = malloc(16);		/* realloc growth, then free */
	p = realloc(p, 64);
	p = realloc(p, 4096);
	touch(p, 4096);
	free(p);

	p = malloc(32);		/* realloc(p, 0) frees p (glibc returns NULL) */
	touch(p, 32);
	q = realloc(p, 0);
	if (q)
		free(q);

	p = reallocarray(NULL, 8, 16);
	p = reallocarray(p, 16, 16);
	touch(p, 256);
	free(p);

	p = NULL;
	if (posix_memalign(&p, 32, 96) != 0)
		_exit(2);
	touch(p, 96);
	free(p);

	p = aligned_alloc(64, 128);
	touch(p, 128);
	free(p);

	p = memalign(16, 48);
	touch(p, 48);
	free(p);

	p = valloc(100);
	touch(p, 100);
	free(p);

	s = strdup(longer);
	touch(s, 13);
	free(s);

	s = strndup(longer, 3);
	touch(s, 4);
	free(s);

	free(NULL);
}

int main(int argc, char **argv)
{
	leak_malloc();
	leak_calloc();
	leak_realloc_chain();
	leak_posix_memalign();
	leak_aligned_alloc();
	leak_memalign();
	leak_valloc();
	leak_strdup();
	leak_strndup();
	leak_reallocarray();
	if (argc < 2 || strcmp(argv[1], "no-pvalloc") != 0)
		leak_pvalloc();
	for (int i = 0; i < BALANCED_ROUNDS; i++)
		balanced_work();
	if (write(1, "done\n", 5) != 5)
		return 1;
	return 0;
}
