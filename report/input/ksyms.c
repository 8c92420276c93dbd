// SPDX-License-Identifier: GPL-2.0
/*
 * ksyms.c - the kernel functions of the file's kallsyms, parsed when a
 * kernel frame is first named: a report of the user heap names none, and
 * parsing some 100,000 lines up front was a fixed cost of every report.
 * The text is mapped from the file (or copied, when given as text) and
 * read in place; a name is made a string when it is first asked for.
 * Names are found as libtraceevent's tep_find_function() finds them (the
 * same lines kept, the same order among functions at one address, the same
 * search), so that reports read the same as when the library parsed them.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "memrec.h"
#include "input/input.h"

struct kfn {
	uint64_t	addr;
	uint32_t	name;		/* offset in the text */
	uint32_t	len;
};

struct mr_ksyms {
	const char	*text;		/* the kallsyms lines, up to the first NUL */
	size_t		len;
	char		*copy;		/* text, when given as text */
	void		*map;		/* text, when mapped from the file */
	size_t		map_len;
	char		*path;		/* the file, till it is mapped */
	uint64_t	offset;
	struct kfn	*fns;		/* by address; one past the end: addr 0 */
	char		**names;	/* per function, made on the first find */
	size_t		nr;
	bool		parsed;
};

struct mr_ksyms *mr_ksyms_new(const char *text)
{
	struct mr_ksyms *k = mr_xcalloc(1, sizeof(*k));

	k->copy = mr_xstrdup(text ? text : "");
	k->text = k->copy;
	k->len = strlen(k->copy);
	return k;
}

struct mr_ksyms *mr_ksyms_new_file(const char *path, uint64_t offset, uint64_t size)
{
	struct mr_ksyms *k = mr_xcalloc(1, sizeof(*k));

	k->path = mr_xstrdup(path);
	k->offset = offset;
	k->len = size;
	return k;
}

void mr_ksyms_free(struct mr_ksyms *k)
{
	if (!k)
		return;
	for (size_t i = 0; k->names && i < k->nr; i++)
		free(k->names[i]);
	free(k->names);
	if (k->map)
		munmap(k->map, k->map_len);
	free(k->copy);
	free(k->path);
	free(k->fns);
	free(k);
}

/* Maps the text from the file; an empty text when that fails (no kernel names). */
static void map_text(struct mr_ksyms *k)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t start = k->offset - k->offset % page;
	int fd = open(k->path, O_RDONLY | O_CLOEXEC);
	const char *nul;

	k->text = "";
	if (fd < 0 || !k->len) {
		k->len = 0;
		if (fd >= 0)
			close(fd);
		return;
	}
	k->map_len = k->len + (k->offset - start);
	k->map = mmap(NULL, k->map_len, PROT_READ, MAP_PRIVATE, fd, start);
	close(fd);
	if (k->map == MAP_FAILED) {
		k->map = NULL;
		k->len = 0;
		return;
	}
	k->text = (const char *)k->map + (k->offset - start);
	/* the library reads the text as a string: it ends at a NUL */
	nul = memchr(k->text, '\0', k->len);
	if (nul)
		k->len = nul - k->text;
}

/* A hex digit's value + 1, 0 for other characters (a line is some 40 of them) */
static const unsigned char hex1[256] = {
	['0'] = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
	['a'] = 11, 12, 13, 14, 15, 16,
	['A'] = 11, 12, 13, 14, 15, 16,
};

static int hexval(int c)
{
	return hex1[(unsigned char)c] - 1;
}

/* isspace() of the C locale, which the library's sscanf() uses */
static bool is_space(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool space(const char *p, const char *end)
{
	return p < end && is_space((unsigned char)*p);
}

/*
 * One line, [p, end): "ADDR TYPE NAME[\t[MODULE]]". Returns 1 for a
 * function kept, 0 for a line skipped, -1 for a line that ends the parse
 * (the library stops at the first it cannot read, keeping what came before).
 */
static int parse_line(const struct mr_ksyms *k, const char *p, const char *end,
		      struct kfn *out)
{
	int digits = 0, width = 16, v;
	const char *name;
	uint64_t addr = 0;
	char type;

	while (space(p, end))
		p++;
	if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && hexval(p[2]) >= 0) {
		p += 2;
		width -= 2;
	}
	for (; p < end && digits < width && (v = hexval((unsigned char)*p)) >= 0; digits++, p++)
		addr = addr << 4 | v;
	if (!digits)
		return -1;
	while (space(p, end))
		p++;
	if (p == end)
		return -1;
	type = *p++;
	while (space(p, end))
		p++;
	name = p;
	while (p < end && !is_space((unsigned char)*p))
		p++;
	if (p == name)
		return -1;
	/* arm's '$a' mapping symbols; x86-64's per-CPU offsets, absolute */
	if (name[0] == '$' || type == 'A' || type == 'a')
		return 0;
	out->addr = addr;
	out->name = name - k->text;
	out->len = p - name;
	return 1;
}

/*
 * By address, functions at one address in the reverse of their lines'
 * order: the library builds its list backwards and sorts it stably. The
 * lines come mostly in address order, which costs a comparison per merge.
 */
static void sort_fns(struct kfn *a, struct kfn *tmp, size_t n)
{
	size_t mid = n / 2, i = 0, j = mid, o = 0;

	if (n < 2)
		return;
	sort_fns(a, tmp, mid);
	sort_fns(a + mid, tmp, n - mid);
	if (a[mid - 1].addr < a[mid].addr)
		return;
	while (i < mid && j < n)
		tmp[o++] = a[j].addr <= a[i].addr ? a[j++] : a[i++];
	while (i < mid)
		tmp[o++] = a[i++];
	memcpy(a, tmp, o * sizeof(*a));
}

static void parse(struct mr_ksyms *k)
{
	const char *p, *end, *eol;
	size_t alloc = 0;
	struct kfn *tmp;

	k->parsed = true;
	if (k->path)
		map_text(k);
	end = k->text + k->len;
	for (p = k->text; p < end; p = eol + 1) {
		struct kfn f;
		int rc;

		eol = memchr(p, '\n', end - p);
		if (!eol)
			eol = end;
		if (eol == p)
			continue;	/* empty lines are no lines (strtok) */
		rc = parse_line(k, p, eol, &f);
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
	tmp = mr_xcalloc(k->nr, sizeof(*tmp));
	sort_fns(k->fns, tmp, k->nr);
	free(tmp);
	k->fns[k->nr] = (struct kfn){ 0 };
	k->names = mr_xcalloc(k->nr, sizeof(*k->names));
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
	size_t i;

	if (!k)
		return NULL;
	if (!k->parsed)
		parse(k);
	f = k->nr ? bsearch(&addr, k->fns, k->nr, sizeof(*k->fns), holds) : NULL;
	if (!f)
		return NULL;
	if (start)
		*start = f->addr;
	i = f - k->fns;
	if (!k->names[i])
		k->names[i] = mr_xasprintf("%.*s", (int)f->len, k->text + f->name);
	return k->names[i];
}
