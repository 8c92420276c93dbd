// SPDX-License-Identifier: GPL-2.0
/*
 * test_reader.c - the reader's two ways through a file give the same
 * events: the pages read and decoded by memrec itself (report/input/
 * reader.c, the way of files of this host's byte order) and through
 * libtracecmd's iteration. Every field of every event of each golden file
 * is compared, in order, with the reader's counts; a page damaged in a
 * copy of one is an error of the file, not a crash.
 */
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "memrec.h"
#include "mr_test.h"
#include "input/input.h"

struct events {
	char	**lines;
	size_t	nr, alloc;
};

static uint64_t fnv(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 1469598103934665603ull;

	while (n--)
		h = (h ^ *b++) * 1099511628211ull;
	return h;
}

static void add(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
		va_end(ap);
		if ((size_t)n < *cap - *len)
			break;
		*cap = *cap * 2 + n;
		*buf = mr_xrealloc(*buf, *cap);
	}
	*len += n;
}

/* Every field of the event, as one line. */
static void on_event(const struct mr_event *ev, void *arg)
{
	struct events *e = arg;
	size_t len = 0, cap = 256;
	char *s = mr_xmalloc(cap);

	add(&s, &len, &cap, "%llu k%d f%d c%d t%d g%d a%llx,%llx,%llx r%llx %llx %llx",
	    (unsigned long long)ev->ts, ev->kind, ev->fn, ev->cpu, ev->tid, ev->tgid,
	    (unsigned long long)ev->args[0], (unsigned long long)ev->args[1],
	    (unsigned long long)ev->args[2], (unsigned long long)ev->ret,
	    (unsigned long long)ev->caller, (unsigned long long)ev->func);
	for (int i = 0; i < ev->nr_stack; i++)
		add(&s, &len, &cap, " s%llx", (unsigned long long)ev->stack[i]);
	for (int i = 0; i < ev->nr_kstack; i++)
		add(&s, &len, &cap, " k%llx", (unsigned long long)ev->kstack[i]);
	add(&s, &len, &cap, " u%llx/%zu %llx", ev->uregs ? (unsigned long long)
	    fnv(ev->uregs, MR_UREGS_NR * 8) : 0ull, ev->ustack_len, ev->ustack_copy ?
	    (unsigned long long)fnv(ev->ustack_copy, ev->ustack_len) : 0ull);
	add(&s, &len, &cap, " n%d %llx d%d l%llu [%s] [%s] [%s] [%s] [%s] i%d m%d",
	    ev->child_tid, (unsigned long long)ev->clone_flags, ev->group_dead,
	    (unsigned long long)ev->lost, ev->path ? ev->path : "-", ev->comm ? ev->comm : "-",
	    ev->name ? ev->name : "-", ev->cache ? ev->cache : "-", ev->gfp ? ev->gfp : "-",
	    ev->irq, ev->in_allocator);
	for (int i = 0; i < 6; i++)
		add(&s, &len, &cap, " %lld", (long long)ev->raw[i]);
	if (e->nr == e->alloc) {
		e->alloc = e->alloc ? e->alloc * 2 : 1024;
		e->lines = mr_xrealloc(e->lines, e->alloc * sizeof(*e->lines));
	}
	e->lines[e->nr++] = s;
}

static void release(struct events *e)
{
	for (size_t i = 0; i < e->nr; i++)
		free(e->lines[i]);
	free(e->lines);
	memset(e, 0, sizeof(*e));
}

/* Reads path through libtracecmd (library) or the way the reader chooses. */
static int read_all(const char *path, bool library, struct events *e,
		    struct mr_reader_stats *stats)
{
	struct mr_cpu_layout layout;
	struct mr_snapshots snaps = { 0 };
	struct mr_meta meta = { 0 };
	struct mr_reader *r;
	uint32_t asize;
	void *archive;
	int ret;

	if (mr_input_read_meta(path, &meta, &snaps, &archive, &asize, &layout) < 0)
		return -1;
	free(archive);
	mr_snapshots_release(&snaps);
	mr_meta_release(&meta);
	r = mr_reader_open(path, library ? NULL : &layout);
	mr_cpu_layout_release(&layout);
	if (!r)
		return -1;
	ret = mr_reader_run(r, on_event, e);
	*stats = *mr_reader_stats(r);
	mr_reader_close(r);
	return ret;
}

