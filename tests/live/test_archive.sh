#!/bin/bash
# test_archive.sh - record here, analyse anywhere: a file recorded with its
# symbols embedded reports the same functions, files and lines after the
# binaries are gone; a rebuilt binary (another build-id) at the recorded
# path is refused with a warning, never used for wrong names.
. "$(dirname "$0")/lib.sh"
live_init

bin=$OUT/bin
mkdir -p "$bin"
cp "$PROGS/archive_leak" "$PROGS/libdlleak.so" "$bin/"

# frames of the own_leak and lib_leak groups: function module file line
frames() {
	python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for l in r["leaks"]:
    f0 = l["stack"][0]["function"] or ""
    if f0 in ("own_leak", "lib_leak"):
        for f in l["stack"]:
            print(f0, l["count"], l["bytes"], f["function"], f["module"], f["file"], f["line"])
PY
}

run_record archive/record-debuginfo "$OUT/a.log" --debuginfo -o "$OUT/a.dat" -- "$bin/archive_leak"
grep -q "embedded the symbols of" "$OUT/a.log" && ok archive/embedded-message ||
	fail archive/embedded-message "no 'embedded the symbols' line in $OUT/a.log"
"$MEMREC" report -i "$OUT/a.dat" --format json >"$OUT/here.json" 2>"$OUT/here.err"
frames "$OUT/here.json" >"$OUT/here.frames"
grep -q "^own_leak 4 220 own_leak $bin/archive_leak .*archive_leak.c $(src_line "$ROOT/tests/progs/archive_leak.c" own_leak)\$" \
	"$OUT/here.frames" && ok archive/own-leak-here || fail archive/own-leak-here "see $OUT/here.frames"
grep -q "^lib_leak 7 2331 lib_leak $bin/libdlleak.so .*libdlleak.c $(src_line "$ROOT/tests/progs/libdlleak.c" lib_leak)\$" \
	"$OUT/here.frames" && ok archive/lib-leak-here || fail archive/lib-leak-here "see $OUT/here.frames"

# the binaries go away: the embedded copies must give the same answers
rm -rf "$bin"
"$MEMREC" report -v -i "$OUT/a.dat" --format json >"$OUT/gone.json" 2>"$OUT/gone.err"
frames "$OUT/gone.json" >"$OUT/gone.frames"
if [ -s "$OUT/here.frames" ] && cmp -s "$OUT/here.frames" "$OUT/gone.frames"; then
	ok "archive/same-symbols-files-lines-without-binaries ($(wc -l <"$OUT/gone.frames") frames)"
else
	fail archive/same-without-binaries "diff $OUT/here.frames $OUT/gone.frames"
fi
grep -q "symbols of '$bin/archive_leak'.*the copy in the trace file" "$OUT/gone.err" &&
	ok archive/verbose-says-where || fail archive/verbose-says-where "see $OUT/gone.err"

# without --debuginfo the names still come from the file
mkdir -p "$bin" && cp "$PROGS/archive_leak" "$PROGS/libdlleak.so" "$bin/"
run_record archive/record-symbols "$OUT/b.log" -o "$OUT/b.dat" -- "$bin/archive_leak"
rm -rf "$bin"
"$MEMREC" report -i "$OUT/b.dat" --format json >"$OUT/b.json" 2>"$OUT/b.err"
frames "$OUT/b.json" | awk '{print $1, $4}' | sort -u >"$OUT/b.names"
grep -qx "own_leak own_leak" "$OUT/b.names" && grep -qx "lib_leak lib_leak" "$OUT/b.names" &&
	ok archive/names-without-debuginfo || fail archive/names-without-debuginfo "see $OUT/b.names"

# a rebuilt binary at the recorded path: warned about, never used
mkdir -p "$bin" && cp "$PROGS/archive_leak" "$PROGS/libdlleak.so" "$bin/"
run_record archive/record-no-embed "$OUT/c.log" --no-embed -o "$OUT/c.dat" -- "$bin/archive_leak"
cp "$PROGS/leak_kinds" "$bin/archive_leak"	# same path, another build-id
"$MEMREC" report -i "$OUT/c.dat" --format json >"$OUT/c.json" 2>"$OUT/c.err"
grep -q "'$bin/archive_leak' has build-id .* here but .* when recorded; not using it" \
	"$OUT/c.err" && ok archive/rebuilt-warns || fail archive/rebuilt-warns "see $OUT/c.err"
python3 - "$OUT/c.json" "$bin/archive_leak" <<'PY' && ok archive/rebuilt-no-wrong-names ||
import json, sys
r = json.load(open(sys.argv[1]))
mine = [f for l in r["leaks"] for f in l["stack"] if f["module"] == sys.argv[2]]
assert mine, "no frame in the rebuilt module"
assert all(f["function"] is None for f in mine), [f["function"] for f in mine]
PY
	fail archive/rebuilt-no-wrong-names "frames of the rebuilt binary got names: $OUT/c.json"
# the library was not rebuilt: it still symbolises from its own path
grep -q '"function": "lib_leak"' "$OUT/c.json" && ok archive/unchanged-library-still-named ||
	fail archive/unchanged-library-still-named "see $OUT/c.json"
rm -rf "$bin"
assert_no_state archive/no-state
live_finish
