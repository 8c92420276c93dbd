// SPDX-License-Identifier: GPL-2.0
/*
 * test_unwind.c - unwinds a snapshot of this test's own stack, taken inside
 * a chain of functions built without frame pointers, through the CFI of the
 * modules in /proc/self/maps; checks the frames symbolise to the chain and
 * up to main, that short snapshots, garbage and unknown pids end cleanly,
 * and times an unwind.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "memrec.h"
#include "mr_symbols.h"
#include "mr_test.h"

#define TS_MAPS		100
#define TS_UNWIND	200
#define SNAP_MAX	4096
#define MAX_FRAMES	64
#define BENCH_RUNS	20000

#define NO_FP	__attribute__((optimize("omit-frame-pointer"), noinline, noipa))

struct snap {
	uint64_t	regs[MR_UREG_NR];
	uint8_t		stack[SNAP_MAX];
	size_t		len;
};

/* End of the mapping holding this thread's stack: a copy must stop there. */
static uint64_t stack_top;

/*
 * What perf stores for a sample: the registers, then the stack from rsp
 * up. rsp and rip are read in the same asm, so the CFI at that rip
 * describes the rsp read.
 */
NO_FP static int uw_c(struct snap *sn)
{
	uint64_t *g = sn->regs, sp;

	__asm__ volatile("mov %%rbx, %c[bx](%[g])\n\t"
			 "mov %%rbp, %c[bp](%[g])\n\t"
			 "mov %%rsp, %c[sp](%[g])\n\t"
			 "lea 0(%%rip), %%rax\n\t"
			 "mov %%rax, %c[ip](%[g])\n\t"
			 "mov %%r12, %c[r12](%[g])\n\t"
			 "mov %%r13, %c[r13](%[g])\n\t"
			 "mov %%r14, %c[r14](%[g])\n\t"
			 "mov %%r15, %c[r15](%[g])\n\t"
			 :
			 : [g] "r"(g), [bx] "i"(8 * MR_UREG_BX), [bp] "i"(8 * MR_UREG_BP),
			   [sp] "i"(8 * MR_UREG_SP), [ip] "i"(8 * MR_UREG_IP),
			   [r12] "i"(8 * MR_UREG_R12), [r13] "i"(8 * MR_UREG_R13),
			   [r14] "i"(8 * MR_UREG_R14), [r15] "i"(8 * MR_UREG_R15)
			 : "rax", "memory");
	sp = g[MR_UREG_SP];
	sn->len = stack_top - sp < SNAP_MAX ? stack_top - sp : SNAP_MAX;
	memcpy(sn->stack, (void *)(uintptr_t)sp, sn->len);
	return (int)sn->len;
}

/* "+ 1" keeps each call out of tail position, so every frame is on the stack. */
NO_FP static int uw_b(struct snap *sn)
{
	return uw_c(sn) + 1;
}

NO_FP static int uw_a(struct snap *sn)
{
	return uw_b(sn) + 1;
}

NO_FP static int uw_chain(struct snap *sn)
{
	return uw_a(sn) + 1;
}

/* Feeds every line of /proc/self/maps, and finds the stack holding sp. */
static int feed_self_maps(struct mr_symbols *s, int pid, uint64_t sp)
{
	FILE *fp = fopen("/proc/self/maps", "r");
	char line[PATH_MAX + 256], path[PATH_MAX];
	int n = 0;

	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp)) {
		unsigned long long start, end, pgoff;

		path[0] = '\0';
		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %4095[^\n]", &start, &end, &pgoff,
			   path) < 3)
			continue;
		mr_symbols_add_map(s, pid, TS_MAPS, start, end - start, pgoff, path, NULL);
		if (sp >= start && sp < end)
			stack_top = end;
		n++;
	}
	fclose(fp);
	return n;
}

static const char *fn_name(const struct mr_frame *f)
{
	return f->function ? f->function : "(null)";
}

static const char *frame_name(struct mr_symbols *s, int pid, const uint64_t *frames, int i,
			      struct mr_frame *f)
{
	mr_symbols_lookup(s, pid, TS_UNWIND, frames[i], i > 0, f);
	return fn_name(f);
}

static void print_frames(struct mr_symbols *s, int pid, const uint64_t *frames, int n)
{
	struct mr_frame f;
	int i;

	for (i = 0; i < n; i++) {
		const char *name = frame_name(s, pid, frames, i, &f);

		printf("#   #%d %#llx %s (%s)\n", i, (unsigned long long)frames[i], name,
		       f.module ? f.module : "?");
	}
}

