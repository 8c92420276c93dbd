// SPDX-License-Identifier: GPL-2.0
/*
 * samples.c - the per-target path for the allocator uprobes: each probe
 * (still defined in tracefs, in memrec's group) is opened as a perf
 * tracepoint event on every target thread and CPU, inherited by new
 * threads and children, so only the targets pay the trap. Each sample's
 * raw record is the uprobe's ftrace record; it is written, followed by a
 * memrec/ustack record with the user call chain, into ring-buffer pages of
 * memrec's own making, one file per CPU, that the trace file carries as
 * extra CPUs beside the ftrace ones (same clock).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "memrec.h"
#include "record.h"

#define PAGE		4096
#define PAGE_HDR	16		/* u64 timestamp, u64 commit */
#define SMALL_MAX	112		/* longest record with its length in type_len */
#define DELTA_BITS	27
#define TYPE_EXTEND	30
/*
 * Bytes of user stack kept with a kernel allocation (frame pointers): enough
 * for a libc syscall wrapper's frame, so the report can find its caller.
 */
#define KALLOC_STACK	256

/*
 * Pages written with one write(2): a 4 KiB write costs about 4 us here
 * (955 MB/s with dd bs=4K, 4.7 GB/s with bs=64K). Allocated at a writer's
 * first record.
 */
#define BATCH		16

/* Builds ring-buffer sub-buffers, as the kernel would, into a file. */
struct page_writer {
	unsigned char	*batch;		/* BATCH pages: those done, then the open one */
	unsigned char	*page;		/* the open page, in batch */
	int		done;		/* pages of batch complete and not written */
	size_t		used;		/* data bytes after the header */
	uint64_t	page_ts, last_ts;
	bool		open;
	int		fd;
};

struct mr_samples {
	enum mr_samples_kind	kind;
	struct mr_perf_rings	*rings;
	struct page_writer	*pw;		/* per CPU */
	char			**files;
	int			nr_cpus;
	const uint32_t		*ids;
	int			nr_ids;
	int			max_stack;
	int			dwarf_stack;	/* --call-graph dwarf: bytes of stack, else 0 */
	pthread_t		thread;
	volatile int		stop;
	bool			started;
	int			error;		/* errno of a failed write */
	uint64_t		samples, lost, bytes;
	int			*pins;		/* pin_context()'s events */
	int			nr_pins, pins_cap;
};

/* Writes the complete pages out. */
static void pw_sync(struct mr_samples *sm, struct page_writer *w)
{
	size_t len = (size_t)w->done * PAGE;

	w->done = 0;
	w->page = w->batch;
	if (!len || sm->error)
		return;		/* the disk is full: keep what was written */
	if (mr_write_all(w->fd, w->batch, len) < 0)
		sm->error = errno;
	else
		sm->bytes += len;
}

static void pw_flush(struct mr_samples *sm, struct page_writer *w)
{
	uint64_t commit = w->used;

	if (!w->open)
		return;
	memcpy(w->page, &w->page_ts, 8);
	memcpy(w->page + 8, &commit, 8);
	memset(w->page + PAGE_HDR + w->used, 0, PAGE - PAGE_HDR - w->used);
	w->open = false;
	w->page += PAGE;
	if (++w->done == BATCH)
		pw_sync(sm, w);
}

static void pw_put32(struct page_writer *w, uint32_t v)
{
	memcpy(w->page + PAGE_HDR + w->used, &v, 4);
	w->used += 4;
}

