// SPDX-License-Identifier: GPL-2.0
/*
 * pairing.c - owns the live-block table, the per-thread stacks of open
 * allocator calls and the stack intern table; tasks and address spaces are
 * the process model's (model/tasks.c), fed each event before pairing is. Entry and
 * return events become allocations and frees of the outermost call of each
 * thread only; glibc's inner calls (reallocarray -> realloc -> malloc,
 * strdup -> malloc, posix_memalign -> _mid_memalign, realloc(p, 0) -> free)
 * just feed the outer one.
 *
 * Everything is sized for tens of millions of events and millions of live
 * blocks: open addressing with linear probing and backward-shift deletion,
 * blocks in a pool linked per address space (so fork copies and exec walk
 * one process's blocks only), and no allocation per event beyond growth.
 */
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "mr_hmap.h"
#include "mr_pairing.h"
#include "mr_ranges.h"
#include "mr_tasks.h"

/* Kernel ABI values of clone flags, independent of the host's headers. */
#define MR_CLONE_VM		0x00000100ull
#define MR_CLONE_THREAD		0x00010000ull

#define NIL			UINT32_MAX
/* glibc and libstdc++ nest at most 5 deep (new[](nothrow) -> ... -> malloc). */
#define MAX_DEPTH		8

/* One open allocator call. */
struct frame {
	uint64_t	args[3];
	uint64_t	ts;
	uint64_t	caller;
	enum mr_fn	fn;
};

/* A mapping syscall between its entry and its exit. */
struct sys_call {
	uint64_t	args[5];
	uint64_t	ts;
	uint32_t	stack;
	enum mr_fn	fn;
	bool		open;
	bool		nested;		/* inside an allocator call */
};

struct thread {
	struct frame	frames[MAX_DEPTH];
	struct sys_call	sys;
	/* What nested calls told the outermost call (frames[0]). */
	uint64_t	inner_size;	/* size of the last nested malloc: strdup's size */
	uint64_t	inner_memalign;	/* nested _mid_memalign's result: posix_memalign's ptr */
	/* The outermost call's entry stack; grown once, reused. */
	uint64_t	*estk;
	int		nr_estk;
	int		estk_cap;
	int		depth;
	uint32_t	aspace;		/* its task's, when the call was made */
};

/* A live block in the pool, linked into its address space's list. */
struct pent {
	struct mr_block	b;		/* b.ptr == 0: unused, next links the free list */
	uint32_t	prev;
	uint32_t	next;
};

/* The live blocks of an address space, a list in the pool. */
struct blist {
	uint64_t	nr_live;
	uint32_t	head;
	uint32_t	tail;
};

struct stk {
	uint64_t	off;		/* into frames */
	uint32_t	nr;
};

/* An address space's program break, and its row of the program's own growth. */
struct brk_state {
	uint64_t	cur;
	uint64_t	row;		/* the row's block ptr: the break its growth started from */
	bool		known;
	bool		has_row;
};

struct mr_pairing {
	struct mr_pair_stats	stats;
	struct mr_pairing_hooks	hooks;

	struct mr_hmap		blocks;		/* (aspace, ptr) -> pool */
	struct pent		*pool;
	uint32_t		pool_nr;
	uint32_t		pool_cap;
	uint32_t		pool_free;

	struct mr_tasks		*tasks;
	struct blist		*lists;		/* by aspace id */
	uint32_t		nr_lists, alloc_lists;
	struct thread		**th;		/* by task id; NULL until it calls */
	uint32_t		nr_th, alloc_th;

	uint64_t		*frames;
	size_t			nr_frames;
	size_t			frames_cap;
	struct stk		*stk;
	uint32_t		nr_stk;
	uint32_t		stk_cap;
	struct mr_hmap		stk_ids;	/* frames -> stack id */

	struct mr_ranges	*ranges;	/* the targets' own mappings */
	struct brk_state	*brk;		/* by aspace id */
	uint32_t		nr_brk, alloc_brk;

	uint64_t		scratch[MR_MAX_STACK];
};

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	uint64_t r;

	if (__builtin_mul_overflow(a, b, &r))
		return UINT64_MAX;
	return r;
}

/* ---- live blocks: pool + (aspace, ptr) table ---- */

struct bkey {
	uint64_t	ptr;
	uint32_t	aspace;
};

