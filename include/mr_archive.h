/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mr_archive.h - the symbol archive a trace file carries so that it can be
 * reported on another host: per build-id, a copy of the ELF file reduced to
 * what symbolisation needs (symbol tables, notes, program headers; DWARF
 * with --debuginfo), zstd-compressed, in the trace.dat option
 * MR_OPTION_ARCHIVE. Layout in docs/memrec-file.md.
 */
#ifndef MR_ARCHIVE_H
#define MR_ARCHIVE_H

#include <stdbool.h>
#include <stdint.h>
#include "memrec.h"

#define MR_OPTION_ARCHIVE	0x4D53
#define MR_ARCHIVE_VERSION	1

enum mr_archive_kind {
	MR_ARCHIVE_ELF = 1,	/* the module itself, code sections emptied */
	MR_ARCHIVE_DEBUG = 2,	/* its separate debug file (/usr/lib/debug/.build-id) */
};

struct mr_archive_entry {
	enum mr_archive_kind	kind;
	char			*build_id;	/* lowercase hex */
	char			*path;		/* as mapped on the recording host */
	uint64_t		raw_size;	/* uncompressed */
	uint64_t		zsize;
	const void		*zdata;		/* points into the payload */
};

struct mr_archive {
	struct mr_archive_entry	*entries;
	int			nr;
};

/* Starts a payload in b; each add appends one entry, compressing data. */
void mr_archive_begin(struct mr_buf *b);
void mr_archive_add(struct mr_buf *b, enum mr_archive_kind kind, const char *build_id,
		    const char *path, const void *data, size_t len);

/*
 * Parses a payload (bounds-checked: it comes from another host). Entries
 * point into data, which must outlive a. Returns 0 or -1 with an error
 * naming file.
 */
int mr_archive_parse(struct mr_archive *a, const void *data, size_t len, const char *file);
void mr_archive_release(struct mr_archive *a);
/*
 * What a reader unpacks at most (docs/memrec-file.md): an entry stating a
 * larger size is skipped, and so are the entries past the total.
 */
#define MR_ARCHIVE_MAX_ENTRY	(512ull << 20)
#define MR_ARCHIVE_MAX_TOTAL	(2ull << 30)

/*
 * Decompresses one entry into fd in chunks, never more than its stated
 * size; -1 with a warning if it is corrupt or fd cannot be written.
 */
int mr_archive_inflate_fd(const struct mr_archive_entry *e, int fd, const char *file);

#endif
