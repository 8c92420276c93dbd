// SPDX-License-Identifier: GPL-2.0
/*
 * libmemrec-preload.c - libmemrec_preload.so, which `memrec record
 * --preload -- CMD` puts in CMD's LD_PRELOAD: it interposes the allocator
 * functions the uprobes cover and writes each entry and return, with the
 * call chain of the return (frame-pointer walk), into the process's ring in
 * the memory the recorder shares (include/mr_preload.h). No trap per call.
 *
 * Everything here runs inside another program, inside its allocator calls:
 * - no allocation and no lock in a hook: a ring slot is taken with one
 *   atomic add, so a signal handler that mallocs while a hook runs records
 *   too; allocations made while dlsym resolves the real functions come
 *   from a static buffer and are never freed;
 * - a full ring makes the writer wait for the recorder (nothing is dropped
 *   while it runs); once it stopped or died, records are dropped and counted;
 *   a call interrupting its own thread's write never waits (the recorder
 *   cannot pass the slot the interrupted write holds): with the ring full,
 *   its records are dropped and counted;
 * - glibc's malloc is set up in the constructor, so that the program's
 *   first call does not hold the arena lock long (a handler's malloc waits
 *   for that lock forever);
 * - the stack walk reads only the thread's own stack mapping, found once
 *   per thread from /proc/self/maps with plain syscalls;
 * - fork: the child (pthread_atfork) takes a ring of its own; exec: the new
 *   image finds the environment and the ring of its pid again.
 * This file's state is one static struct: a preloaded library has no
 * caller to hand it one.
 */
#if defined(__x86_64__)
#include <cpuid.h>
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "mr_preload.h"

#define EXPORT		__attribute__((visibility("default")))
#define BOOT_SIZE	(64 * 1024)

typedef void *(*alloc1_fn)(size_t);
typedef void *(*alloc2_fn)(size_t, size_t);

struct real_fns {
	void	*(*malloc)(size_t);
	void	*(*calloc)(size_t, size_t);
	void	*(*realloc)(void *, size_t);
	void	*(*reallocarray)(void *, size_t, size_t);
	void	(*free)(void *);
	int	(*posix_memalign)(void **, size_t, size_t);
	void	*(*aligned_alloc)(size_t, size_t);
	void	*(*memalign)(size_t, size_t);
	void	*(*valloc)(size_t);
	void	*(*pvalloc)(size_t);
	char	*(*strdup)(const char *);
	char	*(*strndup)(const char *, size_t);
	/* operator new and new[]: plain, nothrow, aligned, aligned nothrow */
	void	*cxx[8];
};

static const char *const cxx_syms[8] = { MR_PL_CXX_SYMBOLS };

static struct preload {
	struct real_fns		real;
	struct mr_pl_shm	*shm;
	struct mr_pl_ring	*ring;		/* this process's, NULL: not recording */
	/*
	 * The ring's tail as last read: a writer reads the recorder's tail
	 * only when this says the ring may be full, so the cache line the
	 * recorder writes is not pulled over at every call.
	 */
	uint64_t		tail_seen;
	int			state;		/* 0 not started, 1 starting, 2 ready */
	int			off;		/* recorder gone or stopped: record nothing */
	bool			prefetchw;	/* the CPU has PREFETCHW (CPUID PRFCHW) */
	/* --call-graph dwarf: libunwind's, loaded at set-up; NULL: frame pointers */
	int			(*unw_backtrace)(void **ips, int max);
	size_t			boot_used;
	char			boot[BOOT_SIZE] __attribute__((aligned(16)));
} pl;

/* Per thread: initial-exec TLS, which never allocates. */
struct thread_state {
	int		tid;
	int		busy;		/* inside memrec's own set-up: do not record */
	int		unwinding;	/* in libunwind: a call it interrupts walks frame pointers */
	int		open;		/* slots this thread took and has not committed */
	uintptr_t	stack_lo, stack_hi;	/* the mapping the thread's stack is in */
};
static __thread struct thread_state ts __attribute__((tls_model("initial-exec")));

/* ---- bootstrap: allocations made while dlsym runs ---- */

