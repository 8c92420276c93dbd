// SPDX-License-Identifier: GPL-2.0
/*
 * heap.c - the user heap part of `memrec report frag`. The pairing
 * hooks feed it every block that becomes live or dies; it follows, per
 * address space and glibc heap region, the live bytes against the span the
 * region has reached, and at the end finds the free gaps between live
 * chunks, the block that pins the top of the main arena, and malloc's
 * internal fragmentation per call site. Schema of the JSON form:
 * docs/memrec-report-frag-json.md, section "heap".
 *
 * The file has no [heap] mapping and the hooks see no mappings at all, so
 * regions are found in two steps.
 *
 * While events stream, blocks are kept apart by (address space, 64 MiB
 * window, mmapped shape). glibc aligns every thread-arena heap to
 * HEAP_MAX_SIZE (64 MiB on x86_64) and reserves all of it, so a window that
 * holds one such heap holds nothing else. A chunk "looks mmapped" when it
 * is at least the default mmap threshold (128 KiB) and starts on a page
 * (user pointer at page + 0x10); such chunks are sized as glibc's sysmalloc
 * sizes them (rounded up to pages), every other one by request2size.
 *
 * At finish, with the executable mappings of the process (ctx->meta.maps),
 * each window is given its region:
 *  - main arena (brk heap): glibc grows it with brk from just above the
 *    program image (the kernel puts the break at most 32 MiB above the end
 *    of the program's data), contiguously. So the windows whose lowest chunk
 *    lies in [end of the program's code, next mapping above it) and within
 *    1 TiB of the program are the main arena. The limits hold in both the
 *    top-down layout (libraries and every other mmap near 0x7f.., tens of
 *    TiB above a program at 0x55.. or 0x400000) and the legacy bottom-up one
 *    (mmaps from 0x2aaa.., below a PIE program, 46 TiB above a non-PIE one).
 *    Mappings count from the exec that started the address space; a forked
 *    child that mapped nothing of its own uses its parent's.
 *  - a thread-arena heap: any other window where a chunk below the mmap
 *    threshold was ever seen; its mmapped-looking chunks belong to it too
 *    (glibc served them from the heap after raising its threshold).
 *  - mmapped chunks: everything else, one region per process. That takes in
 *    big aligned allocations too, whose pointer is not at page + 0x10.
 * What this gets wrong: a main arena that fell back to mmap when brk failed
 * (its pieces look like thread-arena heaps), and a process without any
 * recorded mapping (the lowest window with chunks is taken as the start of
 * the brk heap).
 *
 * Blocks a child inherits at fork never pass the hooks; they are left out
 * here, in the series and in the final state alike.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "mr_hmap.h"
#include "frag/frag.h"

#define PAGE_SIZE_4K		4096ull
#define MIN_CHUNK		32ull
#define CHUNK_HDR		16ull		/* user pointer - chunk start */
/* a brk heap ends less than this above the program */
#define MAIN_REACH		(1ull << 40)
#define SERIES_SHIFT0		20		/* first bucket width: 2^20 ns, about 1 ms */

/* The blocks of one address space in one 64 MiB window, of one shape. */
struct window {
	uint32_t	aspace;
	bool		mmap;		/* mmapped-looking chunks */
	bool		small;		/* saw a chunk below the mmap threshold */
	uint64_t	number;		/* start >> MR_HEAP_WIN_SHIFT */
	uint64_t	req, chunk;	/* live now */
	uint64_t	lo, hi;
	struct mr_heap_series	s;
	size_t		region;		/* in its process, after finish */
};

/* What window_map finds a window by, and site_map a site. */
struct window_key {
	uint32_t	aspace;
	bool		mmap;
	uint64_t	number;		/* start >> MR_HEAP_WIN_SHIFT */
};

struct site_key {
	uint32_t	aspace, stack;
};

struct mr_frag_heap {
	struct mr_hmap	window_map, site_map;	/* -> windows[], sites[] */
	struct window	*windows;
	size_t		nr_windows, alloc_windows;
	struct mr_heap_site	*sites;
	size_t		nr_sites, alloc_sites;
	bool		started;
	uint64_t	t0, now;	/* first event, latest event (ts is not monotonic) */
	struct mr_heap_proc	*procs;
	size_t		nr_procs;
};

