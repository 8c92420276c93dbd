#!/bin/bash
# test_leak_html.sh - `memrec report leak --format html` on the checked-in
# files and on a hostile one. No root needed.
#
#  (a) the markup, for every tests/golden/*.dat (written with -o FILE):
#      well-formed (tags closed in order, python's html.parser), starts with
#      <!DOCTYPE html>, self-contained (no src/href, no link/img/iframe, no
#      CSS url(), no address), exactly two <script> elements (the data, of
#      type application/json, and the page's own code), and the embedded
#      data is the JSON report (`-f json`) exactly: leak_kinds' first rows are
#      pvalloc 4096, valloc 4000 and realloc 1000 bytes (leak_pvalloc ...),
#      pipe_hold's first of 121 kernel rows 20 kmalloc objects, 20480 bytes,
#      from alloc_pipe_info+0xd7; leak_kinds' header says
#      "10.9 KiB (11128 bytes) in 15 blocks from 12 call sites" and "lost
#      events none", pipe_hold's kernel row "235.1 KiB (240728 bytes) in 333
#      objects"; a file with lost events (cpu 1: 7 overrun, 5 dropped; 3
#      mmap records) says "lost events 15: cpu1 12 mmap-records 3" and warns;
#      fork_leak with --suppress FILE counts the inherited and suppressed
#      blocks (4 blocks, 176 bytes; 5 blocks, 1110 bytes) and names FILE
#      (whose name holds markup) escaped; -o into a missing directory is one
#      error line and exit 1;
#  (b) hostile names: aged_leak.dat with its module's functions renamed (in
#      the trace's symbol archive) to "</script><script>alert(1)</script>",
#      "<!--<img src=x onerror=alert(2)>", one with quotes, "&amp;", U+2028,
#      U+2029, ESC and a newline, and "__proto__"; its comm is "</script>",
#      its command line and module path hold markup too. The page stays
#      well-formed with the same two scripts, has no "<!--", no control byte
#      but tab and newline, no raw U+2028/9 in a script, and its data still
#      equals the JSON report;
#  (c) in headless Chromium over the DevTools protocol (tests/file/browser.py):
#      leak_kinds' page loads without a request outside the file, without a
#      JavaScript exception; a screenshot (tests/out/leak_html/*.png, kept
#      for people) has the flame graph's warm colours; the flame graph's top
#      box "all" spans the graph; a mouse click on "leak_calloc" zooms: that
#      box spans the graph, the boxes above it are greyed, "leak_pvalloc" is
#      gone and the site list holds sites #7 and #8 (400 B); "reset zoom"
#      brings every box back; typing "memalign" in the search box highlights
#      exactly the boxes whose name holds it and says "matched: 704 B of 10.9
#      KiB (6.3%)" (the share worked out from the JSON report, too), and the
#      screenshot has the highlight's magenta; pipe_hold's kernel side lists
#      20 sites and "show all 117", the first "#1 20.0 KiB in 20 objects of
#      kmalloc from alloc_pipe_info+0xd7"; the hostile page opens no dialog
#      (no injected code ran) and shows each hostile name as text, exactly.
# (c) skips, loudly, without chromium, python3-websocket or python3-pil
# (scripts/test.sh installs them as root).
set -u
cd "$(dirname "$0")/../.." || exit 1
MEMREC=${MEMREC:-./memrec}
[ -x "$MEMREC" ] || { echo "not ok - leak_html: $MEMREC missing; run make"; exit 1; }
OUT=tests/out/leak_html
rm -rf "$OUT"
mkdir -p "$OUT"
# a python with the browser test's modules, else python3 alone for (a) and (b)
PY=python3
for py in python3 /usr/bin/python3; do
	if "$py" -c 'import websocket, PIL.Image' 2>/dev/null; then
		PY=$py
		break
	fi
done
MEMREC=$MEMREC OUT=$OUT exec "$PY" - "$@" <<'EOF'
import json, os, shutil, subprocess, sys
sys.path.insert(0, "tests/file")
import craft
from htmlpage import outside, parse

BIN, OUT, G = os.environ["MEMREC"], os.environ["OUT"], "tests/golden"
fails = 0


def say(problem, name):
    global fails
    if problem:
        print("not ok - leak_html: %s: %s" % (name, " ".join(str(problem).split())[:600]))
        fails += 1
    else:
        print("ok - leak_html: " + name)


def skip(name, why):
    print("*** test_leak_html: %s: %s" % (name, why), file=sys.stderr)
    print("skip - leak_html: %s: %s" % (name, why))


