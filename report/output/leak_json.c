// SPDX-License-Identifier: GPL-2.0
/*
 * leak_json.c - the leak report as JSON (schema: docs/memrec-report-json.md).
 * Addresses are hex strings: JSON numbers lose precision above 2^53.
 */
#include <inttypes.h>
#include "memrec.h"
#include "leak/leak.h"
#include "output/output.h"

static void ages(struct mr_json *j, const struct mr_ctx *ctx, uint64_t ts_min, uint64_t ts_max)
{
	mr_json_double(j, "age_min_s", (ctx->end_ts - ts_max) / 1e9, 6);
	mr_json_double(j, "age_max_s", (ctx->end_ts - ts_min) / 1e9, 6);
}

/* "growth" and "series"; null for a row without (inherited blocks) */
static void growth(struct mr_json *j, const struct mr_leaks *ls, const struct mr_leak *l)
{
	mr_json_str(j, "growth", mr_growth_name(l->growth));
	if (!l->series) {
		mr_json_null(j, "series");
		return;
	}
	mr_json_object_begin(j, "series", MR_JSON_LINE);
	mr_json_double(j, "interval_s", ls->interval_ns / 1e9, 6);
	mr_json_uint(j, "peak_bytes", l->peak_bytes);
	mr_json_array_begin(j, "bytes", MR_JSON_LINE);
	for (unsigned i = 0; i < l->nseries; i++)
		mr_json_uint(j, NULL, l->series[i]);
	mr_json_array_end(j);
	mr_json_object_end(j);
}

static void row(struct mr_json *j, struct mr_ctx *ctx, const struct mr_leaks *ls,
		const struct mr_leak *l)
{
	int pid = mr_ctx_aspace_pid(ctx, l->aspace);
	struct mr_frame frames[MR_MAX_STACK];
	int nr = mr_ctx_frames(ctx, pid, l->stack, l->ts_min, false, frames, MR_MAX_STACK);

	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_str(j, "side", "user");
	mr_json_int(j, "pid", pid ? pid : -1);
	mr_json_str(j, "comm", mr_ctx_comm(ctx, l->aspace));
	mr_json_str(j, "alloc_fn", mr_fn_name(l->fn));
	mr_json_uint(j, "bytes", l->bytes);
	mr_json_uint(j, "count", l->count);
	mr_json_uint(j, "size_min", l->size_min);
	mr_json_uint(j, "size_max", l->size_max);
	ages(j, ctx, l->ts_min, l->ts_max);
	mr_json_bool(j, "inherited", l->inherited);
	growth(j, ls, l);
	mr_write_json_stack(j, "stack", frames, nr);
	mr_json_object_end(j);
}

static void kstack(struct mr_json *j, struct mr_ctx *ctx, const struct mr_kleak *l, bool kernel)
{
	struct mr_frame frames[MR_MAX_STACK];
	int nr = kernel ? mr_ctx_kframes(ctx, l->kstack, frames, MR_MAX_STACK) :
		 mr_ctx_frames(ctx, l->pid, l->ustack, l->ts_min, true, frames, MR_MAX_STACK);

	mr_write_json_stack(j, kernel ? "kernel_stack" : "stack", frames, nr);
}

static void krow(struct mr_json *j, struct mr_ctx *ctx, const struct mr_kmem *k,
		 const struct mr_kleak *l, bool reason)
{
	const struct mr_kmem_site *s = mr_kleak_site(k, l);
	uint64_t off = 0, cs = s ? s->call_site : l->call_site;
	const char *fn = cs ? mr_ctx_ksym(ctx, cs, &off) : NULL;

	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_str(j, "side", "kernel");
	mr_json_str(j, "kind", mr_kleak_kind_name(l));
	mr_json_int(j, "pid", l->pid);
	mr_json_str(j, "comm", mr_ctx_pid_comm(ctx, l->pid));
	mr_json_str(j, "cache", s ? (s->cache ? s->cache : "kmalloc") : NULL);
	if (fn)
		mr_json_strf(j, "call_site", "%s+0x%" PRIx64, fn, off);
	else
		mr_json_null(j, "call_site");
	mr_json_int(j, "order", l->page ? l->order : -1);
	mr_json_bool(j, "reclaimable", l->reclaimable);
	if (reason)
		mr_json_str(j, "reason", mr_kreason_names[l->reason]);
	mr_json_uint(j, "bytes", l->bytes);
	mr_json_uint(j, "count", l->count);
	ages(j, ctx, l->ts_min, l->ts_max);
	kstack(j, ctx, l, true);
	kstack(j, ctx, l, false);
	mr_json_object_end(j);
}

