// SPDX-License-Identifier: GPL-2.0
/*
 * reader.c - reads a memrec trace file through libtracecmd's public API
 * and decodes each record once into a struct mr_event. Field handles are
 * looked up once per event type, not per record. The user stack the kernel
 * writes right after an event (same CPU, same task) is attached to it.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <trace-cmd/trace-cmd.h>
#include <unistd.h>
#include "memrec.h"
#include "mr_u64map.h"
#include "input/input.h"

struct decoder {
	enum mr_ev_kind			kind;
	enum mr_fn			fn;
	struct tep_format_field		*args[3];
	struct tep_format_field		*caller, *func, *ret;
	struct tep_format_field		*tgid;	/* the preload path's: no stack record follows */
	struct tep_format_field		*stack;	/* its returns': a memrec/ustack_def id */
	/* task events */
	struct tep_format_field		*pid, *old_pid, *clone_flags, *group_dead, *comm,
					*filename;
	/* memory pressure and kernel memory events: mr_event.raw[] in order */
	struct tep_format_field		*k[6];
	const char			*name;
	int				k_const[6];	/* used where a field is absent */
	struct tep_format_field		*cache, *flags, *gfp;
	bool				cache_by_size;	/* the kernel gives no name */
	int				end;	/* where its last number field ends */
};

/* How each of these events maps onto struct mr_event's raw[] (the union's named fields). */
static const struct kernel_def {
	const char	*sys, *name;
	enum mr_ev_kind	kind;
	const char	*k[6];		/* field names; "=N" is the constant N */
	const char	*comm;
	const char	*cache;		/* the slab cache's name */
	enum mr_fn	fn;		/* the mapping syscalls' */
} kernel_defs[] = {
	{ "kmem", "kmalloc", MR_EV_SLAB_ALLOC,
	  { "ptr", "bytes_req", "bytes_alloc", "gfp_flags", "call_site", "node" } },
	{ "kmem", "kmem_cache_alloc", MR_EV_SLAB_ALLOC,
	  { "ptr", "bytes_req", "bytes_alloc", "gfp_flags", "call_site", "node" }, NULL, "name" },
	{ "kmem", "kfree", MR_EV_SLAB_FREE, { "ptr", "call_site" } },
	{ "kmem", "kmem_cache_free", MR_EV_SLAB_FREE, { "ptr", "call_site" }, NULL, "name" },
	{ "kmem", "mm_page_alloc", MR_EV_PAGE_ALLOC, { "pfn", "order", "gfp_flags", "migratetype" } },
	{ "kmem", "mm_page_free", MR_EV_PAGE_FREE, { "pfn", "order" } },
	{ "kmem", "mm_page_free_batched", MR_EV_PAGE_FREE, { "pfn", "=0" } },
	{ "kmem", "mm_page_alloc_extfrag", MR_EV_EXTFRAG,
	  { "pfn", "alloc_order", "fallback_order", "alloc_migratetype", "fallback_migratetype",
	    "change_ownership" } },
	{ "vmalloc", "alloc_vmap_area", MR_EV_VMAP_ALLOC,
	  { "addr", "size", "failed", "align" } },
	{ "vmalloc", "free_vmap_area_noflush", MR_EV_VMAP_FREE,
	  { "va_start", "nr_lazy", "nr_lazy_max" } },
	{ "vmalloc", "purge_vmap_area_lazy", MR_EV_VMAP_PURGE, { "start", "end", "npurged" } },
	{ "percpu", "percpu_alloc_percpu", MR_EV_PCPU_ALLOC,
	  { "ptr", "size", "bytes_alloc", "gfp_flags", "call_site" } },
	{ "percpu", "percpu_free_percpu", MR_EV_PCPU_FREE, { "ptr" } },
	{ "kmem", "rss_stat", MR_EV_RSS, { "member", "size", "mm_id", "curr" } },
	{ "oom", "mark_victim", MR_EV_OOM_VICTIM,
	  { "pid", "total_vm", "anon_rss", "file_rss", "shmem_rss", "oom_score_adj" }, "comm" },
	{ "oom", "wake_reaper", MR_EV_OOM_OTHER, { "pid" } },
	{ "oom", "start_task_reaping", MR_EV_OOM_OTHER, { "pid" } },
	{ "oom", "finish_task_reaping", MR_EV_OOM_OTHER, { "pid" } },
	{ "oom", "skip_task_reaping", MR_EV_OOM_OTHER, { "pid" } },
	{ "oom", "reclaim_retry_zone", MR_EV_OOM_OTHER, { "=0", "order" } },
	{ "oom", "compact_retry", MR_EV_OOM_OTHER, { "=0", "order" } },
	{ "vmscan", "mm_vmscan_direct_reclaim_begin", MR_EV_RECLAIM_BEGIN, { "=0", "order" } },
	{ "vmscan", "mm_vmscan_direct_reclaim_end", MR_EV_RECLAIM_END, { "=0", "nr_reclaimed" } },
	{ "vmscan", "mm_vmscan_memcg_reclaim_begin", MR_EV_RECLAIM_BEGIN, { "=1", "order" } },
	{ "vmscan", "mm_vmscan_memcg_reclaim_end", MR_EV_RECLAIM_END, { "=1", "nr_reclaimed" } },
	{ "vmscan", "mm_vmscan_kswapd_wake", MR_EV_KSWAPD, { "=1", "nid" } },
	{ "vmscan", "mm_vmscan_kswapd_sleep", MR_EV_KSWAPD, { "=0", "nid" } },
	{ "compaction", "mm_compaction_try_to_compact_pages", MR_EV_COMPACT_BEGIN,
	  { "order", "prio" } },
	{ "compaction", "mm_compaction_begin", MR_EV_COMPACT_BEGIN, { "=-1", "=0" } },
	{ "compaction", "mm_compaction_end", MR_EV_COMPACT_END, { "status" } },
	{ "signal", "signal_generate", MR_EV_SIGNAL, { "sig", "pid", "result" }, "comm" },
	{ "syscalls", "sys_enter_mmap", MR_EV_MAP_ENTER,
	  { "addr", "len", "prot", "flags", "fd", "off" }, NULL, NULL, MR_FN_MMAP },
	{ "syscalls", "sys_exit_mmap", MR_EV_MAP_EXIT, { "ret" }, NULL, NULL, MR_FN_MMAP },
	{ "syscalls", "sys_enter_munmap", MR_EV_MAP_ENTER, { "addr", "len" }, NULL, NULL,
	  MR_FN_MUNMAP },
	{ "syscalls", "sys_exit_munmap", MR_EV_MAP_EXIT, { "ret" }, NULL, NULL, MR_FN_MUNMAP },
	{ "syscalls", "sys_enter_mremap", MR_EV_MAP_ENTER,
	  { "addr", "old_len", "new_len", "flags", "new_addr" }, NULL, NULL, MR_FN_MREMAP },
	{ "syscalls", "sys_exit_mremap", MR_EV_MAP_EXIT, { "ret" }, NULL, NULL, MR_FN_MREMAP },
	{ "syscalls", "sys_enter_brk", MR_EV_MAP_ENTER, { "brk" }, NULL, NULL, MR_FN_BRK },
	{ "syscalls", "sys_exit_brk", MR_EV_MAP_EXIT, { "ret" }, NULL, NULL, MR_FN_BRK },
};