static bool block_eq(const void *pool, uint32_t idx, const void *key)
{
	const struct mr_block *b = &((const struct pent *)pool)[idx].b;
	const struct bkey *k = key;

	return b->ptr == k->ptr && b->aspace == k->aspace;
}

static uint32_t bhash(uint32_t aspace, uint64_t ptr)
{
	return mr_hash_u64(ptr + aspace * 0x9e3779b97f4a7c15ull);
}

static size_t bslot_find(const struct mr_pairing *p, uint32_t aspace, uint64_t ptr)
{
	struct bkey k = { ptr, aspace };

	return mr_hmap_find(&p->blocks, bhash(aspace, ptr), block_eq, p->pool, &k);
}

static uint32_t pool_get(struct mr_pairing *p)
{
	uint32_t idx = p->pool_free;

	if (idx != NIL) {
		p->pool_free = p->pool[idx].next;
		return idx;
	}
	MR_ALLOC_GROW(p->pool, p->pool_nr, p->pool_cap);
	return p->pool_nr++;
}

/* The block list of aspace id, made as address spaces appear. */
static struct blist *list_of(struct mr_pairing *p, uint32_t id)
{
	while (p->nr_lists <= id) {
		MR_ALLOC_GROW(p->lists, p->nr_lists, p->alloc_lists);
		p->lists[p->nr_lists++] = (struct blist){ .head = NIL, .tail = NIL };
	}
	return &p->lists[id];
}

static void list_unlink(struct mr_pairing *p, uint32_t idx)
{
	struct pent *e = &p->pool[idx];
	struct blist *as = list_of(p, e->b.aspace);

	if (e->prev != NIL)
		p->pool[e->prev].next = e->next;
	else
		as->head = e->next;
	if (e->next != NIL)
		p->pool[e->next].prev = e->prev;
	else
		as->tail = e->prev;
	as->nr_live--;
}

/* Room for n more blocks without growing, so a slot found now stays valid. */
static void live_reserve(struct mr_pairing *p, size_t n)
{
	mr_hmap_reserve(&p->blocks, n);
	/* Free pool entries are reused first; pool_get grows for the rest. */
	if (n > 1 && p->pool_nr + n > p->pool_cap) {
		p->pool_cap = p->pool_nr + n;
		p->pool = mr_xrealloc(p->pool, (size_t)p->pool_cap * sizeof(*p->pool));
	}
}

/* Adds b at slot i, an empty slot from bslot_find after live_reserve. */
static void live_insert(struct mr_pairing *p, const struct mr_block *b, size_t i)
{
	struct blist *as = list_of(p, b->aspace);
	uint32_t idx = pool_get(p);
	struct pent *e = &p->pool[idx];

	e->b = *b;
	e->next = NIL;
	e->prev = as->tail;
	if (as->tail != NIL)
		p->pool[as->tail].next = idx;
	else
		as->head = idx;
	as->tail = idx;
	as->nr_live++;

	mr_hmap_put_at(&p->blocks, i, bhash(b->aspace, b->ptr), idx);
}

/* Returns true and the block if (aspace, ptr) was live. */
static bool live_remove(struct mr_pairing *p, uint32_t aspace, uint64_t ptr, struct mr_block *b)
{
	size_t i = bslot_find(p, aspace, ptr);
	uint32_t idx = mr_hmap_at(&p->blocks, i);

	if (idx == MR_HMAP_NONE)
		return false;
	*b = p->pool[idx].b;
	mr_hmap_del_at(&p->blocks, i);
	list_unlink(p, idx);
	p->pool[idx].b.ptr = 0;
	p->pool[idx].next = p->pool_free;
	p->pool_free = idx;
	return true;
}

/* ---- stack interning ---- */

static uint32_t hash_frames(const uint64_t *f, int n)
{
	uint64_t h = n;

	for (int i = 0; i < n; i++)
		h = mr_hash_u64(h ^ f[i]) + i;
	return (uint32_t)h;
}

struct frames_key {
	const uint64_t	*f;
	uint32_t	n;
};

static bool stack_eq(const void *ctx, uint32_t id, const void *key)
{
	const struct mr_pairing *p = ctx;
	const struct frames_key *k = key;

	return p->stk[id].nr == k->n && !memcmp(p->frames + p->stk[id].off, k->f,
						k->n * sizeof(*k->f));
}

