// SPDX-License-Identifier: GPL-2.0
/*
 * pairing.c - owns the live-block table, the per-thread stacks of open
 * allocator calls, the address spaces and the stack intern table. Entry and
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
#include "mr_pairing.h"

/* Kernel ABI values of clone flags, independent of the host's headers. */
#define MR_CLONE_VM		0x00000100ull
#define MR_CLONE_THREAD		0x00010000ull

#define NIL			UINT32_MAX
/* glibc and libstdc++ nest at most 5 deep (new[](nothrow) -> ... -> malloc). */
#define MAX_DEPTH		8

/* An int-keyed table: tid -> thread index, pid -> newest aspace id. */
struct islot {
	int		key;
	uint32_t	val;		/* NIL: empty slot */
};

struct itab {
	struct islot	*s;
	uint32_t	mask;		/* capacity - 1, capacity a power of two */
	uint32_t	nr;
};

/* One open allocator call. */
struct frame {
	uint64_t	args[3];
	uint64_t	ts;
	uint64_t	caller;
	enum mr_fn	fn;
};

struct thread {
	struct frame	frames[MAX_DEPTH];
	/* What nested calls told the outermost call (frames[0]). */
	uint64_t	inner_size;	/* size of the last nested malloc: strdup's size */
	uint64_t	inner_memalign;	/* nested _mid_memalign's result: posix_memalign's ptr */
	/* The outermost call's entry stack; grown once, reused. */
	uint64_t	*estk;
	int		nr_estk;
	int		estk_cap;
	int		tid;
	int		depth;
	uint32_t	aspace;
	uint32_t	next_free;	/* free list of thread slots */
	/* A CLONE_VM child (vfork, posix_spawn) borrows its parent's aspace until exec. */
	bool		borrowed;
};

/* A live block in the pool, linked into its address space's list. */
struct pent {
	struct mr_block	b;		/* b.ptr == 0: unused, next links the free list */
	uint32_t	prev;
	uint32_t	next;
};

struct bslot {
	uint64_t	ptr;		/* 0: empty slot (no allocator returns 0 for a block) */
	uint32_t	aspace;
	uint32_t	idx;		/* into the pool */
};

struct aspace {
	struct mr_aspace pub;
	uint64_t	nr_live;
	uint32_t	head;		/* its live blocks in the pool */
	uint32_t	tail;
	uint32_t	older;		/* previous aspace with the same pid, or NIL */
	bool		ended;		/* end_ts may legitimately be 0 in a trace */
};

struct stk {
	uint64_t	off;		/* into frames */
	uint32_t	nr;
	uint32_t	hash;
};

struct mr_pairing {
	struct mr_pair_stats	stats;
	struct mr_pairing_hooks	hooks;

	struct bslot		*bs;
	size_t			bmask;
	size_t			bnr;
	struct pent		*pool;
	uint32_t		pool_nr;
	uint32_t		pool_cap;
	uint32_t		pool_free;

	/* Pointers, so struct mr_aspace handed out stays put as more are made. */
	struct aspace		**as;
	uint32_t		nr_as;
	uint32_t		as_cap;
	struct itab		pids;

	struct thread		**th;
	uint32_t		nr_th;
	uint32_t		th_cap;
	uint32_t		th_free;
	struct itab		tids;

	uint64_t		*frames;
	size_t			nr_frames;
	size_t			frames_cap;
	struct stk		*stk;
	uint32_t		nr_stk;
	uint32_t		stk_cap;
	uint32_t		*stk_slot;	/* id + 1, 0: empty */
	uint32_t		stk_mask;

	uint64_t		scratch[MR_MAX_STACK];
};

/*
 * Backward-shift deletion: the entry at j (home slot home) may move back
 * into the hole at i only if i lies on its probe path from home to j.
 */
static bool may_shift(size_t i, size_t j, size_t home, size_t mask)
{
	return ((j - i) & mask) <= ((j - home) & mask);
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	uint64_t r;

	if (__builtin_mul_overflow(a, b, &r))
		return UINT64_MAX;
	return r;
}

/* ---- int-keyed table ---- */

static void itab_init(struct itab *t, uint32_t cap)
{
	t->s = mr_xmalloc(cap * sizeof(*t->s));
	for (uint32_t i = 0; i < cap; i++)
		t->s[i].val = NIL;
	t->mask = cap - 1;
	t->nr = 0;
}

static uint32_t itab_home(const struct itab *t, int key)
{
	return (uint32_t)mr_hash_u64((uint32_t)key) & t->mask;
}

