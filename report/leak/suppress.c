// SPDX-License-Identifier: GPL-2.0
/*
 * suppress.c - leak rows that are not leaks. Built in: what the C and C++
 * runtimes allocate once and keep for the life of the process (heaptrack
 * and LeakSanitizer hide the same): stdio buffers, thread TLS and DTV,
 * ld.so's own allocations (start-up, dlopen), tzset's zone data, and
 * libstdc++'s emergency exception pool, allocated at its start-up with no
 * frame of the program on the stack, and what memrec's preload library
 * maps in the program to unwind (libunwind's caches). Then the user's
 * patterns, in LeakSanitizer's "leak:PATTERN" form.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include "memrec.h"
#include "mr_preload.h"
#include "leak/suppress.h"

enum field { FIELD_FUNCTION, FIELD_MODULE, FIELD_ANY };

struct rule {
	char			*pattern;	/* an fnmatch pattern */
	enum field		field;
	bool			frame0;		/* only the allocator's direct caller */
	bool			runtime_only;	/* and no frame outside the runtime's modules */
	enum mr_supp_kind	kind;
};

struct mr_suppressions {
	struct rule	*rules;
	size_t		nr, alloc;
};

static const struct rule builtin[] = {
	{ "_IO_file_doallocate", FIELD_FUNCTION, false, false, MR_SUPP_RUNTIME },
	{ "_dl_allocate_tls*", FIELD_FUNCTION, false, false, MR_SUPP_RUNTIME },
	{ "allocate_dtv*", FIELD_FUNCTION, false, false, MR_SUPP_RUNTIME },
	{ "_dl_resize_dtv", FIELD_FUNCTION, false, false, MR_SUPP_RUNTIME },
	{ "__tzfile_read", FIELD_FUNCTION, false, false, MR_SUPP_RUNTIME },
	{ "tzset_internal", FIELD_FUNCTION, false, false, MR_SUPP_RUNTIME },
	{ "*/ld-linux*", FIELD_MODULE, true, false, MR_SUPP_RUNTIME },
	{ "*/libstdc++.so*", FIELD_MODULE, true, true, MR_SUPP_RUNTIME },
};

/* The modules of the runtime: a stack only in these never reached the program. */
static const char *const runtime_modules[] = {
	"*/ld-linux*", "*/libc.so*", "*/libstdc++.so*", "*/libgcc_s.so*",
};

static void add(struct mr_suppressions *s, const struct rule *r)
{
	MR_ALLOC_GROW(s->rules, s->nr, s->alloc);
	s->rules[s->nr] = *r;
	s->rules[s->nr++].pattern = mr_xstrdup(r->pattern);
}

/* LeakSanitizer's pattern: a substring, unless ^ or $ anchors an end. */
static char *lsan_pattern(const char *p)
{
	size_t n = strlen(p);
	bool head = p[0] == '^', tail = n > (size_t)head && p[n - 1] == '$';

	return mr_xasprintf("%s%.*s%s", head ? "" : "*", (int)(n - head - tail), p + head,
			    tail ? "" : "*");
}

/* Lines of the other sanitizers' suppression types, which say nothing of leaks. */
static bool other_sanitizer(const char *p)
{
	static const char *const types[] = {
		"called_from_lib:", "interceptor_via_fun:", "interceptor_via_lib:", "odr_violation:",
		"race:", "race_top:", "thread:", "mutex:", "signal:", "deadlock:", "vptr_check:",
	};

	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (!strncmp(p, types[i], strlen(types[i])))
			return true;
	return false;
}

/* Adds one line's rule; -1 for an empty pattern, which the caller reports. */
static int add_line(struct mr_suppressions *s, char *line, enum mr_supp_kind kind)
{
	struct rule r = { .field = FIELD_ANY, .kind = kind };
	char *p = line + strspn(line, " \t");

	p[strcspn(p, "#\r\n")] = '\0';
	for (char *e = p + strlen(p); e > p && (e[-1] == ' ' || e[-1] == '\t');)
		*--e = '\0';
	if (!*p)
		return 0;
	if (!strncmp(p, "leak:", 5))
		p += 5;
	else if (other_sanitizer(p))
		return 0;	/* a file shared with the other sanitizers */
	if (!*p)
		return -1;
	r.pattern = lsan_pattern(p);
	add(s, &r);
	free(r.pattern);
	return 0;
}

