// SPDX-License-Identifier: GPL-2.0
/*
 * test_kmem.c - the kernel side on synthetic events: the u64 map against a
 * reference under random churn, slab and page pairing (frees by other tasks
 * and in interrupts, frees of objects from before, failed allocations), the
 * per-site waste and cross-CPU figures, the kernel leak rows, and the
 * objects on slab pages freed after them (the direct map's base learned).
 */
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "mr_test.h"
#include "mr_u64map.h"
#include "leak/leak.h"

static void map_random(void)
{
	enum { N = 4096 };
	static uint32_t ref[N];
	static bool in[N];
	struct mr_u64map m = { 0 };
	int bad = 0, live = 0;

	srand(7);
	for (int round = 0; round < 400000; round++) {
		int k = rand() % N;
		uint64_t key = (uint64_t)k * 0x1000 + 0xffff888100000000ull;

		if (rand() % 3) {
			ref[k] = round;
			live += !in[k];
			in[k] = true;
			mr_u64map_put(&m, key, round);
		} else {
			uint32_t v = 0;
			bool had = mr_u64map_del(&m, key, &v);

			bad += had != in[k] || (had && v != ref[k]);
			live -= in[k];
			in[k] = false;
		}
		if (round % 1000 == 0)
			for (int i = 0; i < N; i++) {
				uint32_t *v = mr_u64map_get(&m, (uint64_t)i * 0x1000 +
							    0xffff888100000000ull);

				bad += !v != !in[i] || (v && *v != ref[i]);
			}
	}
	MR_CHECK_EQ(bad, 0, "u64map: matches the reference under 400k random puts and deletes");
	MR_CHECK_EQ(m.nr, live, "u64map: the count");
	mr_u64map_release(&m);
}

static struct mr_event ev(enum mr_ev_kind kind, uint64_t ts, int tid, int cpu)
{
	struct mr_event e = { .ts = ts, .kind = kind, .tid = tid, .tgid = tid, .cpu = cpu };

	return e;
}

static void slab(struct mr_kmem *k, uint64_t ts, int tid, int cpu, uint64_t ptr, int req,
		 int alloc, const char *cache, uint64_t site, const uint64_t *ks, int nks)
{
	struct mr_event e = ev(MR_EV_SLAB_ALLOC, ts, tid, cpu);

	e.slab_alloc.ptr = ptr;
	e.slab_alloc.bytes_req = req;
	e.slab_alloc.bytes_alloc = alloc;
	e.slab_alloc.gfp_flags = 0xcc0;
	e.slab_alloc.call_site = site;
	e.cache = cache;
	e.kstack = ks;
	e.nr_kstack = nks;
	mr_kmem_feed(k, &e);
}

static void sfree(struct mr_kmem *k, uint64_t ts, int tid, int cpu, uint64_t ptr, bool irq)
{
	struct mr_event e = ev(MR_EV_SLAB_FREE, ts, tid, cpu);

	e.slab_free.ptr = ptr;
	e.irq = irq;
	mr_kmem_feed(k, &e);
}

static void page(struct mr_kmem *k, enum mr_ev_kind kind, uint64_t ts, int tid, int64_t pfn,
		 int order, int mt)
{
	struct mr_event e = ev(kind, ts, tid, 0);

	/* an alloc's fields begin as a free's: pfn, order */
	e.page_alloc.pfn = pfn;
	e.page_alloc.order = order;
	e.page_alloc.gfp_flags = 0x100cc0;
	e.page_alloc.migratetype = mt;
	mr_kmem_feed(k, &e);
}

