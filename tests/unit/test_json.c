// SPDX-License-Identifier: GPL-2.0
/*
 * test_json.c - the JSON writer (lib/json.c) on exact text: nesting and
 * layout, commas, escapes of every control character, quotes and
 * backslashes, integers at their limits, doubles at a given precision, a
 * value written by a helper after mr_json_key(), and that each misuse makes
 * mr_json_finish() fail (misuse is an error, not an abort: see mr_json.h).
 * The misuse cases print "memrec: error: JSON writer misuse: ..." on stderr.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "mr_json.h"
#include "mr_test.h"

struct doc {
	struct mr_json	j;
	char		*text;
	size_t		len;
	FILE		*f;
	int		ret;		/* mr_json_finish()'s */
};

static struct mr_json *doc_open(struct doc *d)
{
	memset(d, 0, sizeof(*d));
	d->f = open_memstream(&d->text, &d->len);
	mr_json_init(&d->j, d->f);
	return &d->j;
}

static const char *doc_close(struct doc *d)
{
	d->ret = mr_json_finish(&d->j);
	fclose(d->f);
	return d->text;
}

#define CHECK_TEXT(d, want, name)						\
	do {									\
		const char *got_ = doc_close(d);				\
		MR_CHECK(!(d)->ret && !strcmp(got_, want), name,		\
			 "finish %d, got\n%s\nwanted\n%s", (d)->ret, got_, want); \
		free((d)->text);						\
	} while (0)

static void test_nesting(void)
{
	struct doc d;
	struct mr_json *j = doc_open(&d);

	mr_json_object_begin(j, NULL, MR_JSON_BLOCK);
	mr_json_int(j, "a", 1);
	mr_json_array_begin(j, "list", MR_JSON_BLOCK);
	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_str(j, "k", "v");
	mr_json_array_begin(j, "nums", MR_JSON_LINE);
	mr_json_uint(j, NULL, 1);
	mr_json_uint(j, NULL, 2);
	mr_json_array_end(j);
	mr_json_array_begin(j, "rows", MR_JSON_BLOCK);
	mr_json_bool(j, NULL, true);
	mr_json_null(j, NULL);
	mr_json_array_end(j);
	mr_json_object_end(j);
	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_object_end(j);
	mr_json_array_begin(j, NULL, MR_JSON_BLOCK);
	mr_json_array_end(j);
	mr_json_array_end(j);
	mr_json_object_begin(j, "empty", MR_JSON_BLOCK);
	mr_json_object_end(j);
	mr_json_bool(j, "last", false);
	mr_json_object_end(j);
	CHECK_TEXT(&d, "{\n"
		   "  \"a\": 1,\n"
		   "  \"list\": [\n"
		   "    {\"k\": \"v\", \"nums\": [1, 2], \"rows\": [\n"
		   "        true,\n"
		   "        null\n"
		   "      ]},\n"
		   "    {},\n"
		   "    []\n"
		   "  ],\n"
		   "  \"empty\": {},\n"
		   "  \"last\": false\n"
		   "}\n", "nesting, commas and both layouts");

	j = doc_open(&d);
	mr_json_array_begin(j, NULL, MR_JSON_LINE);
	mr_json_array_begin(j, NULL, MR_JSON_LINE);
	mr_json_array_begin(j, NULL, MR_JSON_LINE);
	mr_json_array_end(j);
	mr_json_array_end(j);
	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_object_begin(j, "o", MR_JSON_LINE);
	mr_json_int(j, "x", -1);
	mr_json_object_end(j);
	mr_json_object_end(j);
	mr_json_array_end(j);
	CHECK_TEXT(&d, "[[[]], {\"o\": {\"x\": -1}}]\n", "nested containers on one line");

	j = doc_open(&d);
	mr_json_str(j, NULL, "alone");
	CHECK_TEXT(&d, "\"alone\"\n", "a scalar as the whole document");
}

/* The string of every byte 1..0x7f, and what it must become. */
static void all_bytes(char *in, char *want)
{
	char *w = want;

	*w++ = '"';
	for (int c = 1; c < 0x80; c++) {
		in[c - 1] = c;
		if (c < 0x20)
			w += sprintf(w, "\\u%04x", c);
		else if (c == '"' || c == '\\')
			w += sprintf(w, "\\%c", c);
		else
			*w++ = c;
	}
	in[0x7f] = 0;
	strcpy(w, "\"\n");
}

