/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oom.h - what the OOM report's writers share (oom_format.c).
 */
#ifndef MR_OUTPUT_OOM_H
#define MR_OUTPUT_OOM_H

#include <stdio.h>
#include "oom/oom.h"
#include "output/output.h"

extern const char *const mr_oom_rss_names[MR_RSS_NR];	/* "file", "anon", ... */
extern const char *const mr_oom_stall_keys[MR_STALL_NR];	/* JSON: "direct_reclaim" ... */
extern const char *const mr_oom_stall_names[MR_STALL_NR];	/* "memcg reclaim" ... */
/* bytes per second, 0 for an empty window */
double mr_oom_rate(uint64_t bytes, double s);
/* the processes --top lets through */
size_t mr_oom_shown_procs(const struct mr_ctx *ctx, const struct mr_oom *o);
/* a memcg limit or usage: "none" for -1, else bytes for people (in *h) */
const char *mr_oom_limit_str(struct mr_human *h, int64_t v);
/* "memcg reclaim 3 (6.000 ms, worst 3.000 ms); ...", no newline */
void mr_oom_stalls_line(FILE *f, const struct mr_oom_stall *s, uint64_t attempts);
#endif
