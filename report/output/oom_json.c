// SPDX-License-Identifier: GPL-2.0
/*
 * oom_json.c - `memrec report oom` for programs (schema:
 * docs/memrec-report-oom-json.md). Times are seconds from the start of the
 * recording; absolute ones are the trace clock's nanoseconds.
 */
#include <inttypes.h>
#include <stdlib.h>
#include "memrec.h"
#include "oom/oom.h"
#include "output/output.h"
#include "output/oom.h"

static void jt(FILE *f, const struct mr_ctx *ctx, const char *key, uint64_t ts)
{
	fprintf(f, "\"%s\": ", key);
	if (ts)
		fprintf(f, "%.6f", mr_ctx_rel_s(ctx, ts));
	else
		fputs("null", f);
}

static void json_lost(FILE *f, const struct mr_ctx *ctx)
{
	const struct mr_meta *m = &ctx->meta;

	fprintf(f, "  \"lost_events\": {\"total\": %" PRIu64 ", \"mmap_records\": %" PRIu64
		", \"samples\": %" PRIu64 ", \"truncated_bytes\": %" PRIu64 ", \"per_cpu\": [",
		ctx->lost_total, m->perf_lost, m->samples_lost, m->truncated_bytes);
	for (int i = 0; i < m->nr_cpus; i++)
		fprintf(f, "%s{\"cpu\": %d, \"overrun\": %" PRIu64 ", \"dropped\": %" PRIu64 "}",
			i ? ", " : "", m->cpus[i].cpu, m->cpus[i].overrun, m->cpus[i].dropped);
	fputs("]},\n", f);
}

static void json_header(FILE *f, const struct mr_ctx *ctx, const struct mr_oom_totals *t)
{
	const struct mr_meta *m = &ctx->meta;

	fputs("{\n  \"memrec_report\": 1,\n  \"report\": \"oom\",\n  \"file\": ", f);
	mr_json_str(f, ctx->o ? ctx->o->input : NULL);
	fprintf(f, ",\n  \"duration_s\": %.6f,\n  \"stop_reason\": ", t->duration_s);
	mr_json_str(f, m->stop_reason);
	fputs(",\n  \"host\": ", f);
	mr_json_str(f, m->uname);
	fputs(",\n  \"groups\": ", f);
	mr_json_str(f, m->groups);
	fprintf(f, ",\n  \"system_wide\": %s,\n  \"flight_mb\": %" PRIu64,
		m->system_wide ? "true" : "false", m->flight_mb);
	fputs(",\n  \"targets\": [", f);
	for (int i = 0; i < m->nr_targets; i++) {
		fprintf(f, "%s\n    {\"pid\": %d, \"cmdline\": ", i ? "," : "", m->targets[i].pid);
		mr_json_str(f, m->targets[i].cmdline);
		fputc('}', f);
	}
	fputs("\n  ],\n", f);
	json_lost(f, ctx);
	fprintf(f, "  \"kernel_events\": {\"rss_stat\": %" PRIu64 ", \"oom\": %" PRIu64
		", \"allocator_calls\": %" PRIu64 ", \"kswapd_wakes\": %" PRIu64
		", \"kswapd_awake_s\": %.6f, \"unpaired_stalls\": %" PRIu64
		", \"unowned_mms\": %" PRIu64 "},\n", t->rss_events, t->oom_events,
		t->alloc_events, t->kswapd_wakes, t->kswapd_awake_ns / 1e9, t->unpaired,
		t->unowned_mms);
}

static void json_stalls(FILE *f, const struct mr_oom_stall *s, uint64_t attempts)
{
	fputc('{', f);
	for (int k = 0; k < MR_STALL_NR; k++)
		fprintf(f, "\"%s\": {\"count\": %" PRIu64 ", \"total_ms\": %.3f, \"worst_ms\": "
			"%.3f}, ", mr_oom_stall_keys[k], s[k].count, s[k].total_ns / 1e6,
			s[k].worst_ns / 1e6);
	fprintf(f, "\"compaction_attempts\": %" PRIu64 "}", attempts);
}

