// SPDX-License-Identifier: GPL-2.0
/*
 * meta.c - encodes and decodes memrec's metadata option. One record per
 * line, space-separated fields; strings are %XX-escaped so that a field
 * never holds a space or a newline. Unknown record kinds are skipped, so an
 * older reader can read a file with newer additions of the same version.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mr_meta.h"

void mr_meta_init(struct mr_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->version = MR_META_VERSION;
}

void mr_meta_release(struct mr_meta *m)
{
	int i;

	free(m->memrec_version);
	free(m->uname);
	free(m->clock);
	free(m->command);
	free(m->stop_reason);
	free(m->uprobes);
	free(m->perf_refused);
	for (i = 0; i < m->nr_targets; i++)
		free(m->targets[i].cmdline);
	free(m->targets);
	free(m->cpus);
	for (i = 0; i < m->nr_maps; i++) {
		free(m->maps[i].build_id);
		free(m->maps[i].path);
	}
	free(m->maps);
	for (i = 0; i < m->nr_buildids; i++) {
		free(m->buildids[i].build_id);
		free(m->buildids[i].path);
	}
	free(m->buildids);
	for (i = 0; i < m->nr_memcgs; i++)
		free(m->memcgs[i].path);
	free(m->memcgs);
	for (i = 0; i < m->nr_lsan; i++) {
		free(m->lsan[i].path);
		free(m->lsan[i].text);
	}
	free(m->lsan);
	free(m->groups);
	free(m->settle_rcu);
	for (i = 0; i < m->nr_slabs; i++)
		free(m->slabs[i].name);
	free(m->slabs);
	mr_meta_init(m);
}

void mr_meta_add_target(struct mr_meta *m, int pid, const char *cmdline)
{
	m->targets = mr_xrealloc(m->targets, (m->nr_targets + 1) * sizeof(*m->targets));
	m->targets[m->nr_targets].pid = pid;
	m->targets[m->nr_targets].cmdline = mr_xstrdup(cmdline ? cmdline : "");
	m->nr_targets++;
}

void mr_meta_add_map(struct mr_meta *m, uint64_t ts, int pid, uint64_t start, uint64_t len,
		     uint64_t pgoff, const char *build_id, const char *path)
{
	struct mr_meta_map *map;

	if (!(m->nr_maps & (m->nr_maps - 1)) || !m->nr_maps)
		m->maps = mr_xrealloc(m->maps, (m->nr_maps ? m->nr_maps * 2 : 16) * sizeof(*map));
	map = &m->maps[m->nr_maps++];
	map->ts = ts;
	map->pid = pid;
	map->start = start;
	map->len = len;
	map->pgoff = pgoff;
	map->build_id = build_id && *build_id ? mr_xstrdup(build_id) : NULL;
	map->path = mr_xstrdup(path);
}

void mr_meta_add_buildid(struct mr_meta *m, const char *build_id, const char *path)
{
	if (mr_meta_buildid_of(m, path))
		return;
	m->buildids = mr_xrealloc(m->buildids, (m->nr_buildids + 1) * sizeof(*m->buildids));
	m->buildids[m->nr_buildids].build_id = mr_xstrdup(build_id);
	m->buildids[m->nr_buildids].path = mr_xstrdup(path);
	m->nr_buildids++;
}

void mr_meta_add_lsan(struct mr_meta *m, const char *path, const char *text)
{
	for (int i = 0; i < m->nr_lsan; i++)
		if (!strcmp(m->lsan[i].path, path))
			return;
	m->lsan = mr_xreallocarray(m->lsan, m->nr_lsan + 1, sizeof(*m->lsan));
	m->lsan[m->nr_lsan++] = (struct mr_meta_lsan){ mr_xstrdup(path), mr_xstrdup(text) };
}

void mr_meta_add_memcg(struct mr_meta *m, uint64_t ts, int pid, const char *path, int64_t limit,
		       int64_t usage)
{
	m->memcgs = mr_xrealloc(m->memcgs, (m->nr_memcgs + 1) * sizeof(*m->memcgs));
	m->memcgs[m->nr_memcgs++] = (struct mr_meta_memcg){ ts, pid, mr_xstrdup(path), limit,
							    usage };
}

void mr_meta_add_slab(struct mr_meta *m, const char *name, unsigned int flags)
{
	m->slabs = mr_xreallocarray(m->slabs, m->nr_slabs + 1, sizeof(*m->slabs));
	m->slabs[m->nr_slabs++] = (struct mr_meta_slab){ mr_xstrdup(name), flags };
}

unsigned int mr_meta_slab_flags(const struct mr_meta *m, const char *name)
{
	for (int i = 0; name && i < m->nr_slabs; i++)
		if (!strcmp(m->slabs[i].name, name))
			return m->slabs[i].flags;
	return 0;
}

uint64_t mr_meta_lost(const struct mr_meta *m)
{
	uint64_t n = m->perf_lost + m->samples_lost;

	/* a flight recorder overwrites its oldest events by design */
	for (int i = 0; i < m->nr_cpus; i++)
		n += (m->flight_mb ? 0 : m->cpus[i].overrun) + m->cpus[i].dropped;
	return n;
}

