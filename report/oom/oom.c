// SPDX-License-Identifier: GPL-2.0
/*
 * oom.c - the OOM analyser: the road to each OOM kill. From the kernel's
 * memory events (record -e oom) it keeps, per process, the RSS series of its
 * address space (kmem:rss_stat), its threads' reclaim and compaction stalls
 * and, with allocator events, the bytes it asked for; per kill the victim,
 * the trigger, memcg or global, the SIGKILL and the death; and, from the
 * pairing engine, the heap blocks that grew in the seconds before the kill.
 *
 * A process here is a pid from its first sight to its exit: an exec keeps
 * it (the new image is what the shell became), a reused pid makes a new one.
 * rss_stat names an address space by a hashed mm pointer (mm_id) and says
 * whether it is the current task's (curr): only curr samples tie an mm_id to
 * a process; the others (fork copying into a child, reclaim, the OOM reaper)
 * update whichever process owns the mm_id then.
 */
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "mr_u64map.h"
#include "model/analyser.h"
#include "oom/oom.h"

#define NONE			UINT32_MAX
#define MAX_OPEN		8		/* stalls open at once in one thread */
#define RING			50		/* allocation buckets over the window */
#define RING_NS			(MR_OOM_WINDOW_NS / RING)
#define FIRST_WIDTH_NS		1000000ull	/* first timeline bucket: 1 ms */
#define SIGKILL_NR		9
/* oom_kill_process sends SIGKILL just before mark_victim */
#define SIGKILL_BEFORE_NS	1000000000ull
#define T_CLONE_THREAD		0x00010000ull
#define MAX_NODES		64

struct open_stall {
	uint64_t		ts;
	enum mr_stall_kind	kind;
};

/* What the OOM analyser keeps per task of the process model (mr_task.id). */
struct task {
	struct open_stall	open[MAX_OPEN];
	int			nr_open;
	int			alloc_depth;	/* allocator calls open; inner ones don't count */
	uint64_t		memcg_reclaim_ts;	/* start of its last memcg reclaim */
	uint64_t		sigkill_ts;		/* last SIGKILL generated for it */
};

struct proc {
	struct mr_oom_proc	pub;
	uint32_t		idx;
	bool			merged;		/* a fork's copy, now its child's */
	int64_t			cur[MR_RSS_NR];
	uint64_t		width;		/* timeline bucket (ns); doubles to halve the points */
	size_t			alloc_pts;
	uint64_t		ring[RING];	/* bytes allocated per bucket of the window */
	uint64_t		ring_id[RING];	/* the bucket (ts / RING_NS) a slot holds */
};

struct mr_oom {
	struct mr_tasks		*model;
	struct mr_u64map	pids;		/* pid + 1 -> procs[], its newest entry */
	struct mr_u64map	mms;		/* mm_id + 1 -> procs[], its last owner */
	struct task		**tasks;	/* by mr_task.id; NULL until needed */
	size_t			nr_tasks, alloc_tasks;
	struct proc		**procs;
	size_t			nr_procs, alloc_procs;
	struct proc		**order;	/* after finish: the ones shown */
	size_t			nr_order;
	struct mr_oom_kill	*kills;
	size_t			nr_kills, alloc_kills;
	uint64_t		kswapd_woke[MAX_NODES];	/* 0: asleep */
	uint64_t		first_ts, last_ts;
	struct mr_oom_totals	t;
};

/* ---- maps: keys are stored plus one (0 is the empty key) ---- */

static uint32_t map_get(const struct mr_u64map *m, uint64_t key)
{
	uint32_t *v = mr_u64map_get(m, key + 1);

	return v ? *v : NONE;
}

static void map_put(struct mr_u64map *m, uint64_t key, uint32_t val)
{
	mr_u64map_put(m, key + 1, val);
}

/* ---- tasks: the process model's, with the stalls and calls open in each ---- */

static struct task *state_of(struct mr_oom *o, const struct mr_task *tk)
{
	while (o->nr_tasks <= tk->id) {
		MR_ALLOC_GROW(o->tasks, o->nr_tasks, o->alloc_tasks);
		o->tasks[o->nr_tasks++] = NULL;
	}
	if (!o->tasks[tk->id])
		o->tasks[tk->id] = mr_xcalloc(1, sizeof(struct task));
	return o->tasks[tk->id];
}

static struct task *task_find(struct mr_oom *o, int tid)
{
	const struct mr_task *tk = mr_tasks_find(o->model, tid);

	return tk && !tk->exited ? state_of(o, tk) : NULL;
}

static struct task *task_get(struct mr_oom *o, int tid)
{
	return state_of(o, mr_tasks_get(o->model, tid));
}

