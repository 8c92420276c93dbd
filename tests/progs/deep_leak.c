// SPDX-License-Identifier: GPL-2.0
/*
 * deep_leak.c - one leak at the bottom of a 41-call recursion, deeper than
 * the 8 frames of ftrace's user stacks: what perf callchains are for.
 *
 * main() calls deep(DEPTH) with DEPTH = 40; deep(n) calls deep(n - 1) until
 * n == 0, where deep(0) calls deep_leaf(), which mallocs 4242 bytes once and
 * never frees them. deep() does work after its recursive call, so it is never
 * a tail call (and the Makefile builds with -fno-optimize-sibling-calls
 * -fno-inline -fno-omit-frame-pointer anyway): every call keeps its frame.
 *
 * Frames at the malloc, innermost first (frame 0 = malloc's direct caller):
 *   frame 0        deep_leaf                       (line L:deep_leaf)
 *   frames 1..41   deep, n = 0, 1, ..., 40         DEPTH + 1 = 41 frames:
 *                  deep(0) at its deep_leaf() call (L:deep_call_leaf),
 *                  deep(1)..deep(40) at their deep() call (L:deep_recurse)
 *   frame 42       main, at its deep(DEPTH) call   (L:main_call)
 *   frames 43..    libc's start code (__libc_start_call_main, ...)
 * so a complete stack has at least 43 frames, exactly 41 consecutive deep.
 *
 * Expected leaks: one group with frame 0 deep_leaf: count 1, bytes 4242,
 * size 4242..4242, alloc_fn malloc, pid = the target; nothing else of this
 * program's own functions allocates.
 *   memrec record (--uprobes=perf, the default): the full stack above.
 *   --stack-depth N: at most N frames (frame 0 deep_leaf, then deep...).
 *   --uprobes=ftrace: cut at 8 frames (deep_leaf and 7 deep, no main).
 * Output: "done\n" on stdout (write(2), no stdio). Exits 0.
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define DEPTH 40

static volatile uintptr_t sink;

__attribute__((noinline)) int deep_leaf(void)
{
	char *p = malloc(4242); /* L:deep_leaf */

	if (!p)
		return -1;
	p[4241] = 1;
	sink = (uintptr_t)p ^ 0x5a5a5a5a;
	return 0;
}

__attribute__((noinline)) int deep(int n)
{
	int r;

	if (n == 0)
		r = deep_leaf(); /* L:deep_call_leaf */
	else
		r = deep(n - 1); /* L:deep_recurse */
	/* work after the call: no tail call, every deep() keeps its frame */
	sink += (uintptr_t)n;
	return r;
}

int main(void)
{
	if (deep(DEPTH) != 0) /* L:main_call */
		return 1;
	if (write(1, "done\n", 5) != 5)
		return 1;
	return 0;
}
