// SPDX-License-Identifier: GPL-2.0
/*
 * unpack.c - lays the symbol archive embedded in a trace file out as a
 * build-id directory (DIR/.build-id/xx/rest and rest.debug) in a private
 * temporary directory, where the symbolisation looks first, and removes it
 * afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "memrec.h"
#include "mr_archive.h"
#include "mr_meta.h"
#include "mr_tracedat.h"
#include <stdio.h>
#include "input/input.h"

/* The build-id names a file: it must be plain hex, nothing that climbs out. */
static int check_entry(const struct mr_archive_entry *e, uint64_t *total, const char *file)
{
	if (!mr_meta_build_id_ok(e->build_id)) {
		mr_warning("'%s' has a symbol archive entry with a bad build-id; it is skipped",
			   file);
		return -1;
	}
	if (e->raw_size > MR_ARCHIVE_MAX_ENTRY) {
		mr_warning("'%s' has a symbol archive entry for '%s' of %llu MiB, over the limit "
			   "of %llu MiB; it is skipped", file, e->path,
			   (unsigned long long)(e->raw_size >> 20), MR_ARCHIVE_MAX_ENTRY >> 20);
		return -1;
	}
	if (e->raw_size > MR_ARCHIVE_MAX_TOTAL - *total) {
		mr_warning("'%s' has a symbol archive entry for '%s' past the archive's total limit "
			   "of %llu MiB; it is skipped", file, e->path, MR_ARCHIVE_MAX_TOTAL >> 20);
		return -1;
	}
	*total += e->raw_size;
	return 0;
}

static int write_entry(const char *dir, const struct mr_archive_entry *e, uint64_t *total,
		       const char *file)
{
	char *sub, *path;
	int fd, ret = 0;

	if (check_entry(e, total, file) < 0)
		return -1;
	sub = mr_xasprintf("%s/.build-id/%.2s", dir, e->build_id);
	path = mr_xasprintf("%s/%s%s", sub, e->build_id + 2,
			    e->kind == MR_ARCHIVE_DEBUG ? ".debug" : "");
	mkdir(sub, 0700);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		mr_warning_errno("cannot unpack symbols into '%s'", path);
		ret = -1;
	} else if (mr_archive_inflate_fd(e, fd, file) < 0) {
		unlink(path);	/* half a file would be taken for the module */
		ret = -1;
	}
	if (fd >= 0)
		close(fd);
	free(sub);
	free(path);
	return ret;
}

/*
 * The archive only helps naming frames: a damaged entry is a warning and
 * skipped, the whole ones are used (docs/memrec-file.md).
 */
static int unpack(const char *file, const void *payload, uint32_t size, const char *dir)
{
	struct mr_archive a;
	uint64_t total = 0;
	char *bid_dir;

	if (mr_archive_parse(&a, payload, size, file) < 0)
		return -1;
	bid_dir = mr_xasprintf("%s/.build-id", dir);
	mkdir(bid_dir, 0700);
	free(bid_dir);
	for (int i = 0; i < a.nr; i++) {
		if (a.entries[i].kind != MR_ARCHIVE_ELF && a.entries[i].kind != MR_ARCHIVE_DEBUG)
			continue;	/* a kind from a newer memrec */
		if (write_entry(dir, &a.entries[i], &total, file) < 0)
			continue;
		mr_info(2, "unpacked %s of '%s'", a.entries[i].kind == MR_ARCHIVE_ELF ?
			"symbols" : "debug info", a.entries[i].path);
	}
	mr_archive_release(&a);
	return 0;
}

char *mr_unpack_symbols(const char *file, const void *payload, uint32_t size)
{
	const char *tmp = getenv("TMPDIR");
	char *dir;

	if (!payload)
		return NULL;	/* none embedded (--no-embed) */
	dir = mr_xasprintf("%s/memrec-symbols.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		mr_warning_errno("cannot make a directory for the embedded symbols");
		free(dir);
		return NULL;
	}
	if (unpack(file, payload, size, dir) < 0) {
		mr_unpack_remove(dir);
		dir = NULL;
	}
	return dir;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

void mr_unpack_remove(char *dir)
{
	if (!dir)
		return;
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}
