// SPDX-License-Identifier: GPL-2.0
/*
 * libwarn.c - owns what the trace libraries print. libtraceevent's weak
 * tep_vprint() is the hook that libtraceevent (tep_warning, tep_info),
 * libtracefs (tracefs_warning) and libtracecmd (tracecmd_warning,
 * tracecmd_info, tracecmd_critical) all print through; overriding their own
 * weak hooks instead would lose the log level each library filters by. The
 * default hook writes information to stdout, into the report, and the
 * errno on a line of its own. Here each message goes to stderr through
 * usage.c, named by its library:
 *   critical, error	always, as a warning: memrec says itself what failed
 *   warning		at -v (libtracecmd warns of memrec's own file options)
 *   info, debug	at -vv, -vvv
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event-parse.h>
#include <event-utils.h>
#include <trace-cmd.h>
#include <tracefs.h>
#include "memrec.h"

/* The -v count at which a library message of this level is printed. */
static int verbosity_for(enum tep_loglevel level)
{
	switch (level) {
	case TEP_LOG_NONE:
	case TEP_LOG_CRITICAL:
	case TEP_LOG_ERROR:
		return 0;
	case TEP_LOG_WARNING:
		return 1;
	case TEP_LOG_INFO:
		return 2;
	default:
		return 3;
	}
}

/* The inverse: the most a library may print at this -v count. */
static enum tep_loglevel level_for(int verbosity)
{
	static const enum tep_loglevel levels[] = {
		TEP_LOG_ERROR, TEP_LOG_WARNING, TEP_LOG_INFO, TEP_LOG_DEBUG,
	};

	if (verbosity < 0)
		verbosity = 0;
	if (verbosity >= (int)ARRAY_SIZE(levels))
		verbosity = ARRAY_SIZE(levels) - 1;
	return levels[verbosity];
}

void mr_libwarn_set_verbosity(int level)
{
	/* one each: libtracecmd 1.3 does not pass its level on to the others */
	tep_set_loglevel(level_for(level));
	tracefs_set_loglevel(level_for(level));
	tracecmd_set_loglevel(level_for(level));
}

static void print(const char *name, enum tep_loglevel level, int err, const char *msg)
{
	if (level > TEP_LOG_WARNING) {
		mr_info(verbosity_for(level), "%s: %s", name, msg);
	} else if (err) {
		errno = err;
		mr_warning_errno("%s: %s", name, msg);
	} else {
		mr_warning("%s: %s", name, msg);
	}
}

/* Overrides libtraceevent's weak default; returns errno as found, as it does. */
int tep_vprint(const char *name, enum tep_loglevel level, bool print_err, const char *fmt,
	       va_list ap)
{
	int err = errno;
	char *msg;
	size_t len;

	if (verbosity_for(level) > mr_verbosity() || vasprintf(&msg, fmt, ap) < 0) {
		errno = err;
		return err;
	}
	len = strlen(msg);
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
	print(name ? name : "trace library", level, print_err ? err : 0, msg);
	free(msg);
	errno = err;
	return err;
}
