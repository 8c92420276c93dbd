// SPDX-License-Identifier: GPL-2.0
/*
 * test_snapshot.c - lib/snapshot.c's container (round trip; every truncation,
 * damaged length fields and newer versions refused with one error line) and
 * report/frag/zone.c's figures from /proc text copied from a real host (x86-64,
 * Linux 6.x, 4 KiB pages); the "stop" copies are the same text with a few
 * counts edited, so each expected number below is worked out in its comment.
 * `test_snapshot -v` prints the text and JSON sections.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "memrec.h"
#include "frag/frag.h"
#include "output/output.h"
#include "output/frag.h"
#include "mr_test.h"

static const char buddy_start[] =
	"Node 0, zone      DMA      0      0      0      0      0      0      0      0      1     "
	" 1      3 \n"
	"Node 0, zone    DMA32      2      2      4      2      5      4      3      3      4     "
	" 2    752 \n"
	"Node 0, zone   Normal   1054   2058   1566    965    549    343    233    170    125   "
	" 100    125 \n";

/* Normal: order 0 +1000, order 1 +500, order 10 -25; a Movable zone with nothing free; junk */
static const char buddy_stop[] =
	"Node 0, zone      DMA      0      0      0      0      0      0      0      0      1     "
	" 1      3 \n"
	"Node 0, zone    DMA32      2      2      4      2      5      4      3      3      4     "
	" 2    752 \n"
	"Node 0, zone   Normal   2054   2558   1566    965    549    343    233    170    125   "
	" 100    100 \n"
	"Node 0, zone  Movable      0      0      0      0      0      0      0      0      0     "
	" 0      0 \n"
	"garbage\n"
	"Node 0, zone   Broken      1      2     -3\n"
	"Node 0, zone  Letters      1      2     x3\n"
	"Node -1, zone  Negative     1\n"
	"Node 0, zone\n";

static const char pagetype_start[] =
	"Page block order: 9\n"
	"Pages per block:  512\n"
	"\n"
	"Free pages count per migrate type at order       0      1      2      3      4      5     "
	" 6      7      8      9     10 \n"
	"Node    0, zone      DMA, type    Unmovable      0      0      0      0      0      0     "
	" 0      0      1      0      0 \n"
	"Node    0, zone      DMA, type      Movable      0      0      0      0      0      0     "
	" 0      0      0      1      3 \n"
	"Node    0, zone      DMA, type  Reclaimable      0      0      0      0      0      0     "
	" 0      0      0      0      0 \n"
	"Node    0, zone   Normal, type    Unmovable    919   1650    836    380    161    100    "
	" 48     33     13      0      0 \n"
	"Node    0, zone   Normal, type      Movable      1    341    700    567    382    243   "
	" 185    136    105     99    125 \n"
	"Node    0, zone   Normal, type  Reclaimable    135     35     30     18      6      0     "
	" 0      1      7      1      0 \n"
	"Node    0, zone   Normal, type   HighAtomic      0      0      0      0      0      0     "
	" 0      0      0      0      0 \n"
	"\n"
	"Number of blocks type     Unmovable      Movable  Reclaimable   HighAtomic      Isolate \n"
	"Node 0, zone      DMA            1            7            0            0            0 \n"
	"Node 0, zone   Normal           90          532           82            0            0 \n";

/* Normal Unmovable: order 0 +1000; pageblocks Unmovable 90 -> 96, Movable 532 -> 526 */
static const char pagetype_stop[] =
	"Page block order: 9\n"
	"Pages per block:  512\n"
	"\n"
	"Free pages count per migrate type at order       0      1      2      3      4      5     "
	" 6      7      8      9     10 \n"
	"Node    0, zone      DMA, type    Unmovable      0      0      0      0      0      0     "
	" 0      0      1      0      0 \n"
	"Node    0, zone      DMA, type      Movable      0      0      0      0      0      0     "
	" 0      0      0      1      3 \n"
	"Node    0, zone      DMA, type  Reclaimable      0      0      0      0      0      0     "
	" 0      0      0      0      0 \n"
	"Node    0, zone   Normal, type    Unmovable   1919   1650    836    380    161    100    "
	" 48     33     13      0      0 \n"
	"Node    0, zone   Normal, type      Movable      1    341    700    567    382    243   "
	" 185    136    105     99    125 \n"
	"Node    0, zone   Normal, type  Reclaimable    135     35     30     18      6      0     "
	" 0      1      7      1      0 \n"
	"Node    0, zone   Normal, type   HighAtomic      0      0      0      0      0      0     "
	" 0      0      0      0      0 \n"
	"Node    0, zone   Normal, type      Junk      1 2 zz\n"
	"\n"
	"Number of blocks type     Unmovable      Movable  Reclaimable   HighAtomic      Isolate \n"
	"Node 0, zone      DMA            1            7            0            0            0 \n"
	"Node 0, zone   Normal           96          526           82            0            0 \n"
	"Node 0, zone    Short            1            2\n"
	"Number of mixed blocks    Unmovable      Movable  Reclaimable   HighAtomic      Isolate \n"
	"Node 0, zone   Normal            7            7            7            7            7 \n";

