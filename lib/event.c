// SPDX-License-Identifier: GPL-2.0
/* event.c - names of the allocator functions memrec knows. */
#include "memrec.h"
#include "mr_event.h"

static const char *const fn_names[MR_FN_NR] = {
	[MR_FN_MALLOC]		= "malloc",
	[MR_FN_CALLOC]		= "calloc",
	[MR_FN_REALLOC]		= "realloc",
	[MR_FN_REALLOCARRAY]	= "reallocarray",
	[MR_FN_FREE]		= "free",
	[MR_FN_POSIX_MEMALIGN]	= "posix_memalign",
	[MR_FN_ALIGNED_ALLOC]	= "aligned_alloc",
	[MR_FN_VALLOC]		= "valloc",
	[MR_FN_PVALLOC]		= "pvalloc",
	[MR_FN_MEMALIGN_INT]	= "memalign_int",
	[MR_FN_STRDUP]		= "strdup",
	[MR_FN_STRNDUP]		= "strndup",
	[MR_FN_NEW]		= "new",
	[MR_FN_NEW_ARRAY]	= "new_array",
	[MR_FN_DLOPEN]		= "dlopen",
	[MR_FN_MMAP]		= "mmap",
	[MR_FN_MUNMAP]		= "munmap",
	[MR_FN_MREMAP]		= "mremap",
	[MR_FN_BRK]		= "brk",
};

const char *mr_fn_name(enum mr_fn fn)
{
	if ((unsigned)fn >= MR_FN_NR || !fn_names[fn])
		return "?";
	return fn_names[fn];
}
