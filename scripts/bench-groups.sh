#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-groups.sh - what each `-e` group costs (`make bench-groups`, and the
# last part of `make bench`). Measures, never asserts; medians of BENCH_RUNS
# (default 5) runs, every figure with its ratio to a baseline taken here:
#
#   on tests/progs/churn (malloc/free pairs) and tests/progs/fd_hold
#   (2000 sockets and files opened and closed, 1500 held), each bare, under
#   `memrec record --uprobes -e user`, `-e user,oom`, `-e user,mappings`
#   and the default event set (no -e), all on the uprobe path (the default
#   preload path's cost on churn is make bench's part 1):
#     - the target's wall time (bench_reader time), against bare and -e user
#     - the whole `memrec record` wall time
#     - exit latency: from the target's end (`date +%s%N` run last in it,
#       bench-exit.sh's method) to memrec's exit with the file written
#     - the bytes written and the events lost (memrec report's lost_events)
#
# Runs do not overlap: each waits for the previous one's detached teardown.
# Knobs: BENCH_RUNS (5), BENCH_N_GROUPS (10000: churn iterations traced),
# BENCH_N_BARE (10000000: churn iterations bare, for ns/iter).
# Needs root, tracefs with uprobes, `make all progs scripts/bench_reader`, jq.

set -u

if [ "$(id -u)" != 0 ]; then
	echo "bench-groups.sh: must run as root (memrec needs tracefs and uprobes)" >&2
	exit 1
fi
cd "$(dirname "$0")/.." || exit 1
MEMREC=./memrec
READER=scripts/bench_reader
CHURN=tests/progs/churn
FD_HOLD=tests/progs/fd_hold
RUNS=${BENCH_RUNS:-5}
N=${BENCH_N_GROUPS:-10000}
N_BARE=${BENCH_N_BARE:-10000000}
for f in $MEMREC $READER $CHURN $FD_HOLD; do
	[ -x "$f" ] || { echo "bench-groups.sh: '$f' is missing; run 'make bench'" >&2; exit 1; }
done
command -v jq >/dev/null || { echo "bench-groups.sh: jq is missing (apt-get install jq)" >&2; exit 1; }
TRACEFS=/sys/kernel/tracing
[ -w $TRACEFS/uprobe_events ] || TRACEFS=/sys/kernel/debug/tracing
TMP=$(mktemp -d /tmp/memrec-bench-groups.XXXXXX) || exit 1
OURS=()
FAILED=0
OVERLAPS=0
START_NS=$(date +%s%N)

at_work() { grep -q " @memrec-teardown/$1\$" /proc/net/unix; }
# up to 30 s for NAME's detached teardown to end
wait_teardown() {
	local i
	for i in $(seq 600); do
		at_work "$1" || return 0
		sleep 0.05
	done
}
# uprobe groups in tracefs other than REC's: another recorder on the host
# (--uprobes=ftrace arms its probes in every process, bare runs included)
foreign_probes() {
	sed -n 's/^[pr][^:]*:\([^/]*\)\/.*/\1/p' "$TRACEFS/uprobe_events" 2>/dev/null | sort -u |
		grep -vx "memrec_${REC:-none}"
}
state_of() {
	[ -d "$TRACEFS/instances/$1" ] && echo "instance"
	grep -cE "^[pr][0-9]*:$1/" "$TRACEFS/uprobe_events" | grep -v '^0$' | sed 's/$/ uprobes/'
}

