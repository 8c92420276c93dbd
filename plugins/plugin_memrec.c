// SPDX-License-Identifier: GPL-2.0
/*
 * plugin_memrec.c - a libtraceevent plugin that owns how memrec's uprobe
 * events read in `trace-cmd report` and KernelShark: entry events as calls
 * ("calloc(10, 20) caller=0x..."), return events as results
 * ("malloc_ret = 0x..."). It knows the event and field names of the probe
 * table in lib/probedefs.c (keep the two in step) and nothing else of memrec,
 * so it builds from this file alone.
 *
 * How handlers find the events: the probe group is memrec_<recorder pid>, so
 * the system name differs in every file and cannot be registered. In
 * libtraceevent (1.7.1, unchanged up to 1.8.x) tep_register_event_handler()
 * with a NULL system attaches the handler to the first event of that name;
 * libtracecmd (3.1.6, tracecmd_alloc_fd) loads plugins before it parses the
 * file's event formats, so the handler is kept pending and given to the
 * first event parsed with that name, whatever its system. A memrec file has
 * one memrec_ group, so each event gets its handler. An event of the same
 * name from another system would take it instead; the handlers check the
 * system and print such an event the default way.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <traceevent/event-parse.h>
#include <traceevent/trace-seq.h>

#define MR_SYS_PREFIX	"memrec_"
#define MR_MAX_ARGS	3

/* Handler result that makes libtraceevent print the event's own format. */
#define MR_NOT_HANDLED	1

struct mr_show_arg {
	const char	*field;
	bool		ptr;		/* an address: print in hex */
};

/* How one allocator's events are shown; args are fields in call order. */
struct mr_show {
	const char		*name;
	struct mr_show_arg	args[MR_MAX_ARGS];
	unsigned int		flags;
};

enum {
	MR_SHOW_NAMED	= 1 << 0,	/* "align=64, size=256": sizes easily confused */
	MR_SHOW_STATUS	= 1 << 1,	/* returns an errno value, not a pointer */
	MR_SHOW_NO_RET	= 1 << 2,	/* no return probe */
};

#define P(f)	{ f, true }
#define N(f)	{ f, false }

static const struct mr_show mr_shows[] = {
	{ "malloc",		{ N("size") } },
	{ "calloc",		{ N("n"), N("size") } },
	{ "realloc",		{ P("ptr"), N("size") } },
	{ "reallocarray",	{ P("ptr"), N("n"), N("size") } },
	{ "free",		{ P("ptr") },				MR_SHOW_NO_RET },
	{ "posix_memalign",	{ P("memptr"), N("align"), N("size") },
				MR_SHOW_NAMED | MR_SHOW_STATUS },
	{ "aligned_alloc",	{ N("align"), N("size") },		MR_SHOW_NAMED },
	{ "memalign",		{ N("align"), N("size") },		MR_SHOW_NAMED },
	{ "memalign_int",	{ N("align"), N("size") },		MR_SHOW_NAMED },
	{ "valloc",		{ N("size") } },
	{ "pvalloc",		{ N("size") } },
	{ "strdup",		{ P("src") } },
	{ "strndup",		{ P("src"), N("n") } },
	{ "new",		{ N("size") } },
	{ "new_nt",		{ N("size") } },
	{ "new_al",		{ N("size") } },
	{ "new_al_nt",		{ N("size") } },
	{ "new_array",		{ N("size") } },
	{ "new_array_nt",	{ N("size") } },
	{ "new_array_al",	{ N("size") } },
	{ "new_array_al_nt",	{ N("size") } },
};

#define MR_NR_SHOWS	(sizeof(mr_shows) / sizeof(mr_shows[0]))

static bool mr_is_ours(const struct tep_event *event)
{
	return event->system && !strncmp(event->system, MR_SYS_PREFIX, strlen(MR_SYS_PREFIX));
}

/* Reads every argument first, so a missing field leaves @s untouched. */
static int mr_read_args(const struct mr_show *show, struct tep_event *event,
			struct tep_record *record, unsigned long long *vals)
{
	int i;

	for (i = 0; i < MR_MAX_ARGS && show->args[i].field; i++)
		if (tep_get_field_val(NULL, event, show->args[i].field, record, &vals[i], 0))
			return -1;
	return i;
}

static void mr_print_arg(struct trace_seq *s, const struct mr_show *show, int i,
			 unsigned long long val)
{
	const struct mr_show_arg *arg = &show->args[i];

	if (i)
		trace_seq_puts(s, ", ");
	if (show->flags & MR_SHOW_NAMED)
		trace_seq_printf(s, "%s=", arg->field);
	trace_seq_printf(s, arg->ptr ? "0x%llx" : "%llu", val);
}

static int mr_entry_handler(struct trace_seq *s, struct tep_record *record,
			    struct tep_event *event, void *context)
{
	const struct mr_show *show = context;
	unsigned long long vals[MR_MAX_ARGS];
	unsigned long long caller;
	int nr, i;

	if (!mr_is_ours(event))
		return MR_NOT_HANDLED;
	nr = mr_read_args(show, event, record, vals);
	if (nr < 0)
		return MR_NOT_HANDLED;

	trace_seq_printf(s, "%s(", event->name);
	for (i = 0; i < nr; i++)
		mr_print_arg(s, show, i, vals[i]);
	trace_seq_putc(s, ')');
	if (!tep_get_field_val(NULL, event, "caller", record, &caller, 0))
		trace_seq_printf(s, " caller=0x%llx", caller);
	return 0;
}

static int mr_ret_handler(struct trace_seq *s, struct tep_record *record,
			  struct tep_event *event, void *context)
{
	const struct mr_show *show = context;
	unsigned long long ret;

	if (!mr_is_ours(event))
		return MR_NOT_HANDLED;
	if (tep_get_field_val(NULL, event, "ret", record, &ret, 0))
		return MR_NOT_HANDLED;

	if (show->flags & MR_SHOW_STATUS)
		trace_seq_printf(s, "%s = %d", event->name, (int)ret);
	else
		trace_seq_printf(s, "%s = 0x%llx", event->name, ret);
	return 0;
}

static void mr_ret_name(char *buf, size_t size, const struct mr_show *show)
{
	snprintf(buf, size, "%s_ret", show->name);
}

int TEP_PLUGIN_LOADER(struct tep_handle *tep)
{
	const struct mr_show *show;
	char name[64];

	for (show = mr_shows; show < mr_shows + MR_NR_SHOWS; show++) {
		tep_register_event_handler(tep, -1, NULL, show->name,
					   mr_entry_handler, (void *)show);
		if (show->flags & MR_SHOW_NO_RET)
			continue;
		mr_ret_name(name, sizeof(name), show);
		tep_register_event_handler(tep, -1, NULL, name, mr_ret_handler, (void *)show);
	}
	return 0;
}

int TEP_PLUGIN_UNLOADER(struct tep_handle *tep)
{
	const struct mr_show *show;
	char name[64];

	for (show = mr_shows; show < mr_shows + MR_NR_SHOWS; show++) {
		tep_unregister_event_handler(tep, -1, NULL, show->name,
					     mr_entry_handler, (void *)show);
		if (show->flags & MR_SHOW_NO_RET)
			continue;
		mr_ret_name(name, sizeof(name), show);
		tep_unregister_event_handler(tep, -1, NULL, name, mr_ret_handler, (void *)show);
	}
	return 0;
}
