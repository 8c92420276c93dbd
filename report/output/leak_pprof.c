// SPDX-License-Identifier: GPL-2.0
/*
 * leak_pprof.c - the leak report as a gzipped pprof profile.proto, what
 * `go tool pprof`, Pyroscope and Parca read (the message types are
 * protoc-c's, generated at build time from proto/profile.proto).
 *
 * A sample per (process, stack, allocator) with the values of a Go heap
 * profile: alloc_objects and alloc_space (everything allocated over the
 * recording by allocator calls; the program's own mappings are in the
 * inuse values only), inuse_objects and inuse_space (the leak rows: still allocated
 * at the end, after the same filters and suppressions as the text and JSON
 * reports); inuse_space is the default. A file with kernel events adds
 * kernel_inuse_objects and kernel_inuse_space, which only the kernel rows
 * have (and they nothing else), so no view adds kernel memory to the heap.
 * A location is one address with the calls inlined there as its lines,
 * innermost first; a mapping carries the module's path and build-id as
 * recorded. Labels: pid, comm, alloc_fn (user; inherited with --inherited)
 * or slab_cache / page_order (kernel).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "memrec.h"
#include "mr_group.h"
#include "mr_hmap.h"
#include "profile.pb-c.h"
#include "leak/leak.h"
#include "output/output.h"

typedef Perftools__Profiles__Profile	PbProfile;
typedef Perftools__Profiles__ValueType	PbValueType;
typedef Perftools__Profiles__Sample	PbSample;
typedef Perftools__Profiles__Label	PbLabel;
typedef Perftools__Profiles__Mapping	PbMapping;
typedef Perftools__Profiles__Location	PbLocation;
typedef Perftools__Profiles__Line	PbLine;
typedef Perftools__Profiles__Function	PbFunction;

/* The values of a sample, in sample_type order (a Go heap profile's, then the kernel's). */
enum {
	V_ALLOC_OBJECTS, V_ALLOC_SPACE, V_INUSE_OBJECTS, V_INUSE_SPACE,
	V_KERNEL_OBJECTS, V_KERNEL_SPACE,
	V_NR
};

static const char *const value_types[V_NR][2] = {
	{ "alloc_objects", "count" }, { "alloc_space", "bytes" },
	{ "inuse_objects", "count" }, { "inuse_space", "bytes" },
	{ "kernel_inuse_objects", "count" }, { "kernel_inuse_space", "bytes" },
};

#define MAX_LABELS	4

/* A table of pb structs found by key through an mr_hmap of their indices. */
#define TABLE(type) struct { type *v; size_t nr, alloc; struct mr_hmap map; }

/* What makes locations equal: the same address, mapping and way of looking it up. */
struct loc_key {
	uint64_t	mapping, addr;
	bool		return_addr;
};

struct pprof {
	struct mr_ctx		*ctx;
	TABLE(char *)		strs;
	TABLE(PbMapping)	maps;
	TABLE(PbFunction)	fns;
	TABLE(PbLocation)	locs;
	struct loc_key		*loc_keys;	/* beside locs.v */
	PbSample		*samples;
	size_t			nr_samples, alloc_samples;
	size_t			nr_values;
	uint64_t		kernel_map;	/* the kernel's mapping id, 0 until needed */
	uint64_t		kmin, kmax;	/* its addresses */
	const char		*main_exe;	/* the first sample's program */
};

/* ---- the string table; index 0 is "" ---- */

static bool str_eq(const void *v, uint32_t idx, const void *key)
{
	return !strcmp(((char *const *)v)[idx], key);
}

static int64_t str_id(struct pprof *pp, const char *s)
{
	uint32_t hash = mr_hash_str(s);
	size_t pos = mr_hmap_find(&pp->strs.map, hash, str_eq, pp->strs.v, s);
	uint32_t idx = mr_hmap_at(&pp->strs.map, pos);

	if (idx != MR_HMAP_NONE)
		return idx;
	MR_ALLOC_GROW(pp->strs.v, pp->strs.nr, pp->strs.alloc);
	pp->strs.v[pp->strs.nr] = mr_xstrdup(s);
	mr_hmap_put_at(&pp->strs.map, pos, hash, pp->strs.nr);
	return pp->strs.nr++;
}

