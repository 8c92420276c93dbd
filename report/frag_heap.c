// SPDX-License-Identifier: GPL-2.0
/*
 * frag_heap.c - the user heap part of `memrec report frag`. The pairing
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
 * At finish, with the executable mappings of the process (rep->meta.maps),
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
#include "report.h"

#define HEAP_WIN_SHIFT		26		/* glibc HEAP_MAX_SIZE on x86_64: 64 MiB */
#define MMAP_THRESHOLD		(128ull << 10)	/* glibc's default M_MMAP_THRESHOLD */
#define PAGE_SIZE_4K		4096ull
#define MIN_CHUNK		32ull
#define CHUNK_HDR		16ull		/* user pointer - chunk start */
/* a brk heap ends less than this above the program */
#define MAIN_REACH		(1ull << 40)
#define SERIES_POINTS		100		/* points kept per region */
#define SERIES_SHIFT0		20		/* first bucket width: 2^20 ns, about 1 ms */
#define NR_GAPS			5

/* The state of a region at the end of a time bucket. */
struct point {
	uint64_t	k;		/* bucket: (ts - t0) >> shift */
	uint64_t	ts;		/* the last event in the bucket */
	uint64_t	req, chunk;	/* live bytes: requested, and in chunks */
	uint64_t	lo, hi;		/* lowest chunk start and highest chunk end so far */
};

/* At most SERIES_POINTS buckets; when more are needed they double in width. */
struct series {
	struct point	*pts;
	size_t		nr;
	unsigned int	shift;
};

/* The blocks of one address space in one 64 MiB window, of one shape. */
struct acc {
	uint32_t	aspace;
	bool		mmap;		/* mmapped-looking chunks */
	bool		small;		/* saw a chunk below the mmap threshold */
	uint64_t	win;
	uint64_t	req, chunk;	/* live now */
	uint64_t	lo, hi;
	struct series	s;
	size_t		region;		/* in its process, after finish */
};

struct site {
	uint32_t	aspace, stack;
	enum mr_fn	fn;
	uint64_t	ts;		/* first allocation: symbols are looked up as of then */
	uint64_t	allocs, req, chunk;
};

struct live_chunk {
	uint64_t		start, end;
	const struct mr_block	*b;
};

enum region_kind { REG_MAIN, REG_ARENA, REG_MMAP };

struct gap {
	uint64_t	addr, size;
};

struct region {
	enum region_kind	kind;
	uint64_t		base;		/* a thread-arena heap's window */
	uint64_t		lo, hi;		/* lowest chunk start, highest end seen */
	uint64_t		req, chunk, n;	/* live at the end */
	struct series		s;
	struct gap		gaps[NR_GAPS];
	int			nr_gaps;
	bool			has_pin;
	struct mr_block		pin;
	uint64_t		pin_chunk, free_below, shrink_by;
	struct live_chunk	*lc;		/* while finishing only */
	size_t			nr_lc, alloc_lc;
};

struct proc {
	uint32_t	aspace;
	int		pid;
	struct region	*regions;
	size_t		nr_regions;
	struct site	**sites;	/* by waste, largest first */
	size_t		nr_sites;
	uint64_t	allocs, req, chunk;	/* over all its sites */
};

/* Open addressing from a pair of keys to an index + 1 (0: empty). */
struct kmap {
	uint64_t	*ka, *kb;
	uint32_t	*v;
	size_t		cap, nr;
};

struct mr_frag_heap {
	struct kmap	acc_map, site_map;
	struct acc	*accs;
	size_t		nr_accs, alloc_accs;
	struct site	*sites;
	size_t		nr_sites, alloc_sites;
	bool		started;
	uint64_t	t0, now;	/* first event, latest event (ts is not monotonic) */
	struct proc	*procs;
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
	return ((ptr - CHUNK_HDR) & (PAGE_SIZE_4K - 1)) == 0 && request2size(req) >= MMAP_THRESHOLD;
}

/* sysmalloc maps request2size + the size field, rounded up to pages. */
static uint64_t chunk_bytes(uint64_t req, bool mmapped)
{
	uint64_t c = request2size(req);

	return mmapped ? (c + 8 + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1) : c;
}

