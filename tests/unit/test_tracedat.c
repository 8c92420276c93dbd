// SPDX-License-Identifier: GPL-2.0
/*
 * test_tracedat.c - round trip of memrec's trace.dat v6 writer. Hand-built
 * ring-buffer pages go in through mr_tracedat_write(); libtracecmd's public
 * reader, `trace-cmd report` and mr_tracedat_find_option() must give them
 * back. The header walker is then fed truncated, damaged and foreign files.
 *
 * It runs twice: on a fake tracing directory made here (no root needed),
 * and on the real tracefs when it can (else a loud skip).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <trace-cmd/trace-cmd.h>
#include <tracefs.h>
#include "memrec.h"
#include "mr_tracedat.h"
#include "mr_test.h"

#define PAGE		4096
#define NR_CPUS		3	/* the third has no data file */
#define MAX_WANT	256
#define TEST_PID	4321
#define BASE_TS		1000000000ull
#define PAYLOAD		"memrec meta v1: pid=4321 exe=/bin/true \x01\x00\xff"
#define TRACE_CMD	"/usr/bin/trace-cmd"

struct fmt_field {
	char	name[32];
	int	off;
	int	size;
};

/* Field offsets come from the format file, so the test follows the kernel. */
struct ev_fmt {
	struct fmt_field	f[24];
	int			id;
	int			nr;
	int			len;
};

/* One record the reader must give back, in timestamp order. */
struct want {
	uint64_t	ts;
	int		cpu;
	int		is_print;
	int		prev_pid;
	int		next_pid;
	char		text[32];
};

struct tctx {
	struct ev_fmt	sw;
	struct ev_fmt	pr;
	struct want	want[MAX_WANT];
	int		nr_want;
	const char	*label;		/* "fake" or "tracefs" */
	const char	*tdir;		/* the tracing dir captured from */
	char		tmp[64];	/* scratch directory for files */
	char		name[160];
	int		errfd;		/* stderr is sent here while errors are expected */
	int		saved_err;
	char		errbuf[1024];
};

struct page {
	uint8_t		data[PAGE];
	size_t		used;
	uint64_t	last_ts;
	int		nr;
};

static const char *tn(struct tctx *t, const char *what)
{
	snprintf(t->name, sizeof(t->name), "%s: %s", t->label, what);
	return t->name;
}

static void skip(struct tctx *t, const char *what, const char *why)
{
	printf("skip - %s: %s\n", tn(t, what), why);
}

/* Expected error messages go to a file, so they can be checked and kept off the log. */
static void err_begin(struct tctx *t)
{
	fflush(stderr);
	if (ftruncate(t->errfd, 0) || lseek(t->errfd, 0, SEEK_SET))
		perror("errfd");
	t->saved_err = dup(2);
	dup2(t->errfd, 2);
}

static const char *err_end(struct tctx *t)
{
	ssize_t n;

	fflush(stderr);
	dup2(t->saved_err, 2);
	close(t->saved_err);
	n = pread(t->errfd, t->errbuf, sizeof(t->errbuf) - 1, 0);
	t->errbuf[n > 0 ? n : 0] = '\0';
	return t->errbuf;
}

static int one_line_with(const char *msg, const char *a, const char *b)
{
	const char *nl = strchr(msg, '\n');

	return nl && !nl[1] && strstr(msg, a) && (!b || strstr(msg, b));
}

/* ---- the fake tracing directory ---- */

#define COMMON_FIELDS								\
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"	\
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"	\
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n" \
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"

static const struct {
	const char	*path;
	const char	*text;
} fake_files[] = {
	{ "events/header_page",
	  "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
	  "\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
	  "\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
	  "\tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;\n" },
	{ "events/header_event",
	  "# compressed entry header\n\ttype_len    :    5 bits\n\ttime_delta  :   27 bits\n"
	  "\tarray       :   32 bits\n\n\tpadding     : type == 29\n"
	  "\ttime_extend : type == 30\n\ttime_stamp : type == 31\n\tdata max type_len  == 28\n" },
	{ "events/ftrace/user_stack/format",
	  "name: user_stack\nID: 13\nformat:\n" COMMON_FIELDS
	  "\tfield:unsigned int tgid;\toffset:8;\tsize:4;\tsigned:0;\n"
	  "\tfield:unsigned long caller[8];\toffset:16;\tsize:64;\tsigned:0;\n\n"
	  "print fmt: \"\\t=> %ps\\n\", (void *)REC->caller[0]\n" },
	{ "events/ftrace/kernel_stack/format",
	  "name: kernel_stack\nID: 4\nformat:\n" COMMON_FIELDS
	  "\tfield:int size;\toffset:8;\tsize:4;\tsigned:1;\n"
	  "\tfield:unsigned long caller[8];\toffset:16;\tsize:64;\tsigned:0;\n\n"
	  "print fmt: \"\\t=> %ps\\n\", (void *)REC->caller[0]\n" },
	{ "events/ftrace/print/format",
	  "name: print\nID: 5\nformat:\n" COMMON_FIELDS
	  "\tfield:unsigned long ip;\toffset:8;\tsize:8;\tsigned:0;\n"
	  "\tfield:char buf[];\toffset:16;\tsize:0;\tsigned:0;\n\n"
	  "print fmt: \"%ps: %s\", (void *)REC->ip, REC->buf\n" },
	{ "events/sched/sched_switch/format",
	  "name: sched_switch\nID: 372\nformat:\n" COMMON_FIELDS
	  "\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
	  "\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;\n"
	  "\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;\n"
	  "\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;\n"
	  "\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;\n"
	  "\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;\n"
	  "\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;\n\n"
	  "print fmt: \"prev_pid=%d ==> next_pid=%d\", REC->prev_pid, REC->next_pid\n" },
	{ "printk_formats", "" },
};

