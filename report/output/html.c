// SPDX-License-Identifier: GPL-2.0
/*
 * html.c - what the HTML pages (oom_html.c, leak_html.c) share: escaping,
 * the page's head and style, and the table of what was recorded and lost
 * at its top. Every page is self-contained: no link, font or script is
 * fetched from anywhere.
 */
#include <inttypes.h>
#include "memrec.h"
#include "output/output.h"

static const char base_css[] =
"body{font-family:sans-serif;font-size:14px;color:#222;margin:16px 24px;max-width:1180px}\n"
"h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;margin:24px 0 6px;"
"border-bottom:1px solid #ccc}h3{font-size:15px;margin:18px 0 2px}\n"
"table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ccc;padding:3px 8px;"
"text-align:left;vertical-align:top}th{background:#f2f2f2}\n"
"table.meta td,table.meta th{border:none;padding:1px 10px 1px 0}\n"
"table.meta th{background:none;white-space:nowrap}\n"
"td.num{text-align:right;white-space:nowrap}code{font-size:12px}\n"
".warn{background:#fff0f0;border:2px solid #e00000;color:#900;padding:6px 10px;"
"margin:8px 0;font-weight:bold}\n"
".note{color:#555}\n";

/*
 * Strings from the file or the target (comms, paths, symbol names) may hold
 * markup: every markup character is escaped, in an element or an attribute.
 * Control characters are not allowed in HTML text: they show as '?'.
 */
void mr_html_esc(FILE *f, const char *s)
{
	if (!s)
		return;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		switch (*c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			fputc((*c < 0x20 && *c != '\t' && *c != '\n') || *c == 0x7f ? '?' : *c, f);
		}
	}
}

void mr_html_proc(FILE *f, const char *comm, int pid)
{
	mr_html_esc(f, mr_comm_or(comm));
	fprintf(f, " (pid %d)", pid);
}

void mr_html_begin(FILE *f, const struct mr_ctx *ctx, const char *title, const char *css)
{
	const char *file = ctx->o && ctx->o->input ? ctx->o->input : "?";

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n<title>", f);
	mr_html_esc(f, title);
	fputs(": ", f);
	mr_html_esc(f, file);
	fprintf(f, "</title>\n<style>\n%s%s</style>\n</head>\n<body>\n<h1>", base_css, css);
	mr_html_esc(f, title);
	fputs("</h1>\n", f);
}

void mr_html_recording(FILE *f, const struct mr_ctx *ctx, double duration_s)
{
	const struct mr_meta *m = &ctx->meta;
	struct mr_when when = mr_recorded_at(m);

	fputs("<table class=\"meta\">\n<tr><th>file</th><td><code>", f);
	mr_html_esc(f, ctx->o && ctx->o->input ? ctx->o->input : "?");
	fputs("</code></td></tr>\n<tr><th>host</th><td>", f);
	mr_html_esc(f, m->uname ? m->uname : "?");
	fprintf(f, "</td></tr>\n<tr><th>recorded</th><td>%s, for %.3f s (stopped: ", when.s,
		duration_s);
	mr_html_esc(f, m->stop_reason ? m->stop_reason : "?");
	fputs(")</td></tr>\n", f);
	for (int i = 0; i < m->nr_targets; i++) {
		fprintf(f, "<tr><th>target</th><td>pid %d: <code>", m->targets[i].pid);
		mr_html_esc(f, m->targets[i].cmdline);
		fputs("</code></td></tr>\n", f);
	}
}

void mr_html_lost_row(FILE *f, const struct mr_ctx *ctx)
{
	const struct mr_meta *m = &ctx->meta;

	fputs("<tr><th>lost events</th><td>", f);
	if (!ctx->lost_total) {
		fputs("none</td></tr>\n", f);
		return;
	}
	fprintf(f, "%" PRIu64 ":", ctx->lost_total);
	for (int i = 0; i < m->nr_cpus; i++)
		if (m->cpus[i].overrun || m->cpus[i].dropped)
			fprintf(f, " cpu%d %" PRIu64, m->cpus[i].cpu,
				m->cpus[i].overrun + m->cpus[i].dropped);
	if (m->perf_lost)
		fprintf(f, " mmap-records %" PRIu64, m->perf_lost);
	if (m->samples_lost)
		fprintf(f, " allocator-samples %" PRIu64, m->samples_lost);
	fputs("</td></tr>\n", f);
}

void mr_html_lost_warnings(FILE *f, const struct mr_ctx *ctx, const char *consequence)
{
	const struct mr_meta *m = &ctx->meta;

	if (ctx->lost_total)
		fprintf(f, "<div class=\"warn\">WARNING: %" PRIu64 " events were lost; %s. Record "
			"again with a larger -b.</div>\n", ctx->lost_total, consequence);
	if (m->truncated_bytes)
		fprintf(f, "<div class=\"warn\">WARNING: the disk filled up while recording; the "
			"newest %.1f MB of events were dropped and the trace ends early.</div>\n",
			m->truncated_bytes / 1048576.0);
}