cleanup() {
	local p left
	trap - EXIT INT TERM
	[ -n "${REC:-}" ] && kill -TERM "$REC" 2>/dev/null && wait "$REC" 2>/dev/null
	for p in "${OURS[@]}"; do
		wait_teardown "memrec_$p"
		left=$(state_of "memrec_$p")
		if [ -n "$left" ]; then
			echo "bench-groups.sh: FAIL: memrec_$p left: $(echo $left)" >&2
			FAILED=1
		fi
	done
	rm -rf "$TMP"
	exit $FAILED
}
trap cleanup EXIT
trap 'echo "bench-groups.sh: interrupted" >&2; FAILED=130; exit 130' INT TERM

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
minimum() { sort -n | head -n1; }
maximum() { sort -n | tail -n1; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { if (b == 0 || a == "" || b == "" || a == "n/a" || b == "n/a") print "n/a"; else printf f "\n", a / b }'; }

# The target, a script: bench_reader times the program (first line: its
# ns), then date prints when the target ends (second line), as bench-exit.sh
# does. fd_hold gets a fresh directory and no stdin (it exits once it holds
# everything).
target_script() {
	local prog=$1 dir=$2
	case $prog in
	churn) echo "'$PWD/$READER' time -- '$PWD/$CHURN' $N && date +%s%N" ;;
	churn_bare) echo "'$PWD/$READER' time -- '$PWD/$CHURN' $N_BARE && date +%s%N" ;;
	fd_hold) echo "'$PWD/$READER' time -- '$PWD/$FD_HOLD' '$dir' < /dev/null && date +%s%N" ;;
	esac > "$TMP/target.sh"
}

# one PROG MODE: one run; sets T_NS (target), W_NS (record wall), LAT_NS
# (target end -> memrec exit), BYTES, LOST (the last three empty when bare)
one() {
	local prog=$1 mode=$2 dir=$TMP/fd t0 t1 rc end dat=$TMP/run.dat
	local -a ev=()
	rm -rf "$dir" "$dat" && mkdir -p "$dir"
	T_NS= W_NS= LAT_NS= BYTES= LOST=
	case $mode in
	bare) [ "$prog" = churn ] && prog=churn_bare ;;
	user) ev=(-e user) ;;
	user,oom) ev=(-e user,oom) ;;
	user,mappings) ev=(-e user,mappings) ;;
	default) ;;
	esac
	target_script "$prog" "$dir"
	t0=$(date +%s%N)
	if [ "$mode" = bare ]; then
		sh "$TMP/target.sh" > "$TMP/out" 2> "$TMP/err"
		rc=$?
	else
		$MEMREC record --uprobes "${ev[@]}" -o "$dat" -- sh "$TMP/target.sh" \
			> "$TMP/out" 2> "$TMP/err" &
		REC=$!
		wait $REC
		rc=$?
		OURS+=("$REC")
	fi
	t1=$(date +%s%N)
	[ -n "$(foreign_probes)" ] && OVERLAPS=$((OVERLAPS + 1))
	T_NS=$(grep -E '^[0-9]+$' "$TMP/out" | sed -n 1p)
	end=$(grep -E '^[0-9]+$' "$TMP/out" | sed -n 2p)
	if [ $rc != 0 ] || [ -z "$T_NS" ] || [ -z "$end" ]; then
		echo "bench-groups.sh: FAIL: $prog $mode exited $rc: $(tail -n2 "$TMP/err" | tr '\n' ' ')" >&2
		FAILED=1
		T_NS=
		return 1
	fi
	[ "$prog" = churn_bare ] && T_NS=$(div "$T_NS" "$N_BARE" %.1f)
	[ "$prog" = churn ] && T_NS=$(div "$T_NS" "$N" %.1f)
	[ "$mode" = bare ] && return 0
	W_NS=$((t1 - t0))
	LAT_NS=$((t1 - end))
	BYTES=$(stat -c %s "$dat")
	if $MEMREC report -i "$dat" --format json > "$TMP/rep.json" 2> "$TMP/rep.err"; then
		LOST=$(jq -r .lost_events.total "$TMP/rep.json")
	else
		echo "bench-groups.sh: FAIL: memrec report of $prog $mode: $(head -n2 "$TMP/rep.err" | tr '\n' ' ')" >&2
		FAILED=1
	fi
	wait_teardown "memrec_$REC"
	REC=
	rm -f "$dat" "$TMP/rep.json"
	rm -rf "$dir"
}

