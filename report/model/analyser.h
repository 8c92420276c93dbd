/* SPDX-License-Identifier: GPL-2.0 */
/*
 * analyser.h - what a report of `memrec report` is: an analyser (its state
 * made by new(), fed every event in time order, finished once after the
 * last) and a writer per output format, each handed the finished state.
 * report.c holds the one table of reports; adding a report or a format is
 * one file and one line there.
 */
#ifndef MR_ANALYSER_H
#define MR_ANALYSER_H

#include <stdbool.h>
#include <stdio.h>
#include "model/context.h"

struct mr_analyser {
	const char	*name;
	/*
	 * ctx->pairing exists; ctx's other members are filled by the time of
	 * finish. NULL after an error message: the report fails.
	 */
	void		*(*new)(struct mr_ctx *ctx);
	void		(*feed)(void *state, const struct mr_event *ev);
	void		(*finish)(void *state, struct mr_ctx *ctx);
	void		(*free)(void *state);
};

struct mr_writer {
	const char	*format;
	int		(*write)(FILE *f, struct mr_ctx *ctx, const void *state);
	bool		binary;		/* needs -o: never written to a terminal */
};

extern const struct mr_analyser mr_leak_analyser;	/* leak/leak.c */
extern const struct mr_analyser mr_oom_analyser;	/* oom/oom.c */
extern const struct mr_analyser mr_frag_analyser;	/* frag/frag.c */
#endif
