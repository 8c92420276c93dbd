// SPDX-License-Identifier: GPL-2.0
/*
 * kmem.c - the kernel side: live slab objects by address and live pages by
 * pfn, per-site slab figures (perf kmem --slab's), page orders and
 * migratetypes, gfp flags and fallbacks, and at the end the kernel memory
 * still allocated, grouped per process, site and stacks.
 *
 * Frees come from every task (the recorder arms them host-wide), so an
 * object the target allocated and an RCU callback or a kworker freed is
 * paired like any other. A free whose object was not allocated in the trace
 * (before recording, or by a task not recorded) only counts as unmatched.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "mr_group.h"
#include "mr_hmap.h"
#include "mr_preload.h"
#include "mr_u64map.h"
#include "leak/kmem.h"

#define PAGE_SHIFT	12

/* A live slab object or page block: the pools behind the maps. */
struct kobj {
	uint64_t	key;		/* address or pfn */
	uint64_t	ts;
	uint64_t	bytes;
	uint32_t	site;		/* slab: sites[]; pages: the order */
	uint32_t	kstack, ustack;
	int		pid;
	int		cpu;
	uint32_t	next_free;	/* pool free list */
};

struct kpool {
	struct kobj	*v;
	uint32_t	nr, cap, free;
	struct mr_hmap	map;		/* key -> index */
};

/*
 * The direct map's base, learned from the recording: slab objects are
 * direct-map addresses, page events give pfns, and page_offset_base is
 * randomised (KASLR). A page allocation followed on the same CPU by an
 * object allocation from that page (a slab taking a new page), or an object
 * free followed by the free of its page (a slab's last object, or a large
 * kmalloc), gives base = (ptr rounded down to the block) - (pfn << 12).
 * Only 1 GiB aligned candidates count (the base is PUD aligned, with or
 * without KASLR); a pair that is not one is aligned only by chance (1 in
 * 2^(18 - order)) and then scatters over bases RAM-size apart. Each page
 * event gives one sample at most: a chance match of one page pair would
 * else count once per object on the page (5 maple_node objects on pfn
 * 0x242c34 voted for a page allocated at 0x142c34, 1 GiB off, in a
 * recording of ls that had 3 true samples).
 */
#define DMAP_ALIGN	(1ull << 30)
#define DMAP_PAGES	4	/* a CPU's last page allocations an object is tried on */
#define DMAP_NEXT	8	/* by its next object allocations only: a new slab's come first */
#define DMAP_FREES	2	/* a CPU's last object frees a page free is tried on */
#define DMAP_CANDS	8	/* distinct bases counted; more only add to 'contrary' */
#define DMAP_MIN	2	/* samples the base needs */
/* x86_64's MAX_PHYSMEM_BITS with 4-level paging: the direct map's largest extent */
#define DMAP_BITS	46

struct dmap_cpu {
	int64_t		pfn[DMAP_PAGES];
	int		order[DMAP_PAGES];
	int		left[DMAP_PAGES];	/* objects it may still be tried on; 0: done */
	uint64_t	ptr[DMAP_FREES];
	unsigned int	npages, nfrees;	/* rings: the next slot, mod the size */
};

struct dmap {
	struct dmap_cpu	*cpus;		/* per host CPU */
	struct { uint64_t base, votes; } cand[DMAP_CANDS];
	int		nr_cand;
	uint64_t	aligned;	/* every aligned candidate, counted ones or not */
	/* page blocks freed: (pfn << 4 | order) -> their last free's ts in freed_ts[] */
	struct mr_u64map freed;
	uint64_t	*freed_ts;
	uint32_t	nr_freed, cap_freed;
};

struct kmem_priv {
	struct mr_pairing	*stacks;
	const struct mr_tasks	*tasks;
	struct kpool		objs, pages;
	struct mr_hmap		site_map, cache_map;	/* -> sites[], caches[] */
	struct mr_u64map	gfp_map, frag_map;	/* flags, packed orders -> index */
	struct dmap		dmap;
	bool			any;
};

#define NIL	UINT32_MAX

struct mr_kmem *mr_kmem_new(const struct mr_tasks *tasks, struct mr_pairing *stacks, int ncpu)
{
	struct mr_kmem *k = mr_xcalloc(1, sizeof(*k));

