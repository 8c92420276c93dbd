// SPDX-License-Identifier: GPL-2.0
/*
 * lsan.c - reads the suppressions a program carries for LeakSanitizer: the
 * string its __lsan_default_suppressions() returns. LSan calls the function
 * at exit; memrec cannot run code in the target, so it reads the function's
 * first instructions for the address it loads (the `return "...";` every
 * compiler emits: a rip-relative lea or an absolute mov on x86-64, adrp+add
 * on arm64) and takes the NUL-terminated string there. A function that
 * builds its string at run time is not read, and the recorder says so.
 */
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "memrec.h"
#include "mr_buildid.h"
#include "mr_lsan.h"

#define LSAN_FN		"__lsan_default_suppressions"
#define CODE_BYTES	64		/* how far into the function to look */
#define MAX_TEXT	(64 * 1024)	/* a longer "string" is not one */

/* The address and size of the defined function sym, from .symtab or .dynsym. */
static bool find_fn(Elf *elf, GElf_Addr *addr, GElf_Xword *size)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			const char *name;
			GElf_Sym s;

			if (!gelf_getsym(d, (int)i, &s) || s.st_shndx == SHN_UNDEF || !s.st_value ||
			    GELF_ST_TYPE(s.st_info) != STT_FUNC)
				continue;
			name = elf_strptr(elf, sh.sh_link, s.st_name);
			if (name && !strcmp(name, LSAN_FN)) {
				*addr = s.st_value;
				*size = s.st_size;
				return true;
			}
		}
	}
	return false;
}

/* The bytes at [addr, addr + *len) of the file's loaded image; *len is cut to the section. */
static const unsigned char *at_vaddr(Elf *elf, GElf_Addr addr, size_t *len)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) ||
		    sh.sh_type == SHT_NOBITS || addr < sh.sh_addr || addr >= sh.sh_addr + sh.sh_size)
			continue;
		d = elf_rawdata(scn, NULL);
		if (!d || !d->d_buf || d->d_size != sh.sh_size)
			return NULL;
		if (*len > sh.sh_addr + sh.sh_size - addr)
			*len = sh.sh_addr + sh.sh_size - addr;
		return (const unsigned char *)d->d_buf + (addr - sh.sh_addr);
	}
	return NULL;
}

/* A NUL-terminated, printable text at addr, or NULL. */
static char *text_at(Elf *elf, GElf_Addr addr)
{
	size_t len = MAX_TEXT;
	const unsigned char *p = at_vaddr(elf, addr, &len);
	const unsigned char *nul = p ? memchr(p, '\0', len) : NULL;

	if (!nul)
		return NULL;
	for (const unsigned char *c = p; c < nul; c++)
		if ((*c < ' ' && *c != '\n' && *c != '\t' && *c != '\r') || *c == 0x7f)
			return NULL;
	return mr_xstrdup((const char *)p);
}

static int32_t le32(const unsigned char *p)
{
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			 (uint32_t)p[3] << 24);
}

/* x86-64: lea r64, [rip + disp32] (REX.W 8D /r, mod 00 rm 101) or mov r32, imm32 (B8+r). */
static char *x86_64_text(Elf *elf, GElf_Addr fn, const unsigned char *code, size_t n)
{
	char *s;

	for (size_t i = 0; i + 5 <= n; i++) {
		if (i + 7 <= n && (code[i] & 0xf8) == 0x48 && code[i + 1] == 0x8d &&
		    (code[i + 2] & 0xc7) == 0x05 &&
		    (s = text_at(elf, fn + i + 7 + (int64_t)le32(code + i + 3))))
			return s;
		if ((code[i] & 0xf8) == 0xb8 && (s = text_at(elf, (uint32_t)le32(code + i + 1))))
			return s;
	}
	return NULL;
}

/* arm64: adrp xN, PAGE then add xN, xN, #OFF. */
static char *aarch64_text(Elf *elf, GElf_Addr fn, const unsigned char *code, size_t n)
{
	char *s;

	for (size_t i = 0; i + 8 <= n; i += 4) {
		uint32_t adrp = (uint32_t)le32(code + i), add = (uint32_t)le32(code + i + 4);
		int64_t imm;
		GElf_Addr page;

		if ((adrp & 0x9f000000) != 0x90000000 || (add & 0xffc00000) != 0x91000000 ||
		    (add & 0x1f) != (adrp & 0x1f) || ((add >> 5) & 0x1f) != (adrp & 0x1f))
			continue;
		imm = (int64_t)((uint64_t)((((adrp >> 5) & 0x7ffff) << 2) | ((adrp >> 29) & 3)) << 43) >> 31;
		page = ((fn + i) & ~(GElf_Addr)0xfff) + imm;
		s = text_at(elf, page + ((add >> 10) & 0xfff));
		if (s)
			return s;
	}
	return NULL;
}

static char *elf_lsan_text(Elf *elf, bool *has_fn)
{
	GElf_Addr fn;
	GElf_Xword fsize;
	GElf_Ehdr eh;
	const unsigned char *code;
	size_t n;

	*has_fn = false;
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) || !find_fn(elf, &fn, &fsize))
		return NULL;
	*has_fn = true;
	n = fsize && fsize < CODE_BYTES ? fsize : CODE_BYTES;
	code = at_vaddr(elf, fn, &n);
	if (!code)
		return NULL;
	if (eh.e_machine == EM_X86_64)
		return x86_64_text(elf, fn, code, n);
	if (eh.e_machine == EM_AARCH64)
		return aarch64_text(elf, fn, code, n);
	return NULL;
}

char *mr_read_lsan_suppressions(const char *path, bool *has_fn)
{
	char *text = NULL;
	Elf *elf;
	int fd;

	*has_fn = false;
	elf_version(EV_CURRENT);
	fd = mr_open_regular(path);
	if (fd < 0)
		return NULL;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf)
		text = elf_lsan_text(elf, has_fn);
	elf_end(elf);
	close(fd);
	return text;
}
