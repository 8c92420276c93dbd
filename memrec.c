// SPDX-License-Identifier: GPL-2.0
/*
 * memrec.c - the entry point: a table of subcommands (as git.c), the
 * checks their flags ask for, and a clean exit status.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "memrec.h"
#include "mr_cmds.h"

#define NEED_ROOT	(1 << 0)

struct mr_cmd {
	const char	*name;
	int		(*fn)(int argc, char **argv);
	unsigned int	flags;
	const char	*help;
};

static const struct mr_cmd commands[] = {
	{ "record", mr_cmd_record, NEED_ROOT, "record a process's allocations into a trace file" },
	{ "report", mr_cmd_report, 0, "report leaks from a trace file" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: memrec [--version] [-h] <command> [<args>]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "   %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'memrec <command> -h' describes a command.\n");
}

/* A failed write to stdout (a full disk, a closed pipe) must not exit 0. */
static int finish(int ret)
{
	if (fflush(stdout) || ferror(stdout)) {
		if (errno != EPIPE)
			mr_error_errno("cannot write the report");
		return MR_EXIT_FAIL;
	}
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return MR_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return finish(MR_EXIT_OK);
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("memrec version %s\n", MEMREC_VERSION);
		return finish(MR_EXIT_OK);
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		const struct mr_cmd *c = &commands[i];
		bool help = argc > 2 && (!strcmp(argv[2], "-h") || !strcmp(argv[2], "--help"));

		if (strcmp(argv[1], c->name))
			continue;
		if ((c->flags & NEED_ROOT) && geteuid() && !help) {
			mr_error("'memrec %s' needs root (tracefs and uprobes); run it with sudo",
				 c->name);
			return MR_EXIT_FAIL;
		}
		return finish(c->fn(argc - 1, argv + 1));
	}
	mr_error("'%s' is not a memrec command; see 'memrec -h'", argv[1]);
	return MR_EXIT_USAGE;
}