	k->ncpu = ncpu > 0 ? ncpu : 1;
	k->priv = mr_xcalloc(1, sizeof(*k->priv));
	k->priv->stacks = stacks;
	k->priv->tasks = tasks;
	k->priv->objs.free = k->priv->pages.free = NIL;
	k->priv->dmap.cpus = mr_xcalloc(k->ncpu, sizeof(*k->priv->dmap.cpus));
	k->vmem = mr_vmem_new(tasks, stacks, ncpu);
	return k;
}

static bool kobj_eq(const void *v, uint32_t idx, const void *key)
{
	return ((const struct kobj *)v)[idx].key == *(const uint64_t *)key;
}

/* Adds o under key, which no live object has (pool_take it first). */
static void pool_add(struct kpool *p, uint64_t key, const struct kobj *o)
{
	uint32_t idx = p->free;

	if (idx != NIL) {
		p->free = p->v[idx].next_free;
	} else {
		MR_ALLOC_GROW(p->v, p->nr, p->cap);
		idx = p->nr++;
	}
	p->v[idx] = *o;
	p->v[idx].key = key;
	p->v[idx].next_free = NIL;
	mr_hmap_add(&p->map, mr_hash_u64(key), idx);
}

/* Removes key's object; returns it in *o. */
static bool pool_take(struct kpool *p, uint64_t key, struct kobj *o)
{
	uint32_t idx = mr_hmap_del(&p->map, mr_hash_u64(key), kobj_eq, p->v, &key);

	if (idx == MR_HMAP_NONE)
		return false;
	*o = p->v[idx];
	p->v[idx].next_free = p->free;
	p->free = idx;
	return true;
}

static bool cache_eq(const void *caches, uint32_t idx, const void *key)
{
	return !strcmp(((char *const *)caches)[idx], key);
}

static uint32_t intern_cache(struct mr_kmem *k, const char *name)
{
	uint32_t h = mr_hash_str(name);
	uint32_t id = mr_hmap_get(&k->priv->cache_map, h, cache_eq, k->caches, name);

	if (id != MR_HMAP_NONE)
		return id;
	k->caches = mr_xrealloc(k->caches, (k->nr_caches + 1) * sizeof(*k->caches));
	k->caches[k->nr_caches] = mr_xstrdup(name);
	mr_hmap_add(&k->priv->cache_map, h, k->nr_caches);
	return k->nr_caches++;
}

/* Sites are told apart by call site and cache (an interned name, or NULL). */
static bool site_eq(const void *sites, uint32_t idx, const void *key)
{
	const struct mr_kmem_site *s = (const struct mr_kmem_site *)sites + idx, *k = key;

	return s->call_site == k->call_site && s->cache == k->cache;
}

static struct mr_kmem_site *site_of(struct mr_kmem *k, uint64_t call_site, const char *cache)
{
	uint32_t cid = cache && *cache ? intern_cache(k, cache) : NIL;
	struct mr_kmem_site key = { .call_site = call_site,
				    .cache = cid == NIL ? NULL : k->caches[cid] };
	uint32_t h = mr_hash_u64(call_site ^ mr_hash_u64(cid));
	uint32_t idx = mr_hmap_get(&k->priv->site_map, h, site_eq, k->sites, &key);

	if (idx != MR_HMAP_NONE)
		return &k->sites[idx];
	k->sites = mr_xrealloc(k->sites, (k->nr_sites + 1) * sizeof(*k->sites));
	k->sites[k->nr_sites] = key;
	mr_hmap_add(&k->priv->site_map, h, k->nr_sites);
	return &k->sites[k->nr_sites++];
}

static struct mr_kmem_gfp *gfp_of(struct mr_kmem *k, const struct mr_event *ev)
{
	uint64_t flags = ev->kind == MR_EV_PAGE_ALLOC ? ev->page_alloc.gfp_flags :
							ev->slab_alloc.gfp_flags;
	uint32_t *idx = mr_u64map_get(&k->priv->gfp_map, flags);
	struct mr_kmem_gfp *g;