static int write_text(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int ret;

	if (fd < 0)
		return -1;
	ret = mr_write_all(fd, data, len);
	return close(fd) || ret ? -1 : 0;
}

static int mkdirs_for(const char *path)
{
	char *dir = mr_xstrdup(path), *p;

	for (p = strchr(dir + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST) {
			free(dir);
			return -1;
		}
		*p = '/';
	}
	free(dir);
	return 0;
}

static int make_fake_dir(const char *dir)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fake_files); i++) {
		char *path = mr_xasprintf("%s/%s", dir, fake_files[i].path);
		int ret = mkdirs_for(path) ||
			  write_text(path, fake_files[i].text, strlen(fake_files[i].text));

		free(path);
		if (ret)
			return -1;
	}
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- formats and records ---- */

static void parse_field(struct ev_fmt *fmt, const char *line)
{
	const char *p = strstr(line, "field:"), *semi, *o;
	struct fmt_field *f;
	char decl[128], *name, *br;

	if (!p || fmt->nr == (int)ARRAY_SIZE(fmt->f))
		return;
	semi = strchr(p, ';');
	o = strstr(line, "offset:");
	if (!semi || !o || semi - p - 6 >= (int)sizeof(decl))
		return;
	memcpy(decl, p + 6, semi - p - 6);
	decl[semi - p - 6] = '\0';
	br = strchr(decl, '[');
	if (br)
		*br = '\0';
	name = strrchr(decl, ' ');
	name = name ? name + 1 : decl;
	f = &fmt->f[fmt->nr];
	if (strlen(name) >= sizeof(f->name))
		return;
	strcpy(f->name, name);
	if (sscanf(o, "offset:%d;\tsize:%d;", &f->off, &f->size) != 2)
		return;
	if (f->off + f->size > fmt->len)
		fmt->len = f->off + f->size;
	fmt->nr++;
}

static int parse_format(const char *dir, const char *event, struct ev_fmt *fmt)
{
	char *path = mr_xasprintf("%s/events/%s/format", dir, event);
	char *text = mr_read_file(path, NULL), *line, *save = NULL;

	free(path);
	memset(fmt, 0, sizeof(*fmt));
	fmt->id = -1;
	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "ID: %d", &fmt->id) == 1)
			continue;
		parse_field(fmt, line);
	}
	free(text);
	return fmt->id < 0 || !fmt->nr ? -1 : 0;
}

static const struct fmt_field *field(const struct ev_fmt *fmt, const char *name)
{
	int i;

	for (i = 0; i < fmt->nr; i++)
		if (!strcmp(fmt->f[i].name, name))
			return &fmt->f[i];
	return NULL;
}

static void set_int(uint8_t *rec, const struct ev_fmt *fmt, const char *name, int64_t v)
{
	const struct fmt_field *f = field(fmt, name);
	uint8_t u8 = v;
	uint16_t u16 = v;
	uint32_t u32 = v;

	if (!f)
		return;
	if (f->size == 1)
		memcpy(rec + f->off, &u8, 1);
	else if (f->size == 2)
		memcpy(rec + f->off, &u16, 2);
	else if (f->size == 4)
		memcpy(rec + f->off, &u32, 4);
	else if (f->size == 8)
		memcpy(rec + f->off, &v, 8);
}

static void set_str(uint8_t *rec, const struct ev_fmt *fmt, const char *name, const char *s)
{
	const struct fmt_field *f = field(fmt, name);

	if (f)
		strncpy((char *)rec + f->off, s, f->size);
}

