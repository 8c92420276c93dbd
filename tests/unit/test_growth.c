// SPDX-License-Identifier: GPL-2.0
/*
 * test_growth.c - the growth of leak sites (report/leak/growth.c): the
 * verdict on synthetic series, each rule and its thresholds on both sides;
 * the tracker's intervals as they double, worked out by hand, with a site
 * left untouched across several doublings, a free, times that go back and
 * one far in the future; and rows of the leak analyser getting their
 * site's series through the pairing's hooks.
 */
#include "memrec.h"
#include "mr_test.h"
#include "leak/leak.h"

#define US	1000ull

/* ---- the verdict ---- */

static const char *verdict(const uint64_t *s, unsigned n, uint64_t peak)
{
	const char *v = mr_growth_name(mr_growth_verdict(s, n, peak));

	return v ? v : "none";
}

#define CHECK_VERDICT(s, n, peak, want, name)						\
	MR_CHECK(!strcmp(verdict(s, n, peak), want), name, "%s, expected %s",		\
		 verdict(s, n, peak), want)

static void test_verdicts(void)
{
	uint64_t s[64];

	for (int i = 0; i < 48; i++)
		s[i] = 1000 * (i + 1);
	CHECK_VERDICT(s, 48, 48000, "growing", "verdict: a steady rise to the end is growing");
	for (int i = 0; i < 48; i++)
		s[i] = i < 24 ? 1000 * (i + 1) : 24000;
	CHECK_VERDICT(s, 48, 24000, "plateau", "verdict: filled by half time, flat since: plateau");
	for (int i = 0; i < 48; i++)
		s[i] = 4096;
	CHECK_VERDICT(s, 48, 4096, "plateau", "verdict: one block from the start: plateau");
	for (int i = 0; i < 48; i++)
		s[i] = i == 47 ? 4096 : 0;
	CHECK_VERDICT(s, 48, 4096, "plateau", "verdict: one block in the last interval: plateau");
	s[46] = 2048;
	CHECK_VERDICT(s, 48, 4096, "growing", "verdict: rises in two late intervals: growing");
	for (int i = 0; i < 48; i++)
		s[i] = i < 8 ? 0 : i < 20 ? 51200 : 2560;
	CHECK_VERDICT(s, 48, 51200, "transient", "verdict: a burst, 95% freed: transient");
	s[47] = 12800;
	CHECK_VERDICT(s, 48, 51200, "transient", "verdict: a quarter of the peak left: transient");
	s[47] = 12801;
	CHECK_VERDICT(s, 48, 51200, "plateau", "verdict: more than a quarter left: plateau");
	for (int i = 0; i < 48; i++)
		s[i] = 2560;
	CHECK_VERDICT(s, 48, 51200, "transient",
		      "verdict: a peak between samples counts: transient");

	/* a full cache churning: the last quarter 1/16 above the one before, or less */
	for (int i = 0; i < 48; i++)
		s[i] = i < 12 ? 1000 * i : i % 2 ? 16000 : 15000;
	s[44] = 17000;
	s[47] = 17000;
	CHECK_VERDICT(s, 48, 17000, "plateau", "verdict: +1/16 over the quarter before: plateau");
	s[44] = 17001;
	s[47] = 17001;
	CHECK_VERDICT(s, 48, 17001, "growing", "verdict: above +1/16 over it: growing");
	s[47] = 17001 - 17001 / 16 - 1;
	CHECK_VERDICT(s, 48, 17001, "plateau", "verdict: fell back from the new high: plateau");

	/* a leak that starts after a burst was freed */
	for (int i = 0; i < 48; i++)
		s[i] = i < 4 ? 0 : i < 10 ? 100000 : i < 24 ? 0 : 500 * (i - 23);
	CHECK_VERDICT(s, 48, 100000, "growing", "verdict: a leak after a freed burst: growing");

	/* short series: no trend in fewer than 4 intervals */
	s[0] = 10, s[1] = 20, s[2] = 30, s[3] = 40;
	CHECK_VERDICT(s, 3, 30, "plateau", "verdict: 3 rising intervals: plateau");
	CHECK_VERDICT(s, 4, 40, "growing", "verdict: 4 rising intervals: growing");
	CHECK_VERDICT(s, 1, 10, "plateau", "verdict: 1 interval: plateau");
	CHECK_VERDICT(s, 0, 10, "none", "verdict: no series: none");
}

/* ---- the tracker ---- */

static struct mr_block blk(uint32_t stack, uint64_t size, uint64_t ts)
{
	return (struct mr_block){ .ptr = 0x1000, .size = size, .ts = ts, .aspace = 1,
				  .stack = stack, .fn = MR_FN_MALLOC };
}

static bool series_is(const struct mr_growth_site *s, unsigned n, const uint64_t *want)
{
	if (!s)
		return false;
	for (unsigned i = 0; i < n; i++)
		if (s->v[i] != want[i]) {
			printf("# interval %u: %llu, expected %llu\n", i,
			       (unsigned long long)s->v[i], (unsigned long long)want[i]);
			return false;
		}
	return true;
}