/* ---- mappings ---- */

static bool map_eq(const void *v, uint32_t idx, const void *key)
{
	const PbMapping *a = (const PbMapping *)v + idx, *b = key;

	return a->memory_start == b->memory_start && a->memory_limit == b->memory_limit &&
	       a->file_offset == b->file_offset && a->filename == b->filename &&
	       a->build_id == b->build_id;
}

/* The id of the mapping m (filled but for its id), added when new. */
static uint64_t map_id(struct pprof *pp, const PbMapping *m)
{
	uint32_t hash = mr_hash_u64(m->memory_start ^ mr_hash_u64(m->filename));
	size_t pos = mr_hmap_find(&pp->maps.map, hash, map_eq, pp->maps.v, m);
	uint32_t idx = mr_hmap_at(&pp->maps.map, pos);

	if (idx == MR_HMAP_NONE) {
		MR_ALLOC_GROW(pp->maps.v, pp->maps.nr, pp->maps.alloc);
		idx = pp->maps.nr++;
		pp->maps.v[idx] = *m;
		pp->maps.v[idx].id = idx + 1;
		mr_hmap_put_at(&pp->maps.map, pos, hash, idx);
	}
	return idx + 1;
}

static uint64_t user_map(struct pprof *pp, const struct mr_mapping *um)
{
	PbMapping m = PERFTOOLS__PROFILES__MAPPING__INIT;

	m.memory_start = um->start;
	m.memory_limit = um->end;
	m.file_offset = um->pgoff;
	m.filename = str_id(pp, um->module);
	m.build_id = um->build_id ? str_id(pp, um->build_id) : 0;
	return map_id(pp, &m);
}

