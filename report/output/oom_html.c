// SPDX-License-Identifier: GPL-2.0
/*
 * oom_html.c - `memrec report oom --format html`: one self-contained
 * page (inline CSS and SVG, nothing fetched) for a person to look at: per
 * process a chart of RSS by kind over time with the OOM kills and the
 * stalls that led to them marked, then a table of the kills and of the
 * heap sites that grew before each. Every time is seconds from the start
 * of the recording, and every chart shares one time axis so they line up.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "memrec.h"
#include "oom/oom.h"
#include "output/output.h"
#include "output/oom.h"

#define MAX_CHARTS	8		/* without --top */
#define FRAMES		3		/* first frames shown per growing site */
#define MiB		(1024.0 * 1024)

/* The chart's geometry in SVG units (the SVG scales to the page's width). */
#define W		1100
#define H		330
#define ML		66		/* room for the y tick labels and title */
#define MR		20
#define MT		44		/* room for the legend */
#define MB		46		/* room for the x tick labels and title */
#define PW		(W - ML - MR)
#define PH		(H - MT - MB)
#define MIN_BAND	6.0		/* a stall narrower than this still shows */
#define KILL_ROWS	4		/* kill labels stagger over this many rows */

#define KILL_RED	"#e00000"

static const char *const rss_colours[MR_RSS_NR] = { "#2ca02c", "#1f5fd0", "#ff8c00", "#9a48d0" };
/* drawn in this order, so the usually largest (anon) is on top */
static const enum mr_rss_kind draw_order[MR_RSS_NR] = {
	MR_RSS_SWAP, MR_RSS_SHMEM, MR_RSS_FILE, MR_RSS_ANON
};

/* the chart's rules, after html.c's */
static const char css[] =
".kill{color:" KILL_RED ";font-weight:bold}\n"
"svg.chart{width:100%;height:auto;display:block;border:1px solid #ddd;background:#fff}\n"
"svg text{font-family:sans-serif;font-size:12px;fill:#222}\n"
"svg .halo{paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}\n";

/* ---- axes ---- */

/* A step of 1, 2 or 5 times a power of ten giving about n ticks over span. */
static double nice_step(double span, int n)
{
	double raw = span > 0 ? span / n : 1, mag = 1;

	while (mag > raw)
		mag /= 10;
	while (mag * 10 <= raw)
		mag *= 10;
	if (raw / mag < 1.5)
		return mag;
	if (raw / mag < 3)
		return 2 * mag;
	if (raw / mag < 7)
		return 5 * mag;
	return 10 * mag;
}

/* Decimals a tick label of this step needs. */
static int step_decimals(double step)
{
	int d = 0;

	for (double s = step; s < 0.999999 && d < 6; s *= 10)
		d++;
	return d;
}

/* The time range all charts share, in seconds from the start. */
struct span {
	double	t0, t1;
};

static void span_add(struct span *s, double t)
{
	if (t < s->t0)
		s->t0 = t;
	if (t > s->t1)
		s->t1 = t;
}

static struct span time_span(const struct mr_ctx *ctx, const struct mr_oom *o, size_t shown)
{
	struct span s = { 0, mr_oom_totals(o)->duration_s };
	double step;

	for (size_t i = 0; i < shown; i++) {
		const struct mr_oom_proc *p = mr_oom_proc(o, i);

		if (p->nr_pts) {
			span_add(&s, mr_ctx_rel_s(ctx, p->pts[0].ts));
			span_add(&s, mr_ctx_rel_s(ctx, p->pts[p->nr_pts - 1].ts));
		}
	}
	for (size_t i = 0; i < mr_oom_nr_kills(o); i++)
		span_add(&s, mr_ctx_rel_s(ctx, mr_oom_kill(o, i)->ts));
	if (s.t1 - s.t0 < 0.001)
		s.t1 = s.t0 + 0.001;
	/* the axis ends on a tick */
	step = nice_step(s.t1 - s.t0, 10);
	s.t0 = step * (int64_t)(s.t0 / step - (s.t0 < 0 ? 1 - 1e-9 : 0));
	s.t1 = step * (int64_t)(s.t1 / step + 1 - 1e-9);
	return s;
}