/* A task's name as the model has it, or NULL. */
static const char *task_comm(const struct mr_oom *o, int tid)
{
	const struct mr_task *tk = mr_tasks_find(o->model, tid);

	return tk && tk->comm[0] ? tk->comm : NULL;
}

static int tgid_of_tid(const struct mr_oom *o, int tid)
{
	const struct mr_task *tk = mr_tasks_find(o->model, tid);

	return tk && tk->tgid > 0 ? tk->tgid : tid;
}

/* The process of the event's task: its own tgid, else one learnt before, else the tid. */
static int tgid_of(const struct mr_oom *o, const struct mr_event *ev)
{
	return mr_tasks_tgid(o->model, ev);
}

static void copy_comm(char dst[16], const char *src)
{
	size_t n = strnlen(src, 15);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- processes ---- */

static struct proc *proc_live(const struct mr_oom *o, int pid)
{
	uint32_t i = map_get(&o->pids, (uint32_t)pid);

	return i == NONE || o->procs[i]->pub.exited ? NULL : o->procs[i];
}

/* The newest entry of pid, even after its exit (a kill's victim has exited). */
static struct proc *proc_newest(const struct mr_oom *o, int pid)
{
	uint32_t i = map_get(&o->pids, (uint32_t)pid);

	return i == NONE ? NULL : o->procs[i];
}

static struct proc *proc_new(struct mr_oom *o, int pid, uint64_t ts)
{
	const char *comm = task_comm(o, pid);
	struct proc *p = mr_xcalloc(1, sizeof(*p));

	MR_ALLOC_GROW(o->procs, o->nr_procs, o->alloc_procs);
	p->idx = o->nr_procs;
	p->pub.pid = pid;
	p->pub.first_ts = ts;
	p->width = FIRST_WIDTH_NS;
	if (comm)
		copy_comm(p->pub.comm, comm);
	o->procs[o->nr_procs++] = p;
	if (pid > 0)
		map_put(&o->pids, (uint32_t)pid, p->idx);
	return p;
}

/* A pid's entry now; after its exit the pid is someone else's. */
static struct proc *proc_of_pid(struct mr_oom *o, int pid, uint64_t ts)
{
	struct proc *p = proc_live(o, pid);

	return p ? p : proc_new(o, pid, ts);
}

/* A task's new name is its process's when the task leads one (the model names the task). */
static void note_comm(struct mr_oom *o, int tid, const char *comm)
{
	struct proc *p;

	if (!comm || !*comm || tid <= 0)
		return;
	p = proc_live(o, tid);
	if (p)
		copy_comm(p->pub.comm, comm);
}

/* ---- RSS series ---- */

static uint64_t bucket(const struct proc *p, uint64_t ts)
{
	return ts > p->pub.first_ts ? (ts - p->pub.first_ts) / p->width : 0;
}

/* Twice as wide buckets: neighbours in one bucket fold into their maximum. */
static void halve_points(struct proc *p)
{
	struct mr_oom_point *pts = p->pub.pts;
	size_t out = 0;

	p->width *= 2;
	for (size_t i = 0; i < p->pub.nr_pts; i++) {
		struct mr_oom_point *last = out ? &pts[out - 1] : NULL;

		if (last && bucket(p, last->ts) == bucket(p, pts[i].ts)) {
			for (int m = 0; m < MR_RSS_NR; m++)
				if (pts[i].v[m] > last->v[m])
					last->v[m] = pts[i].v[m];
		} else {
			pts[out++] = pts[i];
		}
	}
	p->pub.nr_pts = out;
}

static void point_add(struct proc *p, uint64_t ts)
{
	struct mr_oom_point *last = p->pub.nr_pts ? &p->pub.pts[p->pub.nr_pts - 1] : NULL;

	if (last && bucket(p, last->ts) == bucket(p, ts)) {
		for (int m = 0; m < MR_RSS_NR; m++)
			if (p->cur[m] > last->v[m])
				last->v[m] = p->cur[m];
		return;
	}
	MR_ALLOC_GROW(p->pub.pts, p->pub.nr_pts, p->alloc_pts);
	last = &p->pub.pts[p->pub.nr_pts++];
	last->ts = ts;
	memcpy(last->v, p->cur, sizeof(last->v));
	/* thinning here keeps memory bounded however long the recording */
	if (p->pub.nr_pts > 2 * MR_OOM_MAX_POINTS)
		halve_points(p);
}

static void rss_sample(struct proc *p, int member, int64_t size, uint64_t ts)
{
	p->cur[member] = size;
	if (!(p->pub.seen & (1u << member))) {
		p->pub.seen |= 1u << member;
		p->pub.start[member] = size;
		p->pub.peak[member] = size;
	}
	if (size > p->pub.peak[member])
		p->pub.peak[member] = size;
	point_add(p, ts);
}

/*
 * p's address space is now mm: after an exec a fresh one (counters from 0),
 * or the one a fork filled for it (from's counters, while nobody ran in it).
 */
static void own_mm(struct mr_oom *o, struct proc *p, uint32_t mm, struct proc *from, uint64_t ts)
{
	memset(p->cur, 0, sizeof(p->cur));
	p->pub.mm_id = mm;
	p->pub.has_mm = true;
	map_put(&o->mms, mm, p->idx);
	if (!from || from->pub.pid > 0)
		return;
	from->merged = true;
	for (int m = 0; m < MR_RSS_NR; m++)
		if (from->pub.seen & (1u << m))
			rss_sample(p, m, from->cur[m], ts);
}

/* The process owning mm now; *retired when mm was left by an exec. */
static struct proc *mm_owner(const struct mr_oom *o, uint32_t mm, bool *retired)
{
	uint32_t i = map_get(&o->mms, mm);
	struct proc *p = i == NONE ? NULL : o->procs[i];

	*retired = p && p->pub.mm_id != mm;
	return *retired ? NULL : p;
}

static struct proc *rss_owner_curr(struct mr_oom *o, const struct mr_event *ev, uint32_t mm)
{
	bool retired;
	struct proc *owner = mm_owner(o, mm, &retired);
	struct proc *p;

	/* a vfork child runs on its parent's address space until it execs */
	if (owner && owner->pub.pid > 0 && !owner->pub.exited)
		return owner;
	p = proc_of_pid(o, tgid_of(o, ev), ev->ts);
	own_mm(o, p, mm, owner, ev->ts);
	return p;
}

static struct proc *rss_owner_other(struct mr_oom *o, const struct mr_event *ev, uint32_t mm,
				    int member)
{
	bool retired;
	struct proc *owner = mm_owner(o, mm, &retired);
	struct proc *p;

	/* an exec'd-away address space being torn down: its process has a new one */
	if (retired)
		return NULL;
	/* after an exit the reaper only takes away; growth is a reused mm_id */
	if (owner && !(owner->pub.exited && ev->rss.bytes > owner->cur[member]))
		return owner;
	p = proc_new(o, 0, ev->ts);
	own_mm(o, p, mm, NULL, ev->ts);
	return p;
}

static void on_rss(struct mr_oom *o, const struct mr_event *ev)
{
	uint32_t mm = (uint32_t)ev->rss.mm_id;
	int member = ev->rss.member;
	struct proc *p;

	if (member < 0 || member >= MR_RSS_NR)
		return;
	o->t.rss_events++;
	p = ev->rss.curr ? rss_owner_curr(o, ev, mm) : rss_owner_other(o, ev, mm, member);
	if (p)
		rss_sample(p, member, ev->rss.bytes, ev->ts);
}

/* ---- stalls ---- */

static void stall_count(struct mr_oom_stall *s, uint64_t ns)
{
	s->count++;
	s->total_ns += ns;
	if (ns > s->worst_ns)
		s->worst_ns = ns;
}

static void stall_add(struct mr_oom *o, const struct mr_event *ev, enum mr_stall_kind kind,
		      uint64_t start)
{
	uint64_t ns = ev->ts - start;
	int pid = tgid_of(o, ev);

	stall_count(&o->t.stalls[kind], ns);
	if (pid > 0)
		stall_count(&proc_of_pid(o, pid, start)->pub.stalls[kind], ns);
	if (ns > o->t.worst_ns) {
		o->t.worst_ns = ns;
		o->t.worst_ts = start;
		o->t.worst_kind = kind;
		o->t.worst_pid = pid;
		o->t.worst_tid = ev->tid;
	}
}

static void stall_begin(struct mr_oom *o, const struct mr_event *ev, enum mr_stall_kind kind)
{
	struct task *t = task_get(o, ev->tid);

	if (t->nr_open == MAX_OPEN) {
		/* only lost ends stack up this deep: give up the oldest */
		memmove(t->open, t->open + 1, (MAX_OPEN - 1) * sizeof(*t->open));
		t->nr_open--;
		o->t.unpaired++;
	}
	t->open[t->nr_open].ts = ev->ts;
	t->open[t->nr_open++].kind = kind;
	if (kind == MR_STALL_MEMCG)
		t->memcg_reclaim_ts = ev->ts;
}

/* Ends the innermost open stall of the kind; any opened after it lost their end. */
static void stall_end(struct mr_oom *o, const struct mr_event *ev, enum mr_stall_kind kind)
{
	struct task *t = task_find(o, ev->tid);
	int j = t ? t->nr_open - 1 : -1;

	while (j >= 0 && t->open[j].kind != kind)
		j--;
	if (j < 0) {
		o->t.unpaired++;
		return;
	}
	o->t.unpaired += t->nr_open - 1 - j;
	t->nr_open = j;
	stall_add(o, ev, kind, t->open[j].ts);
}

/*
 * Direct compaction announces itself with try_to_compact_pages (no end
 * event), then each zone's compact_zone has begin and end: the stall is
 * the zones' begin..end, the announcement an attempt.
 */
static bool compact_attempt(const struct mr_event *ev)
{
	if (ev->name)
		return strstr(ev->name, "try_to_compact") != NULL;
	return ev->compact_begin.order >= 0;	/* mm_compaction_begin carries no order */
}

static void on_compact_begin(struct mr_oom *o, const struct mr_event *ev)
{
	int pid;

	if (!compact_attempt(ev)) {
		stall_begin(o, ev, MR_STALL_COMPACT);
		return;
	}
	o->t.compact_attempts++;
	pid = tgid_of(o, ev);
	if (pid > 0)
		proc_of_pid(o, pid, ev->ts)->pub.compact_attempts++;
}

static void on_kswapd(struct mr_oom *o, const struct mr_event *ev)
{
	int64_t node = ev->kswapd.node;

	if (node < 0 || node >= MAX_NODES)
		return;
	if (ev->kswapd.wake) {
		o->t.kswapd_wakes++;
		if (!o->kswapd_woke[node])
			o->kswapd_woke[node] = ev->ts;
	} else if (o->kswapd_woke[node]) {
		o->t.kswapd_awake_ns += ev->ts - o->kswapd_woke[node];
		o->kswapd_woke[node] = 0;
	}
}

/* ---- allocation rate ---- */

static uint64_t mul(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_mul_overflow(a, b, &r) ? 0 : r;
}

/* Bytes an allocator call asks for; 0 when it does not say (strdup). */
static uint64_t alloc_size(const struct mr_event *ev)
{
	switch (ev->fn) {
	case MR_FN_MALLOC:
	case MR_FN_VALLOC:
	case MR_FN_PVALLOC:
	case MR_FN_NEW:
	case MR_FN_NEW_ARRAY:
		return ev->args[0];
	case MR_FN_CALLOC:
		return mul(ev->args[0], ev->args[1]);
	case MR_FN_REALLOC:
	case MR_FN_ALIGNED_ALLOC:
	case MR_FN_MEMALIGN_INT:
		return ev->args[1];
	case MR_FN_REALLOCARRAY:
		return mul(ev->args[1], ev->args[2]);
	case MR_FN_POSIX_MEMALIGN:
		return ev->args[2];
	default:
		return 0;
	}
}

/* strdup's size is its inner malloc's, so strdup does not open a call */
static bool counted_fn(enum mr_fn fn)
{
	return (unsigned)fn < MR_FN_DLOPEN && fn != MR_FN_FREE &&
	       fn != MR_FN_STRDUP && fn != MR_FN_STRNDUP;
}

static void ring_add(struct proc *p, uint64_t ts, uint64_t bytes)
{
	uint64_t id = ts / RING_NS;
	int s = id % RING;

	if (p->ring_id[s] != id) {
		p->ring_id[s] = id;
		p->ring[s] = 0;
	}
	p->ring[s] += bytes;
}

/* The window before ts that p lived through, at least one bucket. */
static uint64_t window_of(const struct proc *p, uint64_t ts)
{
	uint64_t lived = p && ts > p->pub.first_ts ? ts - p->pub.first_ts : 0;

	if (lived > MR_OOM_WINDOW_NS)
		return MR_OOM_WINDOW_NS;
	return lived > RING_NS ? lived : RING_NS;
}

/* Bytes allocated in the window ending at ts (to RING_NS precision). */
static uint64_t ring_sum(const struct proc *p, uint64_t ts)
{
	uint64_t id = ts / RING_NS, sum = 0;

	if (!p)
		return 0;
	for (int s = 0; s < RING; s++)
		if (p->ring_id[s] <= id && id - p->ring_id[s] < RING)
			sum += p->ring[s];
	return sum;
}

static void on_alloc_enter(struct mr_oom *o, const struct mr_event *ev)
{
	uint64_t size = alloc_size(ev);
	struct task *t;
	struct proc *p;

	if (!counted_fn(ev->fn))
		return;
	t = task_get(o, ev->tid);
	if (t->alloc_depth++ || !size)
		return;
	o->t.alloc_events++;
	p = proc_of_pid(o, tgid_of(o, ev), ev->ts);
	p->pub.alloc_bytes += size;
	p->pub.alloc_count++;
	ring_add(p, ev->ts, size);
}

static void on_alloc_return(struct mr_oom *o, const struct mr_event *ev)
{
	struct task *t = task_find(o, ev->tid);

	if (t && counted_fn(ev->fn) && t->alloc_depth > 0)
		t->alloc_depth--;
}

/* ---- kills ---- */

static struct mr_oom_kill *kill_new(struct mr_oom *o)
{
	MR_ALLOC_GROW(o->kills, o->nr_kills, o->alloc_kills);
	memset(&o->kills[o->nr_kills], 0, sizeof(*o->kills));
	return &o->kills[o->nr_kills++];
}

static void kill_trigger(struct mr_oom *o, struct mr_oom_kill *k, const struct mr_event *ev)
{
	const struct task *t = task_find(o, ev->tid);
	const char *comm = task_comm(o, ev->tid);
	const struct proc *p;

	k->trigger_tid = ev->tid;
	k->trigger_pid = tgid_of(o, ev);
	p = proc_newest(o, k->trigger_pid);
	if (comm)
		copy_comm(k->trigger_comm, comm);
	else if (p && p->pub.comm[0])
		copy_comm(k->trigger_comm, p->pub.comm);
	/* a memcg OOM is declared by a task failing to charge after memcg reclaim */
	if (t && t->memcg_reclaim_ts && ev->ts - t->memcg_reclaim_ts <= MR_OOM_MEMCG_NS) {
		k->memcg = true;
		k->memcg_reclaim_ts = t->memcg_reclaim_ts;
	}
	k->trigger_alloc_5s = ring_sum(p, ev->ts);
	k->trigger_window_ns = window_of(p, ev->ts);
}

static void kill_victim(struct mr_oom *o, struct mr_oom_kill *k)
{
	const struct task *vt = task_find(o, k->pid);
	struct proc *p = proc_newest(o, k->tgid);

	if (vt && vt->sigkill_ts && vt->sigkill_ts <= k->ts &&
	    k->ts - vt->sigkill_ts <= SIGKILL_BEFORE_NS)
		k->sigkill_ts = vt->sigkill_ts;
	if (!p)
		return;
	k->victim = &p->pub;
	k->has_rss = p->pub.has_mm;
	memcpy(k->rss, p->cur, sizeof(k->rss));
	k->victim_alloc_5s = ring_sum(p, k->ts);
	k->victim_window_ns = window_of(p, k->ts);
}

static void on_oom_victim(struct mr_oom *o, const struct mr_event *ev)
{
	struct mr_oom_kill *k = kill_new(o);

	o->t.oom_events++;
	k->ts = ev->ts;
	k->pid = ev->victim.pid;
	k->tgid = tgid_of_tid(o, k->pid);
	note_comm(o, k->pid, ev->comm);
	if (ev->comm)
		copy_comm(k->comm, ev->comm);
	k->total_vm_kb = ev->victim.total_vm_kb;
	k->anon_kb = ev->victim.anon_kb;
	k->file_kb = ev->victim.file_kb;
	k->shmem_kb = ev->victim.shmem_kb;
	k->oom_score_adj = ev->victim.oom_score_adj;
	kill_trigger(o, k, ev);
	kill_victim(o, k);
}

static void on_oom_other(struct mr_oom *o, const struct mr_event *ev)
{
	o->t.oom_events++;
	if (!ev->name || strcmp(ev->name, "finish_task_reaping"))
		return;
	for (size_t i = 0; i < o->nr_kills; i++)
		if (o->kills[i].pid == ev->oom_other.pid && !o->kills[i].reaped_ts)
			o->kills[i].reaped_ts = ev->ts;
}

static void on_signal(struct mr_oom *o, const struct mr_event *ev)
{
	int pid = ev->signal.pid;

	if (ev->signal.sig != SIGKILL_NR || pid <= 0)
		return;
	task_get(o, pid)->sigkill_ts = ev->ts;
	note_comm(o, pid, ev->comm);
	for (size_t i = 0; i < o->nr_kills; i++)
		if (o->kills[i].pid == pid && !o->kills[i].sigkill_ts)
			o->kills[i].sigkill_ts = ev->ts;
}

/* ---- task lifetimes ---- */

static void on_task_new(struct mr_oom *o, const struct mr_event *ev)
{
	note_comm(o, ev->tid, ev->comm);
}

static void on_exec(struct mr_oom *o, const struct mr_event *ev)
{
	const char *base = ev->path ? strrchr(ev->path, '/') : NULL;

	/* the kernel names the task after the file */
	note_comm(o, ev->tid, base ? base + 1 : ev->path);
}

static void on_task_exit(struct mr_oom *o, const struct mr_event *ev)
{
	const struct mr_task *tk = mr_tasks_find(o->model, ev->tid);
	struct task *t = tk ? state_of(o, tk) : NULL;
	int pid = tgid_of(o, ev);
	struct proc *p;

	if (ev->group_dead) {
		p = proc_live(o, pid);
		if (p && ev->comm && *ev->comm && (ev->tid == pid || !p->pub.comm[0]))
			copy_comm(p->pub.comm, ev->comm);
		if (p) {
			p->pub.exited = true;
			p->pub.exit_ts = ev->ts;
		}
		for (size_t i = 0; i < o->nr_kills; i++)
			if ((o->kills[i].tgid == pid || o->kills[i].pid == ev->tid) &&
			    !o->kills[i].exit_ts)
				o->kills[i].exit_ts = ev->ts;
	}
	if (!t)
		return;
	/* the tid may come back as another task, with a new id */
	o->t.unpaired += t->nr_open;
	t->nr_open = 0;
}

/* ---- API ---- */

struct mr_oom *mr_oom_new(struct mr_tasks *model)
{
	struct mr_oom *o = mr_xcalloc(1, sizeof(*o));

	o->model = model;
	return o;
}

static void note_times(struct mr_oom *o, const struct mr_event *ev)
{
	if (!o->first_ts)
		o->first_ts = ev->ts;
	o->last_ts = ev->ts;
}

void mr_oom_feed(struct mr_oom *o, const struct mr_event *ev)
{
	note_times(o, ev);
	switch (ev->kind) {
	case MR_EV_ENTER:		on_alloc_enter(o, ev); break;
	case MR_EV_RETURN:		on_alloc_return(o, ev); break;
	case MR_EV_TASK_NEW:		on_task_new(o, ev); break;
	case MR_EV_EXEC:		on_exec(o, ev); break;
	case MR_EV_EXIT:		on_task_exit(o, ev); break;
	case MR_EV_RSS:			on_rss(o, ev); break;
	case MR_EV_OOM_VICTIM:		on_oom_victim(o, ev); break;
	case MR_EV_OOM_OTHER:		on_oom_other(o, ev); break;
	case MR_EV_RECLAIM_BEGIN:
		stall_begin(o, ev, ev->reclaim.memcg ? MR_STALL_MEMCG : MR_STALL_DIRECT);
		break;
	case MR_EV_RECLAIM_END:
		stall_end(o, ev, ev->reclaim.memcg ? MR_STALL_MEMCG : MR_STALL_DIRECT);
		break;
	case MR_EV_COMPACT_BEGIN:	on_compact_begin(o, ev); break;
	case MR_EV_COMPACT_END:		stall_end(o, ev, MR_STALL_COMPACT); break;
	case MR_EV_KSWAPD:		on_kswapd(o, ev); break;
	case MR_EV_SIGNAL:		on_signal(o, ev); break;
	default:			break;
	}
}

/* ---- finish: what grew before each kill ---- */

struct grow {
	uint32_t	as[2];
	int		nr_as;
	uint64_t	from, to;
	struct mr_leak	*rows;
	size_t		nr, alloc;
};

static int grow_block(const struct mr_block *b, void *data)
{
	struct grow *g = data;

	/* an inherited block's time is the parent's allocation */
	if (b->inherited || b->ts < g->from || b->ts > g->to)
		return 0;
	if (b->aspace != g->as[0] && (g->nr_as < 2 || b->aspace != g->as[1]))
		return 0;
	MR_ALLOC_GROW(g->rows, g->nr, g->alloc);
	mr_leak_of_block(&g->rows[g->nr++], b);
	return 0;
}

/* Rows of one block each -> one row per site, biggest first, top ones kept. */
static void grow_sites(struct grow *g, struct mr_oom_kill *k)
{
	size_t n;

	k->growing_count = g->nr;
	for (size_t i = 0; i < g->nr; i++)
		k->growing_bytes += g->rows[i].bytes;
	n = mr_leak_group(g->rows, g->nr);
	k->nr_growing = n < MR_OOM_TOP_GROWING ? n : MR_OOM_TOP_GROWING;
	k->growing = g->rows;
}

static void kill_growing(struct mr_ctx *ctx, struct mr_oom_kill *k)
{
	const struct mr_aspace *v, *t;
	struct grow g = { 0 };

	if (!ctx->pairing)
		return;
	v = mr_tasks_find_aspace(ctx->tasks, k->tgid, k->ts);
	t = mr_tasks_find_aspace(ctx->tasks, k->trigger_pid, k->ts);
	if (v)
		g.as[g.nr_as++] = v->id;
	if (t && (!v || t->id != v->id))
		g.as[g.nr_as++] = t->id;
	if (!g.nr_as)
		return;
	g.from = k->ts > MR_OOM_WINDOW_NS ? k->ts - MR_OOM_WINDOW_NS : 0;
	g.to = k->ts;
	mr_pairing_for_each_live(ctx->pairing, grow_block, &g);
	grow_sites(&g, k);
}

/* ---- finish: processes ---- */

static int64_t proc_peak(const struct proc *p)
{
	return mr_oom_total_rss(p->pub.peak);
}

static uint64_t proc_stalled(const struct proc *p)
{
	uint64_t ns = 0;

	for (int s = 0; s < MR_STALL_NR; s++)
		ns += p->pub.stalls[s].total_ns;
	return ns;
}

static int proc_cmp(const void *a, const void *b)
{
	const struct proc *x = *(const struct proc **)a, *y = *(const struct proc **)b;

	if (proc_peak(x) != proc_peak(y))
		return proc_peak(x) > proc_peak(y) ? -1 : 1;
	if (proc_stalled(x) != proc_stalled(y))
		return proc_stalled(x) > proc_stalled(y) ? -1 : 1;
	if (x->pub.pid != y->pub.pid)
		return x->pub.pid < y->pub.pid ? -1 : 1;
	return x->idx < y->idx ? -1 : 1;
}

/*
 * Points come in event order, which is not always time order (a damaged
 * file; a sample of one CPU behind another's): the timeline is promised in
 * time order. Insertion sort: stable, and linear on the nearly sorted.
 */
static void sort_points(struct mr_oom_point *pts, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct mr_oom_point x = pts[i];
		size_t j = i;

		for (; j > 0 && pts[j - 1].ts > x.ts; j--)
			pts[j] = pts[j - 1];
		pts[j] = x;
	}
}

