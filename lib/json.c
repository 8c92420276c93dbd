// SPDX-License-Identifier: GPL-2.0
/*
 * json.c - the JSON writer of include/mr_json.h: the nesting stack, where
 * commas and line breaks go, string escapes and number formats. Nothing
 * is buffered beyond the FILE: a report can be large.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "mr_json.h"

void mr_json_init(struct mr_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

static bool misuse(struct mr_json *j, const char *what)
{
	if (!j->misuse)
		j->misuse = what;
	return false;
}

static void indent(struct mr_json *j, int depth)
{
	fprintf(j->f, "\n%*s", 2 * depth, "");
}

static bool plain(unsigned char c, bool script)
{
	if (script && (c == '<' || c == '>' || c == '&'))
		return false;
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* U+2028 and U+2029 end a line in JavaScript older than ES2019, not in JSON */
static bool js_line_end(const unsigned char *s)
{
	return s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9);
}

/* The length of the well-formed UTF-8 character at s (RFC 3629), or 0. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	/* no overlong forms, no surrogates, nothing past U+10FFFF */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/*
 * Runs of plain bytes go out in one fwrite; the rest escaped one by one.
 * Names from a damaged or foreign file need not be UTF-8: a byte that
 * starts no well-formed character becomes U+FFFD, so the output stays JSON.
 */
static void write_str(FILE *f, const char *str, bool script)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		size_t n = 0;

		while (s[n] && plain(s[n], script))
			n++;
		fwrite(s, 1, n, f);
		s += n;
		if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s++);
		} else if (script && js_line_end(s)) {
			fprintf(f, "\\u%04x", 0x2028 + (s[2] - 0xa8));
			s += 3;
		} else if (*s >= 0x80) {
			n = utf8_len(s);
			if (n)
				fwrite(s, 1, n, f);
			else
				fputs("\\ufffd", f);
			s += n ? n : 1;
		} else if (*s) {
			fprintf(f, "\\u%04x", *s++);
		}
	}
	fputc('"', f);
}

/* Whether key fits where the next value goes (a misuse if not). */
static bool key_fits(struct mr_json *j, const char *key)
{
	bool in_object = j->depth && j->open[j->depth - 1] == '{';

	if (j->misuse)
		return false;
	if (j->done)
		return misuse(j, "a second value after the top one");
	if (j->keyed)
		return key ? misuse(j, "a key after mr_json_key()") : true;
	if (in_object && !key)
		return misuse(j, "a value without a key in an object");
	if (!in_object && key)
		return misuse(j, j->depth ? "a key in an array" : "a key outside any object");
	return true;
}

/* The comma and line break or space before a member of the innermost container. */
static void separate(struct mr_json *j)
{
	if (!j->depth)
		return;
	if (j->comma)
		fputc(',', j->f);
	if (!j->line[j->depth - 1])
		indent(j, j->depth);
	else if (j->comma)
		fputc(' ', j->f);
}

/* Starts a value: checks its key, writes the separator and "key": . */
static bool member(struct mr_json *j, const char *key)
{
	if (!key_fits(j, key))
		return false;
	if (j->keyed) {
		j->keyed = false;	/* mr_json_key() wrote both */
		return true;
	}
	separate(j);
	if (key) {
		write_str(j->f, key, j->script);
		fputs(": ", j->f);
	}
	return true;
}

/* A value is complete: the container has a member, or the document is done. */
static void written(struct mr_json *j)
{
	j->comma = true;
	j->done = !j->depth;
}

static void begin(struct mr_json *j, const char *key, char open, enum mr_json_layout layout)
{
	if (j->depth == MR_JSON_MAX_DEPTH)
		misuse(j, "nesting deeper than MR_JSON_MAX_DEPTH");
	if (!member(j, key))
		return;
	fputc(open, j->f);
	j->open[j->depth] = open;
	j->line[j->depth] = layout == MR_JSON_LINE;
	j->depth++;
	j->comma = false;
}

static void end(struct mr_json *j, char open)
{
	if (j->misuse)
		return;
	if (!j->depth) {
		misuse(j, "an end without a begin");
		return;
	}
	if (j->open[j->depth - 1] != open) {
		misuse(j, open == '{' ? "an object end in an array" : "an array end in an object");
		return;
	}
	if (j->keyed) {
		misuse(j, "a key without a value");
		return;
	}
	j->depth--;
	if (j->comma && !j->line[j->depth])
		indent(j, j->depth);
	fputc(open == '{' ? '}' : ']', j->f);
	written(j);
}

void mr_json_object_begin(struct mr_json *j, const char *key, enum mr_json_layout layout)
{
	begin(j, key, '{', layout);
}

void mr_json_object_end(struct mr_json *j)
{
	end(j, '{');
}

void mr_json_array_begin(struct mr_json *j, const char *key, enum mr_json_layout layout)
{
	begin(j, key, '[', layout);
}

void mr_json_array_end(struct mr_json *j)
{
	end(j, '[');
}

void mr_json_key(struct mr_json *j, const char *key)
{
	if (!key)
		misuse(j, "mr_json_key() without a key");
	else if (member(j, key))
		j->keyed = true;
}

void mr_json_str(struct mr_json *j, const char *key, const char *s)
{
	if (!member(j, key))
		return;
	if (s)
		write_str(j->f, s, j->script);
	else
		fputs("null", j->f);
	written(j);
}

void mr_json_strf(struct mr_json *j, const char *key, const char *fmt, ...)
{
	char buf[256], *s = buf;
	va_list ap;
	int n;

	if (!fmt) {
		mr_json_null(j, key);
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf)) {
		s = mr_xmalloc(n + 1);
		va_start(ap, fmt);
		vsnprintf(s, n + 1, fmt, ap);
		va_end(ap);
	}
	mr_json_str(j, key, n < 0 ? NULL : s);
	if (s != buf)
		free(s);
}

void mr_json_int(struct mr_json *j, const char *key, int64_t v)
{
	if (!member(j, key))
		return;
	fprintf(j->f, "%" PRId64, v);
	written(j);
}

void mr_json_uint(struct mr_json *j, const char *key, uint64_t v)
{
	if (!member(j, key))
		return;
	fprintf(j->f, "%" PRIu64, v);
	written(j);
}

void mr_json_double(struct mr_json *j, const char *key, double v, int decimals)
{
	if (!member(j, key))
		return;
	if (isfinite(v))
		fprintf(j->f, "%.*f", decimals < 0 ? 0 : decimals, v);
	else
		fputs("null", j->f);
	written(j);
}

void mr_json_bool(struct mr_json *j, const char *key, bool v)
{
	if (!member(j, key))
		return;
	fputs(v ? "true" : "false", j->f);
	written(j);
}

void mr_json_null(struct mr_json *j, const char *key)
{
	mr_json_str(j, key, NULL);
}

int mr_json_finish(struct mr_json *j)
{
	if (!j->misuse && (j->depth || j->keyed))
		misuse(j, "an object or array left open");
	if (!j->misuse && !j->done)
		misuse(j, "no value written");
	if (j->misuse)
		return mr_error("JSON writer misuse: %s", j->misuse);
	fputc('\n', j->f);
	return ferror(j->f) ? -1 : 0;
}
