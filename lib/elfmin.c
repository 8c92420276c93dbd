// SPDX-License-Identifier: GPL-2.0
/*
 * elfmin.c - owns the symbols-only copies of ELF files that a trace file
 * carries, so that a report on another host can still name functions and
 * lines (what `objcopy --only-keep-debug` or perf archive give, but made
 * in-process with libelf).
 *
 * The copy keeps every section header at its index, so sh_link, sh_info,
 * e_shstrndx and symbols' st_shndx stay valid; sections whose contents are
 * not needed become SHT_NOBITS of their old address and size, as in a
 * separate .debug file. The program headers are kept as they were, p_offset
 * included, although they no longer describe the copy's own layout: the
 * reader turns recorded mapping offsets into addresses with them.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "memrec.h"
#include "mr_elfmin.h"

/* Kept whatever their type; small, and what libdwfl and unwinders look for. */
static const char *const kept_names[] = {
	".symtab", ".strtab", ".dynsym", ".dynstr", ".shstrtab",
	".gnu_debuglink", ".gnu_debugaltlink",
	".gnu_debugdata",	/* MiniDebugInfo: libdwfl reads a .symtab from it */
	".eh_frame", ".eh_frame_hdr",
};

struct elfmin {
	const char	*path;
	Elf		*in;
	Elf		*out;
	bool		*keep;		/* per input section index */
	size_t		shnum;
	size_t		shstrndx;
	bool		keep_debug;
};

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static int elf_fail(const struct elfmin *m, const char *what)
{
	return mr_error("cannot make a symbols-only copy of '%s': %s: %s", m->path, what,
			elf_errmsg(-1));
}

static bool wanted(const struct elfmin *m, size_t idx, const GElf_Shdr *sh)
{
	const char *name;
	size_t i;

	switch (sh->sh_type) {
	case SHT_SYMTAB:
	case SHT_DYNSYM:
	case SHT_SYMTAB_SHNDX:
	case SHT_NOTE:		/* build-id, and what else tools stamp in notes */
	case SHT_GNU_versym:
	case SHT_GNU_verdef:
	case SHT_GNU_verneed:
		return true;
	}
	if (idx == m->shstrndx)
		return true;
	name = elf_strptr(m->in, m->shstrndx, sh->sh_name);
	if (!name)
		return false;
	for (i = 0; i < ARRAY_SIZE(kept_names); i++)
		if (!strcmp(name, kept_names[i]))
			return true;
	return has_prefix(name, ".gnu.version") ||
	       (m->keep_debug && (has_prefix(name, ".debug_") || has_prefix(name, ".zdebug_")));
}

/*
 * Which sections keep their contents: the wanted ones, and the string
 * tables the symbol and version tables point at, whatever they are called.
 */
static int choose_sections(struct elfmin *m)
{
	Elf_Scn *scn = NULL;

	m->keep = mr_xcalloc(m->shnum ? m->shnum : 1, sizeof(*m->keep));
	while ((scn = elf_nextscn(m->in, scn))) {
		size_t idx = elf_ndxscn(scn);
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			return elf_fail(m, "section header");
		if (!wanted(m, idx, &sh))
			continue;
		m->keep[idx] = true;
		if ((sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM ||
		     sh.sh_type == SHT_GNU_verdef || sh.sh_type == SHT_GNU_verneed) &&
		    sh.sh_link < m->shnum)
			m->keep[sh.sh_link] = true;
	}
	return 0;
}

static int copy_headers(struct elfmin *m)
{
	size_t i, phnum;
	GElf_Ehdr eh;

	if (!gelf_getehdr(m->in, &eh))
		return elf_fail(m, "ELF header");
	if (!gelf_newehdr(m->out, gelf_getclass(m->in)) || !gelf_update_ehdr(m->out, &eh))
		return elf_fail(m, "new ELF header");
	if (elf_getphdrnum(m->in, &phnum))
		return elf_fail(m, "program headers");
	if (phnum && !gelf_newphdr(m->out, phnum))
		return elf_fail(m, "new program headers");
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(m->in, i, &ph) || !gelf_update_phdr(m->out, i, &ph))
			return elf_fail(m, "program header");
	}
	return 0;
}

/*
 * Every section gets one data block, since without ELF_F_LAYOUT libelf sets
 * sh_size to the size of its data: a dropped section's block has no buffer
 * but the old size, which a SHT_NOBITS section does not take up in the
 * file. Kept contents are raw bytes (ELF_T_BYTE): the copy has the
 * original's class and byte order, so nothing needs translating, and
 * compressed sections stay compressed. They point into the input's mapping,
 * which lives until the copy is written.
 */