static void test_tracker(void)
{
	struct mr_growth_tracker g = { 0 };
	struct mr_block a1 = blk(1, 100, 10 * US), a2 = blk(1, 50, 100 * US), b = blk(2, 7, 1 * US);
	uint64_t want_a[64], want_b[64];

	mr_growth_start(&g, 0);
	mr_growth_live(&g, &b);		/* interval 1 of 1 us */
	mr_growth_live(&g, &a1);	/* interval 10 of 1 us */
	mr_growth_live(&g, &a2);	/* 100 us: 2 us wide now, interval 50 */
	mr_growth_dead(&g, &a1, 150 * US);	/* 4 us wide, interval 37 */
	mr_growth_dead(&g, &a2, 120 * US);	/* back in time: lands in interval 37 too */
	mr_growth_live(&g, &a2);		/* again, at 100 us: interval 37 as well */
	mr_growth_finish(&g, 200 * US);		/* 4 us wide: intervals 0..50 */
	MR_CHECK_EQ(mr_growth_interval_ns(&g), 4 * US, "tracker: 1 us doubled twice");
	MR_CHECK_EQ(g.npoints, 51, "tracker: 200 us in 4-us intervals, the end's included");
	/* a: 100 from 8 us (interval 2), 150 from 100 us (25), 50 at 150 us (37) */
	for (int i = 0; i < 51; i++) {
		want_a[i] = i < 2 ? 0 : i < 25 ? 100 : i < 37 ? 150 : 50;
		want_b[i] = 7;
	}
	MR_CHECK(series_is(mr_growth_find(&g, 1, 1, MR_FN_MALLOC), 51, want_a),
		 "tracker: a site's series across two doublings, a free, a time back",
		 "see above");
	MR_CHECK(series_is(mr_growth_find(&g, 1, 2, MR_FN_MALLOC), 51, want_b),
		 "tracker: a site untouched since before two doublings catches up", "see above");
	MR_CHECK_EQ(mr_growth_find(&g, 1, 1, MR_FN_MALLOC)->peak, 150, "tracker: a's peak");
	MR_CHECK(!mr_growth_find(&g, 1, 1, MR_FN_CALLOC) && !mr_growth_find(&g, 2, 1, MR_FN_MALLOC),
		 "tracker: the allocator and the address space are part of the key", "found");
	mr_growth_release(&g);

	/* a damaged file's far future: the widest interval, no overflow, still <= 64 */
	mr_growth_start(&g, 0);
	b.ts = 5 * US;
	mr_growth_live(&g, &b);
	b.ts = UINT64_MAX - 1;
	mr_growth_live(&g, &b);
	mr_growth_finish(&g, UINT64_MAX);
	MR_CHECK(g.npoints >= 1 && g.npoints <= MR_GROWTH_POINTS &&
		 g.sites[0].v[g.npoints - 1] == 14 && g.sites[0].v[0] == 7,
		 "tracker: times up to 2^64 fit", "npoints %u, first %llu, last %llu",
		 g.npoints, (unsigned long long)g.sites[0].v[0],
		 (unsigned long long)g.sites[0].v[g.npoints - 1]);
	mr_growth_release(&g);
}

/* ---- rows of the leak analyser, fed through the pairing's hooks ---- */

static void on_live(const struct mr_block *b, void *g)
{
	mr_growth_live(g, b);
}

static void on_dead(const struct mr_block *b, uint64_t ts, void *g)
{
	mr_growth_dead(g, b, ts);
}

static const uint64_t STACK[] = { 0x401000, 0x402000 };

static void call(struct mr_ctx *ctx, uint64_t ts, uint64_t size, uint64_t ret)
{
	struct mr_event e = { .ts = ts, .kind = MR_EV_ENTER, .fn = MR_FN_MALLOC, .tid = 100,
			      .tgid = 100, .args = { size } };

	mr_tasks_feed(ctx->tasks, &e);
	mr_pairing_feed(ctx->pairing, &e);
	e = (struct mr_event){ .ts = ts + 1, .kind = MR_EV_RETURN, .fn = MR_FN_MALLOC,
			       .tid = 100, .tgid = 100, .ret = ret, .stack = STACK, .nr_stack = 2 };
	mr_tasks_feed(ctx->tasks, &e);
	mr_pairing_feed(ctx->pairing, &e);
}

static void test_rows(void)
{
	struct mr_report_opts o = { .input = "synthetic.dat" };
	struct mr_ctx ctx = { .o = &o };
	struct mr_growth_tracker g = { 0 };
	struct mr_leaks l;

	ctx.tasks = mr_tasks_new();
	ctx.pairing = mr_pairing_new(ctx.tasks);
	mr_pairing_set_hooks(ctx.pairing, &(struct mr_pairing_hooks){ on_live, on_dead, &g });
	mr_growth_start(&g, 0);
	/* 10 bytes every 1 ms for 40 ms (the end): a leak; 0 and 1 ms fall in interval 0 */
	for (uint64_t i = 0; i < 40; i++)
		call(&ctx, i * 1000 * US, 10, 0x1000 + 16 * i);
	ctx.end_ts = 40 * 1000 * US;
	mr_pairing_finish(ctx.pairing, ctx.end_ts);
	mr_leaks_build(&ctx, &l);
	mr_growth_finish(&g, ctx.end_ts);
	mr_leaks_add_growth(&l, &g);
	MR_CHECK(l.nr == 1 && l.rows[0].bytes == 400 && l.rows[0].nseries == 40 &&
		 l.rows[0].series[0] == 20 && l.rows[0].series[39] == 400 &&
		 l.rows[0].peak_bytes == 400 && l.rows[0].growth == MR_GROWTH_GROWING &&
		 l.interval_ns == 1024 * US,
		 "rows: 40 mallocs in 40 ms, 1.024-ms intervals, growing",
		 "%zu rows, %u intervals", l.nr, l.nr ? l.rows[0].nseries : 0);
	mr_leaks_release(&l);
	mr_growth_release(&g);
	mr_pairing_free(ctx.pairing);
	mr_tasks_free(ctx.tasks);
}

int main(void)
{
	test_verdicts();
	test_tracker();
	test_rows();
	return mr_test_done();
}
