// SPDX-License-Identifier: GPL-2.0
/*
 * header.c - walks the header of a trace.dat v6 file (rows 1-18 of the
 * table in docs/memrec-file.md) to fetch an option libtracecmd has
 * no public call for, memrec's own metadata above all. Files come from
 * other hosts: every length is checked against what is left of the file
 * before it is used, and nothing is read into memory except the option
 * asked for.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "memrec.h"
#include "mr_archive.h"
#include "mr_tracedat.h"
#include "input/input.h"

#define TD_SCAN_CHUNK	256
#define TD_MAX_FORMAT	(64 << 10)
#define TD_MAX_EVENT	(64 << 10)	/* no event is larger than a sub-buffer */
#define TD_MAX_CLOCK	4096

/* A bounded cursor over the file; part names the row for messages. */
struct td_in {
	const char	*path;
	const char	*part;
	uint64_t	pos;
	uint64_t	size;
	int		fd;
	int		big_endian;
	int		long_size;
	uint64_t	page_size;
};

/* What the walk found: the first copy of each option asked for. */
struct td_found {
	struct mr_tracedat_found	*opts;
	int				nr;
	int				has_clock;
	bool				ts_options;	/* times the library would shift */
	struct mr_cpu_layout		*layout;	/* NULL: not asked for */
};

static int corrupt(const struct td_in *in)
{
	return mr_error("'%s' is truncated or corrupt (in %s)", in->path, in->part);
}

static uint64_t left(const struct td_in *in)
{
	return in->size - in->pos;
}

