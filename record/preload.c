// SPDX-License-Identifier: GPL-2.0
/*
 * preload.c - the recorder's side of --preload: makes the shared memory
 * (a memfd of rings, include/mr_preload.h) that libmemrec_preload.so in the
 * command writes, and a thread that drains the rings, in time order across
 * them, into the perf path's sample pages: each entry and return becomes
 * the record a uprobe of the same name would have given (event ids from
 * MR_PL_FIRST_ID, system memrec_preload, formats built from the probe
 * table) and each return a memrec/ustack, so the report reads both paths
 * the same way.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "memrec.h"
#include "mr_preload.h"
#include "mr_tracedat.h"
#include "mr_u64map.h"
#include "record.h"

/* A record waits this long for older ones of other rings that are still being written. */
#define SETTLE_NS	200000ull
/* A slot taken but never completed (its writer died or is stopped) is skipped after this. */
#define STUCK_NS	1000000000ull

struct held;

struct ring_state {
	uint64_t	tail;		/* the next slot to read; the ring's tail is set from it */
	uint64_t	stuck_since;	/* when its next slot was first seen incomplete */
	uint64_t	checked;	/* when its owner was last checked */
};

/*
 * The call chains written so far, each once per page writer (a chain is
 * defined on the pages of the records that use it, so it is read first):
 * hash -> index in defs; the frames, end to end, in frames.
 */
struct stack_def {
	uint64_t	at;		/* the first frame's index in frames */
	uint32_t	nr;
	int32_t		tgid;
	int32_t		writer;
};

struct stacks {
	struct mr_u64map	by_hash;
	struct stack_def	*defs;
	uint32_t		nr, cap;
	uint64_t		*frames;
	uint64_t		nr_frames, frames_cap;
};

struct mr_preload {
	struct mr_pl_shm	*shm;
	int			fd;
	struct mr_samples	*sm;
	int			nr_args[MR_PL_NR];	/* entry arguments, caller excluded */
	struct ring_state	rs[MR_PL_RINGS];
	int			populated;	/* rings whose pages the recorder allocated */
	pthread_t		thread;
	bool			started;
	bool			stopped;
	volatile int		stop;
	uint64_t		skipped;	/* slots never completed */
	struct held		*held;		/* taken out of the rings, not written yet */
	uint32_t		nr_held, held_cap;
	struct held		*tmp;		/* sort_held's other half */
	uint32_t		tmp_cap;
	struct mr_buf		recs;		/* their records, end to end (held.at) */
	struct mr_buf		spare;		/* the next recs */
	uint64_t		order;
	char			*env_shm;
	char			**envp;
	struct stacks		stacks;
};

static const char *const pl_names[MR_PL_NR] = { MR_PL_NAMES };

const char *mr_preload_unusable(const char *path)
{
	const char *why = NULL;
	struct stat st;
	size_t nr = 0;
	Elf *elf;
	int fd;

	if (stat(path, &st) < 0)
		return NULL;	/* the spawn says what is wrong */
	if (st.st_mode & (S_ISUID | S_ISGID))
		return "it is setuid or setgid (the dynamic loader ignores LD_PRELOAD)";
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF && !elf_getphdrnum(elf, &nr)) {
		bool interp = false;

		for (size_t i = 0; i < nr && !interp; i++) {
			GElf_Phdr ph;

			interp = gelf_getphdr(elf, i, &ph) && ph.p_type == PT_INTERP;
		}
		if (!interp)
			why = "it is statically linked (no dynamic loader to preload into)";
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return why;
}

