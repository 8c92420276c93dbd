/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mr_preload.h - the shared memory between `memrec record --preload` and the
 * library it preloads into the command (preload/libmemrec-preload.c). One
 * memfd holds a header and MR_PL_RINGS rings; each process of the command
 * (the command itself, every child it forks, every image it execs) claims a
 * ring by writing its pid into the ring's owner, writes one fixed-size slot
 * per allocator entry or return, and the recorder (record/preload.c) drains
 * the rings into the trace file as the same records the uprobe path writes.
 * The library includes nothing else of memrec: this header is plain C.
 */
#ifndef MR_PRELOAD_H
#define MR_PRELOAD_H

#include <stdint.h>

/* The environment the recorder gives the command. */
#define MR_PL_ENV_SHM		"MEMREC_PRELOAD_SHM"	/* /proc/RECORDER/fd/N of the memfd */
#define MR_PL_LIB_NAME		"libmemrec_preload.so"
/* The DWARF unwinder the library loads for --call-graph dwarf (Debian: libunwind8). */
#define MR_PL_UNWIND_LIB	"libunwind.so.8"

/*
 * The symbols the library defines: operator new and new[] (plain, nothrow,
 * aligned, aligned nothrow), and all of them; the report tells the
 * program's calls (under a hook) from the library's own code by them.
 */
#define MR_PL_CXX_SYMBOLS						\
	"_Znwm", "_ZnwmRKSt9nothrow_t", "_ZnwmSt11align_val_t",		\
	"_ZnwmSt11align_val_tRKSt9nothrow_t",				\
	"_Znam", "_ZnamRKSt9nothrow_t", "_ZnamSt11align_val_t",		\
	"_ZnamSt11align_val_tRKSt9nothrow_t"
#define MR_PL_HOOK_SYMBOLS						\
	"malloc", "calloc", "realloc", "reallocarray", "free", "posix_memalign", \
	"aligned_alloc", "memalign", "valloc", "pvalloc", "strdup", "strndup", \
	MR_PL_CXX_SYMBOLS

#define MR_PL_MAGIC		0x32706c6365726d6dull	/* "mmrecpl2" */
#define MR_PL_RINGS		64
#define MR_PL_SLOTS		4096			/* per ring, a power of two */
#define MR_PL_FRAMES		128			/* MR_MAX_STACK */
/* Event ids of the preload probes in the trace file: 64000 + 2 * def, + 1 for returns. */
#define MR_PL_FIRST_ID		64000
#define MR_PL_SYSTEM		"memrec_preload"

/*
 * The functions the library interposes, as indices into the probe table
 * (lib/probedefs.c, mr_probe_defs[]); record/preload.c checks the names.
 */
enum mr_pl_fn {
	MR_PL_MALLOC, MR_PL_CALLOC, MR_PL_REALLOC, MR_PL_REALLOCARRAY, MR_PL_FREE,
	MR_PL_POSIX_MEMALIGN, MR_PL_ALIGNED_ALLOC, MR_PL_MEMALIGN, MR_PL_VALLOC, MR_PL_PVALLOC,
	MR_PL_MEMALIGN_INT, MR_PL_STRDUP, MR_PL_STRNDUP,
	MR_PL_NEW, MR_PL_NEW_NT, MR_PL_NEW_AL, MR_PL_NEW_AL_NT,
	MR_PL_NEW_ARRAY, MR_PL_NEW_ARRAY_NT, MR_PL_NEW_ARRAY_AL, MR_PL_NEW_ARRAY_AL_NT,
	MR_PL_NR,
};
#define MR_PL_NAMES							\
	"malloc", "calloc", "realloc", "reallocarray", "free",		\
	"posix_memalign", "aligned_alloc", "memalign", "valloc", "pvalloc",	\
	"memalign_int", "strdup", "strndup",				\
	"new", "new_nt", "new_al", "new_al_nt",				\
	"new_array", "new_array_nt", "new_array_al", "new_array_al_nt"

enum mr_pl_kind { MR_PL_ENTER = 1, MR_PL_RETURN = 2 };

/*
 * One allocator entry or return. commit is the slot's sequence number + 1
 * once the record is complete: the reader never reads a slot half written.
 * The fields before ips fill one 64-byte line, all an entry writes: the
 * line moves to the recorder's CPU and back for every record, and that
 * move is most of a call's cost.
 * ENTER: v = args (the probe table's order), caller = the return address.
 * RETURN: v[0] = the returned value, caller = the return address, ips[nr]
 * = the call chain from the caller (frame-pointer walk); posix_memalign's
 * has v[1] = the pointer it stored.
 */
struct mr_pl_rec {
	uint64_t	commit;
	uint8_t		kind;
	uint8_t		fn;
	uint16_t	nr;
	int32_t		tid;
	uint64_t	ts;		/* CLOCK_MONOTONIC, the trace's "mono" clock */
	uint64_t	caller;
	uint64_t	func;
	uint64_t	v[3];
	uint64_t	ips[MR_PL_FRAMES];
};

struct mr_pl_ring {
	int32_t		owner;		/* pid of the process writing it, 0: free */
	uint32_t	pad0[15];
	uint64_t	head;		/* next slot a writer takes */
	uint64_t	pad1[7];
	uint64_t	tail;		/* next slot the recorder reads */
	uint64_t	pad2[7];
	struct mr_pl_rec slots[MR_PL_SLOTS];
};

struct mr_pl_shm {
	uint64_t	magic;
	uint32_t	rec_size;	/* sizeof(struct mr_pl_rec): both sides agree */
	int32_t		recorder;	/* the recorder's pid: writers stop waiting when it is gone */
	uint32_t	stopped;	/* the recording ended: record nothing more */
	uint32_t	max_frames;	/* the uprobe path's perf call chain limit */
	uint64_t	dropped;	/* records not written (no ring, recorder gone) */
	uint64_t	no_ring;	/* processes that found every ring taken */
	uint32_t	dwarf;		/* --call-graph dwarf: unwind with libunwind (MR_PL_UNWIND_LIB) */
	uint32_t	pad0;
	uint64_t	pad1[2];
	struct mr_pl_ring rings[MR_PL_RINGS];
};

#endif
