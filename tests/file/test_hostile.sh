#!/bin/bash
# test_hostile.sh - trace files crafted by someone hostile (memrec report
# often runs as root on files from other hosts) and a report that is cut
# short. No root needed. Each case builds its file from a golden one with
# tests/file/craft.py, runs ./memrec (MEMREC=path for another binary) with
# TMPDIR set to a private directory, and checks:
#   archive-bomb      an archive entry claiming 768 MiB of zeros is skipped
#                     with a warning (over the per-entry limit), exit 0, and
#                     the report stays under 200 MiB of memory
#   archive-total     entries whose declared sizes (5 x 500 MiB) pass the total
#                     limit are skipped with a warning, exit 0
#   archive-dup       a duplicate and a corrupt entry: warnings, exit 0, no
#                     "error:" line
#   map-fifo          a map record naming a FIFO: the report ends (20 s) and
#                     says it is not a regular file
#   debuglink-fifo    the module at its recorded path is there (stripped) but a
#                     FIFO is where libdwfl looks for its .debug: the report
#                     ends (20 s) and says it is not a regular file
#   buildid-climb     a map build-id "..//../../.." is dropped with a warning
#                     and no path it names is ever looked at
#   term-escape       ESC, BEL and newline in a comm, a target's command line
#                     and a module path reach the text report (leak, frag)
#                     and the warnings only escaped: no raw control byte,
#                     no line that starts with the forged text
#   tmpdir-pipe       `report | head -1` leaves no memrec-symbols.* behind
#   tmpdir-sigterm    neither does a SIGTERM in the middle of a report
#   lib-damage        the files of tests/file/corpus (a clock option "[]", a
#                     zeroed header page, "char comm[-1]", "1/0" in a print
#                     fmt) each give exactly their one expected error line
#   meta-leak         a repeated metadata key does not leak (memrec-asan with
#                     leak checking; skipped without it)
set -u
cd "$(dirname "$0")/../.." || exit 1
MEMREC=${MEMREC:-./memrec}
[ -x "$MEMREC" ] || { echo "not ok - hostile: $MEMREC missing; run make"; exit 1; }
OUT=tests/out/hostile
rm -rf "$OUT"
mkdir -p "$OUT"
MEMREC=$MEMREC OUT=$OUT exec python3 - "$@" <<'PY'
import os, resource, signal, stat, struct, subprocess, sys, time
sys.path.insert(0, "tests/file")
import craft

BIN = os.environ["MEMREC"]
OUT = os.path.abspath(os.environ["OUT"])
G = "tests/golden"
fails = 0


def say(ok, name, why=""):
    global fails
    print(("ok - hostile: " + name) if ok else
          "not ok - hostile: %s: %s" % (name, " ".join(str(why).split())[:600]))
    fails += not ok


def tmpdir(name):
    d = os.path.join(OUT, name + ".tmp")
    os.makedirs(d, exist_ok=True)
    return d


def run(name, path, args=(), timeout=30, env=None):
    """(rc, stdout bytes, stderr text, tmp leftovers, max rss of children in KiB)."""
    t = tmpdir(name)
    e = dict(os.environ, TMPDIR=t, **(env or {}))
    try:
        r = subprocess.run([BIN, "report", *args, "-i", path], capture_output=True,
                           env=e, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, b"", "timed out after %d s" % timeout, os.listdir(t), 0
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return r.returncode, r.stdout, r.stderr.decode(errors="replace"), os.listdir(t), rss


# ---- the archive (craft.archive)
archive = craft.archive


def zeros_frame(n):
    """A zstd frame of n zero bytes out of RLE blocks: a few bytes per 128 KiB."""
    f = struct.pack("<IB", 0xFD2FB528, 0xE0) + struct.pack("<Q", n)
    while n:
        k = min(n, 128 << 10)
        n -= k
        f += struct.pack("<I", (not n) | (1 << 1) | (k << 3))[:3] + b"\0"
    return f


def zstd(data):
    return subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True,
                          check=True).stdout


def errors(err):
    return [l for l in err.splitlines() if l.startswith("memrec: error:")]


def case_bomb():
    t = craft.load(G + "/aged_leak.dat")
    t.set_option(craft.ARCHIVE, archive([(1, b"ab" * 20, b"/bomb", 768 << 20,
                                          zeros_frame(768 << 20))]))
    p = OUT + "/bomb.dat"
    t.save(p)
    rc, out, err, left, _ = run("bomb", p, ("-f", "json"), timeout=60)
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    say(rc == 0 and "/bomb" in err and not errors(err) and rss < 200 << 10 and not left,
        "archive-bomb", "exit %s, max rss %d KiB, left %s, stderr %r" % (rc, rss, left,
                                                                          err[-300:]))


