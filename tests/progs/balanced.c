// SPDX-License-Identifier: GPL-2.0
/*
 * balanced.c - only balanced allocator work, ROUNDS times (argv[1],
 * default 1000).
 *
 * Expected: no leak whose stack has any frame in this program's module
 * (tests/progs/balanced); the program itself makes, per round, 8 calls that
 * allocate a new block (malloc, calloc, malloc before a realloc growth,
 * malloc before realloc(p, 0), reallocarray(NULL, ...), posix_memalign,
 * aligned_alloc, strdup), 2 growing reallocs, 7 free() of a live block, one
 * realloc(p, 0) that frees, and one free(NULL). So with the default:
 *   events.allocs >= 8000, events.frees >= 7000, events.null_frees >= 1000.
 * No stdio: output is one write(2) of "done\n".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile uintptr_t sink;

static void touch(void *p, size_t n)
{
	volatile char *c = p;

	if (c && n)
		c[n - 1] = 1;
	sink = (uintptr_t)p;
}

void one_round(int i)
{
	static const char text[] = "balanced-string";
	void *p, *q;
	char *s;

	p = malloc(24 + (i & 15));
	touch(p, 24);
	free(p);

	p = calloc(3, 40);
	touch(p, 120);
	free(p);

	p = malloc(16);
	p = realloc(p, 200);
	p = realloc(p, 5000);
	touch(p, 5000);
	free(p);

	p = malloc(40);
	touch(p, 40);
	q = realloc(p, 0);	/* glibc frees p and returns NULL */
	if (q)
		free(q);

	p = reallocarray(NULL, 6, 11);
	touch(p, 66);
	free(p);

	p = NULL;
	if (posix_memalign(&p, 64, 300) != 0)
		_exit(2);
	touch(p, 300);
	free(p);

	p = aligned_alloc(256, 1024);
	touch(p, 1024);
	free(p);

	s = strdup(text);
	touch(s, sizeof(text));
	free(s);

	free(NULL);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 1000;

	for (int i = 0; i < rounds; i++)
		one_round(i);
	if (write(1, "done\n", 5) != 5)
		return 1;
	return 0;
}
