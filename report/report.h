/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report.h - the pieces of `memrec report`, private to report/:
 * reader (trace file -> struct mr_event) -> pairing -> analysers (leak)
 * -> writers (text, json).
 */
#ifndef MR_REPORT_H
#define MR_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "mr_event.h"
#include "mr_meta.h"
#include "mr_pairing.h"
#include "mr_snapshot.h"
#include "mr_symbols.h"

/* reader.c */
struct mr_reader;
struct mr_reader_stats {
	uint64_t	records;	/* every record in the file */
	uint64_t	events;		/* records decoded into events */
	uint64_t	stacks;		/* user stacks attached to an event */
	uint64_t	missed;		/* events the ring buffer marked as lost */
	uint64_t	missed_unknown;	/* pages that lost an unknown number */
	uint64_t	first_ts, last_ts;
};

struct mr_reader *mr_reader_open(const char *path);
/* Feeds every event, in time order, to fn. */
int mr_reader_run(struct mr_reader *r, void (*fn)(const struct mr_event *ev, void *ctx),
		  void *ctx);
const struct mr_reader_stats *mr_reader_stats(const struct mr_reader *r);
void mr_reader_close(struct mr_reader *r);
/* The kernel function at addr (from the file's kallsyms), or NULL. */
const char *mr_reader_ksym(struct mr_reader *r, uint64_t addr, uint64_t *off);
/* The command name the file's saved cmdlines give pid, or "?". */
const char *mr_reader_comm(struct mr_reader *r, int pid);

/* Everything an analyser and a writer see. */
struct mr_report_opts {
	const char	*input;
	const char	*format;
	int		top;		/* rows; 0 = all */
	double		min_age_s;
	int		pid;		/* 0 = all */
	bool		inherited;	/* count blocks a child inherited at fork */
	const char	*debug_dirs[16];	/* --debug-dir, searched by build-id */
	int		nr_debug_dirs;
	const char	*sysroot;
	const char	*kind;		/* the report: leak or oom */
};

struct mr_report {
	const struct mr_report_opts	*o;
	struct mr_meta			meta;
	struct mr_pairing		*pairing;
	struct mr_symbols		*symbols;
	struct mr_reader_stats		rstats;
	uint64_t			end_ts;		/* ages are measured to here */
	uint64_t			lost_total;
	char				*unpacked;	/* embedded symbols, unpacked */
	uint64_t			unwound;	/* stacks unwound (--call-graph dwarf) */
	struct mr_oom			*oom;		/* the oom report's analyser */
	struct mr_snapshots		snaps;		/* /proc snapshots (frag) */
	struct mr_frag_heap		*heap;		/* the frag report's user heap */
	struct mr_kmem			*kmem;		/* kernel slab and page events */
	struct mr_reader		*reader;	/* open till the end: kallsyms */
};

/* leak.c: outstanding blocks grouped per (process, stack, allocator). */
struct mr_leak {
	uint32_t	aspace;
	uint32_t	stack;
	enum mr_fn	fn;
	bool		inherited;
	uint64_t	bytes, count;
	uint64_t	size_min, size_max;
	uint64_t	ts_min, ts_max;	/* allocation times */
};

/* Kernel memory still allocated, grouped per (pid, site or order, stacks). */
struct mr_kleak {
	int		pid;		/* the task's process it was allocated in */
	bool		page;		/* pages (order), else a slab object (site) */
	int		order;
	uint32_t	site;		/* struct mr_kmem sites[] */
	uint32_t	kstack, ustack;	/* stack ids; MR_NO_STACK when none */
	uint64_t	bytes, count;
	uint64_t	ts_min, ts_max;
};
#define MR_NO_STACK	UINT32_MAX

struct mr_leaks {
	struct mr_leak	*rows;
	size_t		nr;		/* rows after filters, sorted by bytes */
	uint64_t	bytes, count;	/* totals over all rows */
	uint64_t	inherited_count, inherited_bytes;	/* left out unless asked */
	uint64_t	young_count;	/* left out by --min-age */
	struct mr_kleak	*krows;		/* kernel side, sorted by bytes */
	size_t		nr_k;
	uint64_t	kbytes, kcount;
	/* left out: memrec's own (perf events inherited by the targets' children) */
	uint64_t	koverhead_bytes, koverhead_count;
	bool		kernel;		/* the file has kernel events */
};

void mr_leaks_build(struct mr_report *rep, struct mr_leaks *out);
void mr_leaks_release(struct mr_leaks *l);