/* Appends one record; a new page starts when it does not fit. */
static void pw_add(struct mr_samples *sm, struct page_writer *w, uint64_t ts, const void *data,
		   size_t len)
{
	size_t padded = (len + 3) & ~(size_t)3;
	size_t need = 4 + (padded > SMALL_MAX ? 4 : 0) + padded + 8;
	uint64_t delta;

	if (need > PAGE - PAGE_HDR)
		return;
	if (!w->open || w->used + need > PAGE - PAGE_HDR) {
		pw_flush(sm, w);
		if (!w->batch)
			w->page = w->batch = mr_xmalloc(BATCH * PAGE);
		w->open = true;
		w->used = 0;
		w->page_ts = w->last_ts = ts;
	}
	delta = ts > w->last_ts ? ts - w->last_ts : 0;
	w->last_ts = ts > w->last_ts ? ts : w->last_ts;
	if (delta >> DELTA_BITS) {
		/* a gap beyond 27 bits of ns: a time-extend record carries the rest */
		pw_put32(w, TYPE_EXTEND | (uint32_t)(delta & ((1u << DELTA_BITS) - 1)) << 5);
		pw_put32(w, (uint32_t)(delta >> DELTA_BITS));
		delta = 0;
	}
	if (padded <= SMALL_MAX) {
		pw_put32(w, (uint32_t)(padded / 4) | (uint32_t)delta << 5);
	} else {
		pw_put32(w, (uint32_t)delta << 5);
		pw_put32(w, (uint32_t)padded + 4);
	}
	memcpy(w->page + PAGE_HDR + w->used, data, len);
	memset(w->page + PAGE_HDR + w->used + len, 0, padded - len);
	w->used += padded;
}

/* The memrec/ustack record for a call chain (perf's context markers dropped). */
static size_t make_ustack(unsigned char *buf, int tid, int tgid, const uint64_t *ips,
			  uint64_t nr)
{
	uint16_t type = MR_USTACK_ID;
	uint32_t loc, n = 0;

	memset(buf, 0, 24);
	memcpy(buf, &type, 2);
	memcpy(buf + 4, &tid, 4);
	memcpy(buf + 8, &tgid, 4);
	for (uint64_t i = 0; i < nr && n < MR_MAX_STACK; i++)
		if (ips[i] < (uint64_t)PERF_CONTEXT_MAX)
			memcpy(buf + 24 + 8 * n++, &ips[i], 8);
	memcpy(buf + 12, &n, 4);
	loc = 24 | (n * 8) << 16;
	memcpy(buf + 16, &loc, 4);
	return 24 + 8 * n;
}

/*
 * The memrec/uregs record for a sample's REGS_USER and STACK_USER parts at
 * p; a malformed or empty part gives a record without registers.
 */
static size_t make_uregs(unsigned char *rec, int tid, int tgid, const unsigned char *p,
			 const unsigned char *end)
{
	uint64_t abi = 0, size = 0, dyn = 0;
	uint16_t type = MR_UREGS_ID;
	const unsigned char *regs = NULL;
	uint32_t loc;

	memset(rec, 0, MR_UREGS_DATA);
	memcpy(rec, &type, 2);
	memcpy(rec + 4, &tid, 4);
	memcpy(rec + 8, &tgid, 4);
	if (p + 8 <= end) {
		memcpy(&abi, p, 8);
		regs = p + 8;
		p = abi ? regs + 8 * MR_UREGS_NR : regs;
	}
	if (p + 8 <= end) {
		memcpy(&size, p, 8);
		if (size && p + 8 + size + 8 <= end)
			memcpy(&dyn, p + 8 + size, 8);
		if (dyn > size || dyn > MR_UREGS_MAX_STACK)
			dyn = size < MR_UREGS_MAX_STACK ? size : MR_UREGS_MAX_STACK;
		if (p + 8 + dyn > end)
			dyn = 0;
	} else {
		abi = 0;
	}
	memcpy(rec + 12, &abi, 4);
	if (abi)
		memcpy(rec + 16, regs, 8 * MR_UREGS_NR);
	loc = MR_UREGS_DATA | (uint32_t)dyn << 16;
	memcpy(rec + 80, &loc, 4);
	if (dyn)
		memcpy(rec + MR_UREGS_DATA, p + 8, dyn);
	return MR_UREGS_DATA + dyn;
}

