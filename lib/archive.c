// SPDX-License-Identifier: GPL-2.0
/*
 * archive.c - the symbol archive's container: "MRSY", u32 version, u32
 * count, then per entry u16 kind, u16 build-id length, u16 path length, the
 * build-id (hex), the path, u64 raw size, u64 compressed size, and the zstd
 * frame. Little-endian. mr_archive_add keeps the count current.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>
#include "mr_archive.h"

#define MAGIC		"MRSY"
#define HEADER_SIZE	12

static void put16(struct mr_buf *b, uint16_t v)
{
	mr_buf_add(b, &v, 2);
}

static void put32(struct mr_buf *b, uint32_t v)
{
	mr_buf_add(b, &v, 4);
}

static void put64(struct mr_buf *b, uint64_t v)
{
	mr_buf_add(b, &v, 8);
}

void mr_archive_begin(struct mr_buf *b)
{
	mr_buf_add(b, MAGIC, 4);
	put32(b, MR_ARCHIVE_VERSION);
	put32(b, 0);
}

void mr_archive_add(struct mr_buf *b, enum mr_archive_kind kind, const char *build_id,
		    const char *path, const void *data, size_t len)
{
	size_t bound = ZSTD_compressBound(len), z;
	void *zbuf = mr_xmalloc(bound);
	uint32_t count;

	z = ZSTD_compress(zbuf, bound, data, len, 9);
	if (ZSTD_isError(z))
		mr_die("cannot compress '%s': %s", path, ZSTD_getErrorName(z));
	put16(b, kind);
	put16(b, strlen(build_id));
	put16(b, strlen(path));
	mr_buf_add(b, build_id, strlen(build_id));
	mr_buf_add(b, path, strlen(path));
	put64(b, len);
	put64(b, z);
	mr_buf_add(b, zbuf, z);
	free(zbuf);
	memcpy(&count, b->data + 8, 4);
	count++;
	memcpy(b->data + 8, &count, 4);
}

struct cursor {
	const unsigned char	*p;
	size_t			left;
};

static const void *take(struct cursor *c, size_t n)
{
	const void *p = c->p;

	if (n > c->left)
		return NULL;
	c->p += n;
	c->left -= n;
	return p;
}

static int take_num(struct cursor *c, void *out, size_t n)
{
	const void *p = take(c, n);

	if (!p)
		return -1;
	memcpy(out, p, n);
	return 0;
}

static char *take_str(struct cursor *c, uint16_t len)
{
	const char *p = take(c, len);
	char *s;

	if (!p || memchr(p, '\0', len))
		return NULL;
	s = mr_xmalloc(len + 1);
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

static int parse_entry(struct cursor *c, struct mr_archive_entry *e)
{
	uint16_t kind, blen, plen;

	if (take_num(c, &kind, 2) || take_num(c, &blen, 2) || take_num(c, &plen, 2))
		return -1;
	e->kind = kind;
	e->build_id = take_str(c, blen);
	e->path = take_str(c, plen);
	if (!e->build_id || !e->path || take_num(c, &e->raw_size, 8) ||
	    take_num(c, &e->zsize, 8))
		return -1;
	e->zdata = take(c, e->zsize);
	return e->zdata ? 0 : -1;
}

int mr_archive_parse(struct mr_archive *a, const void *data, size_t len, const char *file)
{
	struct cursor c = { data, len };
	uint32_t version, count;
	const void *magic;

	memset(a, 0, sizeof(*a));
	magic = take(&c, 4);
	if (!magic || memcmp(magic, MAGIC, 4) || take_num(&c, &version, 4) ||
	    take_num(&c, &count, 4)) {
		mr_warning("'%s' has a corrupt symbol archive; symbols are looked up on this host",
			   file);
		return -1;
	}
	if (version > MR_ARCHIVE_VERSION) {
		mr_warning("'%s' has a symbol archive of version %u; this memrec reads up to %d "
			   "(upgrade memrec); symbols are looked up on this host", file, version,
			   MR_ARCHIVE_VERSION);
		return -1;
	}
	if (count > len / 22)	/* an entry takes at least 22 bytes */
		count = len / 22;	/* a damaged count: the entries that parse are kept */
	a->entries = mr_xcalloc(count ? count : 1, sizeof(*a->entries));
	for (a->nr = 0; a->nr < (int)count; a->nr++)
		if (parse_entry(&c, &a->entries[a->nr]) < 0) {
			free(a->entries[a->nr].build_id);
			free(a->entries[a->nr].path);
			memset(&a->entries[a->nr], 0, sizeof(a->entries[a->nr]));
			mr_warning("'%s' has a corrupt symbol archive from entry %u on; the "
				   "%u before it are used", file, (unsigned)a->nr + 1,
				   (unsigned)a->nr);
			break;
		}
	return 0;
}

void mr_archive_release(struct mr_archive *a)
{
	for (int i = 0; i < a->nr; i++) {
		free(a->entries[i].build_id);
		free(a->entries[i].path);
	}
	free(a->entries);
	memset(a, 0, sizeof(*a));
}

static int bad_entry(const struct mr_archive_entry *e, const char *file)
{
	mr_warning("'%s' has a corrupt symbol archive entry for '%s'; its symbols are looked up "
		   "on this host", file, e->path);
	return -1;
}

/*
 * One step of the stream: what the frame gives beyond the declared size is
 * never written, so a lying header costs nothing. Returns zstd's hint (0:
 * the frame is whole), -1 for a damaged frame, -2 when fd cannot be written.
 */
static ssize_t inflate_step(ZSTD_DCtx *d, ZSTD_inBuffer *in, ZSTD_outBuffer *out,
			    uint64_t *left, int fd)
{
	size_t hint;

	out->pos = 0;
	hint = ZSTD_decompressStream(d, out, in);
	if (ZSTD_isError(hint) || out->pos > *left)
		return -1;
	if (out->pos && mr_write_all(fd, out->dst, out->pos) < 0)
		return -2;
	*left -= out->pos;
	if (hint && in->pos == in->size && out->pos < out->size)
		return -1;	/* wants more input than there is: cut short */
	return hint;
}

int mr_archive_inflate_fd(const struct mr_archive_entry *e, int fd, const char *file)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	size_t cap = ZSTD_DStreamOutSize();
	ZSTD_outBuffer out = { mr_xmalloc(cap), cap, 0 };
	ZSTD_inBuffer in = { e->zdata, e->zsize, 0 };
	uint64_t left = e->raw_size;
	ssize_t hint;

	if (!d)
		mr_die("out of memory");
	do
		hint = inflate_step(d, &in, &out, &left, fd);
	while (hint > 0);
	free(out.dst);
	ZSTD_freeDCtx(d);
	if (hint == -2) {
		mr_warning_errno("cannot unpack the symbols of '%s' from '%s'", e->path, file);
		return -1;
	}
	return hint < 0 || left ? bad_entry(e, file) : 0;
}
