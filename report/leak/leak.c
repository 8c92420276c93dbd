// SPDX-License-Identifier: GPL-2.0
/*
 * leak.c - the leak analyser: blocks still live at the end of the trace,
 * grouped by (process, stack, allocator), biggest first, with the kernel
 * side (kmem.c) beside them. Blocks a child inherited at fork are the
 * parent's allocations and are left out unless asked for; --min-age leaves
 * out blocks younger than the age given. Each user row gets its site's
 * outstanding bytes over time and a verdict (growth.c), followed from the
 * pairing's hooks as the events stream.
 */
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "mr_group.h"
#include "mr_hmap.h"
#include "model/analyser.h"
#include "leak/leak.h"
#include "leak/suppress.h"

struct collect {
	struct mr_ctx	*ctx;
	struct mr_leaks	*out;
	size_t		alloc;
	uint64_t	min_age_ns;
};

static bool wanted_pid(struct mr_ctx *ctx, uint32_t aspace)
{
	return !ctx->o->pid || mr_ctx_aspace_pid(ctx, aspace) == ctx->o->pid;
}

void mr_leak_of_block(struct mr_leak *row, const struct mr_block *b)
{
	*row = (struct mr_leak){
		.aspace = b->aspace, .stack = b->stack, .fn = b->fn, .inherited = b->inherited,
		.bytes = b->size, .size_min = b->size, .size_max = b->size, .count = 1,
		.ts_min = b->ts, .ts_max = b->ts,
	};
}

static int add_block(const struct mr_block *b, void *data)
{
	struct collect *c = data;
	struct mr_leaks *out = c->out;

	if (!wanted_pid(c->ctx, b->aspace))
		return 0;
	if (b->inherited && !c->ctx->o->inherited) {
		out->inherited_count++;
		out->inherited_bytes += b->size;
		return 0;
	}
	if (c->min_age_ns && c->ctx->end_ts - b->ts < c->min_age_ns) {
		out->young_count++;
		return 0;
	}
	MR_ALLOC_GROW(out->rows, out->nr, c->alloc);
	mr_leak_of_block(&out->rows[out->nr++], b);
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	const struct mr_leak *x = a, *y = b;

	if (x->aspace != y->aspace)
		return x->aspace < y->aspace ? -1 : 1;
	if (x->stack != y->stack)
		return x->stack < y->stack ? -1 : 1;
	if (x->fn != y->fn)
		return x->fn < y->fn ? -1 : 1;
	return (int)x->inherited - (int)y->inherited;
}

static int cmp_bytes(const void *a, const void *b)
{
	const struct mr_leak *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return cmp_key(a, b);
}

static void merge(void *into, const void *row)
{
	struct mr_leak *l = into;
	const struct mr_leak *r = row;

	l->bytes += r->bytes;
	l->count += r->count;
	if (r->size_min < l->size_min)
		l->size_min = r->size_min;
	if (r->size_max > l->size_max)
		l->size_max = r->size_max;
	if (r->ts_min < l->ts_min)
		l->ts_min = r->ts_min;
	if (r->ts_max > l->ts_max)
		l->ts_max = r->ts_max;
}

size_t mr_leak_group(struct mr_leak *rows, size_t nr)
{
	return mr_group(rows, nr, sizeof(*rows), cmp_key, merge, cmp_bytes);
}

void mr_leaks_build(struct mr_ctx *ctx, struct mr_leaks *out)
{
	struct collect c = { .ctx = ctx, .out = out };

	memset(out, 0, sizeof(*out));
	c.min_age_ns = ctx->o->min_age_s * 1e9;
	mr_pairing_for_each_live(ctx->pairing, add_block, &c);
	out->nr = mr_leak_group(out->rows, out->nr);
	for (size_t i = 0; i < out->nr; i++) {
		out->bytes += out->rows[i].bytes;
		out->count += out->rows[i].count;
	}
}

void mr_leaks_add_growth(struct mr_leaks *l, const struct mr_growth_tracker *g)
{
	l->interval_ns = mr_growth_interval_ns(g);
	for (size_t i = 0; i < l->nr; i++) {
		struct mr_leak *row = &l->rows[i];
		const struct mr_growth_site *s = row->inherited ? NULL :
			mr_growth_find(g, row->aspace, row->stack, row->fn);

		if (!s)
			continue;
		row->series = s->v;
		row->nseries = g->npoints;
		row->peak_bytes = s->peak;
		row->growth = mr_growth_verdict(s->v, g->npoints, s->peak);
	}
}

