#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_perf.sh - the per-target perf uprobes (`memrec record`'s default
# for -p, --uprobes=perf) against the old host-wide ftrace path
# (--uprobes=ftrace).
#  (a) deep_leak (a leak under a 41-call recursion) recorded with -- CMD:
#      the perf path (and the preload path, the default for a command)
#      gives the whole stack: frame 0 deep_leaf, exactly 41 consecutive
#      deep frames (n = 0..40), then main, then libc's start code (>= 43
#      frames); --uprobes=ftrace cuts it at 8 frames (deep_leaf and 7 deep,
#      no main) and warns that every process pays the probes
#  (b) spawner under record -p: the threads and the child it starts after
#      the attach are followed: thread_leak 6 x 111 and after_leak 1 x 333
#      in the target, child_leak 2 x 222 in the child's own pid; record
#      stops by itself when the target and its child have exited
#  (c) --stack-depth 5 keeps at most 5 frames; --stack-depth 0, abc and
#      --uprobes=bogus are usage errors (exit 2)
#  (d) a NON-target process does not hit memrec's probes on the default
#      path: churn run directly while memrec records a sleeper adds almost
#      nothing to the hit count of memrec's malloc probe in uprobe_profile
#      (and, as the control that shows the check can see hits, adds at
#      least one per iteration with --uprobes=ftrace)
# Expected leaks are documented atop tests/progs/deep_leak.c and spawner.c.
. "$(dirname "$0")/lib.sh"
live_init

P=$PROGS
SRC=$ROOT/tests/progs
for p in deep_leak spawner; do
	if [ ! -x "$P/$p" ]; then
		fail "perf/test-programs" "missing in tests/progs: $p; run make progs"
		exit 1
	fi
done

# Common expectations: nothing was lost, no allocation failed.
common=(--eq lost_events.total 0 --eq failed_allocs 0)

# Matches the warning of the host-wide path: every process that maps libc
# pays the uprobe trap.
HOSTWIDE_RE='every process|all processes|other processes|host-wide|host wide'

# record_prog NAME WANT_OUTPUT_REGEX RECORD_ARGS...: memrec record
# RECORD_ARGS (which end with -- CMD) with -o $OUT/NAME.dat, then report
# into $OUT/NAME.json. Returns non-zero (after saying why) when there is no
# report to check.
record_prog() {
	local name=$1 want=$2 log
	shift 2
	log=$OUT/$name.record.log
	run_record "$name/record" "$log" -o "$OUT/$name.dat" "$@" || return 1
	if grep -q '^memrec: recording' "$log"; then
		ok "$name/recording-line"
	else
		fail "$name/recording-line" "no \"memrec: recording\" line on stderr (log: $log)"
	fi
	if grep -qE "$want" "$log.out"; then
		ok "$name/target-ran"
	else
		fail "$name/target-ran" "target output does not match '$want' (output: $log.out)"
	fi
	run_report "$name/report" "$OUT/$name.dat" "$OUT/$name.json" || return 1
}

