// SPDX-License-Identifier: GPL-2.0
/*
 * tracedat.c - writes trace.dat version 6 without libtracecmd's private
 * writer: mr_tracedat_capture() copies the header parts out of tracefs while
 * memrec's events still exist, mr_tracedat_write() lays them out with the
 * options and the per-CPU ring-buffer pages. The layout is the one in
 * docs/memrec-file.md, "The v6 header, row by row"; trace-cmd 3.1.6 reads it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "memrec.h"
#include "mr_tracedat.h"

/* The ring-buffer sub-buffer size; memrec never changes it (see FACTS 2). */
#define TD_PAGE_SIZE	4096
#define TD_COPY_CHUNK	(1 << 20)

/* One format file (or other captured text); name is the event's, or NULL. */
struct td_blob {
	char	*name;
	char	*data;
	size_t	len;
};

struct td_system {
	char		*name;
	struct td_blob	*formats;
	int		nr;
};

struct mr_tracedat_hdr {
	struct td_blob		header_page;
	struct td_blob		header_event;
	struct td_blob		*ftrace;
	struct td_system	*systems;
	int			nr_ftrace;
	int			nr_systems;
	struct td_blob		kallsyms;
	struct td_blob		printk;
};

/* Per CPU state while writing: the open data file and where it goes. */
struct td_cpu {
	const char	*path;
	uint64_t	offset;
	uint64_t	size;
	int		fd;
};

static void blob_release(struct td_blob *b)
{
	free(b->name);
	free(b->data);
}

size_t mr_tracedat_hdr_bytes(const struct mr_tracedat_hdr *h)
{
	size_t n;

	if (!h)
		return 0;
	n = h->header_page.len + h->header_event.len + h->kallsyms.len + h->printk.len;
	for (int i = 0; i < h->nr_ftrace; i++)
		n += h->ftrace[i].len + 8;
	for (int i = 0; i < h->nr_systems; i++)
		for (int j = 0; j < h->systems[i].nr; j++)
			n += h->systems[i].formats[j].len + 8;
	return n;
}

void mr_tracedat_hdr_free(struct mr_tracedat_hdr *h)
{
	int i, j;

	if (!h)
		return;
	blob_release(&h->header_page);
	blob_release(&h->header_event);
	for (i = 0; i < h->nr_ftrace; i++)
		blob_release(&h->ftrace[i]);
	free(h->ftrace);
	for (i = 0; i < h->nr_systems; i++) {
		for (j = 0; j < h->systems[i].nr; j++)
			blob_release(&h->systems[i].formats[j]);
		free(h->systems[i].formats);
		free(h->systems[i].name);
	}
	free(h->systems);
	blob_release(&h->kallsyms);
	blob_release(&h->printk);
	free(h);
}

static int read_blob(const char *dir, const char *file, struct td_blob *b)
{
	char *path = mr_xasprintf("%s/%s", dir, file);

	b->data = mr_read_file(path, &b->len);
	if (!b->data)
		mr_error_errno("cannot read '%s'", path);
	free(path);
	return b->data ? 0 : -1;
}

static struct td_system *get_system(struct mr_tracedat_hdr *h, const char *name)
{
	struct td_system *s;
	int i;

	for (i = 0; i < h->nr_systems; i++)
		if (!strcmp(h->systems[i].name, name))
			return &h->systems[i];
	h->systems = mr_xrealloc(h->systems, (h->nr_systems + 1) * sizeof(*h->systems));
	s = &h->systems[h->nr_systems++];
	memset(s, 0, sizeof(*s));
	s->name = mr_xstrdup(name);
	return s;
}

/*
 * ftrace's own events go in the ftrace section (row 8), as trace-cmd puts
 * them; every other system gets its group in row 9.
 */
static int add_format(struct mr_tracedat_hdr *h, const char *dir, const char *sys,
		      const char *ev)
{
	struct td_blob **list, b = { 0 };
	struct td_system *s;
	char *file;
	int *nr, i, ret;

	if (!strcmp(sys, "ftrace")) {
		list = &h->ftrace;
		nr = &h->nr_ftrace;
	} else {
		s = get_system(h, sys);
		list = &s->formats;
		nr = &s->nr;
	}
	for (i = 0; i < *nr; i++)
		if (!strcmp((*list)[i].name, ev))
			return 0;

	file = mr_xasprintf("events/%s/%s/format", sys, ev);
	ret = read_blob(dir, file, &b);
	free(file);
	if (ret)
		return mr_error("event '%s/%s' is missing from '%s'; is its name right?",
				sys, ev, dir);
	b.name = mr_xstrdup(ev);
	*list = mr_xrealloc(*list, (*nr + 1) * sizeof(**list));
	(*list)[(*nr)++] = b;
	return 0;
}

