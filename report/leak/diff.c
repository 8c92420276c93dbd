// SPDX-License-Identifier: GPL-2.0
/*
 * diff.c - two leak reports compared site by site (leak/diff.h). Each row
 * of each file gets a key made of names only; rows of one file with the
 * same key (the same site in two processes of one name, say) are summed,
 * then the two files' sums are matched by key.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "leak/diff.h"

/* A row of one file: which file, which row, and its key. */
struct entry {
	char		*key;
	int		side;		/* 0 OLD, 1 NEW */
	bool		kernel;
	size_t		row;		/* in that file's user or kernel rows */
	uint64_t	bytes, count;
};

struct entries {
	struct entry	*e;
	size_t		nr, alloc;
};

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

/*
 * Frames by name: the function and the module's file name (its directory
 * may differ between hosts); a frame without a function by its offset in
 * its module, which ASLR does not move. Kernel frames without a symbol
 * have nothing stable to go by.
 */
static void key_frames(struct mr_buf *b, const struct mr_frame *fr, int nr, bool user)
{
	for (int i = 0; i < nr; i++, fr++) {
		if (fr->function)
			mr_buf_addf(b, "%s%s", fr->function, fr->inlined ? " (inlined)" : "");
		else if (fr->module && user)
			mr_buf_addf(b, "+0x%" PRIx64, fr->mod_offset);
		else
			mr_buf_addf(b, "?");
		mr_buf_addf(b, " in %s\x1e", fr->module ? base_name(fr->module) : "?");
	}
}

static char *buf_take(struct mr_buf *b)
{
	mr_buf_add(b, "", 1);
	return b->data;
}

static char *user_key(struct mr_ctx *ctx, const struct mr_leak *l)
{
	struct mr_frame frames[MR_MAX_STACK];
	int nr = mr_ctx_frames(ctx, mr_ctx_aspace_pid(ctx, l->aspace), l->stack, l->ts_min, false,
			       frames, MR_MAX_STACK);
	struct mr_buf b = { 0 };

	mr_buf_addf(&b, "u\x1f%s\x1f%s\x1f", mr_ctx_comm(ctx, l->aspace), mr_fn_name(l->fn));
	key_frames(&b, frames, nr, true);
	return buf_take(&b);
}

static const char *call_site(struct mr_ctx *ctx, const struct mr_kmem *k, const struct mr_kleak *l)
{
	uint64_t off;

	const struct mr_kmem_site *s = mr_kleak_site(k, l);

	if (!s)
		return l->call_site ? mr_ctx_ksym(ctx, l->call_site, &off) : NULL;
	return mr_ctx_ksym(ctx, s->call_site, &off);
}

static const char *cache_of(const struct mr_kmem *k, const struct mr_kleak *l)
{
	if (l->kind != MR_KLEAK_SLAB)
		return l->page ? NULL : mr_kleak_kind_name(l);
	return k->sites[l->site].cache ? k->sites[l->site].cache : "kmalloc";
}

static char *kernel_key(struct mr_ctx *ctx, const struct mr_kmem *k, const struct mr_kleak *l)
{
	struct mr_frame frames[MR_MAX_STACK];
	struct mr_buf b = { 0 };
	const char *site = call_site(ctx, k, l);
	int nr;

	mr_buf_addf(&b, "k\x1f%s\x1f", mr_ctx_pid_comm(ctx, l->pid));
	if (l->page)
		mr_buf_addf(&b, "page\x1f%d\x1f", l->order);
	else
		mr_buf_addf(&b, "%s\x1f%s\x1f%s\x1f", mr_kleak_kind_name(l), cache_of(k, l),
			    site ? site : "?");
	nr = mr_ctx_kframes(ctx, l->kstack, frames, MR_MAX_STACK);
	key_frames(&b, frames, nr, false);
	mr_buf_addf(&b, "\x1f");
	nr = mr_ctx_frames(ctx, l->pid, l->ustack, l->ts_min, true, frames, MR_MAX_STACK);
	key_frames(&b, frames, nr, true);
	return buf_take(&b);
}