void mr_supp_add_text(struct mr_suppressions *s, const char *text, const char *origin,
		      enum mr_supp_kind kind)
{
	char *copy = mr_xstrdup(text), *next;
	int lineno = 0;

	for (char *line = copy; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		if (add_line(s, line, kind) < 0) {
			char *q = mr_quote_ctl(origin);

			mr_warning("the suppressions of '%s' line %d: an empty pattern, skipped", q,
				   lineno);
			free(q);
		}
	}
	free(copy);
}

static int load_file(struct mr_suppressions *s, const char *file)
{
	FILE *f = fopen(file, "re");
	char line[4096];
	int lineno = 0, ret = 0;

	if (!f)
		return mr_error_errno("cannot read the suppressions '%s'", file);
	while (!ret && fgets(line, sizeof(line), f))
		if (++lineno, add_line(s, line, MR_SUPP_FILE) < 0)
			ret = mr_error("'%s' line %d: an empty pattern", file, lineno);
	if (!ret && ferror(f))
		ret = mr_error_errno("cannot read the suppressions '%s'", file);
	fclose(f);
	return ret;
}

struct mr_suppressions *mr_supp_load(const char *file, bool with_builtin)
{
	struct mr_suppressions *s = mr_xcalloc(1, sizeof(*s));

	for (size_t i = 0; with_builtin && i < ARRAY_SIZE(builtin); i++)
		add(s, &builtin[i]);
	if (file && load_file(s, file) < 0) {
		mr_supp_free(s);
		return NULL;
	}
	return s;
}

static bool glob(const char *pattern, const char *s)
{
	return s && !fnmatch(pattern, s, 0);
}

static bool in_runtime(const struct mr_frame *fr)
{
	for (size_t i = 0; i < ARRAY_SIZE(runtime_modules); i++)
		if (glob(runtime_modules[i], fr->module))
			return true;
	return false;
}

static bool frame_matches(const struct rule *r, const struct mr_frame *fr)
{
	if (r->field != FIELD_MODULE && glob(r->pattern, fr->function))
		return true;
	if (r->field != FIELD_FUNCTION && glob(r->pattern, fr->module))
		return true;
	return r->field == FIELD_ANY && glob(r->pattern, fr->file);
}

static bool rule_matches(const struct rule *r, const struct mr_frame *frames, int nr)
{
	bool hit = false;

	for (int i = 0; i < (r->frame0 ? 1 : nr) && !hit; i++)
		hit = frame_matches(r, &frames[i]);
	for (int i = 0; hit && r->runtime_only && i < nr; i++)
		hit = in_runtime(&frames[i]);
	return hit;
}

/*
 * What memrec's preload library maps in the program to unwind: libunwind
 * called by it, its frames libunwind's (and libc's) up to the library's.
 * (A frame of the library further down, under a signal frame, is a
 * handler's call that interrupted a hook: the program's own.)
 */
static bool memrec_own(const struct mr_frame *frames, int nr)
{
	int i = 0;

	if (!glob("*/libunwind.so*", frames[0].module))
		return false;
	/* libunwind's set-up runs under pthread_once, in libc */
	while (i < nr && (glob("*/libunwind.so*", frames[i].module) ||
			  glob("*/libc.so*", frames[i].module)))
		i++;
	return i < nr && glob("*/" MR_PL_LIB_NAME, frames[i].module);
}

int mr_supp_match(const struct mr_suppressions *s, const struct mr_frame *frames, int nr)
{
	if (s && nr > 0 && memrec_own(frames, nr))
		return MR_SUPP_RUNTIME;
	for (size_t i = 0; s && nr > 0 && i < s->nr; i++)
		if (rule_matches(&s->rules[i], frames, nr))
			return s->rules[i].kind;
	return -1;
}

void mr_supp_free(struct mr_suppressions *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nr; i++)
		free(s->rules[i].pattern);
	free(s->rules);
	free(s);
}