/* Reads n bytes at the cursor without moving it. */
static int peek(struct td_in *in, void *buf, uint64_t n)
{
	uint64_t done = 0;
	ssize_t r;

	if (n > left(in))
		return corrupt(in);
	while (done < n) {
		r = pread(in->fd, (char *)buf + done, n - done, in->pos + done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return mr_error_errno("cannot read '%s'", in->path);
		if (r == 0)	/* the file shrank under us */
			return corrupt(in);
		done += r;
	}
	return 0;
}

static int get(struct td_in *in, void *buf, uint64_t n)
{
	if (peek(in, buf, n))
		return -1;
	in->pos += n;
	return 0;
}

static int skip(struct td_in *in, uint64_t n)
{
	if (n > left(in))
		return corrupt(in);
	in->pos += n;
	return 0;
}

/* The file says which byte order its numbers use (row 3). */
static int get_num(struct td_in *in, int bytes, uint64_t *v)
{
	uint8_t b[8];
	int i;

	if (get(in, b, bytes))
		return -1;
	*v = 0;
	for (i = 0; i < bytes; i++)
		*v |= (uint64_t)b[in->big_endian ? bytes - 1 - i : i] << (8 * i);
	return 0;
}

/* A length-prefixed blob; the length is checked before anything is skipped. */
static int skip_blob(struct td_in *in, int len_bytes)
{
	uint64_t len;

	if (get_num(in, len_bytes, &len))
		return -1;
	return skip(in, len);
}

static int skip_cstr(struct td_in *in)
{
	char buf[TD_SCAN_CHUNK];
	uint64_t n;
	char *nul;

	for (;;) {
		n = left(in) < sizeof(buf) ? left(in) : sizeof(buf);
		if (!n)
			return corrupt(in);
		if (peek(in, buf, n))
			return -1;
		nul = memchr(buf, '\0', n);
		if (nul)
			return skip(in, nul - buf + 1);
		in->pos += n;
	}
}

/* Reads a u32 count of items each at least min_item bytes, so a wild count fails early. */
static int get_count(struct td_in *in, uint64_t min_item, uint64_t *count)
{
	if (get_num(in, 4, count))
		return -1;
	if (*count > left(in) / min_item)
		return corrupt(in);
	return 0;
}

static int is_magic_prefix(const char *buf, uint64_t n)
{
	static const char magic[10] = { 0x17, 0x08, 0x44, 't', 'r', 'a', 'c', 'i', 'n', 'g' };

	return n && !memcmp(buf, magic, n < sizeof(magic) ? n : sizeof(magic));
}

/* Row 2: the version string. Only "6" is known; anything else is refused by name. */
static int check_version(struct td_in *in)
{
	char buf[16], *nul, *end;
	unsigned long ver;
	uint64_t n;

	n = left(in) < sizeof(buf) ? left(in) : sizeof(buf);
	if (peek(in, buf, n))
		return -1;
	nul = memchr(buf, '\0', n);
	if (!nul || nul == buf)
		return corrupt(in);
	ver = strtoul(buf, &end, 10);
	if (end != nul)
		return corrupt(in);
	if (ver != 6)
		return mr_error("'%s' is trace.dat version %s, which this memrec cannot read; it reads version 6 as written by memrec record",
				in->path, buf);
	return skip(in, nul - buf + 1);
}

/* Rows 1-5. */
static int read_file_header(struct td_in *in)
{
	uint8_t endian, long_size;
	uint64_t page_size;
	char magic[10];
	uint64_t n;

	in->part = "the file header";
	n = left(in) < sizeof(magic) ? left(in) : sizeof(magic);
	if (n && peek(in, magic, n))
		return -1;
	if (!is_magic_prefix(magic, n))
		return mr_error("'%s' is not a trace.dat file", in->path);
	if (skip(in, sizeof(magic)) || check_version(in) ||
	    get(in, &endian, 1) || get(in, &long_size, 1))
		return -1;
	if (endian > 1 || (long_size != 4 && long_size != 8))
		return corrupt(in);
	in->big_endian = endian;
	if (get_num(in, 4, &page_size))
		return -1;
	if (!page_size || (page_size & (page_size - 1)) || page_size > (1 << 20) ||
	    page_size < 64)
		return corrupt(in);
	in->long_size = long_size;
	in->page_size = page_size;
	return 0;
}

static int expect(struct td_in *in, const char *word, size_t len)
{
	char buf[16];

	if (get(in, buf, len))
		return -1;
	return memcmp(buf, word, len) ? corrupt(in) : 0;
}

/*
 * libtraceevent and libtracecmd trust the formats and crash, or compute
 * nonsense, on some damage: what memrec can check is checked here first.
 */
static int bad(const struct td_in *in, const char *what)
{
	return mr_error("'%s' is corrupt (%s in %s)", in->path, what, in->part);
}

/* A length-prefixed text, read whole: formats are small, a huge one is damage. */
static int get_text(struct td_in *in, int len_bytes, char **text)
{
	uint64_t len;

	*text = NULL;
	if (get_num(in, len_bytes, &len))
		return -1;
	if (len > left(in))
		return corrupt(in);
	if (len > TD_MAX_FORMAT)
		return bad(in, "a text of over 64 KiB");
	*text = mr_xmalloc(len + 1);
	(*text)[len] = '\0';
	if (get(in, *text, len)) {
		free(*text);
		*text = NULL;
		return -1;
	}
	return 0;
}

/* "key:N;" on a field line, if there: a decimal number up to max. */
static int field_num(const struct td_in *in, const char *line, const char *key, long max)
{
	const char *p = strstr(line, key);
	char *end;
	long v;

	if (!p)
		return 0;
	p += strlen(key);
	v = strtol(p, &end, 10);
	if (end == p || *end != ';' || v < 0 || v > max)
		return bad(in, "a field offset, size or sign that is not a small number");
	return 0;
}

/* "field:TYPE NAME[N];	offset:N;	size:N;	signed:N;" */
static int check_field(const struct td_in *in, const char *line)
{
	const char *decl = strstr(line, "field:"), *semi, *open;

	semi = strchr(decl, ';');
	if (!semi)
		return bad(in, "a field without ';'");
	open = memchr(decl, '[', semi - decl);
	if (open) {
		size_t n = strspn(open + 1, "0123456789");

		if (open[1 + n] != ']' || n > 5)
			return bad(in, "an array length that is not a number");
	}
	if (field_num(in, line, "offset:", TD_MAX_EVENT) ||
	    field_num(in, line, "size:", TD_MAX_EVENT) || field_num(in, line, "signed:", 1))
		return -1;
	return 0;
}

/* Skips a string literal of a print fmt; returns where it ends. */
static const char *skip_literal(const char *p)
{
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && p[1])
			p++;
	return *p ? p + 1 : p;
}

