/* SPDX-License-Identifier: GPL-2.0 */
/*
 * frag.h - the sections of `memrec report frag` (output/frag.c puts them
 * in order): each writes its part of the text report, or the value of its
 * member of the JSON object (named by the caller with mr_json_key()).
 */
#ifndef MR_OUTPUT_FRAG_H
#define MR_OUTPUT_FRAG_H

#include <stdio.h>
#include "mr_json.h"
#include "frag/frag.h"

int mr_frag_slab_text(FILE *f, struct mr_ctx *ctx, const struct mr_frag *fr);	/* frag_kernel.c */
void mr_frag_slab_json(struct mr_json *j, struct mr_ctx *ctx, const struct mr_frag *fr);
int mr_frag_pages_text(FILE *f, struct mr_ctx *ctx, const struct mr_frag *fr);
void mr_frag_pages_json(struct mr_json *j, struct mr_ctx *ctx, const struct mr_frag *fr);
int mr_frag_vmalloc_text(FILE *f, struct mr_ctx *ctx, const struct mr_frag *fr); /* frag_vmalloc.c */
void mr_frag_vmalloc_json(struct mr_json *j, struct mr_ctx *ctx, const struct mr_frag *fr);
int mr_frag_zone_text(FILE *f, struct mr_ctx *ctx, const struct mr_frag *fr);	/* frag_zone.c */
void mr_frag_zone_json(struct mr_json *j, struct mr_ctx *ctx, const struct mr_frag *fr);
int mr_frag_heap_text(FILE *f, struct mr_ctx *ctx, const struct mr_frag *fr);	/* frag_heap.c */
void mr_frag_heap_json(struct mr_json *j, struct mr_ctx *ctx, const struct mr_frag *fr);
#endif
