// SPDX-License-Identifier: GPL-2.0
/*
 * tasks.c - the process model (include/mr_tasks.h): tasks by tid, address
 * spaces by pid, from task creation, exec and exit events, and the tgid and
 * command name each event tells. Everything that reads tasks (pairing, the
 * kernel side, the OOM analyser) sees the same answers.
 */
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "mr_tasks.h"
#include "mr_u64map.h"

/* Kernel ABI values of clone flags, independent of the host's headers. */
#define MR_CLONE_VM		0x00000100ull
#define MR_CLONE_THREAD		0x00010000ull

struct aspace {
	struct mr_aspace	pub;
	uint32_t		older;	/* previous aspace with the same pid, or MR_NO_ID */
};

struct mr_tasks {
	/* pointers, so what is handed out stays put as more are made */
	struct mr_task		**tasks;
	uint32_t		nr_tasks, alloc_tasks;
	struct mr_u64map	tids;	/* tid + 1 -> its task now */
	struct aspace		**as;
	uint32_t		nr_as, alloc_as;
	struct mr_u64map	pids;	/* pid + 1 -> its newest aspace */
};

static uint64_t key_of(int id)
{
	return (uint64_t)(uint32_t)id + 1;
}

static void set_comm(char dst[16], const char *comm)
{
	size_t n;

	if (!comm || !*comm)
		return;
	n = strnlen(comm, 15);
	memcpy(dst, comm, n);
	dst[n] = '\0';
}

/* ---- address spaces ---- */

static uint32_t newest_of(const struct mr_tasks *m, int pid)
{
	uint32_t *v = mr_u64map_get(&m->pids, key_of(pid));

	return v ? *v : MR_NO_ID;
}

static uint32_t aspace_new(struct mr_tasks *m, int pid, uint64_t ts, int parent_id)
{
	struct aspace *as = mr_xcalloc(1, sizeof(*as));
	uint32_t id = m->nr_as;

	MR_ALLOC_GROW(m->as, m->nr_as, m->alloc_as);
	as->pub.id = id;
	as->pub.pid = pid;
	as->pub.parent_id = parent_id;
	as->pub.start_ts = ts;
	as->older = newest_of(m, pid);
	mr_u64map_put(&m->pids, key_of(pid), id);
	m->as[m->nr_as++] = as;
	return id;
}

static void aspace_end(struct aspace *as, uint64_t ts, bool exited)
{
	as->pub.ended = true;
	as->pub.end_ts = ts;
	as->pub.exited = exited;
}

/* The newest address space of pid that has not ended, or NULL. */
static struct aspace *aspace_live(const struct mr_tasks *m, int pid)
{
	for (uint32_t id = newest_of(m, pid); id != MR_NO_ID; id = m->as[id]->older)
		if (!m->as[id]->pub.ended)
			return m->as[id];
	return NULL;
}

static uint32_t aspace_of_pid(struct mr_tasks *m, int pid, uint64_t ts)
{
	struct aspace *as = aspace_live(m, pid);

	return as ? as->pub.id : aspace_new(m, pid, ts, -1);
}

static uint32_t aspace_fork(struct mr_tasks *m, uint32_t parent, int pid, const char *comm,
			    uint64_t ts)
{
	uint32_t id = aspace_new(m, pid, ts, parent);

	if (comm && *comm)
		set_comm(m->as[id]->pub.comm, comm);
	else
		memcpy(m->as[id]->pub.comm, m->as[parent]->pub.comm, sizeof(m->as[id]->pub.comm));
	return id;
}

/* ---- tasks ---- */

static struct mr_task *task_find(const struct mr_tasks *m, int tid)
{
	uint32_t *v = mr_u64map_get(&m->tids, key_of(tid));

	return v ? m->tasks[*v] : NULL;
}

static struct mr_task *task_live(const struct mr_tasks *m, int tid)
{
	struct mr_task *t = task_find(m, tid);

	return t && !t->exited ? t : NULL;
}

/* A new task for tid: a new task, or a reused tid. */
static struct mr_task *task_fresh(struct mr_tasks *m, int tid)
{
	struct mr_task *old = task_find(m, tid);
	struct mr_task *t = mr_xcalloc(1, sizeof(*t));