static void proc_finish(struct mr_ctx *ctx, struct proc *p)
{
	const struct mr_aspace *as;

	while (p->pub.nr_pts > MR_OOM_MAX_POINTS)
		halve_points(p);
	sort_points(p->pub.pts, p->pub.nr_pts);
	memcpy(p->pub.end, p->cur, sizeof(p->pub.end));
	if (p->pub.comm[0] || !ctx->pairing || p->pub.pid <= 0)
		return;
	/* a process seen only in allocator events is named by pairing */
	as = mr_tasks_find_aspace(ctx->tasks, p->pub.pid, p->pub.first_ts);
	if (as && as->comm[0])
		copy_comm(p->pub.comm, as->comm);
}

static bool proc_shown(struct mr_oom *o, struct mr_ctx *ctx, const struct proc *p)
{
	if (p->merged)
		return false;
	if (p->pub.pid <= 0) {
		o->t.unowned_mms++;
		return false;
	}
	return !ctx->o || !ctx->o->pid || ctx->o->pid == p->pub.pid;
}

static void order_procs(struct mr_oom *o, struct mr_ctx *ctx)
{
	o->order = mr_xcalloc(o->nr_procs + 1, sizeof(*o->order));
	for (size_t i = 0; i < o->nr_procs; i++) {
		proc_finish(ctx, o->procs[i]);
		if (proc_shown(o, ctx, o->procs[i]))
			o->order[o->nr_order++] = o->procs[i];
	}
	mr_qsort(o->order, o->nr_order, sizeof(*o->order), proc_cmp);
}

