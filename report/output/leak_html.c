// SPDX-License-Identifier: GPL-2.0
/*
 * leak_html.c - `memrec report leak --format html`: one self-contained page
 * (inline style and script, nothing fetched). The facts of the recording
 * are written here as HTML, as the text report's header has them; the rows
 * go into the page as the JSON report's document (docs/memrec-report-json.md)
 * in a <script type="application/json"> element, written with the JSON
 * writer's script mode so that no name from the file can end that element.
 * leak_html.js (built into leak_html_js.h) draws from it: a flame graph of
 * the outstanding user bytes (click to zoom, search), the top user sites
 * with their stacks, and the kernel side beside them. It sets text with
 * textContent only, never as markup.
 */
#include <inttypes.h>
#include "memrec.h"
#include "leak/leak.h"
#include "output/output.h"
#include "output/leak_html_js.h"

/* the flame graph's and the sites' rules, after html.c's */
static const char css[] =
"body{max-width:none}\n"
"#fg-bar{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin:6px 0}\n"
"#fg-bar input{width:260px;padding:3px 6px}#fg-match{font-weight:bold}\n"
"#fg-path{color:#555;font-size:12px;min-height:16px;word-break:break-all}\n"
"#flame{position:relative;width:100%;border:1px solid #ddd;background:#fff;overflow:hidden}\n"
"#flame .fr{position:absolute;height:17px;box-sizing:border-box;border:1px solid #fff;"
"border-width:0 1px 1px 0;font:11px/16px monospace;padding-left:3px;overflow:hidden;"
"white-space:nowrap;cursor:pointer;color:#000}\n"
"#flame .fr.above{background:#e4e4e4 !important;color:#555}\n"
"#flame .fr.match{background:#e600e6 !important;color:#fff}\n"
".sides{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:20px}\n"
"@media (max-width:900px){.sides{grid-template-columns:minmax(0,1fr)}}\n"
".site{border:1px solid #ccc;margin:8px 0;padding:4px 8px}\n"
".site h3{font-size:14px;margin:2px 0 4px}\n"
".stack{font:12px monospace;margin:2px 0 2px 8px;word-break:break-all}\n"
".stack .fn{font-weight:bold}.stack .src{color:#075}\n"
".site-extra:empty{display:none}\n"
".growth-chart{display:block;margin:4px 0 0 8px;border:1px solid #ddd}\n"
".growth-caption{font-size:12px;color:#444;margin:2px 0 4px 8px}\n";

static void user_totals(FILE *f, const struct mr_ctx *ctx, const struct mr_leaks *l)
{
	fprintf(f, "<tr><th>user leaks</th><td>%s (%" PRIu64 " bytes) in %" PRIu64 " blocks from "
		"%zu call sites still allocated at the end of the trace</td></tr>\n",
		mr_human_bytes(l->bytes).s, l->bytes, l->count, l->nr);
	if (l->inherited_count)
		fprintf(f, "<tr><th>inherited</th><td>%" PRIu64 " blocks, %" PRIu64 " bytes, "
			"inherited at fork and never freed by the child (--inherited shows them)"
			"</td></tr>\n", l->inherited_count, l->inherited_bytes);
	if (l->suppressed_count[MR_SUPP_RUNTIME])
		fprintf(f, "<tr><th>runtime</th><td>%" PRIu64 " blocks, %" PRIu64 " bytes, of the "
			"runtime's one-time allocations are left out: stdio buffers, thread TLS, "
			"ld.so, libstdc++'s pool (--no-suppress shows them)</td></tr>\n",
			l->suppressed_count[MR_SUPP_RUNTIME], l->suppressed_bytes[MR_SUPP_RUNTIME]);
	if (l->suppressed_count[MR_SUPP_FILE]) {
		fprintf(f, "<tr><th>suppressed</th><td>%" PRIu64 " blocks, %" PRIu64 " bytes, "
			"matching --suppress <code>", l->suppressed_count[MR_SUPP_FILE],
			l->suppressed_bytes[MR_SUPP_FILE]);
		mr_html_esc(f, ctx->o->suppress);
		fputs("</code> are left out</td></tr>\n", f);
	}
	if (l->young_count)
		fprintf(f, "<tr><th>young</th><td>%" PRIu64 " blocks younger than --min-age are "
			"left out</td></tr>\n", l->young_count);
}

