// SPDX-License-Identifier: GPL-2.0
/*
 * slabinfo.c - what the report must know of this kernel's slab caches, read
 * from /sys/kernel/slab at record time into the file's metadata: the caches
 * with sheaves (their kfree_rcu'd objects are freed in bulk, with no kmem
 * event: maple_node on 6.18) and those the shrinkers reclaim (reclaim_account:
 * dentry, inode caches).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include "memrec.h"
#include "record.h"

#define SLAB_DIR	"/sys/kernel/slab"

static long slab_attr(const char *cache, const char *attr)
{
	char path[512], *s;
	long v;

	snprintf(path, sizeof(path), SLAB_DIR "/%s/%s", cache, attr);
	s = mr_read_file(path, NULL);
	v = s ? strtol(s, NULL, 10) : 0;
	free(s);
	return v;
}

void mr_slabinfo_read(struct mr_meta *m)
{
	DIR *d = opendir(SLAB_DIR);
	struct dirent *de;

	if (!d)
		return;
	/* the aliases (symlinks) too: an event names a merged cache by its first name */
	while ((de = readdir(d))) {
		unsigned int flags = 0;

		if (de->d_name[0] == '.')
			continue;
		if (slab_attr(de->d_name, "sheaf_capacity") > 0)
			flags |= MR_SLAB_NO_FREE_EVENT;
		if (slab_attr(de->d_name, "reclaim_account") > 0)
			flags |= MR_SLAB_RECLAIMABLE;
		if (flags)
			mr_meta_add_slab(m, de->d_name, flags);
	}
	closedir(d);
}
