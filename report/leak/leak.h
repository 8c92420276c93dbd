/* SPDX-License-Identifier: GPL-2.0 */
/*
 * leak.h - the leak analyser: the user blocks still live at the end of the
 * trace, grouped per (process, stack, allocator), with the kernel side
 * (leak/kmem.h) beside them.
 */
#ifndef MR_LEAK_H
#define MR_LEAK_H

#include <stdbool.h>
#include <stdint.h>
#include "model/context.h"
#include "leak/growth.h"
#include "leak/kmem.h"
#include "leak/suppress.h"

/* Live blocks of one (address space, stack, allocator): a leak row, a site. */
struct mr_leak {
	uint32_t	aspace;
	uint32_t	stack;
	enum mr_fn	fn;
	bool		inherited;
	uint64_t	bytes, count;
	uint64_t	size_min, size_max;
	uint64_t	ts_min, ts_max;	/* allocation times */
	/*
	 * Growth (leak/growth.h): the site's outstanding bytes at the end of
	 * each of nseries intervals of mr_leaks.interval_ns from the start of
	 * the recording, counting every block of the site (also those --min-age
	 * leaves out of bytes), so the last is what the site holds at the end;
	 * peak_bytes the most it held at any moment, growth the verdict. The
	 * series belongs to the leak report. NULL, 0, 0, MR_GROWTH_NONE for
	 * inherited rows (their history is the parent's) and for rows built
	 * without a tracker (mr_leaks_build alone).
	 */
	const uint64_t	*series;
	unsigned	nseries;
	uint64_t	peak_bytes;
	enum mr_growth	growth;
};

struct mr_leaks {
	struct mr_leak	*rows;
	size_t		nr;		/* rows after filters, sorted by bytes */
	uint64_t	bytes, count;	/* totals over all rows */
	uint64_t	inherited_count, inherited_bytes;	/* left out unless asked */
	uint64_t	young_count;	/* left out by --min-age */
	uint64_t	interval_ns;	/* of every row's series */
	/* left out as suppressed, per enum mr_supp_kind (runtime, --suppress) */
	uint64_t	suppressed_bytes[MR_SUPP_NR], suppressed_count[MR_SUPP_NR];
};

/*
 * Everything allocated per (address space, stack, allocator) over the
 * recording, freed or not: rows of struct mr_leak (inherited false), kept
 * only when asked for (ctx->o->alloc_totals, for --format pprof).
 */
struct mr_leak_allocs;

/* The finished leak analyser: what its writers get. */
struct mr_leak_report {
	struct mr_suppressions	*supp;
	struct mr_leaks		user;
	/*
	 * With alloc_totals: every allocation per (aspace, stack, fn), after
	 * --pid and the suppressions, sorted by bytes; else empty.
	 */
	struct mr_leaks		allocated;
	struct mr_leak_allocs	*allocs;	/* the totals while the events come */
	struct mr_kleaks	kernel;
	struct mr_kmem		*kmem;	/* the kernel side's counts */
	struct mr_growth_tracker	growth;	/* every user site's series (pairing hooks) */
};

/* The row of one block (count 1), to be grouped with mr_leak_group(). */
void mr_leak_of_block(struct mr_leak *row, const struct mr_block *b);
/*
 * Groups rows of equal (aspace, stack, fn, inherited) into one and sorts
 * them by bytes, then blocks, biggest first; returns how many are left.
 */
size_t mr_leak_group(struct mr_leak *rows, size_t nr);

/* The user side alone, as the leak analyser builds it (tests use it). */
void mr_leaks_build(struct mr_ctx *ctx, struct mr_leaks *out);
void mr_leaks_release(struct mr_leaks *l);
/* Points each row at its site's series in g (finished) and gives it its verdict. */
void mr_leaks_add_growth(struct mr_leaks *l, const struct mr_growth_tracker *g);
/* --sort growth: growing rows first, then plateau, transient, none; by bytes within. */
void mr_leaks_sort_growth(struct mr_leaks *l);
#endif
