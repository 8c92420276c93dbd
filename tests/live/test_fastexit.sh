#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_fastexit.sh - memrec returns once its file is written; a detached
# memrec-teardown (record/teardown.c) closes the perf fds and removes the
# instance and the uprobe group after memrec exited. Never a timed check:
# the exit latency is printed, `make bench-exit` measures it.
#  (a) record -- leak_fib: exit 0; right after it exits its memrec-teardown
#      is at work (holds @memrec-teardown/memrec_PID, is named so, in a
#      session of its own, stdio on /dev/null), and the file is complete:
#      the exact answer (177 blocks, 4328 bytes from alloc_fib_node); then
#      no state is left
#  (b) a second record started at once, while (a)'s teardown works: exit
#      0, the exact answer, and it does not sweep (a)'s state as stale
#  (c) $(memrec record ... 2>&1) returns while the teardown is at work:
#      neither it nor the watchdog holds memrec's output
#  (d) stop by SIGINT and by SIGTERM (-p sleeper): exit 0, the report,
#      the target survives, no state left; the teardown ignores a second
#      SIGINT, SIGTERM and SIGHUP
#  (e) an error path (a command that cannot run): exit 1, one error line,
#      no state left
#  (f) SIGKILL of the memrec-teardown: the watchdog removes the state; of
#      both the teardown and the watchdog: the next record sweeps it
#  (g) MEMREC_TEARDOWN=foreground: no teardown child, nothing left at exit
# (a), (b) and (f) record on the uprobe path (--uprobes): removing the
# uprobes is the teardown's long part, the window they need to find it at
# work (the preload path's teardown, the instance alone, may be over first).
. "$(dirname "$0")/lib.sh"
live_init
SRC=$ROOT/tests/progs
FIB=(--eq lost_events.total 0 --leak alloc_fib_node 177 4328 --fn calloc --pid target)

# state_of NAME: the instance and uprobe lines of NAME still in tracefs.
state_of() {
	[ -d "$TRACEFS/instances/$1" ] && echo "instance $1"
	grep -E "^[pr][0-9]*:$1/" "$TRACEFS/uprobe_events" 2>/dev/null
	return 0
}

at_work() { teardown_names | grep -qx "$1"; }

# record_fib TAG [ARGS...]: record --uprobes ARGS -- leak_fib in the
# background to $OUT/TAG.dat, wait.
record_fib() {
	local tag=$1
	shift
	start_record_bg "$OUT/$tag.log" --uprobes "$@" -o "$OUT/$tag.dat" -- "$PROGS/leak_fib"
	wait_record_bg 60
}

# fib_report NAME TAG: the exact leak_fib answer from $OUT/TAG.dat.
fib_report() {
	if run_report "$1-report" "$OUT/$2.dat" "$OUT/$2.json"; then
		check "$1" "$OUT/$2.json" "${FIB[@]}" --line "$(src_line "$SRC/leak_fib.c" fib)"
	fi
}

# no_warning NAME LOG: the recorder printed no error or warning.
no_warning() {
	if grep -qE '^memrec: (error|fatal|warning)' "$2"; then
		fail "$1" "$(grep -E '^memrec: (error|fatal|warning)' "$2" | head -2 | tr '\n' ' ')"
	else
		ok "$1"
	fi
}

# ------------------------------------------------------------------ (a)
t0=$(date +%s%N)
record_fib a
a_rc=$REC_RC
t1=$(date +%s%N)
A=memrec_$REC_PID
a_work=0
at_work "$A" && a_work=1
# (b) starts at once, while (a)'s teardown works
start_record_bg "$OUT/b.log" --uprobes -o "$OUT/b.dat" -- "$PROGS/leak_fib"
B_PID=$REC_PID
echo "# (a) record -- leak_fib: $(( (t1 - t0) / 1000000 )) ms in all"
[ "$a_rc" -eq 0 ] && ok fastexit/a-exit-0 ||
	fail fastexit/a-exit-0 "$(describe_rc $a_rc) (log: $OUT/a.log)"
