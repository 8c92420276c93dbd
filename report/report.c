// SPDX-License-Identifier: GPL-2.0
/*
 * report.c - `memrec report`: one way through, file -> model -> analyser ->
 * writer. Reads the options, opens the file into the context (model/),
 * feeds every event to the model and then to the chosen report's analyser,
 * and hands the finished analyser to the writer of the chosen format.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "memrec.h"
#include "mr_cmds.h"
#include "mr_options.h"
#include "mr_outfile.h"
#include "model/analyser.h"
#include "leak/diff.h"
#include "output/output.h"

/* The reports, and a writer per format for each. */
struct report_kind {
	const struct mr_analyser	*analyser;
	struct mr_writer		writers[6];
};

static const struct report_kind kinds[] = {
	{ &mr_leak_analyser, { { "text", mr_leak_write_text }, { "json", mr_leak_write_json },
			       { "folded", mr_leak_write_folded }, { "html", mr_leak_write_html },
			       { "pprof", mr_leak_write_pprof, .binary = true } } },
	{ &mr_oom_analyser, { { "text", mr_oom_write_text }, { "json", mr_oom_write_json },
			      { "html", mr_oom_write_html } } },
	{ &mr_frag_analyser, { { "text", mr_frag_write_text }, { "json", mr_frag_write_json } } },
};

/* `memrec report diff OLD NEW`: two files through the leak analyser, compared */
struct diff_writer {
	const char	*format;
	int		(*write)(FILE *f, const struct mr_leak_diff *d);
};

static const struct diff_writer diff_writers[] = {
	{ "text", mr_leak_diff_write_text }, { "json", mr_leak_diff_write_json },
};

static const char report_usage[] =
"usage: memrec report [options] [leak | oom | frag]\n"
"   or: memrec report [options] diff OLD NEW\n"
"\n"
"Reads a file written by 'memrec record' (here or on another host).\n"
"leak (default): the blocks still allocated at the end of the trace, grouped by\n"
"call stack and sorted by bytes, with the counts of everything recorded and lost.\n"
"oom: per process, RSS by kind over time, reclaim and compaction stalls, and\n"
"each OOM kill: victim, trigger, memcg or global, and what grew before it\n"
"(the oom group, recorded by default).\n"
"frag: slab waste per call site and cache, page orders and migratetypes,\n"
"fallbacks and free-block fragmentation per zone before vs after, and the user\n"
"heap's live bytes vs span, free gaps and the block that pins its top.\n"
"diff OLD NEW: the leak report of two recordings of the same program compared:\n"
"the call sites (matched by process name, allocator, and the stack's functions\n"
"and modules, not addresses) that hold more at the end of NEW than of OLD, most\n"
"growth first, then a count of the unchanged, shrunk, gone and new ones.\n";

static int set_top(const struct mr_option *opt, const char *arg)
{
	uint64_t n;

	if (mr_parse_u64(arg, &n) < 0 || n > 1000000000)
		return mr_usage_error("--top takes a count, not '%s'", arg);
	*(int *)opt->value = n;
	return 0;
}

static int set_min_age(const struct mr_option *opt, const char *arg)
{
	double *out = opt->value;
	char *end;

	*out = strtod(arg, &end);
	if (*end || end == arg || *out < 0)
		return mr_usage_error("--min-age takes seconds, not '%s'", arg);
	return 0;
}

static int set_pid(const struct mr_option *opt, const char *arg)
{
	uint64_t n;

	if (mr_parse_u64(arg, &n) < 0 || !n || n > 0x3fffffff)
		return mr_usage_error("--pid takes a pid, not '%s'", arg);
	*(int *)opt->value = n;
	return 0;
}

static int add_debug_dir(const struct mr_option *opt, const char *arg)
{
	struct mr_report_opts *o = opt->value;

	if (o->nr_debug_dirs == (int)ARRAY_SIZE(o->debug_dirs))
		return mr_usage_error("at most %zu --debug-dir", ARRAY_SIZE(o->debug_dirs));
	o->debug_dirs[o->nr_debug_dirs++] = arg;
	return 0;
}

