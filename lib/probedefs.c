// SPDX-License-Identifier: GPL-2.0
/*
 * probedefs.c - the allocator probe table shared by record and report.
 * Entry probes fetch the arguments and the return address at [sp] (the
 * direct caller, which a user stack taken at entry lacks); return probes
 * fetch the return value.
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
};

const int mr_nr_probe_defs = ARRAY_SIZE(mr_probe_defs);

int mr_fn_by_event(const char *name, int *is_ret)
{
	size_t len = strlen(name);
	int i;

	*is_ret = len > 4 && !strcmp(name + len - 4, "_ret");
	if (*is_ret)
		len -= 4;
	for (i = 0; i < mr_nr_probe_defs; i++)
		if (strlen(mr_probe_defs[i].name) == len &&
		    !strncmp(mr_probe_defs[i].name, name, len))
			return mr_probe_defs[i].fn;
	return -1;
}
