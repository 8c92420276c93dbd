#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_oom_html.sh - `memrec report oom --format html` of a real memory
# cgroup OOM kill, checked as markup and as a picture.
#
# As in test_oom.sh: a private memory cgroup (memrec-html-PID, 64 MiB, no
# swap) holds tests/progs/hog, which grows by 1 MiB every 20 ms until the
# kernel kills it. The hog runs under a name with markup in it (a symlink
# 'hog<i>&amp;'), so the page must escape it.
#
#  (a) the page is well-formed (every tag closed in order, as python's
#      html.parser reads it), self-contained (no scripts, links, fonts or
#      network addresses), has one <svg> per process shown (the JSON
#      report's processes, at most 8; --top 1 gives one), says "OOM kill"
#      and names the hog with its name escaped: the kill label reads
#      'OOM kill: hog<i>&amp; (pid N)' as text;
#  (b) headless Chromium renders it to tests/out/test_oom_html.PID/shot.png
#      (kept for people to look at): the picture is not blank (many
#      colours), has the kill marker's red and the anon line's blue.
#
# Skips (exit 0) without root, tracefs, oom:mark_victim or a memory cgroup;
# (b) alone skips, loudly, without chromium or PIL (scripts/test.sh installs
# both).
. "$(dirname "$0")/lib.sh"
live_init

T=oom_html
RECORD_TIMEOUT=40
REPORT_TIMEOUT=30
NAME='hog<i>&amp;'

[ -e "$TRACEFS/events/oom/mark_victim" ] ||
	skip_all "no oom:mark_victim event in $TRACEFS/events (kernel without it)"
if [ ! -x "$PROGS/hog" ]; then
	fail $T/test-program "$PROGS/hog missing; run make progs"
	live_finish
fi

# ------------------------------------------------------------ the cgroup
. "$(dirname "$0")/cgroup.sh"
memcg_setup "memrec-html-$$"

# The kernel names a task after the file it executes: the symlink's name.
ln -s "$PROGS/hog" "$OUT/$NAME" || { fail $T/symlink "cannot create $OUT/$NAME"; live_finish; }
HOG_SH='echo $$ > "$1" && echo "hog pid $$" && exec "$2" 256 20'
HOG=("sh" "-c" "$HOG_SH" "sh" "$CG/cgroup.procs" "$OUT/$NAME")

# report_oom NAME OUTPUT ARGS...: memrec report oom -i $DAT ARGS (bounded in time).
report_oom() {
	local name=$1 out=$2 rc
	shift 2
	timeout -k 5 "$REPORT_TIMEOUT" "$MEMREC" report oom -i "$DAT" "$@" \
		> "$out" 2> "$out.stderr"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$name"
	else
		fail "$name" "memrec report oom $* $(describe_rc $rc) (stderr: $out.stderr)"
	fi
	return "$rc"
}

# ------------------------------------------------------------ recording

DAT=$OUT/hog.dat
log=$OUT/record.log
run_record $T/record "$log" -e user,oom -o "$DAT" -- "${HOG[@]}"
hog_pid=$(sed -n 's/^hog pid \([0-9][0-9]*\)$/\1/p' "$log.out" 2>/dev/null | head -1)
if [ -z "$hog_pid" ]; then
	fail $T/hog-started "the sh did not enter the cgroup or did not run (output: $log.out, log: $log)"
	live_finish
fi
cg_remove

# ------------------------------------------------------------ (a) the page

PAGE=$OUT/page.html
report_oom $T/report-json "$OUT/report.json" --format json
report_oom $T/report-html "$PAGE" --format html || live_finish
report_oom $T/report-html-top1 "$OUT/page.top1.html" --format html --top 1

python3 - "$PAGE" "$OUT/page.top1.html" "$OUT/report.json" "$hog_pid" "$NAME" "$T" \
	"$(cd "$(dirname "$0")/../file" && pwd)" <<'EOF'
import json, sys

page, top1, report, hog, name, prefix, lib = sys.argv[1:8]
sys.path.insert(0, lib)
from htmlpage import outside, parse
hog = int(hog)
bad = 0

def emit(what, problem):
    global bad
    if problem is None:
        print("ok - %s/%s" % (prefix, what))
    else:
        print("not ok - %s/%s: %s" % (prefix, what, " ".join(str(problem).split())))
        bad = 1

try:
    src, p = parse(page)
    _, p1 = parse(top1)
    with open(report) as f:
        nprocs = len(json.load(f).get("processes") or [])
