// SPDX-License-Identifier: GPL-2.0
/*
 * attach.c - a target for `memrec record -p`.
 *
 * pre_attach_alloc() mallocs K = 20 blocks of 64 bytes, then the program
 * writes "ready\n" to stdout (write(2)) and waits for SIGUSR1 (sigsuspend
 * loop on a flag). After the signal, free_pre_attach() frees the K blocks,
 * after_attach_leak() mallocs L = 6 blocks of 77 bytes and never frees
 * them, and the program exits 0 (without stdio).
 *
 * Expected when recorded with -p after "ready" and signalled once memrec
 * is recording:
 *   events.unmatched_frees >= 20 (the pre-attach blocks),
 *   after_attach_leak: count 6, bytes 462, size 77..77, alloc_fn malloc,
 *                      line L:after_attach_leak, pid = the target,
 *   no leak group with pre_attach_alloc in any frame.
 * Without a signal it exits by SIGALRM after 300 seconds (no strays).
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define K 20
#define L 6

static void *pre[K];
static volatile sig_atomic_t go;
static volatile uintptr_t sink;

static void on_usr1(int sig)
{
	go = 1;
}

void pre_attach_alloc(void)
{
	for (int i = 0; i < K; i++) {
		pre[i] = malloc(64);
		if (!pre[i])
			_exit(2);
	}
}

void free_pre_attach(void)
{
	for (int i = 0; i < K; i++) {
		free(pre[i]);
		pre[i] = NULL;
	}
}

void after_attach_leak(void)
{
	for (int i = 0; i < L; i++) {
		char *p = malloc(77); /* L:after_attach_leak */

		if (p)
			p[76] = 1;
		sink = (uintptr_t)p ^ 0x5a5a5a5a;
	}
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigset_t block, old;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	alarm(300);

	pre_attach_alloc();
	if (write(1, "ready\n", 6) != 6)
		return 1;
	sigdelset(&old, SIGUSR1);
	while (!go)
		sigsuspend(&old);

	free_pre_attach();
	after_attach_leak();
	return 0;
}
