/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memrec.h - things every part of memrec shares: messages, exit codes,
 * small helpers and the identity of memrec's own file metadata.
 */
#ifndef MEMREC_H
#define MEMREC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>

#define MEMREC_VERSION		"0.1.0"

/* Exit codes: 0 ok, 1 failure, 2 usage (never errno). */
#define MR_EXIT_OK		0
#define MR_EXIT_FAIL		1
#define MR_EXIT_USAGE		2

/* trace.dat option id carrying memrec's metadata ("MR"), and its version. */
#define MR_OPTION_META		0x4D52
#define MR_META_VERSION		1

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* splitmix64's finaliser: the hash tables' keys (pids, addresses) need mixing. */
static inline uint64_t mr_hash_u64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* FNV-1a of a string. */
static inline uint64_t mr_hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	return h;
}

/* qsort for any count: qsort(NULL, 0, ...) is undefined, as git's sane_qsort says. */
static inline void mr_qsort(void *base, size_t nr, size_t size,
			    int (*cmp)(const void *, const void *))
{
	if (nr > 1)
		qsort(base, nr, size, cmp);
}

/* usage.c: git-style messages on stderr, prefixed "memrec: ". */
void mr_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
int mr_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mr_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, ending with ": <strerror(errno)>"; errno is kept. */
void mr_die_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
int mr_error_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mr_warning_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mr_info(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int mr_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mr_set_verbosity(int level);	/* also sets the trace libraries' log levels */
int mr_verbosity(void);

/*
 * libwarn.c: libtraceevent, libtracefs and libtracecmd print through memrec's
 * messages, "memrec: warning: libtracefs: ...": their critical messages
 * always, their warnings at -v, their information at -vv.
 */
void mr_libwarn_set_verbosity(int level);

/* util.c */
void *mr_xmalloc(size_t size);
void *mr_xcalloc(size_t n, size_t size);
void *mr_xrealloc(void *p, size_t size);
/* realloc of n items of size bytes; dies on overflow as on no memory */
void *mr_xreallocarray(void *p, size_t n, size_t size);
char *mr_xstrdup(const char *s);
char *mr_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reads a whole file (or /proc file) into a NUL-terminated buffer. */
char *mr_read_file(const char *path, size_t *len);
int mr_write_all(int fd, const void *buf, size_t len);
uint64_t mr_now_ns(void);	/* CLOCK_MONOTONIC */
/*
 * A copy of s (a name, path or command line that came from a target, a file
 * or another user) safe to print on a terminal: control characters (C0, DEL,
 * and C1 as UTF-8) become \xNN and a backslash becomes \\, so no
 * escape sequence gets through; NULL gives "". The caller frees it.
 */
char *mr_quote_ctl(const char *s);
/*
 * The one rule behind every escape of names for a terminal: when the
 * character at p could drive one (C0, DEL, a C1 control in UTF-8), writes
 * its "\xNN" form to out and returns the bytes of p it stands for; else 0.
 */
int mr_ctl_escape(const unsigned char *p, char out[9]);
/* Parses a decimal or 0x number; returns -1 on junk. */
int mr_parse_u64(const char *s, uint64_t *out);

/*
 * Makes room for one more item at index nr of array p, whose capacity is
 * alloc items (both lvalues): grows it by half again, at least to 16 (git's
 * ALLOC_GROW).
 */
#define MR_ALLOC_GROW(p, nr, alloc)						\
	do {									\
		if ((size_t)(nr) >= (size_t)(alloc)) {				\
			(alloc) = (alloc) < 16 ? 16 : (alloc) + (alloc) / 2;	\
			if ((size_t)(alloc) <= (size_t)(nr))			\
				(alloc) = (nr) + 1;				\
			(p) = mr_xreallocarray((p), (alloc), sizeof(*(p)));	\
		}								\
	} while (0)

/* A growable byte buffer (used for metadata and JSON strings). */
struct mr_buf {
	char	*data;
	size_t	len;
	size_t	alloc;
};
void mr_buf_add(struct mr_buf *b, const void *data, size_t len);
void mr_buf_addf(struct mr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mr_buf_release(struct mr_buf *b);

#endif