static void *boot_alloc(size_t n)
{
	size_t at = (pl.boot_used + 15) & ~(size_t)15;

	if (n > BOOT_SIZE || at + n > BOOT_SIZE)
		return NULL;
	pl.boot_used = at + n;
	return pl.boot + at;
}

static int is_boot(const void *p)
{
	return (const char *)p >= pl.boot && (const char *)p < pl.boot + BOOT_SIZE;
}

/* ---- set-up ---- */

static void resolve(void)
{
	pl.real.malloc = dlsym(RTLD_NEXT, "malloc");
	pl.real.calloc = dlsym(RTLD_NEXT, "calloc");
	pl.real.realloc = dlsym(RTLD_NEXT, "realloc");
	pl.real.reallocarray = dlsym(RTLD_NEXT, "reallocarray");
	pl.real.free = dlsym(RTLD_NEXT, "free");
	pl.real.posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
	pl.real.aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
	pl.real.memalign = dlsym(RTLD_NEXT, "memalign");
	pl.real.valloc = dlsym(RTLD_NEXT, "valloc");
	pl.real.pvalloc = dlsym(RTLD_NEXT, "pvalloc");
	pl.real.strdup = dlsym(RTLD_NEXT, "strdup");
	pl.real.strndup = dlsym(RTLD_NEXT, "strndup");
}

/* operator new lives in libstdc++, which may be loaded (dlopen) after us. */
static void *cxx_real(int i)
{
	void *f = __atomic_load_n(&pl.real.cxx[i], __ATOMIC_ACQUIRE);

	if (!f) {
		ts.busy++;
		f = dlsym(RTLD_NEXT, cxx_syms[i]);
		ts.busy--;
		__atomic_store_n(&pl.real.cxx[i], f, __ATOMIC_RELEASE);
	}
	return f;
}

static void say(const char *msg)
{
	ssize_t r = write(STDERR_FILENO, msg, strlen(msg));

	(void)r;
}

