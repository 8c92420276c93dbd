#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh - memrec's benchmark (`make bench`). Measures, never asserts:
# every number is printed with its ratio to a baseline taken in the same
# invocation, so runs on different machines compare by ratio.
#
#   1. churn slowdown: bare vs `memrec record --uprobes` (per-target perf
#      uprobes) vs `memrec record --uprobes=ftrace` (host-wide ftrace
#      uprobes) vs a bare per-CPU reader of the ftrace uprobes
#      (scripts/bench_reader stream: memrec's own probe and stream code,
#      nothing else) -> what memrec adds on top of the kernel, and what the
#      perf path costs the target against the ftrace one; and
#      `memrec record` (the default for a command, the preload path: the
#      allocator calls recorded inside the target by libmemrec_preload.so,
#      no trap per call)
#   2. lost events and file size per million events at default settings;
#      against heaptrack (`heaptrack -o FILE CMD`, skipped with a note if it
#      is not installed), on churn and on tests/progs/churn_threads (4 C++
#      threads: new/delete, std::string and std::vector growth), the runs of
#      each program interleaved: bare, heaptrack, memrec --uprobes and
#      memrec (preload): the target's time and the whole command's wall time
#      against bare's at the same N, bytes per event (the file's size over
#      the events it holds: heaptrack's compressed file, its allocations and
#      frees) and lost events (goal 0 for memrec)
#   3. `memrec report` speed against `trace-cmd report`, and its peak RSS
#      against the file's size, on traces of about 100 MB and 1 GB
#   4. the cost paid by a NON-target process while memrec records another,
#      on the perf uprobe path (-p's default) and with --uprobes=ftrace
#   5. the size the embedded symbols add; 6. fd_hold under the kernel groups
#   7. what each -e group costs (oom, mappings, the default set against -e
#      user, on churn and fd_hold): scripts/bench-groups.sh
#   8. exit latency (target exit -> file written): scripts/bench-exit.sh
#
# Knobs (environment): BENCH_RUNS (5), BENCH_N_BARE (10000000),
# BENCH_N_TRACED (100000: churn iterations under the uprobes),
# BENCH_N_LAUNCH (2000000: under heaptrack and the preload path; the issue's
# 2,000,000 pairs), BENCH_N_BIG (700000: a trace of about 100 MB),
# BENCH_N_HUGE (7000000: about 1 GB; 0 skips it), BENCH_REPORT_RUNS (3),
# BENCH_N_GROUPS (10000: churn iterations per -e group run), BENCH_GROUPS=0
# and BENCH_EXIT=0 (skip 7 and 8), BENCH_THREADS (4: churn_threads' threads),
# BENCH_N_THREADS_BARE (100000), BENCH_N_THREADS_TRACED (2000: iterations
# per thread, 8 allocations and 8 frees each, under the uprobes) and
# BENCH_N_THREADS_LAUNCH (20000: under heaptrack and the preload path),
# BENCH_HEAPTRACK=0 (leave
# heaptrack out), BENCH_ONLY (report: part 3 alone; compare: bare, heaptrack,
# --uprobes and preload on churn and churn_threads alone, the rest of 1+2
# and 3-8 left out). A quicker run: BENCH_RUNS=3 BENCH_N_HUGE=0.
# Needs root, tracefs with uprobes, and `make all progs scripts/bench_reader`.

set -u

if [ "$(id -u)" != 0 ]; then
	echo "bench.sh: must run as root (memrec needs tracefs and uprobes)" >&2
	exit 1
fi

cd "$(dirname "$0")/.." || exit 1
MEMREC=./memrec
READER=scripts/bench_reader
CHURN=tests/progs/churn
THREADS=tests/progs/churn_threads
SLEEPER=tests/progs/sleeper
RUNS=${BENCH_RUNS:-5}
N_BARE=${BENCH_N_BARE:-10000000}
N_TRACED=${BENCH_N_TRACED:-100000}
N_LAUNCH=${BENCH_N_LAUNCH:-2000000}
N_BIG=${BENCH_N_BIG:-700000}
N_HUGE=${BENCH_N_HUGE:-7000000}
REPORT_RUNS=${BENCH_REPORT_RUNS:-3}
N_THREADS=${BENCH_THREADS:-4}
N_THREADS_BARE=${BENCH_N_THREADS_BARE:-100000}
N_THREADS_TRACED=${BENCH_N_THREADS_TRACED:-2000}
N_THREADS_LAUNCH=${BENCH_N_THREADS_LAUNCH:-20000}
ONLY=${BENCH_ONLY:-}
case $ONLY in
''|report|compare) ;;
*) echo "bench.sh: BENCH_ONLY takes 'report' or 'compare', not '$ONLY'" >&2; exit 2 ;;
esac
PROG=churn	# what timed_run runs: churn N, or (threads) churn_threads N N_THREADS
HEAPTRACK=
if [ "${BENCH_HEAPTRACK:-1}" != 0 ]; then
	HEAPTRACK=$(command -v heaptrack)
fi

for f in $MEMREC $READER $CHURN $THREADS $SLEEPER; do
	[ -x "$f" ] || { echo "bench.sh: '$f' is missing; run 'make bench'" >&2; exit 1; }