/* How long an event waits for its stack (flush_stale). */
#define STACK_WAIT_NS	100000

struct pending {
	struct mr_event		ev;
	bool			valid;
	int			expect;		/* memrec records still to come for ev */
	char			cache[64];
	uint64_t		kstack[MR_MAX_STACK];
	char			comm[17];
	char			path[4096];
	uint64_t		stack[MR_MAX_STACK];
	uint64_t		uregs[MR_UREGS_NR];
	unsigned char		ustack[MR_UREGS_MAX_STACK];	/* --call-graph dwarf */
};

struct mr_reader {
	struct tracecmd_input	*handle;
	struct tep_handle	*tep;
	struct decoder		**by_id;
	int			nr_ids;
	int			user_stack_id;	/* ftrace/user_stack: 8 frames */
	struct tep_format_field	*us_tgid, *us_caller;
	int			ustack_id;	/* memrec/ustack: the perf path's */
	struct tep_format_field	*ms_tgid, *ms_caller;
	int			uregs_id;	/* memrec/uregs: --call-graph dwarf */
	struct tep_format_field	*mu_tgid, *mu_regs, *mu_stack;
	int			kstack_id;	/* memrec/kstack: perf's kernel chain */
	struct tep_format_field	*mk_tgid, *mk_more, *mk_caller;
	int			kernel_stack_id; /* ftrace/kernel_stack (-a) */
	int			stack_def_id;	/* memrec/ustack_def: the preload path's chains */
	struct tep_format_field	*sd_id, *sd_caller;
	/* those chains: id -> index in def_spans, the frames end to end */
	struct mr_u64map	defs;
	struct def_span {
		uint64_t	at;
		uint32_t	nr;
	}			*def_spans;
	uint32_t		nr_defs, defs_cap;
	uint64_t		*def_frames;
	size_t			nr_def_frames, def_frames_cap;
	struct tep_format_field	*common_type, *common_pid;
	int			common_end;	/* a record this long holds both */
	bool			local_order;	/* the file is of this host's byte order */
	struct tep_format_field	*ks_size, *ks_caller;
	/* gfp_flags as the kernel prints them, per value seen (value + 1 -> index) */
	struct mr_u64map	gfp_map;
	char			**gfp;
	int			nr_gfp;
	struct pending		*pending;	/* per CPU */
	/* per CPU: its pending event's time + 1, 0 when none (dense: scanned per record) */
	uint64_t		*pending_ts;
	uint64_t		stale_at;	/* no pending event is stale up to this time */
	size_t			ev_size;	/* sizeof(struct mr_event), see decode() */
	int			nr_cpus;
	struct mr_reader_stats	stats;
	dev_t			dev;		/* the file, to know its mappings */
	ino_t			ino;
	unsigned long long	*release_at;	/* per CPU: the file offset of the next release */
	void			(*fn)(const struct mr_event *ev, void *ctx);
	void			*ctx;
	const char		*path;
	struct mr_ksyms		*ksyms;		/* NULL: the library parsed them */
	/* the pages read by memrec itself (layout.own), one stream per CPU */
	struct mr_cpu_layout	layout;
	struct cpu_stream	*streams;
	int			fd;
};

static struct tep_format_field *field(struct tep_event *e, const char *name)
{
	return tep_find_field(e, name);
}

/* Field names of a probe's arguments, in order, from the probe table. */
static void probe_arg_fields(struct decoder *d, struct tep_event *e)
{
	const struct mr_probe_def *def = NULL;
	char *args, *tok, *save;
	int n = 0;

	for (int i = 0; i < mr_nr_probe_defs && !def; i++)
		if (mr_probe_defs[i].fn == d->fn && mr_probe_defs[i].entry_args)
			def = &mr_probe_defs[i];
	if (!def)
		return;
	args = mr_xstrdup(def->entry_args);
	for (tok = strtok_r(args, " ", &save); tok && n < 3; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq)
			continue;
		*eq = '\0';
		if (strcmp(tok, "caller"))
			d->args[n++] = field(e, tok);
	}
	free(args);
}

static struct decoder *probe_decoder(struct tep_event *e)
{
	struct decoder *d;
	int is_ret, fn;

	if (strncmp(e->system, "memrec_", 7))
		return NULL;
	fn = mr_fn_by_event(e->name, &is_ret);
	if (fn < 0)
		return NULL;
	d = mr_xcalloc(1, sizeof(*d));
	d->fn = fn;
	if (is_ret) {
		d->kind = MR_EV_RETURN;
		d->ret = field(e, "ret");
		d->caller = field(e, "__probe_ret_ip");
		d->func = field(e, "__probe_func");
		d->stack = field(e, "stack");
		d->tgid = field(e, "tgid");
	} else {
		d->kind = MR_EV_ENTER;
		d->caller = field(e, "caller");
		d->func = field(e, "__probe_ip");
		d->tgid = field(e, "tgid");
		probe_arg_fields(d, e);
	}
	return d;
}

static struct decoder *kernel_decoder(struct tep_event *e)
{
	const struct kernel_def *def = NULL;
	struct decoder *d;

	for (size_t i = 0; i < ARRAY_SIZE(kernel_defs) && !def; i++)
		if (!strcmp(e->system, kernel_defs[i].sys) && !strcmp(e->name, kernel_defs[i].name))
			def = &kernel_defs[i];
	if (!def)
		return NULL;
	d = mr_xcalloc(1, sizeof(*d));
	d->kind = def->kind;
	d->name = def->name;
	d->fn = def->fn;
	for (int i = 0; i < 6 && def->k[i]; i++) {
		if (def->k[i][0] == '=')
			d->k_const[i] = atoi(def->k[i] + 1);
		else
			d->k[i] = field(e, def->k[i]);
	}
	if (def->comm)
		d->comm = field(e, def->comm);
	if (def->cache)
		d->cache = field(e, def->cache);
	/* older kernels (6.1) name the cache in kmem_cache_free only */
	d->cache_by_size = def->cache && !d->cache && def->kind == MR_EV_SLAB_ALLOC;
	if (def->kind >= MR_EV_SLAB_ALLOC) {
		d->flags = tep_find_common_field(e, "common_flags");
		d->gfp = field(e, "gfp_flags");
	}
	return d;
}

static struct decoder *task_decoder(struct tep_event *e)
{
	struct decoder *d;

	if (!strcmp(e->system, "task") && !strcmp(e->name, "task_newtask")) {
		d = mr_xcalloc(1, sizeof(*d));
		d->kind = MR_EV_TASK_NEW;
		d->pid = field(e, "pid");
		d->clone_flags = field(e, "clone_flags");
		d->comm = field(e, "comm");
	} else if (!strcmp(e->system, "sched") && !strcmp(e->name, "sched_process_exec")) {
		d = mr_xcalloc(1, sizeof(*d));
		d->kind = MR_EV_EXEC;
		d->pid = field(e, "pid");
		d->old_pid = field(e, "old_pid");
		d->filename = field(e, "filename");
	} else if (!strcmp(e->system, "sched") && !strcmp(e->name, "sched_process_exit")) {
		d = mr_xcalloc(1, sizeof(*d));
		d->kind = MR_EV_EXIT;
		d->pid = field(e, "pid");
		d->group_dead = field(e, "group_dead");
		d->comm = field(e, "comm");
	} else {
		return NULL;
	}
	return d;
}

