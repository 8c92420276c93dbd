// SPDX-License-Identifier: GPL-2.0
/*
 * test_oom.c - report/oom/oom.c and its writers on synthetic event streams: an
 * RSS ramp ending in a memcg OOM kill (stalls, nesting, SIGKILL, death, the
 * reaper, what grew), a forked child whose first counters come from the
 * fork, a global kill, and timeline thinning. `test_oom -v` prints the text
 * and JSON reports of the first stream.
 */
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "oom/oom.h"
#include "output/output.h"
#include "mr_test.h"

#define MiB		(1024 * 1024ll)
#define KiB		1024ll
#define MS		1000000ull
#define T0		1000000000ull		/* the recording starts at 1 s */
#define AT(ms)		(T0 + (uint64_t)(ms) * MS)
#define T_CLONE_THREAD	0x00010000ull

/* Events are collected, then fed in time order (the helpers build them per story). */
struct queued {
	struct mr_event	ev;
	size_t		seq;
};

struct feed {
	struct mr_ctx		rep;
	struct mr_report_opts	opts;
	struct mr_oom		*o;
	struct queued		*q;
	size_t			nr, alloc;
};

static struct mr_meta_memcg memcgs[] = {
	{ T0, 100, "/sys/fs/cgroup/memrec-test", 64 * MiB, 5 * MiB },
	{ AT(6000), 100, "/sys/fs/cgroup/memrec-test", 64 * MiB, -1 },
};

static void feed_init(struct feed *fd)
{
	memset(fd, 0, sizeof(*fd));
	fd->opts.input = "synthetic.dat";
	fd->rep.o = &fd->opts;
	fd->rep.meta.start_ts = T0;
	fd->rep.meta.stop_ts = AT(6000);
	fd->rep.meta.stop_reason = "targets exited";
	fd->rep.meta.uname = "Linux test";
	fd->rep.meta.memcgs = memcgs;
	fd->rep.meta.nr_memcgs = ARRAY_SIZE(memcgs);
	fd->rep.tasks = mr_tasks_new();
	fd->rep.pairing = mr_pairing_new(fd->rep.tasks);
	fd->rep.symbols = mr_symbols_new();
	fd->o = mr_oom_new(fd->rep.tasks);
}

static int queued_cmp(const void *a, const void *b)
{
	const struct queued *x = a, *y = b;

	if (x->ev.ts != y->ev.ts)
		return x->ev.ts < y->ev.ts ? -1 : 1;
	return x->seq < y->seq ? -1 : 1;
}

/* As the report does: the process model first, then pairing, then the analyser. */
static void feed_finish(struct feed *fd)
{
	qsort(fd->q, fd->nr, sizeof(*fd->q), queued_cmp);
	for (size_t i = 0; i < fd->nr; i++) {
		mr_tasks_feed(fd->rep.tasks, &fd->q[i].ev);
		mr_pairing_feed(fd->rep.pairing, &fd->q[i].ev);
		mr_oom_feed(fd->o, &fd->q[i].ev);
	}
	fd->rep.end_ts = fd->rep.meta.stop_ts;
	mr_pairing_finish(fd->rep.pairing, fd->rep.end_ts);
	mr_oom_finish(fd->o, &fd->rep);
}

static void feed_release(struct feed *fd)
{
	mr_oom_free(fd->o);
	mr_symbols_free(fd->rep.symbols);
	mr_pairing_free(fd->rep.pairing);
	mr_tasks_free(fd->rep.tasks);
	free(fd->q);
}

static void put(struct feed *fd, const struct mr_event *ev)
{
	if (fd->nr == fd->alloc) {
		fd->alloc = fd->alloc ? fd->alloc * 2 : 256;
		fd->q = realloc(fd->q, fd->alloc * sizeof(*fd->q));
	}
	fd->q[fd->nr].ev = *ev;
	fd->q[fd->nr].seq = fd->nr;
	fd->nr++;
}

static struct mr_event ev_at(uint64_t ts, enum mr_ev_kind kind, int tid)
{
	return (struct mr_event){ .ts = ts, .kind = kind, .tid = tid };
}

static void rss(struct feed *fd, uint64_t ts, int tid, int member, int64_t size, int mm, int curr)
{
	struct mr_event ev = ev_at(ts, MR_EV_RSS, tid);

	ev.rss.member = member;
	ev.rss.bytes = size;
	ev.rss.mm_id = mm;
	ev.rss.curr = curr;
	put(fd, &ev);
}

