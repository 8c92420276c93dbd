// SPDX-License-Identifier: GPL-2.0
/*
 * frag_heap.c - the user heap section of `memrec report frag` (frag/heap.c's
 * figures): per process and region, live bytes vs span over time, the
 * largest free gaps, the pin of the main arena, and malloc's internal
 * fragmentation per call site. JSON schema: docs/memrec-report-frag-json.md,
 * section "heap".
 */
#include <inttypes.h>
#include "memrec.h"
#include "frag/frag.h"
#include "output/output.h"
#include "output/frag.h"

static const char *const region_keys[] = {
	[MR_HEAP_MAIN] = "main", [MR_HEAP_ARENA] = "thread_arena", [MR_HEAP_MMAP] = "mmap",
};

static size_t sites_shown(const struct mr_ctx *ctx, const struct mr_heap_proc *p)
{
	return ctx->o->top && (size_t)ctx->o->top < p->nr_sites ? (size_t)ctx->o->top
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

static int stack_frames(struct mr_ctx *ctx, uint32_t aspace, uint32_t stack, uint64_t ts,
			struct mr_frame *frames)
{
	return mr_ctx_frames(ctx, mr_ctx_aspace_pid(ctx, aspace), stack, ts, false, frames,
			     MR_MAX_STACK);
}

static void text_stack(FILE *f, struct mr_ctx *ctx, uint32_t aspace, uint32_t stack,
		       uint64_t ts)
{
	struct mr_frame frames[MR_MAX_STACK];
	int nr = stack_frames(ctx, aspace, stack, ts, frames);

	for (int i = 0; i < nr; i++)
		mr_text_frame(f, i, &frames[i]);
}

/* A few points of the series, spread over it: enough to see a trend. */
static void text_series(FILE *f, struct mr_ctx *ctx, const struct mr_heap_series *s)
{
	size_t shown = s->nr < 6 ? s->nr : 6;

	fputs("      live/span:", f);
	for (size_t n = 0; n < shown; n++) {
		const struct mr_heap_point *p = &s->pts[shown > 1 ? n * (s->nr - 1) / (shown - 1) : 0];
		struct mr_human live = mr_human_bytes(p->chunk);
		struct mr_human span = mr_human_bytes(p->hi - p->lo);

		fprintf(f, "%s %.3f s %s/%s", n ? "," : "", mr_ctx_rel_s(ctx, p->ts), live.s,
			span.s);
	}
	fputc('\n', f);
}

static void text_pin(FILE *f, struct mr_ctx *ctx, const struct mr_heap_proc *p, const struct mr_heap_region *r)
{
	const struct mr_block *b = &r->pin;

	fprintf(f, "      pin: %" PRIu64 " bytes (chunk %" PRIu64 ") at 0x%" PRIx64 " from %s, "
		"tid %d, allocated at %.3f s, holds %" PRIu64 " free bytes (%s) below it; freeing "
		"it lets the heap shrink by %" PRIu64 " bytes\n", b->size, r->pin_chunk, b->ptr,
		mr_fn_name(b->fn), b->tid, mr_ctx_rel_s(ctx, b->ts), r->free_below,
		mr_human_bytes(r->free_below).s, r->shrink_by);
	text_stack(f, ctx, p->aspace, b->stack, b->ts);
}

static void text_region(FILE *f, struct mr_ctx *ctx, const struct mr_heap_proc *p,
			const struct mr_heap_region *r)
{
	uint64_t span = r->hi - r->lo;

	if (r->kind == MR_HEAP_MMAP)
		fprintf(f, "    mmapped chunks 0x%" PRIx64 "-0x%" PRIx64 ": %" PRIu64 " live, %"
			PRIu64 " bytes (%" PRIu64 " requested)\n", r->lo, r->hi, r->n, r->chunk,
			r->req);
	else
		fprintf(f, "    %s 0x%" PRIx64 "-0x%" PRIx64 ": %" PRIu64 " live chunk%s, %" PRIu64
			" bytes (%" PRIu64 " requested) in a span of %" PRIu64 ": %" PRIu64
			" bytes free (%.1f%%)\n",
			r->kind == MR_HEAP_MAIN ? "main arena (brk heap)" : "thread arena heap",
			r->lo, r->hi, r->n, plural(r->n), r->chunk, r->req, span,
			span > r->chunk ? span - r->chunk : 0,
			pct(span > r->chunk ? span - r->chunk : 0, span));
	text_series(f, ctx, &r->s);
	if (r->nr_gaps) {
		fputs("      largest free gaps:", f);
		for (int i = 0; i < r->nr_gaps; i++)
			fprintf(f, "%s %" PRIu64 " at 0x%" PRIx64, i ? "," : "", r->gaps[i].size,
				r->gaps[i].addr);
		fputc('\n', f);
	}
	if (r->has_pin)
		text_pin(f, ctx, p, r);
}

static void text_sites(FILE *f, struct mr_ctx *ctx, const struct mr_heap_proc *p)
{
	size_t shown = sites_shown(ctx, p);

	fprintf(f, "    malloc overhead: %" PRIu64 " allocations, %" PRIu64 " bytes requested, %"
		PRIu64 " in chunks, %" PRIu64 " wasted (%.2f%%) over %zu call site%s", p->allocs,
		p->req, p->chunk, p->chunk - p->req, pct(p->chunk - p->req, p->chunk), p->nr_sites,
		plural(p->nr_sites));
	if (shown < p->nr_sites)
		fprintf(f, " (top %zu by waste shown)", shown);
	fputc('\n', f);
	for (size_t i = 0; i < shown; i++) {
		const struct mr_heap_site *s = p->sites[i];

		fprintf(f, "    #%zu %" PRIu64 " bytes wasted (%.2f%%) in %" PRIu64
			" allocation%s from %s: %" PRIu64 " requested, %" PRIu64 " in chunks\n",
			i + 1, mr_heap_site_waste(s), pct(mr_heap_site_waste(s), s->chunk), s->allocs,
			plural(s->allocs), mr_fn_name(s->fn), s->req, s->chunk);
		text_stack(f, ctx, p->aspace, s->stack, s->ts);
	}
}

int mr_frag_heap_text(FILE *f, struct mr_ctx *ctx, const struct mr_frag *fr)
{
	size_t nr;
	const struct mr_heap_proc *procs = mr_frag_heap_procs(fr->heap, &nr);

	fputs("\nuser heap\n", f);
	if (!nr) {
		fputs("  no heap block was allocated while recording\n", f);
		return 0;
	}
	for (size_t n = 0; n < nr; n++) {
		const struct mr_heap_proc *p = &procs[n];

		fprintf(f, "  pid %d (%s): %zu region%s\n", p->pid, mr_ctx_comm(ctx, p->aspace),
			p->nr_regions, p->nr_regions == 1 ? "" : "s");
		for (size_t r = 0; r < p->nr_regions; r++)
			text_region(f, ctx, p, &p->regions[r]);
		text_sites(f, ctx, p);
	}
	return 0;
}

static void json_stack(FILE *f, struct mr_ctx *ctx, uint32_t aspace, uint32_t stack,
		       uint64_t ts, int indent)
{
	struct mr_frame frames[MR_MAX_STACK];
	int nr = stack_frames(ctx, aspace, stack, ts, frames);

	fputs("\"stack\": [", f);
	for (int i = 0; i < nr; i++)
		mr_json_frame(f, &frames[i], !i, indent);
	fputc(']', f);
}

static void json_series(FILE *f, struct mr_ctx *ctx, const struct mr_heap_series *s)
{
	fprintf(f, "\"bucket_ns\": %" PRIu64 ", \"series\": [", (uint64_t)1 << s->shift);
	for (size_t i = 0; i < s->nr; i++) {
		const struct mr_heap_point *p = &s->pts[i];

		fprintf(f, "%s\n          {\"t_s\": %.6f, \"live_bytes\": %" PRIu64
			", \"live_chunk_bytes\": %" PRIu64 ", \"span\": %" PRIu64 "}",
			i ? "," : "", mr_ctx_rel_s(ctx, p->ts), p->req, p->chunk, p->hi - p->lo);
	}
	fputc(']', f);
}

static void json_pin(FILE *f, struct mr_ctx *ctx, const struct mr_heap_proc *p,
		     const struct mr_heap_region *r)
{
	const struct mr_block *b = &r->pin;

	if (!r->has_pin) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"addr\": \"0x%" PRIx64 "\", \"size\": %" PRIu64 ", \"chunk_size\": %" PRIu64
		", \"alloc_fn\": \"%s\", \"tid\": %d, \"alloc_s\": %.6f, \"age_s\": %.6f"
		", \"free_below\": %" PRIu64 ", \"shrink_by\": %" PRIu64 ",\n          ",
		b->ptr, b->size, r->pin_chunk, mr_fn_name(b->fn), b->tid, mr_ctx_rel_s(ctx, b->ts),
		(ctx->end_ts - b->ts) / 1e9, r->free_below, r->shrink_by);
	json_stack(f, ctx, p->aspace, b->stack, b->ts, 12);
	fputc('}', f);
}