except (OSError, ValueError, UnicodeDecodeError) as ex:
    emit("parse", "cannot read the page or the JSON report: %s" % ex)
    sys.exit(1)

emit("well-formed", "; ".join(p.errors[:5]) if p.errors else None)
emit("doctype", None if src.lstrip().lower().startswith("<!doctype html>") else
     "does not start with <!DOCTYPE html>")
why = outside(src, p)
emit("self-contained", "; ".join(why) if why else None)

want = min(nprocs, 8)
emit("svg-per-process", None if nprocs >= 1 and p.svgs == want else
     "%d <svg>, expected %d (the JSON report has %d processes, the page shows at most 8)"
     % (p.svgs, want, nprocs))
emit("svg-top1", None if p1.svgs == 1 else "--top 1: %d <svg>, expected 1" % p1.svgs)

label = "OOM kill: %s (pid %d)" % (name, hog)
emit("kill-label", None if label in p.texts else
     "no SVG text %r; the chart's texts: %r" % (label, [t for t in p.texts if "OOM" in t][:4]))
text = "".join(p.all_text)
emit("names-hog", None if "hog" in text and "OOM kill" in text else
     "the page's text does not say \"hog\" and \"OOM kill\"")
# the name's markup must be escaped: its '<i>' is no tag, its '&amp;' shows as such
emit("escaped", None if "i" not in p.tags and "&lt;i&gt;&amp;amp;" in src else
     "%r is not escaped (an <i> tag: %s)" % (name, "i" in p.tags))
sys.exit(bad)
EOF
note_rc $?

# ------------------------------------------------------- (b) the picture

CHROMIUM=$(command -v chromium || command -v chromium-browser || command -v google-chrome)
PIL_PY=
for py in python3 /usr/bin/python3; do
	if "$py" -c 'import PIL.Image' 2>/dev/null; then
		PIL_PY=$py
		break
	fi
done
SHOT=$OUT/shot.png
if [ -z "$CHROMIUM" ]; then
	echo "*** $LIVE_NAME: NO CHROMIUM: the page is not rendered (apt-get install chromium)" >&2
	skip $T/screenshot \
		"html/screenshot: no chromium (apt-get install chromium; scripts/test.sh does as root)"
else
	prof=$(mktemp -d)
	timeout -k 5 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update --disable-sync \
		--no-first-run --user-data-dir="$prof" --window-size=1200,900 \
		--screenshot="$SHOT" "file://$PAGE" > "$OUT/chromium.log" 2>&1
	rc=$?
	rm -rf "$prof"
	if [ "$rc" -ne 0 ] || [ ! -s "$SHOT" ]; then
		fail $T/screenshot "chromium $(describe_rc $rc), no $SHOT (log: $OUT/chromium.log)"
	else
		ok $T/screenshot
		echo "$LIVE_NAME: the page's screenshot: $SHOT" >&2
	fi
fi
if [ -s "$SHOT" ] && [ -z "$PIL_PY" ]; then
	echo "*** $LIVE_NAME: NO PIL: the screenshot's pixels are not checked" \
		"(apt-get install python3-pil)" >&2
	skip $T/pixels "html/screenshot: no python3 with PIL (apt-get install python3-pil)"
elif [ -s "$SHOT" ]; then
	"$PIL_PY" - "$SHOT" "$T" <<'EOF'
import sys
from PIL import Image

shot, prefix = sys.argv[1:3]
bad = 0

def emit(what, problem):
    global bad
    if problem is None:
        print("ok - %s/%s" % (prefix, what))
    else:
        print("not ok - %s/%s: %s (%s)" % (prefix, what, problem, shot))
        bad = 1

im = Image.open(shot).convert("RGB")
px = list(im.getdata())
colours = len(set(px))
ink = sum(1 for r, g, b in px if r + g + b < 600)
# the kill marker (#e00000) and the anon line (#1f5fd0), allowing for smoothing
red = sum(1 for r, g, b in px if r > 190 and g < 60 and b < 60)
blue = sum(1 for r, g, b in px if r < 80 and 70 < g < 130 and b > 170)
emit("not-blank", None if colours >= 50 and ink > 0.01 * len(px) else
     "%d colours, %d dark pixels of %d: a blank page?" % (colours, ink, len(px)))
emit("kill-red", None if red >= 150 else
     "%d pixels of the kill marker's red, expected >= 150" % red)
emit("anon-blue", None if blue >= 150 else
     "%d pixels of the anon line's blue, expected >= 150" % blue)
sys.exit(bad)
EOF
	note_rc $?
fi

assert_no_state $T/no-state-left
live_finish
