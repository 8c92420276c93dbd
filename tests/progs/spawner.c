// SPDX-License-Identifier: GPL-2.0
/*
 * spawner.c - a target for `memrec record -p` that creates threads and a
 * child only after memrec attached: the probes must follow both.
 *
 * Writes "ready\n" to stdout (write(2), unbuffered) and waits for SIGUSR1
 * (sigsuspend loop on a flag). Allocates nothing of its own before that.
 * After the signal, in this order:
 *   1. starts 2 pthreads; each runs thread_leak(): 3 x malloc(111), never
 *      freed; joins both;
 *   2. forks a child that runs child_leak(): 2 x malloc(222), never freed,
 *      and exits 0; waits for it;
 *   3. after_leak(): 1 x malloc(333), never freed;
 *   4. writes "parent PID child CPID\n" to stdout and exits 0.
 *
 * Expected when recorded with -p after "ready" and signalled once memrec is
 * recording (memrec stops by itself when the target and its child exited):
 *   pid = target: thread_leak  count 6, bytes 666, size 111..111, alloc_fn
 *                              malloc, inherited false, line L:thread_leak
 *                 after_leak   count 1, bytes 333, size 333..333, alloc_fn
 *                              malloc, inherited false, line L:after_leak
 *   pid = child:  child_leak   count 2, bytes 444, size 222..222, alloc_fn
 *                              malloc, inherited false, line L:child_leak
 *   (-O1 unrolls child_leak's 2-iteration loop: two call sites on the same
 *   line, hence two groups of 1 x 222; the checks sum over groups)
 *   no child_leak group in the target, no after_leak group in the child;
 *   the child's copy of the 6 thread_leak blocks is inherited (not shown by
 *   default). pthread_create itself may calloc a thread's DTV in ld.so
 *   (kept by the stack cache): frame 0 not ours, not checked.
 * Without a signal it exits by SIGALRM after 300 seconds (no strays).
 * No stdio.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 2

static volatile sig_atomic_t go;
static volatile uintptr_t sink;

static void on_usr1(int sig)
{
	go = 1;
}

void thread_leak(void)
{
	for (int i = 0; i < 3; i++) {
		char *p = malloc(111); /* L:thread_leak */

		if (p)
			p[110] = 1;
		sink = (uintptr_t)p ^ 0x5a5a5a5a;
	}
}

void child_leak(void)
{
	for (int i = 0; i < 2; i++) {
		char *p = malloc(222); /* L:child_leak */

		if (p)
			p[221] = 1;
		sink = (uintptr_t)p ^ 0x5a5a5a5a;
	}
}

void after_leak(void)
{
	char *p = malloc(333); /* L:after_leak */

	if (p)
		p[332] = 1;
	sink = (uintptr_t)p ^ 0x5a5a5a5a;
}

static void *thread_main(void *arg)
{
	thread_leak();
	return NULL;
}

static int put_num(char *buf, long v)
{
	char num[24];
	int i = 0, len = 0;

	if (v == 0)
		num[i++] = '0';
	while (v > 0) {
		num[i++] = '0' + v % 10;
		v /= 10;
	}
	while (i > 0)
		buf[len++] = num[--i];
	return len;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	pthread_t th[THREADS];
	sigset_t block, old;
	int len = 0, status;
	char buf[128];
	pid_t child;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	alarm(300);

	if (write(1, "ready\n", 6) != 6)
		return 1;
	sigdelset(&old, SIGUSR1);
	while (!go)
		sigsuspend(&old);

	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&th[i], NULL, thread_main, NULL) != 0)
			return 1;
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);

	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		child_leak();
		_exit(0);
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return 1;

	after_leak();

	for (const char *s = "parent "; *s; s++)
		buf[len++] = *s;
	len += put_num(buf + len, getpid());
	for (const char *s = " child "; *s; s++)
		buf[len++] = *s;
	len += put_num(buf + len, child);
	buf[len++] = '\n';
	if (write(1, buf, len) != len)
		return 1;
	return 0;
}