/* The kernel's one mapping: its bounds are set once every address is known. */
static uint64_t kernel_map(struct pprof *pp, uint64_t addr)
{
	PbMapping m = PERFTOOLS__PROFILES__MAPPING__INIT;

	if (!pp->kernel_map) {
		m.filename = str_id(pp, "[kernel.kallsyms]");
		pp->kernel_map = map_id(pp, &m);
		pp->kmin = addr;
	}
	if (addr < pp->kmin)
		pp->kmin = addr;
	if (addr > pp->kmax)
		pp->kmax = addr;
	return pp->kernel_map;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/*
 * pprof takes mapping[0] for the main binary (its "File:" and "Build ID:"):
 * the first mapping of the first sample's program goes there, swapping ids
 * with the one it displaces.
 */
static void main_map_first(struct pprof *pp)
{
	const char *want = pp->main_exe ? base_name(pp->main_exe) : NULL;
	PbMapping tmp;
	size_t i;

	for (i = 0; want && i < pp->maps.nr; i++)
		if (!strcmp(base_name(pp->strs.v[pp->maps.v[i].filename]), want))
			break;
	if (!want || !i || i == pp->maps.nr)
		return;
	tmp = pp->maps.v[0];
	pp->maps.v[0] = pp->maps.v[i];
	pp->maps.v[i] = tmp;
	pp->maps.v[0].id = 1;
	pp->maps.v[i].id = i + 1;
	for (size_t j = 0; j < pp->locs.nr; j++) {
		PbLocation *l = &pp->locs.v[j];

		if (l->mapping_id == 1)
			l->mapping_id = i + 1;
		else if (l->mapping_id == i + 1)
			l->mapping_id = 1;
	}
	if (pp->kernel_map == 1 || pp->kernel_map == i + 1)
		pp->kernel_map = pp->kernel_map == 1 ? i + 1 : 1;
}

/* ---- functions ---- */

static bool fn_eq(const void *v, uint32_t idx, const void *key)
{
	const PbFunction *a = (const PbFunction *)v + idx, *b = key;

	return a->name == b->name && a->filename == b->filename;
}

static uint64_t fn_id(struct pprof *pp, const char *name, const char *file)
{
	PbFunction f = PERFTOOLS__PROFILES__FUNCTION__INIT;
	uint32_t hash, idx;
	size_t pos;

	f.name = f.system_name = str_id(pp, name);
	f.filename = file ? str_id(pp, file) : 0;
	hash = mr_hash_u64(((uint64_t)f.name << 32) ^ f.filename);
	pos = mr_hmap_find(&pp->fns.map, hash, fn_eq, pp->fns.v, &f);
	idx = mr_hmap_at(&pp->fns.map, pos);
	if (idx == MR_HMAP_NONE) {
		MR_ALLOC_GROW(pp->fns.v, pp->fns.nr, pp->fns.alloc);
		idx = pp->fns.nr++;
		pp->fns.v[idx] = f;
		pp->fns.v[idx].id = idx + 1;
		mr_hmap_put_at(&pp->fns.map, pos, hash, idx);
	}
	return idx + 1;
}

/* ---- locations ---- */

static bool loc_eq(const void *v, uint32_t idx, const void *key)
{
	const struct loc_key *a = (const struct loc_key *)v + idx, *b = key;

	return a->mapping == b->mapping && a->addr == b->addr && a->return_addr == b->return_addr;
}

/* Index of the location of k in locs.v, or the slot to add it at in *pos. */
static uint32_t loc_find(struct pprof *pp, const struct loc_key *k, uint32_t *hash, size_t *pos)
{
	*hash = mr_hash_u64(k->addr ^ mr_hash_u64(k->mapping << 1 | k->return_addr));
	*pos = mr_hmap_find(&pp->locs.map, *hash, loc_eq, pp->loc_keys, k);
	return mr_hmap_at(&pp->locs.map, *pos);
}

/* Adds a location with the named frames as its lines (innermost first); returns its id. */
static uint64_t loc_add(struct pprof *pp, const struct loc_key *k, uint32_t hash, size_t pos,
			const struct mr_frame *frames, int nr)
{
	size_t alloc = pp->locs.alloc;
	PbLocation *l;
	PbLine *lines;
	int n = 0;

	MR_ALLOC_GROW(pp->locs.v, pp->locs.nr, pp->locs.alloc);
	if (pp->locs.alloc != alloc)
		pp->loc_keys = mr_xreallocarray(pp->loc_keys, pp->locs.alloc,
						sizeof(*pp->loc_keys));
	l = &pp->locs.v[pp->locs.nr];
	perftools__profiles__location__init(l);
	l->id = pp->locs.nr + 1;
	l->mapping_id = k->mapping;
	l->address = k->addr;
	lines = mr_xcalloc(nr ? nr : 1, sizeof(*lines));
	l->line = mr_xcalloc(nr ? nr : 1, sizeof(*l->line));
	for (int i = 0; i < nr; i++) {
		if (!frames[i].function)
			continue;
		perftools__profiles__line__init(&lines[n]);
		lines[n].function_id = fn_id(pp, frames[i].function, frames[i].file);
		lines[n].line = frames[i].line;
		l->line[n] = &lines[n];
		n++;
	}
	l->n_line = n;
	if (!n)
		free(lines);
	if (n && k->mapping) {
		PbMapping *m = &pp->maps.v[k->mapping - 1];

		m->has_functions = true;
		m->has_filenames |= frames[0].file != NULL;
		m->has_line_numbers |= frames[0].line > 0;
		m->has_inline_frames |= n > 1;
	}
	pp->loc_keys[pp->locs.nr] = *k;
	mr_hmap_put_at(&pp->locs.map, pos, hash, pp->locs.nr);
	return ++pp->locs.nr;
}

/* The location of a user address of pid at ts (symbolised, inlined calls as lines). */
static uint64_t user_loc(struct pprof *pp, int pid, uint64_t ts, uint64_t addr, bool return_addr)
{
	struct mr_frame frames[MR_MAX_STACK];
	struct mr_mapping um;
	struct loc_key k = { 0, addr, return_addr };
	uint32_t hash, idx;
	size_t pos;
	int nr;

	if (!mr_symbols_mapping(pp->ctx->symbols, pid, ts, addr, &um))
		k.mapping = user_map(pp, &um);
	idx = loc_find(pp, &k, &hash, &pos);
	if (idx != MR_HMAP_NONE)
		return idx + 1;
	nr = mr_symbols_lookup_inline(pp->ctx->symbols, pid, ts, addr, return_addr, frames,
				      MR_MAX_STACK);
	return loc_add(pp, &k, hash, pos, frames, nr);
}

static uint64_t kernel_loc(struct pprof *pp, uint64_t addr)
{
	struct mr_frame fr = { .addr = addr };
	struct loc_key k = { kernel_map(pp, addr), addr, true };
	uint32_t hash, idx;
	size_t pos;

	idx = loc_find(pp, &k, &hash, &pos);
	if (idx != MR_HMAP_NONE)
		return idx + 1;
	fr.function = mr_ctx_ksym(pp->ctx, addr, &fr.offset);
	return loc_add(pp, &k, hash, pos, &fr, 1);
}

/* ---- samples ---- */

static PbSample *new_sample(struct pprof *pp)
{
	PbSample *s;

	MR_ALLOC_GROW(pp->samples, pp->nr_samples, pp->alloc_samples);
	s = &pp->samples[pp->nr_samples++];
	perftools__profiles__sample__init(s);
	s->value = mr_xcalloc(pp->nr_values, sizeof(*s->value));
	s->n_value = pp->nr_values;
	s->location_id = mr_xcalloc(2 * MR_MAX_STACK, sizeof(*s->location_id));
	s->label = mr_xcalloc(MAX_LABELS, sizeof(*s->label));
	return s;
}

static void add_label(struct pprof *pp, PbSample *s, const char *key, const char *str,
		      int64_t num)
{
	PbLabel *l = mr_xcalloc(1, sizeof(*l));

	perftools__profiles__label__init(l);
	l->key = str_id(pp, key);
	if (str)
		l->str = str_id(pp, str);
	else
		l->num = num;
	s->label[s->n_label++] = l;
}

/* Appends a user stack's locations, innermost first; first_ip: frame 0 is no return address. */
static void user_stack(struct pprof *pp, PbSample *s, int pid, uint32_t stack, uint64_t ts,
		       bool first_ip)
{
	const uint64_t *addrs;
	int nr;

	if (stack == MR_NO_STACK)
		return;
	addrs = mr_pairing_stack(pp->ctx->pairing, stack, &nr);
	for (int i = 0; i < nr && s->n_location_id < 2 * MR_MAX_STACK; i++)
		s->location_id[s->n_location_id++] = user_loc(pp, pid, ts, addrs[i],
							      i > 0 || !first_ip);
}

/* A user row: the allocations of one key over the recording and what is left of them. */
struct urow {
	struct mr_leak	key;		/* aspace, stack, fn, inherited, ts_min */
	uint64_t	v[V_KERNEL_OBJECTS];
};

static int urow_key(const void *a, const void *b)
{
	const struct mr_leak *x = &((const struct urow *)a)->key;
	const struct mr_leak *y = &((const struct urow *)b)->key;

	if (x->aspace != y->aspace)
		return x->aspace < y->aspace ? -1 : 1;
	if (x->stack != y->stack)
		return x->stack < y->stack ? -1 : 1;
	if (x->fn != y->fn)
		return x->fn < y->fn ? -1 : 1;
	return (int)x->inherited - (int)y->inherited;
}

/* the rows still holding most memory first, then the ones that allocated most */
static int urow_order(const void *a, const void *b)
{
	const struct urow *x = a, *y = b;
	static const int by[] = { V_INUSE_SPACE, V_INUSE_OBJECTS, V_ALLOC_SPACE, V_ALLOC_OBJECTS };

	for (size_t i = 0; i < ARRAY_SIZE(by); i++)
		if (x->v[by[i]] != y->v[by[i]])
			return x->v[by[i]] > y->v[by[i]] ? -1 : 1;
	return urow_key(a, b);
}

static void urow_merge(void *into, const void *row)
{
	struct urow *u = into;
	const struct urow *r = row;

	for (int i = 0; i < V_KERNEL_OBJECTS; i++)
		u->v[i] += r->v[i];
	if (r->key.ts_min < u->key.ts_min)
		u->key.ts_min = r->key.ts_min;
}

static void urows_add(struct urow *rows, size_t *nr, const struct mr_leaks *l, int objects,
		      int space)
{
	for (size_t i = 0; i < l->nr; i++, (*nr)++) {
		rows[*nr] = (struct urow){ .key = l->rows[i] };
		rows[*nr].v[objects] = l->rows[i].count;
		rows[*nr].v[space] = l->rows[i].bytes;
	}
}

static void user_samples(struct pprof *pp, const struct mr_leak_report *r)
{
	size_t nr = 0, total = r->user.nr + r->allocated.nr;
	struct urow *rows = mr_xcalloc(total ? total : 1, sizeof(*rows));

	urows_add(rows, &nr, &r->allocated, V_ALLOC_OBJECTS, V_ALLOC_SPACE);
	urows_add(rows, &nr, &r->user, V_INUSE_OBJECTS, V_INUSE_SPACE);
	nr = mr_group(rows, nr, sizeof(*rows), urow_key, urow_merge, urow_order);
	for (size_t i = 0; i < nr; i++) {
		const struct mr_leak *k = &rows[i].key;
		int pid = mr_ctx_aspace_pid(pp->ctx, k->aspace);
		const struct mr_aspace *as = mr_tasks_aspace(pp->ctx->tasks, k->aspace);
		PbSample *s = new_sample(pp);

		if (!pp->main_exe && as)
			pp->main_exe = as->exe;
		for (int v = 0; v < V_KERNEL_OBJECTS; v++)
			s->value[v] = rows[i].v[v];
		user_stack(pp, s, pid, k->stack, k->ts_min, false);
		add_label(pp, s, "pid", NULL, pid);
		add_label(pp, s, "comm", mr_ctx_comm(pp->ctx, k->aspace), 0);
		add_label(pp, s, "alloc_fn", mr_fn_name(k->fn), 0);
		if (k->inherited)
			add_label(pp, s, "inherited", "yes", 0);
	}
	free(rows);
}

static void kernel_samples(struct pprof *pp, const struct mr_leak_report *r)
{
	for (size_t i = 0; i < r->kernel.nr; i++) {
		const struct mr_kleak *l = &r->kernel.rows[i];
		const struct mr_kmem_site *site = mr_kleak_site(r->kmem, l);
		const struct mr_aspace *as = mr_tasks_find_aspace(pp->ctx->tasks, l->pid,
								  pp->ctx->end_ts);
		PbSample *s = new_sample(pp);
		const uint64_t *addrs;
		int nr = 0;

		if (!pp->main_exe && as)
			pp->main_exe = as->exe;

		s->value[V_KERNEL_OBJECTS] = l->count;
		s->value[V_KERNEL_SPACE] = l->bytes;
		if (l->kstack != MR_NO_STACK)
			addrs = mr_pairing_stack(pp->ctx->pairing, l->kstack, &nr);
		for (int j = 0; j < nr && j < MR_MAX_STACK; j++)
			s->location_id[s->n_location_id++] = kernel_loc(pp, addrs[j]);
		/* the user stack that made the kernel allocate goes on outside it */
		user_stack(pp, s, l->pid, l->ustack, l->ts_min, true);
		add_label(pp, s, "pid", NULL, l->pid);
		add_label(pp, s, "comm", mr_ctx_pid_comm(pp->ctx, l->pid), 0);
		if (l->page)
			add_label(pp, s, "page_order", NULL, l->order);
		else if (site)
			add_label(pp, s, "slab_cache", site->cache ? site->cache : "kmalloc", 0);
		else
			add_label(pp, s, "kernel_kind", mr_kleak_kind_name(l), 0);
	}
}

/* ---- the profile ---- */

/* Pointers to each of nr structs of size bytes at v: what protoc-c's repeated fields want. */
static void *ptrs(void *v, size_t nr, size_t size)
{
	void **p = mr_xcalloc(nr ? nr : 1, sizeof(*p));

	for (size_t i = 0; i < nr; i++)
		p[i] = (char *)v + i * size;
	return p;
}

static void fill_profile(struct pprof *pp, PbProfile *p, PbValueType *types)
{
	const struct mr_ctx *ctx = pp->ctx;

	p->n_sample_type = pp->nr_values;
	p->sample_type = mr_xcalloc(pp->nr_values, sizeof(*p->sample_type));
	for (size_t i = 0; i < pp->nr_values; i++) {
		perftools__profiles__value_type__init(&types[i]);
		types[i].type = str_id(pp, value_types[i][0]);
		types[i].unit = str_id(pp, value_types[i][1]);
		p->sample_type[i] = &types[i];
	}
	perftools__profiles__value_type__init(&types[V_NR]);
	types[V_NR].type = str_id(pp, "space");
	types[V_NR].unit = str_id(pp, "bytes");
	p->period_type = &types[V_NR];
	p->period = 1;		/* every allocation is recorded: nothing is sampled */
	p->default_sample_type = str_id(pp, "inuse_space");
	p->time_nanos = ctx->meta.start_epoch_ns;
	p->duration_nanos = ctx->end_ts - ctx->begin_ts;
	main_map_first(pp);
	if (pp->kernel_map) {
		pp->maps.v[pp->kernel_map - 1].memory_start = pp->kmin;
		pp->maps.v[pp->kernel_map - 1].memory_limit = pp->kmax + 1;
	}
	p->n_sample = pp->nr_samples;
	p->sample = ptrs(pp->samples, pp->nr_samples, sizeof(*pp->samples));
	p->n_mapping = pp->maps.nr;
	p->mapping = ptrs(pp->maps.v, pp->maps.nr, sizeof(*pp->maps.v));
	p->n_location = pp->locs.nr;
	p->location = ptrs(pp->locs.v, pp->locs.nr, sizeof(*pp->locs.v));
	p->n_function = pp->fns.nr;
	p->function = ptrs(pp->fns.v, pp->fns.nr, sizeof(*pp->fns.v));
	p->n_string_table = pp->strs.nr;
	p->string_table = pp->strs.v;
}

/* gzip (RFC 1952) of len bytes at buf to f, as profile.proto files are on disk. */
static int write_gzip(FILE *f, const uint8_t *buf, size_t len)
{
	uint8_t out[65536];
	z_stream z = { 0 };
	int ret;

	/* 15 + 16: a gzip header and trailer around the deflate stream */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return mr_error("zlib: %s", z.msg ? z.msg : "cannot start deflate");
	z.next_in = (uint8_t *)buf;
	z.avail_in = len;
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		ret = deflate(&z, Z_FINISH);
		if (ret == Z_STREAM_ERROR)
			break;
		fwrite(out, 1, sizeof(out) - z.avail_out, f);
	} while (ret != Z_STREAM_END);
	deflateEnd(&z);
	if (ret != Z_STREAM_END)
		return mr_error("zlib: cannot compress the profile");
	return ferror(f) ? -1 : 0;
}

