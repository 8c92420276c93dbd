#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_attach.sh - `memrec record -p PID` on a running program
# (tests/progs/attach): start it, wait for its "ready", attach, wait for
# "memrec: recording", send SIGUSR1, and memrec must stop by itself when the
# target exits. The report must show the after-attach leak exactly, count
# the frees of pre-attach blocks as unmatched, and show nothing from
# pre_attach_alloc.
. "$(dirname "$0")/lib.sh"
live_init

T=attach
start_target "$OUT/$T.target.out" "$PROGS/attach"
tpid=$TGT_PID
if ! wait_for_line "$OUT/$T.target.out" '^ready$' 10; then
	fail $T/target-ready "tests/progs/attach did not print ready within 10 s (output: $OUT/$T.target.out)"
	stop_target
	live_finish
fi
ok $T/target-ready

log=$OUT/$T.record.log
start_record_bg "$log" -o "$OUT/$T.dat" -p "$tpid"
if ! wait_recording $T "$log"; then
	stop_target
	assert_no_state $T/no-state-left
	live_finish
fi

# Let the target go: it frees the pre-attach blocks, leaks, exits.
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

# memrec must notice that its only target is gone and stop by itself.
if wait_record_bg 30; then
	ok $T/record-stops-at-target-exit
else
	if [ "$REC_RC" -eq 124 ]; then
		fail $T/record-stops-at-target-exit "memrec record -p still running 30 s after the target exited; killed (log: $log)"
	else
		fail $T/record-stops-at-target-exit "memrec record -p $(describe_rc $REC_RC) (log: $log)"
	fi
fi
if grep -qE '^memrec: (error|fatal)' "$log"; then
	fail $T/record-no-error "memrec record printed an error (log: $log)"
else
	ok $T/record-no-error
fi

if [ -s "$OUT/$T.dat" ] && run_report $T/report "$OUT/$T.dat" "$OUT/$T.json"; then
	check $T "$OUT/$T.json" \
		--eq lost_events.total 0 \
		--eq targets.0.pid "$tpid" --target-cmd tests/progs/attach \
		--leak after_attach_leak 6 462 --fn malloc --sizes 77 77 --pid "$tpid" \
			--inherited false --module-suffix /tests/progs/attach \
			--file-suffix attach.c \
			--line "$(src_line "$ROOT/tests/progs/attach.c" after_attach_leak)" \
		--no-leak pre_attach_alloc \
		--no-leak free_pre_attach \
		--module-total /tests/progs/attach 6 462 \
		--min unmatched_frees 20
elif [ ! -s "$OUT/$T.dat" ]; then
	fail $T/report "no recorded file $OUT/$T.dat (log: $log)"
fi

assert_no_state $T/no-state-left
live_finish