static void pairing_and_rows(void)
{
	struct mr_report_opts o = { 0 };
	struct mr_ctx rep = { .o = &o };
	const uint64_t ks1[] = { 0xffffffff81000010, 0xffffffff81000020 };
	const uint64_t ks2[] = { 0xffffffff81000030 };
	struct mr_kleaks l = { 0 };
	struct mr_kmem *k;
	uint64_t held = 0;

	rep.tasks = mr_tasks_new();
	rep.pairing = mr_pairing_new(rep.tasks);
	k = mr_kmem_new(rep.tasks, rep.pairing, 2);
	/* 10 filp objects by pid 100: 4 freed by it, 3 by an RCU callback in pid 7's irq */
	for (int i = 0; i < 10; i++)
		slab(k, 100 + i, 100, i % 2, 0xffff888100000000ull + i * 256, 232, 256, "filp",
		     0xffffffff81111111, ks1, 2);
	for (int i = 0; i < 4; i++)
		sfree(k, 200 + i, 100, 0, 0xffff888100000000ull + i * 256, false);
	for (int i = 4; i < 7; i++)
		sfree(k, 300 + i, 7, 1, 0xffff888100000000ull + i * 256, true);
	sfree(k, 400, 7, 0, 0xffff888200000000ull, false);	/* allocated before */
	sfree(k, 401, 7, 0, 0, false);				/* kfree(NULL) */
	slab(k, 402, 100, 0, 0, 64, 64, NULL, 0xffffffff81222222, ks2, 1);	/* failed */
	/* kmalloc by pid 200: 2 x 100 bytes in kmalloc-128 */
	slab(k, 500, 200, 0, 0xffff888300000000ull, 100, 128, NULL, 0xffffffff81222222, ks2, 1);
	slab(k, 501, 200, 0, 0xffff888300000080ull, 100, 128, NULL, 0xffffffff81222222, ks2, 1);
	/* pages: order 2 held, order 0 freed, a failure, a free of an old page */
	page(k, MR_EV_PAGE_ALLOC, 600, 100, 0x1000, 2, 0);
	page(k, MR_EV_PAGE_ALLOC, 601, 100, 0x2000, 0, 1);
	page(k, MR_EV_PAGE_FREE, 602, 5, 0x2000, 0, 0);
	page(k, MR_EV_PAGE_ALLOC, 603, 100, -1, 3, 0);
	page(k, MR_EV_PAGE_FREE, 604, 5, 0x9000, 0, 0);

	MR_CHECK_EQ(k->st.slab_allocs, 12, "kmem: slab allocations (a failed one left out)");
	MR_CHECK_EQ(k->st.slab_frees, 7, "kmem: frees that matched");
	MR_CHECK_EQ(k->st.slab_frees_other, 3, "kmem: frees by another task (RCU)");
	MR_CHECK_EQ(k->st.slab_frees_irq, 3, "kmem: frees in interrupt context");
	MR_CHECK_EQ(k->st.slab_unmatched, 1, "kmem: a free of an object from before");
	MR_CHECK_EQ(k->nr_sites, 2, "kmem: two sites");
	MR_CHECK_EQ(k->sites[0].hits, 10, "kmem: filp hits");
	MR_CHECK_EQ(k->sites[0].bytes_alloc - k->sites[0].bytes_req, 240, "kmem: filp waste");
	/* objects 0..6 allocated on cpu i%2, freed on cpu 0 (0..3) or 1 (4..6): 1, 3, 4, 6 moved */
	MR_CHECK_EQ(k->sites[0].cross_cpu, 4, "kmem: cross-CPU frees");
	MR_CHECK_EQ(k->sites[1].bytes_alloc - k->sites[1].bytes_req, 56, "kmem: kmalloc waste");
	MR_CHECK_EQ(k->st.page_allocs, 2, "kmem: page allocations");
	MR_CHECK_EQ(k->st.page_fails, 1, "kmem: a failed page allocation");
	MR_CHECK_EQ(k->st.fails[3], 1, "kmem: it was order 3");
	MR_CHECK_EQ(k->st.page_frees, 1, "kmem: page frees that matched");
	MR_CHECK_EQ(k->st.page_frees_other, 1, "kmem: by another task");
	MR_CHECK_EQ(k->st.page_unmatched, 1, "kmem: a page from before");
	MR_CHECK_EQ(k->st.allocs[2][0] + k->st.allocs[0][1], 2, "kmem: order x migratetype");

	mr_kmem_leaks(k, &rep, &l);
	MR_CHECK(l.recorded, "kmem: rows: the file has kernel events", "no");
	MR_CHECK_EQ(l.nr, 3, "kmem: rows: filp of 100, kmalloc of 200, the order-2 block");
	for (size_t i = 0; i < l.nr; i++)
		held += l.rows[i].count;
	MR_CHECK_EQ(held, 6, "kmem: rows: 3 filp, 2 kmalloc, 1 page block");
	MR_CHECK_EQ(l.bytes, 3 * 256 + 2 * 128 + 16384, "kmem: rows: bytes");
	MR_CHECK(l.nr == 3 && l.rows[0].page && l.rows[0].order == 2 && l.rows[0].pid == 100,
		 "kmem: rows: the biggest first", "first row page %d order %d pid %d",
		 l.nr ? l.rows[0].page : -1, l.nr ? l.rows[0].order : -1,
		 l.nr ? l.rows[0].pid : -1);
	MR_CHECK_EQ(k->st.live[2], 1, "kmem: alloc-only blocks of order 2");
	mr_kleaks_release(&l);
	o.pid = 200;
	memset(&l, 0, sizeof(l));
	mr_kmem_leaks(k, &rep, &l);
	MR_CHECK(l.nr == 1 && l.rows[0].count == 2 && l.rows[0].pid == 200,
		 "kmem: rows: --pid", "%zu rows", l.nr);
	mr_kleaks_release(&l);
	mr_kmem_free(k);
	mr_pairing_free(rep.pairing);
	mr_tasks_free(rep.tasks);
}