	if (idx)
		return &k->gfps[*idx];
	k->gfps = mr_xrealloc(k->gfps, (k->nr_gfps + 1) * sizeof(*k->gfps));
	g = &k->gfps[k->nr_gfps];
	memset(g, 0, sizeof(*g));
	g->flags = flags;
	g->name = ev->gfp ? mr_xstrdup(ev->gfp) : mr_xasprintf("%#llx", (unsigned long long)flags);
	mr_u64map_put(&k->priv->gfp_map, flags, k->nr_gfps);
	return &k->gfps[k->nr_gfps++];
}

/* The stacks of an allocation: an interrupt's allocation is not its task's doing. */
static void stacks_of(struct mr_kmem *k, const struct mr_event *ev, struct kobj *o)
{
	o->kstack = ev->nr_kstack > 0 ? mr_pairing_intern(k->priv->stacks, ev->kstack,
							    ev->nr_kstack) : MR_NO_STACK;
	o->ustack = ev->nr_stack > 0 && !ev->irq && ev->stack ?
		    mr_pairing_intern(k->priv->stacks, ev->stack, ev->nr_stack) : MR_NO_STACK;
	o->pid = mr_tasks_tgid(k->priv->tasks, ev);
	o->cpu = ev->cpu % k->ncpu;
	o->ts = ev->ts;
}

/* Whether ptr and the block (pfn, order) gave an aligned candidate, counted. */
static bool dmap_vote(struct dmap *d, uint64_t ptr, int64_t pfn, int order)
{
	uint64_t base = (ptr & ~((4096ull << order) - 1)) - ((uint64_t)pfn << PAGE_SHIFT);
	int i;

	if (base % DMAP_ALIGN)
		return false;
	d->aligned++;
	for (i = 0; i < d->nr_cand && d->cand[i].base != base; i++)
		;
	if (i == DMAP_CANDS)
		return true;
	d->cand[i].base = base;
	d->cand[i].votes++;
	d->nr_cand += i == d->nr_cand;
	return true;
}

static bool dmap_order_ok(int64_t pfn, int64_t order)
{
	return pfn >= 0 && order >= 0 && order < MR_KMEM_ORDERS;
}

/* An object allocated: tried on its CPU's last page allocations that gave no sample yet. */
static void dmap_object(struct mr_kmem *k, const struct mr_event *ev)
{
	struct dmap_cpu *c = &k->priv->dmap.cpus[ev->cpu % k->ncpu];

	for (unsigned int i = 0; i < DMAP_PAGES; i++) {
		if (!c->left[i])
			continue;
		c->left[i]--;
		if (dmap_vote(&k->priv->dmap, ev->slab_alloc.ptr, c->pfn[i], c->order[i]))
			c->left[i] = 0;
	}
}

/* A page block freed: tried on its CPU's last object frees, and remembered. */
static void dmap_page_free(struct mr_kmem *k, const struct mr_event *ev)
{
	struct dmap *d = &k->priv->dmap;
	struct dmap_cpu *c = &d->cpus[ev->cpu % k->ncpu];
	unsigned int n = c->nfrees < DMAP_FREES ? c->nfrees : DMAP_FREES;
	uint64_t key = (uint64_t)ev->page_free.pfn << 4 | ev->page_free.order;
	uint32_t *idx;

	if (!dmap_order_ok(ev->page_free.pfn, ev->page_free.order))
		return;
	for (unsigned int i = 0; i < n; i++)
		if (dmap_vote(d, c->ptr[i], ev->page_free.pfn, ev->page_free.order))
			break;
	idx = mr_u64map_get(&d->freed, key);
	if (!idx) {
		MR_ALLOC_GROW(d->freed_ts, d->nr_freed, d->cap_freed);
		idx = mr_u64map_put(&d->freed, key, d->nr_freed++);
	}
	d->freed_ts[*idx] = ev->ts;
}

