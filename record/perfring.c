// SPDX-License-Identifier: GPL-2.0
/*
 * perfring.c - perf ring buffers, one per CPU, that any number of perf
 * events on that CPU write into (PERF_EVENT_IOC_SET_OUTPUT), drained
 * record by record. Used for mmap records (mmaps.c) and for the per-target
 * allocator samples (samples.c).
 */
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "memrec.h"
#include "record.h"

struct ring {
	int				fd;	/* the fd the ring is mmapped on */
	struct perf_event_mmap_page	*meta;
	char				*data;
	size_t				size;
};

struct mr_perf_rings {
	struct ring	*rings;
	int		nr_cpus;
	int		*fds;
	int		nr_fds;
	size_t		pages;		/* data pages per ring, a power of two */
	long		page;
	char		*rec;		/* one record, joined across the wrap */
};

struct mr_perf_rings *mr_perf_rings_new(int nr_cpus, size_t pages)
{
	struct mr_perf_rings *pr = mr_xcalloc(1, sizeof(*pr));

	pr->nr_cpus = nr_cpus;
	pr->rings = mr_xcalloc(nr_cpus, sizeof(*pr->rings));
	for (int i = 0; i < nr_cpus; i++)
		pr->rings[i].fd = -1;
	for (pr->pages = 1; pr->pages < pages; pr->pages *= 2)
		;
	pr->page = sysconf(_SC_PAGESIZE);
	pr->rec = mr_xmalloc(65536);	/* a perf record's size is 16 bits */
	return pr;
}

int mr_perf_rings_attach(struct mr_perf_rings *pr, int fd, int cpu)
{
	struct ring *r = &pr->rings[cpu];

	/* on failure the caller still owns fd and closes it */
	if (r->fd >= 0) {
		if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, r->fd) < 0)
			return -1;
	} else {
		r->size = pr->pages * pr->page;
		r->meta = mmap(NULL, r->size + pr->page, PROT_READ | PROT_WRITE, MAP_SHARED,
			       fd, 0);
		if (r->meta == MAP_FAILED) {
			r->meta = NULL;
			return -1;
		}
		r->data = (char *)r->meta + pr->page;
		r->fd = fd;
	}
	pr->fds = mr_xrealloc(pr->fds, (pr->nr_fds + 1) * sizeof(*pr->fds));
	pr->fds[pr->nr_fds++] = fd;
	return 0;
}

static void ring_copy(const struct ring *r, uint64_t pos, void *dst, size_t len)
{
	size_t off = pos % r->size, first = r->size - off < len ? r->size - off : len;

	memcpy(dst, r->data + off, first);
	memcpy((char *)dst + first, r->data, len - first);
}

static void drain_ring(struct mr_perf_rings *pr, int cpu, mr_perf_record_fn fn, void *ctx)
{
	struct ring *r = &pr->rings[cpu];
	uint64_t head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = r->meta->data_tail;

	while (tail < head) {
		struct perf_event_header h;

		ring_copy(r, tail, &h, sizeof(h));
		if (h.size < sizeof(h))
			break;
		ring_copy(r, tail, pr->rec, h.size);
		fn(cpu, (const struct perf_event_header *)pr->rec, ctx);
		tail += h.size;
	}
	__atomic_store_n(&r->meta->data_tail, tail, __ATOMIC_RELEASE);
}

void mr_perf_rings_drain(struct mr_perf_rings *pr, mr_perf_record_fn fn, void *ctx)
{
	for (int cpu = 0; cpu < pr->nr_cpus; cpu++)
		if (pr->rings[cpu].meta)
			drain_ring(pr, cpu, fn, ctx);
}

void mr_perf_rings_disable(struct mr_perf_rings *pr)
{
	for (int i = 0; i < pr->nr_fds; i++)
		ioctl(pr->fds[i], PERF_EVENT_IOC_DISABLE, 0);
}

void mr_perf_rings_free(struct mr_perf_rings *pr)
{
	if (!pr)
		return;
	for (int cpu = 0; cpu < pr->nr_cpus; cpu++)
		if (pr->rings[cpu].meta)
			munmap(pr->rings[cpu].meta, pr->rings[cpu].size + pr->page);
	for (int i = 0; i < pr->nr_fds; i++)
		close(pr->fds[i]);
	free(pr->fds);
	free(pr->rings);
	free(pr->rec);
	free(pr);
}
