// SPDX-License-Identifier: GPL-2.0
/*
 * oom_text.c - `memrec report oom` for people: the processes' RSS and stalls,
 * then each kill with what led to it. Times are seconds from the start of
 * the recording.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <time.h>
#include "memrec.h"
#include "oom/oom.h"
#include "output/output.h"
#include "output/oom.h"

#define RAMP_ROWS	20
#define RAMP_WIDTH	40
#define TEXT_FRAMES	3

static void text_header(FILE *f, const struct mr_ctx *ctx, const struct mr_oom_totals *t)
{
	mr_text_recording(f, ctx, "memrec oom report", t->duration_s);
	fprintf(f, "  events     %" PRIu64 " rss_stat, %" PRIu64 " oom, %" PRIu64
		" allocator calls; kswapd woke %" PRIu64 " times (awake %.3f s)\n",
		t->rss_events, t->oom_events, t->alloc_events, t->kswapd_wakes,
		t->kswapd_awake_ns / 1e9);
	mr_text_lost(f, ctx, "RSS steps, stalls or the kill's own events may be missing");
	if (!t->rss_events && !t->oom_events)
		fprintf(f, "  no memory pressure events: was it recorded with -e oom?\n");
}

/* "memcg reclaim 3 (6.000 ms, worst 3.000 ms)" for each kind that happened. */
static void text_stalls(FILE *f, const struct mr_oom_stall *s, uint64_t attempts)
{
	mr_oom_stalls_line(f, s, attempts);
	fputc('\n', f);
}

static void text_totals(FILE *f, const struct mr_ctx *ctx, const struct mr_oom *o)
{
	const struct mr_oom_totals *t = mr_oom_totals(o);

	fprintf(f, "\nstalls of all tasks: ");
	text_stalls(f, t->stalls, t->compact_attempts);
	if (t->worst_ns) {
		fprintf(f, "  worst: %s of %.3f ms in pid %d tid %d at t=%+.3fs\n",
			mr_oom_stall_names[t->worst_kind], t->worst_ns / 1e6, t->worst_pid,
			t->worst_tid, mr_ctx_rel_s(ctx, t->worst_ts));
	}
	if (t->unpaired)
		fprintf(f, "  (%" PRIu64 " stall begins or ends without their pair: lost events "
			"or the recording's edges)\n", t->unpaired);
}

static void text_proc(FILE *f, const struct mr_ctx *ctx, const struct mr_oom_totals *t,
		      const struct mr_oom_proc *p)
{
	fprintf(f, "\n  pid %d (%s)", p->pid, mr_text_esc(mr_comm_or(p->comm)));
	if (p->exited)
		fprintf(f, ", exited at t=%+.3fs", mr_ctx_rel_s(ctx, p->exit_ts));
	fputc('\n', f);
	for (int k = 0; k < MR_RSS_NR; k++)
		if (p->seen & (1u << k))
			fprintf(f, "    %-6s %11s -> %11s -> %11s  (start -> peak -> end)\n",
				mr_oom_rss_names[k], mr_human_bytes(p->start[k]).s, mr_human_bytes(p->peak[k]).s,
				mr_human_bytes(p->end[k]).s);
	if (!p->seen)
		fprintf(f, "    no rss_stat events\n");
	if (p->alloc_count)
		fprintf(f, "    allocated %s in %" PRIu64 " calls (%s/s over the recording)\n",
			mr_human_bytes(p->alloc_bytes).s, p->alloc_count,
			mr_human_bytes(mr_oom_rate(p->alloc_bytes, t->duration_s)).s);
	fprintf(f, "    stalls    ");
	text_stalls(f, p->stalls, p->compact_attempts);
}

static void text_procs(FILE *f, const struct mr_ctx *ctx, const struct mr_oom *o)
{
	size_t nr = mr_oom_nr_procs(o), shown = mr_oom_shown_procs(ctx, o);

	fprintf(f, "\nprocesses by peak RSS: %zu", nr);
	if (shown < nr)
		fprintf(f, " (top %zu shown; --top 0 for all)", shown);
	fputc('\n', f);
	for (size_t i = 0; i < shown; i++)
		text_proc(f, ctx, mr_oom_totals(o), mr_oom_proc(o, i));
}

static void text_frame(FILE *f, int i, const struct mr_frame *fr)
{
	fprintf(f, "        #%-2d 0x%016" PRIx64 " ", i, fr->addr);
	if (!fr->function)
		fputs("[unknown]", f);
	else if (fr->inlined)
		fprintf(f, "%s (inlined)", mr_text_esc(fr->function));
	else
		fprintf(f, "%s+0x%" PRIx64, mr_text_esc(fr->function), fr->offset);
	if (fr->module)
		fprintf(f, " (%s)", mr_text_esc(fr->module));
	if (fr->file)
		fprintf(f, " %s:%d", mr_text_esc(fr->file), fr->line);
	fputc('\n', f);
}