static void kev(struct feed *fd, uint64_t ts, enum mr_ev_kind kind, int tid, int64_t k0, int64_t k1)
{
	struct mr_event ev = ev_at(ts, kind, tid);

	/* the first two fields of the event's kind, in mr_event.h's order */
	ev.raw[0] = k0;
	ev.raw[1] = k1;
	put(fd, &ev);
}

static void exec_ev(struct feed *fd, uint64_t ts, int tid, const char *path)
{
	struct mr_event ev = ev_at(ts, MR_EV_EXEC, tid);

	ev.path = path;
	ev.args[0] = tid;
	put(fd, &ev);
}

static void alloc(struct feed *fd, uint64_t ts, int tid, enum mr_fn fn, uint64_t a0, uint64_t a1,
		  uint64_t ptr, const uint64_t *stack)
{
	struct mr_event ev = ev_at(ts, MR_EV_ENTER, tid);

	ev.tgid = tid;
	ev.fn = fn;
	ev.args[0] = a0;
	ev.args[1] = a1;
	ev.caller = stack[0];
	ev.stack = stack + 1;
	ev.nr_stack = 2;
	put(fd, &ev);
	ev.kind = MR_EV_RETURN;
	ev.ts += 1000;
	ev.ret = ptr;
	put(fd, &ev);
}

static const uint64_t stack_old[] = { 0x401000, 0x402000, 0x403000 };
static const uint64_t stack_ramp[] = { 0x401100, 0x402100, 0x403100 };
static const uint64_t stack_calloc[] = { 0x401200, 0x402200, 0x403200 };

/* pid 100 ("hog", mm 7): file 4 MiB, anon +1 MiB every 100 ms to 50 MiB at 5.0 s. */
static void ramp(struct feed *fd)
{
	exec_ev(fd, AT(0), 100, "/usr/bin/hog");
	rss(fd, AT(10), 100, MR_RSS_FILE, 4 * MiB, 7, 1);
	alloc(fd, AT(50), 100, MR_FN_MALLOC, MiB, 0, 0x7f0000000000, stack_old);
	for (int i = 0; i < 50; i++) {
		uint64_t ts = AT(100 * (i + 1));

		rss(fd, ts, 100, MR_RSS_ANON, (i + 1) * MiB, 7, 1);
		/* from 1.1 s on, inside the 5 s before the kill at 5.5 s */
		if (i >= 10)
			alloc(fd, ts + 10 * MS, 100, MR_FN_MALLOC, MiB, 0,
			      0x7f0001000000 + i * 0x100000, stack_ramp);
	}
	alloc(fd, AT(5050), 100, MR_FN_CALLOC, 4, 64 * KiB, 0x7f0100000000, stack_calloc);
}

/* pid 200: forked by 100; the fork fills its mm 9 (curr 0) before it runs. */
static void child(struct feed *fd)
{
	struct mr_event ev = ev_at(AT(20), MR_EV_TASK_NEW, 100);

	ev.child_tid = 200;
	ev.clone_flags = 0x11;
	ev.comm = "hog";
	put(fd, &ev);
	rss(fd, AT(21), 100, MR_RSS_ANON, 2 * MiB, 9, 0);
	rss(fd, AT(30), 200, MR_RSS_ANON, 3 * MiB, 9, 1);
	exec_ev(fd, AT(31), 200, "/bin/sleep");
	rss(fd, AT(32), 200, MR_RSS_ANON, 100 * KiB, 11, 1);
}

/* Stalls of tid 100: 1 direct (2 ms), memcg 3, 1, 5 ms and 10 ms with a compaction inside. */
static void stalls(struct feed *fd)
{
	kev(fd, AT(4000), MR_EV_RECLAIM_BEGIN, 100, 0, 0);
	kev(fd, AT(4002), MR_EV_RECLAIM_END, 100, 0, 12);
	kev(fd, AT(5100), MR_EV_RECLAIM_BEGIN, 100, 1, 0);
	kev(fd, AT(5103), MR_EV_RECLAIM_END, 100, 1, 32);
	kev(fd, AT(5200), MR_EV_RECLAIM_BEGIN, 100, 1, 0);
	kev(fd, AT(5201), MR_EV_RECLAIM_END, 100, 1, 0);
	kev(fd, AT(5300), MR_EV_RECLAIM_BEGIN, 100, 1, 0);
	kev(fd, AT(5305), MR_EV_RECLAIM_END, 100, 1, 0);
	kev(fd, AT(5400), MR_EV_RECLAIM_BEGIN, 100, 1, 0);
	/* try_to_compact_pages, then mm_compaction_begin */
	kev(fd, AT(5400) + 500000, MR_EV_COMPACT_BEGIN, 100, 3, 1);
	kev(fd, AT(5401), MR_EV_COMPACT_BEGIN, 100, -1, 0);
	kev(fd, AT(5403), MR_EV_COMPACT_END, 100, 1, 0);
	kev(fd, AT(5410), MR_EV_RECLAIM_END, 100, 1, 0);
	/* an end whose begin was lost */
	kev(fd, AT(5420), MR_EV_RECLAIM_END, 100, 0, 0);
}

