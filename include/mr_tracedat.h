/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mr_tracedat.h - memrec writes trace.dat version 6 itself (the layout is
 * in docs/memrec-file.md) and
 * reads it back with libtracecmd's public API. The one thing that API cannot
 * do - return an option it does not know - is done by walking the header
 * here.
 */
#ifndef MR_TRACEDAT_H
#define MR_TRACEDAT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Standard trace.dat option ids we write: trace-cmd 3.1.6's enum in
 * lib/trace-cmd/include/private/trace-cmd-private.h (6 is HOOK, not UNAME).
 */
#define MR_TD_OPT_DATE		1
#define MR_TD_OPT_CPUSTAT	2
#define MR_TD_OPT_TRACECLOCK	4	/* written by mr_tracedat_write from out->clock */
#define MR_TD_OPT_UNAME		5

struct mr_tracedat_hdr;

/*
 * Copies what the file header needs from the top-level tracefs directory:
 * header_page, header_event, ftrace/user_stack and ftrace/kernel_stack
 * formats, the format of every event named in events[] ("system/event",
 * NULL-terminated), printk_formats, and kallsyms when with_kallsyms.
 * Call it while memrec's uprobes exist: their formats are read here.
 * Returns NULL with an error printed on failure.
 */
struct mr_tracedat_hdr *mr_tracedat_capture(const char *tracing_dir, const char * const *events,
					    int with_kallsyms);
void mr_tracedat_hdr_free(struct mr_tracedat_hdr *h);
/* Bytes the header's formats, kallsyms and printk formats take in the file. */
size_t mr_tracedat_hdr_bytes(const struct mr_tracedat_hdr *h);
/* Adds the format of an event memrec writes itself (not from tracefs). */
void mr_tracedat_add_format(struct mr_tracedat_hdr *h, const char *sys, const char *ev,
			    const char *format);

struct mr_tracedat_opt {
	uint16_t	id;
	uint32_t	size;
	const void	*data;
};

struct mr_tracedat_out {
	const struct mr_tracedat_hdr	*hdr;
	const char			*cmdlines;	/* "pid comm\n" lines, may be NULL */
	int				nr_cpus;
	/* Per CPU: a file of raw ring-buffer sub-buffers (4096 bytes each), or NULL. */
	const char * const		*cpu_files;
	const struct mr_tracedat_opt	*opts;
	int				nr_opts;
	const char			*clock;		/* trace clock name, e.g. "mono" */
	/* Delete each cpu file as soon as it is copied (saves disk). */
	int				unlink_cpu_files;
	/* Create the file, never open an existing one or follow a link (O_EXCL). */
	int				exclusive;
	/* The file's name in messages when it is written under another (or NULL). */
	const char			*name;
};

/*
 * Writes a complete v6 file at path (mode 0600). Errors are printed and
 * return -1; on ENOSPC the message says the disk is full.
 */
int mr_tracedat_write(const char *path, const struct mr_tracedat_out *out);

/*
 * Finds option id in a trace.dat file (v6) by walking its header. On
 * success returns 0 and a malloc'd copy in *data (size in *size); returns 1
 * when the file is valid but has no such option; -1 with an error message
 * naming the file when it is not a trace.dat file, is truncated or corrupt,
 * or is of a version this reader does not know.
 */
int mr_tracedat_find_option(const char *path, uint16_t id, void **data, uint32_t *size);

/* Several options in one walk: each found one gets a malloc'd copy. */
struct mr_tracedat_found {
	uint16_t	id;		/* asked for */
	bool		found;
	void		*data;
	uint32_t	size;
};
/* 0, or -1 with an error message as mr_tracedat_find_option() (nothing found then). */
int mr_tracedat_find_options(const char *path, struct mr_tracedat_found *opts, int nr);

#endif
