/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mr_ranges.h - the address ranges of each address space the targets mapped
 * themselves (anonymous mmap, mremap), kept disjoint and sorted, so that a
 * munmap of any part of them finds what it unmaps: a partial munmap splits
 * a range, one across several ranges takes a piece of each.
 */
#ifndef MR_RANGES_H
#define MR_RANGES_H

#include <stdint.h>

struct mr_range {
	uint64_t	start, end;	/* [start, end) */
};

struct mr_ranges;

struct mr_ranges *mr_ranges_new(void);
void mr_ranges_free(struct mr_ranges *rs);
/* Adds [start, end) to aspace; the caller has cut what overlapped it. */
void mr_ranges_add(struct mr_ranges *rs, uint32_t aspace, uint64_t start, uint64_t end);
/*
 * Removes [start, end) from aspace. fn is called once per range it touched,
 * with the range as it was and the pieces of it left (0 to 2), in address
 * order; the pieces stay in the set. Returns the bytes removed.
 */
typedef void (*mr_ranges_cut_fn)(const struct mr_range *was, const struct mr_range *left,
				 int nr_left, void *ctx);
uint64_t mr_ranges_cut(struct mr_ranges *rs, uint32_t aspace, uint64_t start, uint64_t end,
		       mr_ranges_cut_fn fn, void *ctx);
/* A forked child starts with its parent's ranges. */
void mr_ranges_copy(struct mr_ranges *rs, uint32_t from, uint32_t to);
/* The ranges of aspace, in address order. */
const struct mr_range *mr_ranges_of(const struct mr_ranges *rs, uint32_t aspace, uint32_t *nr);

#endif