static void kill_100(struct feed *fd)
{
	struct mr_event ev = ev_at(AT(5499), MR_EV_SIGNAL, 100);

	ev.signal.sig = 9;
	ev.signal.pid = 100;
	ev.comm = "hog";
	put(fd, &ev);
	ev = ev_at(AT(5500), MR_EV_OOM_VICTIM, 100);
	ev.victim.pid = 100;
	ev.victim.total_vm_kb = 70000;
	ev.victim.anon_kb = 51200;
	ev.victim.file_kb = 4096;
	ev.victim.shmem_kb = 0;
	ev.victim.oom_score_adj = 200;
	ev.comm = "hog";
	put(fd, &ev);
	/* the reaper (tid 30, a kthread) takes the anon pages away */
	rss(fd, AT(5520), 30, MR_RSS_ANON, 0, 7, 0);
	ev = ev_at(AT(5525), MR_EV_OOM_OTHER, 30);
	ev.name = "finish_task_reaping";
	ev.oom_other.pid = 100;
	put(fd, &ev);
	ev = ev_at(AT(5530), MR_EV_EXIT, 100);
	ev.group_dead = 1;
	ev.comm = "hog";
	put(fd, &ev);
	/* the same mm_id reused later by someone else must not touch pid 100 */
	rss(fd, AT(5800), 31, MR_RSS_ANON, 5 * MiB, 7, 0);
}

static const struct mr_oom_proc *find_proc(const struct mr_oom *o, int pid)
{
	for (size_t i = 0; i < mr_oom_nr_procs(o); i++)
		if (mr_oom_proc(o, i)->pid == pid)
			return mr_oom_proc(o, i);
	return NULL;
}

static void check_procs(struct feed *fd)
{
	const struct mr_oom_proc *p = mr_oom_proc(fd->o, 0), *c = find_proc(fd->o, 200);
	const struct mr_oom_stall *s = p ? p->stalls : NULL;

	MR_CHECK_EQ(mr_oom_nr_procs(fd->o), 2, "two processes (fork copy folded, reused mm apart)");
	MR_CHECK(p && p->pid == 100 && !strcmp(p->comm, "hog"), "biggest is pid 100 hog",
		 "pid %d comm %s", p ? p->pid : -1, p ? p->comm : "-");
	if (!p || !c)
		return;
	MR_CHECK_EQ(p->peak[MR_RSS_ANON], 50 * MiB, "peak anon 50 MiB");
	MR_CHECK_EQ(p->start[MR_RSS_ANON], MiB, "start anon 1 MiB");
	MR_CHECK_EQ(p->end[MR_RSS_ANON], 0, "end anon 0 after the reaper");
	MR_CHECK_EQ(p->start[MR_RSS_FILE], 4 * MiB, "start file 4 MiB");
	MR_CHECK_EQ(p->seen, (1u << MR_RSS_FILE) | (1u << MR_RSS_ANON), "kinds seen");
	MR_CHECK_EQ(p->nr_pts, 52, "one point per sample (100 ms apart)");
	MR_CHECK_EQ(p->exited, 1, "pid 100 exited");
	MR_CHECK_EQ(s[MR_STALL_MEMCG].count, 4, "memcg reclaim count");
	MR_CHECK_EQ(s[MR_STALL_MEMCG].total_ns, 19 * MS, "memcg reclaim total 19 ms");
	MR_CHECK_EQ(s[MR_STALL_MEMCG].worst_ns, 10 * MS, "memcg reclaim worst 10 ms");
	MR_CHECK_EQ(s[MR_STALL_DIRECT].count, 1, "direct reclaim count");
	MR_CHECK_EQ(s[MR_STALL_DIRECT].total_ns, 2 * MS, "direct reclaim total 2 ms");
	MR_CHECK_EQ(s[MR_STALL_COMPACT].count, 1, "compaction nested in reclaim");
	MR_CHECK_EQ(s[MR_STALL_COMPACT].worst_ns, 2 * MS, "compaction 2 ms");
	MR_CHECK_EQ(p->compact_attempts, 1, "one try_to_compact_pages");
	MR_CHECK_EQ(p->alloc_bytes, 41 * MiB + 256 * KiB, "bytes allocated");
	MR_CHECK_EQ(p->alloc_count, 42, "allocator calls");
	MR_CHECK_EQ(c->start[MR_RSS_ANON], 2 * MiB, "child starts with the fork's copy");
	MR_CHECK_EQ(c->peak[MR_RSS_ANON], 3 * MiB, "child peak before its exec");
	MR_CHECK_EQ(c->end[MR_RSS_ANON], 100 * KiB, "child after exec: a fresh mm");
	MR_CHECK(!strcmp(c->comm, "sleep"), "child named after its exec", "comm %s", c->comm);
}

