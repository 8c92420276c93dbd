// SPDX-License-Identifier: GPL-2.0
/*
 * cross_thread.c - thread "producer" mallocs N = 500 blocks (sizes 16..79)
 * and passes each pointer through a pipe to thread "consumer", which frees
 * them all.
 *
 * Expected: no leak group whose frame 0 is in this program's module (in
 * particular none from producer or consumer); events.allocs >= 500 and
 * events.frees >= 500. pthread_create's own calloc of each thread's DTV in
 * ld.so (kept by glibc's stack cache, so "leaked", with main further up the
 * stack) is not ours: its frame 0 is in ld.so.
 * No stdio: output is one write(2) of "done\n".
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define N 500

static int fds[2];

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			_exit(2);
		p += n;
		len -= n;
	}
}

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

void *producer(void *arg)
{
	for (int i = 0; i < N; i++) {
		char *p = malloc(16 + i % 64);

		if (!p)
			_exit(2);
		p[0] = (char)i;
		write_all(fds[1], &p, sizeof(p));
	}
	close(fds[1]);
	return NULL;
}

void *consumer(void *arg)
{
	long *freed = arg;
	char *p;

	while (read_all(fds[0], &p, sizeof(p)) == 0) {
		free(p);
		(*freed)++;
	}
	return NULL;
}

int main(void)
{
	pthread_t a, b;
	long freed = 0;

	if (pipe(fds) != 0)
		return 1;
	if (pthread_create(&b, NULL, consumer, &freed) != 0 ||
	    pthread_create(&a, NULL, producer, NULL) != 0)
		return 1;
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	if (freed != N)
		return 1;
	if (write(1, "done\n", 5) != 5)
		return 1;
	return 0;
}