/* ---- glibc x86_64 chunk geometry ---- */

static uint64_t request2size(uint64_t req)
{
	uint64_t c = (req + 8 + 15) & ~15ull;

	return c < MIN_CHUNK ? MIN_CHUNK : c;
}

static bool looks_mmapped(uint64_t ptr, uint64_t req)
{
	return ((ptr - CHUNK_HDR) & (PAGE_SIZE_4K - 1)) == 0 && request2size(req) >= MR_HEAP_MMAP_THRESHOLD;
}

/* sysmalloc maps request2size + the size field, rounded up to pages. */
static uint64_t chunk_bytes(uint64_t req, bool mmapped)
{
	uint64_t c = request2size(req);

	return mmapped ? (c + 8 + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1) : c;
}

/* ---- the maps' keys ---- */

static bool window_eq(const void *windows, uint32_t idx, const void *key)
{
	const struct window *a = (const struct window *)windows + idx;
	const struct window_key *k = key;

	return a->aspace == k->aspace && a->number == k->number && a->mmap == k->mmap;
}

static bool site_eq(const void *sites, uint32_t idx, const void *key)
{
	const struct mr_heap_site *s = (const struct mr_heap_site *)sites + idx;
	const struct site_key *k = key;

	return s->aspace == k->aspace && s->stack == k->stack;
}

static uint32_t pair_hash(uint64_t a, uint64_t b)
{
	return mr_hash_u64(a * 0x9e3779b97f4a7c15ull ^ b);
}

/* ---- series ---- */

/* Doubles the bucket width; of two states in one bucket, the later one stays. */
static void series_coarsen(struct mr_heap_series *s)
{
	size_t o = 0;

	s->shift++;
	for (size_t i = 0; i < s->nr; i++) {
		struct mr_heap_point p = s->pts[i];

		p.k >>= 1;
		if (o && s->pts[o - 1].k == p.k)
			s->pts[o - 1] = p;
		else
			s->pts[o++] = p;
	}
	s->nr = o;
}

static void series_note(struct mr_heap_series *s, struct mr_heap_point p, uint64_t rel)
{
	if (!s->pts) {
		s->pts = mr_xmalloc(MR_HEAP_SERIES_POINTS * sizeof(*s->pts));
		s->shift = SERIES_SHIFT0;
	}
	for (;;) {
		p.k = rel >> s->shift;
		if (s->nr && s->pts[s->nr - 1].k == p.k) {
			s->pts[s->nr - 1] = p;
			return;
		}
		if (s->nr < MR_HEAP_SERIES_POINTS)
			break;
		series_coarsen(s);
	}
	s->pts[s->nr++] = p;
}

/* ---- streaming: the pairing hooks ---- */

struct mr_frag_heap *mr_frag_heap_new(void)
{
	return mr_xcalloc(1, sizeof(struct mr_frag_heap));
}

static struct window *window_find(struct mr_frag_heap *h, uint32_t aspace, uint64_t start, bool mm,
			    bool add)
{
	struct window_key k = { .aspace = aspace, .mmap = mm, .number = start >> MR_HEAP_WIN_SHIFT };
	uint32_t hash = pair_hash(aspace, k.number << 1 | mm);
	size_t pos = mr_hmap_find(&h->window_map, hash, window_eq, h->windows, &k);
	uint32_t i = mr_hmap_at(&h->window_map, pos);
	struct window *a;

	if (i != MR_HMAP_NONE)
		return &h->windows[i];
	if (!add)
		return NULL;
	MR_ALLOC_GROW(h->windows, h->nr_windows, h->alloc_windows);
	a = &h->windows[h->nr_windows];
	*a = (struct window){ .aspace = aspace, .mmap = mm, .number = k.number, .lo = UINT64_MAX };
	mr_hmap_put_at(&h->window_map, pos, hash, h->nr_windows++);
	return a;
}

static void window_point(struct mr_frag_heap *h, struct window *a, uint64_t ts)
{
	struct mr_heap_point p = {
		.ts = h->now, .req = a->req, .chunk = a->chunk, .lo = a->lo, .hi = a->hi,
	};

	if (ts > h->now)
		p.ts = h->now = ts;
	series_note(&a->s, p, p.ts - h->t0);
}

