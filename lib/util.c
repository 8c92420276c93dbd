// SPDX-License-Identifier: GPL-2.0
/*
 * util.c - allocation that dies on failure, whole-file reads, a byte buffer,
 * and the escaping of strings that come from elsewhere before they reach a terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stdint.h>
#include "memrec.h"

void *mr_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		mr_die("out of memory allocating %zu bytes", size);
	return p;
}

void *mr_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		mr_die("out of memory allocating %zu x %zu bytes", n, size);
	return p;
}

void *mr_xreallocarray(void *old, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		mr_die("out of memory allocating %zu x %zu bytes", n, size);
	return mr_xrealloc(old, n * size);
}

void *mr_xrealloc(void *old, size_t size)
{
	void *p = realloc(old, size ? size : 1);

	if (!p)
		mr_die("out of memory allocating %zu bytes", size);
	return p;
}

char *mr_xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		mr_die("out of memory");
	return p;
}

char *mr_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		mr_die("out of memory");
	va_end(ap);
	return s;
}

char *mr_read_file(const char *path, size_t *lenp)
{
	size_t len = 0, alloc = 4096;
	char *buf;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = mr_xmalloc(alloc);
	for (;;) {
		if (len + 1 >= alloc) {
			alloc *= 2;
			buf = mr_xrealloc(buf, alloc);
		}
		r = read(fd, buf + len, alloc - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int saved = errno;

			free(buf);
			close(fd);
			errno = saved;
			return NULL;
		}
		if (r == 0)
			break;
		len += r;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}

int mr_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= w;
	}
	return 0;
}

uint64_t mr_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int mr_parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	return 0;
}

void mr_buf_add(struct mr_buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->alloc) {
		b->alloc = (b->len + len + 1) * 2;
		b->data = mr_xrealloc(b->data, b->alloc);
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void mr_buf_addf(struct mr_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		mr_die("out of memory");
	mr_buf_add(b, s, n);
	free(s);
}

void mr_buf_release(struct mr_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = 0;
}

/*
 * A C1 control (U+0080..U+009F) in UTF-8: 0xc2 0x80..0x9f. Raw bytes 0x80..0x9f
 * are left alone: they are the continuation bytes of other characters.
 */
static bool is_c1(const unsigned char *p)
{
	return p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f;
}

int mr_ctl_escape(const unsigned char *p, char out[9])
{
	if (*p < 0x20 || *p == 0x7f) {
		sprintf(out, "\\x%02x", *p);
		return 1;
	}
	if (is_c1(p)) {
		sprintf(out, "\\x%02x\\x%02x", p[0], p[1]);
		return 2;
	}
	return 0;
}

char *mr_quote_ctl(const char *s)
{
	struct mr_buf b = { 0 };
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	char esc[9];
	int n;

	mr_buf_add(&b, "", 0);
	while (*p) {
		if (*p == '\\') {
			mr_buf_add(&b, "\\\\", 2);
			p++;
		} else if ((n = mr_ctl_escape(p, esc))) {
			mr_buf_add(&b, esc, strlen(esc));
			p += n;
		} else {
			mr_buf_add(&b, p++, 1);
		}
	}
	return b.data;
}
