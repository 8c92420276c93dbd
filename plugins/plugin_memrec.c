// SPDX-License-Identifier: GPL-2.0
/*
 * plugin_memrec.c - a libtraceevent plugin that owns how memrec's uprobe
 * events read in `trace-cmd report` and KernelShark: entry events as calls
 * ("calloc(10, 20) caller=0x..."), return events as results
 * ("malloc_ret = 0x..."), and the stacks of memrec's perf samples
 * (memrec/kstack, memrec/ustack) frame by frame. Everything it shows of the
 * probes comes from memrec's probe
 * table (lib/probedefs.c, built into the plugin): the argument names and
 * whether each is an address (fetched as x64) or a number (u64).
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
#include <stdlib.h>
#include <string.h>
#include <traceevent/event-parse.h>
#include <traceevent/trace-seq.h>
#include "memrec.h"
#include "mr_event.h"

#define MR_MAX_ARGS	3
/* Handler result that makes libtraceevent print the event's own format. */
#define MR_NOT_HANDLED	1

/* How one probe's events are shown, parsed from its fetch arguments. */
struct mr_show {
	const struct mr_probe_def	*def;
	char				args[MR_MAX_ARGS][16];
	bool				hex[MR_MAX_ARGS];
	int				nr;
	bool				named;	/* "align=64, size=256": easily confused */
	char				ret_name[64];
};

/*
 * One per probe table row, passed to the handlers as their context.
 * File-scope because libtraceevent gives a plugin no place of its own: the
 * table is filled once, the same for every tep that loads the plugin, and
 * unloading needs the very pointers that were registered.
 */
static struct mr_show mr_shows[64];
static int mr_nr_shows;

static bool mr_is_ours(const struct tep_event *event)
{
	return event->system && !strncmp(event->system, "memrec_", 7);
}

/* "size=%di:u64 caller=$stack0:x64" -> size (decimal); caller is shown apart */
static void mr_parse_args(struct mr_show *show)
{
	const char *p = show->def->entry_args;

	while (p && *p && show->nr < MR_MAX_ARGS) {
		const char *eq = strchr(p, '='), *end = strchr(p, ' ');
		const char *type;

		if (!eq)
			break;
		if (!end)
			end = p + strlen(p);
		type = memchr(eq, ':', end - eq);
		if (strncmp(p, "caller=", 7)) {
			snprintf(show->args[show->nr], sizeof(show->args[0]), "%.*s",
				 (int)(eq - p), p);
			show->hex[show->nr] = type && type[1] == 'x';
			show->named |= !strcmp(show->args[show->nr], "align");
			show->nr++;
		}
		p = *end ? end + 1 : end;
	}
}

static int mr_entry_handler(struct trace_seq *s, struct tep_record *record,
			    struct tep_event *event, void *context)
{
	const struct mr_show *show = context;
	unsigned long long vals[MR_MAX_ARGS], caller;
	int i;

	if (!mr_is_ours(event))
		return MR_NOT_HANDLED;
	/* read every argument first, so a missing field leaves @s untouched */
	for (i = 0; i < show->nr; i++)
		if (tep_get_field_val(NULL, event, show->args[i], record, &vals[i], 0))
			return MR_NOT_HANDLED;
	trace_seq_printf(s, "%s(", event->name);
	for (i = 0; i < show->nr; i++) {
		if (i)
			trace_seq_puts(s, ", ");
		if (show->named)
			trace_seq_printf(s, "%s=", show->args[i]);
		trace_seq_printf(s, show->hex[i] ? "0x%llx" : "%llu", vals[i]);
	}
	trace_seq_putc(s, ')');
	if (!tep_get_field_val(NULL, event, "caller", record, &caller, 0))
		trace_seq_printf(s, " caller=0x%llx", caller);
	return 0;
}

static int mr_ret_handler(struct trace_seq *s, struct tep_record *record,
			  struct tep_event *event, void *context)
{
	const struct mr_show *show = context;
	unsigned long long ret, stack;

	if (!mr_is_ours(event) || tep_get_field_val(NULL, event, "ret", record, &ret, 0))
		return MR_NOT_HANDLED;
	/* posix_memalign returns an errno value, every other one a pointer */
	if (show->def->fn == MR_FN_POSIX_MEMALIGN)
		trace_seq_printf(s, "%s = %d", event->name, (int)ret);
	else
		trace_seq_printf(s, "%s = 0x%llx", event->name, ret);
	/* the preload path's: the memrec/ustack_def printed as <user stack N> */
	if (tep_find_field(event, "stack") &&
	    !tep_get_field_val(NULL, event, "stack", record, &stack, 0))
		trace_seq_printf(s, " stack=%llu", stack);
	return 0;
}

