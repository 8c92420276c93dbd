// SPDX-License-Identifier: GPL-2.0
/*
 * leak_diff.c - `memrec report diff` for people and as JSON (schema:
 * docs/memrec-report-json.md, "memrec report diff"): each file's recording
 * and losses, then the sites that hold more at the end of NEW than at the
 * end of OLD, most growth first, user and kernel apart, and a count of the
 * others. The stacks shown are NEW's.
 */
#include <inttypes.h>
#include "memrec.h"
#include "leak/diff.h"
#include "output/output.h"

#define LOST_MEANS	"a lost free shows as a false leak and a lost alloc hides one"

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* ---- text ---- */

static void text_file(FILE *f, const char *which, const struct mr_diff_input *in)
{
	const struct mr_leaks *l = &in->r->user;
	struct mr_ctx *ctx = in->ctx;
	uint64_t left_bytes = l->inherited_bytes, left_count = l->inherited_count;

	for (int i = 0; i < MR_SUPP_NR; i++) {
		left_bytes += l->suppressed_bytes[i];
		left_count += l->suppressed_count[i];
	}
	mr_text_recording(f, ctx, which, (ctx->end_ts - ctx->begin_ts) / 1e9);
	mr_text_lost(f, ctx, LOST_MEANS);
	fprintf(f, "  leaks      %" PRIu64 " bytes in %" PRIu64 " blocks from %zu call sites",
		l->bytes, l->count, l->nr);
	if (left_count)
		fprintf(f, " (%" PRIu64 " bytes in %" PRIu64 " blocks left out as the leak report "
			"does: runtime, --suppress, inherited)", left_bytes, left_count);
	if (l->young_count)
		fprintf(f, " (%" PRIu64 " blocks younger than --min-age left out)", l->young_count);
	fputc('\n', f);
	if (in->r->kernel.recorded)
		fprintf(f, "  kernel     %" PRIu64 " bytes in %" PRIu64 " objects and page blocks "
			"from %zu sites\n", in->r->kernel.bytes, in->r->kernel.count,
			in->r->kernel.nr);
}

static void text_change(FILE *f, size_t n, const struct mr_diff_row *d, const char *unit)
{
	fprintf(f, "\n  #%zu %+" PRId64 " bytes, %+" PRId64 " %s%s: ", n,
		(int64_t)(d->new_bytes - d->old_bytes), (int64_t)(d->new_count - d->old_count),
		unit, (d->new_count - d->old_count) == 1 ? "" : "s");
	if (d->status == MR_DIFF_NEW)
		fprintf(f, "new, %" PRIu64 " bytes in %" PRIu64 " %s%s", d->new_bytes, d->new_count,
			unit, plural(d->new_count));
	else
		fprintf(f, "%" PRIu64 " -> %" PRIu64 " bytes, %" PRIu64 " -> %" PRIu64 " %ss",
			d->old_bytes, d->new_bytes, d->old_count, d->new_count, unit);
}

static void text_stack(FILE *f, const char *title, const struct mr_frame *fr, int nr)
{
	if (nr && title)
		fprintf(f, "    %s stack:\n", title);
	for (int i = 0; i < nr; i++)
		mr_text_frame(f, i, &fr[i]);
}

static void text_row(FILE *f, size_t n, const struct mr_diff_row *d)
{
	text_change(f, n, d, "block");
	fprintf(f, ", from %s in %s\n", mr_fn_name(d->fn), mr_text_esc(d->comm));
	text_stack(f, NULL, d->frames, d->nr_frames);
}

static void text_krow(FILE *f, size_t n, const struct mr_diff_row *d)
{
	text_change(f, n, d, d->page ? "page block" : "object");
	if (d->page)
		fprintf(f, ", order-%d pages", d->order);
	else
		fprintf(f, ", cache %s from %s", mr_text_esc(d->cache),
			d->call_site ? mr_text_esc(d->call_site) : "?");
	fprintf(f, " in %s\n", mr_text_esc(d->comm));
	text_stack(f, "kernel", d->kframes, d->nr_kframes);
	text_stack(f, "user", d->frames, d->nr_frames);
}

static void text_side(FILE *f, const struct mr_leak_diff *d, const struct mr_diff_side *s,
		      bool kernel)
{
	const char *unit = kernel ? "objects and page blocks" : "blocks";
	size_t shown = mr_top(d->new.ctx, s->nr_grown);
	const size_t *n = s->sites;

	fprintf(f, "\n%s: %zu of %zu %s grew from OLD to NEW, by %" PRIu64 " bytes and %+" PRId64
		" %s", kernel ? "kernel" : "user", s->nr_grown, s->nr,
		kernel ? "sites" : "call sites", s->grown_bytes, (int64_t)s->grown_count, unit);
	if (shown < s->nr_grown)
		fprintf(f, " (top %zu shown; --top 0 for all)", shown);
	fprintf(f, "\n  %zu grown, %zu new; the others: %zu unchanged, %zu shrunk, %zu gone "
		"(which held %" PRIu64 " bytes in %" PRIu64 " %s in OLD)\n", n[MR_DIFF_GROWN],
		n[MR_DIFF_NEW], n[MR_DIFF_SAME], n[MR_DIFF_SHRUNK], n[MR_DIFF_GONE], s->gone_bytes,
		s->gone_count, unit);
	fprintf(f, "  outstanding at the end: %" PRIu64 " -> %" PRIu64 " bytes, %" PRIu64 " -> %"
		PRIu64 " %s\n", s->old_bytes, s->new_bytes, s->old_count, s->new_count, unit);
	for (size_t i = 0; i < shown; i++) {
		if (kernel)
			text_krow(f, i + 1, &s->rows[i]);
		else
			text_row(f, i + 1, &s->rows[i]);
	}
}

