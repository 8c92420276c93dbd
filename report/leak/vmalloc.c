// SPDX-License-Identifier: GPL-2.0
/*
 * vmalloc.c - vmalloc areas by start address and per-CPU objects by
 * pointer, the areas by size class, and the lazy-free backlog.
 *
 * free_vmap_area_noflush ends an area's use: its pages are gone, only its
 * address space waits for a purge_vmap_area_lazy, so an area freed lazily
 * is no leak. The purge's [start, end) covers every area it gives back;
 * the targets' areas still waiting for one at the end are the backlog.
 * Frees come from every task (kworkers free BPF maps and module memory),
 * allocations from the targets only; a free of an area allocated before
 * recording only counts as unmatched.
 *
 * A fork's kernel stack is a vmalloc area (VMAP_STACK) allocated in the
 * parent just before task_newtask; when the child exits, the kernel keeps
 * it in a per-CPU cache for the next fork, or frees it after an RCU grace
 * period: no free event in the recording. Such areas of children that
 * exited are counted apart, never reported.
 */
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "mr_u64map.h"
#include "leak/kmem.h"

#define PAGE_SHIFT	12
#define THREAD_ALIGN	16384	/* x86-64's THREAD_SIZE: a kernel stack's alignment */
#define NIL		UINT32_MAX

struct vobj {
	struct mr_vmem_live	o;
	uint64_t		key;
	int			child;		/* a kernel stack's task, once known */
	uint32_t		next_free;
};

struct vpool {
	struct vobj		*v;
	uint32_t		nr, cap, free;
	struct mr_u64map	map;		/* key -> index */
};

struct lazy {
	uint64_t	addr, bytes;
};

struct vmem_priv {
	struct mr_pairing	*stacks;
	const struct mr_tasks	*tasks;
	int			ncpu;
	struct vpool		areas, pcpu;
	/* a fork's kernel stack: the forking tid's last such area, then the child's */
	struct mr_u64map	forking, kstacks;	/* tid -> areas[] index */
	struct lazy		*lazy;		/* the targets' areas freed, not purged */
	size_t			nr_lazy, cap_lazy;
	bool			any;
};

struct mr_vmem *mr_vmem_new(const struct mr_tasks *tasks, struct mr_pairing *stacks, int ncpu)
{
	struct mr_vmem *v = mr_xcalloc(1, sizeof(*v));

	v->priv = mr_xcalloc(1, sizeof(*v->priv));
	v->priv->stacks = stacks;
	v->priv->tasks = tasks;
	v->priv->ncpu = ncpu > 0 ? ncpu : 1;
	v->priv->areas.free = v->priv->pcpu.free = NIL;
	return v;
}

int mr_vmem_class(uint64_t bytes)
{
	int c = 0;

	while (c < MR_VMEM_SIZES - 1 && bytes > mr_vmem_class_max(c))
		c++;
	return c;
}

uint64_t mr_vmem_class_max(int class)
{
	return class >= MR_VMEM_SIZES - 1 ? UINT64_MAX : 4096ull << class;
}

static void pool_add(struct vpool *p, uint64_t key, const struct mr_vmem_live *o)
{
	uint32_t idx = p->free;

	if (idx != NIL) {
		p->free = p->v[idx].next_free;
	} else {
		MR_ALLOC_GROW(p->v, p->nr, p->cap);
		idx = p->nr++;
	}
	p->v[idx] = (struct vobj){ .o = *o, .key = key, .next_free = NIL };
	mr_u64map_put(&p->map, key, idx);
}

static bool pool_take(struct vpool *p, uint64_t key, struct mr_vmem_live *o)
{
	uint32_t idx;

	if (!mr_u64map_del(&p->map, key, &idx))
		return false;
	*o = p->v[idx].o;
	p->v[idx].next_free = p->free;
	p->free = idx;
	return true;
}

/* The stacks of an allocation: an interrupt's allocation is not its task's doing. */
static void live_of(struct mr_vmem *v, const struct mr_event *ev, struct mr_vmem_live *o)
{
	o->kstack = ev->nr_kstack > 0 ? mr_pairing_intern(v->priv->stacks, ev->kstack,
							    ev->nr_kstack) : MR_NO_STACK;
	o->ustack = ev->nr_stack > 0 && !ev->irq && ev->stack ?
		    mr_pairing_intern(v->priv->stacks, ev->stack, ev->nr_stack) : MR_NO_STACK;
	o->pid = mr_tasks_tgid(v->priv->tasks, ev);
	o->ts = ev->ts;
}

static void class_sub(struct mr_vmem *v, uint64_t bytes)
{
	struct mr_vmem_class *c = &v->st.sizes[mr_vmem_class(bytes)];

	c->live--;
	c->live_bytes -= bytes;
}