static size_t make_switch(struct tctx *t, uint8_t *rec, const struct want *w)
{
	memset(rec, 0, t->sw.len);
	set_int(rec, &t->sw, "common_type", t->sw.id);
	set_int(rec, &t->sw, "common_pid", TEST_PID);
	set_str(rec, &t->sw, "prev_comm", "mr-prev");
	set_int(rec, &t->sw, "prev_pid", w->prev_pid);
	set_int(rec, &t->sw, "prev_prio", 120);
	set_int(rec, &t->sw, "prev_state", 1);
	set_str(rec, &t->sw, "next_comm", "mr-next");
	set_int(rec, &t->sw, "next_pid", w->next_pid);
	set_int(rec, &t->sw, "next_prio", 100);
	return t->sw.len;
}

static size_t make_print(struct tctx *t, uint8_t *rec, const struct want *w)
{
	const struct fmt_field *buf = field(&t->pr, "buf");
	size_t len = buf->off + strlen(w->text) + 1;

	memset(rec, 0, 128);
	set_int(rec, &t->pr, "common_type", t->pr.id);
	set_int(rec, &t->pr, "common_pid", TEST_PID);
	set_int(rec, &t->pr, "ip", 0);
	memcpy(rec + buf->off, w->text, strlen(w->text) + 1);
	return len;
}

static void page_init(struct page *pg, uint64_t ts)
{
	memset(pg, 0, sizeof(*pg));
	memcpy(pg->data, &ts, 8);
	pg->used = 16;
	pg->last_ts = ts;
}

/* A ring-buffer event: u32 {type_len:5 = words of data, time_delta:27}, then data. */
static int page_add(struct page *pg, uint64_t ts, const uint8_t *rec, size_t len)
{
	size_t dlen = (len + 3) & ~(size_t)3;
	uint32_t hdr = (dlen / 4) | ((uint32_t)(ts - pg->last_ts) << 5);
	uint64_t commit;

	if (pg->used + 4 + dlen > PAGE)
		return -1;
	memcpy(pg->data + pg->used, &hdr, 4);
	memcpy(pg->data + pg->used + 4, rec, len);
	pg->used += 4 + dlen;
	pg->last_ts = ts;
	pg->nr++;
	commit = pg->used - 16;
	memcpy(pg->data + 8, &commit, 8);
	return 0;
}

static struct want *new_want(struct tctx *t, int cpu, uint64_t ts, int is_print)
{
	struct want *w = &t->want[t->nr_want];

	memset(w, 0, sizeof(*w));
	w->cpu = cpu;
	w->ts = ts;
	w->is_print = is_print;
	w->prev_pid = 1000 + t->nr_want;
	w->next_pid = 2000 + t->nr_want;
	snprintf(w->text, sizeof(w->text), "mr-msg-%d", t->nr_want);
	t->nr_want++;
	return w;
}

/* Writes nr_sw sched_switch then nr_pr print records as pages, then junk bytes. */
static int build_cpu_file(struct tctx *t, const char *path, int cpu, int nr_sw, int nr_pr,
			  int junk)
{
	uint8_t rec[128];
	struct page pg;
	int i, fd, ret = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	for (i = 0; i < nr_sw + nr_pr && !ret; i++) {
		uint64_t ts = BASE_TS + i * 1000 + cpu * 300;
		struct want *w = new_want(t, cpu, ts, i >= nr_sw);
		size_t len = w->is_print ? make_print(t, rec, w) : make_switch(t, rec, w);

		if (i == 0)
			page_init(&pg, ts);
		if (page_add(&pg, ts, rec, len)) {
			ret = mr_write_all(fd, pg.data, PAGE);
			page_init(&pg, ts);
			page_add(&pg, ts, rec, len);
		}
	}
	if (!ret)
		ret = mr_write_all(fd, pg.data, PAGE);
	memset(rec, 0xab, sizeof(rec));
	if (!ret && junk)
		ret = mr_write_all(fd, rec, junk);
	return close(fd) || ret ? -1 : 0;
}

