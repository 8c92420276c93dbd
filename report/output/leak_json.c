// SPDX-License-Identifier: GPL-2.0
/*
 * leak_json.c - the leak report as JSON (schema: docs/memrec-report-json.md).
 * Addresses are hex strings: JSON numbers lose precision above 2^53.
 */
#include <inttypes.h>
#include <stdlib.h>
#include "memrec.h"
#include "leak/leak.h"
#include "output/output.h"

static void row(FILE *f, struct mr_ctx *ctx, const struct mr_leak *l, bool first)
{
	int pid = mr_ctx_aspace_pid(ctx, l->aspace);
	struct mr_frame frames[MR_MAX_STACK];
	int nr = mr_ctx_frames(ctx, pid, l->stack, l->ts_min, false, frames, MR_MAX_STACK);

	fprintf(f, "%s\n    {\"side\": \"user\", \"pid\": %d, \"comm\": ", first ? "" : ",",
		pid ? pid : -1);
	mr_json_str(f, mr_ctx_comm(ctx, l->aspace));
	fprintf(f, ", \"alloc_fn\": \"%s\", \"bytes\": %" PRIu64 ", \"count\": %" PRIu64
		", \"size_min\": %" PRIu64 ", \"size_max\": %" PRIu64 ", \"age_min_s\": %.6f"
		", \"age_max_s\": %.6f, \"inherited\": %s,\n      \"stack\": [",
		mr_fn_name(l->fn), l->bytes, l->count, l->size_min, l->size_max,
		(ctx->end_ts - l->ts_max) / 1e9, (ctx->end_ts - l->ts_min) / 1e9,
		l->inherited ? "true" : "false");
	for (int i = 0; i < nr; i++)
		mr_json_frame(f, &frames[i], !i, 8);
	fprintf(f, "]}");
}

static void kstack_json(FILE *f, struct mr_ctx *ctx, const struct mr_kleak *l, bool kernel)
{
	struct mr_frame frames[MR_MAX_STACK];
	int nr = kernel ? mr_ctx_kframes(ctx, l->kstack, frames, MR_MAX_STACK) :
		 mr_ctx_frames(ctx, l->pid, l->ustack, l->ts_min, true, frames, MR_MAX_STACK);

	fprintf(f, ",\n      \"%s\": [", kernel ? "kernel_stack" : "stack");
	for (int i = 0; i < nr; i++)
		mr_json_frame(f, &frames[i], !i, 8);
	fputc(']', f);
}

static void krow(FILE *f, struct mr_ctx *ctx, const struct mr_kmem *k, const struct mr_kleak *l,
		 bool first)
{
	const struct mr_kmem_site *s = l->page ? NULL : &k->sites[l->site];
	uint64_t off = 0;
	const char *fn = s ? mr_ctx_ksym(ctx, s->call_site, &off) : NULL;
	char *site = fn ? mr_xasprintf("%s+0x%" PRIx64, fn, off) : NULL;

	fprintf(f, "%s\n    {\"side\": \"kernel\", \"kind\": \"%s\", \"pid\": %d, \"comm\": ",
		first ? "" : ",", l->page ? "page" : "slab", l->pid);
	mr_json_str(f, mr_ctx_pid_comm(ctx, l->pid));
	fputs(", \"cache\": ", f);
	mr_json_str(f, s ? (s->cache ? s->cache : "kmalloc") : NULL);
	fputs(", \"call_site\": ", f);
	mr_json_str(f, site);
	fprintf(f, ", \"order\": %d, \"bytes\": %" PRIu64 ", \"count\": %" PRIu64
		", \"age_min_s\": %.6f, \"age_max_s\": %.6f", l->page ? l->order : -1, l->bytes,
		l->count, (ctx->end_ts - l->ts_max) / 1e9, (ctx->end_ts - l->ts_min) / 1e9);
	kstack_json(f, ctx, l, true);
	kstack_json(f, ctx, l, false);
	fputc('}', f);
	free(site);
}

static void kernel_json(FILE *f, struct mr_ctx *ctx, const struct mr_kmem *k,
			const struct mr_kleaks *l)
{
	const struct mr_kmem_stats *st = &k->st;
	size_t shown = mr_top(ctx, l->nr);

	fprintf(f, ",\n  \"kernel\": {\"recorded\": %s, \"bytes\": %" PRIu64 ", \"count\": %"
		PRIu64 ", \"sites\": %zu, \"overhead_bytes\": %" PRIu64 ", \"overhead_count\": %"
		PRIu64 ",\n    \"slab_allocs\": %" PRIu64 ", \"slab_frees\": %" PRIu64
		", \"slab_frees_by_others\": %" PRIu64 ", \"slab_frees_in_irq\": %" PRIu64
		", \"slab_unmatched_frees\": %" PRIu64 ", \"page_allocs\": %" PRIu64
		", \"page_fails\": %" PRIu64 ", \"page_frees\": %" PRIu64
		", \"page_frees_by_others\": %" PRIu64 ", \"page_unmatched_frees\": %" PRIu64 "}",
		l->recorded ? "true" : "false", l->bytes, l->count, l->nr, l->overhead_bytes,
		l->overhead_count, st->slab_allocs, st->slab_frees, st->slab_frees_other,
		st->slab_frees_irq, st->slab_unmatched, st->page_allocs, st->page_fails,
		st->page_frees, st->page_frees_other, st->page_unmatched);
	fprintf(f, ",\n  \"kernel_leaks\": [");
	for (size_t i = 0; i < shown; i++)
		krow(f, ctx, k, &l->rows[i], !i);
	fprintf(f, "\n  ]");
}

int mr_leak_write_json(FILE *f, struct mr_ctx *ctx, const void *state)
{
	const struct mr_leak_report *r = state;
	const struct mr_leaks *l = &r->user;
	size_t shown = mr_top(ctx, l->nr);

	mr_write_json_header(f, ctx);
	fprintf(f, "  \"totals\": {\"bytes\": %" PRIu64 ", \"count\": %" PRIu64 ", \"sites\": %zu"
		", \"inherited_bytes\": %" PRIu64 ", \"inherited_count\": %" PRIu64 "},\n",
		l->bytes, l->count, l->nr, l->inherited_bytes, l->inherited_count);
	fprintf(f, "  \"leaks\": [");
	for (size_t i = 0; i < shown; i++)
		row(f, ctx, &l->rows[i], !i);
	fprintf(f, "\n  ]");
	kernel_json(f, ctx, r->kmem, &r->kernel);
	fprintf(f, "\n}\n");
	return 0;
}
