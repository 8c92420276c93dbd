// SPDX-License-Identifier: GPL-2.0
/*
 * format.c - what every writer shares: the header of what was recorded and
 * lost (text and JSON), symbolised frames and stacks, byte counts for people
 * and --top. The JSON punctuation is lib/json.c's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "memrec.h"
#include "output/output.h"

struct mr_human mr_human_bytes(int64_t v)
{
	double a = v < 0 ? -(double)v : (double)v;
	struct mr_human h;

	if (a >= 1024.0 * 1024 * 1024)
		snprintf(h.s, sizeof(h.s), "%.2f GiB", v / (1024.0 * 1024 * 1024));
	else if (a >= 1024.0 * 1024)
		snprintf(h.s, sizeof(h.s), "%.1f MiB", v / (1024.0 * 1024));
	else if (a >= 1024.0)
		snprintf(h.s, sizeof(h.s), "%.1f KiB", v / 1024.0);
	else
		snprintf(h.s, sizeof(h.s), "%" PRId64 " B", v);
	return h;
}

/* Room for a path of PATH_MAX bytes each shown as \xHH. */
#define ESC_MAX		(4 * 4096 + 4)
#define ESC_RING	8

/*
 * Comms, paths and symbol names come from the target or from a file of
 * another host and go to a terminal: ESC]0;..BEL would retitle it, ESC[2J
 * clear it, a newline forge a report line. Control characters are shown
 * as \xHH instead (mr_ctl_escape's rule, the messages' too). A string
 * without any is returned as it is; one with some is escaped into one of a
 * ring of buffers, so that a few can be arguments of one fprintf. NULL
 * stays NULL.
 */
const char *mr_text_esc(const char *s)
{
	static char ring[ESC_RING][ESC_MAX];
	static int next;
	const unsigned char *p;
	char *out, *o, esc[9];
	int n = 0;

	for (p = (const unsigned char *)s; p && *p && !(n = mr_ctl_escape(p, esc)); p++)
		;
	if (!p || !*p)
		return s;
	out = o = ring[next++ % ESC_RING];
	for (p = (const unsigned char *)s; *p && o < out + ESC_MAX - 12; p += n ? n : 1) {
		n = mr_ctl_escape(p, esc);
		if (n)
			o = stpcpy(o, esc);
		else
			*o++ = *p;
	}
	strcpy(o, *p ? "..." : "");
	return out;
}

void mr_text_str(FILE *f, const char *s)
{
	fputs(mr_text_esc(s), f);
}

const char *mr_comm_or(const char *comm)
{
	return comm && *comm ? comm : "?";
}

size_t mr_top(const struct mr_ctx *ctx, size_t nr)
{
	int top = ctx->o ? ctx->o->top : 0;

	return top > 0 && (size_t)top < nr ? (size_t)top : nr;
}

struct mr_when mr_recorded_at(const struct mr_meta *m)
{
	time_t t = m->start_epoch_ns / 1000000000ull;
	struct mr_when w = { "?" };
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(w.s, sizeof(w.s), "%Y-%m-%d %H:%M:%S UTC", &tm);
	return w;
}

/*
 * What the recording kernel's event formats lacked (older kernels), how the
 * report made do: the header's "kernel" lines, JSON "kernel_limits".
 */
static const struct {
	unsigned int	flag;
	const char	*key, *text;
} limits[] = {
	{ MR_LIMIT_CACHE_NAME, "cache_name",
	  "kmem_cache_alloc names no cache here: caches shown by object size, [N-byte objects]" },
	{ MR_LIMIT_GROUP_DEAD, "group_dead",
	  "sched_process_exit has no group_dead here: a process ends with its last thread's exit" },
	{ MR_LIMIT_VMALLOC, "vmalloc",
	  "no vmalloc:alloc_vmap_area event here: vmalloc areas were not recorded" },
};

