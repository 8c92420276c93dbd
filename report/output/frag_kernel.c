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
			snprintf(site, sizeof(site), "%s+0x%" PRIx64, fn, off);
		else
			snprintf(site, sizeof(site), by_cache ? "" : "0x%" PRIx64, r->call_site);
		fprintf(f, "  %-40.40s %-20.20s %9" PRIu64 " %12" PRIu64 " %12" PRIu64 " %10" PRIu64
			" %6.1f %9" PRIu64 "\n", site, r->cache ? r->cache : "kmalloc", r->hits,
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

static void slab_json_rows(FILE *f, struct mr_ctx *ctx, const struct mr_kmem *k, bool by_cache)
{
	size_t n, shown;
	struct slab_row *rows = slab_rows(k, by_cache, &n);

	shown = mr_top(ctx, n);
	fprintf(f, "\"%s\": [", by_cache ? "caches" : "sites");
	for (size_t i = 0; i < shown; i++) {
		const struct slab_row *r = &rows[i];
		uint64_t off = 0;
		const char *fn = mr_ctx_ksym(ctx, r->call_site, &off);

		fprintf(f, "%s\n      {", i ? "," : "");
		if (!by_cache) {
			char *site = fn ? mr_xasprintf("%s+0x%" PRIx64, fn, off) : NULL;

			fprintf(f, "\"call_site_addr\": \"0x%" PRIx64 "\", \"call_site\": ",
				r->call_site);
			mr_json_str(f, site);
			fputs(", ", f);
			free(site);
		}
		fputs("\"cache\": ", f);
		mr_json_str(f, r->cache ? r->cache : "kmalloc");
		fprintf(f, ", \"hits\": %" PRIu64 ", \"bytes_req\": %" PRIu64 ", \"bytes_alloc\": %"
			PRIu64 ", \"waste\": %" PRIu64 ", \"frag_pct\": %.2f, \"frees\": %" PRIu64
			", \"cross_cpu_frees\": %" PRIu64 "}", r->hits, r->req, r->alloc,
			r->alloc - r->req, frag_pct(r->req, r->alloc), r->frees, r->cross_cpu);
	}
	fputs("]", f);
	free(rows);
}

int mr_frag_slab_json(FILE *f, struct mr_ctx *ctx, const struct mr_frag *fr)
{
	struct slab_row t;

	slab_totals(fr->kmem, &t);
	fprintf(f, "{\"allocs\": %" PRIu64 ", \"bytes_req\": %" PRIu64 ", \"bytes_alloc\": %" PRIu64
		", \"waste\": %" PRIu64 ", \"frag_pct\": %.2f, \"frees\": %" PRIu64
		", \"cross_cpu_frees\": %" PRIu64 ",\n    ", t.hits, t.req, t.alloc, t.alloc - t.req,
		frag_pct(t.req, t.alloc), t.frees, t.cross_cpu);
	slab_json_rows(f, ctx, fr->kmem, false);
	fputs(",\n    ", f);
	slab_json_rows(f, ctx, fr->kmem, true);
	fputs("}", f);
	return 0;
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
	struct mr_kmem *k = fr->kmem;
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
	mr_qsort(k->gfps, k->nr_gfps, sizeof(*k->gfps), cmp_gfp);
	shown = mr_top(ctx, k->nr_gfps);
	fprintf(f, "\n  %-60s %9s %9s %9s\n", "gfp flags", "slab", "pages", "page kB");
	for (size_t i = 0; i < shown; i++)
		fprintf(f, "  %-60.60s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 "\n", k->gfps[i].name,
			k->gfps[i].slab_allocs, k->gfps[i].page_allocs, k->gfps[i].pages * 4);
	mr_qsort(k->frags, k->nr_frags, sizeof(*k->frags), cmp_frag);
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

static void pages_json_orders(FILE *f, const struct mr_kmem_stats *st)
{
	bool first = true;

	fputs("\"orders\": [", f);
	for (int o = 0; o < MR_KMEM_ORDERS; o++) {
		uint64_t total = 0;

		for (int m = 0; m < MR_KMEM_MT; m++)
			total += st->allocs[o][m];
		if (!total && !st->fails[o])
			continue;
		fprintf(f, "%s\n      {\"order\": %d, \"allocs\": %" PRIu64 ", \"failed\": %" PRIu64
			", \"freed\": %" PRIu64 ", \"alloc_only\": %" PRIu64 ", \"by_migratetype\": {",
			first ? "" : ",", o, total, st->fails[o], st->freed[o], st->live[o]);
		for (int m = 0; m < 6; m++)
			fprintf(f, "%s\"%s\": %" PRIu64, m ? ", " : "", mt_names[m], st->allocs[o][m]);
		fputs("}}", f);
		first = false;
	}
	fputs("]", f);
}

int mr_frag_pages_json(FILE *f, struct mr_ctx *ctx, const struct mr_frag *fr)
{
	struct mr_kmem *k = fr->kmem;
	const struct mr_kmem_stats *st = &k->st;

	fprintf(f, "{\"allocs\": %" PRIu64 ", \"failed\": %" PRIu64 ", \"frees\": %" PRIu64
		", \"unmatched_frees\": %" PRIu64 ", \"fallbacks\": %" PRIu64 ",\n    ",
		st->page_allocs, st->page_fails, st->page_frees, st->page_unmatched, st->extfrag);
	pages_json_orders(f, st);
	mr_qsort(k->gfps, k->nr_gfps, sizeof(*k->gfps), cmp_gfp);
	fputs(",\n    \"gfp\": [", f);
	for (size_t i = 0; i < mr_top(ctx, k->nr_gfps); i++) {
		fprintf(f, "%s\n      {\"flags\": ", i ? "," : "");
		mr_json_str(f, k->gfps[i].name);
		fprintf(f, ", \"value\": \"0x%" PRIx64 "\", \"slab_allocs\": %" PRIu64
			", \"page_allocs\": %" PRIu64 ", \"pages\": %" PRIu64 "}", k->gfps[i].flags,
			k->gfps[i].slab_allocs, k->gfps[i].page_allocs, k->gfps[i].pages);
	}
	mr_qsort(k->frags, k->nr_frags, sizeof(*k->frags), cmp_frag);
	fputs("],\n    \"extfrag\": [", f);
	for (size_t i = 0; i < mr_top(ctx, k->nr_frags); i++) {
		const struct mr_kmem_extfrag *x = &k->frags[i];

		fprintf(f, "%s\n      {\"alloc_order\": %d, \"fallback_order\": %d, "
			"\"alloc_migratetype\": \"%s\", \"fallback_migratetype\": \"%s\", "
			"\"count\": %" PRIu64 ", \"change_ownership\": %" PRIu64 "}", i ? "," : "",
			x->alloc_order, x->fallback_order, mt_names[x->alloc_mt & (MR_KMEM_MT - 1)],
			mt_names[x->fallback_mt & (MR_KMEM_MT - 1)], x->count, x->change_ownership);
	}
	fputs("]}", f);
	return 0;
}