static void check_kill(struct feed *fd)
{
	const struct mr_oom_totals *t = mr_oom_totals(fd->o);
	const struct mr_oom_kill *k = mr_oom_kill(fd->o, 0);

	MR_CHECK_EQ(mr_oom_nr_kills(fd->o), 1, "one kill");
	if (!k)
		return;
	MR_CHECK_EQ(k->pid, 100, "victim pid");
	MR_CHECK_EQ(k->tgid, 100, "victim process");
	MR_CHECK(!strcmp(k->comm, "hog"), "victim comm", "%s", k->comm);
	MR_CHECK_EQ(k->anon_kb, 51200, "anon_rss_kb");
	MR_CHECK_EQ(k->oom_score_adj, 200, "oom_score_adj");
	MR_CHECK_EQ(k->trigger_tid, 100, "trigger tid");
	MR_CHECK(!strcmp(k->trigger_comm, "hog"), "trigger comm", "%s", k->trigger_comm);
	MR_CHECK_EQ(k->memcg, 1, "memcg kill");
	MR_CHECK_EQ(k->memcg_reclaim_ts, AT(5400), "the memcg reclaim that preceded it");
	MR_CHECK_EQ(k->sigkill_ts, AT(5499), "SIGKILL (sent just before mark_victim)");
	MR_CHECK_EQ(k->exit_ts - k->ts, 30 * MS, "time to death 30 ms");
	MR_CHECK_EQ(k->reaped_ts, AT(5525), "reaped");
	MR_CHECK_EQ(k->has_rss, 1, "rss at the kill known");
	MR_CHECK_EQ(k->rss[MR_RSS_ANON], 50 * MiB, "anon at the kill from the series");
	MR_CHECK_EQ(k->victim_alloc_5s, 40 * MiB + 256 * KiB, "bytes allocated in the 5 s window");
	MR_CHECK_EQ(k->growing_count, 41, "live blocks of the window");
	MR_CHECK_EQ(k->growing_bytes, 40 * MiB + 256 * KiB, "their bytes");
	MR_CHECK_EQ(k->nr_growing, 2, "two growing sites");
	if (k->nr_growing == 2) {
		MR_CHECK_EQ(k->growing[0].bytes, 40 * MiB, "top site bytes");
		MR_CHECK_EQ(k->growing[0].count, 40, "top site blocks");
		MR_CHECK_EQ(k->growing[1].fn, MR_FN_CALLOC, "second site is the calloc");
	}
	MR_CHECK_EQ(t->stalls[MR_STALL_MEMCG].count, 4, "overall memcg stalls");
	MR_CHECK_EQ(t->worst_ns, 10 * MS, "overall worst stall");
	MR_CHECK_EQ(t->unpaired, 1, "one unpaired end");
	MR_CHECK_EQ(t->unowned_mms, 1, "the reused mm_id is nobody's");
}

/* The reports must be written and name what matters. */
static void check_writers(struct feed *fd, bool show)
{
	char *txt = NULL, *json = NULL;
	size_t len;
	FILE *f;

	f = open_memstream(&txt, &len);
	MR_CHECK_EQ(mr_oom_write_text(f, &fd->rep, fd->o), 0, "text written");
	fclose(f);
	f = open_memstream(&json, &len);
	MR_CHECK_EQ(mr_oom_write_json(f, &fd->rep, fd->o), 0, "json written");
	fclose(f);
	MR_CHECK(strstr(txt, "oom kill #1 at t=+5.500s: pid 100 (hog), memcg OOM"),
		 "text kill line", "%s", txt);
	MR_CHECK(strstr(txt, "30.000 ms after mark_victim"), "text time to death", "missing");
	MR_CHECK(strstr(txt, "cgroup      /sys/fs/cgroup/memrec-test: limit 64.0 MiB, usage 5.0 MiB"),
		 "text names the victim's cgroup (the record before the kill)", "missing");
	MR_CHECK(strstr(json, "\"limit\": 67108864, \"usage\": null"), "json memcgs", "missing");
	MR_CHECK(strstr(json, "\"report\": \"oom\"") && strstr(json, "\"memcg\": true") &&
		 strstr(json, "\"time_to_death_s\": 0.030000"), "json keys", "%s", json);
	if (show)
		printf("%s\n%s", txt, json);
	free(txt);
	free(json);
}