static double duration_s(const struct mr_oom *o, const struct mr_ctx *ctx)
{
	const struct mr_meta *m = &ctx->meta;

	if (m->stop_ts > m->start_ts)
		return (m->stop_ts - m->start_ts) / 1e9;
	return o->last_ts > o->first_ts ? (o->last_ts - o->first_ts) / 1e9 : 0;
}

void mr_oom_finish(struct mr_oom *o, struct mr_ctx *ctx)
{
	uint64_t end = ctx->end_ts > o->last_ts ? ctx->end_ts : o->last_ts;

	order_procs(o, ctx);
	for (size_t i = 0; i < o->nr_kills; i++)
		kill_growing(ctx, &o->kills[i]);
	for (int n = 0; n < MAX_NODES; n++)
		if (o->kswapd_woke[n])
			o->t.kswapd_awake_ns += end - o->kswapd_woke[n];
	for (size_t i = 0; i < o->nr_tasks; i++)
		o->t.unpaired += o->tasks[i] ? o->tasks[i]->nr_open : 0;
	o->t.duration_s = duration_s(o, ctx);
}

void mr_oom_free(struct mr_oom *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->nr_procs; i++) {
		free(o->procs[i]->pub.pts);
		free(o->procs[i]);
	}
	for (size_t i = 0; i < o->nr_tasks; i++)
		free(o->tasks[i]);
	for (size_t i = 0; i < o->nr_kills; i++)
		free(o->kills[i].growing);
	mr_u64map_release(&o->pids);
	mr_u64map_release(&o->mms);
	free(o->procs);
	free(o->tasks);
	free(o->order);
	free(o->kills);
	free(o);
}

