// SPDX-License-Identifier: GPL-2.0
/*
 * test_elfmin.c - makes symbols-only copies of this test binary and of libc
 * and checks that they still symbolise as the originals do: same build-id,
 * program headers and function symbols, and the same answers from
 * mr_symbols for this process's own addresses when its mappings are
 * pointed at the copies. Also checks that bad input fails cleanly.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "memrec.h"
#include "mr_buildid.h"
#include "mr_elfmin.h"
#include "mr_symbols.h"
#include "mr_test.h"

#define TS_MAPS		100
#define TS_LOOKUP	200

/* noipa: keeps the symbol name exact (no .constprop/.isra clones). */
static const int target_line = __LINE__ + 1;
__attribute__((noipa)) int mr_test_elfmin_target(int x)
{
	return x * 5 + 2;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, m = strlen(suffix);

	return s && n >= m && !strcmp(s + n - m, suffix);
}

/* A check's name, "what: check"; used before the next call. */
static const char *tname(const char *what, const char *check)
{
	static char name[256];

	snprintf(name, sizeof(name), "%s: %s", what, check);
	return name;
}

static const char *str(const char *s)
{
	return s ? s : "(null)";
}

/* Minimises path into a new temp file; returns its malloc'd name or NULL. */
static char *minimize(const char *path, bool keep_debug, size_t *len)
{
	char tmp[] = "/tmp/mr_test_elfmin_XXXXXX";
	struct mr_buf b = { 0 };
	int fd;

	*len = 0;
	if (mr_elf_keep_symbols(path, keep_debug, &b))
		return NULL;
	fd = mkstemp(tmp);
	if (fd < 0 || mr_write_all(fd, b.data, b.len)) {
		if (fd >= 0)
			close(fd);
		mr_buf_release(&b);
		return NULL;
	}
	close(fd);
	*len = b.len;
	mr_buf_release(&b);
	return mr_xstrdup(tmp);
}

static off_t file_size(const char *path)
{
	int fd = open(path, O_RDONLY);
	off_t n = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);

	if (fd >= 0)
		close(fd);
	return n;
}

struct elf_file {
	int	fd;
	Elf	*elf;
};

static bool elf_open(struct elf_file *f, const char *path)
{
	f->fd = open(path, O_RDONLY);
	f->elf = f->fd < 0 ? NULL : elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	return f->elf && elf_kind(f->elf) == ELF_K_ELF;
}

static void elf_close(struct elf_file *f)
{
	elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
}

static const char *scn_name(Elf *elf, const GElf_Shdr *sh)
{
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	return elf_strptr(elf, shstrndx, sh->sh_name);
}

static void check_phdrs(const char *what, Elf *a, Elf *b)
{
	size_t na = 0, nb = 0, i, bad = 0;

	elf_getphdrnum(a, &na);
	elf_getphdrnum(b, &nb);
	MR_CHECK(na && na == nb, tname(what, "same number of program headers"),
		 "%zu, expected %zu", nb, na);
	for (i = 0; i < na && i < nb; i++) {
		GElf_Phdr pa, pb;

		if (!gelf_getphdr(a, i, &pa) || !gelf_getphdr(b, i, &pb) ||
		    memcmp(&pa, &pb, sizeof(pa)))
			bad++;
	}
	MR_CHECK_EQ(bad, 0, tname(what, "program headers identical"));
}

/* Same index, name, address, size and flags; dropped ones are SHT_NOBITS. */
static void check_sections(const char *what, Elf *a, Elf *b, bool keep_debug)
{
	size_t na = 0, nb = 0, sa = 0, sb = 0, i, bad = 0, debug = 0;

	elf_getshdrnum(a, &na);
	elf_getshdrnum(b, &nb);
	elf_getshdrstrndx(a, &sa);
	elf_getshdrstrndx(b, &sb);
	MR_CHECK(na && na == nb && sa == sb, tname(what, "same section numbering"),
		 "%zu sections, shstrndx %zu; expected %zu, %zu", nb, sb, na, sa);
	for (i = 1; i < na && i < nb; i++) {
		GElf_Shdr ha, hb;
		const char *name;

		if (!gelf_getshdr(elf_getscn(a, i), &ha) || !gelf_getshdr(elf_getscn(b, i), &hb)) {
			bad++;
			continue;
		}
		name = scn_name(a, &ha);
		if (!name || strcmp(name, str(scn_name(b, &hb))) || ha.sh_addr != hb.sh_addr ||
		    ha.sh_size != hb.sh_size || ha.sh_flags != hb.sh_flags ||
		    ha.sh_link != hb.sh_link || ha.sh_info != hb.sh_info ||
		    (hb.sh_type != ha.sh_type && hb.sh_type != SHT_NOBITS)) {
			printf("# %s: section %zu '%s' differs\n", what, i, str(name));
			bad++;
		}
		if (!strncmp(str(name), ".debug_", 7) && ha.sh_type != SHT_NOBITS)
			debug += hb.sh_type == SHT_NOBITS ? 0 : 1;
		if (!strcmp(str(name), ".text") && hb.sh_type != SHT_NOBITS)
			bad++;
	}
	MR_CHECK_EQ(bad, 0, tname(what, "section headers kept, .text dropped"));
	if (!keep_debug)
		MR_CHECK_EQ(debug, 0, tname(what, "no .debug_* contents left"));
}

