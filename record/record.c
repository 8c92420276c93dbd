// SPDX-License-Identifier: GPL-2.0
/*
 * record.c - `memrec record`: sets up a private tracefs instance with
 * memrec's uprobes and the task lifecycle events, streams it to per-CPU
 * files while the targets run, then writes one trace.dat with memrec's
 * metadata and removes every piece of tracing state it made.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "memrec.h"
#include "mr_archive.h"
#include "mr_buildid.h"
#include "mr_cmds.h"
#include "mr_lsan.h"
#include "mr_options.h"
#include "mr_preload.h"
#include "mr_snapshot.h"
#include "mr_tracedat.h"
#include "record.h"

#define DEFAULT_BUFFER_KB	8192
#define DEFAULT_FLIGHT_MB	32
#define FLIGHT_REASON		"OOM kill (flight recorder)"


struct rec_opts {
	const char	*output;
	const char	*pids;
	char		**cmd;
	uint64_t	duration_s;
	uint64_t	buffer_kb;
	bool		no_embed;
	bool		debuginfo;
	bool		system_wide;	/* -a */
	uint64_t	flight_mb;	/* --flight: keep this window, write on an OOM kill */
	bool		flight;		/* --flight given */
	uint64_t	flight_size;	/* --size, 0 when not given */
	bool		keep;		/* --keep: after writing, watch for the next kill */
	const char	*groups_arg;	/* -e */
	unsigned int	groups;
	bool		ftrace_uprobes;	/* --uprobes=ftrace: armed host-wide */
	bool		uprobes;	/* --uprobes[=MODE] given: not the preload path */
	const char	*lib;		/* --lib: another allocator's library */
	uint64_t	stack_depth;
	uint64_t	dwarf_stack;	/* --call-graph dwarf[,SIZE]: bytes, else 0 */
	bool		preload;	/* the allocator calls recorded in the command */
	bool		preload_asked;	/* --preload given */
};

struct recorder {
	struct rec_opts			o;
	const char			*tdir;
	char				name[32];
	struct mr_watchdog		wd;
	struct mr_target		target;
	struct mr_probes		probes;
	struct tracefs_instance		*inst;
	struct mr_stream		stream;
	bool				streaming;
	struct mr_mmaps			*mmaps;
	/* perf refused: the targets' maps files as last read, and when */
	char				**maps_last;
	uint64_t			maps_since;
	/* perf samples, by enum mr_samples_kind: the allocator probes (per
	 * target), kernel allocations (per target) and kernel frees (per CPU) */
	struct mr_samples		*samples[MR_SAMPLES_NR];	/* by enum mr_samples_kind */
	uint32_t			*probe_ids;
	struct mr_preload		*preload;	/* --preload: the rings the command writes */
	const char			**files;	/* per-CPU data, ftrace then perf */
	int				nr_files;
	struct mr_tracedat_hdr		*hdr;
	struct mr_meta			meta;
	const char			**events;	/* everything enabled, for the header */
	sigset_t			stop_sigs;
	uint64_t			t0;
	uint64_t			bytes;		/* event data written, at stop */
	uint64_t			sample_bytes;
	struct mr_embed_stats		embed;
	struct mr_buf			archive;	/* the symbol archive option */
	struct mr_snapshots		snaps;		/* /proc/buddyinfo... at start, stop */
	int				write_error;	/* errno that stopped streaming */
	struct mr_outdir		outdir;		/* private: every file is made here */
	bool				written;	/* output is in place */
	const char			*output;	/* the file being written */
	char				*output_buf;	/* --keep: FILE.N */
	int				nr_written;
};

static const char record_usage[] =
"usage: memrec record [options] -p PID[,PID...]\n"
"   or: memrec record [options] -- COMMAND [ARGS...]\n"
"   or: memrec record [options] -a [-e oom]\n"
"\n"
"Records the allocator calls (malloc, free, calloc, realloc, reallocarray,\n"
"posix_memalign, aligned_alloc/memalign, valloc, pvalloc, strdup, strndup and C++\n"
"operator new) of the targets, glibc's, jemalloc's, tcmalloc's, mimalloc's or a\n"
"static program's, with their user stacks, through a private tracefs\n"
"instance, into a trace file that 'memrec report' reads, here or on another\n"
"host: a command's from inside it (a library in its LD_PRELOAD, no trap per\n"
"call), running processes' (-p) and what the library cannot serve with\n"
"uprobes. Stops on Ctrl-C/SIGTERM, after -d, or when every target exited.\n";

static const char record_examples[] =
"examples:\n"
"  memrec record -- ./server --port 8080     # from the first malloc\n"
"  memrec record --uprobes -- ./server       # a uprobe per call, not preloaded\n"
"  memrec record -p 1234 -d 60               # attach for a minute\n";

static int parse_call_graph(const struct mr_option *opt, const char *arg)
{
	uint64_t *dwarf_stack = opt->value;

	if (!strcmp(arg, "fp")) {
		*dwarf_stack = 0;
		return 0;
	}
	if (strncmp(arg, "dwarf", 5) || (arg[5] && arg[5] != ','))
		return mr_usage_error("--call-graph takes fp or dwarf[,SIZE], not '%s'", arg);
	*dwarf_stack = MR_UREGS_MAX_STACK;
	if (arg[5] && (mr_parse_u64(arg + 6, dwarf_stack) < 0 || *dwarf_stack < 64 ||
		       *dwarf_stack > MR_UREGS_MAX_STACK))
		return mr_usage_error("--call-graph dwarf,SIZE takes 64 to %d bytes, not '%s'",
				      MR_UREGS_MAX_STACK, arg + 6);
	*dwarf_stack &= ~7ull;	/* perf wants a multiple of 8 */
	return 0;
}

static int parse_uprobes(const struct mr_option *opt, const char *arg)
{
	struct rec_opts *o = opt->value;

	if (arg && strcmp(arg, "perf") && strcmp(arg, "ftrace"))
		return mr_usage_error("--uprobes takes perf or ftrace, not '%s'", arg);
	o->uprobes = true;
	o->ftrace_uprobes = arg && !strcmp(arg, "ftrace");
	return 0;
}

/* numbers into the help texts */
#define STR_(x)		#x
#define STR(x)		STR_(x)

