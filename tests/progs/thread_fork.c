// SPDX-License-Identifier: GPL-2.0
/*
 * thread_fork.c - fork from a thread of a multithreaded program: a second
 * thread keeps calling malloc/free while the first forks; the child leaks
 * 3 x 77 bytes and exits, the parent's forking thread leaks 2 x 55 bytes.
 *
 * Expected leaks: child_leak 3 x 77 = 231 bytes (in the child's pid),
 * parent_leak 2 x 55 = 110 bytes (in the parent's); both malloc.
 * Output: "parent PID child PID\n" (one write(2)).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile uintptr_t sink;
static volatile int stop;

void child_leak(void)
{
	for (int i = 0; i < 3; i++)
		sink ^= (uintptr_t)malloc(77); /* L:child_leak */
}

void parent_leak(void)
{
	for (int i = 0; i < 2; i++)
		sink ^= (uintptr_t)malloc(55); /* L:parent_leak */
}

static void *churn(void *arg)
{
	while (!stop)
		free(malloc(40));
	return NULL;
}

static void *forker(void *arg)
{
	pid_t *child = arg;

	*child = fork();
	if (*child == 0) {
		child_leak();
		_exit(0);
	}
	parent_leak();
	waitpid(*child, NULL, 0);
	return NULL;
}

int main(void)
{
	pthread_t a, b;
	pid_t child = 0;
	char line[64];
	int n;

	pthread_create(&a, NULL, churn, NULL);
	pthread_create(&b, NULL, forker, &child);
	pthread_join(b, NULL);
	stop = 1;
	pthread_join(a, NULL);
	n = snprintf(line, sizeof(line), "parent %d child %d\n", (int)getpid(), (int)child);
	return write(1, line, n) == n ? 0 : 1;
}
