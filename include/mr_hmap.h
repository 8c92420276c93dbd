/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mr_hmap.h - the project's hash map: open addressing from a key the caller
 * owns to a 32-bit entry index (git's hashmap idea, with indices instead of
 * embedded links). Each slot holds 32 bits of the key's hash and the index,
 * 8 bytes; the keys themselves stay in the caller's entries (a pool, an
 * array of structs), and equality is the caller's callback over them. At
 * most 5/8 full, linear probing, backward-shift deletion (no tombstones).
 *
 * Why this shape, measured (a live set of N keys in a pool of 48-byte
 * entries like pairing's, each op frees a random live key and allocates a
 * new one; 5M ops, median of 7 runs, 2-CPU Xeon VM, gcc -O2; ns per op and
 * table bytes per live key):
 *
 *	N live	u64map (16-byte slots)	mr_hmap over the pool	u64map on mr_hmap
 *	10k	 91 ns	26 B		 83 ns	13 B		106 ns	39 B
 *	300k	258 ns	28 B		196 ns	14 B		305 ns	42 B
 *	1M	457 ns	34 B		368 ns	17 B		601 ns	34 B
 *	3M	551 ns	45 B		542 ns	22 B		791 ns	45 B
 *	5.5M	889 ns	24 B		576 ns	24 B		859 ns	49 B
 *
 * So a key that lives in an entry of the caller's goes through mr_hmap:
 * faster at every size, and half the table but where the two grow at
 * different steps (5.5M). Allowed 3/4 full, mr_hmap was 20% slower than
 * u64map at 3M (72% full); at 5/8 it is not. Inlining the probe and the
 * callback into the caller bought 3-8%: not worth a header of code.
 * A key that lives nowhere else keeps mr_u64map.h's specialised slots:
 * rebuilt on mr_hmap it needs an entry array of its own and is up to 1.4x
 * slower and no smaller (last column).
 */
#ifndef MR_HMAP_H
#define MR_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MR_HMAP_NONE	UINT32_MAX		/* no entry */
#define MR_HMAP_NOPOS	SIZE_MAX		/* no slot: the map has none yet */

/* A zeroed struct is an empty map. */
struct mr_hmap {
	struct mr_hslot {
		uint32_t	hash;
		uint32_t	idx;	/* entry + 1; 0: empty slot */
	}		*slots;
	size_t		mask, nr;
};

/* Whether entry idx of ctx (the caller's entries) has key. */
typedef bool (*mr_hmap_eq_fn)(const void *ctx, uint32_t idx, const void *key);

/*
 * hash is the low 32 bits of a well mixed hash of the key (mr_hash_u64,
 * mr_hash_str); equal keys must have equal hashes. eq is called only on
 * entries whose stored hash equals hash.
 */

/* The entry with key, or MR_HMAP_NONE. */
uint32_t mr_hmap_get(const struct mr_hmap *m, uint32_t hash, mr_hmap_eq_fn eq, const void *ctx,
		     const void *key);
/* Adds entry idx under hash; the caller knows no entry has its key. */
void mr_hmap_add(struct mr_hmap *m, uint32_t hash, uint32_t idx);
/* Removes the entry with key; returns it, or MR_HMAP_NONE. */
uint32_t mr_hmap_del(struct mr_hmap *m, uint32_t hash, mr_hmap_eq_fn eq, const void *ctx,
		     const void *key);

/*
 * One probe for "find, then replace, add or remove": the slot of the entry
 * with key, or the empty slot where it would go (MR_HMAP_NOPOS in a map
 * never filled). A position is good until the map next changes.
 */
size_t mr_hmap_find(const struct mr_hmap *m, uint32_t hash, mr_hmap_eq_fn eq, const void *ctx,
		    const void *key);
/* Stores idx at pos: replaces the entry there, or adds one (growing if need be). */
void mr_hmap_put_at(struct mr_hmap *m, size_t pos, uint32_t hash, uint32_t idx);
/* Removes the entry at pos, if any. */
void mr_hmap_del_at(struct mr_hmap *m, size_t pos);

/* The entry at pos, or MR_HMAP_NONE. */
static inline uint32_t mr_hmap_at(const struct mr_hmap *m, size_t pos)
{
	return pos == MR_HMAP_NOPOS ? MR_HMAP_NONE : m->slots[pos].idx - 1;
}

/* Room for n more entries without growing: positions found stay good. */
void mr_hmap_reserve(struct mr_hmap *m, size_t n);
void mr_hmap_release(struct mr_hmap *m);

#endif
