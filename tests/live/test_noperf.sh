#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_noperf.sh - a host that refuses perf_event_open (tests/progs/noperf:
# a seccomp filter returning EACCES, as a container's default profile does).
# memrec falls back on its own: allocator probes through ftrace, mappings
# read from /proc (the command's at exec and exit, under ptrace), kernel
# events of targets left out, and says so once on stderr and in every report.
#  (a) leak_fib: not on the preload path (its mappings are perf records),
#      said in a note; the same exact rows as on the perf path (test_leaks.sh):
#      alloc_fib_node 177 blocks, 4328 bytes, calloc, its file and line;
#      JSON perf_refused "Permission denied", the text WARNING line
#  (b) dlopen_leak: a library dlopen()ed and dlclose()d within 10 ms: its
#      leak still exact (7 x 333 bytes); its frames unnamed, and the text says why
#  (c) a signal the command sends itself reaches its handler (ptrace passes it on)
#  (d) -e user,kernel: kernel events of targets are not recorded, said so
#  (e) --call-graph dwarf needs perf: one error line, exit 1
#  (f) no tracing state left, no command left stopped
. "$(dirname "$0")/lib.sh"
live_init

P=$PROGS
SRC=$ROOT/tests/progs
NP=$P/noperf
WARN='^memrec: warning: perf_event_open is refused here \(Permission denied\)'

# noperf_record NAME ARGS...: memrec record ARGS under noperf; checks exit 0
# and exactly one fallback warning.
noperf_record() {
	local name=$1 log=$OUT/$1.record.log n
	shift
	echo "+ noperf memrec record $*" > "$log"
	timeout -k 10 -s INT "$RECORD_TIMEOUT" "$NP" "$MEMREC" record "$@" \
		> "$log.out" 2>> "$log"
	REC_RC=$?
	if [ "$REC_RC" -ne 0 ]; then
		fail "$name/record" "memrec record $(describe_rc $REC_RC) (log: $log)"
		return 1
	fi
	ok "$name/record"
	n=$(grep -cE "$WARN" "$log")
	if [ "$n" -eq 1 ]; then
		ok "$name/warning"
	else
		fail "$name/warning" "$n fallback warnings on stderr, expected 1 (log: $log)"
	fi
}

if [ ! -x "$NP" ]; then
	fail noperf/prog "missing $NP; run make progs"
	live_finish
fi
if "$NP" python3 -c 'import ctypes, sys; l = ctypes.CDLL(None, use_errno=True); sys.exit(0 if l.syscall(298, 0, 0, 0, 0, 0) == -1 and ctypes.get_errno() == 13 else 1)'; then
	ok "noperf/refuses"
else
	fail "noperf/refuses" "perf_event_open is not refused with EACCES under tests/progs/noperf"
fi

# --- (a) leak_fib
if noperf_record leak_fib -o "$OUT/leak_fib.dat" -- "$P/leak_fib"; then
	grep -q '^fib 55$' "$OUT/leak_fib.record.log.out" && ok leak_fib/target-ran ||
		fail leak_fib/target-ran "no 'fib 55' from the target"
	# the preload path's mappings are perf records too: the uprobes, said so
	if grep -q "^memrec: note: cannot preload into '.*leak_fib': perf_event_open is refused here (Permission denied); recording it with the uprobes$" \
		"$OUT/leak_fib.record.log"; then
		ok leak_fib/no-preload-note
	else
		fail leak_fib/no-preload-note "no note that the preload path needs perf (log: $OUT/leak_fib.record.log)"
	fi
	if run_report leak_fib/report "$OUT/leak_fib.dat" "$OUT/leak_fib.json"; then
		check leak_fib "$OUT/leak_fib.json" --eq lost_events.total 0 \
			--target-cmd tests/progs/leak_fib \
			--leak alloc_fib_node 177 4328 --fn calloc --sizes 8 88 --pid target \
			--module-suffix /tests/progs/leak_fib --file-suffix leak_fib.c \
			--line "$(src_line "$SRC/leak_fib.c" fib)" \
			--module-total /tests/progs/leak_fib 177 4328 --min allocs 177
		v=$(jq -r '.perf_refused' "$OUT/leak_fib.json")
		[ "$v" = "Permission denied" ] && ok leak_fib/json-perf-refused ||
			fail leak_fib/json-perf-refused "perf_refused is '$v'"
		v=$(jq -r '.events.mappings' "$OUT/leak_fib.json")
		[ "$v" = "null" ] && ok leak_fib/json-no-mappings ||
			fail leak_fib/json-no-mappings "events.mappings is '$v', expected null (not recorded)"
	fi
	"$MEMREC" report -i "$OUT/leak_fib.dat" > "$OUT/leak_fib.txt" 2>&1
	if grep -q '^  WARNING: perf_event_open was refused (Permission denied): the allocator probes went through ftrace' "$OUT/leak_fib.txt" &&
	   grep -q '^leaks: 4328 bytes in 177 blocks from ' "$OUT/leak_fib.txt"; then
		ok leak_fib/text
	else
		fail leak_fib/text "no WARNING line or not 'leaks: 4328 bytes in 177 blocks' ($OUT/leak_fib.txt)"
	fi
	"$MEMREC" report oom -i "$OUT/leak_fib.dat" --format json > "$OUT/leak_fib.oom.json" 2>&1
	v=$(jq -r '.perf_refused' "$OUT/leak_fib.oom.json" 2>/dev/null)
	[ "$v" = "Permission denied" ] && ok leak_fib/oom-json-perf-refused ||
		fail leak_fib/oom-json-perf-refused "oom report's perf_refused is '$v'"