done
command -v jq >/dev/null || { echo "bench.sh: jq is missing (apt-get install jq)" >&2; exit 1; }

TRACEFS=/sys/kernel/tracing
[ -w $TRACEFS/uprobe_events ] || TRACEFS=/sys/kernel/debug/tracing
if [ ! -w $TRACEFS/uprobe_events ]; then
	echo "bench.sh: no writable uprobe_events in tracefs; mount tracefs with uprobes" >&2
	exit 1
fi

TMP=$(mktemp -d /tmp/memrec-bench.XXXXXX) || exit 1
OURS=()		# pids of every recorder we started: their state must be gone at the end
BG=()		# background processes still to stop on exit
ROWS=()		# the final table: "name|value|unit|ratio"
NOTES=()
FAILED=0
START_NS=$(date +%s%N)

note() { NOTES+=("$*"); echo "bench.sh: $*" >&2; }
row() { ROWS+=("$1|$2|$3|$4"); }

# Names (memrec_<pid>) of instances and uprobe groups currently in tracefs.
tracing_names() {
	{
		ls "$TRACEFS/instances" 2>/dev/null
		sed -n 's/^[pr][^:]*:\([^/]*\)\/.*/\1/p' "$TRACEFS/uprobe_events" 2>/dev/null
	} | sort -u
}

is_ours() {
	local n=$1 p
	for p in "${OURS[@]}"; do [ "$n" = "memrec_$p" ] && return 0; done
	return 1
}

# Uprobe groups that are not ours: they slow every libc malloc down too.
foreign_probes() {
	local g
	for g in $(sed -n 's/^[pr][^:]*:\([^/]*\)\/.*/\1/p' "$TRACEFS/uprobe_events" | sort -u); do
		is_ours "$g" || echo "$g"
	done
}

# Waits (up to 30 s) until no foreign uprobes are armed and the teardown of
# our last recorder (memrec-teardown, after it exited) is over; 1 if they stay.
wait_quiet() {
	local i f
	for i in $(seq 300); do
		[ -n "${LAST_PID:-}" ] && grep -q " @memrec-teardown/memrec_$LAST_PID\$" /proc/net/unix &&
			{ sleep 0.1; continue; }
		f=$(foreign_probes)
		[ -z "$f" ] && return 0
		[ "$i" = 1 ] && echo "bench.sh: waiting for foreign uprobes to go: $(echo $f)" >&2
		sleep 0.1
	done
	return 1
}

# Removes a leftover memrec_<pid> instance and uprobe group (after a bug).
remove_state() {
	local n=$1 ev
	echo 0 > "$TRACEFS/instances/$n/tracing_on" 2>/dev/null
	rmdir "$TRACEFS/instances/$n" 2>/dev/null
	for ev in $(sed -n "s/^[pr][^:]*:\($n\/[^ ]*\).*/\1/p" "$TRACEFS/uprobe_events"); do
		echo "-:$ev" >> "$TRACEFS/uprobe_events"
	done
}