static int by_ts(const void *a, const void *b)
{
	const struct want *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* ---- reading back through libtracecmd ---- */

struct readback {
	struct tctx	*t;
	int		n;
	int		bad;
	char		why[256];
};

static int check_record(struct readback *rb, struct tep_handle *tep, struct tep_record *rec,
			int cpu, const struct want *w)
{
	struct tep_event *ev = tep_find_event(tep, tep_data_type(tep, rec));
	unsigned long long prev = 0, next = 0;
	const char *s;
	int len = 0;

	if (!ev || cpu != w->cpu || rec->ts != w->ts)
		return snprintf(rb->why, sizeof(rb->why), "record %d: cpu %d ts %llu event %s",
				rb->n, cpu, rec->ts, ev ? ev->name : "?");
	if (w->is_print) {
		s = tep_get_field_raw(NULL, ev, "buf", rec, &len, 0);
		if (strcmp(ev->name, "print") || !s || strcmp(s, w->text))
			return snprintf(rb->why, sizeof(rb->why), "record %d: print '%s'", rb->n,
					s ? s : "(null)");
		return 0;
	}
	s = tep_get_field_raw(NULL, ev, "next_comm", rec, &len, 0);
	if (strcmp(ev->name, "sched_switch") ||
	    tep_get_field_val(NULL, ev, "prev_pid", rec, &prev, 0) ||
	    tep_get_field_val(NULL, ev, "next_pid", rec, &next, 0) ||
	    prev != (unsigned)w->prev_pid || next != (unsigned)w->next_pid ||
	    !s || strncmp(s, "mr-next", len))
		return snprintf(rb->why, sizeof(rb->why), "record %d: %s prev %llu next %llu",
				rb->n, ev->name, prev, next);
	return 0;
}

static int on_record(struct tracecmd_input *h, struct tep_record *rec, int cpu, void *data)
{
	struct readback *rb = data;

	if (rb->n < rb->t->nr_want && !rb->bad &&
	    check_record(rb, tracecmd_get_tep(h), rec, cpu, &rb->t->want[rb->n]))
		rb->bad = 1;
	rb->n++;
	return 0;
}

static void check_readback(struct tctx *t, const char *file)
{
	struct readback rb = { .t = t };
	struct tracecmd_input *h = tracecmd_open(file, 0);
	const char *comm;

	MR_CHECK(h != NULL, tn(t, "tracecmd_open reads the file"), "cannot open '%s'", file);
	if (!h)
		return;
	tracecmd_iterate_events(h, NULL, 0, on_record, &rb);
	MR_CHECK(rb.n == t->nr_want, tn(t, "libtracecmd returns every record"),
		 "%d records, wrote %d", rb.n, t->nr_want);
	MR_CHECK(!rb.bad, tn(t, "records come back in order with their field values"), "%s",
		 rb.why);
	comm = tep_data_comm_from_pid(tracecmd_get_tep(h), TEST_PID);
	MR_CHECK(comm && !strcmp(comm, "mr-task"), tn(t, "saved cmdlines are read"),
		 "comm of %d is '%s'", TEST_PID, comm ? comm : "(null)");
	tracecmd_close(h);
}

/* ---- trace-cmd report ---- */

static int count_lines(const char *text, const char *a, const char *b)
{
	const char *line = text, *nl;
	int n = 0;

	for (; *line; line = nl + 1) {
		char buf[1024];
		size_t len;

		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line);
		len = nl - line < (long)sizeof(buf) - 1 ? (size_t)(nl - line) : sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = '\0';
		if (strstr(buf, a) && (!b || strstr(buf, b)))
			n++;
		if (!*nl)
			break;
	}
	return n;
}

static void check_trace_cmd(struct tctx *t, const char *file)
{
	struct mr_buf out = { 0 };
	int nr_sw = 0, nr_pr = 0, i, status;
	char buf[4096], *cmd;
	size_t n;
	FILE *p;

	if (access(TRACE_CMD, X_OK)) {
		skip(t, "trace-cmd report prints the events", TRACE_CMD " is not installed");
		return;
	}
	cmd = mr_xasprintf(TRACE_CMD " report -i '%s' 2>&1", file);
	p = popen(cmd, "r");
	free(cmd);
	if (!p) {
		MR_CHECK(0, tn(t, "trace-cmd report runs"), "popen: %s", strerror(errno));
		return;
	}
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		mr_buf_add(&out, buf, n);
	status = pclose(p);
	mr_buf_add(&out, "", 0);
	for (i = 0; i < t->nr_want; i++)
		t->want[i].is_print ? nr_pr++ : nr_sw++;
	MR_CHECK(WIFEXITED(status) && !WEXITSTATUS(status), tn(t, "trace-cmd report exits 0"),
		 "status %d, output: %.300s", status, out.data);
	MR_CHECK_EQ(count_lines(out.data, "sched_switch", "mr-task"), nr_sw,
		    tn(t, "trace-cmd report prints every sched_switch"));
	MR_CHECK_EQ(count_lines(out.data, "print", "mr-msg-"), nr_pr,
		    tn(t, "trace-cmd report prints every print"));
	mr_buf_release(&out);
}

/* ---- mr_tracedat_find_option ---- */