static void site_count(struct mr_frag_heap *h, const struct mr_block *b, uint64_t chunk)
{
	struct site_key k = { .aspace = b->aspace, .stack = b->stack };
	uint32_t hash = pair_hash(b->aspace, b->stack);
	size_t pos = mr_hmap_find(&h->site_map, hash, site_eq, h->sites, &k);
	uint32_t i = mr_hmap_at(&h->site_map, pos);
	struct mr_heap_site *s;

	if (i == MR_HMAP_NONE) {
		MR_ALLOC_GROW(h->sites, h->nr_sites, h->alloc_sites);
		h->sites[h->nr_sites] = (struct mr_heap_site){
			.aspace = b->aspace, .stack = b->stack, .fn = b->fn, .ts = b->ts,
		};
		i = h->nr_sites++;
		mr_hmap_put_at(&h->site_map, pos, hash, i);
	}
	s = &h->sites[i];
	s->allocs++;
	s->req += b->size;
	s->chunk += chunk;
}

void mr_frag_heap_live(struct mr_frag_heap *h, const struct mr_block *b)
{
	bool mm = looks_mmapped(b->ptr, b->size);
	uint64_t cb = chunk_bytes(b->size, mm), start = b->ptr - CHUNK_HDR;
	struct window *a;

	if (b->fn == MR_FN_MMAP || b->fn == MR_FN_BRK)
		return;		/* the program's own mappings: no malloc chunk */
	if (!h->started) {
		h->started = true;
		h->t0 = h->now = b->ts;
	}
	a = window_find(h, b->aspace, start, mm, true);
	a->req += b->size;
	a->chunk += cb;
	a->small |= request2size(b->size) < MR_HEAP_MMAP_THRESHOLD;
	if (start < a->lo)
		a->lo = start;
	if (start + cb > a->hi)
		a->hi = start + cb;
	window_point(h, a, b->ts);
	site_count(h, b, cb);
}

void mr_frag_heap_dead(struct mr_frag_heap *h, const struct mr_block *b, uint64_t ts)
{
	bool mm = looks_mmapped(b->ptr, b->size);
	uint64_t cb = chunk_bytes(b->size, mm);
	struct window *a;

	if (b->inherited || b->fn == MR_FN_MMAP || b->fn == MR_FN_BRK)
		return;
	a = window_find(h, b->aspace, b->ptr - CHUNK_HDR, mm, false);
	if (!a)
		return;
	a->req -= b->size <= a->req ? b->size : a->req;
	a->chunk -= cb <= a->chunk ? cb : a->chunk;
	window_point(h, a, ts);
}

/* ---- finish: the main arena's address range ---- */

struct addr_range {
	uint64_t	lo, hi;
};

static bool is_library(const char *path)
{
	const char *base = strrchr(path, '/');

	return strstr(base ? base + 1 : path, ".so") != NULL;
}

static bool same_file(const char *path, const char *exe)
{
	const char *a = strrchr(path, '/'), *b = strrchr(exe, '/');

	return !strcmp(a ? a + 1 : path, b ? b + 1 : exe);
}

/* A file mapping of pid recorded by until (0: the end); not [vdso] and the like. */
static bool map_usable(const struct mr_meta_map *m, int pid, uint64_t until)
{
	return m->pid == pid && m->path && m->path[0] != '[' && (!until || m->ts <= until);
}

/*
 * Where the mappings of as begin. An exec maps the new program (or its
 * interpreter) before the exec event: the image starts at the last such
 * mapping at or before that event. An attached process's were all mapped
 * before it was first seen.
 */
static uint64_t image_from(const struct mr_meta *meta, const struct mr_aspace *as,
			   uint64_t until)
{
	uint64_t from = 0;

	if (!as->exe)
		return 0;
	for (int i = 0; i < meta->nr_maps; i++) {
		const struct mr_meta_map *m = &meta->maps[i];

		if (map_usable(m, as->pid, until) && !is_library(m->path) &&
		    m->ts <= as->start_ts && m->ts > from)
			from = m->ts;
	}
	return from;
}