cleanup() {
	local p n left=()
	trap - EXIT INT TERM
	# a recorder still running stops on SIGTERM and removes its own state
	[ -n "${LAST_PID:-}" ] && kill -TERM "$LAST_PID" 2>/dev/null
	for p in "${BG[@]}"; do kill -TERM "$p" 2>/dev/null; done
	[ -n "${LAST_PID:-}" ] && wait "$LAST_PID" 2>/dev/null
	for p in "${BG[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
	# memrec and bench_reader remove their state themselves (memrec's
	# memrec-teardown within seconds of its exit): anything left is a bug
	for p in $(seq 200); do
		left=()
		for n in $(tracing_names); do
			is_ours "$n" && left+=("$n")
		done
		[ ${#left[@]} -eq 0 ] && break
		sleep 0.1
	done
	if [ ${#left[@]} -gt 0 ]; then
		echo "bench.sh: FAIL: tracing state left behind: ${left[*]} (removed it now)" >&2
		for n in "${left[@]}"; do remove_state "$n"; done
		FAILED=1
	fi
	for n in $(tracing_names); do
		case $n in memrec_*) echo "bench.sh: note: foreign memrec state '$n' present" \
			"(another memrec is running?)" >&2;; esac
	done
	exit $FAILED
}
trap cleanup EXIT
trap 'echo "bench.sh: interrupted" >&2; FAILED=130; exit 130' INT TERM

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { if (b == 0 || a == "" || b == "") print "n/a"; else printf f "\n", a / b }'; }
ns_now() { date +%s%N; }

# Runs "$@" in the background (so its pid is known), waits, returns its status.
run_bg() {
	"$@" &
	LAST_PID=$!
	wait $LAST_PID
}

# The wall time (ns) the timing wrapper printed on the given output.
wrapper_ns() { grep -E '^[0-9]+$' "$1" | tail -n1; }

# One timed run, retried (up to 3 times) if foreign uprobes were armed around it.
# $1 = kind (bare|heaptrack|memrec|memrec_preload|memrec_ftrace|reader|nontarget),
# $2 = run number; runs churn $N, or churn_threads $N $N_THREADS if PROG is
# threads; sets RUN_NS (the timing wrapper's: under heaptrack, heaptrack's
# whole command) and RUN_WALL (the whole command's).
timed_run() {
	local kind=$1 i=$2 try out=$TMP/out err=$TMP/err t0 t1 dat=$TMP/run.dat st
	local -a cmd=("$CHURN" "$N")
	[ "$PROG" = threads ] && cmd=("$THREADS" "$N" "$N_THREADS")
	for try in 1 2 3; do
		wait_quiet || note "foreign uprobes stayed armed during '$kind' run $i: it is skewed"
		rm -f "$out" "$err" "$dat" "$TMP"/ht.*
		t0=$(ns_now)
		case $kind in
		bare|nontarget)
			$READER time -- "${cmd[@]}" > "$out" 2> "$err"
			st=$? ;;
		heaptrack)
			# its library leaves the children of what it starts alone: the
			# timing wrapper goes outside
			$READER time -- "$HEAPTRACK" -o "$TMP/ht" "${cmd[@]}" > "$out" 2> "$err"
			st=$? ;;
		memrec)
			run_bg $MEMREC record -e user --uprobes -o "$dat" -- $READER time -- "${cmd[@]}" \
				> "$out" 2> "$err"
			st=$?
			OURS+=("$LAST_PID") ;;
		memrec_preload)
			run_bg $MEMREC record -e user -o "$dat" -- $READER time -- \
				"${cmd[@]}" > "$out" 2> "$err"
			st=$?
			OURS+=("$LAST_PID") ;;
		memrec_ftrace)
			run_bg $MEMREC record -e user --uprobes=ftrace -o "$dat" -- $READER time -- \
				"${cmd[@]}" \
				> "$out" 2> "$err"
			st=$?
			OURS+=("$LAST_PID") ;;
		reader)
			run_bg $READER stream -o "$TMP" -- $READER time -- "${cmd[@]}" > "$out" 2> "$err"
			st=$?
			OURS+=("$LAST_PID") ;;
		esac
		t1=$(ns_now)
		RUN_WALL=$((t1 - t0))
		RUN_NS=$(wrapper_ns "$out")
		if [ $st != 0 ] || [ -z "$RUN_NS" ]; then
			note "FAIL: '$kind' run $i exited $st: $(tail -n3 "$err" | tr '\n' ' ')"
			FAILED=1
			RUN_NS=
			return 1
		fi
		[ "$kind" = nontarget ] && return 0	# foreign probes are the point there
		[ -z "$(foreign_probes)" ] && return 0
		echo "bench.sh: foreign uprobes appeared during '$kind' run $i; retrying" >&2
	done
	note "'$kind' run $i kept overlapping foreign uprobes: it is skewed"
	return 0
}

