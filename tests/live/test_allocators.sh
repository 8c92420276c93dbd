#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_allocators.sh - the same known leaks (tests/progs/alloc_leak.c) served
# by other allocators and static C libraries: linked against jemalloc,
# tcmalloc and mimalloc (each also calling its own API: mallocx/sdallocx,
# tc_malloc/tc_free, mi_malloc/mi_free), LD_PRELOADed (jemalloc, mimalloc,
# tcmalloc_minimal), named with --lib (an allocator memrec cannot see:
# preloaded by env(1) after memrec looked), and static (glibc, musl-gcc).
# Each: the exact leak rows in JSON (count, bytes, sizes, alloc_fn, line)
# and in text (summed over the rows whose frame 0 is the function; jemalloc's
# posix_memalign, which no probe can see, must not appear), no
# nested call counted twice (replaced, orphan entries/returns 0). A stripped
# static program is refused with one error line saying why.
. "$(dirname "$0")/lib.sh"
live_init

P=$PROGS
SRC=$ROOT/tests/progs/alloc_leak.c
LIBDIR=/usr/lib/x86_64-linux-gnu

# text_rows TXT: "FUNC COUNT BYTES FN" per frame-0 function of our program, summed.
text_rows() {
	python3 - "$1" <<'EOF'
import re, sys
rows, cur = {}, None
for line in open(sys.argv[1]):
    m = re.match(r"  #\d+ (\d+) bytes in (\d+) blocks? of .* from (\w+),", line)
    if m:
        cur = (int(m.group(1)), int(m.group(2)), m.group(3))
        continue
    m = re.match(r"      #0  0x[0-9a-f]+ (leak_\w+)\+", line)
    if m and cur:
        r = rows.setdefault((m.group(1), cur[2]), [0, 0])
        r[0] += cur[1]
        r[1] += cur[0]
    cur = None if m else cur
for (f, fn), (c, b) in sorted(rows.items()):
    print(f, c, b, fn)
EOF
}

WANT_TEXT="leak_aligned 1 512 aligned_alloc
leak_calloc 2 400 calloc
leak_direct 2 128 malloc
leak_malloc 3 300 malloc
leak_posix_memalign 1 320 posix_memalign
leak_realloc 1 1000 realloc
leak_strdup 1 10 strdup"

# one NAME PM MEMREC_ARGS_AND_CMD...: record, then check JSON and text; PM 0:
# the allocator's posix_memalign is not seen (jemalloc's).
one() {
	local name=$1 pm=$2 log=$OUT/$1.record.log got want=$WANT_TEXT pmx
	shift 2
	if [ "$pm" = 1 ]; then
		pmx=(--leak leak_posix_memalign 1 320 --fn posix_memalign --sizes 320 320
		     --pid target --line "$(src_line "$SRC" leak_posix_memalign)")
	else
		pmx=(--no-leak leak_posix_memalign)
		want=$(echo "$WANT_TEXT" | grep -v posix_memalign)
	fi
	run_record "$name/record" "$log" -e user -o "$OUT/$name.dat" "$@" || return
	if grep -qx done "$log.out"; then
		ok "$name/target-ran"
	else
		fail "$name/target-ran" "no \"done\" from the target ($log.out)"
	fi
	run_report "$name/report" "$OUT/$name.dat" "$OUT/$name.json" || return
	m=(--pid target --file-suffix alloc_leak.c)
	check "$name" "$OUT/$name.json" --eq lost_events.total 0 --eq failed_allocs 0 \
		--eq replaced 0 --eq orphan_entries 0 --eq orphan_returns 0 \
		--leak leak_malloc 3 300 --fn malloc --sizes 100 100 "${m[@]}" \
			--line "$(src_line "$SRC" leak_malloc)" \
		--leak leak_calloc 2 400 --fn calloc --sizes 200 200 "${m[@]}" \
			--line "$(src_line "$SRC" leak_calloc)" \
		--leak leak_realloc 1 1000 --fn realloc --sizes 1000 1000 "${m[@]}" \
			--line "$(src_line "$SRC" leak_realloc)" \
		--leak leak_aligned 1 512 --fn aligned_alloc --sizes 512 512 "${m[@]}" \
			--line "$(src_line "$SRC" leak_aligned)" \
		--leak leak_strdup 1 10 --fn strdup --sizes 10 10 "${m[@]}" \
			--line "$(src_line "$SRC" leak_strdup)" \
		--leak leak_direct 2 128 --fn malloc --sizes 64 64 "${m[@]}" \
			--line "$(src_line "$SRC" leak_direct)" \
		"${pmx[@]}" --no-leak balanced_work
	"$MEMREC" report -i "$OUT/$name.dat" --top 0 > "$OUT/$name.txt" 2> "$OUT/$name.txt.stderr"
	got=$(text_rows "$OUT/$name.txt")
	if [ "$got" = "$want" ]; then
		ok "$name/text: the $(echo "$want" | wc -l) leak rows, exact"
	else
		fail "$name/text" "rows differ: got [$(echo $got)] ($OUT/$name.txt)"
	fi
}

