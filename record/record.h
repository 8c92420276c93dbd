/* SPDX-License-Identifier: GPL-2.0 */
/*
 * record.h - the pieces of `memrec record`, private to record/.
 * record.c drives them: cleanup (stale state, watchdog) -> target (spawn or
 * attach) -> probes (uprobes in memrec's group) -> instance + stream
 * (per-CPU ring buffers to files) -> mmaps (perf MMAP2 records) -> tracedat,
 * reading /proc through procfs and making room on a full disk with diskfull;
 * teardown hands the kernel's slow teardown to a child once the file is written.
 */
#ifndef MR_RECORD_H
#define MR_RECORD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <tracefs.h>
#include "mr_event.h"
#include "mr_meta.h"

#define MR_GROUP_PREFIX		"memrec_"

/* probes.c: the allocator uprobes of one recording. */
struct mr_probes {
	char			group[32];
	struct tracefs_dynevent	**evs;
	int			nr;
	char			**events;	/* "group/name", NULL-terminated */
	bool			free_null_unseen;	/* free probed past its NULL test */
};

/* A file whose allocator entry points are probed: kinds is 1 << enum mr_lib, or'ed. */
struct mr_alloc_lib {
	char		*path;
	unsigned int	kinds;
};

struct mr_alloc_libs {
	struct mr_alloc_lib	*v;
	int			nr;
};

/* Finds the allocator library files mapped by pid (0: by memrec itself). */
int mr_probes_find_libs(pid_t pid, char **libc, char **libstdcxx);
/* Probes each file's rows of the probe table; the first file's events keep their names. */
int mr_probes_create(struct mr_probes *p, const char *group, const struct mr_alloc_libs *libs);
/* Whether the ELF file path defines the function sym (quiet on any error). */
bool mr_probes_defines(const char *path, const char *sym);
void mr_probes_destroy(struct mr_probes *p);
/* Frees p, leaving the probes in tracefs (to memrec-teardown). */
void mr_probes_release(struct mr_probes *p);

/*
 * allocs.c: the files whose allocators a target uses: glibc (and libstdc++),
 * every other file it maps, links (DT_NEEDED) or LD_PRELOADs that defines
 * malloc, extra (--lib, may be NULL), or a static executable itself.
 * exe: the spawned command's path (pid 0: not exec'd yet), else NULL.
 */
int mr_allocs_find(pid_t pid, const char *exe, const char *extra, struct mr_alloc_libs *out);
void mr_allocs_release(struct mr_alloc_libs *l);
/*
 * The first file other than glibc's that would serve a dynamic command's
 * allocator calls (linked, LD_PRELOADed or its own malloc), or NULL; quiet.
 */
char *mr_allocs_other(const char *exe);

/* stream.c: one thread per CPU splicing full pages into a file. */
struct mr_stream_cpu;
struct mr_stream {
	struct mr_stream_cpu	*cpus;
	int			nr_cpus;
	char			**files;
	volatile int		stop;
	volatile int		error;		/* an errno from a writer, e.g. ENOSPC */
};

int mr_stream_start(struct mr_stream *s, struct tracefs_instance *inst, const char *base);
/* Stops the readers, flushes what the ring buffers still hold, joins. */
void mr_stream_stop(struct mr_stream *s);
uint64_t mr_stream_bytes(const struct mr_stream *s);
void mr_stream_release(struct mr_stream *s, bool unlink_files);

/* perfring.c: per-CPU perf ring buffers shared by many events */
struct perf_event_header;
struct mr_perf_rings;
typedef void (*mr_perf_record_fn)(int cpu, const struct perf_event_header *h, void *ctx);
struct mr_perf_rings *mr_perf_rings_new(int nr_cpus, size_t pages);
/* The first fd of a CPU gets the ring mmapped, the others write into it. */
int mr_perf_rings_attach(struct mr_perf_rings *pr, int fd, int cpu);
void mr_perf_rings_drain(struct mr_perf_rings *pr, mr_perf_record_fn fn, void *ctx);
void mr_perf_rings_disable(struct mr_perf_rings *pr);
void mr_perf_rings_free(struct mr_perf_rings *pr);	/* closes the fds */