# ---- the comparison with heaptrack: per "program:kind", one value per run ----
declare -A CT CW CB CL CE	# target ns/iter, wall ns, bytes per event, lost, events
# cmp_add PROG KIND WHAT [BYTES_PER_EVENT LOST EVENTS]: keeps the last
# timed_run's target time per iteration (churn_threads' own when it printed
# it) if WHAT is iter or both, its wall time if wall or both, and what the
# recording held.
cmp_add() {
	local k=$1:$2 tns
	tns=$(sed -n 's/^allocs [0-9]* frees [0-9]* ns \([0-9]*\)$/\1/p' "$TMP/out" | tail -n1)
	[ "$3" = wall ] || CT[$k]+=" $(div "${tns:-$RUN_NS}" "$N" %.1f)"
	[ "$3" = iter ] || CW[$k]+=" $RUN_WALL"
	[ $# -gt 3 ] && { CB[$k]+=" $4"; CL[$k]+=" $5"; CE[$k]+=" $6"; }
	return 0
}

# cmp_recorded PROG KIND EXPECTED: after a timed_run of heaptrack or a memrec
# kind, cmp_add's with what its file holds; notes fewer than EXPECTED allocations.
cmp_recorded() {
	local prog=$1 kind=$2 exp=$3 f allocs frees leaked lost=-
	if [ "$kind" = heaptrack ]; then
		f=$(ls "$TMP"/ht.* 2>/dev/null | head -n1)
		allocs=$(sed -n 's/^[[:space:]]*allocations:[[:space:]]*\([0-9]*\)$/\1/p' \
			"$TMP/out" "$TMP/err" | tail -n1)
		leaked=$(sed -n 's/^[[:space:]]*leaked allocations:[[:space:]]*\([0-9]*\)$/\1/p' \
			"$TMP/out" "$TMP/err" | tail -n1)
		if [ -z "$f" ] || [ -z "$allocs" ]; then
			note "FAIL: heaptrack on $prog left no file or no statistics:" \
				"$(tail -n2 "$TMP/err" | tr '\n' ' ')"
			FAILED=1
			return 1
		fi
		frees=$((allocs - ${leaked:-0}))
	else
		f=$TMP/run.dat
		if ! $MEMREC report -i "$f" --format json > "$TMP/rep.json" 2> "$TMP/rep.err"; then
			note "FAIL: memrec report of $prog ($kind) failed: $(head -n2 "$TMP/rep.err" | tr '\n' ' ')"
			FAILED=1
			return 1
		fi
		read -r lost allocs frees < <(jq -r \
			'"\(.lost_events.total) \(.events.allocs) \(.events.frees)"' "$TMP/rep.json")
	fi
	[ "$allocs" -lt "$exp" ] || [ "$frees" -lt "$exp" ] &&
		note "$kind on $prog saw $allocs allocs / $frees frees, the program made $exp (lost $lost)"
	cmp_add "$prog" "$kind" both "$(div "$(stat -c %s "$f")" "$((allocs + frees))" %.3f)" \
		"$lost" "$((allocs + frees))"
	rm -f "$TMP/run.dat" "$TMP/rep.json" "$TMP"/ht.*
}

vals() { tr ' ' '\n' | grep -v '^$'; }
med_of() { printf '%s\n' "$1" | vals | median; }
max_of() { printf '%s\n' "$1" | vals | sort -n | tail -n1; }

echo "memrec bench: $(nproc) CPUs, $(uname -r), runs=$RUNS, churn N: bare $N_BARE," \
	"traced $N_TRACED, launch $N_LAUNCH, big $N_BIG; churn_threads: $N_THREADS threads," \
	"N bare $N_THREADS_BARE, traced $N_THREADS_TRACED, launch $N_THREADS_LAUNCH" >&2

# ---- 1 + 2: slowdown of the target, lost events, file size -------------------
if [ "$ONLY" = '' ] || [ "$ONLY" = compare ]; then
declare -a BARE MEMREC_NS MEMREC_WALL MEMREC_FT_NS READER_NS LOST FT_LOST FILE_PER_M READER_LOST
declare -a PL_NS PL_LOST PL_FILE_PER_M
N=$N_BARE
for i in $(seq "$RUNS"); do
	timed_run bare "$i" && BARE+=("$(div "$RUN_NS" "$N" %.3f)") && cmp_add churn bare iter
done
N=$N_TRACED
# the wall times against memrec --uprobes', at its N
for i in $(seq "$RUNS"); do
	timed_run bare "$i" && cmp_add churn bare wall
done
for i in $(seq "$RUNS"); do
	timed_run memrec "$i" || continue
	MEMREC_NS+=("$(div "$RUN_NS" "$N" %.1f)")
	MEMREC_WALL+=("$RUN_WALL")
	if ! $MEMREC report -i "$TMP/run.dat" --format json > "$TMP/rep.json" 2> "$TMP/rep.err"; then
		note "FAIL: memrec report of run $i failed: $(head -n2 "$TMP/rep.err" | tr '\n' ' ')"
		FAILED=1
		continue
	fi
	read -r lost allocs frees < <(jq -r '"\(.lost_events.total) \(.events.allocs) \(.events.frees)"' \
		"$TMP/rep.json")
	LOST+=("$lost")
	[ "$allocs" -lt "$N" ] || [ "$frees" -lt "$N" ] &&
		note "memrec run $i saw $allocs allocs / $frees frees for $N iterations (lost $lost)"
	# bytes per event = MB (10^6 bytes) per million events
	FILE_PER_M+=("$(div "$(stat -c %s "$TMP/run.dat")" "$((allocs + frees))" %.1f)")
	cmp_add churn memrec both "$(div "$(stat -c %s "$TMP/run.dat")" "$((allocs + frees))" %.3f)" \
		"$lost" "$((allocs + frees))"
	rm -f "$TMP/run.dat" "$TMP/rep.json"
done
# The launch mode against heaptrack, at N_LAUNCH: bare's wall there, heaptrack's,
# and the default (preload) path's: no uprobes, the library in the target.
N=$N_LAUNCH
for i in $(seq "$RUNS"); do
	timed_run bare "$i" && cmp_add churn bare_launch wall
done
if [ -n "$HEAPTRACK" ]; then
	for i in $(seq "$RUNS"); do
		timed_run heaptrack "$i" && cmp_recorded churn heaptrack "$N"
	done
elif [ "${BENCH_HEAPTRACK:-1}" != 0 ]; then
	note "SKIP: heaptrack is not installed (apt-get install heaptrack): no comparison with it"
fi
for i in $(seq "$RUNS"); do
	timed_run memrec_preload "$i" || continue
	PL_NS+=("$(div "$RUN_NS" "$N" %.1f)")
	if ! $MEMREC report -i "$TMP/run.dat" --format json > "$TMP/rep.json" 2> "$TMP/rep.err"; then
		note "FAIL: memrec report of preload run $i failed: $(head -n2 "$TMP/rep.err" | tr '\n' ' ')"
		FAILED=1
		continue
	fi
	read -r lost allocs frees < <(jq -r '"\(.lost_events.total) \(.events.allocs) \(.events.frees)"' \
		"$TMP/rep.json")
	PL_LOST+=("$lost")
	[ "$allocs" -lt "$N" ] || [ "$frees" -lt "$N" ] &&
		note "memrec preload run $i saw $allocs allocs / $frees frees for $N iterations (lost $lost)"
	PL_FILE_PER_M+=("$(div "$(stat -c %s "$TMP/run.dat")" "$((allocs + frees))" %.1f)")
	cmp_add churn memrec_preload both \
		"$(div "$(stat -c %s "$TMP/run.dat")" "$((allocs + frees))" %.3f)" \
		"$lost" "$((allocs + frees))"
	rm -f "$TMP/run.dat" "$TMP/rep.json"
done
# churn_threads: the four kinds interleaved run by run
PROG=threads
N=$N_THREADS_BARE
for i in $(seq "$RUNS"); do
	timed_run bare "$i" && cmp_add threads bare iter
done
N=$N_THREADS_TRACED
exp=$((8 * N * N_THREADS + N_THREADS + 1))
for i in $(seq "$RUNS"); do
	timed_run bare "$i" && cmp_add threads bare wall
	timed_run memrec "$i" && cmp_recorded threads memrec "$exp"
done
N=$N_THREADS_LAUNCH
exp=$((8 * N * N_THREADS + N_THREADS + 1))
for i in $(seq "$RUNS"); do
	timed_run bare "$i" && cmp_add threads bare_launch wall
	[ -n "$HEAPTRACK" ] && timed_run heaptrack "$i" && cmp_recorded threads heaptrack "$exp"
	timed_run memrec_preload "$i" && cmp_recorded threads memrec_preload "$exp"
done
PROG=churn
N=$N_TRACED
if [ "$ONLY" != compare ]; then
# The same runs on the old host-wide path (lost events only: the file is the same).
for i in $(seq "$RUNS"); do
	timed_run memrec_ftrace "$i" || continue
	MEMREC_FT_NS+=("$(div "$RUN_NS" "$N" %.1f)")
	if $MEMREC report -i "$TMP/run.dat" --format json > "$TMP/rep.json" 2> "$TMP/rep.err"; then
		FT_LOST+=("$(jq -r .lost_events.total "$TMP/rep.json")")
	else
		note "FAIL: memrec report of --uprobes=ftrace run $i failed: $(head -n2 "$TMP/rep.err" | tr '\n' ' ')"
		FAILED=1
	fi
	rm -f "$TMP/run.dat" "$TMP/rep.json"
done
for i in $(seq "$RUNS"); do
	timed_run reader "$i" || continue
	READER_NS+=("$(div "$RUN_NS" "$N" %.1f)")
	READER_LOST+=("$(sed -n 's/.* \([0-9]*\) events lost.*/\1/p' "$TMP/err" | tail -n1)")
done
fi

bare=$(printf '%s\n' "${BARE[@]}" | median)
mr=$(printf '%s\n' "${MEMREC_NS[@]}" | median)
ft=$(printf '%s\n' "${MEMREC_FT_NS[@]}" | median)
rd=$(printf '%s\n' "${READER_NS[@]}" | median)
wall=$(printf '%s\n' "${MEMREC_WALL[@]}" | median)
row "churn bare (N=$N_BARE)" "$bare" "ns/iter" "1.00 (baseline)"
row "churn under memrec record --uprobes (N=$N_TRACED)" "$mr" "ns/iter" "$(div "$mr" "$bare" %.1f) x bare"
[ "$ONLY" = compare ] ||
	row "churn under memrec record --uprobes=ftrace" "$ft" "ns/iter" "$(div "$ft" "$bare" %.1f) x bare"
pl=$(printf '%s\n' "${PL_NS[@]}" | median)
row "churn under memrec record (preload, default)" "$pl" "ns/iter" \
	"$(div "$pl" "$bare" %.1f) x bare"
row "target slowdown: preload (default) / perf" "$(div "$pl" "$mr")" "ratio" "<1: preload cheaper"
if [ "$ONLY" != compare ]; then
	row "target slowdown: perf / ftrace (uprobes)" "$(div "$mr" "$ft")" "ratio" "<1: perf path cheaper"
	row "churn under bare reader (ftrace probes)" "$rd" "ns/iter" "$(div "$rd" "$bare" %.1f) x bare"
	row "memrec --uprobes / bare reader" "$(div "$mr" "$rd")" "ratio" "perf vs ftrace reader"
	row "memrec --uprobes=ftrace / bare reader" "$(div "$ft" "$rd")" "ratio" "goal ~1.0 (same probes)"
fi
if [ -n "$wall" ] && [ -n "$mr" ]; then
	fixed=$(awk -v w="$wall" -v m="$mr" -v n="$N_TRACED" 'BEGIN { printf "%.0f", (w - m * n) / 1e6 }')
	row "memrec record --uprobes fixed cost (wall - churn)" "$fixed" "ms/run" "-"
fi
maxlost=$(printf '%s\n' "${LOST[@]}" | sort -n | tail -n1)
row "lost events, memrec --uprobes, default -b (max of $RUNS)" "${maxlost:-n/a}" "events" "goal 0"
ftlost=$(printf '%s\n' "${FT_LOST[@]}" | sort -n | tail -n1)
[ "$ONLY" = compare ] ||
	row "lost events, memrec --uprobes=ftrace (max of $RUNS)" "${ftlost:-n/a}" "events" "goal 0"
pllost=$(printf '%s\n' "${PL_LOST[@]}" | sort -n | tail -n1)
row "lost events, memrec (preload, default) (max of $RUNS)" "${pllost:-n/a}" "events" "goal 0"
rlost=$(printf '%s\n' "${READER_LOST[@]}" | sort -n | tail -n1)
[ "$ONLY" = compare ] || row "lost events, bare reader (max of $RUNS)" "${rlost:-n/a}" "events" "-"
fpm=$(printf '%s\n' "${FILE_PER_M[@]}" | median)
row "file size per million events, --uprobes" "$fpm" "MB/M events" "-"
plfpm=$(printf '%s\n' "${PL_FILE_PER_M[@]}" | median)
row "file size per million events, preload (default)" "$plfpm" "MB/M events" "-"

fi

# ---- 3: report speed and memory, on two sizes of trace ---------------------
# Peak resident memory of a command and its children, in kB (-1: it failed).
peak_rss_kb() {
	python3 -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if r.returncode == 0 else -1)' "$@"
}