/* perf's x86 user registers memrec keeps, in the order of enum mr_ureg. */
#define UREGS_MASK	((1ull << 1) | (1ull << 6) | (1ull << 7) | (1ull << 8) | \
			 (1ull << 20) | (1ull << 21) | (1ull << 22) | (1ull << 23))

/*
 * --call-graph dwarf: a sample is TID, TIME, RAW, REGS_USER (abi, 8 regs),
 * STACK_USER (size, data, dyn_size); written as the uprobe record and a
 * memrec/uregs record.
 */
static void handle_dwarf_sample(struct mr_samples *sm, int cpu, const unsigned char *p,
				const unsigned char *end)
{
	unsigned char rec[MR_UREGS_DATA + MR_UREGS_MAX_STACK];
	uint32_t pid, tid, raw_size;
	const unsigned char *raw;
	uint64_t ts;
	size_t len;

	if (p + 20 > end)
		return;
	memcpy(&pid, p, 4);
	memcpy(&tid, p + 4, 4);
	memcpy(&ts, p + 8, 8);
	memcpy(&raw_size, p + 16, 4);
	raw = p + 20;
	p = raw + raw_size;
	if (p + 8 > end || raw_size < 8)
		return;
	len = make_uregs(rec, tid, pid, p, end);
	pw_add(sm, &sm->pw[cpu], ts, raw, raw_size);
	pw_add(sm, &sm->pw[cpu], ts, rec, len);
	sm->samples++;
}

/* The TID, TIME, CALLCHAIN, RAW head of a sample, and where the rest starts. */
struct chain_sample {
	uint32_t		pid, tid, raw_size;
	uint64_t		ts, nr;
	const uint64_t		*ips;
	const unsigned char	*raw, *rest;
};

static bool parse_chain_sample(const unsigned char *p, const unsigned char *end,
			       struct chain_sample *cs)
{
	if (p + 24 > end)
		return false;
	memcpy(&cs->pid, p, 4);
	memcpy(&cs->tid, p + 4, 4);
	memcpy(&cs->ts, p + 8, 8);
	memcpy(&cs->nr, p + 16, 8);
	cs->ips = (const uint64_t *)(p + 24);
	if (cs->nr > 4096 || p + 24 + 8 * cs->nr + 4 > end)
		return false;
	p += 24 + 8 * cs->nr;
	memcpy(&cs->raw_size, p, 4);
	cs->raw = p + 4;
	cs->rest = cs->raw + cs->raw_size;
	return cs->rest <= end && cs->raw_size >= 8;
}

/* A sample is TID, TIME, CALLCHAIN, RAW in that order (sample_type below). */
static void handle_sample(struct mr_samples *sm, int cpu, const struct perf_event_header *h)
{
	const unsigned char *p = (const unsigned char *)(h + 1), *end = (const unsigned char *)h + h->size;
	unsigned char ustack[24 + 8 * MR_MAX_STACK];
	struct chain_sample cs;

	if (!parse_chain_sample(p, end, &cs))
		return;
	pw_add(sm, &sm->pw[cpu], cs.ts, cs.raw, cs.raw_size);
	pw_add(sm, &sm->pw[cpu], cs.ts, ustack, make_ustack(ustack, cs.tid, cs.pid, cs.ips, cs.nr));
	sm->samples++;
}

/* The memrec/kstack record: the kernel part of a call chain. */
static size_t make_kstack(unsigned char *buf, int tid, int tgid, int more, const uint64_t *ips,
			  uint64_t nr)
{
	uint16_t type = MR_KSTACK_ID;
	uint32_t loc, n = 0;
	bool kernel = false;

	memset(buf, 0, 24);
	memcpy(buf, &type, 2);
	memcpy(buf + 4, &tid, 4);
	memcpy(buf + 8, &tgid, 4);
	memcpy(buf + 12, &more, 4);
	for (uint64_t i = 0; i < nr && n < MR_MAX_STACK; i++) {
		if (ips[i] >= (uint64_t)PERF_CONTEXT_MAX)
			kernel = ips[i] == (uint64_t)PERF_CONTEXT_KERNEL;
		else if (kernel)
			memcpy(buf + 24 + 8 * n++, &ips[i], 8);
	}
	loc = 24 | (n * 8) << 16;
	memcpy(buf + 16, &loc, 4);
	return 24 + 8 * n;
}