/* Returns the index of the first argument left, 0 after -h, or < 0 after an error. */
static int parse_table(struct mr_report_opts *o, const char **sort, int argc, char **argv)
{
	const struct mr_option table[] = {
		MR_OPT_STRING('i', "input", &o->input, "FILE",
			      "read FILE (default memrec.dat; diff takes its two files as arguments)"),
		MR_OPT_STRING('f', "format", &o->format, "FMT",
			      "text (default) or json; leak also folded (flame graph stacks), "
			      "html (one self-contained page) and pprof (a gzipped profile.proto, "
			      "with -o), oom also html"),
		MR_OPT_STRING('o', "output", &o->output, "FILE",
			      "write the report to FILE instead of stdout ('-': stdout, but never "
			      "a binary format to a terminal)"),
		MR_OPT_CALLBACK('t', "top", &o->top, "N", set_top,
				"show the N biggest call sites (default 10 for text, all for json; "
				"0 = all)"),
		MR_OPT_CALLBACK('a', "min-age", &o->min_age_s, "SEC", set_min_age,
				"leave out blocks younger than SEC seconds at the end"),
		MR_OPT_CALLBACK('p', "pid", &o->pid, "PID", set_pid, "only process PID"),
		MR_OPT_STRING(0, "sort", sort, "KEY",
			      "leak rows by bytes (default) or growth (growing sites first, then "
			      "plateau, then transient; by bytes within)"),
		MR_OPT_FLAG(0, "ascii", &o->ascii,
			    "draw the leak rows' growth sparklines with ASCII characters (the "
			    "default when the locale's character set is not UTF-8)"),
		MR_OPT_STRING(0, "value", &o->value, "WHAT",
			      "with --format folded: weigh each stack by its bytes (default) or "
			      "blocks"),
		MR_OPT_STRING(0, "suppress", &o->suppress, "FILE",
			      "leave out the leaks whose stack matches a pattern of FILE "
			      "(LeakSanitizer's leak:PATTERN lines: a function, module or source file)"),
		MR_OPT_FLAG(0, "no-suppress", &o->no_suppress,
			    "show the runtime's one-time allocations too (stdio buffers, thread TLS, "
			    "ld.so, libstdc++'s emergency pool) and what the program's own "
			    "__lsan_default_suppressions() covers, left out by default"),
		MR_OPT_FLAG(0, "inherited", &o->inherited,
			    "count blocks a child inherited at fork and never freed"),
		MR_OPT_CALLBACK(0, "debug-dir", o, "DIR", add_debug_dir,
				"look for modules by build-id in DIR/.build-id (repeatable)"),
		MR_OPT_STRING(0, "sysroot", &o->sysroot, "DIR",
			      "look for modules at DIR/their-recorded-path"),
		MR_OPT_VERBOSE(),
		MR_OPT_HELP(),
		MR_OPT_END(),
	};
	const struct mr_opts opts = { report_usage, table, NULL, .in_order = false };

	return mr_parse_options(&opts, argc, argv);
}

static const struct report_kind *find_kind(const char *name);

/* diff OLD NEW: the two files, and the options that make no sense with two */
static int parse_diff(struct mr_report_opts *o, const char **files, int argc, char **argv)
{
	if (argc != 3)
		return mr_usage_error("diff takes two files, OLD and NEW, not %d", argc - 1);
	if (o->input)
		return mr_usage_error("diff takes its two files as arguments, not -i");
	files[0] = argv[1];
	files[1] = argv[2];
	o->kind = "diff";
	return 0;
}