/* The wait at stop for the targets' teardown (record/settle.c); null when there was none. */
static void teardown(struct mr_json *j, const struct mr_meta *m)
{
	if (!m->settle_ms) {
		mr_json_null(j, "teardown");
		return;
	}
	mr_json_object_begin(j, "teardown", MR_JSON_LINE);
	mr_json_uint(j, "bound_ms", m->settle_ms);
	mr_json_double(j, "waited_s", m->settle_waited_ns / 1e9, 3);
	mr_json_bool(j, "targets_exited", m->settle_targets_gone);
	mr_json_bool(j, "reaped", m->settle_reaped);
	mr_json_str(j, "rcu", m->settle_rcu);
	mr_json_object_end(j);
}

static void vmem_totals(struct mr_json *j, const struct mr_vmem_stats *vst)
{
	mr_json_uint(j, "vmalloc_allocs", vst->vmap_allocs);
	mr_json_uint(j, "vmalloc_bytes", vst->vmap_bytes);
	mr_json_uint(j, "vmalloc_fails", vst->vmap_fails);
	mr_json_uint(j, "vmalloc_frees", vst->vmap_frees);
	mr_json_uint(j, "vmalloc_frees_by_others", vst->vmap_frees_other);
	mr_json_uint(j, "vmalloc_unmatched_frees", vst->vmap_unmatched);
	mr_json_uint(j, "vmalloc_exited_stacks", vst->exited_stacks);
	mr_json_uint(j, "vmalloc_exited_stack_bytes", vst->exited_stack_bytes);
	mr_json_uint(j, "percpu_allocs", vst->pcpu_allocs);
	mr_json_uint(j, "percpu_bytes", vst->pcpu_bytes);
	mr_json_uint(j, "percpu_frees", vst->pcpu_frees);
	mr_json_uint(j, "percpu_unmatched_frees", vst->pcpu_unmatched);
}

static void kernel_totals(struct mr_json *j, const struct mr_meta *m, const struct mr_kmem_stats *st,
			  const struct mr_vmem_stats *vst, const struct mr_kleaks *l)
{
	mr_json_object_begin(j, "kernel", MR_JSON_BLOCK);
	mr_json_bool(j, "recorded", l->recorded);
	teardown(j, m);
	mr_json_uint(j, "bytes", l->bytes);
	mr_json_uint(j, "count", l->count);
	mr_json_uint(j, "sites", l->nr);
	mr_json_uint(j, "overhead_bytes", l->overhead_bytes);
	mr_json_uint(j, "overhead_count", l->overhead_count);
	mr_json_object_begin(j, "unconfirmed", MR_JSON_LINE);
	for (int r = MR_KR_CONFIRMED + 1; r < MR_KR_NR; r++) {
		mr_json_object_begin(j, mr_kreason_names[r], MR_JSON_LINE);
		mr_json_uint(j, "bytes", l->reason_bytes[r]);
		mr_json_uint(j, "count", l->reason_count[r]);
		mr_json_object_end(j);
	}
	mr_json_object_end(j);
	if (l->dmap_known) {
		mr_json_object_begin(j, "direct_map", MR_JSON_LINE);
		mr_json_strf(j, "base", "0x%" PRIx64, l->dmap_base);
		mr_json_uint(j, "samples", l->dmap_samples);
		mr_json_uint(j, "contrary", l->dmap_contrary);
		mr_json_object_end(j);
	} else {
		mr_json_null(j, "direct_map");
	}
	mr_json_uint(j, "slab_allocs", st->slab_allocs);
	mr_json_uint(j, "slab_frees", st->slab_frees);
	mr_json_uint(j, "slab_frees_by_others", st->slab_frees_other);
	mr_json_uint(j, "slab_frees_in_irq", st->slab_frees_irq);
	mr_json_uint(j, "slab_unmatched_frees", st->slab_unmatched);
	mr_json_uint(j, "page_allocs", st->page_allocs);
	mr_json_uint(j, "page_fails", st->page_fails);
	mr_json_uint(j, "page_frees", st->page_frees);
	mr_json_uint(j, "page_frees_by_others", st->page_frees_other);
	mr_json_uint(j, "page_unmatched_frees", st->page_unmatched);
	vmem_totals(j, vst);
	mr_json_object_end(j);
}

