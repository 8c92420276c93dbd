# SPDX-License-Identifier: GPL-2.0
# tests/live/lib.sh - sourced by every live test (tests/live/test_*.sh).
#
# Live tests record real programs (tests/progs) with ./memrec and check the
# report against the known truth. Each prints the runner's lines:
#   ok - NAME | not ok - NAME: why | skip - NAME: why
# and exits non-zero when anything failed (call live_finish at the end).
#
# Usage in a test:
#   . "$(dirname "$0")/lib.sh"
#   live_init            # skips everything (exit 0) without root/tracefs,
#                        # fails (exit 1) without ./memrec or the programs
#   ...
#   live_finish
set -u

LIVE_NAME=$(basename "$0" .sh)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MEMREC=${MEMREC:-$ROOT/memrec}
PROGS=$ROOT/tests/progs
CHECK=$ROOT/tests/live/check_report.py
# A directory per run (tests/out/NAME.PID), so that two runs at the same
# time do not clobber each other; live_init removes those of finished runs.
OUT=$ROOT/tests/out/$LIVE_NAME.$$
TRACEFS=
LIVE_FAILED=0
BG_PIDS=()
# Options added to every `memrec record ... -- COMMAND` the tests run (not
# to -p or -a recordings), e.g. MEMREC_RECORD_FLAGS=--uprobes to run the
# live tests on the uprobe path (the preload path is the default).
MEMREC_RECORD_FLAGS=${MEMREC_RECORD_FLAGS:-}
# How long one `memrec record` may run before the wrapper sends SIGINT.
RECORD_TIMEOUT=${RECORD_TIMEOUT:-60}

ok()   { echo "ok - $1"; }
fail() { echo "not ok - $1: $2"; LIVE_FAILED=1; }
skip() { echo "skip - $1: $2"; }

# Check the result of a command that printed ok/not ok lines itself.
note_rc() { [ "$1" -eq 0 ] || LIVE_FAILED=1; }

live_finish() {
	exit "$LIVE_FAILED"
}

skip_all() {
	echo "******************************************************************" >&2
	echo "*** $LIVE_NAME: SKIPPING ALL LIVE TESTS: $1" >&2
	echo "******************************************************************" >&2
	skip ALL "$1"
	exit 0
}

# Find (or mount) tracefs; sets TRACEFS.
find_tracefs() {
	local d
	d=$(awk '$3 == "tracefs" { print $2; exit }' /proc/mounts 2>/dev/null)
	if [ -z "$d" ] && [ -d /sys/kernel/tracing ]; then
		mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null &&
			d=/sys/kernel/tracing
	fi
	if [ -z "$d" ] && [ -f /sys/kernel/debug/tracing/uprobe_events ]; then
		d=/sys/kernel/debug/tracing
	fi
	[ -n "$d" ] && [ -d "$d" ] || return 1
	TRACEFS=$d
}

live_init() {
	[ "$(id -u)" -eq 0 ] || skip_all "not root"
	find_tracefs || skip_all "no tracefs (mount -t tracefs nodev /sys/kernel/tracing)"
	[ -f "$TRACEFS/uprobe_events" ] ||
		skip_all "no $TRACEFS/uprobe_events (kernel without CONFIG_UPROBE_EVENTS)"
	command -v python3 >/dev/null || skip_all "no python3"
	if [ ! -x "$MEMREC" ] || [ -d "$MEMREC" ]; then
		fail "$LIVE_NAME/memrec-binary" "$MEMREC missing or not executable; run make"
		exit 1
	fi
	local p missing=
	for p in leak_fib leak_kinds leak_cxx balanced cross_thread attach fork_leak \
		dlopen_leak libdlleak.so churn sleeper; do
		[ -e "$PROGS/$p" ] || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		fail "$LIVE_NAME/test-programs" "missing in tests/progs:$missing; run make progs"
		exit 1
	fi
	local d
	for d in "$ROOT/tests/out/$LIVE_NAME".[0-9]*; do
		[ -d "$d" ] || continue
		kill -0 "${d##*.}" 2>/dev/null || rm -rf "$d"
	done
	mkdir -p "$OUT" || { fail "$LIVE_NAME/out-dir" "cannot create $OUT"; exit 1; }
	trap live_cleanup EXIT
	# Leftovers of an earlier run would make every state check fail.
	local st
	st=$(memrec_state)
	if [ -n "$st" ]; then
		echo "$LIVE_NAME: memrec state present before the test, removing it:" >&2
		echo "$st" | sed 's/^/    /' >&2
		cleanup_state
	fi
	if env --default-signal=INT true 2>/dev/null; then
		DEFSIG=(env --default-signal=INT,TERM)
	else
		DEFSIG=()
	fi
}