/* 0, 1 after -h, or -MR_EXIT_USAGE; files[]: diff's two files */
static int parse_opts(struct mr_report_opts *o, const char **files, int argc, char **argv)
{
	const char *sort = NULL;
	int first;

	o->format = "text";
	o->top = -1;
	first = parse_table(o, &sort, argc, argv);
	if (first <= 0)
		return first < 0 ? -MR_EXIT_USAGE : 1;
	o->kind = "leak";
	if (first < argc && !strcmp(argv[first], "diff")) {
		if (parse_diff(o, files, argc - first, argv + first))
			return -MR_EXIT_USAGE;
	} else {
		for (; first < argc; first++) {
			if (!find_kind(argv[first]))
				return mr_usage_error("unknown report '%s'; the reports are: leak, oom, "
						      "frag, diff", argv[first]);
			o->kind = argv[first];
		}
	}
	if (!o->input)
		o->input = "memrec.dat";
	if (o->top >= 0 && !strcmp(o->format, "pprof"))
		return mr_usage_error("--top does not go with --format pprof: the profile holds "
				      "every row (pprof's -nodecount trims the view)");
	if (o->top < 0)
		o->top = strcmp(o->format, "text") ? 0 : 10;
	o->alloc_totals = !strcmp(o->format, "pprof");
	if (o->value && strcmp(o->format, "folded"))
		return mr_usage_error("--value goes with --format folded");
	if (o->value && strcmp(o->value, "bytes") && strcmp(o->value, "blocks"))
		return mr_usage_error("--value takes bytes or blocks, not '%s'", o->value);
	o->value_blocks = o->value && !strcmp(o->value, "blocks");
	if (sort && strcmp(sort, "bytes") && strcmp(sort, "growth"))
		return mr_usage_error("--sort takes bytes or growth, not '%s'", sort);
	if (sort && strcmp(o->kind, "leak"))
		return mr_usage_error("--sort goes with the leak report");
	o->sort_growth = sort && !strcmp(sort, "growth");
	return 0;
}

static const struct report_kind *find_kind(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(kinds[i].analyser->name, name))
			return &kinds[i];
	return NULL;
}

static const struct mr_writer *find_writer(const struct report_kind *k, const char *format)
{
	for (size_t i = 0; i < ARRAY_SIZE(k->writers) && k->writers[i].format; i++)
		if (!strcmp(k->writers[i].format, format))
			return &k->writers[i];
	return NULL;
}

static void formats_of(const struct report_kind *k, struct mr_buf *b)
{
	for (size_t i = 0; i < ARRAY_SIZE(k->writers) && k->writers[i].format; i++)
		mr_buf_addf(b, "%s%s", i ? (i + 1 < ARRAY_SIZE(k->writers) &&
					     k->writers[i + 1].format ? ", " : " or ") : "",
			    k->writers[i].format);
}

struct run {
	struct mr_ctx			*ctx;
	const struct mr_analyser	*a;
	void				*state;
};

static void on_event(const struct mr_event *ev, void *arg)
{
	struct run *run = arg;
	uint64_t frames[MR_MAX_STACK];
	struct mr_event copy;

	ev = mr_ctx_feed(run->ctx, ev, &copy, frames);
	run->a->feed(run->state, ev);
}

/* Where the report goes: stdout, or -o FILE (written beside it, moved into place at the end). */
static FILE *open_output(const struct mr_writer *w, const struct mr_report_opts *o,
			 struct mr_outfile *of)
{
	bool to_stdout = !o->output || !strcmp(o->output, "-");

	if (w->binary && to_stdout && isatty(STDOUT_FILENO)) {
		mr_error("not writing --format %s to a terminal; give -o FILE or redirect stdout",
			 w->format);
		return NULL;
	}
	return to_stdout ? stdout : mr_outfile_open(of, o->output);
}

/* Reads o->input into run->ctx and through run->a; run_release() after, whatever it returns. */
static int analyse(struct run *run, const struct mr_report_opts *o)
{
	int ret = mr_ctx_open(run->ctx, o);

	if (!ret) {
		run->state = run->a->new(run->ctx);
		ret = run->state ? mr_reader_run(run->ctx->reader, on_event, run) : -1;
	}
	if (!ret) {
		mr_ctx_finish(run->ctx);
		run->a->finish(run->state, run->ctx);
	}
	return ret;
}

static void run_release(struct run *run)
{
	if (run->state)
		run->a->free(run->state);
	run->state = NULL;
	mr_ctx_release(run->ctx);
}

