// SPDX-License-Identifier: GPL-2.0
/*
 * memcg.c - the memory cgroup each target lives in, with its limit and
 * usage, at start and stop (cgroup v1 memory controller or v2), so the OOM
 * report can say how close to its limit a process was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "record.h"

/*
 * The memory cgroup path of pid and whether it is v1, from /proc/PID/cgroup:
 * the v1 memory controller's line, else the v2 hierarchy's ("0::PATH").
 */
static char *memcg_of(pid_t pid, bool *v1)
{
	char path[64], *text, *line, *save, *found = NULL, *unified = NULL;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	text = mr_read_file(path, NULL);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		*c2 = '\0';
		if (!strcmp(c1 + 1, "memory") || strstr(c1 + 1, ",memory")) {
			*v1 = true;
			found = mr_xstrdup(c2 + 1);
		} else if (c1 == line + 1 && line[0] == '0' && c2 == c1 + 1 && !unified) {
			unified = mr_xstrdup(c2 + 1);
		}
	}
	if (!found && unified) {
		*v1 = false;
		found = unified;
		unified = NULL;
	}
	free(unified);
	free(text);
	return found;
}

/* A cgroup file's number; "max" (v2) and v1's huge "unlimited" are -1. */
static int64_t read_num(const char *dir, const char *file)
{
	char *path = mr_xasprintf("%s/%s", dir, file), *s = mr_read_file(path, NULL);
	int64_t v = -1;

	if (s && strncmp(s, "max", 3)) {
		unsigned long long n = strtoull(s, NULL, 10);

		v = n >= (1ull << 62) ? -1 : (int64_t)n;
	}
	free(path);
	free(s);
	return v;
}

/* The last record of pid's memory cgroup, or NULL. */
static const struct mr_meta_memcg *last_of(const struct mr_meta *m, pid_t pid)
{
	for (int i = m->nr_memcgs - 1; i >= 0; i--)
		if (m->memcgs[i].pid == pid)
			return &m->memcgs[i];
	return NULL;
}

void mr_memcg_snapshot(struct mr_meta *m, pid_t pid, uint64_t ts, bool if_changed)
{
	bool v1 = false;
	char *cg = memcg_of(pid, &v1), *dir;

	if (!cg)
		return;
	cg[strcspn(cg, "\n")] = '\0';
	dir = mr_xasprintf(v1 ? "/sys/fs/cgroup/memory%s" : "/sys/fs/cgroup%s", cg);
	/* a target may move itself (sh -c 'echo $$ > cgroup.procs; exec ...') */
	if (!if_changed || !last_of(m, pid) || strcmp(last_of(m, pid)->path, cg))
		mr_meta_add_memcg(m, ts, pid, cg,
				  read_num(dir, v1 ? "memory.limit_in_bytes" : "memory.max"),
				  read_num(dir, v1 ? "memory.usage_in_bytes" : "memory.current"));
	free(dir);
	free(cg);
}
