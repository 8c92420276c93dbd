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

		fprintf(f, "  pid %d (%s): %zu region%s\n", p->pid,
			mr_text_esc(mr_ctx_comm(ctx, p->aspace)),
			p->nr_regions, p->nr_regions == 1 ? "" : "s");
		for (size_t r = 0; r < p->nr_regions; r++)
			text_region(f, ctx, p, &p->regions[r]);
		text_sites(f, ctx, p);
	}
	return 0;
}

static void json_stack(struct mr_json *j, struct mr_ctx *ctx, uint32_t aspace, uint32_t stack,
		       uint64_t ts)
{
	struct mr_frame frames[MR_MAX_STACK];
	int nr = stack_frames(ctx, aspace, stack, ts, frames);

	mr_write_json_stack(j, "stack", frames, nr);
}

static void json_series(struct mr_json *j, struct mr_ctx *ctx, const struct mr_heap_series *s)
{
	mr_json_uint(j, "bucket_ns", (uint64_t)1 << s->shift);
	mr_json_array_begin(j, "series", MR_JSON_BLOCK);
	for (size_t i = 0; i < s->nr; i++) {
		const struct mr_heap_point *p = &s->pts[i];

		mr_json_object_begin(j, NULL, MR_JSON_LINE);
		mr_json_double(j, "t_s", mr_ctx_rel_s(ctx, p->ts), 6);
		mr_json_uint(j, "live_bytes", p->req);
		mr_json_uint(j, "live_chunk_bytes", p->chunk);
		mr_json_uint(j, "span", p->hi - p->lo);
		mr_json_object_end(j);
	}
	mr_json_array_end(j);
}

static void json_pin(struct mr_json *j, struct mr_ctx *ctx, const struct mr_heap_proc *p,
		     const struct mr_heap_region *r)
{
	const struct mr_block *b = &r->pin;

	if (!r->has_pin) {
		mr_json_null(j, "pin");
		return;
	}
	mr_json_object_begin(j, "pin", MR_JSON_LINE);
	mr_json_strf(j, "addr", "0x%" PRIx64, b->ptr);
	mr_json_uint(j, "size", b->size);
	mr_json_uint(j, "chunk_size", r->pin_chunk);
	mr_json_str(j, "alloc_fn", mr_fn_name(b->fn));
	mr_json_int(j, "tid", b->tid);
	mr_json_double(j, "alloc_s", mr_ctx_rel_s(ctx, b->ts), 6);
	mr_json_double(j, "age_s", (ctx->end_ts - b->ts) / 1e9, 6);
	mr_json_uint(j, "free_below", r->free_below);
	mr_json_uint(j, "shrink_by", r->shrink_by);
	json_stack(j, ctx, p->aspace, b->stack, b->ts);
	mr_json_object_end(j);
}

static void json_gaps(struct mr_json *j, const struct mr_heap_region *r)
{
	mr_json_array_begin(j, "gaps", MR_JSON_LINE);
	for (int i = 0; i < r->nr_gaps; i++) {
		mr_json_object_begin(j, NULL, MR_JSON_LINE);
		mr_json_strf(j, "addr", "0x%" PRIx64, r->gaps[i].addr);
		mr_json_uint(j, "size", r->gaps[i].size);
		mr_json_object_end(j);
	}
	mr_json_array_end(j);
}

static void json_region(struct mr_json *j, struct mr_ctx *ctx, const struct mr_heap_proc *p,
			const struct mr_heap_region *r)
{
	uint64_t span = r->hi - r->lo;

	mr_json_object_begin(j, NULL, MR_JSON_BLOCK);
	mr_json_str(j, "kind", region_keys[r->kind]);
	mr_json_strf(j, "lowest", "0x%" PRIx64, r->lo);
	mr_json_strf(j, "highest", "0x%" PRIx64, r->hi);
	mr_json_uint(j, "span", span);
	mr_json_uint(j, "live_chunks", r->n);
	mr_json_uint(j, "live_bytes", r->req);
	mr_json_uint(j, "live_chunk_bytes", r->chunk);
	if (r->kind == MR_HEAP_MMAP)
		mr_json_null(j, "free_bytes");
	else
		mr_json_uint(j, "free_bytes", span > r->chunk ? span - r->chunk : 0);
	json_series(j, ctx, &r->s);
	json_gaps(j, r);
	json_pin(j, ctx, p, r);
	mr_json_object_end(j);
}

static void json_site(struct mr_json *j, struct mr_ctx *ctx, const struct mr_heap_proc *p,
		      const struct mr_heap_site *s)
{
	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_str(j, "alloc_fn", mr_fn_name(s->fn));
	mr_json_uint(j, "allocs", s->allocs);
	mr_json_uint(j, "requested_bytes", s->req);
	mr_json_uint(j, "chunk_bytes", s->chunk);
	mr_json_uint(j, "waste_bytes", mr_heap_site_waste(s));
	mr_json_double(j, "waste_pct", pct(mr_heap_site_waste(s), s->chunk), 4);
	json_stack(j, ctx, p->aspace, s->stack, s->ts);
	mr_json_object_end(j);
}

static void json_proc(struct mr_json *j, struct mr_ctx *ctx, const struct mr_heap_proc *p)
{
	size_t shown = sites_shown(ctx, p);

	mr_json_object_begin(j, NULL, MR_JSON_BLOCK);
	mr_json_int(j, "pid", p->pid);
	mr_json_str(j, "comm", mr_ctx_comm(ctx, p->aspace));
	mr_json_array_begin(j, "regions", MR_JSON_BLOCK);
	for (size_t r = 0; r < p->nr_regions; r++)
		json_region(j, ctx, p, &p->regions[r]);
	mr_json_array_end(j);
	mr_json_uint(j, "allocs", p->allocs);
	mr_json_uint(j, "requested_bytes", p->req);
	mr_json_uint(j, "chunk_bytes", p->chunk);
	mr_json_uint(j, "waste_bytes", p->chunk - p->req);
	mr_json_uint(j, "sites_total", p->nr_sites);
	mr_json_array_begin(j, "sites", MR_JSON_BLOCK);
	for (size_t i = 0; i < shown; i++)
		json_site(j, ctx, p, p->sites[i]);
	mr_json_array_end(j);
	mr_json_object_end(j);
}

void mr_frag_heap_json(struct mr_json *j, struct mr_ctx *ctx, const struct mr_frag *fr)
{
	size_t nr;
	const struct mr_heap_proc *procs = mr_frag_heap_procs(fr->heap, &nr);

	mr_json_object_begin(j, NULL, MR_JSON_BLOCK);
	mr_json_uint(j, "mmap_threshold", MR_HEAP_MMAP_THRESHOLD);
	mr_json_uint(j, "heap_max_size", 1ull << MR_HEAP_WIN_SHIFT);
	mr_json_int(j, "points_max", MR_HEAP_SERIES_POINTS);
	mr_json_array_begin(j, "processes", MR_JSON_BLOCK);
	for (size_t n = 0; n < nr; n++)
		json_proc(j, ctx, &procs[n]);
	mr_json_array_end(j);
	mr_json_object_end(j);
}
