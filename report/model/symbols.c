// SPDX-License-Identifier: GPL-2.0
/*
 * symbols.c - owns symbolisation: the recorded mappings of every pid (with
 * their timestamps and fork parents), one offline libdwfl module per mapped
 * file, and caches of the answers, since the same few thousand return
 * addresses are asked about for every printed row.
 *
 * Addresses are turned into file virtual addresses through the recorded
 * (start, pgoff) and the file's PT_LOAD headers rather than through a live
 * address space: the process is long gone when the report runs, maybe on
 * another machine, so libdwfl is only ever asked about files at bias 0.
 * unwind.c, which needs modules at their runtime addresses, gets from here
 * (symbols_int.h) which modules a process had and the files found for them.
 */
#include <dwarf.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "memrec.h"
#include "mr_buildid.h"
#include "mr_hmap.h"
#include "mr_symbols.h"
#include "model/symbols_int.h"

/* libstdc++'s abi::__cxa_demangle, through its C ABI symbol. */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* A fork chain longer than this is a loop in corrupt input, not a real tree. */
#define MAX_INHERIT_DEPTH	64
/* How many nearer symbols may sit inside an enclosing sized one. */
#define MAX_ENCLOSING		16
/* mmap offsets are page aligned; x86_64 pages */
#define PAGE_MASK		(~(uint64_t)4095)

/*
 * A set of pointers: the items in add order, found through an mr_hmap of
 * their indices; items are never removed, only freed with the whole struct
 * mr_symbols. Its equality callbacks get the items array as ctx.
 */
struct htab {
	struct mr_hmap	map;
	void		**items;
	size_t		nr;
	size_t		alloc;
};

/* An interned string; warned makes "one warning per path" cheap. */
struct istr {
	bool	warned;
	char	s[];
};

struct seg {
	uint64_t	offset;
	uint64_t	size;
	uint64_t	vaddr;
	bool		exec;
};

/* A function symbol, at its file virtual address. */
struct fsym {
	uint64_t	start;
	uint64_t	size;
	const char	*name;
	int		bind;
};

struct mr_file {
	struct mr_symbols *s;
	struct istr	*path;
	const char	*build_id;	/* as recorded, NULL if not */
	char		*found;		/* the file its symbols came from */
	Dwfl		*dwfl;
	Dwfl_Module	*mod;
	uint64_t	bias;		/* dwfl address - file vaddr */
	struct seg	*segs;		/* PT_LOAD headers */
	struct fsym	*fsyms;		/* sorted by start, one per address */
	size_t		nr_segs;
	size_t		nr_fsyms;
	bool		loaded;		/* tried to open it */
	bool		usable;		/* symbols may be used */
};

struct map {
	uint64_t	start;
	uint64_t	end;
	uint64_t	pgoff;
	uint64_t	ts;
	uint64_t	seq;		/* add order: breaks ts ties, later wins */
	const char	*name;		/* module as reported */
	struct mr_file	*file;		/* NULL for [heap], [vdso], anonymous */
};

struct proc {
	int		pid;
	int		parent;
	uint64_t	fork_ts;
	bool		has_parent;
	bool		sorted;
	struct map	*maps;
	uint64_t	*max_end;	/* max end of maps[0..i], for the backward scan */
	uint64_t	*map_ts;	/* the maps' ts, sorted: what pid sees changes there */
	size_t		nr;
	size_t		alloc;
};

/* A function inlined at a cached address, and where its caller calls it. */
struct inl {
	const char	*function;
	const char	*call_src;
	int		call_line;
	char		*demangled;	/* owned copy when function was mangled */
};

/* A cached answer for one file virtual address. */
struct sym {
	struct mr_file	*file;
	uint64_t	vaddr;
	const char	*function;
	uint64_t	start;		/* function start, file vaddr */
	const char	*src;
	int		line;
	char		*demangled;	/* owned copy when function was mangled */
	struct inl	*inl;		/* innermost first; all inside function */
	int		nr_inl;
	bool		lines;		/* src, line and inl looked up (DWARF, lazily) */
};

struct file_key {
	struct istr	*path;
	struct istr	*build_id;
};

struct debug_dir {
	char		*dir;
	char		*label;		/* how -v names what was found there */
};

struct mr_symbols {
	struct htab	strings;
	struct htab	files;
	struct htab	procs;
	struct htab	syms;
	uint64_t	seq;
	struct debug_dir *dirs;		/* searched by build-id, in order */
	int		nr_dirs;
	char		*sysroot;
	char		*debuginfo_path;	/* libdwfl's search path for DWARF */
	Dwfl_Callbacks	callbacks;
	void		*ext;		/* unwind.c's caches, freed with s */
	void		(*free_ext)(void *ext);
};

/* ---- hashing and the table ---- */

static void *htab_find(const struct htab *h, uint64_t hash, mr_hmap_eq_fn eq, const void *key)
{
	uint32_t i = mr_hmap_get(&h->map, hash, eq, h->items, key);

	return i == MR_HMAP_NONE ? NULL : h->items[i];
}

static void htab_add(struct htab *h, uint64_t hash, void *item)
{
	MR_ALLOC_GROW(h->items, h->nr, h->alloc);
	h->items[h->nr] = item;
	mr_hmap_add(&h->map, hash, h->nr++);
}