/* The user part of a call chain: what follows PERF_CONTEXT_USER. */
static const uint64_t *user_part(const uint64_t *ips, uint64_t nr, uint64_t *out_nr)
{
	for (uint64_t i = 0; i < nr; i++)
		if (ips[i] == (uint64_t)PERF_CONTEXT_USER) {
			*out_nr = nr - i - 1;
			return ips + i + 1;
		}
	*out_nr = 0;
	return ips;
}

/*
 * A kernel allocation in a target: TID, TIME, CALLCHAIN (kernel then user),
 * RAW, REGS_USER, STACK_USER. Written as the event, memrec/kstack, then
 * (frame pointers) memrec/ustack, and memrec/uregs: the report unwinds the
 * small stack copy with the CFI to find the direct caller of a libc
 * syscall wrapper, which a frame-pointer walk skips.
 */
static void handle_kalloc(struct mr_samples *sm, int cpu, const unsigned char *p,
			  const unsigned char *end)
{
	unsigned char buf[MR_UREGS_DATA + MR_UREGS_MAX_STACK];
	struct page_writer *w = &sm->pw[cpu];
	struct chain_sample cs;
	const uint64_t *uips;
	uint64_t unr;

	if (!parse_chain_sample(p, end, &cs))
		return;
	pw_add(sm, w, cs.ts, cs.raw, cs.raw_size);
	pw_add(sm, w, cs.ts, buf, make_kstack(buf, cs.tid, cs.pid, sm->dwarf_stack ? 1 : 2, cs.ips,
					      cs.nr));
	if (!sm->dwarf_stack) {
		uips = user_part(cs.ips, cs.nr, &unr);
		pw_add(sm, w, cs.ts, buf, make_ustack(buf, cs.tid, cs.pid, uips, unr));
	}
	pw_add(sm, w, cs.ts, buf, make_uregs(buf, cs.tid, cs.pid, cs.rest, end));
	sm->samples++;
}

/* A kernel free anywhere on the host: TID, TIME, RAW; the raw record only. */
static void handle_kfree(struct mr_samples *sm, int cpu, const unsigned char *p,
			 const unsigned char *end)
{
	uint32_t raw_size;
	uint64_t ts;

	if (p + 20 > end)
		return;
	memcpy(&ts, p + 8, 8);
	memcpy(&raw_size, p + 16, 4);
	if (p + 20 + raw_size > end || raw_size < 8)
		return;
	pw_add(sm, &sm->pw[cpu], ts, p + 20, raw_size);
	sm->samples++;
}

static void on_record(int cpu, const struct perf_event_header *h, void *ctx)
{
	struct mr_samples *sm = ctx;
	const unsigned char *p = (const unsigned char *)(h + 1);

	if (h->type == PERF_RECORD_SAMPLE &&
	    (sm->kind == MR_SAMPLES_KALLOC || sm->kind == MR_SAMPLES_MAPS))
		handle_kalloc(sm, cpu, p, (const unsigned char *)h + h->size);
	else if (h->type == PERF_RECORD_SAMPLE && sm->kind == MR_SAMPLES_KFREE)
		handle_kfree(sm, cpu, p, (const unsigned char *)h + h->size);
	else if (h->type == PERF_RECORD_SAMPLE && sm->dwarf_stack)
		handle_dwarf_sample(sm, cpu, (const unsigned char *)(h + 1),
				    (const unsigned char *)h + h->size);
	else if (h->type == PERF_RECORD_SAMPLE)
		handle_sample(sm, cpu, h);
	else if (h->type == PERF_RECORD_LOST && h->size >= sizeof(*h) + 16)
		sm->lost += *(const uint64_t *)((const char *)(h + 1) + 8);
}