static uint32_t itab_slot(const struct itab *t, int key)
{
	uint32_t i = itab_home(t, key);

	while (t->s[i].val != NIL && t->s[i].key != key)
		i = (i + 1) & t->mask;
	return i;
}

static uint32_t itab_get(const struct itab *t, int key)
{
	return t->s[itab_slot(t, key)].val;
}

static void itab_set(struct itab *t, int key, uint32_t val)
{
	uint32_t i = itab_slot(t, key);

	if (t->s[i].val == NIL) {
		if ((t->nr + 1) * 4 > (t->mask + 1) * 3) {
			struct itab old = *t;

			itab_init(t, (old.mask + 1) * 2);
			for (uint32_t j = 0; j <= old.mask; j++)
				if (old.s[j].val != NIL)
					itab_set(t, old.s[j].key, old.s[j].val);
			free(old.s);
			i = itab_slot(t, key);
		}
		t->nr++;
	}
	t->s[i].key = key;
	t->s[i].val = val;
}

static void itab_del(struct itab *t, int key)
{
	uint32_t i = itab_slot(t, key), j = i;

	if (t->s[i].val == NIL)
		return;
	for (;;) {
		j = (j + 1) & t->mask;
		if (t->s[j].val == NIL)
			break;
		if (may_shift(i, j, itab_home(t, t->s[j].key), t->mask)) {
			t->s[i] = t->s[j];
			i = j;
		}
	}
	t->s[i].val = NIL;
	t->nr--;
}

/* ---- live blocks: pool + (aspace, ptr) table ---- */

static size_t bhome(const struct mr_pairing *p, uint32_t aspace, uint64_t ptr)
{
	return mr_hash_u64(ptr + aspace * 0x9e3779b97f4a7c15ull) & p->bmask;
}

static size_t bslot_find(const struct mr_pairing *p, uint32_t aspace, uint64_t ptr)
{
	size_t i = bhome(p, aspace, ptr);

	while (p->bs[i].ptr && (p->bs[i].ptr != ptr || p->bs[i].aspace != aspace))
		i = (i + 1) & p->bmask;
	return i;
}

static void btab_resize(struct mr_pairing *p, size_t cap)
{
	struct bslot *old = p->bs;
	size_t old_cap = p->bmask + 1;

	p->bs = mr_xcalloc(cap, sizeof(*p->bs));
	p->bmask = cap - 1;
	for (size_t i = 0; old && i < old_cap; i++)
		if (old[i].ptr)
			p->bs[bslot_find(p, old[i].aspace, old[i].ptr)] = old[i];
	free(old);
}

static void bslot_del(struct mr_pairing *p, size_t i)
{
	size_t j = i;

	for (;;) {
		j = (j + 1) & p->bmask;
		if (!p->bs[j].ptr)
			break;
		if (may_shift(i, j, bhome(p, p->bs[j].aspace, p->bs[j].ptr), p->bmask)) {
			p->bs[i] = p->bs[j];
			i = j;
		}
	}
	p->bs[i].ptr = 0;
	p->bnr--;
}

static uint32_t pool_get(struct mr_pairing *p)
{
	uint32_t idx = p->pool_free;

	if (idx != NIL) {
		p->pool_free = p->pool[idx].next;
		return idx;
	}
	if (p->pool_nr == p->pool_cap) {
		p->pool_cap = p->pool_cap ? p->pool_cap * 2 : 1024;
		p->pool = mr_xrealloc(p->pool, (size_t)p->pool_cap * sizeof(*p->pool));
	}
	return p->pool_nr++;
}

static void list_unlink(struct mr_pairing *p, uint32_t idx)
{
	struct pent *e = &p->pool[idx];
	struct aspace *as = p->as[e->b.aspace];

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
	size_t cap = p->bmask + 1;

	while ((p->bnr + n) * 10 > cap * 7)
		cap *= 2;
	if (cap != p->bmask + 1)
		btab_resize(p, cap);
	/* Free pool entries are reused first; pool_get grows for the rest. */
	if (n > 1 && p->pool_nr + n > p->pool_cap) {
		p->pool_cap = p->pool_nr + n;
		p->pool = mr_xrealloc(p->pool, (size_t)p->pool_cap * sizeof(*p->pool));
	}
}

/* Adds b at slot i, an empty slot from bslot_find after live_reserve. */
static void live_insert(struct mr_pairing *p, const struct mr_block *b, size_t i)
{
	struct aspace *as = p->as[b->aspace];
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

	p->bs[i] = (struct bslot){ .ptr = b->ptr, .aspace = b->aspace, .idx = idx };
	p->bnr++;
}

