/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mr_pairing.h - turns the event stream into live heap blocks, per address
 * space. Knows glibc's nesting (reallocarray -> realloc -> malloc, strdup ->
 * malloc, new -> malloc, posix_memalign -> _mid_memalign, realloc(p, 0) ->
 * free): only the outermost call of a thread counts. The targets' own
 * anonymous mappings (mmap, mremap, munmap: include/mr_ranges.h) and the
 * program's own brk growth are blocks too (fn MR_FN_MMAP, MR_FN_BRK); the
 * mapping syscalls glibc makes inside an allocator call are the call's.
 */
#ifndef MR_PAIRING_H
#define MR_PAIRING_H

#include <stdbool.h>
#include <stdint.h>
#include "mr_event.h"
#include "mr_tasks.h"

struct mr_pairing;

struct mr_block {
	uint64_t	ptr;
	uint64_t	size;		/* bytes requested */
	uint64_t	ts;		/* when allocated */
	uint32_t	aspace;		/* struct mr_aspace.id (mr_tasks.h) */
	uint32_t	stack;		/* stack table id (mr_pairing_stack) */
	enum mr_fn	fn;		/* outermost allocator called */
	int		tid;
	bool		inherited;	/* copied into a child at fork */
};

struct mr_pair_stats {
	uint64_t	allocs;		/* blocks allocated, counted once per outer call */
	uint64_t	alloc_bytes;
	uint64_t	frees;		/* frees that matched a live block */
	uint64_t	free_bytes;
	uint64_t	unmatched_frees;/* frees of blocks allocated before recording (or lost) */
	uint64_t	null_frees;	/* free(NULL) */
	uint64_t	failed_allocs;	/* allocator returned NULL */
	uint64_t	reallocs;	/* realloc/reallocarray calls with a live old block */
	uint64_t	nested;		/* inner allocator calls folded into an outer one */
	uint64_t	orphan_returns;	/* returns without a matching entry (lost events) */
	uint64_t	orphan_entries;	/* entries whose return never came */
	uint64_t	open_at_stop;	/* calls still running when the recording stopped */
	uint64_t	replaced;	/* alloc at an address already live: old block dropped */
	uint64_t	lost_events;	/* sum of MR_EV_LOST */
	/* -e mappings: the mapping syscalls made outside any allocator call */
	uint64_t	maps;		/* anonymous mmaps */
	uint64_t	map_bytes;
	uint64_t	unmaps;		/* munmaps that unmapped recorded bytes */
	uint64_t	unmap_bytes;
	uint64_t	remaps;		/* mremaps of recorded ranges */
	uint64_t	brk_grows;	/* brk calls that grew the heap */
	uint64_t	brk_bytes;	/* their net growth */
	uint64_t	failed_maps;	/* mmap or mremap that failed */
	uint64_t	nested_maps;	/* made inside allocator calls: counted under the call */
};

/* tasks: the process model, fed each event before pairing is (mr_tasks.h) */
struct mr_pairing *mr_pairing_new(struct mr_tasks *tasks);
void mr_pairing_free(struct mr_pairing *p);
void mr_pairing_feed(struct mr_pairing *p, const struct mr_event *ev);
/* Ends open calls; blocks still live are what leak analysis reports. */
void mr_pairing_finish(struct mr_pairing *p, uint64_t end_ts);

const struct mr_pair_stats *mr_pairing_stats(const struct mr_pairing *p);

/* Calls fn for every live block; a non-zero return stops the walk. */
int mr_pairing_for_each_live(const struct mr_pairing *p,
			     int (*fn)(const struct mr_block *b, void *ctx), void *ctx);

/*
 * Calls for analysers that follow the heap over time: live when a block
 * becomes live (an outermost allocation; a realloc is dead + live), dead
 * when a live block is freed or replaced at ts. Blocks a child inherits at
 * fork do not pass here.
 */
struct mr_pairing_hooks {
	void	(*live)(const struct mr_block *b, void *ctx);
	void	(*dead)(const struct mr_block *b, uint64_t ts, void *ctx);
	void	*ctx;
};
void mr_pairing_set_hooks(struct mr_pairing *p, const struct mr_pairing_hooks *h);

/* The id of a stack (frames innermost first) in the pairing's stack table. */
uint32_t mr_pairing_intern(struct mr_pairing *p, const uint64_t *frames, int n);

/* Frames of a stack id, innermost first; every frame is a return address. */
const uint64_t *mr_pairing_stack(const struct mr_pairing *p, uint32_t id, int *nr);

#endif
