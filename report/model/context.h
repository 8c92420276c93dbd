/* SPDX-License-Identifier: GPL-2.0 */
/*
 * context.h - the narrow context every analyser and writer of `memrec
 * report` gets: the options, the file's metadata and /proc snapshots, the
 * pairing engine (live blocks, address spaces, the stack table), the
 * symboliser and the reader's counts. No analyser's state lives here: each
 * analyser owns its own (report/analyser.h).
 */
#ifndef MR_CONTEXT_H
#define MR_CONTEXT_H

#include <stdbool.h>
#include <stdint.h>
#include "mr_meta.h"
#include "mr_pairing.h"
#include "mr_tasks.h"
#include "mr_snapshot.h"
#include "mr_symbols.h"
#include "input/input.h"

struct mr_report_opts {
	const char	*input;
	const char	*format;
	const char	*output;	/* -o FILE; NULL: stdout */
	int		top;		/* rows; 0 = all */
	double		min_age_s;
	int		pid;		/* 0 = all */
	bool		inherited;	/* count blocks a child inherited at fork */
	const char	*suppress;	/* --suppress FILE */
	bool		no_suppress;	/* --no-suppress: not the built-in runtime list */
	bool		value_blocks;	/* --value blocks: folded stacks weigh blocks, not bytes */
	const char	*value;		/* --value as given, NULL when not */
	const char	*debug_dirs[16];	/* --debug-dir, searched by build-id */
	int		nr_debug_dirs;
	const char	*sysroot;
	const char	*kind;		/* the report: leak, oom or frag */
	bool		alloc_totals;	/* leak: keep every allocation's totals per stack */
	bool		sort_growth;	/* --sort growth: leak rows by verdict first */
	bool		ascii;		/* --ascii: sparklines in ASCII, not by locale */
};

struct mr_ctx {
	const struct mr_report_opts	*o;
	struct mr_meta			meta;
	struct mr_snapshots		snaps;		/* /proc snapshots (frag) */
	struct mr_tasks			*tasks;		/* the process model */
	struct mr_pairing		*pairing;
	struct mr_symbols		*symbols;
	struct mr_reader		*reader;	/* open till the end: kallsyms, comms */
	struct mr_reader_stats		rstats;
	uint64_t			begin_ts;	/* the trace spans begin_ts..end_ts: */
	uint64_t			end_ts;		/* ages are measured to here */
	uint64_t			lost_total;
	uint64_t			unwound;	/* stacks unwound (--call-graph dwarf) */
	uint64_t			cut_chains;	/* frame-pointer chains cut (stacks.c) */
	/* stacks.c: mapped ranges of the processes seen last, so most frames need no lookup */
	struct { int pid; uint64_t start, end; } mapped[8];
	unsigned int			mapped_next;
	/* unmatched frees glibc made itself (its per-thread cache flushed at thread exit) */
	uint64_t			libc_frees;
	char				*unpacked;	/* embedded symbols, unpacked */
};

/* context.c: the context's life */
/* Reads the file's metadata, opens its events and makes the pairing and symbols. */
int mr_ctx_open(struct mr_ctx *ctx, const struct mr_report_opts *o);
/*
 * Feeds an event to the model (unwinding its stack into copy and frames
 * when it carries a stack copy); returns the event the analysers get.
 */
const struct mr_event *mr_ctx_feed(struct mr_ctx *ctx, const struct mr_event *ev,
				   struct mr_event *copy, uint64_t *frames);
/* After the last event: the reader's counts, the end time, lost events. */
void mr_ctx_finish(struct mr_ctx *ctx);
void mr_ctx_release(struct mr_ctx *ctx);

/* A stack id that names no stack (a kernel row without a user stack). */
#define MR_NO_STACK	UINT32_MAX

/* names.c: what rows are shown with, looked up only for the rows printed */
/*
 * Symbolises stack id of address space aspace (as of ts) into frames[],
 * innermost first, with the calls inlined at each address as frames of
 * their own (so there can be more frames than addresses); returns how
 * many, at most max. The first frame is a return address unless first_ip.
 */
int mr_ctx_frames(struct mr_ctx *ctx, int pid, uint32_t stack, uint64_t ts, bool first_ip,
		  struct mr_frame *frames, int max);
/* A kernel stack id named from the file's kallsyms, innermost first. */
int mr_ctx_kframes(struct mr_ctx *ctx, uint32_t stack, struct mr_frame *frames, int max);
/* The pid of address space id (0 when unknown). */
int mr_ctx_aspace_pid(struct mr_ctx *ctx, uint32_t aspace);
/* The command name of an address space, or "?". */
const char *mr_ctx_comm(struct mr_ctx *ctx, uint32_t aspace);
/* The command name of pid at the end of the trace, or "?". */
const char *mr_ctx_pid_comm(struct mr_ctx *ctx, int pid);
/* The kernel symbol at addr from the file's kallsyms, and the offset into it. */
const char *mr_ctx_ksym(struct mr_ctx *ctx, uint64_t addr, uint64_t *off);
/* Seconds from the start of the recording to ts. */
double mr_ctx_rel_s(const struct mr_ctx *ctx, uint64_t ts);

/* stacks.c: the user stack an event really has (dwarf unwinding, chain cuts) */
/*
 * For an event that carries registers and a stack copy (--call-graph
 * dwarf), unwinds it with the CFI and fills *out with ev and its stack in
 * frames[]; returns false (out untouched) for any other event.
 */
bool mr_ctx_unwind(struct mr_ctx *ctx, const struct mr_event *ev, struct mr_event *out,
		   uint64_t *frames);
/* Cuts a frame-pointer chain where it leaves the mapped modules (into out, frames). */
bool mr_ctx_cut_chain(struct mr_ctx *ctx, const struct mr_event *ev, struct mr_event *out,
		      uint64_t *frames);
/* A forked child sees its parent's modules until it maps its own. */
void mr_ctx_note_fork(struct mr_ctx *ctx, const struct mr_event *ev);
#endif