static void check_find_option(struct tctx *t, const char *file)
{
	void *data = NULL;
	uint32_t size = 0;
	int ret;

	ret = mr_tracedat_find_option(file, MR_OPTION_META, &data, &size);
	MR_CHECK(ret == 0 && size == sizeof(PAYLOAD) && !memcmp(data, PAYLOAD, size),
		 tn(t, "find_option returns the exact payload"), "ret %d size %u", ret, size);
	free(data);
	ret = mr_tracedat_find_option(file, MR_TD_OPT_TRACECLOCK, &data, &size);
	MR_CHECK(ret == 0 && size == 7 && !memcmp(data, "[mono]", 7),
		 tn(t, "the clock option holds [mono]"), "ret %d size %u", ret, size);
	free(data);
	ret = mr_tracedat_find_option(file, MR_OPTION_META + 1, &data, &size);
	MR_CHECK(ret == 1 && !data && !size, tn(t, "find_option returns 1 for an absent id"),
		 "ret %d", ret);
}

/* Row 17: after the CPU table, u64 length + "[mono]" without a NUL. */
static void check_clock_tail(struct tctx *t, const char *file)
{
	size_t len = 0, off;
	char *text = mr_read_file(file, &len), *fly;
	uint64_t clen = 0;

	fly = text ? memmem(text, len, "flyrecord", 10) : NULL;
	off = fly ? (size_t)(fly - text) + 10 + 16 * NR_CPUS : 0;
	if (fly && off + 8 + 6 <= len)
		memcpy(&clen, text + off, 8);
	MR_CHECK(fly && clen == 6 && !memcmp(text + off + 8, "[mono]", 6),
		 tn(t, "the clock string follows the cpu table"), "length %llu",
		 (unsigned long long)clen);
	free(text);
}

/* ---- the writer itself ---- */

static struct mr_tracedat_hdr *capture(struct tctx *t, int kallsyms)
{
	static const char * const events[] = { "sched/sched_switch", "ftrace/print",
						"ftrace/user_stack", NULL };
	struct mr_tracedat_hdr *h = mr_tracedat_capture(t->tdir, events, kallsyms);

	MR_CHECK(h != NULL, tn(t, "capture reads the formats"), "from '%s'", t->tdir);
	return h;
}

static void check_file_mode(struct tctx *t, const char *file)
{
	struct stat st;

	MR_CHECK(!stat(file, &st) && (st.st_mode & 07777) == 0600,
		 tn(t, "the file is created mode 0600"), "mode %o", st.st_mode & 07777);
}

static int build_cpu_files(struct tctx *t, char **cpu)
{
	int i;

	t->nr_want = 0;
	for (i = 0; i < NR_CPUS; i++)
		cpu[i] = i < 2 ? mr_xasprintf("%s/cpu%d", t->tmp, i) : NULL;
	/* cpu0 spans two pages; cpu1 ends in a partial page the writer must drop. */
	if (build_cpu_file(t, cpu[0], 0, 70, 8, 0) || build_cpu_file(t, cpu[1], 1, 5, 12, 100))
		return -1;
	qsort(t->want, t->nr_want, sizeof(t->want[0]), by_ts);
	return 0;
}

/* A file with no options and no clock: readable, and find_option says "absent". */
static void check_plain(struct tctx *t, struct mr_tracedat_hdr *h, char **cpu, const char *file)
{
	struct mr_tracedat_out out = {
		.hdr = h, .cmdlines = "4321 mr-task\n", .nr_cpus = NR_CPUS,
		.cpu_files = (const char * const *)cpu,
	};
	void *data = NULL;
	uint32_t size;
	int ret;

	err_begin(t);
	ret = mr_tracedat_write(file, &out);
	err_end(t);
	MR_CHECK(ret == 0, tn(t, "write without options"), "ret %d", ret);
	MR_CHECK(one_line_with(t->errbuf, "partial page", cpu[1]),
		 tn(t, "a partial last page gives one warning"), "stderr: %s", t->errbuf);
	check_readback(t, file);
	ret = mr_tracedat_find_option(file, MR_OPTION_META, &data, &size);
	MR_CHECK(ret == 1, tn(t, "find_option on a file without options returns 1"), "ret %d", ret);
	free(data);
}

static int write_full(struct tctx *t, struct mr_tracedat_hdr *h, char **cpu, const char *file)
{
	static const char uname[] = "Linux memrec-test 6.18 x86_64";
	struct mr_tracedat_opt opts[] = {
		{ MR_TD_OPT_UNAME, sizeof(uname), uname },
		{ MR_OPTION_META, sizeof(PAYLOAD), PAYLOAD },
	};
	struct mr_tracedat_out out = {
		.hdr = h, .cmdlines = "1 init\n4321 mr-task\n", .nr_cpus = NR_CPUS,
		.cpu_files = (const char * const *)cpu, .opts = opts, .nr_opts = 2,
		.clock = "mono", .unlink_cpu_files = 1,
	};
	int ret;

	err_begin(t);
	ret = mr_tracedat_write(file, &out);
	err_end(t);
	MR_CHECK(ret == 0, tn(t, "write with options and a clock"), "ret %d: %s", ret, t->errbuf);
	MR_CHECK(access(cpu[0], F_OK) && access(cpu[1], F_OK),
		 tn(t, "cpu files are removed once copied"), "'%s' is still there", cpu[0]);
	return ret;
}