/* Item idx of the items array an equality callback is given. */
static const void *htab_item(const void *items, uint32_t idx)
{
	return ((void *const *)items)[idx];
}

static void htab_release(struct htab *h, void (*free_item)(void *))
{
	for (size_t i = 0; i < h->nr; i++)
		free_item(h->items[i]);
	free(h->items);
	mr_hmap_release(&h->map);
	memset(h, 0, sizeof(*h));
}

/* ---- interned strings ---- */

static bool istr_eq(const void *items, uint32_t idx, const void *key)
{
	return !strcmp(((const struct istr *)htab_item(items, idx))->s, key);
}

static struct istr *intern(struct mr_symbols *s, const char *str)
{
	uint64_t hash = mr_hash_str(str);
	struct istr *is = htab_find(&s->strings, hash, istr_eq, str);
	size_t len = strlen(str);

	if (is)
		return is;
	is = mr_xmalloc(sizeof(*is) + len + 1);
	is->warned = false;
	memcpy(is->s, str, len + 1);
	htab_add(&s->strings, hash, is);
	return is;
}

/* ---- files ---- */

static bool file_eq(const void *items, uint32_t idx, const void *key)
{
	const struct mr_file *f = htab_item(items, idx);
	const struct file_key *k = key;

	return f->path == k->path && f->build_id == (k->build_id ? k->build_id->s : NULL);
}

static struct mr_file *get_file(struct mr_symbols *s, const char *path, const char *build_id)
{
	struct file_key k = { intern(s, path), build_id ? intern(s, build_id) : NULL };
	uint64_t hash = mr_hash_u64((uintptr_t)k.path ^ mr_hash_u64((uintptr_t)k.build_id));
	struct mr_file *f = htab_find(&s->files, hash, file_eq, &k);

	if (f)
		return f;
	f = mr_xcalloc(1, sizeof(*f));
	f->s = s;
	f->path = k.path;
	f->build_id = k.build_id ? k.build_id->s : NULL;
	htab_add(&s->files, hash, f);
	return f;
}

static void free_file(void *item)
{
	struct mr_file *f = item;

	if (f->dwfl)
		dwfl_end(f->dwfl);
	free(f->found);
	free(f->segs);
	free(f->fsyms);
	free(f);
}

/* A deleted file may have been put back at the same path; try that. */
static char *openable_path(const char *path)
{
	static const char deleted[] = " (deleted)";
	size_t len = strlen(path), dlen = sizeof(deleted) - 1;
	char *p = mr_xstrdup(path);

	if (len > dlen && !strcmp(p + len - dlen, deleted))
		p[len - dlen] = '\0';
	return p;
}

static int read_segments(struct mr_file *f, Elf *elf)
{
	size_t i, n;

	if (elf_getphdrnum(elf, &n))
		return -1;
	f->segs = mr_xcalloc(n, sizeof(*f->segs));
	for (i = 0; i < n; i++) {
		GElf_Phdr mem, *ph = gelf_getphdr(elf, i, &mem);

		if (!ph || ph->p_type != PT_LOAD)
			continue;
		f->segs[f->nr_segs++] = (struct seg){
			ph->p_offset, ph->p_filesz > ph->p_memsz ? ph->p_filesz : ph->p_memsz,
			ph->p_vaddr, ph->p_flags & PF_X,
		};
	}
	return f->nr_segs ? 0 : -1;
}

/* One warning per path: a report can ask about its frames thousands of times. */
static bool first_warning(struct istr *path)
{
	if (path->warned)
		return false;
	path->warned = true;
	return true;
}

/* Refuses a file whose build-id differs: a wrong name is worse than none. */
static bool build_id_matches(struct mr_file *f, Elf *elf, const char *file)
{
	char *here;
	bool ok;

	if (!f->build_id)
		return true;
	here = mr_elf_build_id(elf);
	ok = here && !strcmp(here, f->build_id);
	if (!ok)
		mr_warning("'%s' has %s%s here but %s when recorded; not using it", file,
			   here ? "build-id " : "no build-id", here ? here : "", f->build_id);
	free(here);
	return ok;
}

/* Which of several names for one address to show: perf's preferences. */
static int sym_rank(const struct fsym *a)
{
	int rank = a->size ? 0 : 8;

	if (a->bind == STB_WEAK)
		rank += 2;
	else if (a->bind == STB_LOCAL)
		rank += 4;
	return rank + (a->name[0] == '_') + (a->name[0] == '_' && a->name[1] == '_');
}

static int fsym_cmp(const void *pa, const void *pb)
{
	const struct fsym *a = pa, *b = pb;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (sym_rank(a) != sym_rank(b))
		return sym_rank(a) - sym_rank(b);
	return strcmp(a->name, b->name);
}

static bool is_code_sym(const GElf_Sym *sym, GElf_Word shndx)
{
	int type = GELF_ST_TYPE(sym->st_info);

	if (shndx == SHN_UNDEF || shndx == SHN_ABS || shndx == (GElf_Word)-1)
		return false;
	return type == STT_FUNC || type == STT_GNU_IFUNC || type == STT_NOTYPE;
}

/*
 * libdwfl's dwfl_module_addrinfo scans the whole symbol table per call;
 * with thousands of frames that dominates, so read the table once into a
 * sorted array with one entry per address.
 */