/* Returns the index of the first argument left, 0 after -h, or < 0 after an error. */
static int parse_table(struct rec_opts *o, int argc, char **argv)
{
	const struct mr_option table[] = {
		MR_OPT_STRING('p', "pid", &o->pids, "PID[,PID]",
			      "record running processes (every thread, and children)"),
		MR_OPT_FLAG('a', "all-cpus", &o->system_wide,
			    "record the whole host (kernel events only, no user stacks)"),
		MR_OPT_STRING('e', "events", &o->groups_arg, "GROUPS",
			      "what to record, comma-separated: user (the allocator calls, targets "
			      "only), oom (RSS, reclaim and compaction stalls, the OOM killer, for "
			      "'memrec report oom'), kernel (slab allocations and frees, with kernel "
			      "stacks and, for targets, the user stack that caused them), page (page "
			      "allocations, frees and migratetype fallbacks). Default: "
			      "user,oom,kernel,page for targets, oom,kernel,page with -a; with --flight, "
			      "user or oom"),
		MR_OPT_STRING('o', "output", &o->output, "FILE",
			      "write FILE (default memrec.dat); an existing FILE is replaced, and "
			      "refused if it is a symlink, not a regular file or not yours"),
		MR_OPT_FLAG(0, "flight", &o->flight,
			    "flight recorder: keep only the last --size MB of events in memory and "
			    "write the file when the OOM killer kills (or on Ctrl-C); kernel events, "
			    "or --uprobes=ftrace"),
		MR_OPT_U64(0, "size", &o->flight_size, "MB", 1, 65536,
			   "--size takes MB (1 to 65536), not '%s'",
			   "the flight recorder's window (default " STR(DEFAULT_FLIGHT_MB) ")"),
		MR_OPT_FLAG(0, "keep", &o->keep,
			    "after writing, keep watching: the next kill goes to FILE.1, then "
			    "FILE.2, ..."),
		MR_OPT_U64('d', "duration", &o->duration_s, "SEC", 1, 0,
			   "-d takes a number of seconds, not '%s'", "stop after SEC seconds"),
		MR_OPT_U64('b', "buffer-kb", &o->buffer_kb, "KB", 64, 0,
			   "-b takes KiB per CPU (at least 64), not '%s'",
			   "ring buffer per CPU in KiB (default " STR(DEFAULT_BUFFER_KB) ")"),
		MR_OPT_CALLBACK(0, "uprobes", o, "[=MODE]", parse_uprobes,
				"record the allocator calls with uprobes, a trap per call (the "
				"default for -p), not the preload path; perf (the default mode): "
				"the probes are armed in the targets only; ftrace: armed in every "
				"process that maps the same libc (they all pay ~10 us per probe "
				"hit), 8-frame stacks, for hosts that refuse perf_event_open"),
		MR_OPT_FLAG(0, "preload", &o->preload_asked,
			    "the default for -- COMMAND: its allocator calls are recorded from "
			    "inside it (a library in its LD_PRELOAD writing to shared memory), no "
			    "trap per call; the uprobes record static and setuid programs, those "
			    "linking another allocator (jemalloc, tcmalloc, mimalloc), --lib, "
			    "--call-graph dwarf and --flight"),
		MR_OPT_U64(0, "stack-depth", &o->stack_depth, "N", 1, MR_MAX_STACK,
			   "--stack-depth takes 1 to " STR(MR_MAX_STACK) " frames, not '%s'",
			   "user stack frames to keep (perf path; default and maximum: "
			   "kernel.perf_event_max_stack, at most " STR(MR_MAX_STACK) ")"),
		MR_OPT_CALLBACK(0, "call-graph", &o->dwarf_stack, "MODE", parse_call_graph,
				"fp (default): frame-pointer call chains; dwarf[,SIZE]: for code "
				"built without frame pointers, unwind with the CFI: in the command "
				"with libunwind (preload path), else copy SIZE bytes of user stack "
				"(default and maximum " STR(MR_UREGS_MAX_STACK) ") and unwind them "
				"at report time"),
		MR_OPT_STRING(0, "lib", &o->lib, "PATH",
			      "also probe the allocator in the library PATH (found on its own: "
			      "glibc, and jemalloc, tcmalloc, mimalloc or any file defining malloc "
			      "that the target maps, links or LD_PRELOADs)"),
		MR_OPT_FLAG(0, "debuginfo", &o->debuginfo,
			    "also embed DWARF (file:line on hosts without the binaries' debug "
			    "info; a bigger file)"),
		MR_OPT_FLAG(0, "no-embed", &o->no_embed,
			    "do not embed the modules' symbol tables (the report then needs the "
			    "same binaries, checked by build-id)"),
		MR_OPT_VERBOSE(),
		MR_OPT_HELP(),
		MR_OPT_END(),
	};
	const struct mr_opts opts = { record_usage, table, record_examples, .in_order = true };

	return mr_parse_options(&opts, argc, argv);
}

/*
 * The preload path is the default for a command's allocator calls; what it
 * cannot serve goes to the uprobes, a usage error only when --preload was
 * given with it.
 */
static int check_preload(struct rec_opts *o)
{
	const char *why = o->uprobes ? "--uprobes" : o->flight_mb ? "--flight" :
			  o->lib ? "--lib" : NULL;

	if (o->preload_asked && !o->cmd)
		return mr_usage_error("--preload starts the command with its library: it needs "
				      "-- COMMAND");
	if (o->preload_asked && !(o->groups & MR_GROUP_USER))
		return mr_usage_error("--preload records the allocator calls: it needs -e user");
	if (o->preload_asked && why)
		return mr_usage_error("--preload records the standard allocator functions "
				      "from inside the command: no %s with it", why);
	if (!o->cmd || !(o->groups & MR_GROUP_USER))
		return 0;
	if (why)
		mr_info(1, "note: %s: the allocator calls are recorded with the uprobes", why);
	o->preload = !why;
	return 0;
}

static int check_targets(struct rec_opts *o)
{
	if (o->groups_arg && mr_groups_parse(o->groups_arg, &o->groups))
		return -MR_EXIT_USAGE;
	/* every group that applies; a flight recorder keeps its window for the OOM road */
	if (!o->groups_arg && o->flight_mb)
		o->groups = o->system_wide ? MR_GROUP_OOM : MR_GROUP_USER;
	else if (!o->groups_arg)
		o->groups = (o->system_wide ? 0 : MR_GROUP_USER | MR_GROUP_MAPPINGS) |
			    MR_GROUP_OOM | MR_GROUP_KERNEL | MR_GROUP_PAGE;
	if (o->system_wide && (o->cmd || o->pids))
		return mr_usage_error("-a records the whole host; it takes no -p or command");
	if (o->system_wide && (o->groups & MR_GROUP_USER))
		return mr_usage_error("-e user needs targets (-p or a command), not -a");
	if (o->system_wide && (o->groups & MR_GROUP_MAPPINGS))
		return mr_usage_error("-e mappings needs targets (-p or a command), not -a");
	/* the syscalls are perf samples of the targets, as the perf path's probes are */
	if (o->ftrace_uprobes && (o->groups & MR_GROUP_MAPPINGS)) {
		if (o->groups_arg)
			mr_info(0, "note: --uprobes=ftrace: the mappings are not recorded");
		o->groups &= ~MR_GROUP_MAPPINGS;
	}
	if (!o->system_wide && !o->cmd == !o->pids)
		return mr_usage_error("give -p PID, -- COMMAND or -a (see 'memrec record -h')");
	if (check_preload(o) < 0)
		return -MR_EXIT_USAGE;
	if (o->pids && mr_target_check_pids(o->pids))
		return -MR_EXIT_USAGE;
	if ((o->system_wide || !(o->groups & (MR_GROUP_USER | MR_GROUP_KERNEL | MR_GROUP_PAGE |
					      MR_GROUP_MAPPINGS))) &&
	    (o->dwarf_stack || o->stack_depth))
		return mr_usage_error("--call-graph and --stack-depth are for the user stacks of "
				      "targets (-e user, kernel, page or mappings)");
	if (o->dwarf_stack && o->stack_depth)
		return mr_usage_error("--stack-depth counts frame-pointer frames; --call-graph "
				      "dwarf unwinds as far as its stack copy reaches");
	if (o->flight_mb && o->buffer_kb != DEFAULT_BUFFER_KB)
		return mr_usage_error("-b and --flight: the window is --size MB");
	if (o->flight_mb && (o->groups & MR_GROUP_USER) && !o->ftrace_uprobes)
		return mr_usage_error("--flight keeps a window in the ring buffer: -e user needs "
				      "--uprobes=ftrace with it");
	if (o->flight_mb && !o->system_wide && (o->groups & (MR_GROUP_KERNEL | MR_GROUP_PAGE)))
		return mr_usage_error("--flight keeps a window in the ring buffer: -e kernel,page "
				      "for targets are perf samples; use them with -a");
	if (o->flight_mb)
		o->buffer_kb = o->flight_mb * 1024 / sysconf(_SC_NPROCESSORS_CONF);
	if (o->dwarf_stack && o->ftrace_uprobes)
		return mr_usage_error("--call-graph dwarf needs the perf path, not --uprobes=ftrace");
	return 0;
}

