#!/bin/bash
# test_folded.sh - `memrec report --format folded` on the checked-in files:
# each line is "frame;frame;... N" with the process first, one line per leak
# row of the JSON report (user and kernel), the values add up to the JSON's
# bytes (or blocks with --value blocks), and leak_kinds' known leaks are
# there with their call chains. No root needed.
set -u
cd "$(dirname "$0")/../.."
out=tests/out/folded
mkdir -p "$out"
fail=0
ok() { echo "ok - $1"; }
notok() { echo "not ok - $1: $2"; fail=1; }

for dat in tests/golden/*.dat; do
	name=$(basename "$dat" .dat)
	./memrec report -i "$dat" --format json >"$out/$name.json" 2>/dev/null || continue
	for value in bytes blocks; do
		if ! ./memrec report -i "$dat" --format folded --value $value >"$out/$name.$value" \
		     2>"$out/$name.$value.err"; then
			notok "folded $name --value $value" "exit non-zero: $(head -c 200 "$out/$name.$value.err")"
			continue
		fi
		why=$(python3 - "$out/$name.json" "$out/$name.$value" "$value" <<'PY'
import json, re, sys
doc = json.load(open(sys.argv[1]))
lines = open(sys.argv[2]).read().splitlines()
key = "bytes" if sys.argv[3] == "bytes" else "count"
rows = doc["leaks"] + doc.get("kernel_leaks", [])
want = sum(r[key] for r in rows)
bad = [l for l in lines if not re.fullmatch(r"[^;\n]+ \(\d+\)(;[^;\n]+)+ \d+", l)]
if bad:
    print("malformed line: %r" % bad[0][:120])
elif len(lines) != len(rows):
    print("%d lines for %d rows" % (len(lines), len(rows)))
elif sum(int(l.rsplit(" ", 1)[1]) for l in lines) != want:
    print("values add up to %d, the JSON says %d" % (
        sum(int(l.rsplit(" ", 1)[1]) for l in lines), want))
PY
)
		[ -z "$why" ] && ok "folded $name --value $value: well formed, one line a row, totals" ||
			notok "folded $name --value $value" "$why"
	done
done

# leak_kinds: the known leaks, outermost frame first, with exact bytes
f=$out/leak_kinds.bytes
for line in 'leak_kinds (27854);__libc_start_call_main;main;leak_malloc;malloc 300' \
	    'leak_kinds (27854);__libc_start_call_main;main;leak_posix_memalign;posix_memalign 512' \
	    'leak_kinds (27854);__libc_start_call_main;main;leak_realloc_chain;realloc 1000'; do
	grep -qxF "$line" "$f" && ok "folded leak_kinds: '$line'" ||
		notok "folded leak_kinds" "no line '$line' in $f"
done
grep -qxF 'leak_kinds (27854);__libc_start_call_main;main;leak_malloc;malloc 3' \
	"$out/leak_kinds.blocks" && ok "folded leak_kinds --value blocks: leak_malloc's 3 blocks" ||
	notok "folded leak_kinds --value blocks" "leak_malloc's line is not '... 3'"
# --value without folded, and a bad value, are usage errors
./memrec report -i tests/golden/leak_kinds.dat --value blocks >/dev/null 2>&1
[ $? -eq 2 ] && ok "--value without --format folded: exit 2" || notok "--value alone" "not exit 2"
exit $fail
