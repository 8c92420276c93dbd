// SPDX-License-Identifier: GPL-2.0
/*
 * ctor_malloc.c - malloc from a constructor, before main: early_leak runs
 * as a constructor and leaks 1 x 123 bytes; main leaks 1 x 45 bytes.
 *
 * Expected leaks: early_leak 1 x 123 = 123 bytes, main_leak 1 x 45 = 45
 * bytes; both malloc. Output: "done\n" (one write(2)).
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static volatile uintptr_t sink;

__attribute__((constructor)) void early_leak(void)
{
	sink ^= (uintptr_t)malloc(123); /* L:early_leak */
}

void main_leak(void)
{
	sink ^= (uintptr_t)malloc(45); /* L:main_leak */
}

int main(void)
{
	main_leak();
	return write(1, "done\n", 5) == 5 ? 0 : 1;
}
