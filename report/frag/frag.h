/* SPDX-License-Identifier: GPL-2.0 */
/*
 * frag.h - the frag analyser (`memrec report frag`): the kernel side's slab
 * and page figures (leak/kmem.h), the zones before vs after (zone.c, from
 * the /proc snapshots) and the user heap (heap.c, fed by the pairing hooks).
 */
#ifndef MR_FRAG_H
#define MR_FRAG_H

#include <stdbool.h>
#include <stdint.h>
#include "model/context.h"
#include "leak/kmem.h"

/* ==== heap.c: the user heap ==== */
/*
 * Fed by the pairing hooks, it keeps per address space and heap region
 * (main arena, thread arena heaps, mmapped chunks) the live bytes and the
 * span over time; after finish(): the largest free gaps between live
 * chunks, the live block that pins the top of the main arena (and the free
 * bytes held below it), and malloc's internal fragmentation per call site
 * (requested size vs chunk size).
 */
#define MR_HEAP_GAPS		5		/* largest free gaps kept per region */
#define MR_HEAP_WIN_SHIFT	26		/* glibc HEAP_MAX_SIZE on x86_64: 64 MiB */
#define MR_HEAP_MMAP_THRESHOLD	(128ull << 10)	/* glibc's default M_MMAP_THRESHOLD */
#define MR_HEAP_SERIES_POINTS	100		/* points kept per region */

/* The state of a region at the end of a time bucket. */
struct mr_heap_point {
	uint64_t	k;		/* bucket: (ts - t0) >> shift */
	uint64_t	ts;		/* the last event in the bucket */
	uint64_t	req, chunk;	/* live bytes: requested, and in chunks */
	uint64_t	lo, hi;		/* lowest chunk start and highest chunk end so far */
};

/* At most SERIES_POINTS buckets; when more are needed they double in width. */
struct mr_heap_series {
	struct mr_heap_point	*pts;
	size_t		nr;
	unsigned int	shift;
};

struct mr_heap_site {
	uint32_t	aspace, stack;
	enum mr_fn	fn;
	uint64_t	ts;		/* first allocation: symbols are looked up as of then */
	uint64_t	allocs, req, chunk;
};

struct mr_heap_chunk {
	uint64_t		start, end;
	const struct mr_block	*b;
};

enum mr_heap_region_kind { MR_HEAP_MAIN, MR_HEAP_ARENA, MR_HEAP_MMAP };

struct mr_heap_gap {
	uint64_t	addr, size;
};

struct mr_heap_region {
	enum mr_heap_region_kind	kind;
	uint64_t		base;		/* a thread-arena heap's window */
	uint64_t		lo, hi;		/* lowest chunk start, highest end seen */
	uint64_t		req, chunk, n;	/* live at the end */
	struct mr_heap_series		s;
	struct mr_heap_gap		gaps[MR_HEAP_GAPS];
	int			nr_gaps;
	bool			has_pin;
	struct mr_block		pin;
	uint64_t		pin_chunk, free_below, shrink_by;
	struct mr_heap_chunk	*lc;		/* while finishing only */
	size_t			nr_lc, alloc_lc;
};

struct mr_heap_proc {
	uint32_t	aspace;
	int		pid;
	struct mr_heap_region	*regions;
	size_t		nr_regions;
	struct mr_heap_site	**sites;	/* by waste, largest first */
	size_t		nr_sites;
	uint64_t	allocs, req, chunk;	/* over all its sites */
};

struct mr_frag_heap;
struct mr_frag_heap *mr_frag_heap_new(void);
void mr_frag_heap_live(struct mr_frag_heap *h, const struct mr_block *b);
void mr_frag_heap_dead(struct mr_frag_heap *h, const struct mr_block *b, uint64_t ts);
void mr_frag_heap_finish(struct mr_frag_heap *h, struct mr_ctx *ctx);
void mr_frag_heap_free(struct mr_frag_heap *h);
/* After finish: the processes, in address space order. */
const struct mr_heap_proc *mr_frag_heap_procs(const struct mr_frag_heap *h, size_t *nr);
/* A site's bytes lost to chunk rounding. */
uint64_t mr_heap_site_waste(const struct mr_heap_site *s);

