// SPDX-License-Identifier: GPL-2.0
/*
 * fork_leak.c - leaks on both sides of a fork.
 *
 * Nothing is allocated before fork() (unless an argument is given, see
 * below). Then:
 *   child:  child_leak() mallocs 5 x 222 (never freed), exit(0);
 *   parent: parent_leak() mallocs 3 x 111 (never freed), waits for the
 *           child, writes "parent PID child PID\n" to stdout, exits 0.
 * Expected leaks:
 *   pid = child:  child_leak   count 5, bytes 1110, alloc_fn malloc,
 *                 inherited false, line L:child_leak
 *   pid = parent: parent_leak  count 3, bytes 333, alloc_fn malloc,
 *                 inherited false, line L:parent_leak
 *   the child has no parent_leak group and the parent no child_leak group.
 * With any argument ("fork_leak pre", for the golden file
 * tests/golden/fork_leak.dat), pre_fork_leak() first mallocs 4 x 44 before
 * the fork, never freed on either side: the parent leaks them (count 4,
 * bytes 176, inherited false) and the child holds copies it inherited
 * (inherited true: left out of the report unless --inherited).
 * No stdio.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile uintptr_t sink;

void child_leak(void)
{
	for (int i = 0; i < 5; i++) {
		char *p = malloc(222); /* L:child_leak */

		if (p)
			p[221] = 1;
		sink = (uintptr_t)p ^ 0x5a5a5a5a;
	}
}

void parent_leak(void)
{
	for (int i = 0; i < 3; i++) {
		char *p = malloc(111); /* L:parent_leak */

		if (p)
			p[110] = 1;
		sink = (uintptr_t)p ^ 0x5a5a5a5a;
	}
}

void pre_fork_leak(void)
{
	for (int i = 0; i < 4; i++)
		sink ^= (uintptr_t)malloc(44); /* L:pre_fork_leak */
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

int main(int argc, char **argv)
{
	char buf[128];
	int len = 0, status;
	pid_t child;

	if (argc > 1)
		pre_fork_leak();
	child = fork();

	if (child < 0)
		return 1;
	if (child == 0) {
		child_leak();
		exit(0);
	}
	parent_leak();
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return 1;
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
