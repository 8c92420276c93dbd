// SPDX-License-Identifier: GPL-2.0
/*
 * mappings.c - the program's own mappings, with a known answer for
 * memrec record -e mappings (test_mappings.sh):
 *
 *   map_kept       8 anonymous mmaps of 1 MiB, kept: 8388608 bytes in 8
 *                  blocks, alloc_fn mmap, frame 0 map_kept (marker L:kept)
 *   map_holed      a 4 MiB mmap whose middle 1 MiB (at +1 MiB) is unmapped:
 *                  3145728 bytes in 2 blocks (1 MiB and 2 MiB), one row,
 *                  frame 0 map_holed (L:holed)
 *   map_balanced   mmap 1 MiB then munmap; mmap 2 MiB, mremap to 3 MiB
 *                  (MREMAP_MAYMOVE), munmap of the new range: no row
 *   malloc_big     malloc(1 << 20), kept: glibc mmaps it inside malloc; one
 *                  row, alloc_fn malloc, 1048576 bytes, 1 block (L:big), and
 *                  no mmap row for it
 *   map_direct     syscall(SYS_mmap) of 512 KiB, kept: 524288 bytes, 1
 *                  block, alloc_fn mmap, frame 0 map_direct (L:direct)
 *   grow_brk       sbrk(64 KiB) twice, kept: the heap row, alloc_fn brk,
 *                  131072 bytes
 * Output: "mappings done\n" (write(2), no stdio).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MIB (1ul << 20)

static void *volatile keep[16];

static void *anon(size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

__attribute__((noinline)) void map_kept(void)
{
	for (int i = 0; i < 8; i++) {
		keep[i] = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* L:kept */
		memset(keep[i], i, 64);
	}
}

__attribute__((noinline)) void map_holed(void)
{
	char *p = mmap(NULL, 4 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); /* L:holed */

	munmap(p + MIB, MIB);
	keep[8] = p;
}

__attribute__((noinline)) void map_balanced(void)
{
	char *p = anon(MIB), *q;

	munmap(p, MIB);
	p = anon(2 * MIB);
	q = mremap(p, 2 * MIB, 3 * MIB, MREMAP_MAYMOVE);
	munmap(q, 3 * MIB);
}

__attribute__((noinline)) void malloc_big(void)
{
	keep[9] = malloc(1 << 20); /* L:big */
}

__attribute__((noinline)) void map_direct(void)
{
	keep[10] = (void *)syscall(SYS_mmap, NULL, 512 * 1024, PROT_READ | PROT_WRITE, /* L:direct */
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

__attribute__((noinline)) void grow_brk(void)
{
	keep[11] = sbrk(64 * 1024);
	keep[12] = sbrk(64 * 1024);
}

int main(void)
{
	static const char done[] = "mappings done\n";

	map_kept();
	map_holed();
	map_balanced();
	malloc_big();
	map_direct();
	grow_brk();
	if (write(1, done, sizeof(done) - 1) < 0)
		return 1;
	return 0;
}