/* ==== zone.c: the /proc snapshots, before vs after ==== */
/*
 * Free blocks per zone and order with the unusable free space index per
 * order (buddyinfo), free blocks per migratetype (pagetypeinfo) and the
 * slab caches that grew most (slabinfo).
 */
#define MR_ZONE_MAX_ORDERS	32	/* buddyinfo has 11 on x86-64; up to 14 with 64K pages */
#define MR_ZONE_NAME_LEN	32
#define MR_SLAB_NAME_LEN	64
/*
 * The recording host's page size is not in the snapshots: /proc counts
 * pages, taken here as 4 KiB (x86-64, most arm64 kernels).
 */
#define MR_ZONE_PAGE_BYTES	4096ull

enum { MR_ZONE_START, MR_ZONE_STOP, MR_ZONE_SIDES };
extern const char *const mr_zone_sides[MR_ZONE_SIDES];	/* "start", "stop" */

/* A row of counts: a buddyinfo zone, a pagetypeinfo free or pageblock line. */
struct mr_zrow {
	int		node;
	char		zone[MR_ZONE_NAME_LEN];
	char		type[MR_ZONE_NAME_LEN];		/* the migratetype; "" in buddyinfo */
	int		nr;			/* counts in n[] */
	bool		capped;			/* a count was ">100000": a lower bound */
	uint64_t	n[MR_ZONE_MAX_ORDERS];
};

struct mr_ztable {
	struct mr_zrow	*v;
	size_t		nr;
	bool		have;			/* the snapshot was recorded */
};

struct mr_slab {
	char		name[MR_SLAB_NAME_LEN];
	uint64_t	active_objs, num_objs, objsize, pagesperslab, num_slabs;
};

struct mr_slabtab {
	struct mr_slab	*v;
	size_t		nr;
	bool		have;
};

/* A cache in both snapshots (or in one: the other side is zero). */
struct mr_slab_change {
	const struct mr_slab	*s[MR_ZONE_SIDES];
	int64_t			growth;
};

struct mr_zones {
	struct mr_ztable	buddy[MR_ZONE_SIDES];
	struct mr_ztable	free[MR_ZONE_SIDES];		/* pagetypeinfo: free blocks per type and order */
	struct mr_ztable	blocks[MR_ZONE_SIDES];		/* pagetypeinfo: n[0] is the pageblock count */
	struct mr_slabtab	slab[MR_ZONE_SIDES];
};

/* The (node, zone[, type]) keys of both sides, start's order first. */
struct mr_zkeys {
	const struct mr_zrow	**v;
	size_t			nr;
};

struct mr_slab_summary {
	struct mr_slab_change	*v;		/* every cache, most growth first */
	size_t			nr;
	size_t			grew, shrank;
	uint64_t		bytes[MR_ZONE_SIDES];
};


void mr_zones_load(struct mr_zones *z, const struct mr_snapshots *snaps);
void mr_zones_release(struct mr_zones *z);
const struct mr_zrow *mr_zone_find_row(const struct mr_ztable *t, int node, const char *zone,
				       const char *type);
/* Pages free in a row's blocks of order >= from. */
uint64_t mr_zone_pages_from(const struct mr_zrow *r, int from);
/*
 * Mel Gorman's unusable free space index for order j: the share of free
 * memory in blocks too small to serve an allocation of order j.
 */
double mr_zone_unusable_index(const struct mr_zrow *r, int j);
void mr_zone_keys_add(struct mr_zkeys *k, const struct mr_ztable *t, bool with_type);
uint64_t mr_slab_bytes(const struct mr_slab *s);
/* The share of a cache's slab memory that holds no live object. */
double mr_slab_waste(const struct mr_slab *s);
void mr_slab_summarise(const struct mr_zones *z, struct mr_slab_summary *sum);

/* ==== frag.c: the analyser ==== */
struct mr_frag {
	struct mr_kmem		*kmem;
	struct mr_frag_heap	*heap;
	struct mr_zones		zones;
};
#endif
