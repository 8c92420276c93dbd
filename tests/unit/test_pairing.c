// SPDX-License-Identifier: GPL-2.0
/*
 * test_pairing.c - report/model/pairing.c on synthetic event streams: each glibc
 * nesting pattern, orphans, stacks, address spaces (threads, fork, vfork,
 * exec, exit, pid reuse), and a large randomized run checked against a
 * reference model kept here.
 */
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "mr_pairing.h"
#include "mr_test.h"

#define T_CLONE_VM	0x00000100ull
#define T_CLONE_VFORK	0x00004000ull
#define T_CLONE_THREAD	0x00010000ull
#define SIGCHLD_FLAG	0x11ull
#define PTHREAD_FLAGS	(0x003d0f00ull)	/* what glibc's pthread_create passes */

/* The stream being built: each event is 10 ns after the previous one. */
struct feed {
	struct mr_tasks		*m;	/* the process model, fed first as the report does */
	struct mr_pairing	*p;
	uint64_t		ts;
};

static struct feed feed_new(void)
{
	struct mr_tasks *m = mr_tasks_new();

	return (struct feed){ .m = m, .p = mr_pairing_new(m), .ts = 1000 };
}

static struct mr_event ev_of(struct feed *f, enum mr_ev_kind kind, int tid)
{
	f->ts += 10;
	return (struct mr_event){ .kind = kind, .tid = tid, .ts = f->ts };
}

static void put(struct feed *f, const struct mr_event *ev)
{
	mr_tasks_feed(f->m, ev);
	mr_pairing_feed(f->p, ev);
}

static uint64_t enter(struct feed *f, int tid, enum mr_fn fn, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct mr_event ev = ev_of(f, MR_EV_ENTER, tid);

	ev.fn = fn;
	ev.args[0] = a0;
	ev.args[1] = a1;
	ev.args[2] = a2;
	ev.caller = 0x400000 + tid;
	put(f, &ev);
	return ev.ts;
}

static void ret(struct feed *f, int tid, enum mr_fn fn, uint64_t r)
{
	struct mr_event ev = ev_of(f, MR_EV_RETURN, tid);

	ev.fn = fn;
	ev.ret = r;
	ev.caller = 0x400000 + tid;
	put(f, &ev);
}

static uint64_t malloc_ev(struct feed *f, int tid, uint64_t size, uint64_t r)
{
	uint64_t ts = enter(f, tid, MR_FN_MALLOC, size, 0, 0);

	ret(f, tid, MR_FN_MALLOC, r);
	return ts;
}

static void free_ev(struct feed *f, int tid, uint64_t ptr)
{
	enter(f, tid, MR_FN_FREE, ptr, 0, 0);
}

static void task_new(struct feed *f, int tid, int child, uint64_t flags, const char *comm)
{
	struct mr_event ev = ev_of(f, MR_EV_TASK_NEW, tid);

	ev.child_tid = child;
	ev.clone_flags = flags;
	ev.comm = comm;
	put(f, &ev);
}

static uint64_t exec_ev(struct feed *f, int tid, int old_tid, const char *path)
{
	struct mr_event ev = ev_of(f, MR_EV_EXEC, tid);

	ev.args[0] = old_tid;
	ev.path = path;
	put(f, &ev);
	return ev.ts;
}

static uint64_t exit_ev(struct feed *f, int tid, int group_dead, const char *comm)
{
	struct mr_event ev = ev_of(f, MR_EV_EXIT, tid);

	ev.group_dead = group_dead;
	ev.comm = comm;
	put(f, &ev);
	return ev.ts;
}

static const struct mr_pair_stats *st(struct feed *f)
{
	return mr_pairing_stats(f->p);
}

/* ---- looking at live blocks ---- */

struct lookup {
	uint32_t	aspace;		/* UINT32_MAX: any */
	uint64_t	ptr;		/* 0: any */
	struct mr_block	found;
	uint64_t	n;
	uint64_t	bytes;
	uint64_t	inherited;
};

static int lookup_cb(const struct mr_block *b, void *ctx)
{
	struct lookup *l = ctx;

	if (l->aspace != UINT32_MAX && b->aspace != l->aspace)
		return 0;
	if (l->ptr && b->ptr != l->ptr)
		return 0;
	l->found = *b;
	l->n++;
	l->bytes += b->size;
	l->inherited += b->inherited;
	return 0;
}

static struct lookup look(struct feed *f, uint32_t aspace, uint64_t ptr)
{
	struct lookup l = { .aspace = aspace, .ptr = ptr };

	mr_pairing_for_each_live(f->p, lookup_cb, &l);
	return l;
}

#define ANY	UINT32_MAX

static uint64_t nr_live(struct feed *f, uint32_t aspace)
{
	return look(f, aspace, 0).n;
}

static bool stack_is(struct feed *f, uint32_t id, const uint64_t *want, int n)
{
	int nr;
	const uint64_t *s = mr_pairing_stack(f->p, id, &nr);

	return nr == n && (n == 0 || !memcmp(s, want, n * sizeof(*want)));
}

static void done(struct feed *f)
{
	mr_pairing_free(f->p);
	mr_tasks_free(f->m);
}

/* ---- rule 1-3: calls, nesting, results ---- */

static void test_malloc_free(void)
{
	struct feed f = feed_new();
	struct lookup l;
	uint64_t ts;

	ts = malloc_ev(&f, 100, 10, 0x1000);
	l = look(&f, ANY, 0x1000);
	MR_CHECK_EQ(l.n, 1, "malloc: one live block");
	MR_CHECK_EQ(l.found.size, 10, "malloc: size");
	MR_CHECK_EQ(l.found.ts, ts, "malloc: ts is the entry's");
	MR_CHECK_EQ(l.found.fn, MR_FN_MALLOC, "malloc: fn");
	MR_CHECK_EQ(l.found.tid, 100, "malloc: tid");
	MR_CHECK_EQ(l.found.inherited, 0, "malloc: not inherited");
	free_ev(&f, 100, 0x1000);
	MR_CHECK_EQ(nr_live(&f, ANY), 0, "malloc+free: nothing live");
	MR_CHECK_EQ(st(&f)->allocs, 1, "malloc+free: allocs");
	MR_CHECK_EQ(st(&f)->alloc_bytes, 10, "malloc+free: alloc_bytes");
	MR_CHECK_EQ(st(&f)->frees, 1, "malloc+free: frees");
	MR_CHECK_EQ(st(&f)->free_bytes, 10, "malloc+free: free_bytes");
	MR_CHECK_EQ(st(&f)->nested, 0, "malloc+free: nothing nested");
	free_ev(&f, 100, 0);
	MR_CHECK_EQ(st(&f)->null_frees, 1, "free(NULL) counted");
	free_ev(&f, 100, 0x1000);
	free_ev(&f, 100, 0xdead0);
	MR_CHECK_EQ(st(&f)->unmatched_frees, 2, "double free and unknown free are unmatched");
	MR_CHECK_EQ(st(&f)->frees, 1, "unmatched frees are not frees");
	malloc_ev(&f, 100, 99, 0);
	MR_CHECK_EQ(st(&f)->failed_allocs, 1, "malloc returning NULL is a failed alloc");
	MR_CHECK_EQ(st(&f)->allocs, 1, "a failed alloc is no alloc");
	MR_CHECK_EQ(nr_live(&f, ANY), 0, "failed alloc: nothing live");
	done(&f);
}

static void test_plain_allocators(void)
{
	struct feed f = feed_new();
	struct lookup l;

	enter(&f, 1, MR_FN_CALLOC, 3, 8, 0);
	ret(&f, 1, MR_FN_CALLOC, 0x1000);
	enter(&f, 1, MR_FN_ALIGNED_ALLOC, 64, 100, 0);
	ret(&f, 1, MR_FN_ALIGNED_ALLOC, 0x2000);
	enter(&f, 1, MR_FN_VALLOC, 5000, 0, 0);
	ret(&f, 1, MR_FN_VALLOC, 0x3000);
	enter(&f, 1, MR_FN_PVALLOC, 7, 0, 0);
	ret(&f, 1, MR_FN_PVALLOC, 0x4000);
	enter(&f, 1, MR_FN_MEMALIGN_INT, 32, 48, 0);
	ret(&f, 1, MR_FN_MEMALIGN_INT, 0x5000);
	enter(&f, 1, MR_FN_NEW, 24, 0, 0);
	ret(&f, 1, MR_FN_NEW, 0x6000);
	enter(&f, 1, MR_FN_NEW_ARRAY, 40, 0, 0);
	ret(&f, 1, MR_FN_NEW_ARRAY, 0x7000);
	enter(&f, 1, MR_FN_CALLOC, 1ull << 40, 1ull << 40, 0);
	ret(&f, 1, MR_FN_CALLOC, 0x8000);
	enter(&f, 1, MR_FN_CALLOC, 4, 4, 0);
	ret(&f, 1, MR_FN_CALLOC, 0);

	MR_CHECK_EQ(look(&f, ANY, 0x1000).found.size, 24, "calloc(3, 8) is 24 bytes");
	MR_CHECK_EQ(look(&f, ANY, 0x2000).found.size, 100, "aligned_alloc size is args[1]");
	MR_CHECK_EQ(look(&f, ANY, 0x3000).found.size, 5000, "valloc size");
	MR_CHECK_EQ(look(&f, ANY, 0x4000).found.size, 7, "pvalloc size");
	MR_CHECK_EQ(look(&f, ANY, 0x5000).found.size, 48, "outermost memalign_int size is args[1]");
	l = look(&f, ANY, 0x6000);
	MR_CHECK_EQ(l.found.size, 24, "new size");
	MR_CHECK_EQ(l.found.fn, MR_FN_NEW, "new fn");
	MR_CHECK_EQ(look(&f, ANY, 0x7000).found.size, 40, "new[] size");
	MR_CHECK_EQ(look(&f, ANY, 0x8000).found.size, UINT64_MAX,
		    "calloc size saturates on overflow");
	MR_CHECK_EQ(st(&f)->allocs, 8, "plain allocators: 8 allocs");
	MR_CHECK_EQ(st(&f)->failed_allocs, 1, "calloc returning NULL failed");
	MR_CHECK_EQ(nr_live(&f, ANY), 8, "plain allocators: 8 live");
	MR_CHECK_EQ(st(&f)->nested, 0, "plain allocators: none nested");
	done(&f);
}