/* Returns 0, 1 after -h, or -MR_EXIT_USAGE after a usage error. */
static int parse_opts(struct rec_opts *o, int argc, char **argv)
{
	int first;

	o->output = "memrec.dat";
	o->buffer_kb = DEFAULT_BUFFER_KB;
	first = parse_table(o, argc, argv);
	if (first <= 0)
		return first < 0 ? -MR_EXIT_USAGE : 1;
	if (o->keep && !o->flight)
		return mr_usage_error("--keep goes with --flight");
	if (o->flight_size && !o->flight)
		return mr_usage_error("--size is the flight recorder's window: use it with --flight");
	if (o->flight)
		o->flight_mb = o->flight_size ? o->flight_size : DEFAULT_FLIGHT_MB;
	if (first < argc)
		o->cmd = argv + first;
	return check_targets(o);
}

static int check_tracefs(struct recorder *r)
{
	char *path;
	int ok;

	r->tdir = tracefs_tracing_dir();
	if (!r->tdir)
		return mr_error("cannot find or mount tracefs; mount it with "
				"'mount -t tracefs nodev /sys/kernel/tracing'");
	path = mr_xasprintf("%s/uprobe_events", r->tdir);
	ok = !access(path, W_OK);
	free(path);
	if (!ok)
		return mr_error("this kernel has no uprobe events (CONFIG_UPROBE_EVENTS) in '%s'; "
				"memrec needs them", r->tdir);
	return 0;
}

/* The probes sit on one libc file; a target mapping another one is not seen. */
static void warn_other_libc(pid_t pid, const char *libc)
{
	char *other = NULL, *cxx = NULL;

	if (!mr_probes_find_libs(pid, &other, &cxx) && strcmp(other, libc)) {
		char *q = mr_quote_ctl(other), *ql = mr_quote_ctl(libc);

		mr_warning("pid %d maps '%s', not the probed '%s'; its allocations are not "
			   "recorded (record it separately)", pid, q, ql);
		free(q);
		free(ql);
	}
	free(other);
	free(cxx);
}

static int event_id(const char *sysev, uint32_t *id);

/*
 * A host may refuse perf_event_open (a seccomp filter, perf_event_paranoid
 * without CAP_PERFMON): the allocator probes then go through ftrace, the
 * mappings are read from /proc, and the kernel events of targets, which
 * are perf samples, are left out.
 */
static int check_perf(struct recorder *r)
{
	unsigned int perf_only = MR_GROUP_KERNEL | MR_GROUP_PAGE | MR_GROUP_MAPPINGS;
	uint32_t id;
	int e;

	if (r->o.ftrace_uprobes || !r->probes.nr)
		return 0;
	if (event_id(r->probes.events[0], &id) < 0)
		return -1;
	e = mr_samples_refused(id, r->target.pids[0]);
	if (!e)
		return 0;
	if (r->o.dwarf_stack)
		return mr_error("perf_event_open is refused here (%s); --call-graph dwarf needs it",
				strerror(e));
	mr_warning("perf_event_open is refused here (%s): the allocator probes go through "
		   "ftrace, armed in every process that maps this libc, and the mappings are "
		   "read from /proc%s", strerror(e), r->o.groups & perf_only ?
		   "; the kernel events and mapping syscalls of targets (-e kernel,page,mappings) "
		   "are not recorded" : "");
	r->o.ftrace_uprobes = true;
	r->o.groups &= ~perf_only;
	r->meta.perf_refused = mr_xstrdup(strerror(e));
	free(r->meta.uprobes);
	r->meta.uprobes = mr_xstrdup("ftrace");
	free(r->meta.groups);
	r->meta.groups = mr_groups_string(r->o.groups);
	return 0;
}

static uint64_t stack_depth(const struct recorder *r)
{
	return r->o.stack_depth ? r->o.stack_depth : mr_proc_max_stack();
}

/*
 * Why the command cannot be recorded from inside it, or NULL: the dynamic
 * loader would not preload into it, another allocator (with its own
 * functions, or its own malloc ahead of the library's) serves it, or the
 * host refuses perf_event_open (the uprobe path falls back to ftrace); asked:
 * --preload was given, which records the standard functions even then.
 */
static char *preload_unusable(const char *cmd, bool asked, bool dwarf, bool *say)
{
	char *path = mr_target_resolve_cmd(cmd), *other, *why = NULL;
	const char *s = path ? mr_preload_unusable(path) : NULL;
	int e;

	if (s) {
		why = mr_xstrdup(s);
	} else if (dwarf && (s = mr_preload_no_unwinder())) {
		why = mr_xasprintf("--call-graph dwarf needs %s in it (%s)", MR_PL_UNWIND_LIB, s);
	} else if (!asked && (e = mr_samples_self_refused())) {
		/* the mappings, on this path too, are perf records; --call-graph dwarf
		 * is then refused by the uprobe path in one error line: no note */
		why = mr_xasprintf("perf_event_open is refused here (%s)", strerror(e));
		*say = !dwarf;
	} else if (path && !asked && (other = mr_allocs_other(path))) {
		char *q = mr_quote_ctl(other);

		why = mr_xasprintf("it uses another allocator, '%s'", q);
		free(q);
		free(other);
	}
	free(path);
	return why;
}

/*
 * The preload path: the command gets the library and the shared memory in
 * its environment; a program it cannot serve is recorded with the uprobes,
 * and memrec says so: a warning when --preload was given, else *note, said
 * once the uprobes are in place (a program they refuse gets one error).
 */
static int setup_preload(struct recorder *r, char **note)
{
	bool say = true;
	char *why = preload_unusable(r->o.cmd[0], r->o.preload_asked, r->o.dwarf_stack, &say);
	char *lib = NULL;

	if (why) {
		char *q = mr_quote_ctl(r->o.cmd[0]);

		if (!say)
			;
		else if (r->o.preload_asked)
			mr_warning("--preload: cannot preload into '%s': %s; recording it with "
				   "the uprobes", q, why);
		else
			*note = mr_xasprintf("note: cannot preload into '%s': %s; recording it "
					     "with the uprobes", q, why);
		free(q);
		free(why);
		r->o.preload = false;
		return 0;
	}
	lib = mr_preload_lib();
	if (!lib && !r->o.preload_asked) {
		mr_warning("recording the allocator calls with the uprobes");
		r->o.preload = false;
		return 0;
	}
	if (!lib)
		return -1;
	r->samples[MR_SAMPLES_UPROBES] = mr_samples_open(MR_SAMPLES_UPROBES, NULL, 0,
							 r->outdir.base, stack_depth(r), 0,
							 r->o.buffer_kb);
	if (r->samples[MR_SAMPLES_UPROBES])
		r->preload = mr_preload_open(r->samples[MR_SAMPLES_UPROBES], stack_depth(r),
					     r->o.dwarf_stack);
	if (r->preload) {
		r->target.envp = mr_preload_env(r->preload, lib);
		free(r->meta.uprobes);
		r->meta.uprobes = mr_xstrdup("preload");
	}
	free(lib);
	return r->preload ? mr_preload_start(r->preload) : -1;
}