/* The end of the decoder's number fields: a record this long holds them all. */
static int numbers_end(const struct decoder *d)
{
	struct tep_format_field *const f[] = {
		d->args[0], d->args[1], d->args[2], d->caller, d->func, d->ret, d->tgid, d->stack,
		d->pid, d->old_pid, d->clone_flags, d->group_dead, d->k[0], d->k[1], d->k[2],
		d->k[3], d->k[4], d->k[5], d->flags, d->gfp,
	};
	int end = 0;

	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		if (!f[i])
			continue;
		if (f[i]->offset < 0 || f[i]->size < 0 || f[i]->offset > INT_MAX - f[i]->size)
			return INT_MAX;		/* never: each is checked then */
		if (f[i]->offset + f[i]->size > end)
			end = f[i]->offset + f[i]->size;
	}
	return end;
}

static void setup_decoders(struct mr_reader *r)
{
	struct tep_event **events = tep_list_events(r->tep, TEP_EVENT_SORT_ID);
	struct tep_event *us;

	/* common_type is 16 bits: a larger id in a file is corruption */
	for (int i = 0; events && events[i]; i++)
		if (events[i]->id >= r->nr_ids && events[i]->id <= 0xffff)
			r->nr_ids = events[i]->id + 1;
	r->by_id = mr_xcalloc(r->nr_ids, sizeof(*r->by_id));
	for (int i = 0; events && events[i]; i++) {
		struct decoder *d;

		if (events[i]->id < 0 || events[i]->id >= r->nr_ids)
			continue;
		d = probe_decoder(events[i]);

		if (!d)
			d = task_decoder(events[i]);
		if (!d)
			d = kernel_decoder(events[i]);
		if (d)
			d->end = numbers_end(d);
		r->by_id[events[i]->id] = d;
		if (d && d->cache_by_size)
			r->stats.limits |= MR_LIMIT_CACHE_NAME;
		if (d && d->kind == MR_EV_EXIT && !d->group_dead)
			r->stats.limits |= MR_LIMIT_GROUP_DEAD;
	}
	/*
	 * -e kernel recorded by a memrec that asks for vmalloc's events (it
	 * records percpu's with them) but none in the file: a kernel without
	 * them (6.1)
	 */
	if (tep_find_event_by_name(r->tep, "percpu", "percpu_alloc_percpu") &&
	    !tep_find_event_by_name(r->tep, "vmalloc", "alloc_vmap_area"))
		r->stats.limits |= MR_LIMIT_VMALLOC;
	/* every event has them at the same place: read directly, as the fields are */
	if (events && events[0]) {
		r->common_type = tep_find_common_field(events[0], "common_type");
		r->common_pid = tep_find_common_field(events[0], "common_pid");
		r->common_end = INT_MAX;
		if (r->common_type && r->common_pid && r->common_type->offset >= 0 &&
		    r->common_type->size >= 0 && r->common_pid->offset >= 0 &&
		    r->common_pid->size >= 0 && r->common_type->offset < 64 &&
		    r->common_type->size <= 8 && r->common_pid->offset < 64 &&
		    r->common_pid->size <= 8) {
			int t = r->common_type->offset + r->common_type->size;
			int p = r->common_pid->offset + r->common_pid->size;

			r->common_end = t > p ? t : p;
		}
	}
	us = tep_find_event_by_name(r->tep, "ftrace", "user_stack");
	r->user_stack_id = us ? us->id : -1;
	if (us) {
		r->us_tgid = field(us, "tgid");
		r->us_caller = field(us, "caller");
	}
	us = tep_find_event_by_name(r->tep, "memrec", "ustack");
	r->ustack_id = us ? us->id : -1;
	if (us) {
		r->ms_tgid = field(us, "tgid");
		r->ms_caller = field(us, "caller");
	}
	us = tep_find_event_by_name(r->tep, "memrec", "kstack");
	r->kstack_id = us ? us->id : -1;
	if (us) {
		r->mk_tgid = field(us, "tgid");
		r->mk_more = field(us, "more");
		r->mk_caller = field(us, "caller");
	}
	us = tep_find_event_by_name(r->tep, "memrec", "ustack_def");
	r->stack_def_id = us ? us->id : -1;
	if (us) {
		r->sd_id = field(us, "id");
		r->sd_caller = field(us, "caller");
	}
	us = tep_find_event_by_name(r->tep, "ftrace", "kernel_stack");
	r->kernel_stack_id = us ? us->id : -1;
	if (us) {
		r->ks_size = field(us, "size");
		r->ks_caller = field(us, "caller");
	}
	us = tep_find_event_by_name(r->tep, "memrec", "uregs");
	r->uregs_id = us ? us->id : -1;
	if (us) {
		r->mu_tgid = field(us, "tgid");
		r->mu_regs = field(us, "regs");
		r->mu_stack = field(us, "stack");
	}
}

/*
 * A crash inside libtraceevent or libtracecmd on a damaged file is reported
 * as a corrupt file; a crash in memrec's own code never is: on_record()
 * (decoding and every analyser behind it) runs with the guard off, so such
 * a crash dumps core as it should. File-scope because only a signal handler
 * can use them; set before any library call. The file is checked before
 * (input/header.c), but event formats and records can be damaged in ways
 * only those libraries see.
 */
static char crash_msg[512];
static volatile sig_atomic_t in_library;

static void on_crash(int sig)
{
	if (!in_library) {
		signal(sig, SIG_DFL);	/* memrec's own bug: crash for real on return */
		return;
	}
	mr_unpack_remove_now();		/* _exit runs no atexit handler */
	if (write(STDERR_FILENO, crash_msg, strlen(crash_msg)) < 0)
		_exit(MR_EXIT_FAIL);
	_exit(MR_EXIT_FAIL);
}

static void guard_crashes(const char *path)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL };

	snprintf(crash_msg, sizeof(crash_msg), "memrec: error: '%s' is corrupt: the trace "
		 "library crashed reading it\n", path);
	in_library = 1;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		signal(sigs[i], on_crash);
}

static void unguard_crashes(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL };

	in_library = 0;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		signal(sigs[i], SIG_DFL);
}

/*
 * libtracecmd parses the file's kallsyms as it opens the file, and has no
 * flag to skip that, a fixed cost of every report. This definition of the
 * library's function in memrec itself is the one its call binds to (the
 * program comes first in the dynamic linker's lookup): while a reader
 * opens its file, the text is kept for ksyms.c to parse if a kernel frame
 * is named; otherwise, or where the program's definition is not the one
 * used (the reader falls back on the library's own table then), the
 * library's is called. File-scope: the library gives the call no context.
 */
static struct ksyms_capture {
	struct mr_ksyms			**out;
	const char			*path;
	const struct mr_cpu_layout	*layout;	/* the text in the file; or NULL */
} *ksyms_capture;

int tep_parse_kallsyms(struct tep_handle *tep, const char *kallsyms)
{
	static int (*real)(struct tep_handle *tep, const char *kallsyms);
	struct ksyms_capture *c = ksyms_capture;

	if (c) {
		mr_ksyms_free(*c->out);
		/* the text the header walk found is read again only if a frame is named */
		if (c->layout && c->layout->kallsyms_size)
			*c->out = mr_ksyms_new_file(c->path, c->layout->kallsyms_offset,
						    c->layout->kallsyms_size);
		else
			*c->out = mr_ksyms_new(kallsyms);
		return 0;
	}
	if (!real)
		real = (int (*)(struct tep_handle *, const char *))dlsym(RTLD_NEXT,
									 "tep_parse_kallsyms");
	return real ? real(tep, kallsyms) : -1;
}

