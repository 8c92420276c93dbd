/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mr_tasks.h - the one process model of `memrec report`: tasks (threads)
 * and the address spaces they run in, fed each event once, before any
 * analyser sees it (report/model/context.c). Task creation, exec and exit
 * make, end and name address spaces; the tgid and command name events tell
 * are kept per task. Pairing, the kernel side and the OOM analyser read it
 * and keep their own per-task state in arrays indexed by mr_task.id.
 */
#ifndef MR_TASKS_H
#define MR_TASKS_H

#include <stdbool.h>
#include <stdint.h>
#include "mr_event.h"

#define MR_NO_ID	UINT32_MAX

/*
 * An address space: a process image from its creation (fork, or first
 * sight) until exec or exit. A pid that is reused, or a process that
 * execs, gets a new one.
 */
struct mr_aspace {
	uint32_t	id;		/* dense, from 0 */
	int		pid;		/* tgid */
	int		parent_id;	/* aspace it was forked from, -1 if none */
	uint64_t	start_ts;	/* first seen / fork / exec */
	uint64_t	end_ts;		/* exec away or exit; 0 while alive */
	bool		exited;
	bool		ended;		/* end_ts may legitimately be 0 in a trace */
	char		comm[16];
	const char	*exe;		/* path given to exec, NULL when unknown */
};

/*
 * A task from its first sight (or creation) until it exits, execs or its
 * address space ends under it: then its tid gets a new task, with a new id.
 */
struct mr_task {
	uint32_t	id;		/* dense, from 0; never reused */
	uint32_t	prev_id;	/* the task its tid had before, or MR_NO_ID */
	int		tid;
	int		tgid;		/* 0 while not known */
	char		comm[16];
	uint32_t	aspace;		/* MR_NO_ID until bound */
	bool		borrowed;	/* a CLONE_VM child in its parent's aspace until exec */
	bool		exited;
};

struct mr_tasks;
struct mr_tasks *mr_tasks_new(void);
void mr_tasks_free(struct mr_tasks *m);
/*
 * Whether tid's exit ends its process: no other task of its thread group
 * is alive that the model knows (for kernels whose sched_process_exit has
 * no group_dead).
 */
bool mr_tasks_last_of_group(const struct mr_tasks *m, int tid, int tgid);
/* Every event, in time order, before the model's readers see it. */
void mr_tasks_feed(struct mr_tasks *m, const struct mr_event *ev);

/* The task tid has now (an exited one too, until its tid is seen again), or NULL. */
const struct mr_task *mr_tasks_find(const struct mr_tasks *m, int tid);
/* The same, made when tid was never seen (not bound to an address space). */
const struct mr_task *mr_tasks_get(struct mr_tasks *m, int tid);
/*
 * The task tid bound to a live address space: its own, or that of pid tgid
 * (tid when tgid is 0), made on first sight. A task whose address space has
 * ended is a new task (pid reuse).
 */
const struct mr_task *mr_tasks_bind(struct mr_tasks *m, int tid, int tgid, uint64_t ts);
/* The process of an event's task: its own tgid, else one learnt before, else the tid. */
int mr_tasks_tgid(const struct mr_tasks *m, const struct mr_event *ev);
uint32_t mr_tasks_nr(const struct mr_tasks *m);		/* task ids so far */

uint32_t mr_tasks_nr_aspaces(const struct mr_tasks *m);
const struct mr_aspace *mr_tasks_aspace(const struct mr_tasks *m, uint32_t id);
/* The address space pid was in at time ts, or NULL. */
const struct mr_aspace *mr_tasks_find_aspace(const struct mr_tasks *m, int pid, uint64_t ts);
#endif
