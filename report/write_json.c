// SPDX-License-Identifier: GPL-2.0
/*
 * write_json.c - the leak report as JSON (schema: docs/memrec-report-json.md).
 * Addresses are hex strings: JSON numbers lose precision above 2^53.
 */
#include <inttypes.h>
#include <stdlib.h>
#include "memrec.h"
#include "report.h"

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

void mr_write_json_header(FILE *f, struct mr_report *rep)
{
	const struct mr_pair_stats *s = mr_pairing_stats(rep->pairing);
	const struct mr_meta *m = &rep->meta;

	fprintf(f, "{\n  \"memrec_report\": 1,\n  \"file\": ");
	mr_json_str(f, rep->o->input);
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
		rep->lost_total, m->perf_lost, m->samples_lost, m->truncated_bytes);
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

static void row(FILE *f, struct mr_report *rep, const struct mr_leak *l, bool first)
{
	const struct mr_aspace *as = mr_pairing_aspace(rep->pairing, l->aspace);
	struct mr_frame frames[MR_MAX_STACK];
	int nr = mr_report_frames(rep, l, frames, MR_MAX_STACK);

	fprintf(f, "%s\n    {\"side\": \"user\", \"pid\": %d, \"comm\": ", first ? "" : ",",
		as ? as->pid : -1);
	mr_json_str(f, mr_report_comm(rep, l->aspace));
	fprintf(f, ", \"alloc_fn\": \"%s\", \"bytes\": %" PRIu64 ", \"count\": %" PRIu64
		", \"size_min\": %" PRIu64 ", \"size_max\": %" PRIu64 ", \"age_min_s\": %.6f"
		", \"age_max_s\": %.6f, \"inherited\": %s,\n      \"stack\": [",
		mr_fn_name(l->fn), l->bytes, l->count, l->size_min, l->size_max,
		(rep->end_ts - l->ts_max) / 1e9, (rep->end_ts - l->ts_min) / 1e9,
		l->inherited ? "true" : "false");
	for (int i = 0; i < nr; i++)
		mr_json_frame(f, &frames[i], !i, 8);
	fprintf(f, "]}");
}

static void kstack_json(FILE *f, struct mr_report *rep, const struct mr_kleak *l, bool kernel)
{
	struct mr_frame frames[MR_MAX_STACK];
	int nr = mr_report_kframes(rep, l, kernel, frames, MR_MAX_STACK);

	fprintf(f, ",\n      \"%s\": [", kernel ? "kernel_stack" : "stack");
	for (int i = 0; i < nr; i++)
		mr_json_frame(f, &frames[i], !i, 8);
	fputc(']', f);
}

static void krow(FILE *f, struct mr_report *rep, const struct mr_kleak *l, bool first)
{
	const struct mr_kmem_site *s = l->page ? NULL : &rep->kmem->sites[l->site];
	uint64_t off = 0;
	const char *fn = s ? mr_report_ksym(rep, s->call_site, &off) : NULL;
	char *site = fn ? mr_xasprintf("%s+0x%" PRIx64, fn, off) : NULL;

	fprintf(f, "%s\n    {\"side\": \"kernel\", \"kind\": \"%s\", \"pid\": %d, \"comm\": ",
		first ? "" : ",", l->page ? "page" : "slab", l->pid);
	mr_json_str(f, mr_report_kcomm(rep, l->pid));
	fputs(", \"cache\": ", f);
	mr_json_str(f, s ? (s->cache ? s->cache : "kmalloc") : NULL);
	fputs(", \"call_site\": ", f);
	mr_json_str(f, site);
	fprintf(f, ", \"order\": %d, \"bytes\": %" PRIu64 ", \"count\": %" PRIu64
		", \"age_min_s\": %.6f, \"age_max_s\": %.6f", l->page ? l->order : -1, l->bytes,
		l->count, (rep->end_ts - l->ts_max) / 1e9, (rep->end_ts - l->ts_min) / 1e9);
	kstack_json(f, rep, l, true);
	kstack_json(f, rep, l, false);
	fputc('}', f);
	free(site);
}

static void kernel_json(FILE *f, struct mr_report *rep, const struct mr_leaks *l)
{
	const struct mr_kmem_stats *st = &rep->kmem->st;
	size_t shown = rep->o->top && (size_t)rep->o->top < l->nr_k ? (size_t)rep->o->top : l->nr_k;

	fprintf(f, ",\n  \"kernel\": {\"recorded\": %s, \"bytes\": %" PRIu64 ", \"count\": %"
		PRIu64 ", \"sites\": %zu, \"overhead_bytes\": %" PRIu64 ", \"overhead_count\": %"
		PRIu64 ",\n    \"slab_allocs\": %" PRIu64 ", \"slab_frees\": %" PRIu64
		", \"slab_frees_by_others\": %" PRIu64 ", \"slab_frees_in_irq\": %" PRIu64
		", \"slab_unmatched_frees\": %" PRIu64 ", \"page_allocs\": %" PRIu64
		", \"page_fails\": %" PRIu64 ", \"page_frees\": %" PRIu64
		", \"page_frees_by_others\": %" PRIu64 ", \"page_unmatched_frees\": %" PRIu64 "}",
		l->kernel ? "true" : "false", l->kbytes, l->kcount, l->nr_k, l->koverhead_bytes,
		l->koverhead_count, st->slab_allocs, st->slab_frees, st->slab_frees_other,
		st->slab_frees_irq, st->slab_unmatched, st->page_allocs, st->page_fails,
		st->page_frees, st->page_frees_other, st->page_unmatched);
	fprintf(f, ",\n  \"kernel_leaks\": [");
	for (size_t i = 0; i < shown; i++)
		krow(f, rep, &l->krows[i], !i);
	fprintf(f, "\n  ]");
}

int mr_write_json_leaks(FILE *f, struct mr_report *rep, const struct mr_leaks *l)
{
	size_t shown = rep->o->top && (size_t)rep->o->top < l->nr ? (size_t)rep->o->top : l->nr;

	mr_write_json_header(f, rep);
	fprintf(f, "  \"totals\": {\"bytes\": %" PRIu64 ", \"count\": %" PRIu64 ", \"sites\": %zu"
		", \"inherited_bytes\": %" PRIu64 ", \"inherited_count\": %" PRIu64 "},\n",
		l->bytes, l->count, l->nr, l->inherited_bytes, l->inherited_count);
	fprintf(f, "  \"leaks\": [");
	for (size_t i = 0; i < shown; i++)
		row(f, rep, &l->rows[i], !i);
	fprintf(f, "\n  ]");
	kernel_json(f, rep, l);
	fprintf(f, "\n}\n");
	return 0;
}