static void setup_streams(struct mr_reader *r, const struct mr_cpu_layout *l);
static int check_all_pages(const struct mr_reader *r, const struct mr_cpu_layout *l);

struct mr_reader *mr_reader_open(const char *path, const struct mr_cpu_layout *layout)
{
	struct mr_reader *r = mr_xcalloc(1, sizeof(*r));
	struct stat st;

	r->fd = -1;
	r->stale_at = UINT64_MAX;
	r->ev_size = sizeof(struct mr_event);
	tracecmd_set_loglevel(mr_verbosity() > 1 ? TEP_LOG_INFO : TEP_LOG_CRITICAL);
	tep_set_loglevel(mr_verbosity() > 1 ? TEP_LOG_INFO : TEP_LOG_CRITICAL);
	r->path = path;
	guard_crashes(path);
	ksyms_capture = &(struct ksyms_capture){ &r->ksyms, path, layout };
	r->handle = tracecmd_open(path, TRACECMD_FL_LOAD_NO_PLUGINS);
	ksyms_capture = NULL;
	if (!r->handle) {
		unguard_crashes();
		mr_ksyms_free(r->ksyms);
		mr_error("cannot read '%s': not a readable trace file (truncated or corrupt?)",
			 path);
		free(r);
		return NULL;
	}
	in_library = 0;		/* on again only while the events are iterated */
	r->tep = tracecmd_get_tep(r->handle);
	r->local_order = tep_is_file_bigendian(r->tep) == tep_is_local_bigendian(r->tep);
	r->nr_cpus = tep_get_cpus(r->tep);
	if (r->nr_cpus <= 0 || r->nr_cpus > 8192) {
		mr_error("'%s' is corrupt (it claims %d CPUs)", path, r->nr_cpus);
		mr_reader_close(r);
		return NULL;
	}
	r->pending = mr_xcalloc(r->nr_cpus, sizeof(*r->pending));
	r->pending_ts = mr_xcalloc(r->nr_cpus, sizeof(*r->pending_ts));
	r->release_at = mr_xcalloc(r->nr_cpus, sizeof(*r->release_at));
	if (stat(path, &st) == 0) {
		r->dev = st.st_dev;
		r->ino = st.st_ino;
	}
	setup_decoders(r);
	if (layout && layout->own && layout->nr_cpus == r->nr_cpus)
		setup_streams(r, layout);
	/* the walk left these pages to the reader; libtracecmd trusts what it reads */
	if (layout && layout->own && !r->streams && check_all_pages(r, layout) < 0) {
		mr_reader_close(r);
		return NULL;
	}
	mr_info(2, "the pages of '%s' read by %s", path, r->streams ? "memrec" : "libtracecmd");
	return r;
}

/* The file comes from elsewhere: a field must lie inside its record. */
static bool fits(const struct tep_format_field *f, const struct tep_record *rec)
{
	/* a negative offset or size is larger than any record as unsigned */
	return f && rec->size >= 0 &&
	       (uint64_t)(uint32_t)f->offset + (uint32_t)f->size <= (uint64_t)rec->size;
}


/* A field's value, sign-extended from its size when the field is signed. */
static int64_t sext(const struct tep_format_field *f, uint64_t v)
{
	if (f && (f->flags & TEP_FIELD_IS_SIGNED) && f->size > 0 && f->size < 8 &&
	    (v & (1ull << (8 * f->size - 1))))
		v |= ~0ull << (8 * f->size);
	return (int64_t)v;
}

static inline uint64_t num(const struct mr_reader *r, struct tep_format_field *f,
			   struct tep_record *rec)
{
	const unsigned char *p;
	unsigned long long v = 0;
	uint32_t v32;
	uint16_t v16;

	if (!fits(f, rec))
		return 0;
	p = (const unsigned char *)rec->data + f->offset;
	/* the hot path: a file of this host's byte order, read in place */
	if (r->local_order) {
		switch (f->size) {
		case 1: return *p;
		case 2: memcpy(&v16, p, 2); return v16;
		case 4: memcpy(&v32, p, 4); return v32;
		case 8: memcpy(&v, p, 8); return v;
		}
	}
	tep_read_number_field(f, rec->data, &v);
	return v;
}

/*
 * A number field of a record known to hold all its decoder's (fast: its
 * size checked once against the decoder's end): read without num()'s
 * check per field.
 */
static inline uint64_t fnum(const struct mr_reader *r, bool fast, struct tep_format_field *f,
			    struct tep_record *rec)
{
	const unsigned char *p;
	uint32_t v32;
	uint16_t v16;
	uint64_t v;

	if (!f)
		return 0;
	if (!fast)
		return num(r, f, rec);
	p = (const unsigned char *)rec->data + f->offset;
	if (f->size == 8) {
		memcpy(&v, p, 8);
		return v;
	}
	switch (f->size) {
	case 1:
		return *p;
	case 2:
		memcpy(&v16, p, 2);
		return v16;
	case 4:
		memcpy(&v32, p, 4);
		return v32;
	}
	return num(r, f, rec);
}

static int rec_type(const struct mr_reader *r, struct tep_record *rec)
{
	if (!r->common_type)
		return tep_data_type(r->tep, rec);
	return fnum(r, r->local_order && rec->size >= r->common_end, r->common_type, rec);
}

static int rec_pid(const struct mr_reader *r, struct tep_record *rec)
{
	if (!r->common_pid)
		return tep_data_pid(r->tep, rec);
	return fnum(r, r->local_order && rec->size >= r->common_end, r->common_pid, rec);
}

/* A __data_loc string or a fixed char array, copied and NUL-terminated. */
static void str(struct tep_format_field *f, struct tep_record *rec, char *out, size_t max)
{
	unsigned int off, len;

	out[0] = '\0';
	if (!fits(f, rec))
		return;
	if (f->flags & TEP_FIELD_IS_DYNAMIC) {
		uint32_t loc;

		memcpy(&loc, (char *)rec->data + f->offset, 4);
		off = loc & 0xffff;
		len = loc >> 16;
	} else {
		off = f->offset;
		len = f->size;
	}
	if (off + len > (unsigned int)rec->size || !len)
		return;
	if (len >= max)
		len = max - 1;
	memcpy(out, (char *)rec->data + off, len);
	out[len] = '\0';
}

static void emit(struct mr_reader *r, struct pending *p)
{
	if (!p->valid)
		return;
	p->valid = false;
	r->pending_ts[p - r->pending] = 0;
	r->stats.events++;
	r->fn(&p->ev, r->ctx);
}

static int stack_frames(struct tep_format_field *f, struct tep_record *rec,
			const uint64_t **frames);

/* The frames of a user chain up to its end marker (0 or ~0), at most MR_MAX_STACK. */
static uint32_t user_frames(const uint64_t *frames, int n, uint64_t *out)
{
	uint32_t nr = 0;

	for (int i = 0; i < n && nr < MR_MAX_STACK; i++) {
		uint64_t a;

		memcpy(&a, frames + i, 8);	/* frames may be unaligned in the page */
		if (!a || a == ~0ull)
			break;
		out[nr++] = a;
	}
	return nr;
}

