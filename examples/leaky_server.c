// SPDX-License-Identifier: GPL-2.0
/*
 * leaky_server.c - the bundled example for `scripts/demo.sh`: a toy request
 * handler with two bugs a leak checker should find.
 *   - handle_request() strdup()s the request name into a session and loses
 *     the session on the error path (every 7th request fails): 14 sessions
 *     of 64 bytes and their 14 names (12 bytes each) leak out of 100.
 *   - a worker thread grows a cache with realloc and never frees it.
 * Everything else is freed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct session {
	char	*name;
	char	pad[56];
};

static int parse_request(int id, struct session *s)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "request-%03d", id);
	s->name = strdup(buf);
	return id % 7 == 0 ? -1 : 0;
}

static void handle_request(int id)
{
	struct session *s = malloc(sizeof(*s));

	if (parse_request(id, s) < 0)
		return;		/* the bug: s and s->name are lost */
	free(s->name);
	free(s);
}

static void *cache_worker(void *arg)
{
	char *cache = NULL;
	size_t size = 0;

	for (int i = 0; i < 8; i++) {
		size += 512;
		cache = realloc(cache, size);	/* grows, never freed */
		memset(cache, i, size);
	}
	return cache == arg ? NULL : NULL;
}

int main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, cache_worker, NULL);
	for (int id = 1; id <= 100; id++)
		handle_request(id);
	pthread_join(t, NULL);
	return 0;
}