/* Linux 5.7 and later print ">100000" past that many blocks: 100000 + 5 * 2 + 1 * 4 = 100014 */
static const char capped_start[] =
	"Free pages count per migrate type at order       0      1      2\n"
	"Node    0, zone   Normal, type      Movable >100000      5      1\n";
static const char capped_stop[] =
	"Free pages count per migrate type at order       0      1      2\n"
	"Node    0, zone   Normal, type      Movable      3      5      1\n";

#define SLAB_HEAD							\
	"slabinfo - version: 2.1\n"					\
	"# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : "	\
	"tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> "	\
	"<sharedavail>\n"

static const char slab_start[] = SLAB_HEAD
	"inode_cache          307    377    624   13    2 : tunables    0    0    0 : slabdata    "
	" 29     29      0\n"
	"dentry            162561 162561    192   21    1 : tunables    0    0    0 : slabdata  "
	" 7741   7741      0\n"
	"task_struct           93    110   5888    5    8 : tunables    0    0    0 : slabdata    "
	" 22     22      0\n"
	"kmalloc-64         31970  36224     64   64    1 : tunables    0    0    0 : slabdata   "
	" 566    566      0\n";

/*
 * dentry 7741 -> 8096 slabs, kmalloc-64 566 -> 625, inode_cache 29 -> 27,
 * task_struct unchanged, memrec_test new; two junk lines.
 */
static const char slab_stop[] = SLAB_HEAD
	"inode_cache          300    351    624   13    2 : tunables    0    0    0 : slabdata    "
	" 27     27      0\n"
	"dentry            170000 170016    192   21    1 : tunables    0    0    0 : slabdata  "
	" 8096   8096      0\n"
	"task_struct           80    110   5888    5    8 : tunables    0    0    0 : slabdata    "
	" 22     22      0\n"
	"kmalloc-64         40000  40000     64   64    1 : tunables    0    0    0 : slabdata   "
	" 625    625      0\n"
	"memrec_test           10     16    256   16    1 : tunables    0    0    0 : slabdata     "
	" 1      1      0\n"
	"broken line\n"
	"negative             -1     16    256   16    1 : tunables    0    0    0 : slabdata     "
	" 1      1      0\n"
	"trailing             10     16    256   16    1 : tunables    0    0    0 : slabdata     "
	" 1      1      0 x\n";

static int verbose;

static void add_snap(struct mr_snapshots *s, const char *when, const char *name, uint64_t ts,
		     const char *text)
{
	s->v = mr_xrealloc(s->v, (s->nr + 1) * sizeof(*s->v));
	s->v[s->nr++] = (struct mr_snapshot){ mr_xstrdup(when), mr_xstrdup(name), ts,
					      mr_xstrdup(text) };
}

static void fixture(struct mr_snapshots *s)
{
	memset(s, 0, sizeof(*s));
	add_snap(s, "start", "buddyinfo", 1000000000ull, buddy_start);
	add_snap(s, "start", "pagetypeinfo", 1000000001ull, pagetype_start);
	add_snap(s, "start", "slabinfo", 1000000002ull, slab_start);
	add_snap(s, "stop", "buddyinfo", 3000000000ull, buddy_stop);
	add_snap(s, "stop", "pagetypeinfo", 3000000001ull, pagetype_stop);
	add_snap(s, "stop", "slabinfo", 3000000002ull, slab_stop);
}

/* ---- the container ---- */

/*
 * A copy of the blob that ends right before an inaccessible page, so that
 * reading one byte past its end faults instead of passing unseen.
 */
struct guarded {
	void	*map;
	size_t	map_len;
	void	*data;
};

