// SPDX-License-Identifier: GPL-2.0
/*
 * frag_kernel.c - the kernel sections of `memrec report frag`, from kmem.c:
 * slab waste per call site and per cache (perf kmem --slab's figures:
 * requested vs allocated bytes, hits, cross-CPU frees), and pages by order
 * and migratetype with failures, gfp flags and migratetype fallbacks.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "output/output.h"
#include "output/frag.h"

/* The kernel's enum migratetype, in order, on x86_64 with CMA and isolation. */
static const char *const mt_names[MR_KMEM_MT] = {
	"Unmovable", "Movable", "Reclaimable", "HighAtomic", "CMA", "Isolate", "mt6", "mt7",
};

struct slab_row {
	const char	*cache;		/* NULL: kmalloc */
	uint64_t	call_site;	/* 0 in the per-cache table */
	uint64_t	hits, req, alloc, frees, cross_cpu;
};

static double frag_pct(uint64_t req, uint64_t alloc)
{
	return alloc ? 100.0 * (alloc - req) / alloc : 0;
}

static int cmp_waste(const void *a, const void *b)
{
	const struct slab_row *x = a, *y = b;
	uint64_t wx = x->alloc - x->req, wy = y->alloc - y->req;

	if (wx != wy)
		return wx > wy ? -1 : 1;
	if (x->alloc != y->alloc)
		return x->alloc > y->alloc ? -1 : 1;
	return x->hits > y->hits ? -1 : x->hits < y->hits;
}

/* Rows per site (by_cache false) or per cache, sorted by waste; *nr set. */
static struct slab_row *slab_rows(const struct mr_kmem *k, bool by_cache, size_t *nr)
{
	struct slab_row *rows = mr_xcalloc(k->nr_sites + 1, sizeof(*rows));
	size_t n = 0;

	for (size_t i = 0; i < k->nr_sites; i++) {
		const struct mr_kmem_site *s = &k->sites[i];
		struct slab_row *r = NULL;

		for (size_t j = 0; by_cache && j < n && !r; j++)
			if ((rows[j].cache == s->cache) ||
			    (rows[j].cache && s->cache && !strcmp(rows[j].cache, s->cache)))
				r = &rows[j];
		if (!r) {
			r = &rows[n++];
			r->cache = s->cache;
			r->call_site = by_cache ? 0 : s->call_site;
		}
		r->hits += s->hits;
		r->req += s->bytes_req;
		r->alloc += s->bytes_alloc;
		r->frees += s->frees;
		r->cross_cpu += s->cross_cpu;
	}
	mr_qsort(rows, n, sizeof(*rows), cmp_waste);
	*nr = n;
	return rows;
}

static void slab_text_table(FILE *f, struct mr_ctx *ctx, const struct mr_kmem *k, bool by_cache)
{
	size_t n, shown;
	struct slab_row *rows = slab_rows(k, by_cache, &n);

	shown = mr_top(ctx, n);
	fprintf(f, "\n  %-40s %-20s %9s %12s %12s %10s %6s %9s\n", by_cache ? "" : "call site",
		"cache", "hits", "requested", "allocated", "waste", "frag%", "cross-cpu");
	for (size_t i = 0; i < shown; i++) {
		const struct slab_row *r = &rows[i];
		uint64_t off = 0;
		const char *fn = by_cache ? NULL : mr_ctx_ksym(ctx, r->call_site, &off);
		char site[128];

		if (fn)
			snprintf(site, sizeof(site), "%s+0x%" PRIx64, mr_text_esc(fn), off);
		else
			snprintf(site, sizeof(site), by_cache ? "" : "0x%" PRIx64, r->call_site);
		fprintf(f, "  %-40.40s %-20.20s %9" PRIu64 " %12" PRIu64 " %12" PRIu64 " %10" PRIu64
			" %6.1f %9" PRIu64 "\n", site, r->cache ? mr_text_esc(r->cache) : "kmalloc", r->hits,
			r->req, r->alloc, r->alloc - r->req, frag_pct(r->req, r->alloc),
			r->cross_cpu);
	}
	if (shown < n)
		fprintf(f, "  (%zu more; --top 0 for all)\n", n - shown);
	free(rows);
}

static void slab_totals(const struct mr_kmem *k, struct slab_row *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < k->nr_sites; i++) {
		t->hits += k->sites[i].hits;
		t->req += k->sites[i].bytes_req;
		t->alloc += k->sites[i].bytes_alloc;
		t->frees += k->sites[i].frees;
		t->cross_cpu += k->sites[i].cross_cpu;
	}
}

