// SPDX-License-Identifier: GPL-2.0
/*
 * static_leak.c - built with -static (no dynamic loader): --preload cannot
 * work and memrec must say so and record it the uprobe way. Leaks 1 x 64
 * bytes from static_leak (its own copy of malloc, which memrec's libc
 * uprobes do not cover). Output: "done\n" (one write(2)).
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static volatile uintptr_t sink;

void static_leak(void)
{
	sink ^= (uintptr_t)malloc(64);
}

int main(void)
{
	static_leak();
	return write(1, "done\n", 5) == 5 ? 0 : 1;
}
