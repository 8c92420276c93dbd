// SPDX-License-Identifier: GPL-2.0
/*
 * write_frag.c - `memrec report frag`: the recording's header, then one
 * section per fragmentation analyser (schema of the JSON form:
 * docs/memrec-report-frag-json.md). A section is one line of the table.
 */
#include "memrec.h"
#include "report.h"

struct frag_section {
	const char	*key;		/* its member in the JSON object */
	int		(*text)(FILE *f, struct mr_report *rep);
	int		(*json)(FILE *f, struct mr_report *rep);
};

static const struct frag_section sections[] = {
	{ "slab", mr_frag_slab_text, mr_frag_slab_json },
	{ "pages", mr_frag_pages_text, mr_frag_pages_json },
	{ "zones", mr_frag_zone_text, mr_frag_zone_json },
	{ "heap", mr_frag_heap_section_text, mr_frag_heap_section_json },
};

int mr_write_text_frag(FILE *f, struct mr_report *rep)
{
	mr_write_text_header(f, rep);
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		if (sections[i].text && sections[i].text(f, rep) < 0)
			return -1;
	return 0;
}

int mr_write_json_frag(FILE *f, struct mr_report *rep)
{
	mr_write_json_header(f, rep);
	fputs("  \"report\": \"frag\"", f);
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
		if (!sections[i].json)
			continue;
		fprintf(f, ",\n  \"%s\": ", sections[i].key);
		if (sections[i].json(f, rep) < 0)
			return -1;
	}
	fputs("\n}\n", f);
	return 0;
}