/* ---- kmap ---- */

static size_t kmap_pos(const struct kmap *m, uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 1) * 0xc2b2ae3d27d4eb4full;

	return (h ^ (h >> 31)) & (m->cap - 1);
}

static void kmap_grow(struct kmap *m)
{
	struct kmap n = { .cap = m->cap ? m->cap * 2 : 256 };

	n.ka = mr_xcalloc(n.cap, sizeof(*n.ka));
	n.kb = mr_xcalloc(n.cap, sizeof(*n.kb));
	n.v = mr_xcalloc(n.cap, sizeof(*n.v));
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->v[i])
			continue;
		for (j = kmap_pos(&n, m->ka[i], m->kb[i]); n.v[j]; j = (j + 1) & (n.cap - 1))
			;
		n.ka[j] = m->ka[i];
		n.kb[j] = m->kb[i];
		n.v[j] = m->v[i];
	}
	n.nr = m->nr;
	free(m->ka);
	free(m->kb);
	free(m->v);
	*m = n;
}

/* The value slot of (a, b); a missing key is added with value 0 when add. */
static uint32_t *kmap_slot(struct kmap *m, uint64_t a, uint64_t b, bool add)
{
	size_t i;

	if (!add && !m->cap)
		return NULL;
	if (add && (m->nr + 1) * 2 > m->cap)
		kmap_grow(m);
	for (i = kmap_pos(m, a, b); m->v[i]; i = (i + 1) & (m->cap - 1))
		if (m->ka[i] == a && m->kb[i] == b)
			return &m->v[i];
	if (!add)
		return NULL;
	m->ka[i] = a;
	m->kb[i] = b;
	m->nr++;
	return &m->v[i];
}

static void kmap_release(struct kmap *m)
{
	free(m->ka);
	free(m->kb);
	free(m->v);
}

/* ---- series ---- */

/* Doubles the bucket width; of two states in one bucket, the later one stays. */
static void series_coarsen(struct series *s)
{
	size_t o = 0;

	s->shift++;
	for (size_t i = 0; i < s->nr; i++) {
		struct point p = s->pts[i];

		p.k >>= 1;
		if (o && s->pts[o - 1].k == p.k)
			s->pts[o - 1] = p;
		else
			s->pts[o++] = p;
	}
	s->nr = o;
}

