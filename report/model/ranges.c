// SPDX-License-Identifier: GPL-2.0
/*
 * ranges.c - the mapped ranges of each address space (include/mr_ranges.h):
 * a sorted array per address space. A process maps tens to thousands of
 * ranges, not millions, so an insertion that moves the tail is cheap and a
 * lookup is a binary search.
 */
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "mr_ranges.h"

struct rlist {
	struct mr_range	*r;
	uint32_t	nr, alloc;
};

struct mr_ranges {
	struct rlist	*as;		/* by aspace id */
	uint32_t	nr_as, alloc_as;
};

struct mr_ranges *mr_ranges_new(void)
{
	return mr_xcalloc(1, sizeof(struct mr_ranges));
}

void mr_ranges_free(struct mr_ranges *rs)
{
	if (!rs)
		return;
	for (uint32_t i = 0; i < rs->nr_as; i++)
		free(rs->as[i].r);
	free(rs->as);
	free(rs);
}

static struct rlist *list_of(struct mr_ranges *rs, uint32_t aspace)
{
	while (rs->nr_as <= aspace) {
		MR_ALLOC_GROW(rs->as, rs->nr_as, rs->alloc_as);
		rs->as[rs->nr_as++] = (struct rlist){ 0 };
	}
	return &rs->as[aspace];
}

/* Index of the first range that ends after addr. */
static uint32_t first_after(const struct rlist *l, uint64_t addr)
{
	uint32_t lo = 0, hi = l->nr;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (l->r[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Replaces n ranges at i by the m of with. */
static void splice(struct rlist *l, uint32_t i, uint32_t n, const struct mr_range *with, uint32_t m)
{
	if (l->nr + m > l->alloc) {
		l->alloc = (l->nr + m) * 2;
		l->r = mr_xreallocarray(l->r, l->alloc, sizeof(*l->r));
	}
	memmove(l->r + i + m, l->r + i + n, (l->nr - i - n) * sizeof(*l->r));
	memcpy(l->r + i, with, m * sizeof(*with));
	l->nr = l->nr - n + m;
}

void mr_ranges_add(struct mr_ranges *rs, uint32_t aspace, uint64_t start, uint64_t end)
{
	struct rlist *l = list_of(rs, aspace);
	struct mr_range r = { start, end };

	if (end <= start)
		return;
	splice(l, first_after(l, start), 0, &r, 1);
}

uint64_t mr_ranges_cut(struct mr_ranges *rs, uint32_t aspace, uint64_t start, uint64_t end,
		       mr_ranges_cut_fn fn, void *ctx)
{
	struct rlist *l = list_of(rs, aspace);
	uint32_t i = first_after(l, start);
	uint64_t removed = 0;

	while (i < l->nr && l->r[i].start < end) {
		struct mr_range was = l->r[i], left[2];
		uint64_t lo = was.start > start ? was.start : start;
		uint64_t hi = was.end < end ? was.end : end;
		int n = 0;

		if (was.start < start)
			left[n++] = (struct mr_range){ was.start, start };
		if (was.end > end)
			left[n++] = (struct mr_range){ end, was.end };
		removed += hi - lo;
		splice(l, i, 1, left, n);
		i += n;
		if (fn)
			fn(&was, left, n, ctx);
	}
	return removed;
}

void mr_ranges_copy(struct mr_ranges *rs, uint32_t from, uint32_t to)
{
	struct rlist *src, *dst;

	list_of(rs, from > to ? from : to);
	src = &rs->as[from];
	dst = &rs->as[to];
	dst->nr = 0;
	if (src->nr)
		splice(dst, 0, 0, src->r, src->nr);
}

const struct mr_range *mr_ranges_of(const struct mr_ranges *rs, uint32_t aspace, uint32_t *nr)
{
	*nr = aspace < rs->nr_as ? rs->as[aspace].nr : 0;
	return *nr ? rs->as[aspace].r : NULL;
}