/* libtraceevent folds constant operands while parsing: x/0 and x%0 trap. */
static int check_print(const struct td_in *in, const char *p)
{
	while (*p && *p != '\n') {
		char *end;

		if (*p == '"') {
			p = skip_literal(p);
			continue;
		}
		if (*p++ != '/' && p[-1] != '%')
			continue;
		while (*p == ' ' || *p == '\t' || *p == '(')
			p++;
		if (*p >= '0' && *p <= '9' && !strtoull(p, &end, 0) && !isalnum((unsigned char)*end))
			return bad(in, "a division by zero");
	}
	return 0;
}

static int check_format_text(const struct td_in *in, const char *text)
{
	for (const char *line = text; line && *line; line = strchr(line, '\n'), line += !!line) {
		if (strstr(line, "field:") && strstr(line, "field:") < strchrnul(line, '\n') &&
		    check_field(in, line))
			return -1;
		if (!strncmp(line, "print fmt:", 10) && check_print(in, line + 10))
			return -1;
	}
	return 0;
}

static int check_format(struct td_in *in)
{
	char *text;
	int ret;

	if (get_text(in, 8, &text))
		return -1;
	ret = check_format_text(in, text);
	free(text);
	return ret;
}

/*
 * Whether a field line of the sub-buffer header lacks one of its keys:
 * libtracecmd 1.3 crashes in its cleanup when libtraceevent cannot parse
 * them (a damaged "signed" did, found by the fuzz test).
 */
static bool header_field_keys(const char *text)
{
	for (const char *line = strstr(text, "field:"); line; line = strstr(line + 1, "field:")) {
		const char *end = strchrnul(line, '\n');

		for (const char *const *k = (const char *const[]){ "\toffset:", "\tsize:",
								    "\tsigned:", NULL }; *k; k++) {
			const char *at = strstr(line, *k);

			if (!at || at > end)
				return true;
		}
	}
	return false;
}

/* The sub-buffer header: kbuffer needs its timestamp, commit and data fields. */
static int check_header_page(struct td_in *in)
{
	char *text;
	int ret;

	if (get_text(in, 8, &text))
		return -1;
	if (!strstr(text, " timestamp;") || !strstr(text, " commit;") || !strstr(text, " data;"))
		ret = bad(in, "no timestamp, commit or data field");
	else if (header_field_keys(text))
		ret = bad(in, "a sub-buffer header field without its offset, size or signed");
	else
		ret = check_format_text(in, text);
	free(text);
	return ret;
}

/* Rows 6-9: the page and event headers and every event format. */
static int check_formats(struct td_in *in)
{
	uint64_t count, nr_sys, i, j;

	in->part = "the header page";
	if (expect(in, "header_page", 12) || check_header_page(in))
		return -1;
	in->part = "the event header";
	if (expect(in, "header_event", 13) || skip_blob(in, 8))
		return -1;
	in->part = "the ftrace formats";
	if (get_count(in, 8, &count))
		return -1;
	for (i = 0; i < count; i++)
		if (check_format(in))
			return -1;
	in->part = "the event formats";
	if (get_count(in, 5, &nr_sys))
		return -1;
	for (i = 0; i < nr_sys; i++) {
		if (skip_cstr(in) || get_count(in, 8, &count))
			return -1;
		for (j = 0; j < count; j++)
			if (check_format(in))
				return -1;
	}
	return 0;
}