/* The chain, in order, then main: the whole stack came back. */
static int check_chain(struct mr_symbols *s, int pid, const struct snap *sn, const char *what)
{
	static const char *const want[] = { "uw_c", "uw_b", "uw_a", "uw_chain", "main" };
	uint64_t frames[MAX_FRAMES];
	int n, i, bad = -1;
	struct mr_frame f;
	char name[128];

	n = mr_symbols_unwind(s, pid, TS_UNWIND, sn->regs, sn->stack, sn->len, frames,
			      MAX_FRAMES);
	for (i = 0; i < 5 && bad < 0; i++)
		if (i >= n || strcmp(frame_name(s, pid, frames, i, &f), want[i]))
			bad = i;
	snprintf(name, sizeof(name), "%s: frames are c, b, a, the caller of a, main", what);
	MR_CHECK(bad < 0, name, "%d frames, frame %d is '%s', expected '%s'", n, bad,
		 bad < n ? fn_name(&f) : "(none)", bad >= 0 ? want[bad] : "");
	if (bad >= 0)
		print_frames(s, pid, frames, n);
	snprintf(name, sizeof(name), "%s: frame 0 is the ip", what);
	MR_CHECK(n >= 1 && frames[0] == sn->regs[MR_UREG_IP], name, "%d frames", n);
	return n;
}

static void test_short_snapshot(struct mr_symbols *s, const struct snap *sn, int full)
{
	uint64_t frames[MAX_FRAMES], all[MAX_FRAMES];
	int n, m;

	m = mr_symbols_unwind(s, getpid(), TS_UNWIND, sn->regs, sn->stack, sn->len, all,
			      MAX_FRAMES);
	n = mr_symbols_unwind(s, getpid(), TS_UNWIND, sn->regs, sn->stack, 64, frames,
			      MAX_FRAMES);
	MR_CHECK(n >= 1 && n < full, "short snapshot: stops early", "%d frames of %d", n, full);
	MR_CHECK(n <= m && !memcmp(frames, all, n * sizeof(*frames)),
		 "short snapshot: the frames it has are right", "%d frames", n);
	n = mr_symbols_unwind(s, getpid(), TS_UNWIND, sn->regs, sn->stack, 0, frames,
			      MAX_FRAMES);
	MR_CHECK(n >= 1 && frames[0] == sn->regs[MR_UREG_IP], "empty snapshot: the ip",
		 "%d frames", n);
	n = mr_symbols_unwind(s, getpid(), TS_UNWIND, sn->regs, NULL, 0, frames, MAX_FRAMES);
	MR_CHECK(n >= 1, "no snapshot: the ip", "%d frames", n);
}

static void test_limits(struct mr_symbols *s, const struct snap *sn)
{
	uint64_t frames[MAX_FRAMES];
	int n;

	frames[1] = 0;
	n = mr_symbols_unwind(s, getpid(), TS_UNWIND, sn->regs, sn->stack, sn->len, frames, 1);
	MR_CHECK(n == 1 && frames[0] == sn->regs[MR_UREG_IP] && !frames[1],
		 "max 1: the ip alone", "%d frames", n);
	n = mr_symbols_unwind(s, getpid(), TS_UNWIND, sn->regs, sn->stack, sn->len, frames, 3);
	MR_CHECK_EQ(n, 3, "max 3: three frames");
	n = mr_symbols_unwind(s, getpid(), TS_UNWIND, sn->regs, sn->stack, sn->len, frames, 0);
	MR_CHECK_EQ(n, 0, "max 0: nothing");
}

/* A tiny xorshift: garbage, but the same garbage each run. */
static uint64_t next_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void test_garbage(struct mr_symbols *s, const struct snap *sn)
{
	uint64_t frames[MAX_FRAMES], regs[MR_UREG_NR], x = 88172645463325252ull;
	static uint8_t junk[SNAP_MAX];
	int i, j, bad = 0;
	size_t k;

	for (i = 0; i < 200; i++) {
		for (k = 0; k < sizeof(junk); k += 8) {
			uint64_t v = next_rand(&x);

			/* some words that look like code or stack addresses */
			if (v % 3 == 0)
				v = sn->regs[MR_UREG_IP] + v % 4096 - 2048;
			else if (v % 3 == 1)
				v = sn->regs[MR_UREG_SP] + v % SNAP_MAX;
			memcpy(junk + k, &v, 8);
		}
		for (j = 0; j < MR_UREG_NR; j++)
			regs[j] = next_rand(&x);
		if (i % 2)	/* a real ip with a garbage stack */
			regs[MR_UREG_IP] = sn->regs[MR_UREG_IP];
		if (i % 4 < 2)	/* the stack where rsp says it is */
			regs[MR_UREG_SP] = sn->regs[MR_UREG_SP];
		bad += mr_symbols_unwind(s, getpid(), TS_UNWIND, regs, junk, sizeof(junk), frames,
					 MAX_FRAMES) < 1 || frames[0] != regs[MR_UREG_IP];
	}
	MR_CHECK_EQ(bad, 0, "garbage: at least the ip, no crash");
}

