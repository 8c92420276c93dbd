// SPDX-License-Identifier: GPL-2.0
/*
 * test_frag_heap.c - report/frag/heap.c on synthetic event streams run
 * through the pairing with its hooks, checked figure by figure in the JSON
 * it writes: chunk sizes, region classification, gaps, the pin and the
 * free bytes it holds, waste per call site, the bounded series, --pid and
 * --top.
 *
 * Process 100 (program at 0x555555554000, libc at 0x7ffff7dd0000):
 *   main arena: 4 x malloc(1000) from 0xa001 at chunks C0, C0 + 1008, ...
 *     (chunk 1008), then malloc(24) from 0xa002 right above (chunk 32: the
 *     pin), then blocks 1 and 3 are freed. Live chunks 2 x 1008 + 32 = 2048
 *     in a span of 4 x 1008 + 32 = 4064: the pin holds 2016 free bytes
 *     below it; freeing it lets the heap shrink by 1008 + 32 = 1040. Gaps:
 *     1008 at C0 + 1008 and 1008 at C0 + 3024.
 *   thread 101, arena heap at 0x7ffff0000000: malloc(100) from 0xa003
 *     (chunk 112) at 0x7ffff00008c0, malloc(200) from 0xa004 (chunk 208)
 *     at 0x7ffff0000a00: a gap of 208 at 0x7ffff0000930.
 *   thread 101, malloc(200000) from 0xa005 at 0x7ffff7a00010: mmapped by
 *     shape, chunk 200016 + 8 rounded up to pages = 200704 (49).
 *   sites by waste: 0xa005 704, 0xa001 32 (4 allocs), 0xa003 12, 0xa002 8,
 *     0xa004 8.
 * Process 200 (program at 0x565656000000): a malloc(150000) at page + 0x10
 *   in its brk heap (mmapped by shape, but in the main arena's range, so
 *   main), then 500 malloc(100)/free pairs 10 ms apart at one address above
 *   it, the last one left live: one region; the series stays within 100
 *   points over 5 s.
 */
#include <stdlib.h>
#include <string.h>
#include "memrec.h"
#include "frag/frag.h"
#include "output/output.h"
#include "output/frag.h"
#include "mr_test.h"

#define T_CLONE_THREAD	0x00010000ull
#define PTHREAD_FLAGS	0x003d0f00ull
#define C0		0x555556000000ull	/* first main-arena chunk of pid 100 */
#define B200		0x565660000000ull	/* brk heap of pid 200 */

struct feed {
	struct mr_ctx		rep;
	struct mr_report_opts	opts;
	uint64_t		ts;
};

static struct mr_meta_map maps[] = {
	{ 0, 100, 0x555555554000ull, 0x2000, 0, NULL, "/usr/bin/prog" },
	{ 0, 100, 0x7ffff7dd0000ull, 0x1000, 0, NULL, "/lib/x86_64-linux-gnu/libc.so.6" },
	{ 0, 200, 0x565656000000ull, 0x1000, 0, NULL, "/usr/bin/other" },
	{ 0, 200, 0x7f0000000000ull, 0x1000, 0, NULL, "/lib/x86_64-linux-gnu/libc.so.6" },
};

static void hook_live(const struct mr_block *b, void *ctx)
{
	mr_frag_heap_live(ctx, b);
}

static void hook_dead(const struct mr_block *b, uint64_t ts, void *ctx)
{
	mr_frag_heap_dead(ctx, b, ts);
}

static void put(struct feed *f, struct mr_event *ev)
{
	f->ts += 10;
	ev->ts = f->ts;
	mr_tasks_feed(f->rep.tasks, ev);
	mr_pairing_feed(f->rep.pairing, ev);
}

static void malloc_ev(struct feed *f, int tid, uint64_t size, uint64_t ptr, uint64_t caller)
{
	struct mr_event ev = { .kind = MR_EV_ENTER, .fn = MR_FN_MALLOC, .tid = tid,
			       .tgid = tid < 200 ? 100 : 200, .caller = caller };

	ev.args[0] = size;
	put(f, &ev);
	ev = (struct mr_event){ .kind = MR_EV_RETURN, .fn = MR_FN_MALLOC, .tid = tid,
				.tgid = tid < 200 ? 100 : 200, .caller = caller, .ret = ptr };
	put(f, &ev);
}

