// SPDX-License-Identifier: GPL-2.0
/*
 * growth.c - each leak site's outstanding bytes over the recording, in a
 * fixed number of intervals whose width doubles as the recording runs past
 * them (growth.h), and the verdict on the series: growing, plateau or
 * transient.
 */
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "leak/growth.h"

_Static_assert(MR_GROWTH_POINTS == 1 << 6, "catch_up() collapses at most 6 doublings");

struct key {
	uint32_t	aspace, stack;
	enum mr_fn	fn;
};

static uint32_t key_hash(const struct key *k)
{
	return mr_hash_u64(((uint64_t)k->aspace << 32 | k->stack) ^
			   (uint64_t)k->fn * 0x9e3779b97f4a7c15ull);
}

static bool key_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct mr_growth_site *s = &((const struct mr_growth_tracker *)ctx)->sites[idx];
	const struct key *k = key;

	return s->aspace == k->aspace && s->stack == k->stack && s->fn == k->fn;
}

void mr_growth_start(struct mr_growth_tracker *g, uint64_t origin)
{
	g->origin = origin;
	g->started = true;
}

uint64_t mr_growth_interval_ns(const struct mr_growth_tracker *g)
{
	return MR_GROWTH_BASE_NS << g->level;
}

/* The interval of ts, doubling the width until it falls in one of them. */
static int32_t interval_of(struct mr_growth_tracker *g, uint64_t ts)
{
	uint64_t d = ts > g->origin ? ts - g->origin : 0;

	/* 1000 << 50 ns times 64 intervals spans more than any 64-bit time */
	while (d / mr_growth_interval_ns(g) >= MR_GROWTH_POINTS && g->level < 50)
		g->level++;
	if (d / mr_growth_interval_ns(g) >= MR_GROWTH_POINTS)
		return MR_GROWTH_POINTS - 1;
	return d / mr_growth_interval_ns(g);
}

/*
 * Brings a site to the tracker's width: 2^d old intervals make one new, and
 * the value at the end of the new one is the value at the end of its last
 * old one (the site's current value when that is past its last change).
 */
static void catch_up(const struct mr_growth_tracker *g, struct mr_growth_site *s)
{
	uint32_t d = g->level - s->level;

	if (!d)
		return;
	s->level = g->level;
	if (s->last < 0)
		return;
	if (d > 6)
		d = 6;	/* 2^6 = MR_GROWTH_POINTS: all in one interval already */
	for (int32_t j = 0; j <= s->last >> d; j++) {
		int64_t end = ((int64_t)(j + 1) << d) - 1;

		s->v[j] = s->v[end < s->last ? end : s->last];
	}
	s->last >>= d;
}

/* Carries the current value forward to interval i. */
static void fill_to(struct mr_growth_site *s, int32_t i)
{
	while (s->last < i)
		s->v[++s->last] = s->cur;
}

static struct mr_growth_site *site_of(struct mr_growth_tracker *g, const struct mr_block *b)
{
	struct key k = { b->aspace, b->stack, b->fn };
	uint32_t h = key_hash(&k);
	size_t pos = mr_hmap_find(&g->map, h, key_eq, g, &k);
	uint32_t idx = mr_hmap_at(&g->map, pos);

	if (idx != MR_HMAP_NONE)
		return &g->sites[idx];
	MR_ALLOC_GROW(g->sites, g->nr, g->alloc);
	g->sites[g->nr] = (struct mr_growth_site){
		.aspace = k.aspace, .stack = k.stack, .fn = k.fn, .level = g->level, .last = -1,
	};
	mr_hmap_put_at(&g->map, pos, h, g->nr);
	return &g->sites[g->nr++];
}

static void change(struct mr_growth_tracker *g, const struct mr_block *b, uint64_t ts, bool live)
{
	struct mr_growth_site *s;
	int32_t i;

	if (!g->started)
		mr_growth_start(g, ts);
	i = interval_of(g, ts);
	s = site_of(g, b);
	catch_up(g, s);
	/* a damaged file's times may go back: such a change lands in the latest interval */
	if (i < s->last)
		i = s->last;
	fill_to(s, i - 1);
	if (live)
		s->cur += b->size;
	else
		s->cur -= b->size < s->cur ? b->size : s->cur;
	if (s->cur > s->peak)
		s->peak = s->cur;
	s->v[i] = s->cur;
	s->last = i;
}

