// SPDX-License-Identifier: GPL-2.0
/*
 * frag.c - the frag analyser: the kernel side's figures (kmem.c), the user
 * heap (heap.c, fed by the pairing hooks) and the zones before vs after
 * (zone.c, from the file's /proc snapshots).
 */
#include <stdlib.h>
#include "memrec.h"
#include "model/analyser.h"
#include "frag/frag.h"

static void heap_live(const struct mr_block *b, void *arg)
{
	mr_frag_heap_live(arg, b);
}

static void heap_dead(const struct mr_block *b, uint64_t ts, void *arg)
{
	mr_frag_heap_dead(arg, b, ts);
}

static void *frag_new(struct mr_ctx *ctx)
{
	struct mr_frag *fr = mr_xcalloc(1, sizeof(*fr));
	struct mr_pairing_hooks hooks = { heap_live, heap_dead, NULL };

	fr->kmem = mr_kmem_new(ctx->tasks, ctx->pairing, ctx->meta.nr_cpus);
	fr->heap = mr_frag_heap_new();
	hooks.ctx = fr->heap;
	mr_pairing_set_hooks(ctx->pairing, &hooks);
	return fr;
}

static void frag_feed(void *state, const struct mr_event *ev)
{
	struct mr_frag *fr = state;

	mr_kmem_feed(fr->kmem, ev);
}

static void frag_finish(void *state, struct mr_ctx *ctx)
{
	struct mr_frag *fr = state;

	mr_kmem_finish(fr->kmem);
	mr_frag_heap_finish(fr->heap, ctx);
	mr_zones_load(&fr->zones, &ctx->snaps);
}

static void frag_free(void *state)
{
	struct mr_frag *fr = state;

	mr_zones_release(&fr->zones);
	mr_frag_heap_free(fr->heap);
	mr_kmem_free(fr->kmem);
	free(fr);
}

const struct mr_analyser mr_frag_analyser = {
	.name = "frag", .new = frag_new, .feed = frag_feed, .finish = frag_finish,
	.free = frag_free,
};
