// SPDX-License-Identifier: GPL-2.0
/*
 * context.c - the model every analyser reads: made from the file's
 * metadata, fed each event once (stack unwinding, pairing, the modules a
 * forked child sees) before the analysers see it, and finished after the
 * last one.
 */
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "model/context.h"

/* Symbols must be ready before the events: dwarf stacks are unwound as read. */
static void setup_symbols(struct mr_ctx *ctx, const void *archive, uint32_t archive_size)
{
	const struct mr_meta *m = &ctx->meta;

	ctx->symbols = mr_symbols_new();
	ctx->unpacked = mr_unpack_symbols(ctx->o->input, archive, archive_size);
	if (ctx->unpacked)
		mr_symbols_add_debug_dir(ctx->symbols, ctx->unpacked, "the copy in the trace file");
	for (int i = 0; i < ctx->o->nr_debug_dirs; i++)
		mr_symbols_add_debug_dir(ctx->symbols, ctx->o->debug_dirs[i], "--debug-dir");
	if (ctx->o->sysroot)
		mr_symbols_set_sysroot(ctx->symbols, ctx->o->sysroot);
	for (int i = 0; i < m->nr_maps; i++) {
		const struct mr_meta_map *p = &m->maps[i];
		const char *bid = p->build_id ? p->build_id : mr_meta_buildid_of(m, p->path);

		mr_symbols_add_map(ctx->symbols, p->pid, p->ts, p->start, p->len, p->pgoff,
				   p->path, bid);
	}
}

int mr_ctx_open(struct mr_ctx *ctx, const struct mr_report_opts *o)
{
	struct mr_cpu_layout layout;
	uint32_t archive_size;
	void *archive;

	memset(ctx, 0, sizeof(*ctx));
	ctx->o = o;
	if (mr_input_read_meta(o->input, &ctx->meta, &ctx->snaps, &archive, &archive_size,
			       &layout) < 0)
		return -1;
	ctx->reader = mr_reader_open(o->input, &layout);
	mr_cpu_layout_release(&layout);
	if (ctx->reader) {
		ctx->tasks = mr_tasks_new();
		ctx->pairing = mr_pairing_new(ctx->tasks);
		setup_symbols(ctx, archive, archive_size);
	}
	free(archive);
	return ctx->reader ? 0 : -1;
}

static bool in_libc(struct mr_ctx *ctx, int pid, uint64_t ts, uint64_t addr)
{
	const char *m = mr_symbols_module(ctx->symbols, pid, ts, addr);
	const char *base = m ? strrchr(m, '/') : NULL;

	return base && (!strncmp(base, "/libc.so", 8) || !strncmp(base, "/libc-", 6));
}

/*
 * A free of a block never seen allocated, made with nothing but glibc on
 * the stack: glibc flushing a thread's cache at its exit (tcache_thread_
 * shutdown frees the chunks the cache held, which the program had freed
 * already, and the cache itself, which malloc took without a call of its
 * own). A free called by the program has the program's frame on its stack.
 */
static bool libc_own_free(struct mr_ctx *ctx, const struct mr_event *ev)
{
	int pid = ev->tgid ? ev->tgid : ev->tid;

	if (!in_libc(ctx, pid, ev->ts, ev->caller))
		return false;
	for (int i = 0; i < ev->nr_stack; i++)
		if (!in_libc(ctx, pid, ev->ts, ev->stack[i]))
			return false;
	return true;
}

/*
 * glibc's allocator internals that map: free() sets up a thread's cache and
 * arena on its first call (and trims), and free has no return probe to
 * tell the calls it makes apart; the others are malloc's own.
 */
static bool allocator_fn(const char *fn)
{
	static const char *const names[] = {
		"tcache_init", "arena_get2", "_int_new_arena", "new_heap", "alloc_new_heap",
		"sysmalloc", "sysmalloc_mmap", "sysmalloc_mmap_fallback", "systrim", "heap_trim",
		"shrink_heap", "grow_heap", "munmap_chunk", "mremap_chunk", "_int_malloc",
		"_int_free", "_int_realloc", "_int_memalign", "malloc_consolidate", "ptmalloc_init",
		"__libc_malloc", "__libc_free", "__libc_realloc", "__libc_calloc", "__libc_memalign",
		"_mid_memalign", "__glibc_morecore", "__malloc_trim", "mtrim", "malloc", "free",
		"realloc", "calloc", "__libc_valloc", "__libc_pvalloc", "_int_pvalloc",
	};
	size_t n = strcspn(fn, ".");	/* sysmalloc_mmap.constprop.0 */

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strlen(names[i]) == n && !strncmp(fn, names[i], n))
			return true;
	return false;
}