static void slab_alloc(struct mr_kmem *k, const struct mr_event *ev)
{
	struct mr_kmem_site *s = site_of(k, ev->slab_alloc.call_site, ev->cache);
	struct kobj o = { .bytes = ev->slab_alloc.bytes_alloc, .site = s - k->sites };
	struct kobj old;

	if (!ev->slab_alloc.ptr)
		return;		/* a failed allocation */
	k->st.slab_allocs++;
	k->st.irq_allocs += ev->irq;
	dmap_object(k, ev);
	s->hits++;
	/* a slab never gives less than was asked for: a damaged file's would wrap the waste */
	s->bytes_req += ev->slab_alloc.bytes_req < ev->slab_alloc.bytes_alloc ?
			ev->slab_alloc.bytes_req : ev->slab_alloc.bytes_alloc;
	s->bytes_alloc += ev->slab_alloc.bytes_alloc;
	gfp_of(k, ev)->slab_allocs++;
	stacks_of(k, ev, &o);
	/* an address allocated again: its free was not seen (lost, or before) */
	if (pool_take(&k->priv->objs, ev->slab_alloc.ptr, &old))
		k->sites[old.site].live--, k->sites[old.site].live_bytes -= old.bytes;
	s->live++;
	s->live_bytes += o.bytes;
	pool_add(&k->priv->objs, ev->slab_alloc.ptr, &o);
}

static void slab_free(struct mr_kmem *k, const struct mr_event *ev)
{
	struct mr_kmem_site *s;
	struct dmap_cpu *dc;
	struct kobj o;
	int pid = mr_tasks_tgid(k->priv->tasks, ev);

	if (!ev->slab_free.ptr)
		return;		/* kfree(NULL) */
	dc = &k->priv->dmap.cpus[ev->cpu % k->ncpu];
	dc->ptr[dc->nfrees++ % DMAP_FREES] = ev->slab_free.ptr;
	if (!pool_take(&k->priv->objs, ev->slab_free.ptr, &o)) {
		k->st.slab_unmatched++;
		return;
	}
	s = &k->sites[o.site];
	k->st.slab_frees++;
	k->st.slab_frees_other += pid != o.pid;
	k->st.slab_frees_irq += ev->irq;
	s->frees++;
	s->cross_cpu += ev->cpu % k->ncpu != o.cpu;
	s->live--;
	s->live_bytes -= o.bytes;
}

static int clamp(int64_t v, int max)
{
	return v < 0 ? 0 : v >= max ? max - 1 : (int)v;
}

static void page_alloc(struct mr_kmem *k, const struct mr_event *ev)
{
	int order = clamp(ev->page_alloc.order, MR_KMEM_ORDERS);
	struct kobj o = { .bytes = 1ull << (order + PAGE_SHIFT), .site = order };
	struct mr_kmem_gfp *g = gfp_of(k, ev);
	struct kobj old;

	if (ev->page_alloc.pfn == -1) {
		k->st.page_fails++;
		k->st.fails[order]++;
		return;
	}
	if (dmap_order_ok(ev->page_alloc.pfn, ev->page_alloc.order)) {
		struct dmap_cpu *c = &k->priv->dmap.cpus[ev->cpu % k->ncpu];

		c->pfn[c->npages % DMAP_PAGES] = ev->page_alloc.pfn;
		c->order[c->npages % DMAP_PAGES] = ev->page_alloc.order;
		c->left[c->npages++ % DMAP_PAGES] = DMAP_NEXT;
	}
	k->st.page_allocs++;
	k->st.irq_allocs += ev->irq;
	k->st.allocs[order][clamp(ev->page_alloc.migratetype, MR_KMEM_MT)]++;
	g->page_allocs++;
	g->pages += 1ull << order;
	stacks_of(k, ev, &o);
	if (pool_take(&k->priv->pages, (uint64_t)ev->page_alloc.pfn, &old))
		k->st.live[old.site]--;
	pool_add(&k->priv->pages, (uint64_t)ev->page_alloc.pfn, &o);
	k->st.live[order]++;
}

static void page_free(struct mr_kmem *k, const struct mr_event *ev)
{
	struct kobj o;
	int pid = mr_tasks_tgid(k->priv->tasks, ev);

	dmap_page_free(k, ev);
	if (!pool_take(&k->priv->pages, (uint64_t)ev->page_free.pfn, &o)) {
		k->st.page_unmatched++;
		return;
	}
	k->st.page_frees++;
	k->st.page_frees_other += pid != o.pid;
	k->st.freed[o.site]++;
	k->st.live[o.site]--;
}

