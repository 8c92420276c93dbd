// SPDX-License-Identifier: GPL-2.0
/*
 * write_oom.c - `memrec report oom` for people (text) and programs (JSON,
 * schema: docs/memrec-report-oom-json.md): the processes' RSS and stalls,
 * then each kill with what led to it. Times are seconds from the start of
 * the recording.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <time.h>
#include "memrec.h"
#include "report.h"

#define RAMP_ROWS	20
#define RAMP_WIDTH	40
#define TEXT_FRAMES	3

static const char *const rss_names[MR_RSS_NR] = { "file", "anon", "swap", "shmem" };
static const char *const stall_keys[MR_STALL_NR] = {
	"direct_reclaim", "memcg_reclaim", "compaction"
};
const char *const mr_oom_stall_names[MR_STALL_NR] = {
	"direct reclaim", "memcg reclaim", "compaction"
};

struct mr_human mr_human_bytes(int64_t v)
{
	double a = v < 0 ? -(double)v : (double)v;
	struct mr_human h;

	if (a >= 1024.0 * 1024 * 1024)
		snprintf(h.s, sizeof(h.s), "%.2f GiB", v / (1024.0 * 1024 * 1024));
	else if (a >= 1024.0 * 1024)
		snprintf(h.s, sizeof(h.s), "%.1f MiB", v / (1024.0 * 1024));
	else if (a >= 1024.0)
		snprintf(h.s, sizeof(h.s), "%.1f KiB", v / 1024.0);
	else
		snprintf(h.s, sizeof(h.s), "%" PRId64 " B", v);
	return h;
}

static uint64_t origin(const struct mr_report *rep)
{
	return rep->meta.start_ts ? rep->meta.start_ts : rep->rstats.first_ts;
}

/* Seconds from the start of the recording (negative before it). */
double mr_oom_rel_s(const struct mr_report *rep, uint64_t ts)
{
	return (double)(int64_t)(ts - origin(rep)) / 1e9;
}

const char *mr_comm_or(const char *comm)
{
	return comm && *comm ? comm : "?";
}

static double rate(uint64_t bytes, double s)
{
	return s > 0 ? bytes / s : 0;
}

static size_t shown_procs(const struct mr_report *rep, const struct mr_oom *o)
{
	size_t nr = mr_oom_nr_procs(o);
	int top = rep->o ? rep->o->top : 0;

	return top > 0 && (size_t)top < nr ? (size_t)top : nr;
}

/* --pid: the kills of that process, or that it triggered */
bool mr_oom_kill_wanted(const struct mr_report *rep, const struct mr_oom_kill *k)
{
	int pid = rep->o ? rep->o->pid : 0;

	return !pid || k->tgid == pid || k->trigger_pid == pid;
}

/* The victim's memory cgroup as recorded: the last record at or before ts. */
const struct mr_meta_memcg *mr_oom_memcg_of(const struct mr_report *rep, int pid, uint64_t ts)
{
	const struct mr_meta_memcg *best = NULL;

	for (int i = 0; i < rep->meta.nr_memcgs; i++) {
		const struct mr_meta_memcg *c = &rep->meta.memcgs[i];

		if (c->pid != pid)
			continue;
		if (!best || (c->ts <= ts && (best->ts > ts || c->ts > best->ts)))
			best = c;
	}
	return best;
}

/* -1 is "no limit" or "unknown" in the memcg records */
static const char *limit_str(struct mr_human *h, int64_t v)
{
	if (v < 0)
		return "none";
	*h = mr_human_bytes(v);
	return h->s;
}

/* ---- text ---- */

static void text_lost(FILE *f, const struct mr_report *rep)
{
	const struct mr_meta *m = &rep->meta;

	if (m->truncated_bytes)
		fprintf(f, "  WARNING: the disk filled up while recording; the newest %.1f MB of "
			"events were dropped and the trace ends early\n",
			m->truncated_bytes / 1048576.0);
	if (!rep->lost_total) {
		fprintf(f, "  lost       none\n");
		return;
	}
	fprintf(f, "  lost       %" PRIu64 " events:", rep->lost_total);
	for (int i = 0; i < m->nr_cpus; i++)
		if (m->cpus[i].overrun || m->cpus[i].dropped)
			fprintf(f, " cpu%d %" PRIu64, m->cpus[i].cpu,
				m->cpus[i].overrun + m->cpus[i].dropped);
	fprintf(f, "\n  WARNING: events were lost; RSS steps, stalls or the kill's own events "
		"may be missing. Record again with a larger -b.\n");
}