/* Every function symbol of a's .symtab and .dynsym, at its index in b. */
static void check_functions(const char *what, Elf *a, Elf *b)
{
	size_t nfunc = 0, bad = 0;
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(a, scn))) {
		Elf_Scn *other = elf_getscn(b, elf_ndxscn(scn));
		Elf_Data *da, *db;
		GElf_Shdr ha, hb;
		size_t i, n;

		if (!gelf_getshdr(scn, &ha) ||
		    (ha.sh_type != SHT_SYMTAB && ha.sh_type != SHT_DYNSYM))
			continue;
		if (!other || !gelf_getshdr(other, &hb) || hb.sh_type != ha.sh_type ||
		    !(da = elf_getdata(scn, NULL)) || !(db = elf_getdata(other, NULL))) {
			bad++;
			continue;
		}
		n = ha.sh_entsize ? ha.sh_size / ha.sh_entsize : 0;
		for (i = 0; i < n; i++) {
			const char *na, *nb;
			GElf_Sym sa, sb;

			if (!gelf_getsym(da, i, &sa) || GELF_ST_TYPE(sa.st_info) != STT_FUNC)
				continue;
			nfunc++;
			na = elf_strptr(a, ha.sh_link, sa.st_name);
			nb = gelf_getsym(db, i, &sb) ? elf_strptr(b, hb.sh_link, sb.st_name) : NULL;
			if (!na || !nb || strcmp(na, nb) || sa.st_value != sb.st_value ||
			    sa.st_size != sb.st_size)
				bad++;
		}
	}
	MR_CHECK(nfunc > 0, tname(what, "has function symbols"), "none");
	MR_CHECK_EQ(bad, 0, tname(what, "every function symbol kept"));
}

static void check_file(const char *what, const char *orig, const char *min, bool keep_debug)
{
	char *id_a = mr_read_build_id(orig), *id_b = mr_read_build_id(min);
	struct elf_file a, b;
	GElf_Ehdr ea, eb;

	MR_CHECK(id_a && id_b && !strcmp(id_a, id_b), tname(what, "same build-id"),
		 "%s, expected %s", str(id_b), str(id_a));
	free(id_a);
	free(id_b);
	elf_open(&a, orig);
	MR_CHECK(elf_open(&b, min), tname(what, "copy is an ELF file"), "%s",
		 elf_errmsg(-1));
	if (b.elf && elf_kind(b.elf) == ELF_K_ELF && gelf_getehdr(a.elf, &ea) &&
	    gelf_getehdr(b.elf, &eb)) {
		MR_CHECK(gelf_getclass(a.elf) == gelf_getclass(b.elf) &&
			 ea.e_machine == eb.e_machine && ea.e_type == eb.e_type &&
			 ea.e_entry == eb.e_entry, tname(what, "same ELF header"),
			 "class/machine/type/entry differ");
		check_phdrs(what, a.elf, b.elf);
		check_sections(what, a.elf, b.elf, keep_debug);
		check_functions(what, a.elf, b.elf);
	}
	elf_close(&a);
	elf_close(&b);
}

/*
 * Feeds this process's mappings of file orig, named as path: the copy is
 * looked up at exactly the addresses and offsets the original is mapped at.
 */
