// SPDX-License-Identifier: GPL-2.0
/*
 * usage.c - the one place that prints errors, warnings and progress.
 * Messages follow git: "memrec: error: what is wrong; what to do".
 */
#include <stdio.h>
#include <stdlib.h>
#include "memrec.h"

/* Verbosity is process-wide by nature (like git's trace level). */
static int verbosity;

void mr_set_verbosity(int level)
{
	verbosity = level;
}

int mr_verbosity(void)
{
	return verbosity;
}

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "memrec: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void mr_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("fatal: ", fmt, ap);
	va_end(ap);
	exit(MR_EXIT_FAIL);
}

int mr_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("error: ", fmt, ap);
	va_end(ap);
	return -1;
}

int mr_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("usage: ", fmt, ap);
	va_end(ap);
	return -MR_EXIT_USAGE;
}

void mr_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

void mr_info(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > verbosity)
		return;
	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
}