static void test_realloc(void)
{
	struct feed f = feed_new();
	struct lookup l;
	uint64_t ts;

	enter(&f, 1, MR_FN_REALLOC, 0, 32, 0);
	ret(&f, 1, MR_FN_REALLOC, 0x1000);
	l = look(&f, ANY, 0x1000);
	MR_CHECK_EQ(l.found.size, 32, "realloc(NULL, 32) is a 32-byte alloc");
	MR_CHECK_EQ(l.found.fn, MR_FN_REALLOC, "realloc(NULL) block fn is realloc");
	MR_CHECK_EQ(st(&f)->reallocs, 0, "realloc(NULL) is not counted as a realloc");

	ts = enter(&f, 1, MR_FN_REALLOC, 0x1000, 64, 0);
	ret(&f, 1, MR_FN_REALLOC, 0x2000);
	l = look(&f, ANY, 0);
	MR_CHECK_EQ(l.n, 1, "realloc moved: exactly one live block");
	MR_CHECK_EQ(l.found.ptr, 0x2000, "realloc moved: at the new address");
	MR_CHECK_EQ(l.found.size, 64, "realloc moved: new size");
	MR_CHECK_EQ(l.found.ts, ts, "realloc moved: realloc's ts");
	MR_CHECK_EQ(st(&f)->reallocs, 1, "realloc of a live block counted");
	MR_CHECK_EQ(st(&f)->frees, 1, "realloc frees the old block");
	MR_CHECK_EQ(st(&f)->free_bytes, 32, "realloc free_bytes is the old size");
	MR_CHECK_EQ(st(&f)->allocs, 2, "realloc allocs the new block");
	MR_CHECK_EQ(st(&f)->alloc_bytes, 96, "alloc_bytes 32 + 64");

	enter(&f, 1, MR_FN_REALLOC, 0x2000, 128, 0);
	ret(&f, 1, MR_FN_REALLOC, 0x2000);
	l = look(&f, ANY, 0);
	MR_CHECK_EQ(l.n, 1, "realloc in place: one block");
	MR_CHECK_EQ(l.found.size, 128, "realloc in place: new size");
	MR_CHECK_EQ(st(&f)->reallocs, 2, "realloc in place counted");
	MR_CHECK_EQ(st(&f)->replaced, 0, "realloc in place is no replacement");

	enter(&f, 1, MR_FN_REALLOC, 0xdead0, 8, 0);
	ret(&f, 1, MR_FN_REALLOC, 0x3000);
	MR_CHECK_EQ(st(&f)->unmatched_frees, 1, "realloc of an unknown block: unmatched free");
	MR_CHECK_EQ(st(&f)->reallocs, 2, "realloc of an unknown block is no realloc");
	MR_CHECK_EQ(look(&f, ANY, 0x3000).found.size, 8,
		    "realloc of an unknown block still allocs");

	enter(&f, 1, MR_FN_REALLOC, 0x2000, 256, 0);
	ret(&f, 1, MR_FN_REALLOC, 0);
	MR_CHECK_EQ(st(&f)->failed_allocs, 1, "failed realloc counted");
	MR_CHECK_EQ(look(&f, ANY, 0x2000).found.size, 128, "failed realloc: old block stays live");
	MR_CHECK_EQ(st(&f)->reallocs, 2, "failed realloc is no realloc");

	enter(&f, 1, MR_FN_REALLOC, 0, 16, 0);
	ret(&f, 1, MR_FN_REALLOC, 0);
	MR_CHECK_EQ(st(&f)->failed_allocs, 2, "failed realloc(NULL) counted");

	/* Not glibc 2.36's behaviour, but the rule: realloc(p, 0) != NULL is a 0-byte block. */
	enter(&f, 1, MR_FN_REALLOC, 0x3000, 0, 0);
	ret(&f, 1, MR_FN_REALLOC, 0x9000);
	MR_CHECK_EQ(look(&f, ANY, 0x3000).n, 0, "realloc(p, 0) returning non-NULL frees p");
	l = look(&f, ANY, 0x9000);
	MR_CHECK_EQ(l.n, 1, "realloc(p, 0) returning non-NULL: new block");
	MR_CHECK_EQ(l.found.size, 0, "realloc(p, 0) returning non-NULL: 0 bytes");
	MR_CHECK_EQ(st(&f)->reallocs, 2, "realloc(p, 0) is no realloc");

	enter(&f, 1, MR_FN_REALLOCARRAY, 0x2000, 4, 8);
	ret(&f, 1, MR_FN_REALLOCARRAY, 0xa000);
	l = look(&f, ANY, 0xa000);
	MR_CHECK_EQ(l.found.size, 32, "reallocarray(p, 4, 8) is 32 bytes");
	MR_CHECK_EQ(l.found.fn, MR_FN_REALLOCARRAY, "reallocarray fn");
	MR_CHECK_EQ(look(&f, ANY, 0x2000).n, 0, "reallocarray freed the old block");
	MR_CHECK_EQ(st(&f)->reallocs, 3, "reallocarray of a live block counted");

	enter(&f, 1, MR_FN_REALLOCARRAY, 0xa000, 1ull << 40, 1ull << 40);
	ret(&f, 1, MR_FN_REALLOCARRAY, 0);
	MR_CHECK_EQ(st(&f)->failed_allocs, 3, "reallocarray overflow fails");
	MR_CHECK_EQ(look(&f, ANY, 0xa000).found.size, 32,
		    "failed reallocarray keeps the old block");
	done(&f);
}

static void test_realloc_zero_nested_free(void)
{
	struct feed f = feed_new();

	malloc_ev(&f, 1, 10, 0x1000);
	enter(&f, 1, MR_FN_REALLOC, 0x1000, 0, 0);
	free_ev(&f, 1, 0x1000);
	ret(&f, 1, MR_FN_REALLOC, 0);
	MR_CHECK_EQ(nr_live(&f, ANY), 0, "realloc(p, 0): p freed");
	MR_CHECK_EQ(st(&f)->nested, 1, "realloc(p, 0): nested free counted once");
	MR_CHECK_EQ(st(&f)->frees, 1, "realloc(p, 0): exactly one free");
	MR_CHECK_EQ(st(&f)->free_bytes, 10, "realloc(p, 0): free_bytes");
	MR_CHECK_EQ(st(&f)->unmatched_frees, 0, "realloc(p, 0): nested free not applied twice");
	MR_CHECK_EQ(st(&f)->failed_allocs, 0, "realloc(p, 0) returning NULL is no failure");
	MR_CHECK_EQ(st(&f)->reallocs, 0, "realloc(p, 0) is no realloc");
	MR_CHECK_EQ(st(&f)->orphan_returns + st(&f)->orphan_entries, 0,
		    "realloc(p, 0): no orphans");
	done(&f);
}

static void test_reallocarray_nested(void)
{
	struct feed f = feed_new();
	struct lookup l;

	enter(&f, 1, MR_FN_REALLOCARRAY, 0, 2, 8);
	enter(&f, 1, MR_FN_REALLOC, 0, 16, 0);
	enter(&f, 1, MR_FN_MALLOC, 16, 0, 0);
	ret(&f, 1, MR_FN_MALLOC, 0x1000);
	ret(&f, 1, MR_FN_REALLOC, 0x1000);
	ret(&f, 1, MR_FN_REALLOCARRAY, 0x1000);
	l = look(&f, ANY, 0);
	MR_CHECK_EQ(l.n, 1, "reallocarray(NULL, 2, 8): exactly one block");
	MR_CHECK_EQ(l.found.size, 16, "reallocarray(NULL, 2, 8): 16 bytes");
	MR_CHECK_EQ(l.found.fn, MR_FN_REALLOCARRAY, "reallocarray(NULL): outermost fn");
	MR_CHECK_EQ(st(&f)->nested, 2, "reallocarray(NULL): nested == 2");
	MR_CHECK_EQ(st(&f)->allocs, 1, "reallocarray(NULL): one alloc");
	MR_CHECK_EQ(st(&f)->replaced, 0, "reallocarray(NULL): nothing replaced");
	MR_CHECK_EQ(st(&f)->orphan_entries + st(&f)->orphan_returns, 0, "reallocarray: no orphans");
	done(&f);
}