static void read_functions(struct mr_file *f)
{
	int i, n = dwfl_module_getsymtab(f->mod);
	size_t out = 0;

	f->fsyms = mr_xcalloc(n > 0 ? n : 1, sizeof(*f->fsyms));
	for (i = 1; i < n; i++) {
		GElf_Word shndx;
		const char *name;
		GElf_Addr addr;
		GElf_Sym sym;

		name = dwfl_module_getsym_info(f->mod, i, &sym, &addr, &shndx, NULL, NULL);
		if (!name || !*name || !addr || !is_code_sym(&sym, shndx))
			continue;
		f->fsyms[f->nr_fsyms++] = (struct fsym){
			addr - f->bias, sym.st_size, name, GELF_ST_BIND(sym.st_info),
		};
	}
	mr_qsort(f->fsyms, f->nr_fsyms, sizeof(*f->fsyms), fsym_cmp);
	for (i = 0; (size_t)i < f->nr_fsyms; i++)
		if (!out || f->fsyms[out - 1].start != f->fsyms[i].start)
			f->fsyms[out++] = f->fsyms[i];
	f->nr_fsyms = out;
}

/*
 * The function holding vaddr: the sized symbol at or a little below it that
 * encloses it, else the nearest one below when that has no size (hand
 * written assembly), as libdwfl does. Padding between functions gets none.
 */
static const struct fsym *find_function(const struct mr_file *f, uint64_t vaddr)
{
	size_t lo = 0, hi = f->nr_fsyms, i;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->fsyms[mid].start <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i-- > 0 && lo - i <= MAX_ENCLOSING;) {
		const struct fsym *fs = &f->fsyms[i];

		if (fs->size && vaddr - fs->start < fs->size)
			return fs;
	}
	if (lo && !f->fsyms[lo - 1].size)
		return &f->fsyms[lo - 1];
	return NULL;
}

/* fd is libdwfl's once it takes the module, else closed here. */
static bool try_file(struct mr_file *f, const char *file, int fd, const char *how)
{
	Dwfl *dwfl = dwfl_begin(&f->s->callbacks);
	Dwfl_Module *mod;
	void **userdata;
	GElf_Addr bias;
	Elf *elf;

	if (!dwfl) {
		close(fd);
		return false;
	}
	dwfl_report_begin(dwfl);
	mod = dwfl_report_elf(dwfl, f->path->s, file, fd, 0, true);
	if (!mod)
		close(fd);
	dwfl_report_end(dwfl, NULL, NULL);
	elf = mod ? dwfl_module_getelf(mod, &bias) : NULL;
	if (!elf || !build_id_matches(f, elf, file) || read_segments(f, elf)) {
		free(f->segs);
		f->segs = NULL;
		f->nr_segs = 0;
		dwfl_end(dwfl);
		return false;
	}
	dwfl_module_info(mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
	*userdata = f->s;	/* for find_debuginfo */
	f->dwfl = dwfl;
	f->mod = mod;
	f->bias = bias;
	f->found = mr_xstrdup(file);
	read_functions(f);
	mr_info(1, "symbols of '%s'%s%.12s: %s '%s'", f->path->s, f->build_id ? " build-id " : "",
		f->build_id ? f->build_id : "", how, file);
	return true;
}

static bool try_path(struct mr_file *f, char *file, const char *how)
{
	int fd = mr_open_regular(file);
	bool ok = false;

	if (fd >= 0)
		ok = try_file(f, file, fd, how);
	else if (fd == -2)
		mr_warning("'%s' is not a regular file; not reading it for symbols", file);
	free(file);
	return ok;
}

/*
 * Where a module's symbols come from, first found wins: by build-id in the
 * archive embedded in the trace and the --debug-dir directories, then the
 * file under --sysroot, the recorded path itself, and the distribution's
 * debug file. A file whose build-id differs is passed over with a warning.
 */
static bool open_file(struct mr_file *f)
{
	const char *bid = f->build_id;
	char *path = openable_path(f->path->s);
	bool ok = false;

	for (int i = 0; bid && strlen(bid) > 2 && !ok && i < f->s->nr_dirs; i++)
		ok = try_path(f, mr_xasprintf("%s/.build-id/%.2s/%s", f->s->dirs[i].dir, bid,
					      bid + 2), f->s->dirs[i].label);
	if (!ok && f->s->sysroot)
		ok = try_path(f, mr_xasprintf("%s%s", f->s->sysroot, path), "--sysroot");
	if (!ok)
		ok = try_path(f, mr_xstrdup(path), "the file at its recorded path");
	if (!ok && bid && strlen(bid) > 2)
		ok = try_path(f, mr_xasprintf("/usr/lib/debug/.build-id/%.2s/%s.debug", bid,
					      bid + 2), "the system's debug file");
	if (!ok && first_warning(f->path))
		mr_warning("no symbols for '%s'%s%s: it is not in the trace file and not here with "
			   "that build-id; its frames are left unsymbolised (see --debug-dir, "
			   "--sysroot)", path, bid ? " build-id " : "", bid ? bid : "");
	free(path);
	return ok;
}

static bool file_usable(struct mr_file *f)
{
	if (!f->loaded) {
		f->loaded = true;
		f->usable = open_file(f);
	}
	return f->usable;
}

/* File offset to file virtual address, through the PT_LOAD that holds it. */
static int file_vaddr(const struct mr_file *f, uint64_t off, uint64_t *vaddr)
{
	size_t i;

	for (i = 0; i < f->nr_segs; i++) {
		const struct seg *sg = &f->segs[i];

		if (off >= sg->offset && off - sg->offset < sg->size) {
			*vaddr = sg->vaddr + (off - sg->offset);
			return 0;
		}
	}
	return -1;
}

/* ---- symbols ---- */

struct sym_key {
	const struct mr_file	*file;
	uint64_t		vaddr;
};

static bool sym_eq(const void *items, uint32_t idx, const void *key)
{
	const struct sym *sy = htab_item(items, idx);
	const struct sym_key *k = key;

	return sy->file == k->file && sy->vaddr == k->vaddr;
}

static void free_sym(void *item)
{
	struct sym *sy = item;

	for (int i = 0; i < sy->nr_inl; i++)
		free(sy->inl[i].demangled);
	free(sy->inl);
	free(sy->demangled);
	free(sy);
}

/* name, or its demangled form when it is a C++ name; *owned is that copy. */
static const char *demangle(const char *name, char **owned)
{
	int status = -1;

	*owned = NULL;
	if (strncmp(name, "_Z", 2))
		return name;
	*owned = __cxa_demangle(name, NULL, NULL, &status);
	if (status == 0 && *owned)
		return *owned;
	free(*owned);
	*owned = NULL;
	return name;
}

static void resolve_function(struct mr_file *f, struct sym *sy)
{
	const struct fsym *fs = find_function(f, sy->vaddr);

	if (!fs)
		return;
	sy->function = demangle(fs->name, &sy->demangled);
	sy->start = fs->start;
}

static void resolve_line(struct mr_file *f, struct sym *sy)
{
	Dwfl_Line *line = dwfl_module_getsrc(f->mod, sy->vaddr + f->bias);
	int lineno = 0;
	const char *src;

	if (!line)
		return;
	src = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
	if (!src)
		return;
	sy->src = src;
	sy->line = lineno;
}

/*
 * The linkage name first, so C++ frames demangle to what the symbol table
 * gives for real functions; both are found through DW_AT_abstract_origin.
 */
static const char *die_function(Dwarf_Die *die)
{
	Dwarf_Attribute mem, *at;
	const char *name;

	at = dwarf_attr_integrate(die, DW_AT_linkage_name, &mem);
	if (!at)
		at = dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &mem);
	name = at ? dwarf_formstring(at) : NULL;
	return name ? name : dwarf_diename(die);
}

