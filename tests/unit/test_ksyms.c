// SPDX-License-Identifier: GPL-2.0
/*
 * test_ksyms.c - mr_ksyms (report/input/ksyms.c) names kernel addresses as
 * libtraceevent's tep_find_function() does after tep_parse_kallsyms() of
 * the same text: both are asked about every address around each line of
 * synthetic kallsyms (unsorted, aliases at one address, modules, lines the
 * library skips, a line that ends its parse) and, when this host shows
 * real addresses (root), of /proc/kallsyms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event-parse.h>
#include "memrec.h"
#include "mr_test.h"
#include "input/input.h"

static const char synthetic[] =
	"ffffffff81000000 T _stext\n"
	"ffffffff81000000 T startup_64\n"
	"ffffffff81000100 t early_idt\n"
	"ffffffff81000040 T secondary_startup\n"
	"0000000000001000 A fixed_percpu_data\n"
	"ffffffff81000080 t $x\n"
	"ffffffff81000200 W weak_one\n"
	"ffffffff81000200 T strong_one\n"
	"ffffffff81000200 t local_one\n"
	"  ffffffff81000300 T indented\n"
	"0xffffffff81000400 T prefixed\n"
	"ffffffffc0001000 t mod_fn\t[some_mod]\n"
	"ffffffffc0000800 t mod_fn2\t[other]\n"
	"\n"
	"ffffffff81000500 d a_data\n"
	"ffffffffc0002000 T last_one\n";

/* Every address around each function start, and a few far away. */
static int compare(struct tep_handle *tep, struct mr_ksyms *k, const uint64_t *starts, int n,
		   const char *what)
{
	static const int64_t deltas[] = { -2, -1, 0, 1, 2, 0x3f, 0x40, 0x41 };
	int bad = 0, checked = 0;

	for (int i = 0; i < n; i++)
		for (size_t d = 0; d < ARRAY_SIZE(deltas); d++) {
			uint64_t addr = starts[i] + deltas[d], start = 0;
			const char *want = tep_find_function(tep, addr);
			const char *got = mr_ksyms_find(k, addr, &start);
			unsigned long long wstart = want ? tep_find_function_address(tep, addr) : 0;

			checked++;
			if ((!want) != (!got) || (want && (strcmp(want, got) || wstart != start))) {
				if (bad++ < 5)
					printf("# %s: %#llx: library '%s' at %#llx, memrec '%s' at "
					       "%#llx\n", what, (unsigned long long)addr,
					       want ? want : "(none)", wstart, got ? got : "(none)",
					       (unsigned long long)start);
			}
		}
	MR_CHECK(!bad, what, "%d of %d addresses named differently", bad, checked);
	return checked;
}