/* The ring of this pid (an exec'd image finds its own again), else a free one. */
static void claim_ring(void)
{
	int32_t pid = (int32_t)syscall(SYS_getpid), zero;

	pl.ring = NULL;
	if (!pl.shm)
		return;
	for (int i = 0; i < MR_PL_RINGS && !pl.ring; i++)
		if (__atomic_load_n(&pl.shm->rings[i].owner, __ATOMIC_ACQUIRE) == pid)
			pl.ring = &pl.shm->rings[i];
	for (int i = 0; i < MR_PL_RINGS && !pl.ring; i++) {
		zero = 0;
		if (__atomic_compare_exchange_n(&pl.shm->rings[i].owner, &zero, pid, false,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			pl.ring = &pl.shm->rings[i];
	}
	if (pl.ring)
		pl.tail_seen = __atomic_load_n(&pl.ring->tail, __ATOMIC_ACQUIRE);
	if (!pl.ring) {
		__atomic_fetch_add(&pl.shm->no_ring, 1, __ATOMIC_RELAXED);
		say("memrec: warning: preload: every ring is taken; this process is not "
		    "recorded\n");
	}
}

static void atfork_child(void)
{
	ts.tid = 0;
	claim_ring();
}

static void map_shm(void)
{
	const char *path = getenv(MR_PL_ENV_SHM);
	struct mr_pl_shm *shm;
	int fd;

	if (!path || !*path)
		return;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		say("memrec: warning: preload: cannot open the recorder's shared memory; "
		    "this process is not recorded\n");
		return;
	}
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (shm == MAP_FAILED)
		return;
	if (shm->magic != MR_PL_MAGIC || shm->rec_size != sizeof(struct mr_pl_rec)) {
		say("memrec: warning: preload: the library does not match the recorder; "
		    "this process is not recorded\n");
		munmap(shm, sizeof(*shm));
		return;
	}
	pl.shm = shm;
}

/*
 * --call-graph dwarf: libunwind, loaded here (not linked: a program
 * recorded with frame pointers never maps it), with a cache of unwind
 * info per thread, as heaptrack uses it. Its caches are mmaps of its own
 * (the report leaves them out); a malloc it made would be recorded with
 * the frame-pointer walk (ts.unwinding), never unwound again.
 */
static void load_unwinder(void)
{
#if defined(__x86_64__)
	void *h = dlopen(MR_PL_UNWIND_LIB, RTLD_NOW | RTLD_LOCAL);
	int (*policy)(void *, int);
	void **space;

	if (!h) {
		say("memrec: warning: preload: cannot load " MR_PL_UNWIND_LIB "; stacks are "
		    "frame-pointer walks\n");
		return;
	}
	policy = (int (*)(void *, int))dlsym(h, "_ULx86_64_set_caching_policy");
	space = dlsym(h, "_ULx86_64_local_addr_space");
	if (policy && space)
		policy(*space, 2);	/* UNW_CACHE_PER_THREAD */
	pl.unw_backtrace = (int (*)(void **, int))dlsym(h, "unw_backtrace");
#endif
}

static void init(void)
{
	int expect = 0;

	/* busy first: a signal handler's call in between must not wait for this thread */
	ts.busy++;
	if (!__atomic_compare_exchange_n(&pl.state, &expect, 1, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		/* another thread sets up: wait for it (never this thread: busy) */
		while (__atomic_load_n(&pl.state, __ATOMIC_ACQUIRE) != 2)
			sched_yield();
		ts.busy--;
		return;
	}
	resolve();
#if defined(__x86_64__)
	{
		unsigned int a, b, c, d;

		pl.prefetchw = __get_cpuid(0x80000001, &a, &b, &c, &d) && (c & bit_PRFCHW);
	}
#endif
	map_shm();
	claim_ring();
	if (pl.shm)
		pthread_atfork(NULL, NULL, atfork_child);
	/*
	 * glibc's first malloc of a thread sets up its arena and cache, growing
	 * the heap, under the arena's lock; a signal handler that mallocs then
	 * waits for that lock forever. Do it here, before the program's code
	 * can install a handler: its first call is then as short as any other.
	 */
	if (pl.real.malloc && pl.real.free)
		pl.real.free(pl.real.malloc(1));
	ts.busy--;
	__atomic_store_n(&pl.state, 2, __ATOMIC_RELEASE);
}

/* Before the program's constructors, when no allocation came first. */
__attribute__((constructor(101))) static void preload_ctor(void)
{
	if (__atomic_load_n(&pl.state, __ATOMIC_ACQUIRE) != 2 && !ts.busy)
		init();
	/*
	 * Here, not in init(): a first malloc may come from the dynamic
	 * loader itself, in the middle of loading, where dlopen must not run.
	 */
	if (pl.shm && pl.shm->dwarf && !pl.unw_backtrace) {
		ts.busy++;
		load_unwinder();
		ts.busy--;
	}
}

/* ---- the thread's stack, for a walk that never faults ---- */

/* The mapping holding sp, from /proc/self/maps read with plain syscalls. */
static void find_stack(uintptr_t sp)
{
	char buf[2048];
	uintptr_t lo = 0, hi = 0, v = 0;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC), field = 0, done = 0;
	ssize_t n;

	ts.stack_lo = ts.stack_hi = 1;	/* tried: no walk if it fails */
	if (fd < 0)
		return;
	/* each line starts "lo-hi ": a small state machine across reads */
	while (!done && (n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n && !done; i++) {
			char c = buf[i];
			int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

			if (c == '\n') {
				field = 0;
				v = 0;
			} else if (field < 2 && d >= 0) {
				v = v << 4 | d;
			} else if (field == 0 && c == '-') {
				lo = v;
				v = 0;
				field = 1;
			} else if (field == 1) {
				hi = v;
				field = 2;
				if (sp >= lo && sp < hi) {
					ts.stack_lo = lo;
					ts.stack_hi = hi;
					done = 1;
				}
			}
		}
	}
	close(fd);
}

/*
 * The return addresses from frame fp on, as perf's user call chain would
 * have them at the allocator's return: fp is the hook's own frame, so the
 * first one is the return address into the caller.
 */
static uint32_t walk(uint64_t *ips, const uintptr_t *fp, uint32_t max)
{
	uint32_t n = 0;

	/* first call, a stack grown since, or a signal's alternate stack: look again */
	if ((uintptr_t)fp < ts.stack_lo || (uintptr_t)fp >= ts.stack_hi)
		find_stack((uintptr_t)fp);
	while (n < max && ((uintptr_t)fp & 7) == 0 && (uintptr_t)fp >= ts.stack_lo &&
	       (uintptr_t)fp + 16 <= ts.stack_hi) {
		const uintptr_t *next = (const uintptr_t *)fp[0];

		if (!fp[1])
			break;
		ips[n++] = fp[1];
		if (next <= fp)
			break;
		fp = next;
	}
	return n;
}

/*
 * The return addresses from the caller on, unwound with the CFI: those
 * before caller are this library's own frames. A chain that does not
 * reach caller (libunwind failed) is left to the frame-pointer walk: 0.
 */
static uint32_t unwind(uint64_t *ips, uintptr_t caller, uint32_t max)
{
	void *buf[MR_PL_FRAMES + 8];
	int n, i = 0;
	uint32_t k = 0;

	/*
	 * A signal handler's call while this runs is recorded, with the
	 * frame-pointer walk: libunwind's per-thread cache is not reentrant.
	 */
	ts.unwinding++;
	n = pl.unw_backtrace(buf, (int)max + 8);
	ts.unwinding--;

	while (i < n && i < 8 && (uintptr_t)buf[i] != caller)
		i++;
	if (i >= n || i == 8)
		return 0;
	for (; i < n && k < max; i++)
		ips[k++] = (uintptr_t)buf[i];
	return k;
}

/* ---- writing records ---- */

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
}

