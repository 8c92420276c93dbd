#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-exit.sh - how soon `memrec record` returns (`make bench-exit`).
# Measures, never asserts; medians of BENCH_RUNS (default 5) runs:
#
#   1. exit latency: from the target's exit to memrec's exit with the file
#      written, on a trivial target (`date +%s%N`, which prints the time it
#      ends, then exits)
#   2. the wall time of `memrec record -- true`
#
# on the uprobe path (--uprobes, as -p records),
# each with the kernel's teardown detached (memrec-teardown, the default)
# and in the foreground (MEMREC_TEARDOWN=foreground: memrec before the
# detached teardown), with their ratio; and how long the detached teardown
# goes on after memrec exited. Runs do not overlap: each waits for the
# previous one's teardown to end. Needs root, tracefs with uprobes, `make all`.

set -u

if [ "$(id -u)" != 0 ]; then
	echo "bench-exit.sh: must run as root (memrec needs tracefs and uprobes)" >&2
	exit 1
fi
cd "$(dirname "$0")/.." || exit 1
MEMREC=./memrec
RUNS=${BENCH_RUNS:-5}
[ -x $MEMREC ] || { echo "bench-exit.sh: '$MEMREC' is missing; run 'make'" >&2; exit 1; }
TRACEFS=/sys/kernel/tracing
[ -w $TRACEFS/uprobe_events ] || TRACEFS=/sys/kernel/debug/tracing
TMP=$(mktemp -d /tmp/memrec-bench-exit.XXXXXX) || exit 1
OURS=()
FAILED=0

# at_work NAME: a memrec-teardown still holds @memrec-teardown/NAME
at_work() { grep -q " @memrec-teardown/$1\$" /proc/net/unix; }

# state_of NAME: what tracefs still has of NAME
state_of() {
	[ -d "$TRACEFS/instances/$1" ] && echo "instance"
	grep -cE "^[pr][0-9]*:$1/" "$TRACEFS/uprobe_events" | grep -v '^0$' | sed 's/$/ uprobes/'
}

# wait_teardown NAME: up to 30 s for NAME's teardown to end; prints its ms
wait_teardown() {
	local t0 i
	t0=$(date +%s%N)
	for i in $(seq 600); do
		at_work "$1" || break
		sleep 0.05
	done
	echo $((($(date +%s%N) - t0) / 1000000))
}

cleanup() {
	local p left
	for p in "${OURS[@]}"; do
		wait_teardown "memrec_$p" > /dev/null
		left=$(state_of "memrec_$p")
		if [ -n "$left" ]; then
			echo "bench-exit.sh: FAIL: memrec_$p left: $(echo $left)" >&2
			FAILED=1
		fi
	done
	rm -rf "$TMP"
	exit $FAILED
}
trap cleanup EXIT
trap 'echo "bench-exit.sh: interrupted" >&2; FAILED=130; exit 130' INT TERM

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0 || a == "" || b == "") print "n/a"; else printf "%.2f\n", a / b }'; }

# one MODE (detached|foreground) KIND (latency|true): prints ms (and the teardown's ms)
one() {
	local mode=$1 kind=$2 t0 t1 pid rc env=()
	[ "$mode" = foreground ] && env=(MEMREC_TEARDOWN=foreground)
	t0=$(date +%s%N)
	if [ "$kind" = latency ]; then
		env "${env[@]}" $MEMREC record --uprobes -o "$TMP/x.dat" -- date +%s%N \
			> "$TMP/end" 2> "$TMP/err" &
	else
		env "${env[@]}" $MEMREC record --uprobes -o "$TMP/x.dat" -- true > /dev/null \
			2> "$TMP/err" &
	fi
	pid=$!
	wait $pid
	rc=$?
	t1=$(date +%s%N)
	OURS+=("$pid")
	if [ $rc -ne 0 ] || ! grep -q "^memrec: stopped after" "$TMP/err"; then
		echo "bench-exit.sh: FAIL: $mode $kind run exited $rc: $(tail -n2 "$TMP/err" | tr '\n' ' ')" >&2
		FAILED=1
		return 1
	fi
	[ "$kind" = latency ] && t0=$(cat "$TMP/end")
	echo "$(((t1 - t0) / 1000000)) $(wait_teardown "memrec_$pid")"
}

echo "memrec bench-exit (--uprobes): $(nproc) CPUs, $(uname -r), runs=$RUNS" >&2
declare -A MS
for kind in latency true; do
	for mode in detached foreground; do
		vals=() tds=()
		for i in $(seq "$RUNS"); do
			r=$(one $mode $kind) || continue
			vals+=("${r% *}")
			tds+=("${r#* }")
		done
		MS[$mode.$kind]=$(printf '%s\n' "${vals[@]}" | median)
		MS[$mode.$kind.td]=$(printf '%s\n' "${tds[@]}" | median)
		echo "  $kind $mode: ${vals[*]} ms" >&2
	done
done

printf '%-44s %10s %12s %8s\n' "" detached foreground ratio
printf '%-44s %7s ms %9s ms %8s\n' "exit latency (target exit -> memrec exit)" \
	"${MS[detached.latency]}" "${MS[foreground.latency]}" \
	"$(div "${MS[foreground.latency]}" "${MS[detached.latency]}")x"
printf '%-44s %7s ms %9s ms %8s\n' "memrec record -- true, wall" \
	"${MS[detached.true]}" "${MS[foreground.true]}" \
	"$(div "${MS[foreground.true]}" "${MS[detached.true]}")x"
printf '%-44s %7s ms\n' "teardown after memrec exited (detached)" "${MS[detached.true.td]}"
