/* SPDX-License-Identifier: GPL-2.0 */
/*
 * suppress.h - leak rows that are not leaks: the runtime's one-time
 * allocations (built in) and the user's patterns (--suppress FILE).
 */
#ifndef MR_SUPPRESS_H
#define MR_SUPPRESS_H

#include <stdbool.h>
#include "mr_symbols.h"

enum mr_supp_kind {
	MR_SUPP_RUNTIME,	/* built in: stdio buffers, TLS, ld.so, libstdc++'s pool... */
	MR_SUPP_FILE,		/* a pattern of --suppress FILE */
	MR_SUPP_PROGRAM,	/* the program's own __lsan_default_suppressions() */
	MR_SUPP_NR,
};

struct mr_suppressions;
/*
 * The built-in rules (unless builtin is false) and those of file (NULL:
 * none). file holds one pattern a line, "leak:PATTERN" as LeakSanitizer
 * writes them or PATTERN alone; '#' starts a comment. A pattern matches a
 * frame's function, module or source file: as a substring, or with '*'
 * anywhere and '^' or '$' anchoring it. Returns NULL with an error message
 * when file cannot be read or holds a bad line.
 */
struct mr_suppressions *mr_supp_load(const char *file, bool builtin);
/*
 * Adds the lines of text (LSan's format, as for file) as rules of kind;
 * origin names them in messages. A bad line is skipped with a warning.
 */
void mr_supp_add_text(struct mr_suppressions *s, const char *text, const char *origin,
		      enum mr_supp_kind kind);
/* The kind of the first rule that the stack (innermost first) matches, or -1. */
int mr_supp_match(const struct mr_suppressions *s, const struct mr_frame *frames, int nr);
void mr_supp_free(struct mr_suppressions *s);
#endif
