// SPDX-License-Identifier: GPL-2.0
/*
 * hmap.c - the map of include/mr_hmap.h: linear probing at most 5/8 full
 * over 8-byte slots (32 bits of hash, entry + 1), backward-shift deletion
 * (no tombstones to pile up under churn). The stored hash lets a probe
 * skip other keys and a resize place entries without the caller's help.
 */
#include <stdlib.h>
#include "memrec.h"
#include "mr_hmap.h"

#define MIN_SLOTS	64

static bool too_full(size_t nr, size_t slots)
{
	return nr * 8 > slots * 5;
}

/* The first empty slot on hash's probe path. */
static size_t empty_from(const struct mr_hmap *m, uint32_t hash)
{
	size_t i = hash & m->mask;

	while (m->slots[i].idx)
		i = (i + 1) & m->mask;
	return i;
}

static void resize(struct mr_hmap *m, size_t cap)
{
	struct mr_hslot *old = m->slots;
	size_t old_cap = old ? m->mask + 1 : 0;

	m->slots = mr_xcalloc(cap, sizeof(*m->slots));
	m->mask = cap - 1;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].idx)
			m->slots[empty_from(m, old[i].hash)] = old[i];
	free(old);
}

void mr_hmap_reserve(struct mr_hmap *m, size_t n)
{
	size_t cap = m->slots ? m->mask + 1 : MIN_SLOTS;

	while (too_full(m->nr + n, cap))
		cap *= 2;
	if (!m->slots || cap != m->mask + 1)
		resize(m, cap);
}

size_t mr_hmap_find(const struct mr_hmap *m, uint32_t hash, mr_hmap_eq_fn eq, const void *ctx,
		    const void *key)
{
	size_t i;

	if (!m->slots)
		return MR_HMAP_NOPOS;
	for (i = hash & m->mask; m->slots[i].idx; i = (i + 1) & m->mask)
		if (m->slots[i].hash == hash && eq(ctx, m->slots[i].idx - 1, key))
			break;
	return i;
}

void mr_hmap_put_at(struct mr_hmap *m, size_t pos, uint32_t hash, uint32_t idx)
{
	if (pos == MR_HMAP_NOPOS || !m->slots[pos].idx) {
		if (!m->slots || too_full(m->nr + 1, m->mask + 1)) {
			mr_hmap_reserve(m, 1);
			pos = empty_from(m, hash);
		}
		m->nr++;
	}
	m->slots[pos].hash = hash;
	m->slots[pos].idx = idx + 1;
}

void mr_hmap_del_at(struct mr_hmap *m, size_t pos)
{
	size_t i = pos, j = pos;

	if (pos == MR_HMAP_NOPOS || !m->slots[pos].idx)
		return;
	/*
	 * The entry at j (home h) may move back into the hole at i only if i
	 * lies on its probe path from h to j.
	 */
	for (;;) {
		j = (j + 1) & m->mask;
		if (!m->slots[j].idx)
			break;
		if (((j - i) & m->mask) <= ((j - m->slots[j].hash) & m->mask)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].idx = 0;
	m->nr--;
}

uint32_t mr_hmap_get(const struct mr_hmap *m, uint32_t hash, mr_hmap_eq_fn eq, const void *ctx,
		     const void *key)
{
	return mr_hmap_at(m, mr_hmap_find(m, hash, eq, ctx, key));
}

void mr_hmap_add(struct mr_hmap *m, uint32_t hash, uint32_t idx)
{
	mr_hmap_reserve(m, 1);
	m->slots[empty_from(m, hash)] = (struct mr_hslot){ .hash = hash, .idx = idx + 1 };
	m->nr++;
}

uint32_t mr_hmap_del(struct mr_hmap *m, uint32_t hash, mr_hmap_eq_fn eq, const void *ctx,
		     const void *key)
{
	size_t pos = mr_hmap_find(m, hash, eq, ctx, key);
	uint32_t idx = mr_hmap_at(m, pos);

	mr_hmap_del_at(m, pos);
	return idx;
}

void mr_hmap_release(struct mr_hmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->mask = m->nr = 0;
}
