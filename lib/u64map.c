// SPDX-License-Identifier: GPL-2.0
/*
 * u64map.c - the map of include/mr_u64map.h: linear probing at most 70%
 * full, backward-shift deletion (no tombstones to pile up under churn).
 * Key 0 marks an empty slot, so that key is kept beside the slots.
 */
#include <stdlib.h>
#include "memrec.h"
#include "mr_u64map.h"

static size_t home(const struct mr_u64map *m, uint64_t key)
{
	return mr_hash_u64(key) & m->mask;
}

static size_t find(const struct mr_u64map *m, uint64_t key)
{
	size_t i = home(m, key);

	while (m->slots[i].key && m->slots[i].key != key)
		i = (i + 1) & m->mask;
	return i;
}

uint32_t *mr_u64map_get(const struct mr_u64map *m, uint64_t key)
{
	size_t i;

	if (!key)
		return m->has_zero ? (uint32_t *)&m->zero_val : NULL;
	if (!m->slots)
		return NULL;
	i = find(m, key);
	return m->slots[i].key ? &m->slots[i].val : NULL;
}

static void grow(struct mr_u64map *m)
{
	struct mr_u64slot *old = m->slots;
	size_t cap = old ? (m->mask + 1) * 2 : 1024;

	m->slots = mr_xcalloc(cap, sizeof(*m->slots));
	m->mask = cap - 1;
	for (size_t i = 0; old && i < cap / 2; i++)
		if (old[i].key)
			m->slots[find(m, old[i].key)] = old[i];
	free(old);
}

uint32_t *mr_u64map_put(struct mr_u64map *m, uint64_t key, uint32_t val)
{
	size_t i;

	if (!key) {
		m->nr += !m->has_zero;
		m->has_zero = true;
		m->zero_val = val;
		return &m->zero_val;
	}
	if (!m->slots || (m->nr + 1) * 10 > (m->mask + 1) * 7)
		grow(m);
	i = find(m, key);
	if (!m->slots[i].key) {
		m->slots[i].key = key;
		m->nr++;
	}
	m->slots[i].val = val;
	return &m->slots[i].val;
}

bool mr_u64map_del(struct mr_u64map *m, uint64_t key, uint32_t *val)
{
	size_t i, j;

	if (!key) {
		if (!m->has_zero)
			return false;
		if (val)
			*val = m->zero_val;
		m->has_zero = false;
		m->nr--;
		return true;
	}
	if (!m->slots)
		return false;
	i = find(m, key);
	if (!m->slots[i].key)
		return false;
	if (val)
		*val = m->slots[i].val;
	/* shift back each later entry of the run that may sit at i */
	for (j = (i + 1) & m->mask; m->slots[j].key; j = (j + 1) & m->mask) {
		size_t h = home(m, m->slots[j].key);

		if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].key = 0;
	m->nr--;
	return true;
}

void mr_u64map_release(struct mr_u64map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->mask = m->nr = 0;
	m->has_zero = false;
}