/* Returns true and the block if (aspace, ptr) was live. */
static bool live_remove(struct mr_pairing *p, uint32_t aspace, uint64_t ptr, struct mr_block *b)
{
	size_t i = bslot_find(p, aspace, ptr);
	uint32_t idx = p->bs[i].idx;

	if (!p->bs[i].ptr)
		return false;
	*b = p->pool[idx].b;
	bslot_del(p, i);
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

static uint32_t *stk_find(struct mr_pairing *p, const uint64_t *f, int n, uint32_t h)
{
	uint32_t i = h & p->stk_mask;

	while (p->stk_slot[i]) {
		const struct stk *s = &p->stk[p->stk_slot[i] - 1];

		if (s->hash == h && s->nr == (uint32_t)n &&
		    !memcmp(p->frames + s->off, f, n * sizeof(*f)))
			break;
		i = (i + 1) & p->stk_mask;
	}
	return &p->stk_slot[i];
}

static void stk_grow(struct mr_pairing *p)
{
	uint32_t cap = (p->stk_mask + 1) * 2;

	free(p->stk_slot);
	p->stk_slot = mr_xcalloc(cap, sizeof(*p->stk_slot));
	p->stk_mask = cap - 1;
	for (uint32_t id = 0; id < p->nr_stk; id++) {
		uint32_t i = p->stk[id].hash & p->stk_mask;

		while (p->stk_slot[i])
			i = (i + 1) & p->stk_mask;
		p->stk_slot[i] = id + 1;
	}
}

static uint32_t stack_intern(struct mr_pairing *p, const uint64_t *f, int n)
{
	uint32_t h = hash_frames(f, n), *slot = stk_find(p, f, n, h);

	if (*slot)
		return *slot - 1;
	if (p->nr_frames + n > p->frames_cap) {
		p->frames_cap = (p->frames_cap + n) * 2;
		p->frames = mr_xrealloc(p->frames, p->frames_cap * sizeof(*p->frames));
	}
	memcpy(p->frames + p->nr_frames, f, n * sizeof(*f));
	if (p->nr_stk == p->stk_cap) {
		p->stk_cap = p->stk_cap ? p->stk_cap * 2 : 256;
		p->stk = mr_xrealloc(p->stk, (size_t)p->stk_cap * sizeof(*p->stk));
	}
	p->stk[p->nr_stk] = (struct stk){ .off = p->nr_frames, .nr = n, .hash = h };
	p->nr_frames += n;
	*slot = ++p->nr_stk;
	if ((uint64_t)p->nr_stk * 4 > (uint64_t)(p->stk_mask + 1) * 3)
		stk_grow(p);
	return p->nr_stk - 1;
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

/* ---- address spaces ---- */

static uint32_t aspace_new(struct mr_pairing *p, int pid, uint64_t ts, int parent_id)
{
	struct aspace *as = mr_xcalloc(1, sizeof(*as));
	uint32_t id = p->nr_as;

	if (p->nr_as == p->as_cap) {
		p->as_cap = p->as_cap ? p->as_cap * 2 : 16;
		p->as = mr_xrealloc(p->as, p->as_cap * sizeof(*p->as));
	}
	as->pub.id = id;
	as->pub.pid = pid;
	as->pub.parent_id = parent_id;
	as->pub.start_ts = ts;
	as->head = as->tail = NIL;
	as->older = itab_get(&p->pids, pid);
	itab_set(&p->pids, pid, id);
	p->as[p->nr_as++] = as;
	return id;
}

static void aspace_set_comm(struct aspace *as, const char *comm)
{
	if (!comm || !*comm)
		return;
	strncpy(as->pub.comm, comm, sizeof(as->pub.comm) - 1);
	as->pub.comm[sizeof(as->pub.comm) - 1] = '\0';
}

static void aspace_end(struct aspace *as, uint64_t ts, bool exited)
{
	as->ended = true;
	as->pub.end_ts = ts;
	as->pub.exited = exited;
}

/* The newest address space of pid that has not ended, or NULL. */
static struct aspace *aspace_live(const struct mr_pairing *p, int pid)
{
	for (uint32_t id = itab_get(&p->pids, pid); id != NIL; id = p->as[id]->older)
		if (!p->as[id]->ended)
			return p->as[id];
	return NULL;
}

static uint32_t aspace_of_pid(struct mr_pairing *p, int pid, uint64_t ts)
{
	struct aspace *as = aspace_live(p, pid);

	return as ? as->pub.id : aspace_new(p, pid, ts, -1);
}

/* A forked child starts with a copy of every block its parent has live. */
static uint32_t aspace_fork(struct mr_pairing *p, uint32_t parent, int pid,
			    const char *comm, uint64_t ts)
{
	uint32_t id = aspace_new(p, pid, ts, parent);

	if (comm && *comm)
		aspace_set_comm(p->as[id], comm);
	else
		memcpy(p->as[id]->pub.comm, p->as[parent]->pub.comm, sizeof(p->as[id]->pub.comm));
	live_reserve(p, p->as[parent]->nr_live);
	for (uint32_t idx = p->as[parent]->head; idx != NIL; idx = p->pool[idx].next) {
		struct mr_block b = p->pool[idx].b;

		b.aspace = id;
		b.inherited = true;
		live_insert(p, &b, bslot_find(p, id, b.ptr));
	}
	return id;
}

/* ---- threads ---- */

static struct thread *thread_find(const struct mr_pairing *p, int tid)
{
	uint32_t i = itab_get(&p->tids, tid);

	return i == NIL ? NULL : p->th[i];
}

/* Open calls that will never see their return are orphans. */
static void thread_drop_calls(struct mr_pairing *p, struct thread *t, int from)
{
	if (t->depth > from) {
		p->stats.orphan_entries += t->depth - from;
		t->depth = from;
	}
}

static struct thread *thread_add(struct mr_pairing *p, int tid)
{
	struct thread *t;
	uint32_t i = p->th_free;

	if (i != NIL) {
		t = p->th[i];
		p->th_free = t->next_free;
	} else {
		if (p->nr_th == p->th_cap) {
			p->th_cap = p->th_cap ? p->th_cap * 2 : 64;
			p->th = mr_xrealloc(p->th, p->th_cap * sizeof(*p->th));
		}
		i = p->nr_th++;
		t = p->th[i] = mr_xcalloc(1, sizeof(*t));
	}
	t->tid = tid;
	t->depth = 0;
	t->borrowed = false;
	itab_set(&p->tids, tid, i);
	return t;
}

static void thread_del(struct mr_pairing *p, struct thread *t)
{
	uint32_t i = itab_get(&p->tids, t->tid);

	thread_drop_calls(p, t, 0);
	itab_del(&p->tids, t->tid);
	t->next_free = p->th_free;
	p->th_free = i;
}

/* The thread tid, reset: a new task (or a reused tid) has no open calls. */
static struct thread *thread_fresh(struct mr_pairing *p, int tid)
{
	struct thread *t = thread_find(p, tid);

	if (!t)
		return thread_add(p, tid);
	thread_drop_calls(p, t, 0);
	t->borrowed = false;
	return t;
}

/*
 * The thread of an event, mapped to a live address space. A tid whose
 * process has ended belongs to a new process now (pid reuse).
 */
static struct thread *thread_get(struct mr_pairing *p, int tid, int tgid, uint64_t ts)
{
	struct thread *t = thread_find(p, tid);

	if (t && !p->as[t->aspace]->ended)
		return t;
	t = thread_fresh(p, tid);
	t->aspace = aspace_of_pid(p, tgid > 0 ? tgid : tid, ts);
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
		.fn	= t->frames[0].fn,
		.tid	= ev->tid,
	};
	size_t i;

	p->stats.allocs++;
	p->stats.alloc_bytes += size;
	live_reserve(p, 1);
	i = bslot_find(p, t->aspace, ptr);
	if (p->bs[i].ptr) {
		/* A free we never saw: the old block is gone, keep its list place. */
		p->stats.replaced++;
		if (p->hooks.dead)
			p->hooks.dead(&p->pool[p->bs[i].idx].b, ev->ts, p->hooks.ctx);
		p->pool[p->bs[i].idx].b = b;
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
	struct thread *t = thread_get(p, ev->tid, ev->tgid, ev->ts);
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
	struct thread *t = thread_find(p, ev->tid);
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

/* ---- task events ---- */

static void on_task_new(struct mr_pairing *p, const struct mr_event *ev)
{
	uint32_t parent = thread_get(p, ev->tid, ev->tgid, ev->ts)->aspace;
	struct thread *child;

	if (ev->child_tid <= 0 || ev->child_tid == ev->tid)
		return;
	child = thread_fresh(p, ev->child_tid);
	if (ev->clone_flags & MR_CLONE_THREAD) {
		child->aspace = parent;
		if (!p->as[parent]->pub.comm[0])
			aspace_set_comm(p->as[parent], ev->comm);
	} else if (ev->clone_flags & MR_CLONE_VM) {
		child->aspace = parent;
		child->borrowed = true;
	} else {
		child->aspace = aspace_fork(p, parent, ev->child_tid, ev->comm, ev->ts);
	}
}

static void on_exec(struct mr_pairing *p, const struct mr_event *ev)
{
	int old_tid = ev->args[0] ? (int)ev->args[0] : ev->tid;
	struct thread *t = thread_find(p, old_tid);
	struct aspace *cur;
	const char *base;
	uint32_t id;

	if (!t)
		t = thread_find(p, ev->tid);
	if (t)
		cur = t->borrowed || p->as[t->aspace]->ended ? NULL : p->as[t->aspace];
	else
		cur = aspace_live(p, ev->tid);
	/* Its blocks stay live: they are what the old image never freed. */
	if (cur)
		aspace_end(cur, ev->ts, false);

	id = aspace_new(p, ev->tid, ev->ts, -1);
	if (ev->path) {
		p->as[id]->pub.exe = mr_xstrdup(ev->path);
		/* The kernel names the task after the file, as here. */
		base = strrchr(ev->path, '/');
		aspace_set_comm(p->as[id], base ? base + 1 : ev->path);
	}
	thread_fresh(p, ev->tid)->aspace = id;
	if (old_tid != ev->tid)
		thread_fresh(p, old_tid)->aspace = id;
}

static void on_exit_ev(struct mr_pairing *p, const struct mr_event *ev)
{
	struct thread *t = thread_find(p, ev->tid);
	struct aspace *as;

	if (t) {
		/* A vfork child exiting ends only itself, not the borrowed aspace. */
		as = t->borrowed ? NULL : p->as[t->aspace];
		thread_del(p, t);
	} else {
		as = aspace_live(p, ev->tgid > 0 ? ev->tgid : ev->tid);
	}
	if (!as || as->ended)
		return;
	if (ev->tid == as->pub.pid || !as->pub.comm[0])
		aspace_set_comm(as, ev->comm);
	if (ev->group_dead)
		aspace_end(as, ev->ts, true);
}

/* ---- API ---- */

struct mr_pairing *mr_pairing_new(void)
{
	struct mr_pairing *p = mr_xcalloc(1, sizeof(*p));

	p->pool_free = NIL;
	p->th_free = NIL;
	btab_resize(p, 1024);
	itab_init(&p->pids, 64);
	itab_init(&p->tids, 64);
	p->stk_slot = mr_xcalloc(256, sizeof(*p->stk_slot));
	p->stk_mask = 255;
	/* Never NULL, so an empty stack is a valid (zero-length) range too. */
	p->frames_cap = 1024;
	p->frames = mr_xmalloc(p->frames_cap * sizeof(*p->frames));
	return p;
}

void mr_pairing_free(struct mr_pairing *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; i < p->nr_as; i++) {
		free((char *)p->as[i]->pub.exe);
		free(p->as[i]);
	}
	for (uint32_t i = 0; i < p->nr_th; i++) {
		free(p->th[i]->estk);
		free(p->th[i]);
	}
	free(p->as);
	free(p->th);
	free(p->pids.s);
	free(p->tids.s);
	free(p->bs);
	free(p->pool);
	free(p->frames);
	free(p->stk);
	free(p->stk_slot);
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
	default:
		break;	/* memory pressure events are the OOM analyser's */
	}
}

void mr_pairing_finish(struct mr_pairing *p, uint64_t end_ts)
{
	for (uint32_t i = 0; i < p->nr_th; i++)
		thread_drop_calls(p, p->th[i], 0);
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

uint32_t mr_pairing_nr_aspaces(const struct mr_pairing *p)
{
	return p->nr_as;
}

const struct mr_aspace *mr_pairing_aspace(const struct mr_pairing *p, uint32_t id)
{
	return id < p->nr_as ? &p->as[id]->pub : NULL;
}

const struct mr_aspace *mr_pairing_find_aspace(const struct mr_pairing *p, int pid, uint64_t ts)
{
	const struct aspace *latest = NULL, *earliest = NULL;

	/* Newest first, so among overlapping lifetimes the newest wins. */
	for (uint32_t id = itab_get(&p->pids, pid); id != NIL; id = p->as[id]->older) {
		const struct aspace *as = p->as[id];

		if (as->pub.start_ts <= ts && (!as->ended || ts < as->pub.end_ts))
			return &as->pub;
		if (as->pub.start_ts <= ts && (!latest || as->pub.start_ts > latest->pub.start_ts))
			latest = as;
		if (!earliest || as->pub.start_ts <= earliest->pub.start_ts)
			earliest = as;
	}
	if (latest)
		return &latest->pub;
	return earliest ? &earliest->pub : NULL;
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