int mr_frag_slab_text(FILE *f, struct mr_ctx *ctx, const struct mr_frag *fr)
{
	const struct mr_kmem *k = fr->kmem;
	struct slab_row t;

	fprintf(f, "\nslab (kmalloc and kmem_cache_alloc: requested vs allocated bytes)\n");
	if (!k->st.slab_allocs) {
		fprintf(f, "  no slab allocations in this file (record with -e kernel)\n");
		return 0;
	}
	slab_totals(k, &t);
	fprintf(f, "  total      %" PRIu64 " allocations, %" PRIu64 " bytes requested, %" PRIu64
		" allocated, %" PRIu64 " wasted (%.1f%% internal fragmentation); %" PRIu64
		" frees seen, %" PRIu64 " of them on another CPU than the allocation\n", t.hits,
		t.req, t.alloc, t.alloc - t.req, frag_pct(t.req, t.alloc), t.frees, t.cross_cpu);
	slab_text_table(f, ctx, fr->kmem, false);
	fprintf(f, "\n  per cache:");
	slab_text_table(f, ctx, fr->kmem, true);
	return 0;
}

static void slab_json_row(struct mr_json *j, struct mr_ctx *ctx, const struct slab_row *r,
			  bool by_cache)
{
	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	if (!by_cache) {
		uint64_t off = 0;
		const char *fn = mr_ctx_ksym(ctx, r->call_site, &off);

		mr_json_strf(j, "call_site_addr", "0x%" PRIx64, r->call_site);
		if (fn)
			mr_json_strf(j, "call_site", "%s+0x%" PRIx64, fn, off);
		else
			mr_json_null(j, "call_site");
	}
	mr_json_str(j, "cache", r->cache ? r->cache : "kmalloc");
	mr_json_uint(j, "hits", r->hits);
	mr_json_uint(j, "bytes_req", r->req);
	mr_json_uint(j, "bytes_alloc", r->alloc);
	mr_json_uint(j, "waste", r->alloc - r->req);
	mr_json_double(j, "frag_pct", frag_pct(r->req, r->alloc), 2);
	mr_json_uint(j, "frees", r->frees);
	mr_json_uint(j, "cross_cpu_frees", r->cross_cpu);
	mr_json_object_end(j);
}

static void slab_json_rows(struct mr_json *j, struct mr_ctx *ctx, const struct mr_kmem *k,
			   bool by_cache)
{
	size_t n, shown;
	struct slab_row *rows = slab_rows(k, by_cache, &n);

	shown = mr_top(ctx, n);
	mr_json_array_begin(j, by_cache ? "caches" : "sites", MR_JSON_BLOCK);
	for (size_t i = 0; i < shown; i++)
		slab_json_row(j, ctx, &rows[i], by_cache);
	mr_json_array_end(j);
	free(rows);
}

void mr_frag_slab_json(struct mr_json *j, struct mr_ctx *ctx, const struct mr_frag *fr)
{
	struct slab_row t;

	slab_totals(fr->kmem, &t);
	mr_json_object_begin(j, NULL, MR_JSON_BLOCK);
	mr_json_uint(j, "allocs", t.hits);
	mr_json_uint(j, "bytes_req", t.req);
	mr_json_uint(j, "bytes_alloc", t.alloc);
	mr_json_uint(j, "waste", t.alloc - t.req);
	mr_json_double(j, "frag_pct", frag_pct(t.req, t.alloc), 2);
	mr_json_uint(j, "frees", t.frees);
	mr_json_uint(j, "cross_cpu_frees", t.cross_cpu);
	slab_json_rows(j, ctx, fr->kmem, false);
	slab_json_rows(j, ctx, fr->kmem, true);
	mr_json_object_end(j);
}

static void pages_text_orders(FILE *f, const struct mr_kmem_stats *st)
{
	fprintf(f, "\n  %-5s", "order");
	for (int m = 0; m < 6; m++)
		fprintf(f, " %11s", mt_names[m]);
	fprintf(f, " %9s %7s %9s %10s\n", "total", "failed", "freed", "alloc-only");
	for (int o = 0; o < MR_KMEM_ORDERS; o++) {
		uint64_t total = 0;

		for (int m = 0; m < MR_KMEM_MT; m++)
			total += st->allocs[o][m];
		if (!total && !st->fails[o])
			continue;
		fprintf(f, "  %-5d", o);
		for (int m = 0; m < 6; m++)
			fprintf(f, " %11" PRIu64, st->allocs[o][m]);
		fprintf(f, " %9" PRIu64 " %7" PRIu64 " %9" PRIu64 " %10" PRIu64 "\n", total,
			st->fails[o], st->freed[o], st->live[o]);
	}
}

