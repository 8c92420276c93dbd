// SPDX-License-Identifier: GPL-2.0
/*
 * test_vmalloc.c - vmalloc areas and per-CPU objects on synthetic events:
 * pairing by address (frees by kworkers, frees of areas from before, failed
 * allocations), size classes, the lazy-free backlog a purge clears by
 * range, and a fork's kernel stack marked once its child exits.
 */
#include "memrec.h"
#include "mr_test.h"
#include "leak/vmalloc.h"

#define VA(n)	(0xffffc90000000000ull + (uint64_t)(n) * 0x100000)

static struct mr_event ev(enum mr_ev_kind kind, uint64_t ts, int tid)
{
	struct mr_event e = { .ts = ts, .kind = kind, .tid = tid, .tgid = tid };

	return e;
}

static void area(struct mr_vmem *v, uint64_t ts, int tid, uint64_t addr, int64_t size,
		 int64_t align, int failed)
{
	struct mr_event e = ev(MR_EV_VMAP_ALLOC, ts, tid);

	e.vmap_alloc.addr = addr;
	e.vmap_alloc.size = size;
	e.vmap_alloc.align = align;
	e.vmap_alloc.failed = failed;
	if (!mr_vmem_feed(v, &e))
		MR_CHECK(false, "feed: an area is a vmalloc event", "not taken");
}

static void vfree_(struct mr_vmem *v, uint64_t ts, int tid, uint64_t addr, int64_t lazy)
{
	struct mr_event e = ev(MR_EV_VMAP_FREE, ts, tid);

	e.vmap_free.addr = addr;
	e.vmap_free.nr_lazy = lazy;
	e.vmap_free.nr_lazy_max = 16384;
	mr_vmem_feed(v, &e);
}

static void purge(struct mr_vmem *v, uint64_t ts, uint64_t start, uint64_t end)
{
	struct mr_event e = ev(MR_EV_VMAP_PURGE, ts, 7);

	e.vmap_purge.start = start;
	e.vmap_purge.end = end;
	e.vmap_purge.npurged = 3;
	mr_vmem_feed(v, &e);
}

static void pcpu(struct mr_vmem *v, enum mr_ev_kind kind, uint64_t ts, uint64_t ptr)
{
	struct mr_event e = ev(kind, ts, 50);

	if (kind == MR_EV_PCPU_ALLOC) {
		e.pcpu_alloc.ptr = ptr;
		e.pcpu_alloc.size = 64;
		e.pcpu_alloc.bytes_alloc = 256;
		e.pcpu_alloc.call_site = 0xffffffff81222222;
	} else {
		e.pcpu_free.ptr = ptr;
	}
	mr_vmem_feed(v, &e);
}

struct live_sum {
	int		areas, percpu, stacks;
	uint64_t	bytes;
};

static void sum(const struct mr_vmem_live *o, void *arg)
{
	struct live_sum *s = arg;

	s->areas += !o->percpu;
	s->percpu += o->percpu;
	s->stacks += o->exited_stack;
	s->bytes += o->bytes;
}

