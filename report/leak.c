// SPDX-License-Identifier: GPL-2.0
/*
 * leak.c - the leak analyser: blocks still live at the end of the trace,
 * grouped by (process, stack, allocator), biggest first. Blocks a child
 * inherited at fork are the parent's allocations and are left out unless
 * asked for; --min-age leaves out blocks younger than the age given.
 */
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "report.h"

struct collect {
	struct mr_report	*rep;
	struct mr_leaks		*out;
	struct mr_leak		*rows;
	size_t			nr, alloc;
	uint64_t		min_age_ns;
};

static bool wanted_pid(struct mr_report *rep, uint32_t aspace)
{
	const struct mr_aspace *as = mr_pairing_aspace(rep->pairing, aspace);

	return !rep->o->pid || (as && as->pid == rep->o->pid);
}

static int add_block(const struct mr_block *b, void *data)
{
	struct collect *c = data;
	struct mr_leak *l;

	if (!wanted_pid(c->rep, b->aspace))
		return 0;
	if (b->inherited && !c->rep->o->inherited) {
		c->out->inherited_count++;
		c->out->inherited_bytes += b->size;
		return 0;
	}
	if (c->min_age_ns && c->rep->end_ts - b->ts < c->min_age_ns) {
		c->out->young_count++;
		return 0;
	}
	if (c->nr == c->alloc) {
		c->alloc = c->alloc ? c->alloc * 2 : 1024;
		c->rows = mr_xrealloc(c->rows, c->alloc * sizeof(*c->rows));
	}
	l = &c->rows[c->nr++];
	l->aspace = b->aspace;
	l->stack = b->stack;
	l->fn = b->fn;
	l->inherited = b->inherited;
	l->bytes = l->size_min = l->size_max = b->size;
	l->count = 1;
	l->ts_min = l->ts_max = b->ts;
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	const struct mr_leak *x = a, *y = b;

	if (x->aspace != y->aspace)
		return x->aspace < y->aspace ? -1 : 1;
	if (x->stack != y->stack)
		return x->stack < y->stack ? -1 : 1;
	if (x->fn != y->fn)
		return x->fn < y->fn ? -1 : 1;
	return (int)x->inherited - (int)y->inherited;
}

static int cmp_bytes(const void *a, const void *b)
{
	const struct mr_leak *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return cmp_key(a, b);
}

/* Folds rows with equal keys (rows are sorted by key). */
static size_t fold(struct mr_leak *rows, size_t nr)
{
	size_t out = 0;

	for (size_t i = 0; i < nr; i++) {
		struct mr_leak *l = &rows[out - (out > 0)];

		if (out && !cmp_key(l, &rows[i])) {
			l->bytes += rows[i].bytes;
			l->count++;
			if (rows[i].size_min < l->size_min)
				l->size_min = rows[i].size_min;
			if (rows[i].size_max > l->size_max)
				l->size_max = rows[i].size_max;
			if (rows[i].ts_min < l->ts_min)
				l->ts_min = rows[i].ts_min;
			if (rows[i].ts_max > l->ts_max)
				l->ts_max = rows[i].ts_max;
		} else {
			rows[out++] = rows[i];
		}
	}
	return out;
}

void mr_leaks_build(struct mr_report *rep, struct mr_leaks *out)
{
	struct collect c = { .rep = rep, .out = out };

	memset(out, 0, sizeof(*out));
	c.min_age_ns = rep->o->min_age_s * 1e9;
	mr_pairing_for_each_live(rep->pairing, add_block, &c);
	qsort(c.rows, c.nr, sizeof(*c.rows), cmp_key);
	c.nr = fold(c.rows, c.nr);
	qsort(c.rows, c.nr, sizeof(*c.rows), cmp_bytes);
	for (size_t i = 0; i < c.nr; i++) {
		out->bytes += c.rows[i].bytes;
		out->count += c.rows[i].count;
	}
	out->rows = c.rows;
	out->nr = c.nr;
}

void mr_leaks_release(struct mr_leaks *l)
{
	free(l->rows);
	free(l->krows);
	memset(l, 0, sizeof(*l));
}