/* Rows 10-13. */
static int skip_tables(struct td_in *in, uint64_t *nr_cpus, const struct td_found *f)
{
	uint64_t len;

	in->part = "kallsyms";
	if (get_num(in, 4, &len))
		return -1;
	if (f->layout) {
		f->layout->kallsyms_offset = in->pos;
		f->layout->kallsyms_size = len <= left(in) ? len : 0;
	}
	if (skip(in, len))
		return -1;
	in->part = "the printk formats";
	if (skip_blob(in, 4))
		return -1;
	in->part = "the saved cmdlines";
	if (skip_blob(in, 8))
		return -1;
	in->part = "the cpu count";
	return get_num(in, 4, nr_cpus);
}

/*
 * The trace clock, "[mono]" or "local [global] counter": libtracecmd takes
 * the name in brackets and crashes on "[]"; one name of [A-Za-z0-9_-].
 */
static int check_clock(struct td_in *in, uint64_t size)
{
	char buf[TD_MAX_CLOCK + 1], *open;
	size_t n;

	if (size > TD_MAX_CLOCK)
		return bad(in, "a trace clock of over 4 KiB");
	if (peek(in, buf, size))
		return -1;
	buf[size] = '\0';
	open = strchr(buf, '[');
	n = open ? strspn(open + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			  "0123456789_-") : 0;
	if (!n || open[1 + n] != ']' || strchr(open + 1 + n, '['))
		return bad(in, "a trace clock without one [name]");
	return 0;
}

static int read_option(struct td_in *in, uint16_t id, uint32_t size, struct td_found *f)
{
	struct mr_tracedat_found *o = NULL;

	if (id == MR_TD_OPT_TRACECLOCK) {
		const char *part = in->part;

		in->part = "the trace clock option";
		if (check_clock(in, size))
			return -1;
		in->part = part;
		f->has_clock = 1;
	}
	/* DATE, OFFSET, TIME_SHIFT, TSC2NSEC: libtracecmd shifts or scales the times */
	if (id == 1 || id == 7 || id == 12 || id == 14)
		f->ts_options = true;
	for (int i = 0; i < f->nr && !o; i++)
		if (f->opts[i].id == id && !f->opts[i].found)
			o = &f->opts[i];
	if (!o)
		return skip(in, size);
	if (size > left(in))
		return corrupt(in);
	o->data = mr_xmalloc(size);
	o->size = size;
	o->found = true;
	return get(in, o->data, size);
}

/* Row 14: "options  \0", then (u16 id, u32 size, data) until a lone u16 0. */
static int read_options(struct td_in *in, struct td_found *f)
{
	uint64_t id, size;
	char word[10];

	in->part = "the options";
	if (peek(in, word, sizeof(word)))
		return -1;
	if (memcmp(word, "options", 7))
		return 0;
	in->pos += sizeof(word);
	for (;;) {
		if (get_num(in, 2, &id))
			return -1;
		if (!id)
			return 0;
		if (get_num(in, 4, &size) || read_option(in, id, size, f))
			return -1;
	}
}

static uint32_t u32_at(const struct td_in *in, const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return in->big_endian ? __builtin_bswap32(v) : v;
}

static uint64_t u64_at(const struct td_in *in, const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return in->big_endian ? __builtin_bswap64(v) : v;
}

/*
 * One sub-buffer: its used length and every event header in it must stay
 * inside it. libtraceevent's kbuffer trusts both and reads past the page
 * on a damaged one, so a file from elsewhere is checked here first.
 */