# bench_report N: records churn N into a large trace, then times memrec
# report (median of REPORT_RUNS) and trace-cmd report on it, and measures
# memrec report's peak RSS against the file's size.
bench_report() {
	local n=$1 big=$TMP/big.dat t0 t1 st rep events biglost i mb rss tc
	local -a rep_ns=()
	wait_quiet || note "foreign uprobes armed while recording the large trace"
	run_bg $MEMREC record -o "$big" -- $CHURN "$n" > /dev/null 2> "$TMP/big.err"
	st=$?
	OURS+=("$LAST_PID")
	if [ $st != 0 ]; then
		note "FAIL: recording the large trace (churn $n) failed: $(tail -n2 "$TMP/big.err" | tr '\n' ' ')"
		FAILED=1
		rm -f "$big"
		return
	fi
	events=
	biglost=n/a
	for i in $(seq "$REPORT_RUNS"); do
		t0=$(ns_now)
		if ! $MEMREC report -i "$big" --format json > "$TMP/big.json" 2> "$TMP/rep.err"; then
			note "FAIL: memrec report of the large trace failed: $(head -n2 "$TMP/rep.err")"
			FAILED=1
			break
		fi
		t1=$(ns_now)
		rep_ns+=("$((t1 - t0))")
		[ -n "$events" ] || events=$(jq '.events.allocs + .events.frees' "$TMP/big.json")
		biglost=$(jq '.lost_events.total' "$TMP/big.json")
	done
	rm -f "$TMP/big.json"
	rep=$(printf '%s\n' "${rep_ns[@]}" | median)
	mb=$(div "$(stat -c %s "$big")" 1048576 %.0f)
	row "large trace (churn $n)" "$mb" "MB" "$events events, $biglost lost"
	row "  memrec report --format json (median $REPORT_RUNS)" "$(div "$rep" 1e9 %.2f)" "s" "-"
	row "  memrec report speed" "$(div "$events" "$(div "$rep" 1e9 %.6f)" %.0f)" "events/s" "-"
	rss=$(peak_rss_kb $MEMREC report -i "$big" --format json)
	row "  memrec report peak RSS" "$(div "$rss" 1024 %.0f)" "MB" \
		"$(div "$rss" "$(div "$(stat -c %s "$big")" 1024 %.0f)") of the file's size"
	if command -v trace-cmd >/dev/null; then
		t0=$(ns_now)
		trace-cmd report "$big" > /dev/null 2> "$TMP/tc.err"
		st=$?
		t1=$(ns_now)
		tc=$((t1 - t0))
		[ $st = 0 ] || note "trace-cmd report exited $st: $(head -n2 "$TMP/tc.err")"
		row "  trace-cmd report (1 run)" "$(div "$tc" 1e9 %.2f)" "s" "-"
		row "  memrec report / trace-cmd report" "$(div "$rep" "$tc")" "ratio" "<1 is faster"
	else
		note "SKIP: trace-cmd is not installed: no memrec report / trace-cmd report comparison"
		row "  memrec report / trace-cmd report" "SKIPPED" "-" "trace-cmd missing"
	fi
	rm -f "$big"
}