/* the leak report's writers, one per --format (report.c's table picks them) */
int mr_write_text_leaks(FILE *f, struct mr_report *rep, const struct mr_leaks *l);
int mr_write_json_leaks(FILE *f, struct mr_report *rep, const struct mr_leaks *l);
/* what was recorded and lost: the first lines of every text report */
void mr_write_text_header(FILE *f, struct mr_report *rep);
/* one frame of a symbolised stack, "      #N 0xADDR function+0xOFF (module) file:line" */
void mr_text_frame(FILE *f, int i, const struct mr_frame *fr);
/* the same as the first members of every JSON report's object ("{" included) */
void mr_write_json_header(FILE *f, struct mr_report *rep);
/* write_json.c's pieces the other JSON writers share */
void mr_json_str(FILE *f, const char *s);	/* a string, or null */
void mr_json_frame(FILE *f, const struct mr_frame *fr, bool first, int indent);

/* unpack.c: the embedded symbol archive as a temporary build-id directory */
char *mr_unpack_symbols(const char *file);	/* NULL when there is none */
void mr_unpack_remove(char *dir);		/* removes it and frees dir */

/* report.c: helpers writers share */
/*
 * Symbolises the stack of a leak row into frames[], innermost first, with
 * the calls inlined at each address as frames of their own (so there can be
 * more frames than addresses); returns how many, at most max.
 */
int mr_report_frames(struct mr_report *rep, const struct mr_leak *l, struct mr_frame *frames,
		     int max);
const char *mr_report_comm(struct mr_report *rep, uint32_t aspace);
/* A kernel row's kernel stack (kernel true) or user stack, symbolised. */
int mr_report_kframes(struct mr_report *rep, const struct mr_kleak *l, bool kernel,
		      struct mr_frame *frames, int max);
const char *mr_report_kcomm(struct mr_report *rep, int pid);
/* write_text.c: one symbolised frame line, as every text writer prints it */
void mr_text_frame(FILE *f, int i, const struct mr_frame *fr);

/* ==== oom.c: the road to an OOM kill (`memrec report oom`) ==== */
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
struct mr_oom *mr_oom_new(void);
/* Every event, in time order. */
void mr_oom_feed(struct mr_oom *o, const struct mr_event *ev);
/* After all events; uses rep->pairing for the growing blocks, rep->meta for times. */
void mr_oom_finish(struct mr_oom *o, struct mr_report *rep);
void mr_oom_free(struct mr_oom *o);
/* After finish: processes by peak RSS (largest first), kills in time order. */
size_t mr_oom_nr_procs(const struct mr_oom *o);
const struct mr_oom_proc *mr_oom_proc(const struct mr_oom *o, size_t i);
size_t mr_oom_nr_kills(const struct mr_oom *o);
const struct mr_oom_kill *mr_oom_kill(const struct mr_oom *o, size_t i);
const struct mr_oom_totals *mr_oom_totals(const struct mr_oom *o);
/* What the kernel counts as RSS: file + anon + shmem (swap is apart). */
int64_t mr_oom_total_rss(const int64_t v[MR_RSS_NR]);	/* file + anon + shmem */

/* write_oom.c: the writers (schema: docs/memrec-report-oom-json.md) */
/* A byte count for people; the struct lets several share one printf. */
struct mr_human {
	char	s[24];
};
struct mr_human mr_human_bytes(int64_t v);
double mr_oom_rel_s(const struct mr_report *rep, uint64_t ts);	/* from the start */
extern const char *const mr_oom_stall_names[MR_STALL_NR];	/* "memcg reclaim" ... */
/* "memcg reclaim 3 (6.000 ms, worst 3.000 ms); ...", no newline */
void mr_oom_stalls_line(FILE *f, const struct mr_oom_stall *s, uint64_t attempts);
const char *mr_comm_or(const char *comm);			/* "?" when none */
/* --pid: the kills of that process, or that it triggered */
bool mr_oom_kill_wanted(const struct mr_report *rep, const struct mr_oom_kill *k);
/* pid's memory cgroup as recorded: the last record at or before ts */
const struct mr_meta_memcg *mr_oom_memcg_of(const struct mr_report *rep, int pid, uint64_t ts);
int mr_write_text_oom(FILE *f, struct mr_report *rep, struct mr_oom *o);
int mr_write_json_oom(FILE *f, struct mr_report *rep, struct mr_oom *o);
/* write_oom_html.c: one self-contained page with a chart per process */
int mr_write_html_oom(FILE *f, struct mr_report *rep, struct mr_oom *o);
/* ==== end of oom.c ==== */

/* ==== kmem.c: kernel slab objects and pages (record -e kernel,page) ==== */
/*
 * Pairs kmalloc/kmem_cache_alloc with kfree/kmem_cache_free by address and
 * mm_page_alloc with mm_page_free(_batched) by pfn. Frees are recorded from
 * every task, so an object freed by an RCU callback or a kworker is paired
 * like any other; frees of objects allocated before recording (or by tasks
 * not recorded) are counted as unmatched and ignored.
 */
#define MR_KMEM_ORDERS	11
#define MR_KMEM_MT	8

struct mr_kmem_site {
	uint64_t	call_site;
	const char	*cache;		/* NULL for kmalloc */
	uint64_t	hits, bytes_req, bytes_alloc;
	uint64_t	frees, cross_cpu;	/* of its objects: freed, freed on another CPU */
	uint64_t	live, live_bytes;
};