int mr_frag_pages_text(FILE *f, struct mr_ctx *ctx, const struct mr_frag *fr)
{
	const struct mr_kmem *k = fr->kmem;
	const struct mr_kmem_stats *st = &k->st;
	size_t shown;

	fprintf(f, "\npages (mm_page_alloc by order and migratetype)\n");
	if (!st->page_allocs && !st->page_fails) {
		fprintf(f, "  no page allocations in this file (record with -e page)\n");
		return 0;
	}
	fprintf(f, "  total      %" PRIu64 " allocations, %" PRIu64 " failed, %" PRIu64
		" freed in the trace, %" PRIu64 " frees of pages allocated before\n",
		st->page_allocs, st->page_fails, st->page_frees, st->page_unmatched);
	pages_text_orders(f, st);
	shown = mr_top(ctx, k->nr_gfps);
	fprintf(f, "\n  %-60s %9s %9s %9s\n", "gfp flags", "slab", "pages", "page kB");
	for (size_t i = 0; i < shown; i++)
		fprintf(f, "  %-60.60s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 "\n",
			mr_text_esc(k->gfps[i].name),
			k->gfps[i].slab_allocs, k->gfps[i].page_allocs, k->gfps[i].pages * 4);
	fprintf(f, "\n  fallbacks (mm_page_alloc_extfrag): %" PRIu64 "\n", st->extfrag);
	for (size_t i = 0; i < mr_top(ctx, k->nr_frags); i++) {
		const struct mr_kmem_extfrag *x = &k->frags[i];

		fprintf(f, "    order %d %s took an order-%d %s block: %" PRIu64 " times, %" PRIu64
			" changed the pageblock's owner\n", x->alloc_order,
			mt_names[x->alloc_mt & (MR_KMEM_MT - 1)], x->fallback_order,
			mt_names[x->fallback_mt & (MR_KMEM_MT - 1)], x->count, x->change_ownership);
	}
	return 0;
}

static void pages_json_order(struct mr_json *j, const struct mr_kmem_stats *st, int o,
			     uint64_t total)
{
	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_int(j, "order", o);
	mr_json_uint(j, "allocs", total);
	mr_json_uint(j, "failed", st->fails[o]);
	mr_json_uint(j, "freed", st->freed[o]);
	mr_json_uint(j, "alloc_only", st->live[o]);
	mr_json_object_begin(j, "by_migratetype", MR_JSON_LINE);
	for (int m = 0; m < 6; m++)
		mr_json_uint(j, mt_names[m], st->allocs[o][m]);
	mr_json_object_end(j);
	mr_json_object_end(j);
}

static void pages_json_orders(struct mr_json *j, const struct mr_kmem_stats *st)
{
	mr_json_array_begin(j, "orders", MR_JSON_BLOCK);
	for (int o = 0; o < MR_KMEM_ORDERS; o++) {
		uint64_t total = 0;

		for (int m = 0; m < MR_KMEM_MT; m++)
			total += st->allocs[o][m];
		if (total || st->fails[o])
			pages_json_order(j, st, o, total);
	}
	mr_json_array_end(j);
}

static void pages_json_gfps(struct mr_json *j, struct mr_ctx *ctx, const struct mr_kmem *k)
{
	mr_json_array_begin(j, "gfp", MR_JSON_BLOCK);
	for (size_t i = 0; i < mr_top(ctx, k->nr_gfps); i++) {
		mr_json_object_begin(j, NULL, MR_JSON_LINE);
		mr_json_str(j, "flags", k->gfps[i].name);
		mr_json_strf(j, "value", "0x%" PRIx64, k->gfps[i].flags);
		mr_json_uint(j, "slab_allocs", k->gfps[i].slab_allocs);
		mr_json_uint(j, "page_allocs", k->gfps[i].page_allocs);
		mr_json_uint(j, "pages", k->gfps[i].pages);
		mr_json_object_end(j);
	}
	mr_json_array_end(j);
}

static void pages_json_extfrag(struct mr_json *j, struct mr_ctx *ctx, const struct mr_kmem *k)
{
	mr_json_array_begin(j, "extfrag", MR_JSON_BLOCK);
	for (size_t i = 0; i < mr_top(ctx, k->nr_frags); i++) {
		const struct mr_kmem_extfrag *x = &k->frags[i];

		mr_json_object_begin(j, NULL, MR_JSON_LINE);
		mr_json_int(j, "alloc_order", x->alloc_order);
		mr_json_int(j, "fallback_order", x->fallback_order);
		mr_json_str(j, "alloc_migratetype", mt_names[x->alloc_mt & (MR_KMEM_MT - 1)]);
		mr_json_str(j, "fallback_migratetype", mt_names[x->fallback_mt & (MR_KMEM_MT - 1)]);
		mr_json_uint(j, "count", x->count);
		mr_json_uint(j, "change_ownership", x->change_ownership);
		mr_json_object_end(j);
	}
	mr_json_array_end(j);
}

void mr_frag_pages_json(struct mr_json *j, struct mr_ctx *ctx, const struct mr_frag *fr)
{
	const struct mr_kmem *k = fr->kmem;
	const struct mr_kmem_stats *st = &k->st;

	mr_json_object_begin(j, NULL, MR_JSON_BLOCK);
	mr_json_uint(j, "allocs", st->page_allocs);
	mr_json_uint(j, "failed", st->page_fails);
	mr_json_uint(j, "frees", st->page_frees);
	mr_json_uint(j, "unmatched_frees", st->page_unmatched);
	mr_json_uint(j, "fallbacks", st->extfrag);
	pages_json_orders(j, st);
	pages_json_gfps(j, ctx, k);
	pages_json_extfrag(j, ctx, k);
	mr_json_object_end(j);
}