static void free_ev(struct feed *f, int tid, uint64_t ptr)
{
	struct mr_event ev = { .kind = MR_EV_ENTER, .fn = MR_FN_FREE, .tid = tid,
			       .tgid = tid < 200 ? 100 : 200 };

	ev.args[0] = ptr;
	put(f, &ev);
}

static void thread_ev(struct feed *f, int tid, int child)
{
	struct mr_event ev = { .kind = MR_EV_TASK_NEW, .tid = tid, .tgid = tid,
			       .child_tid = child, .clone_flags = PTHREAD_FLAGS, .comm = "prog" };

	put(f, &ev);
}

static void story_100(struct feed *f)
{
	for (int i = 0; i < 4; i++)
		malloc_ev(f, 100, 1000, C0 + 16 + i * 1008, 0xa001);
	malloc_ev(f, 100, 24, C0 + 16 + 4 * 1008, 0xa002);
	free_ev(f, 100, C0 + 16 + 1008);
	free_ev(f, 100, C0 + 16 + 3 * 1008);
	thread_ev(f, 100, 101);
	malloc_ev(f, 101, 100, 0x7ffff00008d0ull, 0xa003);
	malloc_ev(f, 101, 200, 0x7ffff0000a10ull, 0xa004);
	malloc_ev(f, 101, 200000, 0x7ffff7a00010ull, 0xa005);
}

static void story_200(struct feed *f)
{
	malloc_ev(f, 200, 150000, B200 + 16, 0xb001);
	for (int i = 0; i < 500; i++) {
		f->ts += 10000000;
		malloc_ev(f, 200, 100, B200 + 0x30010, 0xb002);
		if (i < 499)
			free_ev(f, 200, B200 + 0x30010);
	}
}

/* Runs both stories through a pairing with a frag_heap on its hooks; returns the JSON. */
static char *run(int pid, int top, char **text)
{
	struct feed f = { .ts = 1000 };
	struct mr_frag_heap *h = mr_frag_heap_new();
	struct mr_frag fr = { .heap = h };
	struct mr_pairing_hooks hooks = { hook_live, hook_dead, h };
	char *json = NULL;
	struct mr_json j;
	size_t len;
	FILE *m;

	f.opts = (struct mr_report_opts){ .input = "synthetic.dat", .pid = pid, .top = top };
	f.rep.o = &f.opts;
	f.rep.meta.start_ts = 1000;
	f.rep.meta.maps = maps;
	f.rep.meta.nr_maps = ARRAY_SIZE(maps);
	f.rep.tasks = mr_tasks_new();
	f.rep.pairing = mr_pairing_new(f.rep.tasks);
	f.rep.symbols = mr_symbols_new();
	mr_pairing_set_hooks(f.rep.pairing, &hooks);
	story_100(&f);
	story_200(&f);
	f.rep.end_ts = f.ts + 10;
	mr_pairing_finish(f.rep.pairing, f.rep.end_ts);
	mr_frag_heap_finish(h, &f.rep);
	m = open_memstream(&json, &len);
	mr_json_init(&j, m);
	mr_frag_heap_json(&j, &f.rep, &fr);
	MR_CHECK(!mr_json_finish(&j), "the json writer succeeds", "-");
	fclose(m);
	m = open_memstream(text, &len);
	mr_frag_heap_text(m, &f.rep, &fr);
	fclose(m);
	mr_frag_heap_free(h);
	mr_symbols_free(f.rep.symbols);
	mr_pairing_free(f.rep.pairing);
	mr_tasks_free(f.rep.tasks);
	return json;
}

/* ---- reading the JSON ---- */

/* Just past the first anchor at or after s, or NULL. */
static const char *after(const char *s, const char *anchor)
{
	const char *p = s ? strstr(s, anchor) : NULL;

	return p ? p + strlen(anchor) : NULL;
}

/* The number of the first "key": at or after s; -1 when none. */
static long long num(const char *s, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\": ", key);
	p = after(s, k);
	return p ? strtoll(p, NULL, 10) : -1;
}

/* The string of the first "key": at or after s, in buf. */
static const char *str(const char *s, const char *key, char *buf, size_t len)
{
	char k[64];
	const char *p;
	size_t n = 0;

	snprintf(k, sizeof(k), "\"%s\": \"", key);
	p = after(s, k);
	if (!p)
		return "";
	while (p[n] && p[n] != '"' && n + 1 < len) {
		buf[n] = p[n];
		n++;
	}
	buf[n] = 0;
	return buf;
}