int mr_leak_diff_write_text(FILE *f, const struct mr_leak_diff *d)
{
	fprintf(f, "memrec report diff: the sites whose outstanding memory grew\n");
	text_file(f, "OLD", &d->old);
	text_file(f, "NEW", &d->new);
	text_side(f, d, &d->user, false);
	if (d->old.r->kernel.recorded || d->new.r->kernel.recorded)
		text_side(f, d, &d->kernel, true);
	return 0;
}

/* ---- JSON ---- */

static void json_file(struct mr_json *j, const char *key, const struct mr_diff_input *in)
{
	mr_json_object_begin(j, key, MR_JSON_BLOCK);
	mr_write_json_header(j, in->ctx);
	mr_write_json_leak_totals(j, &in->r->user);
	mr_json_bool(j, "kernel_recorded", in->r->kernel.recorded);
	mr_json_object_end(j);
}

static void json_counts(struct mr_json *j, const char *key, const struct mr_diff_side *s)
{
	mr_json_object_begin(j, key, MR_JSON_LINE);
	for (int i = MR_DIFF_GROWN; i <= MR_DIFF_GONE; i++)
		mr_json_uint(j, mr_diff_status_name(i), s->sites[i]);
	mr_json_uint(j, "grown_bytes", s->grown_bytes);
	mr_json_uint(j, "grown_count", s->grown_count);
	mr_json_uint(j, "gone_bytes", s->gone_bytes);
	mr_json_uint(j, "gone_count", s->gone_count);
	mr_json_uint(j, "old_bytes", s->old_bytes);
	mr_json_uint(j, "old_count", s->old_count);
	mr_json_uint(j, "new_bytes", s->new_bytes);
	mr_json_uint(j, "new_count", s->new_count);
	mr_json_object_end(j);
}

static void json_figures(struct mr_json *j, const struct mr_diff_row *d)
{
	mr_json_uint(j, "old_bytes", d->old_bytes);
	mr_json_uint(j, "old_count", d->old_count);
	mr_json_uint(j, "new_bytes", d->new_bytes);
	mr_json_uint(j, "new_count", d->new_count);
	mr_json_int(j, "delta_bytes", (int64_t)(d->new_bytes - d->old_bytes));
	mr_json_int(j, "delta_count", (int64_t)(d->new_count - d->old_count));
}

static void json_row(struct mr_json *j, const struct mr_diff_row *d, bool kernel)
{
	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_str(j, "side", kernel ? "kernel" : "user");
	mr_json_str(j, "status", mr_diff_status_name(d->status));
	mr_json_str(j, "comm", d->comm);
	if (kernel) {
		mr_json_str(j, "kind", d->page ? "page" : "slab");
		mr_json_str(j, "cache", d->cache);
		mr_json_str(j, "call_site", d->call_site);
		mr_json_int(j, "order", d->order);
	} else {
		mr_json_str(j, "alloc_fn", mr_fn_name(d->fn));
	}
	json_figures(j, d);
	if (kernel)
		mr_write_json_stack(j, "kernel_stack", d->kframes, d->nr_kframes);
	mr_write_json_stack(j, "stack", d->frames, d->nr_frames);
	mr_json_object_end(j);
}

static void json_side(struct mr_json *j, const struct mr_leak_diff *d, bool kernel)
{
	const struct mr_diff_side *s = kernel ? &d->kernel : &d->user;
	size_t shown = mr_top(d->new.ctx, s->nr_grown);

	json_counts(j, kernel ? "kernel_sites" : "sites", s);
	mr_json_array_begin(j, kernel ? "kernel_grown" : "grown", MR_JSON_BLOCK);
	for (size_t i = 0; i < shown; i++)
		json_row(j, &s->rows[i], kernel);
	mr_json_array_end(j);
}

int mr_leak_diff_write_json(FILE *f, const struct mr_leak_diff *d)
{
	struct mr_json j;

	mr_json_init(&j, f);
	mr_json_object_begin(&j, NULL, MR_JSON_BLOCK);
	mr_json_int(&j, "memrec_report", 1);
	mr_json_str(&j, "report", "diff");
	json_file(&j, "old", &d->old);
	json_file(&j, "new", &d->new);
	json_side(&j, d, false);
	json_side(&j, d, true);
	mr_json_object_end(&j);
	return mr_json_finish(&j);
}
