/* SPDX-License-Identifier: GPL-2.0 */
/*
 * diff.h - `memrec report diff OLD NEW`: the leak reports of two recordings
 * of the same program, compared site by site. Two runs load their modules
 * at different addresses (ASLR) and get other pids, so a site is named by
 * what stays the same: the process name, the allocator, and the stack's
 * functions and modules (an unnamed frame by its offset in its module); a
 * kernel site by its kind, cache or order, call site and stack symbols.
 */
#ifndef MR_LEAK_DIFF_H
#define MR_LEAK_DIFF_H

#include <stdbool.h>
#include <stdint.h>
#include "model/context.h"
#include "leak/leak.h"

/* One recording: its context and its finished leak analyser. */
struct mr_diff_input {
	struct mr_ctx			*ctx;
	const struct mr_leak_report	*r;
};

enum mr_diff_status {
	MR_DIFF_GROWN,		/* in both, more bytes (or blocks) outstanding in NEW */
	MR_DIFF_NEW,		/* only in NEW */
	MR_DIFF_SHRUNK,
	MR_DIFF_SAME,
	MR_DIFF_GONE,		/* only in OLD */
};

/* A site of both recordings (or of one), with what it is shown by. */
struct mr_diff_row {
	char			*key;
	enum mr_diff_status	status;
	uint64_t		old_bytes, old_count, new_bytes, new_count;
	/* shown from the biggest row of NEW (of OLD when gone); names live in ctx */
	struct mr_ctx		*ctx;
	const char		*comm;
	enum mr_fn		fn;		/* user rows */
	bool			page;		/* kernel rows: pages of order, else slab */
	int			order;
	const char		*cache;		/* slab: the cache, or "kmalloc" */
	const char		*call_site;	/* slab: the call site's function, or NULL */
	struct mr_frame		*frames, *kframes;	/* user stack, kernel stack */
	int			nr_frames, nr_kframes;
};

struct mr_diff_side {
	/* grown and new sites first, biggest growth first (nr_grown of them), then the rest */
	struct mr_diff_row	*rows;
	size_t			nr, nr_grown;
	size_t			sites[MR_DIFF_GONE + 1];	/* per enum mr_diff_status */
	uint64_t		grown_bytes, grown_count;	/* sums of the growth shown */
	uint64_t		gone_bytes, gone_count;		/* what the gone sites held */
	uint64_t		old_bytes, old_count, new_bytes, new_count;	/* totals */
};

struct mr_leak_diff {
	struct mr_diff_input	old, new;
	struct mr_diff_side	user, kernel;
};

/* Compares the user and the kernel rows of two finished leak analysers. */
void mr_leak_diff_build(struct mr_leak_diff *d, struct mr_diff_input old,
			struct mr_diff_input new);
void mr_leak_diff_release(struct mr_leak_diff *d);
const char *mr_diff_status_name(enum mr_diff_status s);
#endif