/* memrec/ustack_def: a chain the records after it name by its id. */
static void define_stack(struct mr_reader *r, struct tep_record *rec)
{
	const uint64_t *frames;
	uint32_t id, nr;
	int n;

	if (!fits(r->sd_id, rec) || !fits(r->sd_caller, rec))
		return;
	id = num(r, r->sd_id, rec);
	n = stack_frames(r->sd_caller, rec, &frames);
	while (r->nr_def_frames + MR_MAX_STACK > r->def_frames_cap) {
		r->def_frames_cap = r->def_frames_cap ? 2 * r->def_frames_cap : 4096;
		r->def_frames = mr_xrealloc(r->def_frames, r->def_frames_cap * 8);
	}
	nr = user_frames(frames, n, r->def_frames + r->nr_def_frames);
	MR_ALLOC_GROW(r->def_spans, r->nr_defs, r->defs_cap);
	r->def_spans[r->nr_defs] = (struct def_span){ r->nr_def_frames, nr };
	r->nr_def_frames += nr;
	mr_u64map_put(&r->defs, id, r->nr_defs++);
}

/* The chain named id (0, or one never defined: none) as p's stack. */
static void use_stack(struct mr_reader *r, struct pending *p, uint64_t id)
{
	uint32_t *i = id ? mr_u64map_get(&r->defs, id) : NULL;
	const struct def_span *s;

	if (!i)
		return;
	s = &r->def_spans[*i];
	memcpy(p->stack, r->def_frames + s->at, 8 * (size_t)s->nr);
	p->ev.nr_stack = s->nr;
	r->stats.stacks++;
}

/* gfp_flags by name, as the event's print format shows them (perf kmem does the same). */
static const char *gfp_name(struct mr_reader *r, struct tep_record *rec, uint64_t v)
{
	uint32_t *idx = mr_u64map_get(&r->gfp_map, v + 1);
	struct trace_seq seq;
	char *p, *end, *name;

	if (idx)
		return r->gfp[*idx];
	trace_seq_init(&seq);
	tep_print_event(r->tep, &seq, rec, "%s", TEP_PRINT_INFO);
	trace_seq_terminate(&seq);
	p = seq.buffer ? strstr(seq.buffer, "gfp_flags=") : NULL;
	if (p) {
		p += strlen("gfp_flags=");
		end = p + strcspn(p, " \n");
		name = mr_xasprintf("%.*s", (int)(end - p), p);
	} else {
		name = mr_xasprintf("%#llx", (unsigned long long)v);
	}
	trace_seq_destroy(&seq);
	r->gfp = mr_xrealloc(r->gfp, (r->nr_gfp + 1) * sizeof(*r->gfp));
	r->gfp[r->nr_gfp] = name;
	mr_u64map_put(&r->gfp_map, v + 1, r->nr_gfp++);
	return name;
}

static void decode_kmem(struct mr_reader *r, struct decoder *d, struct tep_record *rec,
			struct pending *p, bool fast)
{
	struct mr_event *ev = &p->ev;

	if (d->cache) {
		str(d->cache, rec, p->cache, sizeof(p->cache));
		ev->cache = p->cache;
	} else if (d->cache_by_size) {
		/* not a cache's name: brackets, as "[kernel]" for a module */
		snprintf(p->cache, sizeof(p->cache), "[%" PRId64 "-byte objects]",
			 ev->slab_alloc.bytes_alloc);
		ev->cache = p->cache;
	}
	/* TRACE_FLAG_HARDIRQ 0x08, SOFTIRQ 0x10, NMI 0x40 */
	ev->irq = fnum(r, fast, d->flags, rec) & 0x58;
	if (d->gfp && (ev->kind == MR_EV_SLAB_ALLOC || ev->kind == MR_EV_PAGE_ALLOC ||
		       ev->kind == MR_EV_PCPU_ALLOC))
		ev->gfp = gfp_name(r, rec, fnum(r, fast, d->gfp, rec));
	ev->kstack = p->kstack;
}

static void decode(struct mr_reader *r, struct decoder *d, struct tep_record *rec, int cpu)
{
	bool fast = r->local_order && rec->size >= d->end;
	struct pending *p = &r->pending[cpu];
	struct mr_event *ev = &p->ev;

	/* a size known only at run time: libc's memset, not the slower inline string store */
	memset(ev, 0, r->ev_size);
	ev->ts = rec->ts;
	ev->kind = d->kind;
	ev->fn = d->fn;
	ev->cpu = cpu;
	ev->tid = rec_pid(r, rec);
	for (int i = 0; i < 3; i++)
		ev->args[i] = fnum(r, fast, d->args[i], rec);
	ev->ret = fnum(r, fast, d->ret, rec);
	ev->caller = fnum(r, fast, d->caller, rec);
	ev->func = fnum(r, fast, d->func, rec);
	if (d->tgid)
		ev->tgid = fnum(r, fast, d->tgid, rec);
	if (d->stack)
		use_stack(r, p, fnum(r, fast, d->stack, rec));
	if (d->kind == MR_EV_TASK_NEW) {
		ev->child_tid = fnum(r, fast, d->pid, rec);
		ev->clone_flags = fnum(r, fast, d->clone_flags, rec);
	} else if (d->kind == MR_EV_EXEC) {
		ev->tid = fnum(r, fast, d->pid, rec);
		ev->args[0] = fnum(r, fast, d->old_pid, rec);
		str(d->filename, rec, p->path, sizeof(p->path));
		ev->path = p->path;
	} else if (d->kind == MR_EV_EXIT) {
		/* -1: this kernel does not say (6.1); the model decides */
		ev->group_dead = d->group_dead ? (int)fnum(r, fast, d->group_dead, rec) : -1;
	} else if (d->name) {
		ev->name = d->name;
		for (int i = 0; i < 6; i++)
			ev->raw[i] = d->k[i] ? sext(d->k[i], fnum(r, fast, d->k[i], rec)) :
					       d->k_const[i];
	}
	if (d->comm) {
		str(d->comm, rec, p->comm, sizeof(p->comm));
		ev->comm = p->comm;
	}
	if (d->kind >= MR_EV_SLAB_ALLOC)
		decode_kmem(r, d, rec, p, fast);
	ev->stack = p->stack;
	p->expect = 0;
	p->valid = true;
	r->pending_ts[p - r->pending] = ev->ts + 1;
	if (ev->ts + STACK_WAIT_NS < r->stale_at)
		r->stale_at = ev->ts + STACK_WAIT_NS;
}

/* The frames of a stack record: a fixed array or a __data_loc one. */
static int stack_frames(struct tep_format_field *f, struct tep_record *rec,
			const uint64_t **frames)
{
	unsigned int off = f->offset, len = f->size;

	if (f->flags & TEP_FIELD_IS_DYNAMIC) {
		uint32_t loc;

		memcpy(&loc, (char *)rec->data + f->offset, 4);
		off = loc & 0xffff;
		len = loc >> 16;
		if (off + len > (unsigned int)rec->size)
			return 0;
	}
	*frames = (const uint64_t *)((char *)rec->data + off);
	return len / 8;
}

