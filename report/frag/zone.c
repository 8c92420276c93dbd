// SPDX-License-Identifier: GPL-2.0
/*
 * zone.c - the "zones" section of `memrec report frag`: the /proc
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
#include <stdio.h>
#include "memrec.h"
#include "frag/frag.h"

const char *const mr_zone_sides[MR_ZONE_SIDES] = { "start", "stop" };

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

static void add_row(struct mr_ztable *t, const struct mr_zrow *r)
{
	t->v = mr_xrealloc(t->v, (t->nr + 1) * sizeof(*t->v));
	t->v[t->nr++] = *r;
}

/* "Node 0, zone   Normal   1054   2058 ..." (buddyinfo, and pagetypeinfo's pageblocks) */
static int parse_zone_line(const char *line, struct mr_zrow *r)
{
	int off = -1;

	memset(r, 0, sizeof(*r));
	if (sscanf(line, "Node %d, zone %31s%n", &r->node, r->zone, &off) != 2 || off < 0 ||
	    r->node < 0 || !clean_name(r->zone))
		return -1;
	r->nr = parse_counts(line + off, r->n, MR_ZONE_MAX_ORDERS, NULL);
	return r->nr > 0 ? 0 : -1;
}

static void parse_buddyinfo(const char *text, struct mr_ztable *t)
{
	char *copy = mr_xstrdup(text), *pos = copy, *line;
	struct mr_zrow r;

	t->have = true;
	while ((line = next_line(&pos)))
		if (!parse_zone_line(line, &r))
			add_row(t, &r);
	free(copy);
}

/* "Node    0, zone   Normal, type    Unmovable    919   1650 ..." */
static void parse_free_line(const char *line, struct mr_ztable *t)
{
	struct mr_zrow r = { 0 };
	int off = -1;

	if (sscanf(line, "Node %d, zone %31[^, ], type %31s%n", &r.node, r.zone, r.type,
		   &off) != 3 || off < 0 || r.node < 0 || !clean_name(r.zone) ||
	    !clean_name(r.type))
		return;
	r.nr = parse_counts(line + off, r.n, MR_ZONE_MAX_ORDERS, &r.capped);
	if (r.nr > 0)
		add_row(t, &r);
}

/* One pageblock line becomes a row per migratetype column, its count in n[0]. */
static void parse_blocks_line(const char *line, char cols[][MR_ZONE_NAME_LEN], int ncols,
			      struct mr_ztable *t)
{
	struct mr_zrow r;

	if (parse_zone_line(line, &r) || r.nr != ncols)
		return;
	for (int i = 0; i < ncols; i++) {
		struct mr_zrow one = { .node = r.node, .nr = 1, .n = { r.n[i] } };

		strcpy(one.zone, r.zone);
		strcpy(one.type, cols[i]);
		add_row(t, &one);
	}
}

/* "Number of blocks type     Unmovable      Movable ..." -> the column names */
static int parse_block_columns(const char *p, char cols[][MR_ZONE_NAME_LEN])
{
	int n = 0, len;
	char name[MR_ZONE_NAME_LEN];

	while (sscanf(p, "%31s%n", name, &len) == 1) {
		if (n == MR_ZONE_MAX_ORDERS || !clean_name(name) || strlen(name) >= MR_ZONE_NAME_LEN - 1)
			return -1;
		strcpy(cols[n++], name);
		p += len;
	}
	return n;
}