static void extfrag(struct mr_kmem *k, const struct mr_event *ev)
{
	const typeof(ev->extfrag) *x = &ev->extfrag;
	uint64_t key = (uint64_t)(x->alloc_order & 0xff) << 24 | (x->fallback_order & 0xff) << 16 |
		       (x->alloc_mt & 0xff) << 8 | (x->fallback_mt & 0xff);
	uint32_t *idx = mr_u64map_get(&k->priv->frag_map, key);
	struct mr_kmem_extfrag *f;

	k->st.extfrag++;
	if (!idx) {
		k->frags = mr_xrealloc(k->frags, (k->nr_frags + 1) * sizeof(*k->frags));
		k->frags[k->nr_frags] = (struct mr_kmem_extfrag){
			.alloc_order = x->alloc_order, .fallback_order = x->fallback_order,
			.alloc_mt = x->alloc_mt, .fallback_mt = x->fallback_mt,
		};
		idx = mr_u64map_put(&k->priv->frag_map, key, k->nr_frags++);
	}
	f = &k->frags[*idx];
	f->count++;
	f->change_ownership += !!x->change_ownership;
}

void mr_kmem_feed(struct mr_kmem *k, const struct mr_event *ev)
{
	switch (ev->kind) {
	case MR_EV_SLAB_ALLOC: slab_alloc(k, ev); break;
	case MR_EV_SLAB_FREE: slab_free(k, ev); break;
	case MR_EV_PAGE_ALLOC: page_alloc(k, ev); break;
	case MR_EV_PAGE_FREE: page_free(k, ev); break;
	case MR_EV_EXTFRAG: extfrag(k, ev); break;
	default:
		if (!mr_vmem_feed(k->vmem, ev))
			return;
	}
	k->priv->any = true;
}

bool mr_kmem_any(const struct mr_kmem *k)
{
	return k && (k->priv->any || mr_vmem_any(k->vmem));
}

static int cmp_gfp(const void *a, const void *b)
{
	const struct mr_kmem_gfp *x = a, *y = b;
	uint64_t nx = x->page_allocs + x->slab_allocs, ny = y->page_allocs + y->slab_allocs;

	return nx > ny ? -1 : nx < ny;
}

static int cmp_frag(const void *a, const void *b)
{
	const struct mr_kmem_extfrag *x = a, *y = b;

	return x->count > y->count ? -1 : x->count < y->count;
}

/* After the last event: gfp flags and fallbacks, most used first (the maps are done with). */
void mr_kmem_finish(struct mr_kmem *k)
{
	mr_qsort(k->gfps, k->nr_gfps, sizeof(*k->gfps), cmp_gfp);
	mr_qsort(k->frags, k->nr_frags, sizeof(*k->frags), cmp_frag);
}

/* ---- the kernel rows of the leak report ---- */

static int cmp_key(const void *a, const void *b)
{
	const struct mr_kleak *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->call_site != y->call_site)
		return x->call_site < y->call_site ? -1 : 1;
	if (x->site != y->site)
		return x->site < y->site ? -1 : 1;
	if (x->kstack != y->kstack)
		return x->kstack < y->kstack ? -1 : 1;
	if (x->reason != y->reason)	/* set only for objects on freed slab pages yet */
		return x->reason < y->reason ? -1 : 1;
	return x->ustack < y->ustack ? -1 : x->ustack > y->ustack;
}

static int cmp_bytes(const void *a, const void *b)
{
	const struct mr_kleak *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return cmp_key(a, b);
}

static void merge(void *into, const void *row)
{
	struct mr_kleak *l = into;
	const struct mr_kleak *r = row;

	l->bytes += r->bytes;
	l->count += r->count;
	if (r->ts_min < l->ts_min)
		l->ts_min = r->ts_min;
	if (r->ts_max > l->ts_max)
		l->ts_max = r->ts_max;
}

/*
 * The rule: the base most candidates agree on is the direct map's when at
 * least DMAP_MIN agree and they are at least 3 in 4 of all the aligned
 * candidates; else it is not known and no object is looked up. Measured
 * on 29 recordings of programs here: 2 to 483 samples, 0 contrary but in
 * two (2, against 16 and 483); the 6.1 VM's (KASLR, 5-level paging) agree
 * on 0xff3927a740000000. A page free tried on the last 8 object frees
 * rather than 2 gave as many samples and 1 to 2 contrary in four of them,
 * one of which (2 against 1) was then not learned.
 */
