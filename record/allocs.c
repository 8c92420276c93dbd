// SPDX-License-Identifier: GPL-2.0
/*
 * allocs.c - finds the files that hold the allocator a target calls:
 * glibc's libc.so.6 (and libstdc++), any other file it maps, links or
 * LD_PRELOADs that defines malloc (jemalloc, tcmalloc, mimalloc...), a file
 * named with --lib, or a static executable itself. A spawned command is not
 * exec'd yet when the probes are made, so its files come from its ELF
 * (PT_INTERP, DT_NEEDED, DT_RUNPATH) and the LD_PRELOAD it inherits.
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "memrec.h"
#include "record.h"

#define KIND(k)		(1u << (k))
/* another allocator: its own rows, and its C++ operators */
#define OTHER_KINDS	(KIND(MR_LIB_ALLOC) | KIND(MR_LIB_CXX))
#define STATIC_KINDS	(KIND(MR_LIB_C) | OTHER_KINDS)
#define MAX_FILES	256

/* What a spawned command's ELF says about the files it will map. */
struct elf_info {
	bool	interp;		/* PT_INTERP: dynamically linked */
	bool	symtab;		/* not stripped */
	char	**needed;
	int	nr_needed;
	char	*runpath;	/* DT_RUNPATH or DT_RPATH */
};

static void elf_info_release(struct elf_info *in)
{
	for (int i = 0; i < in->nr_needed; i++)
		free(in->needed[i]);
	free(in->needed);
	free(in->runpath);
	memset(in, 0, sizeof(*in));
}

static void read_dynamic(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, struct elf_info *in)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	GElf_Dyn dyn;

	for (size_t i = 0; data && sh->sh_entsize && i < sh->sh_size / sh->sh_entsize; i++) {
		const char *s;

		if (!gelf_getdyn(data, i, &dyn))
			break;
		if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_RUNPATH && dyn.d_tag != DT_RPATH)
			continue;
		s = elf_strptr(elf, sh->sh_link, dyn.d_un.d_val);
		if (!s)
			continue;
		if (dyn.d_tag == DT_NEEDED) {
			in->needed = mr_xrealloc(in->needed, (in->nr_needed + 1) * sizeof(char *));
			in->needed[in->nr_needed++] = mr_xstrdup(s);
		} else if (!in->runpath) {
			in->runpath = mr_xstrdup(s);
		}
	}
}

static int elf_info_read(const char *path, struct elf_info *in)
{
	Elf_Scn *scn = NULL;
	GElf_Phdr ph;
	GElf_Shdr sh;
	size_t n;
	Elf *elf;
	int fd;

	memset(in, 0, sizeof(*in));
	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getphdrnum(elf, &n)) {
		elf_end(elf);
		close(fd);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_INTERP)
			in->interp = true;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB)
			in->symtab = true;
		else if (sh.sh_type == SHT_DYNAMIC)
			read_dynamic(elf, scn, &sh, in);
	}
	elf_end(elf);
	close(fd);
	return 0;
}

/* Adds path unless a file of the same inode is there: then its kinds join. */
static void add_lib(struct mr_alloc_libs *l, const char *path, unsigned int kinds)
{
	struct stat st, o;

	if (stat(path, &st) < 0)
		return;
	for (int i = 0; i < l->nr; i++)
		if (!stat(l->v[i].path, &o) && o.st_ino == st.st_ino && o.st_dev == st.st_dev) {
			l->v[i].kinds |= kinds;
			return;
		}
	l->v = mr_xrealloc(l->v, (l->nr + 1) * sizeof(*l->v));
	l->v[l->nr].path = mr_xstrdup(path);
	l->v[l->nr++].kinds = kinds;
}

void mr_allocs_release(struct mr_alloc_libs *l)
{
	for (int i = 0; i < l->nr; i++)
		free(l->v[i].path);
	free(l->v);
	l->v = NULL;
	l->nr = 0;
}

/* glibc and libstdc++ are found by name; their rows are not another allocator's. */
static bool is_runtime(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5) ||
	       !strncmp(base, "libstdc++.so", 12);
}

/* An allocator other than glibc's: it defines malloc. */
static void add_if_allocator(struct mr_alloc_libs *l, const char *path)
{
	if (!is_runtime(path) && mr_probes_defines(path, "malloc"))
		add_lib(l, path, OTHER_KINDS);
}

