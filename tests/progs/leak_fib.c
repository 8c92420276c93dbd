// SPDX-License-Identifier: GPL-2.0
/*
 * leak_fib.c - the classic memleak example: a pthread runs a naive
 * recursive fib(10); every call calloc()s a node in alloc_fib_node() and
 * never frees it.
 *
 * fib(10) makes 177 calls (C(n) = C(n-1) + C(n-2) + 1, C(0) = C(1) = 1),
 * one call with each n in 0..10 at least; the call with argument n does
 * calloc(n + 1, 8).
 *
 * Expected leaks, summed over every group whose frame 0 is alloc_fib_node
 * (the recursion gives stacks of different depths, hence several groups):
 *   alloc_fib_node   count 177, bytes 4328, size_min 8, size_max 88,
 *                    alloc_fn calloc, line = the calloc line (marker L:fib),
 *                    all in the target's pid.
 * Nothing else of this program's own functions allocates. pthread_create
 * itself calloc()s the thread's DTV in ld.so (never freed: the stack cache
 * keeps it); that group's frame 0 is not ours and is not checked.
 * Output: "fib 55\n" on stdout (write(2), no stdio).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIB_N 10

struct fib_node { int n; };

static volatile uintptr_t sink;

/* Remember nothing: the pointer is overwritten, so the block is lost. */
static void drop(void *p)
{
	sink = (uintptr_t)p ^ 0x5a5a5a5a;
}

void *alloc_fib_node(int n)
{
	struct fib_node *node = calloc(n + 1, 8); /* L:fib */

	if (node)
		node->n = n;
	return node;
}

long fib(int n)
{
	drop(alloc_fib_node(n));
	if (n < 2)
		return n;
	return fib(n - 1) + fib(n - 2);
}

static void *fib_thread(void *arg)
{
	long *res = arg;

	*res = fib(FIB_N);
	return NULL;
}

static void put_num(const char *prefix, long v)
{
	char buf[64], num[24];
	int i = 0, len = 0;

	while (*prefix)
		buf[len++] = *prefix++;
	if (v == 0)
		num[i++] = '0';
	while (v > 0) {
		num[i++] = '0' + v % 10;
		v /= 10;
	}
	while (i > 0)
		buf[len++] = num[--i];
	buf[len++] = '\n';
	if (write(1, buf, len) < 0)
		_exit(3);
}

int main(void)
{
	pthread_t t;
	long res = 0;

	if (pthread_create(&t, NULL, fib_thread, &res) != 0)
		return 1;
	if (pthread_join(t, NULL) != 0)
		return 1;
	put_num("fib ", res);
	return res == 55 ? 0 : 1;
}