static uint32_t stack_intern(struct mr_pairing *p, const uint64_t *f, int n)
{
	struct frames_key k = { f, n };
	uint32_t h = hash_frames(f, n);
	size_t pos = mr_hmap_find(&p->stk_ids, h, stack_eq, p, &k);

	if (mr_hmap_at(&p->stk_ids, pos) != MR_HMAP_NONE)
		return mr_hmap_at(&p->stk_ids, pos);
	if (p->nr_frames + n > p->frames_cap) {
		p->frames_cap = (p->frames_cap + n) * 2;
		p->frames = mr_xrealloc(p->frames, p->frames_cap * sizeof(*p->frames));
	}
	memcpy(p->frames + p->nr_frames, f, n * sizeof(*f));
	MR_ALLOC_GROW(p->stk, p->nr_stk, p->stk_cap);
	p->stk[p->nr_stk] = (struct stk){ .off = p->nr_frames, .nr = n };
	p->nr_frames += n;
	mr_hmap_put_at(&p->stk_ids, pos, h, p->nr_stk);
	return p->nr_stk++;
}

/*
 * The return stack starts at the caller and is complete; the entry stack's
 * frame 0 is the allocator itself and misses the direct caller, which the
 * entry recorded from [sp].
 */
static uint32_t block_stack(struct mr_pairing *p, const struct thread *t,
			    const struct mr_event *ret)
{
	const struct frame *f = &t->frames[0];
	uint64_t *s = p->scratch;
	int n;

	if (ret->nr_stack > 0 && ret->stack)
		return stack_intern(p, ret->stack, ret->nr_stack < MR_MAX_STACK ?
				    ret->nr_stack : MR_MAX_STACK);
	if (t->nr_estk > 0) {
		if (f->caller) {
			memcpy(s, t->estk, t->nr_estk * sizeof(*s));
			s[0] = f->caller;
			return stack_intern(p, s, t->nr_estk);
		}
		/* Without the caller frame 0 is no return address: drop it. */
		return stack_intern(p, t->estk + 1, t->nr_estk - 1);
	}
	n = 0;
	if (ret->caller)
		s[n++] = ret->caller;
	else if (f->caller)
		s[n++] = f->caller;
	return stack_intern(p, s, n);
}

/* ---- fork ---- */

/* A forked child starts with a copy of every block its parent has live. */
static void copy_blocks(struct mr_pairing *p, uint32_t parent, uint32_t child)
{
	live_reserve(p, list_of(p, parent)->nr_live);
	list_of(p, child);
	for (uint32_t idx = p->lists[parent].head; idx != NIL; idx = p->pool[idx].next) {
		struct mr_block b = p->pool[idx].b;

		b.aspace = child;
		b.inherited = true;
		live_insert(p, &b, bslot_find(p, child, b.ptr));
	}
	mr_ranges_copy(p->ranges, parent, child);
}

/* ---- threads: the open calls of each task ---- */

/* Open calls that will never see their return are orphans. */
static void thread_drop_calls(struct mr_pairing *p, struct thread *t, int from)
{
	if (t && t->depth > from) {
		p->stats.orphan_entries += t->depth - from;
		t->depth = from;
	}
}

static struct thread *thread_at(const struct mr_pairing *p, uint32_t id)
{
	return id < p->nr_th ? p->th[id] : NULL;
}

/*
 * The calls of task tk. A task's tid had another task before it (a reused
 * tid, a process that ended under it): that one's calls never return.
 */
static struct thread *thread_of(struct mr_pairing *p, const struct mr_task *tk)
{
	struct thread *t = thread_at(p, tk->id);

	if (t)
		return t;
	while (p->nr_th <= tk->id) {
		MR_ALLOC_GROW(p->th, p->nr_th, p->alloc_th);
		p->th[p->nr_th++] = NULL;
	}
	if (tk->prev_id != MR_NO_ID)
		thread_drop_calls(p, thread_at(p, tk->prev_id), 0);
	t = p->th[tk->id] = mr_xcalloc(1, sizeof(*t));
	t->aspace = tk->aspace;
	return t;
}

/* The thread of an event, bound to a live address space. */
static struct thread *thread_get(struct mr_pairing *p, const struct mr_event *ev)
{
	const struct mr_task *tk = mr_tasks_bind(p->tasks, ev->tid, ev->tgid, ev->ts);
	struct thread *t = thread_of(p, tk);

	t->aspace = tk->aspace;
	return t;
}

/* ---- allocator calls ---- */

