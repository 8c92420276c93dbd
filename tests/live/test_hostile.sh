#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_hostile.sh - memrec record run by root among hostile users and with
# hostile targets (the record half of "safe as root"):
#  (a) usage errors exit 2: -p abc, -p ',' (like --bogus)
#  (b) a target whose name holds an escape sequence: the "recording" line
#      and the "cannot run" error show it as \x1b, never the raw byte
#  (c) -o in a world-writable directory where nobody planted things
#      (fs.protected_symlinks and protected_regular set to 0 for the test,
#      then restored): a symlink at the output name is refused (exit 1, one
#      error line) and its target keeps its content and owner; symlinks at
#      the old temporary names (FILE.cpu0, FILE.samples0) do not truncate
#      their target; a file nobody made at the output name is refused and
#      stays as it was; an existing own file is replaced, not written
#      through (a hard link to it keeps the old content); the file is 0600
#  (d) an output that cannot be created (missing directory, read-only
#      filesystem) with -- CMD: one error line, exit 1 within seconds, the
#      held command is gone
#  (e) a disk too small for the header: exit 1, no file, and no message
#      claims one was written or that events were dropped from it; nothing
#      is left on the disk
#  (f) SIGKILL of the recorder: its temporary files are gone within 5 s
#      (the watchdog); the next start removes a dead recorder's private
#      directory next to its output, but not another user's, and follows
#      no symlink
. "$(dirname "$0")/lib.sh"
live_init

SYSCTLS="protected_symlinks protected_regular"
declare -A SAVED
for k in $SYSCTLS; do
	SAVED[$k]=$(cat /proc/sys/fs/$k 2>/dev/null)
done
restore_sysctls() {
	local k
	for k in $SYSCTLS; do
		[ -n "${SAVED[$k]}" ] && echo "${SAVED[$k]}" > /proc/sys/fs/$k
	done
}
mounts=()
hostile_cleanup() {
	local m
	restore_sysctls
	for m in "${mounts[@]}"; do
		umount "$m" 2>/dev/null
	done
	live_cleanup
}
trap hostile_cleanup EXIT
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

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

# ------------------------------------------------------------------ (c)
# same_file NAME PATH CONTENT OWNER: PATH still holds CONTENT and is OWNER's
same_file() {
	local got owner
	got=$(cat "$2" 2>/dev/null); owner=$(stat -c %U "$2" 2>/dev/null)
	if [ "$got" = "$3" ] && [ "$owner" = "$4" ]; then
		ok "$1"
	else
		fail "$1" "'$2' now holds '$(echo "$got" | head -c 40 | cat -v)' owned by $owner"
	fi
}
for k in $SYSCTLS; do
	[ -w /proc/sys/fs/$k ] && echo 0 > /proc/sys/fs/$k
done
D=$OUT/ww
mkdir -p "$D" "$OUT/safe" && chmod 1777 "$D" && chmod 755 "$OUT" "$OUT/safe"
echo precious > "$OUT/safe/target"
if ! as_nobody ln -s "$OUT/safe/target" "$D/link.dat"; then
	skip hostile/c "cannot act as nobody (setpriv)"
else
	expect_error hostile/c-symlink-output-refused 1 \
		"$MEMREC" record -e user -o "$D/link.dat" -- "$PROGS/balanced"
	same_file hostile/c-symlink-target-unchanged "$OUT/safe/target" precious root
	[ -L "$D/link.dat" ] && ok hostile/c-symlink-left-alone ||
		fail hostile/c-symlink-left-alone "'$D/link.dat' is no longer a symlink"

	echo precious2 > "$OUT/safe/target2"
	for t in cpu0 cpu1 samples0 samples1 ksamples0 fsamples0; do
		as_nobody ln -s "$OUT/safe/target2" "$D/tmp.dat.$t"
	done
	run_record hostile/c-tmp-symlinks-record "$OUT/c2.log" -o "$D/tmp.dat" -- "$PROGS/balanced"
	same_file hostile/c-tmp-symlink-target-unchanged "$OUT/safe/target2" precious2 root
	if [ "$(stat -c '%U %a %F' "$D/tmp.dat" 2>/dev/null)" = "root 600 regular file" ] &&
	   "$MEMREC" report -i "$D/tmp.dat" > /dev/null 2>&1; then
		ok hostile/c-output-private-and-readable
	else
		fail hostile/c-output-private-and-readable "$(stat -c '%U %a %F' "$D/tmp.dat" 2>&1)"
	fi

	as_nobody sh -c "echo mine > '$D/foreign.dat'; chmod 666 '$D/foreign.dat'"
	expect_error hostile/c-foreign-output-refused 1 \
		"$MEMREC" record -e user -o "$D/foreign.dat" -- "$PROGS/balanced"
	same_file hostile/c-foreign-file-unchanged "$D/foreign.dat" mine nobody

	echo old > "$D/own.dat"
	ln "$D/own.dat" "$OUT/safe/own.link"
	run_record hostile/c-own-record "$OUT/c4.log" -e user -o "$D/own.dat" -- "$PROGS/balanced"
	same_file hostile/c-own-replaced-not-written-through "$OUT/safe/own.link" old root
fi
restore_sysctls