if [ "$ONLY" != compare ]; then
	bench_report "$N_BIG"
	[ "$N_HUGE" -gt 0 ] && bench_report "$N_HUGE"
fi

# ---- 4: cost to a non-target process ----------------------------------------
if [ -z "$ONLY" ]; then
# nontarget_runs ARRAY [RECORD_ARGS...]: while `memrec record RECORD_ARGS -p`
# records a sleeper, times churn run directly (not a target) RUNS times;
# appends the ns/iter to the array named ARRAY.
nontarget_runs() {
	local -n nt_out=$1
	local sleeper rec st i
	shift
	wait_quiet || note "foreign uprobes armed before the non-target runs"
	$SLEEPER 600 > /dev/null &
	sleeper=$!
	BG+=("$sleeper")
	$MEMREC record "$@" -o "$TMP/nt.dat" -p "$sleeper" > /dev/null 2> "$TMP/nt.err" &
	rec=$!
	BG=("$rec" "${BG[@]}")
	OURS+=("$rec")
	for i in $(seq 100); do
		grep -q "recording pid" "$TMP/nt.err" && break
		kill -0 $rec 2>/dev/null || break
		sleep 0.1
	done
	if grep -q "recording pid" "$TMP/nt.err"; then
		N=$N_TRACED
		for i in $(seq "$RUNS"); do
			timed_run nontarget "$i" && nt_out+=("$(div "$RUN_NS" "$N" %.1f)")
		done
	else
		note "FAIL: memrec record $* -p $sleeper did not start: $(tail -n2 "$TMP/nt.err" | tr '\n' ' ')"
		FAILED=1
	fi
	kill -TERM $rec 2>/dev/null
	wait $rec
	st=$?
	[ $st = 0 ] || { note "FAIL: memrec record $* -p exited $st: $(tail -n2 "$TMP/nt.err" | tr '\n' ' ')"; FAILED=1; }
	kill $sleeper 2>/dev/null
	wait $sleeper 2>/dev/null
	BG=()
	rm -f "$TMP/nt.dat"
}
declare -a NT NT_FT
nontarget_runs NT
nontarget_runs NT_FT --uprobes=ftrace
nt=$(printf '%s\n' "${NT[@]}" | median)
ntft=$(printf '%s\n' "${NT_FT[@]}" | median)
row "NON-target churn while memrec records a sleeper" "$nt" "ns/iter" \
	"$(div "$nt" "$bare" %.1f) x bare"
