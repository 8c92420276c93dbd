#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_diff.sh - `memrec report diff OLD NEW` on two recordings of one
# program: tests/progs/diff_leak leaks malloc(48) N times from loop_leak()
# and malloc(3000) once from fixed_leak(). Recorded with N = 10 and N = 20
# (two runs, two load addresses under ASLR), the diff must hold exactly one
# grown site, loop_leak's, by 480 bytes and 10 blocks (480 -> 960 bytes,
# 10 -> 20 blocks), with fixed_leak's site counted as unchanged and not
# listed; in text and in JSON. Reversed (NEW OLD), nothing grew and that
# site shrank.
. "$(dirname "$0")/lib.sh"
live_init

P=$PROGS/diff_leak
SRC=$ROOT/tests/progs/diff_leak.c
[ -x "$P" ] || { fail diff/test-program "missing $P; run make progs"; live_finish; }
LINE=$(src_line "$SRC" loop_leak)

for n in 10 20; do
	run_record "diff/record-$n" "$OUT/n$n.record.log" -o "$OUT/n$n.dat" -- "$P" "$n" ||
		live_finish
done

# diff_report NAME OUT ARGS...: memrec report ARGS > OUT, ok when it exits 0
diff_report() {
	local name=$1 out=$2 rc
	shift 2
	"$MEMREC" report "$@" > "$out" 2> "$out.stderr"
	rc=$?
	[ "$rc" -eq 0 ] && ok "$name" ||
		fail "$name" "memrec report $* $(describe_rc $rc) (stderr: $out.stderr)"
	return "$rc"
}

# --- JSON: the exact figures
if diff_report diff/json "$OUT/diff.json" diff --format json "$OUT/n10.dat" "$OUT/n20.dat"; then
	python3 - "$OUT/diff.json" "$LINE" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
line = int(sys.argv[2])
bad = []
def want(what, got, exp):
    if got != exp:
        bad.append(f"{what} = {got!r}, want {exp!r}")
for side, total, count in (("old", 3480, 11), ("new", 3960, 21)):
    want(f"{side}.lost_events.total", d[side]["lost_events"]["total"], 0)
    want(f"{side}.totals.bytes", d[side]["totals"]["bytes"], total)
    want(f"{side}.totals.count", d[side]["totals"]["count"], count)
s = d["sites"]
for k, v in (("grown", 1), ("new", 0), ("shrunk", 0), ("unchanged", 1), ("gone", 0),
             ("grown_bytes", 480), ("grown_count", 10), ("old_bytes", 3480),
             ("new_bytes", 3960), ("old_count", 11), ("new_count", 21)):
    want(f"sites.{k}", s[k], v)
want("len(grown)", len(d["grown"]), 1)
if d["grown"]:
    r = d["grown"][0]
    for k, v in (("status", "grown"), ("comm", "diff_leak"), ("alloc_fn", "malloc"),
                 ("old_bytes", 480), ("old_count", 10), ("new_bytes", 960),
                 ("new_count", 20), ("delta_bytes", 480), ("delta_count", 10)):
        want(f"grown[0].{k}", r[k], v)
    top = r["stack"][0] if r["stack"] else {}
    want("grown[0].stack[0].function", top.get("function"), "loop_leak")
    want("grown[0].stack[0].line", top.get("line"), line)
fixed = [r for r in d["grown"] if any(f["function"] == "fixed_leak" for f in r["stack"])]
want("grown rows of fixed_leak", len(fixed), 0)
if bad:
    print("not ok - diff/json-figures: " + "; ".join(bad))
    sys.exit(1)
print("ok - diff/json-figures: loop_leak +480 bytes, +10 blocks (480 -> 960, 10 -> 20); "
      "fixed_leak unchanged, not listed")
PY
	note_rc $?
fi