static void pprof_release(struct pprof *pp)
{
	for (size_t i = 0; i < pp->strs.nr; i++)
		free(pp->strs.v[i]);
	free(pp->strs.v);
	for (size_t i = 0; i < pp->locs.nr; i++) {
		if (pp->locs.v[i].n_line)
			free(pp->locs.v[i].line[0]);
		free(pp->locs.v[i].line);
	}
	for (size_t i = 0; i < pp->nr_samples; i++) {
		for (size_t j = 0; j < pp->samples[i].n_label; j++)
			free(pp->samples[i].label[j]);
		free(pp->samples[i].label);
		free(pp->samples[i].value);
		free(pp->samples[i].location_id);
	}
	free(pp->samples);
	free(pp->locs.v);
	free(pp->loc_keys);
	free(pp->fns.v);
	free(pp->maps.v);
	mr_hmap_release(&pp->strs.map);
	mr_hmap_release(&pp->maps.map);
	mr_hmap_release(&pp->fns.map);
	mr_hmap_release(&pp->locs.map);
}

int mr_leak_write_pprof(FILE *f, struct mr_ctx *ctx, const void *state)
{
	const struct mr_leak_report *r = state;
	PbProfile p = PERFTOOLS__PROFILES__PROFILE__INIT;
	PbValueType types[V_NR + 1];
	struct pprof pp = { .ctx = ctx };
	uint8_t *buf;
	size_t len;
	int ret;

	pp.nr_values = r->kernel.recorded ? V_NR : V_KERNEL_OBJECTS;
	str_id(&pp, "");
	user_samples(&pp, r);
	kernel_samples(&pp, r);
	fill_profile(&pp, &p, types);
	len = perftools__profiles__profile__get_packed_size(&p);
	buf = mr_xmalloc(len ? len : 1);
	perftools__profiles__profile__pack(&p, buf);
	ret = write_gzip(f, buf, len);
	free(buf);
	free(p.sample_type);
	free(p.sample);
	free(p.mapping);
	free(p.location);
	free(p.function);
	pprof_release(&pp);
	return ret;
}