void mr_growth_live(struct mr_growth_tracker *g, const struct mr_block *b)
{
	change(g, b, b->ts, true);
}

void mr_growth_dead(struct mr_growth_tracker *g, const struct mr_block *b, uint64_t ts)
{
	change(g, b, ts, false);
}

void mr_growth_finish(struct mr_growth_tracker *g, uint64_t end_ts)
{
	int32_t end;

	if (!g->started)
		mr_growth_start(g, end_ts);
	end = interval_of(g, end_ts);
	/* no change comes after the end but in a unit test's made-up stream */
	for (size_t i = 0; i < g->nr; i++) {
		catch_up(g, &g->sites[i]);
		if (g->sites[i].last > end)
			end = g->sites[i].last;
	}
	g->npoints = end + 1;
	for (size_t i = 0; i < g->nr; i++)
		fill_to(&g->sites[i], end);
}

void mr_growth_release(struct mr_growth_tracker *g)
{
	free(g->sites);
	mr_hmap_release(&g->map);
	memset(g, 0, sizeof(*g));
}

const struct mr_growth_site *mr_growth_find(const struct mr_growth_tracker *g, uint32_t aspace,
					    uint32_t stack, enum mr_fn fn)
{
	struct key k = { aspace, stack, fn };
	uint32_t idx = mr_hmap_get(&g->map, key_hash(&k), key_eq, g, &k);

	return idx == MR_HMAP_NONE ? NULL : &g->sites[idx];
}

/* ---- the verdict ---- */

static uint64_t max_of(const uint64_t *s, unsigned from, unsigned to)
{
	uint64_t m = 0;

	for (unsigned i = from; i < to; i++)
		if (s[i] > m)
			m = s[i];
	return m;
}

/*
 * The rules, first match wins (E = s[n-1], what the site holds at the end;
 * q = max(1, n/4) intervals make a quarter):
 *
 * growing: still rising at the end, a leak (or a cache still filling: the
 *   recording cannot tell them apart yet). All three of:
 *   - the highest value T of the last quarter is above the highest value H
 *     of the quarter before it by more than H/16 (churn of a few percent
 *     around a full cache is no growth);
 *   - E is within T/16 of T (rising, not rising and falling back);
 *   - the site rose in at least 2 distinct intervals of the last half (a
 *     rise: s[i] > s[i-1], s[-1] = 0). One step, a single block or a batch
 *     allocated at once, shows no trend.
 *   Only the second half counts: a leak that starts after a burst was
 *   freed is growing, not transient.
 * transient: E <= peak/4: it rose, then freed at least three quarters of
 *   the most it ever held (peak: at any moment, also between samples).
 * plateau: the rest: it stopped rising before the last quarter (or rose in
 *   one step) and holds more than a quarter of its peak: a cache that
 *   filled, a pool, a one-time allocation.
 *
 * So a site of one block kept to the end is a plateau wherever the block
 * fell, and no series of fewer than 4 intervals is growing (a recording
 * under 64 us, never a real one: longer ones have 33 to 64 intervals).
 */
enum mr_growth mr_growth_verdict(const uint64_t *s, unsigned n, uint64_t peak)
{
	unsigned q = n / 4 ? n / 4 : 1, half = n / 2 ? n / 2 : 1, rises = 0;
	uint64_t before, tail, end;

	if (!n)
		return MR_GROWTH_NONE;
	end = s[n - 1];
	before = max_of(s, n > 2 * q ? n - 2 * q : 0, n - q);
	tail = max_of(s, n - q, n);
	for (unsigned i = n - half; i < n; i++)
		rises += s[i] > (i ? s[i - 1] : 0);
	if (tail > before && tail - before > before / 16 && end >= tail - tail / 16 && rises >= 2)
		return MR_GROWTH_GROWING;
	if (peak < max_of(s, 0, n))
		peak = max_of(s, 0, n);
	if (end <= peak / 4)
		return MR_GROWTH_TRANSIENT;
	return MR_GROWTH_PLATEAU;
}

const char *mr_growth_name(enum mr_growth g)
{
	switch (g) {
	case MR_GROWTH_GROWING:
		return "growing";
	case MR_GROWTH_PLATEAU:
		return "plateau";
	case MR_GROWTH_TRANSIENT:
		return "transient";
	default:
		return NULL;
	}
}