static void add_inline(struct sym *sy, Dwarf_Die *die, Dwarf_Files *files)
{
	struct inl *in = &sy->inl[sy->nr_inl++];
	const char *name = die_function(die);
	Dwarf_Attribute mem;
	Dwarf_Word val;

	in->function = name ? demangle(name, &in->demangled) : NULL;
	if (files && !dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &mem), &val))
		in->call_src = dwarf_filesrc(files, val, NULL, NULL);
	if (!dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &mem), &val))
		in->call_line = val;
}

/*
 * The innermost inlined call holding pc, if any. dwarf_getscopes continues
 * from it into its abstract origin's scopes, not into the code around it,
 * so only the entries up to it are used. This pc-guided walk is cheap; the
 * whole-unit walks that find the code around an inlined call are left to
 * the addresses that have one.
 */
static bool innermost_inline(Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die *die)
{
	Dwarf_Die *scopes = NULL;
	int n = dwarf_getscopes(cu, pc, &scopes), i;

	for (i = 0; i < n && dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine; i++)
		;
	if (i < n)
		*die = scopes[i];
	free(scopes);
	return i < n;
}

/*
 * The inlined calls around the address, from the DIEs physically enclosing
 * the innermost one up to the real function, as eu-addr2line -i walks them.
 */
static void resolve_inlines(struct mr_file *f, struct sym *sy)
{
	Dwarf_Die *cu, *scopes = NULL, die, cudie;
	Dwarf_Files *files = NULL;
	Dwarf_Addr bias;
	int n, i, nr = 0;

	cu = dwfl_module_addrdie(f->mod, sy->vaddr + f->bias, &bias);
	if (!cu || !innermost_inline(cu, sy->vaddr + f->bias - bias, &die))
		return;
	n = dwarf_getscopes_die(&die, &scopes);
	for (i = 0; i < n && dwarf_tag(&scopes[i]) != DW_TAG_subprogram; i++)
		nr += dwarf_tag(&scopes[i]) == DW_TAG_inlined_subroutine;
	if (nr) {
		/* call_file indexes the line table of the unit the DIEs are in */
		if (!dwarf_diecu(&die, &cudie, NULL, NULL) ||
		    dwarf_getsrcfiles(&cudie, &files, NULL))
			files = NULL;
		sy->inl = mr_xcalloc(nr, sizeof(*sy->inl));
		for (i = 0; sy->nr_inl < nr; i++)
			if (dwarf_tag(&scopes[i]) == DW_TAG_inlined_subroutine)
				add_inline(sy, &scopes[i], files);
	}
	free(scopes);
}

static struct sym *get_sym(struct mr_symbols *s, struct mr_file *f, uint64_t vaddr)
{
	struct sym_key k = { f, vaddr };
	uint64_t hash = mr_hash_u64((uintptr_t)f ^ mr_hash_u64(vaddr));
	struct sym *sy = htab_find(&s->syms, hash, sym_eq, &k);

