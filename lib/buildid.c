// SPDX-License-Identifier: GPL-2.0
/*
 * buildid.c - owns reading GNU build-ids, which both sides need: the
 * recorder to key the modules it saw, the reporter to check that a file is
 * the one that was mapped. Kept apart from symbolisation so that the
 * recorder does not depend on it.
 */
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "memrec.h"
#include "mr_buildid.h"

char *mr_build_id_hex(const void *bits, size_t len)
{
	const unsigned char *bytes = bits;
	char *out = mr_xmalloc(2 * len + 1);
	size_t i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", bytes[i]);
	out[2 * len] = '\0';
	return out;
}

char *mr_elf_build_id(Elf *elf)
{
	const void *bits;
	ssize_t len;

	if (!elf || elf_kind(elf) != ELF_K_ELF)
		return NULL;
	len = dwelf_elf_gnu_build_id(elf, &bits);
	if (len <= 0)
		return NULL;
	return mr_build_id_hex(bits, len);
}

/*
 * Paths come from trace files of other hosts: a FIFO would block open()
 * forever and a device may act on open, so only a regular file is opened
 * (checked before, and the one opened checked again).
 */
int mr_open_regular(const char *path)
{
	struct stat before, st;
	int fd;

	if (stat(path, &before) < 0)
		return -1;
	if (!S_ISREG(before.st_mode))
		return -2;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_ino != before.st_ino ||
	    st.st_dev != before.st_dev) {
		close(fd);
		return -2;
	}
	return fd;
}

char *mr_read_build_id(const char *path)
{
	char *id;
	Elf *elf;
	int fd;

	elf_version(EV_CURRENT);
	fd = mr_open_regular(path);
	if (fd < 0)
		return NULL;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	id = mr_elf_build_id(elf);
	elf_end(elf);
	close(fd);
	return id;
}