struct mr_kmem_gfp {
	uint64_t	flags;
	char		*name;
	uint64_t	slab_allocs, page_allocs, pages;
};

struct mr_kmem_extfrag {
	int		alloc_order, fallback_order, alloc_mt, fallback_mt;
	uint64_t	count, change_ownership;
};

struct mr_kmem_stats {
	uint64_t	slab_allocs, slab_frees, slab_unmatched;
	uint64_t	slab_frees_other;	/* freed by another process or kernel thread */
	uint64_t	slab_frees_irq;		/* freed in interrupt context (RCU callbacks...) */
	uint64_t	irq_allocs;		/* allocated in interrupt context */
	uint64_t	page_allocs, page_fails, page_frees, page_unmatched, page_frees_other;
	uint64_t	allocs[MR_KMEM_ORDERS][MR_KMEM_MT];	/* page allocations */
	uint64_t	fails[MR_KMEM_ORDERS];
	uint64_t	freed[MR_KMEM_ORDERS];		/* allocated and freed in the trace */
	uint64_t	live[MR_KMEM_ORDERS];		/* allocated, still not freed */
	uint64_t	extfrag;
};

struct mr_kmem {
	struct mr_kmem_stats	st;
	struct mr_kmem_site	*sites;
	size_t			nr_sites;
	struct mr_kmem_gfp	*gfps;
	size_t			nr_gfps;
	struct mr_kmem_extfrag	*frags;
	size_t			nr_frags;
	int			ncpu;
	char			**caches;	/* interned cache names */
	size_t			nr_caches;
	struct kmem_priv	*priv;
};

/*
 * ncpu: the host's CPUs; the file's further CPUs carry perf samples, CPU c's
 * on c + n * ncpu.
 */
struct mr_kmem *mr_kmem_new(struct mr_pairing *stacks, int ncpu);
void mr_kmem_feed(struct mr_kmem *k, const struct mr_event *ev);
bool mr_kmem_any(const struct mr_kmem *k);	/* any kernel event seen */
/* Adds the kernel rows (objects and pages still live) to out. */
void mr_kmem_leaks(struct mr_kmem *k, struct mr_report *rep, struct mr_leaks *out);
void mr_kmem_free(struct mr_kmem *k);
/* The kernel symbol at addr from the file's kallsyms, and the offset into it. */
const char *mr_report_ksym(struct mr_report *rep, uint64_t addr, uint64_t *off);

/* ==== `memrec report frag` ==== */
/*
 * frag_heap.c: the user heap. Fed by the pairing hooks, it keeps per
 * address space and heap region (main arena, thread arena heaps, mmapped
 * chunks) the live bytes and the span over time; after finish(): the
 * largest free gaps between live chunks, the live block that pins the top
 * of the main arena (and the free bytes held below it), and malloc's
 * internal fragmentation per call site (requested size vs chunk size).
 */
struct mr_frag_heap;
struct mr_frag_heap *mr_frag_heap_new(void);
void mr_frag_heap_live(struct mr_frag_heap *h, const struct mr_block *b);
void mr_frag_heap_dead(struct mr_frag_heap *h, const struct mr_block *b, uint64_t ts);
void mr_frag_heap_finish(struct mr_frag_heap *h, struct mr_report *rep);
int mr_frag_heap_text(FILE *f, struct mr_report *rep, const struct mr_frag_heap *h);
/* The value of the "heap" member: one JSON object (docs/memrec-report-frag-json.md). */
int mr_frag_heap_json(FILE *f, struct mr_report *rep, const struct mr_frag_heap *h);
void mr_frag_heap_free(struct mr_frag_heap *h);
/* write_frag.c's section of it: the above on rep->heap */
int mr_frag_heap_section_text(FILE *f, struct mr_report *rep);
int mr_frag_heap_section_json(FILE *f, struct mr_report *rep);

/*
 * frag_zone.c: rep->snaps, before vs after: free blocks per zone and order
 * with the unusable free space index per order (buddyinfo), free blocks per
 * migratetype (pagetypeinfo) and the slab caches that grew most (slabinfo).
 */
int mr_frag_zone_text(FILE *f, struct mr_report *rep);
/* The value of the "zones" member: one JSON object. */
int mr_frag_zone_json(FILE *f, struct mr_report *rep);

/* write_kfrag.c: the kernel sections (values of "slab" and "pages") */
int mr_frag_slab_text(FILE *f, struct mr_report *rep);
int mr_frag_slab_json(FILE *f, struct mr_report *rep);
int mr_frag_pages_text(FILE *f, struct mr_report *rep);
int mr_frag_pages_json(FILE *f, struct mr_report *rep);

/* write_frag.c: the frag report, one section per analyser */
int mr_write_text_frag(FILE *f, struct mr_report *rep);
int mr_write_json_frag(FILE *f, struct mr_report *rep);
#endif