static bool map_of(const struct mr_meta_map *m, const struct mr_aspace *as, uint64_t from,
		   uint64_t until)
{
	return map_usable(m, as->pid, until) && m->ts >= from;
}

/* The program's code mapping among those of as, or NULL. */
static const struct mr_meta_map *program_map(const struct mr_meta *meta,
					     const struct mr_aspace *as, uint64_t from,
					     uint64_t until)
{
	const struct mr_meta_map *best = NULL, *lowest = NULL, *exe = NULL;

	for (int i = 0; i < meta->nr_maps; i++) {
		const struct mr_meta_map *m = &meta->maps[i];

		if (!map_of(m, as, from, until))
			continue;
		if (!lowest || m->start < lowest->start)
			lowest = m;
		if (!is_library(m->path) && (!best || m->start < best->start))
			best = m;
		if (as->exe && same_file(m->path, as->exe) && (!exe || m->start < exe->start))
			exe = m;
	}
	return exe ? exe : best ? best : lowest;
}

/* [end of the program's code, next mapping above it), at most MAIN_REACH long. */
static bool range_of(const struct mr_meta *meta, const struct mr_aspace *as, uint64_t until,
		     struct addr_range *r)
{
	uint64_t from = image_from(meta, as, until);
	const struct mr_meta_map *prog = program_map(meta, as, from, until);

	if (!prog)
		return false;
	r->lo = prog->start + prog->len;
	for (int i = 0; i < meta->nr_maps; i++) {
		const struct mr_meta_map *m = &meta->maps[i];

		if (map_of(m, as, from, until) && !strcmp(m->path, prog->path) &&
		    m->start + m->len > r->lo)
			r->lo = m->start + m->len;
	}
	r->hi = r->lo + MAIN_REACH;
	for (int i = 0; i < meta->nr_maps; i++) {
		const struct mr_meta_map *m = &meta->maps[i];

		if (map_of(m, as, from, until) && m->start >= r->lo && m->start < r->hi)
			r->hi = m->start;
	}
	return true;
}

static struct addr_range main_range(const struct mr_ctx *ctx, uint32_t aspace,
				    uint64_t lowest_chunk)
{
	const struct mr_aspace *as = mr_tasks_aspace(ctx->tasks, aspace);
	struct addr_range r = { lowest_chunk, lowest_chunk + MAIN_REACH };
	uint64_t until = as ? as->end_ts : 0;

	/* a forked child that mapped nothing itself has its parent's image */
	while (as && !range_of(&ctx->meta, as, until, &r)) {
		until = as->start_ts;
		as = as->parent_id < 0 ? NULL : mr_tasks_aspace(ctx->tasks, as->parent_id);
	}
	return r;
}

/* ---- finish: regions and their series ---- */

static int cmp_window(const void *a, const void *b)
{
	const struct window *x = *(struct window *const *)a, *y = *(struct window *const *)b;

	if (x->aspace != y->aspace)
		return x->aspace < y->aspace ? -1 : 1;
	if (x->number != y->number)
		return x->number < y->number ? -1 : 1;
	return (int)x->mmap - (int)y->mmap;
}

struct tagged {
	struct mr_heap_point	p;
	size_t		member, order;
};