if [ $a_work -eq 1 ]; then
	ok "fastexit/a-teardown-at-work-after-exit"
	tpid=$(teardown_pid "$A")
	if [ -n "$tpid" ]; then
		[ "$(cat /proc/$tpid/comm 2>/dev/null)" = memrec-teardown ] &&
			ok fastexit/a-teardown-comm ||
			fail fastexit/a-teardown-comm "comm '$(cat /proc/$tpid/comm 2>/dev/null)'"
		io=$(readlink /proc/$tpid/fd/0 /proc/$tpid/fd/1 /proc/$tpid/fd/2 | sort -u)
		[ "$io" = /dev/null ] && ok fastexit/a-teardown-stdio-null ||
			fail fastexit/a-teardown-stdio-null "fds 0-2: $(echo $io)"
		sid=$(awk '{ print $6 }' /proc/$tpid/stat 2>/dev/null)
		[ "$sid" = "$tpid" ] && ok fastexit/a-teardown-own-session ||
			fail fastexit/a-teardown-own-session "session $sid, pid $tpid"
	else
		fail fastexit/a-teardown-pid "no process holds @memrec-teardown/$A"
	fi
else
	fail fastexit/a-teardown-at-work-after-exit "no @memrec-teardown/$A right after memrec exited (log: $OUT/a.log)"
fi
# the file is complete as memrec exits: reported while the teardown works
fib_report fastexit/a a
no_warning fastexit/a-no-warning "$OUT/a.log"

# ------------------------------------------------------------------ (b)
REC_PID=$B_PID
if wait_record_bg 60; then
	ok fastexit/b-second-record-at-once
else
	fail fastexit/b-second-record-at-once "$(describe_rc $REC_RC) (log: $OUT/b.log)"
fi
fib_report fastexit/b b
if grep -q "removed tracing state '$A'" "$OUT/b.log"; then
	fail fastexit/b-leaves-first-teardown "it swept $A, which a memrec-teardown owned (log: $OUT/b.log)"
else
	ok fastexit/b-leaves-first-teardown
fi
no_warning fastexit/b-no-warning "$OUT/b.log"
assert_no_state fastexit/ab-no-state-left

# ------------------------------------------------------------------ (c)
out=$(sh -c 'echo "pid=$$"; exec "$0" record -o "$1" -- true' "$MEMREC" "$OUT/c.dat" 2>&1)
rc=$?
cpid=$(echo "$out" | sed -n 's/^pid=//p')
if [ $rc -eq 0 ] && at_work "memrec_$cpid"; then
	ok "fastexit/c-output-released-before-teardown-ends"
elif [ $rc -ne 0 ]; then
	fail fastexit/c-output-released-before-teardown-ends "exit $rc: $(echo "$out" | tail -2)"
else
	fail fastexit/c-output-released-before-teardown-ends "\$(...) returned after memrec_$cpid's teardown had ended"
fi
echo "$out" | grep -q "^memrec: stopped after .*targets exited; wrote '$OUT/c.dat'" &&
	ok fastexit/c-summary || fail fastexit/c-summary "no summary line in: $(echo "$out" | tr '\n' ' ')"
assert_no_state fastexit/c-no-state-left

# ------------------------------------------------------------------ (d)
# stop_by SIG TAG
stop_by() {
	local sig=$1 tag=$2 name=fastexit/d-$2 log=$OUT/$2.log spid tpid
	start_target "$OUT/$tag.target.out" "$PROGS/sleeper" 60
	spid=$TGT_PID
	if ! wait_for_line "$OUT/$tag.target.out" '^ready$' 10; then
		fail "$name" "sleeper did not start"
		stop_target
		return
	fi
	start_record_bg "$log" -o "$OUT/$tag.dat" -p "$spid"
	if ! wait_recording "$name" "$log"; then
		stop_target
		assert_no_state "$name-no-state-left"
		return
	fi
	sleep 1.2	# one more tick while recorded
	kill -"$sig" "$REC_PID"
	if wait_record_bg 30; then
		ok "$name-exit-0"
	else
		fail "$name-exit-0" "$(describe_rc $REC_RC) (log: $log)"
	fi
	tpid=$(teardown_pid "memrec_$REC_PID")
	if [ -n "$tpid" ]; then
		kill -INT "$tpid"; kill -TERM "$tpid"; kill -HUP "$tpid"
		sleep 0.05
		pid_running "$tpid" && ok "$name-teardown-ignores-signals" ||
			fail "$name-teardown-ignores-signals" "memrec-teardown $tpid died of SIGINT/TERM/HUP"
	else
		fail "$name-teardown-ignores-signals" "no memrec-teardown right after memrec exited"
	fi
	if run_report "$name-report" "$OUT/$tag.dat" "$OUT/$tag.json"; then
		check "$name" "$OUT/$tag.json" --eq targets.0.pid "$spid" \
			--target-cmd tests/progs/sleeper
	fi
	pid_running "$spid" && ok "$name-target-survives" ||
		fail "$name-target-survives" "the sleeper died when memrec stopped"
	stop_target
	no_warning "$name-no-warning" "$log"
	assert_no_state "$name-no-state-left"
}
stop_by INT sigint
stop_by TERM sigterm

