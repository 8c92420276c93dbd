// SPDX-License-Identifier: GPL-2.0
/*
 * sleeper.c - a slow, long-running target for stop, signal and attach
 * tests: writes "ready\n" to stdout (write(2)), then for S seconds
 * (argv[1], default 10) calls sleeper_tick() and sleeps one second.
 *
 * sleeper_tick() mallocs 128 bytes that it never frees and mallocs and
 * frees 32 bytes. Expected when recorded from the start to its end:
 * sleeper_tick leaks S x 128 (alloc_fn malloc); under -p or a stop by
 * signal, one 128-byte leak per tick seen. Exits 0 after S seconds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static volatile uintptr_t sink;

void sleeper_tick(void)
{
	char *keep = malloc(128), *tmp = malloc(32);

	if (keep)
		keep[127] = 1;
	sink = (uintptr_t)keep ^ 0x5a5a5a5a;
	if (tmp)
		tmp[31] = 1;
	free(tmp);
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 10;

	if (write(1, "ready\n", 6) != 6)
		return 1;
	for (int i = 0; i < secs; i++) {
		sleeper_tick();
		sleep(1);
	}
	return 0;
}