/* The i-th site (from 0) of the process at p. */
static const char *site(const char *p, int i)
{
	p = after(p, "\"sites\": [");
	for (int n = 0; n <= i; n++)
		p = after(p, "\"alloc_fn\"");
	return p;
}

static int count(const char *from, const char *to, const char *what)
{
	int n = 0;

	for (const char *p = from; p && (p = strstr(p, what)) && (!to || p < to); p++)
		n++;
	return n;
}

static void check_main_100(const char *p)
{
	const char *r = after(p, "\"kind\": \"main\"");
	const char *pin = after(r, "\"pin\": {");
	char buf[64];

	MR_CHECK(r != NULL, "pid 100: a main arena region", "none in the JSON");
	MR_CHECK(!strcmp(str(r, "lowest", buf, sizeof(buf)), "0x555556000000"),
		 "main: lowest chunk start", "got %s", buf);
	MR_CHECK_EQ(num(r, "span"), 4 * 1008 + 32, "main: span");
	MR_CHECK_EQ(num(r, "live_chunks"), 3, "main: live chunks");
	MR_CHECK_EQ(num(r, "live_bytes"), 2 * 1000 + 24, "main: live requested bytes");
	MR_CHECK_EQ(num(r, "live_chunk_bytes"), 2 * 1008 + 32, "main: live chunk bytes");
	MR_CHECK_EQ(num(r, "free_bytes"), 2016, "main: free bytes");
	MR_CHECK(!strcmp(str(after(r, "\"gaps\": ["), "addr", buf, sizeof(buf)), "0x5555560003f0"),
		 "main: largest gap, lowest address first", "got %s", buf);
	MR_CHECK_EQ(num(after(r, "\"gaps\": ["), "size"), 1008, "main: gap size");
	MR_CHECK(!strcmp(str(after(after(r, "\"gaps\": ["), "}, "), "addr", buf, sizeof(buf)),
			 "0x555556000bd0"), "main: second gap", "got %s", buf);
	MR_CHECK_EQ(count(after(r, "\"gaps\": ["), after(r, "\"pin\""), "\"size\""), 2,
		    "main: two gaps");
	MR_CHECK(pin != NULL, "main: a pin", "pin is null");
	MR_CHECK(!strcmp(str(pin, "addr", buf, sizeof(buf)), "0x555556000fd0"),
		 "pin: the highest live block", "got %s", buf);
	MR_CHECK_EQ(num(pin, "size"), 24, "pin: size");
	MR_CHECK_EQ(num(pin, "chunk_size"), 32, "pin: chunk of malloc(24)");
	MR_CHECK_EQ(num(pin, "free_below"), 2016, "pin: free bytes held below it");
	MR_CHECK_EQ(num(pin, "shrink_by"), 1040, "pin: what freeing it gives back");
	MR_CHECK_EQ(num(pin, "tid"), 100, "pin: tid");
	MR_CHECK(!strcmp(str(after(pin, "\"stack\""), "addr", buf, sizeof(buf)), "0xa002"),
		 "pin: its stack is make_pin's", "got %s", buf);
}

static void check_others_100(const char *p)
{
	const char *a = after(p, "\"kind\": \"thread_arena\"");
	const char *mm = after(p, "\"kind\": \"mmap\"");
	char buf[64];

	MR_CHECK(a != NULL, "pid 100: a thread arena heap", "none in the JSON");
	MR_CHECK(!strcmp(str(a, "lowest", buf, sizeof(buf)), "0x7ffff00008c0"),
		 "arena: lowest chunk", "got %s", buf);
	MR_CHECK_EQ(num(a, "live_chunk_bytes"), 112 + 208, "arena: chunks of 100 and 200 bytes");
	MR_CHECK_EQ(num(after(a, "\"gaps\": ["), "size"), 208, "arena: the gap");
	MR_CHECK(strstr(a, "\"pin\": null") && strstr(a, "\"pin\": null") < mm,
		 "arena: no pin", "has one");
	MR_CHECK(mm != NULL, "pid 100: mmapped chunks", "none in the JSON");
	MR_CHECK_EQ(num(mm, "live_chunk_bytes"), 200704, "mmap: malloc(200000) is 49 pages");
	MR_CHECK(strstr(mm, "\"free_bytes\": null") != NULL, "mmap: no free bytes", "has some");
	MR_CHECK_EQ(count(p, after(p, "\"allocs\""), "\"kind\""), 3, "pid 100: three regions");
}