/* mr_stack_handler's context for memrec/ustack_def */
#define MR_STACK_DEF	((void *)2)

/*
 * memrec/kstack and memrec/ustack (the stacks of perf samples), and
 * memrec/ustack_def (a preload chain the returns after it name by id): one
 * "=> " line per frame, as ftrace prints its own stacks; kernel frames by
 * name from the file's kallsyms. context: NULL for user stacks, 1 for
 * kernel ones, MR_STACK_DEF.
 */
static int mr_stack_handler(struct trace_seq *s, struct tep_record *record,
			    struct tep_event *event, void *context)
{
	struct tep_format_field *f = tep_find_field(event, "caller");
	unsigned long long loc;
	unsigned int off, len;

	if (!f || f->offset + 4 > record->size ||
	    tep_read_number_field(f, record->data, &loc))
		return MR_NOT_HANDLED;
	off = loc & 0xffff;
	len = loc >> 16;
	if (off + len > (unsigned int)record->size)
		return MR_NOT_HANDLED;
	if (context == MR_STACK_DEF) {
		struct tep_format_field *id = tep_find_field(event, "id");
		unsigned long long v = 0;

		if (id && id->offset + id->size <= record->size)
			tep_read_number_field(id, record->data, &v);
		trace_seq_printf(s, "<user stack %llu>", v);
		context = NULL;
	} else {
		trace_seq_printf(s, "<%s stack>", context ? "kernel" : "user");
	}
	for (unsigned int i = 0; i + 8 <= len; i += 8) {
		unsigned long long a;
		const char *fn;

		memcpy(&a, (char *)record->data + off + i, 8);
		fn = context ? tep_find_function(event->tep, a) : NULL;
		if (fn)
			trace_seq_printf(s, "\n => %s+0x%llx", fn,
					 a - tep_find_function_address(event->tep, a));
		else
			trace_seq_printf(s, "\n => 0x%llx", a);
	}
	return 0;
}

static void mr_register(struct tep_handle *tep, struct mr_show *show, bool reg)
{
	const struct mr_probe_def *d = show->def;

	if (reg) {
		if (d->entry_args)
			tep_register_event_handler(tep, -1, NULL, d->name, mr_entry_handler, show);
		if (d->ret_args)
			tep_register_event_handler(tep, -1, NULL, show->ret_name, mr_ret_handler,
						   show);
		return;
	}
	if (d->entry_args)
		tep_unregister_event_handler(tep, -1, NULL, d->name, mr_entry_handler, show);
	if (d->ret_args)
		tep_unregister_event_handler(tep, -1, NULL, show->ret_name, mr_ret_handler, show);
}

static void mr_build_shows(void)
{
	for (int i = 0; i < mr_nr_probe_defs && i < (int)ARRAY_SIZE(mr_shows); i++) {
		struct mr_show *show = &mr_shows[i];

		show->def = &mr_probe_defs[i];
		snprintf(show->ret_name, sizeof(show->ret_name), "%s_ret", show->def->name);
		mr_parse_args(show);
	}
	mr_nr_shows = mr_nr_probe_defs < (int)ARRAY_SIZE(mr_shows) ? mr_nr_probe_defs
								   : (int)ARRAY_SIZE(mr_shows);
}

int TEP_PLUGIN_LOADER(struct tep_handle *tep)
{
	tep_register_event_handler(tep, -1, "memrec", "kstack", mr_stack_handler, (void *)1);
	tep_register_event_handler(tep, -1, "memrec", "ustack", mr_stack_handler, NULL);
	tep_register_event_handler(tep, -1, "memrec", "ustack_def", mr_stack_handler, MR_STACK_DEF);
	if (!mr_nr_shows)
		mr_build_shows();
	for (int i = 0; i < mr_nr_shows; i++)
		mr_register(tep, &mr_shows[i], true);
	return 0;
}

int TEP_PLUGIN_UNLOADER(struct tep_handle *tep)
{
	tep_unregister_event_handler(tep, -1, "memrec", "kstack", mr_stack_handler, (void *)1);
	tep_unregister_event_handler(tep, -1, "memrec", "ustack", mr_stack_handler, NULL);
	tep_unregister_event_handler(tep, -1, "memrec", "ustack_def", mr_stack_handler,
				     MR_STACK_DEF);
	for (int i = 0; i < mr_nr_shows; i++)
		mr_register(tep, &mr_shows[i], false);
	return 0;
}
