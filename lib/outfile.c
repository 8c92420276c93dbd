// SPDX-License-Identifier: GPL-2.0
/*
 * outfile.c - owns writing a single output file safely (mr_outfile.h): the
 * report's -o, and the check the recorder makes before it writes its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "memrec.h"
#include "mr_outfile.h"

int mr_outfile_check(const char *path)
{
	struct stat st;
	char *q;
	int ret = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : mr_error_errno("cannot check '%s'", path);
	q = mr_quote_ctl(path);
	if (S_ISLNK(st.st_mode))
		ret = mr_error("'%s' is a symbolic link; not writing through it (remove it or "
			       "use another -o)", q);
	else if (!S_ISREG(st.st_mode))
		ret = mr_error("'%s' exists and is not a regular file; not replacing it", q);
	else if (st.st_uid != geteuid())
		ret = mr_error("'%s' belongs to uid %u, not to you; not replacing it (remove it "
			       "or use another -o)", q, (unsigned int)st.st_uid);
	free(q);
	return ret;
}

FILE *mr_outfile_open(struct mr_outfile *of, const char *path)
{
	char *copy = mr_xstrdup(path);
	mode_t mask;
	char *q;
	int fd;

	memset(of, 0, sizeof(*of));
	if (mr_outfile_check(path) < 0) {
		free(copy);
		return NULL;
	}
	of->path = mr_xstrdup(path);
	of->tmp = mr_xasprintf("%s/.memrec-out.XXXXXX", dirname(copy));
	free(copy);
	fd = mkostemp(of->tmp, O_CLOEXEC);
	if (fd < 0) {
		q = mr_quote_ctl(path);
		mr_error_errno("cannot create '%s'", q);
		free(q);
		free(of->tmp);
		of->tmp = NULL;
		return NULL;
	}
	/* mkstemp makes it 0600: give it the mode a plain creat() would */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) < 0)
		mr_warning_errno("cannot set the mode of '%s'", of->tmp);
	of->f = fdopen(fd, "w");
	if (!of->f)
		mr_die_errno("fdopen");
	return of->f;
}

int mr_outfile_commit(struct mr_outfile *of)
{
	bool bad = ferror(of->f);
	char *q = mr_quote_ctl(of->path);
	int ret = 0;

	if (fclose(of->f) || bad)
		ret = mr_error_errno("cannot write '%s'", q);
	of->f = NULL;
	/* rename() replaces a symbolic link planted meanwhile, never its target */
	if (!ret && rename(of->tmp, of->path) < 0)
		ret = mr_error_errno("cannot move the output into place as '%s'", q);
	if (!ret) {
		free(of->tmp);
		of->tmp = NULL;
	}
	free(q);
	return ret;
}

void mr_outfile_release(struct mr_outfile *of)
{
	if (of->f)
		fclose(of->f);
	if (of->tmp)
		unlink(of->tmp);
	free(of->tmp);
	free(of->path);
	memset(of, 0, sizeof(*of));
}