static void test_strdup(void)
{
	static const uint64_t user[] = { 0x401234, 0x401500, 0x7f0001 };
	static const uint64_t in_strdup[] = { 0x7f1111 };
	static const uint64_t in_malloc[] = { 0x7f2222 };
	struct feed f = feed_new();
	struct mr_event ev;
	struct lookup l;
	uint64_t ts;

	ts = enter(&f, 1, MR_FN_STRDUP, 0x5555, 0, 0);
	ev = ev_of(&f, MR_EV_ENTER, 1);
	ev.fn = MR_FN_MALLOC;
	ev.args[0] = 6;
	ev.stack = in_malloc;
	ev.nr_stack = 1;
	put(&f, &ev);
	ev = ev_of(&f, MR_EV_RETURN, 1);
	ev.fn = MR_FN_MALLOC;
	ev.ret = 0x1000;
	ev.stack = in_strdup;
	ev.nr_stack = 1;
	put(&f, &ev);
	ev = ev_of(&f, MR_EV_RETURN, 1);
	ev.fn = MR_FN_STRDUP;
	ev.ret = 0x1000;
	ev.stack = user;
	ev.nr_stack = 3;
	put(&f, &ev);
	l = look(&f, ANY, 0);
	MR_CHECK_EQ(l.n, 1, "strdup: one block");
	MR_CHECK_EQ(l.found.size, 6, "strdup: size of the nested malloc");
	MR_CHECK_EQ(l.found.fn, MR_FN_STRDUP, "strdup: fn");
	MR_CHECK_EQ(l.found.ts, ts, "strdup: strdup's ts");
	MR_CHECK(stack_is(&f, l.found.stack, user, 3), "strdup: strdup's return stack",
		 "wrong stack");
	MR_CHECK_EQ(st(&f)->nested, 1, "strdup: nested == 1");

	enter(&f, 1, MR_FN_STRNDUP, 0x5555, 3, 0);
	ret(&f, 1, MR_FN_STRNDUP, 0x2000);
	MR_CHECK_EQ(look(&f, ANY, 0x2000).found.size, 0,
		    "strndup without a nested malloc: 0 bytes");
	MR_CHECK_EQ(look(&f, ANY, 0x2000).found.fn, MR_FN_STRNDUP, "strndup fn");

	enter(&f, 1, MR_FN_STRNDUP, 0x5555, 3, 0);
	enter(&f, 1, MR_FN_MALLOC, 4, 0, 0);
	ret(&f, 1, MR_FN_MALLOC, 0);
	ret(&f, 1, MR_FN_STRNDUP, 0);
	MR_CHECK_EQ(st(&f)->failed_allocs, 1, "failed strndup: one failure, not two");
	MR_CHECK_EQ(st(&f)->nested, 2, "failed strndup: its malloc nested");
	MR_CHECK_EQ(st(&f)->allocs, 2, "strdup tests: two allocs");
	done(&f);
}

static void test_posix_memalign(void)
{
	struct feed f = feed_new();
	struct lookup l;

	enter(&f, 1, MR_FN_POSIX_MEMALIGN, 0x7ffc0000, 64, 100);
	enter(&f, 1, MR_FN_MEMALIGN_INT, 64, 100, 0);
	ret(&f, 1, MR_FN_MEMALIGN_INT, 0x5040);
	ret(&f, 1, MR_FN_POSIX_MEMALIGN, 0);
	l = look(&f, ANY, 0);
	MR_CHECK_EQ(l.n, 1, "posix_memalign: one block");
	MR_CHECK_EQ(l.found.ptr, 0x5040, "posix_memalign: at _mid_memalign's pointer");
	MR_CHECK_EQ(l.found.size, 100, "posix_memalign: size is args[2]");
	MR_CHECK_EQ(l.found.fn, MR_FN_POSIX_MEMALIGN, "posix_memalign: fn");
	MR_CHECK_EQ(st(&f)->nested, 1, "posix_memalign: nested == 1");

	/*
	 * The nested pointer of an earlier call must not leak into this one;
	 * success without a nested pointer (jemalloc's: it calls no probed
	 * function) is no failure, just unseen.
	 */
	enter(&f, 1, MR_FN_POSIX_MEMALIGN, 0x7ffc0000, 64, 100);
	ret(&f, 1, MR_FN_POSIX_MEMALIGN, 0);
	MR_CHECK_EQ(st(&f)->failed_allocs, 0, "posix_memalign 0 without a nested pointer: no failure");
	MR_CHECK_EQ(st(&f)->allocs, 1, "posix_memalign 0 without a nested pointer: no block");
	MR_CHECK_EQ(st(&f)->replaced, 0, "posix_memalign: no stale pointer reused");

	enter(&f, 1, MR_FN_POSIX_MEMALIGN, 0x7ffc0000, 3, 100);
	ret(&f, 1, MR_FN_POSIX_MEMALIGN, 22);
	MR_CHECK_EQ(st(&f)->failed_allocs, 1, "posix_memalign returning EINVAL fails");

	enter(&f, 1, MR_FN_POSIX_MEMALIGN, 0x7ffc0000, 64, 1ull << 50);
	enter(&f, 1, MR_FN_MEMALIGN_INT, 64, 1ull << 50, 0);
	ret(&f, 1, MR_FN_MEMALIGN_INT, 0);
	ret(&f, 1, MR_FN_POSIX_MEMALIGN, 12);
	MR_CHECK_EQ(st(&f)->failed_allocs, 2, "posix_memalign returning ENOMEM fails");
	MR_CHECK_EQ(st(&f)->allocs, 1, "posix_memalign: one alloc in all");

	/* musl's, tcmalloc's, mimalloc's: the pointer of the aligned_alloc it calls */
	enter(&f, 1, MR_FN_POSIX_MEMALIGN, 0x7ffc0000, 64, 320);
	enter(&f, 1, MR_FN_ALIGNED_ALLOC, 64, 320, 0);
	ret(&f, 1, MR_FN_ALIGNED_ALLOC, 0x9000);
	ret(&f, 1, MR_FN_POSIX_MEMALIGN, 0);
	l = look(&f, ANY, 0x9000);
	MR_CHECK_EQ(l.n, 1, "posix_memalign over aligned_alloc: one block");
	MR_CHECK_EQ(l.found.size, 320, "posix_memalign over aligned_alloc: its size");
	MR_CHECK_EQ(l.found.fn, MR_FN_POSIX_MEMALIGN, "posix_memalign over aligned_alloc: fn");
	MR_CHECK_EQ(st(&f)->allocs, 2, "posix_memalign over aligned_alloc: counted once");
	done(&f);
}

/* One entry of a kind at a probed function's address; caller: [sp]. */
static void enter_at(struct feed *f, enum mr_fn fn, uint64_t func, uint64_t caller,
		     uint64_t a0, uint64_t a1)
{
	struct mr_event ev = ev_of(f, MR_EV_ENTER, 1);

	ev.fn = fn;
	ev.func = func;
	ev.caller = caller;
	ev.args[0] = a0;
	ev.args[1] = a1;
	put(f, &ev);
}

/*
 * mimalloc's aligned_alloc tail-jumps (via mi_aligned_alloc) to
 * mi_malloc_aligned: two entries of one kind, the inner one's [sp] the
 * outer's return trampoline, then both returns. One block, no orphans;
 * a lost return (the same function entered again) still drops the call.
 */
static void test_tail_call(void)
{
	struct feed f = feed_new();

	enter_at(&f, MR_FN_ALIGNED_ALLOC, 0x7f00108b0, 0x401234, 64, 128);
	enter_at(&f, MR_FN_ALIGNED_ALLOC, 0x7f0012300, 0x7fffffffe000, 128, 64);
	ret(&f, 1, MR_FN_ALIGNED_ALLOC, 0x5000);
	ret(&f, 1, MR_FN_ALIGNED_ALLOC, 0x5000);
	MR_CHECK_EQ(look(&f, ANY, 0x5000).n, 1, "tail call: one block");
	MR_CHECK_EQ(look(&f, ANY, 0x5000).found.size, 128, "tail call: the outer call's size");
	MR_CHECK_EQ(st(&f)->allocs, 1, "tail call: one alloc");
	MR_CHECK_EQ(st(&f)->nested, 1, "tail call: the inner one nested");
	MR_CHECK_EQ(st(&f)->orphan_entries, 0, "tail call: no orphan entry");
	MR_CHECK_EQ(st(&f)->orphan_returns, 0, "tail call: no orphan return");

	/* a return lost, then the same function again: the lost call is dropped */
	enter_at(&f, MR_FN_MALLOC, 0x7f0010b70, 0x401234, 10, 0);
	enter_at(&f, MR_FN_MALLOC, 0x7f0010b70, 0x401234, 20, 0);
	ret(&f, 1, MR_FN_MALLOC, 0x6000);
	MR_CHECK_EQ(look(&f, ANY, 0x6000).found.size, 20, "lost return: the new call's block");
	MR_CHECK_EQ(st(&f)->orphan_entries, 1, "lost return: one orphan entry");
	done(&f);
}

static void test_new_nesting(void)
{
	struct feed f = feed_new();
	struct lookup l;

	enter(&f, 1, MR_FN_NEW_ARRAY, 40, 0, 0);
	enter(&f, 1, MR_FN_NEW, 40, 0, 0);
	enter(&f, 1, MR_FN_MALLOC, 40, 0, 0);
	ret(&f, 1, MR_FN_MALLOC, 0x1000);
	ret(&f, 1, MR_FN_NEW, 0x1000);
	ret(&f, 1, MR_FN_NEW_ARRAY, 0x1000);
	l = look(&f, ANY, 0);
	MR_CHECK_EQ(l.n, 1, "new[] -> new -> malloc: one block");
	MR_CHECK_EQ(l.found.fn, MR_FN_NEW_ARRAY, "new[] -> new -> malloc: fn new[]");
	MR_CHECK_EQ(st(&f)->nested, 2, "new[] -> new -> malloc: nested == 2");

	/* new(nothrow) forwards to new: the same fn nests legitimately. */
	enter(&f, 1, MR_FN_NEW, 24, 0, 0);
	enter(&f, 1, MR_FN_NEW, 24, 0, 0);
	enter(&f, 1, MR_FN_MALLOC, 24, 0, 0);
	ret(&f, 1, MR_FN_MALLOC, 0x2000);
	ret(&f, 1, MR_FN_NEW, 0x2000);
	ret(&f, 1, MR_FN_NEW, 0x2000);
	MR_CHECK_EQ(nr_live(&f, ANY), 2, "new(nothrow) -> new -> malloc: one more block");
	MR_CHECK_EQ(look(&f, ANY, 0x2000).found.size, 24, "new(nothrow): 24 bytes");
	MR_CHECK_EQ(st(&f)->nested, 4, "new(nothrow) -> new -> malloc: 2 more nested");
	MR_CHECK_EQ(st(&f)->allocs, 2, "new nesting: 2 allocs");
	MR_CHECK_EQ(st(&f)->orphan_entries + st(&f)->orphan_returns, 0, "new nesting: no orphans");
	done(&f);
}

