// SPDX-License-Identifier: GPL-2.0
/*
 * stream.c - moves the instance's per-CPU ring buffers into files, one
 * thread per CPU, splicing whole sub-buffers (libtracefs tracefs_cpu_write)
 * so the file holds pages as full as the kernel made them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "memrec.h"
#include "record.h"

struct mr_stream_cpu {
	struct mr_stream	*s;
	struct tracefs_cpu	*tcpu;
	pthread_t		thread;
	int			cpu;
	int			fd;
	bool			started;
	volatile uint64_t	bytes;
};

static void *cpu_main(void *arg)
{
	struct mr_stream_cpu *c = arg;

	while (!c->s->stop) {
		int r = tracefs_cpu_write(c->tcpu, c->fd, false);

		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (!c->s->stop)
				c->s->error = errno ? errno : EIO;
			break;
		}
		c->bytes += r;
	}
	return NULL;
}

static int open_cpu(struct mr_stream *s, struct tracefs_instance *inst, const char *base, int cpu)
{
	struct mr_stream_cpu *c = &s->cpus[cpu];

	c->s = s;
	c->cpu = cpu;
	s->files[cpu] = mr_xasprintf("%s.cpu%d", base, cpu);
	c->fd = open(s->files[cpu], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (c->fd < 0)
		return mr_error_errno("cannot create '%s'", s->files[cpu]);
	c->tcpu = tracefs_cpu_open(inst, cpu, false);
	if (!c->tcpu)
		return mr_error_errno("cannot open the ring buffer of cpu %d", cpu);
	if (pthread_create(&c->thread, NULL, cpu_main, c))
		return mr_error("cannot start the reader thread of cpu %d", cpu);
	c->started = true;
	return 0;
}

int mr_stream_start(struct mr_stream *s, struct tracefs_instance *inst, const char *base)
{
	int cpu;

	memset(s, 0, sizeof(*s));
	s->nr_cpus = sysconf(_SC_NPROCESSORS_CONF);
	s->cpus = mr_xcalloc(s->nr_cpus, sizeof(*s->cpus));
	s->files = mr_xcalloc(s->nr_cpus + 1, sizeof(*s->files));
	for (cpu = 0; cpu < s->nr_cpus; cpu++)
		s->cpus[cpu].fd = -1;
	for (cpu = 0; cpu < s->nr_cpus; cpu++)
		if (open_cpu(s, inst, base, cpu) < 0)
			return -1;
	return 0;
}

void mr_stream_stop(struct mr_stream *s)
{
	int cpu;

	s->stop = 1;
	for (cpu = 0; cpu < s->nr_cpus; cpu++)
		if (s->cpus[cpu].tcpu)
			tracefs_cpu_stop(s->cpus[cpu].tcpu);
	for (cpu = 0; cpu < s->nr_cpus; cpu++) {
		struct mr_stream_cpu *c = &s->cpus[cpu];
		int r = 0;

		if (c->started)
			pthread_join(c->thread, NULL);
		c->started = false;
		if (!c->tcpu)
			continue;
		/* what is left in the ring buffer, including the partial last page */
		while (!s->error && (r = tracefs_cpu_flush_write(c->tcpu, c->fd)) > 0)
			c->bytes += r;
		if (r < 0 && errno == ENOSPC)
			s->error = ENOSPC;
		tracefs_cpu_close(c->tcpu);
		c->tcpu = NULL;
		/* closed now: on a full disk, removing the file must give its space back */
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
	}
}

uint64_t mr_stream_bytes(const struct mr_stream *s)
{
	uint64_t sum = 0;

	for (int cpu = 0; cpu < s->nr_cpus; cpu++)
		sum += s->cpus[cpu].bytes;
	return sum;
}

void mr_stream_release(struct mr_stream *s, bool unlink_files)
{
	for (int cpu = 0; cpu < s->nr_cpus; cpu++) {
		if (s->cpus[cpu].fd >= 0)
			close(s->cpus[cpu].fd);
		if (s->files[cpu] && unlink_files)
			unlink(s->files[cpu]);
		free(s->files[cpu]);
	}
	free(s->cpus);
	free(s->files);
	memset(s, 0, sizeof(*s));
}