/* "system/event" only: the name becomes a path, so nothing that climbs out. */
static int add_event(struct mr_tracedat_hdr *h, const char *dir, const char *name)
{
	const char *slash = strchr(name, '/');
	char *sys;
	int ret;

	if (!slash || slash == name || !slash[1] || strchr(slash + 1, '/') ||
	    !strcmp(slash + 1, ".") || !strcmp(slash + 1, "..") || !strncmp(name, "../", 3) ||
	    !strncmp(name, "./", 2))
		return mr_error("bad event name '%s'; expected 'system/event'", name);
	sys = strndup(name, slash - name);
	if (!sys)
		mr_die("out of memory");
	ret = add_format(h, dir, sys, slash + 1);
	free(sys);
	return ret;
}

void mr_tracedat_add_format(struct mr_tracedat_hdr *h, const char *sys, const char *ev,
			    const char *format)
{
	struct td_system *s = get_system(h, sys);
	struct td_blob b = { mr_xstrdup(ev), mr_xstrdup(format), strlen(format) };

	s->formats = mr_xrealloc(s->formats, (s->nr + 1) * sizeof(*s->formats));
	s->formats[s->nr++] = b;
}

/* Kallsyms and printk formats only improve symbols: losing them is a warning. */
static void read_optional(const char *dir, const char *file, struct td_blob *b)
{
	char *path = mr_xasprintf("%s/%s", dir, file);

	b->data = mr_read_file(path, &b->len);
	if (!b->data) {
		mr_warning_errno("kernel addresses will not be symbolised: cannot read '%s'",
				 path);
		b->len = 0;
	} else if (b->len > UINT32_MAX) {
		/* The file stores this size in 32 bits. */
		mr_warning("'%s' is too large to store (%zu bytes); leaving it out", path, b->len);
		blob_release(b);
		memset(b, 0, sizeof(*b));
	}
	free(path);
}

struct mr_tracedat_hdr *mr_tracedat_capture(const char *tracing_dir, const char * const *events,
					    int with_kallsyms)
{
	struct mr_tracedat_hdr *h = mr_xcalloc(1, sizeof(*h));
	int i;

	if (read_blob(tracing_dir, "events/header_page", &h->header_page) ||
	    read_blob(tracing_dir, "events/header_event", &h->header_event) ||
	    add_format(h, tracing_dir, "ftrace", "user_stack") ||
	    add_format(h, tracing_dir, "ftrace", "kernel_stack"))
		goto fail;
	for (i = 0; events && events[i]; i++)
		if (add_event(h, tracing_dir, events[i]))
			goto fail;
	if (with_kallsyms)
		read_optional("/proc", "kallsyms", &h->kallsyms);
	read_optional(tracing_dir, "printk_formats", &h->printk);
	return h;
fail:
	mr_tracedat_hdr_free(h);
	return NULL;
}

/* Numbers go out in host order; the endian byte in row 3 says which. */
static void put(struct mr_buf *b, const void *p, size_t n)
{
	if (n)
		mr_buf_add(b, p, n);
}

static void put_u8(struct mr_buf *b, uint8_t v)
{
	put(b, &v, 1);
}

static void put_u16(struct mr_buf *b, uint16_t v)
{
	put(b, &v, 2);
}

static void put_u32(struct mr_buf *b, uint32_t v)
{
	put(b, &v, 4);
}

static void put_u64(struct mr_buf *b, uint64_t v)
{
	put(b, &v, 8);
}

static void put_blob64(struct mr_buf *b, const struct td_blob *blob)
{
	put_u64(b, blob->len);
	put(b, blob->data, blob->len);
}

static void put_blob32(struct mr_buf *b, const struct td_blob *blob)
{
	put_u32(b, blob->len);
	put(b, blob->data, blob->len);
}

/* Rows 14 and 17 share the clock string; trace-cmd parses "[name]". */
static char *clock_string(const char *clock)
{
	return mr_xasprintf("[%s]", clock);
}

static void put_options(struct mr_buf *b, const struct mr_tracedat_out *out)
{
	char *clk;
	int i;

	if (!out->nr_opts && !out->clock)
		return;
	put(b, "options  ", 10);
	for (i = 0; i < out->nr_opts; i++) {
		put_u16(b, out->opts[i].id);
		put_u32(b, out->opts[i].size);
		put(b, out->opts[i].data, out->opts[i].size);
	}
	if (out->clock) {
		clk = clock_string(out->clock);
		put_u16(b, MR_TD_OPT_TRACECLOCK);
		put_u32(b, strlen(clk) + 1);
		put(b, clk, strlen(clk) + 1);
		free(clk);
	}
	put_u16(b, 0);
}