static void test_threads_interleave(void)
{
	struct feed f = feed_new();

	task_new(&f, 100, 101, PTHREAD_FLAGS, "worker");
	enter(&f, 100, MR_FN_MALLOC, 8, 0, 0);
	enter(&f, 101, MR_FN_MALLOC, 16, 0, 0);
	enter(&f, 101, MR_FN_FREE, 0x1000, 0, 0);	/* not nested: other thread */
	ret(&f, 101, MR_FN_MALLOC, 0x2000);
	ret(&f, 100, MR_FN_MALLOC, 0x3000);
	MR_CHECK_EQ(st(&f)->nested, 1, "interleaved threads: only 101's free is nested");
	MR_CHECK_EQ(look(&f, ANY, 0x2000).found.size, 16, "interleaved threads: 101's block");
	MR_CHECK_EQ(look(&f, ANY, 0x2000).found.tid, 101, "interleaved threads: 101's tid");
	MR_CHECK_EQ(look(&f, ANY, 0x3000).found.size, 8, "interleaved threads: 100's block");
	MR_CHECK_EQ(nr_live(&f, 0), 2, "interleaved threads: both in the one aspace");
	done(&f);
}

static void test_orphans(void)
{
	struct feed f = feed_new();
	struct mr_event ev;

	ret(&f, 1, MR_FN_MALLOC, 0x1000);
	MR_CHECK_EQ(st(&f)->orphan_returns, 1, "return without entry: orphan");
	MR_CHECK_EQ(nr_live(&f, ANY), 0, "return without entry: ignored");
	enter(&f, 1, MR_FN_MALLOC, 8, 0, 0);
	ret(&f, 1, MR_FN_CALLOC, 0x1000);
	MR_CHECK_EQ(st(&f)->orphan_returns, 2, "return of another fn: orphan");
	ret(&f, 1, MR_FN_MALLOC, 0x1000);
	MR_CHECK_EQ(nr_live(&f, ANY), 1, "the open malloc still completes");

	/* A nested malloc whose return was lost is popped by the outer return. */
	enter(&f, 1, MR_FN_REALLOC, 0, 8, 0);
	enter(&f, 1, MR_FN_MALLOC, 8, 0, 0);
	ret(&f, 1, MR_FN_REALLOC, 0x2000);
	MR_CHECK_EQ(st(&f)->orphan_entries, 1, "popped inner entry is an orphan");
	MR_CHECK_EQ(look(&f, ANY, 0x2000).found.size, 8, "outer return still allocates");

	/* A lost outer return: the next call of the same glibc fn is not nested. */
	enter(&f, 1, MR_FN_MALLOC, 8, 0, 0);
	enter(&f, 1, MR_FN_MALLOC, 16, 0, 0);
	ret(&f, 1, MR_FN_MALLOC, 0x3000);
	MR_CHECK_EQ(st(&f)->orphan_entries, 2, "lost malloc return: stale entry is an orphan");
	MR_CHECK_EQ(st(&f)->nested, 1, "lost malloc return: next malloc not nested");
	MR_CHECK_EQ(look(&f, ANY, 0x3000).found.size, 16, "lost malloc return: next malloc counts");
	free_ev(&f, 1, 0x3000);
	MR_CHECK_EQ(st(&f)->frees, 1, "lost malloc return: later free still applies");

	/* free has no return: one, if it comes, is no orphan and pops nothing. */
	ev = ev_of(&f, MR_EV_RETURN, 1);
	ev.fn = MR_FN_FREE;
	put(&f, &ev);
	MR_CHECK_EQ(st(&f)->orphan_returns, 2, "free return ignored");

	enter(&f, 1, MR_FN_CALLOC, 1, 1, 0);
	enter(&f, 2, MR_FN_REALLOCARRAY, 0, 1, 1);
	enter(&f, 2, MR_FN_REALLOC, 0, 1, 0);
	mr_pairing_finish(f.p, f.ts + 10);
	MR_CHECK_EQ(st(&f)->orphan_entries, 2, "finish: open calls are no orphans");
	MR_CHECK_EQ(st(&f)->open_at_stop, 3, "finish: 3 calls running at the stop");
	mr_pairing_finish(f.p, f.ts + 20);
	MR_CHECK_EQ(st(&f)->open_at_stop, 3, "finish twice counts once");
	MR_CHECK_EQ(nr_live(&f, ANY), 2, "finish leaves live blocks");
	done(&f);
}

static void test_lost_and_dlopen(void)
{
	struct feed f = feed_new();
	struct mr_event ev = ev_of(&f, MR_EV_LOST, 0);

	ev.lost = 5;
	put(&f, &ev);
	ev.lost = 7;
	put(&f, &ev);
	MR_CHECK_EQ(st(&f)->lost_events, 12, "lost events summed");

	enter(&f, 1, MR_FN_DLOPEN, 0, 0, 0);
	malloc_ev(&f, 1, 100, 0x1000);
	enter(&f, 1, MR_FN_STRDUP, 0x77, 0, 0);
	enter(&f, 1, MR_FN_MALLOC, 9, 0, 0);
	ret(&f, 1, MR_FN_MALLOC, 0x2000);
	ret(&f, 1, MR_FN_STRDUP, 0x2000);
	ev = ev_of(&f, MR_EV_RETURN, 1);
	ev.fn = MR_FN_DLOPEN;
	ev.args[0] = 0x7f0000000000;
	ev.path = "/lib/libx.so";
	put(&f, &ev);
	MR_CHECK_EQ(st(&f)->allocs, 2, "mallocs inside dlopen are real");
	MR_CHECK_EQ(st(&f)->nested, 1, "dlopen is no outer call: only strdup's malloc nested");
	MR_CHECK_EQ(look(&f, ANY, 0x2000).found.size, 9, "strdup inside dlopen");
	MR_CHECK_EQ(st(&f)->orphan_returns + st(&f)->orphan_entries, 0, "dlopen: no orphans");
	MR_CHECK_EQ(mr_tasks_nr_aspaces(f.m), 1, "lost and dlopen events make no aspace");
	done(&f);
}

static void test_replaced(void)
{
	struct feed f = feed_new();
	struct lookup l;

	malloc_ev(&f, 1, 10, 0x1000);
	malloc_ev(&f, 1, 20, 0x1000);
	l = look(&f, ANY, 0);
	MR_CHECK_EQ(st(&f)->replaced, 1, "alloc at a live address: replaced");
	MR_CHECK_EQ(st(&f)->allocs, 2, "replaced: both allocs counted");
	MR_CHECK_EQ(l.n, 1, "replaced: one block");
	MR_CHECK_EQ(l.found.size, 20, "replaced: the new block");
	free_ev(&f, 1, 0x1000);
	MR_CHECK_EQ(st(&f)->free_bytes, 20, "replaced: free sees the new size");
	MR_CHECK_EQ(nr_live(&f, ANY), 0, "replaced: freed");
	done(&f);
}

static int stop_cb(const struct mr_block *b, void *ctx)
{
	(*(int *)ctx)++;
	return 42;
}

static void test_for_each_stop(void)
{
	struct feed f = feed_new();
	int calls = 0, r;

	for (int i = 1; i <= 10; i++)
		malloc_ev(&f, 1, i, 0x1000 * i);
	r = mr_pairing_for_each_live(f.p, stop_cb, &calls);
	MR_CHECK_EQ(r, 42, "for_each_live returns the callback's value");
	MR_CHECK_EQ(calls, 1, "for_each_live stops at a non-zero return");
	done(&f);
}

/* ---- rule 5: stacks ---- */

static uint32_t stacked_malloc(struct feed *f, uint64_t ptr, uint64_t ecaller, const uint64_t *es,
			       int nes, uint64_t rcaller, const uint64_t *rs, int nrs)
{
	struct mr_event ev = ev_of(f, MR_EV_ENTER, 1);

	ev.fn = MR_FN_MALLOC;
	ev.args[0] = 1;
	ev.caller = ecaller;
	ev.stack = es;
	ev.nr_stack = nes;
	put(f, &ev);
	ev = ev_of(f, MR_EV_RETURN, 1);
	ev.fn = MR_FN_MALLOC;
	ev.ret = ptr;
	ev.caller = rcaller;
	ev.stack = rs;
	ev.nr_stack = nrs;
	put(f, &ev);
	return look(f, ANY, ptr).found.stack;
}

