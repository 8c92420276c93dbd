// SPDX-License-Identifier: GPL-2.0
/*
 * format.c - what every writer shares: the header of what was recorded and
 * lost (text and JSON), symbolised frames, JSON strings, byte counts for
 * people and --top.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "memrec.h"
#include "output/output.h"

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

const char *mr_comm_or(const char *comm)
{
	return comm && *comm ? comm : "?";
}

size_t mr_top(const struct mr_ctx *ctx, size_t nr)
{
	int top = ctx->o ? ctx->o->top : 0;

	return top > 0 && (size_t)top < nr ? (size_t)top : nr;
}

void mr_write_text_header(FILE *f, struct mr_ctx *ctx)
{
	const struct mr_pair_stats *s = mr_pairing_stats(ctx->pairing);
	const struct mr_meta *m = &ctx->meta;
	time_t t = m->start_epoch_ns / 1000000000ull;
	char when[64] = "?";
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fprintf(f, "memrec report of '%s'\n", ctx->o->input);
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
	if (!ctx->lost_total) {
		fprintf(f, "  lost       none\n");
	} else {
		fprintf(f, "  lost       %" PRIu64 " events:", ctx->lost_total);
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

void mr_json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void mr_write_json_header(FILE *f, struct mr_ctx *ctx)
{
	const struct mr_pair_stats *s = mr_pairing_stats(ctx->pairing);
	const struct mr_meta *m = &ctx->meta;

	fprintf(f, "{\n  \"memrec_report\": 1,\n  \"file\": ");
	mr_json_str(f, ctx->o->input);
	fprintf(f, ",\n  \"duration_s\": %.6f,\n  \"stop_reason\": ", (m->stop_ts - m->start_ts) / 1e9);
	mr_json_str(f, m->stop_reason);
	fprintf(f, ",\n  \"host\": ");
	mr_json_str(f, m->uname);
	fprintf(f, ",\n  \"targets\": [");
	for (int i = 0; i < m->nr_targets; i++) {
		fprintf(f, "%s\n    {\"pid\": %d, \"cmdline\": ", i ? "," : "", m->targets[i].pid);
		mr_json_str(f, m->targets[i].cmdline);
		fputc('}', f);
	}
	fprintf(f, "\n  ],\n  \"events\": {\"allocs\": %" PRIu64 ", \"alloc_bytes\": %" PRIu64
		", \"frees\": %" PRIu64 ", \"free_bytes\": %" PRIu64 ", \"reallocs\": %" PRIu64
		", \"unmatched_frees\": %" PRIu64 ", \"failed_allocs\": %" PRIu64
		", \"nested\": %" PRIu64 ", \"null_frees\": %" PRIu64 ", \"null_frees_recorded\": %s"
		", \"orphan_returns\": %"
		PRIu64 ", \"orphan_entries\": %" PRIu64 ", \"replaced\": %" PRIu64 "},\n",
		s->allocs, s->alloc_bytes, s->frees, s->free_bytes, s->reallocs,
		s->unmatched_frees, s->failed_allocs, s->nested, s->null_frees,
		m->free_null_unseen ? "false" : "true", s->orphan_returns,
		s->orphan_entries, s->replaced);
	fprintf(f, "  \"lost_events\": {\"total\": %" PRIu64 ", \"mmap_records\": %" PRIu64
		", \"samples\": %" PRIu64 ", \"truncated_bytes\": %" PRIu64 ", \"per_cpu\": [",
		ctx->lost_total, m->perf_lost, m->samples_lost, m->truncated_bytes);
	for (int i = 0; i < m->nr_cpus; i++)
		fprintf(f, "%s{\"cpu\": %d, \"overrun\": %" PRIu64 ", \"dropped\": %" PRIu64 "}",
			i ? ", " : "", m->cpus[i].cpu, m->cpus[i].overrun, m->cpus[i].dropped);
	fprintf(f, "]},\n");
}

void mr_json_frame(FILE *f, const struct mr_frame *fr, bool first, int indent)
{
	fprintf(f, "%s\n%*s{\"addr\": \"0x%" PRIx64 "\", \"symbol\": ", first ? "" : ",",
		indent, "", fr->addr);
	if (fr->function && !fr->inlined) {
		char *sym = mr_xasprintf("%s+0x%" PRIx64, fr->function, fr->offset);

		mr_json_str(f, sym);
		free(sym);
	} else {
		/* an inlined call is not at an offset into a symbol of its own */
		mr_json_str(f, fr->function);
	}
	fputs(", \"function\": ", f);
	mr_json_str(f, fr->function);
	fprintf(f, ", \"offset\": %" PRIu64 ", \"module\": ", fr->function ? fr->offset : 0);
	mr_json_str(f, fr->module);
	fputs(", \"file\": ", f);
	mr_json_str(f, fr->file);
	fprintf(f, ", \"line\": %d, \"inlined\": %s}", fr->line, fr->inlined ? "true" : "false");
}