/* One chart's scales: seconds -> x, bytes -> y. */
struct chart {
	struct span	t;
	double		ymax;		/* bytes at the top of the plot */
	double		ystep;		/* bytes between y ticks */
};

static double cx(const struct chart *c, double t)
{
	return ML + (t - c->t.t0) / (c->t.t1 - c->t.t0) * PW;
}

static double cy(const struct chart *c, double bytes)
{
	return MT + PH - bytes / c->ymax * PH;
}

static void x_axis(FILE *f, const struct chart *c)
{
	double step = nice_step(c->t.t1 - c->t.t0, 10);
	int dec = step_decimals(step);

	for (double t = (int64_t)(c->t.t0 / step) * step; t <= c->t.t1 + step * 1e-6; t += step) {
		double x = cx(c, t);

		if (x < ML - 0.5)
			continue;
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>"
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#444\"/>"
			"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.*f</text>\n",
			x, MT, x, MT + PH, x, MT + PH, x, MT + PH + 5, x, MT + PH + 18, dec,
			t + 0.0);
	}
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>\n"
		"<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">time since the recording "
		"started (s)</text>\n", ML, MT + PH, ML + PW, MT + PH, ML + PW / 2, H - 8);
}

static void y_axis(FILE *f, const struct chart *c)
{
	int dec = step_decimals(c->ystep / MiB);

	for (double v = 0; v <= c->ymax * (1 + 1e-9); v += c->ystep) {
		double y = cy(c, v);

		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>"
			"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#444\"/>"
			"<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.*f</text>\n",
			ML, y, ML + PW, y, ML - 5, y, ML, y, ML - 8, y + 4, dec, v / MiB);
	}
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>\n"
		"<text transform=\"translate(16 %d) rotate(-90)\" text-anchor=\"middle\">"
		"RSS (MiB)</text>\n", ML, MT, ML, MT + PH, MT + PH / 2);
}

/* ---- one process's chart ---- */

/* The process's memcg limit, when it is close enough to its RSS to be worth a line. */
static int64_t chart_limit(const struct mr_ctx *ctx, const struct mr_oom_proc *p,
			   int64_t peak)
{
	const struct mr_meta_memcg *c = NULL;

	/* the newest record with a limit: the start record may be before the move */
	for (int i = 0; i < ctx->meta.nr_memcgs; i++) {
		const struct mr_meta_memcg *m = &ctx->meta.memcgs[i];

		if (m->pid == p->pid && m->limit >= 0 && (!c || m->ts >= c->ts))
			c = m;
	}
	if (!c || (peak > 0 && c->limit > 2 * peak) || (!peak && c->limit > 64 * MiB))
		return -1;
	return c->limit;
}

static void scale_y(struct chart *c, const struct mr_oom_proc *p, int64_t limit)
{
	int64_t top = limit > 0 ? limit : 0;

	for (int k = 0; k < MR_RSS_NR; k++)
		if ((p->seen & (1u << k)) && p->peak[k] > top)
			top = p->peak[k];
	/* ticks at round MiB; headroom over the peak for the kill labels */
	c->ystep = nice_step(top * 1.15 / MiB, 5) * MiB;
	c->ymax = c->ystep;
	while (c->ymax < top * 1.15)
		c->ymax += c->ystep;
}

struct legend {
	FILE	*f;
	double	x;
};