static void text_header(FILE *f, const struct mr_report *rep, const struct mr_oom_totals *t)
{
	const struct mr_meta *m = &rep->meta;
	time_t when_s = m->start_epoch_ns / 1000000000ull;
	char when[64] = "?";
	struct tm tm;

	if (gmtime_r(&when_s, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fprintf(f, "memrec oom report of '%s'\n", rep->o && rep->o->input ? rep->o->input : "?");
	fprintf(f, "  recorded   %s for %.3f s (%s) on %s\n", when, t->duration_s,
		m->stop_reason ? m->stop_reason : "?", m->uname ? m->uname : "?");
	for (int i = 0; i < m->nr_targets; i++)
		fprintf(f, "  target     pid %d: %s\n", m->targets[i].pid, m->targets[i].cmdline);
	fprintf(f, "  events     %" PRIu64 " rss_stat, %" PRIu64 " oom, %" PRIu64
		" allocator calls; kswapd woke %" PRIu64 " times (awake %.3f s)\n",
		t->rss_events, t->oom_events, t->alloc_events, t->kswapd_wakes,
		t->kswapd_awake_ns / 1e9);
	text_lost(f, rep);
	if (!t->rss_events && !t->oom_events)
		fprintf(f, "  no memory pressure events: was it recorded with -e oom?\n");
}

/* "memcg reclaim 3 (6.000 ms, worst 3.000 ms)" for each kind that happened. */
void mr_oom_stalls_line(FILE *f, const struct mr_oom_stall *s, uint64_t attempts)
{
	bool any = false;

	for (int k = 0; k < MR_STALL_NR; k++) {
		if (!s[k].count)
			continue;
		fprintf(f, "%s%s %" PRIu64 " (%.3f ms, worst %.3f ms)", any ? "; " : "",
			mr_oom_stall_names[k], s[k].count, s[k].total_ns / 1e6, s[k].worst_ns / 1e6);
		any = true;
	}
	if (attempts)
		fprintf(f, "%s%" PRIu64 " direct compaction attempts", any ? "; " : "", attempts);
	if (!any && !attempts)
		fputs("none", f);
}

static void text_stalls(FILE *f, const struct mr_oom_stall *s, uint64_t attempts)
{
	mr_oom_stalls_line(f, s, attempts);
	fputc('\n', f);
}

static void text_totals(FILE *f, const struct mr_report *rep, struct mr_oom *o)
{
	const struct mr_oom_totals *t = mr_oom_totals(o);

	fprintf(f, "\nstalls of all tasks: ");
	text_stalls(f, t->stalls, t->compact_attempts);
	if (t->worst_ns) {
		fprintf(f, "  worst: %s of %.3f ms in pid %d tid %d at t=%+.3fs\n",
			mr_oom_stall_names[t->worst_kind], t->worst_ns / 1e6, t->worst_pid,
			t->worst_tid, mr_oom_rel_s(rep, t->worst_ts));
	}
	if (t->unpaired)
		fprintf(f, "  (%" PRIu64 " stall begins or ends without their pair: lost events "
			"or the recording's edges)\n", t->unpaired);
}

static void text_proc(FILE *f, const struct mr_report *rep, const struct mr_oom_totals *t,
		      const struct mr_oom_proc *p)
{
	fprintf(f, "\n  pid %d (%s)", p->pid, mr_comm_or(p->comm));
	if (p->exited)
		fprintf(f, ", exited at t=%+.3fs", mr_oom_rel_s(rep, p->exit_ts));
	fputc('\n', f);
	for (int k = 0; k < MR_RSS_NR; k++)
		if (p->seen & (1u << k))
			fprintf(f, "    %-6s %11s -> %11s -> %11s  (start -> peak -> end)\n",
				rss_names[k], mr_human_bytes(p->start[k]).s, mr_human_bytes(p->peak[k]).s,
				mr_human_bytes(p->end[k]).s);
	if (!p->seen)
		fprintf(f, "    no rss_stat events\n");
	if (p->alloc_count)
		fprintf(f, "    allocated %s in %" PRIu64 " calls (%s/s over the recording)\n",
			mr_human_bytes(p->alloc_bytes).s, p->alloc_count,
			mr_human_bytes(rate(p->alloc_bytes, t->duration_s)).s);
	fprintf(f, "    stalls    ");
	text_stalls(f, p->stalls, p->compact_attempts);
}

static void text_procs(FILE *f, const struct mr_report *rep, struct mr_oom *o)
{
	size_t nr = mr_oom_nr_procs(o), shown = shown_procs(rep, o);

	fprintf(f, "\nprocesses by peak RSS: %zu", nr);
	if (shown < nr)
		fprintf(f, " (top %zu shown; --top 0 for all)", shown);
	fputc('\n', f);
	for (size_t i = 0; i < shown; i++)
		text_proc(f, rep, mr_oom_totals(o), mr_oom_proc(o, i));
}

static void text_frame(FILE *f, int i, const struct mr_frame *fr)
{
	fprintf(f, "        #%-2d 0x%016" PRIx64 " ", i, fr->addr);
	if (!fr->function)
		fputs("[unknown]", f);
	else if (fr->inlined)
		fprintf(f, "%s (inlined)", fr->function);
	else
		fprintf(f, "%s+0x%" PRIx64, fr->function, fr->offset);
	if (fr->module)
		fprintf(f, " (%s)", fr->module);
	if (fr->file)
		fprintf(f, " %s:%d", fr->file, fr->line);
	fputc('\n', f);
}

static void text_growing(FILE *f, struct mr_report *rep, const struct mr_oom_kill *k)
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
		const struct mr_aspace *as = mr_pairing_aspace(rep->pairing, l->aspace);
		int nr = mr_report_frames(rep, l, frames, MR_MAX_STACK);

		fprintf(f, "    #%zu %s in %" PRIu64 " block%s from %s, pid %d (%s)\n", i + 1,
			mr_human_bytes(l->bytes).s, l->count, l->count == 1 ? "" : "s", mr_fn_name(l->fn),
			as ? as->pid : -1, mr_report_comm(rep, l->aspace));
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

static void ramp_row(FILE *f, const struct mr_report *rep, uint64_t ts,
		     const struct mr_oom_point *pt, int64_t max)
{
	int64_t total = pt ? mr_oom_total_rss(pt->v) : 0;
	int bar = max > 0 ? (int)(total * RAMP_WIDTH / max) : 0;

	if (total > 0 && !bar)
		bar = 1;
	fprintf(f, "    t=%+8.3fs %11s  anon %11s  swap %11s  |%.*s\n", mr_oom_rel_s(rep, ts),
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
static void text_ramp(FILE *f, const struct mr_report *rep, const struct mr_oom_kill *k)
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

		ramp_row(f, rep, ts, point_at(p, ts), max);
	}
}

static void text_when(FILE *f, const struct mr_report *rep, const char *what, uint64_t ts,
		      uint64_t kill_ts)
{
	fprintf(f, "  %-11s ", what);
	if (!ts)
		fprintf(f, "not seen in the trace\n");
	else
		fprintf(f, "t=%+.3fs, %.3f ms %s mark_victim\n", mr_oom_rel_s(rep, ts),
			(ts > kill_ts ? ts - kill_ts : kill_ts - ts) / 1e6,
			ts >= kill_ts ? "after" : "before");
}

static void text_cgroup(FILE *f, const struct mr_report *rep, const struct mr_oom_kill *k)
{
	const struct mr_meta_memcg *c = mr_oom_memcg_of(rep, k->tgid, k->ts);
	struct mr_human lim, use;

	if (!c)
		return;
	fprintf(f, "  cgroup      %s: limit %s, usage %s at t=%+.3fs\n", c->path ? c->path : "?",
		limit_str(&lim, c->limit), limit_str(&use, c->usage), mr_oom_rel_s(rep, c->ts));
}

/* Allocation rates over the window; the trigger's only when it is another process. */
static void text_alloc_rate(FILE *f, const struct mr_oom_kill *k)
{
	double vs = k->victim_window_ns / 1e9, ts = k->trigger_window_ns / 1e9;

	if (!k->victim_alloc_5s && !k->trigger_alloc_5s)
		return;
	fprintf(f, "  allocating  %s/s by the victim in its last %.1f s",
		mr_human_bytes(rate(k->victim_alloc_5s, vs)).s, vs);
	if (k->trigger_pid != k->tgid)
		fprintf(f, ", %s/s by the trigger in its last %.1f s",
			mr_human_bytes(rate(k->trigger_alloc_5s, ts)).s, ts);
	fputc('\n', f);
}

static void text_kill(FILE *f, struct mr_report *rep, const struct mr_oom_kill *k, size_t n)
{
	fprintf(f, "\noom kill #%zu at t=%+.3fs: pid %d (%s), %s OOM\n", n, mr_oom_rel_s(rep, k->ts),
		k->tgid, mr_comm_or(k->comm), k->memcg ? "memcg" : "global");
	if (k->pid != k->tgid)
		fprintf(f, "  victim task tid %d\n", k->pid);
	fprintf(f, "  trigger     pid %d tid %d (%s)", k->trigger_pid, k->trigger_tid,
		mr_comm_or(k->trigger_comm));
	if (k->memcg)
		fprintf(f, ", in memcg reclaim from t=%+.3fs", mr_oom_rel_s(rep, k->memcg_reclaim_ts));
	fprintf(f, "\n  at the kill anon %s, file %s, shmem %s (total_vm %s), oom_score_adj %"
		PRId64 "\n", mr_human_bytes(k->anon_kb * 1024).s, mr_human_bytes(k->file_kb * 1024).s,
		mr_human_bytes(k->shmem_kb * 1024).s, mr_human_bytes(k->total_vm_kb * 1024).s, k->oom_score_adj);
	if (k->has_rss && k->rss[MR_RSS_SWAP])
		fprintf(f, "  swapped     %s\n", mr_human_bytes(k->rss[MR_RSS_SWAP]).s);
	text_cgroup(f, rep, k);
	text_when(f, rep, "sigkill", k->sigkill_ts, k->ts);
	text_when(f, rep, "death", k->exit_ts, k->ts);
	if (k->reaped_ts)
		text_when(f, rep, "reaped", k->reaped_ts, k->ts);
	text_alloc_rate(f, k);
	text_growing(f, rep, k);
	text_ramp(f, rep, k);
}

static void text_memcgs(FILE *f, const struct mr_report *rep)
{
	const struct mr_meta *m = &rep->meta;

	if (!m->nr_memcgs)
		return;
	fprintf(f, "\nmemory cgroups of the targets:\n");
	for (int i = 0; i < m->nr_memcgs; i++) {
		const struct mr_meta_memcg *c = &m->memcgs[i];
		struct mr_human lim, use;

		fprintf(f, "  pid %d at t=%+.3fs: %s, usage %s, limit %s\n", c->pid,
			mr_oom_rel_s(rep, c->ts), c->path ? c->path : "?", limit_str(&use, c->usage),
			limit_str(&lim, c->limit));
	}
}

int mr_write_text_oom(FILE *f, struct mr_report *rep, struct mr_oom *o)
{
	size_t nr = mr_oom_nr_kills(o);

	text_header(f, rep, mr_oom_totals(o));
	text_memcgs(f, rep);
	text_totals(f, rep, o);
	text_procs(f, rep, o);
	fprintf(f, "\noom kills: %zu\n", nr);
	for (size_t i = 0; i < nr; i++)
		if (mr_oom_kill_wanted(rep, mr_oom_kill(o, i)))
			text_kill(f, rep, mr_oom_kill(o, i), i + 1);
	return ferror(f) ? -1 : 0;
}

/* ---- JSON ---- */

/* A time key: seconds from the start, or null when the event was not seen. */
static void jt(FILE *f, const struct mr_report *rep, const char *key, uint64_t ts)
{
	fprintf(f, "\"%s\": ", key);
	if (ts)
		fprintf(f, "%.6f", mr_oom_rel_s(rep, ts));
	else
		fputs("null", f);
}

static void json_lost(FILE *f, const struct mr_report *rep)
{
	const struct mr_meta *m = &rep->meta;

	fprintf(f, "  \"lost_events\": {\"total\": %" PRIu64 ", \"mmap_records\": %" PRIu64
		", \"samples\": %" PRIu64 ", \"truncated_bytes\": %" PRIu64 ", \"per_cpu\": [",
		rep->lost_total, m->perf_lost, m->samples_lost, m->truncated_bytes);
	for (int i = 0; i < m->nr_cpus; i++)
		fprintf(f, "%s{\"cpu\": %d, \"overrun\": %" PRIu64 ", \"dropped\": %" PRIu64 "}",
			i ? ", " : "", m->cpus[i].cpu, m->cpus[i].overrun, m->cpus[i].dropped);
	fputs("]},\n", f);
}

static void json_header(FILE *f, const struct mr_report *rep, const struct mr_oom_totals *t)
{
	const struct mr_meta *m = &rep->meta;

	fputs("{\n  \"memrec_report\": 1,\n  \"report\": \"oom\",\n  \"file\": ", f);
	mr_json_str(f, rep->o ? rep->o->input : NULL);
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
	json_lost(f, rep);
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
			"%.3f}, ", stall_keys[k], s[k].count, s[k].total_ns / 1e6,
			s[k].worst_ns / 1e6);
	fprintf(f, "\"compaction_attempts\": %" PRIu64 "}", attempts);
}

static void json_totals(FILE *f, const struct mr_report *rep, const struct mr_oom_totals *t)
{
	fputs("  \"stalls\": ", f);
	json_stalls(f, t->stalls, t->compact_attempts);
	fputs(",\n  \"worst_stall\": ", f);
	if (!t->worst_ns) {
		fputs("null,\n", f);
		return;
	}
	fprintf(f, "{\"kind\": \"%s\", \"pid\": %d, \"tid\": %d, \"t\": %.6f, \"ms\": %.3f},\n",
		stall_keys[t->worst_kind], t->worst_pid, t->worst_tid, mr_oom_rel_s(rep, t->worst_ts),
		t->worst_ns / 1e6);
}

static void json_rss(FILE *f, const int64_t v[MR_RSS_NR])
{
	for (int k = 0; k < MR_RSS_NR; k++)
		fprintf(f, "%s\"%s\": %" PRId64, k ? ", " : "", rss_names[k], v[k]);
}

static void json_proc(FILE *f, const struct mr_report *rep, const struct mr_oom_totals *t,
		      const struct mr_oom_proc *p, bool first)
{
	fprintf(f, "%s\n    {\"pid\": %d, \"comm\": ", first ? "" : ",", p->pid);
	mr_json_str(f, mr_comm_or(p->comm));
	fprintf(f, ", \"mm_id\": %" PRIu32 ", \"exited\": %s, ", p->mm_id,
		p->exited ? "true" : "false");
	jt(f, rep, "exit_t", p->exit_ts);
	fputs(",\n      \"rss\": {", f);
	for (int k = 0; k < MR_RSS_NR; k++)
		fprintf(f, "%s\"%s\": {\"start\": %" PRId64 ", \"peak\": %" PRId64 ", \"end\": %"
			PRId64 "}", k ? ", " : "", rss_names[k], p->start[k], p->peak[k],
			p->end[k]);
	fputs("},\n      \"stalls\": ", f);
	json_stalls(f, p->stalls, p->compact_attempts);
	fprintf(f, ",\n      \"alloc\": {\"bytes\": %" PRIu64 ", \"count\": %" PRIu64
		", \"bytes_per_s\": %.1f},\n      \"timeline\": [", p->alloc_bytes,
		p->alloc_count, rate(p->alloc_bytes, t->duration_s));
	for (size_t i = 0; i < p->nr_pts; i++) {
		fprintf(f, "%s\n        {\"t\": %.6f, ", i ? "," : "", mr_oom_rel_s(rep, p->pts[i].ts));
		json_rss(f, p->pts[i].v);
		fputc('}', f);
	}
	fputs("]}", f);
}

static void json_site(FILE *f, struct mr_report *rep, const struct mr_leak *l, bool first)
{
	const struct mr_aspace *as = mr_pairing_aspace(rep->pairing, l->aspace);
	struct mr_frame frames[MR_MAX_STACK];
	int nr = mr_report_frames(rep, l, frames, MR_MAX_STACK);

	fprintf(f, "%s\n        {\"pid\": %d, \"comm\": ", first ? "" : ",", as ? as->pid : -1);
	mr_json_str(f, mr_report_comm(rep, l->aspace));
	fprintf(f, ", \"alloc_fn\": \"%s\", \"bytes\": %" PRIu64 ", \"count\": %" PRIu64
		", \"size_min\": %" PRIu64 ", \"size_max\": %" PRIu64 ",\n          \"stack\": [",
		mr_fn_name(l->fn), l->bytes, l->count, l->size_min, l->size_max);
	for (int i = 0; i < nr; i++)
		mr_json_frame(f, &frames[i], !i, 12);
	fputs("]}", f);
}

static void json_kill_times(FILE *f, const struct mr_report *rep, const struct mr_oom_kill *k)
{
	fputs(",\n      ", f);
	jt(f, rep, "memcg_reclaim_t", k->memcg_reclaim_ts);
	fputs(", ", f);
	jt(f, rep, "sigkill_t", k->sigkill_ts);
	fputs(", ", f);
	jt(f, rep, "exit_t", k->exit_ts);
	fputs(", ", f);
	jt(f, rep, "reaped_t", k->reaped_ts);
	fputs(", \"time_to_death_s\": ", f);
	if (k->exit_ts >= k->ts)
		fprintf(f, "%.6f", (k->exit_ts - k->ts) / 1e9);
	else
		fputs("null", f);
}

static void json_kill(FILE *f, struct mr_report *rep, const struct mr_oom_kill *k, bool first)
{
	double vs = k->victim_window_ns / 1e9, ts = k->trigger_window_ns / 1e9;

	fprintf(f, "%s\n    {\"pid\": %d, \"tid\": %d, \"comm\": ", first ? "" : ",", k->tgid,
		k->pid);
	mr_json_str(f, mr_comm_or(k->comm));
	fprintf(f, ", \"ts\": %" PRIu64 ", \"t\": %.6f, \"total_vm_kb\": %" PRId64
		", \"anon_rss_kb\": %" PRId64 ", \"file_rss_kb\": %" PRId64 ", \"shmem_rss_kb\": %"
		PRId64 ", \"oom_score_adj\": %" PRId64 ",\n      \"trigger_pid\": %d, "
		"\"trigger_tid\": %d, \"trigger_comm\": ", k->ts, mr_oom_rel_s(rep, k->ts),
		k->total_vm_kb, k->anon_kb, k->file_kb, k->shmem_kb, k->oom_score_adj,
		k->trigger_pid, k->trigger_tid);
	mr_json_str(f, mr_comm_or(k->trigger_comm));
	fprintf(f, ", \"memcg\": %s", k->memcg ? "true" : "false");
	json_kill_times(f, rep, k);
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
		rate(k->victim_alloc_5s, vs), vs, rate(k->trigger_alloc_5s, ts), ts,
		k->growing_bytes, k->growing_count);
	for (size_t i = 0; i < k->nr_growing; i++)
		json_site(f, rep, &k->growing[i], !i);
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

static void json_memcgs(FILE *f, const struct mr_report *rep)
{
	const struct mr_meta *m = &rep->meta;

	fputs(",\n  \"memcgs\": [", f);
	for (int i = 0; i < m->nr_memcgs; i++) {
		const struct mr_meta_memcg *c = &m->memcgs[i];

		fprintf(f, "%s\n    {\"pid\": %d, \"t\": %.6f, \"path\": ", i ? "," : "", c->pid,
			mr_oom_rel_s(rep, c->ts));
		mr_json_str(f, c->path);
		json_bytes_or_null(f, "limit", c->limit);
		json_bytes_or_null(f, "usage", c->usage);
		fputc('}', f);
	}
	fputs("\n  ]", f);
}

int mr_write_json_oom(FILE *f, struct mr_report *rep, struct mr_oom *o)
{
	const struct mr_oom_totals *t = mr_oom_totals(o);
	size_t shown = shown_procs(rep, o);

	json_header(f, rep, t);
	json_totals(f, rep, t);
	fputs("  \"processes\": [", f);
	for (size_t i = 0; i < shown; i++)
		json_proc(f, rep, t, mr_oom_proc(o, i), !i);
	fputs("\n  ],\n  \"oom_kills\": [", f);
	for (size_t i = 0, n = 0; i < mr_oom_nr_kills(o); i++)
		if (mr_oom_kill_wanted(rep, mr_oom_kill(o, i)))
			json_kill(f, rep, mr_oom_kill(o, i), !n++);
	fputs("\n  ]", f);
	json_memcgs(f, rep);
	fputs("\n}\n", f);
	return ferror(f) ? -1 : 0;
}