static int feed_maps(struct mr_symbols *s, const char *orig, const char *path, const char *id)
{
	FILE *fp = fopen("/proc/self/maps", "r");
	char line[PATH_MAX + 256], name[PATH_MAX];
	int n = 0;

	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp)) {
		unsigned long long start, end, pgoff;

		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %4095[^\n]",
			   &start, &end, &pgoff, name) < 4 || strcmp(name, orig))
			continue;
		mr_symbols_add_map(s, getpid(), TS_MAPS, start, end - start, pgoff, path, id);
		n++;
	}
	fclose(fp);
	return n;
}

/* Looks addr up through orig and through its copy min. */
static void lookup_both(const char *orig, const char *min, uint64_t addr, struct mr_frame *fa,
			struct mr_frame *fb, struct mr_symbols **sa, struct mr_symbols **sb)
{
	char *id = mr_read_build_id(orig);

	*sa = mr_symbols_new();
	*sb = mr_symbols_new();
	feed_maps(*sa, orig, orig, id);
	feed_maps(*sb, orig, min, id);
	free(id);
	mr_symbols_lookup(*sa, getpid(), TS_LOOKUP, addr, false, fa);
	mr_symbols_lookup(*sb, getpid(), TS_LOOKUP, addr, false, fb);
}

static void test_exe(const char *exe, bool keep_debug)
{
	const char *what = keep_debug ? "exe+debug" : "exe";
	struct mr_symbols *sa, *sb;
	struct mr_frame fa, fb;
	size_t len;
	char *min;

	min = minimize("/proc/self/exe", keep_debug, &len);
	MR_CHECK(min, tname(what, "minimised"), "mr_elf_keep_symbols failed");
	if (!min)
		return;
	printf("# %s: %lld -> %zu bytes\n", what, (long long)file_size(exe), len);
	MR_CHECK((off_t)len < file_size(exe), tname(what, "smaller"),
		 "%zu bytes, original %lld", len, (long long)file_size(exe));
	check_file(what, exe, min, keep_debug);

	lookup_both(exe, min, (uintptr_t)&mr_test_elfmin_target, &fa, &fb, &sa, &sb);
	MR_CHECK(fb.module && !strcmp(fb.module, min), tname(what, "module is the copy"),
		 "got '%s'", str(fb.module));
	MR_CHECK(fb.function && !strcmp(fb.function, "mr_test_elfmin_target"),
		 tname(what, "function name"), "got '%s'", str(fb.function));
	MR_CHECK_EQ(fb.offset, 0, tname(what, "offset 0 at the entry"));
	if (keep_debug) {
		MR_CHECK(ends_with(fb.file, "test_elfmin.c"), tname(what, "source file"),
			 "got '%s'", str(fb.file));
		MR_CHECK(fb.line >= target_line && fb.line <= target_line + 2,
			 tname(what, "line"), "got %d, expected %d to %d", fb.line,
			 target_line, target_line + 2);
		MR_CHECK(fa.line == fb.line && !strcmp(str(fa.file), str(fb.file)),
			 tname(what, "same file:line as the original"),
			 "%s:%d, original %s:%d", str(fb.file), fb.line, str(fa.file), fa.line);
	} else {
		MR_CHECK(!fb.file && !fb.line, tname(what, "no file:line without debug"),
			 "got %s:%d", str(fb.file), fb.line);
	}
	mr_symbols_free(sa);
	mr_symbols_free(sb);
	unlink(min);
	free(min);
}

/* The path of the mapping that holds addr. */
static bool mapped_path(uint64_t addr, char *path)
{
	FILE *fp = fopen("/proc/self/maps", "r");
	char line[PATH_MAX + 256];
	bool found = false;

	while (fp && !found && fgets(line, sizeof(line), fp)) {
		unsigned long long start, end;

		found = sscanf(line, "%llx-%llx %*s %*s %*s %*s %4095[^\n]", &start, &end,
			       path) == 3 && addr >= start && addr < end && path[0] == '/';
	}
	if (fp)
		fclose(fp);
	return found;
}

