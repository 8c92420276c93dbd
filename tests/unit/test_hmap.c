// SPDX-License-Identifier: GPL-2.0
/*
 * test_hmap.c - the hash maps against a plain array reference under random
 * adds, replaces and deletes: mr_hmap with a good hash, a constant one (every
 * key collides, so only the equality callback tells them apart), one at the
 * last slot (every probe wraps) and one of 3 bits (long clusters); growth
 * from empty and reserve; mr_u64map with key 0 among the others.
 */
#include <stdlib.h>
#include "memrec.h"
#include "mr_hmap.h"
#include "mr_test.h"
#include "mr_u64map.h"

/* The caller's entries: a pool whose free slots have key NOKEY. */
#define NOKEY	UINT64_MAX

struct ent {
	uint64_t	key;
	uint32_t	val;
};

struct pool {
	struct ent	*e;
	uint32_t	nr, cap;
	uint32_t	*free;		/* stack of free indices */
	uint32_t	nr_free;
	uint32_t	(*hash)(uint64_t key);
	uint32_t	want_hash;	/* what the lookup under way hashes to */
	long		eq_calls, eq_bad;
};

static uint32_t hash_good(uint64_t key)
{
	return mr_hash_u64(key);
}

static uint32_t hash_const(uint64_t key)
{
	return 0x5a5a5a5a;
}

static uint32_t hash_last(uint64_t key)
{
	return UINT32_MAX;
}

static uint32_t hash_3bits(uint64_t key)
{
	return key & 7;
}

/* Also checks that the map asks only about entries whose hash it matched. */
static bool ent_eq(const void *ctx, uint32_t idx, const void *key)
{
	struct pool *p = (struct pool *)ctx;

	p->eq_calls++;
	p->eq_bad += idx >= p->nr || p->e[idx].key == NOKEY ||
		     p->hash(p->e[idx].key) != p->want_hash;
	return p->e[idx].key == *(const uint64_t *)key;
}

static uint32_t pool_new(struct pool *p, uint64_t key, uint32_t val)
{
	uint32_t idx;

	if (p->nr_free) {
		idx = p->free[--p->nr_free];
	} else {
		if (p->nr == p->cap) {
			p->cap = p->cap ? p->cap * 2 : 64;
			p->e = mr_xrealloc(p->e, p->cap * sizeof(*p->e));
			p->free = mr_xrealloc(p->free, p->cap * sizeof(*p->free));
		}
		idx = p->nr++;
	}
	p->e[idx] = (struct ent){ key, val };
	return idx;
}

static void pool_drop(struct pool *p, uint32_t idx)
{
	p->e[idx].key = NOKEY;
	p->free[p->nr_free++] = idx;
}

static uint32_t get(struct mr_hmap *m, struct pool *p, uint64_t key)
{
	p->want_hash = p->hash(key);
	return mr_hmap_get(m, p->want_hash, ent_eq, p, &key);
}

/*
 * rounds random operations on nkeys keys (spread over the address space):
 * set through find + put_at (replacing or adding), add of an absent key,
 * del and del_at; every check_every rounds every key is looked up.
 */
