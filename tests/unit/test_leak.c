// SPDX-License-Identifier: GPL-2.0
/*
 * test_leak.c - the leak analyser on synthetic event streams with answers
 * worked out by hand: grouping per (process, stack, allocator) with sizes
 * and ages, the order of the rows, --min-age with blocks of mixed ages,
 * blocks a child inherits at fork with and without --inherited, and --pid.
 */
#include "memrec.h"
#include "mr_test.h"
#include "leak/leak.h"

#define T0	1000000000ull		/* the first event: 1 s on the trace clock */
#define MS	1000000ull

static const uint64_t STACK_A[] = { 0x401000, 0x402000 };
static const uint64_t STACK_B[] = { 0x403000, 0x402000 };
static const uint64_t STACK_C[] = { 0x404000 };
static const uint64_t STACK_D[] = { 0x405000 };

struct world {
	struct mr_report_opts	o;
	struct mr_ctx		ctx;
	struct mr_leaks		l;
};

static void put(struct world *w, struct mr_event *ev)
{
	mr_tasks_feed(w->ctx.tasks, ev);
	mr_pairing_feed(w->ctx.pairing, ev);
}

/* One outermost call of tid at ts ms: entry, then its return with the stack. */
static void call(struct world *w, uint64_t ms, int pid, enum mr_fn fn, uint64_t a0, uint64_t a1,
		 uint64_t ret, const uint64_t *stack, int nr)
{
	struct mr_event e = { .ts = T0 + ms * MS, .kind = MR_EV_ENTER, .fn = fn, .tid = pid,
			      .tgid = pid, .args = { a0, a1 } };

	put(w, &e);
	e = (struct mr_event){ .ts = T0 + ms * MS + 1, .kind = MR_EV_RETURN, .fn = fn, .tid = pid,
			       .tgid = pid, .ret = ret, .stack = stack, .nr_stack = nr };
	put(w, &e);
}

static void do_free(struct world *w, uint64_t ms, int pid, uint64_t ptr)
{
	struct mr_event e = { .ts = T0 + ms * MS, .kind = MR_EV_ENTER, .fn = MR_FN_FREE,
			      .tid = pid, .tgid = pid, .args = { ptr } };

	put(w, &e);
}

static void fork_ev(struct world *w, uint64_t ms, int parent, int child)
{
	struct mr_event e = { .ts = T0 + ms * MS, .kind = MR_EV_TASK_NEW, .tid = parent,
			      .tgid = parent, .child_tid = child, .comm = "prog" };

	put(w, &e);
}

static void world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->o.input = "synthetic.dat";
	w->ctx.o = &w->o;
	w->ctx.tasks = mr_tasks_new();
	w->ctx.pairing = mr_pairing_new(w->ctx.tasks);
}

/* Builds the rows as the leak analyser does at the end, 1 s after T0. */
static void build(struct world *w)
{
	w->ctx.end_ts = T0 + 1000 * MS;
	mr_pairing_finish(w->ctx.pairing, w->ctx.end_ts);
	mr_leaks_release(&w->l);
	mr_leaks_build(&w->ctx, &w->l);
}

static void world_release(struct world *w)
{
	mr_leaks_release(&w->l);
	mr_pairing_free(w->ctx.pairing);
	mr_tasks_free(w->ctx.tasks);
}

static bool row_is(const struct mr_leak *r, enum mr_fn fn, uint64_t bytes, uint64_t count,
		   uint64_t smin, uint64_t smax, uint64_t first_ms, uint64_t last_ms)
{
	return r->fn == fn && r->bytes == bytes && r->count == count && r->size_min == smin &&
	       r->size_max == smax && r->ts_min == T0 + first_ms * MS &&
	       r->ts_max == T0 + last_ms * MS;	/* a block dates from its call's entry */
}

static void test_grouping(void)
{
	struct world w;

	world_init(&w);
	call(&w, 10, 100, MR_FN_MALLOC, 10, 0, 0x1000, STACK_A, 2);
	call(&w, 20, 100, MR_FN_MALLOC, 20, 0, 0x2000, STACK_A, 2);
	call(&w, 30, 100, MR_FN_MALLOC, 30, 0, 0x3000, STACK_A, 2);
	do_free(&w, 40, 100, 0x2000);
	call(&w, 50, 100, MR_FN_MALLOC, 100, 0, 0x4000, STACK_B, 2);
	call(&w, 60, 100, MR_FN_MALLOC, 100, 0, 0x5000, STACK_B, 2);
	call(&w, 70, 100, MR_FN_CALLOC, 2, 8, 0x6000, STACK_A, 2);
	call(&w, 80, 100, MR_FN_MALLOC, 7, 0, 0x7000, STACK_C, 1);
	do_free(&w, 90, 100, 0x7000);
	build(&w);
	MR_CHECK_EQ(w.l.nr, 3, "grouping: three sites (a freed site is no row)");
	MR_CHECK_EQ(w.l.bytes, 256, "grouping: 40 + 200 + 16 bytes");
	MR_CHECK_EQ(w.l.count, 5, "grouping: 2 + 2 + 1 blocks");
	MR_CHECK(w.l.nr == 3 && row_is(&w.l.rows[0], MR_FN_MALLOC, 200, 2, 100, 100, 50, 60),
		 "grouping: first the biggest, B's two 100-byte mallocs", "row 0 wrong");
	MR_CHECK(w.l.nr == 3 && row_is(&w.l.rows[1], MR_FN_MALLOC, 40, 2, 10, 30, 10, 30),
		 "grouping: A's mallocs, 10..30 bytes, the freed 20 left out", "row 1 wrong");
	MR_CHECK(w.l.nr == 3 && row_is(&w.l.rows[2], MR_FN_CALLOC, 16, 1, 16, 16, 70, 70),
		 "grouping: A's calloc(2, 8) is a row of its own", "row 2 wrong");
	MR_CHECK(w.l.nr == 3 && w.l.rows[1].stack == w.l.rows[2].stack &&
		 w.l.rows[0].stack != w.l.rows[1].stack,
		 "grouping: the same stack id for A's rows, another for B", "stack ids");
	world_release(&w);
}

