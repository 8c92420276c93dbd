// SPDX-License-Identifier: GPL-2.0
/*
 * ksyms.c - the kernel functions of the file's kallsyms, parsed when a
 * kernel frame is first named: a report of the user heap names none, and
 * parsing some 200,000 lines up front was a fixed cost of every report.
 * Names are found as libtraceevent's tep_find_function() finds them (the
 * same lines kept, the same order among functions at one address, the same
 * search), so that reports read the same as when the library parsed them.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "input/input.h"

struct kfn {
	uint64_t	addr;
	const char	*name;		/* in text */
};

struct mr_ksyms {
	char		*text;		/* the kallsyms lines, cut in place into names */
	struct kfn	*fns;		/* by address; one past the end: addr 0 */
	size_t		nr;
	bool		parsed;
};

struct mr_ksyms *mr_ksyms_new(const char *text)
{
	struct mr_ksyms *k = mr_xcalloc(1, sizeof(*k));

	k->text = mr_xstrdup(text ? text : "");
	return k;
}

void mr_ksyms_free(struct mr_ksyms *k)
{
	if (!k)
		return;
	free(k->text);
	free(k->fns);
	free(k);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * One line: "ADDR TYPE NAME[\t[MODULE]]". Returns 1 for a function kept,
 * 0 for a line skipped, -1 for a line that ends the parse (as the library
 * stops at the first it cannot read, keeping what came before).
 */
static int parse_line(char *line, struct kfn *out)
{
	char *p = line, *name, type;
	uint64_t addr = 0;
	int digits = 0, width = 16, v;

	while (isspace((unsigned char)*p))
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && hexval(p[2]) >= 0) {
		p += 2;
		width -= 2;
	}
	for (; digits < width && (v = hexval((unsigned char)*p)) >= 0; digits++, p++)
		addr = addr << 4 | v;
	if (!digits)
		return -1;
	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return -1;
	type = *p++;
	while (isspace((unsigned char)*p))
		p++;
	name = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	if (p == name)
		return -1;
	/* arm's '$a' mapping symbols; x86-64's per-CPU offsets, absolute */
	if (name[0] == '$' || type == 'A' || type == 'a')
		return 0;
	*p = '\0';
	out->addr = addr;
	out->name = name;
	return 1;
}

/* Stable: functions at one address keep their order. */
static void sort_fns(struct kfn *a, struct kfn *tmp, size_t n)
{
	size_t mid = n / 2, i = 0, j = mid, o = 0;

	if (n < 2)
		return;
	sort_fns(a, tmp, mid);
	sort_fns(a + mid, tmp, n - mid);
	if (a[mid - 1].addr <= a[mid].addr)
		return;
	while (i < mid && j < n)
		tmp[o++] = a[j].addr < a[i].addr ? a[j++] : a[i++];
	while (i < mid)
		tmp[o++] = a[i++];
	memcpy(a, tmp, o * sizeof(*a));
}

static void parse(struct mr_ksyms *k)
{
	char *line, *save = NULL;
	struct kfn *tmp;
	size_t alloc = 0;

	k->parsed = true;
	for (line = strtok_r(k->text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct kfn f;
		int rc = parse_line(line, &f);

		if (rc < 0)
			break;
		if (!rc)
			continue;
		if (k->nr + 1 >= alloc) {
			alloc = alloc ? alloc * 2 : 4096;
			k->fns = mr_xrealloc(k->fns, alloc * sizeof(*k->fns));
		}
		k->fns[k->nr++] = f;
	}
	if (!k->nr)
		return;
	/* the library's list is built backwards: the last line at an address comes first */
	for (size_t i = 0; i < k->nr / 2; i++) {
		struct kfn t = k->fns[i];

		k->fns[i] = k->fns[k->nr - 1 - i];
		k->fns[k->nr - 1 - i] = t;
	}
	tmp = mr_xcalloc(k->nr, sizeof(*tmp));
	sort_fns(k->fns, tmp, k->nr);
	free(tmp);
	k->fns[k->nr] = (struct kfn){ 0 };
}

/*
 * A function holds an address from its start up to the next one's start;
 * the last one holds only its own start (the entry after it is addr 0).
 */
static int holds(const void *key, const void *elem)
{
	uint64_t addr = *(const uint64_t *)key;
	const struct kfn *f = elem;

	if (addr == f->addr || (addr > f->addr && addr < f[1].addr))
		return 0;
	return addr < f->addr ? -1 : 1;
}

const char *mr_ksyms_find(struct mr_ksyms *k, uint64_t addr, uint64_t *start)
{
	const struct kfn *f;

	if (!k)
		return NULL;
	if (!k->parsed)
		parse(k);
	f = k->nr ? bsearch(&addr, k->fns, k->nr, sizeof(*k->fns), holds) : NULL;
	if (f && start)
		*start = f->addr;
	return f ? f->name : NULL;
}
