// SPDX-License-Identifier: GPL-2.0
/*
 * frag_zone.c - the zones section of `memrec report frag` (frag/zone.c's
 * tables): free blocks per zone and order before vs after with the unusable
 * free space index, free blocks per migratetype and the slab caches that
 * grew most.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "frag/frag.h"
#include "output/output.h"
#include "output/frag.h"

/* How many of the grown caches to show: --top, 0 for all. */
static size_t slab_rows(const struct mr_ctx *ctx, const struct mr_slab_summary *sum)
{
	int top = ctx->o ? ctx->o->top : 0;

	return top > 0 && (size_t)top < sum->grew ? (size_t)top : sum->grew;
}

static const char *slab_name(const struct mr_slab_change *c)
{
	return (c->s[MR_ZONE_START] ? c->s[MR_ZONE_START] : c->s[MR_ZONE_STOP])->name;
}

/* ---- text ---- */

static void text_missing(FILE *f, const char *name, bool have_start, bool have_stop)
{
	if (have_start && have_stop)
		return;
	if (!have_start && !have_stop)
		fprintf(f, "  not recorded (/proc/%s could not be read%s)\n", name,
			strcmp(name, "buddyinfo") ? "; it is root-only on most kernels" : "");
	else
		fprintf(f, "  only the %s snapshot was recorded\n", have_start ? "start" : "stop");
}

static void text_counts(FILE *f, const char *label, const char *side, const struct mr_zrow *r,
			int orders)
{
	fprintf(f, "    %-12s%-6s", label, side);
	if (!r) {
		fputs("  (not recorded)\n", f);
		return;
	}
	for (int i = 0; i < orders; i++)
		if (i < r->nr)
			fprintf(f, " %7" PRIu64, r->n[i]);
		else
			fputs("       -", f);
	fputc('\n', f);
}

static void text_unusable(FILE *f, const char *label, const char *side, const struct mr_zrow *r,
			  int orders)
{
	fprintf(f, "    %-12s%-6s", label, side);
	if (!r) {
		fputs("  (not recorded)\n", f);
		return;
	}
	for (int i = 0; i < orders; i++)
		fprintf(f, " %7.3f", mr_zone_unusable_index(r, i));
	fputc('\n', f);
}

static void text_pages_change(FILE *f, const struct mr_zrow *a, const struct mr_zrow *b)
{
	if (a)
		fprintf(f, "%" PRIu64, mr_zone_pages_from(a, 0));
	else
		fputc('-', f);
	fputs(" -> ", f);
	if (b)
		fprintf(f, "%" PRIu64, mr_zone_pages_from(b, 0));
	else
		fputc('-', f);
	if (a && b)
		fprintf(f, " (%+" PRId64 ")", (int64_t)(mr_zone_pages_from(b, 0) - mr_zone_pages_from(a, 0)));
}

static void text_buddy_zone(FILE *f, const struct mr_zones *z, const struct mr_zrow *key)
{
	const struct mr_zrow *a = mr_zone_find_row(&z->buddy[MR_ZONE_START], key->node, key->zone, "");
	const struct mr_zrow *b = mr_zone_find_row(&z->buddy[MR_ZONE_STOP], key->node, key->zone, "");
	int orders = a ? a->nr : 0;

	if (b && b->nr > orders)
		orders = b->nr;
	fprintf(f, "  node %d, zone %s: free pages ", key->node, key->zone);
	text_pages_change(f, a, b);
	fprintf(f, "\n    %-18s", "order");
	for (int i = 0; i < orders; i++)
		fprintf(f, " %7d", i);
	fputc('\n', f);
	text_counts(f, "free blocks", "start", a, orders);
	text_counts(f, "", "stop", b, orders);
	text_unusable(f, "unusable", "start", a, orders);
	text_unusable(f, "", "stop", b, orders);
}