static void round_trip(struct tctx *t, int kallsyms, const char *file)
{
	char *plain = mr_xasprintf("%s/plain.dat", t->tmp), *cpu[NR_CPUS];
	struct mr_tracedat_hdr *h = capture(t, kallsyms);
	int i;

	if (!h)
		goto out_free;
	if (parse_format(t->tdir, "sched/sched_switch", &t->sw) ||
	    parse_format(t->tdir, "ftrace/print", &t->pr) || !field(&t->pr, "buf")) {
		MR_CHECK(0, tn(t, "test formats parse"), "in '%s'", t->tdir);
		goto out_hdr;
	}
	if (build_cpu_files(t, cpu)) {
		MR_CHECK(0, tn(t, "cpu files are built"), "in '%s'", t->tmp);
		goto out_cpu;
	}
	check_plain(t, h, cpu, plain);
	if (!write_full(t, h, cpu, file)) {
		check_file_mode(t, file);
		check_readback(t, file);
		check_find_option(t, file);
		check_clock_tail(t, file);
		check_trace_cmd(t, file);
	}
out_cpu:
	for (i = 0; i < NR_CPUS; i++)
		free(cpu[i]);
out_hdr:
	mr_tracedat_hdr_free(h);
out_free:
	unlink(plain);
	free(plain);
}

/* ---- damaged and foreign files ---- */

/* -1 with one clean line, or the exact payload; nothing else is acceptable. */
static int find_is_sane(struct tctx *t, const char *file)
{
	void *data = NULL;
	uint32_t size = 0;
	int ret;

	err_begin(t);
	ret = mr_tracedat_find_option(file, MR_OPTION_META, &data, &size);
	err_end(t);
	if (ret == 0 && size == sizeof(PAYLOAD) && !memcmp(data, PAYLOAD, size)) {
		free(data);
		return 1;
	}
	free(data);
	if (ret != -1)
		return 0;
	return one_line_with(t->errbuf, file, "truncated or corrupt") ||
	       one_line_with(t->errbuf, file, "not a trace.dat file") ||
	       one_line_with(t->errbuf, file, "which this memrec cannot read");
}

/* Shrinks a copy from the end, so each step is one ftruncate. */
static void check_truncations(struct tctx *t, const char *file, size_t len, size_t hdr_end)
{
	char *cut = mr_xasprintf("%s/cut.dat", t->tmp);
	size_t offs[] = { len - 1, len - PAGE, len - PAGE - 1, hdr_end + 1, hdr_end };
	int bad = 0, first = -1, n = 0, fails = 0;
	long off;
	size_t i;
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", file, cut);
	if (system(cmd)) {
		MR_CHECK(0, tn(t, "copy for truncation"), "%s", cmd);
		free(cut);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(offs); i++, n++) {
		if (truncate(cut, offs[i]) || !find_is_sane(t, cut))
			bad++, first = first < 0 ? (int)offs[i] : first;
	}
	for (off = hdr_end - 1; off >= 0; off -= 7, n++) {
		if (truncate(cut, off) || !find_is_sane(t, cut))
			bad++, first = first < 0 ? (int)off : first;
		fails += !!strstr(t->errbuf, "truncated or corrupt");
	}
	MR_CHECK(!bad, tn(t, "every truncation fails cleanly or finds the payload"),
		 "%d of %d bad, first at offset %d: %s", bad, n, first, t->errbuf);
	MR_CHECK(fails > 0, tn(t, "header truncations are reported as truncated"), "none were");
	unlink(cut);
	free(cut);
}