/* Returns whether ptr was live. */
static bool do_free(struct mr_pairing *p, uint32_t aspace, uint64_t ptr, uint64_t ts)
{
	struct mr_block b;

	if (!ptr) {
		p->stats.null_frees++;
		return false;
	}
	if (!live_remove(p, aspace, ptr, &b)) {
		p->stats.unmatched_frees++;
		return false;
	}
	p->stats.frees++;
	p->stats.free_bytes += b.size;
	if (p->hooks.dead)
		p->hooks.dead(&b, ts, p->hooks.ctx);
	return true;
}

/*
 * glibc's internal _mid_memalign is outermost only when the public call's
 * entry was lost: the block is named after the public function it serves.
 */
static enum mr_fn public_fn(enum mr_fn fn)
{
	return fn == MR_FN_MEMALIGN_INT ? MR_FN_ALIGNED_ALLOC : fn;
}

/* Records the block of the thread's outermost call, which ev returns from. */
static void do_alloc(struct mr_pairing *p, const struct thread *t, const struct mr_event *ev,
		     uint64_t ptr, uint64_t size)
{
	struct mr_block b = {
		.ptr	= ptr,
		.size	= size,
		.ts	= t->frames[0].ts,
		.aspace	= t->aspace,
		.stack	= block_stack(p, t, ev),
		.fn	= public_fn(t->frames[0].fn),
		.tid	= ev->tid,
	};
	size_t i;

	p->stats.allocs++;
	p->stats.alloc_bytes += size;
	live_reserve(p, 1);
	i = bslot_find(p, t->aspace, ptr);
	if (mr_hmap_at(&p->blocks, i) != MR_HMAP_NONE) {
		uint32_t idx = mr_hmap_at(&p->blocks, i);

		/* A free we never saw: the old block is gone, keep its list place. */
		p->stats.replaced++;
		if (p->hooks.dead)
			p->hooks.dead(&p->pool[idx].b, ev->ts, p->hooks.ctx);
		p->pool[idx].b = b;
	} else {
		live_insert(p, &b, i);
	}
	if (p->hooks.live)
		p->hooks.live(&b, p->hooks.ctx);
}

static void alloc_or_fail(struct mr_pairing *p, const struct thread *t,
			  const struct mr_event *ev, uint64_t size)
{
	if (ev->ret)
		do_alloc(p, t, ev, ev->ret, size);
	else
		p->stats.failed_allocs++;
}

static void realloc_done(struct mr_pairing *p, const struct thread *t,
			 const struct mr_event *ev, uint64_t old, uint64_t size)
{
	if (!old) {
		alloc_or_fail(p, t, ev, size);
	} else if (!size) {
		do_free(p, t->aspace, old, ev->ts);
		if (ev->ret)
			do_alloc(p, t, ev, ev->ret, 0);
	} else if (!ev->ret) {
		p->stats.failed_allocs++;	/* old stays live */
	} else {
		if (do_free(p, t->aspace, old, ev->ts))
			p->stats.reallocs++;
		do_alloc(p, t, ev, ev->ret, size);
	}
}

static void outer_done(struct mr_pairing *p, const struct thread *t, const struct mr_event *ev)
{
	const uint64_t *a = t->frames[0].args;

	switch (t->frames[0].fn) {
	case MR_FN_MALLOC:
	case MR_FN_VALLOC:
	case MR_FN_PVALLOC:
	case MR_FN_NEW:
	case MR_FN_NEW_ARRAY:
		alloc_or_fail(p, t, ev, a[0]);
		break;
	case MR_FN_ALIGNED_ALLOC:
	case MR_FN_MEMALIGN_INT:
		alloc_or_fail(p, t, ev, a[1]);
		break;
	case MR_FN_CALLOC:
		alloc_or_fail(p, t, ev, sat_mul(a[0], a[1]));
		break;
	case MR_FN_REALLOC:
		realloc_done(p, t, ev, a[0], a[1]);
		break;
	case MR_FN_REALLOCARRAY:
		realloc_done(p, t, ev, a[0], sat_mul(a[1], a[2]));
		break;
	case MR_FN_POSIX_MEMALIGN:
		/* It returns an error number; the pointer came from _mid_memalign. */
		if (!ev->ret && t->inner_memalign)
			do_alloc(p, t, ev, t->inner_memalign, a[2]);
		else
			p->stats.failed_allocs++;
		break;
	case MR_FN_STRDUP:
	case MR_FN_STRNDUP:
		alloc_or_fail(p, t, ev, t->inner_size);
		break;
	default:
		break;
	}
}

