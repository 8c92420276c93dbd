// SPDX-License-Identifier: GPL-2.0
/*
 * frag_vmalloc.c - the vmalloc section of `memrec report frag`, from
 * leak/vmalloc.c: the targets' areas by size class (allocated, still
 * live), the lazy-free backlog (areas unmapped but whose address space
 * waits for a purge: the targets' at the end, the host's pages at the last
 * free, against the kernel's limit) and the per-CPU totals.
 */
#include <inttypes.h>
#include "memrec.h"
#include "output/output.h"
#include "output/frag.h"

static void live_totals(const struct mr_vmem_stats *st, uint64_t *n, uint64_t *bytes)
{
	*n = *bytes = 0;
	for (int c = 0; c < MR_VMEM_SIZES; c++) {
		*n += st->sizes[c].live;
		*bytes += st->sizes[c].live_bytes;
	}
}

static void class_name(char *buf, size_t len, int c)
{
	uint64_t max = mr_vmem_class_max(c);

	if (max == UINT64_MAX)
		snprintf(buf, len, "> %" PRIu64 " KiB", mr_vmem_class_max(c - 1) >> 10);
	else
		snprintf(buf, len, "<= %" PRIu64 " KiB", max >> 10);
}

int mr_frag_vmalloc_text(FILE *f, struct mr_ctx *ctx, const struct mr_frag *fr)
{
	const struct mr_vmem *v = fr->kmem->vmem;
	const struct mr_vmem_stats *st = &v->st;
	uint64_t live, live_bytes;
	char name[32];

	(void)ctx;
	fprintf(f, "\nvmalloc (areas as reserved: guard page included; a freed area's address "
		"space waits for a lazy purge)\n");
	if (!mr_vmem_any(v)) {
		fprintf(f, "  no vmalloc or per-CPU events in this file (memrec records them with -e kernel)\n");
		return 0;
	}
	live_totals(st, &live, &live_bytes);
	fprintf(f, "  total      %" PRIu64 " areas allocated (%" PRIu64 " bytes), %" PRIu64
		" failed, %" PRIu64 " freed, %" PRIu64 " still allocated (%" PRIu64 " bytes)\n",
		st->vmap_allocs, st->vmap_bytes, st->vmap_fails, st->vmap_frees, live, live_bytes);
	fprintf(f, "  lazy-free  %" PRIu64 " of these areas (%" PRIu64 " bytes) freed and not yet "
		"purged at the end", st->lazy_areas, st->lazy_bytes);
	/* every free says the host's backlog; without one there is no figure */
	if (st->vmap_frees + st->vmap_unmatched)
		fprintf(f, "; host-wide %" PRIu64 " pages waiting at the last free (peak %" PRIu64
			", purged above %" PRIu64 ")", st->lazy_pages, st->lazy_peak_pages,
			st->lazy_max_pages);
	fprintf(f, "; %" PRIu64 " purges gave back %" PRIu64 " areas\n", st->purges,
		st->purged_areas);
	fprintf(f, "  per-CPU    %" PRIu64 " allocations (%" PRIu64 " bytes on all CPUs), %" PRIu64
		" frees\n", st->pcpu_allocs, st->pcpu_bytes, st->pcpu_frees);
	if (!st->vmap_allocs)
		return 0;
	fprintf(f, "\n  %-12s %10s %14s %10s %14s\n", "size", "areas", "bytes", "live",
		"live bytes");
	for (int c = 0; c < MR_VMEM_SIZES; c++) {
		const struct mr_vmem_class *k = &st->sizes[c];

		if (!k->allocs)
			continue;
		class_name(name, sizeof(name), c);
		fprintf(f, "  %-12s %10" PRIu64 " %14" PRIu64 " %10" PRIu64 " %14" PRIu64 "\n",
			name, k->allocs, k->bytes, k->live, k->live_bytes);
	}
	return 0;
}

void mr_frag_vmalloc_json(struct mr_json *j, struct mr_ctx *ctx, const struct mr_frag *fr)
{
	const struct mr_vmem_stats *st = &fr->kmem->vmem->st;
	uint64_t live, live_bytes;

	(void)ctx;
	live_totals(st, &live, &live_bytes);
	mr_json_object_begin(j, NULL, MR_JSON_BLOCK);
	mr_json_bool(j, "recorded", mr_vmem_any(fr->kmem->vmem));
	mr_json_uint(j, "allocs", st->vmap_allocs);
	mr_json_uint(j, "bytes", st->vmap_bytes);
	mr_json_uint(j, "failed", st->vmap_fails);
	mr_json_uint(j, "frees", st->vmap_frees);
	mr_json_uint(j, "unmatched_frees", st->vmap_unmatched);
	mr_json_uint(j, "live", live);
	mr_json_uint(j, "live_bytes", live_bytes);
	mr_json_uint(j, "lazy_areas", st->lazy_areas);
	mr_json_uint(j, "lazy_bytes", st->lazy_bytes);
	mr_json_uint(j, "lazy_pages", st->lazy_pages);
	mr_json_uint(j, "lazy_peak_pages", st->lazy_peak_pages);
	mr_json_uint(j, "lazy_max_pages", st->lazy_max_pages);
	mr_json_uint(j, "purges", st->purges);
	mr_json_uint(j, "purged_areas", st->purged_areas);
	mr_json_uint(j, "percpu_allocs", st->pcpu_allocs);
	mr_json_uint(j, "percpu_bytes", st->pcpu_bytes);
	mr_json_uint(j, "percpu_frees", st->pcpu_frees);
	mr_json_array_begin(j, "sizes", MR_JSON_BLOCK);
	for (int c = 0; c < MR_VMEM_SIZES; c++) {
		const struct mr_vmem_class *k = &st->sizes[c];

		if (!k->allocs)
			continue;
		mr_json_object_begin(j, NULL, MR_JSON_LINE);
		if (mr_vmem_class_max(c) == UINT64_MAX)
			mr_json_null(j, "max_bytes");
		else
			mr_json_uint(j, "max_bytes", mr_vmem_class_max(c));
		mr_json_uint(j, "allocs", k->allocs);
		mr_json_uint(j, "bytes", k->bytes);
		mr_json_uint(j, "live", k->live);
		mr_json_uint(j, "live_bytes", k->live_bytes);
		mr_json_object_end(j);
	}
	mr_json_array_end(j);
	mr_json_object_end(j);
}
