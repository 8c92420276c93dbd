/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mr_group.h - rows of one block each grouped into one row per key: the
 * leak, kernel and OOM rows all sort by key, fold equal neighbours and sort
 * again by size.
 */
#ifndef MR_GROUP_H
#define MR_GROUP_H

#include <stddef.h>

/*
 * Sorts nr rows of size bytes by key (key_cmp: a total order on keys),
 * folds each run of equal keys into its first row with merge(into, row),
 * then sorts what is left with order_cmp. Returns the number of rows left.
 */
size_t mr_group(void *rows, size_t nr, size_t size, int (*key_cmp)(const void *, const void *),
		void (*merge)(void *into, const void *row),
		int (*order_cmp)(const void *, const void *));
#endif