/* kind: 'l' line, 'd' dashed line, 'b' band; est. width from the text's length */
static void legend_item(struct legend *lg, char kind, const char *colour, double opacity,
			const char *text)
{
	FILE *f = lg->f;

	if (kind == 'b')
		fprintf(f, "<rect x=\"%.1f\" y=\"10\" width=\"20\" height=\"14\" fill=\"%s\" "
			"fill-opacity=\"%.2f\" stroke=\"%s\"/>", lg->x, colour, opacity, colour);
	else
		fprintf(f, "<line x1=\"%.1f\" y1=\"17\" x2=\"%.1f\" y2=\"17\" stroke=\"%s\" "
			"stroke-width=\"3\"%s/>", lg->x, lg->x + 20, colour,
			kind == 'd' ? " stroke-dasharray=\"6 4\"" : "");
	fprintf(f, "<text x=\"%.1f\" y=\"21\">", lg->x + 25);
	mr_html_esc(f, text);
	fputs("</text>\n", f);
	lg->x += 25 + strlen(text) * 6.6 + 18;
}

/* A band over [t0, t1], at least MIN_BAND wide, with a tooltip. */
static void band(FILE *f, const struct chart *c, double t0, double t1, const char *colour,
		 const char *tip)
{
	double x0 = cx(c, t0), x1 = cx(c, t1);

	/* anchored at its end: a stall up to a kill shows left of the kill's line */
	if (x1 - x0 < MIN_BAND)
		x0 = x1 - MIN_BAND;
	if (x0 < ML)
		x0 = ML;
	if (x1 > ML + PW)
		x1 = ML + PW;
	fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" "
		"fill-opacity=\"0.3\"><title>", x0, MT, x1 - x0, PH, colour);
	mr_html_esc(f, tip);
	fputs("</title></rect>\n", f);
}

#define MEMCG_COLOUR	"#f0b000"
#define WORST_COLOUR	"#808080"

static bool worst_here(const struct mr_oom_totals *t, const struct mr_oom_proc *p)
{
	return t->worst_ns && t->worst_pid == p->pid && t->worst_ts >= p->first_ts &&
	       (!p->exited || t->worst_ts <= p->exit_ts);
}

static void chart_bands(FILE *f, const struct mr_ctx *ctx, const struct mr_oom *o,
			const struct chart *c, const struct mr_oom_proc *p, bool *memcg)
{
	const struct mr_oom_totals *t = mr_oom_totals(o);
	char tip[160];

	*memcg = false;
	for (size_t i = 0; i < mr_oom_nr_kills(o); i++) {
		const struct mr_oom_kill *k = mr_oom_kill(o, i);

		if (!mr_oom_kill_wanted(ctx, k) || !k->memcg_reclaim_ts || k->trigger_pid != p->pid)
			continue;
		snprintf(tip, sizeof(tip), "memcg reclaim from t=%.3f s to the OOM kill at "
			 "t=%.3f s (%.3f ms)", mr_ctx_rel_s(ctx, k->memcg_reclaim_ts), mr_ctx_rel_s(ctx, k->ts),
			 (k->ts - k->memcg_reclaim_ts) / 1e6);
		band(f, c, mr_ctx_rel_s(ctx, k->memcg_reclaim_ts), mr_ctx_rel_s(ctx, k->ts), MEMCG_COLOUR, tip);
		*memcg = true;
	}
	if (worst_here(t, p)) {
		snprintf(tip, sizeof(tip), "worst stall: %s of %.3f ms at t=%.3f s (tid %d)",
			 mr_oom_stall_names[t->worst_kind], t->worst_ns / 1e6, mr_ctx_rel_s(ctx, t->worst_ts),
			 t->worst_tid);
		band(f, c, mr_ctx_rel_s(ctx, t->worst_ts), mr_ctx_rel_s(ctx, t->worst_ts + t->worst_ns),
		     WORST_COLOUR, tip);
	}
}