static void compare_file(const char *path)
{
	struct mr_reader_stats so, sl;
	struct events own = { 0 }, lib = { 0 };
	char name[256];
	size_t i;
	int ro, rl;

	ro = read_all(path, false, &own, &so);
	rl = read_all(path, true, &lib, &sl);
	snprintf(name, sizeof(name), "reader/%s: both ways read it", path);
	MR_CHECK(!ro && !rl, name, "memrec's way %d, libtracecmd's %d", ro, rl);
	for (i = 0; i < own.nr && i < lib.nr && !strcmp(own.lines[i], lib.lines[i]); i++)
		;
	snprintf(name, sizeof(name), "reader/%s: the same %zu events", path, lib.nr);
	MR_CHECK(own.nr == lib.nr && i == own.nr && own.nr > 0, name,
		 "%zu and %zu events, first difference at %zu:\n#  own %s\n#  lib %s", own.nr,
		 lib.nr, i, i < own.nr ? own.lines[i] : "-", i < lib.nr ? lib.lines[i] : "-");
	snprintf(name, sizeof(name), "reader/%s: the same counts", path);
	MR_CHECK(!memcmp(&so, &sl, sizeof(so)), name,
		 "records %llu/%llu, events %llu/%llu, stacks %llu/%llu, missed %llu/%llu",
		 (unsigned long long)so.records, (unsigned long long)sl.records,
		 (unsigned long long)so.events, (unsigned long long)sl.events,
		 (unsigned long long)so.stacks, (unsigned long long)sl.stacks,
		 (unsigned long long)so.missed, (unsigned long long)sl.missed);
	release(&own);
	release(&lib);
}

/*
 * A copy of path whose second page of a CPU claims more than a page holds
 * (the first ones libtracecmd reads as it opens the file: the header walk
 * checks those). Returns 1 when path has no CPU of two pages.
 */
static int damaged_page(const char *path)
{
	char tmp[] = "/tmp/mr_test_reader_XXXXXX";
	struct mr_reader_stats st;
	struct mr_cpu_layout layout;
	struct mr_snapshots snaps = { 0 };
	struct mr_meta meta = { 0 };
	struct events e = { 0 };
	uint64_t off = 0, commit = 0xffffff;
	FILE *in = fopen(path, "rb"), *out;
	uint32_t asize;
	void *archive;
	int fd = mkstemp(tmp), c, ret, damaged_cpu = -1;
	struct mr_reader *r;

	if (!in || fd < 0 || mr_input_read_meta(path, &meta, &snaps, &archive, &asize,
						&layout) < 0) {
		MR_CHECK(0, "reader/damaged: setup", "cannot copy '%s'", path);
		return 0;
	}
	free(archive);
	mr_snapshots_release(&snaps);
	mr_meta_release(&meta);
	for (int i = 0; i < layout.nr_cpus && !off; i++)
		if (layout.size[i] >= 2 * layout.page_size) {
			off = layout.offset[i] + layout.page_size;
			damaged_cpu = i;
		}
	mr_cpu_layout_release(&layout);
	if (!off) {
		fclose(in);
		close(fd);
		unlink(tmp);
		return 1;
	}
	out = fdopen(fd, "wb");
	while ((c = fgetc(in)) != EOF)
		fputc(c, out);
	fclose(in);
	fseek(out, off + 8, SEEK_SET);
	fwrite(&commit, 8, 1, out);
	fclose(out);
	ret = read_all(tmp, false, &e, &st);
	MR_CHECK(ret < 0, "reader/damaged: a page longer than a page is an error",
		 "read %zu events", e.nr);
	release(&e);
	/* where the reader cannot read the pages itself (a layout it does not take) */
	if (mr_input_read_meta(tmp, &meta, &snaps, &archive, &asize, &layout) == 0) {
		free(archive);
		mr_snapshots_release(&snaps);
		mr_meta_release(&meta);
		if (layout.own && layout.nr_cpus > 1) {
			/* one CPU fewer than the file has, the damaged one first */
			layout.offset[0] = layout.offset[damaged_cpu];
			layout.size[0] = layout.size[damaged_cpu];
			layout.nr_cpus--;
			r = mr_reader_open(tmp, &layout);
			MR_CHECK(!r, "reader/damaged: checked before libtracecmd reads it",
				 "opened");
			mr_reader_close(r);
		}
		mr_cpu_layout_release(&layout);
	}
	unlink(tmp);
	return 0;
}

/*
 * What the golden files' pages lack, written into a copy of one: an event
 * discarded into padding, a time extend made an absolute time stamp of the
 * same time, a page that lost a known number of events (stored after its
 * own) and one that lost an unknown number. Both ways must agree on it.
 */
struct page_edits {
	bool	padding, stamp, stored, unknown;
};

