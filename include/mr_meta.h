/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mr_meta.h - memrec's own metadata, stored in the trace.dat option
 * MR_OPTION_META: what was recorded, the targets, the module mappings and
 * build-ids needed to symbolise elsewhere, and every count of lost events.
 * The payload is line-based text ("memrec-meta VERSION" first) so it stays
 * inspectable with `trace-cmd dump --options`; docs/memrec-file.md has
 * the grammar.
 */
#ifndef MR_META_H
#define MR_META_H

#include <stdint.h>
#include "memrec.h"

struct mr_meta_target {
	int		pid;
	char		*cmdline;	/* arguments joined by spaces */
};

struct mr_meta_cpu {
	int		cpu;
	uint64_t	entries, overrun, commit_overrun, dropped, read;
};

/* One executable mapping seen by perf (MMAP2) or in a /proc/PID/maps snapshot. */
struct mr_meta_map {
	uint64_t	ts;
	int		pid;
	uint64_t	start, len, pgoff;
	char		*build_id;	/* hex or NULL */
	char		*path;
};

/* A target's memory cgroup at a moment (start or stop); -1: no limit / unknown. */
struct mr_meta_memcg {
	uint64_t	ts;
	int		pid;
	char		*path;
	int64_t		limit, usage;
};

/* What a module's __lsan_default_suppressions() returns (LSan's suppression lines). */
struct mr_meta_lsan {
	char		*path;
	char		*text;
};

struct mr_meta_buildid {
	char		*build_id;
	char		*path;
};

/* A slab cache with a property the report needs (record/slabinfo.c). */
#define MR_SLAB_NO_FREE_EVENT	(1u << 0)	/* kfree_rcu'd objects freed without an event */
#define MR_SLAB_RECLAIMABLE	(1u << 1)	/* reclaim_account: the shrinkers free it */
struct mr_meta_slab {
	char		*name;
	unsigned int	flags;
};

struct mr_meta {
	int			version;
	char			*memrec_version;
	char			*uname;		/* "sysname nodename release version machine" */
	char			*clock;
	char			*command;	/* how memrec record was invoked */
	uint64_t		start_ts, stop_ts;	/* trace clock, ns */
	uint64_t		start_epoch_ns;		/* wall clock at start */
	uint64_t		buffer_kb;
	uint64_t		perf_lost;		/* lost mmap records */
	uint64_t		truncated_bytes;	/* event data dropped on a full disk */
	int			free_null_unseen;	/* free(NULL) calls were not recorded */
	char			*uprobes;		/* "perf" (per target) or "ftrace" */
	char			*perf_refused;		/* why perf_event_open failed, or NULL */
	uint64_t		samples, samples_lost;	/* perf path: kept and lost */
	char			*stop_reason;
	struct mr_meta_target	*targets;
	int			nr_targets;
	struct mr_meta_cpu	*cpus;
	int			nr_cpus;
	struct mr_meta_map	*maps;
	int			nr_maps;
	struct mr_meta_buildid	*buildids;
	int			nr_buildids;
	struct mr_meta_memcg	*memcgs;
	int			nr_memcgs;
	struct mr_meta_lsan	*lsan;
	int			nr_lsan;
	char			*groups;		/* the -e groups recorded */
	int			system_wide;		/* -a */
	uint64_t		flight_mb;		/* --flight window; overruns are by design */
	/* the wait for the targets' teardown at stop (record/settle.c); 0: none */
	uint64_t		settle_ms;		/* its bound */
	uint64_t		settle_waited_ns;
	int			settle_reaped;		/* every target task was reaped */
	int			settle_targets_gone;	/* the targets had exited at stop */
	char			*settle_rcu;		/* rcu_barrier, membarrier or none */
	struct mr_meta_slab	*slabs;
	int			nr_slabs;
};

void mr_meta_init(struct mr_meta *m);
void mr_meta_release(struct mr_meta *m);
void mr_meta_add_target(struct mr_meta *m, int pid, const char *cmdline);
void mr_meta_add_map(struct mr_meta *m, uint64_t ts, int pid, uint64_t start, uint64_t len,
		     uint64_t pgoff, const char *build_id, const char *path);
void mr_meta_add_buildid(struct mr_meta *m, const char *build_id, const char *path);
void mr_meta_add_lsan(struct mr_meta *m, const char *path, const char *text);
void mr_meta_add_memcg(struct mr_meta *m, uint64_t ts, int pid, const char *path, int64_t limit,
		       int64_t usage);
void mr_meta_add_slab(struct mr_meta *m, const char *name, unsigned int flags);
/* The flags of cache name (MR_SLAB_*), 0 when not listed. */
unsigned int mr_meta_slab_flags(const struct mr_meta *m, const char *name);
/* Events lost, by the kernel's statistics (a flight window's overruns are not). */
uint64_t mr_meta_lost(const struct mr_meta *m);
/* Whether the -e group name was recorded ("user", "mappings"...). */
bool mr_meta_has_group(const struct mr_meta *m, const char *name);
/* The recorded build-id of path, or NULL. */
const char *mr_meta_buildid_of(const struct mr_meta *m, const char *path);
bool mr_meta_build_id_ok(const char *bid);	/* lowercase hex of a sane length */

/* Serialises m; the caller owns b. */
void mr_meta_encode(const struct mr_meta *m, struct mr_buf *b);
/*
 * Parses a payload into m. Returns 0, or -1 with an error printed naming
 * 'file' (corrupt, or a newer version than this memrec reads).
 */
int mr_meta_decode(struct mr_meta *m, const char *data, size_t len, const char *file);

#endif