static void json_region(FILE *f, struct mr_ctx *ctx, const struct mr_heap_proc *p,
			const struct mr_heap_region *r, bool first)
{
	uint64_t span = r->hi - r->lo;

	fprintf(f, "%s\n        {\"kind\": \"%s\", \"lowest\": \"0x%" PRIx64
		"\", \"highest\": \"0x%" PRIx64 "\", \"span\": %" PRIu64 ", \"live_chunks\": %"
		PRIu64 ", \"live_bytes\": %" PRIu64 ", \"live_chunk_bytes\": %" PRIu64
		", \"free_bytes\": ", first ? "" : ",",
		region_keys[r->kind], r->lo, r->hi, span, r->n, r->req, r->chunk);
	if (r->kind == MR_HEAP_MMAP)
		fputs("null", f);
	else
		fprintf(f, "%" PRIu64, span > r->chunk ? span - r->chunk : 0);
	fputs(",\n         ", f);
	json_series(f, ctx, &r->s);
	fputs(",\n         \"gaps\": [", f);
	for (int i = 0; i < r->nr_gaps; i++)
		fprintf(f, "%s{\"addr\": \"0x%" PRIx64 "\", \"size\": %" PRIu64 "}", i ? ", " : "",
			r->gaps[i].addr, r->gaps[i].size);
	fputs("],\n         \"pin\": ", f);
	json_pin(f, ctx, p, r);
	fputc('}', f);
}

