/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mr_u64map.h - a map from a 64-bit key to a 32-bit value that keeps the
 * key itself in its 16-byte slots: for keys that live nowhere else (flags,
 * ids, hashes of names). When the key is in an entry of the caller's (a
 * pool of live objects, an array of structs), use mr_hmap.h instead: half
 * the table, and faster (figures there).
 * Open addressing at most 70% full, backward-shift deletion.
 */
#ifndef MR_U64MAP_H
#define MR_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A zeroed struct is an empty map. Any key, 0 too. */
struct mr_u64map {
	struct mr_u64slot {
		uint64_t	key;	/* 0: empty */
		uint32_t	val;
	}		*slots;
	size_t		mask, nr;	/* nr counts key 0 too */
	bool		has_zero;	/* key 0 lives here, not in a slot */
	uint32_t	zero_val;
};

/* The value of key, or NULL; valid until the next put or del. */
uint32_t *mr_u64map_get(const struct mr_u64map *m, uint64_t key);
/* Sets key to val; returns the value's pointer, valid as get's. */
uint32_t *mr_u64map_put(struct mr_u64map *m, uint64_t key, uint32_t val);
/* Removes key; true if it was there (its value in *val when val is set). */
bool mr_u64map_del(struct mr_u64map *m, uint64_t key, uint32_t *val);
void mr_u64map_release(struct mr_u64map *m);

#endif
