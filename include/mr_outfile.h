/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mr_outfile.h - writing an output file safely for root in a directory
 * other users can write to: an existing output that is a symbolic link,
 * not a regular file or another user's is refused up front; the data goes
 * to a new file beside it (O_EXCL) that is rename()d over it at the end, so
 * an existing file is replaced, never written through.
 */
#ifndef MR_OUTFILE_H
#define MR_OUTFILE_H

#include <stdio.h>

/* 0, or one error line: path exists and is not ours to replace. */
int mr_outfile_check(const char *path);

struct mr_outfile {
	char	*path;		/* where it goes */
	char	*tmp;		/* where it is written meanwhile */
	FILE	*f;
};

/* Checks path and opens the file beside it; NULL (after an error line) when it cannot. */
FILE *mr_outfile_open(struct mr_outfile *of, const char *path);
/* Flushes, closes and moves the file into place; 0, or -1 after an error line. */
int mr_outfile_commit(struct mr_outfile *of);
/* Closes and removes the file if not committed; frees of. */
void mr_outfile_release(struct mr_outfile *of);

#endif
