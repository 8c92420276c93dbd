#!/bin/bash
# test_folded_speedscope.sh - `memrec report --format folded` fed to a real
# flame-graph tool: speedscope (npm, pinned in tests/tools/package.json),
# whose web app imports Brendan Gregg's collapsed format, loaded from its
# package's files in headless Chromium over the DevTools protocol
# (tests/file/browser.py), given the file the way its own CLI does
# (index.html#localProfilePath=JS calling speedscope.loadFileFromBase64).
# For leak_kinds.dat, bytes and blocks:
#  - the page imports the file without a JavaScript exception or a request
#    outside the files;
#  - the profile speedscope exports (its Export button; the blob is caught):
#    one profile named after the file, its end value the JSON report's total,
#    "leak_kinds (27854)" one frame (not split at its space), every stack
#    starting with it, and the stacks rebuilt from its open/close events
#    equal to the folded lines' (outermost first, weights summed per stack):
#    leak_malloc;malloc 300 bytes (3 blocks), leak_posix_memalign;
#    posix_memalign 512 (2), leak_realloc_chain;realloc 1000 (1), each under
#    "leak_kinds (27854);__libc_start_call_main;main";
#  - its Sandwich view's table (total, self, name): leak_malloc 300 total and
#    0 self, malloc 300 and 300, posix_memalign 512 and 512,
#    leak_realloc_chain 1,000 total, main and "leak_kinds (27854)" the JSON
#    report's total with 0 self.
# Skips loudly without speedscope (scripts/install-deps.sh runs npm ci in
# tests/tools), chromium or python3-websocket (scripts/test.sh installs them
# as root); under CI (CI set, as .ci/run is run) their absence is a failure.
# No root needed.
set -u
cd "$(dirname "$0")/../.." || exit 1
MEMREC=${MEMREC:-./memrec}
[ -x "$MEMREC" ] || { echo "not ok - folded_speedscope: $MEMREC missing; run make"; exit 1; }
OUT=tests/out/folded_speedscope
rm -rf "$OUT"
mkdir -p "$OUT"
PY=python3
for py in python3 /usr/bin/python3; do
	if "$py" -c 'import websocket' 2>/dev/null; then
		PY=$py
		break
	fi
done
MEMREC=$MEMREC OUT=$OUT exec "$PY" - "$@" <<'EOF'
import base64, json, os, re, subprocess, sys, time
sys.path.insert(0, "tests/file")

BIN, OUT = os.environ["MEMREC"], os.environ["OUT"]
APP = "tests/tools/node_modules/speedscope/dist/release/index.html"
DAT = "tests/golden/leak_kinds.dat"
PROC = "leak_kinds (27854)"
HEAD = (PROC, "__libc_start_call_main", "main")
fails = 0


def say(problem, name):
    global fails
    if problem:
        print("not ok - folded_speedscope: %s: %s" % (name, " ".join(str(problem).split())[:600]))
        fails += 1
    else:
        print("ok - folded_speedscope: " + name)


def unavailable(why):
    if os.environ.get("CI"):
        say(why + "; CI must run it", "speedscope")
    else:
        print("skip - folded_speedscope: " + why)
    sys.exit(1 if fails else 0)


if not os.path.isfile(APP):
    unavailable("no %s (scripts/install-deps.sh runs npm ci in tests/tools)" % APP)
try:
    from browser import Unavailable, open_browser
    br = open_browser(OUT + "/chromium.log")
except (ImportError, Unavailable) as ex:
    unavailable(str(ex))


def folded(value):
    path = "%s/leak_kinds.%s" % (OUT, value)
    with open(path, "w") as f:
        subprocess.run([BIN, "report", "-i", DAT, "--format", "folded", "--value", value],
                       stdout=f, check=True)
    return path


def stacks_of(path):
    got = {}
    for line in open(path).read().splitlines():
        frames, n = line.rsplit(" ", 1)
        key = tuple(frames.split(";"))
        got[key] = got.get(key, 0) + int(n)
    return got


