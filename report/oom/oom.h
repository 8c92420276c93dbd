/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oom.h - the OOM analyser (`memrec report oom`): the road to each OOM kill.
 */
#ifndef MR_OOM_H
#define MR_OOM_H

#include <stdbool.h>
#include <stdint.h>
#include "model/context.h"
#include "leak/leak.h"

/*
 * Fed every event in time order, it keeps per process (a pid from its first
 * sight to its exit; an exec stays the same process) the RSS series of its
 * address space from kmem:rss_stat, the reclaim and compaction stalls of its
 * threads and the bytes its allocator calls asked for; and per OOM kill the
 * victim, the trigger, memcg or global, the SIGKILL and the death. finish()
 * adds the heap blocks that grew in the seconds before each kill.
 */
enum mr_rss_kind { MR_RSS_FILE, MR_RSS_ANON, MR_RSS_SWAP, MR_RSS_SHMEM, MR_RSS_NR };
enum mr_stall_kind { MR_STALL_DIRECT, MR_STALL_MEMCG, MR_STALL_COMPACT, MR_STALL_NR };

#define MR_OOM_MAX_POINTS	2000		/* timeline points kept per process */
#define MR_OOM_WINDOW_NS	5000000000ull	/* "before the kill": alloc rate, growth */
#define MR_OOM_MEMCG_NS		2000000000ull	/* memcg reclaim this close: a memcg kill */
#define MR_OOM_TOP_GROWING	5

struct mr_oom_stall {
	uint64_t	count, total_ns, worst_ns;
};

/* One timeline point: the largest value of each kind in its time bucket. */
struct mr_oom_point {
	uint64_t	ts;
	int64_t		v[MR_RSS_NR];
};

struct mr_oom_proc {
	int			pid;
	char			comm[16];
	uint32_t		mm_id;		/* address space now (exec: the new one) */
	bool			has_mm;		/* any rss_stat seen */
	bool			exited;
	uint64_t		first_ts, exit_ts;
	unsigned int		seen;		/* bit per mr_rss_kind sampled */
	int64_t			start[MR_RSS_NR], peak[MR_RSS_NR], end[MR_RSS_NR];
	struct mr_oom_point	*pts;
	size_t			nr_pts;
	struct mr_oom_stall	stalls[MR_STALL_NR];
	uint64_t		compact_attempts;	/* try_to_compact_pages */
	uint64_t		alloc_bytes, alloc_count;	/* outermost allocator calls */
};

struct mr_oom_kill {
	uint64_t		ts;		/* oom:mark_victim */
	int			pid;		/* victim task */
	int			tgid;		/* its process */
	char			comm[16];
	int64_t			total_vm_kb, anon_kb, file_kb, shmem_kb, oom_score_adj;
	int			trigger_tid, trigger_pid;
	char			trigger_comm[16];
	bool			memcg;		/* trigger was in memcg reclaim just before */
	uint64_t		memcg_reclaim_ts;	/* that reclaim's start, 0 if none */
	uint64_t		sigkill_ts, exit_ts, reaped_ts;	/* 0 when not seen */
	const struct mr_oom_proc *victim;	/* NULL without rss_stat for it */
	bool			has_rss;	/* rss[] is the victim's series at the kill */
	int64_t			rss[MR_RSS_NR];
	uint64_t		victim_alloc_5s, trigger_alloc_5s;	/* bytes in the window */
	/* the window: shorter when the process is younger than it */
	uint64_t		victim_window_ns, trigger_window_ns;
	struct mr_leak		*growing;	/* live blocks of the window, by stack */
	size_t			nr_growing;
	uint64_t		growing_bytes, growing_count;	/* over all their stacks */
};

struct mr_oom_totals {
	struct mr_oom_stall	stalls[MR_STALL_NR];
	uint64_t		compact_attempts;
	uint64_t		unpaired;	/* stall ends without begin, begins without end */
	uint64_t		worst_ts;	/* the worst stall of any kind: its start */
	int			worst_pid, worst_tid;
	enum mr_stall_kind	worst_kind;
	uint64_t		worst_ns;
	uint64_t		kswapd_wakes, kswapd_awake_ns;
	uint64_t		rss_events, alloc_events, oom_events;
	uint64_t		unowned_mms;	/* address spaces never seen running */
	double			duration_s;
};

struct mr_oom;
/* Reads tasks and their names from the process model. */
struct mr_oom *mr_oom_new(struct mr_tasks *model);
/* Every event, in time order. */
void mr_oom_feed(struct mr_oom *o, const struct mr_event *ev);
/* After all events; uses ctx->pairing for the growing blocks, ctx->meta for times. */
void mr_oom_finish(struct mr_oom *o, struct mr_ctx *ctx);
void mr_oom_free(struct mr_oom *o);
/* After finish: processes by peak RSS (largest first), kills in time order. */
size_t mr_oom_nr_procs(const struct mr_oom *o);
const struct mr_oom_proc *mr_oom_proc(const struct mr_oom *o, size_t i);
size_t mr_oom_nr_kills(const struct mr_oom *o);
const struct mr_oom_kill *mr_oom_kill(const struct mr_oom *o, size_t i);
const struct mr_oom_totals *mr_oom_totals(const struct mr_oom *o);
/* What the kernel counts as RSS: file + anon + shmem (swap is apart). */
int64_t mr_oom_total_rss(const int64_t v[MR_RSS_NR]);	/* file + anon + shmem */

/* --pid: the kills of that process, or that it triggered */
bool mr_oom_kill_wanted(const struct mr_ctx *ctx, const struct mr_oom_kill *k);
/* Whether a kill's victim or trigger is a target (or all is, with -a). */
bool mr_oom_kill_of_targets(const struct mr_ctx *ctx, const struct mr_oom_kill *k);
/* Whether memcg or global is known: the trigger's reclaim was recorded. */
bool mr_oom_kill_scope_known(const struct mr_ctx *ctx, const struct mr_oom_kill *k);
/* The kills recorded of processes that are no target and were not killed by one. */
size_t mr_oom_kills_of_others(const struct mr_ctx *ctx, const struct mr_oom *o);
/* pid's memory cgroup as recorded: the last record at or before ts */
const struct mr_meta_memcg *mr_oom_memcg_of(const struct mr_ctx *ctx, int pid, uint64_t ts);
#endif