static void text_buddyinfo(FILE *f, const struct mr_zones *z)
{
	struct mr_zkeys k = { 0 };

	fputs("\nzones (/proc/buddyinfo, before vs after)\n", f);
	text_missing(f, "buddyinfo", z->buddy[MR_ZONE_START].have, z->buddy[MR_ZONE_STOP].have);
	mr_zone_keys_add(&k, &z->buddy[MR_ZONE_START], false);
	mr_zone_keys_add(&k, &z->buddy[MR_ZONE_STOP], false);
	if (!k.nr && (z->buddy[MR_ZONE_START].have || z->buddy[MR_ZONE_STOP].have))
		fputs("  no zone lines could be read\n", f);
	for (size_t i = 0; i < k.nr; i++)
		text_buddy_zone(f, z, k.v[i]);
	if (k.nr)
		fputs("  (unusable: Mel Gorman's unusable free space index, the share of free "
		      "pages in blocks smaller than the order)\n", f);
	free(k.v);
}

static uint64_t row_value(const struct mr_zrow *r, bool pages)
{
	return pages ? mr_zone_pages_from(r, 0) : r->n[0];
}

/* A free page count (pages) or a pageblock count, start -> stop; "-" for a side not recorded. */
static void text_value_change(FILE *f, const struct mr_zrow *a, const struct mr_zrow *b, bool pages)
{
	char va[24] = "-", vb[24] = "-", buf[80];

	if (a)
		snprintf(va, sizeof(va), "%s%" PRIu64, a->capped ? ">=" : "", row_value(a, pages));
	if (b)
		snprintf(vb, sizeof(vb), "%s%" PRIu64, b->capped ? ">=" : "", row_value(b, pages));
	/* the change between two lower bounds means nothing */
	if (a && b && !a->capped && !b->capped)
		snprintf(buf, sizeof(buf), "%s -> %s (%+" PRId64 ")", va, vb,
			 (int64_t)(row_value(b, pages) - row_value(a, pages)));
	else
		snprintf(buf, sizeof(buf), "%s -> %s", va, vb);
	fprintf(f, pages ? "  %-30s" : "  %s", buf);
}

static void text_pagetype_zone(FILE *f, const struct mr_zones *z, const struct mr_zrow *zone)
{
	struct mr_zkeys types = { 0 };

	fprintf(f, "  node %d, zone %s\n", zone->node, zone->zone);
	fprintf(f, "    %-14s  %-30s  %s\n", "migratetype", "free pages", "pageblocks");
	for (int i = 0; i < MR_ZONE_SIDES; i++) {
		mr_zone_keys_add(&types, &z->free[i], true);
		mr_zone_keys_add(&types, &z->blocks[i], true);
	}
	for (size_t i = 0; i < types.nr; i++) {
		const char *t = types.v[i]->type;

		if (types.v[i]->node != zone->node || strcmp(types.v[i]->zone, zone->zone))
			continue;
		fprintf(f, "    %-14s", t);
		text_value_change(f, mr_zone_find_row(&z->free[MR_ZONE_START], zone->node, zone->zone, t),
				  mr_zone_find_row(&z->free[MR_ZONE_STOP], zone->node, zone->zone, t), true);
		text_value_change(f, mr_zone_find_row(&z->blocks[MR_ZONE_START], zone->node, zone->zone, t),
				  mr_zone_find_row(&z->blocks[MR_ZONE_STOP], zone->node, zone->zone, t), false);
		fputc('\n', f);
	}
	free(types.v);
}

static void pagetype_zones(const struct mr_zones *z, struct mr_zkeys *k)
{
	for (int i = 0; i < MR_ZONE_SIDES; i++) {
		mr_zone_keys_add(k, &z->free[i], false);
		mr_zone_keys_add(k, &z->blocks[i], false);
	}
}

static bool any_capped(const struct mr_ztable *t)
{
	for (size_t i = 0; i < t->nr; i++)
		if (t->v[i].capped)
			return true;
	return false;
}

