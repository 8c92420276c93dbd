// SPDX-License-Identifier: GPL-2.0
/*
 * test_symbols.c - symbolises this test binary, libc and libstdc++ through
 * the test's own /proc/self/maps, and checks the mapping rules (timestamps,
 * shadowing, fork inheritance) and the build-id guard.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "memrec.h"
#include "mr_buildid.h"
#include "mr_symbols.h"
#include "mr_test.h"

#define TS_MAPS		100
#define TS_LOOKUP	200

/* A mapping as read from /proc/self/maps. */
struct self_map {
	uint64_t	start;
	uint64_t	end;
	uint64_t	pgoff;
	char		path[PATH_MAX];
};

/* noipa: keeps the symbol name exact (no .constprop/.isra clones) and the calls real. */
static const int target_line = __LINE__ + 1;
__attribute__((noipa)) int mr_test_target(int x)
{
	return x * 3 + 1;
}

__attribute__((noipa)) void *mr_test_return_addr(void)
{
	return __builtin_return_address(0);
}

__attribute__((noipa)) void *mr_test_caller(int *line)
{
	void *ra;

	*line = __LINE__ + 1;
	ra = mr_test_return_addr();
	/* keeps the call out of tail position, so ra points into this function */
	__asm__ volatile("" : : "r"(ra));
	return ra;
}

/* Always inlined into mr_test_inline_caller: its call is in the caller's code. */
static __attribute__((always_inline)) inline void *mr_test_inlined(int *line)
{
	void *ra;

	*line = __LINE__ + 1;
	ra = mr_test_return_addr();
	__asm__ volatile("" : : "r"(ra));
	return ra;
}

__attribute__((noipa)) void *mr_test_inline_caller(int *inner, int *outer)
{
	void *ra;

	*outer = __LINE__ + 1;
	ra = mr_test_inlined(inner);
	__asm__ volatile("" : : "r"(ra));
	return ra;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, m = strlen(suffix);

	return s && n >= m && !strcmp(s + n - m, suffix);
}

/* Feeds every line of /proc/self/maps; *found gets the one holding addr. */
static int feed_self_maps(struct mr_symbols *s, int pid, uint64_t ts, uint64_t addr,
			  struct self_map *found)
{
	FILE *fp = fopen("/proc/self/maps", "r");
	char line[PATH_MAX + 256];
	int n = 0;

	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp)) {
		struct self_map m = { 0 };
		unsigned long long start, end, pgoff;

		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %4095[^\n]",
			   &start, &end, &pgoff, m.path) < 3)
			continue;
		m.start = start;
		m.end = end;
		m.pgoff = pgoff;
		mr_symbols_add_map(s, pid, ts, m.start, m.end - m.start, m.pgoff, m.path, NULL);
		if (found && addr >= m.start && addr < m.end)
			*found = m;
		n++;
	}
	fclose(fp);
	return n;
}