static void json_site(FILE *f, struct mr_ctx *ctx, const struct mr_heap_proc *p, const struct mr_heap_site *s,
		      bool first)
{
	fprintf(f, "%s\n        {\"alloc_fn\": \"%s\", \"allocs\": %" PRIu64
		", \"requested_bytes\": %" PRIu64 ", \"chunk_bytes\": %" PRIu64
		", \"waste_bytes\": %" PRIu64 ", \"waste_pct\": %.4f,\n         ", first ? "" : ",",
		mr_fn_name(s->fn), s->allocs,
		s->req, s->chunk, mr_heap_site_waste(s), pct(mr_heap_site_waste(s), s->chunk));
	json_stack(f, ctx, p->aspace, s->stack, s->ts, 12);
	fputc('}', f);
}

static void json_proc(FILE *f, struct mr_ctx *ctx, const struct mr_heap_proc *p, bool first)
{
	size_t shown = sites_shown(ctx, p);

	fprintf(f, "%s\n      {\"pid\": %d, \"comm\": ", first ? "" : ",", p->pid);
	mr_json_str(f, mr_ctx_comm(ctx, p->aspace));
	fputs(", \"regions\": [", f);
	for (size_t r = 0; r < p->nr_regions; r++)
		json_region(f, ctx, p, &p->regions[r], !r);
	fprintf(f, "],\n       \"allocs\": %" PRIu64 ", \"requested_bytes\": %" PRIu64
		", \"chunk_bytes\": %" PRIu64 ", \"waste_bytes\": %" PRIu64 ", \"sites_total\": %zu"
		", \"sites\": [", p->allocs, p->req, p->chunk, p->chunk - p->req, p->nr_sites);
	for (size_t i = 0; i < shown; i++)
		json_site(f, ctx, p, p->sites[i], !i);
	fputs("]}", f);
}

int mr_frag_heap_json(FILE *f, struct mr_ctx *ctx, const struct mr_frag *fr)
{
	size_t nr;
	const struct mr_heap_proc *procs = mr_frag_heap_procs(fr->heap, &nr);

	fprintf(f, "{\"mmap_threshold\": %llu, \"heap_max_size\": %llu, \"points_max\": %d"
		", \"processes\": [", MR_HEAP_MMAP_THRESHOLD, 1ull << MR_HEAP_WIN_SHIFT,
		MR_HEAP_SERIES_POINTS);
	for (size_t n = 0; n < nr; n++)
		json_proc(f, ctx, &procs[n], !n);
	fputs("]}", f);
	return 0;
}
