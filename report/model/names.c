// SPDX-License-Identifier: GPL-2.0
/*
 * names.c - what the rows of every report are shown with: symbolised user
 * stacks (with inlined calls as frames), kernel stacks named from the
 * file's kallsyms, process names and times relative to the recording.
 * Only the rows that are printed are looked up.
 */
#include <string.h>
#include "memrec.h"
#include "model/context.h"

int mr_ctx_frames(struct mr_ctx *ctx, int pid, uint32_t stack, uint64_t ts, bool first_ip,
		  struct mr_frame *frames, int max)
{
	const uint64_t *addrs;
	int nr, out = 0;

	if (stack == MR_NO_STACK)
		return 0;
	addrs = mr_pairing_stack(ctx->pairing, stack, &nr);
	/* inlined calls add frames, so the stack can fill frames[] early */
	for (int i = 0; i < nr && out < max; i++)
		out += mr_symbols_lookup_inline(ctx->symbols, pid, ts, addrs[i], i > 0 || !first_ip,
						&frames[out], max - out);
	return out;
}

int mr_ctx_kframes(struct mr_ctx *ctx, uint32_t stack, struct mr_frame *frames, int max)
{
	const uint64_t *addrs;
	int nr, out;

	if (stack == MR_NO_STACK)
		return 0;
	addrs = mr_pairing_stack(ctx->pairing, stack, &nr);
	for (out = 0; out < nr && out < max; out++) {
		frames[out] = (struct mr_frame){ .addr = addrs[out], .module = "[kernel]" };
		frames[out].function = mr_ctx_ksym(ctx, addrs[out], &frames[out].offset);
	}
	return out;
}

int mr_ctx_aspace_pid(struct mr_ctx *ctx, uint32_t aspace)
{
	const struct mr_aspace *as = mr_tasks_aspace(ctx->tasks, aspace);

	return as ? as->pid : 0;
}

const char *mr_ctx_pid_comm(struct mr_ctx *ctx, int pid)
{
	const struct mr_aspace *as = mr_tasks_find_aspace(ctx->tasks, pid, ctx->end_ts);
	const char *c = as && as->comm[0] ? as->comm : NULL;

	return c ? c : ctx->reader ? mr_reader_comm(ctx->reader, pid) : "?";
}

const char *mr_ctx_ksym(struct mr_ctx *ctx, uint64_t addr, uint64_t *off)
{
	return ctx->reader ? mr_reader_ksym(ctx->reader, addr, off) : NULL;
}

const char *mr_ctx_comm(struct mr_ctx *ctx, uint32_t aspace)
{
	const struct mr_aspace *as = mr_tasks_aspace(ctx->tasks, aspace);
	const char *slash;

	if (!as)
		return "?";
	if (as->comm[0])
		return as->comm;
	if (as->exe) {
		slash = strrchr(as->exe, '/');
		return slash ? slash + 1 : as->exe;
	}
	return "?";
}

/* Seconds from the start of the recording (negative before it). */
double mr_ctx_rel_s(const struct mr_ctx *ctx, uint64_t ts)
{
	uint64_t origin = ctx->meta.start_ts ? ctx->meta.start_ts : ctx->rstats.first_ts;

	return (double)(int64_t)(ts - origin) / 1e9;
}
