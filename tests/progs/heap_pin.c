// SPDX-License-Identifier: GPL-2.0
/*
 * heap_pin.c - a fragmented main arena whose top is pinned by one small
 * block: fill() allocates NR_FILL blocks of FILL_SIZE bytes from the top of
 * the brk heap, make_pin() then allocates one PIN_SIZE block right above
 * them, and free_odd() frees every odd-numbered fill block (1, 3, ...,
 * NR_FILL - 1). The rest is never freed, so it is live at the end of the
 * trace. No stdio: a stdout buffer allocated later would land above the pin.
 *
 * Why the pin is the top: nothing has been freed when make_pin() runs, so
 * tcache, fastbins and the unsorted bin are empty and malloc(64) splits the
 * top chunk, right after the last fill block. The frees that follow never
 * coalesce (each freed chunk has live neighbours, the last odd one the pin)
 * and nothing is allocated after them.
 *
 * Expected, glibc x86_64 (chunk = max(32, (req + 8 + 15) & ~15)):
 *   fill's site:  20000 allocations, 20000000 bytes requested, 20160000 in
 *                 chunks (1008 each), 160000 bytes wasted (8 per block, 0.79%)
 *   main arena:   live 10000 fill chunks + the pin = 10080080 chunk bytes
 *                 (10000064 requested) in a span of 20000 * 1008 + 80 =
 *                 20160080 bytes; largest gaps 1008 bytes each
 *   the pin:      malloc(64), chunk 80, frame 0 make_pin; it holds
 *                 10000 * 1008 = 10080000 free bytes below it, and freeing
 *                 it would let the heap shrink by 1008 + 80 = 1088 bytes
 *                 (fill block 19999 below it is free too)
 * Anything the C runtime allocates before main() is live and below fill's
 * blocks: it can move these figures by a few hundred bytes, not more.
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define NR_FILL		20000
#define FILL_SIZE	1000
#define PIN_SIZE	64

static void *blocks[NR_FILL];
static void *volatile pin;

__attribute__((noinline)) void fill(void)
{
	for (int i = 0; i < NR_FILL; i++)
		blocks[i] = malloc(FILL_SIZE);
}

__attribute__((noinline)) void *make_pin(void)
{
	return malloc(PIN_SIZE);
}

__attribute__((noinline)) void free_odd(void)
{
	for (int i = 1; i < NR_FILL; i += 2)
		free(blocks[i]);
}

int main(void)
{
	struct timespec half = { 0, 500000000 };

	fill();
	pin = make_pin();
	free_odd();
	/* a moment to look at the process with memrec record -p */
	nanosleep(&half, NULL);
	return write(1, "done\n", 5) == 5 ? 0 : 1;
}