/* operator new's variants forward to each other; glibc's functions never re-enter. */
static bool reentrant(enum mr_fn fn)
{
	return fn == MR_FN_NEW || fn == MR_FN_NEW_ARRAY;
}

/* Index of the innermost open call of fn, or -1. */
static int open_call(const struct thread *t, enum mr_fn fn)
{
	for (int i = t->depth - 1; i >= 0; i--)
		if (t->frames[i].fn == fn)
			return i;
	return -1;
}

static void push_call(struct mr_pairing *p, struct thread *t, const struct mr_event *ev)
{
	struct frame *f;

	if (t->depth == MAX_DEPTH) {
		p->stats.orphan_entries++;	/* deeper than glibc nests: lost returns */
		return;
	}
	f = &t->frames[t->depth++];
	f->fn = ev->fn;
	memcpy(f->args, ev->args, sizeof(f->args));
	f->ts = ev->ts;
	f->caller = ev->caller;
}

static void save_entry_stack(struct thread *t, const struct mr_event *ev)
{
	int n = ev->stack && ev->nr_stack > 0 ? ev->nr_stack : 0;

	if (n > MR_MAX_STACK)
		n = MR_MAX_STACK;
	if (n > t->estk_cap) {
		t->estk_cap = n < 16 ? 16 : MR_MAX_STACK;
		t->estk = mr_xrealloc(t->estk, t->estk_cap * sizeof(*t->estk));
	}
	if (n)
		memcpy(t->estk, ev->stack, n * sizeof(*t->estk));
	t->nr_estk = n;
}

static void on_enter(struct mr_pairing *p, const struct mr_event *ev)
{
	struct thread *t = thread_get(p, ev);
	int i;

	/*
	 * The same glibc function still open on this thread means its return
	 * was lost; without this one lost return would make every later call
	 * of the thread look nested.
	 */
	if (!reentrant(ev->fn) && (i = open_call(t, ev->fn)) >= 0)
		thread_drop_calls(p, t, i);

	if (t->depth > 0) {
		p->stats.nested++;
		if (ev->fn == MR_FN_MALLOC)
			t->inner_size = ev->args[0];
		if (ev->fn != MR_FN_FREE)
			push_call(p, t, ev);
		return;
	}
	if (ev->fn == MR_FN_FREE) {
		do_free(p, t->aspace, ev->args[0], ev->ts);
		return;
	}
	push_call(p, t, ev);
	t->inner_size = 0;
	t->inner_memalign = 0;
	save_entry_stack(t, ev);
}

static void on_return(struct mr_pairing *p, const struct mr_event *ev)
{
	const struct mr_task *tk = mr_tasks_find(p->tasks, ev->tid);
	struct thread *t = tk ? thread_at(p, tk->id) : NULL;
	int i = t ? open_call(t, ev->fn) : -1;

	if (i < 0) {
		p->stats.orphan_returns++;
		return;
	}
	thread_drop_calls(p, t, i + 1);
	t->depth = i;
	if (i > 0) {
		if (ev->fn == MR_FN_MEMALIGN_INT)
			t->inner_memalign = ev->ret;
		return;
	}
	outer_done(p, t, ev);
}

/* ---- task events: the model has seen them already ---- */

static void on_task_new(struct mr_pairing *p, const struct mr_event *ev)
{
	const struct mr_task *parent = mr_tasks_find(p->tasks, ev->tid);
	const struct mr_task *child;

	thread_of(p, parent);
	if (ev->child_tid <= 0 || ev->child_tid == ev->tid)
		return;
	child = mr_tasks_find(p->tasks, ev->child_tid);
	thread_of(p, child);
	if (child->aspace != parent->aspace)
		copy_blocks(p, parent->aspace, child->aspace);
}

/* The exec'ing thread's open calls never return into the new image. */
static void on_exec(struct mr_pairing *p, const struct mr_event *ev)
{
	int old_tid = ev->args[0] ? (int)ev->args[0] : ev->tid;

	for (int i = 0; i < 1 + (old_tid != ev->tid); i++) {
		const struct mr_task *tk = mr_tasks_find(p->tasks, i ? old_tid : ev->tid);
		struct thread *t = thread_of(p, tk);

		thread_drop_calls(p, t, 0);
		t->aspace = tk->aspace;
	}
}