static void pairing(void)
{
	struct mr_tasks *tasks = mr_tasks_new();
	struct mr_pairing *p = mr_pairing_new(tasks);
	struct mr_vmem *v = mr_vmem_new(tasks, p, 2);
	struct mr_event other = ev(MR_EV_SLAB_ALLOC, 1, 50);
	struct live_sum s = { 0 };

	MR_CHECK(!mr_vmem_feed(v, &other) && !mr_vmem_any(v), "feed: slab events are not ours",
		 "taken");
	area(v, 100, 50, VA(1), 8396800, 1, 0);
	area(v, 101, 50, VA(2), 24576, 1, 0);
	area(v, 102, 50, VA(3), 8192, 1, 0);
	area(v, 103, 50, 0, 4096, 1, 1);
	vfree_(v, 200, 12, VA(2), 100);		/* a kworker frees it */
	vfree_(v, 201, 12, VA(3), 300);
	vfree_(v, 202, 12, VA(9), 200);		/* allocated before recording */
	MR_CHECK_EQ(v->st.vmap_allocs, 3, "vmalloc: three areas");
	MR_CHECK_EQ(v->st.vmap_fails, 1, "vmalloc: one failed");
	MR_CHECK_EQ(v->st.vmap_frees, 2, "vmalloc: two frees matched");
	MR_CHECK_EQ(v->st.vmap_frees_other, 2, "vmalloc: both by another process");
	MR_CHECK_EQ(v->st.vmap_unmatched, 1, "vmalloc: one free of an area from before");
	MR_CHECK_EQ(v->st.lazy_pages, 200, "lazy: the host's backlog as the last free said");
	MR_CHECK_EQ(v->st.lazy_peak_pages, 300, "lazy: its peak");
	MR_CHECK_EQ(v->st.lazy_areas, 2, "lazy: both freed areas wait for a purge");
	MR_CHECK_EQ(v->st.lazy_bytes, 24576 + 8192, "lazy: their bytes");
	purge(v, 300, VA(3), VA(4));
	MR_CHECK_EQ(v->st.lazy_areas, 1, "purge: clears the areas in its range only");
	MR_CHECK_EQ(v->st.lazy_bytes, 24576, "purge: the bytes left");
	MR_CHECK_EQ(v->st.sizes[mr_vmem_class(8396800)].live, 1, "classes: the 8 MiB area live");
	MR_CHECK_EQ(mr_vmem_class_max(mr_vmem_class(8396800)), 16ull << 20,
		    "classes: 8 MiB + 8 KiB is in the up-to-16 MiB class");
	MR_CHECK_EQ(v->st.sizes[mr_vmem_class(24576)].live, 0, "classes: the freed one not live");
	pcpu(v, MR_EV_PCPU_ALLOC, 400, 0x1000);
	pcpu(v, MR_EV_PCPU_ALLOC, 401, 0x1040);
	pcpu(v, MR_EV_PCPU_FREE, 402, 0x1000);
	pcpu(v, MR_EV_PCPU_FREE, 403, 0x2000);
	MR_CHECK_EQ(v->st.pcpu_allocs, 2, "percpu: two allocations");
	MR_CHECK_EQ(v->st.pcpu_bytes, 512, "percpu: bytes_alloc summed");
	MR_CHECK_EQ(v->st.pcpu_frees, 1, "percpu: one free matched");
	MR_CHECK_EQ(v->st.pcpu_unmatched, 1, "percpu: one from before");
	mr_vmem_each_live(v, sum, &s);
	MR_CHECK(s.areas == 1 && s.percpu == 1 && s.bytes == 8396800 + 256,
		 "live: the 8 MiB area and one per-CPU object", "%d areas, %d per-CPU, %llu bytes",
		 s.areas, s.percpu, (unsigned long long)s.bytes);
	mr_vmem_free(v);
	mr_pairing_free(p);
	mr_tasks_free(tasks);
}

static void fork_stack(void)
{
	struct mr_tasks *tasks = mr_tasks_new();
	struct mr_pairing *p = mr_pairing_new(tasks);
	struct mr_vmem *v = mr_vmem_new(tasks, p, 2);
	struct mr_event e;
	struct live_sum s = { 0 };

	area(v, 100, 50, VA(1), 20480, 16384, 0);	/* child 51's stack */
	e = ev(MR_EV_TASK_NEW, 101, 50);
	e.child_tid = 51;
	mr_vmem_feed(v, &e);
	area(v, 102, 50, VA(2), 20480, 16384, 0);	/* child 52's stack */
	e = ev(MR_EV_TASK_NEW, 103, 50);
	e.child_tid = 52;
	mr_vmem_feed(v, &e);
	area(v, 104, 50, VA(3), 20480, 1, 0);		/* not stack-aligned */
	e = ev(MR_EV_TASK_NEW, 105, 50);
	e.child_tid = 53;
	mr_vmem_feed(v, &e);
	mr_vmem_feed(v, &(struct mr_event){ .ts = 200, .kind = MR_EV_EXIT, .tid = 51 });
	mr_vmem_feed(v, &(struct mr_event){ .ts = 201, .kind = MR_EV_EXIT, .tid = 53 });
	mr_vmem_each_live(v, sum, &s);
	MR_CHECK_EQ(s.areas, 3, "fork: three areas live");
	MR_CHECK_EQ(s.stacks, 1, "fork: only the exited child's stack is marked");
	mr_vmem_free(v);
	mr_pairing_free(p);
	mr_tasks_free(tasks);
}

int main(void)
{
	pairing();
	fork_stack();
	return mr_test_done();
}