static void kernel_totals(FILE *f, const struct mr_kmem_stats *st, const struct mr_kleaks *l)
{
	if (!l->recorded) {
		fputs("<tr><th>kernel</th><td>no kernel memory events in the file (record with "
		      "-e kernel)</td></tr>\n", f);
		return;
	}
	fprintf(f, "<tr><th>kernel</th><td>%s (%" PRIu64 " bytes) in %" PRIu64 " objects and "
		"page blocks from %zu sites still allocated at the end of the trace</td></tr>\n",
		mr_human_bytes(l->bytes).s, l->bytes, l->count, l->nr);
	fprintf(f, "<tr><th>slab</th><td>%" PRIu64 " allocations, %" PRIu64 " frees (%" PRIu64
		" by another process, %" PRIu64 " in interrupt context), %" PRIu64 " frees of "
		"objects allocated before recording (ignored)</td></tr>\n", st->slab_allocs,
		st->slab_frees, st->slab_frees_other, st->slab_frees_irq, st->slab_unmatched);
	fprintf(f, "<tr><th>pages</th><td>%" PRIu64 " allocations, %" PRIu64 " failed, %" PRIu64
		" frees (%" PRIu64 " by another process), %" PRIu64 " frees of pages allocated "
		"before recording (ignored)</td></tr>\n", st->page_allocs, st->page_fails,
		st->page_frees, st->page_frees_other, st->page_unmatched);
}

/* The text report's header, as a table. */
static void header(FILE *f, struct mr_ctx *ctx, const struct mr_leak_report *r)
{
	const struct mr_pair_stats *s = mr_pairing_stats(ctx->pairing);

	mr_html_begin(f, ctx, "memrec leak report", css);
	mr_html_recording(f, ctx, (ctx->end_ts - ctx->begin_ts) / 1e9);
	fprintf(f, "<tr><th>events</th><td>%" PRIu64 " allocations, %" PRIu64 " frees, %" PRIu64
		" reallocs, %" PRIu64 " failed, %" PRIu64 " nested calls folded</td></tr>\n",
		s->allocs, s->frees, s->reallocs, s->failed_allocs, s->nested);
	fprintf(f, "<tr><th>unmatched</th><td>%" PRIu64 " frees of blocks allocated before "
		"recording (ignored)", s->unmatched_frees);
	if (ctx->meta.free_null_unseen)
		fputs("; free(NULL) not recorded (free is probed past its NULL test)", f);
	else
		fprintf(f, ", %" PRIu64 " free(NULL)", s->null_frees);
	fputs("</td></tr>\n", f);
	mr_html_lost_row(f, ctx);
	if (s->orphan_returns || s->orphan_entries)
		fprintf(f, "<tr><th>unpaired</th><td>%" PRIu64 " returns without entry, %" PRIu64
			" entries without return</td></tr>\n", s->orphan_returns,
			s->orphan_entries);
	if (ctx->cut_chains)
		fprintf(f, "<tr><th>stacks</th><td>%" PRIu64 " user stacks cut where they left the "
			"mapped modules (frame-pointer walks through code without frame pointers)"
			"</td></tr>\n", ctx->cut_chains);
	user_totals(f, ctx, &r->user);
	kernel_totals(f, &r->kmem->st, &r->kernel);
	fputs("</table>\n", f);
	mr_html_lost_warnings(f, ctx, "a lost free shows as a false leak and a lost alloc "
			      "hides one");
}

/* What the script fills in; without a script the header above is all there is. */
static const char body[] =
"<h2>Outstanding user bytes by call stack</h2>\n"
"<div id=\"fg-bar\"><input id=\"fg-search\" type=\"search\" placeholder=\"search frames "
"(substring)\" aria-label=\"search frames\"><button id=\"fg-reset\" type=\"button\">"
"reset zoom</button><span id=\"fg-match\"></span></div>\n"
"<div id=\"fg-path\"></div>\n"
"<div id=\"flame\" role=\"img\" aria-label=\"flame graph of the outstanding user bytes\">"
"</div>\n"
"<p class=\"note\">Each box is a frame, as wide as the bytes still allocated below it; the "
"process on top, the allocator at the bottom. Click a box to zoom into it.</p>\n"
"<noscript><p class=\"warn\">The flame graph and the sites need JavaScript; "
"<code>memrec report leak</code> has them as text.</p></noscript>\n"
"<div class=\"sides\">\n<section id=\"user-side\"><h2>Top user sites</h2>"
"<p id=\"user-note\" class=\"note\"></p><div id=\"user-sites\"></div></section>\n"
"<section id=\"kernel-side\"><h2>Kernel side</h2><p id=\"kernel-note\" class=\"note\"></p>"
"<div id=\"kernel-sites\"></div></section>\n</div>\n";

int mr_leak_write_html(FILE *f, struct mr_ctx *ctx, const void *state)
{
	struct mr_json j;

	header(f, ctx, state);
	fputs(body, f);
	fputs("<script type=\"application/json\" id=\"memrec-data\">\n", f);
	mr_json_init(&j, f);
	j.script = true;
	if (mr_leak_json_doc(&j, ctx, state))
		return -1;
	fprintf(f, "</script>\n<script>\n%s</script>\n</body>\n</html>\n", mr_leak_html_js);
	return ferror(f) ? -1 : 0;
}
