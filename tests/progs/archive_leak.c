// SPDX-License-Identifier: GPL-2.0
/*
 * archive_leak.c - leaks in its own code and in a dlopen'ed library, for
 * the self-contained file test: own_leak() mallocs 4 x 55 bytes, then the
 * program dlopen()s libdlleak.so from its own directory, calls lib_leak()
 * (7 x 333 bytes) and dlclose()s it.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile uintptr_t sink;

void own_leak(void)
{
	for (int i = 0; i < 4; i++)
		sink ^= (uintptr_t)malloc(55); /* L:own_leak */
}

int main(void)
{
	char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 64);
	void (*fn)(void);
	char *slash;
	void *h;

	own_leak();
	if (n <= 0)
		return 1;
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (!slash)
		return 1;
	strcpy(slash + 1, "libdlleak.so");
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return 1;
	fn = (void (*)(void))dlsym(h, "lib_leak");
	if (!fn)
		return 1;
	fn();
	return dlclose(h) ? 1 : 0;
}
