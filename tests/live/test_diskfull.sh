#!/bin/bash
# test_diskfull.sh - recording onto a full disk: memrec stops, says so in
# one error line, exits 1, and still leaves a readable file whose report
# shows how much was dropped. The disk is a 1 MiB tmpfs.
. "$(dirname "$0")/lib.sh"
live_init

mnt=$OUT/full
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=1m memrec-test "$mnt" 2>/dev/null; then
	skip diskfull "cannot mount a tmpfs here"
	live_finish
fi
trap 'umount "$mnt" 2>/dev/null' EXIT

# -e user: the kernel groups' kallsyms alone would not fit 1 MiB (below)
"$MEMREC" record -e user -o "$mnt/x.dat" -- "$PROGS/churn" 300000 >"$OUT/rec.out" \
	2>"$OUT/rec.err"
rc=$?
[ $rc -eq 1 ] && ok "diskfull/exit-1" || fail "diskfull/exit-1" "exit $rc (see $OUT/rec.err)"
grep -Eq "^memrec: error: cannot write the (ring buffers|allocator samples): No space left on device" "$OUT/rec.err" &&
	ok "diskfull/error-line" || fail "diskfull/error-line" "no ENOSPC error line in $OUT/rec.err"
if "$MEMREC" report -i "$mnt/x.dat" --format json >"$OUT/rep.json" 2>"$OUT/rep.err"; then
	ok "diskfull/readable"
	python3 - "$OUT/rep.json" <<'PY' && ok "diskfull/truncation-reported" ||
import json, sys
r = json.load(open(sys.argv[1]))
assert r["stop_reason"] == "write error", r["stop_reason"]
assert r["lost_events"]["truncated_bytes"] > 0
assert r["events"]["allocs"] > 0, "no events kept"
PY
		fail "diskfull/truncation-reported" "see $OUT/rep.json"
else
	fail "diskfull/readable" "report failed: $(head -1 "$OUT/rep.err")"
fi
umount "$mnt"

# The default groups (kernel stacks, host-wide frees, kallsyms in the header)
# on a 24 MiB disk: the same one error line, and a readable, truncated file.
if mount -t tmpfs -o size=24m memrec-test "$mnt" 2>/dev/null; then
	"$MEMREC" record -o "$mnt/k.dat" -- "$PROGS/churn" 2000000 >"$OUT/krec.out" \
		2>"$OUT/krec.err"
	rc=$?
	[ $rc -eq 1 ] && ok "diskfull/kernel-exit-1" ||
		fail "diskfull/kernel-exit-1" "exit $rc (see $OUT/krec.err)"
	if "$MEMREC" report -i "$mnt/k.dat" --format json >"$OUT/krep.json" 2>"$OUT/krep.err" &&
	   python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["lost_events"]["truncated_bytes"] > 0 and r["kernel"]["recorded"]' "$OUT/krep.json"; then
		ok "diskfull/kernel-readable"
	else
		fail "diskfull/kernel-readable" "$(head -1 "$OUT/krep.err") (see $OUT/krep.json)"
	fi
	umount "$mnt"
fi
assert_no_state diskfull
live_finish
