// SPDX-License-Identifier: GPL-2.0
/*
 * test_lsan.c - reading the string a program's __lsan_default_suppressions()
 * returns, from each shape of code that returns a literal (tests/progs/
 * lsan_supp built as the other programs, at -O0 and without PIE: rip-relative
 * lea with and without a frame, absolute mov), and nothing from a program
 * that has no such function or from what is not ELF.
 */
#include <stdlib.h>
#include "mr_lsan.h"
#include "mr_test.h"

#define EXPECTED "# memrec's test\nleak:suppressed_leak\nrace:not_a_leak_line\n" \
		 "leak:^anchored_leak$\n"

static void check_prog(const char *path)
{
	char name[128];
	bool has_fn;
	char *text = mr_read_lsan_suppressions(path, &has_fn);

	snprintf(name, sizeof(name), "lsan: the string of %s", path);
	MR_CHECK(text && !strcmp(text, EXPECTED), name, "got '%s'", text ? text : "(null)");
	snprintf(name, sizeof(name), "lsan: %s defines the function", path);
	MR_CHECK(has_fn, name, "has_fn false");
	free(text);
}

static void check_none(const char *path)
{
	char name[128];
	bool has_fn = true;
	char *text = mr_read_lsan_suppressions(path, &has_fn);

	snprintf(name, sizeof(name), "lsan: nothing from %s", path);
	MR_CHECK(!text && !has_fn, name, "got '%s', has_fn %d", text ? text : "(null)", has_fn);
	free(text);
}

int main(void)
{
	check_prog("tests/progs/lsan_supp");
	check_prog("tests/progs/lsan_supp_O0");
	check_prog("tests/progs/lsan_supp_nopie");
	check_none("tests/progs/leak_kinds");
	check_none("tests/unit/test_lsan.c");
	check_none("/dev/null");
	check_none("/nonexistent");
	return mr_test_done();
}