static void series_note(struct series *s, struct point p, uint64_t rel)
{
	if (!s->pts) {
		s->pts = mr_xmalloc(SERIES_POINTS * sizeof(*s->pts));
		s->shift = SERIES_SHIFT0;
	}
	for (;;) {
		p.k = rel >> s->shift;
		if (s->nr && s->pts[s->nr - 1].k == p.k) {
			s->pts[s->nr - 1] = p;
			return;
		}
		if (s->nr < SERIES_POINTS)
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

static struct acc *acc_find(struct mr_frag_heap *h, uint32_t aspace, uint64_t start, bool mm,
			    bool add)
{
	uint64_t win = start >> HEAP_WIN_SHIFT;
	uint32_t *v = kmap_slot(&h->acc_map, aspace, win << 1 | mm, add);
	struct acc *a;

	if (!v)
		return NULL;
	if (*v)
		return &h->accs[*v - 1];
	if (h->nr_accs == h->alloc_accs) {
		h->alloc_accs = h->alloc_accs ? h->alloc_accs * 2 : 64;
		h->accs = mr_xrealloc(h->accs, h->alloc_accs * sizeof(*h->accs));
	}
	a = &h->accs[h->nr_accs++];
	*a = (struct acc){ .aspace = aspace, .mmap = mm, .win = win, .lo = UINT64_MAX };
	*v = h->nr_accs;
	return a;
}

static void acc_point(struct mr_frag_heap *h, struct acc *a, uint64_t ts)
{
	struct point p = {
		.ts = h->now, .req = a->req, .chunk = a->chunk, .lo = a->lo, .hi = a->hi,
	};

	if (ts > h->now)
		p.ts = h->now = ts;
	series_note(&a->s, p, p.ts - h->t0);
}

static void site_count(struct mr_frag_heap *h, const struct mr_block *b, uint64_t chunk)
{
	uint32_t *v = kmap_slot(&h->site_map, b->aspace, b->stack, true);
	struct site *s;

	if (!*v) {
		if (h->nr_sites == h->alloc_sites) {
			h->alloc_sites = h->alloc_sites ? h->alloc_sites * 2 : 64;
			h->sites = mr_xrealloc(h->sites, h->alloc_sites * sizeof(*h->sites));
		}
		h->sites[h->nr_sites++] = (struct site){
			.aspace = b->aspace, .stack = b->stack, .fn = b->fn, .ts = b->ts,
		};
		*v = h->nr_sites;
	}
	s = &h->sites[*v - 1];
	s->allocs++;
	s->req += b->size;
	s->chunk += chunk;
}

void mr_frag_heap_live(struct mr_frag_heap *h, const struct mr_block *b)
{
	bool mm = looks_mmapped(b->ptr, b->size);
	uint64_t cb = chunk_bytes(b->size, mm), start = b->ptr - CHUNK_HDR;
	struct acc *a;

	if (!h->started) {
		h->started = true;
		h->t0 = h->now = b->ts;
	}
	a = acc_find(h, b->aspace, start, mm, true);
	a->req += b->size;
	a->chunk += cb;
	a->small |= request2size(b->size) < MMAP_THRESHOLD;
	if (start < a->lo)
		a->lo = start;
	if (start + cb > a->hi)
		a->hi = start + cb;
	acc_point(h, a, b->ts);
	site_count(h, b, cb);
}

void mr_frag_heap_dead(struct mr_frag_heap *h, const struct mr_block *b, uint64_t ts)
{
	bool mm = looks_mmapped(b->ptr, b->size);
	uint64_t cb = chunk_bytes(b->size, mm);
	struct acc *a;

	if (b->inherited)
		return;
	a = acc_find(h, b->aspace, b->ptr - CHUNK_HDR, mm, false);
	if (!a)
		return;
	a->req -= b->size <= a->req ? b->size : a->req;
	a->chunk -= cb <= a->chunk ? cb : a->chunk;
	acc_point(h, a, ts);
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

static struct addr_range main_range(const struct mr_report *rep, uint32_t aspace,
				    uint64_t lowest_chunk)
{
	const struct mr_aspace *as = mr_pairing_aspace(rep->pairing, aspace);
	struct addr_range r = { lowest_chunk, lowest_chunk + MAIN_REACH };
	uint64_t until = as ? as->end_ts : 0;

	/* a forked child that mapped nothing itself has its parent's image */
	while (as && !range_of(&rep->meta, as, until, &r)) {
		until = as->start_ts;
		as = as->parent_id < 0 ? NULL : mr_pairing_aspace(rep->pairing, as->parent_id);
	}
	return r;
}

/* ---- finish: regions and their series ---- */

static int cmp_acc(const void *a, const void *b)
{
	const struct acc *x = *(struct acc *const *)a, *y = *(struct acc *const *)b;

	if (x->aspace != y->aspace)
		return x->aspace < y->aspace ? -1 : 1;
	if (x->win != y->win)
		return x->win < y->win ? -1 : 1;
	return (int)x->mmap - (int)y->mmap;
}

struct tagged {
	struct point	p;
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
static void union_emit(struct series *out, const struct point *state, size_t n, uint64_t k,
		       uint64_t ts)
{
	struct point u = { .k = k, .ts = ts, .lo = UINT64_MAX };

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
static void series_union(struct series *out, struct acc **m, size_t n)
{
	struct point *state = mr_xcalloc(n, sizeof(*state));
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
	qsort(t, nt, sizeof(*t), cmp_tagged);
	*out = (struct series){ .pts = mr_xmalloc((total ? total : 1) * sizeof(struct point)),
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
	while (out->nr > SERIES_POINTS)
		series_coarsen(out);
	free(t);
	free(state);
}

static struct region *region_add(struct proc *p, enum region_kind kind, uint64_t base)
{
	struct region *r;

	p->regions = mr_xrealloc(p->regions, (p->nr_regions + 1) * sizeof(*p->regions));
	r = &p->regions[p->nr_regions++];
	*r = (struct region){ .kind = kind, .base = base, .lo = UINT64_MAX };
	return r;
}

/* Gives the accumulators m[0..n) to a new region of p. */
static void region_of_accs(struct proc *p, enum region_kind kind, struct acc **m, size_t n)
{
	struct region *r;

	if (!n)
		return;
	r = region_add(p, kind, m[0]->win << HEAP_WIN_SHIFT);
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
static bool in_range(const struct acc *a, struct addr_range r)
{
	return a->lo >= r.lo && a->lo < r.hi;
}

static void classify(struct proc *p, struct acc **a, size_t n, struct addr_range mr)
{
	struct acc **main = mr_xmalloc(n * sizeof(*main)), **mm = mr_xmalloc(n * sizeof(*mm));
	size_t nm = 0, nmm = 0;

	for (size_t i = 0; i < n; i++)
		if (in_range(a[i], mr))
			main[nm++] = a[i];
	region_of_accs(p, REG_MAIN, main, nm);
	for (size_t i = 0; i < n; i++) {
		size_t j = i + 1;
		bool heap = false;

		if (in_range(a[i], mr))
			continue;
		/* the window's other shape, if any, is next (sorted by window, then shape) */
		if (j < n && a[j]->win == a[i]->win && !in_range(a[j], mr))
			j++;
		for (size_t k = i; k < j; k++)
			heap |= !a[k]->mmap && a[k]->small;
		if (heap) {
			region_of_accs(p, REG_ARENA, &a[i], j - i);
		} else {
			for (size_t k = i; k < j; k++)
				mm[nmm++] = a[k];
		}
		i = j - 1;
	}
	region_of_accs(p, REG_MMAP, mm, nmm);
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
	struct region *r;
	struct acc *a;

	if (b->inherited || b->aspace >= w->nr_as || !w->proc_of[b->aspace])
		return 0;
	a = acc_find(w->h, b->aspace, start, mm, false);
	if (!a)
		return 0;
	r = &w->h->procs[w->proc_of[b->aspace] - 1].regions[a->region];
	if (r->nr_lc == r->alloc_lc) {
		r->alloc_lc = r->alloc_lc ? r->alloc_lc * 2 : 256;
		r->lc = mr_xrealloc(r->lc, r->alloc_lc * sizeof(*r->lc));
	}
	r->lc[r->nr_lc++] = (struct live_chunk){ start, start + chunk_bytes(b->size, mm), b };
	return 0;
}

static int cmp_lc(const void *a, const void *b)
{
	const struct live_chunk *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Keeps the NR_GAPS largest, largest first; equal ones in address order. */
static void gap_note(struct region *r, uint64_t addr, uint64_t size)
{
	int i;

	if (r->nr_gaps == NR_GAPS && size <= r->gaps[NR_GAPS - 1].size)
		return;
	i = r->nr_gaps < NR_GAPS ? r->nr_gaps++ : NR_GAPS - 1;
	for (; i > 0 && r->gaps[i - 1].size < size; i--)
		r->gaps[i] = r->gaps[i - 1];
	r->gaps[i] = (struct gap){ addr, size };
}

/*
 * The main arena only gives memory back from its top (systrim), so the
 * live block at the highest address holds everything free below it; once
 * it is freed the top can come down to the end of the next live chunk.
 */
static void pin_of(struct region *r, uint64_t below_end)
{
	const struct live_chunk *top = &r->lc[r->nr_lc - 1];
	uint64_t span = top->end - r->lo;

	r->has_pin = true;
	r->pin = *top->b;
	r->pin_chunk = top->end - top->start;
	r->free_below = span > r->chunk ? span - r->chunk : 0;
	r->shrink_by = top->end - (below_end < top->end ? below_end : top->end);
}

static void region_end(struct region *r)
{
	uint64_t end = r->lo, below_end = r->lo;

	qsort(r->lc, r->nr_lc, sizeof(*r->lc), cmp_lc);
	for (size_t i = 0; i < r->nr_lc; i++) {
		const struct live_chunk *c = &r->lc[i];

		r->req += c->b->size;
		r->chunk += c->end - c->start;
		/* freed mmapped chunks are unmapped: the holes between them are not malloc's */
		if (i && r->kind != REG_MMAP && c->start > end)
			gap_note(r, end, c->start - end);
		below_end = end;
		if (c->end > end)
			end = c->end;
	}
	r->n = r->nr_lc;
	if (r->kind == REG_MAIN && r->nr_lc)
		pin_of(r, below_end);
	free(r->lc);
	r->lc = NULL;
	r->nr_lc = r->alloc_lc = 0;
}

/* ---- finish ---- */

static uint64_t waste_of(const struct site *s)
{
	return s->chunk - s->req;
}

static int cmp_site(const void *a, const void *b)
{
	const struct site *x = *(struct site *const *)a, *y = *(struct site *const *)b;

	if (x->aspace != y->aspace)
		return x->aspace < y->aspace ? -1 : 1;
	if (waste_of(x) != waste_of(y))
		return waste_of(x) > waste_of(y) ? -1 : 1;
	if (x->allocs != y->allocs)
		return x->allocs > y->allocs ? -1 : 1;
	return x->stack < y->stack ? -1 : x->stack > y->stack;
}

/* Hands each process its slice of the sites, sorted by waste. */
static void give_sites(struct mr_frag_heap *h)
{
	struct site **all = mr_xmalloc((h->nr_sites ? h->nr_sites : 1) * sizeof(*all));
	size_t i = 0;

	for (size_t s = 0; s < h->nr_sites; s++)
		all[s] = &h->sites[s];
	qsort(all, h->nr_sites, sizeof(*all), cmp_site);
	for (size_t n = 0; n < h->nr_procs; n++) {
		struct proc *p = &h->procs[n];
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

static void proc_build(struct mr_frag_heap *h, const struct mr_report *rep, struct acc **a,
		       size_t n, int pid)
{
	uint64_t lowest = UINT64_MAX;
	struct proc *p;

	h->procs = mr_xrealloc(h->procs, (h->nr_procs + 1) * sizeof(*h->procs));
	p = &h->procs[h->nr_procs++];
	*p = (struct proc){ .aspace = a[0]->aspace, .pid = pid };
	for (size_t i = 0; i < n; i++)
		if (a[i]->lo < lowest)
			lowest = a[i]->lo;
	classify(p, a, n, main_range(rep, p->aspace, lowest));
}

void mr_frag_heap_finish(struct mr_frag_heap *h, struct mr_report *rep)
{
	struct acc **a = mr_xmalloc((h->nr_accs ? h->nr_accs : 1) * sizeof(*a));
	struct walk w = { .h = h, .nr_as = mr_pairing_nr_aspaces(rep->pairing) };

	w.proc_of = mr_xcalloc(w.nr_as + 1, sizeof(*w.proc_of));
	for (size_t i = 0; i < h->nr_accs; i++)
		a[i] = &h->accs[i];
	qsort(a, h->nr_accs, sizeof(*a), cmp_acc);
	for (size_t i = 0, j; i < h->nr_accs; i = j) {
		const struct mr_aspace *as = mr_pairing_aspace(rep->pairing, a[i]->aspace);
		int pid = as ? as->pid : -1;

		for (j = i + 1; j < h->nr_accs && a[j]->aspace == a[i]->aspace; j++)
			;
		if (rep->o->pid && pid != rep->o->pid)
			continue;
		proc_build(h, rep, a + i, j - i, pid);
		if (a[i]->aspace < w.nr_as)
			w.proc_of[a[i]->aspace] = h->nr_procs;
	}
	mr_pairing_for_each_live(rep->pairing, collect_live, &w);
	for (size_t n = 0; n < h->nr_procs; n++)
		for (size_t r = 0; r < h->procs[n].nr_regions; r++)
			region_end(&h->procs[n].regions[r]);
	give_sites(h);
	free(w.proc_of);
	free(a);
}

/* ---- writers ---- */

static const char *const region_keys[] = {
	[REG_MAIN] = "main", [REG_ARENA] = "thread_arena", [REG_MMAP] = "mmap",
};

static size_t sites_shown(const struct mr_report *rep, const struct proc *p)
{
	return rep->o->top && (size_t)rep->o->top < p->nr_sites ? (size_t)rep->o->top
								  : p->nr_sites;
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * part / whole : 0.0;
}

static int stack_frames(struct mr_report *rep, uint32_t aspace, uint32_t stack, uint64_t ts,
			struct mr_frame *frames)
{
	struct mr_leak l = { .aspace = aspace, .stack = stack, .ts_min = ts, .ts_max = ts };

	return mr_report_frames(rep, &l, frames, MR_MAX_STACK);
}

static void text_stack(FILE *f, struct mr_report *rep, uint32_t aspace, uint32_t stack,
		       uint64_t ts)
{
	struct mr_frame frames[MR_MAX_STACK];
	int nr = stack_frames(rep, aspace, stack, ts, frames);

	for (int i = 0; i < nr; i++)
		mr_text_frame(f, i, &frames[i]);
}

/* A few points of the series, spread over it: enough to see a trend. */
static void text_series(FILE *f, struct mr_report *rep, const struct series *s)
{
	size_t shown = s->nr < 6 ? s->nr : 6;

	fputs("      live/span:", f);
	for (size_t n = 0; n < shown; n++) {
		const struct point *p = &s->pts[shown > 1 ? n * (s->nr - 1) / (shown - 1) : 0];
		struct mr_human live = mr_human_bytes(p->chunk);
		struct mr_human span = mr_human_bytes(p->hi - p->lo);

		fprintf(f, "%s %.3f s %s/%s", n ? "," : "", mr_oom_rel_s(rep, p->ts), live.s,
			span.s);
	}
	fputc('\n', f);
}

static void text_pin(FILE *f, struct mr_report *rep, const struct proc *p, const struct region *r)
{
	const struct mr_block *b = &r->pin;

	fprintf(f, "      pin: %" PRIu64 " bytes (chunk %" PRIu64 ") at 0x%" PRIx64 " from %s, "
		"tid %d, allocated at %.3f s, holds %" PRIu64 " free bytes (%s) below it; freeing "
		"it lets the heap shrink by %" PRIu64 " bytes\n", b->size, r->pin_chunk, b->ptr,
		mr_fn_name(b->fn), b->tid, mr_oom_rel_s(rep, b->ts), r->free_below,
		mr_human_bytes(r->free_below).s, r->shrink_by);
	text_stack(f, rep, p->aspace, b->stack, b->ts);
}

static void text_region(FILE *f, struct mr_report *rep, const struct proc *p,
			const struct region *r)
{
	uint64_t span = r->hi - r->lo;

	if (r->kind == REG_MMAP)
		fprintf(f, "    mmapped chunks 0x%" PRIx64 "-0x%" PRIx64 ": %" PRIu64 " live, %"
			PRIu64 " bytes (%" PRIu64 " requested)\n", r->lo, r->hi, r->n, r->chunk,
			r->req);
	else
		fprintf(f, "    %s 0x%" PRIx64 "-0x%" PRIx64 ": %" PRIu64 " live chunk%s, %" PRIu64
			" bytes (%" PRIu64 " requested) in a span of %" PRIu64 ": %" PRIu64
			" bytes free (%.1f%%)\n",
			r->kind == REG_MAIN ? "main arena (brk heap)" : "thread arena heap",
			r->lo, r->hi, r->n, plural(r->n), r->chunk, r->req, span,
			span > r->chunk ? span - r->chunk : 0,
			pct(span > r->chunk ? span - r->chunk : 0, span));
	text_series(f, rep, &r->s);
	if (r->nr_gaps) {
		fputs("      largest free gaps:", f);
		for (int i = 0; i < r->nr_gaps; i++)
			fprintf(f, "%s %" PRIu64 " at 0x%" PRIx64, i ? "," : "", r->gaps[i].size,
				r->gaps[i].addr);
		fputc('\n', f);
	}
	if (r->has_pin)
		text_pin(f, rep, p, r);
}

static void text_sites(FILE *f, struct mr_report *rep, const struct proc *p)
{
	size_t shown = sites_shown(rep, p);

	fprintf(f, "    malloc overhead: %" PRIu64 " allocations, %" PRIu64 " bytes requested, %"
		PRIu64 " in chunks, %" PRIu64 " wasted (%.2f%%) over %zu call site%s", p->allocs,
		p->req, p->chunk, p->chunk - p->req, pct(p->chunk - p->req, p->chunk), p->nr_sites,
		plural(p->nr_sites));
	if (shown < p->nr_sites)
		fprintf(f, " (top %zu by waste shown)", shown);
	fputc('\n', f);
	for (size_t i = 0; i < shown; i++) {
		const struct site *s = p->sites[i];

		fprintf(f, "    #%zu %" PRIu64 " bytes wasted (%.2f%%) in %" PRIu64
			" allocation%s from %s: %" PRIu64 " requested, %" PRIu64 " in chunks\n",
			i + 1, waste_of(s), pct(waste_of(s), s->chunk), s->allocs,
			plural(s->allocs), mr_fn_name(s->fn), s->req, s->chunk);
		text_stack(f, rep, p->aspace, s->stack, s->ts);
	}
}

int mr_frag_heap_text(FILE *f, struct mr_report *rep, const struct mr_frag_heap *h)
{
	fputs("\nuser heap\n", f);
	if (!h || !h->nr_procs) {
		fputs("  no heap block was allocated while recording\n", f);
		return 0;
	}
	for (size_t n = 0; n < h->nr_procs; n++) {
		const struct proc *p = &h->procs[n];

		fprintf(f, "  pid %d (%s): %zu region%s\n", p->pid, mr_report_comm(rep, p->aspace),
			p->nr_regions, p->nr_regions == 1 ? "" : "s");
		for (size_t r = 0; r < p->nr_regions; r++)
			text_region(f, rep, p, &p->regions[r]);
		text_sites(f, rep, p);
	}
	return 0;
}

static void json_stack(FILE *f, struct mr_report *rep, uint32_t aspace, uint32_t stack,
		       uint64_t ts, int indent)
{
	struct mr_frame frames[MR_MAX_STACK];
	int nr = stack_frames(rep, aspace, stack, ts, frames);

	fputs("\"stack\": [", f);
	for (int i = 0; i < nr; i++)
		mr_json_frame(f, &frames[i], !i, indent);
	fputc(']', f);
}

static void json_series(FILE *f, struct mr_report *rep, const struct series *s)
{
	fprintf(f, "\"bucket_ns\": %" PRIu64 ", \"series\": [", (uint64_t)1 << s->shift);
	for (size_t i = 0; i < s->nr; i++) {
		const struct point *p = &s->pts[i];

		fprintf(f, "%s\n          {\"t_s\": %.6f, \"live_bytes\": %" PRIu64
			", \"live_chunk_bytes\": %" PRIu64 ", \"span\": %" PRIu64 "}",
			i ? "," : "", mr_oom_rel_s(rep, p->ts), p->req, p->chunk, p->hi - p->lo);
	}
	fputc(']', f);
}

static void json_pin(FILE *f, struct mr_report *rep, const struct proc *p,
		     const struct region *r)
{
	const struct mr_block *b = &r->pin;

	if (!r->has_pin) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"addr\": \"0x%" PRIx64 "\", \"size\": %" PRIu64 ", \"chunk_size\": %" PRIu64
		", \"alloc_fn\": \"%s\", \"tid\": %d, \"alloc_s\": %.6f, \"age_s\": %.6f"
		", \"free_below\": %" PRIu64 ", \"shrink_by\": %" PRIu64 ",\n          ",
		b->ptr, b->size, r->pin_chunk, mr_fn_name(b->fn), b->tid, mr_oom_rel_s(rep, b->ts),
		(rep->end_ts - b->ts) / 1e9, r->free_below, r->shrink_by);
	json_stack(f, rep, p->aspace, b->stack, b->ts, 12);
	fputc('}', f);
}

static void json_region(FILE *f, struct mr_report *rep, const struct proc *p,
			const struct region *r, bool first)
{
	uint64_t span = r->hi - r->lo;

	fprintf(f, "%s\n        {\"kind\": \"%s\", \"lowest\": \"0x%" PRIx64
		"\", \"highest\": \"0x%" PRIx64 "\", \"span\": %" PRIu64 ", \"live_chunks\": %"
		PRIu64 ", \"live_bytes\": %" PRIu64 ", \"live_chunk_bytes\": %" PRIu64
		", \"free_bytes\": ", first ? "" : ",",
		region_keys[r->kind], r->lo, r->hi, span, r->n, r->req, r->chunk);
	if (r->kind == REG_MMAP)
		fputs("null", f);
	else
		fprintf(f, "%" PRIu64, span > r->chunk ? span - r->chunk : 0);
	fputs(",\n         ", f);
	json_series(f, rep, &r->s);
	fputs(",\n         \"gaps\": [", f);
	for (int i = 0; i < r->nr_gaps; i++)
		fprintf(f, "%s{\"addr\": \"0x%" PRIx64 "\", \"size\": %" PRIu64 "}", i ? ", " : "",
			r->gaps[i].addr, r->gaps[i].size);
	fputs("],\n         \"pin\": ", f);
	json_pin(f, rep, p, r);
	fputc('}', f);
}

static void json_site(FILE *f, struct mr_report *rep, const struct proc *p, const struct site *s,
		      bool first)
{
	fprintf(f, "%s\n        {\"alloc_fn\": \"%s\", \"allocs\": %" PRIu64
		", \"requested_bytes\": %" PRIu64 ", \"chunk_bytes\": %" PRIu64
		", \"waste_bytes\": %" PRIu64 ", \"waste_pct\": %.4f,\n         ", first ? "" : ",",
		mr_fn_name(s->fn), s->allocs,
		s->req, s->chunk, waste_of(s), pct(waste_of(s), s->chunk));
	json_stack(f, rep, p->aspace, s->stack, s->ts, 12);
	fputc('}', f);
}

static void json_proc(FILE *f, struct mr_report *rep, const struct proc *p, bool first)
{
	size_t shown = sites_shown(rep, p);

	fprintf(f, "%s\n      {\"pid\": %d, \"comm\": ", first ? "" : ",", p->pid);
	mr_json_str(f, mr_report_comm(rep, p->aspace));
	fputs(", \"regions\": [", f);
	for (size_t r = 0; r < p->nr_regions; r++)
		json_region(f, rep, p, &p->regions[r], !r);
	fprintf(f, "],\n       \"allocs\": %" PRIu64 ", \"requested_bytes\": %" PRIu64
		", \"chunk_bytes\": %" PRIu64 ", \"waste_bytes\": %" PRIu64 ", \"sites_total\": %zu"
		", \"sites\": [", p->allocs, p->req, p->chunk, p->chunk - p->req, p->nr_sites);
	for (size_t i = 0; i < shown; i++)
		json_site(f, rep, p, p->sites[i], !i);
	fputs("]}", f);
}

int mr_frag_heap_json(FILE *f, struct mr_report *rep, const struct mr_frag_heap *h)
{
	fprintf(f, "{\"mmap_threshold\": %llu, \"heap_max_size\": %llu, \"points_max\": %d"
		", \"processes\": [", MMAP_THRESHOLD, 1ull << HEAP_WIN_SHIFT, SERIES_POINTS);
	for (size_t n = 0; h && n < h->nr_procs; n++)
		json_proc(f, rep, &h->procs[n], !n);
	fputs("]}", f);
	return 0;
}

int mr_frag_heap_section_text(FILE *f, struct mr_report *rep)
{
	return mr_frag_heap_text(f, rep, rep->heap);
}

int mr_frag_heap_section_json(FILE *f, struct mr_report *rep)
{
	return mr_frag_heap_json(f, rep, rep->heap);
}

void mr_frag_heap_free(struct mr_frag_heap *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->nr_accs; i++)
		free(h->accs[i].s.pts);
	for (size_t n = 0; n < h->nr_procs; n++) {
		for (size_t r = 0; r < h->procs[n].nr_regions; r++)
			free(h->procs[n].regions[r].s.pts);
		free(h->procs[n].regions);
		free(h->procs[n].sites);
	}
	free(h->procs);
	free(h->accs);
	free(h->sites);
	kmap_release(&h->acc_map);
	kmap_release(&h->site_map);
	free(h);
}
