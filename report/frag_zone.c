// SPDX-License-Identifier: GPL-2.0
/*
 * frag_zone.c - the "zones" section of `memrec report frag`: the /proc
 * snapshots taken at start and stop, side by side. buddyinfo gives the free
 * blocks per zone and order, and from them Mel Gorman's unusable free space
 * index; pagetypeinfo the free pages and pageblocks per migratetype;
 * slabinfo the caches whose memory grew most. The files may come from any
 * host and kernel, so every line that does not parse is skipped.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "report.h"

#define MAX_ORDERS	32	/* buddyinfo has 11 on x86-64; up to 14 with 64K pages */
#define NAME_LEN	32
#define SLAB_NAME_LEN	64
/*
 * The recording host's page size is not in the snapshots: /proc counts
 * pages, taken here as 4 KiB (x86-64, most arm64 kernels).
 */
#define PAGE_BYTES	4096ull

enum { START, STOP, SIDES };
static const char *const side_names[SIDES] = { "start", "stop" };

/* A row of counts: a buddyinfo zone, a pagetypeinfo free or pageblock line. */
struct zrow {
	int		node;
	char		zone[NAME_LEN];
	char		type[NAME_LEN];		/* the migratetype; "" in buddyinfo */
	int		nr;			/* counts in n[] */
	bool		capped;			/* a count was ">100000": a lower bound */
	uint64_t	n[MAX_ORDERS];
};

struct ztable {
	struct zrow	*v;
	size_t		nr;
	bool		have;			/* the snapshot was recorded */
};

struct slab {
	char		name[SLAB_NAME_LEN];
	uint64_t	active_objs, num_objs, objsize, pagesperslab, num_slabs;
};

struct slabtab {
	struct slab	*v;
	size_t		nr;
	bool		have;
};

/* A cache in both snapshots (or in one: the other side is zero). */
struct slab_change {
	const struct slab	*s[SIDES];
	int64_t			growth;
};

struct zones {
	struct ztable	buddy[SIDES];
	struct ztable	free[SIDES];		/* pagetypeinfo: free blocks per type and order */
	struct ztable	blocks[SIDES];		/* pagetypeinfo: n[0] is the pageblock count */
	struct slabtab	slab[SIDES];
};

/* ---- parsing ---- */

/* Cuts the next line out of *pos (a private copy of the text). */
static char *next_line(char **pos)
{
	char *line = *pos, *nl;

	if (!line || !*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*pos = nl + 1;
	} else {
		*pos = NULL;
	}
	return line;
}

/*
 * The decimal counts that end a line; -1 on anything else or more than max.
 * Since Linux 5.7 pagetypeinfo stops counting at 100000 and prints ">100000":
 * with capped, such a count is taken as its bound and *capped set.
 */
static int parse_counts(const char *p, uint64_t *n, int max, bool *capped)
{
	int nr = 0;

	for (;;) {
		char *end;

		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p)
			return nr;
		if (*p == '>' && capped) {
			*capped = true;
			p++;
		}
		if (!isdigit((unsigned char)*p) || nr == max)
			return -1;
		errno = 0;
		n[nr++] = strtoull(p, &end, 10);
		if (errno)
			return -1;
		p = end;
	}
}

/* Names end up in JSON strings and column layouts: printable ASCII only. */
static bool clean_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f)
			return false;
	return true;
}

static void add_row(struct ztable *t, const struct zrow *r)
{
	t->v = mr_xrealloc(t->v, (t->nr + 1) * sizeof(*t->v));
	t->v[t->nr++] = *r;
}

/* "Node 0, zone   Normal   1054   2058 ..." (buddyinfo, and pagetypeinfo's pageblocks) */
static int parse_zone_line(const char *line, struct zrow *r)
{
	int off = -1;

	memset(r, 0, sizeof(*r));
	if (sscanf(line, "Node %d, zone %31s%n", &r->node, r->zone, &off) != 2 || off < 0 ||
	    r->node < 0 || !clean_name(r->zone))
		return -1;
	r->nr = parse_counts(line + off, r->n, MAX_ORDERS, NULL);
	return r->nr > 0 ? 0 : -1;
}