# Kill what this test started and is still running (by pid, never by name).
live_cleanup() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null || continue
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.2
	for p in "${BG_PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	return 0
}

# --------------------------------------------------------------- state

# teardown_names: the state names (memrec_1234) whose memrec-teardown
# (record/teardown.c) is at work: it holds the abstract unix socket
# @memrec-teardown/NAME while it removes NAME after its recorder exited.
teardown_names() {
	awk '$NF ~ /^@memrec-teardown\// { sub(/^@memrec-teardown\//, "", $NF); print $NF }' \
		/proc/net/unix 2>/dev/null
}

# teardown_pid NAME: the pid of the memrec-teardown holding NAME's socket.
teardown_pid() {
	local inode
	inode=$(awk -v n="@memrec-teardown/$1" '$NF == n { print $7; exit }' /proc/net/unix)
	[ -n "$inode" ] || return 1
	pid_with_fd memrec-teardown "socket:[$inode]"
}

# pid_with_fd COMM TARGET: the pid of a process named COMM with an fd on
# TARGET (as readlink shows it: "socket:[123]", "pipe:[456]").
pid_with_fd() {
	local p fd
	for p in $(pgrep -x "$1"); do
		for fd in /proc/$p/fd/*; do
			if [ "$(readlink "$fd" 2>/dev/null)" = "$2" ]; then
				echo "$p"
				return 0
			fi
		done
	done
	return 1
}

# Names whose teardown assert_no_state waits for (set while it waits).
TEARDOWN_WAIT=" "

# foreign_owner NAME: true when NAME (an instance or probe group such as
# memrec_1234) belongs to a memrec process that is still running and that
# this test did not start: someone else's live recording, not a leftover;
# or to a memrec-teardown at work that assert_no_state is not waiting for.
foreign_owner() {
	local pid comm p
	[[ $1 =~ memrec[_-]?([0-9]+) ]] || return 1
	pid=${BASH_REMATCH[1]}
	if teardown_names | grep -qx "memrec_$pid"; then
		[[ $TEARDOWN_WAIT == *" memrec_$pid "* ]] && return 1
		return 0
	fi
	pid_running "$pid" || return 1
	comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
	[[ $comm == memrec* ]] || return 1
	for p in "${BG_PIDS[@]}"; do
		[ "$p" = "$pid" ] && return 1
	done
	return 0
}

# Print every piece of memrec state left in tracefs, one per line, except
# the state of other running memrec processes (see foreign_owner).
memrec_state() {
	local f name line group
	if [ -d "$TRACEFS/instances" ]; then
		for name in $(ls -1 "$TRACEFS/instances" 2>/dev/null | grep memrec); do
			if foreign_owner "$name"; then
				echo "$LIVE_NAME: ignoring instance $name of a running memrec" >&2
				continue
			fi
			echo "instance $name"
		done
	fi
	for f in uprobe_events dynamic_events; do
		[ -r "$TRACEFS/$f" ] || continue
		while IFS= read -r line; do
			group=${line%% *}; group=${group#*:}; group=${group%%/*}
			foreign_owner "$group" && continue
			echo "$f: $line"
		done < <(grep memrec "$TRACEFS/$f" 2>/dev/null)
	done
	return 0
}

# Remove leftover memrec state (never a running memrec's) so that later
# tests are not affected.
cleanup_state() {
	local i ev
	for i in $(ls -1 "$TRACEFS/instances" 2>/dev/null | grep memrec); do
		foreign_owner "$i" && continue
		echo 0 > "$TRACEFS/instances/$i/tracing_on" 2>/dev/null
		rmdir "$TRACEFS/instances/$i" 2>/dev/null ||
			echo "cleanup: cannot rmdir instance $i" >&2
	done
	# "p:memrec_1/malloc /path:0x..." -> "-:memrec_1/malloc"
	for ev in $(grep memrec "$TRACEFS/uprobe_events" 2>/dev/null |
			awk '{ sub(/^[pr][0-9]*:/, "", $1); print $1 }'); do
		foreign_owner "${ev%%/*}" && continue
		echo "-:$ev" >> "$TRACEFS/uprobe_events" 2>/dev/null ||
			echo "cleanup: cannot delete probe $ev" >&2
	done
	return 0
}

# assert_no_state NAME: ok when no memrec instance/probe is left. A memrec
# returns before its state is gone (its memrec-teardown removes it): state
# that goes away within 20 s is not counted. Teardowns at work now may be
# ours and are waited for; those that start later are not ours.
assert_no_state() {
	local st n=200
	TEARDOWN_WAIT=" $(teardown_names | tr '\n' ' ') "
	st=$(memrec_state)
	while [ -n "$st" ] && [ "$n" -gt 0 ]; do
		sleep 0.1
		st=$(memrec_state)
		n=$((n - 1))
	done
	if [ -z "$st" ]; then
		ok "$1"
	else
		fail "$1" "memrec state left in $TRACEFS: $(echo "$st" | head -5 | tr '\n' ';')"
		cleanup_state
	fi
	TEARDOWN_WAIT=" "
}

# --------------------------------------------------------------- helpers

# src_line FILE TAG: the line number of the "/* L:TAG */" marker in FILE.
src_line() {
	grep -n "/\* L:$2 \*/" "$1" | head -1 | cut -d: -f1
}

# describe_rc RC: "exit status N" plus what it means.
describe_rc() {
	case $1 in
	124) echo "exit status 124 (timed out, killed by the test's timeout)" ;;
	0|1|2) echo "exit status $1" ;;
	*)
		if [ "$1" -gt 128 ]; then
			echo "exit status $1 (killed by signal $(kill -l $(($1 - 128)) 2>/dev/null || echo $(($1 - 128))))"
		else
			echo "exit status $1"
		fi
		;;
	esac
}