static int copy_section(struct elfmin *m, Elf_Scn *iscn)
{
	Elf_Scn *oscn = elf_newscn(m->out);
	Elf_Data *id = NULL, *od;
	GElf_Shdr sh;

	if (!oscn || !gelf_getshdr(iscn, &sh))
		return elf_fail(m, "section");
	if (sh.sh_type == SHT_NULL) {
		sh.sh_size = 0;
	} else if (!m->keep[elf_ndxscn(iscn)]) {
		sh.sh_type = SHT_NOBITS;
	} else if (sh.sh_type != SHT_NOBITS && sh.sh_size) {
		id = elf_rawdata(iscn, NULL);
		if (!id)
			return elf_fail(m, "section contents");
	}
	od = elf_newdata(oscn);
	if (!od)
		return elf_fail(m, "new section contents");
	od->d_buf = id ? id->d_buf : NULL;
	od->d_size = id ? id->d_size : sh.sh_size;
	od->d_type = ELF_T_BYTE;
	od->d_off = 0;
	/* libelf refuses alignments that are not powers of two */
	od->d_align = sh.sh_addralign && !(sh.sh_addralign & (sh.sh_addralign - 1))
		      ? sh.sh_addralign : 1;
	od->d_version = EV_CURRENT;
	if (!gelf_update_shdr(oscn, &sh))
		return elf_fail(m, "new section header");
	return 0;
}

/* Section 0 holds the counts of files with extended numbering: copy it. */
static int copy_sections(struct elfmin *m)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh0;

	while ((scn = elf_nextscn(m->in, scn)))
		if (copy_section(m, scn))
			return -1;
	if (!gelf_getshdr(elf_getscn(m->in, 0), &sh0) ||
	    !gelf_update_shdr(elf_getscn(m->out, 0), &sh0))
		return elf_fail(m, "section 0");
	return 0;
}

static int build(struct elfmin *m)
{
	if (elf_kind(m->in) != ELF_K_ELF)
		return mr_error("'%s' is not an ELF file", m->path);
	if (elf_getshdrnum(m->in, &m->shnum) || elf_getshdrstrndx(m->in, &m->shstrndx))
		return elf_fail(m, "section headers");
	/* stripped of section headers, or cut short: libelf then shows none */
	if (!m->shnum)
		return mr_error("'%s' has no section headers; it cannot be symbolised from",
				m->path);
	if (choose_sections(m) || copy_headers(m) || copy_sections(m))
		return -1;
	/*
	 * Without ELF_F_LAYOUT libelf moves the program header table to just
	 * after the ELF header (e_phoff) but leaves its entries alone, so the
	 * original p_offset values survive without a second pass.
	 */
	if (elf_update(m->out, ELF_C_WRITE) < 0)
		return elf_fail(m, "write");
	return 0;
}

/* Appends the whole of fd to out. */
static int slurp(const char *path, int fd, struct mr_buf *out)
{
	off_t size = lseek(fd, 0, SEEK_END);
	void *p;

	if (size < 0)
		return mr_error_errno("cannot read back the copy of '%s'", path);
	if (!size)
		return mr_error("cannot read back the copy of '%s': empty", path);
	p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return mr_error_errno("cannot read back the copy of '%s'", path);
	mr_buf_add(out, p, size);
	munmap(p, size);
	return 0;
}

int mr_elf_keep_symbols(const char *path, bool keep_debug, struct mr_buf *out)
{
	struct elfmin m = { .path = path, .keep_debug = keep_debug };
	int in_fd, out_fd = -1, rc = -1;

	elf_version(EV_CURRENT);
	in_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (in_fd < 0)
		return mr_error_errno("cannot open '%s'", path);
	/* an anonymous file: nothing to clean up if we die half-way */
	out_fd = memfd_create("memrec-elfmin", MFD_CLOEXEC);
	if (out_fd < 0) {
		mr_error_errno("cannot make a symbols-only copy of '%s': memfd_create", path);
		goto out;
	}
	m.in = elf_begin(in_fd, ELF_C_READ_MMAP, NULL);
	m.out = elf_begin(out_fd, ELF_C_WRITE, NULL);
	if (!m.in || !m.out) {
		elf_fail(&m, "elf_begin");
		goto out;
	}
	rc = build(&m);
	elf_end(m.out);
	m.out = NULL;
	if (!rc)
		rc = slurp(path, out_fd, out);
out:
	elf_end(m.out);
	elf_end(m.in);
	free(m.keep);
	if (out_fd >= 0)
		close(out_fd);
	close(in_fd);
	return rc;
}
