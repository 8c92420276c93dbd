#!/bin/bash
# test_suppress.sh - --suppress FILE and the built-in runtime list on the
# checked-in files, with answers worked out from their known leaks. No root
# needed.
set -u
cd "$(dirname "$0")/../.."
out=tests/out/suppress
mkdir -p "$out"
fail=0
ok() { echo "ok - $1"; }
notok() { echo "not ok - $1: $2"; fail=1; }

# totals FILE KEY...: the values of totals.KEY in a JSON report, space separated
totals() {
	python3 - "$@" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
print(" ".join(str(t[k]) for k in sys.argv[2:]))
PY
}

# case NAME SUPPRESSIONS WANT_SUPPRESSED_BYTES WANT_SUPPRESSED_COUNT WANT_SITES
case_() {
	local name=$1 supp=$out/$1.supp json=$out/$1.json got
	printf '%b' "$2" >"$supp"
	if ! ./memrec report -i tests/golden/leak_kinds.dat --format json --suppress "$supp" \
	     >"$json" 2>"$json.err"; then
		notok "suppress $name" "exit non-zero: $(head -c 200 "$json.err")"
		return
	fi
	got=$(totals "$json" suppressed_bytes suppressed_count sites)
	[ "$got" = "$3 $4 $5" ] && ok "suppress $name: $3 bytes in $4 blocks left out, $5 sites" ||
		notok "suppress $name" "suppressed_bytes, suppressed_count, sites = $got, want $3 $4 $5"
}

# leak_kinds: 11128 bytes in 15 blocks from 12 sites, known per function
case_ function 'leak:leak_malloc\n' 300 3 11
case_ plain-anchored '# calloc'"'"'s two sites\n^leak_call\n' 400 2 10
case_ glob 'leak:leak_*align*\n' 1216 4 9
case_ module 'leak:tests/progs/leak_kinds$\n' 11128 15 0
case_ source 'leak:leak_kinds.c\n' 11128 15 0
case_ other-sanitizers 'called_from_lib:libfoo.so\nrace:leak_malloc\n\n' 0 0 12
case_ none-matching 'leak:no_such_function\n' 0 0 12

# the text report says how much was left out
./memrec report -i tests/golden/leak_kinds.dat --suppress "$out/function.supp" >"$out/function.txt"
grep -qF "(3 blocks, 300 bytes, matching --suppress '$out/function.supp' are left out)" \
	"$out/function.txt" && ok "suppress: the text header counts them" ||
	notok "suppress text" "no count line in $out/function.txt"
# a file that cannot be read: one error line, exit 1
./memrec report -i tests/golden/leak_kinds.dat --suppress "$out/missing" >/dev/null 2>"$out/missing.err"
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <"$out/missing.err")" -eq 1 ] && grep -q '^memrec: error:' "$out/missing.err" &&
	ok "suppress: a missing file is one error line, exit 1" ||
	notok "suppress missing" "exit $rc: $(cat "$out/missing.err")"
# the built-in list leaves leak_kinds' own leaks alone, and --no-suppress changes nothing there
for flag in "" --no-suppress; do
	./memrec report -i tests/golden/leak_kinds.dat --format json $flag >"$out/builtin.json"
	got=$(totals "$out/builtin.json" bytes count sites runtime_bytes)
	[ "$got" = "11128 15 12 0" ] && ok "built-in list ${flag:-(default)}: leak_kinds' 12 sites stay" ||
		notok "built-in ${flag:-default}" "bytes count sites runtime_bytes = $got"
done
exit $fail