static int starts_of(const char *text, uint64_t **out)
{
	const char *p = text;
	int n = 0, alloc = 0;

	*out = NULL;
	while (*p) {
		unsigned long long a;

		if (sscanf(p, " %llx", &a) == 1) {
			if (n == alloc) {
				alloc = alloc ? alloc * 2 : 64;
				*out = mr_xrealloc(*out, alloc * sizeof(**out));
			}
			(*out)[n++] = a;
		}
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return n;
}

static void check_text(const char *text, const char *what)
{
	struct tep_handle *tep = tep_alloc();
	struct mr_ksyms *k = mr_ksyms_new(text);
	uint64_t *starts;
	int n = starts_of(text, &starts);

	tep_set_loglevel(TEP_LOG_NONE);
	tep_parse_kallsyms(tep, text);
	compare(tep, k, starts, n, what);
	free(starts);
	mr_ksyms_free(k);
	tep_free(tep);
}

/* Many aliases, out of order, from a fixed seed: the order among aliases shows. */
static char *generated(void)
{
	size_t alloc = 4000 * 48, len = 0;
	char *buf = mr_xmalloc(alloc);
	uint32_t seed = 12345;

	for (int i = 0; i < 4000; i++) {
		uint64_t addr;

		seed = seed * 1103515245u + 12345u;
		addr = 0xffffffff81000000ull + ((seed >> 8) % 1500) * 0x40;
		len += snprintf(buf + len, alloc - len, "%016llx %c fn_%d%s\n",
				(unsigned long long)addr, "TtWd"[seed % 4], i,
				seed % 7 ? "" : "\t[mod]");
	}
	return buf;
}

/* The same text read from a file, at an offset that is no page boundary. */
static void check_file(const char *text, const char *what)
{
	char path[] = "/tmp/mr_test_ksyms_XXXXXX", pad[1001];
	struct tep_handle *tep = tep_alloc();
	int fd = mkstemp(path);
	struct mr_ksyms *k;
	uint64_t *starts;
	int n = starts_of(text, &starts);

	memset(pad, 'x', sizeof(pad));
	if (fd < 0 || write(fd, pad, sizeof(pad)) != sizeof(pad) ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text) || write(fd, "junk", 4) != 4) {
		MR_CHECK(0, what, "cannot write '%s'", path);
		return;
	}
	close(fd);
	k = mr_ksyms_new_file(path, sizeof(pad), strlen(text));
	tep_set_loglevel(TEP_LOG_NONE);
	tep_parse_kallsyms(tep, text);
	compare(tep, k, starts, n, what);
	free(starts);
	mr_ksyms_free(k);
	tep_free(tep);
	unlink(path);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	size_t len = 0, alloc = 1 << 20, got;
	char *buf;

	if (!f)
		return NULL;
	buf = mr_xmalloc(alloc);
	while ((got = fread(buf + len, 1, alloc - len - 1, f)) > 0) {
		len += got;
		if (alloc - len < 2) {
			alloc *= 2;
			buf = mr_xrealloc(buf, alloc);
		}
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

int main(void)
{
	struct mr_ksyms *k;
	uint64_t start = 1;
	char *real;

	check_text(synthetic, "ksyms/synthetic-like-the-library");
	/* the library stops at a line it cannot read: what came before is kept */
	check_text("ffffffff81000000 T first\nnot a line\nffffffff81000100 T after\n",
		   "ksyms/bad-line-ends-like-the-library");

	real = generated();
	check_text(real, "ksyms/generated-aliases-like-the-library");
	check_file(real, "ksyms/from-the-file-like-the-library");
	free(real);

	k = mr_ksyms_new(synthetic);
	MR_CHECK(!strcmp(mr_ksyms_find(k, 0xffffffff81000210ull, &start), "weak_one") ||
		 !strcmp(mr_ksyms_find(k, 0xffffffff81000210ull, &start), "strong_one") ||
		 !strcmp(mr_ksyms_find(k, 0xffffffff81000210ull, &start), "local_one"),
		 "ksyms/inside-an-alias", "got '%s'",
		 mr_ksyms_find(k, 0xffffffff81000210ull, NULL));
	MR_CHECK_EQ(start, 0xffffffff81000200ull, "ksyms/start-of-the-function");
	MR_CHECK(!mr_ksyms_find(k, 0x10, NULL), "ksyms/below-the-first", "found one");
	MR_CHECK(!mr_ksyms_find(k, 0xffffffffc0002001ull, NULL), "ksyms/past-the-last",
		 "found one");
	MR_CHECK(!mr_ksyms_find(k, 0x1000, NULL), "ksyms/absolute-symbols-skipped", "found one");
	mr_ksyms_free(k);

	k = mr_ksyms_new("");
	MR_CHECK(!mr_ksyms_find(k, 0xffffffff81000000ull, NULL), "ksyms/empty", "found one");
	mr_ksyms_free(k);
	MR_CHECK(!mr_ksyms_find(NULL, 1, NULL), "ksyms/none", "found one");

	real = slurp("/proc/kallsyms");
	if (real && strncmp(real, "0000000000000000", 16))
		check_text(real, "ksyms/proc-kallsyms-like-the-library");
	else
		printf("skip - ksyms/proc-kallsyms-like-the-library: /proc/kallsyms shows no "
		       "addresses (not root)\n");
	free(real);
	return mr_test_done();
}
