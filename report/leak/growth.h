/* SPDX-License-Identifier: GPL-2.0 */
/*
 * growth.h - how each leak site's outstanding bytes moved over the
 * recording, and the verdict that tells a leak from a cache: "growing"
 * (still rising at the end), "plateau" (stopped rising: a cache, a pool, a
 * one-time allocation) or "transient" (rose, then freed most of it).
 *
 * The series is sampled while the events stream, before the end of the
 * recording is known: every site keeps MR_GROWTH_POINTS intervals of one
 * width shared by all sites, starting at the start of the recording; when
 * an event falls past the last interval, the width doubles and each pair
 * of intervals becomes one (sites catch up lazily, when next touched). So
 * a recording of any length ends with between MR_GROWTH_POINTS / 2 and
 * MR_GROWTH_POINTS intervals (fewer only under 64 us), and a site costs a
 * fixed 552 bytes (and a hash slot) however long the recording runs.
 */
#ifndef MR_GROWTH_H
#define MR_GROWTH_H

#include <stdbool.h>
#include <stdint.h>
#include "mr_hmap.h"
#include "mr_pairing.h"

#define MR_GROWTH_POINTS	64
#define MR_GROWTH_BASE_NS	1000ull	/* the first interval: 1 us, doubled as needed */

/* The verdict on a site's series (rules at mr_growth_verdict). */
enum mr_growth {
	MR_GROWTH_NONE,		/* no series: inherited blocks (their history is the parent's) */
	MR_GROWTH_GROWING,
	MR_GROWTH_PLATEAU,
	MR_GROWTH_TRANSIENT,
};

/* One site: (address space, stack, allocator), the key of a leak row. */
struct mr_growth_site {
	uint32_t	aspace, stack;
	enum mr_fn	fn;
	uint32_t	level;		/* the width it was last brought to */
	int32_t		last;		/* the last interval written; later ones hold cur */
	uint64_t	cur;		/* outstanding bytes now */
	uint64_t	peak;		/* the most it ever held, at any moment */
	/* outstanding bytes at the end of each interval */
	uint64_t	v[MR_GROWTH_POINTS];
};

/* A zeroed struct is an empty tracker, not started. */
struct mr_growth_tracker {
	uint64_t		origin;		/* ts of the start of interval 0 */
	bool			started;
	uint32_t		level;		/* the width: MR_GROWTH_BASE_NS << level */
	uint32_t		npoints;	/* intervals up to the end, after finish */
	struct mr_growth_site	*sites;
	size_t			nr, alloc;
	struct mr_hmap		map;		/* (aspace, stack, fn) -> sites[] */
};

/* Interval 0 starts at origin (the start of the recording); before the first change. */
void mr_growth_start(struct mr_growth_tracker *g, uint64_t origin);
/* A site's outstanding bytes change by +bytes (live) or -bytes (dead) at ts. */
void mr_growth_live(struct mr_growth_tracker *g, const struct mr_block *b);
void mr_growth_dead(struct mr_growth_tracker *g, const struct mr_block *b, uint64_t ts);
/* After the last event: every site's series runs to the interval of end_ts. */
void mr_growth_finish(struct mr_growth_tracker *g, uint64_t end_ts);
void mr_growth_release(struct mr_growth_tracker *g);

/* After finish: the site of a key, or NULL when it never allocated. */
const struct mr_growth_site *mr_growth_find(const struct mr_growth_tracker *g, uint32_t aspace,
					    uint32_t stack, enum mr_fn fn);
/* The width of an interval, in ns. */
uint64_t mr_growth_interval_ns(const struct mr_growth_tracker *g);

/*
 * The verdict on s[0..n-1], a site's outstanding bytes at the end of each
 * interval, peak the most it ever held (rules in growth.c and in
 * docs/memrec-report.1).
 */
enum mr_growth mr_growth_verdict(const uint64_t *s, unsigned n, uint64_t peak);
/* "growing", "plateau", "transient", or NULL for MR_GROWTH_NONE. */
const char *mr_growth_name(enum mr_growth g);
#endif