def case_total():
    t = craft.load(G + "/aged_leak.dat")
    z = zeros_frame(1)   # declared far bigger than it holds: cheap to try
    t.set_option(craft.ARCHIVE, archive([(1, (b"%02x" % i) * 20, b"/big%d" % i, 500 << 20, z)
                                         for i in range(5)]))
    p = OUT + "/sum.dat"
    t.save(p)
    rc, out, err, left, _ = run("total", p, ("-f", "json"))
    say(rc == 0 and "'/big4'" in err and "total limit" in err and not errors(err),
        "archive-total", "exit %s, stderr %r" % (rc, err[-400:]))


def case_dup():
    t = craft.load(G + "/aged_leak.dat")
    elf = open(BIN, "rb").read()[:4096]
    good = (1, b"cd" * 20, b"/dup", len(elf), zstd(elf))
    bad = (1, b"ef" * 20, b"/corrupt", 10, b"\x28\xb5\x2f\xfd" + b"\x00" * 12)
    t.set_option(craft.ARCHIVE, archive([good, good, bad]))
    p = OUT + "/dup.dat"
    t.save(p)
    rc, out, err, left, _ = run("dup", p, ("-f", "json"))
    say(rc == 0 and not errors(err) and "/corrupt" in err and not left, "archive-dup",
        "exit %s, left %s, stderr %r" % (rc, left, err[-400:]))


def set_map(t, old_path, bid, new_path):
    """Rewrites the metadata's map records of old_path (%XX-escaped text)."""
    lines = []
    for l in t.option(craft.META).split(b"\n"):
        f = l.split(b" ")
        if f[0] == b"map" and len(f) == 8 and f[7] == old_path:
            f[6] = bid if bid is not None else f[6]
            f[7] = new_path
        lines.append(b" ".join(f))
    t.set_option(craft.META, b"\n".join(lines))


def case_fifo():
    d = tmpdir("fifo-target")
    fifo = os.path.join(d, "fifo")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    t = craft.load(G + "/leak_kinds.dat")
    set_map(t, b"/work/main/tests/progs/leak_kinds", None, fifo.encode())
    p = OUT + "/fifo.dat"
    t.save(p)
    rc, out, err, left, _ = run("fifo", p, timeout=20)
    say(rc == 0 and "not a regular file" in err, "map-fifo",
        "exit %s, stderr %r" % (rc, err[-300:]))


