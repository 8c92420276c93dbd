/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmalloc.h - the kernel's vmalloc areas and per-CPU allocations (record
 * -e kernel): areas paired by start address, per-CPU objects by pointer,
 * areas by size, and the lazy-free backlog. struct mr_kmem keeps one
 * (leak/kmem.c), so the leak and frag analysers both have it.
 */
#ifndef MR_VMALLOC_H
#define MR_VMALLOC_H

#include <stdbool.h>
#include <stdint.h>
#include "model/context.h"

/* Size classes of areas: up to 4 KiB << i; the last one holds all larger. */
#define MR_VMEM_SIZES	16

struct mr_vmem_class {
	uint64_t	allocs, bytes;		/* allocated in the trace */
	uint64_t	live, live_bytes;	/* of those, not freed at the end */
};

struct mr_vmem_stats {
	uint64_t	vmap_allocs, vmap_fails, vmap_bytes;
	uint64_t	vmap_frees;		/* lazily freed: unmapped, not yet purged */
	uint64_t	vmap_unmatched;		/* frees of areas allocated before */
	uint64_t	vmap_frees_other;	/* freed by another process (kworkers) */
	uint64_t	purges, purged_areas;	/* purge_vmap_area_lazy: calls, areas */
	/* the host's lazily freed pages waiting for a purge (every free says) */
	uint64_t	lazy_pages, lazy_peak_pages, lazy_max_pages;
	/* the targets' areas freed but not yet purged at the end */
	uint64_t	lazy_areas, lazy_bytes;
	uint64_t	pcpu_allocs, pcpu_bytes, pcpu_frees, pcpu_unmatched;
	/* kernel stacks of tasks that exited: cached or freed after the recording */
	uint64_t	exited_stacks, exited_stack_bytes;
	struct mr_vmem_class	sizes[MR_VMEM_SIZES];
};

struct mr_vmem {
	struct mr_vmem_stats	st;
	struct vmem_priv	*priv;
};

/* One live area or per-CPU object, for the leak rows (leak/kmem.c groups them). */
struct mr_vmem_live {
	bool		percpu;
	bool		exited_stack;	/* the kernel stack of a task that exited */
	int		pid;
	uint32_t	kstack, ustack;
	uint64_t	bytes, call_site, ts;
};

struct mr_vmem *mr_vmem_new(const struct mr_tasks *tasks, struct mr_pairing *stacks, int ncpu);
/* True when ev was a vmalloc or per-CPU event. */
bool mr_vmem_feed(struct mr_vmem *v, const struct mr_event *ev);
bool mr_vmem_any(const struct mr_vmem *v);
/* The live areas and objects, one by one; fn's return is ignored. */
void mr_vmem_each_live(const struct mr_vmem *v, void (*fn)(const struct mr_vmem_live *o,
							   void *arg), void *arg);
/* Smallest class holding bytes, and the class's upper bound. */
int mr_vmem_class(uint64_t bytes);
uint64_t mr_vmem_class_max(int class);
void mr_vmem_free(struct mr_vmem *v);
#endif
