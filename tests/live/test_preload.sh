#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_preload.sh - `memrec record --preload`: the allocator calls recorded
# by libmemrec_preload.so inside the command must give the report the uprobe
# path gives.
#
# 1. The live leak programs, recorded on both paths: the same user sites
#    (allocator, bytes, blocks, sizes, every frame's function, offset,
#    module, file and line) and totals (compare_paths.py), nothing lost, and
#    the preload file says so (metadata "uprobes preload").
# 2. Hazards, on both paths, checked against their known leaks (summed by
#    frame-0 function and pid role): malloc in a signal handler, fork from
#    a thread while another mallocs, vfork + exec keeping the environment,
#    malloc from a constructor before main.
# 3. A static binary and a setuid one: --preload says it cannot preload,
#    records with the uprobes, exit 0.
# 4. -d stops the recording while the command still allocates: exit 0,
#    nothing lost.
# 5. --preload without a command is a usage error; so is --preload with an
#    option only the uprobes serve (--uprobes, --flight, --lib).
# 6. The default for -- COMMAND (no --preload): the preload path, announced,
#    also with --call-graph dwarf; --uprobes and --uprobes=perf take the
#    uprobes; a static program and one linking jemalloc are recorded with
#    the uprobes, with a note saying why.
# 7. --call-graph dwarf on the preload path (libunwind in the command): a
#    program built without frame pointers gets the same stacks as the
#    uprobe path's stack copies unwound by the report; a signal handler
#    that mallocs while a call unwinds neither hangs nor loses a record.
# 8. The rings' pages are allocated by the recorder, not by the command's
#    first writes: no shmem pages held by the target in the kernel report;
#    what the library itself opened in the command (the /proc objects of
#    its set-up) is memrec's overhead, not a row.
. "$(dirname "$0")/lib.sh"
live_init

P=$PROGS
COMPARE=$ROOT/tests/live/compare_paths.py
for p in sig_malloc thread_fork vfork_exec ctor_malloc static_leak; do
	[ -x "$P/$p" ] || { fail "preload/progs" "missing $P/$p; run make progs"; live_finish; }
done
if [ ! -r "$ROOT/libmemrec_preload.so" ]; then
	fail preload/library "no $ROOT/libmemrec_preload.so; run make"
	live_finish
fi

# both NAME CMD...: record CMD on both paths (with BOTH_ARGS), report each into JSON.
BOTH_ARGS=()
both() {
	local name=$1
	shift
	MEMREC_RECORD_FLAGS= run_record "$name/uprobes-record" "$OUT/$name.u.log" \
		--uprobes -e user "${BOTH_ARGS[@]}" -o "$OUT/$name.u.dat" -- "$@" || return 1
	MEMREC_RECORD_FLAGS= run_record "$name/preload-record" "$OUT/$name.p.log" \
		--preload -e user "${BOTH_ARGS[@]}" -o "$OUT/$name.p.dat" -- "$@" || return 1
	if grep -q '^memrec: recording .*(preload)$' "$OUT/$name.p.log"; then
		ok "$name/preload-announced"
	else
		fail "$name/preload-announced" "no \"(preload)\" on the recording line (log: $OUT/$name.p.log)"
	fi
	run_report "$name/uprobes-report" "$OUT/$name.u.dat" "$OUT/$name.u.json" || return 1
	run_report "$name/preload-report" "$OUT/$name.p.dat" "$OUT/$name.p.json" || return 1
}

# expect NAME JSON ROLE:FUNCTION:COUNT:BYTES...: the user leaks, summed by
# (target or child, frame-0 function), are exactly these.
expect() {
	local name=$1 json=$2
	shift 2
	python3 - "$json" "$@" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
targets = {t['pid'] for t in doc['targets']}
got = {}
for l in doc['leaks']:
    if l['side'] != 'user' or not l['stack']:
        continue
    k = ('target' if l['pid'] in targets else 'child', l['stack'][0].get('function'))
    c = got.setdefault(k, [0, 0])
    c[0] += l['count']
    c[1] += l['bytes']
want = {}
for w in sys.argv[2:]:
    role, fn, n, b = w.split(':')
    want[(role, fn)] = [int(n), int(b)]
mine = {k: v for k, v in got.items() if k[1] in {f for _, f in want}}
sys.exit(0 if mine == want and doc['lost_events']['total'] == 0 else
         print('got %s lost %d' % (mine, doc['lost_events']['total'])) or 1)
PY
	if [ $? -eq 0 ]; then
		ok "$name"
	else
		fail "$name" "leaks differ from $* ($json)"
	fi
}