def case_debuglink():
    """A module at its recorded path, stripped, with a FIFO where its .debug goes."""
    d = tmpdir("debuglink-target")
    mod = os.path.join(d, "leak_kinds")
    try:
        if not os.path.exists(mod):
            subprocess.run(["objcopy", "--strip-debug", "tests/progs/leak_kinds", mod], check=True)
            os.mkfifo(mod + ".debug")
        notes = subprocess.run(["readelf", "-n", mod], capture_output=True, text=True,
                               check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        print("skip - hostile: debuglink-fifo: no objcopy/readelf or tests/progs (%s)" % e)
        return
    bid = [l.split()[-1] for l in notes.splitlines() if "Build ID" in l][0].encode()
    t = craft.load(G + "/leak_kinds.dat")
    set_map(t, b"/work/main/tests/progs/leak_kinds", bid, mod.encode())
    p = OUT + "/debuglink.dat"
    t.save(p)
    rc, out, err, left, _ = run("debuglink", p, timeout=20)
    say(rc == 0 and "not a regular file" in err, "debuglink-fifo",
        "exit %s, stderr %r" % (rc, err[-300:]))


def case_climb():
    d = tmpdir("climb-target")
    evil = os.path.join(d, "evil.debug")
    open(evil, "wb").write(open("tests/progs/leak_kinds", "rb").read())
    bid = b"..//../../../../../../.." + d.encode() + b"/evil"
    t = craft.load(G + "/leak_kinds.dat")
    set_map(t, b"/work/main/tests/progs/leak_kinds", bid, b"/nonexistent/leak_kinds")
    p = OUT + "/climb.dat"
    t.save(p)
    rc, out, err, left, _ = run("climb", p, ("-v", "-v"))
    say(rc == 0 and "build-id" in err and d not in err and d.encode() not in out,
        "buildid-climb", "exit %s, stderr %r" % (rc, err[-400:]))


def case_escape():
    t = craft.load(G + "/leak_kinds.dat")
    cl = t.part("cmdlines")
    t.set_part("cmdlines", cl.replace(b"leak_kinds", b"\x1b]0;owned\x07\x1b[2J\x7f"))
    at = t.fly
    while True:     # the comm the exec event tells, in place: same length
        at = t.d.find(b"leak_kinds", at + 1)
        if at < 0:
            break
        t.replace(at, at + 10, b"\x1b]0;t\x07\x1b[2J")
    meta = t.option(craft.META).replace(b"target 27854 tests/progs/leak_kinds",
                                        b"target 27854 a%0Aforged%20target%1B[2J")
    t.set_option(craft.META, meta)
    set_map(t, b"/work/main/tests/progs/leak_kinds", None,
            b"/x%0A%20%20#9%20forged%20frame%1B]0;t%07")
    p = OUT + "/escape.dat"
    t.save(p)
    bad = []
    for fmt in ("text", "frag"):
        args = ("-t", "0") if fmt == "text" else ("frag",)
        rc, out, err, left, _ = run("escape", p, args[:0] + args if fmt == "frag" else args)
        raw = [c for c in set(out + err.encode()) if (c < 0x20 and c != 0x0a) or c == 0x7f]
        forged = [l for l in out.split(b"\n") if l.lstrip().startswith((b"forged", b"#9 forged"))]
        if rc != 0 or raw or forged or b"\\x1b" not in out:
            bad.append("%s: exit %s, raw bytes %r, forged lines %r" % (fmt, rc, raw, forged[:2]))
    say(not bad, "term-escape", "; ".join(bad))


def case_pipe():
    t = tmpdir("pipe")
    e = dict(os.environ, TMPDIR=t)
    p1 = subprocess.Popen([BIN, "report", "-t", "0", "-i", G + "/pipe_hold.dat", "-f", "json"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=e)
    p1.stdout.readline()
    p1.stdout.close()
    rc = p1.wait(timeout=30)
    left = os.listdir(t)
    say(not left, "tmpdir-pipe", "exit %s, left %s" % (rc, left))


def case_sigterm():
    t = tmpdir("sigterm")
    e = dict(os.environ, TMPDIR=t)
    # a report bigger than a pipe holds, nobody reading: it waits in write()
    p1 = subprocess.Popen([BIN, "report", "-t", "0", "-i", G + "/pipe_hold.dat", "-f", "json"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=e)
    seen = []
    for _ in range(2000):
        seen = os.listdir(t)
        if seen:
            break
        time.sleep(0.005)
    time.sleep(0.3)
    p1.send_signal(signal.SIGTERM)
    rc = p1.wait(timeout=30)
    p1.stdout.close()
    left = os.listdir(t)
    say(seen and not left and rc == -signal.SIGTERM, "tmpdir-sigterm",
        "seen %s, exit %s, left %s" % (seen, rc, left))


def case_leak():
    if "asan" not in os.path.basename(BIN) and not os.path.exists("./memrec-asan"):
        print("skip - hostile: meta-leak: no ./memrec-asan (make asan)")
        return
    asan = BIN if "asan" in os.path.basename(BIN) else "./memrec-asan"
    t = craft.load(G + "/leak_kinds.dat")
    m = t.option(craft.META)
    keys = b"".join(b"%s x%d\n" % (k, i) for i in range(2) for k in
                    (b"memrec", b"uname", b"clock", b"command", b"stop_reason", b"uprobes",
                     b"groups"))
    t.set_option(craft.META, m.replace(b"\n", b"\n" + keys, 1))
    p = OUT + "/leak.dat"
    t.save(p)
    env = dict(os.environ, TMPDIR=tmpdir("leak"),
               ASAN_OPTIONS="detect_leaks=1:exitcode=86",
               LSAN_OPTIONS="print_suppressions=0:suppressions=" +
               os.path.abspath("tests/file/lsan.supp"))
    r = subprocess.run([asan, "report", "-i", p], capture_output=True, env=env, timeout=60)
    err = r.stderr.decode(errors="replace")
    leaks = [l for l in err.splitlines() if "meta" in l and "#" in l]
    say("LeakSanitizer" not in err or not leaks, "meta-leak",
        "exit %s: %r" % (r.returncode, leaks[:4] or err[-300:]))


def case_corpus():
    """tests/file/corpus: damage the trace libraries trip on, one error line each."""
    bad = []
    for name in sorted(os.listdir("tests/file/corpus")):
        if not name.endswith(".dat"):
            continue
        p = "tests/file/corpus/" + name
        want = open(p[:-4] + ".expected").read().strip().replace("FILE", p)
        rc, out, err, left, _ = run("corpus", p, timeout=30)
        if rc != 1 or err.strip() != want:
            bad.append("%s: exit %s, stderr %r" % (name, rc, err[-200:]))
    say(not bad, "lib-damage (tests/file/corpus)", "; ".join(bad))


for case in (case_corpus, case_bomb, case_total, case_dup, case_fifo, case_debuglink,
             case_climb, case_escape, case_pipe, case_sigterm, case_leak):
    case()
sys.exit(1 if fails else 0)
PY