	MR_ALLOC_GROW(m->tasks, m->nr_tasks, m->alloc_tasks);
	t->id = m->nr_tasks;
	t->prev_id = old ? old->id : MR_NO_ID;
	t->tid = tid;
	t->aspace = MR_NO_ID;
	m->tasks[m->nr_tasks++] = t;
	mr_u64map_put(&m->tids, key_of(tid), t->id);
	return t;
}

static struct mr_task *task_get(struct mr_tasks *m, int tid)
{
	struct mr_task *t = task_live(m, tid);

	return t ? t : task_fresh(m, tid);
}

static struct mr_aspace *aspace_of(const struct mr_tasks *m, const struct mr_task *t)
{
	return t && t->aspace != MR_NO_ID ? &m->as[t->aspace]->pub : NULL;
}

static struct mr_task *task_bind(struct mr_tasks *m, int tid, int tgid, uint64_t ts)
{
	struct mr_task *t = task_live(m, tid);
	const struct mr_aspace *as = aspace_of(m, t);

	if (as && !as->ended)
		return t;
	if (!t || as)
		t = task_fresh(m, tid);	/* first sight, or its process has ended */
	t->aspace = aspace_of_pid(m, tgid > 0 ? tgid : tid, ts);
	return t;
}

/* ---- events ---- */

static void on_task_new(struct mr_tasks *m, const struct mr_event *ev)
{
	struct mr_task *parent = task_bind(m, ev->tid, ev->tgid, ev->ts);
	struct aspace *pas = m->as[parent->aspace];
	struct mr_task *child;
	int ptgid = mr_tasks_tgid(m, ev);

	set_comm(parent->comm, ev->comm);
	if (ev->child_tid <= 0 || ev->child_tid == ev->tid)
		return;
	child = task_fresh(m, ev->child_tid);
	set_comm(child->comm, ev->comm);
	child->tgid = ev->clone_flags & MR_CLONE_THREAD ? ptgid : ev->child_tid;
	if (ev->clone_flags & MR_CLONE_THREAD) {
		child->aspace = parent->aspace;
		if (!pas->pub.comm[0])
			set_comm(pas->pub.comm, ev->comm);
	} else if (ev->clone_flags & MR_CLONE_VM) {
		child->aspace = parent->aspace;
		child->borrowed = true;
	} else {
		child->aspace = aspace_fork(m, parent->aspace, ev->child_tid, ev->comm, ev->ts);
	}
}

/* The exec'ing task goes on, in a fresh address space named after the file. */
static void on_exec(struct mr_tasks *m, const struct mr_event *ev)
{
	int old_tid = ev->args[0] ? (int)ev->args[0] : ev->tid;
	struct mr_task *t = task_live(m, old_tid);
	const char *base = ev->path ? strrchr(ev->path, '/') : NULL;
	struct aspace *cur;
	uint32_t id;

	if (!t)
		t = task_live(m, ev->tid);
	if (t && t->aspace != MR_NO_ID)
		cur = t->borrowed || m->as[t->aspace]->pub.ended ? NULL : m->as[t->aspace];
	else
		cur = aspace_live(m, ev->tid);
	/* its blocks stay live: they are what the old image never freed */
	if (cur)
		aspace_end(cur, ev->ts, false);
	id = aspace_new(m, ev->tid, ev->ts, -1);
	if (ev->path) {
		m->as[id]->pub.exe = mr_xstrdup(ev->path);
		set_comm(m->as[id]->pub.comm, base ? base + 1 : ev->path);
	}
	for (int i = 0; i < 1 + (old_tid != ev->tid); i++) {
		t = task_get(m, i ? old_tid : ev->tid);
		t->aspace = id;
		t->borrowed = false;
		t->tgid = ev->tid;
		set_comm(t->comm, base ? base + 1 : ev->path);
	}
}