/* growing, plateau, transient, then rows without a verdict */
static int growth_rank(enum mr_growth g)
{
	return g == MR_GROWTH_NONE ? 3 : g - MR_GROWTH_GROWING;
}

static int cmp_growth(const void *a, const void *b)
{
	const struct mr_leak *x = a, *y = b;

	if (x->growth != y->growth)
		return growth_rank(x->growth) - growth_rank(y->growth);
	return cmp_bytes(a, b);
}

void mr_leaks_sort_growth(struct mr_leaks *l)
{
	mr_qsort(l->rows, l->nr, sizeof(*l->rows), cmp_growth);
}

void mr_leaks_release(struct mr_leaks *l)
{
	free(l->rows);
	memset(l, 0, sizeof(*l));
}

/* ---- everything allocated, per (aspace, stack, fn) ---- */

struct mr_leak_allocs {
	struct mr_leak	*rows;
	size_t		nr, alloc;
	struct mr_hmap	map;		/* (aspace, stack, fn) -> rows[] */
};

static bool alloc_eq(const void *rows, uint32_t idx, const void *key)
{
	const struct mr_leak *r = (const struct mr_leak *)rows + idx, *k = key;

	return r->aspace == k->aspace && r->stack == k->stack && r->fn == k->fn;
}

/* The pairing's live hook: each block as it is allocated (a realloc's new one too). */
static void alloc_live(const struct mr_block *b, void *arg)
{
	struct mr_leak_allocs *a = arg;
	struct mr_leak row;
	uint32_t hash, idx;
	size_t pos;

	/* the allocator calls; a mapping's pieces and brk steps pass here again */
	if (b->fn == MR_FN_MMAP || b->fn == MR_FN_BRK)
		return;
	mr_leak_of_block(&row, b);
	row.inherited = false;
	hash = mr_hash_u64(((uint64_t)b->aspace << 32 | b->stack) ^ mr_hash_u64(b->fn));
	pos = mr_hmap_find(&a->map, hash, alloc_eq, a->rows, &row);
	idx = mr_hmap_at(&a->map, pos);
	if (idx != MR_HMAP_NONE) {
		merge(&a->rows[idx], &row);
		return;
	}
	MR_ALLOC_GROW(a->rows, a->nr, a->alloc);
	a->rows[a->nr] = row;
	mr_hmap_put_at(&a->map, pos, hash, a->nr++);
}

static void allocs_free(struct mr_leak_allocs *a)
{
	if (!a)
		return;
	free(a->rows);
	mr_hmap_release(&a->map);
	free(a);
}

/* The totals of the processes asked for, grouped and sorted like the leak rows. */
static void allocs_build(struct mr_ctx *ctx, const struct mr_leak_allocs *a, struct mr_leaks *out)
{
	memset(out, 0, sizeof(*out));
	if (!a)
		return;
	out->rows = mr_xreallocarray(NULL, a->nr ? a->nr : 1, sizeof(*out->rows));
	for (size_t i = 0; i < a->nr; i++)
		if (wanted_pid(ctx, a->rows[i].aspace))
			out->rows[out->nr++] = a->rows[i];
	out->nr = mr_leak_group(out->rows, out->nr);
	for (size_t i = 0; i < out->nr; i++) {
		out->bytes += out->rows[i].bytes;
		out->count += out->rows[i].count;
	}
}

/* ---- the analyser ---- */

struct leak_state {
	struct mr_leak_report	r;	/* first: what the writers get */
	struct mr_ctx		*ctx;
};

/*
 * The series start where the recording does (ctx->begin_ts, known only at
 * the end): the start stamp, or the first event when one came before it.
 * Events come in time order, so by the first block the reader has seen the
 * first event.
 */
static void growth_start(struct leak_state *st)
{
	const struct mr_ctx *ctx = st->ctx;
	uint64_t origin = ctx->meta.start_ts;
	uint64_t first = ctx->reader ? mr_reader_stats(ctx->reader)->first_ts : 0;

	if (first && first < origin)
		origin = first;
	mr_growth_start(&st->r.growth, origin);
}