static void parse_buddyinfo(const char *text, struct ztable *t)
{
	char *copy = mr_xstrdup(text), *pos = copy, *line;
	struct zrow r;

	t->have = true;
	while ((line = next_line(&pos)))
		if (!parse_zone_line(line, &r))
			add_row(t, &r);
	free(copy);
}

/* "Node    0, zone   Normal, type    Unmovable    919   1650 ..." */
static void parse_free_line(const char *line, struct ztable *t)
{
	struct zrow r = { 0 };
	int off = -1;

	if (sscanf(line, "Node %d, zone %31[^, ], type %31s%n", &r.node, r.zone, r.type,
		   &off) != 3 || off < 0 || r.node < 0 || !clean_name(r.zone) ||
	    !clean_name(r.type))
		return;
	r.nr = parse_counts(line + off, r.n, MAX_ORDERS, &r.capped);
	if (r.nr > 0)
		add_row(t, &r);
}

/* One pageblock line becomes a row per migratetype column, its count in n[0]. */
static void parse_blocks_line(const char *line, char cols[][NAME_LEN], int ncols,
			      struct ztable *t)
{
	struct zrow r;

	if (parse_zone_line(line, &r) || r.nr != ncols)
		return;
	for (int i = 0; i < ncols; i++) {
		struct zrow one = { .node = r.node, .nr = 1, .n = { r.n[i] } };

		strcpy(one.zone, r.zone);
		strcpy(one.type, cols[i]);
		add_row(t, &one);
	}
}

/* "Number of blocks type     Unmovable      Movable ..." -> the column names */
static int parse_block_columns(const char *p, char cols[][NAME_LEN])
{
	int n = 0, len;
	char name[NAME_LEN];

	while (sscanf(p, "%31s%n", name, &len) == 1) {
		if (n == MAX_ORDERS || !clean_name(name) || strlen(name) >= NAME_LEN - 1)
			return -1;
		strcpy(cols[n++], name);
		p += len;
	}
	return n;
}

static void parse_pagetypeinfo(const char *text, struct ztable *free_t, struct ztable *blocks)
{
	static const char free_head[] = "Free pages count per migrate type";
	static const char blocks_head[] = "Number of blocks type";
	char *copy = mr_xstrdup(text), *pos = copy, *line;
	char cols[MAX_ORDERS][NAME_LEN];
	enum { OTHER, FREE, BLOCKS } part = OTHER;
	int ncols = 0;

	free_t->have = blocks->have = true;
	while ((line = next_line(&pos))) {
		if (!strncmp(line, free_head, sizeof(free_head) - 1)) {
			part = FREE;
		} else if (!strncmp(line, blocks_head, sizeof(blocks_head) - 1)) {
			ncols = parse_block_columns(line + sizeof(blocks_head) - 1, cols);
			part = ncols > 0 ? BLOCKS : OTHER;
		} else if (!strncmp(line, "Number of", 9)) {
			part = OTHER;	/* "Number of mixed blocks" and what comes later */
		} else if (part == FREE) {
			parse_free_line(line, free_t);
		} else if (part == BLOCKS) {
			parse_blocks_line(line, cols, ncols, blocks);
		}
	}
	free(copy);
}

/* "name active_objs num_objs objsize objperslab pagesperslab : tunables a b c : slabdata a n s" */
static int parse_slab_line(const char *line, struct slab *s)
{
	unsigned long long v[11];
	char name[SLAB_NAME_LEN];
	int name_end = -1, off = -1;

	/* %llu would take "-1" as a huge count: a minus sign after the name is junk */
	if (sscanf(line, "%63s%n", name, &name_end) != 1 || name_end < 0 || !clean_name(name) ||
	    name[0] == '#' || strchr(line + name_end, '-'))
		return -1;
	if (sscanf(line + name_end, "%llu %llu %llu %llu %llu : tunables %llu %llu %llu : "
		   "slabdata %llu %llu %llu%n", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
		   &v[7], &v[8], &v[9], &v[10], &off) != 11 || off < 0 ||
	    line[name_end + off + strspn(line + name_end + off, " \t\r")])
		return -1;
	memset(s, 0, sizeof(*s));
	strcpy(s->name, name);
	s->active_objs = v[0];
	s->num_objs = v[1];
	s->objsize = v[2];
	s->pagesperslab = v[4];
	s->num_slabs = v[9];
	return 0;
}