static uint32_t rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void wr32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* One page (long_size 8) edited where it allows, at most one edit of each kind. */
static void edit_page(unsigned char *page, uint32_t ps, struct page_edits *done)
{
	uint64_t flags, ts;
	uint32_t commit, pos;

	memcpy(&ts, page, 8);
	memcpy(&flags, page + 8, 8);
	commit = flags & ((1u << 27) - 1);
	for (pos = 0; pos + 8 <= commit;) {
		unsigned char *e = page + 16 + pos;
		uint32_t head = rd32(e), type = head & 31, delta = head >> 5, len;

		if (type == 30 && !done->stamp) {
			ts += delta + ((uint64_t)rd32(e + 4) << 27);
			wr32(e, 31 | (uint32_t)(ts & ((1u << 27) - 1)) << 5);
			wr32(e + 4, ts >> 27);
			done->stamp = true;
			len = 8;
		} else if (type == 30 || type == 31) {
			ts = type == 31 ? delta + ((uint64_t)rd32(e + 4) << 27) :
					  ts + delta + ((uint64_t)rd32(e + 4) << 27);
			len = 8;
		} else if (type == 0 || type == 29) {
			len = type ? 4 + rd32(e + 4) : 4 + ((rd32(e + 4) + 3) & ~3u);
			ts += delta;
		} else {
			len = 4 + 4 * type;
			ts += delta;
			if (pos && delta && !done->padding) {
				/* as the kernel discards an event: its length after the header */
				wr32(e, 29 | delta << 5);
				wr32(e + 4, len - 4);
				done->padding = true;
			}
		}
		pos += len;
	}
	if (!done->stored && commit + 16 + 8 <= ps) {
		flags |= 3ull << 30;
		memcpy(page + 8, &flags, 8);
		memcpy(page + 16 + commit, &(uint64_t){ 5 }, 8);
		done->stored = true;
	} else if (done->stored && !done->unknown) {
		flags |= 1ull << 31;
		memcpy(page + 8, &flags, 8);
		done->unknown = true;
	}
}

static void edited_pages(const char *path)
{
	char tmp[] = "/tmp/mr_test_reader_XXXXXX", name[300];
	struct mr_reader_stats so, sl;
	struct events own = { 0 }, lib = { 0 };
	struct page_edits done = { 0 };
	struct mr_cpu_layout layout;
	struct mr_snapshots snaps = { 0 };
	struct mr_meta meta = { 0 };
	unsigned char *page;
	FILE *in = fopen(path, "rb"), *out;
	uint32_t asize;
	void *archive;
	int fd = mkstemp(tmp), c;

	if (!in || fd < 0 || mr_input_read_meta(path, &meta, &snaps, &archive, &asize,
						&layout) < 0 || layout.long_size != 8) {
		MR_CHECK(0, "reader/edited: setup", "cannot copy '%s'", path);
		return;
	}
	free(archive);
	mr_snapshots_release(&snaps);
	mr_meta_release(&meta);
	out = fdopen(fd, "w+b");
	while ((c = fgetc(in)) != EOF)
		fputc(c, out);
	fclose(in);
	page = mr_xmalloc(layout.page_size);
	/* past each CPU's first page: libtracecmd reads those as it opens the file */
	for (int i = 0; i < layout.nr_cpus; i++)
		for (uint64_t at = layout.page_size; at + layout.page_size <= layout.size[i];
		     at += layout.page_size) {
			fseek(out, layout.offset[i] + at, SEEK_SET);
			if (fread(page, layout.page_size, 1, out) != 1)
				break;
			edit_page(page, layout.page_size, &done);
			fseek(out, layout.offset[i] + at, SEEK_SET);
			fwrite(page, layout.page_size, 1, out);
		}
	fclose(out);
	free(page);
	mr_cpu_layout_release(&layout);
	snprintf(name, sizeof(name), "reader/edited %s: padding, a time stamp, lost events", path);
	MR_CHECK(done.padding && done.stamp && done.stored && done.unknown, name,
		 "padding %d, time stamp %d, stored %d, unknown %d", done.padding, done.stamp,
		 done.stored, done.unknown);
	compare_file(tmp);
	read_all(tmp, false, &own, &so);
	read_all(tmp, true, &lib, &sl);
	snprintf(name, sizeof(name), "reader/edited %s: 5 events lost and a page's unknown", path);
	MR_CHECK(so.missed == 5 + 1 && so.missed_unknown == 1,
		 name, "missed %llu, unknown %llu", (unsigned long long)so.missed,
		 (unsigned long long)so.missed_unknown);
	release(&own);
	release(&lib);
	unlink(tmp);
}

int main(void)
{
	size_t i;
	glob_t g;

	if (glob("tests/golden/*.dat", 0, NULL, &g) || !g.gl_pathc) {
		printf("skip - reader: no tests/golden/*.dat (run from the top directory)\n");
		return mr_test_done();
	}
	for (i = 0; i < g.gl_pathc; i++)
		compare_file(g.gl_pathv[i]);
	edited_pages("tests/golden/kernel61.dat");
	for (i = 0; i < g.gl_pathc && damaged_page(g.gl_pathv[i]); i++)
		;
	if (i == g.gl_pathc)
		printf("skip - reader/damaged: no golden file has a CPU of two pages\n");
	globfree(&g);
	return mr_test_done();
}