static void direct_map(const struct dmap *d, struct mr_kleaks *out)
{
	int best = -1;

	for (int i = 0; i < d->nr_cand; i++)
		if (best < 0 || d->cand[i].votes > d->cand[best].votes)
			best = i;
	if (best < 0)
		return;
	out->dmap_base = d->cand[best].base;
	out->dmap_samples = d->cand[best].votes;
	out->dmap_contrary = d->aligned - d->cand[best].votes;
	out->dmap_known = out->dmap_samples >= DMAP_MIN &&
			  out->dmap_samples >= 3 * out->dmap_contrary;
}

/*
 * Whether the page holding the object at ptr was freed after ts: the kernel
 * frees a slab page only once every object on it is free, so the object
 * is gone even though its free was not seen. Its block may be of any order,
 * so each order's aligned block holding its pfn is looked up. An address
 * outside the direct map (below its base, or past its largest extent: the
 * vmalloc area, module space) is never looked up; under KASLR vmalloc
 * begins past the direct map's RAM, where no page is ever freed.
 */
static bool page_freed_after(const struct dmap *d, const struct mr_kleaks *l, uint64_t ptr,
			     uint64_t ts)
{
	uint64_t pfn;

	if (!l->dmap_known || ptr < l->dmap_base || ptr - l->dmap_base >= 1ull << DMAP_BITS)
		return false;
	pfn = (ptr - l->dmap_base) >> PAGE_SHIFT;
	for (int order = 0; order < MR_KMEM_ORDERS; order++) {
		uint64_t base = pfn & ~((1ull << order) - 1);
		uint32_t *idx = mr_u64map_get(&d->freed, base << 4 | order);

		if (idx && d->freed_ts[*idx] > ts)
			return true;
	}
	return false;
}

static void add_pool(struct mr_ctx *ctx, const struct kmem_priv *priv, const struct kpool *p,
		     bool page, struct mr_kleaks *out, size_t *cap)
{
	uint64_t min_age = ctx->o->min_age_s * 1e9;

	for (size_t pos = 0; pos <= p->map.mask && p->map.slots; pos++) {
		uint32_t idx = mr_hmap_at(&p->map, pos);
		const struct kobj *o;

		if (idx == MR_HMAP_NONE)
			continue;
		o = &p->v[idx];
		if ((ctx->o->pid && o->pid != ctx->o->pid) ||
		    (min_age && ctx->end_ts - o->ts < min_age))
			continue;
		MR_ALLOC_GROW(out->rows, out->nr, *cap);
		out->rows[out->nr++] = (struct mr_kleak){
			.pid = o->pid, .page = page, .kind = page ? MR_KLEAK_PAGE : MR_KLEAK_SLAB,
			.order = page ? (int)o->site : 0,
			.site = page ? 0 : o->site, .kstack = o->kstack, .ustack = o->ustack,
			.bytes = o->bytes, .count = 1, .ts_min = o->ts, .ts_max = o->ts,
			.reason = !page && page_freed_after(&priv->dmap, out, o->key, o->ts) ?
				  MR_KR_SLAB_PAGE_FREED : MR_KR_CONFIRMED,
		};
	}
}

const char *const mr_kreason_names[MR_KR_NR] = {
	"confirmed", "no_free_event", "task_held", "teardown_unseen", "slab_page_freed",
};

const char *const mr_kreason_text[MR_KR_NR] = {
	"",
	"of caches this kernel frees without a kmem event (kfree_rcu into slab sheaves)",
	"freed with an exited task's task_struct, which memrec's perf events hold until the "
	"recording ends (creds, taskstats, signal, thread stack)",
	"of exited processes, freed at their teardown (exit_mmap, page tables) but not seen",
	"on slab pages freed after them: the kernel frees a slab page only once all its "
	"objects are free, their frees were not seen",
};

static bool in_list(const char *fn, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(fn, *list))
			return true;
	return false;
}

static bool stack_has(struct mr_ctx *ctx, uint32_t kstack, const char *const *list)
{
	const uint64_t *f;
	int n;

	if (kstack == MR_NO_STACK)
		return false;
	f = mr_pairing_stack(ctx->pairing, kstack, &n);
	for (int i = 0; i < n; i++) {
		const char *fn = mr_ctx_ksym(ctx, f[i], NULL);

		if (fn && in_list(fn, list))
			return true;
	}
	return false;
}