# --- 1. the live leak programs: the same report on both paths
for prog in leak_fib leak_kinds fork_leak deep_leak dlopen_leak cross_thread; do
	both "$prog" "$P/$prog" || continue
	python3 "$COMPARE" "$OUT/$prog.u.json" "$OUT/$prog.p.json" --name "$prog"
	note_rc $?
done
if [ -f "$OUT/leak_kinds.p.dat" ]; then
	# memrec's metadata (plain text in the file) names the path
	if grep -aq '^uprobes preload$' "$OUT/leak_kinds.p.dat" &&
	   grep -aq '^uprobes perf$' "$OUT/leak_kinds.u.dat"; then
		ok leak_kinds/metadata-path
	else
		fail leak_kinds/metadata-path "the files' metadata do not say 'uprobes preload' / 'perf'"
	fi
fi

# --- 2. hazards
if both sig_malloc "$P/sig_malloc"; then
	for s in u p; do
		expect "sig_malloc/$s-handler-leaks" "$OUT/sig_malloc.$s.json" target:on_alarm:5:160
	done
fi
# A handler's malloc must never wait for the call it interrupted (glibc's
# first malloc held the arena lock while growing the heap; a handler's
# malloc then waited for it forever, about 1 run in 7 before the library set
# glibc up in its constructor): SIG_RUNS more recordings, each bounded by
# run_record's timeout only, stopping at the first that fails.
SIG_RUNS=${SIG_RUNS:-30}
n=0
while [ "$n" -lt "$SIG_RUNS" ]; do
	MEMREC_RECORD_FLAGS= run_record "sig_malloc/loop-$n" "$OUT/sig_malloc.loop.log" \
		--preload -e user -o "$OUT/sig_malloc.loop.dat" -- "$P/sig_malloc" >/dev/null || break
	n=$((n + 1))
done
if [ "$n" -eq "$SIG_RUNS" ]; then
	ok "sig_malloc/$SIG_RUNS-runs"
	run_report sig_malloc/loop-report "$OUT/sig_malloc.loop.dat" "$OUT/sig_malloc.loop.json" &&
		expect sig_malloc/loop-leaks "$OUT/sig_malloc.loop.json" target:on_alarm:5:160
else
	fail "sig_malloc/$SIG_RUNS-runs" "run $n of $SIG_RUNS failed (log: $OUT/sig_malloc.loop.log)"
fi
if both thread_fork "$P/thread_fork"; then
	for s in u p; do
		expect "thread_fork/$s-leaks" "$OUT/thread_fork.$s.json" \
			child:child_leak:3:231 target:parent_leak:2:110
	done
	python3 "$COMPARE" "$OUT/thread_fork.u.json" "$OUT/thread_fork.p.json" --name thread_fork
	note_rc $?
fi
if both vfork_exec "$P/vfork_exec"; then
	for s in u p; do
		expect "vfork_exec/$s-leaks" "$OUT/vfork_exec.$s.json" \
			child:child_leak:4:264 target:parent_leak:1:33
	done
	python3 "$COMPARE" "$OUT/vfork_exec.u.json" "$OUT/vfork_exec.p.json" --name vfork_exec
	note_rc $?
fi
if both ctor_malloc "$P/ctor_malloc"; then
	for s in u p; do
		expect "ctor_malloc/$s-leaks" "$OUT/ctor_malloc.$s.json" \
			target:early_leak:1:123 target:main_leak:1:45
	done
	python3 "$COMPARE" "$OUT/ctor_malloc.u.json" "$OUT/ctor_malloc.p.json" --name ctor_malloc
	note_rc $?
fi

# --- 3. a static binary falls back to the uprobes, and says so
if MEMREC_RECORD_FLAGS= run_record static/record "$OUT/static.log" --preload -e user \
	-o "$OUT/static.dat" -- "$P/static_leak"; then
	if grep -q "^memrec: warning: --preload: cannot preload into '.*static_leak': it is statically linked" \
		"$OUT/static.log"; then
		ok static/fallback-message
	else
		fail static/fallback-message "no fallback warning (log: $OUT/static.log)"
	fi
	if grep -q '(preload)' "$OUT/static.log"; then
		fail static/uprobe-path "recorded as preload (log: $OUT/static.log)"
	else
		ok static/uprobe-path
	fi
	grep -q '^done$' "$OUT/static.log.out" && ok static/target-ran ||
		fail static/target-ran "no output from the program"
