// SPDX-License-Identifier: GPL-2.0
/*
 * events.c - which tracefs events each `-e` group records, besides the
 * allocator uprobes: the task lifecycle always, and for "oom" the road to
 * an OOM kill (RSS by kind, reclaim and compaction stalls, kswapd, the OOM
 * killer's own events and the SIGKILL it sends). Events this kernel lacks
 * are left out with a note.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "memrec.h"
#include "record.h"

static const char *const task_events[] = {
	"sched/sched_process_exec", "sched/sched_process_exit", "task/task_newtask",
};

static const char *const oom_events[] = {
	"kmem/rss_stat",
	"oom/mark_victim", "oom/wake_reaper", "oom/start_task_reaping",
	"oom/finish_task_reaping", "oom/skip_task_reaping", "oom/reclaim_retry_zone",
	"oom/compact_retry",
	"vmscan/mm_vmscan_direct_reclaim_begin", "vmscan/mm_vmscan_direct_reclaim_end",
	"vmscan/mm_vmscan_memcg_reclaim_begin", "vmscan/mm_vmscan_memcg_reclaim_end",
	"vmscan/mm_vmscan_kswapd_wake", "vmscan/mm_vmscan_kswapd_sleep",
	"compaction/mm_compaction_try_to_compact_pages", "compaction/mm_compaction_begin",
	"compaction/mm_compaction_end",
	"signal/signal_generate",
};

int mr_groups_parse(const char *list, unsigned int *groups)
{
	char *copy = mr_xstrdup(list), *tok, *save;
	int ret = 0;

	*groups = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !ret; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "user"))
			*groups |= MR_GROUP_USER;
		else if (!strcmp(tok, "oom"))
			*groups |= MR_GROUP_OOM;
		else
			ret = mr_usage_error("unknown event group '%s'; the groups are: user, oom",
					     tok);
	}
	free(copy);
	return ret;
}

static bool exists(const char *tdir, const char *ev)
{
	char *path = mr_xasprintf("%s/events/%s/format", tdir, ev);
	bool ok = !access(path, R_OK);

	free(path);
	return ok;
}

static void add_list(const char *tdir, const char *const *list, size_t n, const char **out,
		     int *nr)
{
	for (size_t i = 0; i < n; i++) {
		if (exists(tdir, list[i]))
			out[(*nr)++] = list[i];
		else
			mr_info(0, "note: this kernel has no event '%s'; left out", list[i]);
	}
}

const char **mr_events_for(const char *tdir, unsigned int groups, const char *const *probes,
			   int nr_probes)
{
	const char **out = mr_xcalloc(nr_probes + ARRAY_SIZE(task_events) +
				      ARRAY_SIZE(oom_events) + 1, sizeof(*out));
	int n = 0;

	for (int i = 0; i < nr_probes; i++)
		out[n++] = probes[i];
	add_list(tdir, task_events, ARRAY_SIZE(task_events), out, &n);
	if (groups & MR_GROUP_OOM)
		add_list(tdir, oom_events, ARRAY_SIZE(oom_events), out, &n);
	return out;
}