MODES=(bare user user,oom user,mappings default)
declare -A T W LAT BYTES_OF LOST_OF TRUNS
echo "memrec bench-groups (--uprobes): $(nproc) CPUs, $(uname -r), runs=$RUNS, churn N=$N" \
	"(bare $N_BARE)," \
	"load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for prog in churn fd_hold; do
	# the modes interleaved, run by run: a change in the host's load falls
	# on every mode alike
	for i in $(seq "$RUNS"); do
		for mode in "${MODES[@]}"; do
			one "$prog" "$mode" || continue
			T[$prog.$mode]+="$T_NS "
			[ "$mode" = bare ] && continue
			W[$prog.$mode]+="$W_NS "
			LAT[$prog.$mode]+="$LAT_NS "
			BYTES_OF[$prog.$mode]+="$BYTES "
			LOST_OF[$prog.$mode]+="${LOST:-n/a} "
		done
	done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

list() { printf '%s\n' $1; }
end=$(date +%s%N)
printf '\nmemrec bench-groups (%s, %s CPUs, medians of %s runs, load %s at the end, %.0f s)\n' \
	"$(uname -r)" "$(nproc)" "$RUNS" "$LOAD_END" "$(div "$((end - START_NS))" 1e9 %.1f)"
# ratios of medians, and of minimums (the runs the host's load hurt least)
F='%-24s %22s %7s %7s %7s %7s %7s %8s %6s\n'
printf "$F" "" "target median (min)" "x bare" "x user" "x user" "record" "exit" "file" "lost"
printf "$F" "" "" "med" "med" "min" "wall ms" "lat ms" "KiB" "(max)"
for prog in churn fd_hold; do
	bare=$(list "${T[$prog.bare]:-}" | median)
	user=$(list "${T[$prog.user]:-}" | median)
	usermin=$(list "${T[$prog.user]:-}" | minimum)
	for mode in "${MODES[@]}"; do
		v=$(list "${T[$prog.$mode]:-}" | median)
		mn=$(list "${T[$prog.$mode]:-}" | minimum)
		if [ "$prog" = fd_hold ]; then
			shown="$(div "$v" 1e6 %.1f) ms ($(div "$mn" 1e6 %.1f))"
		else
			shown="$v ns/it ($mn)"
		fi
		case $mode in
		bare) name="$prog bare" ;;
		default) name="$prog default events" ;;
		*) name="$prog -e $mode" ;;
		esac
		if [ "$mode" = bare ]; then
			printf "$F" "$name" "$shown" "1.00"
			continue
		fi
		printf "$F" "$name" "$shown" \
			"$(div "$v" "$bare" %.1f)" "$(div "$v" "$user")" "$(div "$mn" "$usermin")" \
			"$(div "$(list "${W[$prog.$mode]:-}" | median)" 1e6 %.0f)" \
			"$(div "$(list "${LAT[$prog.$mode]:-}" | median)" 1e6 %.0f)" \
			"$(div "$(list "${BYTES_OF[$prog.$mode]:-}" | median)" 1024 %.0f)" \
			"$(list "${LOST_OF[$prog.$mode]:-}" | maximum)"
	done
done
[ $OVERLAPS -gt 0 ] && printf 'note: %s runs ended with another recorder'"'"'s uprobes in tracefs (host-wide if --uprobes=ftrace): they may be skewed\n' $OVERLAPS
printf '\nper run (target; churn ns/iter, fd_hold ms):\n'
for prog in churn fd_hold; do
	for mode in "${MODES[@]}"; do
		v=${T[$prog.$mode]:-}
		[ "$prog" = fd_hold ] && v=$(for x in $v; do div "$x" 1e6 %.0f; done | tr '\n' ' ')
		printf '  %-22s %s\n' "$prog $mode" "$v"
	done
done
exit $FAILED	# through cleanup
