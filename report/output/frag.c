// SPDX-License-Identifier: GPL-2.0
/*
 * frag.c - `memrec report frag`: the recording's header, then one
 * section per fragmentation analyser (schema of the JSON form:
 * docs/memrec-report-frag-json.md). A section is one line of the table.
 */
#include "memrec.h"
#include "output/output.h"
#include "output/frag.h"

struct frag_section {
	const char	*key;		/* its member in the JSON object */
	int		(*text)(FILE *f, struct mr_ctx *ctx, const struct mr_frag *fr);
	/* writes its member's value; frag.c names it */
	void		(*json)(struct mr_json *j, struct mr_ctx *ctx,
				const struct mr_frag *fr);
};

static const struct frag_section sections[] = {
	{ "slab", mr_frag_slab_text, mr_frag_slab_json },
	{ "pages", mr_frag_pages_text, mr_frag_pages_json },
	{ "vmalloc", mr_frag_vmalloc_text, mr_frag_vmalloc_json },
	{ "zones", mr_frag_zone_text, mr_frag_zone_json },
	{ "heap", mr_frag_heap_text, mr_frag_heap_json },
};

int mr_frag_write_text(FILE *f, struct mr_ctx *ctx, const void *state)
{
	const struct mr_frag *fr = state;

	mr_write_text_header(f, ctx);
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		if (sections[i].text && sections[i].text(f, ctx, fr) < 0)
			return -1;
	return 0;
}

int mr_frag_write_json(FILE *f, struct mr_ctx *ctx, const void *state)
{
	const struct mr_frag *fr = state;
	struct mr_json j;

	mr_json_init(&j, f);
	mr_json_object_begin(&j, NULL, MR_JSON_BLOCK);
	mr_write_json_header(&j, ctx);
	mr_json_str(&j, "report", "frag");
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
		if (!sections[i].json)
			continue;
		mr_json_key(&j, sections[i].key);
		sections[i].json(&j, ctx, fr);
	}
	mr_json_object_end(&j);
	return mr_json_finish(&j);
}
