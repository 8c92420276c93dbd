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
	fprintf(f, "  node %d, zone %s: free pages ", key->node, mr_text_esc(key->zone));
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

	fprintf(f, "  node %d, zone %s\n", zone->node, mr_text_esc(zone->zone));
	fprintf(f, "    %-14s  %-30s  %s\n", "migratetype", "free pages", "pageblocks");
	for (int i = 0; i < MR_ZONE_SIDES; i++) {
		mr_zone_keys_add(&types, &z->free[i], true);
		mr_zone_keys_add(&types, &z->blocks[i], true);
	}
	for (size_t i = 0; i < types.nr; i++) {
		const char *t = types.v[i]->type;

		if (types.v[i]->node != zone->node || strcmp(types.v[i]->zone, zone->zone))
			continue;
		fprintf(f, "    %-14s", mr_text_esc(t));
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

	fprintf(f, "  %-26s %10s -> %-10s (+%s)", mr_text_esc(slab_name(c)),
		mr_human_bytes(mr_slab_bytes(a)).s,
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

/* free blocks per order, null for a side not recorded */
static void json_counts(struct mr_json *j, const char *key, const struct mr_zrow *r)
{
	if (!r) {
		mr_json_null(j, key);
		return;
	}
	mr_json_array_begin(j, key, MR_JSON_LINE);
	for (int i = 0; i < r->nr; i++)
		mr_json_uint(j, NULL, r->n[i]);
	mr_json_array_end(j);
}

static void json_unusable(struct mr_json *j, const char *key, const struct mr_zrow *r)
{
	if (!r) {
		mr_json_null(j, key);
		return;
	}
	mr_json_array_begin(j, key, MR_JSON_LINE);
	for (int i = 0; i < r->nr; i++)
		mr_json_double(j, NULL, mr_zone_unusable_index(r, i), 6);
	mr_json_array_end(j);
}

static void json_value(struct mr_json *j, const char *key, const struct mr_zrow *r, bool pages)
{
	if (r)
		mr_json_uint(j, key, row_value(r, pages));
	else
		mr_json_null(j, key);
}

static void json_buddy_zone(struct mr_json *j, const struct mr_zones *z, const struct mr_zrow *key)
{
	const struct mr_ztable *t = z->buddy;
	const struct mr_zrow *a = mr_zone_find_row(&t[MR_ZONE_START], key->node, key->zone, "");
	const struct mr_zrow *b = mr_zone_find_row(&t[MR_ZONE_STOP], key->node, key->zone, "");

	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_int(j, "node", key->node);
	mr_json_str(j, "zone", key->zone);
	json_value(j, "free_pages_start", a, true);
	json_value(j, "free_pages_stop", b, true);
	json_counts(j, "free_blocks_start", a);
	json_counts(j, "free_blocks_stop", b);
	json_unusable(j, "unusable_index_start", a);
	json_unusable(j, "unusable_index_stop", b);
	mr_json_object_end(j);
}

static void json_buddyinfo(struct mr_json *j, const struct mr_zones *z)
{
	struct mr_zkeys k = { 0 };

	if (!z->buddy[MR_ZONE_START].have && !z->buddy[MR_ZONE_STOP].have) {
		mr_json_null(j, "buddyinfo");
		return;
	}
	mr_zone_keys_add(&k, &z->buddy[MR_ZONE_START], false);
	mr_zone_keys_add(&k, &z->buddy[MR_ZONE_STOP], false);
	mr_json_array_begin(j, "buddyinfo", MR_JSON_BLOCK);
	for (size_t i = 0; i < k.nr; i++)
		json_buddy_zone(j, z, k.v[i]);
	mr_json_array_end(j);
	free(k.v);
}

static bool capped(const struct mr_zrow *r)
{
	return r && r->capped;
}

static void json_pagetype(struct mr_json *j, const struct mr_zones *z, int n, const char *zone,
			  const char *t)
{
	const struct mr_zrow *a = mr_zone_find_row(&z->free[MR_ZONE_START], n, zone, t);
	const struct mr_zrow *b = mr_zone_find_row(&z->free[MR_ZONE_STOP], n, zone, t);
	const struct mr_zrow *ba = mr_zone_find_row(&z->blocks[MR_ZONE_START], n, zone, t);
	const struct mr_zrow *bb = mr_zone_find_row(&z->blocks[MR_ZONE_STOP], n, zone, t);

	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_str(j, "type", t);
	json_value(j, "free_pages_start", a, true);
	json_value(j, "free_pages_stop", b, true);
	mr_json_bool(j, "free_pages_capped", capped(a) || capped(b));
	json_value(j, "pageblocks_start", ba, false);
	json_value(j, "pageblocks_stop", bb, false);
	mr_json_object_end(j);
}

static void json_pagetype_zone(struct mr_json *j, const struct mr_zones *z,
			       const struct mr_zrow *zone)
{
	struct mr_zkeys types = { 0 };

	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_int(j, "node", zone->node);
	mr_json_str(j, "zone", zone->zone);
	for (int i = 0; i < MR_ZONE_SIDES; i++) {
		mr_zone_keys_add(&types, &z->free[i], true);
		mr_zone_keys_add(&types, &z->blocks[i], true);
	}
	mr_json_array_begin(j, "types", MR_JSON_BLOCK);
	for (size_t i = 0; i < types.nr; i++)
		if (types.v[i]->node == zone->node && !strcmp(types.v[i]->zone, zone->zone))
			json_pagetype(j, z, zone->node, zone->zone, types.v[i]->type);
	mr_json_array_end(j);
	mr_json_object_end(j);
	free(types.v);
}

static void json_pagetypeinfo(struct mr_json *j, const struct mr_zones *z)
{
	struct mr_zkeys k = { 0 };

	if (!z->free[MR_ZONE_START].have && !z->free[MR_ZONE_STOP].have) {
		mr_json_null(j, "pagetypeinfo");
		return;
	}
	pagetype_zones(z, &k);
	mr_json_array_begin(j, "pagetypeinfo", MR_JSON_BLOCK);
	for (size_t i = 0; i < k.nr; i++)
		json_pagetype_zone(j, z, k.v[i]);
	mr_json_array_end(j);
	free(k.v);
}

/* a cache on one side: "bytes_start", "active_objs_start"..., zeros and null when absent */
static void json_slab_side(struct mr_json *j, const char *side, const struct mr_slab *s)
{
	char key[32];

	snprintf(key, sizeof(key), "bytes_%s", side);
	mr_json_uint(j, key, s ? mr_slab_bytes(s) : 0);
	snprintf(key, sizeof(key), "active_objs_%s", side);
	mr_json_uint(j, key, s ? s->active_objs : 0);
	snprintf(key, sizeof(key), "num_objs_%s", side);
	mr_json_uint(j, key, s ? s->num_objs : 0);
	snprintf(key, sizeof(key), "waste_%s", side);
	if (s)
		mr_json_double(j, key, mr_slab_waste(s), 6);
	else
		mr_json_null(j, key);
}

static void json_slab_change(struct mr_json *j, const struct mr_slab_change *c)
{
	const struct mr_slab *s = c->s[MR_ZONE_STOP] ? c->s[MR_ZONE_STOP] : c->s[MR_ZONE_START];

	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_str(j, "name", slab_name(c));
	mr_json_uint(j, "objsize", s->objsize);
	mr_json_int(j, "growth_bytes", c->growth);
	json_slab_side(j, "start", c->s[MR_ZONE_START]);
	json_slab_side(j, "stop", c->s[MR_ZONE_STOP]);
	mr_json_object_end(j);
}

static void json_slabinfo(struct mr_json *j, struct mr_ctx *ctx, const struct mr_zones *z)
{
	struct mr_slab_summary sum;
	size_t rows;

	if (!z->slab[MR_ZONE_START].have || !z->slab[MR_ZONE_STOP].have) {
		mr_json_null(j, "slabinfo");
		return;
	}
	mr_slab_summarise(z, &sum);
	rows = slab_rows(ctx, &sum);
	mr_json_object_begin(j, "slabinfo", MR_JSON_LINE);
	mr_json_uint(j, "caches", sum.nr);
	mr_json_uint(j, "grew", sum.grew);
	mr_json_uint(j, "shrank", sum.shrank);
	mr_json_uint(j, "bytes_start", sum.bytes[MR_ZONE_START]);
	mr_json_uint(j, "bytes_stop", sum.bytes[MR_ZONE_STOP]);
	mr_json_array_begin(j, "top", MR_JSON_BLOCK);
	for (size_t i = 0; i < rows; i++)
		json_slab_change(j, &sum.v[i]);
	mr_json_array_end(j);
	mr_json_object_end(j);
	free(sum.v);
}

static void json_snapshots(struct mr_json *j, struct mr_ctx *ctx)
{
	mr_json_array_begin(j, "snapshots", MR_JSON_BLOCK);
	for (int i = 0; i < ctx->snaps.nr; i++) {
		const struct mr_snapshot *s = &ctx->snaps.v[i];

		mr_json_object_begin(j, NULL, MR_JSON_LINE);
		mr_json_str(j, "when", s->when);
		mr_json_str(j, "name", s->name);
		mr_json_double(j, "t", mr_ctx_rel_s(ctx, s->ts), 6);
		mr_json_uint(j, "bytes", strlen(s->text));
		mr_json_object_end(j);
	}
	mr_json_array_end(j);
}

void mr_frag_zone_json(struct mr_json *j, struct mr_ctx *ctx, const struct mr_frag *fr)
{
	const struct mr_zones *z = &fr->zones;

	mr_json_object_begin(j, NULL, MR_JSON_BLOCK);
	mr_json_bool(j, "recorded", ctx->snaps.nr);
	mr_json_uint(j, "page_size", MR_ZONE_PAGE_BYTES);
	json_snapshots(j, ctx);
	json_buddyinfo(j, z);
	json_pagetypeinfo(j, z);
	json_slabinfo(j, ctx, z);
	mr_json_object_end(j);
}