static void test_memcg_kill(bool show)
{
	struct feed fd;

	feed_init(&fd);
	ramp(&fd);
	child(&fd);
	stalls(&fd);
	kill_100(&fd);
	feed_finish(&fd);
	check_procs(&fd);
	check_kill(&fd);
	check_writers(&fd, show);
	feed_release(&fd);
}

/* A kill by another task, whose memcg reclaim was long before: global. */
static void test_global_kill(void)
{
	struct feed fd;
	struct mr_event ev;
	const struct mr_oom_kill *k;

	feed_init(&fd);
	ev = ev_at(AT(0), MR_EV_TASK_NEW, 400);
	ev.child_tid = 401;
	ev.clone_flags = T_CLONE_THREAD;
	ev.comm = "other";
	put(&fd, &ev);
	kev(&fd, AT(100), MR_EV_RECLAIM_BEGIN, 401, 1, 0);
	kev(&fd, AT(200), MR_EV_RECLAIM_END, 401, 1, 0);
	rss(&fd, AT(300), 300, MR_RSS_ANON, 10 * MiB, 5, 1);
	ev = ev_at(AT(2300), MR_EV_OOM_VICTIM, 401);
	ev.victim.pid = 300;
	ev.comm = "victim";
	put(&fd, &ev);
	feed_finish(&fd);
	k = mr_oom_kill(fd.o, 0);
	MR_CHECK(k && !k->memcg, "global kill: memcg reclaim 2.2 s before is too old", "memcg");
	MR_CHECK(k && k->trigger_pid == 400 && k->trigger_tid == 401, "trigger thread's process",
		 "pid %d", k ? k->trigger_pid : -1);
	MR_CHECK(k && !k->sigkill_ts && !k->exit_ts, "no SIGKILL or exit seen", "seen");
	MR_CHECK(k && k->victim && k->victim->pid == 300 && k->rss[MR_RSS_ANON] == 10 * MiB,
		 "victim series", "none");
	MR_CHECK(find_proc(fd.o, 400) && find_proc(fd.o, 400)->stalls[MR_STALL_MEMCG].count == 1,
		 "a thread's stall counts for its process", "missing");
	feed_release(&fd);
}

/* 10000 samples over 5 s with one spike: at most MR_OOM_MAX_POINTS kept, the spike too. */
static void test_thinning(void)
{
	int64_t max = 0;
	const struct mr_oom_proc *p;
	struct feed fd;
	bool ordered = true;

	feed_init(&fd);
	for (int i = 0; i < 10000; i++)
		rss(&fd, AT(0) + i * 500000ull, 500, MR_RSS_ANON,
		    i == 5001 ? 1024 * MiB : i * 4096, 3, 1);
	feed_finish(&fd);
	p = mr_oom_proc(fd.o, 0);
	MR_CHECK(p && p->nr_pts <= MR_OOM_MAX_POINTS && p->nr_pts >= MR_OOM_MAX_POINTS / 4,
		 "thinned", "%zu points", p ? p->nr_pts : 0);
	for (size_t i = 0; p && i < p->nr_pts; i++) {
		if (p->pts[i].v[MR_RSS_ANON] > max)
			max = p->pts[i].v[MR_RSS_ANON];
		if (i && p->pts[i].ts <= p->pts[i - 1].ts)
			ordered = false;
	}
	MR_CHECK_EQ(max, 1024 * MiB, "the spike survives thinning");
	MR_CHECK(ordered, "points in time order", "not ordered");
	MR_CHECK(p && p->peak[MR_RSS_ANON] == 1024 * MiB && p->end[MR_RSS_ANON] == 9999 * 4096,
		 "peak and end exact", "peak %lld", p ? (long long)p->peak[MR_RSS_ANON] : -1);
	feed_release(&fd);
}

int main(int argc, char **argv)
{
	test_memcg_kill(argc > 1 && !strcmp(argv[1], "-v"));
	test_global_kill();
	test_thinning();
	return mr_test_done();
}