def until(expr, what, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if br.js(expr):
            return
        time.sleep(0.1)
    raise RuntimeError("%s: not within %d s" % (what, timeout))


def click_text(text):
    # the toolbar's buttons are divs whose text ends with their label
    return br.js("""(() => {
        const b = [...document.querySelectorAll('div')].filter(e =>
            e.children.length <= 1 && e.textContent.endsWith(%s)).pop();
        if (b) b.click();
        return !!b; })()""" % json.dumps(text))


def export():
    """The profile as speedscope exports it (its own file format)."""
    br.js("""window.__blobs = []; URL.createObjectURL = (o => b => {
        window.__blobs.push(b); return o.call(URL, b); })(URL.createObjectURL); 1""")
    if not click_text("Export"):
        raise RuntimeError("no Export button")
    until("window.__blobs.length > 0", "the export")
    r = br.call("Runtime.evaluate", expression="window.__blobs[0].text()", awaitPromise=True,
                returnByValue=True)
    return json.loads(r["result"]["value"])


def event_stacks(prof, names):
    """Each stack of an evented profile with the value spent in it, summed."""
    got, stack, at = {}, [], prof["startValue"]
    for ev in prof["events"]:
        if stack and ev["at"] > at:
            key = tuple(stack)
            got[key] = got.get(key, 0) + ev["at"] - at
        at = ev["at"]
        if ev["type"] == "O":
            stack.append(names[ev["frame"]])
        elif not stack or stack.pop() != names[ev["frame"]]:
            raise RuntimeError("close of %r without its open" % names[ev["frame"]])
    return got


def number(cell):   # "1,000 (9.0%)" -> 1000
    m = re.match(r"([\d,]+) \(", cell)
    return int(m.group(1).replace(",", "")) if m else None


def check(value, unit_total, known):
    path = folded(value)
    want = stacks_of(path)
    fname = os.path.basename(path)
    js = os.path.abspath("%s/%s.js" % (OUT, fname))
    with open(path, "rb") as f, open(js, "w") as o:
        o.write("speedscope.loadFileFromBase64(%s, %s)\n" %
                (json.dumps(fname), json.dumps(base64.b64encode(f.read()).decode())))
    # about:blank first: a change of the fragment alone would not load the page again
    br.call("Page.navigate", url="about:blank")
    br.wait_event("Page.loadEventFired")
    br.call("Page.navigate", url="file://%s#localProfilePath=%s" % (os.path.abspath(APP), js))
    br.wait_event("Page.loadEventFired")
    until("document.body.innerText.includes(%s)" % json.dumps(fname), "the import")
    br.screenshot("%s/%s.png" % (OUT, fname))
    tag = "%s (%s)" % (fname, value)

    doc = export()
    names = [fr["name"] for fr in doc["shared"]["frames"]]
    profs = doc["profiles"]
    why = []
    if len(profs) != 1 or profs[0]["name"] != fname:
        why.append("profiles %r" % [p.get("name") for p in profs])
    prof = profs[0]
    if prof["endValue"] - prof["startValue"] != unit_total:
        why.append("the profile spans %d, the JSON report says %d" %
                   (prof["endValue"] - prof["startValue"], unit_total))
    if PROC not in names or any(n != PROC and ("27854" in n or n == "leak_kinds")
                                for n in names):
        why.append("%r is not one frame: frames %r" % (PROC, names[:6]))
    got = event_stacks(prof, names)
    if any(k[0] != PROC for k in got):
        why.append("a stack not starting with %r" % PROC)
    for tail, n in known:
        if got.get(HEAD + tail) != n:
            why.append("%s: %r, not %d" % (";".join(HEAD + tail), got.get(HEAD + tail), n))
    if got != want:
        diff = sorted(set(got.items()) ^ set(want.items()))
        why.append("stacks differ from the folded lines': %r" % diff[:3])
    say("; ".join(why), "%s: exported profile: one %r frame, stacks outermost first, "
        "known weights" % (tag, PROC))

    if not click_text("Sandwich"):
        raise RuntimeError("no Sandwich button")
    until("document.querySelectorAll('tr td').length > 0", "the Sandwich table")
    rows = br.js("""[...document.querySelectorAll('tr')].map(r =>
        [...r.querySelectorAll('td')].map(c => c.textContent)).filter(c => c.length == 3)""")
    table = {r[2]: (number(r[0]), number(r[1])) for r in rows}
    why = []
    leaf = dict((tail[-1], n) for tail, n in known)
    site = dict((tail[-2], n) for tail, n in known)
    for name, tot_self in [(PROC, (unit_total, 0)), ("main", (unit_total, 0)),
                           ("leak_malloc", (site["leak_malloc"], 0)),
                           ("malloc", (leaf["malloc"],) * 2),
                           ("posix_memalign", (leaf["posix_memalign"],) * 2),
                           ("leak_realloc_chain", (site["leak_realloc_chain"], 0))]:
        if table.get(name) != tot_self:
            why.append("%s: total, self %r, not %r" % (name, table.get(name), tot_self))
    say("; ".join(why), "%s: Sandwich view: totals and selves of %s, main, leak_malloc, "
        "malloc, posix_memalign, leak_realloc_chain" % (tag, PROC))


try:
    report = json.loads(subprocess.run([BIN, "report", "-i", DAT, "--format", "json"],
                                       stdout=subprocess.PIPE, check=True).stdout)
    rows = report["leaks"] + report.get("kernel_leaks", [])
    check("bytes", sum(r["bytes"] for r in rows),
          [(("leak_malloc", "malloc"), 300), (("leak_posix_memalign", "posix_memalign"), 512),
           (("leak_realloc_chain", "realloc"), 1000)])
    check("blocks", sum(r["count"] for r in rows),
          [(("leak_malloc", "malloc"), 3), (("leak_posix_memalign", "posix_memalign"), 2),
           (("leak_realloc_chain", "realloc"), 1)])
    app = "file://" + os.path.abspath(os.path.dirname(APP))
    say("; ".join(u for u in br.requests if not u.startswith((app, "file://" +
                                                               os.path.abspath(OUT)))) or
        ("; ".join(br.exceptions) if br.exceptions else None),
        "speedscope: no request outside its files and the profile, no JavaScript exception")
except Exception as ex:
    say("%s: %s" % (type(ex).__name__, ex), "speedscope: driving the page")
finally:
    br.close()
sys.exit(1 if fails else 0)
EOF