static int setup_target(struct recorder *r)
{
	struct mr_alloc_libs libs;
	char *note = NULL;
	int ret;

	if (r->o.system_wide)
		return 0;
	if (r->o.preload && setup_preload(r, &note) < 0)
		return -1;
	if (r->o.cmd)
		ret = mr_target_spawn(&r->target, r->o.cmd);
	else
		ret = mr_target_parse_pids(&r->target, r->o.pids);
	if (ret || !(r->o.groups & MR_GROUP_USER) || r->o.preload) {
		free(note);
		return ret;
	}
	/* a spawned command maps the same libc as memrec (it is not exec'd yet) */
	ret = mr_allocs_find(r->o.cmd ? 0 : r->target.pids[0], r->target.exe, r->o.lib, &libs);
	if (!ret)
		ret = mr_probes_create(&r->probes, r->name, &libs);
	if (!ret && note)
		mr_info(0, "%s", note);
	free(note);
	if (!ret)
		ret = check_perf(r);
	for (int i = 1; !ret && i < r->target.nr_pids; i++)
		warn_other_libc(r->target.pids[i], libs.v[0].path);
	mr_allocs_release(&libs);
	r->meta.free_null_unseen = r->probes.free_null_unseen;
	return ret;
}

static int set_option(struct recorder *r, const char *opt)
{
	if (tracefs_option_enable(r->inst, tracefs_option_id(opt)) < 0)
		return mr_error_errno("cannot set tracefs option '%s'", opt);
	return 0;
}

/*
 * Writes events/SYS/EV/enable directly: tracefs_event_enable() takes
 * regexes and walks every event on the system for each call.
 */
static int enable_event(struct recorder *r, const char *sysev)
{
	char *file = mr_xasprintf("events/%s/enable", sysev);
	int ret = 0;

	if (tracefs_instance_file_write(r->inst, file, "1") < 0)
		ret = mr_error_errno("cannot enable event '%s'", sysev);
	free(file);
	return ret;
}

/*
 * -a: the kernel stack of each kernel allocation, written by the kernel right
 * after the event. (Targets' kernel allocations are perf samples instead.)
 */
static int stack_trigger(struct recorder *r, const char *sysev)
{
	char *file;
	int ret = 0;

	if (!mr_event_is_kmem(sysev) || mr_event_is_kfree(sysev))
		return 0;
	file = mr_xasprintf("events/%s/trigger", sysev);
	if (tracefs_instance_file_write(r->inst, file, "stacktrace") < 0)
		ret = mr_error_errno("cannot add a stacktrace trigger to '%s'", sysev);
	free(file);
	return ret;
}

/*
 * For targets, kernel frees and the OOM killer's events are perf samples
 * of every task (the instance's pid filter would miss them); a flight
 * window keeps the OOM killer's in the instance, which it can overwrite.
 */
static bool sampled_hostwide(const struct recorder *r, const char *sysev)
{
	return !r->o.system_wide && !r->o.flight_mb && !r->meta.perf_refused &&
	       mr_event_is_hostwide(sysev);
}

static int setup_instance(struct recorder *r)
{
	bool kernel = r->o.groups & (MR_GROUP_KERNEL | MR_GROUP_PAGE);
	bool maps = r->o.groups & MR_GROUP_MAPPINGS;
	int n = 0;

	r->inst = tracefs_instance_create(r->name);
	if (!r->inst)
		return mr_error_errno("cannot create tracefs instance '%s'", r->name);
	/* the same pid in another pid namespace: never share its instance */
	if (!tracefs_instance_is_new(r->inst)) {
		tracefs_instance_free(r->inst);
		r->inst = NULL;
		return mr_error("tracefs instance '%s' already exists (a memrec with this pid in "
				"another pid namespace?); not touching it", r->name);
	}
	if (tracefs_trace_off(r->inst) < 0 ||
	    tracefs_instance_set_buffer_size(r->inst, r->o.buffer_kb, -1) < 0 ||
	    tracefs_instance_file_write(r->inst, "trace_clock", "mono") < 0 ||
	    tracefs_instance_file_write(r->inst, "buffer_percent", "1") < 0)
		return mr_error_errno("cannot configure tracefs instance '%s'", r->name);
	if (set_option(r, "overwrite"))
		return -1;
	/* host-wide, user stacks of every event would cost every process */
	if (!r->o.system_wide && (set_option(r, "userstacktrace") ||
				  set_option(r, "event-fork") ||
				  mr_target_set_event_pid(&r->target, r->inst) < 0))
		return -1;
	r->events = mr_events_for(r->tdir, r->o.groups, (const char *const *)r->probes.events,
				  r->probes.nr);
	while (r->events[n])
		n++;
	/* on the perf path the probes are armed per target, not in the instance;
	 * so are the kernel events of targets (setup_kernel_samples) */
	for (int i = r->o.ftrace_uprobes ? 0 : r->probes.nr; i < n; i++) {
		if ((!r->o.system_wide && mr_event_is_kmem(r->events[i])) ||
		    mr_event_is_mapping(r->events[i]) || sampled_hostwide(r, r->events[i]))
			continue;
		if (enable_event(r, r->events[i]) < 0 || stack_trigger(r, r->events[i]) < 0)
			return -1;
	}
	/* the OOM killer's SIGKILL is the one signal the report needs */
	if ((r->o.groups & MR_GROUP_OOM) &&
	    tracefs_instance_file_write(r->inst, "events/signal/signal_generate/filter",
					"sig == 9") < 0)
		mr_warning_errno("cannot filter signal events to SIGKILL");
	/* kernel stacks are symbolised at report time with the file's kallsyms */
	r->hdr = mr_tracedat_capture(r->tdir, r->events, kernel);
	if (r->hdr && (!r->o.ftrace_uprobes || (kernel && !r->o.system_wide) || maps)) {
		mr_tracedat_add_format(r->hdr, "memrec", "ustack", MR_USTACK_FORMAT);
		mr_tracedat_add_format(r->hdr, "memrec", "uregs", MR_UREGS_FORMAT);
	}
	if (r->hdr && ((kernel && !r->o.system_wide) || maps))
		mr_tracedat_add_format(r->hdr, "memrec", "kstack", MR_KSTACK_FORMAT);
	if (r->hdr && r->preload) {
		mr_tracedat_add_format(r->hdr, "memrec", "ustack_def", MR_USTACK_DEF_FORMAT);
		mr_preload_add_formats(r->hdr);
	}
	return r->hdr ? 0 : -1;
}

/* perf refused: the targets' mappings from /proc, new ones as seen since the last look */
static void poll_maps(struct recorder *r, uint64_t now)
{
	for (int i = 0; i < r->target.nr_pids; i++)
		mr_proc_poll_maps(&r->meta, &r->maps_last[i], r->maps_since, r->target.pids[i]);
	r->maps_since = now;
}

static void on_child_stop(void *ctx, pid_t pid)
{
	poll_maps(ctx, mr_now_ns());
}

static int setup_proc_maps(struct recorder *r)
{
	r->maps_last = mr_xcalloc(r->target.nr_pids, sizeof(*r->maps_last));
	r->maps_since = mr_now_ns();
	if (!r->target.child) {
		poll_maps(r, r->maps_since);
		return 0;
	}
	/* a short command would be gone before a look: it stops at exec and exit */
	r->target.on_stop = on_child_stop;
	r->target.on_stop_ctx = r;
	if (mr_target_trace(&r->target) < 0)
		mr_warning_errno("cannot ptrace the command to read its mappings at exit; "
				 "code it maps and unmaps between two looks is not symbolised");
	return 0;
}