# have LIB...: every file exists (else the allocator package is missing).
have() {
	local f
	for f in "$@"; do
		[ -e "$f" ] || return 1
	done
}

need() {
	local name=$1 pkg=$2
	shift 2
	have "$@" && return 0
	skip "$name" "$* missing: apt-get install $pkg (scripts/install-deps.sh does)"
	return 1
}

one glibc 1 -- "$P/alloc_leak"
if need jemalloc libjemalloc2 "$LIBDIR/libjemalloc.so.2" "$P/alloc_leak_je"; then
	one jemalloc-linked 0 -- "$P/alloc_leak_je"
	LD_PRELOAD=$LIBDIR/libjemalloc.so.2 one jemalloc-preload 0 -- "$P/alloc_leak"
	"$MEMREC" record -v -e user -o "$OUT/je-v.dat" -- "$P/alloc_leak_je" \
		> /dev/null 2> "$OUT/je-v.log"
	if grep -q "^memrec: probing '.*/libjemalloc.so.2'" "$OUT/je-v.log"; then
		ok "jemalloc/found: -v names the probed libjemalloc.so.2"
	else
		fail "jemalloc/found" "-v does not say libjemalloc.so.2 is probed ($OUT/je-v.log)"
	fi
fi
if need tcmalloc libgoogle-perftools4 "$LIBDIR/libtcmalloc.so.4" "$P/alloc_leak_tc"; then
	one tcmalloc-linked 1 -- "$P/alloc_leak_tc"
fi
if need tcmalloc-minimal libtcmalloc-minimal4 "$LIBDIR/libtcmalloc_minimal.so.4"; then
	LD_PRELOAD=$LIBDIR/libtcmalloc_minimal.so.4 one tcmalloc-preload 1 -- "$P/alloc_leak"
	# preloaded behind memrec's back: only --lib makes its calls seen
	one tcmalloc-lib 1 --lib "$LIBDIR/libtcmalloc_minimal.so.4" -- \
		env LD_PRELOAD="$LIBDIR/libtcmalloc_minimal.so.4" "$P/alloc_leak"
fi
if need mimalloc libmimalloc2.0 "$LIBDIR/libmimalloc.so.2" "$P/alloc_leak_mi"; then
	one mimalloc-linked 1 -- "$P/alloc_leak_mi"
	LD_PRELOAD=$LIBDIR/libmimalloc.so.2 one mimalloc-preload 1 -- "$P/alloc_leak"
fi
one glibc-static 1 -- "$P/alloc_leak_static"
if need musl musl-tools "$P/alloc_leak_musl"; then
	one musl-static 1 -- "$P/alloc_leak_musl"
fi

expect_error stripped-static 1 "$MEMREC" record -e user -o "$OUT/stripped.dat" -- \
	"$P/alloc_leak_static_stripped"
if grep -q "stripped static executable: its allocator cannot be probed" \
	"$OUT/stripped-static.err"; then
	ok "stripped-static/message"
else
	fail "stripped-static/message" "no clear reason in $OUT/stripped-static.err"
fi
expect_error lib-not-allocator 1 "$MEMREC" record -e user --lib /bin/true -o "$OUT/nolib.dat" \
	-- "$P/alloc_leak"
assert_no_state allocators/no-state
live_finish
