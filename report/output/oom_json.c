// SPDX-License-Identifier: GPL-2.0
/*
 * oom_json.c - `memrec report oom` for programs (schema:
 * docs/memrec-report-oom-json.md). Times are seconds from the start of the
 * recording; absolute ones are the trace clock's nanoseconds.
 */
#include <inttypes.h>
#include "memrec.h"
#include "oom/oom.h"
#include "output/output.h"
#include "output/oom.h"

/* a time of the trace in seconds from the start, null for none (0) */
static void jt(struct mr_json *j, const struct mr_ctx *ctx, const char *key, uint64_t ts)
{
	if (ts)
		mr_json_double(j, key, mr_ctx_rel_s(ctx, ts), 6);
	else
		mr_json_null(j, key);
}

static void json_kernel_events(struct mr_json *j, const struct mr_oom_totals *t)
{
	mr_json_object_begin(j, "kernel_events", MR_JSON_LINE);
	mr_json_uint(j, "rss_stat", t->rss_events);
	mr_json_uint(j, "oom", t->oom_events);
	mr_json_uint(j, "allocator_calls", t->alloc_events);
	mr_json_uint(j, "kswapd_wakes", t->kswapd_wakes);
	mr_json_double(j, "kswapd_awake_s", t->kswapd_awake_ns / 1e9, 6);
	mr_json_uint(j, "unpaired_stalls", t->unpaired);
	mr_json_uint(j, "unowned_mms", t->unowned_mms);
	mr_json_object_end(j);
}

static void json_header(struct mr_json *j, const struct mr_ctx *ctx,
			const struct mr_oom_totals *t)
{
	const struct mr_meta *m = &ctx->meta;

	mr_json_int(j, "memrec_report", 1);
	mr_json_str(j, "report", "oom");
	mr_json_str(j, "file", ctx->o ? ctx->o->input : NULL);
	mr_json_double(j, "duration_s", t->duration_s, 6);
	mr_json_str(j, "stop_reason", m->stop_reason);
	mr_json_str(j, "host", m->uname);
	mr_json_str(j, "perf_refused", m->perf_refused);
	mr_write_json_limits(j, ctx);
	mr_json_str(j, "groups", m->groups);
	mr_json_bool(j, "system_wide", m->system_wide);
	mr_json_uint(j, "flight_mb", m->flight_mb);
	mr_write_json_targets(j, m);
	mr_write_json_lost(j, ctx);
	json_kernel_events(j, t);
}

static void json_stalls(struct mr_json *j, const char *key, const struct mr_oom_stall *s,
			uint64_t attempts)
{
	mr_json_object_begin(j, key, MR_JSON_LINE);
	for (int k = 0; k < MR_STALL_NR; k++) {
		mr_json_object_begin(j, mr_oom_stall_keys[k], MR_JSON_LINE);
		mr_json_uint(j, "count", s[k].count);
		mr_json_double(j, "total_ms", s[k].total_ns / 1e6, 3);
		mr_json_double(j, "worst_ms", s[k].worst_ns / 1e6, 3);
		mr_json_object_end(j);
	}
	mr_json_uint(j, "compaction_attempts", attempts);
	mr_json_object_end(j);
}

static void json_totals(struct mr_json *j, const struct mr_ctx *ctx, const struct mr_oom_totals *t)
{
	json_stalls(j, "stalls", t->stalls, t->compact_attempts);
	if (!t->worst_ns) {
		mr_json_null(j, "worst_stall");
		return;
	}
	mr_json_object_begin(j, "worst_stall", MR_JSON_LINE);
	mr_json_str(j, "kind", mr_oom_stall_keys[t->worst_kind]);
	mr_json_int(j, "pid", t->worst_pid);
	mr_json_int(j, "tid", t->worst_tid);
	mr_json_double(j, "t", mr_ctx_rel_s(ctx, t->worst_ts), 6);
	mr_json_double(j, "ms", t->worst_ns / 1e6, 3);
	mr_json_object_end(j);
}

/* the members of an object of RSS by kind */
static void json_rss(struct mr_json *j, const int64_t v[MR_RSS_NR])
{
	for (int k = 0; k < MR_RSS_NR; k++)
		mr_json_int(j, mr_oom_rss_names[k], v[k]);
}