row "NON-target churn, memrec --uprobes=ftrace" "$ntft" "ns/iter" \
	"$(div "$ntft" "$bare" %.1f) x bare"

# ---- 5: size the embedded symbols add -------------------------------------
# The same program recorded three ways; the file sizes differ by the archive.
declare -A SIZE
for mode in no-embed default debuginfo; do
	args=(-e user)	# the kernel groups would add kallsyms and host-wide frees
	[ $mode = no-embed ] && args+=(--no-embed)
	[ $mode = debuginfo ] && args+=(--debuginfo)
	if $MEMREC record "${args[@]}" -o "$TMP/sz-$mode.dat" -- tests/progs/leak_cxx \
		>/dev/null 2>"$TMP/sz-$mode.err"; then
		SIZE[$mode]=$(stat -c %s "$TMP/sz-$mode.dat")
	else
		note "FAIL: memrec record ${args[*]} failed: $(tail -n1 "$TMP/sz-$mode.err")"
		FAILED=1
	fi
	rm -f "$TMP/sz-$mode.dat"
done
base=${SIZE[no-embed]:-0}
row "file size without embedded symbols (leak_cxx)" "$(div "$base" 1024 %.0f)" "KiB" "1.00 (baseline)"
row "  with embedded symbols (default)" "$(div "$(( ${SIZE[default]:-0} - base ))" 1024 %.0f)" \
	"KiB added" "$(div "${SIZE[default]:-0}" "$base") x"
row "  with --debuginfo" "$(div "$(( ${SIZE[debuginfo]:-0} - base ))" 1024 %.0f)" \
	"KiB added" "$(div "${SIZE[debuginfo]:-0}" "$base") x"

# ---- 6: the kernel groups on a system-call workload --------------------------
# tests/progs/fd_hold opens and closes 2000 unix sockets and files, then
# holds 1500 pipes, files and sockets: bare, under -e user, and under
# -e user,kernel,page (kernel allocations sampled with stacks, frees host-wide).
declare -A KT KSZ KEV
for mode in bare user kernel; do
	vals=()
	for i in $(seq "$RUNS"); do
		d=$TMP/fd.$mode.$i
		rm -rf "$d" && mkdir -p "$d"
		case $mode in
		bare) $READER time -- tests/progs/fd_hold "$d" < /dev/null > "$TMP/fd.out" \
			2> "$TMP/fd.err" ;;
		user) $MEMREC record -e user -o "$TMP/fd.dat" -- $READER time -- \
			tests/progs/fd_hold "$d" < /dev/null > "$TMP/fd.out" 2> "$TMP/fd.err" ;;
		kernel) $MEMREC record -e user,kernel,page -o "$TMP/fd.dat" -- $READER time -- \
			tests/progs/fd_hold "$d" < /dev/null > "$TMP/fd.out" 2> "$TMP/fd.err" ;;
		esac || { note "FAIL: fd_hold under $mode: $(tail -n1 "$TMP/fd.err")"; FAILED=1; }
		vals+=("$(wrapper_ns "$TMP/fd.out")")
		if [ "$mode" = kernel ] && [ -f "$TMP/fd.dat" ]; then
			KSZ[$i]=$(stat -c %s "$TMP/fd.dat")
			KEV[$i]=$($MEMREC report -i "$TMP/fd.dat" --format json 2>/dev/null |
				jq -r '.kernel.slab_allocs + .kernel.page_allocs')
		fi
		rm -rf "$d" "$TMP/fd.dat"
	done
	KT[$mode]=$(printf '%s\n' "${vals[@]}" | median)
done
row "fd_hold (2000 open+close, 1500 held) bare" "$(div "${KT[bare]}" 1e6 %.1f)" "ms" \
	"1.00 (baseline)"
row "  under memrec -e user" "$(div "${KT[user]}" 1e6 %.1f)" "ms" \
	"$(div "${KT[user]}" "${KT[bare]}" %.1f) x bare"
row "  under memrec -e user,kernel,page" "$(div "${KT[kernel]}" 1e6 %.1f)" "ms" \
	"$(div "${KT[kernel]}" "${KT[bare]}" %.1f) x bare, $(div "${KT[kernel]}" "${KT[user]}" %.2f) x -e user"
ksz=$(printf '%s\n' "${KSZ[@]}" | median)
kev=$(printf '%s\n' "${KEV[@]}" | median)
row "  kernel allocations recorded (slab + page)" "$kev" "events" ""
row "  file size with kernel groups" "$(div "$ksz" 1048576 %.1f)" "MB" ""