/*
 * Kernel memory memrec's recording made in the targets: perf inherits its
 * events into each new thread and child, allocating them there; the uprobes
 * allocate a return instance per uretprobe hit and per-task state (and the
 * preload library's own system calls: preload_own).
 */
static const char *const overhead_fns[] = {
	"perf_event_init_task", "inherit_event", "perf_event_alloc",
	"handler_chain", "uprobe_notify_resume", "prepare_uretprobe", "handle_swbp",
	"uprobe_handle_trampoline", "alloc_return_instance", "uprobe_copy_process",
	"dup_utask", "get_utask", "xol_add_vma", "__create_xol_area", "uprobe_mmap",
	"install_breakpoint", NULL,
};

/* The functions memrec's preload library puts in the command: the program's calls. */
static const char *const preload_hooks[] = { MR_PL_HOOK_SYMBOLS, NULL };

/*
 * A kernel allocation the preload library made in the command for the
 * recording: its first frame in the library is the library's own code
 * (opening the shared memory, reading /proc/self/maps for the stack walk),
 * not one of the hooks, under which the allocator's own system calls are
 * the program's. Names only: no DWARF is read.
 */
static bool preload_own(struct mr_ctx *ctx, const struct mr_kleak *l)
{
	const uint64_t *f;
	int n;

	if (l->ustack == MR_NO_STACK)
		return false;
	f = mr_pairing_stack(ctx->pairing, l->ustack, &n);
	for (int i = 0; i < n; i++) {
		const char *mod = mr_symbols_module(ctx->symbols, l->pid, l->ts_min, f[i]), *fn;

		if (!mod || fnmatch("*/" MR_PL_LIB_NAME, mod, 0))
			continue;
		fn = mr_symbols_function(ctx->symbols, l->pid, l->ts_min, f[i], i > 0);
		return fn && !in_list(fn, preload_hooks);
	}
	return false;
}

/* Freed by __put_task_struct, which waits for memrec's perf events to let the task go. */
static const char *const task_fns[] = {
	"prepare_creds", "prepare_kernel_cred", "copy_creds", "taskstats_exit", "copy_signal",
	"dup_task_struct", "alloc_thread_stack_node", "__vmalloc_node_noprof", NULL,
};

/* What exit_mmap frees: anonymous pages, page tables, the address space's objects. */
static const char *const teardown_fns[] = {
	"do_anonymous_page", "do_wp_page", "wp_page_copy", "alloc_anon_folio",
	"__pte_alloc", "pte_alloc_one", "__pmd_alloc", "__pud_alloc", "__p4d_alloc",
	"do_cow_fault", "vma_alloc_folio_noprof", NULL,
};

static const char *const teardown_caches[] = {
	"mm_struct", "vm_area_struct", "anon_vma", "anon_vma_chain", "maple_node",
	"task_struct", "pid", "cred", "cred_jar", "signal_cache", "sighand_cache",
	"files_cache", "fs_cache", NULL,
};

static const char *const pagecache_fns[] = {
	"filemap_get_pages", "filemap_read", "page_cache_ra_order", "page_cache_ra_unbounded",
	"filemap_fault", "__filemap_get_folio", "filemap_alloc_folio_noprof", NULL,
};

static bool exited(struct mr_ctx *ctx, int pid)
{
	uint32_t n = mr_tasks_nr_aspaces(ctx->tasks);

	for (uint32_t i = 0; i < n; i++) {
		const struct mr_aspace *a = mr_tasks_aspace(ctx->tasks, i);

		if (a->pid == pid && a->exited)
			return true;
	}
	return false;
}