static void attach_stack(struct mr_reader *r, struct tep_record *rec, int cpu, bool deep)
{
	struct tep_format_field *f = deep ? r->ms_caller : r->us_caller;
	struct pending *p = &r->pending[cpu];
	const uint64_t *frames;
	int n;

	if (!p->valid || rec_pid(r, rec) != p->ev.tid || !fits(f, rec))
		return;
	n = stack_frames(f, rec, &frames);
	p->ev.nr_stack = user_frames(frames, n, p->stack);
	p->ev.tgid = num(r, deep ? r->ms_tgid : r->us_tgid, rec);
	r->stats.stacks++;
	if (!p->expect || !--p->expect)
		emit(r, p);
}

/*
 * A kernel allocation's kernel stack: memrec/kstack (perf samples of
 * targets, 'more' memrec records follow) or ftrace's kernel_stack (-a).
 */
static void attach_kstack(struct mr_reader *r, struct tep_record *rec, int cpu, bool ours)
{
	struct tep_format_field *f = ours ? r->mk_caller : r->ks_caller;
	struct pending *p = &r->pending[cpu];
	const uint64_t *frames;
	int n, max;

	if (!p->valid || p->ev.kind < MR_EV_SLAB_ALLOC || rec_pid(r, rec) != p->ev.tid ||
	    !fits(f, rec))
		return;
	if (ours) {
		n = stack_frames(f, rec, &frames);
		p->ev.tgid = num(r, r->mk_tgid, rec);
		p->expect = num(r, r->mk_more, rec);
	} else {
		/* the format says caller[8]; the kernel writes 'size' entries */
		frames = (const uint64_t *)((char *)rec->data + f->offset);
		max = (rec->size - f->offset) / 8;
		n = num(r, r->ks_size, rec);
		n = n < 0 ? 0 : n > max ? max : n;
	}
	p->ev.nr_kstack = 0;
	for (int i = 0; i < n && i < MR_MAX_STACK; i++) {
		uint64_t a;

		memcpy(&a, frames + i, 8);
		if (!a || a == ~0ull)
			break;
		p->kstack[p->ev.nr_kstack++] = a;
	}
	if (p->expect <= 0 || p->expect > 2)
		emit(r, p);
}

/* Registers and a stack copy for the report to unwind (--call-graph dwarf). */
static void attach_uregs(struct mr_reader *r, struct tep_record *rec, int cpu)
{
	struct pending *p = &r->pending[cpu];
	uint32_t loc, off, len;

	if (!p->valid || rec_pid(r, rec) != p->ev.tid || !fits(r->mu_regs, rec) ||
	    r->mu_regs->size != 8 * MR_UREGS_NR || !fits(r->mu_stack, rec))
		return;
	memcpy(p->uregs, (char *)rec->data + r->mu_regs->offset, sizeof(p->uregs));
	memcpy(&loc, (char *)rec->data + r->mu_stack->offset, 4);
	off = loc & 0xffff;
	len = loc >> 16;
	if (off + len > (unsigned int)rec->size || len > sizeof(p->ustack))
		len = 0;
	memcpy(p->ustack, (char *)rec->data + off, len);
	p->ev.uregs = p->uregs;
	p->ev.ustack_copy = p->ustack;
	p->ev.ustack_len = len;
	/* a kernel allocation keeps its frame-pointer chain; the copy finds its start */
	if (!p->expect)
		p->ev.nr_stack = 0;
	p->ev.tgid = num(r, r->mu_tgid, rec);
	r->stats.stacks++;
	if (!p->expect || !--p->expect)
		emit(r, p);
}

/*
 * A user stack follows its event at once; an event still waiting for one
 * well after (a kernel thread has none) is emitted, so that events leave
 * in time order across CPUs.
 */
static void flush_stale(struct mr_reader *r, uint64_t ts, int cpu)
{
	uint64_t at = UINT64_MAX;

	/* none is stale before the earliest waiting one is: most records look no further */
	if (ts <= r->stale_at)
		return;
	for (int c = 0; c < r->nr_cpus; c++) {
		if (c != cpu && r->pending_ts[c] && r->pending_ts[c] - 1 + STACK_WAIT_NS < ts)
			emit(r, &r->pending[c]);
		if (r->pending_ts[c] && r->pending_ts[c] - 1 + STACK_WAIT_NS < at)
			at = r->pending_ts[c] - 1 + STACK_WAIT_NS;
	}
	r->stale_at = at;
}

static bool is_free(enum mr_ev_kind kind)
{
	return kind == MR_EV_SLAB_FREE || kind == MR_EV_PAGE_FREE || kind == MR_EV_VMAP_FREE ||
	       kind == MR_EV_VMAP_PURGE || kind == MR_EV_PCPU_FREE;
}

/* A pending allocation of what free frees (same address, or same pfn). */
static bool allocates(const struct mr_event *alloc, const struct mr_event *free)
{
	if (alloc->kind == MR_EV_SLAB_ALLOC && free->kind == MR_EV_SLAB_FREE)
		return alloc->slab_alloc.ptr == free->slab_free.ptr;
	if (alloc->kind == MR_EV_VMAP_ALLOC && free->kind == MR_EV_VMAP_FREE)
		return alloc->vmap_alloc.addr == free->vmap_free.addr;
	if (alloc->kind == MR_EV_PCPU_ALLOC && free->kind == MR_EV_PCPU_FREE)
		return alloc->pcpu_alloc.ptr == free->pcpu_free.ptr;
	return alloc->kind == MR_EV_PAGE_ALLOC && free->kind == MR_EV_PAGE_FREE &&
	       alloc->page_alloc.pfn == free->page_free.pfn;
}

/*
 * A kernel free has no stack to wait for: it leaves at once, so that an
 * address freed and allocated again while that allocation waits for its
 * stack is paired in order. An allocation of the same address still
 * waiting on another CPU goes first, even without its stack.
 */
static void emit_free(struct mr_reader *r, int cpu)
{
	const struct mr_event *f = &r->pending[cpu].ev;

	/* pending_ts (dense) says which wait, and since when, without touching the events */
	for (int c = 0; c < r->nr_cpus; c++)
		if (c != cpu && r->pending_ts[c] && r->pending_ts[c] - 1 <= f->ts &&
		    allocates(&r->pending[c].ev, f))
			emit(r, &r->pending[c]);
	emit(r, &r->pending[cpu]);
}

static void read_record(struct mr_reader *r, struct tep_record *rec, int cpu)
{
	int type;

	if (cpu < 0 || cpu >= r->nr_cpus)
		return;
	r->stats.records++;
	if (!r->stats.first_ts || rec->ts < r->stats.first_ts)
		r->stats.first_ts = rec->ts;
	/* ages are measured to here: the latest, in a file whose times go back too */
	if (rec->ts > r->stats.last_ts)
		r->stats.last_ts = rec->ts;
	if (rec->missed_events) {
		struct mr_event lost = { .ts = rec->ts, .kind = MR_EV_LOST, .cpu = cpu };

		emit(r, &r->pending[cpu]);
		lost.lost = rec->missed_events > 0 ? rec->missed_events : 1;
		if (rec->missed_events < 0)
			r->stats.missed_unknown++;
		r->stats.missed += lost.lost;
		r->fn(&lost, r->ctx);
	}
	type = rec_type(r, rec);
	flush_stale(r, rec->ts, cpu);
	if (type == r->user_stack_id || type == r->ustack_id) {
		attach_stack(r, rec, cpu, type == r->ustack_id);
		return;
	}
	if (type == r->uregs_id) {
		attach_uregs(r, rec, cpu);
		return;
	}
	if (type == r->stack_def_id) {
		define_stack(r, rec);
		return;
	}
	if (type == r->kstack_id || type == r->kernel_stack_id) {
		attach_kstack(r, rec, cpu, type == r->kstack_id);
		return;
	}
	emit(r, &r->pending[cpu]);
	if (type >= 0 && type < r->nr_ids && r->by_id[type]) {
		decode(r, r->by_id[type], rec, cpu);
		if (is_free(r->pending[cpu].ev.kind))
			emit_free(r, cpu);
		else if (r->by_id[type]->tgid)
			emit(r, &r->pending[cpu]);	/* complete: no stack to wait for */
	}
}

