// SPDX-License-Identifier: GPL-2.0
/*
 * test_libwarn.c - libtraceevent, libtracefs and libtracecmd print through
 * memrec's messages: each library's own code is made to warn (so the
 * override is what the library calls, not just what this file calls), at
 * the -v counts where it should and should not be heard. Also the errno
 * forms of usage.c, and the memrec binary itself, which links the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event-parse.h>
#include <event-utils.h>
#include <trace-cmd.h>
#include <tracefs.h>
#include "memrec.h"
#include "mr_test.h"

#define GOLDEN	"tests/golden/leak_kinds.dat"

struct captured {
	char	*out;		/* what went to stdout */
	char	*err;		/* and to stderr */
};

static char *redirect(int fd, int *saved)
{
	char *path = mr_xstrdup("/tmp/mr_test_libwarn_XXXXXX");
	int tmp = mkstemp(path);

	*saved = dup(fd);
	dup2(tmp, fd);
	close(tmp);
	return path;
}

static char *restore(int fd, int saved, char *path)
{
	char *text;

	dup2(saved, fd);
	close(saved);
	text = mr_read_file(path, NULL);
	unlink(path);
	free(path);
	return text ? text : mr_xstrdup("");
}

/* Runs fn at verbosity v with stdout and stderr going to files. */
static struct captured capture(void (*fn)(void), int v)
{
	struct captured c;
	int so, se;
	char *po, *pe;

	fflush(stdout);
	fflush(stderr);
	mr_set_verbosity(v);
	po = redirect(1, &so);
	pe = redirect(2, &se);
	fn();
	fflush(stdout);
	fflush(stderr);
	c.err = restore(2, se, pe);
	c.out = restore(1, so, po);
	mr_set_verbosity(0);
	return c;
}

static void release(struct captured *c)
{
	free(c->out);
	free(c->err);
}

static void tep_warns(void)
{
	tep_warning("made to warn %d", 7);
}

static void tracefs_warns(void)
{
	errno = EBUSY;
	tracefs_instance_destroy(NULL);	/* "Cannot remove top instance" */
}

static void tracecmd_warns(void)
{
	struct tracecmd_input *h = tracecmd_open(GOLDEN, TRACECMD_FL_LOAD_NO_PLUGINS);

	if (h)
		tracecmd_close(h);
}

static void test_tep(void)
{
	struct captured c = capture(tep_warns, 1);

	MR_CHECK(!strcmp(c.err, "memrec: warning: libtraceevent: made to warn 7\n"),
		 "libtraceevent: warning at -v", "got '%s'", c.err);
	release(&c);
	c = capture(tep_warns, 0);
	MR_CHECK(!*c.err, "libtraceevent: quiet without -v", "got '%s'", c.err);
	release(&c);
}

static void test_tracefs(void)
{
	struct captured c = capture(tracefs_warns, 1);

	MR_CHECK(!strcmp(c.err, "memrec: warning: libtracefs: Cannot remove top instance: "
			 "Device or resource busy\n"),
		 "libtracefs: warning at -v, with errno", "got '%s'", c.err);
	release(&c);
	c = capture(tracefs_warns, 0);
	MR_CHECK(!*c.err, "libtracefs: quiet without -v", "got '%s'", c.err);
	release(&c);
}

static void test_tracecmd(void)
{
	struct captured c;

	if (access(GOLDEN, R_OK)) {
		printf("skip - libtracecmd: no %s\n", GOLDEN);
		return;
	}
	c = capture(tracecmd_warns, 2);
	/* memrec's own metadata option, 0x4D52, is unknown to libtracecmd */
	MR_CHECK(strstr(c.err, "memrec: warning: libtracecmd: unknown option 19794\n"),
		 "libtracecmd: warning at -vv", "got '%s'", c.err);
	MR_CHECK(strstr(c.err, "memrec: libtracecmd: version = "),
		 "libtracecmd: information at -vv, on stderr", "got '%s'", c.err);
	MR_CHECK(!*c.out, "libtracecmd: nothing on stdout", "got '%s'", c.out);
	release(&c);
	c = capture(tracecmd_warns, 0);
	MR_CHECK(!*c.err && !*c.out, "libtracecmd: quiet without -v", "got '%s'", c.err);
	release(&c);
}

static void errno_forms(void)
{
	errno = ENOENT;
	MR_CHECK_EQ(mr_error_errno("cannot open '%s'", "x"), -1, "mr_error_errno returns -1");
	MR_CHECK_EQ(errno, ENOENT, "mr_error_errno keeps errno");
	errno = EACCES;
	mr_warning_errno("cannot remove '%s'", "y");
}

static void test_errno_forms(void)
{
	struct captured c = capture(errno_forms, 0);

	MR_CHECK(!strcmp(c.err, "memrec: error: cannot open 'x': No such file or directory\n"
			 "memrec: warning: cannot remove 'y': Permission denied\n"),
		 "errno forms append strerror(errno)", "got '%s'", c.err);
	fputs(c.out, stdout);	/* the checks made inside */
	release(&c);
}

/* The binary links libmemrec.a the same way; check it does override too. */
static void test_binary(void)
{
	FILE *p;
	char line[512];
	int warned = 0, stray = 0;

	if (access("./memrec", X_OK) || access(GOLDEN, R_OK)) {
		printf("skip - memrec -vv: no ./memrec or %s\n", GOLDEN);
		return;
	}
	p = popen("./memrec report -vv -i " GOLDEN " 2>&1 >/dev/null", "r");
	while (p && fgets(line, sizeof(line), p)) {
		warned += !!strstr(line, "memrec: warning: libtracecmd: unknown option");
		stray += !strncmp(line, "unknown option", 14) || !strncmp(line, "libtracecmd", 11);
	}
	if (p)
		pclose(p);
	MR_CHECK(warned == 1 && !stray, "memrec report -vv: libtracecmd through memrec",
		 "%d prefixed, %d bare lines", warned, stray);
}

int main(void)
{
	test_tep();
	test_tracefs();
	test_tracecmd();
	test_errno_forms();
	test_binary();
	return mr_test_done();
}
