#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_growth.sh - the growth verdicts of the leak report on a program whose
# three sites move in known ways (tests/progs/growth.c): steady_leak grows
# to the end (growing), cache_fill fills in the first second and keeps it
# (plateau), burst allocates 100 blocks and frees 95 a second later
# (transient). Checks, in JSON: each site's blocks and bytes, verdict,
# peak and the shape of its series, the series' length against the
# recording, and that the cache's series is full from the interval of its
# youngest block on and the leak's starts at the interval of its oldest;
# in text: the same verdicts and a sparkline of one mark per interval, in
# block characters under a UTF-8 locale and in ASCII under C or --ascii;
# and --sort growth in both.
. "$(dirname "$0")/lib.sh"
live_init

P=$PROGS
SRC=$ROOT/tests/progs/growth.c
[ -x "$P/growth" ] || { fail growth/program "$P/growth missing; run make progs"; live_finish; }

dat=$OUT/growth.dat
log=$OUT/growth.record.log
run_record growth/record "$log" -o "$dat" -- "$P/growth" || live_finish
if grep -q '^done$' "$log.out"; then
	ok growth/target-ran
else
	fail growth/target-ran "no \"done\" from the target (output: $log.out)"
fi

m=(--pid target --fn malloc --module-suffix /tests/progs/growth --file-suffix growth.c)
expect=(--eq lost_events.total 0
	--leak steady_leak 240 240000 "${m[@]}" --sizes 1000 1000
		--line "$(src_line "$SRC" steady_leak)"
		--growth growing --peak 240000 --series rising
	--leak cache_fill 200 409600 "${m[@]}" --sizes 2048 2048
		--line "$(src_line "$SRC" cache_fill)"
		--growth plateau --peak 409600 --series rising
	--leak burst 5 2560 "${m[@]}" --sizes 512 512 --line "$(src_line "$SRC" burst)"
		--growth transient --peak 51200 --series up-down
	--eq leaks.# 3)

json=$OUT/growth.json
if run_report growth/report "$dat" "$json"; then
	check growth "$json" "${expect[@]}"
	# the series' length and timing against the recording and the rows' ages
	python3 - "$json" <<'PY'
import json, math, sys
r = json.load(open(sys.argv[1]))
rows = {l["stack"][0]["function"]: l for l in r["leaks"]}
dur = r["duration_s"]

def say(name, problem):
    print("ok - growth/%s" % name if not problem else "not ok - growth/%s: %s" % (name, problem))

s = rows["steady_leak"]["series"]
n, w = len(s["bytes"]), s["interval_s"]
lens = {len(l["series"]["bytes"]) for l in rows.values()} | \
       {l["series"]["interval_s"] for l in rows.values()} - {w}
say("series-length", None if 32 < n <= 64 and (n - 1) * w <= dur + 1e-6 < n * w and
    lens == {n} else "%d intervals of %g s for a %g s recording (all rows: %r)" %
    (n, w, dur, lens))

def interval(age):
    """The intervals a block of this age (to 1 us) can fall in."""
    return {math.floor((dur - age + d) / w) for d in (-2e-6, 2e-6)}

c = rows["cache_fill"]
full = c["series"]["bytes"].index(409600)
say("cache-full-at-youngest-block", None if full in interval(c["age_min_s"]) else
    "full from interval %d, its youngest block (age %g s) is in %r" %
    (full, c["age_min_s"], interval(c["age_min_s"])))
l = rows["steady_leak"]
first = next(i for i, v in enumerate(l["series"]["bytes"]) if v)
say("leak-starts-at-oldest-block", None if first in interval(l["age_max_s"]) else
    "first bytes in interval %d, its oldest block (age %g s) is in %r" %
    (first, l["age_max_s"], interval(l["age_max_s"])))
PY
	note_rc $?
fi

# --sort growth: growing, plateau, transient (here the same as by bytes but
# for the leak and the cache, which swap)
sorted=$OUT/growth.sorted.json
if run_report growth/report-sort "$dat" "$sorted" --sort growth; then
	check growth/sort "$sorted" --sorted-by-growth --eq leaks.0.growth growing \
		--eq leaks.1.growth plateau --eq leaks.2.growth transient \
		--eq leaks.0.stack.0.function steady_leak --eq leaks.1.stack.0.function cache_fill \
		--eq leaks.2.stack.0.function burst
fi

# text_check NAME MARKS ORDER CMD...: the text report CMD prints has each
# site's verdict on the line after its row, with a sparkline of one MARKS
# (unicode or ascii) character per interval of the JSON's series, and its
# rows in ORDER (functions, comma-separated).
text_check() {
	local name=$1 marks=$2 order=$3 txt=$OUT/growth.$1.txt
	shift 3
	if ! "$@" > "$txt" 2> "$txt.stderr"; then
		fail "growth/$name" "$* failed (stderr: $txt.stderr)"
		return
	fi
	python3 - "$txt" "$json" "$marks" "$order" "$name" <<'PY'
import json, re, sys
txt, js, marks, order = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")
r = json.load(open(js))
n = len(r["leaks"][0]["series"]["bytes"])
want = {"steady_leak": "growing", "cache_fill": "plateau", "burst": "transient"}
ROW = re.compile(r"^  #\d+ (\d+) bytes in (\d+) blocks? ")
GROWTH = re.compile(r"^    growth: (\w+) +(.*?)  peak (\d+) bytes, [0-9.e-]+ s per mark$")
FRAME0 = re.compile(r"^      #0 +0x[0-9a-f]+ (\w+)\+")
lines = open(txt, encoding="utf-8").read().split("\n")
problems, seen = [], []
for i, line in enumerate(lines):
    m = ROW.match(line)
    if not m or i + 2 >= len(lines):
        continue
    g, f = GROWTH.match(lines[i + 1]), FRAME0.match(lines[i + 2])
    if not g or not f:
        if "kernel stack" not in lines[i + 1]:
            problems.append("row %r: no growth line and frame after it" % line)
        continue
    fn = f.group(1)
    seen.append(fn)
    # a mark per interval: the spaces of zero bytes count, the padding does not
    spark = lines[i + 1][len("    growth: ") + 11:].rsplit("  peak", 1)[0]
    chars = set(spark) - {" "}
    ok_chars = set("\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588") if marks == "unicode" \
        else set(".:-=+*#@")
    if g.group(1) != want.get(fn):
        problems.append("%s: growth %s, expected %s" % (fn, g.group(1), want.get(fn)))
    if len(spark) != n or not chars <= ok_chars:
        problems.append("%s: sparkline %r: %d marks, expected %d %s marks" %
                        (fn, spark, len(spark), n, marks))
    if spark[-1] != ("\u2588" if marks == "unicode" else "@") and fn != "burst":
        problems.append("%s: sparkline %r does not end at its top" % (fn, spark))
if seen != order:
    problems.append("rows %r, expected %r" % (seen, order))
name = "growth/text-" + sys.argv[5]
print("ok - %s" % name if not problems else "not ok - %s: %s" % (name, "; ".join(problems)))
PY
	note_rc $?
}

by_bytes=cache_fill,steady_leak,burst
by_growth=steady_leak,cache_fill,burst
text_check utf8 unicode $by_bytes env LC_ALL=C.UTF-8 "$MEMREC" report -i "$dat"
text_check c-locale ascii $by_bytes env LC_ALL=C "$MEMREC" report -i "$dat"
text_check ascii ascii $by_bytes env LC_ALL=C.UTF-8 "$MEMREC" report -i "$dat" --ascii
text_check sort ascii $by_growth "$MEMREC" report -i "$dat" --ascii --sort growth

# --sort takes bytes or growth, and only for the leak report
expect_error growth/sort-bad 2 "$MEMREC" report -i "$dat" --sort age
expect_error growth/sort-oom 2 "$MEMREC" report -i "$dat" --sort growth oom
live_finish