const char *mr_meta_buildid_of(const struct mr_meta *m, const char *path)
{
	int i;

	for (i = 0; i < m->nr_buildids; i++)
		if (!strcmp(m->buildids[i].path, path))
			return m->buildids[i].build_id;
	return NULL;
}

static void add_str(struct mr_buf *b, const char *s)
{
	if (!s || !*s) {
		mr_buf_add(b, "-", 1);	/* "-" stands for an empty string */
		return;
	}
	if (!strcmp(s, "-")) {
		mr_buf_add(b, "%2D", 3);
		return;
	}
	for (; *s; s++) {
		unsigned char c = *s;

		if (c <= ' ' || c == '%' || c >= 0x7f)
			mr_buf_addf(b, "%%%02X", c);
		else
			mr_buf_add(b, s, 1);
	}
}

static char *unescape(const char *s)
{
	char *out, *o;

	if (!strcmp(s, "-"))
		return mr_xstrdup("");
	out = o = mr_xmalloc(strlen(s) + 1);
	while (*s) {
		if (s[0] == '%' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
			char hex[3] = { s[1], s[2], 0 };

			*o++ = (char)strtoul(hex, NULL, 16);
			s += 3;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

void mr_meta_encode(const struct mr_meta *m, struct mr_buf *b)
{
	int i;

	mr_buf_addf(b, "memrec-meta %d\n", MR_META_VERSION);
	mr_buf_add(b, "memrec ", 7);
	add_str(b, m->memrec_version);
	mr_buf_add(b, "\nuname ", 7);
	add_str(b, m->uname);
	mr_buf_add(b, "\nclock ", 7);
	add_str(b, m->clock);
	mr_buf_add(b, "\ncommand ", 9);
	add_str(b, m->command);
	mr_buf_add(b, "\nstop_reason ", 13);
	add_str(b, m->stop_reason);
	mr_buf_add(b, "\nuprobes ", 9);
	add_str(b, m->uprobes);
	if (m->perf_refused) {
		mr_buf_add(b, "\nperf_refused ", 14);
		add_str(b, m->perf_refused);
	}
	mr_buf_add(b, "\ngroups ", 8);
	add_str(b, m->groups);
	mr_buf_addf(b, "\nsystem_wide %d\nflight_mb %llu", m->system_wide,
		    (unsigned long long)m->flight_mb);
	mr_buf_addf(b, "\ntime %llu %llu %llu\n", (unsigned long long)m->start_ts,
		    (unsigned long long)m->stop_ts, (unsigned long long)m->start_epoch_ns);
	mr_buf_addf(b, "samples %llu %llu\n", (unsigned long long)m->samples,
		    (unsigned long long)m->samples_lost);
	mr_buf_addf(b, "buffer_kb %llu\nperf_lost %llu\ntruncated %llu\nfree_null_unseen %d\n",
		    (unsigned long long)m->buffer_kb, (unsigned long long)m->perf_lost,
		    (unsigned long long)m->truncated_bytes, m->free_null_unseen);
	for (i = 0; i < m->nr_targets; i++) {
		mr_buf_addf(b, "target %d ", m->targets[i].pid);
		add_str(b, m->targets[i].cmdline);
		mr_buf_add(b, "\n", 1);
	}
	for (i = 0; i < m->nr_cpus; i++) {
		const struct mr_meta_cpu *c = &m->cpus[i];

		mr_buf_addf(b, "cpu %d %llu %llu %llu %llu %llu\n", c->cpu,
			    (unsigned long long)c->entries, (unsigned long long)c->overrun,
			    (unsigned long long)c->commit_overrun, (unsigned long long)c->dropped,
			    (unsigned long long)c->read);
	}
	for (i = 0; i < m->nr_maps; i++) {
		const struct mr_meta_map *p = &m->maps[i];

		mr_buf_addf(b, "map %llu %d %llx %llx %llx ", (unsigned long long)p->ts, p->pid,
			    (unsigned long long)p->start, (unsigned long long)p->len,
			    (unsigned long long)p->pgoff);
		add_str(b, p->build_id);
		mr_buf_add(b, " ", 1);
		add_str(b, p->path);
		mr_buf_add(b, "\n", 1);
	}
	for (i = 0; i < m->nr_memcgs; i++) {
		mr_buf_addf(b, "memcg %llu %d %lld %lld ", (unsigned long long)m->memcgs[i].ts,
			    m->memcgs[i].pid, (long long)m->memcgs[i].limit,
			    (long long)m->memcgs[i].usage);
		add_str(b, m->memcgs[i].path);
		mr_buf_add(b, "\n", 1);
	}
	for (i = 0; i < m->nr_buildids; i++) {
		mr_buf_add(b, "buildid ", 8);
		add_str(b, m->buildids[i].build_id);
		mr_buf_add(b, " ", 1);
		add_str(b, m->buildids[i].path);
		mr_buf_add(b, "\n", 1);
	}
	if (m->settle_ms) {
		mr_buf_addf(b, "settle %llu %llu %d %d ", (unsigned long long)m->settle_ms,
			    (unsigned long long)m->settle_waited_ns, m->settle_reaped,
			    m->settle_targets_gone);
		add_str(b, m->settle_rcu);
		mr_buf_add(b, "\n", 1);
	}
	for (i = 0; i < m->nr_slabs; i++) {
		mr_buf_add(b, "slab ", 5);
		add_str(b, m->slabs[i].name);
		mr_buf_addf(b, " %u\n", m->slabs[i].flags);
	}
	for (i = 0; i < m->nr_lsan; i++) {
		mr_buf_add(b, "lsan ", 5);
		add_str(b, m->lsan[i].path);
		mr_buf_add(b, " ", 1);
		add_str(b, m->lsan[i].text);
		mr_buf_add(b, "\n", 1);
	}
}

#define MAX_FIELDS 8
/* GNU build-ids are 20 bytes (sha1), some linkers write 8 to 32 */
#define MIN_BUILD_ID	4
#define MAX_BUILD_ID	128

/*
 * A build-id goes into lookup paths (DIR/.build-id/xx/rest): it must be
 * lowercase hex of a sane length, never anything that names another place.
 */
bool mr_meta_build_id_ok(const char *bid)
{
	size_t len = strlen(bid);

	return len >= MIN_BUILD_ID && len <= MAX_BUILD_ID && !(len & 1) &&
	       strspn(bid, "0123456789abcdef") == len;
}

/* A repeated key replaces the earlier value (a file may say it twice). */
static void set_str(char **dst, const char *field)
{
	free(*dst);
	*dst = unescape(field);
}

/* Drops a bad build-id, once per file, so the module is looked up by path. */
static char *checked_build_id(const char *field, const char *file, bool *warned)
{
	char *bid = unescape(field);

	if (!*bid || mr_meta_build_id_ok(bid))
		return bid;
	if (!*warned)
		mr_warning("'%s' has a module with a bad build-id (not lowercase hex); the "
			   "build-id is dropped", file);
	*warned = true;
	free(bid);
	return mr_xstrdup("");
}

static int split(char *line, char **f)
{
	int n = 0;
	char *save, *tok;

	for (tok = strtok_r(line, " ", &save); tok && n < MAX_FIELDS;
	     tok = strtok_r(NULL, " ", &save))
		f[n++] = tok;
	return n;
}

static uint64_t num(const char *s, int base, int *bad)
{
	char *end;
	uint64_t v = strtoull(s, &end, base);

	if (*end || !*s)
		*bad = 1;
	return v;
}

/* Parses one line; returns -1 when a known record is malformed. */
static int decode_line(struct mr_meta *m, char **f, int n, const char *file, bool *warned)
{
	int bad = 0;

#define NEED(k) do { if (n < (k)) return -1; } while (0)
	if (!strcmp(f[0], "memrec")) {
		NEED(2); set_str(&m->memrec_version, f[1]);
	} else if (!strcmp(f[0], "uname")) {
		NEED(2); set_str(&m->uname, f[1]);
	} else if (!strcmp(f[0], "clock")) {
		NEED(2); set_str(&m->clock, f[1]);
	} else if (!strcmp(f[0], "command")) {
		NEED(2); set_str(&m->command, f[1]);
	} else if (!strcmp(f[0], "stop_reason")) {
		NEED(2); set_str(&m->stop_reason, f[1]);
	} else if (!strcmp(f[0], "groups")) {
		NEED(2); set_str(&m->groups, f[1]);
	} else if (!strcmp(f[0], "flight_mb")) {
		NEED(2); m->flight_mb = num(f[1], 10, &bad);
	} else if (!strcmp(f[0], "system_wide")) {
		NEED(2); m->system_wide = (int)num(f[1], 10, &bad);
	} else if (!strcmp(f[0], "memcg")) {
		char *path;

		NEED(6);
		path = unescape(f[5]);
		mr_meta_add_memcg(m, num(f[1], 10, &bad), (int)num(f[2], 10, &bad),
				  path, strtoll(f[3], NULL, 10), strtoll(f[4], NULL, 10));
		free(path);
	} else if (!strcmp(f[0], "uprobes")) {
		NEED(2); set_str(&m->uprobes, f[1]);
	} else if (!strcmp(f[0], "perf_refused")) {
		NEED(2); set_str(&m->perf_refused, f[1]);
	} else if (!strcmp(f[0], "samples")) {
		NEED(3);
		m->samples = num(f[1], 10, &bad);
		m->samples_lost = num(f[2], 10, &bad);
	} else if (!strcmp(f[0], "time")) {
		NEED(4);
		m->start_ts = num(f[1], 10, &bad);
		m->stop_ts = num(f[2], 10, &bad);
		m->start_epoch_ns = num(f[3], 10, &bad);
	} else if (!strcmp(f[0], "buffer_kb")) {
		NEED(2); m->buffer_kb = num(f[1], 10, &bad);
	} else if (!strcmp(f[0], "free_null_unseen")) {
		NEED(2); m->free_null_unseen = (int)num(f[1], 10, &bad);
	} else if (!strcmp(f[0], "truncated")) {
		NEED(2); m->truncated_bytes = num(f[1], 10, &bad);
	} else if (!strcmp(f[0], "perf_lost")) {
		NEED(2); m->perf_lost = num(f[1], 10, &bad);
	} else if (!strcmp(f[0], "target")) {
		char *cmd;

		NEED(3);
		cmd = unescape(f[2]);
		mr_meta_add_target(m, (int)num(f[1], 10, &bad), cmd);
		free(cmd);
	} else if (!strcmp(f[0], "cpu")) {
		struct mr_meta_cpu *c;

		NEED(7);
		m->cpus = mr_xrealloc(m->cpus, (m->nr_cpus + 1) * sizeof(*m->cpus));
		c = &m->cpus[m->nr_cpus++];
		c->cpu = (int)num(f[1], 10, &bad);
		c->entries = num(f[2], 10, &bad);
		c->overrun = num(f[3], 10, &bad);
		c->commit_overrun = num(f[4], 10, &bad);
		c->dropped = num(f[5], 10, &bad);
		c->read = num(f[6], 10, &bad);
	} else if (!strcmp(f[0], "map")) {
		char *bid, *path;

		NEED(8);
		bid = checked_build_id(f[6], file, warned);
		path = unescape(f[7]);
		mr_meta_add_map(m, num(f[1], 10, &bad), (int)num(f[2], 10, &bad),
				num(f[3], 16, &bad), num(f[4], 16, &bad), num(f[5], 16, &bad),
				bid, path);
		free(bid);
		free(path);
	} else if (!strcmp(f[0], "buildid")) {
		char *bid, *path;

		NEED(3);
		bid = checked_build_id(f[1], file, warned);
		path = unescape(f[2]);
		if (*bid)
			mr_meta_add_buildid(m, bid, path);
		free(bid);
		free(path);
	} else if (!strcmp(f[0], "settle")) {
		NEED(6);
		m->settle_ms = num(f[1], 10, &bad);
		m->settle_waited_ns = num(f[2], 10, &bad);
		m->settle_reaped = (int)num(f[3], 10, &bad);
		m->settle_targets_gone = (int)num(f[4], 10, &bad);
		set_str(&m->settle_rcu, f[5]);
	} else if (!strcmp(f[0], "slab")) {
		char *name;

		NEED(3);
		name = unescape(f[1]);
		mr_meta_add_slab(m, name, (unsigned int)num(f[2], 10, &bad));
		free(name);
	} else if (!strcmp(f[0], "lsan")) {
		char *path, *text;

		NEED(3);
		path = unescape(f[1]);
		text = unescape(f[2]);
		mr_meta_add_lsan(m, path, text);
		free(path);
		free(text);
	}
#undef NEED
	return bad ? -1 : 0;
}

int mr_meta_decode(struct mr_meta *m, const char *data, size_t len, const char *file)
{
	char *text, *line, *save;
	char *f[MAX_FIELDS];
	int n, lineno = 0, ret = 0;
	bool warned = false;

	mr_meta_init(m);
	text = mr_xmalloc(len + 1);
	memcpy(text, data, len);
	text[len] = '\0';
	if (memchr(text, '\0', len) || sscanf(text, "memrec-meta %d", &m->version) != 1) {
		free(text);
		return mr_error("'%s' has corrupt memrec metadata", file);
	}
	if (m->version > MR_META_VERSION) {
		free(text);
		return mr_error("'%s' was written by a newer memrec (metadata version %d, this "
				"memrec reads up to %d); upgrade memrec to read it", file,
				m->version, MR_META_VERSION);
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!lineno++)
			continue;
		n = split(line, f);
		if (n && decode_line(m, f, n, file, &warned) < 0) {
			ret = mr_error("'%s' has corrupt memrec metadata (line %d)", file, lineno);
			break;
		}
	}
	free(text);
	return ret;
}

bool mr_meta_has_group(const struct mr_meta *m, const char *name)
{
	size_t n = strlen(name);

	for (const char *g = m->groups; g && *g; g += strcspn(g, ",") + (g[strcspn(g, ",")] == ',')) {
		if (!strncmp(g, name, n) && (g[n] == ',' || !g[n]))
			return true;
	}
	return false;
}