fi
assert_no_state leak_fib/no-state

# --- (b) dlopen_leak: the library is mapped and unmapped between two looks
# at /proc (10 ms apart), so its frames cannot be named: the rows are still
# exact in bytes and blocks, and the text says why names may be missing.
if noperf_record dlopen_leak -o "$OUT/dlopen_leak.dat" -- "$P/dlopen_leak" &&
   run_report dlopen_leak/report "$OUT/dlopen_leak.dat" "$OUT/dlopen_leak.json"; then
	v=$(jq -r '[.leaks[] | select(.alloc_fn == "malloc" and .size_min == 333 and .size_max == 333)
		| [.count, .bytes]] | add | @tsv' "$OUT/dlopen_leak.json")
	[ "$v" = "$(printf '7\t2331')" ] && ok dlopen_leak/rows ||
		fail dlopen_leak/rows "333-byte malloc rows: '$v', expected 7 blocks 2331 bytes"
	"$MEMREC" report -i "$OUT/dlopen_leak.dat" 2>&1 |
		grep -q 'code mapped and unmapped between two looks is not named' &&
		ok dlopen_leak/says-why || fail dlopen_leak/says-why "the text does not say why names may be missing"
fi
assert_no_state dlopen_leak/no-state

# --- (c) a signal to the traced command is delivered
if noperf_record signal -o "$OUT/signal.dat" -e user -- \
	/bin/sh -c 'trap "echo caught" USR1; kill -USR1 $$; sleep 0.2; echo done'; then
	if [ "$(tr '\n' ' ' < "$OUT/signal.record.log.out")" = "caught done " ]; then
		ok signal/delivered
	else
		fail signal/delivered "target printed '$(tr '\n' ' ' < "$OUT/signal.record.log.out")', expected 'caught done'"
	fi
fi
assert_no_state signal/no-state

# --- (d) -e user,kernel: the kernel side is not recorded, and said so
if noperf_record kernel -o "$OUT/kernel.dat" -e user,kernel -- "$P/leak_fib"; then
	if grep -q 'the kernel events and mapping syscalls of targets (-e kernel,page,mappings) are not recorded' \
		"$OUT/kernel.record.log"; then
		ok kernel/warning-says
	else
		fail kernel/warning-says "the warning does not say the kernel events are left out"
	fi
	if run_report kernel/report "$OUT/kernel.dat" "$OUT/kernel.json"; then
		v=$(jq -r '[.kernel.recorded, .totals.bytes, .totals.count] | @tsv' "$OUT/kernel.json")
		[ "$v" = "$(printf 'false\t4328\t177')" ] && ok kernel/json ||
			fail kernel/json "kernel.recorded, bytes, count: '$v', expected false 4328 177"
	fi
fi
assert_no_state kernel/no-state

# --- (e) --call-graph dwarf needs perf
expect_error dwarf/needs-perf 1 "$NP" "$MEMREC" record -o "$OUT/dwarf.dat" \
	--call-graph dwarf -- "$P/leak_fib"
if grep -q 'perf_event_open is refused here (Permission denied); --call-graph dwarf needs it' \
	"$OUT"/dwarf_needs-perf.err; then
	ok dwarf/message
else
	fail dwarf/message "unexpected message: $(head -1 "$OUT"/dwarf_needs-perf.err)"
fi
assert_no_state dwarf/no-state

# --- (f) nothing left stopped: no process of ours in a tracing stop
if ps -eo stat=,args= | grep -E '^t' | grep -q "$P/"; then
	fail ptrace/none-stopped "a test program is left in a tracing stop: $(ps -eo stat=,args= | grep -E '^t' | grep "$P/")"
else
	ok ptrace/none-stopped
fi
live_finish