/* RSS is a step function: each value holds until the next point. */
static void chart_line(FILE *f, const struct mr_ctx *ctx, const struct chart *c,
		       const struct mr_oom_proc *p, int k)
{
	double prev_y = 0;

	fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
		"stroke-linejoin=\"round\" points=\"", rss_colours[k]);
	for (size_t i = 0; i < p->nr_pts; i++) {
		double x = cx(c, mr_ctx_rel_s(ctx, p->pts[i].ts)), y = cy(c, p->pts[i].v[k]);

		if (i)
			fprintf(f, " %.1f,%.1f", x, prev_y);
		fprintf(f, "%s%.1f,%.1f", i ? " " : "", x, y);
		prev_y = y;
	}
	fprintf(f, "\"><title>%s: peak ", mr_oom_rss_names[k]);
	fputs(mr_human_bytes(p->peak[k]).s, f);
	fputs("</title></polyline>\n", f);
}

/* Each kill: solid on its victim's chart, dashed on the others' (for the time). */
static void chart_kills(FILE *f, const struct mr_ctx *ctx, const struct mr_oom *o,
			const struct chart *c, const struct mr_oom_proc *p)
{
	for (size_t i = 0, n = 0; i < mr_oom_nr_kills(o); i++) {
		const struct mr_oom_kill *k = mr_oom_kill(o, i);
		double x = cx(c, mr_ctx_rel_s(ctx, k->ts));
		bool left = x > ML + PW * 0.6;
		int y;

		if (!mr_oom_kill_wanted(ctx, k))
			continue;
		y = MT + 16 + 16 * (n++ % KILL_ROWS);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"" KILL_RED
			"\" %s><title>OOM kill at t=%.3f s</title></line>\n"
			"<text class=\"halo\" x=\"%.1f\" y=\"%d\" text-anchor=\"%s\" "
			"font-weight=\"bold\" style=\"fill:" KILL_RED "\">OOM kill: ", x, MT, x,
			MT + PH, k->tgid == p->pid ? "stroke-width=\"2.5\"" :
			"stroke-width=\"1.5\" stroke-dasharray=\"5 3\"", mr_ctx_rel_s(ctx, k->ts),
			left ? x - 6 : x + 6, y, left ? "end" : "start");
		mr_html_proc(f, k->comm, k->tgid);
		fputs("</text>\n", f);
	}
}

static void chart_legend(FILE *f, const struct mr_ctx *ctx, const struct mr_oom *o,
			 const struct mr_oom_proc *p, bool memcg, int64_t limit)
{
	const struct mr_oom_totals *t = mr_oom_totals(o);
	struct legend lg = { f, ML };
	char text[96];
	bool kills = false;

	for (int k = 0; k < MR_RSS_NR; k++)
		if (p->seen & (1u << k))
			legend_item(&lg, 'l', rss_colours[k], 1, mr_oom_rss_names[k]);
	for (size_t i = 0; i < mr_oom_nr_kills(o); i++)
		kills |= mr_oom_kill_wanted(ctx, mr_oom_kill(o, i));
	if (kills)
		legend_item(&lg, 'l', KILL_RED, 1, "OOM kill");
	if (memcg)
		legend_item(&lg, 'b', MEMCG_COLOUR, 0.3, "memcg reclaim up to the kill");
	if (worst_here(t, p)) {
		snprintf(text, sizeof(text), "worst stall (%s, %.3f ms)",
			 mr_oom_stall_names[t->worst_kind], t->worst_ns / 1e6);
		legend_item(&lg, 'b', WORST_COLOUR, 0.3, text);
	}
	if (limit >= 0) {
		snprintf(text, sizeof(text), "memcg limit %s", mr_human_bytes(limit).s);
		legend_item(&lg, 'd', "#555", 1, text);
	}
}