static void text_growing(FILE *f, struct mr_ctx *ctx, const struct mr_oom_kill *k)
{
	struct mr_frame frames[MR_MAX_STACK];

	if (!k->growing_count) {
		fprintf(f, "  growing     no heap blocks of the victim or trigger from the last "
			"%.0f s are live (no allocator events? record with -e user,oom)\n",
			MR_OOM_WINDOW_NS / 1e9);
		return;
	}
	fprintf(f, "  growing     %s in %" PRIu64 " heap blocks allocated in the last %.0f s "
		"and never freed; top sites:\n", mr_human_bytes(k->growing_bytes).s, k->growing_count,
		MR_OOM_WINDOW_NS / 1e9);
	for (size_t i = 0; i < k->nr_growing; i++) {
		const struct mr_leak *l = &k->growing[i];
		const struct mr_aspace *as = mr_tasks_aspace(ctx->tasks, l->aspace);
		int nr = mr_ctx_frames(ctx, mr_ctx_aspace_pid(ctx, l->aspace), l->stack, l->ts_min, false,
				   frames, MR_MAX_STACK);

		fprintf(f, "    #%zu %s in %" PRIu64 " block%s from %s, pid %d (%s)\n", i + 1,
			mr_human_bytes(l->bytes).s, l->count, l->count == 1 ? "" : "s", mr_fn_name(l->fn),
			as ? as->pid : -1, mr_text_esc(mr_ctx_comm(ctx, l->aspace)));
		for (int j = 0; j < nr && j < TEXT_FRAMES; j++)
			text_frame(f, j, &frames[j]);
	}
}

/* The state of the series at ts: the last point at or before it. */
static const struct mr_oom_point *point_at(const struct mr_oom_proc *p, uint64_t ts)
{
	const struct mr_oom_point *at = NULL;

	for (size_t i = 0; i < p->nr_pts && p->pts[i].ts <= ts; i++)
		at = &p->pts[i];
	return at;
}

static void ramp_row(FILE *f, const struct mr_ctx *ctx, uint64_t ts,
		     const struct mr_oom_point *pt, int64_t max)
{
	int64_t total = pt ? mr_oom_total_rss(pt->v) : 0;
	int bar = max > 0 ? (int)(total * RAMP_WIDTH / max) : 0;

	if (total > 0 && !bar)
		bar = 1;
	fprintf(f, "    t=%+8.3fs %11s  anon %11s  swap %11s  |%.*s\n", mr_ctx_rel_s(ctx, ts),
		mr_human_bytes(total).s, mr_human_bytes(pt ? pt->v[MR_RSS_ANON] : 0).s,
		mr_human_bytes(pt ? pt->v[MR_RSS_SWAP] : 0).s, bar,
		"########################################");
}

/* Row i of rows, evenly from 'from' to from + span. */
static uint64_t ramp_ts(uint64_t from, uint64_t span, int i, int rows)
{
	return rows > 1 ? from + span * i / (rows - 1) : from + span;
}

/* The victim's RSS from its first sample to the kill, so the ramp shows. */
static void text_ramp(FILE *f, const struct mr_ctx *ctx, const struct mr_oom_kill *k)
{
	const struct mr_oom_proc *p = k->victim;
	uint64_t from, span;
	int64_t max = 0;
	int rows;

	if (!p || !p->nr_pts || p->pts[0].ts > k->ts) {
		fprintf(f, "  rss ramp    no rss_stat events of pid %d before the kill\n", k->tgid);
		return;
	}
	from = p->pts[0].ts;
	span = k->ts - from;
	rows = span ? RAMP_ROWS : 1;
	for (int i = 0; i < rows; i++) {
		const struct mr_oom_point *pt = point_at(p, ramp_ts(from, span, i, rows));

		if (pt && mr_oom_total_rss(pt->v) > max)
			max = mr_oom_total_rss(pt->v);
	}
	fprintf(f, "  rss ramp of pid %d (file+anon+shmem) up to the kill:\n", k->tgid);
	for (int i = 0; i < rows; i++) {
		uint64_t ts = ramp_ts(from, span, i, rows);

		ramp_row(f, ctx, ts, point_at(p, ts), max);
	}
}

static void text_when(FILE *f, const struct mr_ctx *ctx, const char *what, uint64_t ts,
		      uint64_t kill_ts)
{
	fprintf(f, "  %-11s ", what);
	if (!ts)
		fprintf(f, "not seen in the trace\n");
	else
		fprintf(f, "t=%+.3fs, %.3f ms %s mark_victim\n", mr_ctx_rel_s(ctx, ts),
			(ts > kill_ts ? ts - kill_ts : kill_ts - ts) / 1e6,
			ts >= kill_ts ? "after" : "before");
}

