/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmem.h - the kernel side (record -e kernel,page): slab objects and pages
 * paired by address and pfn, per-site and per-order figures, and the kernel
 * memory still allocated at the end. The leak and frag analysers each keep
 * one.
 */
#ifndef MR_KMEM_H
#define MR_KMEM_H

#include <stdbool.h>
#include <stdint.h>
#include "model/context.h"
#include "leak/vmalloc.h"

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
	struct mr_vmem		*vmem;	/* vmalloc areas and per-CPU objects */
	struct kmem_priv	*priv;
};

enum mr_kleak_kind { MR_KLEAK_SLAB, MR_KLEAK_PAGE, MR_KLEAK_VMALLOC, MR_KLEAK_PERCPU };

/* Kernel memory still allocated, grouped per (pid, site or order, stacks). */
/* Why a kernel row is not one memrec stands behind (kernel_unconfirmed). */
enum mr_kreason {
	MR_KR_CONFIRMED,	/* kernel_leaks */
	MR_KR_NO_FREE_EVENT,	/* a cache this kernel frees (kfree_rcu, sheaves) without an event */
	MR_KR_TASK_HELD,	/* freed with an exited task's task_struct, which memrec holds */
	MR_KR_TEARDOWN_UNSEEN,	/* an exited process's memory whose teardown free was not seen */
	MR_KR_SLAB_PAGE_FREED,	/* its slab page was freed after it: it is gone, its free unseen */
	MR_KR_NR,
};
extern const char *const mr_kreason_names[MR_KR_NR];
extern const char *const mr_kreason_text[MR_KR_NR];

struct mr_kleak {
	int		pid;		/* the task's process it was allocated in */
	enum mr_kreason	reason;
	bool		reclaimable;	/* page cache, or a reclaim_account cache */
	bool		page;		/* pages (order), else a slab object (site) */
	int		order;
	uint32_t	site;		/* struct mr_kmem sites[] */
	uint32_t	kstack, ustack;	/* stack ids; MR_NO_STACK when none */
	uint64_t	bytes, count;
	uint64_t	ts_min, ts_max;
	enum mr_kleak_kind kind;	/* page is kind == MR_KLEAK_PAGE */
	uint64_t	call_site;	/* per-CPU: the tracepoint's; vmalloc: 0 */
};

/* A slab row's site; NULL for the other kinds. */
static inline const struct mr_kmem_site *mr_kleak_site(const struct mr_kmem *k,
						       const struct mr_kleak *l)
{
	return l->kind == MR_KLEAK_SLAB ? &k->sites[l->site] : NULL;
}

/* "slab", "page", "vmalloc" or "percpu" */
const char *mr_kleak_kind_name(const struct mr_kleak *l);

struct mr_kleaks {
	struct mr_kleak	*rows;		/* sorted by bytes */
	size_t		nr;
	uint64_t	bytes, count;
	/* left out: memrec's own (perf events, the uprobes' return instances) */
	uint64_t	overhead_bytes, overhead_count;
	/* the rows memrec does not stand behind, sorted by bytes, and their sums */
	struct mr_kleak	*unconfirmed;
	size_t		nr_unconfirmed;
	uint64_t	reason_bytes[MR_KR_NR], reason_count[MR_KR_NR];
	bool		recorded;	/* the file has kernel events */
	/*
	 * The direct map's base (page_offset_base), learned from the recording
	 * (kmem.c, direct_map()): slab objects are looked up on the pages freed
	 * only when it is known. samples agree with it, contrary do not.
	 */
	bool		dmap_known;
	uint64_t	dmap_base, dmap_samples, dmap_contrary;
};

/*
 * ncpu: the host's CPUs; the file's further CPUs carry perf samples, CPU c's
 * on c + n * ncpu. Stacks are interned in the pairing's table; a task's
 * process is the model's (tasks), when its event does not say.
 */
struct mr_kmem *mr_kmem_new(const struct mr_tasks *tasks, struct mr_pairing *stacks, int ncpu);
/* Every event; only the kernel memory events are looked at. */
void mr_kmem_feed(struct mr_kmem *k, const struct mr_event *ev);
bool mr_kmem_any(const struct mr_kmem *k);	/* any kernel event seen */
/* After the last event: sorts gfps[] and frags[], most used first. */
void mr_kmem_finish(struct mr_kmem *k);
/* The kernel rows: objects and pages still live, after --pid and --min-age. */
void mr_kmem_leaks(struct mr_kmem *k, struct mr_ctx *ctx, struct mr_kleaks *out);
void mr_kleaks_release(struct mr_kleaks *l);
/* mr_kmem_leaks's vmalloc and per-CPU rows, ungrouped (leak/vmalloc.c) */
void mr_kmem_vmem_rows(struct mr_kmem *k, struct mr_ctx *ctx, struct mr_kleaks *out,
		       size_t *cap);
void mr_kmem_free(struct mr_kmem *k);
#endif