static void parse_slabinfo(const char *text, struct slabtab *t)
{
	char *copy = mr_xstrdup(text), *pos = copy, *line;
	struct slab s;

	t->have = true;
	while ((line = next_line(&pos))) {
		if (parse_slab_line(line, &s))
			continue;
		t->v = mr_xrealloc(t->v, (t->nr + 1) * sizeof(*t->v));
		t->v[t->nr++] = s;
	}
	free(copy);
}

static void zones_load(struct zones *z, const struct mr_snapshots *snaps)
{
	const struct mr_snapshot *s;

	memset(z, 0, sizeof(*z));
	for (int i = 0; i < SIDES; i++) {
		s = mr_snapshots_find(snaps, side_names[i], "buddyinfo");
		if (s)
			parse_buddyinfo(s->text, &z->buddy[i]);
		s = mr_snapshots_find(snaps, side_names[i], "pagetypeinfo");
		if (s)
			parse_pagetypeinfo(s->text, &z->free[i], &z->blocks[i]);
		s = mr_snapshots_find(snaps, side_names[i], "slabinfo");
		if (s)
			parse_slabinfo(s->text, &z->slab[i]);
	}
}

static void zones_release(struct zones *z)
{
	for (int i = 0; i < SIDES; i++) {
		free(z->buddy[i].v);
		free(z->free[i].v);
		free(z->blocks[i].v);
		free(z->slab[i].v);
	}
}

/* ---- figures ---- */

static const struct zrow *find_row(const struct ztable *t, int node, const char *zone,
				   const char *type)
{
	for (size_t i = 0; i < t->nr; i++)
		if (t->v[i].node == node && !strcmp(t->v[i].zone, zone) &&
		    !strcmp(t->v[i].type, type))
			return &t->v[i];
	return NULL;
}

/* Pages free in a row's blocks of order >= from. */
static uint64_t pages_from(const struct zrow *r, int from)
{
	uint64_t sum = 0;

	for (int i = from; i < r->nr; i++)
		sum += r->n[i] << i;
	return sum;
}

/*
 * Mel Gorman's unusable free space index for order j: the share of free
 * memory in blocks too small to serve an allocation of order j.
 */
static double unusable_index(const struct zrow *r, int j)
{
	uint64_t total = pages_from(r, 0);

	return total ? (double)(total - pages_from(r, j)) / (double)total : 0.0;
}

/* The (node, zone[, type]) keys of both sides, start's order first. */
struct zkeys {
	const struct zrow	**v;
	size_t			nr;
};

static void keys_add(struct zkeys *k, const struct ztable *t, bool with_type)
{
	for (size_t i = 0; i < t->nr; i++) {
		const struct zrow *r = &t->v[i];
		size_t j;

		for (j = 0; j < k->nr; j++)
			if (k->v[j]->node == r->node && !strcmp(k->v[j]->zone, r->zone) &&
			    (!with_type || !strcmp(k->v[j]->type, r->type)))
				break;
		if (j < k->nr)
			continue;
		k->v = mr_xrealloc(k->v, (k->nr + 1) * sizeof(*k->v));
		k->v[k->nr++] = r;
	}
}

static uint64_t slab_bytes(const struct slab *s)
{
	return s ? s->num_slabs * s->pagesperslab * PAGE_BYTES : 0;
}

/* The share of a cache's slab memory that holds no live object. */
static double slab_waste(const struct slab *s)
{
	uint64_t bytes = slab_bytes(s);

	return bytes ? 1.0 - (double)s->active_objs * s->objsize / bytes : 0.0;
}

