// SPDX-License-Identifier: GPL-2.0
/*
 * unwind.c - owns DWARF-CFI unwinding of the user stack snapshots that
 * `record --call-graph dwarf` stores (registers and the top of the stack),
 * for programs built without frame pointers.
 *
 * libdwfl's unwinder does the work in an address space of our making: one
 * Dwfl per set of modules a process had mapped, each module reported at its
 * runtime address from the file symbols.c found for it, and whose only
 * readable memory is the snapshot of the sample being unwound. Building one
 * opens every module, so they are cached: a sample's (pid, mapping
 * generation) leads to a module set, and processes that see the same set
 * (forked workers) share its Dwfl.
 */
#include <elfutils/libdwfl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "memrec.h"
#include "mr_buildid.h"
#include "mr_symbols.h"
#include "model/symbols_int.h"

/* Each space holds a descriptor and a mapping per module: keep a few. */
#define MAX_SPACES	32
/* (pid, generation) to module set; a miss only recomputes the set. */
#define NR_KEYS		1024

/* DWARF register numbers of x86_64 (System V psABI). */
#define DWARF_RBX	3
#define DWARF_RBP	6	/* rsp follows as 7 */
#define DWARF_R12	12	/* r12..r15 are 12..15 */

/* One unwind in progress: what the callbacks read and fill. */
struct uw_req {
	const uint64_t	*regs;
	const uint8_t	*stack;
	size_t		len;
	uint64_t	sp;
	Dwfl		*dwfl;
	uint64_t	*frames;
	int		max;
	int		nr;
	int		tid;
};

/* One Dwfl for one module set. */
struct space {
	Dwfl		*dwfl;
	struct uw_req	*req;		/* the unwind in progress, for the callbacks */
	uint64_t	sig;		/* hash of the module set */
	uint64_t	used;		/* clock at its last use, for eviction */
	bool		attached;	/* has modules and thread state */
};

struct key {
	uint64_t	gen;
	uint64_t	sig;
	int		pid;
	bool		valid;
};

struct unwinder {
	struct key	keys[NR_KEYS];
	struct space	*spaces[MAX_SPACES];
	int		nr_spaces;
	uint64_t	clock;
};

static uint64_t mix(uint64_t h, uint64_t x)
{
	/* splitmix64's finaliser over the running hash */
	h ^= x + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

/* ---- the thread state libdwfl unwinds: one thread, the sampled one ---- */

static pid_t next_thread(Dwfl *dwfl, void *dwfl_arg, void **thread_argp)
{
	struct space *sp = dwfl_arg;

	if (*thread_argp)
		return 0;
	*thread_argp = sp->req;
	return sp->req->tid;
}

/* Whatever tid is asked for is the sample's: a space serves many pids. */
static bool get_thread(Dwfl *dwfl, pid_t tid, void *dwfl_arg, void **thread_argp)
{
	*thread_argp = ((struct space *)dwfl_arg)->req;
	return true;
}

/*
 * The snapshot is all the memory there is: the process is gone, and reading
 * anything else would make up frames.
 */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *dwfl_arg)
{
	const struct uw_req *r = ((struct space *)dwfl_arg)->req;
	uint64_t off = addr - r->sp;

	if (addr < r->sp || off > r->len || r->len - off < sizeof(*result))
		return false;
	memcpy(result, r->stack + off, sizeof(*result));
	return true;
}

/* Only the callee-saved registers, rsp and rip were recorded; the rest stay undefined. */
static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	const struct uw_req *r = thread_arg;
	const uint64_t *g = r->regs;
	Dwarf_Word bx = g[MR_UREG_BX], bp_sp[2] = { g[MR_UREG_BP], g[MR_UREG_SP] };
	Dwarf_Word r12_15[4] = { g[MR_UREG_R12], g[MR_UREG_R13], g[MR_UREG_R14], g[MR_UREG_R15] };

	if (!dwfl_thread_state_registers(thread, DWARF_RBX, 1, &bx) ||
	    !dwfl_thread_state_registers(thread, DWARF_RBP, 2, bp_sp) ||
	    !dwfl_thread_state_registers(thread, DWARF_R12, 4, r12_15))
		return false;
	dwfl_thread_state_register_pc(thread, g[MR_UREG_IP]);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

/* ---- spaces ---- */

static void free_space(struct space *sp)
{
	if (sp->dwfl)
		dwfl_end(sp->dwfl);
	free(sp);
}

/*
 * add_p_vaddr makes libdwfl take base as the bias itself, so the module
 * lands where the process had it whatever its first PT_LOAD's address.
 */