/* ---- resident memory bounded by what is live, not by the file ---- */

/* A CPU's pages already read are dropped each time it moves on this far. */
#define RELEASE_EVERY	(8ull << 20)

/* The mapping holding addr, when it is a read-only private mapping of the file. */
static bool file_mapping(const struct mr_reader *r, uintptr_t addr, uintptr_t *start)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512], perms[8];
	bool found = false, done = false;

	while (f && !done && fgets(line, sizeof(line), f)) {
		unsigned long s, e, ino;
		unsigned int maj, min;

		if (sscanf(line, "%lx-%lx %7s %*x %x:%x %lu", &s, &e, perms, &maj, &min, &ino) != 6 ||
		    addr < s || addr >= e)
			continue;
		done = true;
		found = !strcmp(perms, "r--p") && ino == r->ino && makedev(maj, min) == r->dev;
		*start = s;
	}
	if (f)
		fclose(f);
	return found;
}

/*
 * libtracecmd maps each CPU's part of the file and keeps what it mapped
 * till the end, so resident memory would grow with the file. The pages of
 * a CPU behind its read position are dropped (MADV_DONTNEED), and only in a
 * read-only private mapping of the file itself: a page dropped that is
 * still wanted is read in again from the file, never lost.
 */
static void release_read_pages(struct mr_reader *r, const struct tep_record *rec, int cpu)
{
	uintptr_t at = (uintptr_t)rec->data, start;

	if (rec->offset < r->release_at[cpu] || !r->ino)
		return;
	r->release_at[cpu] = rec->offset + RELEASE_EVERY;
	at &= ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
	if (file_mapping(r, at, &start) && at > start)
		madvise((void *)start, at - start, MADV_DONTNEED);
}

/* ---- the pages read by memrec itself ---- */

/*
 * libtracecmd allocates each record, reads each page with a system call
 * and checks a CPU's next record again before each one; on a file of this
 * host's byte order whose times it would not shift (header.c decides),
 * the pages are read here in large blocks, each checked as it arrives
 * (input/header.c's check), and decoded as libtraceevent's kbuffer decodes
 * them: the same records, times and lost-event counts, in the same order
 * (the earliest first, the lower CPU on a tie, as tracecmd_iterate_events).
 * The read-ahead of all CPUs together is bounded, so resident memory does
 * not grow with the file. Not kbuffer itself: decoding through its calls
 * made the whole report 16-24% slower here (branch 'kbuf', commit 788d76b,
 * measured against this on the same file), below 10x trace-cmd report.
 */
#define READ_AHEAD_TOTAL	(16u << 20)
#define READ_AHEAD_MAX		(1u << 20)

#define RB_TS_SHIFT		27
/* an absolute time keeps these bits of the time before it */
#define RB_TS_MSB		(0xf8ull << 56)
#define RB_COMMIT_MASK		((1u << 27) - 1)
#define RB_MISSED_EVENTS	(1ull << 31)
#define RB_MISSED_STORED	(1ull << 30)

enum { RB_PADDING = 29, RB_TIME_EXTEND = 30, RB_TIME_STAMP = 31 };

struct cpu_stream {
	unsigned char		*buf;		/* pages read ahead */
	uint64_t		at, end;	/* the file: next byte to read, end of the CPU's */
	uint64_t		buf_at;		/* the file offset of buf[0] */
	uint32_t		buf_len, cap;
	uint32_t		page;		/* the current page's offset in buf */
	const unsigned char	*data;		/* its events; NULL before page one */
	uint32_t		commit, next;	/* used length; the next event's offset */
	uint64_t		ts;
	long long		lost;		/* events lost before the page, -1 unknown */
	struct tep_record	rec;		/* the CPU's next record, when has */
	bool			has;
};

