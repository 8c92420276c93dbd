// SPDX-License-Identifier: GPL-2.0
/*
 * diff_leak.c - the same program leaking more the longer it runs, for
 * `memrec report diff` (tests/live/test_diff.sh):
 *   loop_leak()   malloc(48), called N times (N = argv[1], default 10)
 *   fixed_leak()  malloc(3000), once, whatever N is
 * then it exits 0. Recorded with
 * N = 10 and N = 20, the diff is exactly loop_leak's +480 bytes in +10
 * blocks; fixed_leak's 3000 bytes are unchanged. No stdio.
 */
#include <stdint.h>
#include <stdlib.h>

static volatile uintptr_t sink;

void loop_leak(void)
{
	sink ^= (uintptr_t)malloc(48); /* L:loop_leak */
}

void fixed_leak(void)
{
	sink ^= (uintptr_t)malloc(3000); /* L:fixed_leak */
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10;

	fixed_leak();
	for (long i = 0; i < n; i++)
		loop_leak();
	return 0;
}