static void on_exit_ev(struct mr_pairing *p, const struct mr_event *ev)
{
	const struct mr_task *tk = mr_tasks_find(p->tasks, ev->tid);

	if (tk)
		thread_drop_calls(p, thread_at(p, tk->id), 0);
}

/* ---- mappings ---- */

#define MR_PAGE_SIZE	4096ull
#define MR_MAP_ANON	0x20ull		/* MAP_ANONYMOUS */
#define MR_MAP_FAILED(r) ((r) > UINT64_MAX - 4096)	/* -errno */

static uint64_t page_up(uint64_t len)
{
	return len > UINT64_MAX - MR_PAGE_SIZE ? UINT64_MAX & ~(MR_PAGE_SIZE - 1) :
	       (len + MR_PAGE_SIZE - 1) & ~(MR_PAGE_SIZE - 1);
}

static void map_block(struct mr_pairing *p, const struct mr_block *b)
{
	size_t i;

	live_reserve(p, 1);
	i = bslot_find(p, b->aspace, b->ptr);
	if (mr_hmap_at(&p->blocks, i) != MR_HMAP_NONE) {
		uint32_t idx = mr_hmap_at(&p->blocks, i);

		p->stats.replaced++;
		if (p->hooks.dead)
			p->hooks.dead(&p->pool[idx].b, b->ts, p->hooks.ctx);
		p->pool[idx].b = *b;
	} else {
		live_insert(p, b, i);
	}
	if (p->hooks.live)
		p->hooks.live(b, p->hooks.ctx);
}

struct cut_ctx {
	struct mr_pairing	*p;
	uint32_t		aspace;
	uint64_t		ts;
	struct mr_block		first;	/* the first range's block: what mremap moves */
	bool			found;
};

/* A range lost bytes: its block goes, the pieces left are blocks of the same site. */
static void on_cut(const struct mr_range *was, const struct mr_range *left, int nr_left,
		   void *data)
{
	struct cut_ctx *c = data;
	struct mr_block b;

	if (!live_remove(c->p, c->aspace, was->start, &b))
		return;
	if (c->p->hooks.dead)
		c->p->hooks.dead(&b, c->ts, c->p->hooks.ctx);
	if (!c->found) {
		c->first = b;
		c->found = true;
	}
	for (int i = 0; i < nr_left; i++) {
		struct mr_block piece = b;

		piece.ptr = left[i].start;
		piece.size = left[i].end - left[i].start;
		map_block(c->p, &piece);
	}
}

static uint64_t unmap(struct mr_pairing *p, uint32_t aspace, uint64_t start, uint64_t len,
		      uint64_t ts, struct cut_ctx *c)
{
	*c = (struct cut_ctx){ .p = p, .aspace = aspace, .ts = ts };
	if (!len || start > UINT64_MAX - len)
		return 0;
	return mr_ranges_cut(p->ranges, aspace, start, start + len, on_cut, c);
}

static void add_mapping(struct mr_pairing *p, const struct thread *t, int tid, uint64_t start,
			uint64_t len, uint64_t ts, uint32_t stack, enum mr_fn fn)
{
	struct mr_block b = {
		.ptr = start, .size = len, .ts = ts, .aspace = t->aspace, .stack = stack,
		.fn = fn, .tid = tid,
	};

	if (!start || !len || start > UINT64_MAX - len)
		return;
	mr_ranges_add(p->ranges, t->aspace, start, start + len);
	map_block(p, &b);
}

static struct brk_state *brk_of(struct mr_pairing *p, uint32_t aspace)
{
	while (p->nr_brk <= aspace) {
		MR_ALLOC_GROW(p->brk, p->nr_brk, p->alloc_brk);
		p->brk[p->nr_brk++] = (struct brk_state){ 0 };
	}
	return &p->brk[aspace];
}

/*
 * The program's own brk growth is one row per process (from the break its
 * first growth started at); glibc's (malloc's sbrk) only moves the break.
 * A shrink the program makes takes bytes off the row.
 */