/* samples.c: perf tracepoint samples, written as ring-buffer pages */
struct mr_samples;
enum mr_samples_kind {
	MR_SAMPLES_UPROBES,	/* the allocator probes, per target, with user stacks */
	MR_SAMPLES_KALLOC,	/* kernel allocations per target: kernel + user stacks */
	MR_SAMPLES_KFREE,	/* kernel frees on every CPU, by any task */
	MR_SAMPLES_MAPS,	/* the mapping syscalls per target: user stacks only */
	MR_SAMPLES_NR,
};
/* dwarf_stack: bytes of user stack to copy per sample (--call-graph dwarf), or 0 */
struct mr_samples *mr_samples_open(enum mr_samples_kind kind, const uint32_t *ids, int nr_ids,
				   const char *base, int max_stack, int dwarf_stack,
				   uint64_t ring_kb);
/* MR_SAMPLES_KFREE: the events on every CPU, for every task */
int mr_samples_add_cpus(struct mr_samples *sm);
/* Arms the probes in every thread pid has now; children inherit them. */
int mr_samples_add_process(struct mr_samples *sm, pid_t pid);
/* errno when the host refuses perf_event_open of tracepoint id for pid, else 0 */
int mr_samples_refused(uint32_t id, pid_t pid);
/* errno when the host refuses memrec perf_event_open (a dummy event on itself), else 0 */
int mr_samples_self_refused(void);
int mr_samples_start(struct mr_samples *sm);
/* Disarms, drains and writes the last pages. */
void mr_samples_stop(struct mr_samples *sm);
/* A record made elsewhere (the preload path), on the pages of cpu; counted as a sample. */
void mr_samples_put(struct mr_samples *sm, int cpu, uint64_t ts, const void *raw, size_t len);
/* A memrec/ustack_def of ips named id, on the pages of cpu. */
void mr_samples_put_stack(struct mr_samples *sm, int cpu, uint64_t ts, int tid, int tgid,
			  uint32_t id, const uint64_t *ips, uint64_t nr);
/* The pages cpu's records go to: a stack defined there is read before its users. */
int mr_samples_writer(const struct mr_samples *sm, int cpu);
void mr_samples_add_lost(struct mr_samples *sm, uint64_t lost);
const char *const *mr_samples_files(const struct mr_samples *sm);	/* one per CPU */
int mr_samples_error(const struct mr_samples *sm);	/* errno of a failed write, or 0 */
void mr_samples_stats(const struct mr_samples *sm, uint64_t *samples, uint64_t *lost,
		      uint64_t *bytes, int *error);
void mr_samples_close(struct mr_samples *sm, bool unlink_files);

/* preload.c: --preload, the allocator calls recorded inside the command (mr_preload.h) */
struct mr_preload;
/* Why path cannot be recorded with a preloaded library (static, setuid), or NULL. */
const char *mr_preload_unusable(const char *path);
/* The library next to memrec (or $MEMREC_PRELOAD_LIB); NULL with an error printed. */
char *mr_preload_lib(void);
/* Writes into sm (its pages: the perf path's allocator samples); max_frames per stack. */
struct mr_preload *mr_preload_open(struct mr_samples *sm, int max_frames, bool dwarf);
const char *mr_preload_no_unwinder(void);
/* The command's environment: environ with LD_PRELOAD and the shared memory added. */
char **mr_preload_env(struct mr_preload *p, const char *lib);
int mr_preload_start(struct mr_preload *p);
struct mr_tracedat_hdr;
/* The formats of the preload events (system memrec_preload) into the file's header. */
void mr_preload_add_formats(struct mr_tracedat_hdr *h);
/* Tells the library to stop, reads what is left, counts what was dropped. */
void mr_preload_stop(struct mr_preload *p);
void mr_preload_close(struct mr_preload *p);

/* mmaps.c: perf MMAP2 records of the targets, for symbolisation. */
struct mr_mmaps;
struct mr_mmaps *mr_mmaps_open(void);
/* Follows pid (every thread it has now, and its future children). */
int mr_mmaps_add_process(struct mr_mmaps *mm, pid_t pid);
void mr_mmaps_start(struct mr_mmaps *mm, struct mr_meta *meta);
/* Drains, stops and frees; records end up in meta. */
void mr_mmaps_close(struct mr_mmaps *mm);

/* embed.c: the symbol archive (include/mr_archive.h) of the mapped modules */
struct mr_embed_stats {
	int		modules, debug_files, skipped;
	uint64_t	raw, stored;	/* bytes before and after compression */
};
void mr_embed_modules(const struct mr_meta *m, bool debuginfo, struct mr_buf *b,
		      struct mr_embed_stats *st);

