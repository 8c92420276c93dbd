// SPDX-License-Identifier: GPL-2.0
/*
 * embed.c - puts what symbolisation needs into the trace file, so that it
 * can be reported where the target's binaries are not: for every module
 * the targets mapped, a copy reduced to its symbol tables (lib/elfmin.c),
 * and with --debuginfo its DWARF and separate debug file, keyed by
 * build-id. A file that changed since it was mapped is not embedded.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "memrec.h"
#include "mr_archive.h"
#include "mr_buildid.h"
#include "mr_elfmin.h"
#include "record.h"

static bool seen(const struct mr_meta *m, int upto, const char *bid)
{
	for (int i = 0; i < upto; i++) {
		const char *b = m->maps[i].build_id ? m->maps[i].build_id
						    : mr_meta_buildid_of(m, m->maps[i].path);

		if (b && !strcmp(b, bid))
			return true;
	}
	return false;
}

static bool add_file(struct mr_buf *b, enum mr_archive_kind kind, const char *bid,
		     const char *path, const char *file, bool keep_debug, struct mr_embed_stats *st)
{
	struct mr_buf elf = { 0 };
	size_t before = b->len;

	if (mr_elf_keep_symbols(file, keep_debug, &elf) < 0)
		return false;
	mr_archive_add(b, kind, bid, path, elf.data, elf.len);
	st->raw += elf.len;
	st->stored += b->len - before;
	mr_buf_release(&elf);
	return true;
}

/* Separate debug info, where the distribution installs it (-dbgsym packages). */
static char *debug_file(const char *bid)
{
	char *p;

	if (strlen(bid) < 3)
		return NULL;
	p = mr_xasprintf("/usr/lib/debug/.build-id/%.2s/%s.debug", bid, bid + 2);
	if (!access(p, R_OK))
		return p;
	free(p);
	return NULL;
}

static void embed_one(struct mr_buf *b, const char *bid, const char *path, bool debuginfo,
		      struct mr_embed_stats *st)
{
	char *here = mr_read_build_id(path), *dbg;

	if (!here || strcmp(here, bid)) {
		char *q = mr_quote_ctl(path);

		mr_warning("'%s' changed since it was mapped (build-id %s, now %s); not embedded",
			   q, bid, here ? here : "none");
		free(q);
		free(here);
		st->skipped++;
		return;
	}
	free(here);
	if (!add_file(b, MR_ARCHIVE_ELF, bid, path, path, debuginfo, st)) {
		st->skipped++;
		return;
	}
	st->modules++;
	dbg = debuginfo ? debug_file(bid) : NULL;
	if (dbg && add_file(b, MR_ARCHIVE_DEBUG, bid, path, dbg, true, st))
		st->debug_files++;
	free(dbg);
}

void mr_embed_modules(const struct mr_meta *m, bool debuginfo, struct mr_buf *b,
		      struct mr_embed_stats *st)
{
	memset(st, 0, sizeof(*st));
	mr_archive_begin(b);
	for (int i = 0; i < m->nr_maps; i++) {
		const struct mr_meta_map *map = &m->maps[i];
		const char *bid = map->build_id ? map->build_id : mr_meta_buildid_of(m, map->path);

		if (!bid || map->path[0] != '/' || seen(m, i, bid))
			continue;
		embed_one(b, bid, map->path, debuginfo, st);
	}
}
