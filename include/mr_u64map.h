/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mr_u64map.h - an open-addressing map from a non-zero 64-bit key to a
 * 32-bit value, for the kernel analysers' live objects (by address) and
 * pages (by pfn). Deletion shifts entries back, so lookups stay short.
 */
#ifndef MR_U64MAP_H
#define MR_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mr_u64map {
	struct mr_u64slot {
		uint64_t	key;	/* 0: empty */
		uint32_t	val;
	}		*slots;
	size_t		mask, nr;
};

/* The value of key, or NULL; valid until the next put or del. */
uint32_t *mr_u64map_get(const struct mr_u64map *m, uint64_t key);
/* Sets key to val; returns the slot's value pointer. */
uint32_t *mr_u64map_put(struct mr_u64map *m, uint64_t key, uint32_t val);
/* Removes key; true if it was there (its value in *val when val is set). */
bool mr_u64map_del(struct mr_u64map *m, uint64_t key, uint32_t *val);
void mr_u64map_release(struct mr_u64map *m);

#endif
