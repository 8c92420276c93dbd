#!/bin/bash
# test_fuzz.sh - damaged trace files (they come from other hosts) get a
# clean answer, never a crash, a hang or a sanitizer report. No root needed.
#
# Runs ./memrec-asan (`make asan`: AddressSanitizer + UBSan) when it is there,
# else ./memrec (then only crashes and hangs can be seen; the test says so);
# FUZZ_MEMREC=path picks another binary. Sanitizer reports are made fatal
# with their own exit codes (ASan 86, UBSan 87, halt_on_error).
#
#  1. The undamaged golden files, every report (leak, frag, oom) as JSON:
#     exit 0, no sanitizer report (no suppressions here), and the JSON holds
#     the schema's invariants (tests/file/check_json.py).
#  2. FUZZ_N (default 360) deterministic mutants of the golden files (seed
#     FUZZ_SEED, default 4242): bytes flipped anywhere, in the header, in the
#     cpu data's page and event headers, words set to extreme values, digits
#     of the metadata text changed, cuts. For each, one report as JSON must
#       - exit 1 with exactly one "memrec: error:" line on stderr (other
#         lines only "memrec: warning:"), not the reader's "the trace
#         library crashed" guard (a crash it caught is still a crash), or
#       - exit 0 with a report that holds check_json.py's invariants;
#     anything else - a signal, a sanitizer exit, a timeout (30 s), more
#     lines - is a "not ok" line of its own, with the file kept in
#     tests/out/fuzz/ to reproduce it; except "exit 0 after a memrec:
#     error: line" (see ERROR_ON_SUCCESS), one "not ok" line
#     for all such files. Known sanitizer findings already
#     failing step 1 are suppressed here (tests/file/ubsan.supp) so that
#     they do not hide new ones.
#  3. The crafted files of tests/file/corpus (NAME.dat, made by its
#     make.py): each must exit 1 with exactly its NAME.expected error line
#     (FILE stands for its path), no sanitizer report, no crash.
# Leak checking is on for steps 1 and 3 (libtracecmd's own leaks, a clock
# string on every open, are suppressed by tests/file/lsan.supp) and off for
# the mutants: memory still held after a damaged file is not a safety bug.
set -u
cd "$(dirname "$0")/../.." || exit 1
BIN=${FUZZ_MEMREC:-}
if [ -z "$BIN" ]; then
	BIN=./memrec
	[ -x ./memrec-asan ] && BIN=./memrec-asan
fi
[ -x "$BIN" ] || { echo "not ok - fuzz: $BIN missing; run make (and make asan)"; exit 1; }
FUZZ_OUT=${FUZZ_OUT:-tests/out/fuzz}
rm -rf "$FUZZ_OUT"
mkdir -p "$FUZZ_OUT"
BIN=$BIN FUZZ_OUT=$FUZZ_OUT exec python3 - "$@" <<'PY'
import concurrent.futures as cf
import json, os, random, re, struct, subprocess, sys

BIN = os.environ["BIN"]
N = int(os.environ.get("FUZZ_N", "360"))
SEED = int(os.environ.get("FUZZ_SEED", "4242"))
OUT = os.environ["FUZZ_OUT"]
G = "tests/golden"
asan = "asan" in os.path.basename(BIN)
ENV = dict(os.environ,
           ASAN_OPTIONS="exitcode=86:halt_on_error=1:detect_leaks=0:abort_on_error=0",
           UBSAN_OPTIONS="exitcode=87:halt_on_error=1:print_stacktrace=1")
# the undamaged files and the corpus also under LeakSanitizer (full stacks,
# so that tests/file/lsan.supp can name libtracecmd's own leaks)
LEAKS = dict(ENV, ASAN_OPTIONS=ENV["ASAN_OPTIONS"].replace("detect_leaks=0", "detect_leaks=1") +
             ":fast_unwind_on_malloc=0",
             LSAN_OPTIONS="print_suppressions=0:suppressions=" +
             os.path.abspath("tests/file/lsan.supp"))
SUPP = dict(ENV, UBSAN_OPTIONS=ENV["UBSAN_OPTIONS"] + ":suppressions=" +
            os.path.abspath("tests/file/ubsan.supp"))
