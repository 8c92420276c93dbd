// SPDX-License-Identifier: GPL-2.0
/*
 * hog.c - a steady memory ramp for the OOM tests (tests/live/test_oom.sh):
 * N times (argv[1], default 256) grow_heap() mallocs 1 MiB, touches every
 * byte of it (memset) and keeps it, then the program sleeps MS milliseconds
 * (argv[2], default 20). Nothing is ever freed, so anon RSS rises by about
 * 1 MiB per step, 50 MiB/s with the defaults: in a 64 MiB memory cgroup it
 * is OOM-killed after about 60 steps (~1.3 s).
 *
 * With a third argument HOLD, it then holds its memory HOLD seconds more
 * (for a kill that another process in its cgroup triggers).
 * Prints nothing while it grows; if it survives every step it writes
 * "survived\n" and exits 0. Exits 1 when a malloc fails (without printing
 * more than "malloc failed" on stderr). Expected when recorded with -e user:
 * grow_heap leaks one 1 MiB block (alloc_fn malloc) per completed step.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1024 * 1024)

/* Keeps every block reachable: the hog's memory is live, not leaked garbage. */
static char **blocks;

char *grow_heap(void)
{
	char *p = malloc(CHUNK);

	if (p)
		memset(p, 0xa5, CHUNK);		/* fault in every page */
	return p;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 256;
	int ms = argc > 2 ? atoi(argv[2]) : 20;
	int hold = argc > 3 ? atoi(argv[3]) : 0;
	struct timespec pause = { ms / 1000, (long)(ms % 1000) * 1000000L };

	if (n < 0 || ms < 0)
		return 2;
	blocks = calloc(n ? n : 1, sizeof(*blocks));
	if (!blocks)
		return 1;
	for (int i = 0; i < n; i++) {
		blocks[i] = grow_heap();
		if (!blocks[i]) {
			if (write(2, "malloc failed\n", 14) < 0)
				return 1;
			return 1;
		}
		if (ms)
			nanosleep(&pause, NULL);
	}
	if (hold > 0)
		sleep((unsigned int)hold);
	if (write(1, "survived\n", 9) != 9)
		return 1;
	return 0;
}