static void test_stacks(void)
{
	static const uint64_t ent[] = { 0xf000, 0xb002, 0xb003 };	/* malloc, main, libc */
	static const uint64_t rets[] = { 0xa001, 0xa002, 0xa003 };
	static const uint64_t fixed[] = { 0xb001, 0xb002, 0xb003 };
	static const uint64_t other[] = { 0xa001, 0xa002, 0xa004 };
	static const uint64_t rc[] = { 0xc001 }, ec[] = { 0xc002 };
	struct feed f = feed_new();
	uint64_t buf[200], want[MR_MAX_STACK];
	uint32_t s1, s2, s3, s4, s5, s6, s7;
	const uint64_t *frames;
	int nr;

	s1 = stacked_malloc(&f, 0x1000, 0xb001, ent, 3, 0xa001, rets, 3);
	MR_CHECK(stack_is(&f, s1, rets, 3), "stack: return stack preferred", "wrong stack");
	s2 = stacked_malloc(&f, 0x2000, 0xb001, ent, 3, 0xa001, NULL, 0);
	MR_CHECK(stack_is(&f, s2, fixed, 3), "stack: entry stack with frame 0 = caller", "wrong");
	s3 = stacked_malloc(&f, 0x3000, 0xb001, NULL, 0, 0xc001, NULL, 0);
	MR_CHECK(stack_is(&f, s3, rc, 1), "stack: no stacks -> [return caller]", "wrong");
	s4 = stacked_malloc(&f, 0x4000, 0xc002, NULL, 0, 0, NULL, 0);
	MR_CHECK(stack_is(&f, s4, ec, 1), "stack: no stacks, no return caller -> [entry caller]",
		 "x");
	s5 = stacked_malloc(&f, 0x5000, 0, ent, 3, 0, NULL, 0);
	MR_CHECK(stack_is(&f, s5, ent + 1, 2), "stack: entry stack without caller drops frame 0",
		 "x");

	MR_CHECK_EQ(stacked_malloc(&f, 0x6000, 0, NULL, 0, 0, rets, 3), s1,
		    "stack interning: equal stacks, equal ids");
	MR_CHECK_EQ(stacked_malloc(&f, 0x7000, 0, NULL, 0, 0, fixed, 3), s2,
		    "stack interning: by content, whatever the source");
	s6 = stacked_malloc(&f, 0x8000, 0, NULL, 0, 0, other, 3);
	MR_CHECK(s6 != s1 && s6 != s2 && s6 != s3 && s6 != s4 && s6 != s5,
		 "stack interning: a different stack, a new id", "id %u", s6);
	MR_CHECK(s1 != s2 && s2 != s3 && s3 != s4 && s4 != s5 && s1 != s5,
		 "stack interning: distinct stacks distinct ids", "ids collide");
	MR_CHECK_EQ(s6, 5, "stack ids are dense");

	/* Stack data is copied: the reader reuses its buffers. */
	memcpy(buf, rets, sizeof(rets));
	s7 = stacked_malloc(&f, 0x9000, 0, NULL, 0, 0, buf, 3);
	buf[0] = 0xbad;
	MR_CHECK(stack_is(&f, s7, rets, 3), "stack: return stack copied", "aliased");
	{
		struct mr_event ev = ev_of(&f, MR_EV_ENTER, 1);

		memcpy(buf, ent, sizeof(ent));
		ev.fn = MR_FN_CALLOC;
		ev.args[0] = ev.args[1] = 1;
		ev.caller = 0xb001;
		ev.stack = buf;
		ev.nr_stack = 3;
		put(&f, &ev);
		memset(buf, 0xee, sizeof(buf));
		ret(&f, 1, MR_FN_CALLOC, 0xa000);
		/* ret() gives caller 0x400001 and no stack: the entry stack wins. */
		MR_CHECK(stack_is(&f, look(&f, ANY, 0xa000).found.stack, fixed, 3),
			 "stack: entry stack copied at entry", "aliased");
	}

	for (int i = 0; i < 200; i++)
		buf[i] = 0x10000 + i;
	memcpy(want, buf, sizeof(want));
	s7 = stacked_malloc(&f, 0xb000, 0, NULL, 0, 0, buf, 200);
	frames = mr_pairing_stack(f.p, s7, &nr);
	MR_CHECK_EQ(nr, MR_MAX_STACK, "stack: capped at MR_MAX_STACK");
	MR_CHECK(frames && !memcmp(frames, want, sizeof(want)), "stack: cap keeps the innermost",
		 "wrong frames");
	for (int i = 0; i < 200; i++)
		buf[i] = 0x20000 + i;
	{
		struct mr_event ev = ev_of(&f, MR_EV_ENTER, 1);

		ev.fn = MR_FN_MALLOC;
		ev.caller = 0x123;
		ev.stack = buf;
		ev.nr_stack = 200;
		put(&f, &ev);
		ret(&f, 1, MR_FN_MALLOC, 0xc000);
		frames = mr_pairing_stack(f.p, look(&f, ANY, 0xc000).found.stack, &nr);
		MR_CHECK(nr == MR_MAX_STACK && frames[0] == 0x123 && frames[127] == 0x20000 + 127,
			 "stack: entry stack capped too", "nr %d", nr);
	}
	MR_CHECK(mr_pairing_stack(f.p, 100000, &nr) == NULL && nr == 0,
		 "stack: unknown id gives NULL", "nr %d", nr);
	done(&f);
}

/* ---- rule 6: address spaces ---- */

static void test_first_sight(void)
{
	struct feed f = feed_new();
	const struct mr_aspace *a;
	struct mr_event ev;
	uint64_t t0;

	ev = ev_of(&f, MR_EV_ENTER, 501);
	ev.fn = MR_FN_MALLOC;
	ev.tgid = 500;
	ev.args[0] = 8;
	put(&f, &ev);
	t0 = ev.ts;
	ev = ev_of(&f, MR_EV_RETURN, 501);
	ev.fn = MR_FN_MALLOC;
	ev.ret = 0x1000;
	put(&f, &ev);
	ev = ev_of(&f, MR_EV_ENTER, 502);
	ev.fn = MR_FN_FREE;
	ev.tgid = 500;
	ev.args[0] = 0x1000;
	put(&f, &ev);
	MR_CHECK_EQ(mr_tasks_nr_aspaces(f.m), 1, "first sight: threads of tgid 500 share");
	a = mr_tasks_aspace(f.m, 0);
	MR_CHECK_EQ(a->pid, 500, "first sight: pid is the tgid");
	MR_CHECK_EQ(a->start_ts, t0, "first sight: start_ts");
	MR_CHECK_EQ(a->parent_id, -1, "first sight: no parent");
	MR_CHECK_EQ(a->exited, 0, "first sight: alive");
	MR_CHECK(a->exe == NULL, "first sight: exe unknown", "%s", a->exe);
	MR_CHECK_EQ(st(&f)->frees, 1, "first sight: cross-thread free matched");

	malloc_ev(&f, 600, 8, 0x1000);
	MR_CHECK_EQ(mr_tasks_nr_aspaces(f.m), 2, "first sight with tgid 0: new aspace");
	MR_CHECK_EQ(mr_tasks_aspace(f.m, 1)->pid, 600, "first sight with tgid 0: pid = tid");
	MR_CHECK_EQ(look(&f, 1, 0x1000).n, 1, "same ptr in another process is another block");
	MR_CHECK(mr_tasks_aspace(f.m, 2) == NULL, "aspace id out of range: NULL", "not NULL");
	MR_CHECK(mr_tasks_find_aspace(f.m, 500, f.ts) == a, "find_aspace by pid", "wrong");
	MR_CHECK(mr_tasks_find_aspace(f.m, 999, f.ts) == NULL, "find_aspace: unknown pid", "x");
	done(&f);
}

static void test_thread_free(void)
{
	struct feed f = feed_new();

	malloc_ev(&f, 100, 32, 0x1000);
	task_new(&f, 100, 102, PTHREAD_FLAGS, "worker");
	free_ev(&f, 102, 0x1000);
	MR_CHECK_EQ(st(&f)->frees, 1, "thread frees another thread's block");
	MR_CHECK_EQ(st(&f)->unmatched_frees, 0, "thread free: matched");
	MR_CHECK_EQ(mr_tasks_nr_aspaces(f.m), 1, "CLONE_THREAD makes no aspace");

	enter(&f, 102, MR_FN_MALLOC, 8, 0, 0);
	exit_ev(&f, 102, 0, "worker");
	MR_CHECK_EQ(st(&f)->orphan_entries, 1, "thread exit: its open call is an orphan");
	MR_CHECK(!mr_tasks_aspace(f.m, 0)->exited, "thread exit: process lives on", "exited");
	malloc_ev(&f, 100, 8, 0x2000);
	MR_CHECK_EQ(look(&f, 0, 0x2000).n, 1, "after a thread exit the process still allocates");
	done(&f);
}

static void test_fork(void)
{
	struct feed f = feed_new();
	const struct mr_aspace *child;
	struct lookup pa, ca;
	uint64_t t1, tfork;

	exec_ev(&f, 100, 100, "/usr/bin/parentprog");
	t1 = malloc_ev(&f, 100, 16, 0x1000);
	malloc_ev(&f, 100, 32, 0x2000);
	task_new(&f, 100, 200, SIGCHLD_FLAG, "kid");
	tfork = f.ts;
	MR_CHECK_EQ(mr_tasks_nr_aspaces(f.m), 2, "fork: a new aspace");
	child = mr_tasks_aspace(f.m, 1);
	MR_CHECK_EQ(child->pid, 200, "fork: child pid");
	MR_CHECK_EQ(child->parent_id, 0, "fork: parent_id");
	MR_CHECK_EQ(child->start_ts, tfork, "fork: start_ts");
	MR_CHECK(!strcmp(child->comm, "kid"), "fork: comm from the event", "%s", child->comm);
	ca = look(&f, 1, 0);
	MR_CHECK_EQ(ca.n, 2, "fork: child has copies of both blocks");
	MR_CHECK_EQ(ca.inherited, 2, "fork: copies are inherited");
	pa = look(&f, 0, 0x1000);
	ca = look(&f, 1, 0x1000);
	MR_CHECK(ca.found.stack == pa.found.stack && ca.found.ts == t1 && ca.found.size == 16 &&
		 ca.found.fn == MR_FN_MALLOC && ca.found.tid == 100,
		 "fork: copy keeps stack, ts, size, fn and tid", "differs");
	MR_CHECK_EQ(pa.inherited, 0, "fork: parent's blocks are not inherited");
	MR_CHECK_EQ(st(&f)->allocs, 2, "fork: copies are not allocs");

	free_ev(&f, 100, 0x1000);
	MR_CHECK_EQ(nr_live(&f, 0), 1, "fork: parent free removes the parent's block");
	MR_CHECK_EQ(look(&f, 1, 0x1000).n, 1, "fork: parent free leaves the child's copy");
	free_ev(&f, 200, 0x2000);
	MR_CHECK_EQ(look(&f, 1, 0x2000).n, 0, "fork: child frees its copy");
	MR_CHECK_EQ(look(&f, 0, 0x2000).n, 1, "fork: child free leaves the parent's block");
	MR_CHECK_EQ(st(&f)->frees, 2, "fork: both frees matched");
	malloc_ev(&f, 100, 48, 0x3000);
	malloc_ev(&f, 200, 64, 0x3000);
	MR_CHECK_EQ(look(&f, 0, 0x3000).found.size, 48, "same ptr: parent's block");
	MR_CHECK_EQ(look(&f, 1, 0x3000).found.size, 64, "same ptr: child's block");
	MR_CHECK_EQ(look(&f, 1, 0x3000).found.inherited, 0, "child's own block not inherited");
	MR_CHECK_EQ(st(&f)->replaced, 0, "same ptr in two aspaces replaces nothing");
	MR_CHECK_EQ(nr_live(&f, ANY), 4, "fork: 4 live blocks in all");

	/* A fork without comm takes the parent's (set from the exec'd file). */
	task_new(&f, 100, 201, SIGCHLD_FLAG, NULL);
	MR_CHECK(!strcmp(mr_tasks_aspace(f.m, 2)->comm, "parentprog"),
		 "fork without comm: parent's comm", "%s", mr_tasks_aspace(f.m, 2)->comm);
	MR_CHECK_EQ(nr_live(&f, 2), 2, "second fork copies the parent's current blocks");
	/* A grandchild inherits what its parent inherited. */
	task_new(&f, 200, 300, SIGCHLD_FLAG, "grandkid");
	MR_CHECK_EQ(mr_tasks_aspace(f.m, 3)->parent_id, 1, "grandchild's parent");
	MR_CHECK_EQ(look(&f, 3, 0).inherited, 2, "grandchild inherits inherited blocks");
	done(&f);
}