/*
 * A mapped file's path that reaches the very inode mapped (the target may
 * live in another mount namespace: then /proc/PID/map_files/... is used,
 * which uprobes accept). line is a maps line; NULL when it maps no file.
 */
static char *reach(pid_t pid, char *line)
{
	char *path = strchr(line, '/'), range[64], root[PATH_MAX + 64];
	unsigned long ino;
	struct stat st;

	if (!path)
		return NULL;
	path[strcspn(path, "\n")] = '\0';
	if (sscanf(line, "%63s %*s %*s %*s %lu", range, &ino) != 2)
		return NULL;
	snprintf(root, sizeof(root), "/proc/%d/root%s", pid ? pid : getpid(), path);
	if (!stat(path, &st) && st.st_ino == ino)
		return mr_xstrdup(path);
	if (!stat(root, &st) && st.st_ino == ino)
		return mr_xstrdup(root);
	return mr_xasprintf("/proc/%d/map_files/%s", pid ? pid : getpid(), range);
}

static FILE *open_maps(pid_t pid)
{
	char maps[64];

	snprintf(maps, sizeof(maps), pid ? "/proc/%d/maps" : "/proc/self/maps", pid);
	return fopen(maps, "re");
}

/* A mapped library by the name pattern. */
static char *find_mapped(pid_t pid, const char *pattern)
{
	char line[4096], *found = NULL, *path;
	FILE *f = open_maps(pid);

	while (f && !found && fgets(line, sizeof(line), f)) {
		path = strchr(line, '/');
		if (path && strstr(path, pattern))
			found = reach(pid, line);
	}
	if (f)
		fclose(f);
	return found;
}

int mr_probes_find_libs(pid_t pid, char **libc, char **libstdcxx)
{
	*libc = find_mapped(pid, "/libc.so.6");
	if (!*libc)
		*libc = find_mapped(pid, "/libc-");
	*libstdcxx = find_mapped(pid, "/libstdc++.so");
	if (!*libc)
		return mr_error("process %d does not map glibc (libc.so.6)", pid);
	return 0;
}

/* Every executable file pid maps that defines malloc. */
static void scan_maps(pid_t pid, struct mr_alloc_libs *l)
{
	char line[4096], perms[8];
	FILE *f = open_maps(pid);

	while (f && fgets(line, sizeof(line), f)) {
		char *path;

		if (sscanf(line, "%*s %7s", perms) != 1 || perms[2] != 'x')
			continue;
		path = reach(pid, line);
		if (path)
			add_if_allocator(l, path);
		free(path);
	}
	if (f)
		fclose(f);
}