static void test_escapes(void)
{
	char in[0x80], want[0x200];
	struct doc d;
	struct mr_json *j = doc_open(&d);

	all_bytes(in, want);
	mr_json_str(j, NULL, in);
	CHECK_TEXT(&d, want, "every control character as \\u00XX, quote and backslash escaped");

	j = doc_open(&d);
	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_str(j, "q\"k\\", "a \"quoted\" C:\\path\n");
	mr_json_str(j, "none", NULL);
	mr_json_str(j, "empty", "");
	mr_json_str(j, "utf8", "caf\xc3\xa9 \xe2\x86\x92");
	mr_json_strf(j, "f", "0x%x %s", 0xbeef, "\t");
	mr_json_object_end(j);
	CHECK_TEXT(&d, "{\"q\\\"k\\\\\": \"a \\\"quoted\\\" C:\\\\path\\u000a\", \"none\": null, "
		   "\"empty\": \"\", \"utf8\": \"caf\xc3\xa9 \xe2\x86\x92\", "
		   "\"f\": \"0xbeef \\u0009\"}\n",
		   "keys escaped too, NULL is null, UTF-8 as is, strf escaped");

	/* a damaged file's names: every byte that starts no well-formed character */
	j = doc_open(&d);
	mr_json_str(j, NULL, "a\xff" "b\xc3" "c\xe2\x86" "d\xc0\xaf" "e\xed\xa0\x80" "f\xf4\x90\x80\x80"
		    "g\xf0\x9f\x98\x80");
	CHECK_TEXT(&d, "\"a\\ufffdb\\ufffdc\\ufffd\\ufffdd\\ufffd\\ufffde\\ufffd\\ufffd\\ufffdf"
		   "\\ufffd\\ufffd\\ufffd\\ufffdg\xf0\x9f\x98\x80\"\n",
		   "invalid UTF-8 (stray, cut, overlong, surrogate, past U+10FFFF) as U+FFFD");
}

/* script mode: nothing in a string can end a <script> element or a JS line */
static void test_script(void)
{
	struct doc d;
	struct mr_json *j = doc_open(&d);

	j->script = true;
	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_str(j, "</script>", "</script><!--<script>a&b\xe2\x80\xa8" "c\xe2\x80\xa9" "d\xe2\x80\xa7");
	mr_json_strf(j, "f", "<%s>", "x");
	mr_json_object_end(j);
	CHECK_TEXT(&d, "{\"\\u003c/script\\u003e\": \"\\u003c/script\\u003e\\u003c!--"
		   "\\u003cscript\\u003ea\\u0026b\\u2028c\\u2029d\xe2\x80\xa7\", "
		   "\"f\": \"\\u003cx\\u003e\"}\n",
		   "script mode: <, >, &, U+2028 and U+2029 as \\uXXXX, U+2027 as is");
}

static void test_long_strf(void)
{
	char big[1000];
	struct doc d;
	struct mr_json *j = doc_open(&d);
	const char *got;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	mr_json_strf(j, NULL, "<%s>", big);
	got = doc_close(&d);
	MR_CHECK(!d.ret && strlen(got) == 1 + 1 + 999 + 1 + 1 + 1 && got[1] == '<' &&
		 got[1001] == '>', "strf longer than its stack buffer", "%.40s", got);
	free(d.text);
}

static void test_numbers(void)
{
	struct doc d;
	struct mr_json *j = doc_open(&d);

	mr_json_array_begin(j, NULL, MR_JSON_LINE);
	mr_json_int(j, NULL, INT64_MIN);
	mr_json_int(j, NULL, INT64_MAX);
	mr_json_int(j, NULL, 0);
	mr_json_int(j, NULL, -1);
	mr_json_uint(j, NULL, UINT64_MAX);
	mr_json_uint(j, NULL, 0);
	mr_json_array_end(j);
	CHECK_TEXT(&d, "[-9223372036854775808, 9223372036854775807, 0, -1, "
		   "18446744073709551615, 0]\n", "64-bit integers at their limits");

	j = doc_open(&d);
	mr_json_array_begin(j, NULL, MR_JSON_LINE);
	mr_json_double(j, NULL, 1.5, 6);
	mr_json_double(j, NULL, 2.0 / 3, 3);
	mr_json_double(j, NULL, 1234.5678, 1);
	mr_json_double(j, NULL, -0.125, 6);
	mr_json_double(j, NULL, 7, 0);
	mr_json_double(j, NULL, 12.3456, 4);
	mr_json_double(j, NULL, 1e20, 2);
	mr_json_double(j, NULL, NAN, 6);
	mr_json_double(j, NULL, -INFINITY, 3);
	mr_json_array_end(j);
	CHECK_TEXT(&d, "[1.500000, 0.667, 1234.6, -0.125000, 7, 12.3456, "
		   "100000000000000000000.00, null, null]\n",
		   "doubles at the given decimals; not finite is null");
}

/* A helper that writes a value without knowing its key. */
static void helper(struct mr_json *j, int n)
{
	mr_json_array_begin(j, NULL, MR_JSON_LINE);
	for (int i = 0; i < n; i++)
		mr_json_int(j, NULL, i);
	mr_json_array_end(j);
}

