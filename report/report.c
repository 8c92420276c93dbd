// SPDX-License-Identifier: GPL-2.0
/*
 * report.c - `memrec report`: checks the file and reads memrec's metadata,
 * runs every event through the pairing engine, then hands the leak
 * analysis to the writer chosen with --format.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "mr_cmds.h"
#include "mr_tracedat.h"
#include "report.h"

/* The reports, and a writer per format for each. */
struct report_kind {
	const char	*name;
	const char	*format;
	int		(*leaks)(FILE *f, struct mr_report *rep, const struct mr_leaks *l);
	int		(*oom)(FILE *f, struct mr_report *rep, struct mr_oom *o);
	int		(*frag)(FILE *f, struct mr_report *rep);
};

static const struct report_kind kinds[] = {
	{ "leak", "text", mr_write_text_leaks, NULL },
	{ "leak", "json", mr_write_json_leaks, NULL },
	{ "oom", "text", NULL, mr_write_text_oom },
	{ "oom", "json", NULL, mr_write_json_oom },
	{ "oom", "html", NULL, mr_write_html_oom },
	{ "frag", "text", NULL, NULL, mr_write_text_frag },
	{ "frag", "json", NULL, NULL, mr_write_json_frag },
};

static const char report_usage[] =
"usage: memrec report [options] [leak | oom | frag]\n"
"\n"
"Reads a file written by 'memrec record' (here or on another host).\n"
"leak (default): the blocks still allocated at the end of the trace, grouped by\n"
"call stack and sorted by bytes, with the counts of everything recorded and lost.\n"
"oom: per process, RSS by kind over time, reclaim and compaction stalls, and\n"
"each OOM kill: victim, trigger, memcg or global, and what grew before it\n"
"(record with -e oom).\n"
"frag: slab waste per call site and cache, page orders and migratetypes,\n"
"fallbacks and free-block fragmentation per zone before vs after, and the user\n"
"heap's live bytes vs span, free gaps and the block that pins its top.\n"
"\n"
"  -i, --input FILE      read FILE (default memrec.dat)\n"
"  -f, --format FMT      text (default) or json; oom also html\n"
"  -t, --top N           show the N biggest call sites (default 10 for text,\n"
"                        all for json; 0 = all)\n"
"  -a, --min-age SEC     leave out blocks younger than SEC seconds at the end\n"
"  -p, --pid PID         only process PID\n"
"      --inherited       count blocks a child inherited at fork and never freed\n"
"      --debug-dir DIR   look for modules by build-id in DIR/.build-id (repeatable)\n"
"      --sysroot DIR     look for modules at DIR/their-recorded-path\n"
"  -v, --verbose         say more (repeat for more)\n"
"  -h, --help            this text\n";

static int parse_double(const char *s, double *out)
{
	char *end;

	*out = strtod(s, &end);
	return (*end || end == s || *out < 0) ? -1 : 0;
}

static int parse_opts(struct mr_report_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "format", required_argument, NULL, 'f' },
		{ "top", required_argument, NULL, 't' },
		{ "min-age", required_argument, NULL, 'a' },
		{ "pid", required_argument, NULL, 'p' },
		{ "inherited", no_argument, NULL, 'I' },
		{ "debug-dir", required_argument, NULL, 'G' },
		{ "sysroot", required_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t n;
	int c;

	o->input = "memrec.dat";
	o->format = "text";
	o->top = -1;
	while ((c = getopt_long(argc, argv, "i:f:t:a:p:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': o->input = optarg; break;
		case 'f': o->format = optarg; break;
		case 't':
			if (mr_parse_u64(optarg, &n) < 0 || n > 1000000000)
				return mr_usage_error("--top takes a count, not '%s'", optarg);
			o->top = n;
			break;
		case 'a':
			if (parse_double(optarg, &o->min_age_s) < 0)
				return mr_usage_error("--min-age takes seconds, not '%s'", optarg);
			break;
		case 'p':
			if (mr_parse_u64(optarg, &n) < 0 || !n || n > 0x3fffffff)
				return mr_usage_error("--pid takes a pid, not '%s'", optarg);
			o->pid = n;
			break;
		case 'I': o->inherited = true; break;
		case 'G':
			if (o->nr_debug_dirs == (int)ARRAY_SIZE(o->debug_dirs))
				return mr_usage_error("at most %zu --debug-dir",
						      ARRAY_SIZE(o->debug_dirs));
			o->debug_dirs[o->nr_debug_dirs++] = optarg;
			break;
		case 'S': o->sysroot = optarg; break;
		case 'v': mr_set_verbosity(mr_verbosity() + 1); break;
		case 'h': fputs(report_usage, stdout); return 1;
		default: fputs(report_usage, stderr); return -MR_EXIT_USAGE;
		}
	}
	o->kind = "leak";
	for (; optind < argc; optind++) {
		if (strcmp(argv[optind], "leak") && strcmp(argv[optind], "oom") &&
		    strcmp(argv[optind], "frag"))
			return mr_usage_error("unknown report '%s'; the reports are: leak, oom, frag",
					      argv[optind]);
		o->kind = argv[optind];
	}
	if (o->top < 0)
		o->top = strcmp(o->format, "text") ? 0 : 10;
	return 0;
}

static const struct report_kind *find_kind(const char *kind, const char *format)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(kinds[i].name, kind) && !strcmp(kinds[i].format, format))
			return &kinds[i];
	return NULL;
}

