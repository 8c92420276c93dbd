// SPDX-License-Identifier: GPL-2.0
/*
 * group.c - sort by key, fold equal neighbours, sort by size: the one
 * grouping of rows every analyser uses.
 */
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "mr_group.h"

size_t mr_group(void *rows, size_t nr, size_t size, int (*key_cmp)(const void *, const void *),
		void (*merge)(void *into, const void *row),
		int (*order_cmp)(const void *, const void *))
{
	char *v = rows;
	size_t out = 0;

	if (!nr)
		return 0;
	mr_qsort(v, nr, size, key_cmp);
	for (size_t i = 0; i < nr; i++) {
		if (out && !key_cmp(v + (out - 1) * size, v + i * size))
			merge(v + (out - 1) * size, v + i * size);
		else if (out++ != i)
			memcpy(v + (out - 1) * size, v + i * size, size);
	}
	mr_qsort(v, out, size, order_cmp);
	return out;
}
