/* SPDX-License-Identifier: GPL-2.0 */
/*
 * symbols_int.h - what report/model/unwind.c may ask of symbols.c beyond
 * the public mr_symbols.h: which modules a process had mapped at a time and
 * the files symbols.c found for them (by build-id), so that the unwinder
 * never resolves a file a second way. Private to report/.
 */
#ifndef MR_SYMBOLS_INT_H
#define MR_SYMBOLS_INT_H

#include <elfutils/libdwfl.h>
#include <stdint.h>
#include "mr_symbols.h"

/* A module with code, as a process had it mapped. */
struct mr_sym_module {
	const char	*name;		/* recorded path; lives as long as s */
	const char	*file;		/* where symbols.c found it; lives as long as s */
	uint64_t	bias;		/* runtime address - file vaddr */
	uint64_t	low;		/* runtime range of its PT_LOADs */
	uint64_t	high;
};

/*
 * A value that changes whenever the mappings pid sees at ts may have: two
 * calls with the same answer see the same modules (barring a 64-bit hash
 * collision).
 */
uint64_t mr_symbols_generation(struct mr_symbols *s, int pid, uint64_t ts);

/*
 * The modules whose code pid had mapped at ts and whose file was found,
 * newest first, none overlapping another. *mods is the caller's to free.
 */
int mr_symbols_modules(struct mr_symbols *s, int pid, uint64_t ts, struct mr_sym_module **mods);

/* For a Dwfl of one's own that finds separate DWARF as symbols.c does. */
const Dwfl_Callbacks *mr_symbols_dwfl_callbacks(struct mr_symbols *s);

/* unwind.c's caches hang off s and are freed with it. */
void *mr_symbols_ext(struct mr_symbols *s);
void mr_symbols_set_ext(struct mr_symbols *s, void *ext, void (*free_ext)(void *ext));

#endif
