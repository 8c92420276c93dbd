// SPDX-License-Identifier: GPL-2.0
/*
 * sig_malloc.c - mallocs in a signal handler: a 1 ms interval timer's
 * SIGALRM handler mallocs a 32-byte block and keeps it, while main mallocs
 * and frees in a loop (so the signal often lands inside an allocator call).
 *
 * Expected leak: on_alarm 5 x 32 = 160 bytes, malloc. main leaks nothing.
 * main's first malloc of each size comes before the timer (see main).
 * No stdio: output is one write(2) of "done\n".
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define HITS 5

static void *volatile kept[HITS];
static volatile sig_atomic_t hits;

static void on_alarm(int sig)
{
	if (hits < HITS) {
		kept[hits] = malloc(32); /* L:on_alarm */
		hits++;
	}
}

int main(void)
{
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	/*
	 * glibc's first malloc of a size sets up the thread's cache under the
	 * arena lock: a handler's malloc landing there waits for that lock
	 * forever, with or without memrec (now and then under the uprobes on
	 * a loaded host: a run stopped at its first events until the test's
	 * 60 s timeout). Both sizes are set up first.
	 */
	free(malloc(24));
	free(malloc(32));
	setitimer(ITIMER_REAL, &it, NULL);
	while (hits < HITS) {
		void *p = malloc(24);

		free(p);
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	if (write(1, "done\n", 5) != 5)
		return 1;
	return 0;
}