static int run_report(const struct report_kind *k, const struct mr_writer *w,
		      const struct mr_report_opts *o)
{
	struct mr_outfile of = { 0 };
	struct mr_ctx ctx;
	struct run run = { .ctx = &ctx, .a = k->analyser };
	FILE *out = open_output(w, o, &of);
	int ret;

	if (!out)
		return -1;
	ret = analyse(&run, o);
	if (!ret)
		ret = w->write(out, &ctx, run.state);
	if (!ret && of.f)
		ret = mr_outfile_commit(&of);
	mr_outfile_release(&of);
	run_release(&run);
	return ret;
}

static int write_diff(const struct diff_writer *w, const struct mr_report_opts *o,
		      const struct mr_leak_diff *d)
{
	struct mr_outfile of = { 0 };
	bool to_stdout = !o->output || !strcmp(o->output, "-");
	FILE *out = to_stdout ? stdout : mr_outfile_open(&of, o->output);
	int ret;

	if (!out)
		return -1;
	ret = w->write(out, d);
	if (!ret && of.f)
		ret = mr_outfile_commit(&of);
	mr_outfile_release(&of);
	return ret;
}

/*
 * Both files stay open till the end: the rows are shown with each file's
 * names. Each file gets its own options (its own input), the others shared.
 */
static int run_diff(const struct diff_writer *w, const struct mr_report_opts *o,
		    const char *const files[2])
{
	struct mr_report_opts fo[2] = { *o, *o };
	struct mr_ctx ctx[2];
	struct run run[2] = { { .ctx = &ctx[0], .a = &mr_leak_analyser },
			      { .ctx = &ctx[1], .a = &mr_leak_analyser } };
	struct mr_leak_diff d;
	int ret;

	fo[0].input = files[0];
	fo[1].input = files[1];
	ret = analyse(&run[0], &fo[0]);
	/* the second file is not read when the first could not be: one error, not two */
	memset(&ctx[1], 0, sizeof(ctx[1]));
	if (!ret)
		ret = analyse(&run[1], &fo[1]);
	if (!ret) {
		mr_leak_diff_build(&d, (struct mr_diff_input){ &ctx[0], run[0].state },
				   (struct mr_diff_input){ &ctx[1], run[1].state });
		ret = write_diff(w, o, &d);
		mr_leak_diff_release(&d);
	}
	run_release(&run[1]);
	run_release(&run[0]);
	return ret;
}

static int cmd_diff(const struct mr_report_opts *o, const char *const files[2])
{
	for (size_t i = 0; i < ARRAY_SIZE(diff_writers); i++)
		if (!strcmp(diff_writers[i].format, o->format))
			return run_diff(&diff_writers[i], o, files) < 0 ? MR_EXIT_FAIL : MR_EXIT_OK;
	mr_usage_error("unknown format '%s' for diff; use text or json", o->format);
	return MR_EXIT_USAGE;
}

int mr_cmd_report(int argc, char **argv)
{
	struct mr_report_opts o = { 0 };
	const char *files[2] = { NULL, NULL };
	const struct report_kind *k;
	const struct mr_writer *w;
	struct mr_buf formats = { 0 };
	int ret;

	ret = parse_opts(&o, files, argc, argv);
	if (ret)
		return ret > 0 ? MR_EXIT_OK : MR_EXIT_USAGE;
	if (!strcmp(o.kind, "diff"))
		return cmd_diff(&o, files);
	k = find_kind(o.kind);
	w = k ? find_writer(k, o.format) : NULL;
	if (!w) {
		formats_of(k, &formats);
		mr_usage_error("unknown format '%s' for the %s report; use %s", o.format, o.kind,
			       formats.data);
		mr_buf_release(&formats);
		return MR_EXIT_USAGE;
	}
	if (w->binary && !o.output) {
		mr_usage_error("--format %s writes a binary file; give -o FILE", o.format);
		return MR_EXIT_USAGE;
	}
	ret = run_report(k, w, &o);
	return ret < 0 ? MR_EXIT_FAIL : MR_EXIT_OK;
}