fails = 0
# An "error:" line from a run that goes on and exits 0 with a report (once
# the damaged symbol archive's case; now a warning, see docs/memrec-file.md
# and test_hostile.sh archive-dup). Counted as one failure for the whole
# run, not one per file.
ERROR_ON_SUCCESS = "exit 0 after a \"memrec: error:\" line:"


def say(ok, name, why=""):
    global fails
    if ok:
        print("ok - " + name)
    else:
        fails += 1
        print("not ok - %s: %s" % (name, " ".join(why.split())[:600]))


def run(path, report, env):
    """(exit status, stderr lines, stdout path) of one report; -9 on a hang."""
    js = path + "." + report + ".json"
    try:
        with open(js, "wb") as o:
            r = subprocess.run([BIN, "report", report, "-i", path, "--format", "json"],
                               stdout=o, stderr=subprocess.PIPE, env=env, timeout=30)
    except subprocess.TimeoutExpired:
        return None, ["timed out after 30 s"], js
    return r.returncode, r.stderr.decode(errors="replace").splitlines(), js


def check(js):
    r = subprocess.run([sys.executable, "tests/file/check_json.py", js],
                       capture_output=True, text=True)
    return r.stdout.strip().splitlines()


def sanitizer(err):
    for l in err:
        if "runtime error:" in l or "ERROR: AddressSanitizer" in l or "SUMMARY:" in l:
            return l.strip()
    return None


def verdict(rc, err, js):
    """None when the answer is clean, else why not."""
    if rc is None:
        return "hang: " + err[0]
    s = sanitizer(err)
    if s or rc in (86, 87):
        return "sanitizer (exit %d): %s" % (rc, s or err[:3])
    if rc < 0 or rc > 128:
        return "killed by signal %d: %s" % (-rc if rc < 0 else rc - 128, err[-3:])
    other = [l for l in err if not l.startswith("memrec: warning:")]
    if rc == 1:
        if len(other) != 1 or not other[0].startswith("memrec: error:"):
            return "exit 1 with stderr %r" % other[:3]
        if "crashed" in other[0]:
            return "a crash caught by the reader's guard: %s" % other[0]
        return None
    if rc != 0:
        return "exit %d, stderr %r" % (rc, other[:3])
    if any(l.startswith("memrec: error:") for l in other):
        return ERROR_ON_SUCCESS + " %r" % other[:3]
    if other:
        return "exit 0 with stderr %r" % other[:3]
    bad = check(js)
    return ("exit 0, the JSON breaks its invariants: " + "; ".join(bad[:3])) if bad else None


# ------------------------------------------------ 1. the undamaged files
sources = {}
bad = {}
for name in sorted(os.listdir(G)):
    if not name.endswith(".dat"):
        continue
    sources[name] = open(os.path.join(G, name), "rb").read()
    path = os.path.join(OUT, "orig-" + name)
    open(path, "wb").write(sources[name])
    for report in ("leak", "frag", "oom"):
        rc, err, js = run(path, report, LEAKS if asan else ENV)
        v = verdict(rc, err, js)
        if report == "oom" and rc == 1 and v is None:
            continue    # no oom events in this file: one clean error line
        if v:
            bad.setdefault(re.sub(r"tests/out/fuzz/orig-\S+", "FILE", v), []).append(
                "%s %s" % (report, name))
say(not bad, "fuzz: the %d golden files, every report as JSON%s" % (
    len(sources), " under ASan+UBSan" if asan else ""),
    "; ".join("%s (%s)" % (v, ", ".join(w)) for v, w in bad.items()))

# ------------------------------------------------ 2. mutants


def layout(d):
    """(end of the header, [(offset, size)] of the cpu data, metadata offset)."""
    try:
        fly = d.index(b"flyrecord\0")
        cpus = []
        # the cpu count is the u32 before "options  \0" (or flyrecord)
        opt = d.rfind(b"options  \0", 0, fly)
        nr = struct.unpack_from("<I", d, (opt if opt > 0 else fly) - 4)[0]
        for i in range(min(nr, 256)):
            off, size = struct.unpack_from("<QQ", d, fly + 10 + 16 * i)
            if size and off + size <= len(d):
                cpus.append((off, size))
    except (ValueError, struct.error):
        return len(d), [], -1
    return fly, cpus, d.find(b"memrec-meta")