static void on_exit_ev(struct mr_tasks *m, const struct mr_event *ev)
{
	struct mr_task *t = task_live(m, ev->tid);
	struct aspace *as;

	if (t && t->aspace != MR_NO_ID)
		/* a vfork child exiting ends only itself, not the borrowed aspace */
		as = t->borrowed ? NULL : m->as[t->aspace];
	else
		as = aspace_live(m, ev->tgid > 0 ? ev->tgid : ev->tid);
	if (t)
		t->exited = true;
	if (!as || as->pub.ended)
		return;
	if (ev->tid == as->pub.pid || !as->pub.comm[0])
		set_comm(as->pub.comm, ev->comm);
	if (ev->group_dead)
		aspace_end(as, ev->ts, true);
}

/* Events that name another task: a signal's target, an OOM kill's victim. */
static void note_named(struct mr_tasks *m, int tid, const char *comm)
{
	if (tid > 0 && comm && *comm)
		set_comm(task_get(m, tid)->comm, comm);
}

void mr_tasks_feed(struct mr_tasks *m, const struct mr_event *ev)
{
	if (ev->tgid > 0 && ev->tid > 0 && ev->kind != MR_EV_EXIT)
		task_get(m, ev->tid)->tgid = ev->tgid;
	switch (ev->kind) {
	case MR_EV_TASK_NEW:	on_task_new(m, ev); break;
	case MR_EV_EXEC:	on_exec(m, ev); break;
	case MR_EV_EXIT:	on_exit_ev(m, ev); break;
	case MR_EV_SIGNAL:	note_named(m, ev->signal.pid, ev->comm); break;
	case MR_EV_OOM_VICTIM:	note_named(m, ev->victim.pid, ev->comm); break;
	default:		break;
	}
}

/* ---- API ---- */

bool mr_tasks_last_of_group(const struct mr_tasks *m, int tid, int tgid)
{
	const struct mr_task *t = task_live(m, tid);

	if (t && t->tgid > 0)
		tgid = t->tgid;
	if (tgid <= 0)
		tgid = tid;
	for (uint32_t i = 0; i < m->nr_tasks; i++)
		if (m->tasks[i] != t && !m->tasks[i]->exited && m->tasks[i]->tgid == tgid &&
		    m->tasks[i]->tid != tid)
			return false;
	return true;
}

struct mr_tasks *mr_tasks_new(void)
{
	return mr_xcalloc(1, sizeof(struct mr_tasks));
}

void mr_tasks_free(struct mr_tasks *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->nr_as; i++) {
		free((char *)m->as[i]->pub.exe);
		free(m->as[i]);
	}
	for (uint32_t i = 0; i < m->nr_tasks; i++)
		free(m->tasks[i]);
	free(m->as);
	free(m->tasks);
	mr_u64map_release(&m->tids);
	mr_u64map_release(&m->pids);
	free(m);
}

const struct mr_task *mr_tasks_find(const struct mr_tasks *m, int tid)
{
	return task_find(m, tid);
}

const struct mr_task *mr_tasks_get(struct mr_tasks *m, int tid)
{
	return task_get(m, tid);
}

const struct mr_task *mr_tasks_bind(struct mr_tasks *m, int tid, int tgid, uint64_t ts)
{
	return task_bind(m, tid, tgid, ts);
}

int mr_tasks_tgid(const struct mr_tasks *m, const struct mr_event *ev)
{
	const struct mr_task *t;

	if (ev->tgid > 0)
		return ev->tgid;
	t = task_find(m, ev->tid);
	return t && t->tgid > 0 ? t->tgid : ev->tid;
}

uint32_t mr_tasks_nr(const struct mr_tasks *m)
{
	return m->nr_tasks;
}

uint32_t mr_tasks_nr_aspaces(const struct mr_tasks *m)
{
	return m->nr_as;
}

const struct mr_aspace *mr_tasks_aspace(const struct mr_tasks *m, uint32_t id)
{
	return id < m->nr_as ? &m->as[id]->pub : NULL;
}

const struct mr_aspace *mr_tasks_find_aspace(const struct mr_tasks *m, int pid, uint64_t ts)
{
	const struct aspace *latest = NULL, *earliest = NULL;

	/* newest first, so among overlapping lifetimes the newest wins */
	for (uint32_t id = newest_of(m, pid); id != MR_NO_ID; id = m->as[id]->older) {
		const struct aspace *as = m->as[id];

		if (as->pub.start_ts <= ts && (!as->pub.ended || ts < as->pub.end_ts))
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