static void text_pagetypeinfo(FILE *f, const struct mr_zones *z)
{
	struct mr_zkeys k = { 0 };

	fputs("\nmigratetypes (/proc/pagetypeinfo, before vs after)\n", f);
	text_missing(f, "pagetypeinfo", z->free[MR_ZONE_START].have, z->free[MR_ZONE_STOP].have);
	pagetype_zones(z, &k);
	if (!k.nr && (z->free[MR_ZONE_START].have || z->free[MR_ZONE_STOP].have))
		fputs("  no zone lines could be read\n", f);
	for (size_t i = 0; i < k.nr; i++)
		text_pagetype_zone(f, z, k.v[i]);
	if (any_capped(&z->free[MR_ZONE_START]) || any_capped(&z->free[MR_ZONE_STOP]))
		fputs("  (>=: the kernel counts at most 100000 free blocks per order and "
		      "migratetype)\n", f);
	free(k.v);
}

static void text_slab_row(FILE *f, const struct mr_slab_change *c)
{
	const struct mr_slab *a = c->s[MR_ZONE_START], *b = c->s[MR_ZONE_STOP];

	fprintf(f, "  %-26s %10s -> %-10s (+%s)", slab_name(c), mr_human_bytes(mr_slab_bytes(a)).s,
		mr_human_bytes(mr_slab_bytes(b)).s, mr_human_bytes(c->growth).s);
	fprintf(f, "  objects %" PRIu64 "/%" PRIu64 " -> %" PRIu64 "/%" PRIu64,
		a ? a->active_objs : 0, a ? a->num_objs : 0, b ? b->active_objs : 0,
		b ? b->num_objs : 0);
	fprintf(f, "  waste %.1f%% -> %.1f%%\n", 100 * mr_slab_waste(a), 100 * mr_slab_waste(b));
}

static void text_slabinfo(FILE *f, struct mr_ctx *ctx, const struct mr_zones *z)
{
	struct mr_slab_summary sum;
	size_t rows;

	fputs("\nslab caches (/proc/slabinfo, before vs after)\n", f);
	text_missing(f, "slabinfo", z->slab[MR_ZONE_START].have, z->slab[MR_ZONE_STOP].have);
	if (!z->slab[MR_ZONE_START].have || !z->slab[MR_ZONE_STOP].have)
		return;
	mr_slab_summarise(z, &sum);
	rows = slab_rows(ctx, &sum);
	fprintf(f, "  %zu caches, %s -> %s of slabs; %zu grew, %zu shrank\n", sum.nr,
		mr_human_bytes(sum.bytes[MR_ZONE_START]).s, mr_human_bytes(sum.bytes[MR_ZONE_STOP]).s, sum.grew,
		sum.shrank);
	if (rows)
		fprintf(f, "  the %zu that grew most (objects: active/total; waste: slab memory "
			"holding no live object):\n", rows);
	for (size_t i = 0; i < rows; i++)
		text_slab_row(f, &sum.v[i]);
	free(sum.v);
}

int mr_frag_zone_text(FILE *f, struct mr_ctx *ctx, const struct mr_frag *fr)
{
	const struct mr_zones *z = &fr->zones;

	if (!ctx->snaps.nr) {
		fputs("\nzones: no /proc snapshots (buddyinfo, pagetypeinfo, slabinfo) were "
		      "recorded\n", f);
		return 0;
	}
	text_buddyinfo(f, z);
	text_pagetypeinfo(f, z);
	text_slabinfo(f, ctx, z);
	return ferror(f) ? -1 : 0;
}

/* ---- json (docs/memrec-report-frag-zones.md) ---- */

static void json_counts(FILE *f, const char *key, const struct mr_zrow *r)
{
	fprintf(f, ", \"%s\": ", key);
	if (!r) {
		fputs("null", f);
		return;
	}
	fputc('[', f);
	for (int i = 0; i < r->nr; i++)
		fprintf(f, "%s%" PRIu64, i ? ", " : "", r->n[i]);
	fputc(']', f);
}

static void json_unusable(FILE *f, const char *key, const struct mr_zrow *r)
{
	fprintf(f, ", \"%s\": ", key);
	if (!r) {
		fputs("null", f);
		return;
	}
	fputc('[', f);
	for (int i = 0; i < r->nr; i++)
		fprintf(f, "%s%.6f", i ? ", " : "", mr_zone_unusable_index(r, i));
	fputc(']', f);
}