/* Random byte damage in the header: any answer but a crash or a bad length. */
static void check_damage(struct tctx *t, const char *text, size_t len, size_t hdr_end)
{
	char *bad_file = mr_xasprintf("%s/damaged.dat", t->tmp);
	char *copy = mr_xmalloc(len);
	int i, j, bad = 0, ret;
	void *data;
	uint32_t size;

	srand(1);
	for (i = 0; i < 300; i++) {
		memcpy(copy, text, len);
		for (j = 0; j < 1 + i % 4; j++)
			copy[rand() % hdr_end] ^= 1 << (rand() % 8);
		if (write_text(bad_file, copy, len)) {
			bad++;
			continue;
		}
		data = NULL;
		err_begin(t);
		ret = mr_tracedat_find_option(bad_file, MR_OPTION_META, &data, &size);
		err_end(t);
		if (ret < -1 || ret > 1 || (ret == 0 && size > len) || (ret == -1 && data))
			bad++;
		free(data);
	}
	MR_CHECK(!bad, tn(t, "damaged headers never give a bad answer"), "%d bad", bad);
	unlink(bad_file);
	free(bad_file);
	free(copy);
}

static void expect_fail(struct tctx *t, const char *file, const char *msg, const char *name)
{
	void *data = NULL;
	uint32_t size;
	int ret;

	err_begin(t);
	ret = mr_tracedat_find_option(file, MR_OPTION_META, &data, &size);
	err_end(t);
	MR_CHECK(ret == -1 && !data && one_line_with(t->errbuf, file, msg), tn(t, name),
		 "ret %d, stderr: %s", ret, t->errbuf);
	free(data);
}

static void check_foreign(struct tctx *t, const char *text, size_t len)
{
	char *f = mr_xasprintf("%s/foreign.dat", t->tmp), *copy = mr_xmalloc(len);
	char junk[PAGE];
	uint64_t huge = 0x7fffffffffffffffull;
	size_t i;

	write_text(f, "", 0);
	expect_fail(t, f, "not a trace.dat file", "an empty file is refused");
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 131 + 7);
	write_text(f, junk, sizeof(junk));
	expect_fail(t, f, "not a trace.dat file", "a garbage file is refused");
	memcpy(copy, text, len);
	copy[10] = '7';
	write_text(f, copy, len);
	expect_fail(t, f, "version 7, which this memrec cannot read; it reads version 6",
		    "a version 7 file is refused by name");
	/* header_page's u64 size sits after magic, "6", endian, long size, page size, word. */
	memcpy(copy, text, len);
	memcpy(copy + 10 + 2 + 1 + 1 + 4 + 12, &huge, 8);
	write_text(f, copy, len);
	expect_fail(t, f, "truncated or corrupt (in the header page)",
		    "a huge size is caught where it is");
	write_text(f, text, 12);
	expect_fail(t, f, "truncated or corrupt (in the file header)",
		    "a file cut after the version is truncated");
	unlink(f);
	expect_fail(t, f, "cannot open", "a missing file is an error");
	expect_fail(t, t->tmp, "Is a directory", "a directory is an error");
	free(copy);
	free(f);
}

static void check_reader_fuzz(struct tctx *t, const char *file)
{
	size_t len = 0, hdr_end;
	char *text = mr_read_file(file, &len), *fly;

	fly = text ? memmem(text, len, "flyrecord", 10) : NULL;
	if (!fly) {
		MR_CHECK(0, tn(t, "the file has a flyrecord section"), "in '%s'", file);
		free(text);
		return;
	}
	hdr_end = fly - text + 10 + 16 * NR_CPUS + 8 + 6;
	check_truncations(t, file, len, hdr_end);
	check_damage(t, text, len, hdr_end);
	check_foreign(t, text, len);
	free(text);
}

/* ---- errors of the writer and of capture ---- */

static void check_write_errors(struct tctx *t)
{
	struct mr_tracedat_hdr *h = mr_tracedat_capture(t->tdir, NULL, 0);
	char *out_path = mr_xasprintf("%s/err.dat", t->tmp);
	const char *missing[] = { "/nonexistent/memrec-cpu0" };
	struct mr_tracedat_opt zero = { 0, 0, NULL };
	struct mr_tracedat_out out = { .hdr = h, .nr_cpus = 1, .cpu_files = missing };
	struct stat before, after;
	int ret;

	if (!h) {
		MR_CHECK(0, tn(t, "capture with no events"), "from '%s'", t->tdir);
		free(out_path);
		return;
	}
	err_begin(t);
	ret = mr_tracedat_write(out_path, &out);
	err_end(t);
	MR_CHECK(ret == -1 && access(out_path, F_OK) && one_line_with(t->errbuf, missing[0], NULL),
		 tn(t, "a missing cpu file fails before the output exists"), "ret %d: %s", ret,
		 t->errbuf);

	out.cpu_files = NULL;
	out.opts = &zero;
	out.nr_opts = 1;
	err_begin(t);
	ret = mr_tracedat_write(out_path, &out);
	err_end(t);
	MR_CHECK(ret == -1, tn(t, "option id 0 is refused"), "ret %d", ret);

	out.nr_opts = 0;
	out.clock = "mo no";
	err_begin(t);
	ret = mr_tracedat_write(out_path, &out);
	err_end(t);
	MR_CHECK(ret == -1, tn(t, "a clock name with a blank is refused"), "ret %d", ret);

	out.clock = NULL;
	if (stat("/dev/full", &before) || !S_ISCHR(before.st_mode)) {
		skip(t, "a full disk says so", "/dev/full is missing");
	} else {
		err_begin(t);
		ret = mr_tracedat_write("/dev/full", &out);
		err_end(t);
		MR_CHECK(ret == -1 && one_line_with(t->errbuf, "no space left writing '/dev/full'",
						    "free some space"),
			 tn(t, "a full disk says so"), "ret %d: %s", ret, t->errbuf);
		MR_CHECK(!stat("/dev/full", &after) && S_ISCHR(after.st_mode) &&
			 after.st_mode == before.st_mode,
			 tn(t, "a device output is neither removed nor chmod'ed"), "mode %o",
			 after.st_mode);
	}
	mr_tracedat_hdr_free(h);
	free(out_path);
}

