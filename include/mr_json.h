/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mr_json.h - a streaming JSON writer: it owns the punctuation (commas,
 * colons, brackets, quotes, escapes), the number formats and the layout, so
 * a report writer says only which member has which value. It writes to a
 * FILE as it goes and keeps a stack of the open objects and arrays.
 *
 * Every value call takes a key: inside an object it names the member and
 * must be set; inside an array and for the top value it must be NULL. A
 * helper that writes a value without knowing its key is called after
 * mr_json_key(j, key), and then passes NULL like an array element.
 *
 * Misuse (an end without a begin, an end of the other kind, a value without
 * a key in an object, a key in an array, a key without a value, a second top
 * value, nesting deeper than MR_JSON_MAX_DEPTH) is an error, not an abort:
 * the first one is kept in j->misuse, nothing more is written, and
 * mr_json_finish() reports it and returns -1.
 *
 * Strings are written byte for byte except '"', '\\' and the control
 * characters below 0x20 (as \uXXXX); the caller's strings are taken as
 * UTF-8. A double that is not finite is written as null (JSON has no NaN).
 * With script set, '<', '>', '&', U+2028 and U+2029 are \uXXXX too, so the
 * document can sit inside an HTML <script> element: no "</script>" or
 * "<!--" can end or change it, and it is JavaScript as well as JSON.
 */
#ifndef MR_JSON_H
#define MR_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define MR_JSON_MAX_DEPTH	16

/* How an object or array places its members (a container may differ from its parent). */
enum mr_json_layout {
	MR_JSON_BLOCK,		/* one member per line, indented two spaces per depth */
	MR_JSON_LINE,		/* all members on one line, ", " between them */
};

struct mr_json {
	FILE		*f;
	const char	*misuse;	/* the first misuse; NULL while all is well */
	int		depth;		/* containers open */
	bool		comma;		/* the innermost one has a member already */
	bool		keyed;		/* mr_json_key() named the next value */
	bool		done;		/* the top value is complete */
	bool		script;		/* safe inside <script> (set after init) */
	char		open[MR_JSON_MAX_DEPTH];	/* '{' or '[' per open container */
	bool		line[MR_JSON_MAX_DEPTH];	/* laid out as MR_JSON_LINE */
};

void mr_json_init(struct mr_json *j, FILE *f);
/*
 * Ends the document with a newline. 0, or -1 after a misuse (reported on
 * stderr), with a container left open, with nothing written or when f has a
 * write error (left to the caller to report).
 */
int mr_json_finish(struct mr_json *j);

void mr_json_object_begin(struct mr_json *j, const char *key, enum mr_json_layout layout);
void mr_json_object_end(struct mr_json *j);
void mr_json_array_begin(struct mr_json *j, const char *key, enum mr_json_layout layout);
void mr_json_array_end(struct mr_json *j);

/* Names the next value, which is then written with key NULL (by a helper). */
void mr_json_key(struct mr_json *j, const char *key);

void mr_json_str(struct mr_json *j, const char *key, const char *s);	/* NULL: null */
/* A string made by printf, e.g. an address as "0x%" PRIx64 */
void mr_json_strf(struct mr_json *j, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void mr_json_int(struct mr_json *j, const char *key, int64_t v);
void mr_json_uint(struct mr_json *j, const char *key, uint64_t v);
/* v with exactly decimals digits after the point (printf's %.*f) */
void mr_json_double(struct mr_json *j, const char *key, double v, int decimals);
void mr_json_bool(struct mr_json *j, const char *key, bool v);
void mr_json_null(struct mr_json *j, const char *key);

#endif