static void guarded_copy(struct guarded *g, const void *data, size_t len)
{
	size_t page = sysconf(_SC_PAGESIZE), body = (len + page - 1) / page * page;

	g->map_len = body + page;
	g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	if (g->map == MAP_FAILED)
		mr_die("mmap: %s", strerror(errno));
	mprotect((char *)g->map + body, page, PROT_NONE);
	g->data = (char *)g->map + body - len;
	memcpy(g->data, data, len);
}

static void guarded_release(struct guarded *g)
{
	munmap(g->map, g->map_len);
}

/* Runs decode with stderr caught; returns its result, *lines the lines it printed. */
static int decode_caught(struct mr_snapshots *s, const void *data, size_t len, int *lines,
			 char *msg, size_t msg_size)
{
	FILE *tmp = tmpfile();
	int saved = dup(2), ret;
	struct guarded g;
	size_t n;

	guarded_copy(&g, data, len);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	ret = mr_snapshots_decode(s, g.data, len, "t.dat");
	guarded_release(&g);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(msg, 1, msg_size - 1, tmp);
	msg[n] = '\0';
	fclose(tmp);
	*lines = 0;
	for (size_t i = 0; i < n; i++)
		*lines += msg[i] == '\n';
	return ret;
}

static void test_round_trip(void)
{
	struct mr_snapshots a, b;
	struct mr_buf buf = { 0 };
	const struct mr_snapshot *p;
	bool same = true;

	fixture(&a);
	add_snap(&a, "stop", "empty", UINT64_MAX, "");
	add_snap(&a, "stop", "odd bytes", 7, "\x01\xff\t\r\n%\"\\");
	mr_snapshots_encode(&a, &buf);
	/* 8 header bytes; per entry 2 + 2 + 8 + 4 bytes and the three strings */
	size_t want = 8;

	for (int i = 0; i < a.nr; i++)
		want += 16 + strlen(a.v[i].when) + strlen(a.v[i].name) + strlen(a.v[i].text);
	MR_CHECK_EQ(buf.len, want, "encoded size is the sum of the explicit lengths");
	MR_CHECK(buf.len > 4 && buf.data[0] == MR_SNAPSHOT_VERSION && !buf.data[1] &&
		 !buf.data[2] && !buf.data[3], "the version comes first, little-endian", "-");
	MR_CHECK(!mr_snapshots_decode(&b, buf.data, buf.len, "t.dat"), "decode what was encoded",
		 "failed");
	MR_CHECK_EQ(b.nr, a.nr, "every snapshot comes back");
	for (int i = 0; i < a.nr && i < b.nr; i++)
		same = same && !strcmp(a.v[i].when, b.v[i].when) &&
		       !strcmp(a.v[i].name, b.v[i].name) && a.v[i].ts == b.v[i].ts &&
		       !strcmp(a.v[i].text, b.v[i].text);
	MR_CHECK(same, "when, name, ts and text byte for byte", "-");
	p = mr_snapshots_find(&b, "stop", "slabinfo");
	MR_CHECK(p && p->ts == 3000000002ull, "find stop slabinfo", "%p", (void *)p);
	MR_CHECK(!mr_snapshots_find(&b, "middle", "slabinfo"), "find an unknown when", "-");
	p = mr_snapshots_find(&b, "stop", "empty");
	MR_CHECK(p && !*p->text && p->ts == UINT64_MAX, "an empty text and the largest ts", "-");
	mr_snapshots_release(&b);
	MR_CHECK(!b.nr && !b.v, "release leaves it empty", "-");
	mr_snapshots_release(&a);

	memset(&a, 0, sizeof(a));
	mr_buf_release(&buf);
	mr_snapshots_encode(&a, &buf);
	MR_CHECK(buf.len == 8 && !mr_snapshots_decode(&b, buf.data, buf.len, "t.dat") && !b.nr,
		 "no snapshots at all round-trips", "len %zu", buf.len);
	mr_snapshots_release(&b);
	mr_buf_release(&buf);
}