static void add_entries(struct entries *es, int side, const struct mr_diff_input *in)
{
	const struct mr_leaks *u = &in->r->user;
	const struct mr_kleaks *k = &in->r->kernel;

	for (size_t i = 0; i < u->nr; i++) {
		MR_ALLOC_GROW(es->e, es->nr, es->alloc);
		es->e[es->nr++] = (struct entry){
			.key = user_key(in->ctx, &u->rows[i]), .side = side, .row = i,
			.bytes = u->rows[i].bytes, .count = u->rows[i].count,
		};
	}
	for (size_t i = 0; i < k->nr; i++) {
		MR_ALLOC_GROW(es->e, es->nr, es->alloc);
		es->e[es->nr++] = (struct entry){
			.key = kernel_key(in->ctx, in->r->kmem, &k->rows[i]), .side = side,
			.kernel = true, .row = i, .bytes = k->rows[i].bytes, .count = k->rows[i].count,
		};
	}
}

/* By key, OLD before NEW, then each file's rows in its own order (biggest first). */
static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	if (x->side != y->side)
		return x->side - y->side;
	return x->row < y->row ? -1 : x->row > y->row;
}

static struct mr_frame *copy_frames(const struct mr_frame *fr, int nr)
{
	struct mr_frame *out = nr ? mr_xreallocarray(NULL, nr, sizeof(*out)) : NULL;

	if (nr)
		memcpy(out, fr, nr * sizeof(*out));
	return out;
}

static void describe_user(struct mr_diff_row *d, const struct mr_leak *l, struct mr_ctx *ctx)
{
	struct mr_frame frames[MR_MAX_STACK];
	int pid = mr_ctx_aspace_pid(ctx, l->aspace);

	d->comm = mr_ctx_comm(ctx, l->aspace);
	d->fn = l->fn;
	d->nr_frames = mr_ctx_frames(ctx, pid, l->stack, l->ts_min, false, frames, MR_MAX_STACK);
	d->frames = copy_frames(frames, d->nr_frames);
}

static void describe_kernel(struct mr_diff_row *d, const struct mr_kleak *l,
			    const struct mr_kmem *k, struct mr_ctx *ctx)
{
	struct mr_frame frames[MR_MAX_STACK];

	d->comm = mr_ctx_pid_comm(ctx, l->pid);
	d->page = l->page;
	d->order = l->page ? l->order : -1;
	d->cache = cache_of(k, l);
	d->call_site = call_site(ctx, k, l);
	d->nr_kframes = mr_ctx_kframes(ctx, l->kstack, frames, MR_MAX_STACK);
	d->kframes = copy_frames(frames, d->nr_kframes);
	d->nr_frames = mr_ctx_frames(ctx, l->pid, l->ustack, l->ts_min, true, frames,
				     MR_MAX_STACK);
	d->frames = copy_frames(frames, d->nr_frames);
}

/* What a row is shown by: its first file's row (NEW's biggest, or OLD's when gone). */
static void describe(struct mr_diff_row *d, const struct entry *e, const struct mr_diff_input *in)
{
	d->ctx = in->ctx;
	if (e->kernel)
		describe_kernel(d, &in->r->kernel.rows[e->row], in->r->kmem, in->ctx);
	else
		describe_user(d, &in->r->user.rows[e->row], in->ctx);
}

static enum mr_diff_status status_of(const struct mr_diff_row *d, bool in_old, bool in_new)
{
	if (!in_old)
		return MR_DIFF_NEW;
	if (!in_new)
		return MR_DIFF_GONE;
	if (d->new_bytes > d->old_bytes)
		return MR_DIFF_GROWN;
	return d->new_bytes < d->old_bytes ? MR_DIFF_SHRUNK : MR_DIFF_SAME;
}

static bool shown(const struct mr_diff_row *d)
{
	return d->status == MR_DIFF_GROWN || d->status == MR_DIFF_NEW;
}