# ------------------------------------------------------------------ (d)
# held_gone NAME ARG: no sleeper ARG left running
held_gone() {
	sleep 0.3
	if pgrep -f "$PROGS/sleeper $2\$" > /dev/null; then
		fail "$1" "the held command is still running"
	else
		ok "$1"
	fi
}
start=$SECONDS
expect_error hostile/d-missing-dir 1 \
	timeout -k 2 -s INT 20 "$MEMREC" record -o "$OUT/no/such/dir/x.dat" -- "$PROGS/sleeper" 97
[ $((SECONDS - start)) -le 5 ] && ok hostile/d-missing-dir-fast ||
	fail hostile/d-missing-dir-fast "took $((SECONDS - start)) s"
held_gone hostile/d-missing-dir-no-child 97
ro=$OUT/ro
mkdir -p "$ro"
if mount -t tmpfs -o ro,size=1m memrec-test "$ro" 2>/dev/null; then
	mounts+=("$ro")
	start=$SECONDS
	expect_error hostile/d-read-only 1 \
		timeout -k 2 -s INT 20 "$MEMREC" record -o "$ro/x.dat" -- "$PROGS/sleeper" 98
	[ $((SECONDS - start)) -le 5 ] && ok hostile/d-read-only-fast ||
		fail hostile/d-read-only-fast "took $((SECONDS - start)) s"
	held_gone hostile/d-read-only-no-child 98
	umount "$ro"
else
	skip hostile/d-read-only "cannot mount a tmpfs here"
fi
assert_no_state hostile/d-no-state

# ------------------------------------------------------------------ (e)
full=$OUT/full
mkdir -p "$full"
if mount -t tmpfs -o size=1m memrec-test "$full" 2>/dev/null; then
	mounts+=("$full")
	# the default groups: kallsyms alone does not fit 1 MiB
	"$MEMREC" record -o "$full/x.dat" -- "$PROGS/churn" 300000 > /dev/null 2> "$OUT/e.err"
	rc=$?
	[ $rc -eq 1 ] && ok hostile/e-exit-1 || fail hostile/e-exit-1 "exit $rc (see $OUT/e.err)"
	[ ! -e "$full/x.dat" ] && ok hostile/e-no-file || fail hostile/e-no-file "x.dat exists"
	if grep -Eq "wrote|keeps|dropped" "$OUT/e.err"; then
		fail hostile/e-messages-true "a message claims a file: $(grep -E 'wrote|keeps|dropped' "$OUT/e.err" | head -1)"
	elif grep -q "no file was written" "$OUT/e.err"; then
		ok hostile/e-messages-true
	else
		fail hostile/e-messages-true "no \"no file was written\" line (see $OUT/e.err)"
	fi
	left=$(ls -A "$full")
	[ -z "$left" ] && ok hostile/e-nothing-left || fail hostile/e-nothing-left "left: $left"
	umount "$full"
else
	skip hostile/e "cannot mount a tmpfs here"
fi

# ------------------------------------------------------------------ (f)
K=$OUT/kill
mkdir -p "$K"
start_record_bg "$OUT/f.log" -o "$K/k.dat" -- "$PROGS/sleeper" 30
if wait_recording hostile/f "$OUT/f.log"; then
	sleep 1
	n=$(find "$K" -mindepth 1 | wc -l)
	kill -KILL "$REC_PID"
	wait_record_bg 5
	gone=0
	for i in $(seq 50); do
		[ -z "$(ls -A "$K")" ] && { gone=1; break; }
		sleep 0.1
	done
	[ $gone -eq 1 ] && ok hostile/f-sigkill-temporaries-removed ||
		fail hostile/f-sigkill-temporaries-removed "$n entries before, left: $(ls -A "$K" | head -5 | tr '\n' ' ')"
fi
assert_no_state hostile/f-sigkill-no-state

# a dead recorder's leftovers, as the watchdog would miss them (it died too)
true & dead=$!
wait $dead
S=$OUT/stale
mkdir -p "$S" && chmod 1777 "$S"
mkdir -m 700 "$S/.memrec_tmp_$dead.aaaaaa" && echo x > "$S/.memrec_tmp_$dead.aaaaaa/data.cpu0"
mkdir -p "$OUT/safe/dir" && echo keep > "$OUT/safe/dir/data.cpu0"
ln -s "$OUT/safe/dir" "$S/.memrec_tmp_$dead.bbbbbb"
as_nobody mkdir -m 700 "$S/.memrec_tmp_$dead.cccccc" &&
	as_nobody sh -c "echo theirs > '$S/.memrec_tmp_$dead.cccccc/data.cpu0'"
run_record hostile/f-next-start "$OUT/f2.log" -e user -o "$S/s.dat" -- "$PROGS/balanced"
[ ! -e "$S/.memrec_tmp_$dead.aaaaaa" ] && ok hostile/f-stale-dir-removed ||
	fail hostile/f-stale-dir-removed "$(ls -A "$S/.memrec_tmp_$dead.aaaaaa" | tr '\n' ' ')"
same_file hostile/f-stale-symlink-not-followed "$OUT/safe/dir/data.cpu0" keep root
if [ -d "$S/.memrec_tmp_$dead.cccccc" ]; then
	same_file hostile/f-stale-other-users-left "$S/.memrec_tmp_$dead.cccccc/data.cpu0" theirs nobody
else
	fail hostile/f-stale-other-users-left "nobody's directory was removed"
fi

live_finish
