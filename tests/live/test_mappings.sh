#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_mappings.sh - the program's own mappings (record -e mappings, on by
# default for targets) on tests/progs/mappings.c, whose answer is known:
# 8 x 1 MiB anonymous mmaps kept (8388608 bytes in 8 blocks at map_kept),
# a 4 MiB mmap with its middle 1 MiB unmapped (3145728 bytes in 2 blocks,
# one row at map_holed), a direct syscall(SYS_mmap) of 512 KiB kept
# (map_direct), sbrk growth of 128 KiB (one brk row at grow_brk),
# balanced mmap/munmap and mremap+munmap not reported, and malloc(1 << 20)
# reported once, as malloc (its mmap inside malloc is malloc's). Exact
# values in JSON (rows, events.mappings) and text; -e user leaves the
# mappings out; --uprobes=ftrace says in the header that they are not
# recorded.
. "$(dirname "$0")/lib.sh"
live_init

P=$PROGS
SRC=$ROOT/tests/progs/mappings.c
[ -x "$P/mappings" ] || { fail mappings/program "$P/mappings missing; run make progs"; live_finish; }

dat=$OUT/mappings.dat
log=$OUT/mappings.record.log
# no -e: the mappings are in the default set for targets
run_record mappings/record "$log" -o "$dat" -- "$P/mappings" || live_finish
if grep -q '^mappings done$' "$log.out"; then
	ok mappings/target-ran
else
	fail mappings/target-ran "no \"mappings done\" from the target (output: $log.out)"
fi

m=(--pid target --module-suffix /tests/progs/mappings --file-suffix mappings.c)
json=$OUT/mappings.json
if run_report mappings/report "$dat" "$json"; then
	check mappings "$json" --eq lost_events.total 0 \
		--leak map_kept 8 8388608 --fn mmap "${m[@]}" --sizes 1048576 1048576 \
			--line "$(src_line "$SRC" kept)" \
		--leak map_holed 2 3145728 --fn mmap "${m[@]}" --sizes 1048576 2097152 \
			--line "$(src_line "$SRC" holed)" \
		--leak malloc_big 1 1048576 --fn malloc "${m[@]}" --line "$(src_line "$SRC" big)" \
		--leak map_direct 1 524288 --fn mmap "${m[@]}" --line "$(src_line "$SRC" direct)" \
		--leak grow_brk 1 131072 --fn brk "${m[@]}" \
		--no-leak map_balanced \
		--eq events.mappings.mremaps 1 --eq events.mappings.brk_grows 2 \
		--eq events.mappings.brk_bytes 131072 --eq events.mappings.failed 0 \
		--eq events.allocs 1 --eq totals.bytes 13238272 --eq totals.count 13 \
		--eq leaks.# 5
	# the program's own: 12 mmaps of 15.5 MiB, 3 munmaps of 5 MiB; ld.so's are
	# start-up mappings of the runtime, left out of the rows and counted here
	python3 - "$json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
mp = r["events"]["mappings"]
rows = [l for l in r["leaks"] if l["alloc_fn"] in ("mmap", "brk")]
own = 8 * 2**20 + 4 * 2**20 + 2**20 + 2 * 2**20 + 512 * 1024
extra = mp["mmap_bytes"] - own
problems = []
if mp["munmaps"] != 3 or mp["munmap_bytes"] != 5 * 2**20:
    problems.append("munmaps %d of %d bytes, expected 3 of 5242880" %
                    (mp["munmaps"], mp["munmap_bytes"]))
if mp["mmaps"] < 12 or extra < 0 or extra != r["totals"]["runtime_bytes"]:
    problems.append("mmaps %d of %d bytes: expected 12 of %d plus ld.so's (runtime_bytes %d)" %
                    (mp["mmaps"], mp["mmap_bytes"], own, r["totals"]["runtime_bytes"]))
if mp["nested"] < 1:
    problems.append("no mapping syscall inside malloc counted (nested %d)" % mp["nested"])
if sum(l["bytes"] for l in rows) != 8388608 + 3145728 + 524288 + 131072:
    problems.append("mmap and brk rows hold %d bytes" % sum(l["bytes"] for l in rows))
print("ok - mappings/counts" if not problems else "not ok - mappings/counts: " + "; ".join(problems))
PY
	note_rc $?
fi

# the text report: the same rows and the header's line
txt=$OUT/mappings.txt
"$MEMREC" report -i "$dat" > "$txt" 2> "$txt.stderr"
rc=$?
if [ "$rc" -ne 0 ]; then
	fail mappings/text "memrec report $(describe_rc $rc) (stderr: $txt.stderr)"
elif ! grep -q '^  #[0-9] 8388608 bytes in 8 blocks of 1048576 bytes from mmap, pid ' "$txt" ||
     ! grep -q '^  #[0-9] 3145728 bytes in 2 blocks of 1048576..2097152 bytes from mmap, pid ' "$txt" ||
     ! grep -q '^  #[0-9] 1048576 bytes in 1 block of 1048576 bytes from malloc, pid ' "$txt" ||
     ! grep -q '^  #[0-9] 524288 bytes in 1 block of 524288 bytes from mmap, pid ' "$txt" ||
     ! grep -q '^  #[0-9] 131072 bytes in 1 block of 131072 bytes from brk, pid ' "$txt" ||
     ! grep -q '^leaks: 13238272 bytes in 13 blocks from 5 call sites ' "$txt" ||
     ! grep -Eq '^  mappings   [0-9]+ anonymous mmaps \([0-9]+ bytes\), 3 munmaps \(5242880 bytes\), 1 mremaps, 2 brk growths \(131072 bytes\), 0 failed; [1-9][0-9]* made inside allocator calls' "$txt"; then
	fail mappings/text "the rows or the mappings line are not as expected ($txt)"
elif [ "$(grep -c 'from mmap, pid ' "$txt")" -ne 3 ] || grep -q 'map_balanced' "$txt"; then
	fail mappings/text "not exactly 3 mmap rows, or map_balanced has one ($txt)"
else
	ok mappings/text
fi

# -e user: no mapping rows, events.mappings null; the malloc row alone
dat2=$OUT/mappings.user.dat
if run_record mappings/record-user "$OUT/mappings.user.record.log" -o "$dat2" -e user -- "$P/mappings" &&
   run_report mappings/report-user "$dat2" "$OUT/mappings.user.json"; then
	check mappings-user "$OUT/mappings.user.json" \
		--leak malloc_big 1 1048576 --fn malloc "${m[@]}" \
		--no-leak map_kept --no-leak map_holed --no-leak map_direct --no-leak grow_brk \
		--eq events.mappings None
fi

# --uprobes=ftrace: not recorded, and the header says so
dat3=$OUT/mappings.ftrace.dat
if run_record mappings/record-ftrace "$OUT/mappings.ftrace.record.log" -o "$dat3" -e user \
	--uprobes=ftrace -- "$P/mappings"; then
	if "$MEMREC" report -i "$dat3" 2>/dev/null | grep -q '^  mappings   not recorded (--uprobes=ftrace'; then
		ok mappings/ftrace-header
	else
		fail mappings/ftrace-header "no 'mappings   not recorded' line in the text header"
	fi
fi

assert_no_state mappings/no-state-left
live_finish