static void churn(const char *name, uint32_t (*hash)(uint64_t), int nkeys, int rounds,
		  int check_every)
{
	uint32_t *ref = mr_xmalloc(nkeys * sizeof(*ref));	/* entry of key k, or NONE */
	struct pool p = { .hash = hash };
	struct mr_hmap m = { 0 };
	long bad = 0, live = 0, peak = 0;
	char what[160];

	for (int k = 0; k < nkeys; k++)
		ref[k] = MR_HMAP_NONE;
	srand(11);
	for (int round = 0; round < rounds; round++) {
		int k = rand() % nkeys, op = rand() % 8;
		uint64_t key = mr_hash_u64(k) & ~0xfull;	/* any u64, 0 allowed */

		if (k == 0)
			key = 0;
		p.want_hash = hash(key);
		if (op < 3) {			/* set: one probe, then replace or add */
			size_t pos = mr_hmap_find(&m, p.want_hash, ent_eq, &p, &key);
			uint32_t idx = mr_hmap_at(&m, pos);

			bad += idx != ref[k];
			if (idx == MR_HMAP_NONE) {
				idx = pool_new(&p, key, round);
				live++;
			} else if (op == 0) {	/* replace by a fresh entry */
				pool_drop(&p, idx);
				idx = pool_new(&p, key, round);
			}
			p.e[idx].val = round;
			mr_hmap_put_at(&m, pos, p.want_hash, idx);
			ref[k] = idx;
		} else if (op < 5) {		/* add, when absent */
			if (ref[k] != MR_HMAP_NONE)
				continue;
			ref[k] = pool_new(&p, key, round);
			mr_hmap_add(&m, p.want_hash, ref[k]);
			live++;
		} else if (op < 7) {		/* del */
			uint32_t idx = mr_hmap_del(&m, p.want_hash, ent_eq, &p, &key);

			bad += idx != ref[k];
			if (idx != MR_HMAP_NONE) {
				pool_drop(&p, idx);
				live--;
			}
			ref[k] = MR_HMAP_NONE;
		} else {			/* del_at */
			size_t pos = mr_hmap_find(&m, p.want_hash, ent_eq, &p, &key);
			uint32_t idx = mr_hmap_at(&m, pos);

			bad += idx != ref[k];
			mr_hmap_del_at(&m, pos);
			if (idx != MR_HMAP_NONE) {
				pool_drop(&p, idx);
				live--;
			}
			ref[k] = MR_HMAP_NONE;
		}
		if (live > peak)
			peak = live;
		bad += m.nr != (size_t)live;
		if (round % check_every == 0 || round == rounds - 1)
			for (int i = 0; i < nkeys; i++) {
				uint64_t ki = i ? mr_hash_u64(i) & ~0xfull : 0;
				uint32_t idx = get(&m, &p, ki);

				bad += idx != ref[i] ||
				       (idx != MR_HMAP_NONE && p.e[idx].key != ki);
			}
	}
	snprintf(what, sizeof(what), "hmap %s: matches the reference under %d random ops "
		 "(%ld live at most)", name, rounds, peak);
	MR_CHECK_EQ(bad, 0, what);
	snprintf(what, sizeof(what), "hmap %s: eq is asked only about entries of the same hash",
		 name);
	MR_CHECK(p.eq_calls > 0 && p.eq_bad == 0, what, "%ld of %ld calls wrong", p.eq_bad,
		 p.eq_calls);
	mr_hmap_release(&m);
	free(ref);
	free(p.e);
	free(p.free);
}

static void empty_map(void)
{
	struct pool p = { .hash = hash_good };
	struct mr_hmap m = { 0 };
	uint64_t key = 42;
	size_t pos = mr_hmap_find(&m, hash_good(key), ent_eq, &p, &key);

	MR_CHECK(pos == MR_HMAP_NOPOS && mr_hmap_at(&m, pos) == MR_HMAP_NONE,
		 "hmap: a zeroed map has no slot to find", "pos %zu", pos);
	MR_CHECK_EQ(get(&m, &p, key), MR_HMAP_NONE, "hmap: get on a zeroed map");
	MR_CHECK_EQ(mr_hmap_del(&m, hash_good(key), ent_eq, &p, &key), MR_HMAP_NONE,
		    "hmap: del on a zeroed map");
	mr_hmap_del_at(&m, pos);
	mr_hmap_put_at(&m, pos, hash_good(key), pool_new(&p, key, 7));
	MR_CHECK(m.nr == 1 && get(&m, &p, key) == 0, "hmap: put_at at no position adds",
		 "nr %zu", m.nr);
	mr_hmap_release(&m);
	MR_CHECK(!m.slots && !m.nr && get(&m, &p, key) == MR_HMAP_NONE,
		 "hmap: release leaves an empty map", "nr %zu", m.nr);
	free(p.e);
	free(p.free);
}

/* From empty to a million through every doubling, then back to empty. */
static void growth(void)
{
	enum { N = 1000000 };
	struct pool p = { .hash = hash_good };
	struct mr_hmap m = { 0 };
	long bad = 0;

	for (uint32_t i = 0; i < N; i++)
		mr_hmap_add(&m, hash_good(i * 64ull), pool_new(&p, i * 64ull, i));
	for (uint32_t i = 0; i < N; i++) {
		uint32_t idx = get(&m, &p, i * 64ull);

		bad += idx == MR_HMAP_NONE || p.e[idx].val != i;
		bad += get(&m, &p, i * 64ull + 1) != MR_HMAP_NONE;
	}
	MR_CHECK(!bad && m.nr == N, "hmap: a million adds, all found, no stranger",
		 "%ld wrong, nr %zu", bad, m.nr);
	MR_CHECK(m.nr * 8 <= (m.mask + 1) * 5 && m.nr * 16 > (m.mask + 1) * 5,
		 "hmap: at most 5/8 full, more than 5/16 after growing", "%zu in %zu slots", m.nr,
		 m.mask + 1);
	for (uint32_t i = 0; i < N; i += 2) {
		uint64_t key = i * 64ull;

		p.want_hash = hash_good(key);
		bad += mr_hmap_del(&m, p.want_hash, ent_eq, &p, &key) != i;
	}
	for (uint32_t i = 0; i < N; i++)
		bad += (get(&m, &p, i * 64ull) == MR_HMAP_NONE) != !(i & 1);
	MR_CHECK(!bad && m.nr == N / 2, "hmap: half deleted, the other half still found",
		 "%ld wrong, nr %zu", bad, m.nr);
	mr_hmap_release(&m);
	free(p.e);
	free(p.free);
}