static void json_totals(FILE *f, const struct mr_ctx *ctx, const struct mr_oom_totals *t)
{
	fputs("  \"stalls\": ", f);
	json_stalls(f, t->stalls, t->compact_attempts);
	fputs(",\n  \"worst_stall\": ", f);
	if (!t->worst_ns) {
		fputs("null,\n", f);
		return;
	}
	fprintf(f, "{\"kind\": \"%s\", \"pid\": %d, \"tid\": %d, \"t\": %.6f, \"ms\": %.3f},\n",
		mr_oom_stall_keys[t->worst_kind], t->worst_pid, t->worst_tid, mr_ctx_rel_s(ctx, t->worst_ts),
		t->worst_ns / 1e6);
}

static void json_rss(FILE *f, const int64_t v[MR_RSS_NR])
{
	for (int k = 0; k < MR_RSS_NR; k++)
		fprintf(f, "%s\"%s\": %" PRId64, k ? ", " : "", mr_oom_rss_names[k], v[k]);
}

static void json_proc(FILE *f, const struct mr_ctx *ctx, const struct mr_oom_totals *t,
		      const struct mr_oom_proc *p, bool first)
{
	fprintf(f, "%s\n    {\"pid\": %d, \"comm\": ", first ? "" : ",", p->pid);
	mr_json_str(f, mr_comm_or(p->comm));
	fprintf(f, ", \"mm_id\": %" PRIu32 ", \"exited\": %s, ", p->mm_id,
		p->exited ? "true" : "false");
	jt(f, ctx, "exit_t", p->exit_ts);
	fputs(",\n      \"rss\": {", f);
	for (int k = 0; k < MR_RSS_NR; k++)
		fprintf(f, "%s\"%s\": {\"start\": %" PRId64 ", \"peak\": %" PRId64 ", \"end\": %"
			PRId64 "}", k ? ", " : "", mr_oom_rss_names[k], p->start[k], p->peak[k],
			p->end[k]);
	fputs("},\n      \"stalls\": ", f);
	json_stalls(f, p->stalls, p->compact_attempts);
	fprintf(f, ",\n      \"alloc\": {\"bytes\": %" PRIu64 ", \"count\": %" PRIu64
		", \"bytes_per_s\": %.1f},\n      \"timeline\": [", p->alloc_bytes,
		p->alloc_count, mr_oom_rate(p->alloc_bytes, t->duration_s));
	for (size_t i = 0; i < p->nr_pts; i++) {
		fprintf(f, "%s\n        {\"t\": %.6f, ", i ? "," : "", mr_ctx_rel_s(ctx, p->pts[i].ts));
		json_rss(f, p->pts[i].v);
		fputc('}', f);
	}
	fputs("]}", f);
}

static void json_site(FILE *f, struct mr_ctx *ctx, const struct mr_leak *l, bool first)
{
	const struct mr_aspace *as = mr_tasks_aspace(ctx->tasks, l->aspace);
	struct mr_frame frames[MR_MAX_STACK];
	int nr = mr_ctx_frames(ctx, mr_ctx_aspace_pid(ctx, l->aspace), l->stack, l->ts_min, false,
				   frames, MR_MAX_STACK);

	fprintf(f, "%s\n        {\"pid\": %d, \"comm\": ", first ? "" : ",", as ? as->pid : -1);
	mr_json_str(f, mr_ctx_comm(ctx, l->aspace));
	fprintf(f, ", \"alloc_fn\": \"%s\", \"bytes\": %" PRIu64 ", \"count\": %" PRIu64
		", \"size_min\": %" PRIu64 ", \"size_max\": %" PRIu64 ",\n          \"stack\": [",
		mr_fn_name(l->fn), l->bytes, l->count, l->size_min, l->size_max);
	for (int i = 0; i < nr; i++)
		mr_json_frame(f, &frames[i], !i, 12);
	fputs("]}", f);
}

static void json_kill_times(FILE *f, const struct mr_ctx *ctx, const struct mr_oom_kill *k)
{
	fputs(",\n      ", f);
	jt(f, ctx, "memcg_reclaim_t", k->memcg_reclaim_ts);
	fputs(", ", f);
	jt(f, ctx, "sigkill_t", k->sigkill_ts);
	fputs(", ", f);
	jt(f, ctx, "exit_t", k->exit_ts);
	fputs(", ", f);
	jt(f, ctx, "reaped_t", k->reaped_ts);
	fputs(", \"time_to_death_s\": ", f);
	if (k->exit_ts >= k->ts)
		fprintf(f, "%.6f", (k->exit_ts - k->ts) / 1e9);
	else
		fputs("null", f);
}