static void check_capture_errors(struct tctx *t)
{
	static const char * const bad_name[] = { "sched", NULL };
	static const char * const climbs[] = { "../events/x", NULL };
	static const char * const missing[] = { "nosuch/event", NULL };
	struct mr_tracedat_hdr *h;

	err_begin(t);
	h = mr_tracedat_capture(t->tdir, bad_name, 0);
	err_end(t);
	MR_CHECK(!h && one_line_with(t->errbuf, "bad event name 'sched'", NULL),
		 tn(t, "an event name without a system is refused"), "stderr: %s", t->errbuf);
	mr_tracedat_hdr_free(h);
	err_begin(t);
	h = mr_tracedat_capture(t->tdir, climbs, 0);
	err_end(t);
	MR_CHECK(!h, tn(t, "an event name climbing out of events/ is refused"), "got a header");
	mr_tracedat_hdr_free(h);
	err_begin(t);
	h = mr_tracedat_capture(t->tdir, missing, 0);
	err_end(t);
	MR_CHECK(!h && strstr(t->errbuf, "'nosuch/event'"),
		 tn(t, "a missing event is named"), "stderr: %s", t->errbuf);
	mr_tracedat_hdr_free(h);
}

static int tctx_init(struct tctx *t, const char *label)
{
	char errpath[80];

	memset(t, 0, sizeof(*t));
	t->label = label;
	snprintf(t->tmp, sizeof(t->tmp), "/tmp/memrec-test-td.XXXXXX");
	if (!mkdtemp(t->tmp))
		return -1;
	snprintf(errpath, sizeof(errpath), "%s/stderr", t->tmp);
	t->errfd = open(errpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	return t->errfd < 0 ? -1 : 0;
}

static void run_fake(void)
{
	struct tctx t;
	char *dir, *file;

	if (tctx_init(&t, "fake")) {
		MR_CHECK(0, "fake: temp dir", "%s", strerror(errno));
		return;
	}
	dir = mr_xasprintf("%s/tracing", t.tmp);
	file = mr_xasprintf("%s/trace.dat", t.tmp);
	t.tdir = dir;
	if (make_fake_dir(dir)) {
		MR_CHECK(0, "fake: tracing dir", "cannot build '%s'", dir);
	} else {
		round_trip(&t, 0, file);
		check_reader_fuzz(&t, file);
		check_write_errors(&t);
		check_capture_errors(&t);
	}
	close(t.errfd);
	rm_tree(t.tmp);
	free(dir);
	free(file);
}

static void run_tracefs(void)
{
	const char *dir;
	struct tctx t;
	char *file, *hp;

	if (tctx_init(&t, "tracefs")) {
		MR_CHECK(0, "tracefs: temp dir", "%s", strerror(errno));
		return;
	}
	if (geteuid()) {
		skip(&t, "round trip on the real tracefs", "not root");
		goto out;
	}
	dir = tracefs_tracing_dir();
	hp = dir ? mr_xasprintf("%s/events/header_page", dir) : NULL;
	if (!dir || access(hp, R_OK)) {
		skip(&t, "round trip on the real tracefs", "tracefs is not mounted and cannot be");
		free(hp);
		goto out;
	}
	free(hp);
	t.tdir = dir;
	file = mr_xasprintf("%s/trace.dat", t.tmp);
	round_trip(&t, 1, file);
	free(file);
out:
	close(t.errfd);
	rm_tree(t.tmp);
}

int main(void)
{
	tracecmd_set_loglevel(TEP_LOG_CRITICAL);
	tep_set_loglevel(TEP_LOG_CRITICAL);
	run_fake();
	run_tracefs();
	return mr_test_done();
}
