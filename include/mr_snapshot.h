/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mr_snapshot.h - copies of /proc/buddyinfo, /proc/pagetypeinfo and
 * /proc/slabinfo taken by `memrec record` at start and stop (where
 * readable), carried in the trace file as option MR_OPTION_SNAPSHOTS and
 * read back by `memrec report frag`. Layout in docs/memrec-file.md.
 */
#ifndef MR_SNAPSHOT_H
#define MR_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include "memrec.h"

#define MR_OPTION_SNAPSHOTS	0x4D54
#define MR_SNAPSHOT_VERSION	1

struct mr_snapshot {
	char		*when;		/* "start" or "stop" */
	char		*name;		/* "buddyinfo", "pagetypeinfo", "slabinfo" */
	uint64_t	ts;		/* trace clock (CLOCK_MONOTONIC ns) */
	char		*text;		/* the file's contents, NUL-terminated */
};

struct mr_snapshots {
	struct mr_snapshot	*v;
	int			nr;
};

/* Reads the three files now; one it cannot read is left out (with -v, a note). */
void mr_snapshots_take(struct mr_snapshots *s, const char *when, uint64_t ts);
void mr_snapshots_encode(const struct mr_snapshots *s, struct mr_buf *b);
/* One error line naming file and returns -1 on a damaged or newer blob. */
int mr_snapshots_decode(struct mr_snapshots *s, const void *data, size_t len, const char *file);
/* The snapshot of name taken at when, or NULL. */
const struct mr_snapshot *mr_snapshots_find(const struct mr_snapshots *s, const char *when,
					    const char *name);
void mr_snapshots_release(struct mr_snapshots *s);

#endif