static int check_page(const struct td_in *in, const unsigned char *page)
{
	uint64_t hdr = 8 + in->long_size, commit, pos;

	/* the file's page header may be wider than a header in a page of ours */
	commit = in->long_size == 8 ? u64_at(in, page + 8) : u32_at(in, page + 8);
	/* the high bits flag missed events, and a count stored after the events */
	if (commit & (1u << 30) && (commit & ((1u << 27) - 1)) + in->long_size > in->page_size - hdr)
		return -1;
	commit &= (1u << 27) - 1;
	if (commit > in->page_size - hdr)
		return -1;
	for (pos = 0; pos + 4 <= commit;) {
		const unsigned char *e = page + hdr + pos;
		uint32_t type_len = u32_at(in, e) & 31;
		uint64_t len;

		if (type_len == 29 || type_len == 0) {	/* padding, or long data */
			if (pos + 8 > commit)
				return -1;
			len = u32_at(in, e + 4);
			/* padding: the header and as many bytes as it says (rb_event_length) */
			len = type_len ? 4 + len : 4 + ((len + 3) & ~3ull);
			if (!type_len && u32_at(in, e + 4) < 4)
				return -1;
		} else if (type_len == 30 || type_len == 31) {	/* time extend, absolute */
			len = 8;
		} else {
			len = 4 + 4 * (uint64_t)type_len;
		}
		if (len > commit - pos)
			return type_len == 29 ? 0 : -1;	/* padding may end the page */
		pos += len;
	}
	return 0;
}

int mr_input_check_page(const struct mr_cpu_layout *l, const unsigned char *page)
{
	const struct td_in in = { .big_endian = l->big_endian, .long_size = l->long_size,
				  .page_size = l->page_size };

	return check_page(&in, page);
}

static int check_pages(struct td_in *in, uint64_t offset, uint64_t size)
{
	unsigned char *buf = mr_xmalloc(in->page_size);
	uint64_t saved = in->pos;
	int ret = 0;

	in->part = "the cpu data";
	for (uint64_t p = 0; !ret && p + in->page_size <= size; p += in->page_size) {
		in->pos = offset + p;
		ret = peek(in, buf, in->page_size);
		if (!ret && check_page(in, buf) < 0)
			ret = corrupt(in);
	}
	in->pos = saved;
	free(buf);
	return ret;
}

/*
 * The layout the reader reads the pages by: itself (own) when the file is
 * of this host's byte order, of whole pages and with none of the options
 * that make libtracecmd shift or scale the times; else through libtracecmd.
 */