static void test_key(void)
{
	struct doc d;
	struct mr_json *j = doc_open(&d);

	mr_json_object_begin(j, NULL, MR_JSON_BLOCK);
	mr_json_key(j, "made");
	helper(j, 3);
	mr_json_key(j, "scalar");
	mr_json_double(j, NULL, 0.5, 1);
	mr_json_object_end(j);
	CHECK_TEXT(&d, "{\n  \"made\": [0, 1, 2],\n  \"scalar\": 0.5\n}\n",
		   "mr_json_key() then a value without a key");
}

/* Each call sequence is a misuse: finish names it and fails; nothing after it is written. */
static void check_misuse(struct doc *d, const char *cut, const char *name)
{
	const char *got = doc_close(d);
	const char *misuse = d->j.misuse;

	MR_CHECK(d->ret == -1 && misuse && !strcmp(got, cut), name,
		 "finish %d, misuse %s, wrote '%s'", d->ret, misuse ? misuse : "none", got);
	free(d->text);
}

static void test_misuse_ends(void)
{
	struct doc d;
	struct mr_json *j = doc_open(&d);

	mr_json_object_end(j);
	check_misuse(&d, "", "misuse: an end without a begin");

	j = doc_open(&d);
	mr_json_array_begin(j, NULL, MR_JSON_LINE);
	mr_json_array_end(j);
	mr_json_array_end(j);
	check_misuse(&d, "[]", "misuse: one end too many");

	j = doc_open(&d);
	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_array_end(j);
	mr_json_object_end(j);
	check_misuse(&d, "{", "misuse: an array end in an object");

	j = doc_open(&d);
	mr_json_array_begin(j, NULL, MR_JSON_LINE);
	mr_json_object_end(j);
	check_misuse(&d, "[", "misuse: an object end in an array");

	j = doc_open(&d);
	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_int(j, "a", 1);
	check_misuse(&d, "{\"a\": 1", "misuse: an object left open");

	j = doc_open(&d);
	check_misuse(&d, "", "misuse: nothing written");
}

static void test_misuse_keys(void)
{
	struct doc d;
	struct mr_json *j = doc_open(&d);

	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_int(j, NULL, 1);
	mr_json_int(j, "b", 2);
	mr_json_object_end(j);
	check_misuse(&d, "{", "misuse: a value without a key in an object");

	j = doc_open(&d);
	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_array_begin(j, NULL, MR_JSON_LINE);
	check_misuse(&d, "{", "misuse: a container without a key in an object");

	j = doc_open(&d);
	mr_json_array_begin(j, NULL, MR_JSON_LINE);
	mr_json_int(j, "a", 1);
	check_misuse(&d, "[", "misuse: a key in an array");

	j = doc_open(&d);
	mr_json_int(j, "a", 1);
	check_misuse(&d, "", "misuse: a key outside any object");

	j = doc_open(&d);
	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_key(j, "a");
	mr_json_object_end(j);
	check_misuse(&d, "{\"a\": ", "misuse: a key without a value");

	j = doc_open(&d);
	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_key(j, "a");
	mr_json_int(j, "b", 1);
	check_misuse(&d, "{\"a\": ", "misuse: a key after mr_json_key()");

	j = doc_open(&d);
	mr_json_int(j, NULL, 1);
	mr_json_int(j, NULL, 2);
	check_misuse(&d, "1", "misuse: a second top value");
}

static void test_misuse_depth(void)
{
	struct doc d;
	struct mr_json *j = doc_open(&d);
	char want[MR_JSON_MAX_DEPTH + 1];

	for (int i = 0; i <= MR_JSON_MAX_DEPTH; i++)
		mr_json_array_begin(j, NULL, MR_JSON_LINE);
	for (int i = 0; i <= MR_JSON_MAX_DEPTH; i++)
		mr_json_array_end(j);
	memset(want, '[', MR_JSON_MAX_DEPTH);
	want[MR_JSON_MAX_DEPTH] = 0;
	check_misuse(&d, want, "misuse: nesting deeper than MR_JSON_MAX_DEPTH");
}

static void test_write_error(void)
{
	FILE *f = fopen("/dev/full", "w");
	struct mr_json j;

	if (!f) {
		printf("skip - a write error fails finish: no /dev/full\n");
		return;
	}
	setvbuf(f, NULL, _IONBF, 0);
	mr_json_init(&j, f);
	mr_json_str(&j, NULL, "lost");
	MR_CHECK(mr_json_finish(&j) == -1 && !j.misuse, "a write error fails finish, quietly",
		 "misuse %s", j.misuse ? j.misuse : "none");
	fclose(f);
}

int main(void)
{
	test_nesting();
	test_escapes();
	test_script();
	test_long_strf();
	test_numbers();
	test_key();
	test_misuse_ends();
	test_misuse_keys();
	test_misuse_depth();
	test_write_error();
	return mr_test_done();
}
