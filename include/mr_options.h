/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mr_options.h - one table per command, from which the getopt strings, the
 * parsing and the usage text all come, so that they cannot drift apart (in
 * the spirit of git's parse-options). The table is built where the values
 * it points to live:
 *
 *	struct mr_option opts[] = {
 *		MR_OPT_STRING('o', "output", &o->output, "FILE", "write FILE"),
 *		MR_OPT_FLAG(0, "keep", &o->keep, "keep watching"),
 *		MR_OPT_VERBOSE(),
 *		MR_OPT_HELP(),
 *		MR_OPT_END(),
 *	};
 */
#ifndef MR_OPTIONS_H
#define MR_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum mr_opt_type {
	MR_OT_END,		/* ends a table */
	MR_OT_FLAG,		/* bool *value = true */
	MR_OT_STRING,		/* const char **value = the argument */
	MR_OT_U64,		/* uint64_t *value = the argument, in [min, max] */
	MR_OT_CALLBACK,		/* cb(opt, the argument or NULL) */
	MR_OT_VERBOSE,		/* one more -v: mr_set_verbosity() */
	MR_OT_HELP,		/* the usage on stdout; parsing stops */
};

struct mr_option;
/* Stores arg through opt->value; returns 0, or < 0 after a usage error. */
typedef int (*mr_opt_cb)(const struct mr_option *opt, const char *arg);

struct mr_option {
	enum mr_opt_type	type;
	int			short_name;	/* 0: long only */
	const char		*long_name;	/* NULL: short only */
	void			*value;
	/*
	 * the argument's name in the usage, NULL for none; "=MODE" shows
	 * --long=MODE; "[=MODE]" makes it optional (--long or --long=MODE, the
	 * callback getting NULL for the former)
	 */
	const char		*argh;
	const char		*help;		/* one paragraph; wrapped to fit */
	mr_opt_cb		cb;
	uint64_t		min, max;	/* MR_OT_U64; max 0: no limit */
	const char		*bad;		/* MR_OT_U64: the usage error; %s: the argument */
};

#define MR_OPT_END()	{ .type = MR_OT_END }
#define MR_OPT_FLAG(s, l, v, h) \
	{ .type = MR_OT_FLAG, .short_name = (s), .long_name = (l), .value = (v), .help = (h) }
#define MR_OPT_STRING(s, l, v, a, h) \
	{ .type = MR_OT_STRING, .short_name = (s), .long_name = (l), .value = (v), \
	  .argh = (a), .help = (h) }
#define MR_OPT_U64(s, l, v, a, lo, hi, b, h) \
	{ .type = MR_OT_U64, .short_name = (s), .long_name = (l), .value = (v), \
	  .argh = (a), .min = (lo), .max = (hi), .bad = (b), .help = (h) }
/* a: NULL for an option without argument, then cb gets NULL */
#define MR_OPT_CALLBACK(s, l, v, a, f, h) \
	{ .type = MR_OT_CALLBACK, .short_name = (s), .long_name = (l), .value = (v), \
	  .argh = (a), .cb = (f), .help = (h) }
#define MR_OPT_VERBOSE() \
	{ .type = MR_OT_VERBOSE, .short_name = 'v', .long_name = "verbose", \
	  .help = "say more (repeat for more)" }
#define MR_OPT_HELP() \
	{ .type = MR_OT_HELP, .short_name = 'h', .long_name = "help", .help = "this text" }

struct mr_opts {
	const char		*usage;		/* above the options, as printed */
	const struct mr_option	*options;	/* ends with MR_OPT_END() */
	const char		*epilog;	/* below them (examples), or NULL */
	bool			in_order;	/* stop at the first non-option: a command */
};

/*
 * Parses the options in argv[1..argc-1], argv[0] naming the command in
 * getopt's messages. Returns the index in argv of the first argument left
 * (argc when none; without in_order the others are moved after the
 * options); 0 after -h printed the usage on stdout; -MR_EXIT_USAGE after a
 * usage error on stderr (an unknown option or a missing argument with the
 * usage, as getopt words them).
 */
int mr_parse_options(const struct mr_opts *o, int argc, char **argv);
/* The usage text: o->usage, the options in aligned, wrapped columns, o->epilog. */
void mr_options_usage(const struct mr_opts *o, FILE *f);

#endif
