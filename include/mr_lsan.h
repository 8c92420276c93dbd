/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mr_lsan.h - the LeakSanitizer suppressions a program carries in its
 * __lsan_default_suppressions(), read by the recorder from the module on
 * disk so that a report elsewhere can honour them.
 */
#ifndef MR_LSAN_H
#define MR_LSAN_H

#include <stdbool.h>

/*
 * The string __lsan_default_suppressions() of the ELF file path returns
 * (malloc'd), or NULL; *has_fn tells whether path defines the function at
 * all, so that a function whose string could not be read can be reported.
 */
char *mr_read_lsan_suppressions(const char *path, bool *has_fn);
#endif