static void set_layout(const struct td_in *in, uint64_t nr_cpus, const struct td_found *f)
{
	struct mr_cpu_layout *l = f->layout;

	l->nr_cpus = nr_cpus;
	l->offset = mr_xcalloc(nr_cpus ? nr_cpus : 1, sizeof(*l->offset));
	l->size = mr_xcalloc(nr_cpus ? nr_cpus : 1, sizeof(*l->size));
	l->page_size = in->page_size;
	l->long_size = in->long_size;
	l->big_endian = in->big_endian;
	l->own = !f->ts_options && in->big_endian == (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
}

/* Rows 15-18: the data must lie inside the file, or the reader fails later. */
static int check_cpu_data(struct td_in *in, uint64_t nr_cpus, const struct td_found *f)
{
	struct mr_cpu_layout local = { 0 }, *l = f->layout ? f->layout : &local;
	struct td_found lf = *f;
	uint64_t i, offset, size;
	int ret = 0;
	char word[10];

	in->part = "the cpu data table";
	if (get(in, word, sizeof(word)))
		return -1;
	if (!memcmp(word, "latency", 7))
		return 0;
	if (memcmp(word, "flyrecord", 10) || nr_cpus > left(in) / 16)
		return corrupt(in);
	lf.layout = l;
	set_layout(in, nr_cpus, &lf);
	for (i = 0; i < nr_cpus && !ret; i++) {
		if (get_num(in, 8, &offset) || get_num(in, 8, &size)) {
			ret = -1;
			break;
		}
		if (size && (offset > in->size || size > in->size - offset)) {
			in->part = "the cpu data";
			ret = corrupt(in);
			break;
		}
		l->offset[i] = offset;
		l->size[i] = size;
		/* memrec writes whole pages; the library would read a tail as a page too */
		l->own = l->own && !(size % in->page_size) && !(offset % in->page_size);
	}
	/*
	 * A reader that reads the pages itself checks each as it reads it: one
	 * pass, not two. libtracecmd still decodes each CPU's first page as it
	 * opens the file, so those are checked here.
	 */
	for (i = 0; !ret && i < nr_cpus; i++)
		if (l->size[i] && check_pages(in, l->offset[i], f->layout && l->own ?
					      in->page_size : l->size[i]) < 0)
			ret = -1;
	if (l == &local)
		mr_cpu_layout_release(&local);
	if (ret || !f->has_clock)
		return ret;
	in->part = "the trace clock";
	if (get_num(in, 8, &size) || check_clock(in, size))
		return -1;
	return skip(in, size);
}

void mr_cpu_layout_release(struct mr_cpu_layout *l)
{
	free(l->offset);
	free(l->size);
	memset(l, 0, sizeof(*l));
}

static int walk(struct td_in *in, struct td_found *f)
{
	uint64_t nr_cpus;

	if (read_file_header(in) || check_formats(in) || skip_tables(in, &nr_cpus, f) ||
	    read_options(in, f))
		return -1;
	return check_cpu_data(in, nr_cpus, f);
}

static void release_found(struct mr_tracedat_found *opts, int nr)
{
	for (int i = 0; i < nr; i++) {
		free(opts[i].data);
		opts[i].data = NULL;
		opts[i].size = 0;
		opts[i].found = false;
	}
}

static int find_options(const char *path, struct mr_tracedat_found *opts, int nr,
			struct mr_cpu_layout *layout)
{
	struct td_found f = { .opts = opts, .nr = nr, .layout = layout };
	struct td_in in = { .path = path };
	struct stat st;
	int ret;

	release_found(opts, nr);
	in.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (in.fd < 0)
		return mr_error_errno("cannot open '%s'", path);
	if (fstat(in.fd, &st) < 0) {
		ret = mr_error_errno("cannot read '%s'", path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = mr_error("cannot read '%s': %s", path, strerror(EISDIR));
		goto out;
	}
	in.size = st.st_size;
	ret = walk(&in, &f);
	if (ret) {
		release_found(opts, nr);
		if (layout)
			mr_cpu_layout_release(layout);
	}
out:
	close(in.fd);
	return ret;
}

int mr_tracedat_find_options(const char *path, struct mr_tracedat_found *opts, int nr)
{
	return find_options(path, opts, nr, NULL);
}

int mr_tracedat_find_option(const char *path, uint16_t id, void **data, uint32_t *size)
{
	struct mr_tracedat_found o = { .id = id };
	int ret = mr_tracedat_find_options(path, &o, 1);

	*data = o.data;
	*size = o.size;
	return ret < 0 ? -1 : !o.found;
}

/*
 * One walk for memrec's options: the metadata is required; the /proc
 * snapshots (-e user files have none) and the symbol archive (--no-embed)
 * are not. The archive's bytes go to *archive (NULL when none).
 */
int mr_input_read_meta(const char *path, struct mr_meta *meta, struct mr_snapshots *snaps,
		       void **archive, uint32_t *archive_size, struct mr_cpu_layout *layout)
{
	struct mr_tracedat_found o[] = {
		{ .id = MR_OPTION_META }, { .id = MR_OPTION_SNAPSHOTS }, { .id = MR_OPTION_ARCHIVE },
	};
	int ret;

	*archive = NULL;
	*archive_size = 0;
	memset(layout, 0, sizeof(*layout));
	if (find_options(path, o, ARRAY_SIZE(o), layout) < 0)
		return -1;
	if (!o[0].found)
		ret = mr_error("'%s' was not written by memrec record (no memrec metadata); "
			       "'trace-cmd report' reads plain trace files", path);
	else
		ret = mr_meta_decode(meta, o[0].data, o[0].size, path);
	if (!ret && o[1].found)
		ret = mr_snapshots_decode(snaps, o[1].data, o[1].size, path);
	if (!ret) {
		*archive = o[2].data;
		*archive_size = o[2].size;
		o[2].data = NULL;
	}
	release_found(o, ARRAY_SIZE(o));
	if (ret < 0)
		mr_cpu_layout_release(layout);
	return ret < 0 ? -1 : 0;
}