/* events.c: the tracefs events of each -e group */
#define MR_GROUP_USER	(1u << 0)	/* the allocator uprobes */
#define MR_GROUP_OOM	(1u << 1)	/* memory pressure and the OOM killer */
#define MR_GROUP_KERNEL	(1u << 2)	/* slab allocations and frees */
#define MR_GROUP_PAGE	(1u << 3)	/* page allocations, frees and fallbacks */
#define MR_GROUP_MAPPINGS (1u << 4)	/* the targets' mmap, munmap, mremap, brk */
int mr_groups_parse(const char *list, unsigned int *groups);
char *mr_groups_string(unsigned int groups);	/* "user,kernel" */
bool mr_event_is_kmem(const char *sysev);	/* a -e kernel or page event */
bool mr_event_is_kfree(const char *sysev);	/* one of those that frees */
bool mr_event_is_mapping(const char *sysev);	/* a -e mappings syscall event */
/* For targets, recorded from every task: kernel frees and the OOM killer's events. */
bool mr_event_is_hostwide(const char *sysev);
/* probes, the task lifecycle, then each group's events this kernel has */
const char **mr_events_for(const char *tdir, unsigned int groups, const char *const *probes,
			   int nr_probes);

/* memcg.c: the target's memory cgroup, limit and usage, into the metadata */
/* if_changed: only when pid is in another cgroup than last recorded */
void mr_memcg_snapshot(struct mr_meta *m, pid_t pid, uint64_t ts, bool if_changed);

/* procfs.c: what the recorder reads from /proc and the per-CPU stats files */
/* The executable mappings pid has now (before perf saw them), as of ts. */
void mr_proc_snapshot_maps(struct mr_meta *m, uint64_t ts, pid_t pid);
/*
 * Adds the executable mappings of pid not in *last (its maps file when
 * last read, kept there) as seen since 'since'.
 */
void mr_proc_poll_maps(struct mr_meta *m, char **last, uint64_t since, pid_t pid);
uint64_t mr_proc_oom_kills(void);	/* the OOM killer's kills so far, memcg ones too */
uint64_t mr_proc_max_stack(void);	/* the perf call chain limit, at most MR_MAX_STACK */
/* A CPU's ring-buffer counters in inst; zeros when they cannot be read. */
void mr_ring_cpu_stats(struct tracefs_instance *inst, int cpu, struct mr_meta_cpu *c);

/* settle.c: at stop, the wait for the targets' teardown (reaping, RCU callbacks) */
#define MR_SETTLE_MS	500
struct mr_target;
/*
 * Waits (at most MR_SETTLE_MS) for targets that exited to be reaped, with
 * wait_exit for them to exit first; then for the RCU callbacks. Into m.
 */
void mr_settle(struct mr_target *t, struct tracefs_instance *inst, bool wait_exit,
	       struct mr_meta *m);

/* slabinfo.c: the caches without free events and the reclaimable ones, into m */
void mr_slabinfo_read(struct mr_meta *m);

/* diskfull.c */
/*
 * On a full disk, cuts the newest pages of the largest of files until the
 * trace file (header_bytes plus a copy of each file) can be assembled;
 * returns the bytes cut.
 */
uint64_t mr_make_room(const char *const *files, int nr, uint64_t header_bytes);

/* outfile.c: the private directory next to the output where every file is made */
#define MR_TMPDIR_PREFIX	".memrec_tmp_"	/* + recorder pid + .XXXXXX */
struct mr_outdir {
	char	*dir;		/* OUTPUT's directory/.memrec_tmp_PID.XXXXXX, 0700 */
	char	*base;		/* dir/data: the per-CPU and sample files' base name */
};
/*
 * Refuses an output that is a symbolic link, not a regular file, or not the
 * caller's, and makes the private directory; one error line on failure.
 */
int mr_outdir_create(struct mr_outdir *od, const char *output);
/* The name the trace file is written under, inside the directory. */
char *mr_outdir_file(const struct mr_outdir *od);
/* Renames tmp over output; removes tmp on failure. */
int mr_outdir_commit(const struct mr_outdir *od, const char *tmp, const char *output);
/* Removes the directory and whatever is left in it. */
void mr_outdir_release(struct mr_outdir *od);

