// SPDX-License-Identifier: GPL-2.0
/*
 * leak_folded.c - the leak report as folded stacks, what flamegraph.pl,
 * inferno and speedscope read: a line per stack, its frames outermost
 * first and joined by ';', then a space and the value: the bytes still
 * allocated, or the blocks with --value blocks. The first frame is the
 * process, "comm (pid)"; a user row ends at its allocator; a kernel row goes
 * on from the user stack that caused it into the kernel (frames suffixed
 * "_[k]", as perf's folded output marks them) and ends at the slab cache or
 * page order. A frame without a symbol is its module, "[libfoo.so]", or
 * "[unknown]".
 */
#include <inttypes.h>
#include <string.h>
#include "memrec.h"
#include "leak/leak.h"
#include "output/output.h"

/* A name in a frame: ';' would split it and a control byte break the line. */
static void put_name(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == ';' ? ':' : (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

static void put_frame(FILE *f, const struct mr_frame *fr, bool kernel)
{
	const char *slash;

	fputc(';', f);
	if (fr->function) {
		put_name(f, fr->function);
	} else if (fr->module) {
		slash = strrchr(fr->module, '/');
		fputc('[', f);
		put_name(f, slash ? slash + 1 : fr->module);
		fputc(']', f);
	} else {
		fputs("[unknown]", f);
	}
	if (kernel)
		fputs("_[k]", f);
}

/* frames[] is innermost first: the line wants them the other way round. */
static void put_frames(FILE *f, const struct mr_frame *frames, int nr, bool kernel)
{
	for (int i = nr - 1; i >= 0; i--)
		put_frame(f, &frames[i], kernel);
}

static void put_process(FILE *f, const char *comm, int pid)
{
	put_name(f, comm);
	fprintf(f, " (%d)", pid);
}

static void user_row(FILE *f, struct mr_ctx *ctx, const struct mr_leak *l, bool blocks)
{
	int pid = mr_ctx_aspace_pid(ctx, l->aspace);
	struct mr_frame frames[MR_MAX_STACK];
	int nr = mr_ctx_frames(ctx, pid, l->stack, l->ts_min, false, frames, MR_MAX_STACK);

	put_process(f, mr_ctx_comm(ctx, l->aspace), pid);
	put_frames(f, frames, nr, false);
	fprintf(f, ";%s %" PRIu64 "\n", mr_fn_name(l->fn), blocks ? l->count : l->bytes);
}

static void kernel_row(FILE *f, struct mr_ctx *ctx, const struct mr_kmem *k,
		       const struct mr_kleak *l, bool blocks)
{
	struct mr_frame frames[MR_MAX_STACK];
	int nr;

	put_process(f, mr_ctx_pid_comm(ctx, l->pid), l->pid);
	nr = mr_ctx_frames(ctx, l->pid, l->ustack, l->ts_min, true, frames, MR_MAX_STACK);
	put_frames(f, frames, nr, false);
	nr = mr_ctx_kframes(ctx, l->kstack, frames, MR_MAX_STACK);
	put_frames(f, frames, nr, true);
	if (l->page) {
		fprintf(f, ";order-%d pages_[k]", l->order);
	} else {
		const struct mr_kmem_site *s = mr_kleak_site(k, l);

		fputc(';', f);
		put_name(f, !s ? mr_kleak_kind_name(l) : s->cache ? s->cache : "kmalloc");
		fputs("_[k]", f);
	}
	fprintf(f, " %" PRIu64 "\n", blocks ? l->count : l->bytes);
}

int mr_leak_write_folded(FILE *f, struct mr_ctx *ctx, const void *state)
{
	const struct mr_leak_report *r = state;
	bool blocks = ctx->o->value_blocks;

	for (size_t i = 0; i < mr_top(ctx, r->user.nr); i++)
		user_row(f, ctx, &r->user.rows[i], blocks);
	for (size_t i = 0; i < mr_top(ctx, r->kernel.nr); i++)
		kernel_row(f, ctx, r->kmem, &r->kernel.rows[i], blocks);
	return ferror(f) ? -1 : 0;
}