static enum mr_kreason reason_of(struct mr_ctx *ctx, const struct mr_kmem *k,
				 const struct mr_kleak *l)
{
	const char *cache = l->page ? NULL : k->sites[l->site].cache;

	/* not a guess: the page is gone, so is the object */
	if (l->reason == MR_KR_SLAB_PAGE_FREED)
		return l->reason;
	if (cache && mr_meta_slab_flags(&ctx->meta, cache) & MR_SLAB_NO_FREE_EVENT)
		return MR_KR_NO_FREE_EVENT;
	if (!exited(ctx, l->pid))
		return MR_KR_CONFIRMED;
	if (stack_has(ctx, l->kstack, task_fns))
		return MR_KR_TASK_HELD;
	/* the wait at stop did not see every target reaped: nothing of theirs is sure */
	if (ctx->meta.settle_targets_gone && !ctx->meta.settle_reaped)
		return MR_KR_TEARDOWN_UNSEEN;
	if ((cache && in_list(cache, teardown_caches)) || stack_has(ctx, l->kstack, teardown_fns))
		return MR_KR_TEARDOWN_UNSEEN;
	return MR_KR_CONFIRMED;
}

static bool reclaimable(struct mr_ctx *ctx, const struct mr_kmem *k, const struct mr_kleak *l)
{
	if (l->page)
		return stack_has(ctx, l->kstack, pagecache_fns);
	return k->sites[l->site].cache &&
	       mr_meta_slab_flags(&ctx->meta, k->sites[l->site].cache) & MR_SLAB_RECLAIMABLE;
}

/*
 * Moves memrec's own rows out, and the rows it cannot stand behind apart;
 * rows are grouped, so each stack is looked at once.
 */
static void classify(struct mr_ctx *ctx, const struct mr_kmem *k, struct mr_kleaks *out)
{
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < out->nr; i++) {
		struct mr_kleak *l = &out->rows[i];

		if (stack_has(ctx, l->kstack, overhead_fns) || preload_own(ctx, l)) {
			out->overhead_bytes += l->bytes;
			out->overhead_count += l->count;
			continue;
		}
		l->reclaimable = reclaimable(ctx, k, l);
		l->reason = reason_of(ctx, k, l);
		out->reason_bytes[l->reason] += l->bytes;
		out->reason_count[l->reason] += l->count;
		if (l->reason == MR_KR_CONFIRMED) {
			out->rows[n++] = *l;
			continue;
		}
		MR_ALLOC_GROW(out->unconfirmed, out->nr_unconfirmed, cap);
		out->unconfirmed[out->nr_unconfirmed++] = *l;
	}
	out->nr = n;
}

void mr_kmem_leaks(struct mr_kmem *k, struct mr_ctx *ctx, struct mr_kleaks *out)
{
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	out->recorded = mr_kmem_any(k);
	if (!k)
		return;
	direct_map(&k->priv->dmap, out);
	add_pool(ctx, k->priv, &k->priv->objs, false, out, &cap);
	add_pool(ctx, k->priv, &k->priv->pages, true, out, &cap);
	mr_kmem_vmem_rows(k, ctx, out, &cap);
	out->nr = mr_group(out->rows, out->nr, sizeof(*out->rows), cmp_key, merge, cmp_bytes);
	classify(ctx, k, out);
	for (size_t i = 0; i < out->nr; i++) {
		out->bytes += out->rows[i].bytes;
		out->count += out->rows[i].count;
	}
}

const char *mr_kleak_kind_name(const struct mr_kleak *l)
{
	static const char *const names[] = { "slab", "page", "vmalloc", "percpu" };

	return l->kind < ARRAY_SIZE(names) ? names[l->kind] : "?";
}

void mr_kleaks_release(struct mr_kleaks *l)
{
	free(l->rows);
	free(l->unconfirmed);
	memset(l, 0, sizeof(*l));
}

void mr_kmem_free(struct mr_kmem *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->nr_caches; i++)
		free(k->caches[i]);
	for (size_t i = 0; i < k->nr_gfps; i++)
		free(k->gfps[i].name);
	free(k->caches);
	free(k->gfps);
	free(k->sites);
	free(k->frags);
	free(k->priv->objs.v);
	free(k->priv->pages.v);
	free(k->priv->dmap.cpus);
	free(k->priv->dmap.freed_ts);
	mr_u64map_release(&k->priv->dmap.freed);
	mr_hmap_release(&k->priv->objs.map);
	mr_hmap_release(&k->priv->pages.map);
	mr_hmap_release(&k->priv->site_map);
	mr_hmap_release(&k->priv->cache_map);
	mr_u64map_release(&k->priv->gfp_map);
	mr_u64map_release(&k->priv->frag_map);
	mr_vmem_free(k->vmem);
	free(k->priv);
	free(k);
}