/* cleanup.c */
/* Removes the instance and uprobe group named name; returns how many it removed. */
int mr_cleanup_state(const char *tracing_dir, const char *name);
/* Removes memrec state left by recorders that no longer run (and no memrec-teardown owns). */
void mr_cleanup_stale(const char *tracing_dir);
/*
 * Removes a private directory of memrec's (ours, 0700, a real directory) and
 * the files in it, never following a symbolic link; plain syscalls only.
 */
int mr_cleanup_tmpdir(const char *path);
/* Removes the private directories dead recorders left next to output. */
void mr_cleanup_stale_files(const char *output);
/* A child process that cleans up 'name' if the recorder dies without doing it. */
struct mr_watchdog {
	pid_t	pid;
	int	fd;		/* write end; its EOF tells the watchdog to look */
};
/* tmpdir: the recorder's private directory (or NULL), removed if it dies */
int mr_watchdog_start(struct mr_watchdog *w, const char *tracing_dir, const char *name,
		      const char *tmpdir);
void mr_watchdog_stop(struct mr_watchdog *w);
/*
 * The recorder leaves, the watchdog stays until the last holder of its pipe
 * (memrec-teardown) is gone; it lets go of the recorder's stdout and stderr.
 */
void mr_watchdog_detach(struct mr_watchdog *w);
/* Points stdin, stdout and stderr at /dev/null: for processes that outlive memrec. */
void mr_null_stdio(void);

/* teardown.c: the kernel's slow teardown in a detached child, memrec-teardown */
#define MR_TEARDOWN_SOCKET	"memrec-teardown/"	/* + state name: abstract address */
/*
 * Forks memrec-teardown, which closes the recorder's fds (perf events,
 * uprobes) once it has exited and removes the state 'name'. Returns 1 in
 * the recorder when the child took over (the recorder then only closes,
 * frees and detaches the watchdog), 0 when the teardown is the recorder's
 * to do (MEMREC_TEARDOWN=foreground, or no child could start).
 */
int mr_teardown_detach(const char *tracing_dir, const char *name, const struct mr_watchdog *wd);
/* Is 'name' a memrec-teardown's, still at work? */
bool mr_teardown_owned(const char *name);
/* Closes every fd from 3 up but keep1 and keep2 (-1: none). */
void mr_close_fds_except(int keep1, int keep2);

/* target.c */
struct mr_target {
	pid_t		*pids;		/* -p pids, or the spawned command */
	int		nr_pids;
	pid_t		child;		/* spawned command, 0 with -p */
	char		*exe;		/* its resolved path */
	int		release_fd;	/* write end: lets the held command exec */
	int		exec_err_fd;	/* read end: the command's exec errno */
	int		child_status;
	bool		child_reaped;
	bool		traced;		/* mr_target_trace(): stops at exec and exit */
	/* called at those stops, while the child's address space is still whole */
	void		(*on_stop)(void *ctx, pid_t pid);
	void		*on_stop_ctx;
	char		**envp;		/* the command's environment; NULL: memrec's */
};

/* The syntax of a -p list: 0, or -MR_EXIT_USAGE after a usage error. */
int mr_target_check_pids(const char *list);
int mr_target_parse_pids(struct mr_target *t, const char *list);
/* argv[0] on PATH, as the spawn runs it; NULL when not found or not executable. */
char *mr_target_resolve_cmd(const char *cmd);
int mr_target_spawn(struct mr_target *t, char **argv);
int mr_target_release(struct mr_target *t);
/* Writes every thread of every target to the instance's set_event_pid. */
int mr_target_set_event_pid(struct mr_target *t, struct tracefs_instance *inst);
/* True while any traced task is still alive (not a zombie). */
bool mr_target_alive(struct mr_target *t, struct tracefs_instance *inst);
char *mr_target_cmdline(pid_t pid);
/*
 * Calls fn for every thread pid has now; stops at fn's first non-zero
 * return, which it returns. A thread may end meanwhile: fn must expect
 * ESRCH for it.
 */
int mr_for_each_thread(pid_t pid, int (*fn)(pid_t tid, void *ctx), void *ctx);
void mr_target_release_all(struct mr_target *t);
/*
 * Without perf's mmap records the spawned command's mappings are read from
 * /proc: ptrace stops it at exec and at exit (its mappings still there)
 * and t->on_stop reads them. Returns 0, or -1 (errno) when ptrace refuses.
 */
int mr_target_trace(struct mr_target *t);
void mr_target_untrace(struct mr_target *t);

#endif