static int setup_mmaps(struct recorder *r)
{
	if (r->meta.perf_refused)
		return setup_proc_maps(r);
	r->mmaps = mr_mmaps_open();
	for (int i = 0; i < r->target.nr_pids; i++) {
		if (mr_mmaps_add_process(r->mmaps, r->target.pids[i]) < 0)
			return -1;
		if (!r->target.child)
			mr_proc_snapshot_maps(&r->meta, r->t0, r->target.pids[i]);
	}
	mr_mmaps_start(r->mmaps, &r->meta);
	return 0;
}

static int event_id(const char *sysev, uint32_t *id)
{
	char *file = mr_xasprintf("events/%s/id", sysev);
	char *s = tracefs_instance_file_read(NULL, file, NULL);

	free(file);
	if (!s)
		return mr_error("cannot read the id of '%s'", sysev);
	*id = strtoul(s, NULL, 10);
	free(s);
	return 0;
}

static int setup_uprobe_samples(struct recorder *r, uint64_t depth)
{
	struct mr_samples *sm;

	if (r->o.ftrace_uprobes || !r->probes.nr || r->preload)
		return 0;
	r->probe_ids = mr_xcalloc(r->probes.nr, sizeof(*r->probe_ids));
	for (int i = 0; i < r->probes.nr; i++)
		if (event_id(r->probes.events[i], &r->probe_ids[i]) < 0)
			return -1;
	sm = r->samples[MR_SAMPLES_UPROBES] = mr_samples_open(MR_SAMPLES_UPROBES, r->probe_ids,
							   r->probes.nr, r->outdir.base, depth,
							   r->o.dwarf_stack, r->o.buffer_kb);
	if (!sm)
		return -1;
	for (int i = 0; i < r->target.nr_pids; i++)
		if (mr_samples_add_process(sm, r->target.pids[i]) < 0)
			return -1;
	return mr_samples_start(sm);
}

/*
 * For targets, kernel allocations are perf samples of the targets' tasks
 * (kernel and user stacks in one record), and kernel frees are perf
 * samples of every task: RCU callbacks, kworkers and ksoftirqd free what
 * the targets allocated, and a pid filter would miss those frees.
 */
static int setup_kernel_samples(struct recorder *r, uint64_t depth)
{
	uint32_t ids[2][16];
	int nr[2] = { 0, 0 };

	if (r->o.system_wide ||
	    !(r->o.groups & (MR_GROUP_KERNEL | MR_GROUP_PAGE | MR_GROUP_OOM)))
		return 0;
	for (int i = 0; r->events[i]; i++) {
		int all = sampled_hostwide(r, r->events[i]);

		if ((all || mr_event_is_kmem(r->events[i])) && nr[all] < 16 &&
		    event_id(r->events[i], &ids[all][nr[all]++]) < 0)
			return -1;
	}
	for (int k = 0; k < 2; k++) {
		enum mr_samples_kind kind = k ? MR_SAMPLES_KFREE : MR_SAMPLES_KALLOC;
		struct mr_samples *sm;

		if (!nr[k])
			continue;
		sm = r->samples[kind] = mr_samples_open(kind, ids[k], nr[k], r->outdir.base, depth,
						     r->o.dwarf_stack, r->o.buffer_kb);
		if (!sm)
			return -1;
		if (k && mr_samples_add_cpus(sm) < 0)
			return -1;
		for (int i = 0; !k && i < r->target.nr_pids; i++)
			if (mr_samples_add_process(sm, r->target.pids[i]) < 0)
				return -1;
		if (mr_samples_start(sm) < 0)
			return -1;
	}
	return 0;
}

/*
 * The targets' mapping syscalls: perf samples of their tasks, inherited,
 * with the user chain and a little stack (the direct caller of the libc
 * wrapper, as for kernel allocations).
 */
static int setup_mapping_samples(struct recorder *r, uint64_t depth)
{
	struct mr_samples *sm;
	uint32_t ids[16];
	int nr = 0;

	if (!(r->o.groups & MR_GROUP_MAPPINGS))
		return 0;
	for (int i = 0; r->events[i]; i++)
		if (mr_event_is_mapping(r->events[i]) && nr < 16 &&
		    event_id(r->events[i], &ids[nr++]) < 0)
			return -1;
	if (!nr)
		return 0;
	sm = r->samples[MR_SAMPLES_MAPS] = mr_samples_open(MR_SAMPLES_MAPS, ids, nr,
							   r->outdir.base, depth,
							   r->o.dwarf_stack, r->o.buffer_kb);
	if (!sm)
		return -1;
	for (int i = 0; i < r->target.nr_pids; i++)
		if (mr_samples_add_process(sm, r->target.pids[i]) < 0)
			return -1;
	return mr_samples_start(sm);
}

static int setup_samples(struct recorder *r)
{
	uint64_t depth = stack_depth(r);

	return setup_uprobe_samples(r, depth) < 0 || setup_kernel_samples(r, depth) < 0 ||
	       setup_mapping_samples(r, depth) < 0 ? -1 : 0;
}

static void fill_meta_start(struct recorder *r, int argc, char **argv)
{
	struct mr_buf b = { 0 };
	struct utsname u;
	struct timespec rt;

	r->meta.memrec_version = mr_xstrdup(MEMREC_VERSION);
	if (!uname(&u))
		r->meta.uname = mr_xasprintf("%s %s %s %s %s", u.sysname, u.nodename, u.release,
					     u.version, u.machine);
	r->meta.clock = mr_xstrdup("mono");
	r->meta.uprobes = mr_xstrdup(r->o.ftrace_uprobes ? "ftrace" : "perf");
	r->meta.groups = mr_groups_string(r->o.groups);
	r->meta.system_wide = r->o.system_wide;
	r->meta.flight_mb = r->o.flight_mb;
	r->meta.buffer_kb = r->o.buffer_kb;
	if (r->o.groups & MR_GROUP_KERNEL)
		mr_slabinfo_read(&r->meta);
	for (int i = 0; i < argc; i++)
		mr_buf_addf(&b, "%s%s", i ? " " : "", argv[i]);
	r->meta.command = b.data;
	clock_gettime(CLOCK_REALTIME, &rt);
	r->meta.start_epoch_ns = rt.tv_sec * 1000000000ull + rt.tv_nsec;
}

static void add_targets_meta(struct recorder *r)
{
	for (int i = 0; i < r->target.nr_pids; i++) {
		struct mr_buf b = { 0 };
		char *cmd;

		if (r->o.cmd) {
			for (char **a = r->o.cmd; *a; a++)
				mr_buf_addf(&b, "%s%s", a == r->o.cmd ? "" : " ", *a);
			cmd = b.data;
		} else {
			cmd = mr_target_cmdline(r->target.pids[i]);
		}
		mr_meta_add_target(&r->meta, r->target.pids[i], cmd);
		mr_memcg_snapshot(&r->meta, r->target.pids[i], r->t0, false);
		free(cmd);
	}
}

/* The sums over the kinds of perf samples; err gets the first write error. */
static void samples_stats(struct recorder *r, uint64_t *samples, uint64_t *lost,
			  uint64_t *bytes, int *err)
{
	*samples = *lost = *bytes = 0;
	for (size_t k = 0; k < ARRAY_SIZE(r->samples); k++) {
		uint64_t n, l, b;
		int e;

		if (!r->samples[k])
			continue;
		mr_samples_stats(r->samples[k], &n, &l, &b, &e);
		*samples += n;
		*lost += l;
		*bytes += b;
		if (err && e && !*err)
			*err = e;
	}
}