static void test_unknown_pid(struct mr_symbols *s, const struct snap *sn)
{
	uint64_t frames[MAX_FRAMES];
	int n;

	n = mr_symbols_unwind(s, 999999999, TS_UNWIND, sn->regs, sn->stack, sn->len, frames,
			      MAX_FRAMES);
	MR_CHECK(n == 1 && frames[0] == sn->regs[MR_UREG_IP], "unknown pid: just the ip",
		 "%d frames", n);
}

/* A forked child sees the parent's modules, and shares its cached address space. */
static void test_inherit(struct mr_symbols *s, const struct snap *sn, int full)
{
	const int child = 7001;
	uint64_t frames[MAX_FRAMES];
	int n;

	mr_symbols_inherit(s, child, getpid(), 150);
	n = check_chain(s, child, sn, "forked child");
	MR_CHECK_EQ(n, full, "forked child: as many frames as the parent");
	/* mappings recorded after the sample leave it as it was */
	mr_symbols_add_map(s, getpid(), TS_UNWIND + 100, 0x10000, 0x1000, 0, "[jit]", NULL);
	n = mr_symbols_unwind(s, getpid(), TS_UNWIND, sn->regs, sn->stack, sn->len, frames,
			      MAX_FRAMES);
	MR_CHECK_EQ(n, full, "later mapping: same frames");
}

static void test_speed(struct mr_symbols *s, const struct snap *sn)
{
	uint64_t frames[MAX_FRAMES], t0, ns;
	int i, n = 0;

	t0 = mr_now_ns();
	for (i = 0; i < BENCH_RUNS; i++)
		n += mr_symbols_unwind(s, getpid(), TS_UNWIND + i, sn->regs, sn->stack, sn->len,
				       frames, MAX_FRAMES);
	ns = (mr_now_ns() - t0) / BENCH_RUNS;
	printf("# %llu ns per unwind of %d frames\n", (unsigned long long)ns, n / BENCH_RUNS);
	/* each new pid recomputes its module set, then shares the cached Dwfl */
	t0 = mr_now_ns();
	for (i = 0; i < 1000; i++) {
		mr_symbols_inherit(s, 8000 + i, getpid(), 150);
		mr_symbols_unwind(s, 8000 + i, TS_UNWIND, sn->regs, sn->stack, sn->len, frames,
				  MAX_FRAMES);
	}
	printf("# %llu ns for the first unwind of a new pid\n",
	       (unsigned long long)(mr_now_ns() - t0) / 1000);
	/* generous: valgrind and loaded machines run this too */
	MR_CHECK(ns < 1000000, "speed: under 1 ms per unwind", "%llu ns",
		 (unsigned long long)ns);
}

/* The first unwind opens every module: what a report pays once per module set. */
static void cold_unwind(const struct snap *sn)
{
	struct mr_symbols *s = mr_symbols_new();
	uint64_t frames[MAX_FRAMES], t0;
	int n;

	feed_self_maps(s, getpid(), sn->regs[MR_UREG_SP]);
	t0 = mr_now_ns();
	n = mr_symbols_unwind(s, getpid(), TS_UNWIND, sn->regs, sn->stack, sn->len, frames,
			      MAX_FRAMES);
	printf("# %llu ns for the first unwind (%d frames), opening the modules\n",
	       (unsigned long long)(mr_now_ns() - t0), n);
	print_frames(s, getpid(), frames, n);
	mr_symbols_free(s);
}

int main(void)
{
	struct mr_symbols *s = mr_symbols_new();
	static struct snap sn;
	int n, full;

	n = feed_self_maps(s, getpid(), (uintptr_t)&n);
	MR_CHECK(n > 0 && stack_top, "read /proc/self/maps", "%d lines", n);
	if (!stack_top)
		return mr_test_done();
	uw_chain(&sn);
	printf("# snapshot of %zu bytes\n", sn.len);
	cold_unwind(&sn);

	full = check_chain(s, getpid(), &sn, "unwind");
	test_short_snapshot(s, &sn, full);
	test_limits(s, &sn);
	test_garbage(s, &sn);
	test_unknown_pid(s, &sn);
	test_inherit(s, &sn, full);
	test_speed(s, &sn);
	mr_symbols_free(s);
	return mr_test_done();
}
