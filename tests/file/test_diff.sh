#!/bin/bash
# test_diff.sh - `memrec report diff OLD NEW` on the checked-in files: a
# file against itself holds every site unchanged and nothing grown, with the
# leak report's totals; two different programs hold only new and gone sites;
# bad input is one error line and a non-zero exit. No root needed.
set -u
cd "$(dirname "$0")/../.."
out=tests/out/diff
mkdir -p "$out"
fail=0
G=tests/golden
ok() { echo "ok - $1"; }
notok() { echo "not ok - $1: $2"; fail=1; }

# json_check NAME FILE PYTHON-EXPRESSIONS...: each expression, on the diff's JSON d
# (and the leak reports' JSON old, new), must be true
json_check() {
	local name=$1 json=$2
	shift 2
	python3 - "$json" "$@" <<'PY' && ok "$name" || notok "$name" "see above ($json)"
import json, sys
d = json.load(open(sys.argv[1]))
bad = [e for e in sys.argv[2:] if not eval(e)]
for e in bad:
    print(f"    false: {e}", file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}

# --- each file against itself: nothing grew, the leak report's totals
for f in $G/*.dat; do
	name=$(basename "$f" .dat)
	./memrec report -i "$f" --format json > "$out/$name.leak.json" 2>/dev/null
	if ! ./memrec report diff --format json "$f" "$f" > "$out/$name.json" 2> "$out/$name.err"; then
		notok "self $name" "exit non-zero: $(head -c 200 "$out/$name.err")"
		continue
	fi
	json_check "self $name: no site grew, none new, shrunk or gone; totals as the leak report's" \
		"$out/$name.json" \
		"all(d[k][s] == 0 for k in ('sites', 'kernel_sites') for s in ('grown', 'new', 'shrunk', 'gone', 'grown_bytes', 'grown_count', 'gone_bytes'))" \
		"d['grown'] == [] and d['kernel_grown'] == []" \
		"(lambda l: d['sites']['old_bytes'] == d['sites']['new_bytes'] == l['totals']['bytes'] and d['sites']['new_count'] == l['totals']['count'] and d['kernel_sites']['new_bytes'] == l['kernel']['bytes'])(json.load(open('$out/$name.leak.json')))" \
		"d['old']['lost_events'] == d['new']['lost_events']"
done

# leak_kinds: its 12 rows are 11 sites (leak_calloc's two calls have one stack of names)
json_check "self leak_kinds: 11 sites, 11128 bytes in 15 blocks, unchanged" "$out/leak_kinds.json" \
	"d['sites']['unchanged'] == 11 and d['sites']['old_bytes'] == 11128 and d['sites']['old_count'] == 15" \
	"d['report'] == 'diff' and d['old']['file'] == d['new']['file'] == '$G/leak_kinds.dat'"
# pipe_hold: the kernel side, 121 rows that are 97 sites by their names (a maple_node
# object on a slab page freed after it is unconfirmed, not among them)
json_check "self pipe_hold: 94 kernel sites, 219824 bytes in 325, unchanged" "$out/pipe_hold.json" \
	"d['kernel_sites']['unchanged'] == 94 and d['kernel_sites']['old_bytes'] == 219824 and d['kernel_sites']['old_count'] == 325"

./memrec report diff $G/leak_kinds.dat $G/leak_kinds.dat > "$out/self.txt" 2>&1
if grep -qxF "user: 0 of 11 call sites grew from OLD to NEW, by 0 bytes and +0 blocks" "$out/self.txt" &&
   grep -qxF "  0 grown, 0 new; the others: 11 unchanged, 0 shrunk, 0 gone (which held 0 bytes in 0 blocks in OLD)" "$out/self.txt" &&
   grep -qxF "OLD of '$G/leak_kinds.dat'" "$out/self.txt" && grep -qxF "NEW of '$G/leak_kinds.dat'" "$out/self.txt" &&
   [ "$(grep -c '^  lost       none$' "$out/self.txt")" -eq 2 ] && ! grep -q '^  #' "$out/self.txt"; then
	ok "self text: both headers with their losses, 0 of 11 sites grew, no row"
else
	notok "self text" "unexpected text in $out/self.txt"
fi

# --- two programs: aged_leak's 3 sites (520 bytes in 7 blocks) gone, leak_kinds' 11 new
./memrec report diff --format json $G/aged_leak.dat $G/leak_kinds.dat > "$out/two.json" 2>&1
json_check "aged_leak -> leak_kinds: 11 new sites, 3 gone (520 bytes in 7 blocks)" "$out/two.json" \
	"d['sites'] == dict(grown=0, new=11, shrunk=0, unchanged=0, gone=3, grown_bytes=11128, grown_count=15, gone_bytes=520, gone_count=7, old_bytes=520, old_count=7, new_bytes=11128, new_count=15)" \
	"len(d['grown']) == 11 and all(r['status'] == 'new' and r['old_bytes'] == 0 and r['delta_bytes'] == r['new_bytes'] for r in d['grown'])" \
	"[r['delta_bytes'] for r in d['grown']] == sorted((r['delta_bytes'] for r in d['grown']), reverse=True)" \
	"d['grown'][0]['alloc_fn'] == 'pvalloc' and d['grown'][0]['new_bytes'] == 4096 and d['grown'][0]['stack'][0]['function'] == 'leak_pvalloc'"
./memrec report diff --format json --top 2 $G/aged_leak.dat $G/leak_kinds.dat > "$out/top.json" 2>&1
json_check "--top 2 keeps 2 rows, the counts stay" "$out/top.json" \
	"len(d['grown']) == 2 and d['sites']['new'] == 11"
./memrec report diff $G/aged_leak.dat $G/leak_kinds.dat > "$out/two.txt" 2>&1
grep -qxF "  #1 +4096 bytes, +1 block: new, 4096 bytes in 1 block, from pvalloc in leak_kinds" "$out/two.txt" &&
	grep -qxF "  0 grown, 11 new; the others: 0 unchanged, 0 shrunk, 3 gone (which held 520 bytes in 7 blocks in OLD)" "$out/two.txt" &&
	[ "$(grep -c '^  #[0-9]' "$out/two.txt")" -eq 10 ] &&
	ok "aged_leak -> leak_kinds text: new rows, 10 shown, the gone count" ||
	notok "two text" "unexpected text in $out/two.txt"

# --- bad input: one line on stderr, exit 1 (a file) or 2 (usage)
printf 'not a trace file at all\n%.0s' $(seq 100) > "$out/corrupt.dat"
head -c 5000 $G/leak_kinds.dat > "$out/truncated.dat"
# bad NAME RC ARGS...
bad() {
	local name=$1 want=$2 rc lines
	shift 2
	./memrec report "$@" > "$out/bad.out" 2> "$out/bad.err"
	rc=$?
	lines=$(wc -l < "$out/bad.err")
	if [ "$rc" -eq "$want" ] && [ "$lines" -eq 1 ] && [ ! -s "$out/bad.out" ] &&
	   grep -qE "^memrec: $([ "$want" -eq 1 ] && echo error || echo usage): " "$out/bad.err"; then
		ok "bad input, $name: exit $want, one line: $(cat "$out/bad.err")"
	else
		notok "bad input, $name" "exit $rc (want $want), $lines stderr lines: $(head -c 300 "$out/bad.err")"
	fi
}
bad "missing OLD" 1 diff "$out/no-such.dat" $G/leak_kinds.dat
bad "missing NEW" 1 diff $G/leak_kinds.dat "$out/no-such.dat"
bad "corrupt NEW" 1 diff $G/leak_kinds.dat "$out/corrupt.dat"
bad "truncated OLD" 1 diff --format json "$out/truncated.dat" $G/leak_kinds.dat
bad "one file" 2 diff $G/leak_kinds.dat
bad "no file" 2 diff
bad "three files" 2 diff $G/leak_kinds.dat $G/leak_kinds.dat $G/leak_kinds.dat
bad "-i" 2 -i $G/leak_kinds.dat diff $G/leak_kinds.dat $G/leak_kinds.dat
bad "--format folded" 2 diff --format folded $G/leak_kinds.dat $G/leak_kinds.dat

# --- under ASan+UBSan+LSan (make asan): the diffs above, and damaged NEW files
if [ -x ./memrec-asan ]; then
	python3 - "$out" <<'PY' && ok "under ASan+UBSan: diffs of whole and damaged files, no memory error or leak" || fail=1
import os, random, subprocess, sys
out = sys.argv[1]
env = dict(os.environ, ASAN_OPTIONS="exitcode=86:halt_on_error=1:detect_leaks=1:fast_unwind_on_malloc=0",
           LSAN_OPTIONS="print_suppressions=0:suppressions=" + os.path.abspath("tests/file/lsan.supp"),
           UBSAN_OPTIONS="exitcode=87:halt_on_error=1:print_stacktrace=1:suppressions=" +
           os.path.abspath("tests/file/ubsan.supp"))
G = "tests/golden"
data = open(f"{G}/leak_kinds.dat", "rb").read()
rng = random.Random(14)
cases = [[f"{G}/leak_kinds.dat", f"{G}/pipe_hold.dat"], [f"{G}/pipe_hold.dat", f"{G}/leak_kinds.dat"],
         [f"{G}/fork_leak.dat", f"{G}/fork_leak.dat"]]
for i in range(12):
    b = bytearray(data[:rng.randrange(len(data))] if i % 3 == 0 else data)
    for _ in range(rng.randrange(1, 20)):
        b[rng.randrange(len(b))] = rng.randrange(256)
    path = f"{out}/mutant{i}.dat"
    open(path, "wb").write(b)
    cases.append([f"{G}/leak_kinds.dat", path])
bad = 0
for c in cases:
    for fmt in ("text", "json"):
        r = subprocess.run(["./memrec-asan", "report", "diff", "--format", fmt] + c, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
        if r.returncode not in (0, 1) or (r.returncode == 1 and r.stderr.count("\n") != 1):
            bad += 1
            print(f"not ok - asan diff {' '.join(c)} --format {fmt}: exit {r.returncode}: "
                  f"{r.stderr[-600:]}")
sys.exit(1 if bad else 0)
PY
else
	echo "skip - diff under ASan: no ./memrec-asan (make asan)"
fi
exit $fail