static void parse_pagetypeinfo(const char *text, struct mr_ztable *free_t, struct mr_ztable *blocks)
{
	static const char free_head[] = "Free pages count per migrate type";
	static const char blocks_head[] = "Number of blocks type";
	char *copy = mr_xstrdup(text), *pos = copy, *line;
	char cols[MR_ZONE_MAX_ORDERS][MR_ZONE_NAME_LEN];
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
static int parse_slab_line(const char *line, struct mr_slab *s)
{
	unsigned long long v[11];
	char name[MR_SLAB_NAME_LEN];
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

static void parse_slabinfo(const char *text, struct mr_slabtab *t)
{
	char *copy = mr_xstrdup(text), *pos = copy, *line;
	struct mr_slab s;

	t->have = true;
	while ((line = next_line(&pos))) {
		if (parse_slab_line(line, &s))
			continue;
		t->v = mr_xrealloc(t->v, (t->nr + 1) * sizeof(*t->v));
		t->v[t->nr++] = s;
	}
	free(copy);
}

void mr_zones_load(struct mr_zones *z, const struct mr_snapshots *snaps)
{
	const struct mr_snapshot *s;

	memset(z, 0, sizeof(*z));
	for (int i = 0; i < MR_ZONE_SIDES; i++) {
		s = mr_snapshots_find(snaps, mr_zone_sides[i], "buddyinfo");
		if (s)
			parse_buddyinfo(s->text, &z->buddy[i]);
		s = mr_snapshots_find(snaps, mr_zone_sides[i], "pagetypeinfo");
		if (s)
			parse_pagetypeinfo(s->text, &z->free[i], &z->blocks[i]);
		s = mr_snapshots_find(snaps, mr_zone_sides[i], "slabinfo");
		if (s)
			parse_slabinfo(s->text, &z->slab[i]);
	}
}

void mr_zones_release(struct mr_zones *z)
{
	for (int i = 0; i < MR_ZONE_SIDES; i++) {
		free(z->buddy[i].v);
		free(z->free[i].v);
		free(z->blocks[i].v);
		free(z->slab[i].v);
	}
}

/* ---- figures ---- */

const struct mr_zrow *mr_zone_find_row(const struct mr_ztable *t, int node, const char *zone,
				   const char *type)
{
	for (size_t i = 0; i < t->nr; i++)
		if (t->v[i].node == node && !strcmp(t->v[i].zone, zone) &&
		    !strcmp(t->v[i].type, type))
			return &t->v[i];
	return NULL;
}

/* Pages free in a row's blocks of order >= from. */
uint64_t mr_zone_pages_from(const struct mr_zrow *r, int from)
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
double mr_zone_unusable_index(const struct mr_zrow *r, int j)
{
	uint64_t total = mr_zone_pages_from(r, 0);

	return total ? (double)(total - mr_zone_pages_from(r, j)) / (double)total : 0.0;
}

void mr_zone_keys_add(struct mr_zkeys *k, const struct mr_ztable *t, bool with_type)
{
	for (size_t i = 0; i < t->nr; i++) {
		const struct mr_zrow *r = &t->v[i];
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

uint64_t mr_slab_bytes(const struct mr_slab *s)
{
	return s ? s->num_slabs * s->pagesperslab * MR_ZONE_PAGE_BYTES : 0;
}

/* The share of a cache's slab memory that holds no live object. */
double mr_slab_waste(const struct mr_slab *s)
{
	uint64_t bytes = mr_slab_bytes(s);

	return bytes ? 1.0 - (double)s->active_objs * s->objsize / bytes : 0.0;
}

static const struct mr_slab *find_slab(const struct mr_slabtab *t, const char *name)
{
	for (size_t i = 0; i < t->nr; i++)
		if (!strcmp(t->v[i].name, name))
			return &t->v[i];
	return NULL;
}

static int change_cmp(const void *a, const void *b)
{
	const struct mr_slab_change *x = a, *y = b;
	const char *nx = (x->s[MR_ZONE_START] ? x->s[MR_ZONE_START] : x->s[MR_ZONE_STOP])->name;
	const char *ny = (y->s[MR_ZONE_START] ? y->s[MR_ZONE_START] : y->s[MR_ZONE_STOP])->name;

	if (x->growth != y->growth)
		return x->growth > y->growth ? -1 : 1;
	return strcmp(nx, ny);
}

void mr_slab_summarise(const struct mr_zones *z, struct mr_slab_summary *sum)
{
	memset(sum, 0, sizeof(*sum));
	sum->v = mr_xcalloc(z->slab[MR_ZONE_START].nr + z->slab[MR_ZONE_STOP].nr, sizeof(*sum->v));
	for (size_t i = 0; i < z->slab[MR_ZONE_START].nr; i++) {
		struct mr_slab_change *c = &sum->v[sum->nr++];

		c->s[MR_ZONE_START] = &z->slab[MR_ZONE_START].v[i];
		c->s[MR_ZONE_STOP] = find_slab(&z->slab[MR_ZONE_STOP], c->s[MR_ZONE_START]->name);
	}
	for (size_t i = 0; i < z->slab[MR_ZONE_STOP].nr; i++)
		if (!find_slab(&z->slab[MR_ZONE_START], z->slab[MR_ZONE_STOP].v[i].name))
			sum->v[sum->nr++].s[MR_ZONE_STOP] = &z->slab[MR_ZONE_STOP].v[i];
	for (size_t i = 0; i < sum->nr; i++) {
		struct mr_slab_change *c = &sum->v[i];

		c->growth = (int64_t)(mr_slab_bytes(c->s[MR_ZONE_STOP]) - mr_slab_bytes(c->s[MR_ZONE_START]));
		sum->grew += c->growth > 0;
		sum->shrank += c->growth < 0;
		sum->bytes[MR_ZONE_START] += mr_slab_bytes(c->s[MR_ZONE_START]);
		sum->bytes[MR_ZONE_STOP] += mr_slab_bytes(c->s[MR_ZONE_STOP]);
	}
	mr_qsort(sum->v, sum->nr, sizeof(*sum->v), change_cmp);
}