def report(dat, *args):
    """(exit status, stderr) of memrec report -i dat args"""
    r = subprocess.run([BIN, "report", "-i", dat, *args], capture_output=True, text=True,
                       timeout=60)
    return r.returncode, r.stderr


def page_of(dat, name):
    """Writes NAME.html and NAME.json of dat; (page path, JSON report) or None."""
    page, js = "%s/%s.html" % (OUT, name), "%s/%s.json" % (OUT, name)
    rc, err = report(dat, "leak", "--format", "html", "-o", page)
    rc2, err2 = report(dat, "leak", "--format", "json", "-o", js)
    if rc or rc2:
        say("exit %d/%d: %s %s" % (rc, rc2, err[-200:], err2[-200:]), name + ": report")
        return None
    return page, json.load(open(js))


def check_markup(name, page, want):
    """(a): the page as markup; returns (source, parsed page)"""
    src, p = parse(page)
    why = list(p.errors[:5])
    if not src.startswith("<!DOCTYPE html>\n"):
        why.append("does not start with <!DOCTYPE html>")
    why += outside(src, p, scripts=True)
    kinds = [a.get("type") for a, _ in p.scripts]
    if kinds != ["application/json", None] or src.count("<script") != 2:
        why.append("scripts %r, '<script' %d times: expected the data and the code" %
                   (kinds, src.count("<script")))
    elif json.loads(p.scripts[0][1]) != want:
        why.append("the embedded data is not the JSON report")
    say("; ".join(why), name + ": well-formed, self-contained, data = the JSON report")
    return src, p


# ---- (a) every golden file
pages = {}
for dat in sorted(f for f in os.listdir(G) if f.endswith(".dat")):
    name = dat[:-4]
    got = page_of(os.path.join(G, dat), name)
    if got:
        pages[name] = got
        pages[name] += check_markup(name, *got)

text = lambda name: " ".join(" ".join(pages[name][3].all_text).split())
if "leak_kinds" in pages:
    t = text("leak_kinds")
    say(None if "user leaks 10.9 KiB (11128 bytes) in 15 blocks from 12 call sites" in t and
        "lost events none" in t else "header: %r" % t[:600], "leak_kinds: header facts")
    data = json.loads(pages["leak_kinds"][3].scripts[0][1])
    rows = [(r["alloc_fn"], r["bytes"], r["count"], r["stack"][0]["function"])
            for r in data["leaks"][:3]]
    say(None if rows == [("pvalloc", 4096, 1, "leak_pvalloc"), ("valloc", 4000, 1, "leak_valloc"),
                         ("realloc", 1000, 1, "leak_realloc_chain")] and
        data["totals"]["bytes"] == 11128 else "first rows %r" % rows,
        "leak_kinds: the embedded data has the known sites")
if "pipe_hold" in pages:
    data = json.loads(pages["pipe_hold"][3].scripts[0][1])
    k = data["kernel_leaks"][0]
    say(None if (k["bytes"], k["count"], k["cache"], k["call_site"]) ==
        (20480, 20, "kmalloc", "alloc_pipe_info+0xd7") and len(data["kernel_leaks"]) == 117
        else "first kernel row %r" % {x: k[x] for x in ("bytes", "count", "cache", "call_site")},
        "pipe_hold: the embedded data has the known kernel sites")
    t = text("pipe_hold")
    say(None if "kernel 214.7 KiB (219824 bytes) in 325 objects and page blocks from 117 sites"
        in t else "header: %r" % t[:900], "pipe_hold: kernel facts")

# lost events: cpu 1 overran 7 and dropped 5, 3 mmap records lost (as the text says)
t = craft.load(G + "/aged_leak.dat")
meta = t.option(craft.META)
t.set_option(craft.META, meta.replace(b"\ncpu 1 0 0 0 0 0\n", b"\ncpu 1 0 7 0 5 0\n")
             .replace(b"\nperf_lost 0\n", b"\nperf_lost 3\n"))
t.save(OUT + "/lost.dat")
got = page_of(OUT + "/lost.dat", "lost")
if got:
    src, p = check_markup("lost", *got)
    t = " ".join(" ".join(p.all_text).split())
    say(None if "lost events 15: cpu1 12 mmap-records 3 " in t and "WARNING: 15 events were "
        "lost; a lost free shows as a false leak and a lost alloc hides one." in t else
        "header: %r" % t[:1200],
        "lost: the lost events and the warning")
# the inherited blocks and a --suppress file (its name escaped)
supp = OUT + "/<i>.supp"
open(supp, "w").write("leak:child_leak\n")
page = OUT + "/supp.html"
rc, err = report(G + "/fork_leak.dat", "-f", "html", "--suppress", supp, "-o", page)
if rc:
    say("exit %d: %s" % (rc, err[-300:]), "suppress: report")