void mr_text_recording(FILE *f, const struct mr_ctx *ctx, const char *title, double duration_s)
{
	const struct mr_meta *m = &ctx->meta;

	fprintf(f, "%s of '%s'\n", title,
		ctx->o && ctx->o->input ? mr_text_esc(ctx->o->input) : "?");
	fprintf(f, "  recorded   %s for %.3f s (%s) on %s\n", mr_recorded_at(m).s, duration_s,
		m->stop_reason ? mr_text_esc(m->stop_reason) : "?",
		m->uname ? mr_text_esc(m->uname) : "?");
	for (int i = 0; i < m->nr_targets; i++)
		fprintf(f, "  target     pid %d: %s\n", m->targets[i].pid,
			mr_text_esc(m->targets[i].cmdline));
	if (m->perf_refused)
		fprintf(f, "  WARNING: perf_event_open was refused (%s): the allocator probes went "
			"through ftrace, the mappings were read from /proc (code mapped and unmapped "
			"between two looks is not named), and the kernel events of targets were "
			"not recorded\n", mr_text_esc(m->perf_refused));
	for (size_t i = 0; i < ARRAY_SIZE(limits); i++)
		if (ctx->rstats.limits & limits[i].flag)
			fprintf(f, "  kernel     %s\n", limits[i].text);
}

void mr_write_json_limits(struct mr_json *j, const struct mr_ctx *ctx)
{
	if (!ctx->rstats.limits)
		return;
	mr_json_array_begin(j, "kernel_limits", MR_JSON_LINE);
	for (size_t i = 0; i < ARRAY_SIZE(limits); i++)
		if (ctx->rstats.limits & limits[i].flag)
			mr_json_str(j, NULL, limits[i].key);
	mr_json_array_end(j);
}

void mr_text_lost(FILE *f, const struct mr_ctx *ctx, const char *consequence)
{
	const struct mr_meta *m = &ctx->meta;

	if (m->truncated_bytes)
		fprintf(f, "  WARNING: the disk filled up while recording; the newest %.1f MB of "
			"events were dropped and the trace ends early\n",
			m->truncated_bytes / 1048576.0);
	if (!ctx->lost_total) {
		fprintf(f, "  lost       none\n");
		return;
	}
	fprintf(f, "  lost       %" PRIu64 " events:", ctx->lost_total);
	for (int i = 0; i < m->nr_cpus; i++)
		if (m->cpus[i].overrun || m->cpus[i].dropped)
			fprintf(f, " cpu%d %" PRIu64, m->cpus[i].cpu,
				m->cpus[i].overrun + m->cpus[i].dropped);
	if (m->perf_lost)
		fprintf(f, " mmap-records %" PRIu64, m->perf_lost);
	if (m->samples_lost)
		fprintf(f, " allocator-samples %" PRIu64, m->samples_lost);
	fprintf(f, "\n  WARNING: events were lost; %s. Record again with a larger -b.\n",
		consequence);
}

/* The mapping syscalls are perf samples of the targets: not on the ftrace path. */
static bool mappings_unrecorded(const struct mr_meta *m)
{
	return !mr_meta_has_group(m, "mappings") && m->uprobes && !strcmp(m->uprobes, "ftrace") &&
	       mr_meta_has_group(m, "user");
}

static void text_mappings(FILE *f, struct mr_ctx *ctx)
{
	const struct mr_pair_stats *s = mr_pairing_stats(ctx->pairing);

	if (mappings_unrecorded(&ctx->meta))
		fprintf(f, "  mappings   not recorded (--uprobes=ftrace: the mapping syscalls are "
			"recorded on the perf path only)\n");
	if (!mr_meta_has_group(&ctx->meta, "mappings"))
		return;
	fprintf(f, "  mappings   %" PRIu64 " anonymous mmaps (%" PRIu64 " bytes), %" PRIu64
		" munmaps (%" PRIu64 " bytes), %" PRIu64 " mremaps, %" PRIu64 " brk growths (%"
		PRIu64 " bytes), %" PRIu64 " failed; %" PRIu64 " made inside allocator calls "
		"(counted there)\n", s->maps, s->map_bytes, s->unmaps, s->unmap_bytes, s->remaps,
		s->brk_grows, s->brk_bytes, s->failed_maps, s->nested_maps);
}