/*
 * The file's CPUs past the host's carry perf samples: CPU c's on c + n *
 * ncpu. An object allocated in a sample of CPU 0 (file CPU 2 of a 2-CPU
 * host) and freed on CPU 0 did not move; one from CPU 1's samples (3) did.
 */
static void sample_cpus(void)
{
	const uint64_t ks[] = { 0xffffffff81000010 };
	struct mr_tasks *tasks = mr_tasks_new();
	struct mr_pairing *p = mr_pairing_new(tasks);
	struct mr_kmem *k = mr_kmem_new(tasks, p, 2);

	slab(k, 100, 50, 2, 0xffff888100001000ull, 64, 64, "filp", 0xffffffff81111111, ks, 1);
	slab(k, 101, 50, 3, 0xffff888100002000ull, 64, 64, "filp", 0xffffffff81111111, ks, 1);
	slab(k, 102, 50, 4, 0xffff888100003000ull, 64, 64, "filp", 0xffffffff81111111, ks, 1);
	slab(k, 103, 50, 1, 0xffff888100004000ull, 64, 64, "filp", 0xffffffff81111111, ks, 1);
	sfree(k, 200, 50, 0, 0xffff888100001000ull, false);	/* 2 is CPU 0: stayed */
	sfree(k, 201, 50, 0, 0xffff888100002000ull, false);	/* 3 is CPU 1: moved */
	sfree(k, 202, 50, 2, 0xffff888100003000ull, false);	/* 4 and 2 are CPU 0 */
	sfree(k, 203, 50, 5, 0xffff888100004000ull, false);	/* 5 is CPU 1 */
	MR_CHECK_EQ(k->st.slab_frees, 4, "sample CPUs: the four frees matched");
	MR_CHECK_EQ(k->sites[0].cross_cpu, 1, "sample CPUs: one object changed CPU (1 -> 0)");
	mr_kmem_free(k);
	mr_pairing_free(p);
	mr_tasks_free(tasks);
}

/* ---- objects on slab pages the kernel freed (slab_page_freed) ---- */