static void setup_streams(struct mr_reader *r, const struct mr_cpu_layout *l)
{
	uint32_t cap = READ_AHEAD_TOTAL / r->nr_cpus;

	cap = cap > READ_AHEAD_MAX ? READ_AHEAD_MAX : cap;
	cap -= cap % l->page_size;
	if (cap < l->page_size)
		cap = l->page_size;
	r->fd = open(r->path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		return;		/* libtracecmd reads it then */
	r->layout = *l;
	r->layout.offset = mr_xcalloc(r->nr_cpus, sizeof(*r->layout.offset));
	r->layout.size = mr_xcalloc(r->nr_cpus, sizeof(*r->layout.size));
	memcpy(r->layout.offset, l->offset, r->nr_cpus * sizeof(*l->offset));
	memcpy(r->layout.size, l->size, r->nr_cpus * sizeof(*l->size));
	r->streams = mr_xcalloc(r->nr_cpus, sizeof(*r->streams));
	for (int cpu = 0; cpu < r->nr_cpus; cpu++) {
		struct cpu_stream *c = &r->streams[cpu];

		c->at = l->offset[cpu];
		c->end = l->offset[cpu] + l->size[cpu];
		c->cap = cap;
		c->rec.cpu = cpu;
	}
}

static int stream_corrupt(const struct mr_reader *r)
{
	return mr_error("'%s' is truncated or corrupt (in the cpu data)", r->path);
}

/* Every page, before libtracecmd reads them (where the reader cannot). */
static int check_all_pages(const struct mr_reader *r, const struct mr_cpu_layout *l)
{
	unsigned char *page = mr_xmalloc(l->page_size);
	int fd = open(r->path, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		ret = mr_error_errno("cannot read '%s'", r->path);
	for (int cpu = 0; !ret && cpu < l->nr_cpus; cpu++)
		for (uint64_t at = 0; !ret && at + l->page_size <= l->size[cpu]; at += l->page_size)
			if (pread(fd, page, l->page_size, l->offset[cpu] + at) != l->page_size ||
			    mr_input_check_page(l, page) < 0)
				ret = stream_corrupt(r);
	if (fd >= 0)
		close(fd);
	free(page);
	return ret;
}

static uint32_t rd4(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd8(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* The CPU's next page, read ahead in blocks; 0 past its last, -1 on an error. */
static int next_page(struct mr_reader *r, struct cpu_stream *c)
{
	uint32_t ps = r->layout.page_size, hdr = 8 + r->layout.long_size;
	const unsigned char *page;
	uint64_t flags;

	if (c->data && c->page + ps < c->buf_len) {
		c->page += ps;
	} else {
		uint64_t want = c->end - c->at < c->cap ? c->end - c->at : c->cap;
		uint32_t got = 0;

		if (!want)
			return 0;
		if (!c->buf)
			c->buf = mr_xmalloc(c->cap);
		while (got < want) {
			ssize_t n = pread(r->fd, c->buf + got, want - got, c->at + got);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return mr_error_errno("cannot read '%s'", r->path);
			if (!n)		/* the file shrank under us */
				return stream_corrupt(r);
			got += n;
		}
		c->buf_at = c->at;
		c->buf_len = got;
		c->at += got;
		c->page = 0;
	}
	page = c->buf + c->page;
	if (mr_input_check_page(&r->layout, page) < 0)
		return stream_corrupt(r);
	c->ts = rd8(page);
	flags = r->layout.long_size == 8 ? rd8(page + 8) : rd4(page + 8);
	c->commit = flags & RB_COMMIT_MASK;
	c->data = page + hdr;
	c->next = 0;
	c->lost = 0;
	if (flags & RB_MISSED_EVENTS) {
		c->lost = -1;
		/* the count is stored after the events when there was room for it */
		if ((flags & RB_MISSED_STORED) && hdr + c->commit + r->layout.long_size <= ps)
			c->lost = r->layout.long_size == 8 ? (long long)rd8(c->data + c->commit) :
							     (long long)rd4(c->data + c->commit);
	}
	return 1;
}

/*
 * The CPU's next record into c->rec: 1, 0 past its last, -1 on an error.
 * An event that would reach past the page's used length ends the page.
 */
static int next_rec(struct mr_reader *r, struct cpu_stream *c)
{
	for (;;) {
		while (c->data && c->next + 4 <= c->commit) {
			uint32_t curr = c->next, head = rd4(c->data + curr), type = head & 31;
			uint64_t delta = head >> 5, index, len = 0;

			if (type == RB_PADDING || type == RB_TIME_EXTEND || type == RB_TIME_STAMP ||
			    type == 0) {
				if (curr + 8 > c->commit)
					break;
				len = rd4(c->data + curr + 4);
			}
			if (type == RB_PADDING) {
				c->ts += delta;
				c->next = curr + 4 + len > c->commit ? c->commit : curr + 4 + len;
				continue;
			}
			if (type == RB_TIME_EXTEND || type == RB_TIME_STAMP) {
				delta += len << RB_TS_SHIFT;
				c->ts = type == RB_TIME_STAMP ? delta | (c->ts & RB_TS_MSB) :
								 c->ts + delta;
				c->next = curr + 8;
				continue;
			}
			if (type == 0) {
				len = ((len - 4) + 3) & ~3ull;
				index = curr + 8;
			} else {
				len = 4 * type;
				index = curr + 4;
			}
			if (index + len > c->commit)
				break;
			c->ts += delta;
			c->next = index + len;
			c->rec.ts = c->ts;
			c->rec.data = (void *)(c->data + index);
			c->rec.size = len;
			c->rec.offset = c->buf_at + (c->data - c->buf) + index;
			c->rec.missed_events = curr ? 0 : c->lost;
			return 1;
		}
		switch (next_page(r, c)) {
		case 0:
			return 0;
		case -1:
			return -1;
		}
	}
}

static int run_own(struct mr_reader *r)
{
	int cpu, best, second, rc;

	for (cpu = 0; cpu < r->nr_cpus; cpu++) {
		rc = next_rec(r, &r->streams[cpu]);
		if (rc < 0)
			return -1;
		r->streams[cpu].has = rc;
	}
	for (;;) {
		struct cpu_stream *s = r->streams, *b;

		/* the earliest record, the lower CPU on a tie; and the one after it */
		best = second = -1;
		for (cpu = 0; cpu < r->nr_cpus; cpu++) {
			if (!s[cpu].has)
				continue;
			if (best < 0 || s[cpu].rec.ts < s[best].rec.ts) {
				second = best;
				best = cpu;
			} else if (second < 0 || s[cpu].rec.ts < s[second].rec.ts) {
				second = cpu;
			}
		}
		if (best < 0)
			return 0;
		/* that CPU's records go on till one comes after the other CPUs' first */
		b = &s[best];
		do {
			read_record(r, &b->rec, best);
			rc = next_rec(r, b);
			if (rc < 0)
				return -1;
			b->has = rc;
		} while (b->has && (second < 0 || b->rec.ts < s[second].rec.ts ||
				    (b->rec.ts == s[second].rec.ts && best < second)));
	}
}

/* Between records the library runs (guarded); the record itself is memrec's. */
static int on_record(struct tracecmd_input *h, struct tep_record *rec, int cpu, void *data)
{
	in_library = 0;
	read_record(data, rec, cpu);
	if (cpu >= 0 && cpu < ((struct mr_reader *)data)->nr_cpus)
		release_read_pages(data, rec, cpu);
	in_library = 1;
	return 0;
}

int mr_reader_run(struct mr_reader *r, void (*fn)(const struct mr_event *ev, void *ctx),
		  void *ctx)
{
	r->fn = fn;
	r->ctx = ctx;
	if (r->streams) {
		/* memrec's own code: a crash in it dumps core */
		unguard_crashes();
		if (run_own(r) < 0)
			return -1;
		for (int cpu = 0; cpu < r->nr_cpus; cpu++)
			emit(r, &r->pending[cpu]);
		return 0;
	}
	in_library = 1;
	if (tracecmd_iterate_events(r->handle, NULL, 0, on_record, r) < 0) {
		unguard_crashes();
		return mr_error("cannot read the events of '%s'", r->path);
	}
	/* past the trace libraries: a crash now is memrec's own, with its core */
	unguard_crashes();
	for (int cpu = 0; cpu < r->nr_cpus; cpu++)
		emit(r, &r->pending[cpu]);
	return 0;
}

const struct mr_reader_stats *mr_reader_stats(const struct mr_reader *r)
{
	return &r->stats;
}

const char *mr_reader_ksym(struct mr_reader *r, uint64_t addr, uint64_t *off)
{
	const char *name;
	uint64_t start;

	if (r->ksyms) {
		name = mr_ksyms_find(r->ksyms, addr, &start);
		if (name && off)
			*off = addr - start;
		return name;
	}
	name = tep_find_function(r->tep, addr);

	if (name && off)
		*off = addr - tep_find_function_address(r->tep, addr);
	return name;
}

const char *mr_reader_comm(struct mr_reader *r, int pid)
{
	const char *c = tep_data_comm_from_pid(r->tep, pid);

	return c && strcmp(c, "<...>") ? c : "?";
}

void mr_reader_close(struct mr_reader *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->nr_gfp; i++)
		free(r->gfp[i]);
	free(r->gfp);
	mr_u64map_release(&r->gfp_map);
	mr_u64map_release(&r->defs);
	free(r->def_spans);
	free(r->def_frames);
	for (int i = 0; i < r->nr_ids; i++)
		free(r->by_id[i]);
	free(r->by_id);
	free(r->pending);
	free(r->pending_ts);
	free(r->release_at);
	mr_ksyms_free(r->ksyms);
	for (int cpu = 0; r->streams && cpu < r->nr_cpus; cpu++)
		free(r->streams[cpu].buf);
	free(r->streams);
	mr_cpu_layout_release(&r->layout);
	if (r->fd >= 0)
		close(r->fd);
	if (r->handle)
		tracecmd_close(r->handle);
	free(r);
}
