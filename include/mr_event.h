/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mr_event.h - the one decoded form of a trace record that every analyser
 * sees. The reader (report/input/reader.c) turns each raw record into a
 * struct mr_event exactly once; pairing and analysers never look at raw
 * records.
 */
#ifndef MR_EVENT_H
#define MR_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The allocator entry points memrec probes. The order is the probe
 * table's order (record/probes.c) and the names are the uprobe event names
 * (entry "NAME", return "NAME_ret").
 */
enum mr_fn {
	MR_FN_MALLOC,
	MR_FN_CALLOC,
	MR_FN_REALLOC,
	MR_FN_REALLOCARRAY,
	MR_FN_FREE,
	MR_FN_POSIX_MEMALIGN,
	MR_FN_ALIGNED_ALLOC,	/* aligned_alloc and memalign share code */
	MR_FN_VALLOC,
	MR_FN_PVALLOC,
	MR_FN_MEMALIGN_INT,	/* glibc's internal _mid_memalign: gives posix_memalign's pointer */
	MR_FN_STRDUP,
	MR_FN_STRNDUP,
	MR_FN_NEW,		/* operator new and its variants */
	MR_FN_NEW_ARRAY,	/* operator new[] and its variants */
	MR_FN_DLOPEN,		/* not an allocator, return only: a module path and bias; pairing ignores it */
	/* the mapping syscalls (record -e mappings): MR_EV_MAP_ENTER/EXIT, no probe */
	MR_FN_MMAP,
	MR_FN_MUNMAP,
	MR_FN_MREMAP,
	MR_FN_BRK,
	MR_FN_NR,
};

enum mr_ev_kind {
	MR_EV_ENTER,		/* allocator entry: fn, args[] */
	MR_EV_RETURN,		/* allocator return: fn, ret */
	MR_EV_TASK_NEW,		/* tid created child_tid with clone_flags */
	MR_EV_EXEC,		/* tid exec'd; a fresh address space */
	MR_EV_EXIT,		/* tid exited; group_dead when the whole process is gone */
	MR_EV_LOST,		/* the ring buffer dropped 'lost' events on 'cpu' here */
	/* memory pressure and OOM (record -e oom); fields as named in the union below */
	MR_EV_RSS,		/* kmem:rss_stat: fields {member (0 file, 1 anon, 2 swap,
				 * 3 shmem), size in bytes (absolute), mm_id, curr} */
	MR_EV_OOM_VICTIM,	/* oom:mark_victim, in the task that triggered the kill:
				 * fields {victim pid, total_vm kB, anon_rss kB, file_rss kB,
				 * shmem_rss kB, oom_score_adj}; comm = the victim's */
	MR_EV_OOM_OTHER,	/* other oom:* events: name; oom_other.pid: the pid it names */
	MR_EV_RECLAIM_BEGIN,	/* vmscan direct or memcg reclaim: fields {memcg 0/1, order} */
	MR_EV_RECLAIM_END,	/* fields {memcg 0/1, pages reclaimed} */
	MR_EV_COMPACT_BEGIN,	/* compaction:mm_compaction_try_to_compact_pages or
				 * mm_compaction_begin: fields {order (-1: unknown), prio} */
	MR_EV_COMPACT_END,	/* compaction:mm_compaction_end: fields {status} */
	MR_EV_KSWAPD,		/* vmscan kswapd wake/sleep: fields {1 wake, 0 sleep, node} */
	MR_EV_SIGNAL,		/* signal:signal_generate: fields {sig, target pid, result};
				 * comm = the target's */
	/* kernel slab and page events (record -e kernel,page); kstack set on allocs;
	 * the fields {...} lists give the order of the union's raw[] */
	MR_EV_SLAB_ALLOC,	/* kmem:kmalloc, kmem_cache_alloc: fields {ptr, bytes_req,
				 * bytes_alloc, gfp_flags, call_site, node}; cache (the
				 * cache's name; NULL for kmalloc) */
	MR_EV_SLAB_FREE,	/* kmem:kfree, kmem_cache_free: fields {ptr, call_site}; cache */
	MR_EV_PAGE_ALLOC,	/* kmem:mm_page_alloc: fields {pfn (-1: failed), order,
				 * gfp_flags, migratetype} */
	MR_EV_PAGE_FREE,	/* kmem:mm_page_free(_batched): fields {pfn, order} */
	MR_EV_EXTFRAG,		/* kmem:mm_page_alloc_extfrag: fields {pfn, alloc_order,
				 * fallback_order, alloc_migratetype, fallback_migratetype,
				 * change_ownership} */
	/* vmalloc and per-CPU (record -e kernel); kstack set on allocs */
	MR_EV_VMAP_ALLOC,	/* vmalloc:alloc_vmap_area: fields {addr, size (guard page
				 * included), failed, align} */
	MR_EV_VMAP_FREE,	/* vmalloc:free_vmap_area_noflush: fields {addr, nr_lazy,
				 * nr_lazy_max} (pages waiting for a purge, and the limit) */
	MR_EV_VMAP_PURGE,	/* vmalloc:purge_vmap_area_lazy: fields {start, end, npurged} */
	MR_EV_PCPU_ALLOC,	/* percpu:percpu_alloc_percpu: fields {ptr, size, bytes_alloc
				 * (every CPU's copy and memcg's share), gfp_flags, call_site} */
	MR_EV_PCPU_FREE,	/* percpu:percpu_free_percpu: fields {ptr} */
	/* the targets' mapping syscalls (record -e mappings); fn says which; the user
	 * stack set on both (a kstack record without frames comes first) */
	MR_EV_MAP_ENTER,	/* syscalls:sys_enter_*: fields {args in order: mmap addr, len,
				 * prot, flags, fd, off; munmap addr, len; mremap addr, old_len,
				 * new_len, flags, new_addr; brk brk} */
	MR_EV_MAP_EXIT,		/* syscalls:sys_exit_*: fields {ret} */
};