#define SITE(n)	(0xffffffff81500000ull + (n))

struct pg_case {
	struct mr_report_opts	o;
	struct mr_ctx		rep;
	struct mr_kmem		*k;
	struct mr_kleaks	l;
	uint64_t		ts;
};

static void pg_begin(struct pg_case *c)
{
	memset(c, 0, sizeof(*c));
	c->rep.o = &c->o;
	c->rep.tasks = mr_tasks_new();
	c->rep.pairing = mr_pairing_new(c->rep.tasks);
	c->k = mr_kmem_new(c->rep.tasks, c->rep.pairing, 2);
	c->ts = 1000;
}

/* An object of its own site (n), so that it is a row of its own. */
static void pg_obj(struct pg_case *c, int cpu, uint64_t ptr, int n)
{
	slab(c->k, c->ts++, 100, cpu, ptr, 256, 256, NULL, SITE(n), NULL, 0);
}

static void pg_page(struct pg_case *c, enum mr_ev_kind kind, int cpu, int64_t pfn, int order)
{
	struct mr_event e = ev(kind, c->ts++, 100, cpu);

	e.page_alloc.pfn = pfn;
	e.page_alloc.order = order;
	e.page_alloc.gfp_flags = 0x100cc0;
	mr_kmem_feed(c->k, &e);
}

static void pg_leaks(struct pg_case *c)
{
	mr_kmem_leaks(c->k, &c->rep, &c->l);
}

/* -1: no row of object n; else the reason of its row (0: kernel_leaks). */
static int pg_where(const struct pg_case *c, int n)
{
	const struct mr_kmem_site *s;

	for (size_t i = 0; i < c->l.nr; i++)
		if ((s = mr_kleak_site(c->k, &c->l.rows[i])) && s->call_site == SITE(n))
			return MR_KR_CONFIRMED;
	for (size_t i = 0; i < c->l.nr_unconfirmed; i++)
		if ((s = mr_kleak_site(c->k, &c->l.unconfirmed[i])) && s->call_site == SITE(n))
			return c->l.unconfirmed[i].reason;
	return -1;
}

static void pg_end(struct pg_case *c)
{
	mr_kleaks_release(&c->l);
	mr_kmem_free(c->k);
	mr_pairing_free(c->rep.pairing);
	mr_tasks_free(c->rep.tasks);
}

/*
 * A KASLR base (the 6.1 VM's, tests/golden/kernel61.dat) learned from new
 * slab pages and an object free followed by its page's, one sample per
 * page event; a misaligned pair and a contrary aligned one ignored; objects
 * on freed blocks of order 0 and 2 (and mm_page_free_batched's) moved, on a
 * page kept or freed before them kept.
 */