static void json_kill(FILE *f, struct mr_ctx *ctx, const struct mr_oom_kill *k, bool first)
{
	double vs = k->victim_window_ns / 1e9, ts = k->trigger_window_ns / 1e9;

	fprintf(f, "%s\n    {\"pid\": %d, \"tid\": %d, \"comm\": ", first ? "" : ",", k->tgid,
		k->pid);
	mr_json_str(f, mr_comm_or(k->comm));
	fprintf(f, ", \"ts\": %" PRIu64 ", \"t\": %.6f, \"total_vm_kb\": %" PRId64
		", \"anon_rss_kb\": %" PRId64 ", \"file_rss_kb\": %" PRId64 ", \"shmem_rss_kb\": %"
		PRId64 ", \"oom_score_adj\": %" PRId64 ",\n      \"trigger_pid\": %d, "
		"\"trigger_tid\": %d, \"trigger_comm\": ", k->ts, mr_ctx_rel_s(ctx, k->ts),
		k->total_vm_kb, k->anon_kb, k->file_kb, k->shmem_kb, k->oom_score_adj,
		k->trigger_pid, k->trigger_tid);
	mr_json_str(f, mr_comm_or(k->trigger_comm));
	fprintf(f, ", \"memcg\": %s", k->memcg ? "true" : "false");
	json_kill_times(f, ctx, k);
	fputs(",\n      \"rss_at_kill\": ", f);
	if (k->has_rss) {
		fputc('{', f);
		json_rss(f, k->rss);
		fputc('}', f);
	} else {
		fputs("null", f);
	}
	fprintf(f, ", \"alloc_rate_5s\": {\"victim\": %.1f, \"victim_window_s\": %.3f, "
		"\"trigger\": %.1f, \"trigger_window_s\": %.3f},\n      \"growing_bytes\": %"
		PRIu64 ", \"growing_count\": %" PRIu64 ", \"growing\": [",
		mr_oom_rate(k->victim_alloc_5s, vs), vs, mr_oom_rate(k->trigger_alloc_5s, ts), ts,
		k->growing_bytes, k->growing_count);
	for (size_t i = 0; i < k->nr_growing; i++)
		json_site(f, ctx, &k->growing[i], !i);
	fputs("]}", f);
}

static void json_bytes_or_null(FILE *f, const char *key, int64_t v)
{
	fprintf(f, ", \"%s\": ", key);
	if (v < 0)
		fputs("null", f);
	else
		fprintf(f, "%" PRId64, v);
}

static void json_memcgs(FILE *f, const struct mr_ctx *ctx)
{
	const struct mr_meta *m = &ctx->meta;

	fputs(",\n  \"memcgs\": [", f);
	for (int i = 0; i < m->nr_memcgs; i++) {
		const struct mr_meta_memcg *c = &m->memcgs[i];

		fprintf(f, "%s\n    {\"pid\": %d, \"t\": %.6f, \"path\": ", i ? "," : "", c->pid,
			mr_ctx_rel_s(ctx, c->ts));
		mr_json_str(f, c->path);
		json_bytes_or_null(f, "limit", c->limit);
		json_bytes_or_null(f, "usage", c->usage);
		fputc('}', f);
	}
	fputs("\n  ]", f);
}

int mr_oom_write_json(FILE *f, struct mr_ctx *ctx, const void *state)
{
	const struct mr_oom *o = state;

	const struct mr_oom_totals *t = mr_oom_totals(o);
	size_t shown = mr_oom_shown_procs(ctx, o);

	json_header(f, ctx, t);
	json_totals(f, ctx, t);
	fputs("  \"processes\": [", f);
	for (size_t i = 0; i < shown; i++)
		json_proc(f, ctx, t, mr_oom_proc(o, i), !i);
	fputs("\n  ],\n  \"oom_kills\": [", f);
	for (size_t i = 0, n = 0; i < mr_oom_nr_kills(o); i++)
		if (mr_oom_kill_wanted(ctx, mr_oom_kill(o, i)))
			json_kill(f, ctx, mr_oom_kill(o, i), !n++);
	fputs("\n  ]", f);
	json_memcgs(f, ctx);
	fputs("\n}\n", f);
	return ferror(f) ? -1 : 0;
}