static void test_libc(void)
{
	const char *names[] = { "malloc", "free", "calloc", "fopen", "qsort" };
	char libc[PATH_MAX], *min;
	size_t len, i, same = 0;
	void *malloc_addr = dlsym(RTLD_DEFAULT, "malloc");
	off_t size;

	if (!malloc_addr || !mapped_path((uintptr_t)malloc_addr, libc)) {
		printf("skip - libc: cannot find libc's mapping\n");
		return;
	}
	min = minimize(libc, false, &len);
	MR_CHECK(min, "libc: minimised", "mr_elf_keep_symbols failed on '%s'", libc);
	if (!min)
		return;
	size = file_size(libc);
	printf("# libc %s: %lld -> %zu bytes\n", libc, (long long)size, len);
	MR_CHECK((off_t)len < size / 4, "libc: much smaller (under a quarter)",
		 "%zu bytes, original %lld", len, (long long)size);
	check_file("libc", libc, min, false);

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		uint64_t addr = (uintptr_t)dlsym(RTLD_DEFAULT, names[i]);
		struct mr_symbols *sa, *sb;
		struct mr_frame fa, fb;

		/* inside the function, not only at its entry */
		lookup_both(libc, min, addr + 4, &fa, &fb, &sa, &sb);
		if (fa.function && fb.function && !strcmp(fa.function, fb.function) &&
		    fa.offset == fb.offset && fb.module && !strcmp(fb.module, min))
			same++;
		else
			printf("# libc: %s: copy says %s+%#llx, original %s+%#llx\n", names[i],
			       str(fb.function), (unsigned long long)fb.offset, str(fa.function),
			       (unsigned long long)fa.offset);
		mr_symbols_free(sa);
		mr_symbols_free(sb);
	}
	MR_CHECK_EQ(same, ARRAY_SIZE(names), "libc: functions resolve as in the original");
	unlink(min);
	free(min);
}

/* Runs mr_elf_keep_symbols with stderr caught; *msg gets what it printed. */
static int keep_quiet(const char *path, struct mr_buf *out, char **msg)
{
	char tmp[] = "/tmp/mr_test_elfmin_err_XXXXXX";
	int fd = mkstemp(tmp), saved = dup(2), rc;

	fflush(stderr);
	dup2(fd, 2);
	rc = mr_elf_keep_symbols(path, true, out);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	*msg = mr_read_file(tmp, NULL);
	unlink(tmp);
	return rc;
}

static void test_bad_input(const char *exe)
{
	char tmp[] = "/tmp/mr_test_elfmin_bad_XXXXXX";
	const char *text = "this is not an ELF file\n";
	struct mr_buf b = { 0 };
	char *msg, *data;
	size_t len;
	int fd, rc;

	rc = keep_quiet("/nonexistent/mr_test_elfmin", &b, &msg);
	MR_CHECK(rc == -1 && !b.len, "missing file: -1, nothing added", "rc %d, %zu bytes", rc,
		 b.len);
	MR_CHECK(msg && strstr(msg, "'/nonexistent/mr_test_elfmin'"),
		 "missing file: message names it", "got '%s'", str(msg));
	free(msg);

	fd = mkstemp(tmp);
	mr_write_all(fd, text, strlen(text));
	rc = keep_quiet(tmp, &b, &msg);
	MR_CHECK(rc == -1 && !b.len, "text file: -1, nothing added", "rc %d, %zu bytes", rc,
		 b.len);
	MR_CHECK(msg && strstr(msg, tmp) && strstr(msg, "not an ELF"),
		 "text file: message names it", "got '%s'", str(msg));
	free(msg);

	if (ftruncate(fd, 0) == 0) {
		rc = keep_quiet(tmp, &b, &msg);
		MR_CHECK(rc == -1 && !b.len, "empty file: -1", "rc %d, %zu bytes", rc, b.len);
		free(msg);
	}

	/* the headers are there, the section header table is cut off */
	data = mr_read_file(exe, &len);
	if (data && ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0 &&
	    !mr_write_all(fd, data, len / 2)) {
		rc = keep_quiet(tmp, &b, &msg);
		MR_CHECK(rc == -1 && !b.len, "truncated ELF: -1, no crash", "rc %d, %zu bytes",
			 rc, b.len);
		free(msg);
	}
	free(data);
	close(fd);
	unlink(tmp);
	mr_buf_release(&b);
}

int main(void)
{
	char exe[PATH_MAX];
	ssize_t n;

	/* the copies must answer on their own, not through a debuginfod server */
	unsetenv("DEBUGINFOD_URLS");
	elf_version(EV_CURRENT);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		printf("not ok - cannot read /proc/self/exe\n");
		return 1;
	}
	exe[n] = '\0';
	test_exe(exe, false);
	test_exe(exe, true);
	test_libc();
	test_bad_input(exe);
	return mr_test_done();
}