else:
    src, p = parse(page)
    t = " ".join(" ".join(p.all_text).split())
    want = ("inherited 4 blocks, 176 bytes, inherited at fork and never freed by the child "
            "(--inherited shows them) suppressed 5 blocks, 1110 bytes, matching --suppress "
            "%s are left out" % supp)
    say(None if want in t and "i" not in p.tags else "header: %r" % t[:900],
        "suppress: the inherited and suppressed counts, the file name escaped")

# -o to a place that cannot be written: an error, exit 1, no page
rc, err = report(G + "/leak_kinds.dat", "-f", "html", "-o", OUT + "/no/such/dir/x.html")
say(None if rc == 1 and err.startswith("memrec: error: cannot create") else
    "exit %d, %r" % (rc, err), "-o into a missing directory: one error, exit 1")

# ---- (b) a hostile file
HOSTILE = {"old_leak": "</script><script>alert(1)</script>",
           "mixed_leak": "<!--<img src=x onerror=alert(2)>",
           "young_leak": "\"'&amp;\u2028\u2029\x1b[2J\nx",
           "main": "__proto__"}
MODULE = b"/x/<script>alert(3)</script>/aged_leak"


def build_id(path):
    notes = subprocess.run(["readelf", "-n", path], capture_output=True, text=True,
                           check=True).stdout
    return [l.split()[-1] for l in notes.splitlines() if "Build ID" in l][0]


def hostile_dat():
    """aged_leak.dat, its module's functions renamed: this build of tests/progs/aged_leak
    (the same code) renamed by objcopy, given the recorded build-id, in the archive."""
    elf = OUT + "/hostile.elf"
    args = ["objcopy"]
    for old, new in HOSTILE.items():
        args += ["--redefine-sym", old + "=" + new]
    subprocess.run(args + ["tests/progs/aged_leak", elf], check=True)
    t = craft.load(G + "/aged_leak.dat")
    entries = craft.archive_entries(t.option(craft.ARCHIVE))
    e = [e for e in entries if e[2].endswith(b"/aged_leak")][0]
    data = open(elf, "rb").read()
    data = data.replace(bytes.fromhex(build_id(elf)), bytes.fromhex(e[1].decode()))
    e[2], e[3] = MODULE, len(data)
    e[4] = subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True,
                          check=True).stdout
    t.set_option(craft.ARCHIVE, craft.archive(entries))
    meta = []
    for line in t.option(craft.META).split(b"\n"):
        f = line.split(b" ")
        if f[0] == b"map" and len(f) == 8 and f[7].endswith(b"/aged_leak"):
            f[7] = MODULE
        if f[0] == b"target":
            f[2] = b"<b>x</b>%20\"'%E2%80%A8%0A"
        meta.append(b" ".join(f))
    t.set_option(craft.META, b"\n".join(meta))
    at = t.fly
    while True:         # the comm, in place
        at = t.d.find(b"aged_leak", at + 1)
        if at < 0:
            break
        t.replace(at, at + 9, b"</script>")
    t.save(OUT + "/hostile.dat")
    return OUT + "/hostile.dat"


hostile = None
if not os.path.exists("tests/progs/aged_leak") or not shutil.which("objcopy"):
    skip("hostile", "no tests/progs/aged_leak (make progs) or objcopy")
else:
    got = page_of(hostile_dat(), "hostile")
    if got:
        fns = [f["function"] for r in got[1]["leaks"] for f in r["stack"]]
        missing = [n for n in HOSTILE.values() if n not in fns]
        say("the JSON report lacks %r: the renamed symbols were not used" % missing if
            missing else None, "hostile: the symboliser reads the renamed functions")
        src, p = check_markup("hostile", *got)
        # U+2028/9 are harmless in HTML text, not in a script
        bad = ["<!--"] if "<!--" in src else []
        bad += ["%r in a script" % c for c in ("\u2028", "\u2029")
                if any(c in text for _, text in p.scripts)]
        bad += ["control byte %#x" % ord(c) for c in set(src) if ord(c) < 0x20 and c not in "\t\n"]
        bad += ["tag <%s>" % t for t in ("b", "img") if t in p.tags]
        say("; ".join(bad), "hostile: no '<!--', control byte, injected tag, or raw U+2028/9 "
            "in a script")
        hostile = got

# ---- (c) in Chromium
try:
    from browser import Unavailable, open_browser
    from PIL import Image
except ImportError as ex:
    skip("chromium", "no %s (apt-get install python3-websocket python3-pil)" % ex.name)
    sys.exit(1 if fails else 0)


