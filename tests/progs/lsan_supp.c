// SPDX-License-Identifier: GPL-2.0
/*
 * lsan_supp.c - a program that carries LeakSanitizer suppressions in
 * __lsan_default_suppressions(), as programs built for ASan do.
 *
 * Expected with the default report (frame 0 function: blocks x size):
 *   kept_leak         2 x 32  =  64   reported
 *   suppressed_leak   3 x 64  = 192   left out: "leak:suppressed_leak"
 *   anchored_leak     1 x 128 = 128   left out: "leak:^anchored_leak$"
 * so the header says 4 blocks, 320 bytes matched the program's own
 * suppressions, and --no-suppress shows all three rows (6 blocks, 384 bytes).
 * The other lines of the string are of other sanitizers or comments and
 * suppress nothing. No stdio: output is one write(2) of "done\n".
 * Built in three ways (Makefile): as the other programs, at -O0 and
 * without PIE, so that the recorder's reading of the string is tested on
 * each shape of code.
 */
#include <stdlib.h>
#include <unistd.h>

const char *__lsan_default_suppressions(void)
{
	return "# memrec's test\n"
	       "leak:suppressed_leak\n"
	       "race:not_a_leak_line\n"
	       "leak:^anchored_leak$\n";
}

static void *keep[8];
static int nkeep;

void kept_leak(void)
{
	keep[nkeep++] = malloc(32);
}

void suppressed_leak(void)
{
	keep[nkeep++] = malloc(64);
}

void anchored_leak(void)
{
	keep[nkeep++] = malloc(128);
}

int main(void)
{
	kept_leak();
	kept_leak();
	for (int i = 0; i < 3; i++)
		suppressed_leak();
	anchored_leak();
	/* the pointers are dropped: each block is a leak */
	nkeep = 0;
	for (int i = 0; i < 8; i++)
		keep[i] = NULL;
	return write(1, "done\n", 5) == 5 ? 0 : 1;
}
