// SPDX-License-Identifier: GPL-2.0
/*
 * test_quote.c - mr_quote_ctl: what a target, a file or another user named
 * reaches the terminal with its control characters in a visible form.
 */
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "mr_test.h"

static void check(const char *in, const char *want, const char *name)
{
	char *got = mr_quote_ctl(in);

	MR_CHECK(!strcmp(got, want), name, "got '%s', expected '%s'", got, want);
	free(got);
}

int main(void)
{
	check("plain /usr/bin/x -a", "plain /usr/bin/x -a", "quote/plain-unchanged");
	check("a\033[31mb", "a\\x1b[31mb", "quote/escape");
	check("\r\n\t\x7f", "\\x0d\\x0a\\x09\\x7f", "quote/c0-and-del");
	check("x\xc2\x9b" "2J", "x\\xc2\\x9b2J", "quote/c1-csi-as-utf8");
	check("caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac", "quote/utf8-kept");
	check("a\\x1b", "a\\\\x1b", "quote/backslash-doubled");
	check(NULL, "", "quote/null");
	check("\xc2", "\xc2", "quote/truncated-utf8");
	return mr_test_done();
}
