// SPDX-License-Identifier: GPL-2.0
/*
 * aged_leak.c - leaks of known ages, for `memrec report --min-age` (the
 * golden file tests/golden/aged_leak.dat):
 *   old_leak()    3 x malloc(100), at the start
 *   mixed_leak()  1 x malloc(60) at the start, 1 more 400 ms later, from
 *                 the same call in main (one group, blocks of two ages)
 *   young_leak()  2 x malloc(50), 400 ms after the start
 * then the program sleeps 200 ms and exits 0. At the end of the trace the
 * old blocks are ~0.6 s old and the young ones ~0.2 s: --min-age 0.4 keeps
 * old_leak's 3 blocks and one of mixed_leak's, and drops young_leak.
 * No stdio.
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static volatile uintptr_t sink;
/* volatile: the loops are not unrolled, each malloc has one call site */
static volatile int three = 3, two = 2;

void old_leak(void)
{
	for (int i = 0; i < three; i++)
		sink ^= (uintptr_t)malloc(100); /* L:old_leak */
}

void mixed_leak(void)
{
	sink ^= (uintptr_t)malloc(60); /* L:mixed_leak */
}

void young_leak(void)
{
	for (int i = 0; i < two; i++)
		sink ^= (uintptr_t)malloc(50); /* L:young_leak */
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int main(void)
{
	old_leak();
	for (int i = 0; i < two; i++) {
		mixed_leak();
		if (i == 0)
			pause_ms(400);
	}
	young_leak();
	pause_ms(200);
	return 0;
}
