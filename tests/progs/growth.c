// SPDX-License-Identifier: GPL-2.0
/*
 * growth.c - three sites whose outstanding bytes move in known ways over
 * 60 ticks of 50 ms (3 s), for the growth verdicts of `memrec report`
 * (tests/live/test_growth.sh):
 *   steady_leak()  4 x malloc(1000) at every tick, never freed:
 *                  240 blocks, 240000 bytes, rising to the end: growing
 *   cache_fill()   10 x malloc(2048) at ticks 0..19 (the first second),
 *                  kept: 200 blocks, 409600 bytes, flat for the last
 *                  2 s: plateau
 *   burst()        100 x malloc(512) at tick 10 (0.5 s), 95 of them freed
 *                  at tick 30 (1.5 s): 5 blocks, 2560 bytes left of a
 *                  51200-byte peak: transient
 * then prints "done" and exits 0 right after the last tick's allocations.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define TICKS		60
#define CACHE_TICKS	20
#define BURST		100
#define BURST_KEPT	5

static volatile uintptr_t sink;
/* volatile: the loops are not unrolled, each malloc has one call site */
static volatile int four = 4, ten = 10;
static void *burst_blocks[BURST];

void steady_leak(void)
{
	for (int i = 0; i < four; i++)
		sink ^= (uintptr_t)malloc(1000); /* L:steady_leak */
}

void cache_fill(void)
{
	for (int i = 0; i < ten; i++)
		sink ^= (uintptr_t)malloc(2048); /* L:cache_fill */
}

void burst(void)
{
	for (int i = 0; i < BURST; i++)
		burst_blocks[i] = malloc(512); /* L:burst */
}

void burst_free(void)
{
	for (int i = BURST_KEPT; i < BURST; i++)
		free(burst_blocks[i]);
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* One call site per site: a loop in main could be peeled into two. */
void tick(int t)
{
	steady_leak();
	if (t < CACHE_TICKS)
		cache_fill();
	if (t == 10)
		burst();
	if (t == 30)
		burst_free();
}

int main(void)
{
	for (int t = 0; t < TICKS; t++) {
		tick(t);
		if (t + 1 < TICKS)
			pause_ms(50);
	}
	printf("done\n");
	return 0;
}