static void *samples_main(void *arg)
{
	struct mr_samples *sm = arg;
	struct timespec tick = { 0, 5 * 1000000L };

	while (!sm->stop) {
		mr_perf_rings_drain(sm->rings, on_record, sm);
		nanosleep(&tick, NULL);
	}
	return NULL;
}

struct mr_samples *mr_samples_open(enum mr_samples_kind kind, const uint32_t *ids, int nr_ids,
				   const char *base, int max_stack, int dwarf_stack,
				   uint64_t ring_kb)
{
	static const char *const suffix[] = { "samples", "ksamples", "fsamples", "msamples" };
	struct mr_samples *sm = mr_xcalloc(1, sizeof(*sm));

	sm->kind = kind;
	sm->dwarf_stack = dwarf_stack;
	sm->nr_cpus = sysconf(_SC_NPROCESSORS_CONF);
	sm->ids = ids;
	sm->nr_ids = nr_ids;
	sm->max_stack = max_stack;
	sm->rings = mr_perf_rings_new(sm->nr_cpus, ring_kb * 1024 / sysconf(_SC_PAGESIZE));
	sm->pw = mr_xcalloc(sm->nr_cpus, sizeof(*sm->pw));
	sm->files = mr_xcalloc(sm->nr_cpus, sizeof(*sm->files));
	for (int cpu = 0; cpu < sm->nr_cpus; cpu++)
		sm->pw[cpu].fd = -1;
	for (int cpu = 0; cpu < sm->nr_cpus; cpu++) {
		sm->files[cpu] = mr_xasprintf("%s.%s%d", base, suffix[kind], cpu);
		sm->pw[cpu].fd = open(sm->files[cpu],
				      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (sm->pw[cpu].fd < 0) {
			mr_error_errno("cannot create '%s'", sm->files[cpu]);
			mr_samples_close(sm, true);
			return NULL;
		}
	}
	return sm;
}

static int open_event(struct mr_samples *sm, uint32_t id, pid_t tid, int cpu)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = id;
	attr.sample_period = 1;
	attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CALLCHAIN |
			   PERF_SAMPLE_RAW;
	attr.exclude_callchain_kernel = 1;
	attr.sample_max_stack = sm->max_stack;
	if (sm->dwarf_stack) {
		attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_RAW |
				   PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
		attr.sample_regs_user = UREGS_MASK;
		attr.sample_stack_user = sm->dwarf_stack;
	}
	if (sm->kind == MR_SAMPLES_KALLOC || sm->kind == MR_SAMPLES_MAPS) {
		/*
		 * kernel and user chains, and a little stack for the direct caller;
		 * a mapping syscall's kernel chain is the syscall entry: left out
		 * (its memrec/kstack record has no frames)
		 */
		attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CALLCHAIN |
				   PERF_SAMPLE_RAW | PERF_SAMPLE_REGS_USER |
				   PERF_SAMPLE_STACK_USER;
		attr.exclude_callchain_kernel = sm->kind == MR_SAMPLES_MAPS;
		attr.exclude_callchain_user = !!sm->dwarf_stack;
		attr.sample_regs_user = UREGS_MASK;
		attr.sample_stack_user = sm->dwarf_stack ? sm->dwarf_stack : KALLOC_STACK;
	} else if (sm->kind == MR_SAMPLES_KFREE) {
		attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_RAW;
	}
	attr.inherit = sm->kind != MR_SAMPLES_KFREE;
	attr.use_clockid = 1;
	attr.clockid = CLOCK_MONOTONIC;
	return syscall(SYS_perf_event_open, &attr, tid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

/*
 * When a task forks with only inherited events, perf marks the child's
 * context a clone of the parent's and may swap the two at a context switch
 * between them; a parent that then exits frees the child's events with its
 * context, and the uprobe filter, finding no event for the child's mm any
 * more, removes the breakpoints from it for good (`sh -c "cmd & exit"`:
 * cmd's allocations lost in 16 of 40 runs). A forked program's threads
 * lost records too while the pin below was refused (inherit + SAMPLE_READ
 * without SAMPLE_TID: EINVAL, so it was not inherited):
 * tests/progs/churn_threads 20000 4 under a parent lost 4,400 to 37,000
 * of 1,280,000 records in 4 of 13 runs, none counted lost; none in 8 runs
 * with the pin inherited. A dummy event that never fires
 * keeps the contexts from being swapped: inherited with PERF_SAMPLE_READ
 * (6.12 and later: every generation), else not inherited (the children
 * are not clones then).
 */
static void pin_context(struct mr_samples *sm, pid_t tid)
{
	struct perf_event_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_DUMMY;
	attr.sample_period = 1;
	/* the kernel refuses inherit + SAMPLE_READ without SAMPLE_TID (EINVAL) */
	attr.sample_type = PERF_SAMPLE_READ | PERF_SAMPLE_TID;
	attr.inherit = 1;
	fd = syscall(SYS_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0 && errno == EINVAL) {
		mr_info(1, "perf refuses an inherited context pin (kernels before 6.12 do): "
			"thread %d's children are pinned, not its grandchildren", tid);
		attr.inherit = 0;
		fd = syscall(SYS_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	}
	if (fd < 0) {
		mr_info(1, "cannot pin the perf context of thread %d: %s", tid, strerror(errno));
		return;
	}
	MR_ALLOC_GROW(sm->pins, sm->nr_pins, sm->pins_cap);
	sm->pins[sm->nr_pins++] = fd;
}

static int attach_thread(pid_t tid, void *ctx)
{
	struct mr_samples *sm = ctx;

	if (sm->kind != MR_SAMPLES_KFREE)
		pin_context(sm, tid);

	for (int i = 0; i < sm->nr_ids; i++)
		for (int cpu = 0; cpu < sm->nr_cpus; cpu++) {
			int fd = open_event(sm, sm->ids[i], tid, cpu);

			if (fd < 0 || mr_perf_rings_attach(sm->rings, fd, cpu) < 0) {
				int e = errno;

				if (fd >= 0)
					close(fd);
				if (e == ESRCH)
					return 0;	/* the thread ended meanwhile */
				return mr_error("cannot attach the allocator probes to thread %d "
						"with perf_event_open: %s%s", tid, strerror(e),
						e == EMFILE ? " (raise ulimit -n)" :
						"; try --uprobes=ftrace");
			}
		}
	return 0;
}

/* Every task on every CPU: frees done for the targets by RCU, kworkers... */
int mr_samples_add_cpus(struct mr_samples *sm)
{
	for (int i = 0; i < sm->nr_ids; i++)
		for (int cpu = 0; cpu < sm->nr_cpus; cpu++) {
			int fd = open_event(sm, sm->ids[i], -1, cpu);

			if (fd < 0 && errno == ENODEV)
				continue;	/* an offline CPU */
			/*
			 * kfree(NULL) is most kfree calls, and the OOM killer's SIGKILL
			 * the one signal wanted; an event without the field refuses
			 * the filter (EINVAL) and keeps every record.
			 */
			if (fd >= 0 && ioctl(fd, PERF_EVENT_IOC_SET_FILTER, "ptr != 0") < 0)
				ioctl(fd, PERF_EVENT_IOC_SET_FILTER, "sig == 9");
			if (fd < 0 || mr_perf_rings_attach(sm->rings, fd, cpu) < 0) {
				int e = errno;

				if (fd >= 0)
					close(fd);
				return mr_error("cannot open the kernel free and OOM killer events "
						"on cpu %d with perf_event_open: %s; record without "
						"-e kernel,page,oom",
						cpu, strerror(e));
			}
		}
	return 0;
}

/* errno when the host refuses attr's event on pid (EACCES, EPERM, ENOSYS), else 0 */
static int open_refused(struct perf_event_attr *attr, pid_t pid)
{
	int fd, e;

	attr->size = sizeof(*attr);
	attr->disabled = 1;
	fd = syscall(SYS_perf_event_open, attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	e = errno;
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return e == EACCES || e == EPERM || e == ENOSYS ? e : 0;
}

int mr_samples_refused(uint32_t id, pid_t pid)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = id;
	attr.sample_period = 1;
	attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_RAW;
	return open_refused(&attr, pid);
}

int mr_samples_self_refused(void)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_DUMMY;
	return open_refused(&attr, 0);
}

int mr_samples_add_process(struct mr_samples *sm, pid_t pid)
{
	return mr_for_each_thread(pid, attach_thread, sm);
}

int mr_samples_start(struct mr_samples *sm)
{
	if (pthread_create(&sm->thread, NULL, samples_main, sm))
		return mr_error("cannot start the sample reader thread");
	sm->started = true;
	return 0;
}

void mr_samples_stop(struct mr_samples *sm)
{
	if (!sm)
		return;
	mr_perf_rings_disable(sm->rings);
	sm->stop = 1;
	if (sm->started)
		pthread_join(sm->thread, NULL);
	sm->started = false;
	mr_perf_rings_drain(sm->rings, on_record, sm);
	for (int cpu = 0; cpu < sm->nr_cpus; cpu++) {
		pw_flush(sm, &sm->pw[cpu]);
		pw_sync(sm, &sm->pw[cpu]);
		/* closed now: on a full disk, removing the file must give its space back */
		if (sm->pw[cpu].fd >= 0)
			close(sm->pw[cpu].fd);
		sm->pw[cpu].fd = -1;
	}
}

void mr_samples_put(struct mr_samples *sm, int cpu, uint64_t ts, const void *raw, size_t len)
{
	pw_add(sm, &sm->pw[mr_samples_writer(sm, cpu)], ts, raw, len);
	sm->samples++;
}

void mr_samples_put_stack(struct mr_samples *sm, int cpu, uint64_t ts, int tid, int tgid,
			  uint32_t id, const uint64_t *ips, uint64_t nr)
{
	unsigned char def[24 + 8 * MR_MAX_STACK];
	uint16_t type = MR_USTACK_DEF_ID;
	size_t len = make_ustack(def, tid, tgid, ips, nr);

	memcpy(def, &type, 2);
	memcpy(def + 12, &id, 4);
	pw_add(sm, &sm->pw[mr_samples_writer(sm, cpu)], ts, def, len);
}

int mr_samples_writer(const struct mr_samples *sm, int cpu)
{
	return (int)((unsigned int)cpu % (unsigned int)sm->nr_cpus);
}

void mr_samples_add_lost(struct mr_samples *sm, uint64_t lost)
{
	sm->lost += lost;
}

int mr_samples_error(const struct mr_samples *sm)
{
	return sm->error;
}

const char *const *mr_samples_files(const struct mr_samples *sm)
{
	return (const char *const *)sm->files;
}

void mr_samples_stats(const struct mr_samples *sm, uint64_t *samples, uint64_t *lost,
		      uint64_t *bytes, int *error)
{
	*samples = sm->samples;
	*lost = sm->lost;
	*bytes = sm->bytes;
	*error = sm->error;
}

void mr_samples_close(struct mr_samples *sm, bool unlink_files)
{
	if (!sm)
		return;
	mr_samples_stop(sm);
	mr_perf_rings_free(sm->rings);
	for (int cpu = 0; cpu < sm->nr_cpus; cpu++) {
		if (sm->pw[cpu].fd >= 0)
			close(sm->pw[cpu].fd);
		if (unlink_files && sm->files[cpu])
			unlink(sm->files[cpu]);
		free(sm->files[cpu]);
	}
	for (int i = 0; i < sm->nr_pins; i++)
		close(sm->pins[i]);
	free(sm->pins);
	free(sm->files);
	for (int cpu = 0; cpu < sm->nr_cpus; cpu++)
		free(sm->pw[cpu].batch);
	free(sm->pw);
	free(sm);
}
