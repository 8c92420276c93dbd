// SPDX-License-Identifier: GPL-2.0
/*
 * vfork_exec.c - vfork, then exec of this program with "child" (the
 * environment kept): the exec'd child leaks 4 x 66 bytes; the parent leaks
 * 1 x 33 bytes after the child has exited.
 *
 * Expected leaks: child_leak 4 x 66 = 264 bytes (the child's pid, after its
 * exec), parent_leak 1 x 33 = 33 bytes (the parent's); both malloc.
 * Output: "done\n" from the parent (one write(2)).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile uintptr_t sink;

void child_leak(void)
{
	for (int i = 0; i < 4; i++)
		sink ^= (uintptr_t)malloc(66); /* L:child_leak */
}

void parent_leak(void)
{
	sink ^= (uintptr_t)malloc(33); /* L:parent_leak */
}

int main(int argc, char **argv)
{
	char *args[] = { argv[0], "child", NULL };
	pid_t pid;

	if (argc > 1 && !strcmp(argv[1], "child")) {
		child_leak();
		return 0;
	}
	pid = vfork();
	if (pid == 0) {
		execv("/proc/self/exe", args);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	parent_leak();
	return write(1, "done\n", 5) == 5 ? 0 : 1;
}