REPORT = {"pipe_hold.dat": ("leak", "frag"), "oom_hog.dat": ("oom", "leak")}
rng = random.Random(SEED)
names = sorted(sources)
jobs = []
for i in range(N):
    name = names[i % len(names)]
    d = bytearray(sources[name])
    hdr, cpus, meta = layout(bytes(d))
    how = rng.choice(["any", "any", "header", "pages", "events", "words", "meta", "cut"])
    if how == "header":
        for _ in range(rng.choice([1, 2, 4, 8])):
            d[rng.randrange(hdr)] = rng.randrange(256)
    elif how in ("pages", "events", "words") and cpus:
        for _ in range(rng.choice([1, 2, 4])):
            off, size = rng.choice(cpus)
            page = off + 4096 * rng.randrange(size // 4096)
            if how == "pages":        # timestamp and commit of a sub-buffer
                p = page + rng.choice([0, 4, 8, 9, 10, 11, 12, 15])
                d[p] = rng.randrange(256)
            elif how == "events":     # an event header or the first words of it
                p = page + 16 + 4 * rng.randrange(1016)
                d[p] = rng.randrange(256)
            else:
                p = page + 16 + 4 * rng.randrange(1014)
                v = rng.choice([0, 2**64 - 1, 2**63, 2**32 - 1, 2**31, 0xffff,
                                rng.randrange(2**64)])
                d[p:p + 8] = struct.pack("<Q", v)
    elif how == "meta" and meta >= 0:
        for _ in range(rng.choice([1, 2, 4])):
            p = meta + rng.randrange(2048)
            d[p] = ord(rng.choice("0123456789 -%\n\x00x9"))
    elif how == "cut":
        del d[rng.randrange(64, len(d)):]
    else:
        how = "any"
        for _ in range(rng.choice([1, 2, 4, 16, 64])):
            d[rng.randrange(len(d))] = rng.randrange(256)
    path = os.path.join(OUT, "m%03d-%s-%s" % (i, how, name))
    open(path, "wb").write(d)
    report = REPORT.get(name, ("leak",))[i // len(names) % len(REPORT.get(name, ("leak",)))]
    jobs.append((path, report))


def one(job):
    path, report = job
    rc, err, js = run(path, report, SUPP)
    return path, report, rc, verdict(rc, err, js)


clean = errors = 0
err_ok = []
with cf.ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as ex:
    for path, report, rc, v in ex.map(one, jobs):
        if v and v.startswith(ERROR_ON_SUCCESS):
            err_ok.append((path, report, v))
            continue
        if v:
            say(False, "fuzz: %s (report %s)" % (path, report), v)
            continue
        clean += rc == 0
        errors += rc == 1
        for f in (path, path + "." + report + ".json"):
            os.path.exists(f) and os.unlink(f)
# ------------------------------------------------ 3. the crafted corpus
C = "tests/file/corpus"
for name in sorted(os.listdir(C)):
    if not name.endswith(".dat"):
        continue
    path = os.path.join(C, name)
    want = open(path[:-4] + ".expected").read().strip().replace("FILE", path)
    rc, err, js = run(path, "leak", LEAKS if asan else ENV)
    os.path.exists(js) and os.unlink(js)
    v = verdict(rc, err, js)
    got = [l for l in err if not l.startswith("memrec: warning:")]
    say(v is None and rc == 1 and got == [want], "fuzz: corpus %s" % name,
        v or "exit %s, stderr %r, want %r" % (rc, got[:3], want))

say(not err_ok, "fuzz: no damaged file gives an error line and exit 0",
    "%d files, e.g. %s (report %s): %s" % ((len(err_ok),) + err_ok[0]) if err_ok else "")
print("ok - fuzz: %d of %d damaged files answered cleanly (%d reports, %d one-line errors)%s" % (
    clean + errors, N, clean, errors, "" if asan else
    " (no sanitizer build: run make asan to see memory errors)"))
sys.exit(1 if fails else 0)
PY