static void chart(FILE *f, const struct mr_ctx *ctx, const struct mr_oom *o, struct span span,
		  const struct mr_oom_proc *p)
{
	int64_t limit = chart_limit(ctx, p, mr_oom_total_rss(p->peak));
	struct chart c = { .t = span };
	bool memcg;

	scale_y(&c, p, limit);
	fprintf(f, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
		"viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"RSS of pid %d over time\">\n",
		W, H, p->pid);
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fcfcfc\"/>\n",
		ML, MT, PW, PH);
	x_axis(f, &c);
	y_axis(f, &c);
	chart_bands(f, ctx, o, &c, p, &memcg);
	if (limit >= 0)
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#555\" "
			"stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n", ML, cy(&c, limit),
			ML + PW, cy(&c, limit));
	/* the analyser gives the points in time order */
	for (int i = 0; i < MR_RSS_NR; i++)
		if ((p->seen & (1u << draw_order[i])) && p->nr_pts)
			chart_line(f, ctx, &c, p, draw_order[i]);
	if (!p->nr_pts)
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"note\">"
			"no rss_stat samples of this process</text>\n", ML + PW / 2, MT + PH / 2);
	chart_kills(f, ctx, o, &c, p);
	chart_legend(f, ctx, o, p, memcg, limit);
	fputs("</svg>\n", f);
}

static void proc_section(FILE *f, const struct mr_ctx *ctx, const struct mr_oom *o,
			 struct span span, const struct mr_oom_proc *p)
{
	bool any = false;

	fputs("<h3>", f);
	mr_html_proc(f, p->comm, p->pid);
	fprintf(f, ": peak RSS %s", mr_human_bytes(mr_oom_total_rss(p->peak)).s);
	if (p->exited)
		fprintf(f, ", exited at %.3f s", mr_ctx_rel_s(ctx, p->exit_ts));
	fputs("</h3>\n<p class=\"note\">", f);
	for (int k = 0; k < MR_RSS_NR; k++)
		if (p->seen & (1u << k)) {
			fprintf(f, "%s %s %s", any ? "," : "peak", mr_oom_rss_names[k],
				mr_human_bytes(p->peak[k]).s);
			any = true;
		}
	if (!any)
		fputs("no rss_stat events", f);
	fputs("; stalls: ", f);
	mr_oom_stalls_line(f, p->stalls, p->compact_attempts);
	if (p->alloc_count)
		fprintf(f, "; allocated %s in %" PRIu64 " calls", mr_human_bytes(p->alloc_bytes).s,
			p->alloc_count);
	fputs("</p>\n", f);
	chart(f, ctx, o, span, p);
}

/* ---- header ---- */

static void header_warnings(FILE *f, const struct mr_ctx *ctx, const struct mr_oom_totals *t)
{
	mr_html_lost_warnings(f, ctx, "RSS steps, stalls or the kill's own events may be missing");
	if (!t->rss_events && !t->oom_events)
		fputs("<div class=\"warn\">No memory pressure events: was it recorded with "
		      "-e oom?</div>\n", f);
}

static void header(FILE *f, const struct mr_ctx *ctx, const struct mr_oom_totals *t)
{
	mr_html_begin(f, ctx, "memrec OOM report", css);
	mr_html_recording(f, ctx, t->duration_s);
	fprintf(f, "<tr><th>events</th><td>%" PRIu64 " rss_stat, %" PRIu64 " oom, %" PRIu64
		" allocator calls; kswapd woke %" PRIu64 " times (awake %.3f s)</td></tr>\n",
		t->rss_events, t->oom_events, t->alloc_events, t->kswapd_wakes,
		t->kswapd_awake_ns / 1e9);
	mr_html_lost_row(f, ctx);
	fputs("<tr><th>stalls</th><td>", f);
	mr_oom_stalls_line(f, t->stalls, t->compact_attempts);
	if (t->worst_ns)
		fprintf(f, "; worst: %s of %.3f ms in pid %d tid %d at %.3f s",
			mr_oom_stall_names[t->worst_kind], t->worst_ns / 1e6, t->worst_pid, t->worst_tid,
			mr_ctx_rel_s(ctx, t->worst_ts));
	fputs("</td></tr>\n</table>\n", f);
	header_warnings(f, ctx, t);
}

/* ---- kills and growing sites ---- */

