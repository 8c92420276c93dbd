// SPDX-License-Identifier: GPL-2.0
/*
 * usage.c - the one place that prints errors, warnings and progress.
 * Messages follow git: "memrec: error: what is wrong; what to do", and the
 * *_errno forms end with ": <strerror(errno)>" as git's error_errno() does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "memrec.h"

/* vreport's err when there is no errno to print */
#define NO_ERRNO	-1

/* Verbosity is process-wide by nature (like git's trace level). */
static int verbosity;

void mr_set_verbosity(int level)
{
	verbosity = level;
	/* one knob: -v also lets the trace libraries' warnings through */
	mr_libwarn_set_verbosity(level);
}

int mr_verbosity(void)
{
	return verbosity;
}

/*
 * Messages quote paths and names from trace files of other hosts and go to
 * a terminal: control bytes are shown as \xHH, so that none can drive the
 * terminal or forge a line (a message is always one line).
 */
static void put_message(const char *fmt, va_list ap)
{
	char *msg;

	if (vasprintf(&msg, fmt, ap) < 0) {
		fputs(fmt, stderr);
		return;
	}
	for (const unsigned char *p = (const unsigned char *)msg; *p;) {
		char esc[9];
		int n = mr_ctl_escape(p, esc);

		if (n) {
			fputs(esc, stderr);
			p += n;
		} else {
			fputc(*p++, stderr);
		}
	}
	free(msg);
}

static void vreport(const char *prefix, int err, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "memrec: %s", prefix);
	put_message(fmt, ap);
	if (err != NO_ERRNO)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

void mr_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("fatal: ", NO_ERRNO, fmt, ap);
	va_end(ap);
	exit(MR_EXIT_FAIL);
}

void mr_die_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vreport("fatal: ", err, fmt, ap);
	va_end(ap);
	exit(MR_EXIT_FAIL);
}

int mr_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("error: ", NO_ERRNO, fmt, ap);
	va_end(ap);
	return -1;
}

int mr_error_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vreport("error: ", err, fmt, ap);
	va_end(ap);
	errno = err;
	return -1;
}

int mr_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("usage: ", NO_ERRNO, fmt, ap);
	va_end(ap);
	return -MR_EXIT_USAGE;
}

void mr_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", NO_ERRNO, fmt, ap);
	va_end(ap);
}

void mr_warning_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", err, fmt, ap);
	va_end(ap);
	errno = err;
}

void mr_info(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > verbosity)
		return;
	va_start(ap, fmt);
	vreport("", NO_ERRNO, fmt, ap);
	va_end(ap);
}