static void text_cgroup(FILE *f, const struct mr_ctx *ctx, const struct mr_oom_kill *k)
{
	const struct mr_meta_memcg *c = mr_oom_memcg_of(ctx, k->tgid, k->ts);
	struct mr_human lim, use;

	if (!c)
		return;
	fprintf(f, "  cgroup      %s: limit %s, usage %s at t=%+.3fs\n",
		c->path ? mr_text_esc(c->path) : "?",
		mr_oom_limit_str(&lim, c->limit), mr_oom_limit_str(&use, c->usage), mr_ctx_rel_s(ctx, c->ts));
}

/* Allocation rates over the window; the trigger's only when it is another process. */
static void text_alloc_rate(FILE *f, const struct mr_oom_kill *k)
{
	double vs = k->victim_window_ns / 1e9, ts = k->trigger_window_ns / 1e9;

	if (!k->victim_alloc_5s && !k->trigger_alloc_5s)
		return;
	fprintf(f, "  allocating  %s/s by the victim in its last %.1f s",
		mr_human_bytes(mr_oom_rate(k->victim_alloc_5s, vs)).s, vs);
	if (k->trigger_pid != k->tgid)
		fprintf(f, ", %s/s by the trigger in its last %.1f s",
			mr_human_bytes(mr_oom_rate(k->trigger_alloc_5s, ts)).s, ts);
	fputc('\n', f);
}

static void text_kill(FILE *f, struct mr_ctx *ctx, const struct mr_oom_kill *k, size_t n)
{
	fprintf(f, "\noom kill #%zu at t=%+.3fs: pid %d (%s), %s OOM\n", n, mr_ctx_rel_s(ctx, k->ts),
		k->tgid, mr_text_esc(mr_comm_or(k->comm)),
		k->memcg ? "memcg" : mr_oom_kill_scope_known(ctx, k) ? "global" :
		"memcg or global (the trigger is no target: its reclaim was not recorded)");
	if (k->pid != k->tgid)
		fprintf(f, "  victim task tid %d\n", k->pid);
	fprintf(f, "  trigger     pid %d tid %d (%s)", k->trigger_pid, k->trigger_tid,
		mr_text_esc(mr_comm_or(k->trigger_comm)));
	if (k->memcg)
		fprintf(f, ", in memcg reclaim from t=%+.3fs", mr_ctx_rel_s(ctx, k->memcg_reclaim_ts));
	fprintf(f, "\n  at the kill anon %s, file %s, shmem %s (total_vm %s), oom_score_adj %"
		PRId64 "\n", mr_human_bytes(k->anon_kb * 1024).s, mr_human_bytes(k->file_kb * 1024).s,
		mr_human_bytes(k->shmem_kb * 1024).s, mr_human_bytes(k->total_vm_kb * 1024).s, k->oom_score_adj);
	if (k->has_rss && k->rss[MR_RSS_SWAP])
		fprintf(f, "  swapped     %s\n", mr_human_bytes(k->rss[MR_RSS_SWAP]).s);
	text_cgroup(f, ctx, k);
	text_when(f, ctx, "sigkill", k->sigkill_ts, k->ts);
	text_when(f, ctx, "death", k->exit_ts, k->ts);
	if (k->reaped_ts)
		text_when(f, ctx, "reaped", k->reaped_ts, k->ts);
	text_alloc_rate(f, k);
	text_growing(f, ctx, k);
	text_ramp(f, ctx, k);
}

static void text_memcgs(FILE *f, const struct mr_ctx *ctx)
{
	const struct mr_meta *m = &ctx->meta;

	if (!m->nr_memcgs)
		return;
	fprintf(f, "\nmemory cgroups of the targets:\n");
	for (int i = 0; i < m->nr_memcgs; i++) {
		const struct mr_meta_memcg *c = &m->memcgs[i];
		struct mr_human lim, use;

		fprintf(f, "  pid %d at t=%+.3fs: %s, usage %s, limit %s\n", c->pid,
			mr_ctx_rel_s(ctx, c->ts), c->path ? mr_text_esc(c->path) : "?",
			mr_oom_limit_str(&use, c->usage),
			mr_oom_limit_str(&lim, c->limit));
	}
}

int mr_oom_write_text(FILE *f, struct mr_ctx *ctx, const void *state)
{
	const struct mr_oom *o = state;

	size_t nr = mr_oom_nr_kills(o);

	text_header(f, ctx, mr_oom_totals(o));
	text_memcgs(f, ctx);
	text_totals(f, ctx, o);
	text_procs(f, ctx, o);
	fprintf(f, "\noom kills: %zu\n", nr - mr_oom_kills_of_others(ctx, o));
	if (mr_oom_kills_of_others(ctx, o))
		fprintf(f, "  (%zu more on this host, of processes that are no target and not "
			"triggered by one, left out)\n", mr_oom_kills_of_others(ctx, o));
	for (size_t i = 0; i < nr; i++)
		if (mr_oom_kill_wanted(ctx, mr_oom_kill(o, i)))
			text_kill(f, ctx, mr_oom_kill(o, i), i + 1);
	return ferror(f) ? -1 : 0;
}

/* ---- JSON ---- */

/* A time key: seconds from the start, or null when the event was not seen. */