/* Grown and new first, by growth in bytes, then blocks; the others after, by key. */
static int cmp_row(const void *a, const void *b)
{
	const struct mr_diff_row *x = a, *y = b;
	uint64_t gx = x->new_bytes - x->old_bytes, gy = y->new_bytes - y->old_bytes;

	if (shown(x) != shown(y))
		return shown(x) ? -1 : 1;
	if (shown(x) && gx != gy)
		return gx > gy ? -1 : 1;
	if (shown(x) && x->new_count != y->new_count)
		return x->new_count > y->new_count ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* One group of entries of equal key (OLD's first): one row of side s. */
static void add_row(struct mr_diff_side *s, struct entry *e, size_t n,
		    const struct mr_diff_input *in)
{
	struct mr_diff_row *d;
	bool in_old = false, in_new = false;

	d = &s->rows[s->nr++];	/* rows[] is sized by the caller */
	memset(d, 0, sizeof(*d));
	d->key = e[0].key;
	for (size_t i = 0; i < n; i++) {
		if (e[i].side) {
			d->new_bytes += e[i].bytes;
			d->new_count += e[i].count;
			in_new = true;
		} else {
			d->old_bytes += e[i].bytes;
			d->old_count += e[i].count;
			in_old = true;
		}
		if (i)
			free(e[i].key);
	}
	d->status = status_of(d, in_old, in_new);
	s->sites[d->status]++;
	/* NEW's biggest row of the key when there is one: entries of NEW follow OLD's */
	for (size_t i = 0; i < n; i++)
		if (e[i].side || !in_new) {
			describe(d, &e[i], &in[e[i].side]);
			break;
		}
	s->old_bytes += d->old_bytes;
	s->old_count += d->old_count;
	s->new_bytes += d->new_bytes;
	s->new_count += d->new_count;
	if (shown(d)) {
		s->nr_grown++;
		s->grown_bytes += d->new_bytes - d->old_bytes;
		s->grown_count += d->new_count > d->old_count ? d->new_count - d->old_count : 0;
	}
	if (d->status == MR_DIFF_GONE) {
		s->gone_bytes += d->old_bytes;
		s->gone_count += d->old_count;
	}
}

void mr_leak_diff_build(struct mr_leak_diff *d, struct mr_diff_input old,
			struct mr_diff_input new)
{
	const struct mr_diff_input in[2] = { old, new };
	struct entries es = { 0 };
	size_t i, j;

	memset(d, 0, sizeof(*d));
	d->old = old;
	d->new = new;
	add_entries(&es, 0, &old);
	add_entries(&es, 1, &new);
	mr_qsort(es.e, es.nr, sizeof(*es.e), cmp_entry);
	/* at most one row per entry */
	d->user.rows = es.nr ? mr_xreallocarray(NULL, es.nr, sizeof(*d->user.rows)) : NULL;
	d->kernel.rows = es.nr ? mr_xreallocarray(NULL, es.nr, sizeof(*d->kernel.rows)) : NULL;
	for (i = 0; i < es.nr; i = j) {
		for (j = i + 1; j < es.nr && !strcmp(es.e[i].key, es.e[j].key); j++)
			;
		add_row(es.e[i].kernel ? &d->kernel : &d->user, &es.e[i], j - i, in);
	}
	mr_qsort(d->user.rows, d->user.nr, sizeof(*d->user.rows), cmp_row);
	mr_qsort(d->kernel.rows, d->kernel.nr, sizeof(*d->kernel.rows), cmp_row);
	free(es.e);
}

static void side_release(struct mr_diff_side *s)
{
	for (size_t i = 0; i < s->nr; i++) {
		free(s->rows[i].key);
		free(s->rows[i].frames);
		free(s->rows[i].kframes);
	}
	free(s->rows);
}

void mr_leak_diff_release(struct mr_leak_diff *d)
{
	side_release(&d->user);
	side_release(&d->kernel);
	memset(d, 0, sizeof(*d));
}

const char *mr_diff_status_name(enum mr_diff_status s)
{
	static const char *const names[] = {
		[MR_DIFF_GROWN] = "grown", [MR_DIFF_NEW] = "new", [MR_DIFF_SHRUNK] = "shrunk",
		[MR_DIFF_SAME] = "unchanged", [MR_DIFF_GONE] = "gone",
	};

	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}
