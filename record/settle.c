// SPDX-License-Identifier: GPL-2.0
/*
 * settle.c - the end of a recording waits for the kernel's teardown of the
 * targets: their tasks reaped (exit_mmap has run by then), the pages the
 * per-CPU LRU batches still hold released, and the RCU callbacks queued by
 * the exits (task_struct, pid, cred...) run. Each of these frees memory the
 * targets allocated; stopping before them shows it as still allocated.
 * Bounded by MR_SETTLE_MS; what was reached goes into the file's metadata.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <linux/mempolicy.h>
#include "memrec.h"
#include "record.h"

#define RCU_BARRIER	"/sys/module/rcutree/parameters/do_rcu_barrier"

static bool gone(pid_t pid)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%d", pid);
	return access(path, F_OK) < 0 && errno == ENOENT;
}

/*
 * Reaped: no target left in /proc, and none of the tasks they forked left in
 * set_event_pid (ftrace drops a task from it when the task is freed).
 */
static bool all_reaped(struct mr_target *t, struct tracefs_instance *inst)
{
	char *list, *tok, *save;
	bool reaped = true;

	mr_target_alive(t, inst);	/* waits for the spawned command */
	for (int i = 0; i < t->nr_pids && reaped; i++)
		reaped = gone(t->pids[i]);
	list = tracefs_instance_file_read(inst, "set_event_pid", NULL);
	for (tok = list ? strtok_r(list, " \n", &save) : NULL; tok && reaped;
	     tok = strtok_r(NULL, " \n", &save))
		reaped = gone(atoi(tok));
	free(list);
	return reaped;
}

/*
 * The pages of an exited process may sit in another CPU's LRU batch, which
 * holds a reference until that CPU drains it. mbind(MPOL_MF_MOVE) drains
 * every CPU's batches (lru_add_drain_all); on one page of memrec's own with
 * the default policy it moves nothing. drop_caches would throw away the
 * host's page cache: not this.
 */
static void drain_lru_batches(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	p[0] = 1;
	/* best effort: without it, such pages are reported as unconfirmed */
	(void)syscall(SYS_mbind, p, page, MPOL_DEFAULT, NULL, 0, MPOL_MF_MOVE);
	munmap(p, page);
}

/*
 * rcu_barrier() waits for the callbacks already queued (the exits' frees),
 * twice: a callback may queue another (a task's free puts its pid). Without
 * the rcutree knob, membarrier waits for a grace period, not the callbacks.
 */
static bool write_one(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, "1", 1) == 1;
	close(fd);
	return ok;
}

static const char *rcu_barrier(void)
{
	if (write_one(RCU_BARRIER) && write_one(RCU_BARRIER))
		return "rcu_barrier";
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0)
		return "membarrier";
	return "none";
}

void mr_settle(struct mr_target *t, struct tracefs_instance *inst, bool wait_exit,
	       struct mr_meta *m)
{
	uint64_t t0 = mr_now_ns(), deadline = t0 + MR_SETTLE_MS * 1000000ull;
	struct timespec tick = { 0, 2 * 1000000L };
	bool gone = !mr_target_alive(t, inst), reaped = false;

	/* a command sent the same Ctrl-C is on its way out */
	while (!gone && wait_exit && mr_now_ns() < deadline) {
		nanosleep(&tick, NULL);
		gone = !mr_target_alive(t, inst);
	}
	while (gone && !(reaped = all_reaped(t, inst)) && mr_now_ns() < deadline)
		nanosleep(&tick, NULL);
	drain_lru_batches();
	m->settle_rcu = mr_xstrdup(rcu_barrier());
	m->settle_ms = MR_SETTLE_MS;
	m->settle_waited_ns = mr_now_ns() - t0;
	m->settle_reaped = reaped;
	m->settle_targets_gone = gone;
}
