// SPDX-License-Identifier: GPL-2.0
/*
 * outfile.c - owns where the recorder writes, safely for root in a directory
 * other users can write to. Every file is made in a private directory (0700,
 * mkdtemp) next to the output, with O_EXCL|O_NOFOLLOW; the trace file is
 * written there and rename()d over the output at the end, so an existing
 * output is replaced, never written through. An existing output that is a
 * symbolic link, not a regular file, or another user's is refused up front.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "memrec.h"
#include "mr_outfile.h"
#include "record.h"

int mr_outdir_create(struct mr_outdir *od, const char *output)
{
	char *copy = mr_xstrdup(output);
	char *q;

	memset(od, 0, sizeof(*od));
	if (mr_outfile_check(output) < 0) {
		free(copy);
		return -1;
	}
	od->dir = mr_xasprintf("%s/" MR_TMPDIR_PREFIX "%d.XXXXXX", dirname(copy), getpid());
	free(copy);
	if (!mkdtemp(od->dir)) {
		q = mr_quote_ctl(output);
		mr_error_errno("cannot create '%s'", q);
		free(q);
		free(od->dir);
		od->dir = NULL;
		return -1;
	}
	/* the watchdog and the sweep remove only directories that are exactly 0700 */
	if (chmod(od->dir, 0700) < 0)
		mr_warning_errno("cannot make '%s' private", od->dir);
	od->base = mr_xasprintf("%s/data", od->dir);
	return 0;
}

char *mr_outdir_file(const struct mr_outdir *od)
{
	/* not FILE's own name: "-o x/data.cpu0" must not meet a per-CPU file */
	return mr_xasprintf("%s/trace", od->dir);
}

int mr_outdir_commit(const struct mr_outdir *od, const char *tmp, const char *output)
{
	char *q;

	/* rename() replaces a symbolic link planted meanwhile, never its target */
	if (!rename(tmp, output))
		return 0;
	q = mr_quote_ctl(output);
	mr_error_errno("cannot move the trace file into place as '%s'", q);
	free(q);
	unlink(tmp);
	return -1;
}

void mr_outdir_release(struct mr_outdir *od)
{
	if (od->dir)
		mr_cleanup_tmpdir(od->dir);
	free(od->dir);
	free(od->base);
	memset(od, 0, sizeof(*od));
}
