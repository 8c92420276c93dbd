// SPDX-License-Identifier: GPL-2.0
/*
 * diskfull.c - owns making room on a full disk. The trace file is
 * assembled by copying each per-CPU file after the header, so it needs room
 * for the header and one more copy of a CPU file. The newest pages of the
 * largest CPU file make that room: the file keeps everything up to there,
 * and the metadata says how much was dropped.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "memrec.h"
#include "record.h"

/* Room the metadata and cmdlines may need, on top of the header and the events. */
#define HEADER_BUDGET	(256u << 10)
/* One round normally settles it; block accounting may take a few more. */
#define MAX_ROUNDS	64

static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint64_t)st.st_size;
}

static int largest_file(const char *const *files, int nr)
{
	int best = -1;

	for (int i = 0; i < nr; i++)
		if (best < 0 || file_size(files[i]) > file_size(files[best]))
			best = i;
	return best;
}

/* Cuts the end of the largest file once; returns the bytes cut, 0 when done. */
static uint64_t trim_once(const char *const *files, int nr, uint64_t header_bytes)
{
	int cpu = largest_file(files, nr);
	uint64_t size, need, avail, cut;
	struct statvfs vfs;

	if (cpu < 0 || statvfs(files[cpu], &vfs))
		return 0;
	size = file_size(files[cpu]);
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	/* a copy may take a little more than the file: blocks, a margin */
	need = HEADER_BUDGET + header_bytes + size + size / 32;
	mr_info(2, "make room: %llu bytes free, %llu needed (cpu file %d: %llu)",
		(unsigned long long)avail, (unsigned long long)need, cpu,
		(unsigned long long)size);
	if (avail >= need || !size)
		return 0;
	/* a cut both frees its blocks and shrinks the copy: half the shortfall */
	cut = (need - avail) / 2 + 4096;
	cut = cut > size ? size : (cut + 4095) & ~4095ull;
	if (truncate(files[cpu], size - cut))
		return 0;
	return cut;
}

uint64_t mr_make_room(const char *const *files, int nr, uint64_t header_bytes)
{
	uint64_t cut, total = 0;

	for (int round = 0; round < MAX_ROUNDS; round++) {
		cut = trim_once(files, nr, header_bytes);
		if (!cut)
			break;
		total += cut;
	}
	return total;
}