static int recorder_gone(void)
{
	return __atomic_load_n(&pl.shm->stopped, __ATOMIC_ACQUIRE) ||
	       (kill(pl.shm->recorder, 0) < 0 && errno == ESRCH);
}

/*
 * A slot of the ring for a call that interrupted this thread's own write (a
 * signal handler's malloc while a hook holds a slot it has not committed):
 * the recorder reads in order and stops at that slot, so a full ring would
 * never empty while this waits. It takes a slot only if one is free, else
 * the record is dropped and counted: never wait on yourself.
 */
static struct mr_pl_rec *reserve_nested(uint64_t *seq)
{
	struct mr_pl_ring *r = pl.ring;
	uint64_t s = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);

	do {
		if (s - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) >= MR_PL_SLOTS) {
			__atomic_fetch_add(&pl.shm->dropped, 1, __ATOMIC_RELAXED);
			return NULL;
		}
	} while (!__atomic_compare_exchange_n(&r->head, &s, s + 1, false, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	*seq = s;
	ts.open++;
	return &r->slots[s & (MR_PL_SLOTS - 1)];
}

/*
 * The next slot's first lines, asked for in the exclusive state now: they
 * were last in the recorder's cache, and the locked add of the next call
 * waits for every store before it, so a store that must first fetch its
 * line stalls it.
 */
static void prefetch_slot(const struct mr_pl_rec *next)
{
#if defined(__x86_64__)
	/* prefetchw only where CPUID says the CPU has it (init) */
	if (pl.prefetchw) {
		for (int i = 0; i < 3; i++)
			__asm__ volatile("prefetchw %0" : : "m"(((const char *)next)[64 * i]));
		return;
	}
#endif
	for (int i = 0; i < 3; i++)
		__builtin_prefetch((const char *)next + 64 * i, 1);
}

/* The recorder's tail, kept in tail_seen (only ever forward: threads race here). */
static uint64_t tail_now(struct mr_pl_ring *r)
{
	uint64_t t = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	uint64_t seen = __atomic_load_n(&pl.tail_seen, __ATOMIC_RELAXED);

	while (seen < t && !__atomic_compare_exchange_n(&pl.tail_seen, &seen, t, true,
						       __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	return t;
}

/* A slot of the ring; waits while the ring is full and the recorder reads. */
static struct mr_pl_rec *reserve(uint64_t *seq)
{
	struct mr_pl_ring *r = pl.ring;
	uint64_t s;
	unsigned int spins = 0;

	if (ts.open)
		return reserve_nested(seq);
	ts.open++;
	s = __atomic_fetch_add(&r->head, 1, __ATOMIC_ACQ_REL);
	if (s - __atomic_load_n(&pl.tail_seen, __ATOMIC_RELAXED) < MR_PL_SLOTS)
		goto out;
	while (s - tail_now(r) >= MR_PL_SLOTS) {
		struct timespec nap = { 0, 50000 };

		if (++spins % 256 == 0 && recorder_gone()) {
			/* nobody reads any more: this slot is overwritten, unread */
			pl.off = 1;
			__atomic_fetch_add(&pl.shm->dropped, 1, __ATOMIC_RELAXED);
			break;
		}
		if (spins < 64) {
			sched_yield();
		} else {
			int e = errno;

			nanosleep(&nap, NULL);
			errno = e;
		}
	}
out:
	prefetch_slot(&r->slots[(s + 1) & (MR_PL_SLOTS - 1)]);
	*seq = s;
	return &r->slots[s & (MR_PL_SLOTS - 1)];
}

static void commit(struct mr_pl_rec *rec, uint64_t seq)
{
	__atomic_store_n(&rec->commit, seq + 1, __ATOMIC_RELEASE);
	ts.open--;
}

/* True when this call is recorded: set up, a ring, not inside memrec's own code. */
static int recording(void)
{
	if (ts.busy)
		return 0;
	if (__atomic_load_n(&pl.state, __ATOMIC_ACQUIRE) != 2)
		init();
	if (!pl.ring || pl.off)
		return 0;
	if (__atomic_load_n(&pl.shm->stopped, __ATOMIC_RELAXED)) {
		pl.off = 1;
		return 0;
	}
	if (!ts.tid)
		ts.tid = (int)syscall(SYS_gettid);
	return 1;
}

static void put_enter(int fn, uint64_t a0, uint64_t a1, uint64_t a2, void *caller, void *func)
{
	int e = errno;
	uint64_t seq;
	struct mr_pl_rec *rec = reserve(&seq);

	if (!rec)
		return;
	rec->kind = MR_PL_ENTER;
	rec->fn = fn;
	rec->tid = ts.tid;
	rec->nr = 0;
	rec->ts = now_ns();
	rec->v[0] = a0;
	rec->v[1] = a1;
	rec->v[2] = a2;
	rec->caller = (uintptr_t)caller;
	rec->func = (uintptr_t)func;
	commit(rec, seq);
	errno = e;
}

static void put_return(int fn, uint64_t ret, uint64_t a0, void *caller, void *func,
		       const void *frame)
{
	int e = errno;
	uint64_t seq;
	struct mr_pl_rec *rec = reserve(&seq);
	uint32_t max;

	if (!rec)
		return;
	rec->kind = MR_PL_RETURN;
	rec->fn = fn;
	rec->tid = ts.tid;
	rec->ts = now_ns();
	rec->v[0] = ret;
	rec->v[1] = a0;
	rec->caller = (uintptr_t)caller;
	rec->func = (uintptr_t)func;
	max = pl.shm->max_frames && pl.shm->max_frames < MR_PL_FRAMES ? pl.shm->max_frames :
								       MR_PL_FRAMES;
	rec->nr = pl.unw_backtrace && !ts.unwinding ? unwind(rec->ips, (uintptr_t)caller, max) : 0;
	if (!rec->nr)
		rec->nr = walk(rec->ips, frame, max);
	commit(rec, seq);
	errno = e;
}

/*
 * The hooks. Each one takes its own return address and frame (the walk
 * starts there), so none may be inlined into another or tail-call.
 */
#define CALLER		__builtin_return_address(0)
#define FRAME		__builtin_frame_address(0)

EXPORT void *malloc(size_t n)
{
	void *p;

	if (!recording())
		return pl.real.malloc ? pl.real.malloc(n) : boot_alloc(n);
	put_enter(MR_PL_MALLOC, n, 0, 0, CALLER, (void *)pl.real.malloc);
	p = pl.real.malloc(n);
	put_return(MR_PL_MALLOC, (uintptr_t)p, 0, CALLER, (void *)pl.real.malloc, FRAME);
	return p;
}

EXPORT void *calloc(size_t n, size_t size)
{
	void *p;

	if (!recording()) {
		if (pl.real.calloc)
			return pl.real.calloc(n, size);
		/* dlsym's own calloc: the static buffer is zero */
		return n && size > BOOT_SIZE / n ? NULL : boot_alloc(n * size);
	}
	put_enter(MR_PL_CALLOC, n, size, 0, CALLER, (void *)pl.real.calloc);
	p = pl.real.calloc(n, size);
	put_return(MR_PL_CALLOC, (uintptr_t)p, 0, CALLER, (void *)pl.real.calloc, FRAME);
	return p;
}

EXPORT void free(void *p)
{
	if (is_boot(p))
		return;
	if (!recording()) {
		if (pl.real.free)
			pl.real.free(p);
		return;
	}
	put_enter(MR_PL_FREE, (uintptr_t)p, 0, 0, CALLER, (void *)pl.real.free);
	pl.real.free(p);
}

/* A block of the static buffer moves to the real heap (its size is not known: copy what fits). */
static void *boot_realloc(void *old, size_t n)
{
	void *p = pl.real.malloc ? pl.real.malloc(n) : boot_alloc(n);
	size_t left = pl.boot + BOOT_SIZE - (char *)old;

	if (p)
		memcpy(p, old, n < left ? n : left);
	return p;
}

EXPORT void *realloc(void *old, size_t n)
{
	void *p;

	if (is_boot(old))
		return boot_realloc(old, n);
	if (!recording())
		return pl.real.realloc ? pl.real.realloc(old, n) : boot_alloc(n);
	put_enter(MR_PL_REALLOC, (uintptr_t)old, n, 0, CALLER, (void *)pl.real.realloc);
	p = pl.real.realloc(old, n);
	put_return(MR_PL_REALLOC, (uintptr_t)p, 0, CALLER, (void *)pl.real.realloc, FRAME);
	return p;
}

EXPORT void *reallocarray(void *old, size_t n, size_t size)
{
	void *p;

	if (is_boot(old))
		return n && size > SIZE_MAX / n ? NULL : boot_realloc(old, n * size);
	if (!recording())
		return pl.real.reallocarray ? pl.real.reallocarray(old, n, size) : NULL;
	put_enter(MR_PL_REALLOCARRAY, (uintptr_t)old, n, size, CALLER,
		  (void *)pl.real.reallocarray);
	p = pl.real.reallocarray(old, n, size);
	put_return(MR_PL_REALLOCARRAY, (uintptr_t)p, 0, CALLER, (void *)pl.real.reallocarray,
		   FRAME);
	return p;
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	int ret;

	if (!recording())
		return pl.real.posix_memalign ? pl.real.posix_memalign(out, align, size) : ENOMEM;
	put_enter(MR_PL_POSIX_MEMALIGN, (uintptr_t)out, align, size, CALLER,
		  (void *)pl.real.posix_memalign);
	ret = pl.real.posix_memalign(out, align, size);
	put_return(MR_PL_POSIX_MEMALIGN, (unsigned int)ret, ret ? 0 : (uintptr_t)*out, CALLER,
		   (void *)pl.real.posix_memalign, FRAME);
	return ret;
}

#define ALIGNED(NAME, FN)							\
EXPORT void *NAME(size_t align, size_t size)					\
{										\
	void *p;								\
										\
	if (!recording())							\
		return pl.real.NAME ? pl.real.NAME(align, size) : NULL;		\
	put_enter(FN, align, size, 0, CALLER, (void *)pl.real.NAME);		\
	p = pl.real.NAME(align, size);						\
	put_return(FN, (uintptr_t)p, 0, CALLER, (void *)pl.real.NAME, FRAME);	\
	return p;								\
}
ALIGNED(aligned_alloc, MR_PL_ALIGNED_ALLOC)
ALIGNED(memalign, MR_PL_MEMALIGN)

#define PAGED(NAME, FN)								\
EXPORT void *NAME(size_t size)							\
{										\
	void *p;								\
										\
	if (!recording())							\
		return pl.real.NAME ? pl.real.NAME(size) : NULL;		\
	put_enter(FN, size, 0, 0, CALLER, (void *)pl.real.NAME);		\
	p = pl.real.NAME(size);							\
	put_return(FN, (uintptr_t)p, 0, CALLER, (void *)pl.real.NAME, FRAME);	\
	return p;								\
}
PAGED(valloc, MR_PL_VALLOC)
PAGED(pvalloc, MR_PL_PVALLOC)

EXPORT char *strdup(const char *s)
{
	char *p;

	if (!recording()) {
		size_t n = strlen(s) + 1;

		if (pl.real.strdup)
			return pl.real.strdup(s);
		p = boot_alloc(n);
		return p ? memcpy(p, s, n) : NULL;
	}
	put_enter(MR_PL_STRDUP, (uintptr_t)s, 0, 0, CALLER, (void *)pl.real.strdup);
	p = pl.real.strdup(s);
	put_return(MR_PL_STRDUP, (uintptr_t)p, 0, CALLER, (void *)pl.real.strdup, FRAME);
	return p;
}

EXPORT char *strndup(const char *s, size_t n)
{
	char *p;

	if (!recording()) {
		size_t len = strnlen(s, n);

		if (pl.real.strndup)
			return pl.real.strndup(s, n);
		p = boot_alloc(len + 1);
		if (p) {
			memcpy(p, s, len);
			p[len] = '\0';
		}
		return p;
	}
	put_enter(MR_PL_STRNDUP, (uintptr_t)s, n, 0, CALLER, (void *)pl.real.strndup);
	p = pl.real.strndup(s, n);
	put_return(MR_PL_STRNDUP, (uintptr_t)p, 0, CALLER, (void *)pl.real.strndup, FRAME);
	return p;
}

/*
 * C++ operator new and new[] (all variants), so that an allocation made
 * through them is the caller's, as on the uprobe path. Compiled with
 * -fexceptions: std::bad_alloc goes through these frames.
 */
#define NEW(SYM, IDX, FN, PARAMS, ARGS, TYPE)					\
EXPORT void *SYM PARAMS								\
{										\
	TYPE f = (TYPE)cxx_real(IDX);						\
	void *p;								\
										\
	if (!recording())							\
		return f ARGS;							\
	put_enter(FN, n, 0, 0, CALLER, (void *)f);				\
	p = f ARGS;								\
	put_return(FN, (uintptr_t)p, 0, CALLER, (void *)f, FRAME);		\
	return p;								\
}
typedef void *(*new1_fn)(size_t);
typedef void *(*new2_fn)(size_t, const void *);
typedef void *(*new3_fn)(size_t, size_t);
typedef void *(*new4_fn)(size_t, size_t, const void *);
NEW(_Znwm, 0, MR_PL_NEW, (size_t n), (n), new1_fn)
NEW(_ZnwmRKSt9nothrow_t, 1, MR_PL_NEW_NT, (size_t n, const void *nt), (n, nt), new2_fn)
NEW(_ZnwmSt11align_val_t, 2, MR_PL_NEW_AL, (size_t n, size_t al), (n, al), new3_fn)
NEW(_ZnwmSt11align_val_tRKSt9nothrow_t, 3, MR_PL_NEW_AL_NT,
    (size_t n, size_t al, const void *nt), (n, al, nt), new4_fn)
NEW(_Znam, 4, MR_PL_NEW_ARRAY, (size_t n), (n), new1_fn)
NEW(_ZnamRKSt9nothrow_t, 5, MR_PL_NEW_ARRAY_NT, (size_t n, const void *nt), (n, nt), new2_fn)
NEW(_ZnamSt11align_val_t, 6, MR_PL_NEW_ARRAY_AL, (size_t n, size_t al), (n, al), new3_fn)
NEW(_ZnamSt11align_val_tRKSt9nothrow_t, 7, MR_PL_NEW_ARRAY_AL_NT,
    (size_t n, size_t al, const void *nt), (n, al, nt), new4_fn)
