// SPDX-License-Identifier: GPL-2.0
/*
 * oom_format.c - what the OOM report's writers (text, JSON, HTML) share.
 */
#include <inttypes.h>
#include <stdio.h>
#include "memrec.h"
#include "oom/oom.h"
#include "output/output.h"
#include "output/oom.h"

const char *const mr_oom_rss_names[MR_RSS_NR] = { "file", "anon", "swap", "shmem" };
const char *const mr_oom_stall_keys[MR_STALL_NR] = {
	"direct_reclaim", "memcg_reclaim", "compaction"
};
const char *const mr_oom_stall_names[MR_STALL_NR] = {
	"direct reclaim", "memcg reclaim", "compaction"
};

double mr_oom_rate(uint64_t bytes, double s)
{
	return s > 0 ? bytes / s : 0;
}

size_t mr_oom_shown_procs(const struct mr_ctx *ctx, const struct mr_oom *o)
{
	return mr_top(ctx, mr_oom_nr_procs(o));
}

/* -1 is "no limit" or "unknown" in the memcg records */
const char *mr_oom_limit_str(struct mr_human *h, int64_t v)
{
	if (v < 0)
		return "none";
	*h = mr_human_bytes(v);
	return h->s;
}

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
