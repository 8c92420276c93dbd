// SPDX-License-Identifier: GPL-2.0
/*
 * mmaps.c - records where the targets map their code, for symbolisation:
 * a perf dummy event per target thread and CPU with mmap2 and build_id set
 * makes the kernel report every executable mapping (exec, ld.so, dlopen)
 * as it happens, with the file's build-id, on CLOCK_MONOTONIC like the
 * trace. A /proc/PID/maps snapshot covers what was mapped before attach.
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "memrec.h"
#include "record.h"

#define RING_PAGES	32	/* data pages per CPU ring; mmap records are rare */

#ifndef PERF_RECORD_MISC_MMAP_BUILD_ID
#define PERF_RECORD_MISC_MMAP_BUILD_ID	(1 << 14)
#endif

struct mr_mmaps {
	struct mr_perf_rings	*rings;
	int			nr_cpus;
	struct mr_meta		*meta;
	pthread_t		thread;
	volatile int		stop;
	bool			started;
};

struct mr_mmaps *mr_mmaps_open(void)
{
	struct mr_mmaps *mm = mr_xcalloc(1, sizeof(*mm));

	mm->nr_cpus = sysconf(_SC_NPROCESSORS_CONF);
	mm->rings = mr_perf_rings_new(mm->nr_cpus, RING_PAGES);
	return mm;
}

static int open_event(pid_t tid, int cpu)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_DUMMY;
	attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME;
	attr.mmap = 1;
	attr.mmap2 = 1;
	attr.build_id = 1;
	attr.inherit = 1;
	attr.sample_id_all = 1;
	attr.use_clockid = 1;
	attr.clockid = CLOCK_MONOTONIC;
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	return syscall(SYS_perf_event_open, &attr, tid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static int follow_thread(pid_t tid, void *ctx)
{
	struct mr_mmaps *mm = ctx;

	for (int cpu = 0; cpu < mm->nr_cpus; cpu++) {
		int fd = open_event(tid, cpu);

		if (fd < 0 || mr_perf_rings_attach(mm->rings, fd, cpu) < 0) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			if (e == ESRCH)
				return 0;	/* the thread ended meanwhile */
			errno = e;
			return mr_error_errno("cannot follow the mappings of thread %d with "
					      "perf_event_open", tid);
		}
	}
	return 0;
}

int mr_mmaps_add_process(struct mr_mmaps *mm, pid_t pid)
{
	return mr_for_each_thread(pid, follow_thread, mm);
}

static void handle_mmap2(struct mr_mmaps *mm, const char *rec, size_t len, uint16_t misc)
{
	const struct {
		uint32_t pid, tid;
		uint64_t addr, len, pgoff;
		union {
			struct { uint32_t maj, min; uint64_t ino, ino_gen; };
			struct { uint8_t bid_size, res1; uint16_t res2; uint8_t bid[20]; };
		};
		uint32_t prot, flags;
		char name[];
	} *m = (const void *)(rec + sizeof(struct perf_event_header));
	char bid[41] = "";
	uint64_t ts;

	if (len < sizeof(struct perf_event_header) + sizeof(*m) + 16 || !(m->prot & PROT_EXEC))
		return;
	if (m->name[0] != '/' && strcmp(m->name, "[vdso]"))
		return;
	if (misc & PERF_RECORD_MISC_MMAP_BUILD_ID)
		for (int i = 0; i < m->bid_size && i < 20; i++)
			sprintf(bid + 2 * i, "%02x", m->bid[i]);
	memcpy(&ts, rec + len - 8, 8);	/* sample_id_all trailer: pid, tid, time */
	mr_meta_add_map(mm->meta, ts, m->pid, m->addr, m->len, m->pgoff, bid, m->name);
	if (mr_verbosity() >= 2) {
		char *q = mr_quote_ctl(m->name);

		mr_info(2, "mmap pid %u %s at 0x%llx", m->pid, q, (unsigned long long)m->addr);
		free(q);
	}
}

static void on_record(int cpu, const struct perf_event_header *h, void *ctx)
{
	struct mr_mmaps *mm = ctx;

	if (h->type == PERF_RECORD_MMAP2)
		handle_mmap2(mm, (const char *)h, h->size, h->misc);
	else if (h->type == PERF_RECORD_LOST && h->size >= sizeof(*h) + 16)
		mm->meta->perf_lost += *(const uint64_t *)((const char *)h + sizeof(*h) + 8);
}

static void drain_all(struct mr_mmaps *mm)
{
	mr_perf_rings_drain(mm->rings, on_record, mm);
}

static void *mmaps_main(void *arg)
{
	struct mr_mmaps *mm = arg;
	struct timespec ts = { 0, 20 * 1000000L };

	while (!mm->stop) {
		drain_all(mm);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

void mr_mmaps_start(struct mr_mmaps *mm, struct mr_meta *meta)
{
	mm->meta = meta;
	mm->started = !pthread_create(&mm->thread, NULL, mmaps_main, mm);
	if (!mm->started)
		mr_warning("cannot start the mmap reader; modules mapped later will not "
			   "be symbolised");
}

void mr_mmaps_close(struct mr_mmaps *mm)
{
	if (!mm)
		return;
	mm->stop = 1;
	if (mm->started)
		pthread_join(mm->thread, NULL);
	if (mm->meta)
		drain_all(mm);
	mr_perf_rings_free(mm->rings);
	free(mm);
}