static void vmap_alloc(struct mr_vmem *v, const struct mr_event *ev)
{
	struct mr_vmem_live o = { .bytes = ev->vmap_alloc.size }, old;
	struct mr_vmem_class *c;

	if (ev->vmap_alloc.failed || !ev->vmap_alloc.addr) {
		v->st.vmap_fails++;
		return;
	}
	v->st.vmap_allocs++;
	v->st.vmap_bytes += o.bytes;
	c = &v->st.sizes[mr_vmem_class(o.bytes)];
	c->allocs++;
	c->bytes += o.bytes;
	c->live++;
	c->live_bytes += o.bytes;
	live_of(v, ev, &o);
	/* an address allocated again: its free was not seen (lost, or before) */
	if (pool_take(&v->priv->areas, ev->vmap_alloc.addr, &old))
		class_sub(v, old.bytes);
	pool_add(&v->priv->areas, ev->vmap_alloc.addr, &o);
	if (ev->vmap_alloc.align == THREAD_ALIGN)
		mr_u64map_put(&v->priv->forking, (uint32_t)ev->tid,
			      *mr_u64map_get(&v->priv->areas.map, ev->vmap_alloc.addr));
}

/* idx's area, when it is still live and stack says it is the stack of child */
static struct vobj *stack_area(struct vpool *p, struct mr_u64map *m, int tid, int child)
{
	uint32_t idx, *live;

	if (!mr_u64map_del(m, (uint32_t)tid, &idx) || idx >= p->nr)
		return NULL;
	live = mr_u64map_get(&p->map, p->v[idx].key);
	if (!live || *live != idx || p->v[idx].child != child)
		return NULL;
	return &p->v[idx];
}

/* The child the forking tid's last stack-aligned area went to. */
static void task_new(struct mr_vmem *v, const struct mr_event *ev)
{
	struct vobj *o = stack_area(&v->priv->areas, &v->priv->forking, ev->tid, 0);

	if (!o)
		return;
	o->child = ev->child_tid;
	mr_u64map_put(&v->priv->kstacks, (uint32_t)ev->child_tid, o - v->priv->areas.v);
}

static void task_exit(struct mr_vmem *v, const struct mr_event *ev)
{
	struct vobj *o = stack_area(&v->priv->areas, &v->priv->kstacks, ev->tid, ev->tid);

	if (o)
		o->o.exited_stack = true;
}

static void vmap_free(struct mr_vmem *v, const struct mr_event *ev)
{
	struct vmem_priv *p = v->priv;
	struct mr_vmem_live o;

	v->st.lazy_pages = ev->vmap_free.nr_lazy;
	v->st.lazy_max_pages = ev->vmap_free.nr_lazy_max;
	if (v->st.lazy_pages > v->st.lazy_peak_pages)
		v->st.lazy_peak_pages = v->st.lazy_pages;
	if (!pool_take(&p->areas, ev->vmap_free.addr, &o)) {
		v->st.vmap_unmatched++;
		return;
	}
	v->st.vmap_frees++;
	v->st.vmap_frees_other += mr_tasks_tgid(p->tasks, ev) != o.pid;
	class_sub(v, o.bytes);
	MR_ALLOC_GROW(p->lazy, p->nr_lazy, p->cap_lazy);
	p->lazy[p->nr_lazy++] = (struct lazy){ .addr = ev->vmap_free.addr, .bytes = o.bytes };
	v->st.lazy_bytes += o.bytes;
}

/* Purges are rare (once lazy_max_pages have piled up): a scan is cheap enough. */
static void vmap_purge(struct mr_vmem *v, const struct mr_event *ev)
{
	struct vmem_priv *p = v->priv;
	uint64_t start = ev->vmap_purge.start, end = ev->vmap_purge.end;
	size_t n = 0;

	v->st.purges++;
	v->st.purged_areas += ev->vmap_purge.npurged;
	for (size_t i = 0; i < p->nr_lazy; i++)
		if (p->lazy[i].addr < start || p->lazy[i].addr >= end)
			p->lazy[n++] = p->lazy[i];
		else
			v->st.lazy_bytes -= p->lazy[i].bytes;
	p->nr_lazy = n;
}

static void pcpu_alloc(struct mr_vmem *v, const struct mr_event *ev)
{
	struct mr_vmem_live o = { .percpu = true, .bytes = ev->pcpu_alloc.bytes_alloc,
				  .call_site = ev->pcpu_alloc.call_site };
	struct mr_vmem_live old;

	if (!ev->pcpu_alloc.ptr)
		return;
	v->st.pcpu_allocs++;
	v->st.pcpu_bytes += o.bytes;
	live_of(v, ev, &o);
	pool_take(&v->priv->pcpu, ev->pcpu_alloc.ptr, &old);
	pool_add(&v->priv->pcpu, ev->pcpu_alloc.ptr, &o);
}

