/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mr_symbols.h - symbolisation: user addresses to function+offset, module
 * and file:line, from the mappings recorded in the trace file (perf MMAP2
 * records and /proc/PID/maps snapshots) and the ELF/DWARF files they name.
 * Only the frames of rows that are printed get symbolised.
 */
#ifndef MR_SYMBOLS_H
#define MR_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mr_symbols;

struct mr_frame {
	uint64_t	addr;		/* as given to lookup */
	const char	*function;	/* NULL when unknown; demangled for C++ */
	uint64_t	offset;		/* addr - function start */
	const char	*module;	/* path of the mapped file, NULL when unmapped */
	uint64_t	mod_offset;	/* addr's offset in that file: the same in every run */
	const char	*file;		/* source file from DWARF, NULL when none */
	int		line;		/* 0 when none */
	bool		inlined;	/* an inlined call, inside the next frame's function */
};

struct mr_symbols *mr_symbols_new(void);
void mr_symbols_free(struct mr_symbols *s);

/*
 * A file-backed mapping of process pid that exists from time ts on. A later
 * mapping over the same addresses shadows it from its own ts on (munmap is
 * not recorded, so an unmapped module stays usable for older addresses).
 * build_id is lowercase hex, or NULL when not known.
 */
void mr_symbols_add_map(struct mr_symbols *s, int pid, uint64_t ts, uint64_t start,
			uint64_t len, uint64_t pgoff, const char *path, const char *build_id);

/* pid was forked from parent at ts: it sees the parent's mappings as of ts. */
void mr_symbols_inherit(struct mr_symbols *s, int pid, int parent, uint64_t ts);

/*
 * Fills f for addr as seen by pid at time ts. return_addr: addr is a return
 * address, so the call instruction (addr - 1) is what is looked up for the
 * function and line. Strings in f live as long as s. Returns 0 when at least
 * the module was found, -1 otherwise (f->addr is still set).
 * When addr lies in inlined code, f is the outermost frame of the chain that
 * mr_symbols_lookup_inline() gives: the real function, its offset, and the
 * line where it calls the first inlined function; f->inlined is false.
 */
int mr_symbols_lookup(struct mr_symbols *s, int pid, uint64_t ts, uint64_t addr,
		      bool return_addr, struct mr_frame *f);
/*
 * The real function at addr (the name mr_symbols_lookup() gives), or NULL;
 * no DWARF is read: what the reading of the events asks, not the rows.
 */
const char *mr_symbols_function(struct mr_symbols *s, int pid, uint64_t ts, uint64_t addr,
				bool return_addr);
/* A recorded mapping, as the lookups pick it; strings live as long as the struct mr_symbols. */
struct mr_mapping {
	uint64_t	start, end;	/* addresses [start, end) */
	uint64_t	pgoff;		/* file offset of start */
	const char	*module;	/* path as recorded, or "[anon]" and the like */
	const char	*build_id;	/* lowercase hex as recorded, NULL when not */
};
/* The mapping addr lies in for pid at ts (the one mr_symbols_lookup uses); -1 when none. */
int mr_symbols_mapping(struct mr_symbols *s, int pid, uint64_t ts, uint64_t addr,
		       struct mr_mapping *m);
/* Whether a module of pid is mapped at addr at time ts (no symbol lookup). */
bool mr_symbols_mapped(struct mr_symbols *s, int pid, uint64_t ts, uint64_t addr);
/*
 * The same, and the mapping's range in *start, *end: a mapping is never
 * taken away (munmap is not recorded), so any address in it is mapped too.
 */
bool mr_symbols_mapped_range(struct mr_symbols *s, int pid, uint64_t ts, uint64_t addr,
			     uint64_t *start, uint64_t *end);
/* The module (path as recorded) pid had mapped at addr at ts, or NULL. */
const char *mr_symbols_module(struct mr_symbols *s, int pid, uint64_t ts, uint64_t addr);
/* Whether any mapping of pid (or of the process it was forked from) is known. */
bool mr_symbols_knows(struct mr_symbols *s, int pid);

/*
 * Like mr_symbols_lookup(), but expands the calls inlined at addr from DWARF,
 * as addr2line -i does: frames[0] is the innermost inlined function with the
 * line of addr, each next frame the function it was inlined into with the line
 * of that call, and the last one the real function (inlined false, with its
 * offset; inlined frames have offset 0). All share addr and module. Returns
 * how many frames were filled, at least 1 when max >= 1 (frames[0].module is
 * NULL when addr is in no mapping); a chain longer than max loses its
 * outermost frames, as a stack cut at max would.
 */
int mr_symbols_lookup_inline(struct mr_symbols *s, int pid, uint64_t ts, uint64_t addr,
			     bool return_addr, struct mr_frame *frames, int max);

/*
 * Where else a module may be found, tried before its recorded path, in the
 * order added: DIR/.build-id/xx/rest (the module, or a copy with its symbol
 * tables) and DIR/.build-id/xx/rest.debug (its DWARF). label says in -v
 * output where a module came from.
 */
void mr_symbols_add_debug_dir(struct mr_symbols *s, const char *dir, const char *label);
/* Looks for a module at DIR/its-recorded-path, before the path itself. */
void mr_symbols_set_sysroot(struct mr_symbols *s, const char *dir);

/* x86_64 user registers as recorded (perf's PERF_SAMPLE_REGS_USER), in this order */
enum mr_ureg {
	MR_UREG_BX, MR_UREG_BP, MR_UREG_SP, MR_UREG_IP,
	MR_UREG_R12, MR_UREG_R13, MR_UREG_R14, MR_UREG_R15,
	MR_UREG_NR
};

/*
 * Unwinds the user stack of pid at time ts from regs and a copy of the stack
 * starting at regs[MR_UREG_SP] (stack_len bytes), with the CFI (.eh_frame or
 * .debug_frame) of the modules pid had mapped then. frames[0] = regs[IP];
 * each further frame is a return address. Returns the number of frames
 * (>= 1 when max >= 1), stopping at max, at the end of the snapshot, or
 * where CFI is missing. Only the snapshot is read, never live memory.
 */
int mr_symbols_unwind(struct mr_symbols *s, int pid, uint64_t ts, const uint64_t *regs,
		      const void *stack, size_t stack_len, uint64_t *frames, int max);

#endif