void mr_write_text_header(FILE *f, struct mr_ctx *ctx)
{
	const struct mr_pair_stats *s = mr_pairing_stats(ctx->pairing);
	const struct mr_meta *m = &ctx->meta;

	mr_text_recording(f, ctx, "memrec report", (ctx->end_ts - ctx->begin_ts) / 1e9);
	fprintf(f, "  events     %" PRIu64 " allocations, %" PRIu64 " frees, %" PRIu64
		" reallocs, %" PRIu64 " failed, %" PRIu64 " nested calls folded\n",
		s->allocs, s->frees, s->reallocs, s->failed_allocs, s->nested);
	fprintf(f, "  unmatched  %" PRIu64 " frees of blocks allocated before recording "
		"(ignored)", s->unmatched_frees - ctx->libc_frees);
	if (ctx->libc_frees)
		fprintf(f, ", %" PRIu64 " frees by glibc itself (its per-thread cache flushed at "
			"thread exit)", ctx->libc_frees);
	if (m->free_null_unseen)
		fprintf(f, "; free(NULL) not recorded (free is probed past its NULL test)\n");
	else
		fprintf(f, ", %" PRIu64 " free(NULL)\n", s->null_frees);
	mr_text_lost(f, ctx, "a lost free shows as a false leak and a lost alloc hides one");
	if (s->orphan_returns || s->orphan_entries)
		fprintf(f, "  unpaired   %" PRIu64 " returns without entry, %" PRIu64
			" entries without return\n", s->orphan_returns, s->orphan_entries);
	if (s->open_at_stop)
		fprintf(f, "  running    %" PRIu64 " allocator calls were running when the recording "
			"stopped (expected when it stops before the targets; not counted)\n",
			s->open_at_stop);
	if (ctx->cut_chains)
		fprintf(f, "  stacks     %" PRIu64 " user stacks cut where they left the mapped "
			"modules (frame-pointer walks through code without frame pointers)\n",
			ctx->cut_chains);
	text_mappings(f, ctx);
}

void mr_text_frame(FILE *f, int i, const struct mr_frame *fr)
{
	fprintf(f, "      #%-2d 0x%016" PRIx64 " ", i, fr->addr);
	/* an inlined call has no code of its own to be an offset into: perf's form */
	if (fr->function && fr->inlined)
		fprintf(f, "%s (inlined)", mr_text_esc(fr->function));
	else if (fr->function)
		fprintf(f, "%s+0x%" PRIx64, mr_text_esc(fr->function), fr->offset);
	else
		fprintf(f, "[unknown]");
	if (fr->module)
		fprintf(f, " (%s)", mr_text_esc(fr->module));
	if (fr->file)
		fprintf(f, " %s:%d", mr_text_esc(fr->file), fr->line);
	fputc('\n', f);
}

/* an array of objects, one per line: the targets of the recording */
void mr_write_json_targets(struct mr_json *j, const struct mr_meta *m)
{
	mr_json_array_begin(j, "targets", MR_JSON_BLOCK);
	for (int i = 0; i < m->nr_targets; i++) {
		mr_json_object_begin(j, NULL, MR_JSON_LINE);
		mr_json_int(j, "pid", m->targets[i].pid);
		mr_json_str(j, "cmdline", m->targets[i].cmdline);
		mr_json_object_end(j);
	}
	mr_json_array_end(j);
}

void mr_write_json_lost(struct mr_json *j, const struct mr_ctx *ctx)
{
	const struct mr_meta *m = &ctx->meta;

	mr_json_object_begin(j, "lost_events", MR_JSON_LINE);
	mr_json_uint(j, "total", ctx->lost_total);
	mr_json_uint(j, "mmap_records", m->perf_lost);
	mr_json_uint(j, "samples", m->samples_lost);
	mr_json_uint(j, "truncated_bytes", m->truncated_bytes);
	mr_json_array_begin(j, "per_cpu", MR_JSON_LINE);
	for (int i = 0; i < m->nr_cpus; i++) {
		mr_json_object_begin(j, NULL, MR_JSON_LINE);
		mr_json_int(j, "cpu", m->cpus[i].cpu);
		mr_json_uint(j, "overrun", m->cpus[i].overrun);
		mr_json_uint(j, "dropped", m->cpus[i].dropped);
		mr_json_object_end(j);
	}
	mr_json_array_end(j);
	mr_json_object_end(j);
}