# ------------------------------------------------------------------ (e)
expect_error fastexit/e-command-cannot-run 1 \
	"$MEMREC" record -o "$OUT/e.dat" -- "$OUT/no-such-command"
assert_no_state fastexit/e-no-state-left

# ------------------------------------------------------------------ (f)
# kill_teardown TAG [watchdog]: record leak_fib, SIGKILL its teardown (and
# its watchdog) while it works; sets F_NAME.
kill_teardown() {
	local tpid wpid pipe p
	record_fib "$1"
	F_NAME=memrec_$REC_PID
	tpid=$(teardown_pid "$F_NAME")
	if [ -z "$tpid" ] || [ -z "$(state_of "$F_NAME")" ]; then
		fail "fastexit/f-$1-teardown-at-work" "no memrec-teardown or no state for $F_NAME right after memrec exited"
		return 1
	fi
	if [ -n "${2:-}" ]; then
		# the watchdog: the other end of the pipe the teardown holds
		pipe=$(for p in /proc/$tpid/fd/*; do readlink "$p"; done | grep '^pipe:' | head -1)
		wpid=$(pid_with_fd memrec-watchdog "$pipe")
		if [ -z "$wpid" ]; then
			fail "fastexit/f-$1-watchdog" "no memrec-watchdog on the teardown's pipe ($pipe)"
			kill -KILL "$tpid"
			return 1
		fi
		kill -KILL "$wpid"
		wait_gone "$wpid" 5
	fi
	kill -KILL "$tpid"
	wait_gone "$tpid" 10
	ok "fastexit/f-$1-teardown-killed-at-work"
}
if kill_teardown f1; then
	assert_no_state "fastexit/f1-watchdog-cleans-after-teardown-kill"
fi
if kill_teardown f2 watchdog; then
	if [ -n "$(state_of "$F_NAME")" ]; then
		ok fastexit/f2-state-left-by-both-kills
	else
		fail fastexit/f2-state-left-by-both-kills "nothing left of $F_NAME: the sweep below is not tested"
	fi
	run_record fastexit/f2-next-record "$OUT/f2n.log" -o "$OUT/f2n.dat" -- /bin/true
	grep -q "removed tracing state '$F_NAME' left by a memrec that no longer runs" "$OUT/f2n.log" &&
		ok fastexit/f2-next-record-sweeps ||
		fail fastexit/f2-next-record-sweeps "no sweep of $F_NAME (log: $OUT/f2n.log)"
	assert_no_state fastexit/f2-no-state-left
fi

# ------------------------------------------------------------------ (g)
t0=$(date +%s%N)
export MEMREC_TEARDOWN=foreground
start_record_bg "$OUT/g.log" -o "$OUT/g.dat" -- "$PROGS/leak_fib"
unset MEMREC_TEARDOWN
wait_record_bg 60
t1=$(date +%s%N)
G=memrec_$REC_PID
[ "$REC_RC" -eq 0 ] && ok fastexit/g-foreground-exit-0 ||
	fail fastexit/g-foreground-exit-0 "$(describe_rc $REC_RC) (log: $OUT/g.log)"
st=$(state_of "$G")
[ -z "$st" ] && ! at_work "$G" && ok fastexit/g-foreground-nothing-left-at-exit ||
	fail fastexit/g-foreground-nothing-left-at-exit "at exit: $(echo $st) $(at_work "$G" && echo teardown)"
echo "# (g) the same with the teardown in the foreground: $(( (t1 - t0) / 1000000 )) ms in all"
fib_report fastexit/g g
assert_no_state fastexit/g-no-state-left

live_finish