static int cmp_tagged(const void *a, const void *b)
{
	const struct tagged *x = a, *y = b;

	if (x->p.k != y->p.k)
		return x->p.k < y->p.k ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Appends, at bucket k, the sum of the members' latest states. */
static void union_emit(struct mr_heap_series *out, const struct mr_heap_point *state, size_t n, uint64_t k,
		       uint64_t ts)
{
	struct mr_heap_point u = { .k = k, .ts = ts, .lo = UINT64_MAX };

	for (size_t i = 0; i < n; i++) {
		if (!state[i].hi)
			continue;
		u.req += state[i].req;
		u.chunk += state[i].chunk;
		if (state[i].lo < u.lo)
			u.lo = state[i].lo;
		if (state[i].hi > u.hi)
			u.hi = state[i].hi;
	}
	out->pts[out->nr++] = u;
}

/*
 * The series of a region made of several accumulators: brought to the
 * widest bucket of any, then at each bucket the sum of each one's state at
 * its end (a member without a point there keeps its earlier state).
 */
static void series_union(struct mr_heap_series *out, struct window **m, size_t n)
{
	struct mr_heap_point *state = mr_xcalloc(n, sizeof(*state));
	struct tagged *t;
	size_t total = 0, nt = 0;
	unsigned int shift = SERIES_SHIFT0;

	for (size_t i = 0; i < n; i++) {
		total += m[i]->s.nr;
		if (m[i]->s.shift > shift)
			shift = m[i]->s.shift;
	}
	t = mr_xmalloc((total ? total : 1) * sizeof(*t));
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < m[i]->s.nr; j++, nt++) {
			t[nt] = (struct tagged){ .p = m[i]->s.pts[j], .member = i, .order = nt };
			t[nt].p.k >>= shift - m[i]->s.shift;
		}
	mr_qsort(t, nt, sizeof(*t), cmp_tagged);
	*out = (struct mr_heap_series){ .pts = mr_xmalloc((total ? total : 1) * sizeof(struct mr_heap_point)),
				.shift = shift };
	for (size_t i = 0; i < nt; i++) {
		uint64_t ts = t[i].p.ts;

		state[t[i].member] = t[i].p;
		for (; i + 1 < nt && t[i + 1].p.k == t[i].p.k; i++) {
			state[t[i + 1].member] = t[i + 1].p;
			if (t[i + 1].p.ts > ts)
				ts = t[i + 1].p.ts;
		}
		union_emit(out, state, n, t[i].p.k, ts);
	}
	while (out->nr > MR_HEAP_SERIES_POINTS)
		series_coarsen(out);
	free(t);
	free(state);
}

static struct mr_heap_region *region_add(struct mr_heap_proc *p, enum mr_heap_region_kind kind, uint64_t base)
{
	struct mr_heap_region *r;

	p->regions = mr_xrealloc(p->regions, (p->nr_regions + 1) * sizeof(*p->regions));
	r = &p->regions[p->nr_regions++];
	*r = (struct mr_heap_region){ .kind = kind, .base = base, .lo = UINT64_MAX };
	return r;
}

/* Gives the accumulators m[0..n) to a new region of p. */
static void region_of_windows(struct mr_heap_proc *p, enum mr_heap_region_kind kind, struct window **m, size_t n)
{
	struct mr_heap_region *r;

	if (!n)
		return;
	r = region_add(p, kind, m[0]->number << MR_HEAP_WIN_SHIFT);
	for (size_t i = 0; i < n; i++) {
		m[i]->region = p->nr_regions - 1;
		if (m[i]->lo < r->lo)
			r->lo = m[i]->lo;
		if (m[i]->hi > r->hi)
			r->hi = m[i]->hi;
	}
	series_union(&r->s, m, n);
}

/*
 * Splits the accumulators of one process (sorted by window) into its
 * regions: main arena first, thread-arena heaps by address, mmapped last.
 */
static bool in_range(const struct window *a, struct addr_range r)
{
	return a->lo >= r.lo && a->lo < r.hi;
}

static void classify(struct mr_heap_proc *p, struct window **a, size_t n, struct addr_range mr)
{
	struct window **main = mr_xmalloc(n * sizeof(*main)), **mm = mr_xmalloc(n * sizeof(*mm));
	size_t nm = 0, nmm = 0;

	for (size_t i = 0; i < n; i++)
		if (in_range(a[i], mr))
			main[nm++] = a[i];
	region_of_windows(p, MR_HEAP_MAIN, main, nm);
	for (size_t i = 0; i < n; i++) {
		size_t j = i + 1;
		bool heap = false;

		if (in_range(a[i], mr))
			continue;
		/* the window's other shape, if any, is next (sorted by window, then shape) */
		if (j < n && a[j]->number == a[i]->number && !in_range(a[j], mr))
			j++;
		for (size_t k = i; k < j; k++)
			heap |= !a[k]->mmap && a[k]->small;
		if (heap) {
			region_of_windows(p, MR_HEAP_ARENA, &a[i], j - i);
		} else {
			for (size_t k = i; k < j; k++)
				mm[nmm++] = a[k];
		}
		i = j - 1;
	}
	region_of_windows(p, MR_HEAP_MMAP, mm, nmm);
	free(main);
	free(mm);
}

