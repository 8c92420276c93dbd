// SPDX-License-Identifier: GPL-2.0
/*
 * options.c - owns parsing a command's options and printing its usage, both
 * from one table (include/mr_options.h). getopt_long does the parsing, so
 * abbreviated long options, "--opt=value" and getopt's own messages for an
 * unknown option or a missing argument are what they always were.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "mr_options.h"

#define USAGE_WIDTH	80	/* lines of the usage stay shorter than this */
#define HELP_MAX_COL	30	/* a longer option has its help on the next line */
#define LONG_ONLY_VAL	256	/* getopt's value for long-only option i: this + i */

static int nr_options(const struct mr_option *opts)
{
	int n = 0;

	while (opts[n].type != MR_OT_END)
		n++;
	return n;
}

static char *short_string(const struct mr_opts *o)
{
	char *s = mr_xmalloc(2 * nr_options(o->options) + 2), *p = s;

	if (o->in_order)
		*p++ = '+';
	for (const struct mr_option *opt = o->options; opt->type != MR_OT_END; opt++) {
		if (!opt->short_name)
			continue;
		*p++ = opt->short_name;
		if (opt->argh)
			*p++ = ':';
		if (opt->argh && *opt->argh == '[')
			*p++ = ':';
	}
	*p = '\0';
	return s;
}

static struct option *long_options(const struct mr_option *opts)
{
	int n = nr_options(opts), k = 0;
	struct option *lo = mr_xcalloc(n + 1, sizeof(*lo));

	for (int i = 0; i < n; i++) {
		if (!opts[i].long_name)
			continue;
		lo[k].name = opts[i].long_name;
		lo[k].has_arg = !opts[i].argh ? no_argument :
				*opts[i].argh == '[' ? optional_argument : required_argument;
		lo[k++].val = opts[i].short_name ? opts[i].short_name : LONG_ONLY_VAL + i;
	}
	return lo;
}

static const struct mr_option *find(const struct mr_option *opts, int c)
{
	if (c >= LONG_ONLY_VAL)
		return &opts[c - LONG_ONLY_VAL];
	for (; opts->type != MR_OT_END; opts++)
		if (opts->short_name == c)
			return opts;
	return NULL;
}

static int set_u64(const struct mr_option *opt, const char *arg)
{
	uint64_t v;

	if (mr_parse_u64(arg, &v) < 0 || v < opt->min || (opt->max && v > opt->max)) {
		if (opt->bad)
			return mr_usage_error(opt->bad, arg);
		return mr_usage_error("%s%s takes a number from %llu, not '%s'",
				      opt->long_name ? "--" : "-",
				      opt->long_name ? opt->long_name : (char[]){ opt->short_name, 0 },
				      (unsigned long long)opt->min, arg);
	}
	*(uint64_t *)opt->value = v;
	return 0;
}

/* Returns 0, 1 when the usage was asked for, or < 0 after a usage error. */
static int apply(const struct mr_opts *o, const struct mr_option *opt, const char *arg)
{
	switch (opt->type) {
	case MR_OT_FLAG:
		*(bool *)opt->value = true;
		return 0;
	case MR_OT_STRING:
		*(const char **)opt->value = arg;
		return 0;
	case MR_OT_U64:
		return set_u64(opt, arg);
	case MR_OT_CALLBACK:
		return opt->cb(opt, arg) < 0 ? -MR_EXIT_USAGE : 0;
	case MR_OT_VERBOSE:
		mr_set_verbosity(mr_verbosity() + 1);
		return 0;
	case MR_OT_HELP:
		mr_options_usage(o, stdout);
		return 1;
	default:
		return mr_usage_error("option table: unknown type %d", opt->type);
	}
}

int mr_parse_options(const struct mr_opts *o, int argc, char **argv)
{
	struct option *longs = long_options(o->options);
	char *shorts = short_string(o);
	int c, ret = 0;

	optind = 0;	/* glibc: start afresh, whatever was parsed before */
	while (!ret && (c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const struct mr_option *opt = c == '?' ? NULL : find(o->options, c);

		if (opt) {
			ret = apply(o, opt, optarg);
		} else {
			/* getopt said what was wrong */
			mr_options_usage(o, stderr);
			ret = -MR_EXIT_USAGE;
		}
	}
	free(shorts);
	free(longs);
	if (ret)
		return ret > 0 ? 0 : -MR_EXIT_USAGE;
	return optind;
}

/* "  -o, --output FILE", "      --size=MB", "      --uprobes[=MODE]" */
static void add_label(struct mr_buf *b, const struct mr_option *opt)
{
	const char *argh = opt->argh;

	if (opt->short_name)
		mr_buf_addf(b, "  -%c%s", opt->short_name, opt->long_name ? ", " : "");
	else
		mr_buf_addf(b, "      ");
	if (opt->long_name)
		mr_buf_addf(b, "--%s", opt->long_name);
	if (argh && ((*argh != '=' && *argh != '[') || !opt->long_name))
		mr_buf_addf(b, " %s", *argh == '=' ? argh + 1 : argh);
	else if (argh)
		mr_buf_addf(b, "%s", argh);
}

static int label_len(const struct mr_option *opt)
{
	struct mr_buf b = { 0 };
	int len;

	add_label(&b, opt);
	len = b.len;
	mr_buf_release(&b);
	return len;
}

/* Where the help starts: after the longest option, within HELP_MAX_COL. */
static int help_column(const struct mr_option *opts)
{
	int col = 0;

	for (; opts->type != MR_OT_END; opts++)
		if (label_len(opts) + 2 > col)
			col = label_len(opts) + 2;
	return col > HELP_MAX_COL ? HELP_MAX_COL : col;
}

static void newline_to(FILE *f, int col)
{
	fprintf(f, "\n%*s", col, "");
}

/* Words of text from column col on, wrapped; "\n" in text breaks the line. */
static void print_wrapped(FILE *f, const char *text, int col)
{
	int pos = col;
	bool first = true;

	while (*text) {
		size_t n = strcspn(text, " \n");

		if (!first && pos + 1 + (int)n >= USAGE_WIDTH) {
			newline_to(f, col);
			pos = col;
			first = true;
		}
		pos += fprintf(f, "%s%.*s", first ? "" : " ", (int)n, text);
		first = false;
		text += n;
		if (*text == '\n') {
			newline_to(f, col);
			pos = col;
			first = true;
			text++;
		}
		text += strspn(text, " ");
	}
	fputc('\n', f);
}

static void print_option(FILE *f, const struct mr_option *opt, int col)
{
	struct mr_buf b = { 0 };

	add_label(&b, opt);
	fwrite(b.data, 1, b.len, f);
	if ((int)b.len + 2 > col)
		newline_to(f, col);
	else
		fprintf(f, "%*s", col - (int)b.len, "");
	print_wrapped(f, opt->help ? opt->help : "", col);
	mr_buf_release(&b);
}

void mr_options_usage(const struct mr_opts *o, FILE *f)
{
	int col = help_column(o->options);

	fputs(o->usage, f);
	fputc('\n', f);
	for (const struct mr_option *opt = o->options; opt->type != MR_OT_END; opt++)
		print_option(f, opt, col);
	if (o->epilog) {
		fputc('\n', f);
		fputs(o->epilog, f);
	}
}