static void kernel_json(struct mr_json *j, struct mr_ctx *ctx, const struct mr_kmem *k,
			const struct mr_kleaks *l)
{
	size_t shown = mr_top(ctx, l->nr);

	kernel_totals(j, &ctx->meta, &k->st, &k->vmem->st, l);
	mr_json_array_begin(j, "kernel_leaks", MR_JSON_BLOCK);
	for (size_t i = 0; i < shown; i++)
		krow(j, ctx, k, &l->rows[i], false);
	mr_json_array_end(j);
	mr_json_array_begin(j, "kernel_unconfirmed", MR_JSON_BLOCK);
	for (size_t i = 0; i < mr_top(ctx, l->nr_unconfirmed); i++)
		krow(j, ctx, k, &l->unconfirmed[i], true);
	mr_json_array_end(j);
}

void mr_write_json_leak_totals(struct mr_json *j, const struct mr_leaks *l)
{
	mr_json_object_begin(j, "totals", MR_JSON_LINE);
	mr_json_uint(j, "bytes", l->bytes);
	mr_json_uint(j, "count", l->count);
	mr_json_uint(j, "sites", l->nr);
	mr_json_uint(j, "inherited_bytes", l->inherited_bytes);
	mr_json_uint(j, "inherited_count", l->inherited_count);
	mr_json_uint(j, "runtime_bytes", l->suppressed_bytes[MR_SUPP_RUNTIME]);
	mr_json_uint(j, "runtime_count", l->suppressed_count[MR_SUPP_RUNTIME]);
	mr_json_uint(j, "suppressed_bytes", l->suppressed_bytes[MR_SUPP_FILE]);
	mr_json_uint(j, "suppressed_count", l->suppressed_count[MR_SUPP_FILE]);
	mr_json_uint(j, "lsan_bytes", l->suppressed_bytes[MR_SUPP_PROGRAM]);
	mr_json_uint(j, "lsan_count", l->suppressed_count[MR_SUPP_PROGRAM]);
	mr_json_object_end(j);
}

int mr_leak_json_doc(struct mr_json *j, struct mr_ctx *ctx, const void *state)
{
	const struct mr_leak_report *r = state;
	const struct mr_leaks *l = &r->user;
	size_t shown = mr_top(ctx, l->nr);

	mr_json_object_begin(j, NULL, MR_JSON_BLOCK);
	mr_write_json_header(j, ctx);
	mr_write_json_leak_totals(j, l);
	mr_json_array_begin(j, "leaks", MR_JSON_BLOCK);
	for (size_t i = 0; i < shown; i++)
		row(j, ctx, l, &l->rows[i]);
	mr_json_array_end(j);
	kernel_json(j, ctx, r->kmem, &r->kernel);
	mr_json_object_end(j);
	return mr_json_finish(j);
}

int mr_leak_write_json(FILE *f, struct mr_ctx *ctx, const void *state)
{
	struct mr_json j;

	mr_json_init(&j, f);
	return mr_leak_json_doc(&j, ctx, state);
}