static void slab_pages_freed(void)
{
	const uint64_t B = 0xff3927a740000000ull;
	struct pg_case c;

	pg_begin(&c);
	/* CPU 0: slabs take new pages 0x1000, 0x1011, 0x1002 and an order-2 block at 0x2000 */
	pg_page(&c, MR_EV_PAGE_ALLOC, 0, 0x1000, 0);
	pg_obj(&c, 0, B + 0x1000000 + 0x40, 0);		/* freed below, then its page */
	pg_page(&c, MR_EV_PAGE_ALLOC, 0, 0x1011, 0);	/* odd: no neighbour's 8 KiB block */
	pg_obj(&c, 0, B + 0x1011000 + 0x100, 1);		/* its page freed: moved */
	pg_page(&c, MR_EV_PAGE_ALLOC, 0, 0x2000, 2);
	pg_obj(&c, 0, B + 0x2000000 + 0x100, 2);		/* block freed: moved */
	pg_obj(&c, 0, B + 0x2003000 + 0xf00, 3);		/* its last page: moved too */
	pg_page(&c, MR_EV_PAGE_ALLOC, 0, 0x1002, 0);
	pg_obj(&c, 0, B + 0x1002000 + 0x200, 4);		/* its page stays: kept */
	/* CPU 1: a pair that is no sample (misaligned) and one that contradicts */
	pg_page(&c, MR_EV_PAGE_ALLOC, 1, 0x3000, 0);
	pg_obj(&c, 1, B + 0x5000123, 5);			/* B + 32 MiB: not aligned */
	pg_page(&c, MR_EV_PAGE_ALLOC, 1, 0x40000, 0);
	pg_obj(&c, 1, B + 0x40, 6);			/* B - 1 GiB: aligned, wrong */
	pg_obj(&c, 1, B + 0x80, 9);			/* the same pair again: not counted */
	/* page 0x1003 freed before object 7 was allocated on it: kept */
	pg_page(&c, MR_EV_PAGE_FREE, 1, 0x1003, 0);
	pg_obj(&c, 1, B + 0x1003000 + 0x80, 7);
	pg_obj(&c, 1, B + 0x1004000 + 0x80, 8);		/* page 0x1004: batched free */
	/* the frees: object 0 then its page (a sample), and the pages of 1, 2, 3, 8 */
	sfree(c.k, c.ts++, 100, 0, B + 0x1000000 + 0x40, false);
	pg_page(&c, MR_EV_PAGE_FREE, 0, 0x1000, 0);
	pg_page(&c, MR_EV_PAGE_FREE, 1, 0x1011, 0);
	pg_page(&c, MR_EV_PAGE_FREE, 1, 0x2000, 2);
	pg_page(&c, MR_EV_PAGE_FREE, 1, 0x1004, 0);	/* mm_page_free_batched: order 0 */
	pg_leaks(&c);
	MR_CHECK(c.l.dmap_known && c.l.dmap_base == B, "slab pages: the base learned",
		 "known %d base %#llx", c.l.dmap_known, (unsigned long long)c.l.dmap_base);
	/* the allocations of 0, 1, 2 (not 3: one sample per page event) and 4, the free of 0 */
	MR_CHECK_EQ(c.l.dmap_samples, 5, "slab pages: five samples agree");
	MR_CHECK_EQ(c.l.dmap_contrary, 1, "slab pages: one aligned pair contradicts, once for "
		    "its two objects; the misaligned one is not counted");
	MR_CHECK_EQ(pg_where(&c, 0), -1, "slab pages: a freed object is no row");
	MR_CHECK_EQ(pg_where(&c, 1), MR_KR_SLAB_PAGE_FREED, "slab pages: on a freed page: moved");
	MR_CHECK_EQ(pg_where(&c, 2), MR_KR_SLAB_PAGE_FREED,
		    "slab pages: on an order-2 block's first page: moved");
	MR_CHECK_EQ(pg_where(&c, 3), MR_KR_SLAB_PAGE_FREED,
		    "slab pages: on an order-2 block's last page: moved");
	MR_CHECK_EQ(pg_where(&c, 4), MR_KR_CONFIRMED, "slab pages: on a page not freed: kept");
	MR_CHECK_EQ(pg_where(&c, 5), MR_KR_CONFIRMED, "slab pages: elsewhere: kept");
	MR_CHECK_EQ(pg_where(&c, 7), MR_KR_CONFIRMED,
		    "slab pages: on a page freed before it was allocated: kept");
	MR_CHECK_EQ(pg_where(&c, 8), MR_KR_SLAB_PAGE_FREED,
		    "slab pages: on a page of mm_page_free_batched: moved");
	MR_CHECK_EQ(c.l.reason_count[MR_KR_SLAB_PAGE_FREED], 4, "slab pages: four objects moved");
	MR_CHECK_EQ(c.l.reason_bytes[MR_KR_SLAB_PAGE_FREED], 4 * 256, "slab pages: their bytes");
	pg_end(&c);
}

