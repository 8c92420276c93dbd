// SPDX-License-Identifier: GPL-2.0
/*
 * libdlleak.c - built as tests/progs/libdlleak.so; dlopen()ed by
 * dlopen_leak, which calls lib_leak() and then dlclose()s the library.
 *
 * Expected: lib_leak leaks 7 x 333 = 2331 bytes, alloc_fn malloc, frame 0
 * module ending in /libdlleak.so, file ending in libdlleak.c, line of the
 * malloc call (marker L:lib_leak). The library is unmapped when the trace
 * ends, so memrec has to symbolize it from what it recorded at dlopen time.
 */
#include <stdint.h>
#include <stdlib.h>

static volatile uintptr_t sink;

void lib_leak(void)
{
	for (int i = 0; i < 7; i++) {
		char *p = malloc(333); /* L:lib_leak */

		if (p)
			p[332] = 1;
		sink = (uintptr_t)p ^ 0x5a5a5a5a;
	}
	sink = 0;
}
