#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_hostile.sh - memrec record run by root among hostile users and with
# hostile targets (the record half of "safe as root"):
#  (a) usage errors exit 2: -p abc, -p ',' (like --bogus)
#  (b) a target whose name holds an escape sequence: the "recording" line
#      and the "cannot run" error show it as \x1b, never the raw byte
. "$(dirname "$0")/lib.sh"
live_init

# ------------------------------------------------------------------ (a)
expect_error hostile/a-usage-pid-abc 2 "$MEMREC" record -o "$OUT/a.dat" -p abc
expect_error hostile/a-usage-pid-comma 2 "$MEMREC" record -o "$OUT/a.dat" -p ,
"$MEMREC" record --bogus >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] && ok hostile/a-usage-bogus || fail hostile/a-usage-bogus "exit $rc, expected 2"

# ------------------------------------------------------------------ (b)
ESC=$'\033'
evil="$OUT/b-${ESC}[2J${ESC}]0;owned${ESC}\\"
cp "$PROGS/balanced" "$evil"
run_record hostile/b-record "$OUT/b.log" -e user -o "$OUT/b.dat" -- "$evil"
if grep '^memrec:' "$OUT/b.log" | grep -q "$ESC"; then
	fail hostile/b-recording-line-escaped "a raw ESC reached stderr (log: $OUT/b.log)"
elif grep -q '^memrec: recording .*\\x1b\[2J\\x1b\]0;owned\\x1b\\\\' "$OUT/b.log"; then
	ok hostile/b-recording-line-escaped
else
	fail hostile/b-recording-line-escaped "no escaped name on the recording line (log: $OUT/b.log)"
fi
rm -f "$evil"
"$MEMREC" record -o "$OUT/b2.dat" -- "$OUT/no-${ESC}[31m-such" 2> "$OUT/b2.err"
rc=$?
if [ $rc -eq 1 ] && ! grep -q "$ESC" "$OUT/b2.err" && grep -q 'no-\\x1b\[31m-such' "$OUT/b2.err"; then
	ok hostile/b-error-escaped
else
	fail hostile/b-error-escaped "exit $rc, stderr: $(cat -v "$OUT/b2.err" | head -2)"
fi
assert_no_state hostile/b-no-state

live_finish