static int load_meta(struct mr_report *rep)
{
	void *data;
	uint32_t size;
	int ret;

	ret = mr_tracedat_find_option(rep->o->input, MR_OPTION_META, &data, &size);
	if (ret < 0)
		return -1;
	if (ret > 0)
		return mr_error("'%s' was not written by memrec record (no memrec metadata); "
				"'trace-cmd report' reads plain trace files", rep->o->input);
	ret = mr_meta_decode(&rep->meta, data, size, rep->o->input);
	free(data);
	if (ret < 0)
		return -1;
	/* optional: files of -e user only, or before snapshots were taken, have none */
	ret = mr_tracedat_find_option(rep->o->input, MR_OPTION_SNAPSHOTS, &data, &size);
	if (ret < 0)
		return -1;
	if (!ret) {
		ret = mr_snapshots_decode(&rep->snaps, data, size, rep->o->input);
		free(data);
	}
	return ret < 0 ? -1 : 0;
}

/*
 * A kernel allocation has a frame-pointer chain and a small stack copy. The
 * chain starts at the interrupted ip and goes on from the caller's frame
 * pointer, so it skips the direct caller of a frameless function (a libc
 * syscall wrapper). Unwinding the copy with the CFI gives that caller (u[1];
 * the copy is too short to trust further): it goes in as frame 1 unless the
 * chain has it already.
 */
static int merge_chains(const uint64_t *u, int nu, const uint64_t *f, int nf, uint64_t *out)
{
	int n;

	if (nu < 2 || nf < 1 || u[0] != f[0] || (nf > 1 && f[1] == u[1]))
		return 0;
	out[0] = f[0];
	out[1] = u[1];
	n = nf - 1 < MR_MAX_STACK - 2 ? nf - 1 : MR_MAX_STACK - 2;
	memcpy(out + 2, f + 1, n * sizeof(*f));
	return 2 + n;
}

/*
 * A frame-pointer walk through code that uses rbp as a scratch register
 * (much of libc) reads stack data as return addresses: the chain ends at
 * the first address no module maps.
 */
static int mapped_prefix(struct mr_report *rep, const struct mr_event *ev, const uint64_t *f,
			 int n)
{
	for (int i = 1; i < n; i++)
		if (!mr_symbols_mapped(rep->symbols, ev->tgid ? ev->tgid : ev->tid, ev->ts, f[i]))
			return i;
	return n;
}

/* --call-graph dwarf: the stack comes from unwinding the copy now. */
static void unwind(struct mr_report *rep, const struct mr_event *ev, struct mr_event *out,
		   uint64_t *frames)
{
	uint64_t u[MR_MAX_STACK];
	int nu;

	*out = *ev;
	nu = mr_symbols_unwind(rep->symbols, ev->tgid ? ev->tgid : ev->tid, ev->ts, ev->uregs,
			       ev->ustack_copy, ev->ustack_len, u, MR_MAX_STACK);
	if (ev->nr_stack > 0 && ev->stack) {
		out->nr_stack = merge_chains(u, nu, ev->stack, ev->nr_stack, frames);
		if (!out->nr_stack) {
			out->nr_stack = ev->nr_stack;
			memcpy(frames, ev->stack, ev->nr_stack * sizeof(*frames));
		}
		out->nr_stack = mapped_prefix(rep, ev, frames, out->nr_stack);
	} else {
		out->nr_stack = nu;
		memcpy(frames, u, nu * sizeof(*frames));
	}
	out->stack = frames;
	rep->unwound++;
}