fi

# a setuid copy of a dynamic program: the loader would ignore LD_PRELOAD
cp "$P/ctor_malloc" "$OUT/suid_prog" && chmod 4755 "$OUT/suid_prog"
if MEMREC_RECORD_FLAGS= run_record setuid/record "$OUT/suid.log" --preload -e user \
	-o "$OUT/suid.dat" -- "$OUT/suid_prog"; then
	if grep -q "^memrec: warning: --preload: cannot preload into '.*suid_prog': it is setuid" \
		"$OUT/suid.log" && ! grep -q '(preload)' "$OUT/suid.log"; then
		ok setuid/fallback
	else
		fail setuid/fallback "no fallback to the uprobes (log: $OUT/suid.log)"
	fi
	run_report setuid/report "$OUT/suid.dat" "$OUT/suid.json" &&
		expect setuid/uprobe-leaks "$OUT/suid.json" target:early_leak:1:123 target:main_leak:1:45
fi

# --- 4. stopped (-d) while the target still allocates: the writers stop
# waiting for a recorder that no longer reads; the file is complete.
if MEMREC_RECORD_FLAGS= run_record stop/record "$OUT/stop.log" --preload -e user -d 2 \
	-o "$OUT/stop.dat" -- "$P/churn" 100000000 &&
   run_report stop/report "$OUT/stop.dat" "$OUT/stop.json"; then
	check stop "$OUT/stop.json" --eq lost_events.total 0 --min allocs 1000 --eq failed_allocs 0
fi

# --- 5. usage
expect_error usage/preload-pid 2 "$MEMREC" record --preload -p $$
for opt in --uprobes --uprobes=perf --uprobes=ftrace --flight \
	"--lib /usr/lib/x86_64-linux-gnu/libc.so.6"; do
	w=${opt%% *}
	said=${w%%=*}
	# shellcheck disable=SC2086
	expect_error "usage/preload-and-$w" 2 "$MEMREC" record --preload $opt -e user \
		-o "$OUT/usage.dat" -- "$P/leak_fib"
	if grep -q "^memrec: usage: --preload .*: no $said with it$" \
		"$OUT/usage_preload-and-$w.err" 2>/dev/null; then
		ok "usage/preload-and-$w-says"
	else
		fail "usage/preload-and-$w-says" "no usage line naming $said"
	fi
done

# --- 6. the default path, and what takes the uprobes instead
# default NAME WANT(preload|uprobes) NOTE_REGEX|- ARGS...: record ARGS without
# MEMREC_RECORD_FLAGS; the path taken is WANT, and NOTE_REGEX is on stderr
# (- for no "note:" line at all).
default() {
	local name=$1 want=$2 note=$3 log=$OUT/default.$1.log
	shift 3
	MEMREC_RECORD_FLAGS= run_record "default/$name/record" "$log" -e user \
		-o "$OUT/default.$name.dat" "$@" || return 1
	[ "$(rec_path "$log")" = "$want" ] && ok "default/$name/$want-path" ||
		fail "default/$name/$want-path" "recorded on the $(rec_path "$log") path (log: $log)"
	if [ "$note" = - ]; then
		! grep -q '^memrec: note:' "$log" && ok "default/$name/no-note" ||
			fail "default/$name/no-note" "$(grep '^memrec: note:' "$log" | head -1)"
	else
		grep -qE "$note" "$log" && ok "default/$name/note" ||
			fail "default/$name/note" "no line matching '$note' (log: $log)"
	fi
}
default leak_fib preload - -- "$P/leak_fib"
default preload-flag preload - --preload -- "$P/leak_fib"
default uprobes uprobes - --uprobes -- "$P/leak_fib"
default uprobes-perf uprobes - --uprobes=perf -- "$P/leak_fib"
default dwarf preload - --call-graph dwarf -- "$P/leak_fib"
default static uprobes \
	"^memrec: note: cannot preload into '.*/static_leak': it is statically linked .*; recording it with the uprobes$" \
	-- "$P/static_leak"
default jemalloc uprobes \
	"^memrec: note: cannot preload into '.*/alloc_leak_je': it uses another allocator, '.*libjemalloc[^']*'; recording it with the uprobes$" \
	-- "$P/alloc_leak_je"