#define MR_MAX_STACK	128

struct mr_event {
	uint64_t	ts;		/* ns, trace clock */
	enum mr_ev_kind	kind;
	enum mr_fn	fn;
	int		cpu;
	int		tid;		/* common_pid */
	int		tgid;		/* from the user_stack record; 0 when unknown */
	/*
	 * ENTER: the call's arguments in order (malloc: size; calloc: n, size;
	 * realloc: ptr, size; reallocarray: ptr, n, size; free: ptr;
	 * posix_memalign: memptr, align, size; aligned_alloc: align, size;
	 * valloc/pvalloc: size; strdup: src; strndup: src, n; new: size;
	 * dlopen: none).
	 * RETURN of dlopen: args[0] is the load bias (link_map l_addr).
	 */
	uint64_t	args[3];
	uint64_t	ret;		/* RETURN: the return value */
	/*
	 * ENTER: the return address at [sp] (the direct caller);
	 * RETURN: the return address in the caller (__probe_ret_ip).
	 */
	uint64_t	caller;
	uint64_t	func;		/* runtime address of the probed function */
	/* The user stack recorded with this event, innermost first. */
	const uint64_t	*stack;
	int		nr_stack;
	/* --call-graph dwarf: registers and stack copy to unwind (nr_stack is 0) */
	const uint64_t	*uregs;
	const void	*ustack_copy;
	size_t		ustack_len;
	/* TASK_NEW */
	int		child_tid;
	uint64_t	clone_flags;
	/* EXIT: 1 when the whole process is gone; -1 from a kernel that does not
	 * say (6.1), which mr_ctx_feed resolves before the analysers see it */
	int		group_dead;
	/* EXEC: the new image (tid is the pid after exec, args[0] the old tid);
	 * RETURN of dlopen: the module path (args[0] the load bias). */
	const char	*path;
	/* LOST */
	uint64_t	lost;
	/* The task's command name when the record carries one (TASK_NEW, EXIT). */
	const char	*comm;
	/* Kernel memory events: the event's name and fields (see enum mr_ev_kind). */
	const char	*name;
	union {
		int64_t	raw[6];		/* the reader fills these in its table's order */
		struct { int64_t member, bytes, mm_id, curr; } rss;
		struct { int64_t pid, total_vm_kb, anon_kb, file_kb, shmem_kb,
				 oom_score_adj; } victim;
		struct { int64_t pid; } oom_other;
		struct { int64_t memcg, order_or_pages; } reclaim;	/* BEGIN: order; END: pages */
		struct { int64_t order, prio; } compact_begin;
		struct { int64_t status; } compact_end;
		struct { int64_t wake, node; } kswapd;
		struct { int64_t sig, pid, result; } signal;
		struct { int64_t ptr, bytes_req, bytes_alloc, gfp_flags, call_site,
				 node; } slab_alloc;
		struct { int64_t ptr, call_site; } slab_free;
		struct { int64_t pfn, order, gfp_flags, migratetype; } page_alloc;
		struct { int64_t pfn, order; } page_free;
		struct { int64_t pfn, alloc_order, fallback_order, alloc_mt, fallback_mt,
				 change_ownership; } extfrag;
		struct { int64_t addr, size, failed, align; } vmap_alloc;
		struct { int64_t addr, nr_lazy, nr_lazy_max; } vmap_free;
		struct { int64_t start, end, npurged; } vmap_purge;
		struct { int64_t ptr, size, bytes_alloc, gfp_flags, call_site; } pcpu_alloc;
		struct { int64_t ptr; } pcpu_free;
		struct { int64_t addr, len, prot, flags, fd, off; } mmap;
		struct { int64_t addr, old_len, new_len, flags, new_addr; } mremap;
	};
	const char	*cache;		/* SLAB_*: the slab cache's name, or NULL */
	const char	*gfp;		/* *_ALLOC: gfp_flags as the kernel prints them */
	bool		irq;		/* in interrupt context (hard, soft or NMI) */
	/* MAP_ENTER: made by glibc's allocator itself, as its stack shows (context.c) */
	bool		in_allocator;
	/* The kernel stack of an allocation, innermost first. */
	const uint64_t	*kstack;
	int		nr_kstack;
};

