#!/bin/bash
# tests/run.sh - runs the unit test binaries (tests/unit: synthetic events,
# no root), then the tests on checked-in files (tests/file: golden reports,
# docs, fuzzing; no root), then the live tests (tests/live: record real
# programs; root and tracefs, or they skip loudly), then the tests on
# other kernels (tests/vm: Debian 12's 6.1 in qemu, TCG), and ends with
# "N passed, N failed, N skipped". Each test prints lines
#   ok - NAME | not ok - NAME: why | skip - NAME: why
# A test that exits non-zero without a "not ok" line counts as one failure.
# Usage: tests/run.sh [PATTERN]   (runs only tests whose path matches)
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0 skip=0
pattern=${1:-}
out=tests/out
mkdir -p "$out"

run_one() {
	local t=$1 log name rc
	name=$(basename "$t")
	log=$out/$name.log
	if [[ $t == *.sh ]]; then
		timeout 600 bash "$t" >"$log" 2>&1; rc=$?
	else
		timeout 300 "$t" >"$log" 2>&1; rc=$?
	fi
	local p f s
	p=$(grep -c '^ok - ' "$log"); f=$(grep -c '^not ok - ' "$log"); s=$(grep -c '^skip - ' "$log")
	grep -E '^(not ok|skip) - ' "$log" | sed "s|^|  $name: |"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "  $name: not ok - exited with status $rc (log: $log)"
		tail -5 "$log" | sed 's/^/    /'
		f=1
	fi
	[ "$f" -gt 0 ] && echo "  $name: see $log"
	printf '%-28s %3d passed, %d failed, %d skipped\n' "$name" "$p" "$f" "$s"
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
}

for t in tests/unit/test_*; do
	[[ $t == *.c || $t == *.d ]] && continue
	[ -x "$t" ] || continue
	[ -n "$pattern" ] && [[ $t != *$pattern* ]] && continue
	run_one "$t"
done
for t in tests/file/test_*.sh tests/live/test_*.sh tests/vm/test_*.sh; do
	[ -f "$t" ] || continue
	[ -n "$pattern" ] && [[ $t != *$pattern* ]] && continue
	run_one "$t"
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ $((pass + fail)) -gt 0 ]