/* Whether frame i of the libc frames at the top of ev's stack is in the allocator. */
static bool in_allocator(struct mr_ctx *ctx, const struct mr_event *ev, int i)
{
	int pid = ev->tgid ? ev->tgid : ev->tid;
	const char *fn = mr_symbols_function(ctx->symbols, pid, ev->ts, ev->stack[i], i > 0);

	return fn && allocator_fn(fn);
}

/*
 * A mapping syscall's stack starts in libc (the syscall wrapper, sbrk,
 * pthread_create's stack cache...): frame 0 of its row is the first frame
 * of the program's own, as an allocator row's is the allocator's caller.
 */
static const struct mr_event *skip_libc_frames(struct mr_ctx *ctx, const struct mr_event *ev,
					       struct mr_event *copy, uint64_t *frames)
{
	int pid = ev->tgid ? ev->tgid : ev->tid, n = 0;
	bool alloc = false;

	while (n < ev->nr_stack - 1 && in_libc(ctx, pid, ev->ts, ev->stack[n])) {
		alloc = alloc || in_allocator(ctx, ev, n);
		n++;
	}
	if (!n)
		return ev;
	if (ev != copy)
		*copy = *ev;
	copy->in_allocator = alloc;
	memmove(frames, ev->stack + n, (ev->nr_stack - n) * sizeof(*frames));
	copy->stack = frames;
	copy->nr_stack = ev->nr_stack - n;
	return copy;
}

const struct mr_event *mr_ctx_feed(struct mr_ctx *ctx, const struct mr_event *ev,
				   struct mr_event *copy, uint64_t *frames)
{
	uint64_t unmatched = mr_pairing_stats(ctx->pairing)->unmatched_frees;

	if (mr_ctx_unwind(ctx, ev, copy, frames) || mr_ctx_cut_chain(ctx, ev, copy, frames))
		ev = copy;
	if (ev->kind == MR_EV_EXIT && ev->group_dead < 0) {
		if (ev != copy)
			*copy = *ev;
		copy->group_dead = mr_tasks_last_of_group(ctx->tasks, ev->tid, ev->tgid);
		ev = copy;
	}
	if (ev->kind == MR_EV_MAP_ENTER && ev->stack && ev->nr_stack > 1)
		ev = skip_libc_frames(ctx, ev, copy, frames);
	mr_tasks_feed(ctx->tasks, ev);
	mr_pairing_feed(ctx->pairing, ev);
	if (mr_pairing_stats(ctx->pairing)->unmatched_frees != unmatched && ev->fn == MR_FN_FREE &&
	    libc_own_free(ctx, ev))
		ctx->libc_frees++;
	if (ev->kind == MR_EV_TASK_NEW)
		mr_ctx_note_fork(ctx, ev);
	return ev;
}

void mr_ctx_finish(struct mr_ctx *ctx)
{
	uint64_t stats = mr_meta_lost(&ctx->meta);

	ctx->rstats = *mr_reader_stats(ctx->reader);
	ctx->end_ts = ctx->meta.stop_ts > ctx->rstats.last_ts ? ctx->meta.stop_ts
							      : ctx->rstats.last_ts;
	/* events come in before the start and after the stop stamp: the span holds them all */
	ctx->begin_ts = ctx->rstats.first_ts && ctx->rstats.first_ts < ctx->meta.start_ts ?
			ctx->rstats.first_ts : ctx->meta.start_ts;
	if (ctx->begin_ts > ctx->end_ts)
		ctx->begin_ts = ctx->end_ts;
	mr_pairing_finish(ctx->pairing, ctx->end_ts);
	/* the pages' own marks and the stats count the same losses: take the larger */
	ctx->lost_total = stats > ctx->rstats.missed ? stats : ctx->rstats.missed;
	mr_info(1, "%llu records, %llu events, %llu user stacks (%llu unwound)",
		(unsigned long long)ctx->rstats.records, (unsigned long long)ctx->rstats.events,
		(unsigned long long)ctx->rstats.stacks, (unsigned long long)ctx->unwound);
}

void mr_ctx_release(struct mr_ctx *ctx)
{
	mr_reader_close(ctx->reader);
	mr_symbols_free(ctx->symbols);
	mr_unpack_remove(ctx->unpacked);
	mr_pairing_free(ctx->pairing);
	mr_tasks_free(ctx->tasks);
	mr_snapshots_release(&ctx->snaps);
	mr_meta_release(&ctx->meta);
	memset(ctx, 0, sizeof(*ctx));
}