const char *mr_fn_name(enum mr_fn fn);

/*
 * The probe table (lib/probedefs.c): which library symbol gets which uprobe
 * event and fetch arguments. The recorder creates events from it and the
 * reader maps event names back to enum mr_fn with it.
 */
/* C: glibc's (or a static program's) functions; CXX: libstdc++'s; ALLOC: another allocator's */
enum mr_lib { MR_LIB_C, MR_LIB_CXX, MR_LIB_ALLOC, MR_LIB_NR };

struct mr_probe_def {
	const char	*sym;		/* symbol in the library; NULL: found another way */
	const char	*name;		/* entry event name; the return event is NAME_ret */
	enum mr_fn	fn;
	enum mr_lib	lib;
	const char	*entry_args;	/* NULL: no entry probe */
	const char	*ret_args;	/* NULL: no return probe */
};

extern const struct mr_probe_def mr_probe_defs[];
extern const int mr_nr_probe_defs;

/* The common fields of an event format, as the kernel writes them, and a blank line. */
#define MR_FORMAT_COMMON_FIELDS						\
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n" \
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n" \
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n" \
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"	\
	"\n"

/*
 * memrec/ustack: the user call chain of the record before it on the same
 * CPU (same task), written by memrec from perf samples (record/samples.c):
 * deeper than ftrace's 8-frame user_stack. Its id is above any the kernel
 * gives (common_type is 16 bits; kernel ids stay far below).
 */