static void test_fork_big(void)
{
	struct feed f = feed_new();
	const int n = 100000;

	for (int i = 1; i <= n; i++)
		malloc_ev(&f, 100, i, (uint64_t)i << 4);
	for (int c = 0; c < 20; c++)
		task_new(&f, 100, 1000 + c, SIGCHLD_FLAG, "kid");
	MR_CHECK_EQ(nr_live(&f, 20), n, "big fork: last child has all 100000 blocks");
	for (int i = 1; i <= n; i++)
		free_ev(&f, 100, (uint64_t)i << 4);
	MR_CHECK_EQ(nr_live(&f, 0), 0, "big fork: parent freed everything");
	MR_CHECK_EQ(st(&f)->frees, n, "big fork: all parent frees matched");
	MR_CHECK_EQ(nr_live(&f, ANY), 20ull * n, "big fork: children keep theirs");
	MR_CHECK_EQ(look(&f, 7, 0).bytes, (uint64_t)n * (n + 1) / 2, "big fork: child bytes");
	done(&f);
}

static void test_vfork(void)
{
	struct feed f = feed_new();
	const struct mr_aspace *a;

	malloc_ev(&f, 100, 8, 0x1000);
	task_new(&f, 100, 103, T_CLONE_VM | T_CLONE_VFORK | SIGCHLD_FLAG, "sh");
	MR_CHECK_EQ(mr_tasks_nr_aspaces(f.m), 1, "vfork: child shares the parent's aspace");
	malloc_ev(&f, 103, 16, 0x2000);
	MR_CHECK_EQ(nr_live(&f, 0), 2, "vfork: child's malloc lands in the shared aspace");
	exec_ev(&f, 103, 103, "/bin/true");
	a = mr_tasks_aspace(f.m, 0);
	MR_CHECK(!a->exited && !a->end_ts, "vfork child exec: parent's aspace does not end",
		 "ended");
	MR_CHECK_EQ(mr_tasks_nr_aspaces(f.m), 2, "vfork child exec: new aspace");
	a = mr_tasks_aspace(f.m, 1);
	MR_CHECK_EQ(a->pid, 103, "vfork child exec: pid");
	MR_CHECK(a->exe && !strcmp(a->exe, "/bin/true"), "vfork child exec: exe", "%s", a->exe);
	MR_CHECK(!strcmp(a->comm, "true"), "exec: comm is the file's name", "%s", a->comm);
	malloc_ev(&f, 103, 16, 0x2000);
	MR_CHECK_EQ(nr_live(&f, 1), 1, "after exec the child allocates in its own aspace");
	MR_CHECK_EQ(st(&f)->replaced, 0, "after exec: nothing replaced in the parent");

	task_new(&f, 100, 104, T_CLONE_VM | T_CLONE_VFORK | SIGCHLD_FLAG, "sh");
	exit_ev(&f, 104, 1, "sh");
	MR_CHECK(!mr_tasks_aspace(f.m, 0)->exited, "vfork child _exit: parent lives", "exited");
	malloc_ev(&f, 100, 8, 0x3000);
	MR_CHECK_EQ(nr_live(&f, 0), 3, "vfork child _exit: parent still allocates there");
	done(&f);
}

static void test_exec(void)
{
	struct feed f = feed_new();
	const struct mr_aspace *old, *new;
	uint64_t tb, tx;

	malloc_ev(&f, 100, 8, 0x1000);
	task_new(&f, 100, 101, PTHREAD_FLAGS, "worker");
	malloc_ev(&f, 101, 16, 0x2000);
	tb = f.ts;
	/* A non-leader thread execs: it takes over the leader's pid. */
	tx = exec_ev(&f, 100, 101, "/usr/local/bin/newimage-with-a-long-name");
	old = mr_tasks_aspace(f.m, 0);
	new = mr_tasks_aspace(f.m, 1);
	MR_CHECK_EQ(mr_tasks_nr_aspaces(f.m), 2, "exec: a new aspace");
	MR_CHECK_EQ(old->end_ts, tx, "exec: old aspace ends at exec");
	MR_CHECK_EQ(old->exited, 0, "exec: old aspace did not exit");
	MR_CHECK_EQ(nr_live(&f, 0), 2, "exec: old blocks still live under the old aspace");
	MR_CHECK_EQ(new->pid, 100, "exec: new aspace pid");
	MR_CHECK_EQ(new->start_ts, tx, "exec: new aspace start");
	MR_CHECK_EQ(new->parent_id, -1, "exec: new aspace has no parent");
	MR_CHECK(!strcmp(new->exe, "/usr/local/bin/newimage-with-a-long-name"), "exec: exe", "x");
	MR_CHECK(!strcmp(new->comm, "newimage-with-a"), "exec: comm truncated to 15", "%s",
		 new->comm);
	malloc_ev(&f, 100, 8, 0x1000);
	MR_CHECK_EQ(look(&f, 1, 0x1000).n, 1, "exec: new image allocates in the new aspace");
	malloc_ev(&f, 101, 8, 0x5000);
	MR_CHECK_EQ(look(&f, 1, 0x5000).n, 1, "exec: old tid maps to the new aspace");
	free_ev(&f, 100, 0x2000);
	MR_CHECK_EQ(st(&f)->unmatched_frees, 1, "exec: old image's block is not the new image's");
	MR_CHECK_EQ(nr_live(&f, 0), 2, "exec: old aspace untouched by the new image");
	MR_CHECK(mr_tasks_find_aspace(f.m, 100, tb) == old, "find_aspace before exec: old", "x");
	MR_CHECK(mr_tasks_find_aspace(f.m, 100, tx) == new, "find_aspace at exec: new", "x");
	MR_CHECK(mr_tasks_find_aspace(f.m, 100, f.ts) == new, "find_aspace after exec: new", "x");
	MR_CHECK(old->id == 0 && mr_tasks_aspace(f.m, 0) == old, "aspace pointers stay put", "x");
	done(&f);
}