# --- text: the same figures
if diff_report diff/text "$OUT/diff.txt" diff "$OUT/n10.dat" "$OUT/n20.dat"; then
	T=$OUT/diff.txt
	want_line() {
		grep -qxF -- "$2" "$T" && ok "diff/text-$1" ||
			fail "diff/text-$1" "no line '$2' in $T"
	}
	want_line summary "user: 1 of 2 call sites grew from OLD to NEW, by 480 bytes and +10 blocks"
	want_line counts "  1 grown, 0 new; the others: 1 unchanged, 0 shrunk, 0 gone (which held 0 bytes in 0 blocks in OLD)"
	want_line totals "  outstanding at the end: 3480 -> 3960 bytes, 11 -> 21 blocks"
	want_line row "  #1 +480 bytes, +10 blocks: 480 -> 960 bytes, 10 -> 20 blocks, from malloc in diff_leak"
	# the row's first frame is loop_leak's call, at its line
	frame=$(grep -A1 -F "  #1 +480 bytes" "$T" | tail -1)
	if [[ $frame == *" loop_leak+0x"*"diff_leak.c:$LINE" ]]; then
		ok "diff/text-frame"
	else
		fail "diff/text-frame" "first frame '$frame', want loop_leak at diff_leak.c:$LINE"
	fi
	# the user section (the kernel's, after it, varies from run to run)
	rows=$(sed '/^kernel: /,$d' "$T" | grep -c '^  #[0-9]')
	[ "$rows" -eq 1 ] && ok "diff/text-one-row" ||
		fail "diff/text-one-row" "$rows user rows in $T, want 1"
	for f in OLD:n10 NEW:n20; do
		grep -qxF "${f%%:*} of '$OUT/${f#*:}.dat'" "$T" && grep -qxF "  lost       none" "$T" &&
			ok "diff/text-header-${f%%:*}" ||
			fail "diff/text-header-${f%%:*}" "no '${f%%:*} of' header with its lost line in $T"
	done
fi

# --- reversed: nothing grew, loop_leak's site shrank
if diff_report diff/reversed "$OUT/rev.json" diff --format json "$OUT/n20.dat" "$OUT/n10.dat"; then
	got=$(python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))["sites"]
print(s["grown"], s["new"], s["shrunk"], s["unchanged"], s["gone"], len(json.load(open(sys.argv[1]))["grown"]))' "$OUT/rev.json")
	[ "$got" = "0 0 1 1 0 0" ] && ok "diff/reversed: nothing grew, one site shrank" ||
		fail "diff/reversed" "grown new shrunk unchanged gone rows = $got, want 0 0 1 1 0 0"
fi

# --- without symbols (diff_leak_stripped): frames matched by their offset in the module
S=$PROGS/diff_leak_stripped
if [ ! -x "$S" ]; then
	fail diff/stripped "missing $S; run make progs"
elif run_record diff/record-stripped-10 "$OUT/s10.record.log" -o "$OUT/s10.dat" -- "$S" 10 &&
     run_record diff/record-stripped-20 "$OUT/s20.record.log" -o "$OUT/s20.dat" -- "$S" 20 &&
     diff_report diff/stripped-json "$OUT/stripped.json" diff --format json "$OUT/s10.dat" "$OUT/s20.dat"; then
	got=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); s = d["sites"]
g = d["grown"][0] if d["grown"] else {}
f = g.get("stack", [{}])[0]
print(s["grown"], s["new"], s["unchanged"], s["gone"], len(d["grown"]), g.get("delta_bytes"),
      g.get("delta_count"), f.get("function"), (f.get("module") or "").endswith("/diff_leak_stripped"))' \
		"$OUT/stripped.json")
	[ "$got" = "1 0 1 0 1 480 10 None True" ] &&
		ok "diff/stripped: frames without symbols matched by module offset, +480 bytes, +10 blocks" ||
		fail diff/stripped "grown new unchanged gone rows delta_bytes delta_count fn0 module0 = $got, want 1 0 1 0 1 480 10 None True"
fi

