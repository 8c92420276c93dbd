// SPDX-License-Identifier: GPL-2.0
/*
 * stacks.c - the user stack an event really has: --call-graph dwarf copies
 * unwound with the modules' CFI as they are read, frame-pointer chains cut
 * where they leave the mapped modules, and a forked child's view of its
 * parent's modules.
 */
#include <string.h>
#include "memrec.h"
#include "model/context.h"

/*
 * A kernel allocation has a frame-pointer chain and a small stack copy. The
 * chain starts at the interrupted ip and goes on from the caller's frame
 * pointer, so it skips the direct caller of a frameless function (a libc
 * syscall wrapper). Unwinding the copy with the CFI gives that caller (u[1];
 * the copy is too short to trust further): it goes in as frame 1 unless the
 * chain has it already.
 */
static int merge_chains(const uint64_t *u, int nu, const uint64_t *f, int nf, uint64_t *out,
			bool whole)
{
	int n;

	if (nu < 2 || nf < 1 || u[0] != f[0] || (nf > 1 && f[1] == u[1]))
		return 0;
	/*
	 * A mapping syscall's chain that stops at the ip (code using rbp for
	 * data, as sbrk does): the copy's frames are all there is, and each
	 * was read inside the copy; the caller of sbrk is what the row needs.
	 */
	if (whole && nf == 1) {
		memcpy(out, u, nu * sizeof(*u));
		return nu;
	}
	out[0] = f[0];
	out[1] = u[1];
	n = nf - 1 < MR_MAX_STACK - 2 ? nf - 1 : MR_MAX_STACK - 2;
	memcpy(out + 2, f + 1, n * sizeof(*f));
	return 2 + n;
}

/*
 * A frame-pointer walk through code that uses rbp as a scratch register
 * (much of libc) reads stack data as return addresses: the chain ends at
 * the first address no module maps.
 */
/*
 * Whether pid has a module mapped at addr. Mappings only ever add up (munmap
 * is not recorded), so a range once found mapped stays mapped: the last
 * few are kept and most frames are answered without a lookup.
 */
static bool mapped(struct mr_ctx *ctx, int pid, uint64_t ts, uint64_t addr)
{
	unsigned int n = ARRAY_SIZE(ctx->mapped), k;

	for (unsigned int i = 0; i < n; i++)
		if (ctx->mapped[i].pid == pid && addr >= ctx->mapped[i].start &&
		    addr < ctx->mapped[i].end)
			return true;
	k = ctx->mapped_next++ % n;
	if (!mr_symbols_mapped_range(ctx->symbols, pid, ts, addr, &ctx->mapped[k].start,
				     &ctx->mapped[k].end))
		return false;
	ctx->mapped[k].pid = pid;
	return true;
}

static int mapped_prefix(struct mr_ctx *ctx, const struct mr_event *ev, const uint64_t *f,
			 int n)
{
	int pid = ev->tgid ? ev->tgid : ev->tid;

	for (int i = 1; i < n; i++)
		if (!mapped(ctx, pid, ev->ts, f[i]))
			return i;
	return n;
}

/*
 * A frame-pointer chain (perf's or ftrace's) of a process whose modules the
 * file knows, cut at the first frame no module maps: the rest is stack data
 * read as return addresses. Fills *out and frames[] and returns true when
 * it cut; a process the file has no mapping of is left alone.
 */
bool mr_ctx_cut_chain(struct mr_ctx *ctx, const struct mr_event *ev, struct mr_event *out,
		      uint64_t *frames)
{
	int pid = ev->tgid ? ev->tgid : ev->tid, n;

	if (!ev->stack || ev->nr_stack < 2 || !mr_symbols_knows(ctx->symbols, pid))
		return false;
	n = mapped_prefix(ctx, ev, ev->stack, ev->nr_stack);
	if (n == ev->nr_stack)
		return false;
	*out = *ev;
	memcpy(frames, ev->stack, n * sizeof(*frames));
	out->stack = frames;
	out->nr_stack = n;
	ctx->cut_chains++;
	return true;
}

/* --call-graph dwarf: the stack comes from unwinding the copy now. */
bool mr_ctx_unwind(struct mr_ctx *ctx, const struct mr_event *ev, struct mr_event *out,
		   uint64_t *frames)
{
	uint64_t u[MR_MAX_STACK];
	int nu;

	if (!ev->uregs)
		return false;
	*out = *ev;
	nu = mr_symbols_unwind(ctx->symbols, ev->tgid ? ev->tgid : ev->tid, ev->ts, ev->uregs,
			       ev->ustack_copy, ev->ustack_len, u, MR_MAX_STACK);
	if (ev->nr_stack > 0 && ev->stack) {
		out->nr_stack = merge_chains(u, nu, ev->stack, ev->nr_stack, frames,
					     ev->kind == MR_EV_MAP_ENTER);
		if (!out->nr_stack) {
			out->nr_stack = ev->nr_stack;
			memcpy(frames, ev->stack, ev->nr_stack * sizeof(*frames));
		}
		out->nr_stack = mapped_prefix(ctx, ev, frames, out->nr_stack);
	} else {
		out->nr_stack = nu;
		memcpy(frames, u, nu * sizeof(*frames));
	}
	out->stack = frames;
	ctx->unwound++;
	return true;
}

/* A forked child's modules are its parent's until it maps its own. */
void mr_ctx_note_fork(struct mr_ctx *ctx, const struct mr_event *ev)
{
	const struct mr_aspace *as = mr_tasks_find_aspace(ctx->tasks, ev->child_tid, ev->ts);
	const struct mr_aspace *parent;

	if (!as || as->parent_id < 0 || as->pid != ev->child_tid)
		return;
	parent = mr_tasks_aspace(ctx->tasks, as->parent_id);
	if (parent && parent->pid != as->pid)
		mr_symbols_inherit(ctx->symbols, as->pid, parent->pid, ev->ts);
}