size_t mr_oom_nr_procs(const struct mr_oom *o)
{
	return o->nr_order;
}

const struct mr_oom_proc *mr_oom_proc(const struct mr_oom *o, size_t i)
{
	return i < o->nr_order ? &o->order[i]->pub : NULL;
}

size_t mr_oom_nr_kills(const struct mr_oom *o)
{
	return o->nr_kills;
}

const struct mr_oom_kill *mr_oom_kill(const struct mr_oom *o, size_t i)
{
	return i < o->nr_kills ? &o->kills[i] : NULL;
}

const struct mr_oom_totals *mr_oom_totals(const struct mr_oom *o)
{
	return &o->t;
}

int64_t mr_oom_total_rss(const int64_t v[MR_RSS_NR])
{
	return v[MR_RSS_FILE] + v[MR_RSS_ANON] + v[MR_RSS_SHMEM];
}

/* Whether pid's process at ts is a recorded target or descends from one. */
static bool of_targets(const struct mr_ctx *ctx, int pid, uint64_t ts)
{
	const struct mr_aspace *a = pid > 0 && ctx->tasks ?
				    mr_tasks_find_aspace(ctx->tasks, pid, ts) : NULL;

	for (int i = 0; i < ctx->meta.nr_targets; i++)
		if (ctx->meta.targets[i].pid == pid)
			return true;
	for (int depth = 0; a && depth < 256; depth++) {
		for (int i = 0; i < ctx->meta.nr_targets; i++)
			if (ctx->meta.targets[i].pid == a->pid)
				return true;
		a = a->parent_id >= 0 ? mr_tasks_aspace(ctx->tasks, (uint32_t)a->parent_id) : NULL;
	}
	return false;
}