def human(v):   # mr_human_bytes()
    a = abs(v)
    if a >= 1 << 30:
        return "%.2f GiB" % (v / (1 << 30))
    if a >= 1 << 20:
        return "%.1f MiB" % (v / (1 << 20))
    if a >= 1 << 10:
        return "%.1f KiB" % (v / 1024)
    return "%d B" % v


BOXES = """Array.from(document.querySelectorAll('#flame .fr')).map(function (d) {
  var r = d.getBoundingClientRect();
  return {name: d.textContent, x: r.left, y: r.top, w: r.width, h: r.height, cls: d.className};
})"""
FLAME_W = "document.getElementById('flame').clientWidth"


def pixels(png, test):
    return sum(1 for px in Image.open(png).convert("RGB").getdata() if test(*px))


def hot(r, g, b):           # leak_html.js's palette: red 205..255, blue 0..55
    return r >= 200 and b <= 60 and r - b > 140


def magenta(r, g, b):       # the search highlight, #e600e6
    return r > 200 and g < 40 and b > 200


def box_named(boxes, name):
    return next((b for b in boxes if b["name"] == name), None)


def leak_kinds(br, page, doc):
    br.load(page)
    say(None if br.js("document.querySelectorAll('#flame .fr').length") > 10 else
        "no boxes in #flame", "chromium: leak_kinds: the flame graph is drawn")
    shot = OUT + "/leak_kinds.png"
    br.screenshot(shot)
    n = pixels(shot, hot)
    say(None if n >= 20000 else "%d pixels of the flame colours, expected >= 20000 (%s)" %
        (n, shot), "chromium: leak_kinds: the screenshot shows the flame graph")
    boxes, width = br.js(BOXES), br.js(FLAME_W)
    root = box_named(boxes, "all")
    say(None if root and abs(root["w"] - width) < 1 else "'all' %r, graph %r" % (root, width),
        "chromium: leak_kinds: 'all' spans the graph")
    # zoom: a real mouse click on leak_calloc
    b = box_named(boxes, "leak_calloc")
    if not b:
        say("no box 'leak_calloc'", "chromium: leak_kinds: click zooms")
        return
    br.click(b["x"] + min(b["w"] / 2, 20), b["y"] + b["h"] / 2)
    after = br.js(BOXES)
    z = box_named(after, "leak_calloc")
    above = [x["name"] for x in sorted(after, key=lambda x: x["y"]) if "above" in x["cls"]]
    sites = br.js("Array.from(document.querySelectorAll('#user-sites .site h3'))"
                  ".map(function (h) { return h.textContent; })")
    note = br.js("document.getElementById('user-note').textContent")
    why = []
    if not z or abs(z["w"] - width) > 1:
        why.append("leak_calloc is %r wide, the graph %r" % (z and z["w"], width))
    if above != ["all", "leak_kinds (27854)", "__libc_start_call_main", "main"]:
        why.append("greyed boxes %r" % above)
    if box_named(after, "leak_pvalloc"):
        why.append("leak_pvalloc still shown")
    if [s.split(" ", 1)[0] for s in sites] != ["#7", "#8"] or \
            note != "2 sites, 400 B under the zoomed box":
        why.append("sites %r, note %r" % (sites, note))
    say("; ".join(why), "chromium: leak_kinds: a click on leak_calloc zooms into it")
    r = br.js("(function () { var r = document.getElementById('fg-reset')"
              ".getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()")
    br.click(*r)
    n = len(br.js(BOXES))
    say(None if n == len(boxes) else "%d boxes after the reset, %d before" % (n, len(boxes)),
        "chromium: leak_kinds: reset zoom shows every box again")
    # search: typed into the box
    r = br.js("(function () { var r = document.getElementById('fg-search')"
              ".getBoundingClientRect(); return [r.left + 20, r.top + r.height / 2]; })()")
    br.click(*r)
    br.type("memalign")
    after = br.js(BOXES)
    lit = sorted(x["name"] for x in after if "match" in x["cls"])
    want_lit = sorted(x["name"] for x in after if "memalign" in x["name"].lower())
    share = sum(row["bytes"] for row in doc["leaks"] if any(
        "memalign" in (f["function"] or "").lower() for f in row["stack"]) or
        "memalign" in row["alloc_fn"])
    total = doc["totals"]["bytes"]
    want = "matched: %s of %s (%.1f%%)" % (human(share), human(total), 100 * share / total)
    got = br.js("document.getElementById('fg-match').textContent")
    why = []
    if not lit or lit != want_lit:
        why.append("highlighted %r, expected %r" % (lit, want_lit))
    if got != want or want != "matched: 704 B of 10.9 KiB (6.3%)":
        why.append("says %r, expected %r (known: 'matched: 704 B of 10.9 KiB (6.3%%)')" %
                   (got, want))
    say("; ".join(why), "chromium: leak_kinds: search 'memalign' highlights and says the share")
    shot = OUT + "/leak_kinds.search.png"
    br.screenshot(shot)
    n = pixels(shot, magenta)
    say(None if n >= 300 else "%d magenta pixels, expected >= 300 (%s)" % (n, shot),
        "chromium: leak_kinds: the screenshot shows the highlight")


