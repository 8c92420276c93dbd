#!/bin/bash
# test_golden.sh - the reporter on checked-in trace files, against checked-in
# expected reports (symbol fields left out: they come from the reading host's
# files). Catches any change in reading, pairing or the JSON. No root needed.
# After an intended change: regenerate with
#   ./memrec report -i F.dat --format json | tests/golden/normalize.py > F.expected.json
set -u
cd "$(dirname "$0")/../.."
fail=0
out=tests/out/golden
mkdir -p "$out"
for dat in tests/golden/*.dat; do
	name=$(basename "$dat" .dat)
	exp=tests/golden/$name.expected.json
	if ! ./memrec report -i "$dat" --format json 2>"$out/$name.err" |
	     tests/golden/normalize.py >"$out/$name.json"; then
		echo "not ok - golden $name: report failed (see $out/$name.err)"
		fail=1
	elif diff -u "$exp" "$out/$name.json" >"$out/$name.diff"; then
		echo "ok - golden $name: JSON report matches"
	else
		echo "not ok - golden $name: report differs (see $out/$name.diff)"
		fail=1
	fi
	# a damaged copy must give one clean error line
	for cut in 64 4096 60000; do
		head -c $cut "$dat" >"$out/$name.cut"
		./memrec report -i "$out/$name.cut" >/dev/null 2>"$out/$name.cut.err"
		rc=$?
		lines=$(wc -l <"$out/$name.cut.err")
		if [ $rc -eq 1 ] && [ "$lines" -eq 1 ] && grep -q '^memrec: error:' "$out/$name.cut.err"; then
			echo "ok - golden $name cut at $cut bytes: one error line, exit 1"
		else
			echo "not ok - golden $name cut at $cut: exit $rc, $lines lines: $(head -c 200 "$out/$name.cut.err")"
			fail=1
		fi
	done
done
exit $fail
