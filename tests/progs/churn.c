// SPDX-License-Identifier: GPL-2.0
/*
 * churn.c - a malloc/free loop of N iterations (argv[1], default 1000000)
 * for benchmarks and probe-overhead checks.
 *
 * Each iteration: churn_one() mallocs 64..127 bytes, touches it, frees it.
 * Expected: no leak from churn_one or main; events.allocs >= N,
 * events.frees >= N when recorded from the start.
 * No stdio: output is one write(2) of "done\n".
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static volatile uintptr_t sink;

void churn_one(long i)
{
	char *p = malloc(64 + (i & 63));

	if (!p)
		_exit(2);
	p[0] = (char)i;
	sink = (uintptr_t)p;
	free(p);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;

	for (long i = 0; i < n; i++)
		churn_one(i);
	if (write(1, "done\n", 5) != 5)
		return 1;
	return 0;
}