/* Every prefix of a good blob is refused with exactly one line naming the file. */
static void test_truncated(const struct mr_buf *good)
{
	int bad = 0, lines;
	struct mr_snapshots s;
	char msg[512];

	for (size_t len = 0; len < good->len; len++) {
		if (decode_caught(&s, good->data, len, &lines, msg, sizeof(msg)) != -1 ||
		    s.nr || lines != 1 || !strstr(msg, "memrec: error: 't.dat'")) {
			if (!bad)
				printf("# truncated at %zu: nr %d, %d lines: %s\n", len, s.nr,
				       lines, msg);
			bad++;
		}
		mr_snapshots_release(&s);
	}
	MR_CHECK(!bad, "every truncation is refused with one error line", "%d of %zu not",
		 bad, good->len);
}

/* The offsets of the length fields of each entry (when, name, text). */
static size_t length_fields(const struct mr_buf *b, size_t *off, int *width, size_t max)
{
	const unsigned char *p = (const unsigned char *)b->data;
	size_t pos = 8, n = 0;

	while (pos < b->len && n + 3 <= max) {
		size_t wlen = p[pos] | p[pos + 1] << 8, nlen, tlen;

		off[n] = pos; width[n++] = 2;
		pos += 2 + wlen;
		nlen = p[pos] | p[pos + 1] << 8;
		off[n] = pos; width[n++] = 2;
		pos += 2 + nlen + 8;
		tlen = p[pos] | p[pos + 1] << 8 | p[pos + 2] << 16 | (size_t)p[pos + 3] << 24;
		off[n] = pos; width[n++] = 4;
		pos += 4 + tlen;
	}
	return n;
}

static void test_lengths(const struct mr_buf *good)
{
	static const int deltas[] = { 1, -1, 0x100, -0x100, 0x7fff };
	int bad = 0, tries = 0, lines;
	char *copy = mr_xmalloc(good->len);
	struct mr_snapshots s;
	size_t off[64], n;
	int width[64];
	char msg[512];

	n = length_fields(good, off, width, ARRAY_SIZE(off));
	MR_CHECK_EQ(n, 18, "six entries, three length fields each");
	for (size_t i = 0; i < n; i++) {
		for (size_t d = 0; d < ARRAY_SIZE(deltas) + 1; d++) {
			unsigned char *p;
			uint32_t v = 0;

			memcpy(copy, good->data, good->len);
			p = (unsigned char *)copy + off[i];
			for (int k = 0; k < width[i]; k++)
				v |= (uint32_t)p[k] << (8 * k);
			v = d < ARRAY_SIZE(deltas) ? v + deltas[d] : 0xffffffffu;
			for (int k = 0; k < width[i]; k++)
				p[k] = (unsigned char)(v >> (8 * k));
			tries++;
			if (decode_caught(&s, copy, good->len, &lines, msg, sizeof(msg)) != -1 ||
			    lines != 1)
				bad++;
			mr_snapshots_release(&s);
		}
	}
	MR_CHECK(tries == 108 && !bad, "every damaged length field is refused",
		 "%d of %d not", bad, tries);
	free(copy);
}

