// SPDX-License-Identifier: GPL-2.0
/*
 * events.c - which tracefs events each `-e` group records, besides the
 * allocator uprobes: the task lifecycle always, and for "oom" the road to
 * an OOM kill (RSS by kind, reclaim and compaction stalls, kswapd, the OOM
 * killer's own events and the SIGKILL it sends), for "kernel" the slab,
 * vmalloc and per-CPU allocations and frees, for "page" the page
 * allocator's and for "mappings" the targets' mmap, munmap, mremap and brk
 * syscalls. Events this
 * kernel lacks are left out with a note.
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

/*
 * The OOM killer's own events run in whichever task declared the OOM (any
 * task of the memory cgroup, not only a target) and in the oom reaper: for
 * targets they are recorded from every task (mr_event_is_hostwide).
 */
static const char *const oom_killer_events[] = {
	"oom/mark_victim", "oom/wake_reaper", "oom/start_task_reaping",
	"oom/finish_task_reaping", "oom/skip_task_reaping", "signal/signal_generate",
};

static const char *const oom_events[] = {
	"kmem/rss_stat", "oom/reclaim_retry_zone", "oom/compact_retry",
	"vmscan/mm_vmscan_direct_reclaim_begin", "vmscan/mm_vmscan_direct_reclaim_end",
	"vmscan/mm_vmscan_memcg_reclaim_begin", "vmscan/mm_vmscan_memcg_reclaim_end",
	"vmscan/mm_vmscan_kswapd_wake", "vmscan/mm_vmscan_kswapd_sleep",
	"compaction/mm_compaction_try_to_compact_pages", "compaction/mm_compaction_begin",
	"compaction/mm_compaction_end",
};

/*
 * Allocations get stacks; frees are recorded from every task (RCU,
 * kworkers). vmalloc areas are mostly freed lazily: free_vmap_area_noflush
 * ends their use (the area is no leak), purge_vmap_area_lazy gives their
 * address space back later, often in a kworker.
 */
static const char *const kernel_events[] = {
	"kmem/kmalloc", "kmem/kmem_cache_alloc", "kmem/kfree", "kmem/kmem_cache_free",
	"vmalloc/alloc_vmap_area", "vmalloc/free_vmap_area_noflush",
	"vmalloc/purge_vmap_area_lazy", "percpu/percpu_alloc_percpu", "percpu/percpu_free_percpu",
};

static const char *const kernel_frees[] = {
	"kmem/kfree", "kmem/kmem_cache_free", "kmem/mm_page_free", "kmem/mm_page_free_batched",
	"vmalloc/free_vmap_area_noflush", "vmalloc/purge_vmap_area_lazy",
	"percpu/percpu_free_percpu",
};

static const char *const page_events[] = {
	"kmem/mm_page_alloc", "kmem/mm_page_alloc_extfrag", "kmem/mm_page_free",
	"kmem/mm_page_free_batched",
};

/*
 * The targets' own mappings: the syscalls, so that direct syscalls and
 * every libc wrapper count; perf samples of the targets with user stacks.
 */
static const char *const mapping_events[] = {
	"syscalls/sys_enter_mmap", "syscalls/sys_exit_mmap", "syscalls/sys_enter_munmap",
	"syscalls/sys_exit_munmap", "syscalls/sys_enter_mremap", "syscalls/sys_exit_mremap",
	"syscalls/sys_enter_brk", "syscalls/sys_exit_brk",
};

static const struct {
	const char	*name;
	unsigned int	bit;
} group_names[] = {
	{ "user", MR_GROUP_USER }, { "oom", MR_GROUP_OOM }, { "kernel", MR_GROUP_KERNEL },
	{ "page", MR_GROUP_PAGE }, { "mappings", MR_GROUP_MAPPINGS },
};

static bool in_list(const char *sysev, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(sysev, list[i]))
			return true;
	return false;
}

bool mr_event_is_mapping(const char *sysev)
{
	return in_list(sysev, mapping_events, ARRAY_SIZE(mapping_events));
}

bool mr_event_is_kfree(const char *sysev)
{
	return in_list(sysev, kernel_frees, ARRAY_SIZE(kernel_frees));
}

bool mr_event_is_hostwide(const char *sysev)
{
	for (size_t i = 0; i < ARRAY_SIZE(oom_killer_events); i++)
		if (!strcmp(sysev, oom_killer_events[i]))
			return true;
	return mr_event_is_kfree(sysev);
}

bool mr_event_is_kmem(const char *sysev)
{
	return in_list(sysev, kernel_events, ARRAY_SIZE(kernel_events)) ||
	       in_list(sysev, page_events, ARRAY_SIZE(page_events));
}

char *mr_groups_string(unsigned int groups)
{
	struct mr_buf b = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(group_names); i++)
		if (groups & group_names[i].bit)
			mr_buf_addf(&b, "%s%s", b.len ? "," : "", group_names[i].name);
	return b.data ? b.data : mr_xstrdup("");
}

int mr_groups_parse(const char *list, unsigned int *groups)
{
	char *copy = mr_xstrdup(list), *tok, *save;
	int ret = 0;

	*groups = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !ret; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(group_names); i++)
			if (!strcmp(tok, group_names[i].name))
				break;
		if (i < ARRAY_SIZE(group_names))
			*groups |= group_names[i].bit;
		else
			ret = mr_usage_error("unknown event group '%s'; the groups are: user, oom, "
					     "kernel, page, mappings", tok);
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
				      ARRAY_SIZE(oom_events) + ARRAY_SIZE(oom_killer_events) +
				      ARRAY_SIZE(kernel_events) +
				      ARRAY_SIZE(page_events) + ARRAY_SIZE(mapping_events) + 1,
				      sizeof(*out));
	int n = 0;

	for (int i = 0; i < nr_probes; i++)
		out[n++] = probes[i];
	add_list(tdir, task_events, ARRAY_SIZE(task_events), out, &n);
	if (groups & MR_GROUP_OOM) {
		add_list(tdir, oom_events, ARRAY_SIZE(oom_events), out, &n);
		add_list(tdir, oom_killer_events, ARRAY_SIZE(oom_killer_events), out, &n);
	}
	if (groups & MR_GROUP_KERNEL)
		add_list(tdir, kernel_events, ARRAY_SIZE(kernel_events), out, &n);
	if (groups & MR_GROUP_PAGE)
		add_list(tdir, page_events, ARRAY_SIZE(page_events), out, &n);
	if (groups & MR_GROUP_MAPPINGS)
		add_list(tdir, mapping_events, ARRAY_SIZE(mapping_events), out, &n);
	return out;
}