/*
 * For targets the OOM killer's events come from every task (the kill may be
 * declared by any task of the memory cgroup): a kill is the recording's
 * when its victim or its trigger is a target or descends from one.
 */
bool mr_oom_kill_of_targets(const struct mr_ctx *ctx, const struct mr_oom_kill *k)
{
	if (ctx->meta.system_wide || !ctx->meta.nr_targets)
		return true;
	return of_targets(ctx, k->tgid ? k->tgid : k->pid, k->ts) ||
	       of_targets(ctx, k->trigger_pid, k->ts);
}

/*
 * A memcg OOM is told from the trigger's memcg reclaim just before, which is
 * recorded for targets only: for a trigger that is none, memcg or global is
 * not known (unless it was seen in memcg reclaim, or everything was recorded).
 */
bool mr_oom_kill_scope_known(const struct mr_ctx *ctx, const struct mr_oom_kill *k)
{
	return k->memcg || ctx->meta.system_wide || !ctx->meta.nr_targets ||
	       of_targets(ctx, k->trigger_pid, k->ts);
}

/* The recording's kills; with --pid, those of that process or that it triggered. */
bool mr_oom_kill_wanted(const struct mr_ctx *ctx, const struct mr_oom_kill *k)
{
	int pid = ctx->o ? ctx->o->pid : 0;

	if (!mr_oom_kill_of_targets(ctx, k))
		return false;
	return !pid || k->tgid == pid || k->trigger_pid == pid;
}

