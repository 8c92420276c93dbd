// SPDX-License-Identifier: GPL-2.0
/*
 * probes.c - creates memrec's allocator uprobes: finds the libc and
 * libstdc++ a target maps, turns symbol addresses into the file offsets
 * uprobes want, and defines entry/return events in memrec's own group.
 * Never touches another group's probes.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "memrec.h"
#include "record.h"

struct elf_file {
	int	fd;
	Elf	*elf;
};

/* shown: path as it may be printed (it came from a target's maps) */
static int elf_file_open(struct elf_file *ef, const char *path, const char *shown)
{
	elf_version(EV_CURRENT);
	ef->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ef->fd < 0)
		return mr_error_errno("cannot open '%s'", shown);
	ef->elf = elf_begin(ef->fd, ELF_C_READ, NULL);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF) {
		close(ef->fd);
		return mr_error("'%s' is not an ELF file", shown);
	}
	return 0;
}

static void elf_file_close(struct elf_file *ef)
{
	elf_end(ef->elf);
	close(ef->fd);
}

/* Looks sym up in .dynsym (then .symtab), skipping hidden (compat) versions. */
static int find_symbol(struct elf_file *ef, const char *sym, GElf_Sym *out)
{
	Elf_Data *vdata = NULL, *data;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t i, n;

	while ((scn = elf_nextscn(ef->elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_GNU_versym)
			vdata = elf_getdata(scn, NULL);
	for (int pass = 0; pass < 2; pass++) {
		Elf64_Word want = pass ? SHT_SYMTAB : SHT_DYNSYM;

		for (scn = NULL; (scn = elf_nextscn(ef->elf, scn));) {
			if (!gelf_getshdr(scn, &sh) || sh.sh_type != want || !sh.sh_entsize)
				continue;
			data = elf_getdata(scn, NULL);
			n = sh.sh_size / sh.sh_entsize;
			for (i = 0; data && i < n; i++) {
				GElf_Versym ver;
				const char *name;

				if (!gelf_getsym(data, i, out) || out->st_shndx == SHN_UNDEF ||
				    GELF_ST_TYPE(out->st_info) != STT_FUNC || !out->st_value)
					continue;
				name = elf_strptr(ef->elf, sh.sh_link, out->st_name);
				if (!name || strcmp(name, sym))
					continue;
				if (!pass && vdata && gelf_getversym(vdata, i, &ver) && (ver & 0x8000))
					continue;
				return 0;
			}
		}
	}
	return -1;
}

/* The file offset of a code address: what uprobe_events wants. */
static int vaddr_to_offset(struct elf_file *ef, uint64_t vaddr, uint64_t *off)
{
	GElf_Phdr ph;
	size_t i, n;

	if (elf_getphdrnum(ef->elf, &n))
		return -1;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(ef->elf, i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -1;
}

static int read_code(struct elf_file *ef, uint64_t vaddr, size_t len, unsigned char *buf)
{
	uint64_t off;

	if (vaddr_to_offset(ef, vaddr, &off) < 0)
		return -1;
	return pread(ef->fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

/* Targets of rel32 jumps (0xe9) or calls (0xe8) leaving [start, start+len). */
static int branch_targets(struct elf_file *ef, const GElf_Sym *s, unsigned char op,
			  uint64_t *out, int max)
{
	unsigned char code[512];
	size_t len = s->st_size < sizeof(code) ? s->st_size : sizeof(code);
	int n = 0;

	if (len < 5 || read_code(ef, s->st_value, len, code) < 0)
		return 0;
	for (size_t i = 0; i + 5 <= len && n < max; i++) {
		int32_t rel;
		uint64_t t;

		if (code[i] != op)
			continue;
		memcpy(&rel, code + i + 1, 4);
		t = s->st_value + i + 5 + (int64_t)rel;
		if (t < s->st_value || t >= s->st_value + s->st_size)
			out[n++] = t;
	}
	return n;
}

/*
 * posix_memalign stores its pointer through memptr, which a return probe
 * cannot read. glibc's memalign tail-jumps to the internal _mid_memalign
 * that posix_memalign calls: probing that one gives the pointer as a
 * nested return. Found as the jump target of memalign that posix_memalign
 * also calls; if the two do not agree, nothing is probed.
 */
static int find_memalign_int(struct elf_file *ef, uint64_t *vaddr)
{
	uint64_t jumps[8], calls[8];
	GElf_Sym ma, pm;
	int nj, nc;

	if (find_symbol(ef, "memalign", &ma) < 0 || find_symbol(ef, "posix_memalign", &pm) < 0)
		return -1;
	nj = branch_targets(ef, &ma, 0xe9, jumps, 8);
	nc = branch_targets(ef, &pm, 0xe8, calls, 8);
	for (int i = 0; i < nj; i++)
		for (int j = 0; j < nc; j++)
			if (jumps[i] == calls[j]) {
				*vaddr = jumps[i];
				return 0;
			}
	return -1;
}

/*
 * glibc's free starts with "test %rdi,%rdi; je": an instruction the kernel
 * cannot emulate, so a uprobe there single-steps out of line, an extra trap
 * that made free cost ~13 us against ~1 us for malloc here (make bench).
 * Past the test the pointer is still in %rdi and the return address still
 * at [sp]; only free(NULL), which does nothing, goes unseen. Any other
 * prologue is probed at the entry.
 */
static uint64_t skip_null_test(struct elf_file *ef, uint64_t vaddr, bool *skipped)
{
	unsigned char c[9];

	*skipped = false;
	if (read_code(ef, vaddr, sizeof(c), c) < 0 || c[0] != 0x48 || c[1] != 0x85 ||
	    c[2] != 0xff)
		return vaddr;
	if (c[3] == 0x74) {
		*skipped = true;
		return vaddr + 5;	/* je rel8 */
	}
	if (c[3] == 0x0f && c[4] == 0x84) {
		*skipped = true;
		return vaddr + 9;	/* je rel32 */
	}
	return vaddr;
}

static void add_event(struct mr_probes *p, struct tracefs_dynevent *ev, const char *name)
{
	p->evs = mr_xrealloc(p->evs, (p->nr + 1) * sizeof(*p->evs));
	p->evs[p->nr++] = ev;
	p->events = mr_xrealloc(p->events, (p->nr + 1) * sizeof(*p->events));
	p->events[p->nr - 1] = mr_xasprintf("%s/%s", p->group, name);
	p->events[p->nr] = NULL;
}

static int create_one(struct mr_probes *p, const char *path, uint64_t off, const char *name,
		      const char *args, bool ret)
{
	char *shown;
	struct tracefs_dynevent *ev;
	char *evname = ret ? mr_xasprintf("%s_ret", name) : mr_xstrdup(name);

	ev = ret ? tracefs_uretprobe_alloc(p->group, evname, path, off, args)
		 : tracefs_uprobe_alloc(p->group, evname, path, off, args);
	if (!ev || tracefs_dynevent_create(ev) < 0) {
		int saved = errno;

		tracefs_dynevent_free(ev);
		free(evname);
		shown = mr_quote_ctl(path);
		errno = saved;
		mr_error_errno("cannot create uprobe '%s/%s' on '%s:0x%llx'", p->group, name,
			       shown, (unsigned long long)off);
		free(shown);
		return -1;
	}
	add_event(p, ev, evname);
	free(evname);
	return 0;
}

static bool seen_addr(const uint64_t *addrs, int n, uint64_t a)
{
	for (int i = 0; i < n; i++)
		if (addrs[i] == a)
			return true;
	return false;
}

static int probe_lib(struct mr_probes *p, enum mr_lib lib, const char *path)
{
	char *shown = mr_quote_ctl(path);
	uint64_t addrs[64];
	struct elf_file ef;
	int n = 0, ret = 0;

	if (elf_file_open(&ef, path, shown) < 0) {
		free(shown);
		return -1;
	}
	for (int i = 0; i < mr_nr_probe_defs && !ret; i++) {
		const struct mr_probe_def *d = &mr_probe_defs[i];
		uint64_t vaddr, off;
		GElf_Sym s;

		if (d->lib != lib)
			continue;
		if (d->sym) {
			if (find_symbol(&ef, d->sym, &s) < 0)
				continue;	/* an older libc may lack one: fine */
			vaddr = s.st_value;
		} else if (find_memalign_int(&ef, &vaddr) < 0) {
			mr_warning("cannot locate glibc's internal memalign in '%s'; "
				   "posix_memalign blocks will not be tracked", shown);
			continue;
		}
		/* aliases (memalign = aligned_alloc) are probed once */
		if (seen_addr(addrs, n, vaddr) || n == ARRAY_SIZE(addrs))
			continue;
		addrs[n++] = vaddr;
		if (d->fn == MR_FN_FREE)
			vaddr = skip_null_test(&ef, vaddr, &p->free_null_unseen);
		if (vaddr_to_offset(&ef, vaddr, &off) < 0) {
			ret = mr_error("'%s' in '%s' is outside its code", d->name, shown);
			break;
		}
		if (d->entry_args)
			ret = create_one(p, path, off, d->name, d->entry_args, false);
		if (!ret && d->ret_args)
			ret = create_one(p, path, off, d->name, d->ret_args, true);
	}
	elf_file_close(&ef);
	free(shown);
	return ret;
}

int mr_probes_create(struct mr_probes *p, const char *group, const char *libc,
		     const char *libstdcxx)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->group, sizeof(p->group), "%s", group);
	if (probe_lib(p, MR_LIB_C, libc) < 0)
		return -1;
	if (libstdcxx && probe_lib(p, MR_LIB_CXX, libstdcxx) < 0)
		return -1;
	mr_info(1, "created %d uprobes in group '%s'", p->nr, p->group);
	return 0;
}

static void probes_free(struct mr_probes *p, bool destroy)
{
	for (int i = 0; i < p->nr; i++) {
		/* force: also disables it in our instance if that still exists */
		if (destroy && tracefs_dynevent_destroy(p->evs[i], true) < 0)
			mr_warning_errno("cannot delete uprobe '%s'", p->events[i]);
		tracefs_dynevent_free(p->evs[i]);
		free(p->events[i]);
	}
	free(p->evs);
	free(p->events);
	p->evs = NULL;
	p->events = NULL;
	p->nr = 0;
}

void mr_probes_destroy(struct mr_probes *p)
{
	probes_free(p, true);
}

void mr_probes_release(struct mr_probes *p)
{
	probes_free(p, false);
}

/*
 * A mapped library by the name pattern, as a path that reaches the very
 * inode mapped (the target may live in another mount namespace: then
 * /proc/PID/map_files/... is used, which uprobes accept).
 */
static char *find_mapped(pid_t pid, const char *pattern)
{
	char line[4096], maps[64], *found = NULL;
	FILE *f;

	snprintf(maps, sizeof(maps), pid ? "/proc/%d/maps" : "/proc/self/maps", pid);
	f = fopen(maps, "re");
	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		char range[64], *path = strchr(line, '/');
		unsigned long ino;
		struct stat st;
		char root[PATH_MAX + 64];

		if (!path || !strstr(path, pattern))
			continue;
		path[strcspn(path, "\n")] = '\0';
		if (sscanf(line, "%63s %*s %*s %*s %lu", range, &ino) != 2)
			continue;
		snprintf(root, sizeof(root), "/proc/%d/root%s", pid ? pid : getpid(), path);
		if (!stat(path, &st) && st.st_ino == ino)
			found = mr_xstrdup(path);
		else if (!stat(root, &st) && st.st_ino == ino)
			found = mr_xstrdup(root);
		else
			found = mr_xasprintf("/proc/%d/map_files/%s", pid ? pid : getpid(), range);
	}
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
		return mr_error("process %d does not map glibc (libc.so.6); memrec traces glibc's "
				"allocator only", pid);
	return 0;
}