static void on_live(const struct mr_block *b, void *data)
{
	struct leak_state *st = data;

	if (!st->r.growth.started)
		growth_start(st);
	mr_growth_live(&st->r.growth, b);
	if (st->r.allocs)
		alloc_live(b, st->r.allocs);
}

static void on_dead(const struct mr_block *b, uint64_t ts, void *data)
{
	struct leak_state *st = data;

	/* inherited blocks never went live here: the child got them at fork */
	if (b->inherited)
		return;
	if (!st->r.growth.started)
		growth_start(st);
	mr_growth_dead(&st->r.growth, b, ts);
}

static void *leak_new(struct mr_ctx *ctx)
{
	struct mr_suppressions *supp = mr_supp_load(ctx->o->suppress, !ctx->o->no_suppress);
	struct mr_pairing_hooks hooks;
	struct leak_state *st;

	if (!supp)
		return NULL;
	/* LSan applies a program's own suppressions always; --no-suppress shows all */
	for (int i = 0; !ctx->o->no_suppress && i < ctx->meta.nr_lsan; i++)
		mr_supp_add_text(supp, ctx->meta.lsan[i].text, ctx->meta.lsan[i].path,
				 MR_SUPP_PROGRAM);
	st = mr_xcalloc(1, sizeof(*st));
	st->ctx = ctx;
	st->r.supp = supp;
	st->r.kmem = mr_kmem_new(ctx->tasks, ctx->pairing, ctx->meta.nr_cpus);
	if (ctx->o->alloc_totals)
		st->r.allocs = mr_xcalloc(1, sizeof(*st->r.allocs));
	hooks = (struct mr_pairing_hooks){ .live = on_live, .dead = on_dead, .ctx = st };
	mr_pairing_set_hooks(ctx->pairing, &hooks);
	return &st->r;
}

/* Moves the rows whose stack a suppression matches out, into its kind's totals. */
static void suppress(struct mr_ctx *ctx, const struct mr_suppressions *s, struct mr_leaks *l)
{
	struct mr_frame frames[MR_MAX_STACK];
	size_t n = 0;

	for (size_t i = 0; i < l->nr; i++) {
		const struct mr_leak *row = &l->rows[i];
		int nr = mr_ctx_frames(ctx, mr_ctx_aspace_pid(ctx, row->aspace), row->stack,
				       row->ts_min, false, frames, MR_MAX_STACK);
		int kind = mr_supp_match(s, frames, nr);

		if (kind < 0) {
			l->rows[n++] = *row;
			continue;
		}
		l->suppressed_bytes[kind] += row->bytes;
		l->suppressed_count[kind] += row->count;
		l->bytes -= row->bytes;
		l->count -= row->count;
	}
	l->nr = n;
}

static void leak_feed(void *state, const struct mr_event *ev)
{
	struct mr_leak_report *r = state;

	mr_kmem_feed(r->kmem, ev);
}

static void leak_finish(void *state, struct mr_ctx *ctx)
{
	struct mr_leak_report *r = state;

	mr_leaks_build(ctx, &r->user);
	mr_growth_finish(&r->growth, ctx->end_ts);
	mr_leaks_add_growth(&r->user, &r->growth);
	suppress(ctx, r->supp, &r->user);
	allocs_build(ctx, r->allocs, &r->allocated);
	suppress(ctx, r->supp, &r->allocated);
	if (ctx->o->sort_growth)
		mr_leaks_sort_growth(&r->user);
	mr_kmem_leaks(r->kmem, ctx, &r->kernel);
}

static void leak_free(void *state)
{
	struct mr_leak_report *r = state;

	mr_leaks_release(&r->user);
	mr_leaks_release(&r->allocated);
	allocs_free(r->allocs);
	mr_growth_release(&r->growth);
	mr_kleaks_release(&r->kernel);
	mr_kmem_free(r->kmem);
	mr_supp_free(r->supp);
	free(state);	/* the struct leak_state that r opens */
}

const struct mr_analyser mr_leak_analyser = {
	.name = "leak", .new = leak_new, .feed = leak_feed, .finish = leak_finish,
	.free = leak_free,
};