static void kill_row(FILE *f, const struct mr_ctx *ctx, const struct mr_oom_kill *k, size_t n)
{
	const struct mr_meta_memcg *c = k->memcg ? mr_oom_memcg_of(ctx, k->tgid, k->ts) : NULL;

	fprintf(f, "<tr><td class=\"num\">%zu</td><td class=\"num\">%.3f</td>"
		"<td class=\"kill\">", n, mr_ctx_rel_s(ctx, k->ts));
	mr_html_proc(f, k->comm, k->tgid);
	fputs("</td><td>", f);
	mr_html_proc(f, k->trigger_comm, k->trigger_pid);
	if (k->trigger_tid != k->trigger_pid)
		fprintf(f, " tid %d", k->trigger_tid);
	fprintf(f, "</td><td>%s", k->memcg ? "memcg" : mr_oom_kill_scope_known(ctx, k) ?
		"global" : "memcg or global");
	if (c && c->path) {
		fputs(" <code>", f);
		mr_html_esc(f, c->path);
		fputs("</code>", f);
	}
	if (k->memcg)
		fprintf(f, "<br><span class=\"note\">in memcg reclaim from %.3f s</span>",
			mr_ctx_rel_s(ctx, k->memcg_reclaim_ts));
	fprintf(f, "</td><td>anon %s<br>file %s<br>shmem %s", mr_human_bytes(k->anon_kb * 1024).s,
		mr_human_bytes(k->file_kb * 1024).s, mr_human_bytes(k->shmem_kb * 1024).s);
	if (k->has_rss && k->rss[MR_RSS_SWAP])
		fprintf(f, "<br>swap %s", mr_human_bytes(k->rss[MR_RSS_SWAP]).s);
	fputs("</td><td class=\"num\">", f);
	if (k->exit_ts >= k->ts)
		fprintf(f, "%.3f ms", (k->exit_ts - k->ts) / 1e6);
	else
		fputs("not seen", f);
	fputs("</td></tr>\n", f);
}

static void kills_table(FILE *f, const struct mr_ctx *ctx, const struct mr_oom *o)
{
	size_t shown = 0;

	fputs("<h2>OOM kills</h2>\n", f);
	for (size_t i = 0; i < mr_oom_nr_kills(o); i++)
		shown += mr_oom_kill_wanted(ctx, mr_oom_kill(o, i));
	if (!shown) {
		fputs("<p>No OOM kill in the recording.</p>\n", f);
		return;
	}
	fputs("<table>\n<tr><th>#</th><th>time (s)</th><th>victim</th><th>trigger</th>"
	      "<th>OOM</th><th>RSS at the kill</th><th>time to death</th></tr>\n", f);
	for (size_t i = 0; i < mr_oom_nr_kills(o); i++)
		if (mr_oom_kill_wanted(ctx, mr_oom_kill(o, i)))
			kill_row(f, ctx, mr_oom_kill(o, i), i + 1);
	fputs("</table>\n", f);
}

static void frame_html(FILE *f, const struct mr_frame *fr)
{
	const char *mod = fr->module ? strrchr(fr->module, '/') : NULL;

	fputs("<code>", f);
	if (!fr->function) {
		fprintf(f, "0x%" PRIx64 " [unknown]", fr->addr);
	} else {
		mr_html_esc(f, fr->function);
		if (fr->inlined)
			fputs(" (inlined)", f);
		else
			fprintf(f, "+0x%" PRIx64, fr->offset);
	}
	if (fr->module) {
		fputs(" <span class=\"note\" title=\"", f);
		mr_html_esc(f, fr->module);
		fputs("\">(", f);
		mr_html_esc(f, mod ? mod + 1 : fr->module);
		fputs(")</span>", f);
	}
	if (fr->file) {
		fputc(' ', f);
		mr_html_esc(f, fr->file);
		fprintf(f, ":%d", fr->line);
	}
	fputs("</code>", f);
}