fi

# ---- table -----------------------------------------------------------------
end=$(ns_now)
printf '\nmemrec bench (%s, %s CPUs, medians of %s runs, %.0f s)\n' "$(uname -r)" "$(nproc)" \
	"$RUNS" "$(div "$((end - START_NS))" 1e9 %.1f)"
printf '%-50s %14s  %-12s %s\n' name value unit ratio
printf '%s\n' "--------------------------------------------------------------------------------------------"
for r in "${ROWS[@]}"; do
	IFS='|' read -r name value unit ratio <<< "$r"
	printf '%-50s %14s  %-12s %s\n' "$name" "${value:-n/a}" "$unit" "$ratio"
done

# The comparison with heaptrack, one line per program and tool.
if [ "$ONLY" != report ]; then
	cat <<-EOF

	against heaptrack (medians of $RUNS runs; target: the program's time per iteration, per
	thread for churn_threads, bare's at N $N_BARE / $N_THREADS_BARE, heaptrack's on churn its whole
	command; wall: the whole command, bare's at the same N; B/event: the file's size over the
	allocations and frees it holds; lost: the max, heaptrack drops none)
	EOF
	printf '%-14s %-16s %8s %12s %9s %9s %9s %8s %9s %5s\n' program tool N target_ns "x bare" \
		wall_ms "x bare" B/event events lost
	printf '%.98s\n' "$(printf '%0100d' 0 | tr 0 -)"
	for prog in churn threads; do
		if [ $prog = churn ]; then
			pn=churn; nt=$N_TRACED; nl=$N_LAUNCH
		else
			pn=churn_threads; nt=$N_THREADS_TRACED; nl=$N_THREADS_LAUNCH
		fi
		bt=$(med_of "${CT[$prog:bare]:-}")
		for kind in bare memrec bare_launch heaptrack memrec_preload; do
			# the uprobe path at N_TRACED, the launch mode and heaptrack at N_LAUNCH
			n=$nl; bw=$(med_of "${CW[$prog:bare_launch]:-}")
			case $kind in
			bare) tool=bare; n=$nt; bw=$(med_of "${CW[$prog:bare]:-}") ;;
			bare_launch) tool=bare ;;
			heaptrack) tool=heaptrack; [ -n "$HEAPTRACK" ] || continue ;;
			memrec) tool="memrec --uprobes"; n=$nt; bw=$(med_of "${CW[$prog:bare]:-}") ;;
			memrec_preload) tool="memrec (preload)" ;;
			esac
			k=$prog:$kind
			t=$(med_of "${CT[$k]:-}")
			[ "$kind" = bare_launch ] && t=$bt
			w=$(med_of "${CW[$k]:-}")
			b=$(med_of "${CB[$k]:-}")
			e=$(med_of "${CE[$k]:-}")
			l=$(max_of "${CL[$k]:-}")
			printf '%-14s %-16s %8s %12s %9s %9s %9s %8s %9s %5s\n' "$pn" "$tool" "$n" "${t:-n/a}" \
				"$(div "$t" "$bt" %.1f)" "$(div "$w" 1e6 %.0f)" "$(div "$w" "$bw" %.1f)" \
				"${b:--}" "${e:--}" "${l:--}"
		done
		if [ -n "$HEAPTRACK" ]; then
			printf '%-14s preload / heaptrack: target %s, wall %s (goal <= 1)\n' "$pn" \
				"$(div "$(med_of "${CT[$prog:memrec_preload]:-}")" "$(med_of "${CT[$prog:heaptrack]:-}")")" \
				"$(div "$(med_of "${CW[$prog:memrec_preload]:-}")" "$(med_of "${CW[$prog:heaptrack]:-}")")"
		fi
	done
fi
printf '\nper-run ns/iter  bare: %s\n' "${BARE[*]:-}"
printf '                 memrec: %s\n' "${MEMREC_NS[*]:-}"
printf '                 memrec --uprobes=ftrace: %s\n' "${MEMREC_FT_NS[*]:-}"
printf '                 reader: %s\n' "${READER_NS[*]:-}"
printf '                 non-target: %s\n' "${NT[*]:-}"
printf '                 non-target, ftrace: %s\n' "${NT_FT[*]:-}"
for n in "${NOTES[@]}"; do printf 'note: %s\n' "$n"; done

# ---- 7 + 8: the cost of each -e group, and exit latency ---------------------
# scripts/bench-groups.sh: churn and fd_hold bare, under -e user, user,oom,
# user,mappings and the default events (target time, bytes, lost events,
# exit latency); scripts/bench-exit.sh: exit latency on a trivial target,
# detached teardown against foreground. BENCH_GROUPS=0 / BENCH_EXIT=0 skip them.
if [ "${BENCH_GROUPS:-1}" != 0 ] && [ -z "$ONLY" ]; then
	echo
	scripts/bench-groups.sh || FAILED=1
fi
if [ "${BENCH_EXIT:-1}" != 0 ] && [ -z "$ONLY" ]; then
	printf '\nmemrec bench-exit (medians of %s runs)\n' "$RUNS"
	scripts/bench-exit.sh || FAILED=1
fi