# --- losses in either file are shown: NEW recorded with a small ring buffer
if run_record diff/record-lossy "$OUT/lossy.record.log" -b 64 -o "$OUT/lossy.dat" -- \
	"$PROGS/churn" 50000; then
	"$MEMREC" report -i "$OUT/lossy.dat" --format json > "$OUT/lossy.json" 2>/dev/null
	lost=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["lost_events"]["total"])' \
		"$OUT/lossy.json" 2>/dev/null)
	if [ "${lost:-0}" -eq 0 ]; then
		skip diff/lost "no event was lost with -b 64 on this machine"
	else
		"$MEMREC" report diff "$OUT/n10.dat" "$OUT/lossy.dat" > "$OUT/lossy.txt" 2>&1
		"$MEMREC" report diff --format json "$OUT/n10.dat" "$OUT/lossy.dat" > "$OUT/lossy.diff.json" 2>&1
		got=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
print(d["old"]["lost_events"]["total"], d["new"]["lost_events"]["total"])' "$OUT/lossy.diff.json")
		if [ "$got" = "0 $lost" ] && grep -qF "  lost       $lost events:" "$OUT/lossy.txt" &&
		   [ "$(grep -c '^  WARNING: events were lost' "$OUT/lossy.txt")" -eq 1 ] &&
		   grep -qxF "  lost       none" "$OUT/lossy.txt"; then
			ok "diff/lost: NEW's $lost lost events in its header (text and JSON), OLD's none"
		else
			fail diff/lost "lost old/new '$got', want '0 $lost', or no lost line in $OUT/lossy.txt"
		fi
	fi
fi

# --- both files' embedded symbols are unpacked under TMPDIR and removed at the end:
# after a diff, after an error in NEW, and at SIGTERM (with gdb, stopped mid-diff)
T=$OUT/tmp
mkdir -p "$T"
printf 'not a trace file\n' > "$OUT/corrupt.dat"
TMPDIR=$T "$MEMREC" report diff "$OUT/n10.dat" "$OUT/n20.dat" > /dev/null 2>&1
TMPDIR=$T "$MEMREC" report diff "$OUT/n10.dat" "$OUT/corrupt.dat" > /dev/null 2>&1
left=$(ls "$T")
[ -z "$left" ] && ok "diff/tmp: no symbol directory left after a diff and after an error" ||
	fail diff/tmp "left in $T: $left"
if command -v gdb > /dev/null; then
	TMPDIR=$T timeout 60 gdb -q -batch -ex 'break mr_leak_diff_build' \
		-ex "run report diff $OUT/n10.dat $OUT/n20.dat > /dev/null" \
		-ex "shell ls $T > $OUT/tmp.during" -ex 'signal SIGTERM' "$MEMREC" > "$OUT/gdb.log" 2>&1
	during=$(wc -l < "$OUT/tmp.during" 2>/dev/null || echo 0)
	left=$(ls "$T")
	[ "$during" -eq 2 ] && [ -z "$left" ] &&
		ok "diff/tmp-signal: both files' symbol directories removed at SIGTERM" ||
		fail diff/tmp-signal "$during directories during the diff (want 2), left after SIGTERM: '$left' (log: $OUT/gdb.log)"
else
	skip diff/tmp-signal "no gdb to stop memrec mid-diff"
fi

# --- the match was not by address: the two runs loaded diff_leak apart (ASLR)
if [ "$(cat /proc/sys/kernel/randomize_va_space 2>/dev/null)" != 0 ]; then
	for n in 10 20; do
		"$MEMREC" report -i "$OUT/n$n.dat" --format json > "$OUT/n$n.json" 2>/dev/null
	done
	addrs=$(python3 -c 'import json, sys
for f in sys.argv[1:]:
    r = [l for l in json.load(open(f))["leaks"] if l["stack"] and l["stack"][0]["function"] == "loop_leak"]
    print(r[0]["stack"][0]["addr"] if r else "none")' "$OUT/n10.json" "$OUT/n20.json" | sort -u | wc -l)
	[ "$addrs" -eq 2 ] && ok "diff/aslr: loop_leak's call was at two addresses, matched anyway" ||
		fail "diff/aslr" "loop_leak's call at the same address in both runs (or missing)"
else
	skip "diff/aslr" "ASLR is off (kernel.randomize_va_space = 0)"
fi
live_finish