static struct space *build_space(struct mr_symbols *s, const struct mr_sym_module *mods, int n,
				 uint64_t sig, int pid)
{
	struct space *sp = mr_xcalloc(1, sizeof(*sp));
	int i, reported = 0;

	sp->sig = sig;
	sp->dwfl = n ? dwfl_begin(mr_symbols_dwfl_callbacks(s)) : NULL;
	if (!sp->dwfl)
		return sp;
	dwfl_report_begin(sp->dwfl);
	for (i = 0; i < n; i++) {
		/* found by the symboliser, but it may have been swapped since */
		int fd = mr_open_regular(mods[i].file);

		if (fd >= 0 && dwfl_report_elf(sp->dwfl, mods[i].name, mods[i].file, fd,
					       mods[i].bias, true)) {
			reported++;
			continue;
		}
		if (fd >= 0)
			close(fd);
		mr_info(2, "unwind: cannot use '%s' for '%s': %s", mods[i].file, mods[i].name,
			fd >= 0 ? dwfl_errmsg(-1) : "not a regular file here");
	}
	dwfl_report_end(sp->dwfl, NULL, NULL);
	/* with no Elf given, libdwfl takes the architecture from the modules */
	sp->attached = reported && dwfl_attach_state(sp->dwfl, NULL, pid, &thread_callbacks, sp);
	return sp;
}

static struct space *find_space(struct unwinder *u, uint64_t sig)
{
	int i;

	for (i = 0; i < u->nr_spaces; i++)
		if (u->spaces[i]->sig == sig)
			return u->spaces[i];
	return NULL;
}

/* Makes room by dropping the least recently used space. */
static void add_space(struct unwinder *u, struct space *sp)
{
	int i, lru = 0;

	if (u->nr_spaces < MAX_SPACES) {
		u->spaces[u->nr_spaces++] = sp;
		return;
	}
	for (i = 1; i < u->nr_spaces; i++)
		if (u->spaces[i]->used < u->spaces[lru]->used)
			lru = i;
	free_space(u->spaces[lru]);
	u->spaces[lru] = sp;
}

static uint64_t modules_sig(const struct mr_sym_module *mods, int n)
{
	uint64_t h = 0;
	int i;

	/* the strings live as long as s, one copy each: their addresses name them */
	for (i = 0; i < n; i++) {
		h = mix(h, (uintptr_t)mods[i].name);
		h = mix(h, (uintptr_t)mods[i].file);
		h = mix(h, mods[i].bias);
	}
	return mix(h, n);
}

static struct space *space_for_modules(struct mr_symbols *s, struct unwinder *u, int pid,
				       uint64_t ts, uint64_t *sig)
{
	struct mr_sym_module *mods;
	int n = mr_symbols_modules(s, pid, ts, &mods);
	struct space *sp;

	*sig = modules_sig(mods, n);
	sp = find_space(u, *sig);
	if (!sp) {
		sp = build_space(s, mods, n, *sig, pid);
		add_space(u, sp);
	}
	free(mods);
	return sp;
}

static void free_unwinder(void *p)
{
	struct unwinder *u = p;
	int i;

	for (i = 0; i < u->nr_spaces; i++)
		free_space(u->spaces[i]);
	free(u);
}

static struct unwinder *get_unwinder(struct mr_symbols *s)
{
	struct unwinder *u = mr_symbols_ext(s);

	if (!u) {
		u = mr_xcalloc(1, sizeof(*u));
		mr_symbols_set_ext(s, u, free_unwinder);
	}
	return u;
}

/* The space for what pid had mapped at ts; most samples hit the key cache. */
static struct space *get_space(struct mr_symbols *s, int pid, uint64_t ts)
{
	struct unwinder *u = get_unwinder(s);
	uint64_t gen = mr_symbols_generation(s, pid, ts);
	struct key *k = &u->keys[mix(gen, (uint32_t)pid) & (NR_KEYS - 1)];
	struct space *sp = NULL;

	if (k->valid && k->pid == pid && k->gen == gen)
		sp = find_space(u, k->sig);
	if (!sp) {
		sp = space_for_modules(s, u, pid, ts, &k->sig);
		k->pid = pid;
		k->gen = gen;
		k->valid = true;
	}
	sp->used = ++u->clock;
	return sp;
}

/* ---- unwinding ---- */

/*
 * Every frame after the first is a return address to the rest of memrec,
 * which looks up the call before it. A later frame that is an activation
 * (interrupted by a signal) has its exact pc, so it is stored one past it.
 * Past a pc in no module there is no CFI, and libdwfl's frame-pointer
 * fallback would only make frames up from rbp in such code.
 */
static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct uw_req *r = arg;
	bool activation;
	Dwarf_Addr pc;

	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	r->frames[r->nr] = r->nr && activation ? pc + 1 : pc;
	r->nr++;
	if (r->nr >= r->max || !dwfl_addrmodule(r->dwfl, activation ? pc : pc - 1))
		return DWARF_CB_ABORT;
	return DWARF_CB_OK;
}

int mr_symbols_unwind(struct mr_symbols *s, int pid, uint64_t ts, const uint64_t *regs,
		      const void *stack, size_t stack_len, uint64_t *frames, int max)
{
	struct uw_req r = {
		regs, stack, stack ? stack_len : 0, regs[MR_UREG_SP], NULL, frames, max, 0, pid,
	};
	struct space *sp;

	if (max < 1)
		return 0;
	frames[0] = regs[MR_UREG_IP];
	sp = get_space(s, pid, ts);
	if (!sp->attached)
		return 1;
	r.dwfl = sp->dwfl;
	sp->req = &r;
	/* a failure is the end of the snapshot or of the CFI: keep what came before */
	dwfl_getthread_frames(sp->dwfl, pid, frame_cb, &r);
	sp->req = NULL;
	return r.nr ? r.nr : 1;
}