static const struct slab *find_slab(const struct slabtab *t, const char *name)
{
	for (size_t i = 0; i < t->nr; i++)
		if (!strcmp(t->v[i].name, name))
			return &t->v[i];
	return NULL;
}

static int change_cmp(const void *a, const void *b)
{
	const struct slab_change *x = a, *y = b;
	const char *nx = (x->s[START] ? x->s[START] : x->s[STOP])->name;
	const char *ny = (y->s[START] ? y->s[START] : y->s[STOP])->name;

	if (x->growth != y->growth)
		return x->growth > y->growth ? -1 : 1;
	return strcmp(nx, ny);
}

struct slab_summary {
	struct slab_change	*v;		/* every cache, most growth first */
	size_t			nr;
	size_t			grew, shrank;
	uint64_t		bytes[SIDES];
};

static void slab_summarise(const struct zones *z, struct slab_summary *sum)
{
	memset(sum, 0, sizeof(*sum));
	sum->v = mr_xcalloc(z->slab[START].nr + z->slab[STOP].nr, sizeof(*sum->v));
	for (size_t i = 0; i < z->slab[START].nr; i++) {
		struct slab_change *c = &sum->v[sum->nr++];

		c->s[START] = &z->slab[START].v[i];
		c->s[STOP] = find_slab(&z->slab[STOP], c->s[START]->name);
	}
	for (size_t i = 0; i < z->slab[STOP].nr; i++)
		if (!find_slab(&z->slab[START], z->slab[STOP].v[i].name))
			sum->v[sum->nr++].s[STOP] = &z->slab[STOP].v[i];
	for (size_t i = 0; i < sum->nr; i++) {
		struct slab_change *c = &sum->v[i];

		c->growth = (int64_t)(slab_bytes(c->s[STOP]) - slab_bytes(c->s[START]));
		sum->grew += c->growth > 0;
		sum->shrank += c->growth < 0;
		sum->bytes[START] += slab_bytes(c->s[START]);
		sum->bytes[STOP] += slab_bytes(c->s[STOP]);
	}
	qsort(sum->v, sum->nr, sizeof(*sum->v), change_cmp);
}

/* How many of the grown caches to show: --top, 0 for all. */
static size_t slab_rows(const struct mr_report *rep, const struct slab_summary *sum)
{
	int top = rep->o ? rep->o->top : 0;

	return top > 0 && (size_t)top < sum->grew ? (size_t)top : sum->grew;
}