static void test_exit_and_reuse(void)
{
	struct feed f = feed_new();
	const struct mr_aspace *a, *b;
	uint64_t t0, tx, t2;

	t0 = malloc_ev(&f, 100, 8, 0x1000);
	task_new(&f, 100, 101, PTHREAD_FLAGS, "worker");
	exit_ev(&f, 101, 0, "worker");
	MR_CHECK(!mr_tasks_aspace(f.m, 0)->exited, "non-last thread exit: alive", "exited");
	a = mr_tasks_aspace(f.m, 0);
	MR_CHECK(!strcmp(a->comm, "worker"), "exit: comm fills an empty one", "%s", a->comm);
	tx = exit_ev(&f, 100, 1, "prog");
	a = mr_tasks_aspace(f.m, 0);
	MR_CHECK_EQ(a->exited, 1, "group_dead: exited");
	MR_CHECK_EQ(a->end_ts, tx, "group_dead: end_ts");
	MR_CHECK(!strcmp(a->comm, "prog"), "exit: the leader's comm is kept", "%s", a->comm);
	MR_CHECK_EQ(nr_live(&f, 0), 1, "group_dead: leaked block stays live");

	f.ts += 1000;
	t2 = malloc_ev(&f, 100, 8, 0x1000);
	MR_CHECK_EQ(mr_tasks_nr_aspaces(f.m), 2, "pid reuse after exit: new aspace");
	b = mr_tasks_aspace(f.m, 1);
	MR_CHECK_EQ(b->pid, 100, "pid reuse: same pid");
	MR_CHECK_EQ(b->start_ts, t2, "pid reuse: start");
	MR_CHECK_EQ(st(&f)->replaced, 0, "pid reuse: old block not replaced");
	MR_CHECK_EQ(nr_live(&f, 0), 1, "pid reuse: old leak kept");
	MR_CHECK_EQ(nr_live(&f, 1), 1, "pid reuse: new block");
	MR_CHECK(mr_tasks_find_aspace(f.m, 100, t0) == a, "find_aspace: in the first", "x");
	MR_CHECK(mr_tasks_find_aspace(f.m, 100, tx + 500) == a,
		 "find_aspace: in a gap, the latest started before", "x");
	MR_CHECK(mr_tasks_find_aspace(f.m, 100, t2 + 1) == b, "find_aspace: in the second", "x");
	MR_CHECK(mr_tasks_find_aspace(f.m, 100, 1) == a, "find_aspace: before all, earliest",
		 "x");

	/* A TASK_NEW reusing a tid whose process exited. */
	exit_ev(&f, 100, 1, "prog");
	malloc_ev(&f, 50, 8, 0x1000);
	task_new(&f, 50, 100, SIGCHLD_FLAG, "again");
	MR_CHECK_EQ(mr_tasks_nr_aspaces(f.m), 4, "fork reusing a dead pid: new aspace");
	MR_CHECK_EQ(mr_tasks_aspace(f.m, 3)->pid, 100, "fork reusing a dead pid: pid");
	MR_CHECK_EQ(look(&f, 3, 0).n, 1, "fork reusing a dead pid: inherits from the new parent");
	free_ev(&f, 100, 0x1000);
	MR_CHECK_EQ(nr_live(&f, 3), 0, "fork reusing a dead pid: frees its own copy");
	MR_CHECK_EQ(nr_live(&f, 1), 1, "fork reusing a dead pid: old aspace untouched");

	/* A TASK_NEW whose child tid still maps to another live aspace (missed exit). */
	malloc_ev(&f, 700, 8, 0x7000);
	task_new(&f, 50, 700, PTHREAD_FLAGS, "t");
	malloc_ev(&f, 700, 8, 0x7100);
	MR_CHECK_EQ(look(&f, 2, 0x7100).n, 1, "TASK_NEW remaps a tid in use elsewhere");

	exit_ev(&f, 700, 1, NULL);	/* 700 is a thread of 50 now: ends 50 */
	MR_CHECK_EQ(mr_tasks_aspace(f.m, 2)->exited, 1,
		    "last thread's group_dead ends the process");
	MR_CHECK_EQ(mr_tasks_aspace(f.m, 4)->exited, 0, "other aspace of the old tid untouched");
	/* An exit of a tid with no thread entry ends the live aspace with that pid. */
	exit_ev(&f, 700, 1, NULL);
	MR_CHECK_EQ(mr_tasks_aspace(f.m, 4)->exited, 1,
		    "exit of an unmapped pid ends its aspace");
	/*
	 * A tid still mapped to a process that ended (its own exit was lost)
	 * is a new process when it shows up again.
	 */
	malloc_ev(&f, 800, 8, 0x8000);
	task_new(&f, 800, 801, PTHREAD_FLAGS, "t");
	exit_ev(&f, 800, 1, "p800");
	malloc_ev(&f, 801, 8, 0x8000);
	MR_CHECK_EQ(mr_tasks_nr_aspaces(f.m), 7, "tid of an ended process: new aspace");
	MR_CHECK_EQ(mr_tasks_aspace(f.m, 6)->pid, 801, "tid of an ended process: pid = tid");
	MR_CHECK_EQ(look(&f, 6, 0x8000).n, 1, "tid of an ended process: block in the new aspace");
	MR_CHECK_EQ(st(&f)->replaced, 0, "tid of an ended process: old block not replaced");

	exit_ev(&f, 12345, 1, NULL);
	MR_CHECK_EQ(mr_tasks_nr_aspaces(f.m), 7, "exit of an unknown task makes no aspace");
	done(&f);
}

/* ---- a large randomized run against a reference model ---- */

#define R_NPROC		4	/* 3 processes, plus a fork of the first half-way */
#define R_NSLOT		4096
#define R_BASE		0x10000ull
#define R_OPS		200000

struct rmodel {
	uint64_t	size[R_NPROC][R_NSLOT];
	uint8_t		live[R_NPROC][R_NSLOT];
	uint8_t		inh[R_NPROC][R_NSLOT];
	uint8_t		fn[R_NPROC][R_NSLOT];
	int		nlive[R_NPROC];
	struct mr_pair_stats st;
};

/* A thread's pending events: one operation at a time. */
struct rthread {
	struct mr_event	ev[6];
	int		nev;
	int		next;
	int		tid;
	int		proc;
	/* What the last event of the operation does to the model. */
	int		op;
	uint64_t	old;
	uint64_t	newp;
	uint64_t	size;
	enum mr_fn	fn;
};

enum { OP_ALLOC, OP_FREE, OP_REALLOC, OP_FAIL, OP_FORK };

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t slot_ptr(int slot)
{
	return R_BASE + (uint64_t)slot * 32;
}

static int ptr_slot(uint64_t ptr)
{
	return (int)((ptr - R_BASE) / 32);
}

static void model_alloc(struct rmodel *m, int pr, uint64_t ptr, uint64_t size, enum mr_fn fn)
{
	int s = ptr_slot(ptr);

	m->st.allocs++;
	m->st.alloc_bytes += size;
	if (m->live[pr][s])
		m->st.replaced++;
	else
		m->nlive[pr]++;
	m->live[pr][s] = 1;
	m->size[pr][s] = size;
	m->inh[pr][s] = 0;
	m->fn[pr][s] = fn;
}

static void model_free(struct rmodel *m, int pr, uint64_t ptr)
{
	int s;

	if (!ptr) {
		m->st.null_frees++;
		return;
	}
	s = ptr_slot(ptr);
	if (!m->live[pr][s]) {
		m->st.unmatched_frees++;
		return;
	}
	m->st.frees++;
	m->st.free_bytes += m->size[pr][s];
	m->live[pr][s] = 0;
	m->nlive[pr]--;
}

static void model_apply(struct rmodel *m, const struct rthread *t)
{
	int pr = t->proc;

	switch (t->op) {
	case OP_ALLOC:
		model_alloc(m, pr, t->newp, t->size, t->fn);
		break;
	case OP_FREE:
		model_free(m, pr, t->old);
		break;
	case OP_FAIL:
		m->st.failed_allocs++;
		break;
	case OP_REALLOC:
		if (m->live[pr][ptr_slot(t->old)])
			m->st.reallocs++;
		model_free(m, pr, t->old);
		model_alloc(m, pr, t->newp, t->size, t->fn);
		break;
	case OP_FORK:
		memcpy(m->live[3], m->live[0], sizeof(m->live[0]));
		memcpy(m->size[3], m->size[0], sizeof(m->size[0]));
		memcpy(m->fn[3], m->fn[0], sizeof(m->fn[0]));
		for (int s = 0; s < R_NSLOT; s++)
			m->inh[3][s] = m->live[0][s];
		m->nlive[3] = m->nlive[0];
		break;
	}
}

static void r_push(struct rthread *t, enum mr_ev_kind kind, enum mr_fn fn,
		   uint64_t a0, uint64_t a1, uint64_t a2, uint64_t r)
{
	struct mr_event *ev = &t->ev[t->nev++];

	*ev = (struct mr_event){ .kind = kind, .fn = fn, .tid = t->tid, .ret = r,
				 .caller = 0x500000 + fn, .args = { a0, a1, a2 } };
}

/* A free slot most of the time; any slot now and then, to exercise replaced. */
static uint64_t r_pick_new(const struct rmodel *m, int pr, uint64_t *seed)
{
	int s = rnd(seed) % R_NSLOT;

	if (rnd(seed) % 50 == 0)
		return slot_ptr(s);
	for (int i = 0; i < R_NSLOT && m->live[pr][s]; i++)
		s = (s + 1) % R_NSLOT;
	return slot_ptr(s);
}

static uint64_t r_pick_old(const struct rmodel *m, int pr, uint64_t *seed)
{
	int s = rnd(seed) % R_NSLOT;

	if (rnd(seed) % 20 == 0)
		return slot_ptr(s);	/* maybe not live: unmatched */
	for (int i = 0; i < R_NSLOT && !m->live[pr][s]; i++)
		s = (s + 1) % R_NSLOT;
	return slot_ptr(s);
}