static void brk_done(struct mr_pairing *p, const struct thread *t, const struct sys_call *sc,
		     int tid, uint64_t ret)
{
	struct brk_state *bs = brk_of(p, t->aspace);
	struct mr_block b = { 0 };
	uint64_t old = bs->cur;

	bs->cur = ret;
	if (sc->nested)
		p->stats.nested_maps++;
	if (!bs->known || sc->nested || ret == old) {
		bs->known = true;
		return;
	}
	if (bs->has_row && live_remove(p, t->aspace, bs->row, &b) && p->hooks.dead)
		p->hooks.dead(&b, sc->ts, p->hooks.ctx);
	if (!bs->has_row || !b.ptr)
		b = (struct mr_block){ .ptr = old, .ts = sc->ts, .aspace = t->aspace,
				       .stack = sc->stack, .fn = MR_FN_BRK, .tid = tid };
	bs->row = b.ptr;
	bs->has_row = true;
	if (ret > old) {
		p->stats.brk_grows++;
		p->stats.brk_bytes += ret - old;
		b.size += ret - old;
	} else {
		p->stats.brk_bytes -= old - ret < p->stats.brk_bytes ? old - ret : p->stats.brk_bytes;
		b.size -= old - ret < b.size ? old - ret : b.size;
	}
	if (b.size)
		map_block(p, &b);
	else
		bs->has_row = false;
}

static void mmap_done(struct mr_pairing *p, const struct thread *t, const struct sys_call *sc,
		      int tid, uint64_t ret, uint64_t ts)
{
	uint64_t len = page_up(sc->args[1]);
	struct cut_ctx c;

	if (MR_MAP_FAILED(ret)) {
		p->stats.failed_maps++;
		return;
	}
	/* a new mapping replaces whatever was there (MAP_FIXED) */
	unmap(p, t->aspace, ret, len, ts, &c);
	if (!(sc->args[3] & MR_MAP_ANON))
		return;
	p->stats.maps++;
	p->stats.map_bytes += len;
	add_mapping(p, t, tid, ret, len, sc->ts, sc->stack, MR_FN_MMAP);
}

/* mremap moves and resizes a recorded range, like realloc: its site stays. */
static void mremap_done(struct mr_pairing *p, const struct thread *t, const struct sys_call *sc,
			uint64_t ret, uint64_t ts)
{
	uint64_t new_len = page_up(sc->args[2]);
	struct cut_ctx c, c2;

	if (MR_MAP_FAILED(ret)) {
		p->stats.failed_maps++;
		return;
	}
	if (!unmap(p, t->aspace, sc->args[0], page_up(sc->args[1]), ts, &c) || !c.found)
		return;
	p->stats.remaps++;
	unmap(p, t->aspace, ret, new_len, ts, &c2);
	add_mapping(p, t, c.first.tid, ret, new_len, c.first.ts, c.first.stack, c.first.fn);
}

static void on_map_enter(struct mr_pairing *p, const struct mr_event *ev)
{
	struct thread *t = thread_get(p, ev);
	struct sys_call *sc = &t->sys;

	*sc = (struct sys_call){ .ts = ev->ts, .fn = ev->fn, .open = true,
				 .nested = t->depth > 0 || ev->in_allocator, .stack = UINT32_MAX };
	for (int i = 0; i < 5; i++)
		sc->args[i] = ev->raw[i];
	if (sc->nested || ev->fn == MR_FN_MUNMAP ||
	    (ev->fn == MR_FN_MMAP && !(sc->args[3] & MR_MAP_ANON)))
		return;
	sc->stack = stack_intern(p, ev->stack ? ev->stack : p->scratch,
				 ev->stack && ev->nr_stack > 0 ?
				 (ev->nr_stack < MR_MAX_STACK ? ev->nr_stack : MR_MAX_STACK) : 0);
}

static void on_map_exit(struct mr_pairing *p, const struct mr_event *ev)
{
	const struct mr_task *tk = mr_tasks_find(p->tasks, ev->tid);
	struct thread *t = tk ? thread_at(p, tk->id) : NULL;
	uint64_t ret = (uint64_t)ev->raw[0], n;
	struct sys_call sc;
	struct cut_ctx c;

	if (!t || !t->sys.open || t->sys.fn != ev->fn)
		return;
	sc = t->sys;
	t->sys.open = false;
	if (sc.fn == MR_FN_BRK) {
		brk_done(p, t, &sc, ev->tid, ret);
		return;
	}
	if (sc.nested) {
		p->stats.nested_maps++;
		return;
	}
	switch (sc.fn) {
	case MR_FN_MMAP:
		mmap_done(p, t, &sc, ev->tid, ret, ev->ts);
		break;
	case MR_FN_MUNMAP:
		n = ret ? 0 : unmap(p, t->aspace, sc.args[0], page_up(sc.args[1]), ev->ts, &c);
		if (n) {
			p->stats.unmaps++;
			p->stats.unmap_bytes += n;
		}
		break;
	case MR_FN_MREMAP:
		mremap_done(p, t, &sc, ret, ev->ts);
		break;
	default:
		break;
	}
}