char *mr_preload_lib(void)
{
	const char *env = getenv("MEMREC_PRELOAD_LIB");
	char exe[4096], *dir, *path;
	ssize_t n;

	if (env && *env)
		return access(env, R_OK) ? (mr_error("cannot read MEMREC_PRELOAD_LIB '%s'", env),
					    NULL) : mr_xstrdup(env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return mr_error_errno("cannot find memrec's own path"), NULL;
	exe[n] = '\0';
	dir = strrchr(exe, '/');
	*dir = '\0';
	/* the build tree, then the installed layout (prefix/bin -> prefix/lib/memrec) */
	path = mr_xasprintf("%s/%s", exe, MR_PL_LIB_NAME);
	if (!access(path, R_OK))
		return path;
	free(path);
	path = mr_xasprintf("%s/../lib/memrec/%s", exe, MR_PL_LIB_NAME);
	if (!access(path, R_OK))
		return path;
	free(path);
	mr_error("cannot find %s next to memrec or in its ../lib/memrec; build it with 'make' "
		 "or set MEMREC_PRELOAD_LIB", MR_PL_LIB_NAME);
	return NULL;
}

/* The entry arguments of each interposed function, from the probe table. */
static int count_args(struct mr_preload *p)
{
	for (int i = 0; i < MR_PL_NR; i++) {
		const struct mr_probe_def *d = &mr_probe_defs[i];
		const char *a = d->entry_args;

		if (i >= mr_nr_probe_defs || strcmp(d->name, pl_names[i]))
			return mr_error("internal: the preload table does not match the probe "
					"table at %d", i);
		p->nr_args[i] = 0;
		for (; a && (a = strchr(a, '=')); a++)
			p->nr_args[i]++;
		p->nr_args[i]--;	/* caller= */
		if (p->nr_args[i] > (int)ARRAY_SIZE(((struct mr_pl_rec *)0)->v))
			return mr_error("internal: %s has more arguments than a preload record "
					"holds", d->name);
	}
	return 0;
}

/*
 * Allocates the pages of the header and of rings [0, n) in the recorder:
 * a page the command faults in first is a kernel page allocation of the
 * target's, held until the recording ends, which the report would show as
 * the target's (about 1.3 MB for churn). Rings are claimed lowest first.
 */
static void populate(struct mr_preload *p, int n)
{
	off_t at = p->populated ? offsetof(struct mr_pl_shm, rings) +
				  (off_t)p->populated * sizeof(struct mr_pl_ring) : 0;

	if (n > MR_PL_RINGS)
		n = MR_PL_RINGS;
	if (n <= p->populated)
		return;
	/* without it, the command's faults allocate them as before */
	(void)fallocate(p->fd, 0, at, offsetof(struct mr_pl_shm, rings) +
		       (off_t)n * sizeof(struct mr_pl_ring) - at);
	p->populated = n;
}

/*
 * Why the library could not unwind with the CFI, or NULL: it loads
 * MR_PL_UNWIND_LIB into the command; loading it here says whether the
 * command (on this host, with this loader path) will find it too.
 */
const char *mr_preload_no_unwinder(void)
{
	void *h = dlopen(MR_PL_UNWIND_LIB, RTLD_LAZY | RTLD_LOCAL);
	bool ok = h && dlsym(h, "unw_backtrace");

	if (h)
		dlclose(h);
	return ok ? NULL : h ? "it has no unw_backtrace" : "not found; Debian: libunwind8";
}

struct mr_preload *mr_preload_open(struct mr_samples *sm, int max_frames, bool dwarf)
{
	struct mr_preload *p = mr_xcalloc(1, sizeof(*p));

	p->sm = sm;
	p->fd = -1;
	if (count_args(p) < 0)
		goto fail;
	p->fd = memfd_create("memrec-preload", MFD_CLOEXEC);
	if (p->fd < 0 || ftruncate(p->fd, sizeof(*p->shm)) < 0) {
		mr_error_errno("cannot make the shared memory for --preload");
		goto fail;
	}
	p->shm = mmap(NULL, sizeof(*p->shm), PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
	if (p->shm == MAP_FAILED) {
		p->shm = NULL;
		mr_error_errno("cannot map the shared memory for --preload");
		goto fail;
	}
	p->shm->rec_size = sizeof(struct mr_pl_rec);
	p->shm->recorder = getpid();
	p->shm->max_frames = max_frames;
	p->shm->dwarf = dwarf;
	/* the command's ring, and one for the first process it starts */
	populate(p, 2);
	__atomic_store_n(&p->shm->magic, MR_PL_MAGIC, __ATOMIC_RELEASE);
	p->env_shm = mr_xasprintf("%s=/proc/%d/fd/%d", MR_PL_ENV_SHM, getpid(), p->fd);
	return p;
fail:
	mr_preload_close(p);
	return NULL;
}

char **mr_preload_env(struct mr_preload *p, const char *lib)
{
	extern char **environ;
	const char *old = getenv("LD_PRELOAD");
	int n = 0, k = 0;

	while (environ[n])
		n++;
	free(p->envp);
	p->envp = mr_xcalloc(n + 3, sizeof(*p->envp));
	for (int i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) &&
		    strncmp(environ[i], MR_PL_ENV_SHM "=", strlen(MR_PL_ENV_SHM) + 1))
			p->envp[k++] = environ[i];
	/* ours first: its malloc is the one the program's calls reach */
	p->envp[k++] = old && *old ? mr_xasprintf("LD_PRELOAD=%s:%s", lib, old) :
				     mr_xasprintf("LD_PRELOAD=%s", lib);
	p->envp[k++] = p->env_shm;
	return p->envp;
}

/* A field line of a format; every preload field is 8 bytes. */
static void format_field(struct mr_buf *b, const char *type, const char *name, int off)
{
	mr_buf_addf(b, "\tfield:%s %s;\toffset:%d;\tsize:8;\tsigned:0;\n", type, name, off);
}

/* The entry event of a probe-table row, laid out as the kernel lays out its uprobe. */
static void entry_format(struct mr_buf *b, int i)
{
	char *args = mr_xstrdup(mr_probe_defs[i].entry_args), *tok, *save;
	struct mr_buf pr = { 0 }, pa = { 0 };
	int off = 16;

	mr_buf_addf(b, "name: %s\nID: %d\nformat:\n" MR_FORMAT_COMMON_FIELDS, mr_probe_defs[i].name,
		    MR_PL_FIRST_ID + 2 * i);
	format_field(b, "unsigned long", "__probe_ip", 8);
	for (tok = strtok_r(args, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '='), *colon = strrchr(tok, ':');
		bool hex = colon && colon[1] == 'x';

		if (!eq)
			continue;
		*eq = '\0';
		format_field(b, "u64", tok, off);
		off += 8;
		mr_buf_addf(&pr, " %s=%s", tok, hex ? "0x%Lx" : "%Lu");
		mr_buf_addf(&pa, ", REC->%s", tok);
	}
	/* the process: the uprobe path's entries take it from an (empty) memrec/ustack after them */
	format_field(b, "u64", "tgid", off);
	mr_buf_addf(b, "\nprint fmt: \"(%%lx)%s\", REC->__probe_ip%s\n", pr.data ? pr.data : "",
		    pa.data ? pa.data : "");
	mr_buf_release(&pr);
	mr_buf_release(&pa);
	free(args);
}

static void return_format(struct mr_buf *b, int i)
{
	mr_buf_addf(b, "name: %s_ret\nID: %d\nformat:\n" MR_FORMAT_COMMON_FIELDS, mr_probe_defs[i].name,
		    MR_PL_FIRST_ID + 2 * i + 1);
	format_field(b, "unsigned long", "__probe_func", 8);
	format_field(b, "unsigned long", "__probe_ret_ip", 16);
	format_field(b, "u64", "ret", 24);
	/* the call chain: a memrec/ustack_def before it names it; 0: none */
	format_field(b, "u64", "stack", 32);
	format_field(b, "u64", "tgid", 40);
	mr_buf_addf(b, "\nprint fmt: \"(%%lx <- %%lx) ret=0x%%Lx stack=%%Lu\", REC->__probe_func, "
		    "REC->__probe_ret_ip, REC->ret, REC->stack\n");
}

void mr_preload_add_formats(struct mr_tracedat_hdr *h)
{
	for (int i = 0; i < MR_PL_NR && i < mr_nr_probe_defs; i++) {
		struct mr_buf b = { 0 };
		char *name;

		entry_format(&b, i);
		mr_tracedat_add_format(h, MR_PL_SYSTEM, mr_probe_defs[i].name, b.data);
		mr_buf_release(&b);
		if (!mr_probe_defs[i].ret_args)
			continue;
		return_format(&b, i);
		name = mr_xasprintf("%s_ret", mr_probe_defs[i].name);
		mr_tracedat_add_format(h, MR_PL_SYSTEM, name, b.data);
		free(name);
		mr_buf_release(&b);
	}
}

/* ---- draining ---- */

static void put_u64(unsigned char *b, size_t off, uint64_t v)
{
	memcpy(b + off, &v, 8);
}

/* The common header of a record of event id for tid. */
static void put_head(unsigned char *b, int id, int tid)
{
	uint16_t type = id;

	memset(b, 0, 8);
	memcpy(b, &type, 2);
	memcpy(b + 4, &tid, 4);
}

static void put_enter(struct mr_preload *p, const struct mr_pl_rec *rec, int fn, int tgid)
{
	unsigned char b[64];
	int n = p->nr_args[fn];

	put_head(b, MR_PL_FIRST_ID + 2 * fn, rec->tid);
	put_u64(b, 8, rec->func);
	for (int i = 0; i < n; i++)
		put_u64(b, 16 + 8 * i, rec->v[i]);
	put_u64(b, 16 + 8 * n, rec->caller);
	/* the process in the record, not an empty memrec/ustack after it (20 bytes less) */
	put_u64(b, 24 + 8 * n, (uint64_t)(uint32_t)tgid);
	mr_samples_put(p->sm, rec->tid, rec->ts, b, 32 + 8 * n);
}

static uint64_t stack_hash(int writer, int tgid, const uint64_t *ips, uint32_t nr)
{
	uint64_t h = ((uint64_t)(uint32_t)writer << 32 | (uint32_t)tgid) ^ nr;

	for (uint32_t i = 0; i < nr; i++)
		h = (h ^ ips[i]) * 0x9e3779b97f4a7c15ull;
	return h ^ h >> 29;
}

/*
 * The id of the chain ips on the pages of tid's records (1, 2, ...; 0 for
 * none); a chain not written there yet is written first. Two chains with
 * one hash: the second is written each time, under a new id.
 */
static uint32_t stack_id(struct mr_preload *p, const struct mr_pl_rec *rec, int tgid,
			 const uint64_t *ips, uint32_t nr)
{
	struct stacks *st = &p->stacks;
	int w = mr_samples_writer(p->sm, rec->tid);
	uint64_t h;
	uint32_t *i, id;
	struct stack_def *d;

	if (!nr)
		return 0;
	h = stack_hash(w, tgid, ips, nr);
	i = mr_u64map_get(&st->by_hash, h);
	if (i) {
		d = &st->defs[*i];
		if (d->nr == nr && d->tgid == tgid && d->writer == w &&
		    !memcmp(st->frames + d->at, ips, 8 * (size_t)nr))
			return *i + 1;
	}
	MR_ALLOC_GROW(st->defs, st->nr, st->cap);
	id = st->nr++;
	d = &st->defs[id];
	d->nr = nr;
	d->tgid = tgid;
	d->writer = w;
	d->at = st->nr_frames;
	if (!i) {
		while (st->nr_frames + nr > st->frames_cap) {
			st->frames_cap = st->frames_cap ? 2 * st->frames_cap : 4096;
			st->frames = mr_xrealloc(st->frames, st->frames_cap * 8);
		}
		memcpy(st->frames + st->nr_frames, ips, 8 * (size_t)nr);
		st->nr_frames += nr;
		mr_u64map_put(&st->by_hash, h, id);
	} else {
		d->nr = 0;	/* a collision: never matched again */
	}
	mr_samples_put_stack(p->sm, rec->tid, rec->ts, rec->tid, tgid, id + 1, ips, nr);
	return id + 1;
}

/*
 * A return: its process and the id of its call chain (memrec/ustack_def),
 * not the chain itself after it as the uprobe path writes it.
 */
static void put_return(struct mr_preload *p, const struct mr_pl_rec *rec, int fn, int tgid,
		       const uint64_t *ips, uint32_t nr)
{
	unsigned char b[48];

	put_head(b, MR_PL_FIRST_ID + 2 * fn + 1, rec->tid);
	put_u64(b, 8, rec->func);
	put_u64(b, 16, rec->caller);
	put_u64(b, 24, rec->v[0]);
	put_u64(b, 32, stack_id(p, rec, tgid, ips, nr));
	put_u64(b, 40, (uint64_t)(uint32_t)tgid);
	mr_samples_put(p->sm, rec->tid, rec->ts, b, 48);
}

/*
 * One ring record as the uprobes would have seen the call. glibc's
 * posix_memalign gets its pointer from the internal _mid_memalign, whose
 * return the uprobe path records nested in it: the same is written here.
 */
static void convert(struct mr_preload *p, const struct mr_pl_rec *rec, int tgid)
{
	uint32_t nr = rec->nr < MR_PL_FRAMES ? rec->nr : MR_PL_FRAMES;
	int fn = rec->fn;

	if (fn >= MR_PL_NR || fn == MR_PL_MEMALIGN_INT)
		return;
	if (rec->kind == MR_PL_ENTER) {
		put_enter(p, rec, fn, tgid);
		return;
	}
	if (rec->kind != MR_PL_RETURN || !mr_probe_defs[fn].ret_args)
		return;
	if (fn == MR_PL_POSIX_MEMALIGN && !rec->v[0]) {
		struct mr_pl_rec in = *rec;

		in.kind = MR_PL_ENTER;
		in.v[0] = in.v[1] = 0;
		put_enter(p, &in, MR_PL_MEMALIGN_INT, tgid);
		in.v[0] = rec->v[1];
		put_return(p, &in, MR_PL_MEMALIGN_INT, tgid, rec->ips, nr);
	}
	put_return(p, rec, fn, tgid, rec->ips, nr);
}

static bool process_gone(pid_t pid)
{
	char path[64], buf[256], *s;
	int fd;
	ssize_t n;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	s = strrchr(buf, ')');
	return s && s[1] == ' ' && (s[2] == 'Z' || s[2] == 'X');
}

/*
 * The ring's next complete record, or NULL. A slot taken and never
 * completed (its writer died mid-call, or is stopped) is skipped after
 * STUCK_NS, or at once at the end of a recording whose owner is gone.
 */
static const struct mr_pl_rec *next_rec(struct mr_preload *p, int i, uint64_t now, bool final)
{
	struct mr_pl_ring *r = &p->shm->rings[i];
	struct ring_state *rs = &p->rs[i];

	for (;;) {
		const struct mr_pl_rec *rec = &r->slots[rs->tail & (MR_PL_SLOTS - 1)];

		/* the commit alone says a slot is ready: head is read only when it is not */
		if (__atomic_load_n(&rec->commit, __ATOMIC_ACQUIRE) == rs->tail + 1) {
			rs->stuck_since = 0;
			return rec;
		}
		if (rs->tail >= __atomic_load_n(&r->head, __ATOMIC_ACQUIRE))
			return NULL;
		if (!rs->stuck_since)
			rs->stuck_since = now;
		if (now - rs->stuck_since < STUCK_NS && !(final && process_gone(r->owner)))
			return NULL;
		p->skipped++;
		rs->stuck_since = 0;
		rs->tail++;
	}
}

/* A ring read to its end whose process is gone is free for another one. */
static void release_ring(struct mr_preload *p, int i, uint64_t now)
{
	struct mr_pl_ring *r = &p->shm->rings[i];
	int32_t owner = __atomic_load_n(&r->owner, __ATOMIC_ACQUIRE);

	/* the time first: head is the writers' line */
	if (!owner || now - p->rs[i].checked < 100000000ull ||
	    r->tail != __atomic_load_n(&r->head, __ATOMIC_ACQUIRE))
		return;
	p->rs[i].checked = now;
	if (process_gone(owner))
		__atomic_compare_exchange_n(&r->owner, &owner, 0, false, __ATOMIC_ACQ_REL,
					    __ATOMIC_RELAXED);
}

/* A record taken out of its ring, waiting for older records of other threads. */
struct held {
	uint64_t	ts, order;	/* order: the order taken, for equal times */
	uint64_t	at;		/* offset of its record in recs */
	int32_t		tgid;
};

static int held_cmp(const void *a, const void *b)
{
	const struct held *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The end of the run of records in order that starts at i. */
static uint32_t run_end(const struct held *h, uint32_t i, uint32_t n)
{
	while (++i < n && held_cmp(&h[i - 1], &h[i]) <= 0)
		;
	return i;
}

/*
 * Puts the held records in time order. They come as runs already in order
 * (what waited from the last pass; each ring's, out of order only where a
 * thread was stamped a moment after another took its slot): merging the
 * runs is linear when there are few, where qsort paid n log n every pass.
 */
static void sort_held(struct mr_preload *p)
{
	uint32_t n = p->nr_held;

	if (p->tmp_cap < p->held_cap) {
		p->tmp_cap = p->held_cap;
		p->tmp = mr_xrealloc(p->tmp, p->tmp_cap * sizeof(*p->tmp));
	}
	while (run_end(p->held, 0, n) < n) {
		struct held *t;
		uint32_t c;

		for (uint32_t i = 0, j, k; i < n; i = k) {
			uint32_t a, b, o = i;

			j = run_end(p->held, i, n);
			k = j < n ? run_end(p->held, j, n) : n;
			for (a = i, b = j; a < j || b < k;)
				p->tmp[o++] = b >= k || (a < j && held_cmp(&p->held[a], &p->held[b]) <= 0) ?
					      p->held[a++] : p->held[b++];
		}
		t = p->held;
		p->held = p->tmp;
		p->tmp = t;
		c = p->held_cap;
		p->held_cap = p->tmp_cap;
		p->tmp_cap = c;
	}
}

/* Copies the complete records of every ring out (so writers never wait on the sorting). */
static uint32_t take(struct mr_preload *p, uint64_t now, bool final)
{
	uint32_t taken = p->nr_held;

	for (int i = 0; i < MR_PL_RINGS; i++) {
		struct mr_pl_ring *r = &p->shm->rings[i];
		const struct mr_pl_rec *rec;

		if (!__atomic_load_n(&r->owner, __ATOMIC_ACQUIRE) && r->tail == r->head)
			continue;
		/* a ring in use: one more ready for the next process */
		populate(p, i + 2);
		/*
		 * At most a ring's worth a pass: a writer as fast as this loop
		 * kept it going, and what came during it waited in held for
		 * the next pass, which took longer still (2.8 million records
		 * held of 3 million for churn 1000000, against 0.2 million).
		 */
		for (uint32_t k = 0; k < MR_PL_SLOTS && (rec = next_rec(p, i, now, final)); k++) {
			uint32_t nr = rec->nr < MR_PL_FRAMES ? rec->nr : MR_PL_FRAMES;
			size_t len = offsetof(struct mr_pl_rec, ips) + 8 * nr;
			struct held *h;

			MR_ALLOC_GROW(p->held, p->nr_held, p->held_cap);
			h = &p->held[p->nr_held++];
			h->ts = rec->ts;
			h->order = p->order++;
			h->tgid = r->owner;
			h->at = p->recs.len;
			mr_buf_add(&p->recs, rec, len);
			/* the writer's memory: trust nothing */
			((struct mr_pl_rec *)(p->recs.data + h->at))->nr = nr;
			/* a long run gives the slots back as it goes, for a writer that waits */
			if (!(++p->rs[i].tail % 512))
				__atomic_store_n(&r->tail, p->rs[i].tail, __ATOMIC_RELEASE);
		}
		/* once per ring and pass: each store pulls the line from the writers */
		if (r->tail != p->rs[i].tail)
			__atomic_store_n(&r->tail, p->rs[i].tail, __ATOMIC_RELEASE);
	}
	return p->nr_held - taken;
}

/*
 * The records after the first n wait: they move to the front of the spare
 * buffer, which becomes recs. Moving them each pass keeps both buffers
 * small and in the cache; letting recs grow and compacting it now and
 * then was measured slower (0.5 s against 1.2-1.4 s for churn 1000000).
 */
static void keep_waiting(struct mr_preload *p, uint32_t n)
{
	uint32_t k = 0;
	struct mr_buf t;

	p->spare.len = 0;
	for (uint32_t i = n; i < p->nr_held; i++, k++) {
		const struct mr_pl_rec *rec = (const void *)(p->recs.data + p->held[i].at);

		p->held[k] = p->held[i];
		p->held[k].at = p->spare.len;
		mr_buf_add(&p->spare, rec, offsetof(struct mr_pl_rec, ips) + 8 * rec->nr);
	}
	t = p->recs;
	p->recs = p->spare;
	p->spare = t;
	p->nr_held = k;
}

/*
 * Writes the records older than until in time order: a ring's slots are
 * taken in one order and stamped a moment later, so threads (and
 * processes) interleave; each CPU's pages of the file must go forward in
 * time. Returns how many records it took out of the rings.
 */
static uint32_t drain(struct mr_preload *p, uint64_t until, bool final)
{
	uint64_t now = mr_now_ns();
	uint32_t n = 0, taken = take(p, now, final);

	sort_held(p);
	while (n < p->nr_held && p->held[n].ts <= until) {
		convert(p, (const struct mr_pl_rec *)(p->recs.data + p->held[n].at),
			p->held[n].tgid);
		n++;
	}
	keep_waiting(p, n);
	for (int i = 0; i < MR_PL_RINGS; i++)
		release_ring(p, i, now);
	return taken;
}

/*
 * Drains while records come; sleeps only when the rings were empty, from
 * 20 us up to 1 ms the longer they stay so: sleeping whenever nothing was
 * old enough to write (SETTLE_NS) slept while the rings filled, and a
 * writer whose ring is full waits.
 */
static void *preload_main(void *arg)
{
	struct mr_preload *p = arg;
	unsigned int idle = 0;

	while (!p->stop) {
		struct timespec tick = { 0, idle < 6 ? 20000l << idle : 1000000l };

		if (drain(p, mr_now_ns() - SETTLE_NS, false)) {
			idle = 0;
			continue;
		}
		idle++;
		nanosleep(&tick, NULL);
	}
	return NULL;
}

int mr_preload_start(struct mr_preload *p)
{
	if (pthread_create(&p->thread, NULL, preload_main, p))
		return mr_error("cannot start the preload reader thread");
	p->started = true;
	return 0;
}

void mr_preload_stop(struct mr_preload *p)
{
	struct timespec tick = { 0, 1000000 };

	if (!p || !p->shm || p->stopped)
		return;
	p->stopped = true;
	p->stop = 1;
	if (p->started)
		pthread_join(p->thread, NULL);
	p->started = false;
	/* writers still in a call finish it; what they start after this is not recorded */
	__atomic_store_n(&p->shm->stopped, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 20; i++) {
		drain(p, UINT64_MAX, true);
		nanosleep(&tick, NULL);
	}
	drain(p, UINT64_MAX, true);
	mr_samples_add_lost(p->sm, p->skipped + __atomic_exchange_n(&p->shm->dropped, 0,
								    __ATOMIC_ACQ_REL));
	p->skipped = 0;
	if (p->shm->no_ring)
		mr_warning("%llu processes of the command found no free preload ring and were "
			   "not recorded", (unsigned long long)p->shm->no_ring);
}

void mr_preload_close(struct mr_preload *p)
{
	if (!p)
		return;
	mr_preload_stop(p);
	if (p->shm)
		munmap(p->shm, sizeof(*p->shm));
	if (p->fd >= 0)
		close(p->fd);
	free(p->env_shm);
	free(p->held);
	free(p->tmp);
	mr_buf_release(&p->recs);
	mr_buf_release(&p->spare);
	mr_u64map_release(&p->stacks.by_hash);
	free(p->stacks.defs);
	free(p->stacks.frames);
	if (p->envp) {
		for (int i = 0; p->envp[i]; i++)
			if (!strncmp(p->envp[i], "LD_PRELOAD=", 11))
				free(p->envp[i]);
		free(p->envp);
	}
	free(p);
}
