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

/*
 * The Makefile's PROG_SRC wildcard (tests/progs/*.c) also matches lib*.c, so
 * `make progs` links this file as an executable too. Give that build a main
 * so it links; the .so (-fPIC, not PIE) does not get one. Drop this once
 * PROG_SRC filters out tests/progs/lib%.c.
 */
#if defined(__PIE__) || !defined(__PIC__)
#include <unistd.h>

int main(void)
{
	static const char msg[] = "libdlleak: a library for dlopen_leak, not a program\n";

	if (write(2, msg, sizeof(msg) - 1) < 0)
		return 2;
	return 2;
}
#endif