static int samples_error(struct recorder *r)
{
	for (size_t k = 0; k < ARRAY_SIZE(r->samples); k++)
		if (r->samples[k] && mr_samples_error(r->samples[k]))
			return mr_samples_error(r->samples[k]);
	return 0;
}

/* The one status line on a terminal: elapsed, events, lost, MB. */
static void print_status(struct recorder *r, bool final)
{
	uint64_t events = 0, lost = 0;
	struct mr_meta_cpu c;

	if (!isatty(STDERR_FILENO))
		return;
	uint64_t samples = 0, slost = 0, sbytes = 0;

	for (int cpu = 0; cpu < sysconf(_SC_NPROCESSORS_CONF) && r->inst; cpu++) {
		mr_ring_cpu_stats(r->inst, cpu, &c);
		events += c.entries + c.read;
		lost += (r->o.flight_mb ? 0 : c.overrun) + c.dropped;
	}
	samples_stats(r, &samples, &slost, &sbytes, NULL);
	events += samples;
	lost += slost;
	fprintf(stderr, "\rmemrec: %6.1f s  %10llu events  %8llu lost  %8.2f MB%s",
		(mr_now_ns() - r->t0) / 1e9, (unsigned long long)events,
		(unsigned long long)lost, (mr_stream_bytes(&r->stream) + sbytes) / 1048576.0,
		final ? "\n" : "");
}

/* Waits for a stop condition; returns the reason. */
static const char *wait_for_stop(struct recorder *r)
{
	/* a traced command waits for the loop at its signals and exit */
	struct timespec tick = { 0, (r->target.traced ? 10 : 200) * 1000000L };
	struct timespec settle = { 0, 300 * 1000000L };
	uint64_t last_status = 0, kills = mr_proc_oom_kills();

	for (;;) {
		int sig = sigtimedwait(&r->stop_sigs, NULL, &tick);
		uint64_t now = mr_now_ns();

		if (sig == SIGINT)
			return "interrupted (SIGINT)";
		if (sig == SIGTERM)
			return "terminated (SIGTERM)";
		if (sig == SIGHUP)
			return "hangup (SIGHUP)";
		if (r->stream.error || samples_error(r))
			return "write error";
		if (r->o.flight_mb && mr_proc_oom_kills() != kills) {
			/* let the kill's aftermath (reaping, exit) reach the buffer */
			nanosleep(&settle, NULL);
			return FLIGHT_REASON;
		}
		if (r->o.duration_s && now - r->t0 >= r->o.duration_s * 1000000000ull)
			return "duration reached";
		if (r->maps_last)
			poll_maps(r, now);
		if (!r->o.system_wide && !mr_target_alive(&r->target, r->inst))
			return "targets exited";
		if (r->o.groups & MR_GROUP_OOM)
			for (int i = 0; i < r->target.nr_pids; i++)
				mr_memcg_snapshot(&r->meta, r->target.pids[i], now, true);
		if (now - last_status > 1000000000ull) {
			print_status(r, false);
			last_status = now;
		}
	}
}

static void read_cpu_stats(struct recorder *r)
{
	r->meta.cpus = mr_xcalloc(r->stream.nr_cpus, sizeof(*r->meta.cpus));
	for (int cpu = 0; cpu < r->stream.nr_cpus; cpu++)
		mr_ring_cpu_stats(r->inst, cpu, &r->meta.cpus[r->meta.nr_cpus++]);
}

/* Build-ids the kernel did not give with the mmap record, read from disk now. */
static void add_build_ids(struct recorder *r)
{
	for (int i = 0; i < r->meta.nr_maps; i++) {
		const struct mr_meta_map *m = &r->meta.maps[i];
		char *bid;

		if (m->build_id || m->path[0] != '/' || mr_meta_buildid_of(&r->meta, m->path))
			continue;
		bid = mr_read_build_id(m->path);
		if (bid)
			mr_meta_add_buildid(&r->meta, bid, m->path);
		free(bid);
	}
}

static void warn_lsan_unread(const char *path)
{
	char *q = mr_quote_ctl(path);

	mr_warning("'%s' defines __lsan_default_suppressions but memrec could not read the "
		   "string it returns; its suppressions are not applied", q);
	free(q);
}

/*
 * The suppressions a module carries for LeakSanitizer, read now so that a
 * report on another host honours them as LSan would.
 */
static void add_lsan_suppressions(struct recorder *r)
{
	for (int i = 0; i < r->meta.nr_maps; i++) {
		const char *path = r->meta.maps[i].path;
		bool has_fn, seen = false;
		char *text;

		for (int j = 0; j < i && !seen; j++)
			seen = !strcmp(r->meta.maps[j].path, path);
		if (seen || path[0] != '/')
			continue;
		text = mr_read_lsan_suppressions(path, &has_fn);
		if (text)
			mr_meta_add_lsan(&r->meta, path, text);
		else if (has_fn)
			warn_lsan_unread(path);
		free(text);
	}
}

/* The trace's CPUs: the instance's, then as many more per set of perf samples. */
static void collect_files(struct recorder *r)
{
	int ncpu = r->stream.nr_cpus;

	r->files = mr_xcalloc(ncpu * (1 + ARRAY_SIZE(r->samples)), sizeof(*r->files));
	for (int cpu = 0; cpu < ncpu; cpu++)
		r->files[r->nr_files++] = r->stream.files[cpu];
	for (size_t k = 0; k < ARRAY_SIZE(r->samples); k++) {
		const char *const *sf = r->samples[k] ? mr_samples_files(r->samples[k]) : NULL;

		for (int cpu = 0; sf && cpu < ncpu; cpu++)
			r->files[r->nr_files++] = sf[cpu];
	}
}

static int write_file(struct recorder *r)
{
	struct mr_tracedat_opt opts[3];
	struct mr_buf sb = { 0 };
	struct mr_tracedat_out out = { 0 };
	struct mr_buf b = { 0 };
	char *cmdlines = tracefs_instance_file_read(NULL, "saved_cmdlines", NULL);
	char *tmp = mr_outdir_file(&r->outdir);
	int ret, nr = 1;

	mr_meta_encode(&r->meta, &b);
	opts[0] = (struct mr_tracedat_opt){ MR_OPTION_META, b.len, b.data };
	if (r->archive.len)
		opts[nr++] = (struct mr_tracedat_opt){ MR_OPTION_ARCHIVE, r->archive.len,
						       r->archive.data };
	if (r->snaps.nr) {
		mr_snapshots_encode(&r->snaps, &sb);
		opts[nr++] = (struct mr_tracedat_opt){ MR_OPTION_SNAPSHOTS, sb.len, sb.data };
	}
	out.hdr = r->hdr;
	out.cmdlines = cmdlines;
	out.nr_cpus = r->nr_files;
	out.cpu_files = r->files;
	out.opts = opts;
	out.nr_opts = nr;
	out.clock = "mono";
	out.unlink_cpu_files = 1;
	out.exclusive = 1;
	out.name = r->output;
	ret = mr_tracedat_write(tmp, &out);
	if (!ret)
		ret = mr_outdir_commit(&r->outdir, tmp, r->output);
	r->written = !ret;
	free(tmp);
	free(cmdlines);
	mr_buf_release(&b);
	mr_buf_release(&sb);
	return ret;
}