static void check_sites_100(const char *p)
{
	static const struct { const char *addr; long long allocs, req, chunk; } want[] = {
		{ "0xa005", 1, 200000, 200704 },
		{ "0xa001", 4, 4000, 4032 },
		{ "0xa003", 1, 100, 112 },
		{ "0xa002", 1, 24, 32 },
		{ "0xa004", 1, 200, 208 },
	};
	char buf[64], name[64];

	MR_CHECK_EQ(num(p, "sites_total"), 5, "pid 100: five sites");
	MR_CHECK_EQ(num(after(p, "\"regions\""), "waste_bytes"), 704 + 32 + 12 + 8 + 8,
		    "pid 100: total waste");
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const char *s = site(p, i);

		snprintf(name, sizeof(name), "site %zu is %s", i + 1, want[i].addr);
		str(after(s, "\"stack\""), "addr", buf, sizeof(buf));
		MR_CHECK(!strcmp(buf, want[i].addr), name, "got %s", buf);
		snprintf(name, sizeof(name), "site %s: allocs", want[i].addr);
		MR_CHECK_EQ(num(s, "allocs"), want[i].allocs, name);
		snprintf(name, sizeof(name), "site %s: requested", want[i].addr);
		MR_CHECK_EQ(num(s, "requested_bytes"), want[i].req, name);
		snprintf(name, sizeof(name), "site %s: chunk bytes", want[i].addr);
		MR_CHECK_EQ(num(s, "chunk_bytes"), want[i].chunk, name);
		snprintf(name, sizeof(name), "site %s: waste", want[i].addr);
		MR_CHECK_EQ(num(s, "waste_bytes"), want[i].chunk - want[i].req, name);
	}
}

static void check_200(const char *p)
{
	const char *r = after(p, "\"kind\": \"main\"");
	const char *series = after(r, "\"series\": [");
	int points = count(series, after(r, "\"gaps\""), "\"t_s\"");

	MR_CHECK(p != NULL, "pid 200 reported", "missing");
	MR_CHECK_EQ(count(p, NULL, "\"kind\""), 1, "pid 200: the big block at page + 0x10 is main");
	MR_CHECK_EQ(num(r, "live_chunk_bytes"), 151552 + 112, "pid 200: 37 pages + 112");
	MR_CHECK_EQ(num(after(r, "\"pin\": {"), "free_below"), 0x30070 - 151552 - 112,
		    "pid 200: free below its pin");
	MR_CHECK_EQ(num(after(r, "\"pin\": {"), "shrink_by"), 0x30070 - 151552,
		    "pid 200: shrink by");
	MR_CHECK(points >= 50 && points <= 100, "pid 200: series bounded to 100 points",
		 "%d points", points);
	MR_CHECK_EQ(num(p, "allocs"), 501, "pid 200: every allocation counted, not only live ones");
}

int main(void)
{
	char *text, *json = run(0, 0, &text);
	const char *p100 = after(json, "\"pid\": 100,"), *p200 = after(json, "\"pid\": 200,");

	MR_CHECK(p100 && p200 && p100 < p200, "both processes, in order", "json: %.200s", json);
	check_main_100(p100);
	check_others_100(p100);
	check_sites_100(p100);
	check_200(p200);
	MR_CHECK(!strncmp(text, "\nuser heap\n", 11), "text: heading", "starts %.20s", text);
	MR_CHECK(strstr(text, "pin: 24 bytes (chunk 32) at 0x555556000fd0") != NULL,
		 "text: the pin line", "not in: %s", text);
	free(json);
	free(text);

	json = run(200, 0, &text);
	MR_CHECK(!strstr(json, "\"pid\": 100,") && strstr(json, "\"pid\": 200,"),
		 "--pid 200: only pid 200", "json: %.200s", json);
	free(json);
	free(text);

	json = run(0, 2, &text);
	p100 = after(json, "\"pid\": 100,");
	MR_CHECK_EQ(count(after(p100, "\"sites\": ["), after(p100, "\"pid\": 200"), "\"alloc_fn\""),
		    2, "--top 2: two sites");
	MR_CHECK_EQ(num(p100, "sites_total"), 5, "--top 2: the total still counts five");
	free(json);
	free(text);
	return mr_test_done();
}
