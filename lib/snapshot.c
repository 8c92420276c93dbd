// SPDX-License-Identifier: GPL-2.0
/*
 * snapshot.c - the /proc snapshots `memrec record` takes at start and stop
 * and their container in the trace file (option MR_OPTION_SNAPSHOTS,
 * docs/memrec-file.md). The container is little-endian binary with every
 * length explicit, so a snapshot's text is carried byte for byte and a
 * damaged option is caught before anything is trusted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "mr_snapshot.h"

/* What the recorder copies; pagetypeinfo (since Linux 5.4) and slabinfo are root-only. */
static const char *const snapshot_files[] = { "buddyinfo", "pagetypeinfo", "slabinfo" };

/* The smallest snapshot entry: two u16 lengths, the u64 ts and the u32 text length. */
#define ENTRY_MIN	(2 + 2 + 8 + 4)
#define HEADER_LEN	(4 + 4)

static void add(struct mr_snapshots *s, const char *when, const char *name, uint64_t ts,
		char *text)
{
	struct mr_snapshot *p;

	s->v = mr_xrealloc(s->v, (s->nr + 1) * sizeof(*s->v));
	p = &s->v[s->nr++];
	p->when = mr_xstrdup(when);
	p->name = mr_xstrdup(name);
	p->ts = ts;
	p->text = text;
}

void mr_snapshots_take(struct mr_snapshots *s, const char *when, uint64_t ts)
{
	for (size_t i = 0; i < ARRAY_SIZE(snapshot_files); i++) {
		char *path = mr_xasprintf("/proc/%s", snapshot_files[i]);
		size_t len;
		char *text = mr_read_file(path, &len);
		const char *why = text ? NULL : strerror(errno);

		/* a NUL inside would cut the text short: not a file we know how to read */
		if (text && (len >= UINT32_MAX || memchr(text, '\0', len))) {
			free(text);
			text = NULL;
			why = "not a text file";
		}
		if (text)
			add(s, when, snapshot_files[i], ts, text);
		else
			mr_info(1, "cannot read '%s' at %s (%s); left out of the snapshots", path,
				when, why);
		free(path);
	}
}

static void put_le(struct mr_buf *b, uint64_t v, int bytes)
{
	unsigned char le[8];

	for (int i = 0; i < bytes; i++)
		le[i] = (unsigned char)(v >> (8 * i));
	mr_buf_add(b, le, bytes);
}

static void put_str(struct mr_buf *b, const char *s, int len_bytes)
{
	size_t len = strlen(s);

	put_le(b, len, len_bytes);
	mr_buf_add(b, s, len);
}

/* An entry whose lengths do not fit their fields is left out rather than written wrong. */
static bool encodable(const struct mr_snapshot *e)
{
	return strlen(e->when) <= UINT16_MAX && strlen(e->name) <= UINT16_MAX &&
	       strlen(e->text) < UINT32_MAX;
}

void mr_snapshots_encode(const struct mr_snapshots *s, struct mr_buf *b)
{
	uint32_t n = 0;

	for (int i = 0; i < s->nr; i++)
		n += encodable(&s->v[i]);
	put_le(b, MR_SNAPSHOT_VERSION, 4);
	put_le(b, n, 4);
	for (int i = 0; i < s->nr; i++) {
		if (!encodable(&s->v[i]))
			continue;
		put_str(b, s->v[i].when, 2);
		put_str(b, s->v[i].name, 2);
		put_le(b, s->v[i].ts, 8);
		put_str(b, s->v[i].text, 4);
	}
}

/* A read position in the blob that never goes past its end. */
struct cursor {
	const unsigned char	*p;
	size_t			left;
};

static int get_le(struct cursor *c, uint64_t *v, int bytes)
{
	if (c->left < (size_t)bytes)
		return -1;
	*v = 0;
	for (int i = 0; i < bytes; i++)
		*v |= (uint64_t)c->p[i] << (8 * i);
	c->p += bytes;
	c->left -= bytes;
	return 0;
}

/* A length-prefixed string; NULL when it overruns the blob or holds a NUL. */
static char *get_str(struct cursor *c, int len_bytes)
{
	uint64_t len;
	char *s;

	if (get_le(c, &len, len_bytes) || len > c->left || memchr(c->p, '\0', len))
		return NULL;
	s = mr_xmalloc(len + 1);
	memcpy(s, c->p, len);
	s[len] = '\0';
	c->p += len;
	c->left -= len;
	return s;
}

static int get_entry(struct cursor *c, struct mr_snapshot *e)
{
	uint64_t ts;

	e->when = get_str(c, 2);
	e->name = e->when ? get_str(c, 2) : NULL;
	if (!e->name || get_le(c, &ts, 8))
		return -1;
	e->ts = ts;
	e->text = get_str(c, 4);
	return e->text && *e->when && *e->name ? 0 : -1;
}

int mr_snapshots_decode(struct mr_snapshots *s, const void *data, size_t len, const char *file)
{
	struct cursor c = { data, len };
	uint64_t version, count;

	memset(s, 0, sizeof(*s));
	if (get_le(&c, &version, 4) || get_le(&c, &count, 4) || !version)
		return mr_error("'%s' has corrupt /proc snapshots", file);
	if (version > MR_SNAPSHOT_VERSION)
		return mr_error("'%s' has /proc snapshots of version %llu; this memrec reads up to "
				"%d: upgrade memrec", file, (unsigned long long)version,
				MR_SNAPSHOT_VERSION);
	/* checked before allocating, so a wild count cannot ask for gigabytes */
	if (count > c.left / ENTRY_MIN || count > INT32_MAX)
		return mr_error("'%s' has corrupt /proc snapshots", file);
	s->v = mr_xcalloc(count, sizeof(*s->v));
	for (s->nr = 0; s->nr < (int)count; s->nr++) {
		if (get_entry(&c, &s->v[s->nr]) < 0) {
			int bad = s->nr + 1;

			s->nr++;	/* release what the damaged entry got */
			mr_snapshots_release(s);
			return mr_error("'%s' has corrupt /proc snapshots (entry %d)", file, bad);
		}
	}
	if (c.left) {
		mr_snapshots_release(s);
		return mr_error("'%s' has corrupt /proc snapshots (%zu stray bytes at the end)",
				file, c.left);
	}
	return 0;
}

const struct mr_snapshot *mr_snapshots_find(const struct mr_snapshots *s, const char *when,
					    const char *name)
{
	for (int i = 0; i < s->nr; i++)
		if (!strcmp(s->v[i].when, when) && !strcmp(s->v[i].name, name))
			return &s->v[i];
	return NULL;
}

void mr_snapshots_release(struct mr_snapshots *s)
{
	for (int i = 0; i < s->nr; i++) {
		free(s->v[i].when);
		free(s->v[i].name);
		free(s->v[i].text);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}