static void json_value(FILE *f, const char *key, const struct mr_zrow *r, bool pages)
{
	fprintf(f, ", \"%s\": ", key);
	if (r)
		fprintf(f, "%" PRIu64, row_value(r, pages));
	else
		fputs("null", f);
}

static void json_buddyinfo(FILE *f, const struct mr_zones *z)
{
	struct mr_zkeys k = { 0 };

	fputs(",\n    \"buddyinfo\": ", f);
	if (!z->buddy[MR_ZONE_START].have && !z->buddy[MR_ZONE_STOP].have) {
		fputs("null", f);
		return;
	}
	mr_zone_keys_add(&k, &z->buddy[MR_ZONE_START], false);
	mr_zone_keys_add(&k, &z->buddy[MR_ZONE_STOP], false);
	fputc('[', f);
	for (size_t i = 0; i < k.nr; i++) {
		const struct mr_zrow *a = mr_zone_find_row(&z->buddy[MR_ZONE_START], k.v[i]->node, k.v[i]->zone, "");
		const struct mr_zrow *b = mr_zone_find_row(&z->buddy[MR_ZONE_STOP], k.v[i]->node, k.v[i]->zone, "");

		fprintf(f, "%s\n      {\"node\": %d, \"zone\": ", i ? "," : "", k.v[i]->node);
		mr_json_str(f, k.v[i]->zone);
		json_value(f, "free_pages_start", a, true);
		json_value(f, "free_pages_stop", b, true);
		json_counts(f, "free_blocks_start", a);
		json_counts(f, "free_blocks_stop", b);
		json_unusable(f, "unusable_index_start", a);
		json_unusable(f, "unusable_index_stop", b);
		fputc('}', f);
	}
	fputs(k.nr ? "\n    ]" : "]", f);
	free(k.v);
}

static bool capped(const struct mr_zrow *r)
{
	return r && r->capped;
}

static void json_pagetype(FILE *f, const struct mr_zones *z, int n, const char *zone, const char *t)
{
	const struct mr_zrow *a = mr_zone_find_row(&z->free[MR_ZONE_START], n, zone, t);
	const struct mr_zrow *b = mr_zone_find_row(&z->free[MR_ZONE_STOP], n, zone, t);

	fputs("\n        {\"type\": ", f);
	mr_json_str(f, t);
	json_value(f, "free_pages_start", a, true);
	json_value(f, "free_pages_stop", b, true);
	fprintf(f, ", \"free_pages_capped\": %s", capped(a) || capped(b) ? "true" : "false");
	json_value(f, "pageblocks_start", mr_zone_find_row(&z->blocks[MR_ZONE_START], n, zone, t), false);
	json_value(f, "pageblocks_stop", mr_zone_find_row(&z->blocks[MR_ZONE_STOP], n, zone, t), false);
	fputc('}', f);
}

static void json_pagetype_zone(FILE *f, const struct mr_zones *z, const struct mr_zrow *zone)
{
	struct mr_zkeys types = { 0 };
	bool first = true;

	fprintf(f, "\n      {\"node\": %d, \"zone\": ", zone->node);
	mr_json_str(f, zone->zone);
	fputs(", \"types\": [", f);
	for (int i = 0; i < MR_ZONE_SIDES; i++) {
		mr_zone_keys_add(&types, &z->free[i], true);
		mr_zone_keys_add(&types, &z->blocks[i], true);
	}
	for (size_t i = 0; i < types.nr; i++) {
		if (types.v[i]->node != zone->node || strcmp(types.v[i]->zone, zone->zone))
			continue;
		if (!first)
			fputc(',', f);
		first = false;
		json_pagetype(f, z, zone->node, zone->zone, types.v[i]->type);
	}
	fputs(first ? "]}" : "\n      ]}", f);
	free(types.v);
}

