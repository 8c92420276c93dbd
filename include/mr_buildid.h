/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mr_buildid.h - the GNU build-id of ELF files, as lowercase hex: what the
 * recorder stores for each mapped module and the reporter checks files by.
 */
#ifndef MR_BUILDID_H
#define MR_BUILDID_H

#include <libelf.h>
#include <stddef.h>

/* Opens a regular file read-only: -1 (errno) if it cannot, -2 if it is something else. */
int mr_open_regular(const char *path);
/* Reads the GNU build-id of an ELF file as lowercase hex; NULL if none. */
char *mr_read_build_id(const char *path);
/* The same for an ELF already open; NULL if elf is NULL, not ELF or has none. */
char *mr_elf_build_id(Elf *elf);
/* A build-id's bytes as lowercase hex (malloc'd). */
char *mr_build_id_hex(const void *bits, size_t len);

#endif