static void teardown(struct recorder *r)
{
	bool detached;

	if (r->inst) {
		tracefs_trace_off(r->inst);
		if (r->streaming)
			mr_stream_stop(&r->stream);
		r->streaming = false;
	}
	for (size_t k = 0; k < ARRAY_SIZE(r->samples); k++)
		mr_samples_stop(r->samples[k]);
	/* the kernel's part is slow: a child takes it, and our closes below are cheap */
	detached = r->tdir && mr_teardown_detach(r->tdir, r->name, &r->wd) > 0;
	mr_mmaps_close(r->mmaps);
	r->mmaps = NULL;
	mr_preload_close(r->preload);
	r->preload = NULL;
	for (size_t k = 0; k < ARRAY_SIZE(r->samples); k++) {
		mr_samples_close(r->samples[k], true);
		r->samples[k] = NULL;
	}
	if (r->inst) {
		if (!detached && tracefs_instance_destroy(r->inst) < 0)
			mr_warning_errno("cannot remove tracefs instance '%s'", r->name);
		tracefs_instance_free(r->inst);
		r->inst = NULL;
	}
	if (detached)
		mr_probes_release(&r->probes);
	else
		mr_probes_destroy(&r->probes);
	/* anything the calls above could not remove */
	if (r->tdir && !detached)
		mr_cleanup_state(r->tdir, r->name);
	if (r->target.child && r->target.release_fd > 0) {
		/*
		 * The command never ran: it must not outlive us, and it must
		 * go before the watchdog, whose pipe it still holds.
		 */
		close(r->target.release_fd);
		r->target.release_fd = -1;
		kill(r->target.child, SIGKILL);
		waitpid(r->target.child, NULL, 0);
		r->target.child_reaped = true;
	}
	/* before the watchdog, which would take what is left for a dead recorder's */
	mr_outdir_release(&r->outdir);
	if (detached)
		mr_watchdog_detach(&r->wd);
	else
		mr_watchdog_stop(&r->wd);
}

static int exclude_self(struct recorder *r);

static int start(struct recorder *r)
{
	/* before the command is started: a bad -o must not leave it held */
	mr_cleanup_stale_files(r->o.output);
	if (mr_outdir_create(&r->outdir, r->o.output) < 0 || check_tracefs(r) < 0)
		return -1;
	mr_cleanup_stale(r->tdir);
	if (mr_watchdog_start(&r->wd, r->tdir, r->name, r->outdir.dir) < 0)
		return -1;
	if (setup_target(r) || setup_instance(r) < 0 || setup_mmaps(r) < 0 ||
	    setup_samples(r) < 0)
		return -1;
	/* a flight recorder reads its ring buffers only at the end */
	/* set first: a partly started stream must be stopped by the teardown */
	r->streaming = !r->o.flight_mb;
	if (!r->o.flight_mb && mr_stream_start(&r->stream, r->inst, r->outdir.base) < 0)
		return -1;
	if (exclude_self(r) < 0)
		return -1;
	r->t0 = mr_now_ns();
	r->meta.start_ts = r->t0;
	if (tracefs_trace_on(r->inst) < 0)
		return mr_error_errno("cannot turn tracing on");
	add_targets_meta(r);
	mr_snapshots_take(&r->snaps, "start", r->t0);
	return mr_target_release(&r->target);
}

static int add_tid(pid_t tid, void *ctx)
{
	struct mr_buf *b = ctx;

	mr_buf_addf(b, "%scommon_pid != %d", b->len ? " && " : "", tid);
	return 0;
}

/*
 * -a: the recorder's own threads allocate pages and slab objects for every
 * page they splice and write; leave their allocations out (not their frees,
 * which may be RCU callbacks freeing other tasks' objects).
 */
static int exclude_self(struct recorder *r)
{
	struct mr_buf b = { 0 };
	int ret = 0;

	if (!r->o.system_wide || !(r->o.groups & (MR_GROUP_KERNEL | MR_GROUP_PAGE)))
		return 0;
	mr_for_each_thread(getpid(), add_tid, &b);
	for (int i = 0; r->events[i] && b.len && !ret; i++) {
		char *file;

		if (!mr_event_is_kmem(r->events[i]) || mr_event_is_kfree(r->events[i]))
			continue;
		file = mr_xasprintf("events/%s/filter", r->events[i]);
		if (tracefs_instance_file_write(r->inst, file, b.data) < 0)
			ret = mr_error_errno("cannot filter memrec's own allocations out of '%s'",
					     r->events[i]);
		free(file);
	}
	mr_buf_release(&b);
	return ret;
}

static void announce(struct recorder *r)
{
	char *cmd = r->o.cmd ? mr_quote_ctl(r->o.cmd[0]) : NULL;
	char *out = mr_quote_ctl(r->output);

	/* a host that refused perf was told so by check_perf() */
	if (r->o.ftrace_uprobes && r->probes.nr && !r->meta.perf_refused)
		mr_warning("--uprobes=ftrace: the probes are armed in every process mapping "
			   "this libc: all of them pay a trap of about 10 us per allocator call "
			   "and return while memrec records");
	if (r->o.system_wide)
		fprintf(stderr, "memrec: recording the whole host (-e %s) into '%s'; Ctrl-C to "
			"stop\n", r->meta.groups, out);
	else if (r->o.cmd)
		fprintf(stderr, "memrec: recording '%s' (pid %d) into '%s'%s\n", cmd,
			r->target.child, out, r->preload ? " (preload)" : "");
	else
		fprintf(stderr, "memrec: recording pid %s into '%s'; Ctrl-C to stop\n", r->o.pids,
			out);
	free(cmd);
	free(out);
}

/* Stops the ring-buffer readers and the samples; keeps their first write error. */
static void stop_streams(struct recorder *r)
{
	int err = 0;

	mr_stream_stop(&r->stream);
	r->streaming = false;
	r->bytes = mr_stream_bytes(&r->stream);
	r->write_error = r->stream.error;
	if (r->stream.error)
		mr_error("cannot write the ring buffers: %s", strerror(r->stream.error));
	/* the library's last records go to the sample pages before they are flushed */
	mr_preload_stop(r->preload);
	for (size_t k = 0; k < ARRAY_SIZE(r->samples); k++)
		mr_samples_stop(r->samples[k]);
	samples_stats(r, &r->meta.samples, &r->meta.samples_lost, &r->sample_bytes, &err);
	r->bytes += r->sample_bytes;
	if (err && !r->write_error) {
		r->write_error = err;
		mr_error("cannot write the allocator samples: %s", strerror(err));
	}
}

/* The state at stop: memcgs, /proc snapshots, why. */
static void stop_meta(struct recorder *r, const char *reason)
{
	r->meta.stop_ts = mr_now_ns();
	for (int i = 0; i < r->target.nr_pids; i++)
		mr_memcg_snapshot(&r->meta, r->target.pids[i], r->meta.stop_ts, false);
	r->meta.stop_reason = mr_xstrdup(reason);
	mr_snapshots_take(&r->snaps, "stop", r->meta.stop_ts);
}

/* What goes into the file besides the events: mappings, counters, symbols. */
static void finish_meta(struct recorder *r)
{
	collect_files(r);
	mr_mmaps_close(r->mmaps);
	r->mmaps = NULL;
	read_cpu_stats(r);
	add_build_ids(r);
	add_lsan_suppressions(r);
	if (!r->o.no_embed)
		mr_embed_modules(&r->meta, r->o.debuginfo, &r->archive, &r->embed);
	if (r->write_error == ENOSPC || r->write_error == EDQUOT)
		r->meta.truncated_bytes += mr_make_room(r->files, r->nr_files,
							mr_tracedat_hdr_bytes(r->hdr) +
							r->archive.len);
}

