// SPDX-License-Identifier: GPL-2.0
/*
 * dlopen_leak.c - dlopen()s libdlleak.so from the directory of this
 * executable (found through /proc/self/exe), calls its lib_leak(), then
 * dlclose()s it (the library is really unmapped) and exits 0.
 *
 * Expected leaks: only lib_leak's, see libdlleak.c: count 7, bytes 2331,
 * alloc_fn malloc, module suffix /libdlleak.so, file suffix libdlleak.c.
 * No leak group has a frame 0 in this program's own module (dlopen's and
 * dlclose's own allocations are freed again or belong to ld.so/libc).
 * Output: "done\n" via write(2); on failure a message and exit 1.
 */
#include <dlfcn.h>
#include <string.h>
#include <unistd.h>

static void say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		_exit(3);
}

int main(void)
{
	char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 64);
	char *slash;
	void *h;
	void (*fn)(void);

	if (n <= 0)
		return 1;
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (!slash)
		return 1;
	strcpy(slash + 1, "libdlleak.so");

	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		say("dlopen failed: ");
		say(dlerror());
		say("\n");
		return 1;
	}
	fn = (void (*)(void))dlsym(h, "lib_leak");
	if (!fn) {
		say("dlsym failed\n");
		return 1;
	}
	fn();
	if (dlclose(h) != 0) {
		say("dlclose failed\n");
		return 1;
	}
	say("done\n");
	return 0;
}