# --- 7. --call-graph dwarf: libunwind inside the command
BOTH_ARGS=(--call-graph dwarf)
for prog in deep_leak_nofp leak_fib; do
	both "dwarf-$prog" "$P/$prog" || continue
	python3 "$COMPARE" "$OUT/dwarf-$prog.u.json" "$OUT/dwarf-$prog.p.json" --name "dwarf-$prog"
	note_rc $?
done
# (test_perf checks the 41 deep frames of deep_leak_nofp on the default path)
# with the mappings recorded (default groups), libunwind's own mmaps in the
# program are left out: the user leaks are deep_leaf's 4242 bytes alone
if MEMREC_RECORD_FLAGS= run_record dwarf-maps/record "$OUT/dwarf-maps.log" --call-graph dwarf \
	-o "$OUT/dwarf-maps.dat" -- "$P/deep_leak_nofp" &&
   run_report dwarf-maps/report "$OUT/dwarf-maps.dat" "$OUT/dwarf-maps.json"; then
	expect dwarf-maps/leaks-are-the-programs "$OUT/dwarf-maps.json" target:deep_leaf:1:4242
	python3 - "$OUT/dwarf-maps.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
bad = [l for l in doc['leaks'] if any('libunwind' in (f.get('module') or '') for f in l['stack'])]
print('ok - dwarf-maps/no-libunwind-rows' if not bad else
      'not ok - dwarf-maps/no-libunwind-rows: %d rows, %d bytes' %
      (len(bad), sum(l['bytes'] for l in bad)))
sys.exit(1 if bad else 0)
PY
	note_rc $?
fi
if both dwarf-sig_malloc "$P/sig_malloc"; then
	for s in u p; do
		expect "dwarf-sig_malloc/$s-handler-leaks" "$OUT/dwarf-sig_malloc.$s.json" \
			target:on_alarm:5:160
	done
fi
n=0
while [ "$n" -lt "${SIG_DWARF_RUNS:-10}" ]; do
	MEMREC_RECORD_FLAGS= run_record "dwarf-sig_malloc/loop-$n" "$OUT/dwarf-sig.loop.log" \
		--call-graph dwarf -e user -o "$OUT/dwarf-sig.loop.dat" -- "$P/sig_malloc" \
		>/dev/null || break
	n=$((n + 1))
done
[ "$n" -eq "${SIG_DWARF_RUNS:-10}" ] && ok "dwarf-sig_malloc/$n-runs" ||
	fail "dwarf-sig_malloc/$n-runs" "run $n failed (log: $OUT/dwarf-sig.loop.log)"
BOTH_ARGS=()

# --- 8. the shared memory's pages are the recorder's: a ring the command
# faulted in first showed as about 1.3 MB of shmem pages the target held
if MEMREC_RECORD_FLAGS= run_record shm/record "$OUT/shm.log" -o "$OUT/shm.dat" -- \
	"$P/churn" 300000 && run_report shm/report "$OUT/shm.dat" "$OUT/shm.json"; then
	python3 - "$OUT/shm.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
targets = {t['pid'] for t in doc['targets']}
rows = [r for r in doc['kernel_leaks'] if r['pid'] in targets and
        any((f.get('function') or '').startswith('shmem_') for f in r['kernel_stack'])]
b = sum(r['bytes'] for r in rows)
print(('ok - shm/no-target-shmem-pages' if not rows else
       'not ok - shm/no-target-shmem-pages: %d bytes in %d rows of shmem pages held by the '
       'target' % (b, len(rows))))
# what the library opened (the shared memory's /proc path, /proc/self/maps) is
# memrec's overhead, not a row: its first frame in the library is no hook
hooks = {'malloc', 'calloc', 'realloc', 'free'}
def own(r):
    for f in r['stack']:
        if (f.get('module') or '').endswith('/libmemrec_preload.so'):
            return f.get('function') not in hooks
    return False
mine = [r for r in doc['kernel_leaks'] + doc['kernel_unconfirmed'] if own(r)]
print(('ok - shm/library-own-objects-are-overhead' if not mine and
       doc['kernel']['overhead_count'] >= 2 else
       'not ok - shm/library-own-objects-are-overhead: %d rows, overhead %d objects' %
       (len(mine), doc['kernel']['overhead_count'])))
sys.exit(1 if rows or mine or doc['kernel']['overhead_count'] < 2 else 0)
PY
	note_rc $?
fi

assert_no_state preload/no-state-left
live_finish