/*
 * The kernel frees what the targets held at their teardown, after their exit
 * and after RCU grace periods: record until then. Not for an OOM window
 * (written as it was at the kill) nor after a write error.
 */
static void settle(struct recorder *r, const char *reason)
{
	bool sig = strstr(reason, "(SIG") != NULL;

	if (!(r->o.groups & (MR_GROUP_KERNEL | MR_GROUP_PAGE)) || r->o.system_wide ||
	    r->o.flight_mb || !strcmp(reason, "write error"))
		return;
	mr_settle(&r->target, r->inst, sig && r->target.child, &r->meta);
}

static int stop_and_write(struct recorder *r, const char *reason)
{
	int ret;

	mr_target_untrace(&r->target);
	if (r->maps_last)
		poll_maps(r, mr_now_ns());
	settle(r, reason);
	tracefs_trace_off(r->inst);
	if (r->o.flight_mb) {
		r->streaming = true;
		if (mr_stream_start(&r->stream, r->inst, r->outdir.base) < 0)
			return -1;
	}
	stop_meta(r, reason);
	stop_streams(r);
	/*
	 * a write error that only the last flush met (a target on the preload
	 * path can exit first) is still why the file ends where it does
	 */
	if (r->write_error && strcmp(reason, "write error")) {
		free(r->meta.stop_reason);
		r->meta.stop_reason = mr_xstrdup("write error");
	}
	finish_meta(r);
	ret = write_file(r);
	print_status(r, true);
	/* the file is readable, but what was asked for was not recorded */
	return r->write_error ? -1 : ret;
}

static void summary(struct recorder *r, const char *reason, int ret)
{
	bool heap = r->o.groups & (MR_GROUP_USER | MR_GROUP_KERNEL | MR_GROUP_PAGE |
				    MR_GROUP_MAPPINGS);
	uint64_t lost = mr_meta_lost(&r->meta);

	if (ret < 0 && !r->write_error)
		return;
	if (!r->written) {
		/* the header did not fit, or the file could not be put in place */
		fprintf(stderr, "memrec: stopped after %.1f s: %s; no file was written\n",
			(r->meta.stop_ts - r->meta.start_ts) / 1e9, reason);
		return;
	}
	fprintf(stderr, "memrec: stopped after %.1f s: %s; wrote '%s' (%.2f MB of events)%s\n",
		(r->meta.stop_ts - r->meta.start_ts) / 1e9, reason, r->output,
		r->bytes / 1048576.0, lost || r->meta.truncated_bytes ? "" : ", no events lost");
	if (lost)
		mr_warning("%llu events were lost (ring buffer full); raise -b", (unsigned long long)lost);
	if (r->embed.modules)
		fprintf(stderr, "memrec: embedded the symbols of %d modules%s (%.2f MB)\n",
			r->embed.modules, r->o.debuginfo ? " with debug info" : "",
			r->embed.stored / 1048576.0);
	if (r->meta.truncated_bytes)
		mr_warning("the disk was full: '%s' keeps the events up to there; the newest "
			   "%.1f MB were dropped to fit it", r->output,
			   r->meta.truncated_bytes / 1048576.0);
	if (r->target.child && r->target.child_reaped && WIFSIGNALED(r->target.child_status))
		fprintf(stderr, "memrec: the command was killed by signal %d\n",
			WTERMSIG(r->target.child_status));
	fprintf(stderr, "memrec: run 'memrec report%s%s%s' to see the %s%s\n",
		heap ? "" : " oom", strcmp(r->output, "memrec.dat") ? " -i " : "",
		strcmp(r->output, "memrec.dat") ? r->output : "",
		heap ? "leaks" : "road to the OOM kills",
		heap ? " ('memrec report frag': the fragmentation)" : "");
}

/* --keep: an empty window again, and the next file name. */
static int rearm(struct recorder *r)
{
	mr_stream_release(&r->stream, true);
	free(r->files);
	r->files = NULL;
	r->nr_files = 0;
	free(r->meta.cpus);
	r->meta.cpus = NULL;
	r->meta.nr_cpus = 0;
	free(r->meta.stop_reason);
	r->meta.stop_reason = NULL;
	mr_buf_release(&r->archive);
	mr_snapshots_release(&r->snaps);
	r->bytes = 0;
	free(r->output_buf);
	r->output = r->output_buf = mr_xasprintf("%s.%d", r->o.output, ++r->nr_written);
	if (tracefs_instance_file_clear(r->inst, "trace") < 0)
		return mr_error_errno("cannot clear the ring buffers");
	r->t0 = r->meta.start_ts = mr_now_ns();
	if (tracefs_trace_on(r->inst) < 0)
		return mr_error_errno("cannot turn tracing on");
	mr_snapshots_take(&r->snaps, "start", r->t0);
	fprintf(stderr, "memrec: watching for the next OOM kill; it goes to '%s'\n", r->output);
	return 0;
}

/* Stop signals are taken synchronously by the main loop only. */
static void take_signals(struct recorder *r)
{
	sigemptyset(&r->stop_sigs);
	sigaddset(&r->stop_sigs, SIGINT);
	sigaddset(&r->stop_sigs, SIGTERM);
	sigaddset(&r->stop_sigs, SIGHUP);
	/* not a stop by itself: wakes the wait as soon as the command exits */
	sigaddset(&r->stop_sigs, SIGCHLD);
	sigprocmask(SIG_BLOCK, &r->stop_sigs, NULL);
	/* a command that died while held must not kill us through its pipe */
	signal(SIGPIPE, SIG_IGN);
	/* past a file size limit, write() must fail with EFBIG, not kill us */
	signal(SIGXFSZ, SIG_IGN);
}

/* Records until a stop condition, writes; with --keep, again after each kill. */
static int record(struct recorder *r, const char **reason)
{
	int ret;

	announce(r);
	for (;;) {
		*reason = wait_for_stop(r);
		ret = stop_and_write(r, *reason);
		if (!r->o.keep || ret < 0 || strcmp(*reason, FLIGHT_REASON))
			return ret;
		summary(r, *reason, ret);
		if (rearm(r) < 0)
			return -1;
	}
}

static void release(struct recorder *r)
{
	for (int i = 0; r->maps_last && i < r->target.nr_pids; i++)
		free(r->maps_last[i]);
	free(r->maps_last);
	mr_target_release_all(&r->target);
	mr_tracedat_hdr_free(r->hdr);
	mr_buf_release(&r->archive);
	mr_snapshots_release(&r->snaps);
	free(r->events);
	free(r->files);
	free(r->probe_ids);
	free(r->output_buf);
	mr_meta_release(&r->meta);
}

int mr_cmd_record(int argc, char **argv)
{
	struct recorder r;
	const char *reason = "setup failed";
	int ret;

	memset(&r, 0, sizeof(r));
	ret = parse_opts(&r.o, argc, argv);
	if (ret)
		return ret > 0 ? MR_EXIT_OK : MR_EXIT_USAGE;
	mr_meta_init(&r.meta);
	snprintf(r.name, sizeof(r.name), MR_GROUP_PREFIX "%d", getpid());
	take_signals(&r);
	fill_meta_start(&r, argc, argv);
	ret = start(&r);
	r.output = r.o.output;
	if (!ret)
		ret = record(&r, &reason);
	teardown(&r);
	if (r.stream.files)
		mr_stream_release(&r.stream, true);
	summary(&r, reason, ret);
	release(&r);
	return ret < 0 ? MR_EXIT_FAIL : MR_EXIT_OK;
}