static void pcpu_free(struct mr_vmem *v, const struct mr_event *ev)
{
	struct mr_vmem_live o;

	if (!ev->pcpu_free.ptr)
		return;
	if (pool_take(&v->priv->pcpu, ev->pcpu_free.ptr, &o))
		v->st.pcpu_frees++;
	else
		v->st.pcpu_unmatched++;
}

bool mr_vmem_feed(struct mr_vmem *v, const struct mr_event *ev)
{
	switch (ev->kind) {
	case MR_EV_VMAP_ALLOC: vmap_alloc(v, ev); break;
	case MR_EV_VMAP_FREE: vmap_free(v, ev); break;
	case MR_EV_VMAP_PURGE: vmap_purge(v, ev); break;
	case MR_EV_PCPU_ALLOC: pcpu_alloc(v, ev); break;
	case MR_EV_PCPU_FREE: pcpu_free(v, ev); break;
	case MR_EV_TASK_NEW: task_new(v, ev); return false;
	case MR_EV_EXIT: task_exit(v, ev); return false;
	default: return false;
	}
	v->priv->any = true;
	v->st.lazy_areas = v->priv->nr_lazy;
	return true;
}

bool mr_vmem_any(const struct mr_vmem *v)
{
	return v && v->priv->any;
}

static void each_pool(const struct vpool *p, void (*fn)(const struct mr_vmem_live *o, void *arg),
		      void *arg)
{
	for (uint32_t i = 0; i < p->nr; i++) {
		uint32_t *idx = mr_u64map_get(&p->map, p->v[i].key);

		/* slots on the free list are not in the map (or another slot has their key) */
		if (idx && *idx == i)
			fn(&p->v[i].o, arg);
	}
}

void mr_vmem_each_live(const struct mr_vmem *v,
		       void (*fn)(const struct mr_vmem_live *o, void *arg), void *arg)
{
	if (!v)
		return;
	each_pool(&v->priv->areas, fn, arg);
	each_pool(&v->priv->pcpu, fn, arg);
}

void mr_vmem_free(struct mr_vmem *v)
{
	if (!v)
		return;
	free(v->priv->areas.v);
	free(v->priv->pcpu.v);
	mr_u64map_release(&v->priv->areas.map);
	mr_u64map_release(&v->priv->pcpu.map);
	mr_u64map_release(&v->priv->forking);
	mr_u64map_release(&v->priv->kstacks);
	free(v->priv->lazy);
	free(v->priv);
	free(v);
}

struct rows_arg {
	struct mr_ctx		*ctx;
	struct mr_vmem_stats	*st;
	struct mr_kleaks	*out;
	size_t			*cap;
	uint64_t		min_age;
};

/* The area came from fork's copy_process (its kernel stack, not a vmalloc of its own). */
static bool forked(struct mr_ctx *ctx, uint32_t kstack)
{
	const uint64_t *f;
	int n;

	if (kstack == MR_NO_STACK)
		return false;
	f = mr_pairing_stack(ctx->pairing, kstack, &n);
	for (int i = 0; i < n; i++) {
		const char *fn = mr_ctx_ksym(ctx, f[i], NULL);

		if (fn && !strcmp(fn, "copy_process"))
			return true;
	}
	return false;
}

static void add_row(const struct mr_vmem_live *o, void *arg)
{
	struct rows_arg *a = arg;
	struct mr_kleaks *out = a->out;

	if ((a->ctx->o->pid && o->pid != a->ctx->o->pid) ||
	    (a->min_age && a->ctx->end_ts - o->ts < a->min_age))
		return;
	if (o->exited_stack && forked(a->ctx, o->kstack)) {
		a->st->exited_stacks++;
		a->st->exited_stack_bytes += o->bytes;
		return;
	}
	MR_ALLOC_GROW(out->rows, out->nr, *a->cap);
	out->rows[out->nr++] = (struct mr_kleak){
		.pid = o->pid, .kind = o->percpu ? MR_KLEAK_PERCPU : MR_KLEAK_VMALLOC,
		.call_site = o->call_site, .kstack = o->kstack, .ustack = o->ustack,
		.bytes = o->bytes, .count = 1, .ts_min = o->ts, .ts_max = o->ts,
	};
}

void mr_kmem_vmem_rows(struct mr_kmem *k, struct mr_ctx *ctx, struct mr_kleaks *out,
		       size_t *cap)
{
	struct rows_arg a = { .ctx = ctx, .st = &k->vmem->st, .out = out, .cap = cap,
			      .min_age = ctx->o->min_age_s * 1e9 };

	k->vmem->st.exited_stacks = k->vmem->st.exited_stack_bytes = 0;
	mr_vmem_each_live(k->vmem, add_row, &a);
}