# check_stack NAME JSON FUNC0 KEY=VALUE...: the leak groups whose frame 0 is
# FUNC0 are exactly one, and its stack satisfies each KEY=VALUE (one ok/not
# ok line each, named NAME/stack-KEY):
#   len=N          exactly N frames          min=N / max=N  at least / at most N
#   run=F:N        frames 1.. start with exactly N consecutive frames of F
#   run_lines=A,B  the first frame of that run is at line A, the others at B
#   next=F         the frame right after the run is F
#   next_line=N    ... at line N
#   only=F         every frame after frame 0 is F
#   absent=F       no frame is F
check_stack() {
	local name=$1 json=$2 func0=$3
	shift 3
	python3 - "$json" "$name" "$func0" "$@" <<'EOF'
import json, sys

path, name, func0, specs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
bad = False

def emit(what, problem):
    global bad
    if problem is None:
        print("ok - %s/%s" % (name, what))
    else:
        print("not ok - %s/%s: %s" % (name, what, problem))
        bad = True

def fn(fr):
    f = fr.get("function")
    if f is None and isinstance(fr.get("symbol"), str):
        f = fr["symbol"].rsplit("+0x", 1)[0]
    if isinstance(f, str) and "(" in f:
        f = f[:f.index("(")]
    return f

def show(st, limit=12):
    names = ["%s:%s" % (fn(fr), fr.get("line")) for fr in st]
    if len(names) > limit:
        names = names[:limit // 2] + ["..."] + names[-limit // 2:]
    return "[%s]" % ", ".join(map(str, names))

try:
    doc = json.load(open(path))
    groups = [lk for lk in doc["leaks"] if lk["stack"] and fn(lk["stack"][0]) == func0]
except Exception as ex:
    emit("stack", "cannot read %s: %s" % (path, ex))
    sys.exit(1)
if len(groups) != 1:
    emit("stack-one-group", "%d groups with frame 0 %s, expected 1: %s" % (
        len(groups), func0, "; ".join(show(g["stack"]) for g in groups[:4])))
    for s in specs:
        emit("stack-" + s.split("=")[0], "no single %s group" % func0)
    sys.exit(1)
emit("stack-one-group", None)
st = groups[0]["stack"]
names = [fn(fr) for fr in st]
run_f, run_n = None, 0
for s in specs:
    key, val = s.split("=", 1)
    p = None
    if key == "len" and len(st) != int(val):
        p = "%d frames, expected %s: %s" % (len(st), val, show(st))
    elif key == "min" and len(st) < int(val):
        p = "%d frames, expected at least %s: %s" % (len(st), val, show(st))
    elif key == "max" and len(st) > int(val):
        p = "%d frames, expected at most %s: %s" % (len(st), val, show(st))
    elif key == "run":
        run_f, want = val.split(":")
        run_n = 0
        while 1 + run_n < len(st) and names[1 + run_n] == run_f:
            run_n += 1
        if run_n != int(want):
            p = "%d consecutive %s frames after frame 0, expected %s (%d frames: %s)" % (
                run_n, run_f, want, len(st), show(st))
    elif key == "run_lines":
        first, rest = (int(v) for v in val.split(","))
        lines = [st[1 + i].get("line") for i in range(run_n)]
        if not lines or lines[0] != first or any(l != rest for l in lines[1:]):
            p = "lines of the %s frames %s, expected %d then %d" % (
                run_f, lines, first, rest)
    elif key in ("next", "next_line"):
        i = 1 + run_n
        if i >= len(st):
            p = "no frame after the %d %s frames: %s" % (run_n, run_f, show(st))
        elif key == "next" and names[i] != val:
            p = "frame %d is %s, expected %s: %s" % (i, names[i], val, show(st))
        elif key == "next_line" and st[i].get("line") != int(val):
            p = "frame %d (%s) at line %s, expected %s" % (i, names[i],
                                                          st[i].get("line"), val)
    elif key == "only":
        other = [n for n in names[1:] if n != val]
        if other:
            p = "frames other than %s after frame 0: %s" % (val, show(st))
    elif key == "absent" and val in names:
        p = "%s is frame %d: %s" % (val, names.index(val), show(st))
    elif key not in ("len", "min", "max", "absent"):
        p = "check_stack: unknown key %r" % key
    emit("stack-" + key, p)
sys.exit(1 if bad else 0)
EOF
	note_rc $?
}

DL=$SRC/deep_leak.c
deep_leak_checks=(--target-cmd tests/progs/deep_leak
	--leak deep_leaf 1 4242 --fn malloc --sizes 4242 4242 --pid target
		--inherited false --module-suffix /tests/progs/deep_leak
		--file-suffix deep_leak.c --line "$(src_line "$DL" deep_leaf)"
	--module-total /tests/progs/deep_leak 1 4242)

# ------------------------------------------------------------------ (a)
# The perf path, and the preload path: the whole stack. deep(40)..deep(0)
# are DEPTH + 1 = 41 frames; deep(0) returns to its deep_leaf() call, the
# others to their deep() call; then main at its deep(40) call, then libc's
# start code.
for path in perf preload; do
	name=$path-deep
	flag=--uprobes=perf
	[ $path = preload ] && flag=--preload
	MEMREC_RECORD_FLAGS= record_prog $name '^done$' $flag -- "$P/deep_leak" || continue
	check $name "$OUT/$name.json" "${common[@]}" "${deep_leak_checks[@]}"
	check_stack $name "$OUT/$name.json" deep_leaf \
		min=43 run=deep:41 \
		run_lines="$(src_line "$DL" deep_call_leaf),$(src_line "$DL" deep_recurse)" \
		next=main next_line="$(src_line "$DL" main_call)"
	# The per-target paths have no host-wide cost to warn about.
	if grep -iqE "$HOSTWIDE_RE" "$OUT/$name.record.log"; then
		fail $name/no-host-wide-warning "the $path path warns of a host-wide cost: $(grep -iE "$HOSTWIDE_RE" "$OUT/$name.record.log" | head -1)"
	else
		ok $name/no-host-wide-warning
	fi
	[ "$(rec_path "$OUT/$name.record.log")" = "${path/perf/uprobes}" ] && ok $name/path ||
		fail $name/path "not recorded on the $path path (log: $OUT/$name.record.log)"
done

# The old path: ftrace's user stacks hold 8 entries: deep_leaf and 7 deep.
if record_prog ftrace-deep '^done$' --uprobes=ftrace -- "$P/deep_leak"; then
	check ftrace-deep "$OUT/ftrace-deep.json" "${common[@]}" "${deep_leak_checks[@]}"
	check_stack ftrace-deep "$OUT/ftrace-deep.json" deep_leaf \
		len=8 run=deep:7 absent=main
fi
if [ -f "$OUT/ftrace-deep.record.log" ]; then
	log=$OUT/ftrace-deep.record.log
	if grep -iq warning "$log" && grep -iqE "$HOSTWIDE_RE" "$log"; then
		ok ftrace-deep/host-wide-warning
	else
		fail ftrace-deep/host-wide-warning "no warning that every process pays the probes (log: $log)"
	fi
fi

# --call-graph dwarf: the same recursion built without frame pointers
# (tests/progs/deep_leak_nofp). Frame-pointer chains stop at once there;
# unwinding the copied stack with the CFI gives the full 41 deep frames.
NOFP_CHECKS=(--leak deep_leaf 1 4242 --fn malloc --pid target
	--file-suffix deep_leak.c --line "$(src_line "$DL" deep_leaf)")
if record_prog nofp-fp '^done$' -- "$P/deep_leak_nofp"; then
	check nofp-fp "$OUT/nofp-fp.json" "${common[@]}" "${NOFP_CHECKS[@]}"
	check_stack nofp-fp "$OUT/nofp-fp.json" deep_leaf max=3 absent=main
fi
if record_prog nofp-dwarf '^done$' --call-graph dwarf -- "$P/deep_leak_nofp"; then
	check nofp-dwarf "$OUT/nofp-dwarf.json" "${common[@]}" "${NOFP_CHECKS[@]}"
	check_stack nofp-dwarf "$OUT/nofp-dwarf.json" deep_leaf \
		min=43 run=deep:41 next=main next_line="$(src_line "$DL" main_call)"
fi
expect_error perf/usage-call-graph 2 \
	"$MEMREC" record -o "$OUT/usagecg.dat" --call-graph lbr -- "$P/deep_leak"
expect_error perf/usage-dwarf-ftrace 2 \
	"$MEMREC" record -o "$OUT/usagecg.dat" --uprobes=ftrace --call-graph dwarf -- "$P/deep_leak"

# ------------------------------------------------------------------ (c)
if record_prog depth5 '^done$' --stack-depth 5 -- "$P/deep_leak"; then
	check depth5 "$OUT/depth5.json" "${common[@]}" "${deep_leak_checks[@]}"
	check_stack depth5 "$OUT/depth5.json" deep_leaf min=2 max=5 only=deep
fi
expect_error perf/usage-stack-depth-0 2 \
	"$MEMREC" record -o "$OUT/usage0.dat" --stack-depth 0 -- "$P/deep_leak"
expect_error perf/usage-stack-depth-abc 2 \
	"$MEMREC" record -o "$OUT/usage-abc.dat" --stack-depth abc -- "$P/deep_leak"
expect_error perf/usage-uprobes-bogus 2 \
	"$MEMREC" record -o "$OUT/usage-bogus.dat" --uprobes=bogus -- "$P/deep_leak"

# ------------------------------------------------------------------ (b)
spawner_test() {
	local T=spawner log tpid trc cpid line S=$SRC/spawner.c
	start_target "$OUT/$T.target.out" "$P/spawner"
	tpid=$TGT_PID
	if ! wait_for_line "$OUT/$T.target.out" '^ready$' 10; then
		fail $T/target-ready "tests/progs/spawner did not print ready within 10 s (output: $OUT/$T.target.out)"
		stop_target
		return
	fi
	ok $T/target-ready

	log=$OUT/$T.record.log
	start_record_bg "$log" -o "$OUT/$T.dat" -p "$tpid"
	if ! wait_recording $T "$log"; then
		stop_target
		return
	fi

	# Threads, a child, a leak after both: all after the attach.
	kill -USR1 "$tpid"
	if wait_gone "$tpid" 10; then
		wait "$tpid"
		trc=$?
		if [ "$trc" -eq 0 ]; then
			ok $T/target-exit
		else
			fail $T/target-exit "target $(describe_rc $trc) (output: $OUT/$T.target.out)"
		fi
	else
		fail $T/target-exit "target still running 10 s after SIGUSR1"
		stop_target
	fi
	line=$(grep -E '^parent [0-9]+ child [0-9]+$' "$OUT/$T.target.out")
	cpid=${line##* }
	if [ -n "$line" ] && [ "${line#parent $tpid child }" = "$cpid" ]; then
		ok $T/child-pid
	else
		fail $T/child-pid "no \"parent $tpid child PID\" line (output: $OUT/$T.target.out)"
		cpid=0
	fi

	if wait_record_bg 30; then
		ok $T/record-stops-at-target-exit
	elif [ "$REC_RC" -eq 124 ]; then
		fail $T/record-stops-at-target-exit "memrec record -p still running 30 s after the target and its child exited; killed (log: $log)"
	else
		fail $T/record-stops-at-target-exit "memrec record -p $(describe_rc $REC_RC) (log: $log)"
	fi
	if grep -qE '^memrec: (error|fatal)' "$log"; then
		fail $T/record-no-error "memrec record printed an error (log: $log)"
	else
		ok $T/record-no-error
	fi
	if [ ! -s "$OUT/$T.dat" ]; then
		fail $T/report "no recorded file $OUT/$T.dat (log: $log)"
		return
	fi
	local m=(--fn malloc --inherited false --module-suffix /tests/progs/spawner
		--file-suffix spawner.c)
	if run_report $T/report "$OUT/$T.dat" "$OUT/$T.json"; then
		check $T "$OUT/$T.json" "${common[@]}" \
			--eq targets.0.pid "$tpid" --target-cmd tests/progs/spawner \
			--leak thread_leak 6 666 --pid "$tpid" --sizes 111 111 "${m[@]}" \
				--line "$(src_line "$S" thread_leak)" \
			--leak child_leak 2 444 --pid "$cpid" --sizes 222 222 "${m[@]}" \
				--line "$(src_line "$S" child_leak)" \
			--leak after_leak 1 333 --pid "$tpid" --sizes 333 333 "${m[@]}" \
				--line "$(src_line "$S" after_leak)" \
			--no-leak child_leak --pid "$tpid" \
			--no-leak after_leak --pid "$cpid" \
			--no-leak thread_leak --pid "$cpid" \
			--module-total /tests/progs/spawner 9 1443
	fi
	# The child's copy of the thread blocks: inherited at the fork.
	if run_report $T/report-inherited "$OUT/$T.dat" "$OUT/$T.inherited.json" --inherited; then
		check $T/inherited "$OUT/$T.inherited.json" \
			--leak thread_leak 6 666 --pid "$cpid" --inherited true \
			--leak thread_leak 6 666 --pid "$tpid" --inherited false
	fi
}
spawner_test

# ------------------------------------------------------------------ (d)
# probe_hits GROUP EVENT: the hit count of uprobe GROUP/EVENT. uprobe_profile
# names a probe by its event name only ("  FILE EVENT HITS"), not its group,
# but lists the uprobes in the order uprobe_events does (both walk the same
# list): the line of GROUP/EVENT in uprobe_events gives its line in
# uprobe_profile. Read under a stable uprobe_events (other tools may add or
# remove probes meanwhile). Prints nothing when the probe is not there.
probe_hits() {
	local group=$1 event=$2 try ev1 prof ev2
	for try in 1 2 3 4 5; do
		ev1=$(cat "$TRACEFS/uprobe_events")
		prof=$(cat "$TRACEFS/uprobe_profile")
		ev2=$(cat "$TRACEFS/uprobe_events")
		[ "$ev1" = "$ev2" ] || continue
		awk -v want="$group/$event" -v ev="$event" '
			NR == FNR { n = $1; sub(/^[pr][0-9]*:/, "", n); if (n == want) idx = FNR; next }
			FNR == idx && $2 == ev { print $3; found = 1 }
			END { exit !found }' <(echo "$ev1") <(echo "$prof") && return 0
		[ -n "$ev1" ] || return 1
	done
	return 1
}

# nontarget MODE RECORD_ARGS...: memrec record RECORD_ARGS -p <sleeper>;
# runs churn 200000 directly meanwhile; sets NT_DELTA to the hits it added to
# memrec's malloc probe (empty when they could not be read).
CHURN_N=200000
nontarget() {
	local mode=$1 log spid h0 h1 out=$OUT/nt-$1.churn.out
	shift
	NT_DELTA=
	start_target "$OUT/nt-$mode.target.out" "$P/sleeper" 60
	spid=$TGT_PID
	if ! wait_for_line "$OUT/nt-$mode.target.out" '^ready$' 10; then
		fail "nt-$mode/sleeper-ready" "sleeper did not print ready (output: $OUT/nt-$mode.target.out)"
		stop_target
		return
	fi
	log=$OUT/nt-$mode.record.log
	start_record_bg "$log" -o "$OUT/nt-$mode.dat" "$@" -p "$spid"
	if ! wait_recording "nt-$mode" "$log"; then
		stop_target
		return
	fi
	if ! h0=$(probe_hits "memrec_$REC_PID" malloc); then
		fail "nt-$mode/probe-listed" "no memrec_$REC_PID/malloc in $TRACEFS/uprobe_events + uprobe_profile: $(grep -c memrec_ "$TRACEFS/uprobe_events") memrec probes listed"
	else
		ok "nt-$mode/probe-listed"
		# Not under memrec: a process memrec was not asked to record.
		"$P/churn" "$CHURN_N" > "$out" 2>&1
		if grep -q '^done$' "$out"; then
			ok "nt-$mode/churn-ran"
		else
			fail "nt-$mode/churn-ran" "churn $CHURN_N did not print done (output: $out)"
		fi
		if h1=$(probe_hits "memrec_$REC_PID" malloc); then
			NT_DELTA=$((h1 - h0))
			echo "# nt-$mode: memrec_$REC_PID/malloc hits $h0 -> $h1 during churn $CHURN_N"
		else
			fail "nt-$mode/probe-listed-after" "memrec_$REC_PID/malloc gone from uprobe_profile"
		fi
	fi
	kill -INT "$REC_PID"
	if wait_record_bg 30; then
		ok "nt-$mode/record-exit-0"
	else
		fail "nt-$mode/record-exit-0" "memrec record -p after SIGINT: $(describe_rc $REC_RC) (log: $log)"
	fi
	stop_target
	if [ -s "$OUT/nt-$mode.dat" ] &&
		run_report "nt-$mode/report" "$OUT/nt-$mode.dat" "$OUT/nt-$mode.json"; then
		check "nt-$mode" "$OUT/nt-$mode.json" --eq targets.0.pid "$spid" \
			--all-pid "$spid" --no-leak churn_one
	fi
}

# Default path: the probe is armed in the sleeper only; it mallocs twice a
# second, so a few hundred hits at most in the time churn runs.
nontarget perf
if [ -n "$NT_DELTA" ]; then
	if [ "$NT_DELTA" -lt 1000 ]; then
		ok "nt-perf/churn-not-probed"
	else
		fail "nt-perf/churn-not-probed" "memrec's malloc probe was hit $NT_DELTA times while a non-target ran churn $CHURN_N (expected < 1000: the probe must be armed in the target only)"
	fi
fi
# Control: the ftrace path arms the probe in every process, churn included.
nontarget ftrace --uprobes=ftrace
if [ -n "$NT_DELTA" ]; then
	if [ "$NT_DELTA" -ge "$CHURN_N" ]; then
		ok "nt-ftrace/churn-probed"
	else
		fail "nt-ftrace/churn-probed" "memrec's malloc probe was hit $NT_DELTA times during churn $CHURN_N under --uprobes=ftrace (expected >= $CHURN_N: the uprobe_profile check cannot see hits)"
	fi
fi

assert_no_state perf/no-state-left
live_finish