def pipe_hold(br, page, doc):
    br.load(page)
    heads = br.js("Array.from(document.querySelectorAll('#kernel-sites .site h3'))"
                  ".map(function (h) { return h.textContent; })")
    more = br.js("Array.from(document.querySelectorAll('#kernel-sites button'))"
                 ".map(function (b) { return b.textContent; })")
    stack = br.js("document.querySelector('#kernel-sites .stack').textContent")
    why = []
    if len(heads) != 20 or more != ["show all 117"]:
        why.append("%d kernel sites shown, buttons %r" % (len(heads), more))
    if not heads or not heads[0].startswith("#1 20.0 KiB in 20 objects of kmalloc from "
                                            "alloc_pipe_info+0xd7, pid 14896 (pipe_hold)"):
        why.append("first %r" % heads[:1])
    if "__kmalloc_noprof+0x24c" not in (stack or ""):
        why.append("kernel stack %r" % (stack or "")[:200])
    say("; ".join(why), "chromium: pipe_hold: the kernel side, its rows and stacks")
    shot = OUT + "/pipe_hold.png"
    br.screenshot(shot)


def growth(br, page, doc):
    """Each user site's chart: its verdict, as many marks as its series, a line drawn."""
    br.load(page)
    want = [(r["growth"], len(r["series"]["bytes"])) for r in doc["leaks"]]
    got = br.js("Array.from(document.querySelectorAll('#user-sites canvas.growth-chart'))"
                ".map(function (c) { return [c.dataset.growth, +c.dataset.points]; })")
    say(None if [tuple(g) for g in got] == want else "charts %r, want %r" % (got, want),
        "chromium: growth: one chart per site with its verdict and series")
    verdicts = sorted(g for g, _ in want)
    say(None if verdicts == ["growing", "plateau", "transient"] else
        "verdicts %r" % verdicts, "chromium: growth: the three verdicts of growth.dat")
    # the growing site's line is drawn in its colour (#c62828) on the canvas
    red = br.js("(function () { var c = document.querySelector("
                "'canvas.growth-chart[data-growth=growing]'), n = 0, d, i;"
                " if (!c) return -1; d = c.getContext('2d').getImageData(0, 0, c.width,"
                " c.height).data; for (i = 0; i < d.length; i += 4)"
                " if (d[i] > 150 && d[i + 1] < 90 && d[i + 2] < 90) n++; return n; })()")
    say(None if red > 100 else "%s red pixels" % red,
        "chromium: growth: the growing site's line is drawn")


def hostile_page(br, page, doc):
    br.load(page)
    names = set(x["name"] for x in br.js(BOXES))
    text = br.js("document.body.textContent")
    why = []
    if br.dialogs:
        why.append("dialogs opened: %r" % br.dialogs)
    missing = [n for n in HOSTILE.values() if n not in names]
    if missing:
        why.append("no box named %r" % missing)
    if "</script> (9344)" not in names or "</script><script>alert(1)</script>+0x22" not in text:
        why.append("the comm or a frame is not shown as text")
    if br.js("document.querySelectorAll('script').length") != 2:
        why.append("a script element was added")
    say("; ".join(why), "chromium: hostile: nothing runs, every name shows as text")


try:
    br = open_browser(OUT + "/chromium.log")
except Unavailable as ex:
    skip("chromium", str(ex))
    sys.exit(1 if fails else 0)
try:
    for name, fn in (("leak_kinds", leak_kinds), ("pipe_hold", pipe_hold),
                     ("growth", growth), ("hostile", hostile_page)):
        got = hostile if name == "hostile" else pages.get(name)
        if got:
            fn(br, got[0], got[1])
    say("; ".join("%s" % u for u in br.requests if not u.startswith("file://")) or
        ("; ".join(br.exceptions) if br.exceptions else None),
        "chromium: no request outside the files, no JavaScript exception")
except Exception as ex:
    say("%s: %s" % (type(ex).__name__, ex), "chromium: driving the page")
finally:
    br.close()
sys.exit(1 if fails else 0)
EOF