static void test_min_age(void)
{
	struct world w;

	world_init(&w);
	/* ages at the end (1000 ms): 990, 700, 450, 300 and 100 ms */
	call(&w, 10, 100, MR_FN_MALLOC, 1, 0, 0x1000, STACK_A, 2);
	call(&w, 300, 100, MR_FN_MALLOC, 2, 0, 0x2000, STACK_A, 2);
	call(&w, 550, 100, MR_FN_MALLOC, 4, 0, 0x3000, STACK_B, 2);
	call(&w, 700, 100, MR_FN_MALLOC, 8, 0, 0x4000, STACK_A, 2);
	call(&w, 900, 100, MR_FN_MALLOC, 16, 0, 0x5000, STACK_B, 2);
	w.o.min_age_s = 0.5;
	build(&w);
	MR_CHECK_EQ(w.l.young_count, 3, "--min-age 0.5: the 450, 300 and 100 ms old blocks left out");
	MR_CHECK_EQ(w.l.nr, 1, "--min-age 0.5: only A is left");
	MR_CHECK(w.l.nr == 1 && row_is(&w.l.rows[0], MR_FN_MALLOC, 3, 2, 1, 2, 10, 300),
		 "--min-age 0.5: A's 1- and 2-byte blocks", "row wrong");
	w.o.min_age_s = 0.35;
	build(&w);
	MR_CHECK_EQ(w.l.young_count, 2, "--min-age 0.35: two left out");
	MR_CHECK_EQ(w.l.bytes, 7, "--min-age 0.35: 1 + 2 + 4 bytes");
	w.o.min_age_s = 0;
	build(&w);
	MR_CHECK_EQ(w.l.young_count, 0, "no --min-age: none left out");
	MR_CHECK_EQ(w.l.bytes, 31, "no --min-age: every block");
	world_release(&w);
}

static void test_inherited(void)
{
	struct world w;

	world_init(&w);
	call(&w, 10, 100, MR_FN_MALLOC, 64, 0, 0x1000, STACK_C, 1);
	call(&w, 20, 100, MR_FN_MALLOC, 8, 0, 0x2000, STACK_C, 1);
	fork_ev(&w, 30, 100, 200);
	do_free(&w, 40, 200, 0x2000);		/* the child frees its copy of one */
	call(&w, 50, 200, MR_FN_MALLOC, 32, 0, 0x3000, STACK_D, 1);
	build(&w);
	MR_CHECK_EQ(w.l.nr, 2, "fork: the parent's site and the child's own");
	MR_CHECK_EQ(w.l.inherited_count, 1, "fork: one copy the child never freed, left out");
	MR_CHECK_EQ(w.l.inherited_bytes, 64, "fork: its 64 bytes");
	MR_CHECK_EQ(w.l.bytes, 72 + 32, "fork: the parent's 72 and the child's 32 bytes");
	w.o.inherited = true;
	build(&w);
	MR_CHECK_EQ(w.l.nr, 3, "--inherited: the child's inherited row too");
	MR_CHECK_EQ(w.l.inherited_count, 0, "--inherited: nothing left out");
	MR_CHECK(w.l.nr == 3 && w.l.rows[1].inherited && w.l.rows[1].bytes == 64 &&
		 mr_ctx_aspace_pid(&w.ctx, w.l.rows[1].aspace) == 200,
		 "--inherited: 64 bytes in pid 200, marked inherited", "row 1 wrong");
	w.o.pid = 200;
	build(&w);
	MR_CHECK_EQ(w.l.nr, 2, "--pid 200 --inherited: the child's two rows");
	MR_CHECK_EQ(w.l.bytes, 96, "--pid 200 --inherited: 64 + 32 bytes");
	w.o.inherited = false;
	build(&w);
	MR_CHECK(w.l.nr == 1 && w.l.rows[0].bytes == 32 && !w.l.rows[0].inherited,
		 "--pid 200: the child's own 32 bytes only", "%zu rows", w.l.nr);
	world_release(&w);
}

int main(void)
{
	test_grouping();
	test_min_age();
	test_inherited();
	return mr_test_done();
}