/* A DT_NEEDED or LD_PRELOAD name as the dynamic linker would find it (mostly). */
static char *resolve_lib(const char *name, const char *origin, const char *runpath)
{
	static const char *const sys = "/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:"
				       "/lib64:/usr/lib64:/lib:/usr/lib:/usr/local/lib";
	const char *env = getenv("LD_LIBRARY_PATH");
	char *dirs, *dir, *save, *found = NULL;

	if (strchr(name, '/'))
		return access(name, R_OK) ? NULL : mr_xstrdup(name);
	dirs = mr_xasprintf("%s:%s:%s", runpath ? runpath : "", env ? env : "", sys);
	for (dir = strtok_r(dirs, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *full;

		if (!strncmp(dir, "$ORIGIN", 7))
			full = mr_xasprintf("%s%s/%s", origin, dir + 7, name);
		else
			full = mr_xasprintf("%s/%s", dir, name);
		if (!access(full, R_OK))
			found = full;
		else
			free(full);
	}
	free(dirs);
	return found;
}

/* The files a dynamic executable links, breadth first, each once. */
static void scan_needed(const char *exe, struct mr_alloc_libs *l)
{
	char *queue[MAX_FILES], *origin = mr_xstrdup(exe), *slash = strrchr(origin, '/');
	int head = 0, nr = 0;

	if (slash)
		*slash = '\0';
	queue[nr++] = mr_xstrdup(exe);
	while (head < nr) {
		struct elf_info in;

		if (elf_info_read(queue[head++], &in) < 0)
			continue;
		for (int i = 0; i < in.nr_needed && nr < MAX_FILES; i++) {
			char *p = resolve_lib(in.needed[i], origin, in.runpath);
			bool seen = !p;

			for (int j = 0; p && j < nr && !seen; j++)
				seen = !strcmp(queue[j], p);
			if (seen) {
				free(p);
				continue;
			}
			add_if_allocator(l, p);
			queue[nr++] = p;
		}
		elf_info_release(&in);
	}
	for (int i = 0; i < nr; i++)
		free(queue[i]);
	free(origin);
}

/* LD_PRELOAD as ld.so reads it: names separated by spaces or colons. */
static void scan_preload(struct mr_alloc_libs *l)
{
	const char *env = getenv("LD_PRELOAD");
	char *copy, *name, *save;

	if (!env)
		return;
	copy = mr_xstrdup(env);
	for (name = strtok_r(copy, ": \t", &save); name; name = strtok_r(NULL, ": \t", &save)) {
		char *p = resolve_lib(name, ".", NULL);

		if (p)
			add_if_allocator(l, p);
		free(p);
	}
	free(copy);
}

/* A static executable holds its allocator: probed through its symbol table. */
static int add_static(const char *exe, const char *shown, const struct elf_info *in,
		      struct mr_alloc_libs *l)
{
	if (!in->symtab)
		return mr_error("'%s' is a stripped static executable: its allocator cannot be "
				"probed (no symbol table); rebuild it without -s or strip", shown);
	/* one that links no allocator function is refused by mr_probes_create */
	add_lib(l, exe, STATIC_KINDS);
	return 0;
}

/* glibc and libstdc++ as a process maps them (pid 0: memrec, whose libc the command gets). */
static int add_runtime(pid_t pid, struct mr_alloc_libs *l, bool need_libc)
{
	char *libc = NULL, *cxx = NULL;

	libc = find_mapped(pid, "/libc.so.6");
	if (!libc)
		libc = find_mapped(pid, "/libc-");
	cxx = find_mapped(pid, "/libstdc++.so");
	if (libc)
		add_lib(l, libc, KIND(MR_LIB_C));
	if (cxx)
		add_lib(l, cxx, KIND(MR_LIB_CXX));
	free(libc);
	free(cxx);
	if (!libc && need_libc)
		return mr_error("process %d maps neither glibc (libc.so.6) nor another allocator "
				"memrec knows (a file defining malloc); name one with --lib", pid);
	return 0;
}

char *mr_allocs_other(const char *exe)
{
	struct mr_alloc_libs l = { 0 };
	char *found = NULL;

	if (mr_probes_defines(exe, "malloc"))
		add_lib(&l, exe, OTHER_KINDS);
	scan_preload(&l);
	scan_needed(exe, &l);
	if (l.nr)
		found = mr_xstrdup(l.v[0].path);
	mr_allocs_release(&l);
	return found;
}

int mr_allocs_find(pid_t pid, const char *exe, const char *extra, struct mr_alloc_libs *out)
{
	char *self = pid ? mr_xasprintf("/proc/%d/exe", pid) : mr_xstrdup(exe);
	char *shown = mr_quote_ctl(exe ? exe : self);
	struct elf_info in;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (elf_info_read(self, &in) < 0) {
		ret = mr_error("cannot read the executable '%s'", shown);
		goto out;
	}
	if (!in.interp) {
		ret = add_static(self, shown, &in, out);
	} else if (pid) {
		ret = add_runtime(pid, out, false);
		scan_maps(pid, out);
	} else {
		ret = add_runtime(0, out, true);
		/* a program with its own malloc (jemalloc linked in statically) */
		if (mr_probes_defines(self, "malloc"))
			add_lib(out, self, OTHER_KINDS);
		scan_preload(out);
		scan_needed(self, out);
	}
	if (!ret && extra) {
		if (access(extra, R_OK)) {
			char *q = mr_quote_ctl(extra);

			ret = mr_error_errno("cannot read --lib '%s'", q);
			free(q);
		} else {
			add_lib(out, extra, OTHER_KINDS);
		}
	}
	if (!ret && !out->nr)
		ret = mr_error("process %d maps neither glibc (libc.so.6) nor another allocator "
			       "memrec knows (a file defining malloc); name one with --lib", pid);
	elf_info_release(&in);
out:
	free(shown);
	free(self);
	if (ret)
		mr_allocs_release(out);
	return ret;
}