# wait_for_line FILE REGEX SECS: poll until FILE has a line matching REGEX.
wait_for_line() {
	local file=$1 re=$2 n=$(($3 * 10))
	while [ "$n" -gt 0 ]; do
		grep -qE "$re" "$file" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# wait_recording NAME LOG [SECONDS]: waits for the background recorder's
# "memrec: recording" line: prints ok NAME/recording-line and returns 0, or
# prints not ok, stops the recorder and returns 1.
wait_recording() {
	local name=$1 log=$2 secs=${3:-30}
	if wait_for_line "$log" '^memrec: recording' "$secs"; then
		ok "$name/recording-line"
		return 0
	fi
	if pid_running "$REC_PID"; then
		fail "$name/recording-line" "no \"memrec: recording\" line within $secs s (log: $log)"
		kill -INT "$REC_PID"
		wait_record_bg 10
	else
		wait_record_bg 1
		fail "$name/recording-line" "memrec record exited early: $(describe_rc $REC_RC) (log: $log)"
	fi
	return 1
}

# pid_running PID: alive and not a zombie.
pid_running() {
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# wait_gone PID SECS: poll until PID has exited (or is a zombie).
wait_gone() {
	local n=$(($2 * 10))
	while [ "$n" -gt 0 ]; do
		pid_running "$1" || return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# record_flags ARGS...: prints MEMREC_RECORD_FLAGS when ARGS start a command.
record_flags() {
	local a
	for a in "$@"; do
		[ "$a" = -- ] && { echo "$MEMREC_RECORD_FLAGS"; return; }
	done
}

# want_path: the path a command's allocator calls take in these tests
# (dynamic glibc programs, -e user among the groups): "uprobes" when
# MEMREC_RECORD_FLAGS forces them, else "preload", the default.
want_path() {
	[[ " $MEMREC_RECORD_FLAGS " == *" --uprobes"[\ =]* ]] && echo uprobes || echo preload
}

# rec_path LOG: the path the recording in LOG took: "preload" when its
# recording line ends "(preload)", else "uprobes".
rec_path() {
	grep -q '^memrec: recording .*(preload)$' "$1" && echo preload || echo uprobes
}

# check_path NAME LOG: the recording in LOG took want_path.
check_path() {
	local got want
	got=$(rec_path "$2") want=$(want_path)
	[ "$got" = "$want" ] && ok "$1" ||
		fail "$1" "recorded on the $got path, expected $want (log: $2)"
}

# run_record NAME LOG ARGS...: runs `memrec record ARGS` in the foreground
# with a timeout (SIGINT after RECORD_TIMEOUT s, SIGKILL 10 s later);
# stderr goes to LOG, stdout (the target's output) to LOG.out. Sets
# REC_RC. Prints "ok - NAME" or "not ok - NAME: ..." and returns REC_RC.
run_record() {
	local name=$1 log=$2
	shift 2
	echo "+ memrec record $*" > "$log"
	# shellcheck disable=SC2046
	timeout -k 10 -s INT "$RECORD_TIMEOUT" "$MEMREC" record $(record_flags "$@") "$@" \
		> "$log.out" 2>> "$log"
	REC_RC=$?
	if [ "$REC_RC" -eq 0 ]; then
		ok "$name"
	else
		fail "$name" "memrec record $(describe_rc $REC_RC) (log: $log)"
	fi
	return "$REC_RC"
}

# start_record_bg LOG ARGS...: memrec record ARGS in the background with
# SIGINT/SIGTERM at their defaults (a non-interactive shell would start it
# with SIGINT ignored); stderr to LOG, stdout to LOG.out. Sets REC_PID.
start_record_bg() {
	local log=$1
	shift
	echo "+ memrec record $*" > "$log"
	# shellcheck disable=SC2046
	"${DEFSIG[@]}" "$MEMREC" record $(record_flags "$@") "$@" > "$log.out" 2>> "$log" &
	REC_PID=$!
	BG_PIDS+=("$REC_PID")
}

# wait_record_bg SECS: wait up to SECS for REC_PID to exit; sets REC_RC
# (124 and SIGKILLs it when it did not exit in time).
wait_record_bg() {
	if wait_gone "$REC_PID" "$1"; then
		wait "$REC_PID" 2>/dev/null
		REC_RC=$?
	else
		kill -KILL "$REC_PID" 2>/dev/null
		wait "$REC_PID" 2>/dev/null
		REC_RC=124
	fi
	return "$REC_RC"
}

# start_target LOG CMD...: a target in the background (stdout+stderr to
# LOG); sets TGT_PID.
start_target() {
	local log=$1
	shift
	"$@" > "$log" 2>&1 &
	TGT_PID=$!
	BG_PIDS+=("$TGT_PID")
}

# stop_target: SIGTERM/SIGKILL TGT_PID if still running, and reap it.
stop_target() {
	if kill -0 "$TGT_PID" 2>/dev/null; then
		kill -TERM "$TGT_PID" 2>/dev/null
		wait_gone "$TGT_PID" 2 || kill -KILL "$TGT_PID" 2>/dev/null
	fi
	wait "$TGT_PID" 2>/dev/null
	return 0
}

# run_report NAME FILE JSON [ARGS...]: memrec report -i FILE --format json
# ARGS > JSON (stderr: JSON.stderr). Prints ok/not ok; returns its status.
run_report() {
	local name=$1 file=$2 json=$3 rc
	shift 3
	"$MEMREC" report -i "$file" --format json "$@" > "$json" 2> "$json.stderr"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$name"
	else
		fail "$name" "memrec report $(describe_rc $rc) (stderr: $json.stderr)"
	fi
	return "$rc"
}

# check NAME-PREFIX JSON ARGS...: run check_report.py; its lines go out as
# they are; a failure marks the test failed.
check() {
	local prefix=$1 json=$2
	shift 2
	python3 "$CHECK" "$json" --name "$prefix" "$@"
	note_rc $?
}

# expect_error NAME RC_WANTED CMD...: CMD must exit with RC_WANTED, print
# exactly one line on stderr starting "memrec: error:" or "memrec: fatal:"
# (for exit 2: "memrec: "), and not die of a signal. Logs to $OUT/NAME.err.
expect_error() {
	local name=$1 want=$2 rc log lines
	shift 2
	log=$OUT/$(echo "$name" | tr '/ ' '__').err
	"$@" > /dev/null 2> "$log"
	rc=$?
	lines=$(wc -l < "$log")
	if [ "$rc" -gt 128 ]; then
		fail "$name" "crashed: $(describe_rc $rc) (stderr: $log)"
	elif [ "$rc" -ne "$want" ]; then
		fail "$name" "$(describe_rc $rc), expected $want (stderr: $log)"
	elif [ "$want" -eq 2 ] && ! head -1 "$log" | grep -q '^memrec: '; then
		fail "$name" "no stderr line starting \"memrec: \" (stderr: $log)"
	elif [ "$want" -ne 2 ] && [ "$lines" -ne 1 ]; then
		fail "$name" "$lines stderr lines, expected exactly one (stderr: $log)"
	elif [ "$want" -ne 2 ] && ! grep -qE '^memrec: (error|fatal): ' "$log"; then
		fail "$name" "stderr does not start with \"memrec: error:\" (stderr: $log)"
	else
		ok "$name"
	fi
}
