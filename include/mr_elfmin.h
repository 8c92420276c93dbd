/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mr_elfmin.h - small copies of ELF files that keep what symbolisation
 * needs, so a trace file can carry them to a host without the binaries.
 */
#ifndef MR_ELFMIN_H
#define MR_ELFMIN_H

#include <stdbool.h>
#include "memrec.h"

/*
 * Appends to out (normally empty) a copy of the ELF file at path with the
 * same ELF header fields, the program headers unchanged (p_offset and all,
 * although the copy is laid out differently) and every section header at
 * its index. Symbol and string tables, symbol versions, notes (build-id),
 * debug links, .gnu_debugdata, .eh_frame and .eh_frame_hdr keep their
 * contents, and with keep_debug so do .debug_* and .zdebug_*; every other
 * section becomes SHT_NOBITS of its old address and size, as in a separate
 * .debug file. Returns 0, or -1 with an error printed and out unchanged.
 */
int mr_elf_keep_symbols(const char *path, bool keep_debug, struct mr_buf *out);

#endif