static void site_row(FILE *f, struct mr_ctx *ctx, const struct mr_leak *l, size_t n)
{
	const struct mr_aspace *as = mr_tasks_aspace(ctx->tasks, l->aspace);
	struct mr_frame frames[MR_MAX_STACK];
	int nr = mr_ctx_frames(ctx, mr_ctx_aspace_pid(ctx, l->aspace), l->stack, l->ts_min, false,
				   frames, MR_MAX_STACK);

	fprintf(f, "<tr><td class=\"num\">%zu</td><td class=\"num\">%s</td><td class=\"num\">%"
		PRIu64 "</td><td>%s</td><td>", n, mr_human_bytes(l->bytes).s, l->count, mr_fn_name(l->fn));
	mr_html_proc(f, mr_ctx_comm(ctx, l->aspace), as ? as->pid : -1);
	fputs("</td><td>", f);
	for (int j = 0; j < nr && j < FRAMES; j++) {
		fputs(j ? "<br>" : "", f);
		frame_html(f, &frames[j]);
	}
	if (!nr)
		fputs("<span class=\"note\">no stack</span>", f);
	else if (nr > FRAMES)
		fprintf(f, "<br><span class=\"note\">&hellip; %d more</span>", nr - FRAMES);
	fputs("</td></tr>\n", f);
}

static void growing(FILE *f, struct mr_ctx *ctx, const struct mr_oom_kill *k, size_t n)
{
	fprintf(f, "<h3>Before kill #%zu at %.3f s: ", n, mr_ctx_rel_s(ctx, k->ts));
	mr_html_proc(f, k->comm, k->tgid);
	fputs("</h3>\n", f);
	if (!k->growing_count) {
		fprintf(f, "<p class=\"note\">No heap blocks of the victim or trigger from the last "
			"%.0f s are live (no allocator events? record with -e user,oom).</p>\n",
			MR_OOM_WINDOW_NS / 1e9);
		return;
	}
	fprintf(f, "<p>%s in %" PRIu64 " heap blocks allocated in the last %.0f s and never "
		"freed; the top sites:</p>\n<table>\n<tr><th>#</th><th>bytes</th><th>blocks</th>"
		"<th>allocator</th><th>process</th><th>first frames</th></tr>\n",
		mr_human_bytes(k->growing_bytes).s, k->growing_count, MR_OOM_WINDOW_NS / 1e9);
	for (size_t i = 0; i < k->nr_growing; i++)
		site_row(f, ctx, &k->growing[i], i + 1);
	fputs("</table>\n", f);
}

static void growing_sites(FILE *f, struct mr_ctx *ctx, const struct mr_oom *o)
{
	bool any = false;

	for (size_t i = 0; i < mr_oom_nr_kills(o); i++) {
		const struct mr_oom_kill *k = mr_oom_kill(o, i);

		if (!mr_oom_kill_wanted(ctx, k))
			continue;
		if (!any)
			fputs("<h2>Top growing heap sites before each kill</h2>\n", f);
		any = true;
		growing(f, ctx, k, i + 1);
	}
}

int mr_oom_write_html(FILE *f, struct mr_ctx *ctx, const void *state)
{
	const struct mr_oom *o = state;

	size_t nr = mr_oom_nr_procs(o), shown = nr;
	int top = ctx->o && ctx->o->top > 0 ? ctx->o->top : MAX_CHARTS;
	struct span span;

	if (shown > (size_t)top)
		shown = top;
	span = time_span(ctx, o, shown);
	header(f, ctx, mr_oom_totals(o));
	fprintf(f, "<h2>RSS over time: %zu process%s", nr, nr == 1 ? "" : "es");
	if (shown < nr)
		fprintf(f, " (the %zu largest shown; --top N for more)", shown);
	fputs("</h2>\n", f);
	if (!nr)
		fputs("<p>No process with RSS samples or stalls in the recording.</p>\n", f);
	for (size_t i = 0; i < shown; i++)
		proc_section(f, ctx, o, span, mr_oom_proc(o, i));
	kills_table(f, ctx, o);
	growing_sites(f, ctx, o);
	fputs("</body>\n</html>\n", f);
	return ferror(f) ? -1 : 0;
}
