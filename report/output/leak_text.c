// SPDX-License-Identifier: GPL-2.0
/*
 * leak_text.c - the leak report for people: a header that says what was
 * recorded and what was lost, then the call sites holding memory, biggest
 * first, each with its growth over the recording (a verdict and a
 * sparkline) and its symbolised stack.
 */
#include <inttypes.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "memrec.h"
#include "leak/leak.h"
#include "output/output.h"

/* Block characters when the user's locale is UTF-8 and --ascii was not given. */
static bool use_unicode(const struct mr_ctx *ctx)
{
	const char *cur;
	bool utf8 = false;
	char *saved;

	if (ctx->o->ascii)
		return false;
	cur = setlocale(LC_CTYPE, NULL);
	saved = cur ? mr_xstrdup(cur) : NULL;
	/* ask the environment's locale, then put the program's back */
	if (setlocale(LC_CTYPE, ""))
		utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	if (saved)
		setlocale(LC_CTYPE, saved);
	free(saved);
	return utf8;
}

/*
 * "    growth: VERDICT  SPARKLINE  peak N bytes, S s per mark": one mark per
 * interval of the series, its height from 0 to the series' highest value in
 * eight steps; a space is 0 bytes, the lowest mark any bytes at all.
 */
static void growth_line(FILE *f, const struct mr_leaks *ls, const struct mr_leak *l,
			bool unicode)
{
	static const char *const blocks[8] = { "\u2581", "\u2582", "\u2583", "\u2584",
					       "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ascii[8] = ".:-=+*#@";
	uint64_t max = 0;

	if (!l->series)
		return;
	for (unsigned i = 0; i < l->nseries; i++)
		if (l->series[i] > max)
			max = l->series[i];
	fprintf(f, "    growth: %-9s  ", mr_growth_name(l->growth));
	for (unsigned i = 0; i < l->nseries; i++) {
		uint64_t v = l->series[i];
		int lvl = v ? (int)((8.0 * v + max - 1) / max) - 1 : -1;

		lvl = lvl > 7 ? 7 : lvl;
		if (lvl < 0)
			fputc(' ', f);
		else if (unicode)
			fputs(blocks[lvl], f);
		else
			fputc(ascii[lvl], f);
	}
	fprintf(f, "  peak %" PRIu64 " bytes, %g s per mark\n", l->peak_bytes,
		ls->interval_ns / 1e9);
}

static void row(FILE *f, struct mr_ctx *ctx, const struct mr_leaks *ls, size_t n,
		const struct mr_leak *l, bool unicode)
{
	int pid = mr_ctx_aspace_pid(ctx, l->aspace);
	struct mr_frame frames[MR_MAX_STACK];
	int nr = mr_ctx_frames(ctx, pid, l->stack, l->ts_min, false, frames, MR_MAX_STACK);

	fprintf(f, "\n  #%zu %" PRIu64 " bytes in %" PRIu64 " block%s", n, l->bytes, l->count,
		l->count == 1 ? "" : "s");
	if (l->size_min == l->size_max)
		fprintf(f, " of %" PRIu64 " bytes", l->size_min);
	else
		fprintf(f, " of %" PRIu64 "..%" PRIu64 " bytes", l->size_min, l->size_max);
	fprintf(f, " from %s, pid %d (%s), age %.3f..%.3f s%s\n", mr_fn_name(l->fn),
		pid ? pid : -1, mr_text_esc(mr_ctx_comm(ctx, l->aspace)),
		(ctx->end_ts - l->ts_max) / 1e9, (ctx->end_ts - l->ts_min) / 1e9,
		l->inherited ? ", inherited at fork" : "");
	growth_line(f, ls, l, unicode);
	for (int i = 0; i < nr; i++)
		mr_text_frame(f, i, &frames[i]);
}

static void kframes(FILE *f, struct mr_ctx *ctx, const struct mr_kleak *l, bool kernel)
{
	struct mr_frame frames[MR_MAX_STACK];
	int nr = kernel ? mr_ctx_kframes(ctx, l->kstack, frames, MR_MAX_STACK) :
		 mr_ctx_frames(ctx, l->pid, l->ustack, l->ts_min, true, frames, MR_MAX_STACK);

	if (!nr)
		return;
	fprintf(f, "    %s stack:\n", kernel ? "kernel" : "user");
	for (int i = 0; i < nr; i++)
		mr_text_frame(f, i, &frames[i]);
}

static void krow(FILE *f, struct mr_ctx *ctx, const struct mr_kmem *k, size_t n,
		 const struct mr_kleak *l)
{
	const struct mr_kmem_site *s = mr_kleak_site(k, l);
	uint64_t off = 0;
	const char *fn;

	fprintf(f, "\n  #%zu %" PRIu64 " bytes in %" PRIu64, n, l->bytes, l->count);
	if (l->page) {
		fprintf(f, " order-%d page block%s", l->order, l->count == 1 ? "" : "s");
	} else if (!s) {
		fprintf(f, " %s %s", l->kind == MR_KLEAK_VMALLOC ? "vmalloc" : "per-CPU",
			l->kind == MR_KLEAK_VMALLOC ? (l->count == 1 ? "area" : "areas") :
			(l->count == 1 ? "object" : "objects"));
		fn = l->call_site ? mr_ctx_ksym(ctx, l->call_site, &off) : NULL;
		if (fn)
			fprintf(f, " from %s+0x%" PRIx64, mr_text_esc(fn), off);
	} else {
		fprintf(f, " object%s ", l->count == 1 ? "" : "s");
		if (s->cache)
			fprintf(f, "of cache %s", mr_text_esc(s->cache));
		else
			fprintf(f, "of kmalloc");
		fn = mr_ctx_ksym(ctx, s->call_site, &off);
		if (fn)
			fprintf(f, " from %s+0x%" PRIx64, mr_text_esc(fn), off);
	}
	if (l->reclaimable)
		fprintf(f, ", reclaimable");
	fprintf(f, ", pid %d (%s), age %.3f..%.3f s\n", l->pid, mr_text_esc(mr_ctx_pid_comm(ctx, l->pid)),
		(ctx->end_ts - l->ts_max) / 1e9, (ctx->end_ts - l->ts_min) / 1e9);
	kframes(f, ctx, l, true);
	kframes(f, ctx, l, false);
}

/* How far the recording followed the targets' teardown (record/settle.c). */
static void teardown(FILE *f, const struct mr_meta *m)
{
	if (!m->settle_ms)
		return;
	if (!m->settle_targets_gone)
		fprintf(f, "  teardown   the targets ran at stop; recorded until the RCU callbacks "
			"queued ran (%s)\n", mr_text_esc(m->settle_rcu));
	else if (m->settle_reaped)
		fprintf(f, "  teardown   recorded until the targets were reaped and their RCU "
			"callbacks ran (%s): %.3f s (bound %" PRIu64 " ms)\n",
			mr_text_esc(m->settle_rcu), m->settle_waited_ns / 1e9, m->settle_ms);
	else
		fprintf(f, "  teardown   the targets were not all reaped within %" PRIu64 " ms; what "
			"they held is unconfirmed\n", m->settle_ms);
}

/* Where the slab objects' pages were looked for (leak/kmem.c, direct_map()). */
static void direct_map(FILE *f, const struct mr_kmem_stats *st, const struct mr_kleaks *l)
{
	if (!st->slab_allocs)
		return;
	if (l->dmap_known)
		fprintf(f, "  slab pages direct map at %#" PRIx64 " (%" PRIu64 " page and object "
			"pairs agree, %" PRIu64 " do not): objects on slab pages freed after them "
			"are unconfirmed\n", l->dmap_base, l->dmap_samples, l->dmap_contrary);
	else
		fprintf(f, "  slab pages the direct map's base was not learned (%" PRIu64
			" page and object pairs agree, %" PRIu64 " do not): objects on freed slab "
			"pages were not looked for\n", l->dmap_samples, l->dmap_contrary);
}

/* Only for files with these events: older files' reports stay as they were. */
static void vmem_totals(FILE *f, const struct mr_vmem *v)
{
	const struct mr_vmem_stats *st = &v->st;

	if (!mr_vmem_any(v))
		return;
	fprintf(f, "  vmalloc    %" PRIu64 " areas (%" PRIu64 " bytes), %" PRIu64 " failed, %" PRIu64
		" freed (lazily: not leaks, %" PRIu64 " of them by another process), %" PRIu64
		" frees of areas allocated before recording (ignored)\n", st->vmap_allocs,
		st->vmap_bytes, st->vmap_fails, st->vmap_frees, st->vmap_frees_other,
		st->vmap_unmatched);
	if (st->exited_stacks)
		fprintf(f, "             %" PRIu64 " kernel stacks (%" PRIu64 " bytes) of tasks that "
			"exited left out: the kernel caches them for the next fork or frees them "
			"after the recording\n", st->exited_stacks, st->exited_stack_bytes);
	fprintf(f, "  per-CPU    %" PRIu64 " allocations (%" PRIu64 " bytes on all CPUs), %" PRIu64
		" frees, %" PRIu64 " frees of objects allocated before recording (ignored)\n",
		st->pcpu_allocs, st->pcpu_bytes, st->pcpu_frees, st->pcpu_unmatched);
}

static void kernel_leaks(FILE *f, struct mr_ctx *ctx, const struct mr_kmem *k,
			 const struct mr_kleaks *l)
{
	const struct mr_kmem_stats *st = &k->st;
	size_t shown = mr_top(ctx, l->nr);

	fprintf(f, "\nkernel: %" PRIu64 " bytes in %" PRIu64 " objects and page blocks from %zu "
		"sites still allocated at the end of the trace", l->bytes, l->count, l->nr);
	if (shown < l->nr)
		fprintf(f, " (top %zu shown)", shown);
	fprintf(f, "\n  slab       %" PRIu64 " allocations, %" PRIu64 " frees (%" PRIu64
		" by another process, %" PRIu64 " in interrupt context: RCU callbacks, kworkers and "
		"the like are paired too), %" PRIu64 " frees of objects allocated before "
		"recording (ignored)\n", st->slab_allocs, st->slab_frees, st->slab_frees_other,
		st->slab_frees_irq, st->slab_unmatched);
	fprintf(f, "  pages      %" PRIu64 " allocations, %" PRIu64 " failed, %" PRIu64
		" frees (%" PRIu64 " by another process), %" PRIu64 " frees of pages allocated before "
		"recording (ignored)\n", st->page_allocs, st->page_fails, st->page_frees,
		st->page_frees_other, st->page_unmatched);
	vmem_totals(f, k->vmem);
	direct_map(f, st, l);
	teardown(f, &ctx->meta);
	for (int r = MR_KR_CONFIRMED + 1; r < MR_KR_NR; r++)
		if (l->reason_count[r])
			fprintf(f, "  unconfirmed %" PRIu64 " bytes in %" PRIu64 " objects and page "
				"blocks %s (%s; -f json: kernel_unconfirmed)\n", l->reason_bytes[r],
				l->reason_count[r], mr_kreason_text[r], mr_kreason_names[r]);
	if (l->overhead_count)
		fprintf(f, "  memrec's own %" PRIu64 " bytes in %" PRIu64 " objects: its perf events "
			"and uprobe return instances in the targets (left out)\n",
			l->overhead_bytes, l->overhead_count);
	for (size_t i = 0; i < shown; i++)
		krow(f, ctx, k, i + 1, &l->rows[i]);
}

int mr_leak_write_text(FILE *f, struct mr_ctx *ctx, const void *state)
{
	const struct mr_leak_report *r = state;
	const struct mr_leaks *l = &r->user;
	size_t shown = mr_top(ctx, l->nr);
	bool unicode = use_unicode(ctx);

	mr_write_text_header(f, ctx);
	fprintf(f, "\nleaks: %" PRIu64 " bytes in %" PRIu64 " blocks from %zu call sites still "
		"allocated at the end of the trace", l->bytes, l->count, l->nr);
	if (ctx->o->sort_growth)
		fprintf(f, ", growing sites first");
	if (shown < l->nr)
		fprintf(f, " (top %zu shown; --top 0 for all)", shown);
	fputc('\n', f);
	if (l->inherited_count)
		fprintf(f, "  (%" PRIu64 " blocks, %" PRIu64 " bytes, inherited at fork and never "
			"freed by the child are left out; --inherited shows them)\n",
			l->inherited_count, l->inherited_bytes);
	if (l->suppressed_count[MR_SUPP_RUNTIME])
		fprintf(f, "  (%" PRIu64 " blocks, %" PRIu64 " bytes, of the runtime's one-time "
			"allocations are left out: stdio buffers, thread TLS, ld.so, libstdc++'s "
			"pool; --no-suppress shows them)\n", l->suppressed_count[MR_SUPP_RUNTIME],
			l->suppressed_bytes[MR_SUPP_RUNTIME]);
	if (l->suppressed_count[MR_SUPP_FILE])
		fprintf(f, "  (%" PRIu64 " blocks, %" PRIu64 " bytes, matching --suppress '%s' are "
			"left out)\n", l->suppressed_count[MR_SUPP_FILE],
			l->suppressed_bytes[MR_SUPP_FILE], mr_text_esc(ctx->o->suppress));
	if (l->suppressed_count[MR_SUPP_PROGRAM])
		fprintf(f, "  (%" PRIu64 " blocks, %" PRIu64 " bytes, matching the program's own "
			"LeakSanitizer suppressions (__lsan_default_suppressions) are left out; "
			"--no-suppress shows them)\n", l->suppressed_count[MR_SUPP_PROGRAM],
			l->suppressed_bytes[MR_SUPP_PROGRAM]);
	if (l->young_count)
		fprintf(f, "  (%" PRIu64 " blocks younger than --min-age are left out)\n",
			l->young_count);
	for (size_t i = 0; i < shown; i++)
		row(f, ctx, l, i + 1, &l->rows[i], unicode);
	if (r->kernel.recorded)
		kernel_leaks(f, ctx, r->kmem, &r->kernel);
	return 0;
}