/* ---- finish: the live chunks at the end ---- */

struct walk {
	struct mr_frag_heap	*h;
	size_t			*proc_of;	/* aspace id -> index in h->procs + 1 */
	uint32_t		nr_as;
};

static int collect_live(const struct mr_block *b, void *ctx)
{
	struct walk *w = ctx;
	bool mm = looks_mmapped(b->ptr, b->size);
	uint64_t start = b->ptr - CHUNK_HDR;
	struct mr_heap_region *r;
	struct window *a;

	if (b->inherited || b->aspace >= w->nr_as || !w->proc_of[b->aspace])
		return 0;
	a = window_find(w->h, b->aspace, start, mm, false);
	if (!a)
		return 0;
	r = &w->h->procs[w->proc_of[b->aspace] - 1].regions[a->region];
	MR_ALLOC_GROW(r->lc, r->nr_lc, r->alloc_lc);
	r->lc[r->nr_lc++] = (struct mr_heap_chunk){ start, start + chunk_bytes(b->size, mm), b };
	return 0;
}

static int cmp_lc(const void *a, const void *b)
{
	const struct mr_heap_chunk *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Keeps the MR_HEAP_GAPS largest, largest first; equal ones in address order. */
static void gap_note(struct mr_heap_region *r, uint64_t addr, uint64_t size)
{
	int i;

	if (r->nr_gaps == MR_HEAP_GAPS && size <= r->gaps[MR_HEAP_GAPS - 1].size)
		return;
	i = r->nr_gaps < MR_HEAP_GAPS ? r->nr_gaps++ : MR_HEAP_GAPS - 1;
	for (; i > 0 && r->gaps[i - 1].size < size; i--)
		r->gaps[i] = r->gaps[i - 1];
	r->gaps[i] = (struct mr_heap_gap){ addr, size };
}

/*
 * The main arena only gives memory back from its top (systrim), so the
 * live block at the highest address holds everything free below it; once
 * it is freed the top can come down to the end of the next live chunk.
 */
static void pin_of(struct mr_heap_region *r, uint64_t below_end)
{
	const struct mr_heap_chunk *top = &r->lc[r->nr_lc - 1];
	uint64_t span = top->end - r->lo;

	r->has_pin = true;
	r->pin = *top->b;
	r->pin_chunk = top->end - top->start;
	r->free_below = span > r->chunk ? span - r->chunk : 0;
	r->shrink_by = top->end - (below_end < top->end ? below_end : top->end);
}

static void region_end(struct mr_heap_region *r)
{
	uint64_t end = r->lo, below_end = r->lo;

	mr_qsort(r->lc, r->nr_lc, sizeof(*r->lc), cmp_lc);
	for (size_t i = 0; i < r->nr_lc; i++) {
		const struct mr_heap_chunk *c = &r->lc[i];

		r->req += c->b->size;
		r->chunk += c->end - c->start;
		/* freed mmapped chunks are unmapped: the holes between them are not malloc's */
		if (i && r->kind != MR_HEAP_MMAP && c->start > end)
			gap_note(r, end, c->start - end);
		below_end = end;
		if (c->end > end)
			end = c->end;
	}
	r->n = r->nr_lc;
	if (r->kind == MR_HEAP_MAIN && r->nr_lc)
		pin_of(r, below_end);
	free(r->lc);
	r->lc = NULL;
	r->nr_lc = r->alloc_lc = 0;
}

/* ---- finish ---- */

uint64_t mr_heap_site_waste(const struct mr_heap_site *s)
{
	return s->chunk - s->req;
}

static int cmp_site(const void *a, const void *b)
{
	const struct mr_heap_site *x = *(struct mr_heap_site *const *)a, *y = *(struct mr_heap_site *const *)b;

	if (x->aspace != y->aspace)
		return x->aspace < y->aspace ? -1 : 1;
	if (mr_heap_site_waste(x) != mr_heap_site_waste(y))
		return mr_heap_site_waste(x) > mr_heap_site_waste(y) ? -1 : 1;
	if (x->allocs != y->allocs)
		return x->allocs > y->allocs ? -1 : 1;
	return x->stack < y->stack ? -1 : x->stack > y->stack;
}

/* Hands each process its slice of the sites, sorted by waste. */
static void give_sites(struct mr_frag_heap *h)
{
	struct mr_heap_site **all = mr_xmalloc((h->nr_sites ? h->nr_sites : 1) * sizeof(*all));
	size_t i = 0;

	for (size_t s = 0; s < h->nr_sites; s++)
		all[s] = &h->sites[s];
	mr_qsort(all, h->nr_sites, sizeof(*all), cmp_site);
	for (size_t n = 0; n < h->nr_procs; n++) {
		struct mr_heap_proc *p = &h->procs[n];
		size_t from;

		while (i < h->nr_sites && all[i]->aspace < p->aspace)
			i++;
		for (from = i; i < h->nr_sites && all[i]->aspace == p->aspace; i++) {
			p->allocs += all[i]->allocs;
			p->req += all[i]->req;
			p->chunk += all[i]->chunk;
		}
		p->nr_sites = i - from;
		p->sites = mr_xmalloc((p->nr_sites ? p->nr_sites : 1) * sizeof(*p->sites));
		memcpy(p->sites, all + from, p->nr_sites * sizeof(*p->sites));
	}
	free(all);
}

static void proc_build(struct mr_frag_heap *h, const struct mr_ctx *ctx, struct window **a,
		       size_t n, int pid)
{
	uint64_t lowest = UINT64_MAX;
	struct mr_heap_proc *p;

	h->procs = mr_xrealloc(h->procs, (h->nr_procs + 1) * sizeof(*h->procs));
	p = &h->procs[h->nr_procs++];
	*p = (struct mr_heap_proc){ .aspace = a[0]->aspace, .pid = pid };
	for (size_t i = 0; i < n; i++)
		if (a[i]->lo < lowest)
			lowest = a[i]->lo;
	classify(p, a, n, main_range(ctx, p->aspace, lowest));
}

void mr_frag_heap_finish(struct mr_frag_heap *h, struct mr_ctx *ctx)
{
	struct window **a = mr_xmalloc((h->nr_windows ? h->nr_windows : 1) * sizeof(*a));
	struct walk w = { .h = h, .nr_as = mr_tasks_nr_aspaces(ctx->tasks) };

	w.proc_of = mr_xcalloc(w.nr_as + 1, sizeof(*w.proc_of));
	for (size_t i = 0; i < h->nr_windows; i++)
		a[i] = &h->windows[i];
	mr_qsort(a, h->nr_windows, sizeof(*a), cmp_window);
	for (size_t i = 0, j; i < h->nr_windows; i = j) {
		const struct mr_aspace *as = mr_tasks_aspace(ctx->tasks, a[i]->aspace);
		int pid = as ? as->pid : -1;

		for (j = i + 1; j < h->nr_windows && a[j]->aspace == a[i]->aspace; j++)
			;
		if (ctx->o->pid && pid != ctx->o->pid)
			continue;
		proc_build(h, ctx, a + i, j - i, pid);
		if (a[i]->aspace < w.nr_as)
			w.proc_of[a[i]->aspace] = h->nr_procs;
	}
	mr_pairing_for_each_live(ctx->pairing, collect_live, &w);
	for (size_t n = 0; n < h->nr_procs; n++)
		for (size_t r = 0; r < h->procs[n].nr_regions; r++)
			region_end(&h->procs[n].regions[r]);
	give_sites(h);
	free(w.proc_of);
	free(a);
}

const struct mr_heap_proc *mr_frag_heap_procs(const struct mr_frag_heap *h, size_t *nr)
{
	*nr = h ? h->nr_procs : 0;
	return h ? h->procs : NULL;
}

void mr_frag_heap_free(struct mr_frag_heap *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->nr_windows; i++)
		free(h->windows[i].s.pts);
	for (size_t n = 0; n < h->nr_procs; n++) {
		for (size_t r = 0; r < h->procs[n].nr_regions; r++)
			free(h->procs[n].regions[r].s.pts);
		free(h->procs[n].regions);
		free(h->procs[n].sites);
	}
	free(h->procs);
	free(h->windows);
	free(h->sites);
	mr_hmap_release(&h->window_map);
	mr_hmap_release(&h->site_map);
	free(h);
}
