// SPDX-License-Identifier: GPL-2.0
/*
 * unpack.c - lays the symbol archive embedded in a trace file out as a
 * build-id directory (DIR/.build-id/xx/rest and rest.debug) in a private
 * temporary directory, where the symbolisation looks first, and removes it
 * afterwards: when the report ends, on exit() (an error), and on the
 * signals that end a report early (SIGTERM, SIGINT, SIGHUP, SIGQUIT and
 * SIGPIPE of `memrec report | head`). The modules are opened lazily, when a
 * frame first needs them, so the directory has to live as long as the
 * report; a signal handler that removes it with async-signal-safe calls
 * (openat, getdents64, unlinkat) is what covers the signals.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

/*
 * The directories to remove when the report ends, however it ends: one per
 * file open (`memrec report diff` has two).
 */
#define RM_SLOTS	2
static char rm_dir[RM_SLOTS][PATH_MAX];
static volatile sig_atomic_t rm_armed[RM_SLOTS];

static void remove_armed(void);

struct dirent64_hdr {
	uint64_t	ino;
	int64_t		off;
	unsigned short	reclen;
	unsigned char	type;
	char		name[];
};

static int remove_under(int dfd, int depth);

/* Async-signal-safe: a file, else a directory emptied first (at most 4 deep). */
static int remove_entry(int dfd, const char *name, int depth)
{
	int sub;

	if (!unlinkat(dfd, name, 0))
		return 1;
	if (depth >= 4)
		return 0;
	sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return 0;
	remove_under(sub, depth + 1);
	close(sub);
	return !unlinkat(dfd, name, AT_REMOVEDIR);
}

/* Passes over the directory until one removes nothing: removing moves entries. */
static int remove_under(int dfd, int depth)
{
	char buf[2048] __attribute__((aligned(8)));
	int removed, any = 0;
	long n;

	do {
		removed = 0;
		lseek(dfd, 0, SEEK_SET);
		while ((n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0)
			for (long pos = 0; pos < n;) {
				struct dirent64_hdr *d = (struct dirent64_hdr *)(buf + pos);

				pos += d->reclen;
				if (strcmp(d->name, ".") && strcmp(d->name, ".."))
					removed += remove_entry(dfd, d->name, depth);
			}
		any += removed;
	} while (removed);
	return any;
}

static void remove_tree(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0) {
		remove_under(fd, 1);
		close(fd);
	}
	rmdir(dir);
}

void mr_unpack_remove_now(void)
{
	remove_armed();
}

static void remove_armed(void)
{
	for (int i = 0; i < RM_SLOTS; i++) {
		if (rm_armed[i])
			remove_tree(rm_dir[i]);
		rm_armed[i] = 0;
	}
}

/* SA_RESETHAND: the raised signal then ends the process as it would have. */
static void on_signal(int sig)
{
	int saved = errno;

	remove_armed();
	raise(sig);
	errno = saved;
}

static void arm_removal(const char *dir)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE };
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESETHAND };
	static bool once;
	int i;

	for (i = 0; i < RM_SLOTS && rm_armed[i]; i++)
		;
	if (i == RM_SLOTS)
		mr_die("more than %d symbol directories unpacked at once", RM_SLOTS);
	if (strlen(dir) >= sizeof(rm_dir[i]))
		mr_die("temporary directory name '%s' is too long", dir);
	memcpy(rm_dir[i], dir, strlen(dir) + 1);
	rm_armed[i] = 1;
	if (once)
		return;
	once = true;
	atexit(remove_armed);
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		struct sigaction old;

		/* a signal ignored by whoever started us stays ignored */
		if (!sigaction(sigs[i], NULL, &old) && old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
	}
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
	arm_removal(dir);
	if (unpack(file, payload, size, dir) < 0) {
		mr_unpack_remove(dir);
		dir = NULL;
	}
	return dir;
}

void mr_unpack_remove(char *dir)
{
	if (!dir)
		return;
	for (int i = 0; i < RM_SLOTS; i++)
		if (rm_armed[i] && !strcmp(rm_dir[i], dir))
			rm_armed[i] = 0;
	remove_tree(dir);
	free(dir);
}