static void json_proc_rss(struct mr_json *j, const struct mr_oom_proc *p)
{
	mr_json_object_begin(j, "rss", MR_JSON_LINE);
	for (int k = 0; k < MR_RSS_NR; k++) {
		mr_json_object_begin(j, mr_oom_rss_names[k], MR_JSON_LINE);
		mr_json_int(j, "start", p->start[k]);
		mr_json_int(j, "peak", p->peak[k]);
		mr_json_int(j, "end", p->end[k]);
		mr_json_object_end(j);
	}
	mr_json_object_end(j);
}

static void json_timeline(struct mr_json *j, const struct mr_ctx *ctx, const struct mr_oom_proc *p)
{
	mr_json_array_begin(j, "timeline", MR_JSON_BLOCK);
	for (size_t i = 0; i < p->nr_pts; i++) {
		mr_json_object_begin(j, NULL, MR_JSON_LINE);
		mr_json_double(j, "t", mr_ctx_rel_s(ctx, p->pts[i].ts), 6);
		json_rss(j, p->pts[i].v);
		mr_json_object_end(j);
	}
	mr_json_array_end(j);
}

static void json_proc(struct mr_json *j, const struct mr_ctx *ctx, const struct mr_oom_totals *t,
		      const struct mr_oom_proc *p)
{
	mr_json_object_begin(j, NULL, MR_JSON_BLOCK);
	mr_json_int(j, "pid", p->pid);
	mr_json_str(j, "comm", mr_comm_or(p->comm));
	mr_json_uint(j, "mm_id", p->mm_id);
	mr_json_bool(j, "exited", p->exited);
	jt(j, ctx, "exit_t", p->exit_ts);
	json_proc_rss(j, p);
	json_stalls(j, "stalls", p->stalls, p->compact_attempts);
	mr_json_object_begin(j, "alloc", MR_JSON_LINE);
	mr_json_uint(j, "bytes", p->alloc_bytes);
	mr_json_uint(j, "count", p->alloc_count);
	mr_json_double(j, "bytes_per_s", mr_oom_rate(p->alloc_bytes, t->duration_s), 1);
	mr_json_object_end(j);
	json_timeline(j, ctx, p);
	mr_json_object_end(j);
}

static void json_site(struct mr_json *j, struct mr_ctx *ctx, const struct mr_leak *l)
{
	const struct mr_aspace *as = mr_tasks_aspace(ctx->tasks, l->aspace);
	struct mr_frame frames[MR_MAX_STACK];
	int nr = mr_ctx_frames(ctx, mr_ctx_aspace_pid(ctx, l->aspace), l->stack, l->ts_min, false,
			       frames, MR_MAX_STACK);

	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_int(j, "pid", as ? as->pid : -1);
	mr_json_str(j, "comm", mr_ctx_comm(ctx, l->aspace));
	mr_json_str(j, "alloc_fn", mr_fn_name(l->fn));
	mr_json_uint(j, "bytes", l->bytes);
	mr_json_uint(j, "count", l->count);
	mr_json_uint(j, "size_min", l->size_min);
	mr_json_uint(j, "size_max", l->size_max);
	mr_write_json_stack(j, "stack", frames, nr);
	mr_json_object_end(j);
}

static void json_kill_who(struct mr_json *j, const struct mr_ctx *ctx, const struct mr_oom_kill *k)
{
	mr_json_int(j, "pid", k->tgid);
	mr_json_int(j, "tid", k->pid);
	mr_json_str(j, "comm", mr_comm_or(k->comm));
	mr_json_uint(j, "ts", k->ts);
	mr_json_double(j, "t", mr_ctx_rel_s(ctx, k->ts), 6);
	mr_json_int(j, "total_vm_kb", k->total_vm_kb);
	mr_json_int(j, "anon_rss_kb", k->anon_kb);
	mr_json_int(j, "file_rss_kb", k->file_kb);
	mr_json_int(j, "shmem_rss_kb", k->shmem_kb);
	mr_json_int(j, "oom_score_adj", k->oom_score_adj);
	mr_json_int(j, "trigger_pid", k->trigger_pid);
	mr_json_int(j, "trigger_tid", k->trigger_tid);
	mr_json_str(j, "trigger_comm", mr_comm_or(k->trigger_comm));
	if (mr_oom_kill_scope_known(ctx, k))
		mr_json_bool(j, "memcg", k->memcg);
	else
		mr_json_null(j, "memcg");
}