static void json_pagetypeinfo(FILE *f, const struct mr_zones *z)
{
	struct mr_zkeys k = { 0 };

	fputs(",\n    \"pagetypeinfo\": ", f);
	if (!z->free[MR_ZONE_START].have && !z->free[MR_ZONE_STOP].have) {
		fputs("null", f);
		return;
	}
	pagetype_zones(z, &k);
	fputc('[', f);
	for (size_t i = 0; i < k.nr; i++) {
		if (i)
			fputc(',', f);
		json_pagetype_zone(f, z, k.v[i]);
	}
	fputs(k.nr ? "\n    ]" : "]", f);
	free(k.v);
}

static void json_slab_side(FILE *f, const char *side, const struct mr_slab *s)
{
	if (s)
		fprintf(f, ", \"bytes_%s\": %" PRIu64 ", \"active_objs_%s\": %" PRIu64
			", \"num_objs_%s\": %" PRIu64 ", \"waste_%s\": %.6f", side, mr_slab_bytes(s),
			side, s->active_objs, side, s->num_objs, side, mr_slab_waste(s));
	else
		fprintf(f, ", \"bytes_%s\": 0, \"active_objs_%s\": 0, \"num_objs_%s\": 0, "
			"\"waste_%s\": null", side, side, side, side);
}

static void json_slabinfo(FILE *f, struct mr_ctx *ctx, const struct mr_zones *z)
{
	struct mr_slab_summary sum;
	size_t rows;

	fputs(",\n    \"slabinfo\": ", f);
	if (!z->slab[MR_ZONE_START].have || !z->slab[MR_ZONE_STOP].have) {
		fputs("null", f);
		return;
	}
	mr_slab_summarise(z, &sum);
	rows = slab_rows(ctx, &sum);
	fprintf(f, "{\"caches\": %zu, \"grew\": %zu, \"shrank\": %zu, \"bytes_start\": %" PRIu64
		", \"bytes_stop\": %" PRIu64 ", \"top\": [", sum.nr, sum.grew, sum.shrank,
		sum.bytes[MR_ZONE_START], sum.bytes[MR_ZONE_STOP]);
	for (size_t i = 0; i < rows; i++) {
		const struct mr_slab_change *c = &sum.v[i];

		fprintf(f, "%s\n      {\"name\": ", i ? "," : "");
		mr_json_str(f, slab_name(c));
		fprintf(f, ", \"objsize\": %" PRIu64 ", \"growth_bytes\": %" PRId64,
			(c->s[MR_ZONE_STOP] ? c->s[MR_ZONE_STOP] : c->s[MR_ZONE_START])->objsize, c->growth);
		json_slab_side(f, "start", c->s[MR_ZONE_START]);
		json_slab_side(f, "stop", c->s[MR_ZONE_STOP]);
		fputc('}', f);
	}
	fputs(rows ? "\n    ]}" : "]}", f);
	free(sum.v);
}

static void json_snapshots(FILE *f, struct mr_ctx *ctx)
{
	fputs(",\n    \"snapshots\": [", f);
	for (int i = 0; i < ctx->snaps.nr; i++) {
		const struct mr_snapshot *s = &ctx->snaps.v[i];

		fprintf(f, "%s\n      {\"when\": ", i ? "," : "");
		mr_json_str(f, s->when);
		fputs(", \"name\": ", f);
		mr_json_str(f, s->name);
		fprintf(f, ", \"t\": %.6f, \"bytes\": %zu}", mr_ctx_rel_s(ctx, s->ts),
			strlen(s->text));
	}
	fputs(ctx->snaps.nr ? "\n    ]" : "]", f);
}

int mr_frag_zone_json(FILE *f, struct mr_ctx *ctx, const struct mr_frag *fr)
{
	const struct mr_zones *z = &fr->zones;

	fprintf(f, "{\n    \"recorded\": %s,\n    \"page_size\": %llu",
		ctx->snaps.nr ? "true" : "false", MR_ZONE_PAGE_BYTES);
	json_snapshots(f, ctx);
	json_buddyinfo(f, z);
	json_pagetypeinfo(f, z);
	json_slabinfo(f, ctx, z);
	fputs("\n  }", f);
	return ferror(f) ? -1 : 0;
}