/* Runs fn with stderr sent to a file; returns how often needle was printed. */
static int count_stderr(void (*fn)(struct mr_symbols *, void *), struct mr_symbols *s,
			void *arg, const char *needle)
{
	char path[] = "/tmp/mr_test_symbols_XXXXXX";
	int fd = mkstemp(path), saved = dup(2), count = 0;
	char *text, *p;

	fflush(stderr);
	dup2(fd, 2);
	fn(s, arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	text = mr_read_file(path, NULL);
	unlink(path);
	for (p = text; p && (p = strstr(p, needle)); p++)
		count++;
	free(text);
	return count;
}

static const char *fn_name(const struct mr_frame *f)
{
	return f->function ? f->function : "(null)";
}

static void test_own_function(struct mr_symbols *s, const char *exe)
{
	uint64_t addr = (uintptr_t)&mr_test_target;
	struct mr_frame f;
	int rc;

	rc = mr_symbols_lookup(s, getpid(), TS_LOOKUP, addr, false, &f);
	MR_CHECK_EQ(rc, 0, "own function: lookup succeeds");
	MR_CHECK(f.function && !strcmp(f.function, "mr_test_target"), "own function: name",
		 "got '%s'", f.function ? f.function : "(null)");
	MR_CHECK_EQ(f.offset, 0, "own function: offset 0 at its entry");
	MR_CHECK_EQ(f.addr, addr, "own function: addr as given");
	MR_CHECK(f.module && !strcmp(f.module, exe), "own function: module is the test binary",
		 "got '%s', expected '%s'", f.module ? f.module : "(null)", exe);
	MR_CHECK(ends_with(f.file, "test_symbols.c"), "own function: source file",
		 "got '%s'", f.file ? f.file : "(null)");
	/* at -O2 the entry is the first line of the body, without a prologue */
	MR_CHECK(f.line >= target_line && f.line <= target_line + 2, "own function: line",
		 "got %d, expected %d to %d", f.line, target_line, target_line + 2);
}

static void test_return_address(struct mr_symbols *s, const char *exe)
{
	uint64_t fn = (uintptr_t)&mr_test_caller, ra;
	struct mr_frame f;
	int line = 0, rc;

	ra = (uintptr_t)mr_test_caller(&line);
	rc = mr_symbols_lookup(s, getpid(), TS_LOOKUP, ra, true, &f);
	MR_CHECK_EQ(rc, 0, "return address: lookup succeeds");
	MR_CHECK(f.function && !strcmp(f.function, "mr_test_caller"), "return address: caller",
		 "got '%s'", f.function ? f.function : "(null)");
	MR_CHECK_EQ(f.offset, ra - fn, "return address: offset from the return address");
	MR_CHECK_EQ(f.addr, ra, "return address: addr as given");
	MR_CHECK(ends_with(f.file, "test_symbols.c"), "return address: source file",
		 "got '%s'", f.file ? f.file : "(null)");
	MR_CHECK_EQ(f.line, line, "return address: line of the call");
	MR_CHECK(f.module && !strcmp(f.module, exe), "return address: module", "got '%s'",
		 f.module ? f.module : "(null)");
}

/*
 * The name alone (what the reading of the events asks) reads no DWARF; the
 * lines are looked up later, when the frame is printed: test_inline_chain
 * runs after this on the same address and checks them.
 */
static void test_function_only(struct mr_symbols *s)
{
	int inner = 0, outer = 0;
	uint64_t ra = (uintptr_t)mr_test_inline_caller(&inner, &outer);
	const char *fn = mr_symbols_function(s, getpid(), TS_LOOKUP, ra, true);

	MR_CHECK(fn && !strcmp(fn, "mr_test_inline_caller"),
		 "function only: the real function of inlined code", "got '%s'",
		 fn ? fn : "(null)");
	MR_CHECK(!mr_symbols_function(s, getpid(), TS_LOOKUP, 8, false),
		 "function only: NULL outside every mapping", "not NULL");
}

static void test_inline_chain(struct mr_symbols *s, const char *exe)
{
	uint64_t fn = (uintptr_t)&mr_test_inline_caller, ra;
	int inner = 0, outer = 0, n;
	struct mr_frame f[4], one;

	ra = (uintptr_t)mr_test_inline_caller(&inner, &outer);
	n = mr_symbols_lookup_inline(s, getpid(), TS_LOOKUP, ra, true, f, 4);
	MR_CHECK_EQ(n, 2, "inline: two frames for one address");
	if (n != 2)
		return;
	MR_CHECK(f[0].function && !strcmp(f[0].function, "mr_test_inlined"),
		 "inline: frame 0 is the inlined function", "got '%s'", fn_name(&f[0]));
	MR_CHECK(f[0].inlined && f[0].offset == 0, "inline: frame 0 is inlined, offset 0",
		 "inlined %d, offset %#llx", f[0].inlined, (unsigned long long)f[0].offset);
	MR_CHECK_EQ(f[0].line, inner, "inline: frame 0 line is the call inside it");
	MR_CHECK(ends_with(f[0].file, "test_symbols.c"), "inline: frame 0 source file",
		 "got '%s'", f[0].file ? f[0].file : "(null)");
	MR_CHECK(f[1].function && !strcmp(f[1].function, "mr_test_inline_caller"),
		 "inline: frame 1 is the real function", "got '%s'", fn_name(&f[1]));
	MR_CHECK(!f[1].inlined, "inline: frame 1 is not inlined", "inlined");
	MR_CHECK_EQ(f[1].offset, ra - fn, "inline: frame 1 offset from its start");
	MR_CHECK_EQ(f[1].line, outer, "inline: frame 1 line is the inlined call");
	MR_CHECK(ends_with(f[1].file, "test_symbols.c"), "inline: frame 1 source file",
		 "got '%s'", f[1].file ? f[1].file : "(null)");
	MR_CHECK(f[0].addr == ra && f[1].addr == ra && f[0].module == f[1].module &&
		 f[0].module && !strcmp(f[0].module, exe),
		 "inline: both frames share addr and module", "module '%s'", f[0].module);

	mr_symbols_lookup(s, getpid(), TS_LOOKUP, ra, true, &one);
	MR_CHECK(one.function == f[1].function && one.line == outer && !one.inlined &&
		 one.offset == f[1].offset, "inline: mr_symbols_lookup gives the outermost frame",
		 "got '%s' line %d", fn_name(&one), one.line);
	n = mr_symbols_lookup_inline(s, getpid(), TS_LOOKUP, ra, true, f, 1);
	MR_CHECK(n == 1 && f[0].inlined && f[0].line == inner,
		 "inline: max 1 keeps the innermost frame", "%d frames, '%s'", n, fn_name(&f[0]));
	MR_CHECK_EQ(mr_symbols_lookup_inline(s, getpid(), TS_LOOKUP, ra, true, f, 0), 0,
		    "inline: max 0 fills nothing");
}

static void test_no_inline_chain(struct mr_symbols *s)
{
	int line = 0, n;
	struct mr_frame f[4];
	uint64_t ra = (uintptr_t)mr_test_caller(&line);

	n = mr_symbols_lookup_inline(s, getpid(), TS_LOOKUP, ra, true, f, 4);
	MR_CHECK(n == 1 && !f[0].inlined && f[0].line == line &&
		 !strcmp(fn_name(&f[0]), "mr_test_caller"),
		 "inline: one frame where nothing is inlined", "%d frames, '%s' line %d", n,
		 fn_name(&f[0]), f[0].line);
	n = mr_symbols_lookup_inline(s, getpid(), TS_LOOKUP, 0x10, false, f, 4);
	MR_CHECK(n == 1 && f[0].addr == 0x10 && !f[0].module && !f[0].function,
		 "inline: unmapped address gives one empty frame", "%d frames", n);
}

static void test_libc(struct mr_symbols *s)
{
	void *sym = dlsym(RTLD_NEXT, "malloc");
	const char *first;
	struct mr_frame f;
	int i, bad = 0;

	if (!sym)
		sym = (void *)&malloc;
	mr_symbols_lookup(s, getpid(), TS_LOOKUP, (uintptr_t)sym, false, &f);
	MR_CHECK(f.function && (!strcmp(f.function, "malloc") ||
				!strcmp(f.function, "__libc_malloc")),
		 "libc: malloc", "got '%s'", f.function ? f.function : "(null)");
	MR_CHECK(ends_with(f.module, "libc.so.6"), "libc: module", "got '%s'",
		 f.module ? f.module : "(null)");
	first = f.function;

	/* thousands of distinct addresses, then the same ones again from the cache */
	for (i = 0; i < 20000; i++)
		bad += mr_symbols_lookup(s, getpid(), TS_LOOKUP + i, (uintptr_t)sym + 4 * i,
					 true, &f) != 0;
	MR_CHECK_EQ(bad, 0, "libc: 20000 distinct addresses all found");
	mr_symbols_lookup(s, getpid(), TS_LOOKUP, (uintptr_t)sym, false, &f);
	MR_CHECK(f.function == first, "libc: repeated lookup returns the same string",
		 "%p vs %p", (void *)f.function, (void *)first);
}

static void test_cxx(struct mr_symbols *s)
{
	void *h = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *sym = h ? dlsym(h, "_ZNSt9exceptionD1Ev") : NULL;
	struct mr_frame f;

	if (!sym) {
		printf("skip - c++ demangling: libstdc++.so.6 is not loaded\n");
		return;
	}
	mr_symbols_lookup(s, getpid(), TS_LOOKUP, (uintptr_t)sym, false, &f);
	MR_CHECK(f.function && !strcmp(f.function, "std::exception::~exception()"),
		 "c++: demangled name", "got '%s'", f.function ? f.function : "(null)");
	MR_CHECK(f.module && strstr(f.module, "libstdc++.so"), "c++: module", "got '%s'",
		 f.module ? f.module : "(null)");
}

static void test_non_file(struct mr_symbols *s)
{
	int on_stack = 0;
	struct mr_frame f;
	int rc;

	/* valgrind runs us on a stack of its own, so only ask for some module */
	rc = mr_symbols_lookup(s, getpid(), TS_LOOKUP, (uintptr_t)&on_stack, false, &f);
	MR_CHECK(rc == 0 && f.module && !f.function && !f.file && !f.line,
		 "own stack: module without a symbol", "rc %d, got '%s' in '%s'", rc,
		 f.function, f.module);

	mr_symbols_add_map(s, 4100, TS_MAPS, 0x10000, 0x1000, 0, "[heap]", NULL);
	mr_symbols_add_map(s, 4100, TS_MAPS, 0x20000, 0x1000, 0, "", NULL);
	rc = mr_symbols_lookup(s, 4100, TS_LOOKUP, 0x10010, true, &f);
	MR_CHECK(rc == 0 && f.module && !strcmp(f.module, "[heap]") && !f.function,
		 "[heap]: module without a symbol", "rc %d, got '%s'", rc, f.module);
	rc = mr_symbols_lookup(s, 4100, TS_LOOKUP, 0x20010, true, &f);
	MR_CHECK(rc == 0 && f.module && !strcmp(f.module, "[anon]") && !f.function,
		 "anonymous: module [anon]", "rc %d, got '%s'", rc, f.module);

	rc = mr_symbols_lookup(s, getpid(), TS_LOOKUP, 0x10, false, &f);
	MR_CHECK_EQ(rc, -1, "unmapped address: not found");
	MR_CHECK(f.addr == 0x10 && !f.module && !f.function, "unmapped address: empty frame",
		 "module '%s'", f.module);
	rc = mr_symbols_lookup(s, 999999999, TS_LOOKUP, (uintptr_t)&mr_test_target, false, &f);
	MR_CHECK_EQ(rc, -1, "unknown pid: not found");
}

/* A later mapping shadows an earlier one only from its own ts on. */
static void test_shadowing(struct mr_symbols *s, const struct self_map *text)
{
	uint64_t addr = (uintptr_t)&mr_test_target, len = text->end - text->start;
	const int pid = 4000;
	struct mr_frame f;

	/* out of order on purpose: the reader may see them so */
	mr_symbols_add_map(s, pid, 20, text->start, len, 0, "[jit]", NULL);
	mr_symbols_add_map(s, pid, 10, text->start, len, text->pgoff, text->path, NULL);

	mr_symbols_lookup(s, pid, 15, addr, false, &f);
	MR_CHECK(!strcmp(fn_name(&f), "mr_test_target"), "shadowing: older map before ts",
		 "got '%s'", fn_name(&f));
	mr_symbols_lookup(s, pid, 25, addr, false, &f);
	MR_CHECK(f.module && !strcmp(f.module, "[jit]") && !f.function,
		 "shadowing: newer map from its ts", "got '%s' in '%s'", fn_name(&f), f.module);
	mr_symbols_lookup(s, pid, 20, addr, false, &f);
	MR_CHECK(f.module && !strcmp(f.module, "[jit]"), "shadowing: newer map at its ts",
		 "got '%s'", f.module);
	mr_symbols_lookup(s, pid, 5, addr, false, &f);
	MR_CHECK(!strcmp(fn_name(&f), "mr_test_target"),
		 "shadowing: before any map, the earliest one", "got '%s'", fn_name(&f));
}

static void test_inherit(struct mr_symbols *s, const struct self_map *text)
{
	uint64_t addr = (uintptr_t)&mr_test_target;
	const int child = 5001, grandchild = 5002;
	struct mr_frame f;
	int rc;

	mr_symbols_inherit(s, child, getpid(), 150);
	mr_symbols_inherit(s, grandchild, child, 160);
	rc = mr_symbols_lookup(s, child, 300, addr, false, &f);
	MR_CHECK(rc == 0 && !strcmp(fn_name(&f), "mr_test_target"),
		 "inherit: child sees the parent's maps", "rc %d, got '%s'", rc, fn_name(&f));
	rc = mr_symbols_lookup(s, grandchild, 300, addr, false, &f);
	MR_CHECK(rc == 0 && !strcmp(fn_name(&f), "mr_test_target"),
		 "inherit: grandchild too", "rc %d, got '%s'", rc, fn_name(&f));

	/* after an exec-like remap the child's own mapping wins from its ts */
	mr_symbols_add_map(s, child, 400, text->start, text->end - text->start, 0, "[jit]",
			   NULL);
	mr_symbols_lookup(s, child, 500, addr, false, &f);
	MR_CHECK(f.module && !strcmp(f.module, "[jit]"), "inherit: child's own later map",
		 "got '%s'", f.module);
	mr_symbols_lookup(s, child, 300, addr, false, &f);
	MR_CHECK(!strcmp(fn_name(&f), "mr_test_target"),
		 "inherit: parent's map before the child's own", "got '%s'", fn_name(&f));
	mr_symbols_lookup(s, grandchild, 500, addr, false, &f);
	MR_CHECK(!strcmp(fn_name(&f), "mr_test_target"),
		 "inherit: grandchild sees the child as of its fork", "got '%s'", fn_name(&f));

	mr_symbols_inherit(s, 5003, 5004, 10);
	mr_symbols_inherit(s, 5004, 5003, 10);
	rc = mr_symbols_lookup(s, 5003, 300, addr, false, &f);
	MR_CHECK_EQ(rc, -1, "inherit: a fork loop ends");
}

struct mismatch_arg {
	int		pid;
	uint64_t	addr[2];
	struct mr_frame	f[2];
	int		rc[2];
};

static void lookup_twice(struct mr_symbols *s, void *p)
{
	struct mismatch_arg *a = p;
	int i;

	for (i = 0; i < 2; i++)
		a->rc[i] = mr_symbols_lookup(s, a->pid, TS_LOOKUP, a->addr[i], false, &a->f[i]);
}

static void test_build_id(struct mr_symbols *s, const struct self_map *text)
{
	struct mismatch_arg a = { 6000, { (uintptr_t)&mr_test_target, (uintptr_t)&ends_with } };
	uint64_t len = text->end - text->start;
	char *id = mr_read_build_id(text->path);
	struct mr_frame f;
	int n;

	mr_symbols_add_map(s, 6000, TS_MAPS, text->start, len, text->pgoff, text->path,
			   "deadbeef");
	n = count_stderr(lookup_twice, s, &a, "when recorded; not using it");
	MR_CHECK(a.rc[0] == 0 && a.rc[1] == 0, "build-id mismatch: module still found",
		 "rc %d %d", a.rc[0], a.rc[1]);
	MR_CHECK(!a.f[0].function && !a.f[1].function && !a.f[0].file,
		 "build-id mismatch: no symbols", "got '%s'", fn_name(&a.f[0]));
	MR_CHECK(a.f[0].module && !strcmp(a.f[0].module, text->path),
		 "build-id mismatch: module path", "got '%s'", a.f[0].module);
	MR_CHECK_EQ(n, 1, "build-id mismatch: one warning");

	if (!id) {
		printf("skip - build-id match: '%s' has no build-id\n", text->path);
		return;
	}
	mr_symbols_add_map(s, 6001, TS_MAPS, text->start, len, text->pgoff, text->path, id);
	mr_symbols_lookup(s, 6001, TS_LOOKUP, (uintptr_t)&mr_test_target, false, &f);
	MR_CHECK(!strcmp(fn_name(&f), "mr_test_target"), "build-id match: symbolised",
		 "got '%s'", fn_name(&f));
	free(id);
}

static void lookup_missing(struct mr_symbols *s, void *p)
{
	struct mismatch_arg *a = p;

	mr_symbols_add_map(s, a->pid, TS_MAPS, 0x1000, 0x1000, 0, "/nonexistent/libx.so", NULL);
	lookup_twice(s, a);
}

static void test_missing_file(struct mr_symbols *s)
{
	struct mismatch_arg a = { 6002, { 0x1000, 0x1800 } };
	int n = count_stderr(lookup_missing, s, &a, "'/nonexistent/libx.so'");

	MR_CHECK(a.rc[0] == 0 && a.f[0].module && !a.f[0].function,
		 "missing file: module only", "rc %d", a.rc[0]);
	MR_CHECK_EQ(n, 1, "missing file: one warning");
}

int main(void)
{
	struct mr_symbols *s = mr_symbols_new();
	struct self_map text = { 0 };
	char exe[PATH_MAX];
	int n;

	if (!realpath("/proc/self/exe", exe))
		mr_die("cannot resolve /proc/self/exe");
	/* load libstdc++ first so its mapping is in the maps we read */
	dlopen("libstdc++.so.6", RTLD_NOW | RTLD_GLOBAL);
	n = feed_self_maps(s, getpid(), TS_MAPS, (uintptr_t)&mr_test_target, &text);
	MR_CHECK(n > 0 && text.start, "read /proc/self/maps", "%d lines", n);

	test_own_function(s, exe);
	test_return_address(s, exe);
	test_function_only(s);
	test_inline_chain(s, exe);
	test_no_inline_chain(s);
	test_libc(s);
	test_cxx(s);
	test_non_file(s);
	test_shadowing(s, &text);
	test_inherit(s, &text);
	test_build_id(s, &text);
	test_missing_file(s);
	mr_symbols_free(s);
	return mr_test_done();
}