/* A forked child's modules are its parent's until it maps its own. */
static void note_fork(struct mr_report *rep, const struct mr_event *ev)
{
	const struct mr_aspace *as = mr_pairing_find_aspace(rep->pairing, ev->child_tid, ev->ts);
	const struct mr_aspace *parent;

	if (!as || as->parent_id < 0 || as->pid != ev->child_tid)
		return;
	parent = mr_pairing_aspace(rep->pairing, as->parent_id);
	if (parent && parent->pid != as->pid)
		mr_symbols_inherit(rep->symbols, as->pid, parent->pid, ev->ts);
}

static void on_event(const struct mr_event *ev, void *ctx)
{
	struct mr_report *rep = ctx;
	uint64_t frames[MR_MAX_STACK];
	struct mr_event copy;

	if (ev->uregs) {
		unwind(rep, ev, &copy, frames);
		ev = &copy;
	}
	mr_pairing_feed(rep->pairing, ev);
	if (ev->kind >= MR_EV_SLAB_ALLOC)
		mr_kmem_feed(rep->kmem, ev);
	if (rep->oom)
		mr_oom_feed(rep->oom, ev);
	if (ev->kind == MR_EV_TASK_NEW)
		note_fork(rep, ev);
}

/* Symbols must be ready before the events: dwarf stacks are unwound as read. */
static void setup_symbols(struct mr_report *rep)
{
	const struct mr_meta *m = &rep->meta;

	rep->symbols = mr_symbols_new();
	rep->unpacked = mr_unpack_symbols(rep->o->input);
	if (rep->unpacked)
		mr_symbols_add_debug_dir(rep->symbols, rep->unpacked, "the copy in the trace file");
	for (int i = 0; i < rep->o->nr_debug_dirs; i++)
		mr_symbols_add_debug_dir(rep->symbols, rep->o->debug_dirs[i], "--debug-dir");
	if (rep->o->sysroot)
		mr_symbols_set_sysroot(rep->symbols, rep->o->sysroot);
	for (int i = 0; i < m->nr_maps; i++) {
		const struct mr_meta_map *p = &m->maps[i];
		const char *bid = p->build_id ? p->build_id : mr_meta_buildid_of(m, p->path);

		mr_symbols_add_map(rep->symbols, p->pid, p->ts, p->start, p->len, p->pgoff,
				   p->path, bid);
	}
}

static void count_lost(struct mr_report *rep)
{
	uint64_t stats = mr_meta_lost(&rep->meta);

	/* the pages' own marks and the stats count the same losses: take the larger */
	rep->lost_total = stats > rep->rstats.missed ? stats : rep->rstats.missed;
}

static void heap_live(const struct mr_block *b, void *ctx)
{
	mr_frag_heap_live(ctx, b);
}

static void heap_dead(const struct mr_block *b, uint64_t ts, void *ctx)
{
	mr_frag_heap_dead(ctx, b, ts);
}

static int analyse(struct mr_report *rep)
{
	struct mr_reader *r = mr_reader_open(rep->o->input);
	int ret;

	if (!r)
		return -1;
	rep->pairing = mr_pairing_new();
	rep->kmem = mr_kmem_new(rep->pairing, rep->meta.nr_cpus);
	rep->reader = r;
	if (rep->heap) {
		struct mr_pairing_hooks hooks = { heap_live, heap_dead, rep->heap };

		mr_pairing_set_hooks(rep->pairing, &hooks);
	}
	setup_symbols(rep);
	ret = mr_reader_run(r, on_event, rep);
	rep->rstats = *mr_reader_stats(r);
	if (ret < 0)
		return -1;
	rep->end_ts = rep->meta.stop_ts > rep->rstats.last_ts ? rep->meta.stop_ts
							     : rep->rstats.last_ts;
	mr_pairing_finish(rep->pairing, rep->end_ts);
	count_lost(rep);
	mr_info(1, "%llu records, %llu events, %llu user stacks (%llu unwound)",
		(unsigned long long)rep->rstats.records, (unsigned long long)rep->rstats.events,
		(unsigned long long)rep->rstats.stacks, (unsigned long long)rep->unwound);
	return 0;
}

