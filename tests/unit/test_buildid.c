// SPDX-License-Identifier: GPL-2.0
/*
 * test_buildid.c - reads this test binary's build-id and compares it with
 * what readelf says; files without one, or missing, give NULL.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "mr_buildid.h"
#include "mr_test.h"

/* The build-id as readelf prints it, or NULL when readelf is not there. */
static char *readelf_build_id(const char *path)
{
	char *cmd = mr_xasprintf("readelf -n '%s' 2>/dev/null", path), line[512], *id = NULL;
	FILE *fp = popen(cmd, "r");

	free(cmd);
	if (!fp)
		return NULL;
	while (fgets(line, sizeof(line), fp)) {
		char *p = strstr(line, "Build ID: ");

		if (p && !id) {
			id = mr_xstrdup(p + strlen("Build ID: "));
			id[strcspn(id, " \n")] = '\0';
		}
	}
	pclose(fp);
	return id;
}

static void test_read_build_id(const char *exe)
{
	char *id = mr_read_build_id(exe), *ref = readelf_build_id(exe);
	size_t n = id ? strlen(id) : 0;

	MR_CHECK(id && n >= 16 && strspn(id, "0123456789abcdef") == n,
		 "mr_read_build_id: lowercase hex", "got '%s'", id ? id : "(null)");
	if (ref)
		MR_CHECK(id && !strcmp(id, ref), "mr_read_build_id: same as readelf -n",
			 "got '%s', readelf says '%s'", id ? id : "(null)", ref);
	else
		printf("skip - mr_read_build_id: same as readelf -n: no readelf\n");
	MR_CHECK(!mr_read_build_id("/dev/null"), "mr_read_build_id: NULL for /dev/null",
		 "not NULL");
	MR_CHECK(!mr_read_build_id("/nonexistent"), "mr_read_build_id: NULL for a missing file",
		 "not NULL");
	free(id);
	free(ref);
}

int main(void)
{
	char exe[PATH_MAX];

	if (!realpath("/proc/self/exe", exe))
		mr_die("cannot resolve /proc/self/exe");
	test_read_build_id(exe);
	MR_CHECK(!mr_elf_build_id(NULL), "mr_elf_build_id: NULL for no ELF", "not NULL");
	return mr_test_done();
}