	if (sy)
		return sy;
	sy = mr_xcalloc(1, sizeof(*sy));
	sy->file = f;
	sy->vaddr = vaddr;
	resolve_function(f, sy);
	htab_add(&s->syms, hash, sy);
	return sy;
}

/*
 * Lines and inlined calls come from DWARF, whose first use of a module
 * inflates its debug sections: only the frames printed need them, so they
 * are looked up then, not for the lookups made while the events are read.
 */
static struct sym *with_lines(struct mr_file *f, struct sym *sy)
{
	if (sy && !sy->lines) {
		sy->lines = true;
		resolve_line(f, sy);
		resolve_inlines(f, sy);
	}
	return sy;
}

/* ---- processes and their mappings ---- */

static bool proc_eq(const void *items, uint32_t idx, const void *key)
{
	return ((const struct proc *)htab_item(items, idx))->pid == *(const int *)key;
}

static struct proc *find_proc(const struct mr_symbols *s, int pid)
{
	return htab_find(&s->procs, mr_hash_u64((uint32_t)pid), proc_eq, &pid);
}

static struct proc *get_proc(struct mr_symbols *s, int pid)
{
	struct proc *p = find_proc(s, pid);

	if (p)
		return p;
	p = mr_xcalloc(1, sizeof(*p));
	p->pid = pid;
	p->sorted = true;
	htab_add(&s->procs, mr_hash_u64((uint32_t)pid), p);
	return p;
}

static void free_proc(void *item)
{
	struct proc *p = item;

	free(p->maps);
	free(p->max_end);
	free(p->map_ts);
	free(p);
}

static bool is_file_path(const char *path)
{
	/* "[heap]", "[vdso]", "//anon", "" and friends have no file behind them */
	return path[0] == '/' && path[1] != '/';
}

void mr_symbols_add_map(struct mr_symbols *s, int pid, uint64_t ts, uint64_t start,
			uint64_t len, uint64_t pgoff, const char *path, const char *build_id)
{
	struct proc *p = get_proc(s, pid);
	struct map *m;

	if (!len || start + len < start)
		return;
	if (!path || !*path)
		path = "[anon]";
	if (p->nr == p->alloc) {
		p->alloc = p->alloc ? 2 * p->alloc : 64;
		p->maps = mr_xrealloc(p->maps, p->alloc * sizeof(*p->maps));
	}
	m = &p->maps[p->nr++];
	m->start = start;
	m->end = start + len;
	m->pgoff = pgoff;
	m->ts = ts;
	m->seq = s->seq++;
	m->name = intern(s, path)->s;
	m->file = is_file_path(path) ? get_file(s, path, build_id && *build_id ? build_id : NULL)
				     : NULL;
	p->sorted = false;
}

void mr_symbols_inherit(struct mr_symbols *s, int pid, int parent, uint64_t ts)
{
	struct proc *p;

	if (pid == parent)
		return;
	p = get_proc(s, pid);
	p->parent = parent;
	p->fork_ts = ts;
	p->has_parent = true;
}