/* ---- API ---- */

struct mr_pairing *mr_pairing_new(struct mr_tasks *tasks)
{
	struct mr_pairing *p = mr_xcalloc(1, sizeof(*p));

	p->tasks = tasks;
	p->pool_free = NIL;
	p->ranges = mr_ranges_new();
	mr_hmap_reserve(&p->blocks, 640);
	/* Never NULL, so an empty stack is a valid (zero-length) range too. */
	p->frames_cap = 1024;
	p->frames = mr_xmalloc(p->frames_cap * sizeof(*p->frames));
	return p;
}

void mr_pairing_free(struct mr_pairing *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; i < p->nr_th; i++) {
		if (p->th[i])
			free(p->th[i]->estk);
		free(p->th[i]);
	}
	free(p->th);
	free(p->lists);
	mr_hmap_release(&p->blocks);
	free(p->pool);
	free(p->frames);
	free(p->stk);
	mr_hmap_release(&p->stk_ids);
	mr_ranges_free(p->ranges);
	free(p->brk);
	free(p);
}

void mr_pairing_feed(struct mr_pairing *p, const struct mr_event *ev)
{
	/* dlopen's own mallocs are real; dlopen itself is no allocator. */
	if ((ev->kind == MR_EV_ENTER || ev->kind == MR_EV_RETURN) &&
	    ((unsigned)ev->fn >= MR_FN_NR || ev->fn == MR_FN_DLOPEN))
		return;

	switch (ev->kind) {
	case MR_EV_ENTER:
		on_enter(p, ev);
		break;
	case MR_EV_RETURN:
		if (ev->fn != MR_FN_FREE)	/* free has no return probe; never pushed */
			on_return(p, ev);
		break;
	case MR_EV_TASK_NEW:
		on_task_new(p, ev);
		break;
	case MR_EV_EXEC:
		on_exec(p, ev);
		break;
	case MR_EV_EXIT:
		on_exit_ev(p, ev);
		break;
	case MR_EV_LOST:
		p->stats.lost_events += ev->lost;
		break;
	case MR_EV_MAP_ENTER:
		on_map_enter(p, ev);
		break;
	case MR_EV_MAP_EXIT:
		on_map_exit(p, ev);
		break;
	default:
		break;	/* memory pressure events are the OOM analyser's */
	}
}

/* Calls still open at the end were running when the recording stopped: no loss. */
void mr_pairing_finish(struct mr_pairing *p, uint64_t end_ts)
{
	for (uint32_t i = 0; i < p->nr_th; i++) {
		if (p->th[i]) {
			p->stats.open_at_stop += p->th[i]->depth;
			p->th[i]->depth = 0;
		}
	}
}

const struct mr_pair_stats *mr_pairing_stats(const struct mr_pairing *p)
{
	return &p->stats;
}

void mr_pairing_set_hooks(struct mr_pairing *p, const struct mr_pairing_hooks *h)
{
	p->hooks = *h;
}

uint32_t mr_pairing_intern(struct mr_pairing *p, const uint64_t *frames, int n)
{
	return stack_intern(p, frames, n < 0 ? 0 : n > MR_MAX_STACK ? MR_MAX_STACK : n);
}

int mr_pairing_for_each_live(const struct mr_pairing *p,
			     int (*fn)(const struct mr_block *b, void *ctx), void *ctx)
{
	for (uint32_t i = 0; i < p->pool_nr; i++) {
		int r;

		if (!p->pool[i].b.ptr)
			continue;
		r = fn(&p->pool[i].b, ctx);
		if (r)
			return r;
	}
	return 0;
}

const uint64_t *mr_pairing_stack(const struct mr_pairing *p, uint32_t id, int *nr)
{
	if (id >= p->nr_stk) {
		*nr = 0;
		return NULL;
	}
	*nr = p->stk[id].nr;
	return p->frames + p->stk[id].off;
}
