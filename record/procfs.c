// SPDX-License-Identifier: GPL-2.0
/*
 * procfs.c - owns what the recorder parses out of /proc and out of the
 * instance's per-CPU stats files: the mappings a target had before perf
 * saw them, the OOM killer's count, the kernel's call chain limit and the
 * ring buffers' counters. Each reader is forgiving: a file that went away
 * (an exited pid) or a key this kernel lacks gives nothing, not an error.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "record.h"

/* An executable mapping's line; vdso is kept, other [pseudo] files are not. */
static void add_maps_line(struct mr_meta *m, uint64_t ts, pid_t pid, char *line)
{
	unsigned long long start, end, pgoff;
	char perms[8], *file = strchr(line, '/');

	if (!file)
		file = strchr(line, '[');
	if (!file || sscanf(line, "%llx-%llx %7s %llx", &start, &end, perms, &pgoff) != 4 ||
	    perms[2] != 'x')
		return;
	file[strcspn(file, "\n")] = '\0';
	if (*file == '[' && strcmp(file, "[vdso]"))
		return;
	mr_meta_add_map(m, ts, pid, start, end - start, pgoff, NULL, file);
}

void mr_proc_snapshot_maps(struct mr_meta *m, uint64_t ts, pid_t pid)
{
	char path[64], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		add_maps_line(m, ts, pid, line);
	if (f)
		fclose(f);
}

/* line (len bytes, its newline included) is a whole line of a */
static bool has_line(const char *a, const char *line, size_t len)
{
	for (const char *p = a; p && (p = strstr(p, "\n")) != NULL; p++)
		if (!strncmp(p + 1, line, len))
			return true;
	return a && !strncmp(a, line, len);
}

void mr_proc_poll_maps(struct mr_meta *m, char **last, uint64_t since, pid_t pid)
{
	char path[64], line[4096], *now, *p, *nl;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	now = mr_read_file(path, NULL);
	if (!now || (*last && !strcmp(now, *last))) {
		free(now);
		return;
	}
	for (p = now; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		if (!has_line(*last, p, nl + 1 - p) && (size_t)(nl - p) < sizeof(line)) {
			memcpy(line, p, nl - p);
			line[nl - p] = '\0';
			add_maps_line(m, since, pid, line);
		}
	}
	free(*last);
	*last = now;
}

uint64_t mr_proc_oom_kills(void)
{
	char *s = mr_read_file("/proc/vmstat", NULL), *p;
	uint64_t n = 0;

	if (s && (p = strstr(s, "\noom_kill ")))
		n = strtoull(p + 10, NULL, 10);
	free(s);
	return n;
}

uint64_t mr_proc_max_stack(void)
{
	char *s = mr_read_file("/proc/sys/kernel/perf_event_max_stack", NULL);
	uint64_t n = s ? strtoull(s, NULL, 10) : 127;

	free(s);
	return n && n < MR_MAX_STACK ? n : MR_MAX_STACK;
}

void mr_ring_cpu_stats(struct tracefs_instance *inst, int cpu, struct mr_meta_cpu *c)
{
	char file[64], *s, *p;

	memset(c, 0, sizeof(*c));
	c->cpu = cpu;
	snprintf(file, sizeof(file), "per_cpu/cpu%d/stats", cpu);
	s = tracefs_instance_file_read(inst, file, NULL);
	if (!s)
		return;
#define STAT(key, field) if ((p = strstr(s, key))) c->field = strtoull(p + strlen(key), NULL, 10)
	STAT("entries: ", entries);
	STAT("\noverrun: ", overrun);
	STAT("commit overrun: ", commit_overrun);
	STAT("dropped events: ", dropped);
	STAT("read events: ", read);
#undef STAT
	free(s);
}
