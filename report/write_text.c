// SPDX-License-Identifier: GPL-2.0
/*
 * write_text.c - the leak report for people: a header that says what was
 * recorded and what was lost, then the call sites holding memory, biggest
 * first, each with its symbolised stack.
 */
#include <inttypes.h>
#include <time.h>
#include "memrec.h"
#include "report.h"

void mr_write_text_header(FILE *f, struct mr_report *rep)
{
	const struct mr_pair_stats *s = mr_pairing_stats(rep->pairing);
	const struct mr_meta *m = &rep->meta;
	time_t t = m->start_epoch_ns / 1000000000ull;
	char when[64] = "?";
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fprintf(f, "memrec report of '%s'\n", rep->o->input);
	fprintf(f, "  recorded   %s for %.3f s (%s) on %s\n", when,
		(m->stop_ts - m->start_ts) / 1e9, m->stop_reason ? m->stop_reason : "?",
		m->uname ? m->uname : "?");
	for (int i = 0; i < m->nr_targets; i++)
		fprintf(f, "  target     pid %d: %s\n", m->targets[i].pid, m->targets[i].cmdline);
	fprintf(f, "  events     %" PRIu64 " allocations, %" PRIu64 " frees, %" PRIu64
		" reallocs, %" PRIu64 " failed, %" PRIu64 " nested calls folded\n",
		s->allocs, s->frees, s->reallocs, s->failed_allocs, s->nested);
	fprintf(f, "  unmatched  %" PRIu64 " frees of blocks allocated before recording "
		"(ignored)", s->unmatched_frees);
	if (m->free_null_unseen)
		fprintf(f, "; free(NULL) not recorded (free is probed past its NULL test)\n");
	else
		fprintf(f, ", %" PRIu64 " free(NULL)\n", s->null_frees);
	if (m->truncated_bytes)
		fprintf(f, "  WARNING: the disk filled up while recording; the newest %.1f MB of "
			"events were dropped and the trace ends early\n",
			m->truncated_bytes / 1048576.0);
	if (!rep->lost_total) {
		fprintf(f, "  lost       none\n");
	} else {
		fprintf(f, "  lost       %" PRIu64 " events:", rep->lost_total);
		for (int i = 0; i < m->nr_cpus; i++)
			if (m->cpus[i].overrun || m->cpus[i].dropped)
				fprintf(f, " cpu%d %" PRIu64, m->cpus[i].cpu,
					m->cpus[i].overrun + m->cpus[i].dropped);
		if (m->perf_lost)
			fprintf(f, " mmap-records %" PRIu64, m->perf_lost);
		if (m->samples_lost)
			fprintf(f, " allocator-samples %" PRIu64, m->samples_lost);
		fprintf(f, "\n  WARNING: events were lost; a lost free shows as a false leak and a "
			"lost alloc hides one. Record again with a larger -b.\n");
	}
	if (s->orphan_returns || s->orphan_entries)
		fprintf(f, "  unpaired   %" PRIu64 " returns without entry, %" PRIu64
			" entries without return\n", s->orphan_returns, s->orphan_entries);
}

void mr_text_frame(FILE *f, int i, const struct mr_frame *fr)
{
	fprintf(f, "      #%-2d 0x%016" PRIx64 " ", i, fr->addr);
	/* an inlined call has no code of its own to be an offset into: perf's form */
	if (fr->function && fr->inlined)
		fprintf(f, "%s (inlined)", fr->function);
	else if (fr->function)
		fprintf(f, "%s+0x%" PRIx64, fr->function, fr->offset);
	else
		fprintf(f, "[unknown]");
	if (fr->module)
		fprintf(f, " (%s)", fr->module);
	if (fr->file)
		fprintf(f, " %s:%d", fr->file, fr->line);
	fputc('\n', f);
}

static void row(FILE *f, struct mr_report *rep, size_t n, const struct mr_leak *l)
{
	const struct mr_aspace *as = mr_pairing_aspace(rep->pairing, l->aspace);
	struct mr_frame frames[MR_MAX_STACK];
	int nr = mr_report_frames(rep, l, frames, MR_MAX_STACK);

	fprintf(f, "\n  #%zu %" PRIu64 " bytes in %" PRIu64 " block%s", n, l->bytes, l->count,
		l->count == 1 ? "" : "s");
	if (l->size_min == l->size_max)
		fprintf(f, " of %" PRIu64 " bytes", l->size_min);
	else
		fprintf(f, " of %" PRIu64 "..%" PRIu64 " bytes", l->size_min, l->size_max);
	fprintf(f, " from %s, pid %d (%s), age %.3f..%.3f s%s\n", mr_fn_name(l->fn),
		as ? as->pid : -1, mr_report_comm(rep, l->aspace),
		(rep->end_ts - l->ts_max) / 1e9, (rep->end_ts - l->ts_min) / 1e9,
		l->inherited ? ", inherited at fork" : "");
	for (int i = 0; i < nr; i++)
		mr_text_frame(f, i, &frames[i]);
}

int mr_write_text_leaks(FILE *f, struct mr_report *rep, const struct mr_leaks *l)
{
	size_t shown = rep->o->top && (size_t)rep->o->top < l->nr ? (size_t)rep->o->top : l->nr;

	mr_write_text_header(f, rep);
	fprintf(f, "\nleaks: %" PRIu64 " bytes in %" PRIu64 " blocks from %zu call sites still "
		"allocated at the end of the trace", l->bytes, l->count, l->nr);
	if (shown < l->nr)
		fprintf(f, " (top %zu shown; --top 0 for all)", shown);
	fputc('\n', f);
	if (l->inherited_count)
		fprintf(f, "  (%" PRIu64 " blocks, %" PRIu64 " bytes, inherited at fork and never "
			"freed by the child are left out; --inherited shows them)\n",
			l->inherited_count, l->inherited_bytes);
	if (l->young_count)
		fprintf(f, "  (%" PRIu64 " blocks younger than --min-age are left out)\n",
			l->young_count);
	for (size_t i = 0; i < shown; i++)
		row(f, rep, i + 1, &l->rows[i]);
	return 0;
}