static int map_cmp(const void *a, const void *b)
{
	const struct map *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void sort_maps(struct proc *p)
{
	uint64_t max = 0;
	size_t i;

	mr_qsort(p->maps, p->nr, sizeof(*p->maps), map_cmp);
	p->max_end = mr_xrealloc(p->max_end, (p->nr ? p->nr : 1) * sizeof(*p->max_end));
	p->map_ts = mr_xrealloc(p->map_ts, (p->nr ? p->nr : 1) * sizeof(*p->map_ts));
	for (i = 0; i < p->nr; i++) {
		if (p->maps[i].end > max)
			max = p->maps[i].end;
		p->max_end[i] = max;
		p->map_ts[i] = p->maps[i].ts;
	}
	mr_qsort(p->map_ts, p->nr, sizeof(*p->map_ts), u64_cmp);
	p->sorted = true;
}

/* Is a a better pick than b, given whether either is from ts or before? */
static bool newer(const struct map *a, const struct map *b)
{
	return !b || a->ts > b->ts || (a->ts == b->ts && a->seq > b->seq);
}

static bool earlier(const struct map *a, const struct map *b)
{
	return !b || a->ts < b->ts || (a->ts == b->ts && a->seq > b->seq);
}

/*
 * Among p's mappings covering addr: *best gets the newest one mapped at or
 * before ts, *first the earliest one of all.
 */
static void covering_maps(struct proc *p, uint64_t ts, uint64_t addr,
			  const struct map **best, const struct map **first)
{
	size_t lo = 0, hi = p->nr;

	*best = *first = NULL;
	if (!p->sorted)
		sort_maps(p);
	while (lo < hi) {	/* lo = number of maps starting at or below addr */
		size_t mid = lo + (hi - lo) / 2;

		if (p->maps[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo-- > 0 && p->max_end[lo] > addr) {
		const struct map *m = &p->maps[lo];

		if (m->end <= addr)
			continue;
		if (m->ts <= ts && newer(m, *best))
			*best = m;
		if (earlier(m, *first))
			*first = m;
	}
}

/*
 * The mapping pid saw at ts: its own, else its parent's as of the fork,
 * and so on up. When nothing was mapped yet at ts, the earliest mapping
 * wins, since events can be stamped a little before their mmap record.
 */
static const struct map *find_map(struct mr_symbols *s, int pid, uint64_t ts, uint64_t addr)
{
	const struct map *best, *first, *fallback = NULL;
	struct proc *p = find_proc(s, pid);
	int depth;

	for (depth = 0; p && depth < MAX_INHERIT_DEPTH; depth++) {
		covering_maps(p, ts, addr, &best, &first);
		if (best)
			return best;
		if (!fallback)
			fallback = first;
		if (!p->has_parent)
			break;
		if (p->fork_ts < ts)
			ts = p->fork_ts;
		p = find_proc(s, p->parent);
	}
	return fallback;
}

/*
 * Fills f's addr and module; returns the cached answer for addr, with
 * *vaddr its file virtual address, or NULL when the module has no symbols.
 */
static struct sym *find_sym(struct mr_symbols *s, int pid, uint64_t ts, uint64_t addr,
			    bool return_addr, struct mr_frame *f, uint64_t *vaddr)
{
	const struct map *m = find_map(s, pid, ts, addr);

	memset(f, 0, sizeof(*f));
	f->addr = addr;
	if (!m)
		return NULL;
	f->module = m->name;
	f->mod_offset = m->pgoff + (addr - m->start);
	if (!m->file || !file_usable(m->file) ||
	    file_vaddr(m->file, m->pgoff + (addr - m->start), vaddr))
		return NULL;
	/* a return address points after the call; the call is what ran */
	if (return_addr && *vaddr)
		return get_sym(s, m->file, *vaddr - 1);
	return get_sym(s, m->file, *vaddr);
}

/*
 * Frame i of the chain at sy (0 innermost, sy->nr_inl the real function).
 * Each frame's line is where it calls the frame inside it, and frame 0's is
 * the address's own.
 */
static void chain_frame(const struct sym *sy, int i, uint64_t vaddr, struct mr_frame *f)
{
	if (i < sy->nr_inl) {
		f->function = sy->inl[i].function;
		f->inlined = true;
	} else if (sy->function) {
		f->function = sy->function;
		f->offset = vaddr - sy->start;
	}
	f->file = i ? sy->inl[i - 1].call_src : sy->src;
	f->line = i ? sy->inl[i - 1].call_line : sy->line;
}

bool mr_symbols_knows(struct mr_symbols *s, int pid)
{
	return find_proc(s, pid) != NULL;
}

int mr_symbols_mapping(struct mr_symbols *s, int pid, uint64_t ts, uint64_t addr,
		       struct mr_mapping *out)
{
	const struct map *m = find_map(s, pid, ts, addr);

	if (!m)
		return -1;
	*out = (struct mr_mapping){
		.start = m->start, .end = m->end, .pgoff = m->pgoff, .module = m->name,
		.build_id = m->file ? m->file->build_id : NULL,
	};
	return 0;
}

bool mr_symbols_mapped(struct mr_symbols *s, int pid, uint64_t ts, uint64_t addr)
{
	return find_map(s, pid, ts, addr) != NULL;
}

bool mr_symbols_mapped_range(struct mr_symbols *s, int pid, uint64_t ts, uint64_t addr,
			     uint64_t *start, uint64_t *end)
{
	const struct map *m = find_map(s, pid, ts, addr);

	if (m) {
		*start = m->start;
		*end = m->end;
	}
	return m != NULL;
}

const char *mr_symbols_module(struct mr_symbols *s, int pid, uint64_t ts, uint64_t addr)
{
	const struct map *m = find_map(s, pid, ts, addr);

	return m ? m->name : NULL;
}

int mr_symbols_lookup(struct mr_symbols *s, int pid, uint64_t ts, uint64_t addr,
		      bool return_addr, struct mr_frame *f)
{
	uint64_t vaddr;
	struct sym *sy = find_sym(s, pid, ts, addr, return_addr, f, &vaddr);

	if (sy) {
		with_lines(sy->file, sy);
		chain_frame(sy, sy->nr_inl, vaddr, f);
	}
	return f->module ? 0 : -1;
}

const char *mr_symbols_function(struct mr_symbols *s, int pid, uint64_t ts, uint64_t addr,
				bool return_addr)
{
	struct mr_frame f;
	uint64_t vaddr;
	struct sym *sy = find_sym(s, pid, ts, addr, return_addr, &f, &vaddr);

	return sy ? sy->function : NULL;
}

int mr_symbols_lookup_inline(struct mr_symbols *s, int pid, uint64_t ts, uint64_t addr,
			     bool return_addr, struct mr_frame *frames, int max)
{
	struct mr_frame base;
	uint64_t vaddr;
	struct sym *sy;
	int i, n;

	if (max < 1)
		return 0;
	sy = find_sym(s, pid, ts, addr, return_addr, &base, &vaddr);
	frames[0] = base;
	if (!sy)
		return 1;
	with_lines(sy->file, sy);
	n = sy->nr_inl + 1 < max ? sy->nr_inl + 1 : max;
	for (i = 0; i < n; i++) {
		frames[i] = base;
		chain_frame(sy, i, vaddr, &frames[i]);
	}
	return n;
}

/* ---- the modules a process had mapped, for unwind.c ---- */

/* How many of p's mappings are from ts or before. */
static size_t maps_until(const struct proc *p, uint64_t ts)
{
	size_t lo = 0, hi = p->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->map_ts[mid] <= ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * find_map() picks among the maps of the fork chain from ts (as clamped at
 * each fork) or before, and falls back on later ones; so what pid sees at
 * ts is fixed by those counts and the totals.
 */
uint64_t mr_symbols_generation(struct mr_symbols *s, int pid, uint64_t ts)
{
	struct proc *p = find_proc(s, pid);
	uint64_t gen = mr_hash_u64((uint32_t)pid);
	int depth;

	for (depth = 0; p && depth < MAX_INHERIT_DEPTH; depth++) {
		if (!p->sorted)
			sort_maps(p);
		gen = mr_hash_u64(gen + (uint32_t)p->pid);
		gen = mr_hash_u64(gen + maps_until(p, ts));
		gen = mr_hash_u64(gen + p->nr);
		if (!p->has_parent)
			break;
		if (p->fork_ts < ts)
			ts = p->fork_ts;
		p = find_proc(s, p->parent);
	}
	return gen;
}

/*
 * The file vaddr mapped at offset pgoff when that is code. The mapping of
 * a segment starts at the page holding its first byte, so pgoff may lie a
 * little before p_offset, and may then lie in the previous segment too.
 */
static bool exec_vaddr(const struct mr_file *f, uint64_t pgoff, uint64_t *vaddr)
{
	size_t i;

	for (i = 0; i < f->nr_segs; i++) {
		const struct seg *sg = &f->segs[i];

		if (sg->exec && pgoff >= (sg->offset & PAGE_MASK) &&
		    pgoff < sg->offset + sg->size) {
			*vaddr = sg->vaddr + pgoff - sg->offset;
			return true;
		}
	}
	return false;
}

/* The addresses libdwfl gives a module reported at bias: all its PT_LOADs. */
static void module_range(const struct mr_file *f, struct mr_sym_module *mod)
{
	uint64_t low = UINT64_MAX, high = 0;
	size_t i;

	for (i = 0; i < f->nr_segs; i++) {
		if ((f->segs[i].vaddr & PAGE_MASK) < low)
			low = f->segs[i].vaddr & PAGE_MASK;
		if (f->segs[i].vaddr + f->segs[i].size > high)
			high = f->segs[i].vaddr + f->segs[i].size;
	}
	mod->low = mod->bias + low;
	mod->high = mod->bias + high;
}

static bool overlaps(const struct mr_sym_module *mods, int n, const struct mr_sym_module *m)
{
	int i;

	for (i = 0; i < n; i++)
		if (m->low < mods[i].high && mods[i].low < m->high)
			return true;
	return false;
}

/* Newest first: where two modules overlap, the later mapping won. */
static int newest_cmp(const void *pa, const void *pb)
{
	const struct map *a = *(const struct map *const *)pa, *b = *(const struct map *const *)pb;

	if (a->ts != b->ts)
		return a->ts > b->ts ? -1 : 1;
	return a->seq > b->seq ? -1 : a->seq < b->seq;
}

/*
 * The code mappings of the fork chain that find_map() gives for their own
 * start: the ones pid saw at ts. Every proc of the chain is sorted first, as
 * find_map() must not sort the array being walked.
 */
static size_t visible_code_maps(struct mr_symbols *s, int pid, uint64_t ts,
				const struct map ***out)
{
	const struct map **v = NULL;
	size_t nr = 0, alloc = 0, i;
	struct proc *p;
	int depth;

	mr_symbols_generation(s, pid, ts);
	p = find_proc(s, pid);
	for (depth = 0; p && depth < MAX_INHERIT_DEPTH; depth++) {
		for (i = 0; i < p->nr; i++) {
			const struct map *m = &p->maps[i];
			uint64_t vaddr;

			if (!m->file || find_map(s, pid, ts, m->start) != m ||
			    !file_usable(m->file) || !exec_vaddr(m->file, m->pgoff, &vaddr))
				continue;
			if (nr == alloc) {
				alloc = alloc ? 2 * alloc : 32;
				v = mr_xrealloc(v, alloc * sizeof(*v));
			}
			v[nr++] = m;
		}
		if (!p->has_parent)
			break;
		p = find_proc(s, p->parent);
	}
	*out = v;
	return nr;
}

int mr_symbols_modules(struct mr_symbols *s, int pid, uint64_t ts, struct mr_sym_module **mods)
{
	const struct map **v;
	size_t nr = visible_code_maps(s, pid, ts, &v), i;
	int n = 0;

	*mods = mr_xcalloc(nr ? nr : 1, sizeof(**mods));
	mr_qsort(v, nr, sizeof(*v), newest_cmp);
	for (i = 0; i < nr; i++) {
		struct mr_sym_module *mod = &(*mods)[n];
		uint64_t vaddr;

		exec_vaddr(v[i]->file, v[i]->pgoff, &vaddr);
		mod->name = v[i]->name;
		mod->file = v[i]->file->found;
		mod->bias = v[i]->start - vaddr;
		module_range(v[i]->file, mod);
		/* a module's other code mappings, or one it was mapped over */
		if (!overlaps(*mods, n, mod))
			n++;
	}
	free(v);
	return n;
}

const Dwfl_Callbacks *mr_symbols_dwfl_callbacks(struct mr_symbols *s)
{
	return &s->callbacks;
}

void *mr_symbols_ext(struct mr_symbols *s)
{
	return s->ext;
}

void mr_symbols_set_ext(struct mr_symbols *s, void *ext, void (*free_ext)(void *ext))
{
	s->ext = ext;
	s->free_ext = free_ext;
}

/* A place libdwfl would open: nothing there, or a regular file. */
static bool place_ok(char *path)
{
	struct stat st;
	bool ok = stat(path, &st) < 0 || S_ISREG(st.st_mode);

	if (!ok)
		mr_warning("'%s' is not a regular file; not reading it for debug info", path);
	free(path);
	return ok;
}

/*
 * libdwfl looks for separate DWARF by debuglink (else the file's name and
 * ".debug") beside the module, in its .debug and under each absolute
 * directory of the search path, with a plain open(): a FIFO planted there
 * (a recorded path may be anyone's directory) would block the report for
 * ever. Those places are checked first. libdwfl's own open could still
 * race with a swap: this narrows that, it does not close it.
 */
static bool debuglink_places_ok(const struct mr_symbols *s, const char *file_name,
				const char *debuglink)
{
	const char *slash = strrchr(file_name, '/'), *e, *end;
	char *dir, *name;
	bool ok;

	dir = slash ? mr_xasprintf("%.*s", (int)(slash - file_name), file_name) : mr_xstrdup(".");
	name = debuglink ? mr_xstrdup(debuglink) :
	       mr_xasprintf("%s.debug", slash ? slash + 1 : file_name);
	ok = name[0] != '/' || place_ok(mr_xstrdup(name));
	for (e = s ? s->debuginfo_path : ":.debug:/usr/lib/debug"; ok && e; e = *end ? end + 1 : NULL) {
		int n;

		end = strchrnul(e, ':');
		n = end - e;
		if (!n)
			ok = place_ok(mr_xasprintf("%s/%s", dir, name));
		else if (e[0] != '/')
			ok = place_ok(mr_xasprintf("%s/%.*s/%s", dir, n, e, name));
		else
			ok = place_ok(mr_xasprintf("%.*s%s/%s", n, e, dir, name));
	}
	free(dir);
	free(name);
	return ok;
}

/*
 * DWARF for a module whose symbols came from the copy in the trace file
 * (which has none without --debuginfo): the usual places by build-id and
 * debuglink first, then the file at the module's recorded path when it is
 * the very same build. modname is that path (see try_file).
 */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			  Dwarf_Addr base, const char *file_name, const char *debuglink,
			  GElf_Word crc, char **debuginfo_file_name)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	char *want, *here;
	int fd, len;

	if (file_name && !debuglink_places_ok(*userdata, file_name, debuglink))
		return -1;
	fd = dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink,
					  crc, debuginfo_file_name);
	if (fd >= 0 || !modname || !file_name || !strcmp(modname, file_name))
		return fd;
	len = dwfl_module_build_id(mod, &bits, &vaddr);
	if (len <= 0)
		return -1;
	want = mr_build_id_hex(bits, len);
	here = mr_read_build_id(modname);
	fd = here && !strcmp(want, here) ? mr_open_regular(modname) : -1;
	fd = fd < 0 ? -1 : fd;
	if (fd >= 0)
		*debuginfo_file_name = mr_xstrdup(modname);
	free(want);
	free(here);
	return fd;
}

/* libdwfl finds separate DWARF by build-id under each of these directories. */
static void update_debuginfo_path(struct mr_symbols *s)
{
	struct mr_buf b = { 0 };

	mr_buf_addf(&b, ":.debug:/usr/lib/debug");
	for (int i = 0; i < s->nr_dirs; i++)
		mr_buf_addf(&b, ":%s", s->dirs[i].dir);
	free(s->debuginfo_path);
	s->debuginfo_path = b.data;
}

struct mr_symbols *mr_symbols_new(void)
{
	struct mr_symbols *s = mr_xcalloc(1, sizeof(*s));

	elf_version(EV_CURRENT);
	s->callbacks.find_elf = dwfl_build_id_find_elf;
	s->callbacks.find_debuginfo = find_debuginfo;
	s->callbacks.section_address = dwfl_offline_section_address;
	s->callbacks.debuginfo_path = &s->debuginfo_path;
	update_debuginfo_path(s);
	return s;
}

void mr_symbols_add_debug_dir(struct mr_symbols *s, const char *dir, const char *label)
{
	s->dirs = mr_xrealloc(s->dirs, (s->nr_dirs + 1) * sizeof(*s->dirs));
	s->dirs[s->nr_dirs].dir = mr_xstrdup(dir);
	s->dirs[s->nr_dirs].label = mr_xstrdup(label);
	s->nr_dirs++;
	update_debuginfo_path(s);
}

void mr_symbols_set_sysroot(struct mr_symbols *s, const char *dir)
{
	free(s->sysroot);
	s->sysroot = mr_xstrdup(dir);
}

void mr_symbols_free(struct mr_symbols *s)
{
	if (!s)
		return;
	if (s->free_ext)
		s->free_ext(s->ext);
	htab_release(&s->syms, free_sym);
	htab_release(&s->procs, free_proc);
	htab_release(&s->files, free_file);
	htab_release(&s->strings, free);
	for (int i = 0; i < s->nr_dirs; i++) {
		free(s->dirs[i].dir);
		free(s->dirs[i].label);
	}
	free(s->dirs);
	free(s->sysroot);
	free(s->debuginfo_path);
	free(s);
}