int mr_report_frames(struct mr_report *rep, const struct mr_leak *l, struct mr_frame *frames,
		     int max)
{
	const struct mr_aspace *as = mr_pairing_aspace(rep->pairing, l->aspace);
	const uint64_t *stack;
	int nr, out = 0;

	stack = mr_pairing_stack(rep->pairing, l->stack, &nr);
	/* inlined calls add frames, so the stack can fill frames[] early */
	for (int i = 0; i < nr && out < max; i++)
		out += mr_symbols_lookup_inline(rep->symbols, as ? as->pid : 0, l->ts_min,
						stack[i], true, &frames[out], max - out);
	return out;
}

int mr_report_kframes(struct mr_report *rep, const struct mr_kleak *l, bool kernel,
		      struct mr_frame *frames, int max)
{
	uint32_t id = kernel ? l->kstack : l->ustack;
	const uint64_t *stack;
	int nr, out = 0;

	if (id == MR_NO_STACK)
		return 0;
	stack = mr_pairing_stack(rep->pairing, id, &nr);
	for (int i = 0; i < nr && out < max; i++) {
		if (!kernel) {
			out += mr_symbols_lookup_inline(rep->symbols, l->pid, l->ts_min, stack[i],
							i > 0, &frames[out], max - out);
			continue;
		}
		frames[out] = (struct mr_frame){ .addr = stack[i], .module = "[kernel]" };
		frames[out].function = mr_report_ksym(rep, stack[i], &frames[out].offset);
		out++;
	}
	return out;
}

const char *mr_report_kcomm(struct mr_report *rep, int pid)
{
	const struct mr_aspace *as = mr_pairing_find_aspace(rep->pairing, pid, rep->end_ts);
	const char *c = as && as->comm[0] ? as->comm : NULL;

	return c ? c : rep->reader ? mr_reader_comm(rep->reader, pid) : "?";
}

const char *mr_report_ksym(struct mr_report *rep, uint64_t addr, uint64_t *off)
{
	return rep->reader ? mr_reader_ksym(rep->reader, addr, off) : NULL;
}

const char *mr_report_comm(struct mr_report *rep, uint32_t aspace)
{
	const struct mr_aspace *as = mr_pairing_aspace(rep->pairing, aspace);
	const char *slash;

	if (!as)
		return "?";
	if (as->comm[0])
		return as->comm;
	if (as->exe) {
		slash = strrchr(as->exe, '/');
		return slash ? slash + 1 : as->exe;
	}
	return "?";
}

int mr_cmd_report(int argc, char **argv)
{
	struct mr_report_opts o = { 0 };
	const struct report_kind *k;
	struct mr_report rep;
	struct mr_leaks leaks;
	int ret;

	ret = parse_opts(&o, argc, argv);
	if (ret)
		return ret > 0 ? MR_EXIT_OK : MR_EXIT_USAGE;
	k = find_kind(o.kind, o.format);
	if (!k) {
		mr_usage_error("unknown format '%s' for the %s report; use text or json%s",
			       o.format, o.kind, strcmp(o.kind, "oom") ? "" : " or html");
		return MR_EXIT_USAGE;
	}
	memset(&rep, 0, sizeof(rep));
	rep.o = &o;
	if (k->oom)
		rep.oom = mr_oom_new();
	if (k->frag)
		rep.heap = mr_frag_heap_new();
	ret = load_meta(&rep);
	if (!ret)
		ret = analyse(&rep);
	if (!ret && k->frag) {
		mr_frag_heap_finish(rep.heap, &rep);
		ret = k->frag(stdout, &rep);
	} else if (!ret && k->oom) {
		mr_oom_finish(rep.oom, &rep);
		ret = k->oom(stdout, &rep, rep.oom);
	} else if (!ret) {
		mr_leaks_build(&rep, &leaks);
		mr_kmem_leaks(rep.kmem, &rep, &leaks);
		ret = k->leaks(stdout, &rep, &leaks);
		mr_leaks_release(&leaks);
	}
	mr_oom_free(rep.oom);
	mr_kmem_free(rep.kmem);
	mr_reader_close(rep.reader);
	mr_frag_heap_free(rep.heap);
	mr_symbols_free(rep.symbols);
	mr_unpack_remove(rep.unpacked);
	mr_pairing_free(rep.pairing);
	mr_snapshots_release(&rep.snaps);
	mr_meta_release(&rep.meta);
	return ret < 0 ? MR_EXIT_FAIL : MR_EXIT_OK;
}
