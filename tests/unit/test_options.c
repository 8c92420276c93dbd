// SPDX-License-Identifier: GPL-2.0
/*
 * test_options.c - the option tables of lib/options.c: what each kind of
 * option stores, where parsing stops, the usage errors (exit code 2 and
 * the message), -h, and the exact usage text made from a table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "memrec.h"
#include "mr_options.h"
#include "mr_test.h"

struct vals {
	bool		flag;
	const char	*name;
	uint64_t	n, count;
	int		mode, opt;
};

static int parse_mode(const struct mr_option *opt, const char *arg)
{
	if (strcmp(arg, "a") && strcmp(arg, "b"))
		return mr_usage_error("--mode takes a or b, not '%s'", arg);
	*(int *)opt->value = *arg;
	return 0;
}

/* --opt[=a|b]: '-' without the value */
static int parse_opt(const struct mr_option *opt, const char *arg)
{
	if (arg && strcmp(arg, "a") && strcmp(arg, "b"))
		return mr_usage_error("--opt takes a or b, not '%s'", arg);
	*(int *)opt->value = arg ? *arg : '-';
	return 0;
}

static const char usage[] = "usage: t [options] [ARGS]\n\nA test command.\n";

/* The table and a parse of argv, with stdout and stderr caught in out and err. */
static int parse(struct vals *v, bool in_order, char **argv, char **out, char **err)
{
	const struct mr_option table[] = {
		MR_OPT_FLAG('f', "flag", &v->flag, "set the flag"),
		MR_OPT_STRING(0, "name", &v->name, "NAME", "a name"),
		MR_OPT_U64('n', NULL, &v->n, "N", 1, 100, "-n takes 1 to 100, not '%s'",
			   "a number from 1 to 100, with a help text long enough to be wrapped "
			   "over more than one line of the usage"),
		MR_OPT_U64(0, "count", &v->count, "C", 1, 0, NULL, "a count"),
		MR_OPT_CALLBACK('m', "mode", &v->mode, "=MODE", parse_mode, "a or b"),
		MR_OPT_CALLBACK(0, "opt", &v->opt, "[=MODE]", parse_opt, "nothing, a or b"),
		MR_OPT_FLAG(0, "a-very-long-option-name", &v->flag, "too long for the column"),
		MR_OPT_VERBOSE(),
		MR_OPT_HELP(),
		MR_OPT_END(),
	};
	const struct mr_opts opts = { usage, table, "examples:\n  t -f\n", in_order };
	char po[] = "/tmp/mr_test_options_XXXXXX", pe[] = "/tmp/mr_test_options_XXXXXX";
	int fo = mkstemp(po), fe = mkstemp(pe), so = dup(1), se = dup(2), argc = 0, ret;

	while (argv[argc])
		argc++;
	memset(v, 0, sizeof(*v));
	fflush(stdout);
	dup2(fo, 1);
	dup2(fe, 2);
	ret = mr_parse_options(&opts, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(fo), close(fe), close(so), close(se);
	*out = mr_read_file(po, NULL);
	*err = mr_read_file(pe, NULL);
	unlink(po);
	unlink(pe);
	return ret;
}

#define ARGV(...)	((char *[]){ "t", __VA_ARGS__, NULL })

static void test_values(void)
{
	char **argv = ARGV("pos", "-f", "--na", "y");
	char *out, *err;
	struct vals v;
	int ret = parse(&v, true, ARGV("-f", "--name", "x", "-n", "0x2a", "--mode=b", "--count",
					"7", "rest", "-f"), &out, &err);

	MR_CHECK_EQ(ret, 9, "stops at the first argument left");
	MR_CHECK(v.flag && v.name && !strcmp(v.name, "x") && v.n == 42 && v.count == 7 &&
		 v.mode == 'b', "each kind stores its value",
		 "flag %d name %s n %llu count %llu mode %c", v.flag, v.name ? v.name : "-",
		 (unsigned long long)v.n, (unsigned long long)v.count, v.mode);
	MR_CHECK(!*out && !*err, "nothing printed", "out '%s' err '%s'", out, err);
	free(out), free(err);

	ret = parse(&v, true, ARGV("cmd", "-f"), &out, &err);
	MR_CHECK(ret == 1 && !v.flag, "in order: a command's options are its own", "ret %d", ret);
	free(out), free(err);
	ret = parse(&v, false, argv, &out, &err);
	MR_CHECK(ret == 4 && !strcmp(argv[4], "pos") && v.flag && !strcmp(v.name, "y"),
		 "otherwise: options after arguments, abbreviations", "ret %d", ret);
	free(out), free(err);
	ret = parse(&v, true, ARGV("--opt", "a"), &out, &err);
	MR_CHECK(ret == 2 && v.opt == '-' && !*err, "optional argument: none",
		 "ret %d opt %c err '%s'", ret, v.opt, err);
	free(out), free(err);
	ret = parse(&v, true, ARGV("--opt=b", "a"), &out, &err);
	MR_CHECK(ret == 2 && v.opt == 'b' && !*err, "optional argument: --opt=b",
		 "ret %d opt %c err '%s'", ret, v.opt, err);
	free(out), free(err);
	ret = parse(&v, false, ARGV("-v", "-v"), &out, &err);
	MR_CHECK(ret == 3 && mr_verbosity() == 2, "-v counts", "ret %d, verbosity %d", ret,
		 mr_verbosity());
	mr_set_verbosity(0);
	free(out), free(err);
}

/* One usage error: the return, and the first line on stderr. */
static void check_error(char **argv, const char *first_line, bool with_usage)
{
	char *out, *err, *name[3];
	struct vals v;
	int ret = parse(&v, true, argv, &out, &err);
	size_t len = strlen(first_line);

	name[0] = mr_xasprintf("%s: returns -2, nothing on stdout", first_line);
	name[1] = mr_xasprintf("%s: the message", first_line);
	name[2] = mr_xasprintf("%s: usage %s", first_line, with_usage ? "too" : "not");
	MR_CHECK(ret == -MR_EXIT_USAGE && !*out, name[0], "ret %d, stdout '%s'", ret, out);
	MR_CHECK(!strncmp(err, first_line, len) && err[len] == '\n', name[1], "stderr '%s'",
		 err);
	MR_CHECK(!strstr(err, usage) == !with_usage, name[2], "stderr '%s'", err);
	for (int i = 0; i < 3; i++)
		free(name[i]);
	free(out), free(err);
}

static void test_errors(void)
{
	check_error(ARGV("-n", "500"), "memrec: usage: -n takes 1 to 100, not '500'", false);
	check_error(ARGV("-n", "x1"), "memrec: usage: -n takes 1 to 100, not 'x1'", false);
	check_error(ARGV("--count", "0"), "memrec: usage: --count takes a number from 1, not '0'",
		    false);
	check_error(ARGV("--mode", "c"), "memrec: usage: --mode takes a or b, not 'c'", false);
	check_error(ARGV("--opt=c"), "memrec: usage: --opt takes a or b, not 'c'", false);
	check_error(ARGV("--nope"), "t: unrecognized option '--nope'", true);
	check_error(ARGV("-z"), "t: invalid option -- 'z'", true);
	check_error(ARGV("-f", "--name"), "t: option '--name' requires an argument", true);
	check_error(ARGV("--flag=1"), "t: option '--flag' doesn't allow an argument", true);
}

static const char expected_usage[] =
"usage: t [options] [ARGS]\n"
"\n"
"A test command.\n"
"\n"
"  -f, --flag                  set the flag\n"
"      --name NAME             a name\n"
"  -n N                        a number from 1 to 100, with a help text long\n"
"                              enough to be wrapped over more than one line of\n"
"                              the usage\n"
"      --count C               a count\n"
"  -m, --mode=MODE             a or b\n"
"      --opt[=MODE]            nothing, a or b\n"
"      --a-very-long-option-name\n"
"                              too long for the column\n"
"  -v, --verbose               say more (repeat for more)\n"
"  -h, --help                  this text\n"
"\n"
"examples:\n"
"  t -f\n";

static void test_help(void)
{
	char *out, *err;
	struct vals v;
	int ret = parse(&v, true, ARGV("-f", "-h", "-z"), &out, &err);

	MR_CHECK(ret == 0 && !*err, "-h: returns 0, nothing on stderr", "ret %d err '%s'", ret,
		 err);
	MR_CHECK(!strcmp(out, expected_usage), "-h: the usage text on stdout", "got\n%s", out);
	free(out), free(err);
	ret = parse(&v, true, ARGV("-x"), &out, &err);
	MR_CHECK(strstr(err, expected_usage), "usage error: the same text on stderr", "got\n%s",
		 err);
	free(out), free(err);
}

int main(void)
{
	test_values();
	test_errors();
	test_help();
	return mr_test_done();
}