static const char *slab_name(const struct slab_change *c)
{
	return (c->s[START] ? c->s[START] : c->s[STOP])->name;
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

static void text_counts(FILE *f, const char *label, const char *side, const struct zrow *r,
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

static void text_unusable(FILE *f, const char *label, const char *side, const struct zrow *r,
			  int orders)
{
	fprintf(f, "    %-12s%-6s", label, side);
	if (!r) {
		fputs("  (not recorded)\n", f);
		return;
	}
	for (int i = 0; i < orders; i++)
		fprintf(f, " %7.3f", unusable_index(r, i));
	fputc('\n', f);
}

static void text_pages_change(FILE *f, const struct zrow *a, const struct zrow *b)
{
	if (a)
		fprintf(f, "%" PRIu64, pages_from(a, 0));
	else
		fputc('-', f);
	fputs(" -> ", f);
	if (b)
		fprintf(f, "%" PRIu64, pages_from(b, 0));
	else
		fputc('-', f);
	if (a && b)
		fprintf(f, " (%+" PRId64 ")", (int64_t)(pages_from(b, 0) - pages_from(a, 0)));
}

static void text_buddy_zone(FILE *f, const struct zones *z, const struct zrow *key)
{
	const struct zrow *a = find_row(&z->buddy[START], key->node, key->zone, "");
	const struct zrow *b = find_row(&z->buddy[STOP], key->node, key->zone, "");
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

static void text_buddyinfo(FILE *f, const struct zones *z)
{
	struct zkeys k = { 0 };

	fputs("\nzones (/proc/buddyinfo, before vs after)\n", f);
	text_missing(f, "buddyinfo", z->buddy[START].have, z->buddy[STOP].have);
	keys_add(&k, &z->buddy[START], false);
	keys_add(&k, &z->buddy[STOP], false);
	if (!k.nr && (z->buddy[START].have || z->buddy[STOP].have))
		fputs("  no zone lines could be read\n", f);
	for (size_t i = 0; i < k.nr; i++)
		text_buddy_zone(f, z, k.v[i]);
	if (k.nr)
		fputs("  (unusable: Mel Gorman's unusable free space index, the share of free "
		      "pages in blocks smaller than the order)\n", f);
	free(k.v);
}

static uint64_t row_value(const struct zrow *r, bool pages)
{
	return pages ? pages_from(r, 0) : r->n[0];
}

/* A free page count (pages) or a pageblock count, start -> stop; "-" for a side not recorded. */
static void text_value_change(FILE *f, const struct zrow *a, const struct zrow *b, bool pages)
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

static void text_pagetype_zone(FILE *f, const struct zones *z, const struct zrow *zone)
{
	struct zkeys types = { 0 };

	fprintf(f, "  node %d, zone %s\n", zone->node, zone->zone);
	fprintf(f, "    %-14s  %-30s  %s\n", "migratetype", "free pages", "pageblocks");
	for (int i = 0; i < SIDES; i++) {
		keys_add(&types, &z->free[i], true);
		keys_add(&types, &z->blocks[i], true);
	}
	for (size_t i = 0; i < types.nr; i++) {
		const char *t = types.v[i]->type;

		if (types.v[i]->node != zone->node || strcmp(types.v[i]->zone, zone->zone))
			continue;
		fprintf(f, "    %-14s", t);
		text_value_change(f, find_row(&z->free[START], zone->node, zone->zone, t),
				  find_row(&z->free[STOP], zone->node, zone->zone, t), true);
		text_value_change(f, find_row(&z->blocks[START], zone->node, zone->zone, t),
				  find_row(&z->blocks[STOP], zone->node, zone->zone, t), false);
		fputc('\n', f);
	}
	free(types.v);
}

static void pagetype_zones(const struct zones *z, struct zkeys *k)
{
	for (int i = 0; i < SIDES; i++) {
		keys_add(k, &z->free[i], false);
		keys_add(k, &z->blocks[i], false);
	}
}

static bool any_capped(const struct ztable *t)
{
	for (size_t i = 0; i < t->nr; i++)
		if (t->v[i].capped)
			return true;
	return false;
}

static void text_pagetypeinfo(FILE *f, const struct zones *z)
{
	struct zkeys k = { 0 };

	fputs("\nmigratetypes (/proc/pagetypeinfo, before vs after)\n", f);
	text_missing(f, "pagetypeinfo", z->free[START].have, z->free[STOP].have);
	pagetype_zones(z, &k);
	if (!k.nr && (z->free[START].have || z->free[STOP].have))
		fputs("  no zone lines could be read\n", f);
	for (size_t i = 0; i < k.nr; i++)
		text_pagetype_zone(f, z, k.v[i]);
	if (any_capped(&z->free[START]) || any_capped(&z->free[STOP]))
		fputs("  (>=: the kernel counts at most 100000 free blocks per order and "
		      "migratetype)\n", f);
	free(k.v);
}

static void text_slab_row(FILE *f, const struct slab_change *c)
{
	const struct slab *a = c->s[START], *b = c->s[STOP];

	fprintf(f, "  %-26s %10s -> %-10s (+%s)", slab_name(c), mr_human_bytes(slab_bytes(a)).s,
		mr_human_bytes(slab_bytes(b)).s, mr_human_bytes(c->growth).s);
	fprintf(f, "  objects %" PRIu64 "/%" PRIu64 " -> %" PRIu64 "/%" PRIu64,
		a ? a->active_objs : 0, a ? a->num_objs : 0, b ? b->active_objs : 0,
		b ? b->num_objs : 0);
	fprintf(f, "  waste %.1f%% -> %.1f%%\n", 100 * slab_waste(a), 100 * slab_waste(b));
}

static void text_slabinfo(FILE *f, struct mr_report *rep, const struct zones *z)
{
	struct slab_summary sum;
	size_t rows;

	fputs("\nslab caches (/proc/slabinfo, before vs after)\n", f);
	text_missing(f, "slabinfo", z->slab[START].have, z->slab[STOP].have);
	if (!z->slab[START].have || !z->slab[STOP].have)
		return;
	slab_summarise(z, &sum);
	rows = slab_rows(rep, &sum);
	fprintf(f, "  %zu caches, %s -> %s of slabs; %zu grew, %zu shrank\n", sum.nr,
		mr_human_bytes(sum.bytes[START]).s, mr_human_bytes(sum.bytes[STOP]).s, sum.grew,
		sum.shrank);
	if (rows)
		fprintf(f, "  the %zu that grew most (objects: active/total; waste: slab memory "
			"holding no live object):\n", rows);
	for (size_t i = 0; i < rows; i++)
		text_slab_row(f, &sum.v[i]);
	free(sum.v);
}

int mr_frag_zone_text(FILE *f, struct mr_report *rep)
{
	struct zones z;

	if (!rep->snaps.nr) {
		fputs("\nzones: no /proc snapshots (buddyinfo, pagetypeinfo, slabinfo) were "
		      "recorded\n", f);
		return 0;
	}
	zones_load(&z, &rep->snaps);
	text_buddyinfo(f, &z);
	text_pagetypeinfo(f, &z);
	text_slabinfo(f, rep, &z);
	zones_release(&z);
	return ferror(f) ? -1 : 0;
}

/* ---- json (docs/memrec-report-frag-zones.md) ---- */

static void json_counts(FILE *f, const char *key, const struct zrow *r)
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

static void json_unusable(FILE *f, const char *key, const struct zrow *r)
{
	fprintf(f, ", \"%s\": ", key);
	if (!r) {
		fputs("null", f);
		return;
	}
	fputc('[', f);
	for (int i = 0; i < r->nr; i++)
		fprintf(f, "%s%.6f", i ? ", " : "", unusable_index(r, i));
	fputc(']', f);
}

static void json_value(FILE *f, const char *key, const struct zrow *r, bool pages)
{
	fprintf(f, ", \"%s\": ", key);
	if (r)
		fprintf(f, "%" PRIu64, row_value(r, pages));
	else
		fputs("null", f);
}

static void json_buddyinfo(FILE *f, const struct zones *z)
{
	struct zkeys k = { 0 };

	fputs(",\n    \"buddyinfo\": ", f);
	if (!z->buddy[START].have && !z->buddy[STOP].have) {
		fputs("null", f);
		return;
	}
	keys_add(&k, &z->buddy[START], false);
	keys_add(&k, &z->buddy[STOP], false);
	fputc('[', f);
	for (size_t i = 0; i < k.nr; i++) {
		const struct zrow *a = find_row(&z->buddy[START], k.v[i]->node, k.v[i]->zone, "");
		const struct zrow *b = find_row(&z->buddy[STOP], k.v[i]->node, k.v[i]->zone, "");

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

static bool capped(const struct zrow *r)
{
	return r && r->capped;
}

static void json_pagetype(FILE *f, const struct zones *z, int n, const char *zone, const char *t)
{
	const struct zrow *a = find_row(&z->free[START], n, zone, t);
	const struct zrow *b = find_row(&z->free[STOP], n, zone, t);

	fputs("\n        {\"type\": ", f);
	mr_json_str(f, t);
	json_value(f, "free_pages_start", a, true);
	json_value(f, "free_pages_stop", b, true);
	fprintf(f, ", \"free_pages_capped\": %s", capped(a) || capped(b) ? "true" : "false");
	json_value(f, "pageblocks_start", find_row(&z->blocks[START], n, zone, t), false);
	json_value(f, "pageblocks_stop", find_row(&z->blocks[STOP], n, zone, t), false);
	fputc('}', f);
}

static void json_pagetype_zone(FILE *f, const struct zones *z, const struct zrow *zone)
{
	struct zkeys types = { 0 };
	bool first = true;

	fprintf(f, "\n      {\"node\": %d, \"zone\": ", zone->node);
	mr_json_str(f, zone->zone);
	fputs(", \"types\": [", f);
	for (int i = 0; i < SIDES; i++) {
		keys_add(&types, &z->free[i], true);
		keys_add(&types, &z->blocks[i], true);
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

static void json_pagetypeinfo(FILE *f, const struct zones *z)
{
	struct zkeys k = { 0 };

	fputs(",\n    \"pagetypeinfo\": ", f);
	if (!z->free[START].have && !z->free[STOP].have) {
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

static void json_slab_side(FILE *f, const char *side, const struct slab *s)
{
	if (s)
		fprintf(f, ", \"bytes_%s\": %" PRIu64 ", \"active_objs_%s\": %" PRIu64
			", \"num_objs_%s\": %" PRIu64 ", \"waste_%s\": %.6f", side, slab_bytes(s),
			side, s->active_objs, side, s->num_objs, side, slab_waste(s));
	else
		fprintf(f, ", \"bytes_%s\": 0, \"active_objs_%s\": 0, \"num_objs_%s\": 0, "
			"\"waste_%s\": null", side, side, side, side);
}

static void json_slabinfo(FILE *f, struct mr_report *rep, const struct zones *z)
{
	struct slab_summary sum;
	size_t rows;

	fputs(",\n    \"slabinfo\": ", f);
	if (!z->slab[START].have || !z->slab[STOP].have) {
		fputs("null", f);
		return;
	}
	slab_summarise(z, &sum);
	rows = slab_rows(rep, &sum);
	fprintf(f, "{\"caches\": %zu, \"grew\": %zu, \"shrank\": %zu, \"bytes_start\": %" PRIu64
		", \"bytes_stop\": %" PRIu64 ", \"top\": [", sum.nr, sum.grew, sum.shrank,
		sum.bytes[START], sum.bytes[STOP]);
	for (size_t i = 0; i < rows; i++) {
		const struct slab_change *c = &sum.v[i];

		fprintf(f, "%s\n      {\"name\": ", i ? "," : "");
		mr_json_str(f, slab_name(c));
		fprintf(f, ", \"objsize\": %" PRIu64 ", \"growth_bytes\": %" PRId64,
			(c->s[STOP] ? c->s[STOP] : c->s[START])->objsize, c->growth);
		json_slab_side(f, "start", c->s[START]);
		json_slab_side(f, "stop", c->s[STOP]);
		fputc('}', f);
	}
	fputs(rows ? "\n    ]}" : "]}", f);
	free(sum.v);
}

static void json_snapshots(FILE *f, struct mr_report *rep)
{
	fputs(",\n    \"snapshots\": [", f);
	for (int i = 0; i < rep->snaps.nr; i++) {
		const struct mr_snapshot *s = &rep->snaps.v[i];

		fprintf(f, "%s\n      {\"when\": ", i ? "," : "");
		mr_json_str(f, s->when);
		fputs(", \"name\": ", f);
		mr_json_str(f, s->name);
		fprintf(f, ", \"t\": %.6f, \"bytes\": %zu}", mr_oom_rel_s(rep, s->ts),
			strlen(s->text));
	}
	fputs(rep->snaps.nr ? "\n    ]" : "]", f);
}

int mr_frag_zone_json(FILE *f, struct mr_report *rep)
{
	struct zones z;

	zones_load(&z, &rep->snaps);
	fprintf(f, "{\n    \"recorded\": %s,\n    \"page_size\": %llu",
		rep->snaps.nr ? "true" : "false", PAGE_BYTES);
	json_snapshots(f, rep);
	json_buddyinfo(f, &z);
	json_pagetypeinfo(f, &z);
	json_slabinfo(f, rep, &z);
	fputs("\n  }", f);
	zones_release(&z);
	return ferror(f) ? -1 : 0;
}