/*
 * Addresses outside the direct map are never looked up, even with a page
 * freed where their arithmetic would land: vmalloc's (0xffffc9...: 65 TB past
 * the default base) and one below the base. Without samples, or with as many
 * contrary as agreeing, nothing is learned and nothing moves.
 */
static void slab_pages_outside(void)
{
	const uint64_t B = 0xffff888000000000ull, V = 0xffffc90000001000ull;
	const uint64_t below = 0xffff880000002000ull;
	struct pg_case c;

	pg_begin(&c);
	for (int i = 0; i < 3; i++) {
		pg_page(&c, MR_EV_PAGE_ALLOC, 0, 0x100 + i, 0);
		pg_obj(&c, 0, B + ((0x100ull + i) << 12) + 0x40, i);
	}
	pg_obj(&c, 1, V, 10);
	pg_obj(&c, 1, below, 11);
	pg_page(&c, MR_EV_PAGE_FREE, 1, (int64_t)((V - B) >> 12), 0);
	pg_page(&c, MR_EV_PAGE_FREE, 1, (int64_t)((below - B) >> 12) & ((1ll << 52) - 1), 0);
	pg_page(&c, MR_EV_PAGE_FREE, 1, 0x101, 0);
	pg_leaks(&c);
	MR_CHECK(c.l.dmap_known && c.l.dmap_base == B && c.l.dmap_samples == 3,
		 "outside: the default base learned", "known %d base %#llx samples %llu",
		 c.l.dmap_known, (unsigned long long)c.l.dmap_base,
		 (unsigned long long)c.l.dmap_samples);
	MR_CHECK_EQ(pg_where(&c, 1), MR_KR_SLAB_PAGE_FREED, "outside: the direct map's is moved");
	MR_CHECK_EQ(pg_where(&c, 10), MR_KR_CONFIRMED, "outside: a vmalloc address never matched");
	MR_CHECK_EQ(pg_where(&c, 11), MR_KR_CONFIRMED, "outside: below the base never matched");
	pg_end(&c);

	/* one sample only: not enough */
	pg_begin(&c);
	pg_page(&c, MR_EV_PAGE_ALLOC, 0, 0x100, 0);
	pg_obj(&c, 0, B + 0x100040, 0);
	pg_page(&c, MR_EV_PAGE_FREE, 0, 0x100, 0);
	pg_leaks(&c);
	MR_CHECK(!c.l.dmap_known && c.l.dmap_samples == 1, "unlearned: one sample is not enough",
		 "known %d samples %llu", c.l.dmap_known, (unsigned long long)c.l.dmap_samples);
	MR_CHECK_EQ(pg_where(&c, 0), MR_KR_CONFIRMED, "unlearned: nothing moved");
	pg_end(&c);

	/* two bases of two samples each: no clear majority */
	pg_begin(&c);
	for (int i = 0; i < 2; i++) {
		pg_page(&c, MR_EV_PAGE_ALLOC, 0, 0x100 + i, 0);
		pg_obj(&c, 0, B + ((0x100ull + i) << 12), i);
		pg_page(&c, MR_EV_PAGE_ALLOC, 1, 0x200 + i, 0);
		pg_obj(&c, 1, B + (1ull << 30) + ((0x200ull + i) << 12), 2 + i);
	}
	pg_page(&c, MR_EV_PAGE_FREE, 0, 0x100, 0);
	pg_leaks(&c);
	MR_CHECK(!c.l.dmap_known && c.l.dmap_contrary == 2, "unlearned: two against two",
		 "known %d contrary %llu", c.l.dmap_known, (unsigned long long)c.l.dmap_contrary);
	MR_CHECK_EQ(pg_where(&c, 0), MR_KR_CONFIRMED, "unlearned: two against two: nothing moved");
	pg_end(&c);
}

int main(void)
{
	map_random();
	pairing_and_rows();
	sample_cpus();
	slab_pages_freed();
	slab_pages_outside();
	return mr_test_done();
}
