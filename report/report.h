/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report.h - the pieces of `memrec report`, private to report/:
 * reader (trace file -> struct mr_event) -> pairing -> analysers (leak)
 * -> writers (text, json).
 */
#ifndef MR_REPORT_H
#define MR_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "mr_event.h"
#include "mr_meta.h"
#include "mr_pairing.h"
#include "mr_symbols.h"

/* reader.c */
struct mr_reader;
struct mr_reader_stats {
	uint64_t	records;	/* every record in the file */
	uint64_t	events;		/* records decoded into events */
	uint64_t	stacks;		/* user stacks attached to an event */
	uint64_t	missed;		/* events the ring buffer marked as lost */
	uint64_t	missed_unknown;	/* pages that lost an unknown number */
	uint64_t	first_ts, last_ts;
};

struct mr_reader *mr_reader_open(const char *path);
/* Feeds every event, in time order, to fn. */
int mr_reader_run(struct mr_reader *r, void (*fn)(const struct mr_event *ev, void *ctx),
		  void *ctx);
const struct mr_reader_stats *mr_reader_stats(const struct mr_reader *r);
void mr_reader_close(struct mr_reader *r);

/* Everything an analyser and a writer see. */
struct mr_report_opts {
	const char	*input;
	const char	*format;
	int		top;		/* rows; 0 = all */
	double		min_age_s;
	int		pid;		/* 0 = all */
	bool		inherited;	/* count blocks a child inherited at fork */
	const char	*debug_dirs[16];	/* --debug-dir, searched by build-id */
	int		nr_debug_dirs;
	const char	*sysroot;
};

struct mr_report {
	const struct mr_report_opts	*o;
	struct mr_meta			meta;
	struct mr_pairing		*pairing;
	struct mr_symbols		*symbols;
	struct mr_reader_stats		rstats;
	uint64_t			end_ts;		/* ages are measured to here */
	uint64_t			lost_total;
	char				*unpacked;	/* embedded symbols, unpacked */
	uint64_t			unwound;	/* stacks unwound (--call-graph dwarf) */
};

/* leak.c: outstanding blocks grouped per (process, stack, allocator). */
struct mr_leak {
	uint32_t	aspace;
	uint32_t	stack;
	enum mr_fn	fn;
	bool		inherited;
	uint64_t	bytes, count;
	uint64_t	size_min, size_max;
	uint64_t	ts_min, ts_max;	/* allocation times */
};

struct mr_leaks {
	struct mr_leak	*rows;
	size_t		nr;		/* rows after filters, sorted by bytes */
	uint64_t	bytes, count;	/* totals over all rows */
	uint64_t	inherited_count, inherited_bytes;	/* left out unless asked */
	uint64_t	young_count;	/* left out by --min-age */
};

void mr_leaks_build(struct mr_report *rep, struct mr_leaks *out);
void mr_leaks_release(struct mr_leaks *l);

/* writers: one per --format */
struct mr_writer {
	const char	*name;
	int		(*leaks)(FILE *f, struct mr_report *rep, const struct mr_leaks *l);
};
int mr_write_text_leaks(FILE *f, struct mr_report *rep, const struct mr_leaks *l);
int mr_write_json_leaks(FILE *f, struct mr_report *rep, const struct mr_leaks *l);

/* unpack.c: the embedded symbol archive as a temporary build-id directory */
char *mr_unpack_symbols(const char *file);	/* NULL when there is none */
void mr_unpack_remove(char *dir);		/* removes it and frees dir */

/* report.c: helpers writers share */
/*
 * Symbolises the stack of a leak row into frames[], innermost first, with
 * the calls inlined at each address as frames of their own (so there can be
 * more frames than addresses); returns how many, at most max.
 */
int mr_report_frames(struct mr_report *rep, const struct mr_leak *l, struct mr_frame *frames,
		     int max);
const char *mr_report_comm(struct mr_report *rep, uint32_t aspace);
#endif