size_t mr_oom_kills_of_others(const struct mr_ctx *ctx, const struct mr_oom *o)
{
	size_t n = 0;

	for (size_t i = 0; i < o->nr_kills; i++)
		n += !mr_oom_kill_of_targets(ctx, &o->kills[i]);
	return n;
}

/* The victim's memory cgroup as recorded: the last record at or before ts. */
const struct mr_meta_memcg *mr_oom_memcg_of(const struct mr_ctx *ctx, int pid, uint64_t ts)
{
	const struct mr_meta_memcg *best = NULL;

	for (int i = 0; i < ctx->meta.nr_memcgs; i++) {
		const struct mr_meta_memcg *c = &ctx->meta.memcgs[i];

		if (c->pid != pid)
			continue;
		if (!best || (c->ts <= ts && (best->ts > ts || c->ts > best->ts)))
			best = c;
	}
	return best;
}

/* ---- the analyser ---- */

static void *oom_new(struct mr_ctx *ctx)
{
	return mr_oom_new(ctx->tasks);
}

static void oom_feed(void *state, const struct mr_event *ev)
{
	mr_oom_feed(state, ev);
}

static void oom_finish(void *state, struct mr_ctx *ctx)
{
	mr_oom_finish(state, ctx);
}

static void oom_free(void *state)
{
	mr_oom_free(state);
}

const struct mr_analyser mr_oom_analyser = {
	.name = "oom", .new = oom_new, .feed = oom_feed, .finish = oom_finish,
	.free = oom_free,
};
