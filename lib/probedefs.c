// SPDX-License-Identifier: GPL-2.0
/*
 * probedefs.c - the allocator probe table shared by record and report.
 * Entry probes fetch the arguments and the return address at [sp] (the
 * direct caller, which a user stack taken at entry lacks); return probes
 * fetch the return value. MR_LIB_ALLOC rows are another allocator's entry
 * points (jemalloc, tcmalloc, mimalloc, or --lib): the same functions, and
 * the APIs a program may call directly; their argument fields keep the
 * names of the first row of the same function, which the reader looks up.
 */
#include <string.h>
#include "memrec.h"
#include "mr_event.h"

#define CALLER	" caller=$stack0:x64"
#define RET	"ret=$retval:x64"

const struct mr_probe_def mr_probe_defs[] = {
	{ "malloc",		"malloc",	MR_FN_MALLOC,	MR_LIB_C, "size=%di:u64" CALLER, RET },
	{ "calloc",		"calloc",	MR_FN_CALLOC,	MR_LIB_C,
	  "n=%di:u64 size=%si:u64" CALLER, RET },
	{ "realloc",		"realloc",	MR_FN_REALLOC,	MR_LIB_C,
	  "ptr=%di:x64 size=%si:u64" CALLER, RET },
	{ "reallocarray",	"reallocarray",	MR_FN_REALLOCARRAY, MR_LIB_C,
	  "ptr=%di:x64 n=%si:u64 size=%dx:u64" CALLER, RET },
	{ "free",		"free",		MR_FN_FREE,	MR_LIB_C, "ptr=%di:x64" CALLER, NULL },
	{ "posix_memalign",	"posix_memalign", MR_FN_POSIX_MEMALIGN, MR_LIB_C,
	  "memptr=%di:x64 align=%si:u64 size=%dx:u64" CALLER, RET },
	{ "aligned_alloc",	"aligned_alloc", MR_FN_ALIGNED_ALLOC, MR_LIB_C,
	  "align=%di:u64 size=%si:u64" CALLER, RET },
	{ "memalign",		"memalign",	MR_FN_ALIGNED_ALLOC, MR_LIB_C,
	  "align=%di:u64 size=%si:u64" CALLER, RET },
	{ "valloc",		"valloc",	MR_FN_VALLOC,	MR_LIB_C, "size=%di:u64" CALLER, RET },
	{ "pvalloc",		"pvalloc",	MR_FN_PVALLOC,	MR_LIB_C, "size=%di:u64" CALLER, RET },
	/* glibc's static _mid_memalign; located by record/probes.c */
	{ NULL,			"memalign_int",	MR_FN_MEMALIGN_INT, MR_LIB_C,
	  "align=%di:u64 size=%si:u64" CALLER, RET },
	{ "strdup",		"strdup",	MR_FN_STRDUP,	MR_LIB_C, "src=%di:x64" CALLER, RET },
	{ "strndup",		"strndup",	MR_FN_STRNDUP,	MR_LIB_C,
	  "src=%di:x64 n=%si:u64" CALLER, RET },
	{ "_Znwm",		"new",		MR_FN_NEW,	MR_LIB_CXX, "size=%di:u64" CALLER, RET },
	{ "_ZnwmRKSt9nothrow_t", "new_nt",	MR_FN_NEW,	MR_LIB_CXX, "size=%di:u64" CALLER, RET },
	{ "_ZnwmSt11align_val_t", "new_al",	MR_FN_NEW,	MR_LIB_CXX, "size=%di:u64" CALLER, RET },
	{ "_ZnwmSt11align_val_tRKSt9nothrow_t", "new_al_nt", MR_FN_NEW, MR_LIB_CXX,
	  "size=%di:u64" CALLER, RET },
	{ "_Znam",		"new_array",	MR_FN_NEW_ARRAY, MR_LIB_CXX, "size=%di:u64" CALLER, RET },
	{ "_ZnamRKSt9nothrow_t", "new_array_nt", MR_FN_NEW_ARRAY, MR_LIB_CXX,
	  "size=%di:u64" CALLER, RET },
	{ "_ZnamSt11align_val_t", "new_array_al", MR_FN_NEW_ARRAY, MR_LIB_CXX,
	  "size=%di:u64" CALLER, RET },
	{ "_ZnamSt11align_val_tRKSt9nothrow_t", "new_array_al_nt", MR_FN_NEW_ARRAY, MR_LIB_CXX,
	  "size=%di:u64" CALLER, RET },
	/* another allocator's; aliases of one address (tc_malloc = malloc) are probed once */
	{ "malloc",		"malloc",	MR_FN_MALLOC,	MR_LIB_ALLOC, "size=%di:u64" CALLER, RET },
	{ "calloc",		"calloc",	MR_FN_CALLOC,	MR_LIB_ALLOC,
	  "n=%di:u64 size=%si:u64" CALLER, RET },
	{ "realloc",		"realloc",	MR_FN_REALLOC,	MR_LIB_ALLOC,
	  "ptr=%di:x64 size=%si:u64" CALLER, RET },
	{ "free",		"free",		MR_FN_FREE,	MR_LIB_ALLOC, "ptr=%di:x64" CALLER, NULL },
	{ "aligned_alloc",	"aligned_alloc", MR_FN_ALIGNED_ALLOC, MR_LIB_ALLOC,
	  "align=%di:u64 size=%si:u64" CALLER, RET },
	{ "memalign",		"memalign",	MR_FN_ALIGNED_ALLOC, MR_LIB_ALLOC,
	  "align=%di:u64 size=%si:u64" CALLER, RET },
	/* its pointer comes from the aligned allocation it calls, when probed (not jemalloc's) */
	{ "posix_memalign",	"posix_memalign", MR_FN_POSIX_MEMALIGN, MR_LIB_ALLOC,
	  "memptr=%di:x64 align=%si:u64 size=%dx:u64" CALLER, RET },
	{ "valloc",		"valloc",	MR_FN_VALLOC,	MR_LIB_ALLOC, "size=%di:u64" CALLER, RET },
	{ "pvalloc",		"pvalloc",	MR_FN_PVALLOC,	MR_LIB_ALLOC, "size=%di:u64" CALLER, RET },
	{ "reallocarray",	"reallocarray",	MR_FN_REALLOCARRAY, MR_LIB_ALLOC,
	  "ptr=%di:x64 n=%si:u64 size=%dx:u64" CALLER, RET },
	/* jemalloc's own API (flags only align or zero: the size is the request) */
	{ "mallocx",		"mallocx",	MR_FN_MALLOC,	MR_LIB_ALLOC, "size=%di:u64" CALLER, RET },
	{ "rallocx",		"rallocx",	MR_FN_REALLOC,	MR_LIB_ALLOC,
	  "ptr=%di:x64 size=%si:u64" CALLER, RET },
	{ "dallocx",		"dallocx",	MR_FN_FREE,	MR_LIB_ALLOC, "ptr=%di:x64" CALLER, NULL },
	{ "sdallocx",		"sdallocx",	MR_FN_FREE,	MR_LIB_ALLOC, "ptr=%di:x64" CALLER, NULL },
	/* tcmalloc's (mostly aliases of the standard names) */
	{ "tc_malloc",		"tc_malloc",	MR_FN_MALLOC,	MR_LIB_ALLOC, "size=%di:u64" CALLER, RET },
	{ "tc_malloc_skip_new_handler", "tc_malloc_snh", MR_FN_MALLOC, MR_LIB_ALLOC,
	  "size=%di:u64" CALLER, RET },
	{ "tc_calloc",		"tc_calloc",	MR_FN_CALLOC,	MR_LIB_ALLOC,
	  "n=%di:u64 size=%si:u64" CALLER, RET },
	{ "tc_realloc",		"tc_realloc",	MR_FN_REALLOC,	MR_LIB_ALLOC,
	  "ptr=%di:x64 size=%si:u64" CALLER, RET },
	{ "tc_memalign",	"tc_memalign",	MR_FN_ALIGNED_ALLOC, MR_LIB_ALLOC,
	  "align=%di:u64 size=%si:u64" CALLER, RET },
	{ "tc_free",		"tc_free",	MR_FN_FREE,	MR_LIB_ALLOC, "ptr=%di:x64" CALLER, NULL },
	{ "tc_free_sized",	"tc_free_sized", MR_FN_FREE,	MR_LIB_ALLOC, "ptr=%di:x64" CALLER, NULL },
	/* mimalloc's */
	{ "mi_malloc",		"mi_malloc",	MR_FN_MALLOC,	MR_LIB_ALLOC, "size=%di:u64" CALLER, RET },
	{ "mi_zalloc",		"mi_zalloc",	MR_FN_MALLOC,	MR_LIB_ALLOC, "size=%di:u64" CALLER, RET },
	{ "mi_calloc",		"mi_calloc",	MR_FN_CALLOC,	MR_LIB_ALLOC,
	  "n=%di:u64 size=%si:u64" CALLER, RET },
	{ "mi_mallocn",		"mi_mallocn",	MR_FN_CALLOC,	MR_LIB_ALLOC,
	  "n=%di:u64 size=%si:u64" CALLER, RET },
	{ "mi_realloc",		"mi_realloc",	MR_FN_REALLOC,	MR_LIB_ALLOC,
	  "ptr=%di:x64 size=%si:u64" CALLER, RET },
	{ "mi_malloc_aligned",	"mi_malloc_aligned", MR_FN_ALIGNED_ALLOC, MR_LIB_ALLOC,
	  "size=%di:u64 align=%si:u64" CALLER, RET },
	{ "mi_free",		"mi_free",	MR_FN_FREE,	MR_LIB_ALLOC, "ptr=%di:x64" CALLER, NULL },
	{ "mi_free_size",	"mi_free_size",	MR_FN_FREE,	MR_LIB_ALLOC, "ptr=%di:x64" CALLER, NULL },
	/* its C++ operators: a new it serves must have its delete seen */
	{ "_Znwm",		"new",		MR_FN_NEW,	MR_LIB_ALLOC, "size=%di:u64" CALLER, RET },
	{ "_Znam",		"new_array",	MR_FN_NEW_ARRAY, MR_LIB_ALLOC, "size=%di:u64" CALLER, RET },
	{ "_ZdlPv",		"delete",	MR_FN_FREE,	MR_LIB_ALLOC, "ptr=%di:x64" CALLER, NULL },
	{ "_ZdaPv",		"delete_array",	MR_FN_FREE,	MR_LIB_ALLOC, "ptr=%di:x64" CALLER, NULL },
	{ "_ZdlPvm",		"delete_sized",	MR_FN_FREE,	MR_LIB_ALLOC, "ptr=%di:x64" CALLER, NULL },
	{ "_ZdaPvm",		"delete_array_sized", MR_FN_FREE, MR_LIB_ALLOC,
	  "ptr=%di:x64" CALLER, NULL },
};

const int mr_nr_probe_defs = ARRAY_SIZE(mr_probe_defs);

int mr_fn_by_event(const char *name, int *is_ret)
{
	size_t len = strlen(name);
	int i;

	const char *sep;

	*is_ret = len > 4 && !strcmp(name + len - 4, "_ret");
	if (*is_ret)
		len -= 4;
	/* NAME__N: the same entry point in the Nth probed file (record/probes.c) */
	sep = memmem(name, len, "__", 2);
	if (sep && sep > name && strspn(sep + 2, "0123456789") == (size_t)(name + len - sep - 2))
		len = sep - name;
	for (i = 0; i < mr_nr_probe_defs; i++)
		if (strlen(mr_probe_defs[i].name) == len &&
		    !strncmp(mr_probe_defs[i].name, name, len))
			return mr_probe_defs[i].fn;
	return -1;
}