/* Rows 1-15: everything before the per-CPU table. */
static void put_header(struct mr_buf *b, const struct mr_tracedat_out *out)
{
	static const char magic[10] = { 0x17, 0x08, 0x44, 't', 'r', 'a', 'c', 'i', 'n', 'g' };
	const struct mr_tracedat_hdr *h = out->hdr;
	size_t cmdlen = out->cmdlines ? strlen(out->cmdlines) : 0;
	int i, j;

	put(b, magic, sizeof(magic));
	put(b, "6", 2);
	put_u8(b, __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
	put_u8(b, sizeof(long));
	put_u32(b, TD_PAGE_SIZE);
	put(b, "header_page", 12);
	put_blob64(b, &h->header_page);
	put(b, "header_event", 13);
	put_blob64(b, &h->header_event);
	put_u32(b, h->nr_ftrace);
	for (i = 0; i < h->nr_ftrace; i++)
		put_blob64(b, &h->ftrace[i]);
	put_u32(b, h->nr_systems);
	for (i = 0; i < h->nr_systems; i++) {
		put(b, h->systems[i].name, strlen(h->systems[i].name) + 1);
		put_u32(b, h->systems[i].nr);
		for (j = 0; j < h->systems[i].nr; j++)
			put_blob64(b, &h->systems[i].formats[j]);
	}
	put_blob32(b, &h->kallsyms);
	put_blob32(b, &h->printk);
	put_u64(b, cmdlen);
	put(b, out->cmdlines, cmdlen);
	put_u32(b, out->nr_cpus);
	put_options(b, out);
	put(b, "flyrecord", 10);
}

/*
 * Rows 16-18. The sizes are known before anything is written, so the table
 * holds the final offsets at once and the file is written front to back.
 */
static void put_cpu_table(struct mr_buf *b, const struct mr_tracedat_out *out,
			  struct td_cpu *cpus)
{
	size_t table = b->len;
	uint64_t next;
	char *clk;
	int i;

	for (i = 0; i < out->nr_cpus; i++) {
		put_u64(b, 0);
		put_u64(b, 0);
	}
	if (out->clock) {
		clk = clock_string(out->clock);
		put_u64(b, strlen(clk));
		put(b, clk, strlen(clk));
		free(clk);
	}
	while (b->len % TD_PAGE_SIZE)
		put_u8(b, 0);

	next = b->len;
	for (i = 0; i < out->nr_cpus; i++) {
		uint64_t ent[2] = { 0, 0 };

		if (cpus[i].size) {
			ent[0] = cpus[i].offset = next;
			ent[1] = cpus[i].size;
			next += cpus[i].size;
		}
		memcpy(b->data + table + i * sizeof(ent), ent, sizeof(ent));
	}
}

static int write_error(const char *path)
{
	if (errno == ENOSPC || errno == EDQUOT)
		return mr_error("no space left writing '%s'; free some space or use -o on another filesystem",
				path);
	return mr_error_errno("cannot write '%s'", path);
}

/* A kernel page is all or nothing: a torn tail would be misread as events. */
static int open_cpu_file(struct td_cpu *c)
{
	struct stat st;

	c->fd = open(c->path, O_RDONLY | O_CLOEXEC);
	if (c->fd < 0 || fstat(c->fd, &st) < 0)
		return mr_error_errno("cannot read cpu data '%s'", c->path);
	c->size = st.st_size - st.st_size % TD_PAGE_SIZE;
	if (st.st_size % TD_PAGE_SIZE)
		mr_warning("'%s' ends in a partial page; dropping its last %lld bytes",
			   c->path, (long long)(st.st_size % TD_PAGE_SIZE));
	return 0;
}

static int check_out(const struct mr_tracedat_out *out)
{
	const char *p;
	int i;

	if (!out->hdr || out->nr_cpus < 0 || (out->nr_opts && !out->opts))
		return mr_error("internal: bad arguments writing trace.dat");
	for (i = 0; i < out->nr_opts; i++) {
		if (!out->opts[i].id || out->opts[i].id == MR_TD_OPT_TRACECLOCK ||
		    (out->opts[i].size && !out->opts[i].data))
			return mr_error("internal: bad trace.dat option %u", out->opts[i].id);
	}
	/* The reader splits the clock string on brackets and blanks. */
	for (p = out->clock; p && *p; p++)
		if (!(*p == '_' || *p == '-' || (*p >= '0' && *p <= '9') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			break;
	if (out->clock && (!*out->clock || *p))
		return mr_error("bad trace clock name '%s'", out->clock);
	return 0;
}

static int is_copy_unsupported(int err)
{
	return err == EXDEV || err == EINVAL || err == ENOSYS || err == EOPNOTSUPP ||
	       err == ENOTSUP;
}

/* Both fds advance their own positions; the output is written in order. */
static int copy_fallback(int in, int out, uint64_t len, char **buf)
{
	ssize_t r;

	if (!*buf)
		*buf = mr_xmalloc(TD_COPY_CHUNK);
	while (len) {
		r = read(in, *buf, len < TD_COPY_CHUNK ? len : TD_COPY_CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -1 : -2;
		if (mr_write_all(out, *buf, r))
			return -1;
		len -= r;
	}
	return 0;
}

/* Returns 0, -1 with errno set, or -2 when the input ended early. */
static int copy_data(int in, int out, uint64_t len, char **buf)
{
	ssize_t r;

	while (len && !*buf) {
		r = copy_file_range(in, NULL, out, NULL, len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && is_copy_unsupported(errno))
			break;
		if (r <= 0)
			return r < 0 ? -1 : -2;
		len -= r;
	}
	return len ? copy_fallback(in, out, len, buf) : 0;
}

static int write_cpus(int fd, const char *path, const struct mr_tracedat_out *out,
		      struct td_cpu *cpus)
{
	char *buf = NULL;
	int i, ret = 0;

	for (i = 0; i < out->nr_cpus && !ret; i++) {
		if (cpus[i].size) {
			ret = copy_data(cpus[i].fd, fd, cpus[i].size, &buf);
			if (ret == -1 && errno != ENOSPC && errno != EDQUOT)
				mr_error_errno("cannot copy '%s' into '%s'", cpus[i].path, path);
			else if (ret == -1)
				write_error(path);
			else if (ret == -2)
				mr_error("'%s' shrank while it was being copied", cpus[i].path);
		}
		if (!ret && cpus[i].path && out->unlink_cpu_files) {
			if (unlink(cpus[i].path))
				mr_warning_errno("cannot remove '%s'", cpus[i].path);
			/* closed now, so a full disk gets its space back for the next copy */
			close(cpus[i].fd);
			cpus[i].fd = -1;
		}
	}
	free(buf);
	return ret ? -1 : 0;
}

static int write_file(const char *path, const struct mr_tracedat_out *out, struct td_cpu *cpus)
{
	const char *shown = out->name ? out->name : path;
	struct mr_buf b = { 0 };
	struct stat st;
	int fd, ret = -1;

	put_header(&b, out);
	put_cpu_table(&b, out, cpus);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC |
		  (out->exclusive ? O_EXCL | O_NOFOLLOW : O_TRUNC), 0600);
	if (fd < 0) {
		mr_error_errno("cannot create '%s'", shown);
		goto out;
	}
	/* Only touch regular files: path may be /dev/null or a device. */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		st.st_mode = 0;
	if (S_ISREG(st.st_mode) && (st.st_mode & 07777) != 0600 && fchmod(fd, 0600))
		mr_warning_errno("cannot make '%s' private", shown);
	if (mr_write_all(fd, b.data, b.len))
		write_error(shown);
	else if (!write_cpus(fd, shown, out, cpus))
		ret = 0;
	if (close(fd) && !ret)
		ret = write_error(shown);
	/* A half-written file would only be refused later as corrupt. */
	if (ret && S_ISREG(st.st_mode) && !unlink(path))
		mr_info(1, "removed the incomplete '%s'", shown);
out:
	mr_buf_release(&b);
	return ret;
}

int mr_tracedat_write(const char *path, const struct mr_tracedat_out *out)
{
	struct td_cpu *cpus;
	int i, ret = -1;

	if (check_out(out))
		return -1;
	cpus = mr_xcalloc(out->nr_cpus, sizeof(*cpus));
	for (i = 0; i < out->nr_cpus; i++)
		cpus[i].fd = -1;
	for (i = 0; i < out->nr_cpus; i++) {
		cpus[i].path = out->cpu_files ? out->cpu_files[i] : NULL;
		if (cpus[i].path && open_cpu_file(&cpus[i]))
			goto out;
	}
	ret = write_file(path, out, cpus);
out:
	for (i = 0; i < out->nr_cpus; i++)
		if (cpus[i].fd >= 0)
			close(cpus[i].fd);
	free(cpus);
	return ret;
}
