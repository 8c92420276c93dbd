#!/bin/bash
# test_golden.sh - the reporter on checked-in trace files (tests/golden/*.dat),
# against checked-in expected reports, text and JSON. Any change in reading,
# pairing, the analysers or the writers changes a number and fails here.
# No root needed.
#
# Symbol names, modules and file:line of user frames come from the reading
# host's files, so both sides are normalised first: tests/golden/normalize.py
# (JSON) and tests/golden/normalize_text.py (text) reduce every stack to its
# frame addresses and drop the file name; every other field, every number
# (bytes, counts, sizes, ages, pids, totals, header counts) is compared as is.
#
# The cases are the table below: NAME, trace file, report arguments,
# expected file (.json: normalize.py; .txt: normalize_text.py).
#
# After an intended change in the output, regenerate the expected files
# from the current ./memrec and review the diff before committing:
#   tests/file/test_golden.sh --regen && git diff tests/golden
# To record the trace files again (root, tracefs; see the recipes in
# tests/golden/record.sh), then regenerate:
#   sudo tests/golden/record.sh && tests/file/test_golden.sh --regen
# MEMREC=path runs the cases with another binary (e.g. a sanitizer build).
# The locale is pinned to C.UTF-8: the leak report's growth sparklines are
# block characters under a UTF-8 locale, ASCII otherwise (or with --ascii).
set -u
export LC_ALL=C.UTF-8
cd "$(dirname "$0")/../.." || exit 1
MEMREC=${MEMREC:-./memrec}
G=tests/golden
out=tests/out/golden
regen=0
[ "${1:-}" = --regen ] && regen=1
mkdir -p "$out"
fail=0

# name                  file               report arguments                expected
CASES='
leak-text               leak_kinds.dat     leak -t 0                       leak_kinds.expected.txt
leak-text-top           leak_kinds.dat     leak                            leak_kinds.top.expected.txt
leak-json               leak_kinds.dat     leak -f json                    leak_kinds.expected.json
min-age-none-text       aged_leak.dat      leak                            aged_leak.expected.txt
min-age-text            aged_leak.dat      leak --min-age 0.4              aged_leak.min_age.expected.txt
min-age-json            aged_leak.dat      leak --min-age 0.4 -f json      aged_leak.min_age.expected.json
growth-text             growth.dat         leak                            growth.expected.txt
growth-text-ascii       growth.dat         leak --ascii --sort growth      growth.sorted.expected.txt
growth-json             growth.dat         leak -f json                    growth.expected.json
inherited-off-text      fork_leak.dat      leak                            fork_leak.expected.txt
inherited-text          fork_leak.dat      leak --inherited                fork_leak.inherited.expected.txt
inherited-off-json      fork_leak.dat      leak -f json                    fork_leak.expected.json
inherited-json          fork_leak.dat      leak --inherited -f json        fork_leak.inherited.expected.json
mappings-text           mappings.dat       leak -t 0                       mappings.expected.txt
mappings-json           mappings.dat       leak -f json                    mappings.expected.json
mappings-frag-text      mappings.dat       frag                            mappings.frag.expected.txt
frag-heap-text          leak_kinds.dat     frag -t 0                       leak_kinds.frag.expected.txt
frag-heap-json          leak_kinds.dat     frag -f json                    leak_kinds.frag.expected.json
kernel-text             pipe_hold.dat      leak -t 0                       pipe_hold.expected.txt
kernel-json             pipe_hold.dat      leak -f json                    pipe_hold.expected.json
kernel-frag-text        pipe_hold.dat      frag -t 0                       pipe_hold.frag.expected.txt
kernel-frag-json        pipe_hold.dat      frag -f json                    pipe_hold.frag.expected.json
oom-text                oom_hog.dat        oom                             oom_hog.oom.expected.txt
oom-json                oom_hog.dat        oom -f json                     oom_hog.oom.expected.json
oom-leak-text           oom_hog.dat        leak                            oom_hog.expected.txt
kernel61-text           kernel61.dat       leak                            kernel61.expected.txt
kernel61-json           kernel61.dat       leak -f json -t 5               kernel61.expected.json
kernel61-frag-json      kernel61.dat       frag -f json -t 5               kernel61.frag.expected.json
'

ok() { echo "ok - $1"; }
notok() { echo "not ok - $1: $2"; fail=1; }

while read -r -a w; do
	[ ${#w[@]} -ge 3 ] || continue
	name=${w[0]} dat=${w[1]} exp=${w[-1]}
	args=("${w[@]:2:${#w[@]}-3}")
	if [ ! -f "$G/$dat" ]; then
		notok "golden $name" "missing $G/$dat"
		continue
	fi
	case $exp in
	*.json) norm=$G/normalize.py ;;
	*) norm=$G/normalize_text.py ;;
	esac
	"$MEMREC" report -i "$G/$dat" "${args[@]}" >"$out/$name.raw" 2>"$out/$name.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		notok "golden $name" "memrec report -i $dat ${args[*]}: exit $rc: $(head -c 200 "$out/$name.err")"
		continue
	fi
	if ! "$norm" <"$out/$name.raw" >"$out/$name.out"; then
		notok "golden $name" "$norm failed on $out/$name.raw"
		continue
	fi
	if [ $regen = 1 ]; then
		cp "$out/$name.out" "$G/$exp"
		echo "# wrote $G/$exp"
	fi
	if [ ! -f "$G/$exp" ]; then
		notok "golden $name" "missing $G/$exp (--regen writes it)"
	elif diff -u "$G/$exp" "$out/$name.out" >"$out/$name.diff"; then
		ok "golden $name: report ${args[*]} on $dat matches $exp"
	else
		notok "golden $name" "report ${args[*]} on $dat differs from $exp (see $out/$name.diff): $(grep -m3 '^[-+][^-+]' "$out/$name.diff" | tr '\n' ' ' | head -c 300)"
	fi
done <<<"$CASES"

# a damaged copy of each file must give one clean error line
for dat in "$G"/*.dat; do
	name=$(basename "$dat" .dat)
	for cut in 64 4096 60000; do
		head -c $cut "$dat" >"$out/$name.cut"
		"$MEMREC" report -i "$out/$name.cut" >/dev/null 2>"$out/$name.cut.err"
		rc=$?
		lines=$(wc -l <"$out/$name.cut.err")
		if [ $rc -eq 1 ] && [ "$lines" -eq 1 ] && grep -q '^memrec: error:' "$out/$name.cut.err"; then
			ok "golden $name cut at $cut bytes: one error line, exit 1"
		else
			notok "golden $name cut at $cut" "exit $rc, $lines lines: $(head -c 200 "$out/$name.cut.err")"
		fi
	done
done
exit $fail