static void test_damaged(void)
{
	static const unsigned char newer[] = { 2, 0, 0, 0, 0, 0, 0, 0 };
	static const unsigned char zero[] = { 0, 0, 0, 0, 0, 0, 0, 0 };
	static const unsigned char many[] = { 1, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0 };
	/* one entry "st\0p"/"x", ts 0, text "" */
	static const unsigned char nul[] = { 1, 0, 0, 0, 1, 0, 0, 0, 4, 0, 's', 't', 0, 'p',
					     1, 0, 'x', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct mr_snapshots a, s;
	struct mr_buf good = { 0 };
	char msg[512];
	int lines;

	fixture(&a);
	mr_snapshots_encode(&a, &good);
	test_truncated(&good);
	test_lengths(&good);

	MR_CHECK(decode_caught(&s, newer, sizeof(newer), &lines, msg, sizeof(msg)) == -1 &&
		 lines == 1 && strstr(msg, "'t.dat'") && strstr(msg, "version 2") &&
		 strstr(msg, "upgrade memrec"), "a newer version is refused, by name", "%s", msg);
	mr_snapshots_release(&s);
	MR_CHECK(decode_caught(&s, zero, sizeof(zero), &lines, msg, sizeof(msg)) == -1 &&
		 lines == 1, "version 0 is refused", "%s", msg);
	mr_snapshots_release(&s);
	MR_CHECK(decode_caught(&s, many, sizeof(many), &lines, msg, sizeof(msg)) == -1 &&
		 lines == 1, "a count larger than the blob is refused", "%s", msg);
	mr_snapshots_release(&s);
	MR_CHECK(decode_caught(&s, nul, sizeof(nul), &lines, msg, sizeof(msg)) == -1 &&
		 lines == 1 && strstr(msg, "entry 1"), "a NUL inside a name is refused", "%s", msg);
	mr_snapshots_release(&s);
	mr_buf_add(&good, "", 1);
	MR_CHECK(decode_caught(&s, good.data, good.len, &lines, msg, sizeof(msg)) == -1 &&
		 lines == 1 && strstr(msg, "stray"), "a stray byte after the last entry", "%s",
		 msg);
	mr_snapshots_release(&s);
	MR_CHECK(decode_caught(&s, NULL, 0, &lines, msg, sizeof(msg)) == -1 && lines == 1,
		 "nothing at all is refused", "%s", msg);
	mr_snapshots_release(&s);
	mr_buf_release(&good);
	mr_snapshots_release(&a);
}

static void test_take(void)
{
	struct mr_snapshots s = { 0 };
	const struct mr_snapshot *b, *sl;

	mr_snapshots_take(&s, "start", 42);
	mr_snapshots_take(&s, "stop", 43);
	b = mr_snapshots_find(&s, "stop", "buddyinfo");
	MR_CHECK(b && b->ts == 43 && !strncmp(b->text, "Node ", 5),
		 "take reads /proc/buddyinfo", "%s", b ? b->text : "missing");
	sl = mr_snapshots_find(&s, "start", "slabinfo");
	MR_CHECK(!sl == !!access("/proc/slabinfo", R_OK),
		 "slabinfo is there exactly when it is readable", "%p", (void *)sl);
	MR_CHECK(!sl || !strncmp(sl->text, "slabinfo - version: 2", 21), "slabinfo's text",
		 "%.30s", sl->text);
	mr_snapshots_release(&s);
}

/* ---- the writers ---- */

struct out {
	char	*data;
	size_t	len;
	FILE	*f;
};

static void report_init(struct mr_ctx *rep, struct mr_report_opts *o, int top)
{
	memset(rep, 0, sizeof(*rep));
	memset(o, 0, sizeof(*o));
	o->input = "t.dat";
	o->top = top;
	rep->o = o;
	rep->meta.start_ts = 1000000000ull;
	rep->meta.stop_ts = 3000000000ull;
}

/* check: count the writer's status as a test (the noise runs only look for crashes) */
static char *write_section(struct mr_ctx *rep, bool json, bool check)
{
	struct mr_frag fr = { 0 };
	struct out o = { 0 };
	struct mr_json j;
	int ret;

	o.f = open_memstream(&o.data, &o.len);
	mr_zones_load(&fr.zones, &rep->snaps);
	if (json) {
		/* the section as the top value of a document of its own */
		mr_json_init(&j, o.f);
		mr_frag_zone_json(&j, rep, &fr);
		ret = mr_json_finish(&j);
	} else {
		ret = mr_frag_zone_text(o.f, rep, &fr);
	}
	mr_zones_release(&fr.zones);
	fclose(o.f);
	if (check)
		MR_CHECK(!ret, json ? "the json writer succeeds" : "the text writer succeeds", "-");
	if (verbose)
		printf("%s\n", o.data);
	return o.data;
}

/* The JSON parses, and the figures python reads back are the ones worked out above. */
static bool json_ok(const char *json, const char *expr)
{
	char path[] = "/tmp/memrec-test-snapshot-XXXXXX";
	int fd = mkstemp(path), ret;
	char *cmd;

	if (fd < 0 || mr_write_all(fd, json, strlen(json)) < 0)
		return false;
	close(fd);
	cmd = mr_xasprintf("python3 -c 'import json, sys; z = json.load(open(sys.argv[1])); "
			   "sys.exit(0 if (%s) else 1)' %s", expr, path);
	ret = system(cmd);
	free(cmd);
	unlink(path);
	return ret == 0;
}

/*
 * buddyinfo, Normal at start: 1054 2058 1566 965 549 343 233 170 125 100 125
 * blocks; pages 1054 + 4116 + 6264 + 7720 + 8784 + 10976 + 14912 + 21760 +
 * 32000 + 51200 + 128000 = 286786. Unusable index at order 9: the pages in
 * blocks below 512 pages, 286786 - 51200 - 128000 = 107586, over 286786 =
 * 0.375144; order 10: 158786 / 286786 = 0.553674. At stop +1000 + 1000 -
 * 25600 pages = 263186 (-23600), order 10: (263186 - 102400) / 263186 = 0.610922.
 * DMA: 256 + 512 + 3 * 1024 = 3840 pages, order 9: 256 / 3840 = 0.066667,
 * order 10: 768 / 3840 = 0.2. Movable has no free page: every index is 0.
 */
static const char buddy_normal_json[] =
	"{\"node\": 0, \"zone\": \"Normal\", \"free_pages_start\": 286786, \"free_pages_stop\": "
	"263186, \"free_blocks_start\": [1054, 2058, 1566, 965, 549, 343, 233, 170, 125, 100, "
	"125], \"free_blocks_stop\": [2054, 2558, 1566, 965, 549, 343, 233, 170, 125, 100, 100], "
	"\"unusable_index_start\": [0.000000, 0.003675, 0.018027, 0.039869, 0.066788, 0.097418, "
	"0.135690, 0.187687, 0.263562, 0.375144, 0.553674], \"unusable_index_stop\": [0.000000, "
	"0.007804, 0.027243, 0.051044, 0.080377, 0.113752, 0.155457, 0.212116, 0.294795, "
	"0.416382, 0.610922]}";

/*
 * pagetypeinfo, Normal Unmovable: 919 + 1650 * 2 + 836 * 4 + 380 * 8 + 161 * 16 +
 * 100 * 32 + 48 * 64 + 33 * 128 + 13 * 256 = 27003 pages, +1000 at stop = 28003;
 * Movable 256723 both times; pageblocks 90 -> 96 and 532 -> 526.
 */
static const char *const pagetype_json[] = {
	"{\"type\": \"Unmovable\", \"free_pages_start\": 27003, \"free_pages_stop\": 28003, "
	"\"free_pages_capped\": false, \"pageblocks_start\": 90, \"pageblocks_stop\": 96}",
	"{\"type\": \"Movable\", \"free_pages_start\": 256723, \"free_pages_stop\": 256723, "
	"\"free_pages_capped\": false, \"pageblocks_start\": 532, \"pageblocks_stop\": 526}",
	"{\"type\": \"Isolate\", \"free_pages_start\": null, \"free_pages_stop\": null, "
	"\"free_pages_capped\": false, \"pageblocks_start\": 0, \"pageblocks_stop\": 0}",
};

/*
 * slabinfo: dentry 7741 * 4096 = 31707136 -> 8096 * 4096 = 33161216 bytes
 * (+1454080); waste 1 - 162561 * 192 / 31707136 = 1/64 = 0.015625 -> 1 -
 * 170000 * 192 / 33161216 = 0.015718. kmalloc-64 566 -> 625 pages, +241664,
 * waste 1 - 31970 * 64 / 2318336 = 0.117436 -> 0. memrec_test (new) +4096,
 * waste 1 - 10 * 256 / 4096 = 0.375. inode_cache shrank 2 slabs of 2 pages.
 * Totals: 237568 + 31707136 + 720896 + 2318336 = 34983936 -> 221184 +
 * 33161216 + 720896 + 2560000 + 4096 = 36667392.
 */
static const char *const slab_json[] = {
	"{\"caches\": 5, \"grew\": 3, \"shrank\": 1, \"bytes_start\": 34983936, "
	"\"bytes_stop\": 36667392, \"top\": [",
	"{\"name\": \"dentry\", \"objsize\": 192, \"growth_bytes\": 1454080, \"bytes_start\": "
	"31707136, \"active_objs_start\": 162561, \"num_objs_start\": 162561, \"waste_start\": "
	"0.015625, \"bytes_stop\": 33161216, \"active_objs_stop\": 170000, \"num_objs_stop\": "
	"170016, \"waste_stop\": 0.015718}",
	"{\"name\": \"kmalloc-64\", \"objsize\": 64, \"growth_bytes\": 241664, \"bytes_start\": "
	"2318336, \"active_objs_start\": 31970, \"num_objs_start\": 36224, \"waste_start\": "
	"0.117436, \"bytes_stop\": 2560000, \"active_objs_stop\": 40000, \"num_objs_stop\": "
	"40000, \"waste_stop\": 0.000000}",
	"{\"name\": \"memrec_test\", \"objsize\": 256, \"growth_bytes\": 4096, \"bytes_start\": 0, "
	"\"active_objs_start\": 0, \"num_objs_start\": 0, \"waste_start\": null, \"bytes_stop\": "
	"4096, \"active_objs_stop\": 10, \"num_objs_stop\": 16, \"waste_stop\": 0.375000}",
};

static void test_json(void)
{
	struct mr_report_opts o;
	struct mr_ctx rep;
	char *json;

	report_init(&rep, &o, 0);
	fixture(&rep.snaps);
	json = write_section(&rep, true, true);
	MR_CHECK(strstr(json, buddy_normal_json), "buddyinfo Normal: pages, blocks, unusable index",
		 "not in the output");
	MR_CHECK(strstr(json, "\"zone\": \"DMA\"") && strstr(json, "0.066667, 0.200000]"),
		 "buddyinfo DMA: index 0.066667 and 0.2 at orders 9 and 10", "-");
	MR_CHECK(strstr(json, "{\"node\": 0, \"zone\": \"Movable\", \"free_pages_start\": null, "
			"\"free_pages_stop\": 0,") &&
		 strstr(json, "\"unusable_index_stop\": [0.000000, 0.000000, 0.000000, 0.000000, "
			"0.000000, 0.000000, 0.000000, 0.000000, 0.000000, 0.000000, 0.000000]}"),
		 "a zone with nothing free: index 0, no start side", "-");
	MR_CHECK(!strstr(json, "Broken") && !strstr(json, "Letters") && !strstr(json, "Negative")
		 && !strstr(json, "Junk") && !strstr(json, "Short") && !strstr(json, "negative")
		 && !strstr(json, "trailing"), "odd lines are skipped", "-");
	for (size_t i = 0; i < ARRAY_SIZE(pagetype_json); i++)
		MR_CHECK(strstr(json, pagetype_json[i]), "pagetypeinfo Normal per migratetype",
			 "%s not in the output", pagetype_json[i]);
	MR_CHECK(strstr(json, "{\"type\": \"Reclaimable\", \"free_pages_start\": 2997, "
			"\"free_pages_stop\": 2997, \"free_pages_capped\": false, "
			"\"pageblocks_start\": 82, \"pageblocks_stop\": 82}"),
		 "the mixed blocks table is not taken for pageblocks", "-");
	for (size_t i = 0; i < ARRAY_SIZE(slab_json); i++)
		MR_CHECK(strstr(json, slab_json[i]), "slabinfo growth, objects and waste",
			 "%s not in the output", slab_json[i]);
	MR_CHECK(json_ok(json, "z[\"recorded\"] and len(z[\"snapshots\"]) == 6 and "
			 "z[\"snapshots\"][3][\"t\"] == 2.0 and len(z[\"buddyinfo\"]) == 4 and "
			 "[c[\"name\"] for c in z[\"slabinfo\"][\"top\"]] == "
			 "[\"dentry\", \"kmalloc-64\", \"memrec_test\"]"),
		 "the json parses and reads back", "python3 said no");
	free(json);
	mr_snapshots_release(&rep.snaps);

	report_init(&rep, &o, 0);
	json = write_section(&rep, true, true);
	MR_CHECK(json_ok(json, "z == {\"recorded\": False, \"page_size\": 4096, \"snapshots\": "
			 "[], \"buddyinfo\": None, \"pagetypeinfo\": None, \"slabinfo\": None}"),
		 "no snapshots: an object saying so", "%s", json);
	free(json);
}

static void test_text(void)
{
	struct mr_report_opts o;
	struct mr_ctx rep;
	char *text;

	report_init(&rep, &o, 2);
	fixture(&rep.snaps);
	text = write_section(&rep, false, true);
	MR_CHECK(strstr(text, "zones (/proc/buddyinfo, before vs after)\n"), "buddyinfo heading",
		 "-");
	MR_CHECK(strstr(text, "node 0, zone Normal: free pages 286786 -> 263186 (-23600)"),
		 "free pages of a zone, start -> stop", "-");
	MR_CHECK(strstr(text, "   0.375   0.554\n") && strstr(text, "   0.416   0.611\n"),
		 "unusable index rows", "-");
	MR_CHECK(strstr(text, "migratetypes (/proc/pagetypeinfo, before vs after)\n") &&
		 strstr(text, "27003 -> 28003 (+1000)") && strstr(text, "532 -> 526 (-6)"),
		 "pagetypeinfo free pages and pageblocks", "-");
	MR_CHECK(strstr(text, "slab caches (/proc/slabinfo, before vs after)\n") &&
		 strstr(text, "5 caches, 33.4 MiB -> 35.0 MiB of slabs; 3 grew, 1 shrank"),
		 "slab summary", "-");
	MR_CHECK(strstr(text, "the 2 that grew most") && strstr(text, "dentry") &&
		 strstr(text, "(+1.4 MiB)") && strstr(text, "waste 1.6% -> 1.6%") &&
		 strstr(text, "kmalloc-64") && !strstr(text, "memrec_test"),
		 "--top 2 keeps the two caches that grew most", "-");
	free(text);
	mr_snapshots_release(&rep.snaps);

	report_init(&rep, &o, 10);
	add_snap(&rep.snaps, "start", "buddyinfo", 1, buddy_start);
	text = write_section(&rep, false, true);
	MR_CHECK(strstr(text, "only the start snapshot was recorded") &&
		 strstr(text, "free pages 286786 -> -\n") &&
		 strstr(text, "not recorded (/proc/slabinfo could not be read; it is root-only "
			"on most kernels)"),
		 "one side or one file missing", "-");
	free(text);
	mr_snapshots_release(&rep.snaps);

	report_init(&rep, &o, 10);
	add_snap(&rep.snaps, "start", "pagetypeinfo", 1, capped_start);
	add_snap(&rep.snaps, "stop", "pagetypeinfo", 2, capped_stop);
	text = write_section(&rep, false, true);
	MR_CHECK(strstr(text, ">=100014 -> 17  ") && strstr(text, "the kernel counts at most"),
		 "a count the kernel capped is shown as a lower bound", "-");
	free(text);
	text = write_section(&rep, true, true);
	MR_CHECK(strstr(text, "\"free_pages_start\": 100014, \"free_pages_stop\": 17, "
			"\"free_pages_capped\": true"), "the json says the count is capped", "-");
	free(text);
	mr_snapshots_release(&rep.snaps);

	report_init(&rep, &o, 10);
	text = write_section(&rep, false, true);
	MR_CHECK(!strcmp(text, "\nzones: no /proc snapshots (buddyinfo, pagetypeinfo, slabinfo) "
			 "were recorded\n"), "no snapshots: one line", "%s", text);
	free(text);
}

/* Every cut of the fixtures, and noise, goes through both writers without harm. */
static void test_garbage(void)
{
	const char *texts[] = { buddy_stop, pagetype_stop, slab_stop };
	static const char *const names[] = { "buddyinfo", "pagetypeinfo", "slabinfo" };
	struct mr_report_opts o;
	struct mr_ctx rep;
	unsigned int seed = 1;
	size_t runs = 0;

	for (size_t t = 0; t < ARRAY_SIZE(texts); t++) {
		for (size_t cut = 0; cut < strlen(texts[t]); cut += 7) {
			char *text = mr_xstrdup(texts[t]), *out;

			text[cut] = '\0';
			report_init(&rep, &o, 0);
			add_snap(&rep.snaps, "start", names[t], 1, texts[t]);
			add_snap(&rep.snaps, "stop", names[t], 2, text);
			for (int json = 0; json < 2; json++) {
				out = write_section(&rep, json, false);
				free(out);
				runs++;
			}
			mr_snapshots_release(&rep.snaps);
			free(text);
		}
	}
	for (int i = 0; i < 200; i++) {
		char noise[600];

		for (size_t k = 0; k < sizeof(noise) - 1; k++)
			noise[k] = " 0123456789,:-Nodezn\n\x80"[rand_r(&seed) % 22];
		noise[sizeof(noise) - 1] = '\0';
		report_init(&rep, &o, 0);
		add_snap(&rep.snaps, "start", names[i % 3], 1, noise);
		add_snap(&rep.snaps, "stop", names[i % 3], 2, noise + 100);
		free(write_section(&rep, i & 1, false));
		mr_snapshots_release(&rep.snaps);
		runs++;
	}
	MR_CHECK(runs > 300, "cut and noisy texts never crash the writers", "%zu runs", runs);
}

int main(int argc, char **argv)
{
	verbose = argc > 1 && !strcmp(argv[1], "-v");
	test_round_trip();
	test_damaged();
	test_take();
	test_json();
	test_text();
	if (!verbose)
		test_garbage();
	return mr_test_done();
}