#define MR_USTACK_ID		65000
#define MR_USTACK_FORMAT						\
	"name: ustack\n"						\
	"ID: 65000\n"							\
	"format:\n"							\
	MR_FORMAT_COMMON_FIELDS						\
	"\tfield:int tgid;\toffset:8;\tsize:4;\tsigned:1;\n"		\
	"\tfield:int nr;\toffset:12;\tsize:4;\tsigned:1;\n"		\
	"\tfield:__data_loc unsigned long[] caller;\toffset:16;\tsize:4;\tsigned:0;\n" \
	"\n"								\
	"print fmt: \"tgid=%d nr=%d\", REC->tgid, REC->nr\n"

/*
 * memrec/ustack_def: a call chain written once, the first time a record
 * uses it (the preload path's returns), on the same CPU's pages before
 * that record; the records name it by id. ustack's layout, id for nr.
 */
#define MR_USTACK_DEF_ID	65003
#define MR_USTACK_DEF_FORMAT						\
	"name: ustack_def\n"						\
	"ID: 65003\n"							\
	"format:\n"							\
	MR_FORMAT_COMMON_FIELDS						\
	"\tfield:int tgid;\toffset:8;\tsize:4;\tsigned:1;\n"		\
	"\tfield:unsigned int id;\toffset:12;\tsize:4;\tsigned:0;\n"	\
	"\tfield:__data_loc unsigned long[] caller;\toffset:16;\tsize:4;\tsigned:0;\n" \
	"\n"								\
	"print fmt: \"tgid=%d id=%u\", REC->tgid, REC->id\n"

/*
 * memrec/uregs: for --call-graph dwarf, the user registers (x86_64: rbx, rbp,
 * rsp, rip, r12-r15, in that order, as enum mr_ureg) and a copy of the top of
 * the user stack, unwound at report time with the modules' CFI. It must fit a
 * 4096-byte ring-buffer page with its headers: MR_UREGS_MAX_STACK bytes.
 */
#define MR_UREGS_ID		65001
#define MR_UREGS_NR		8
#define MR_UREGS_DATA		88	/* offset of the stack bytes */
#define MR_UREGS_MAX_STACK	3968
#define MR_UREGS_FORMAT							\
	"name: uregs\n"							\
	"ID: 65001\n"							\
	"format:\n"							\
	MR_FORMAT_COMMON_FIELDS						\
	"\tfield:int tgid;\toffset:8;\tsize:4;\tsigned:1;\n"		\
	"\tfield:int abi;\toffset:12;\tsize:4;\tsigned:1;\n"		\
	"\tfield:unsigned long regs[8];\toffset:16;\tsize:64;\tsigned:0;\n" \
	"\tfield:__data_loc unsigned char[] stack;\toffset:80;\tsize:4;\tsigned:0;\n" \
	"\n"								\
	"print fmt: \"tgid=%d sp=0x%lx ip=0x%lx\", REC->tgid, REC->regs[2], REC->regs[3]\n"

/*
 * memrec/kstack: the kernel call chain of the kernel allocation event before
 * it on the same CPU, from perf samples (record/samples.c), followed by
 * 'more' memrec records of the same sample (ustack, uregs).
 */
#define MR_KSTACK_ID		65002
#define MR_KSTACK_FORMAT						\
	"name: kstack\n"						\
	"ID: 65002\n"							\
	"format:\n"							\
	MR_FORMAT_COMMON_FIELDS						\
	"\tfield:int tgid;\toffset:8;\tsize:4;\tsigned:1;\n"		\
	"\tfield:int more;\toffset:12;\tsize:4;\tsigned:1;\n"		\
	"\tfield:__data_loc unsigned long[] caller;\toffset:16;\tsize:4;\tsigned:0;\n" \
	"\n"								\
	"print fmt: \"tgid=%d more=%d\", REC->tgid, REC->more\n"

/* Maps a uprobe event name to its function; -1 if it is not memrec's. */
int mr_fn_by_event(const char *name, int *is_ret);
#endif