/* Builds the events of one random operation; nested counts what it nests. */
static void r_plan(struct rthread *t, const struct rmodel *m, uint64_t *seed, uint64_t *nested)
{
	uint64_t size = 1 + rnd(seed) % 512, p = 0, old;
	int pr = t->proc, k = rnd(seed) % 100;

	/* Keep about half the slots live: frees win when the heap is full. */
	if (m->nlive[pr] > R_NSLOT / 2 && rnd(seed) % 2)
		k = 30 + rnd(seed) % 25;

	t->nev = t->next = 0;
	t->op = OP_ALLOC;
	t->size = size;
	if (k < 30) {
		p = r_pick_new(m, pr, seed);
		r_push(t, MR_EV_ENTER, MR_FN_MALLOC, size, 0, 0, 0);
		r_push(t, MR_EV_RETURN, MR_FN_MALLOC, 0, 0, 0, p);
		t->fn = MR_FN_MALLOC;
	} else if (k < 55) {
		t->op = OP_FREE;
		t->old = rnd(seed) % 40 ? r_pick_old(m, pr, seed) : 0;
		r_push(t, MR_EV_ENTER, MR_FN_FREE, t->old, 0, 0, 0);
		return;
	} else if (k < 65) {
		p = r_pick_new(m, pr, seed);
		r_push(t, MR_EV_ENTER, MR_FN_CALLOC, 2, size, 0, 0);
		r_push(t, MR_EV_RETURN, MR_FN_CALLOC, 0, 0, 0, p);
		t->fn = MR_FN_CALLOC;
		t->size = 2 * size;
	} else if (k < 78) {
		old = r_pick_old(m, pr, seed);
		p = rnd(seed) % 3 ? r_pick_new(m, pr, seed) : old;
		r_push(t, MR_EV_ENTER, MR_FN_REALLOC, old, size, 0, 0);
		if (rnd(seed) % 4 == 0) {	/* glibc may malloc inside realloc */
			r_push(t, MR_EV_ENTER, MR_FN_MALLOC, size, 0, 0, 0);
			r_push(t, MR_EV_RETURN, MR_FN_MALLOC, 0, 0, 0, p);
			(*nested)++;
		}
		r_push(t, MR_EV_RETURN, MR_FN_REALLOC, 0, 0, 0, p);
		t->op = OP_REALLOC;
		t->old = old;
		t->fn = MR_FN_REALLOC;
	} else if (k < 83) {
		t->op = OP_FREE;
		t->old = r_pick_old(m, pr, seed);
		r_push(t, MR_EV_ENTER, MR_FN_REALLOC, t->old, 0, 0, 0);
		r_push(t, MR_EV_ENTER, MR_FN_FREE, t->old, 0, 0, 0);
		r_push(t, MR_EV_RETURN, MR_FN_REALLOC, 0, 0, 0, 0);
		(*nested)++;
	} else if (k < 88) {
		p = r_pick_new(m, pr, seed);
		r_push(t, MR_EV_ENTER, MR_FN_REALLOCARRAY, 0, 4, size, 0);
		r_push(t, MR_EV_ENTER, MR_FN_REALLOC, 0, 4 * size, 0, 0);
		r_push(t, MR_EV_ENTER, MR_FN_MALLOC, 4 * size, 0, 0, 0);
		r_push(t, MR_EV_RETURN, MR_FN_MALLOC, 0, 0, 0, p);
		r_push(t, MR_EV_RETURN, MR_FN_REALLOC, 0, 0, 0, p);
		r_push(t, MR_EV_RETURN, MR_FN_REALLOCARRAY, 0, 0, 0, p);
		t->fn = MR_FN_REALLOCARRAY;
		t->size = 4 * size;
		*nested += 2;
	} else if (k < 93) {
		p = r_pick_new(m, pr, seed);
		r_push(t, MR_EV_ENTER, MR_FN_STRDUP, 0x1234, 0, 0, 0);
		r_push(t, MR_EV_ENTER, MR_FN_MALLOC, size, 0, 0, 0);
		r_push(t, MR_EV_RETURN, MR_FN_MALLOC, 0, 0, 0, p);
		r_push(t, MR_EV_RETURN, MR_FN_STRDUP, 0, 0, 0, p);
		t->fn = MR_FN_STRDUP;
		*nested += 1;
	} else if (k < 97) {
		p = r_pick_new(m, pr, seed);
		r_push(t, MR_EV_ENTER, MR_FN_POSIX_MEMALIGN, 0x7ff0, 64, size, 0);
		r_push(t, MR_EV_ENTER, MR_FN_MEMALIGN_INT, 64, size, 0, 0);
		r_push(t, MR_EV_RETURN, MR_FN_MEMALIGN_INT, 0, 0, 0, p);
		r_push(t, MR_EV_RETURN, MR_FN_POSIX_MEMALIGN, 0, 0, 0, 0);
		t->fn = MR_FN_POSIX_MEMALIGN;
		*nested += 1;
	} else {
		t->op = OP_FAIL;
		r_push(t, MR_EV_ENTER, MR_FN_MALLOC, size, 0, 0, 0);
		r_push(t, MR_EV_RETURN, MR_FN_MALLOC, 0, 0, 0, 0);
		return;
	}
	t->newp = p;
}

struct rcheck {
	const struct rmodel	*m;
	struct mr_pairing	*p;
	uint64_t		n;
	uint64_t		bad;
	uint64_t		badinh;
	uint64_t		badstack;
};

static int rcheck_cb(const struct mr_block *b, void *ctx)
{
	struct rcheck *c = ctx;
	int pr = b->aspace, s = ptr_slot(b->ptr), nr;
	const uint64_t *fr = mr_pairing_stack(c->p, b->stack, &nr);

	c->n++;
	if (pr >= R_NPROC || !c->m->live[pr][s] || c->m->size[pr][s] != b->size ||
	    c->m->fn[pr][s] != b->fn)
		c->bad++;
	else if (c->m->inh[pr][s] != b->inherited)
		c->badinh++;
	if (nr != 1 || fr[0] != 0x500000 + b->fn)
		c->badstack++;
	return 0;
}

static uint64_t model_nr_live(const struct rmodel *m)
{
	uint64_t n = 0;

	for (int pr = 0; pr < R_NPROC; pr++)
		for (int s = 0; s < R_NSLOT; s++)
			n += m->live[pr][s];
	return n;
}

static void test_random(void)
{
	static const int pids[R_NPROC] = { 100, 200, 300, 400 };
	struct rmodel *m = mr_xcalloc(1, sizeof(*m));
	struct feed f = feed_new();
	struct rthread th[7];
	uint64_t seed = 0x9e3779b97f4a7c15ull, ops = 0, nested = 0, midbad = 0;
	int nth = 6;
	bool forked = false;
	struct rcheck c;

	/* Processes 100, 200, 300 with two threads each, in aspaces 0, 1, 2. */
	for (int i = 0; i < 3; i++) {
		th[2 * i] = (struct rthread){ .tid = pids[i], .proc = i };
		th[2 * i + 1] = (struct rthread){ .tid = pids[i] + 1, .proc = i };
		free_ev(&f, pids[i], 0);
		task_new(&f, pids[i], pids[i] + 1, PTHREAD_FLAGS, "w");
		m->st.null_frees++;
	}
	while (ops < R_OPS) {
		struct rthread *t = &th[rnd(&seed) % nth];
		struct mr_event ev;

		if (t->next == t->nev) {
			ops++;
			if (!forked && ops >= R_OPS / 2 && t == &th[0]) {
				/* Fork from the idle thread 100; 400 then allocates too. */
				task_new(&f, 100, 400, SIGCHLD_FLAG, "forked");
				t->op = OP_FORK;
				model_apply(m, t);
				th[nth++] = (struct rthread){ .tid = 400, .proc = 3 };
				forked = true;
				continue;
			}
			r_plan(t, m, &seed, &nested);
		}
		ev = t->ev[t->next++];
		ev.ts = f.ts += 10;
		mr_pairing_feed(f.p, &ev);
		if (t->next == t->nev)
			model_apply(m, t);
		if (ops % 25000 == 0 && t->next == t->nev)
			midbad += nr_live(&f, ANY) != model_nr_live(m);
	}
	for (int i = 0; i < nth; i++)
		while (th[i].next < th[i].nev) {
			struct mr_event ev = th[i].ev[th[i].next++];

			ev.ts = f.ts += 10;
			mr_pairing_feed(f.p, &ev);
			if (th[i].next == th[i].nev)
				model_apply(m, &th[i]);
		}
	m->st.nested = nested;

	MR_CHECK_EQ(mr_tasks_nr_aspaces(f.m), 4, "random: 4 aspaces");
	MR_CHECK_EQ(midbad, 0, "random: live count matched the model along the way");
	c = (struct rcheck){ .m = m, .p = f.p };
	mr_pairing_for_each_live(f.p, rcheck_cb, &c);
	MR_CHECK_EQ(c.n, model_nr_live(m), "random: live block count");
	MR_CHECK_EQ(c.bad, 0, "random: every live block is the model's (aspace, ptr, size, fn)");
	MR_CHECK_EQ(c.badinh, 0, "random: inherited flags match");
	MR_CHECK_EQ(c.badstack, 0, "random: stacks are the outermost return's");
#define SAME(field) MR_CHECK_EQ(st(&f)->field, m->st.field, "random: stats." #field)
	SAME(allocs);
	SAME(alloc_bytes);
	SAME(frees);
	SAME(free_bytes);
	SAME(unmatched_frees);
	SAME(null_frees);
	SAME(failed_allocs);
	SAME(reallocs);
	SAME(nested);
	SAME(replaced);
#undef SAME
	MR_CHECK_EQ(st(&f)->orphan_entries + st(&f)->orphan_returns, 0, "random: no orphans");
	MR_CHECK(m->st.replaced > 0 && m->st.unmatched_frees > 0 && m->st.reallocs > 0 &&
		 c.n > 1000, "random: the run exercised every path", "replaced %llu unmatched %llu",
		 (unsigned long long)m->st.replaced, (unsigned long long)m->st.unmatched_frees);
	free(m);
	done(&f);
}

/*
 * A kernel whose sched_process_exit has no group_dead (6.1): whether an
 * exit ends its process is the model's to say, from the tasks it knows.
 */
static void test_exit_without_group_dead(void)
{
	struct feed f = feed_new();

	malloc_ev(&f, 100, 8, 0x1000);
	task_new(&f, 100, 101, PTHREAD_FLAGS, "worker");
	task_new(&f, 100, 102, PTHREAD_FLAGS, "worker");
	MR_CHECK(!mr_tasks_last_of_group(f.m, 101, 0), "no group_dead: a thread with siblings",
		 "last");
	exit_ev(&f, 101, 0, "worker");
	MR_CHECK(!mr_tasks_last_of_group(f.m, 100, 100),
		 "no group_dead: the leader while a thread lives", "last");
	exit_ev(&f, 100, 0, "prog");
	MR_CHECK(!mr_tasks_aspace(f.m, 0)->exited, "no group_dead: the leader gone first", "ended");
	MR_CHECK(mr_tasks_last_of_group(f.m, 102, 0), "no group_dead: the last thread",
		 "not last");
	task_new(&f, 102, 200, SIGCHLD_FLAG, "child");
	MR_CHECK(mr_tasks_last_of_group(f.m, 200, 0), "no group_dead: a forked child is alone",
		 "not last");
	MR_CHECK(mr_tasks_last_of_group(f.m, 102, 100),
		 "no group_dead: a forked child is not a thread of its parent's", "not last");
	done(&f);
}

int main(void)
{
	test_malloc_free();
	test_plain_allocators();
	test_realloc();
	test_realloc_zero_nested_free();
	test_reallocarray_nested();
	test_strdup();
	test_posix_memalign();
	test_tail_call();
	test_new_nesting();
	test_threads_interleave();
	test_orphans();
	test_lost_and_dlopen();
	test_replaced();
	test_for_each_stop();
	test_stacks();
	test_first_sight();
	test_thread_free();
	test_fork();
	test_fork_big();
	test_vfork();
	test_exec();
	test_exit_and_reuse();
	test_exit_without_group_dead();
	test_random();
	return mr_test_done();
}