static void json_kill_times(struct mr_json *j, const struct mr_ctx *ctx,
			    const struct mr_oom_kill *k)
{
	jt(j, ctx, "memcg_reclaim_t", k->memcg_reclaim_ts);
	jt(j, ctx, "sigkill_t", k->sigkill_ts);
	jt(j, ctx, "exit_t", k->exit_ts);
	jt(j, ctx, "reaped_t", k->reaped_ts);
	if (k->exit_ts >= k->ts)
		mr_json_double(j, "time_to_death_s", (k->exit_ts - k->ts) / 1e9, 6);
	else
		mr_json_null(j, "time_to_death_s");
}

static void json_kill_rates(struct mr_json *j, const struct mr_oom_kill *k)
{
	double vs = k->victim_window_ns / 1e9, ts = k->trigger_window_ns / 1e9;

	mr_json_object_begin(j, "alloc_rate_5s", MR_JSON_LINE);
	mr_json_double(j, "victim", mr_oom_rate(k->victim_alloc_5s, vs), 1);
	mr_json_double(j, "victim_window_s", vs, 3);
	mr_json_double(j, "trigger", mr_oom_rate(k->trigger_alloc_5s, ts), 1);
	mr_json_double(j, "trigger_window_s", ts, 3);
	mr_json_object_end(j);
}

static void json_kill(struct mr_json *j, struct mr_ctx *ctx, const struct mr_oom_kill *k)
{
	mr_json_object_begin(j, NULL, MR_JSON_BLOCK);
	json_kill_who(j, ctx, k);
	json_kill_times(j, ctx, k);
	if (k->has_rss) {
		mr_json_object_begin(j, "rss_at_kill", MR_JSON_LINE);
		json_rss(j, k->rss);
		mr_json_object_end(j);
	} else {
		mr_json_null(j, "rss_at_kill");
	}
	json_kill_rates(j, k);
	mr_json_uint(j, "growing_bytes", k->growing_bytes);
	mr_json_uint(j, "growing_count", k->growing_count);
	mr_json_array_begin(j, "growing", MR_JSON_BLOCK);
	for (size_t i = 0; i < k->nr_growing; i++)
		json_site(j, ctx, &k->growing[i]);
	mr_json_array_end(j);
	mr_json_object_end(j);
}

/* a memcg limit or usage in bytes, null for none (-1) */
static void json_bytes_or_null(struct mr_json *j, const char *key, int64_t v)
{
	if (v < 0)
		mr_json_null(j, key);
	else
		mr_json_int(j, key, v);
}

static void json_memcgs(struct mr_json *j, const struct mr_ctx *ctx)
{
	const struct mr_meta *m = &ctx->meta;

	mr_json_array_begin(j, "memcgs", MR_JSON_BLOCK);
	for (int i = 0; i < m->nr_memcgs; i++) {
		const struct mr_meta_memcg *c = &m->memcgs[i];

		mr_json_object_begin(j, NULL, MR_JSON_LINE);
		mr_json_int(j, "pid", c->pid);
		mr_json_double(j, "t", mr_ctx_rel_s(ctx, c->ts), 6);
		mr_json_str(j, "path", c->path);
		json_bytes_or_null(j, "limit", c->limit);
		json_bytes_or_null(j, "usage", c->usage);
		mr_json_object_end(j);
	}
	mr_json_array_end(j);
}

int mr_oom_write_json(FILE *f, struct mr_ctx *ctx, const void *state)
{
	const struct mr_oom *o = state;
	const struct mr_oom_totals *t = mr_oom_totals(o);
	size_t shown = mr_oom_shown_procs(ctx, o);
	struct mr_json j;

	mr_json_init(&j, f);
	mr_json_object_begin(&j, NULL, MR_JSON_BLOCK);
	json_header(&j, ctx, t);
	json_totals(&j, ctx, t);
	mr_json_array_begin(&j, "processes", MR_JSON_BLOCK);
	for (size_t i = 0; i < shown; i++)
		json_proc(&j, ctx, t, mr_oom_proc(o, i));
	mr_json_array_end(&j);
	mr_json_uint(&j, "oom_kills_of_others", mr_oom_kills_of_others(ctx, o));
	mr_json_array_begin(&j, "oom_kills", MR_JSON_BLOCK);
	for (size_t i = 0; i < mr_oom_nr_kills(o); i++)
		if (mr_oom_kill_wanted(ctx, mr_oom_kill(o, i)))
			json_kill(&j, ctx, mr_oom_kill(o, i));
	mr_json_array_end(&j);
	json_memcgs(&j, ctx);
	mr_json_object_end(&j);
	return mr_json_finish(&j);
}
