/* SPDX-License-Identifier: GPL-2.0 */
/*
 * input.h - the first stage of `memrec report`: the trace file. header.c
 * walks the trace.dat header for memrec's own options (metadata, /proc
 * snapshots, the symbol archive), unpack.c unpacks the archive, and
 * reader.c decodes every record once into a struct mr_event, in time order.
 */
#ifndef MR_INPUT_H
#define MR_INPUT_H

#include <stdbool.h>
#include <stdint.h>
#include "mr_event.h"
#include "mr_meta.h"
#include "mr_snapshot.h"

/*
 * Where each CPU's pages lie in the file (header.c fills it in its walk).
 * own: the reader reads and checks the pages itself; else libtracecmd
 * reads them, and the walk has checked them already.
 */
struct mr_cpu_layout {
	uint64_t	*offset;	/* per CPU, in the file */
	uint64_t	*size;
	int		nr_cpus;
	uint32_t	page_size;
	int		long_size;
	bool		big_endian;
	bool		own;
	uint64_t	kallsyms_offset;	/* the kallsyms text in the file */
	uint64_t	kallsyms_size;
};
void mr_cpu_layout_release(struct mr_cpu_layout *l);
/* 0 when every event header of the page lies inside its used length */
int mr_input_check_page(const struct mr_cpu_layout *l, const unsigned char *page);

/* reader.c */
struct mr_reader;
struct mr_reader_stats {
	uint64_t	records;	/* every record in the file */
	uint64_t	events;		/* records decoded into events */
	uint64_t	stacks;		/* user stacks attached to an event */
	uint64_t	missed;		/* events the ring buffer marked as lost */
	uint64_t	missed_unknown;	/* pages that lost an unknown number */
	uint64_t	first_ts, last_ts;
	unsigned int	limits;		/* MR_LIMIT_*: fields the file's kernel lacks */
};

/*
 * What the recording kernel's event formats lack, read from the file's
 * formats (older kernels): the report degrades and says so in its header.
 */
#define MR_LIMIT_CACHE_NAME	0x1	/* kmem_cache_alloc without name: caches by size */
#define MR_LIMIT_GROUP_DEAD	0x2	/* sched_process_exit without group_dead */
#define MR_LIMIT_VMALLOC	0x4	/* -e kernel without vmalloc events */

/* layout from mr_input_read_meta(), NULL to read through libtracecmd alone */
struct mr_reader *mr_reader_open(const char *path, const struct mr_cpu_layout *layout);
/* Feeds every event, in time order, to fn. */
int mr_reader_run(struct mr_reader *r, void (*fn)(const struct mr_event *ev, void *arg),
		  void *arg);
const struct mr_reader_stats *mr_reader_stats(const struct mr_reader *r);
void mr_reader_close(struct mr_reader *r);
/* The kernel function at addr (from the file's kallsyms), or NULL. */
const char *mr_reader_ksym(struct mr_reader *r, uint64_t addr, uint64_t *off);
/* The command name the file's saved cmdlines give pid, or "?". */
const char *mr_reader_comm(struct mr_reader *r, int pid);

/*
 * ksyms.c: the file's kallsyms, parsed on the first lookup; a function is
 * found as tep_find_function() finds it. text is copied; names live as long
 * as the struct.
 */
struct mr_ksyms;
struct mr_ksyms *mr_ksyms_new(const char *text);
/* The same, the text read from the file when the first function is asked for. */
struct mr_ksyms *mr_ksyms_new_file(const char *path, uint64_t offset, uint64_t size);
/* The function holding addr, its start in *start; NULL when none does. */
const char *mr_ksyms_find(struct mr_ksyms *k, uint64_t addr, uint64_t *start);
void mr_ksyms_free(struct mr_ksyms *k);

/*
 * header.c: memrec's metadata (required), /proc snapshots and symbol archive
 * (optional), in one walk of the header; *archive is the caller's to free.
 */
int mr_input_read_meta(const char *path, struct mr_meta *meta, struct mr_snapshots *snaps,
		       void **archive, uint32_t *archive_size, struct mr_cpu_layout *layout);

/* unpack.c: the embedded symbol archive as a temporary build-id directory */
/* NULL when there is none; file names the trace file in messages */
char *mr_unpack_symbols(const char *file, const void *payload, uint32_t size);
void mr_unpack_remove(char *dir);		/* removes it and frees dir */
void mr_unpack_remove_now(void);		/* async-signal-safe, for _exit paths */
#endif