/* null when the file has no mapping events (-e mappings, perf path) */
static void json_mappings(struct mr_json *j, struct mr_ctx *ctx)
{
	const struct mr_pair_stats *s = mr_pairing_stats(ctx->pairing);

	if (!mr_meta_has_group(&ctx->meta, "mappings")) {
		mr_json_null(j, "mappings");
		return;
	}
	mr_json_object_begin(j, "mappings", MR_JSON_LINE);
	mr_json_uint(j, "mmaps", s->maps);
	mr_json_uint(j, "mmap_bytes", s->map_bytes);
	mr_json_uint(j, "munmaps", s->unmaps);
	mr_json_uint(j, "munmap_bytes", s->unmap_bytes);
	mr_json_uint(j, "mremaps", s->remaps);
	mr_json_uint(j, "brk_grows", s->brk_grows);
	mr_json_uint(j, "brk_bytes", s->brk_bytes);
	mr_json_uint(j, "failed", s->failed_maps);
	mr_json_uint(j, "nested", s->nested_maps);
	mr_json_object_end(j);
}

static void json_events(struct mr_json *j, struct mr_ctx *ctx)
{
	const struct mr_pair_stats *s = mr_pairing_stats(ctx->pairing);

	mr_json_object_begin(j, "events", MR_JSON_LINE);
	mr_json_uint(j, "allocs", s->allocs);
	mr_json_uint(j, "alloc_bytes", s->alloc_bytes);
	mr_json_uint(j, "frees", s->frees);
	mr_json_uint(j, "free_bytes", s->free_bytes);
	mr_json_uint(j, "reallocs", s->reallocs);
	mr_json_uint(j, "unmatched_frees", s->unmatched_frees - ctx->libc_frees);
	mr_json_uint(j, "libc_frees", ctx->libc_frees);
	mr_json_uint(j, "failed_allocs", s->failed_allocs);
	mr_json_uint(j, "nested", s->nested);
	mr_json_uint(j, "null_frees", s->null_frees);
	mr_json_bool(j, "null_frees_recorded", !ctx->meta.free_null_unseen);
	mr_json_uint(j, "orphan_returns", s->orphan_returns);
	mr_json_uint(j, "orphan_entries", s->orphan_entries);
	mr_json_uint(j, "open_at_stop", s->open_at_stop);
	mr_json_uint(j, "replaced", s->replaced);
	mr_json_uint(j, "cut_stacks", ctx->cut_chains);
	json_mappings(j, ctx);
	mr_json_object_end(j);
}

void mr_write_json_header(struct mr_json *j, struct mr_ctx *ctx)
{
	const struct mr_meta *m = &ctx->meta;

	mr_json_int(j, "memrec_report", 1);
	mr_json_str(j, "file", ctx->o->input);
	mr_json_double(j, "duration_s", (ctx->end_ts - ctx->begin_ts) / 1e9, 6);
	mr_json_str(j, "stop_reason", m->stop_reason);
	mr_json_str(j, "host", m->uname);
	mr_json_str(j, "perf_refused", m->perf_refused);
	mr_write_json_limits(j, ctx);
	mr_write_json_targets(j, m);
	json_events(j, ctx);
	mr_write_json_lost(j, ctx);
}

static void json_frame(struct mr_json *j, const struct mr_frame *fr)
{
	mr_json_object_begin(j, NULL, MR_JSON_LINE);
	mr_json_strf(j, "addr", "0x%" PRIx64, fr->addr);
	/* an inlined call is not at an offset into a symbol of its own */
	if (fr->function && !fr->inlined)
		mr_json_strf(j, "symbol", "%s+0x%" PRIx64, fr->function, fr->offset);
	else
		mr_json_str(j, "symbol", fr->function);
	mr_json_str(j, "function", fr->function);
	mr_json_uint(j, "offset", fr->function ? fr->offset : 0);
	mr_json_str(j, "module", fr->module);
	mr_json_str(j, "file", fr->file);
	mr_json_int(j, "line", fr->line);
	mr_json_bool(j, "inlined", fr->inlined);
	mr_json_object_end(j);
}

void mr_write_json_stack(struct mr_json *j, const char *key, const struct mr_frame *frames,
			 int nr)
{
	mr_json_array_begin(j, key, MR_JSON_BLOCK);
	for (int i = 0; i < nr; i++)
		json_frame(j, &frames[i]);
	mr_json_array_end(j);
}