/* After reserve(n), n finds and put_ats in a row neither grow nor go stale. */
static void reserve(void)
{
	struct pool p = { .hash = hash_3bits };
	struct mr_hmap m = { 0 };
	size_t slots;
	long bad = 0;

	for (uint64_t k = 0; k < 100; k++)
		mr_hmap_add(&m, hash_3bits(k), pool_new(&p, k, 0));
	mr_hmap_reserve(&m, 500);
	slots = m.mask + 1;
	for (uint64_t k = 100; k < 600; k++) {
		size_t pos;

		p.want_hash = hash_3bits(k);
		pos = mr_hmap_find(&m, p.want_hash, ent_eq, &p, &k);
		bad += mr_hmap_at(&m, pos) != MR_HMAP_NONE;
		mr_hmap_put_at(&m, pos, p.want_hash, pool_new(&p, k, 0));
	}
	MR_CHECK(m.mask + 1 == slots && m.nr * 8 <= slots * 5,
		 "hmap: reserve makes room once", "%zu slots, then %zu", slots, m.mask + 1);
	for (uint64_t k = 0; k < 600; k++)
		bad += get(&m, &p, k) != k;
	MR_CHECK_EQ(bad, 0, "hmap: every entry put after reserve is found");
	mr_hmap_release(&m);
	free(p.e);
	free(p.free);
}

/* Key 0 is a key like any other, kept beside the slots. */
static void u64map_zero(void)
{
	enum { N = 2048 };
	static uint32_t ref[N];
	static bool in[N];
	struct mr_u64map m = { 0 };
	uint32_t v = 0;
	int bad = 0, live = 0;

	MR_CHECK(!mr_u64map_get(&m, 0) && !mr_u64map_del(&m, 0, &v),
		 "u64map: key 0 absent from a zeroed map", "it is there");
	*mr_u64map_put(&m, 0, 5) += 1;
	MR_CHECK(mr_u64map_get(&m, 0) && *mr_u64map_get(&m, 0) == 6 && m.nr == 1 &&
		 !mr_u64map_get(&m, 1), "u64map: key 0 put, found, alone", "nr %zu", m.nr);
	MR_CHECK(mr_u64map_del(&m, 0, &v) && v == 6 && m.nr == 0 && !mr_u64map_get(&m, 0),
		 "u64map: key 0 deleted", "v %u nr %zu", v, m.nr);
	srand(5);
	for (int round = 0; round < 200000; round++) {
		int k = rand() % N;

		if (rand() % 3) {
			ref[k] = round;
			live += !in[k];
			in[k] = true;
			mr_u64map_put(&m, k, round);	/* small keys, 0 among them */
		} else {
			bool had = mr_u64map_del(&m, k, &v);

			bad += had != in[k] || (had && v != ref[k]);
			live -= in[k];
			in[k] = false;
		}
		bad += m.nr != (size_t)live;
		if (round % 997 == 0)
			for (int i = 0; i < N; i++) {
				uint32_t *p = mr_u64map_get(&m, i);

				bad += !p != !in[i] || (p && *p != ref[i]);
			}
	}
	MR_CHECK_EQ(bad, 0, "u64map: matches the reference with key 0 among 200k random ops");
	mr_u64map_release(&m);
	MR_CHECK(!m.nr && !mr_u64map_get(&m, 0), "u64map: release forgets key 0 too",
		 "nr %zu", m.nr);
}

int main(void)
{
	empty_map();
	churn("good hash", hash_good, 4096, 400000, 1000);
	churn("constant hash", hash_const, 300, 60000, 500);
	churn("hash at the last slot", hash_last, 300, 60000, 500);
	churn("3-bit hash", hash_3bits, 1000, 100000, 1000);
	growth();
	reserve();
	u64map_zero();
	return mr_test_done();
}
