// SPDX-License-Identifier: GPL-2.0
/* test_meta.c - memrec's metadata option: round trip, escaping, versions. */
#include <stdlib.h>
#include "mr_meta.h"
#include "mr_test.h"

static void fill(struct mr_meta *m)
{
	mr_meta_init(m);
	m->memrec_version = mr_xstrdup("0.1.0");
	m->uname = mr_xstrdup("Linux host 6.18 #1 SMP x86_64");
	m->clock = mr_xstrdup("mono");
	m->command = mr_xstrdup("memrec record -- ./a 'b c'");
	m->stop_reason = mr_xstrdup("interrupted (SIGINT)");
	m->start_ts = 123;
	m->stop_ts = 456;
	m->start_epoch_ns = 1700000000000000000ull;
	m->buffer_kb = 8192;
	m->perf_lost = 3;
	m->truncated_bytes = 4096;
	m->free_null_unseen = 1;
	mr_meta_add_target(m, 42, "./prog with spaces %and\npercent");
	mr_meta_add_target(m, 43, "");
	mr_meta_add_map(m, 99, 42, 0x7f0000001000ull, 0x2000, 0x1000, "abcdef", "/lib/x y.so");
	mr_meta_add_map(m, 100, 42, 0x400000, 0x1000, 0, NULL, "-");
	mr_meta_add_buildid(m, "0123", "/usr/bin/prog");
	mr_meta_add_lsan(m, "/usr/bin/p q", "leak:a b\n# 100%\nleak:^c$\n");
	m->cpus = mr_xcalloc(1, sizeof(*m->cpus));
	m->nr_cpus = 1;
	m->cpus[0] = (struct mr_meta_cpu){ 1, 10, 20, 30, 40, 50 };
}

static void test_round_trip(void)
{
	struct mr_meta a, b;
	struct mr_buf buf = { 0 };

	fill(&a);
	mr_meta_encode(&a, &buf);
	MR_CHECK(!mr_meta_decode(&b, buf.data, buf.len, "t.dat"), "decode what was encoded", "failed");
	MR_CHECK(!strcmp(b.command, a.command), "command with quotes and spaces", "%s", b.command);
	MR_CHECK(b.nr_lsan == 1 && !strcmp(b.lsan[0].path, "/usr/bin/p q") &&
		 !strcmp(b.lsan[0].text, "leak:a b\n# 100%\nleak:^c$\n"),
		 "lsan suppressions with newlines, spaces and %", "%d", b.nr_lsan);
	MR_CHECK(!strcmp(b.targets[0].cmdline, a.targets[0].cmdline),
		 "cmdline with %, space and newline", "%s", b.targets[0].cmdline);
	MR_CHECK(!strcmp(b.targets[1].cmdline, ""), "empty string", "'%s'", b.targets[1].cmdline);
	MR_CHECK(!strcmp(b.maps[1].path, "-"), "a path that is a lone dash", "'%s'", b.maps[1].path);
	MR_CHECK(!b.maps[1].build_id, "no build-id stays NULL", "%s", b.maps[1].build_id);
	MR_CHECK(!strcmp(b.maps[0].path, "/lib/x y.so") && !strcmp(b.maps[0].build_id, "abcdef"),
		 "map path and build-id", "%s %s", b.maps[0].path, b.maps[0].build_id);
	MR_CHECK_EQ(b.maps[0].start, 0x7f0000001000ull, "map start");
	MR_CHECK_EQ(b.maps[0].pgoff, 0x1000, "map offset");
	MR_CHECK_EQ(b.start_epoch_ns, a.start_epoch_ns, "epoch");
	MR_CHECK_EQ(b.truncated_bytes, 4096, "truncated bytes");
	MR_CHECK_EQ(b.free_null_unseen, 1, "free(NULL) flag");
	MR_CHECK_EQ(b.cpus[0].dropped, 40, "cpu stats");
	MR_CHECK(!strcmp(mr_meta_buildid_of(&b, "/usr/bin/prog"), "0123"), "build-id by path", "-");
	mr_meta_release(&a);
	mr_meta_release(&b);
	mr_buf_release(&buf);
}

static void test_bad(void)
{
	static const char newer[] = "memrec-meta 99\nfoo bar\n";
	static const char junk[] = "not metadata";
	static const char badnum[] = "memrec-meta 1\ntime 12x 3 4\n";
	static const char unknown[] = "memrec-meta 1\nsomething new 1 2 3\nbuffer_kb 7\n";
	static const char nul[] = "memrec-meta 1\nbuf\0fer_kb 7\n";
	struct mr_meta m;

	MR_CHECK(mr_meta_decode(&m, newer, sizeof(newer) - 1, "t") < 0, "a newer version is refused", "-");
	mr_meta_release(&m);
	MR_CHECK(mr_meta_decode(&m, junk, sizeof(junk) - 1, "t") < 0, "junk is refused", "-");
	mr_meta_release(&m);
	MR_CHECK(mr_meta_decode(&m, badnum, sizeof(badnum) - 1, "t") < 0, "a bad number is refused", "-");
	mr_meta_release(&m);
	MR_CHECK(!mr_meta_decode(&m, unknown, sizeof(unknown) - 1, "t") && m.buffer_kb == 7,
		 "unknown records are skipped", "-");
	mr_meta_release(&m);
	MR_CHECK(mr_meta_decode(&m, nul, sizeof(nul) - 1, "t") < 0, "a NUL inside is refused", "-");
	mr_meta_release(&m);
	MR_CHECK(mr_meta_decode(&m, "", 0, "t") < 0, "empty is refused", "-");
	mr_meta_release(&m);
}

int main(void)
{
	test_round_trip();
	test_bad();
	return mr_test_done();
}
