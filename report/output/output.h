/* SPDX-License-Identifier: GPL-2.0 */
/*
 * output.h - the last stage of `memrec report`: a writer per report and
 * format (report.c's table picks one), and what they share (format.c).
 * Writers only format: every figure they print comes finished from an
 * analyser or the context.
 */
#ifndef MR_OUTPUT_H
#define MR_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>
#include "mr_json.h"
#include "model/context.h"

/* ---- format.c ---- */
/* A byte count for people; the struct lets several share one printf. */
struct mr_human {
	char	s[24];
};
struct mr_human mr_human_bytes(int64_t v);
const char *mr_comm_or(const char *comm);			/* "?" when none */
/* A string from the file or the target, control bytes shown as \n, \xHH (text output). */
const char *mr_text_esc(const char *s);
void mr_text_str(FILE *f, const char *s);
/* The first n of nr rows that --top lets through (0: all). */
size_t mr_top(const struct mr_ctx *ctx, size_t nr);
/* When the recording started, "YYYY-MM-DD HH:MM:SS UTC" or "?". */
struct mr_when {
	char	s[64];
};
struct mr_when mr_recorded_at(const struct mr_meta *m);
/* "TITLE of 'FILE'", when and how long it was recorded, and the targets */
void mr_text_recording(FILE *f, const struct mr_ctx *ctx, const char *title, double duration_s);
/* the truncation and lost-event lines; consequence: what the losses may hide */
void mr_text_lost(FILE *f, const struct mr_ctx *ctx, const char *consequence);
/* what was recorded and lost: the first lines of every text report */
void mr_write_text_header(FILE *f, struct mr_ctx *ctx);
/* one frame of a symbolised stack, "      #N 0xADDR function+0xOFF (module) file:line" */
void mr_text_frame(FILE *f, int i, const struct mr_frame *fr);
/*
 * JSON: the first members of every report's top object (the recording and
 * what was lost), and the parts other reports share.
 */
void mr_write_json_header(struct mr_json *j, struct mr_ctx *ctx);
/* "kernel_limits", only when the recording kernel's formats lacked something */
void mr_write_json_limits(struct mr_json *j, const struct mr_ctx *ctx);
void mr_write_json_targets(struct mr_json *j, const struct mr_meta *m);	/* "targets" */
void mr_write_json_lost(struct mr_json *j, const struct mr_ctx *ctx);	/* "lost_events" */
/* a symbolised stack: an array of frame objects, one per line */
void mr_write_json_stack(struct mr_json *j, const char *key, const struct mr_frame *frames,
			 int nr);

/* ---- html.c: what the HTML pages share ---- */
/* text or an attribute value, markup characters as entities, control bytes as '?' */
void mr_html_esc(FILE *f, const char *s);
void mr_html_proc(FILE *f, const char *comm, int pid);		/* "comm (pid N)", escaped */
/* the doctype, head (html.c's style, then css) and <h1>title</h1> */
void mr_html_begin(FILE *f, const struct mr_ctx *ctx, const char *title, const char *css);
/* opens the table of facts: file, host, when and for how long, targets */
void mr_html_recording(FILE *f, const struct mr_ctx *ctx, double duration_s);
void mr_html_lost_row(FILE *f, const struct mr_ctx *ctx);	/* "lost events" */
/* after the table: lost events and a truncated file; consequence as mr_text_lost's */
void mr_html_lost_warnings(FILE *f, const struct mr_ctx *ctx, const char *consequence);

/* leak_json.c: "totals", the sums over a leak report's user rows (diff shows them too) */
struct mr_leaks;
void mr_write_json_leak_totals(struct mr_json *j, const struct mr_leaks *l);

/* ---- the writers: state is the finished analyser's ---- */
int mr_leak_write_text(FILE *f, struct mr_ctx *ctx, const void *state);	/* leak_text.c */
int mr_leak_write_json(FILE *f, struct mr_ctx *ctx, const void *state);	/* leak_json.c */
int mr_leak_write_folded(FILE *f, struct mr_ctx *ctx, const void *state);	/* leak_folded.c */
int mr_leak_write_html(FILE *f, struct mr_ctx *ctx, const void *state);	/* leak_html.c */
/* the JSON report's document, into j (leak_html.c embeds it in its page) */
int mr_leak_json_doc(struct mr_json *j, struct mr_ctx *ctx, const void *state);
int mr_leak_write_pprof(FILE *f, struct mr_ctx *ctx, const void *state);	/* leak_pprof.c */
int mr_oom_write_text(FILE *f, struct mr_ctx *ctx, const void *state);	/* oom_text.c */
int mr_oom_write_json(FILE *f, struct mr_ctx *ctx, const void *state);	/* oom_json.c */
int mr_oom_write_html(FILE *f, struct mr_ctx *ctx, const void *state);	/* oom_html.c */
int mr_frag_write_text(FILE *f, struct mr_ctx *ctx, const void *state);	/* frag.c */
int mr_frag_write_json(FILE *f, struct mr_ctx *ctx, const void *state);	/* frag.c */
/* leak_diff.c: `memrec report diff`, two files' leak reports compared */
struct mr_leak_diff;
int mr_leak_diff_write_text(FILE *f, const struct mr_leak_diff *d);
int mr_leak_diff_write_json(FILE *f, const struct mr_leak_diff *d);
#endif
