#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""check_report.py - check a `memrec report --format json` file against
expectations given on the command line.

Usage: check_report.py FILE [--name PREFIX] EXPECTATION...

Always checked first ("PREFIX/schema"): the JSON has the documented shape
and types, leaks are sorted by bytes descending, every leak group is
consistent (count >= 1, size_min <= size_max, count*size_min <= bytes <=
count*size_max, 0 <= age_min_s <= age_max_s), an inlined frame is followed
by one at the same addr, (pid, stack) is unique and
totals are at least the sum of the listed leaks; each group's growth is
growing|plateau|transient with a series (1..64 intervals of interval_s > 0,
peak_bytes at least every one, the last at least the group's bytes), or
both null for inherited groups.

Expectations (each prints one "ok - NAME" or "not ok - NAME: why" line):
  --leak FUNC COUNT BYTES   the leak groups whose frame 0 function is FUNC
                            (compared up to an optional "(...)" suffix;
                            summed over all such groups, since one call site
                            can be reached through several stacks) exist and
                            total exactly COUNT blocks and BYTES bytes.
      modifiers, placed after the --leak they apply to:
      --pid N|target        only count groups of that pid ("target" = the
                            first entry of "targets")
      --fn ALLOC_FN         every such group has this alloc_fn
      --module-suffix S     every such group's frame 0 module ends with S
      --file-suffix S       every such group's frame 0 file ends with S
      --line N              every such group's frame 0 line is N
      --sizes MIN MAX       min(size_min) == MIN and max(size_max) == MAX
      --inherited BOOL      every such group has inherited == BOOL
      --growth VERDICT      every such group has growth == VERDICT
      --peak N              every such group's series.peak_bytes is N
      --series SHAPE        every such group's series ends at its bytes (no
                            --min-age) and is: "rising" (never goes down),
                            "up-down" (never goes down until its highest
                            value, never up after it)
  --no-leak FUNC            no group has FUNC in ANY frame (--pid applies)
  --no-leak-in-module S     no group has any frame whose module ends with S
                            (--pid applies)
  --no-leak-frame0-in-module S
                            no group's frame 0 module ends with S (--pid)
  --module-total S COUNT BYTES
                            the groups whose frame 0 module ends with S
                            total exactly COUNT blocks and BYTES bytes (so no
                            other leak comes from that module; --pid applies)
  --all-pid N|target        every leak group has this pid
  --target-cmd SUBSTR       some target's cmdline contains SUBSTR
  --demangled               no frame function/symbol starts with "_Z"
  --all-frames-mapped       every frame of every leak is in a module (no stack
                            data read as a return address)
  --sorted-by-growth        leaks are sorted by growth (growing, plateau,
                            transient, none), bytes descending within, not
                            by bytes alone (--sort growth)
  --min KEY N, --max KEY N, --eq KEY VALUE
                            KEY is a dotted path ("events.allocs",
                            "targets.0.pid", "leaks.#" = number of leaks);
                            a bare name is looked up in "events" first, then
                            at the top level. --eq compares numbers
                            numerically, anything else as a string.
Exit status: 0 when every line is ok, 1 otherwise (2: bad arguments).
"""
import json
import sys

ALLOC_FNS = {"malloc", "calloc", "realloc", "reallocarray", "posix_memalign",
             "aligned_alloc", "valloc", "pvalloc", "strdup", "strndup", "new",
             "new_array", "mmap", "brk"}
EVENT_KEYS = ["allocs", "frees", "unmatched_frees", "failed_allocs", "nested",
              "null_frees", "orphan_returns", "orphan_entries"]

results = []


def emit(name, problem):
    """Print one runner line; problem None means ok."""
    if problem is None:
        print("ok - %s" % name)
    else:
        problem = " ".join(str(problem).split())
        print("not ok - %s: %s" % (name, problem))
    results.append(problem is None)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return (isinstance(v, (int, float))) and not isinstance(v, bool)


def base_name(name):
    """'leak_new()' -> 'leak_new'; 'f+0x1a' -> 'f'; None stays None."""
    if name is None:
        return None
    name = name.strip()
    i = name.find("(")
    if i > 0:
        name = name[:i]
    return name.strip()


def frame_function(frame):
    fn = frame.get("function")
    if fn is None:
        sym = frame.get("symbol")
        if isinstance(sym, str):
            fn = sym.rsplit("+", 1)[0] if "+0x" in sym else sym
    return base_name(fn) if isinstance(fn, str) else None


def frame0(leak):
    st = leak.get("stack") or []
    return st[0] if st else {}


# ---------------------------------------------------------------- schema

GROWTH_RANK = {"growing": 0, "plateau": 1, "transient": 2, None: 3}


def check_series(lk, w, p):
    g, s = lk.get("growth", "missing"), lk.get("series", "missing")
    if g not in GROWTH_RANK:
        p.append("%s.growth: expected growing|plateau|transient|null, got %r" % (w, g))
        return
    if (g is None) != (s is None) or (g is None) != lk["inherited"]:
        p.append("%s: growth %r, series %r, inherited %r: null together or not at all"
                 % (w, g, s, lk["inherited"]))
        return
    if g is None:
        return
    if not isinstance(s, dict) or not is_num(s.get("interval_s")) or \
            s["interval_s"] <= 0 or not is_int(s.get("peak_bytes")) or \
            not isinstance(s.get("bytes"), list) or \
            not all(is_int(v) and v >= 0 for v in s["bytes"]):
        p.append("%s.series: expected {interval_s > 0, peak_bytes, bytes: [int...]}, got %r"
                 % (w, s))
        return
    b = s["bytes"]
    if not 1 <= len(b) <= 64:
        p.append("%s.series: %d intervals, expected 1..64" % (w, len(b)))
    elif max(b) > s["peak_bytes"] or b[-1] < lk["bytes"]:
        p.append("%s.series: max %d above peak_bytes %d or last %d below bytes %d"
                 % (w, max(b), s["peak_bytes"], b[-1], lk["bytes"]))


def check_schema(doc, by_growth=False):
    p = []

    def need(obj, key, pred, what, where):
        if not isinstance(obj, dict) or key not in obj:
            p.append("%s: missing %r" % (where, key))
            return False
        if not pred(obj[key]):
            p.append("%s.%s: expected %s, got %r" % (where, key, what,
                                                      obj[key]))
            return False
        return True

    if not isinstance(doc, dict):
        return "top level is not an object"
    if doc.get("memrec_report") != 1:
        p.append("memrec_report is %r, expected 1" % doc.get("memrec_report"))
    need(doc, "file", lambda v: isinstance(v, str), "string", "top")
    need(doc, "duration_s", lambda v: is_num(v) and v >= 0, "number >= 0",
         "top")
    if need(doc, "targets", lambda v: isinstance(v, list), "list", "top"):
        for i, t in enumerate(doc["targets"]):
            w = "targets[%d]" % i
            need(t, "pid", is_int, "int", w)
            need(t, "cmdline", lambda v: isinstance(v, str), "string", w)
    if need(doc, "events", lambda v: isinstance(v, dict), "object", "top"):
        for k in EVENT_KEYS:
            need(doc["events"], k, lambda v: is_int(v) and v >= 0,
                 "int >= 0", "events")
    if need(doc, "lost_events", lambda v: isinstance(v, dict), "object",
            "top"):
        le = doc["lost_events"]
        need(le, "total", lambda v: is_int(v) and v >= 0, "int >= 0",
             "lost_events")
        if need(le, "per_cpu", lambda v: isinstance(v, list), "list",
                "lost_events"):
            for i, c in enumerate(le["per_cpu"]):
                w = "lost_events.per_cpu[%d]" % i
                for k in ("cpu", "overrun", "dropped"):
                    need(c, k, is_int, "int", w)
    if need(doc, "totals", lambda v: isinstance(v, dict), "object", "top"):
        need(doc["totals"], "bytes", is_int, "int", "totals")
        need(doc["totals"], "count", is_int, "int", "totals")
    if not need(doc, "leaks", lambda v: isinstance(v, list), "list", "top"):
        return "; ".join(p)

    seen = {}
    prev_bytes = None
    sum_bytes = sum_count = 0
    for i, lk in enumerate(doc["leaks"]):
        w = "leaks[%d]" % i
        if not isinstance(lk, dict):
            p.append("%s is not an object" % w)
            continue
        ok = True
        ok &= need(lk, "side", lambda v: v == "user", '"user"', w)
        ok &= need(lk, "pid", is_int, "int", w)
        ok &= need(lk, "comm", lambda v: isinstance(v, str), "string", w)
        ok &= need(lk, "alloc_fn", lambda v: v in ALLOC_FNS,
                   "one of " + "|".join(sorted(ALLOC_FNS)), w)
        for k in ("bytes", "count", "size_min", "size_max"):
            ok &= need(lk, k, lambda v: is_int(v) and v >= 0, "int >= 0", w)
        for k in ("age_min_s", "age_max_s"):
            ok &= need(lk, k, lambda v: is_num(v) and v >= 0, "number >= 0",
                       w)
        ok &= need(lk, "inherited", lambda v: isinstance(v, bool), "bool", w)
        ok &= need(lk, "growth", lambda v: True, "a verdict", w)
        ok &= need(lk, "series", lambda v: True, "a series", w)
        ok &= need(lk, "stack", lambda v: isinstance(v, list) and len(v) > 0,
                   "non-empty list", w)
        if not ok:
            continue
        for j, fr in enumerate(lk["stack"]):
            fw = "%s.stack[%d]" % (w, j)
            if not isinstance(fr, dict):
                p.append("%s is not an object" % fw)
                continue
            need(fr, "addr", lambda v: isinstance(v, str) and
                 v.startswith("0x") and _hex(v), '"0x..."', fw)
            for k in ("symbol", "function", "file"):
                need(fr, k, lambda v: v is None or isinstance(v, str),
                     "string or null", fw)
            need(fr, "module", lambda v: v is None or
                 (isinstance(v, str) and v.startswith("/")),
                 "absolute path or null", fw)
            need(fr, "offset", is_int, "int", fw)
            need(fr, "line", is_int, "int", fw)
            if need(fr, "inlined", lambda v: isinstance(v, bool), "bool", fw) \
                    and fr["inlined"]:
                # an inlined call lies inside the next frame, at the same addr
                nxt = lk["stack"][j + 1] if j + 1 < len(lk["stack"]) else {}
                if not isinstance(nxt, dict) or nxt.get("addr") != fr.get("addr"):
                    p.append("%s: inlined, but the next frame is not at its addr"
                             % fw)
        c, b = lk["count"], lk["bytes"]
        if c < 1:
            p.append("%s: count %d < 1" % (w, c))
        if lk["size_min"] > lk["size_max"]:
            p.append("%s: size_min %d > size_max %d" % (w, lk["size_min"],
                                                       lk["size_max"]))
        if not (c * lk["size_min"] <= b <= c * lk["size_max"]):
            p.append("%s: bytes %d not within count*size_min..count*size_max"
                     " (%d..%d)" % (w, b, c * lk["size_min"],
                                    c * lk["size_max"]))
        if lk["age_min_s"] > lk["age_max_s"]:
            p.append("%s: age_min_s > age_max_s" % w)
        check_series(lk, w, p)
        order = (GROWTH_RANK.get(lk["growth"], 3) if by_growth else 0, -b)
        if prev_bytes is not None and order < prev_bytes:
            p.append("%s: not sorted by %sbytes descending (%d after %d)" %
                     (w, "growth, then " if by_growth else "", b, -prev_bytes[1]))
        prev_bytes = order
        key = (lk["pid"], tuple(fr.get("addr") for fr in lk["stack"]
                                if isinstance(fr, dict)))
        if key in seen:
            p.append("%s: same (pid, stack) as leaks[%d]" % (w, seen[key]))
        seen[key] = i
        sum_bytes += b
        sum_count += c
    tot = doc.get("totals")
    if isinstance(tot, dict) and is_int(tot.get("bytes")) and \
            is_int(tot.get("count")):
        if tot["bytes"] < sum_bytes or tot["count"] < sum_count:
            p.append("totals (%s bytes, %s blocks) below the sum of the "
                     "listed leaks (%d bytes, %d blocks)" %
                     (tot["bytes"], tot["count"], sum_bytes, sum_count))
    if len(p) > 5:
        p = p[:5] + ["... %d more problems" % (len(p) - 5)]
    return "; ".join(p) if p else None


def _hex(s):
    try:
        int(s, 16)
        return True
    except ValueError:
        return False


# ---------------------------------------------------------------- helpers

def lookup(doc, key):
    """Resolve a dotted KEY; raises KeyError with a readable message."""
    if "." not in key and key != "#":
        ev = doc.get("events")
        if isinstance(ev, dict) and key in ev:
            return ev[key]
        if key in doc:
            return doc[key]
        raise KeyError("no key %r in events or at the top level" % key)
    cur = doc
    for part in key.split("."):
        if part == "#":
            if not isinstance(cur, (list, dict)):
                raise KeyError("%r: not a list" % key)
            cur = len(cur)
        elif isinstance(cur, list):
            try:
                cur = cur[int(part)]
            except (ValueError, IndexError):
                raise KeyError("%r: no element %s" % (key, part))
        elif isinstance(cur, dict):
            if part not in cur:
                raise KeyError("%r: no key %r" % (key, part))
            cur = cur[part]
        else:
            raise KeyError("%r: %r is not a container" % (key, part))
    return cur


def resolve_pid(doc, v):
    if v == "target":
        try:
            return doc["targets"][0]["pid"]
        except (KeyError, IndexError, TypeError):
            raise KeyError("--pid target: the report has no targets")
    return int(v)


def leaks_of(doc, pid=None):
    lks = [lk for lk in doc.get("leaks") or [] if isinstance(lk, dict)]
    if pid is not None:
        lks = [lk for lk in lks if lk.get("pid") == pid]
    return lks


def describe(lks, limit=8):
    out = []
    for lk in lks[:limit]:
        f0 = frame0(lk)
        out.append("%s[pid %s %s %sx/%sB %s:%s]" % (
            frame_function(f0), lk.get("pid"), lk.get("alloc_fn"),
            lk.get("count"), lk.get("bytes"), f0.get("file"), f0.get("line")))
    if len(lks) > limit:
        out.append("... %d more" % (len(lks) - limit))
    return ", ".join(out) if out else "none"


def parse_bool(s):
    if s.lower() in ("true", "1", "yes"):
        return True
    if s.lower() in ("false", "0", "no"):
        return False
    raise ValueError("not a boolean: %r" % s)


# ---------------------------------------------------------------- checks

def check_leak(doc, e):
    func, count, nbytes = e["func"], e["count"], e["bytes"]
    pid = resolve_pid(doc, e["pid"]) if "pid" in e else None
    pool = leaks_of(doc, pid)
    groups = [lk for lk in pool if frame_function(frame0(lk)) == func]
    if not groups:
        others = describe(sorted(pool, key=lambda lk: -lk.get("bytes", 0)))
        return "no leak group with frame 0 %s%s; groups: %s" % (
            func, "" if pid is None else " in pid %d" % pid, others)
    p = []
    c = sum(lk.get("count", 0) for lk in groups)
    b = sum(lk.get("bytes", 0) for lk in groups)
    if c != count or b != nbytes:
        p.append("expected %d blocks %d bytes, got %d blocks %d bytes in %d "
                 "group(s)" % (count, nbytes, c, b, len(groups)))
    if "fn" in e:
        bad = sorted({lk.get("alloc_fn") for lk in groups} - {e["fn"]})
        if bad:
            p.append("alloc_fn %s, expected %s" % ("/".join(map(str, bad)),
                                                   e["fn"]))
    for key, what in (("module_suffix", "module"), ("file_suffix", "file")):
        if key in e:
            vals = {frame0(lk).get(what) for lk in groups}
            bad = [v for v in vals
                   if not (isinstance(v, str) and v.endswith(e[key]))]
            if bad:
                p.append("frame 0 %s %s does not end with %s" % (
                    what, "/".join(map(str, bad)), e[key]))
    if "line" in e:
        lines = sorted({frame0(lk).get("line") for lk in groups},
                       key=lambda v: (str(type(v)), v))
        if lines != [e["line"]]:
            p.append("frame 0 line %s, expected %d" % (
                "/".join(map(str, lines)), e["line"]))
    if "sizes" in e:
        smin = min(lk.get("size_min", -1) for lk in groups)
        smax = max(lk.get("size_max", -1) for lk in groups)
        if (smin, smax) != e["sizes"]:
            p.append("sizes %d..%d, expected %d..%d" % (smin, smax,
                                                        *e["sizes"]))
    if "inherited" in e:
        vals = {lk.get("inherited") for lk in groups}
        if vals != {e["inherited"]}:
            p.append("inherited %s, expected %s" % (
                "/".join(map(str, vals)), e["inherited"]))
    if "growth" in e:
        vals = {str(lk.get("growth")) for lk in groups}
        if vals != {e["growth"]}:
            p.append("growth %s, expected %s" % ("/".join(sorted(vals)), e["growth"]))
    series = [lk.get("series") or {} for lk in groups]
    if "peak" in e:
        vals = {s.get("peak_bytes") for s in series}
        if vals != {e["peak"]}:
            p.append("peak_bytes %s, expected %d" % ("/".join(map(str, vals)), e["peak"]))
    if "series" in e:
        for lk, s in zip(groups, series):
            p += series_shape(s.get("bytes") or [], lk.get("bytes"), e["series"])
    return "; ".join(p) if p else None


def series_shape(b, nbytes, shape):
    """What is wrong with series b of a group of nbytes, for shape."""
    if not b or b[-1] != nbytes:
        return ["series %r does not end at the group's %r bytes" % (b, nbytes)]
    top = b.index(max(b)) if shape == "up-down" else len(b) - 1
    up = all(b[i] <= b[i + 1] for i in range(top))
    down = all(b[i] >= b[i + 1] for i in range(top, len(b) - 1))
    if not up or not down:
        return ["series %r is not %s" % (b, shape)]
    return []


def check_no_leak(doc, e):
    pid = resolve_pid(doc, e["pid"]) if "pid" in e else None
    bad = []
    for lk in leaks_of(doc, pid):
        st = lk.get("stack") or []
        if e["kind"] == "func":
            hit = any(frame_function(fr) == e["arg"] for fr in st)
        elif e["kind"] == "module":
            hit = any(isinstance(fr.get("module"), str) and
                      fr["module"].endswith(e["arg"]) for fr in st)
        else:
            m = frame0(lk).get("module")
            hit = isinstance(m, str) and m.endswith(e["arg"])
        if hit:
            bad.append(lk)
    if bad:
        return "%d unexpected group(s): %s" % (len(bad), describe(bad))
    return None


def check_module_total(doc, e):
    pid = resolve_pid(doc, e["pid"]) if "pid" in e else None
    groups = []
    for lk in leaks_of(doc, pid):
        m = frame0(lk).get("module")
        if isinstance(m, str) and m.endswith(e["arg"]):
            groups.append(lk)
    c = sum(lk.get("count", 0) for lk in groups)
    b = sum(lk.get("bytes", 0) for lk in groups)
    if (c, b) != (e["count"], e["bytes"]):
        return "expected %d blocks %d bytes, got %d blocks %d bytes: %s" % (
            e["count"], e["bytes"], c, b, describe(groups, 16))
    return None


def check_all_pid(doc, e):
    pid = resolve_pid(doc, e["arg"])
    bad = [lk for lk in leaks_of(doc) if lk.get("pid") != pid]
    if bad:
        return "%d group(s) of another pid: %s" % (len(bad), describe(bad))
    return None


def check_target_cmd(doc, e):
    cmds = [t.get("cmdline") for t in doc.get("targets") or []
            if isinstance(t, dict)]
    if not any(isinstance(c, str) and e["arg"] in c for c in cmds):
        return "no target cmdline contains %r (targets: %r)" % (e["arg"],
                                                                 cmds)
    return None


def check_demangled(doc, e):
    bad = set()
    for lk in leaks_of(doc):
        for fr in lk.get("stack") or []:
            for k in ("function", "symbol"):
                v = fr.get(k)
                if isinstance(v, str) and v.startswith("_Z"):
                    bad.add(v)
    if bad:
        return "mangled names: %s" % ", ".join(sorted(bad)[:8])
    return None


def check_all_frames_mapped(doc, e):
    bad = []
    for lk in leaks_of(doc):
        for fr in lk.get("stack") or []:
            if not fr.get("module"):
                bad.append(fr.get("addr"))
    if bad:
        return "%d frames in no module: %s" % (len(bad), ", ".join(map(str, bad[:6])))
    return None


def check_cmp(doc, e):
    v = lookup(doc, e["key"])
    want = e["value"]
    if e["op"] == "eq":
        try:
            wn = float(want)
            if is_num(v) and float(v) == wn:
                return None
        except ValueError:
            if str(v) == want:
                return None
        return "%s is %r, expected %s" % (e["key"], v, want)
    if not is_num(v):
        return "%s is %r, not a number" % (e["key"], v)
    if e["op"] == "min" and v < float(want):
        return "%s is %r, expected >= %s" % (e["key"], v, want)
    if e["op"] == "max" and v > float(want):
        return "%s is %r, expected <= %s" % (e["key"], v, want)
    return None


# ---------------------------------------------------------------- main

class Usage(Exception):
    pass


def parse(argv):
    if not argv or argv[0].startswith("--"):
        raise Usage("the first argument must be the report file")
    path, args = argv[0], argv[1:]
    prefix = "report"
    exps = []
    by_growth = [False]
    i = 0

    def take(n):
        nonlocal i
        vals = args[i + 1:i + 1 + n]
        if len(vals) != n:
            raise Usage("%s needs %d argument(s)" % (args[i], n))
        i += 1 + n
        return vals

    def last(kinds, opt):
        if not exps or exps[-1]["what"] not in kinds:
            raise Usage("%s must follow %s" % (opt, " or ".join(
                "--" + k.replace("_", "-") for k in kinds)))
        return exps[-1]

    while i < len(args):
        a = args[i]
        try:
            if a == "--name":
                prefix, = take(1)
            elif a == "--leak":
                f, c, b = take(3)
                exps.append({"what": "leak", "func": base_name(f),
                             "count": int(c), "bytes": int(b)})
            elif a == "--fn":
                last(["leak"], a)["fn"], = take(1)
            elif a == "--module-suffix":
                last(["leak"], a)["module_suffix"], = take(1)
            elif a == "--file-suffix":
                last(["leak"], a)["file_suffix"], = take(1)
            elif a == "--line":
                last(["leak"], a)["line"] = int(take(1)[0])
            elif a == "--sizes":
                lo, hi = take(2)
                last(["leak"], a)["sizes"] = (int(lo), int(hi))
            elif a == "--inherited":
                last(["leak"], a)["inherited"] = parse_bool(take(1)[0])
            elif a == "--growth":
                last(["leak"], a)["growth"], = take(1)
            elif a == "--peak":
                last(["leak"], a)["peak"] = int(take(1)[0])
            elif a == "--series":
                v, = take(1)
                if v not in ("rising", "up-down"):
                    raise ValueError("a shape: rising or up-down, not %r" % v)
                last(["leak"], a)["series"] = v
            elif a == "--sorted-by-growth":
                take(0)
                by_growth[0] = True
            elif a == "--pid":
                v, = take(1)
                if v != "target":
                    int(v)
                last(["leak", "no_leak", "module_total"], a)["pid"] = v
            elif a == "--no-leak":
                exps.append({"what": "no_leak", "kind": "func",
                             "arg": base_name(take(1)[0])})
            elif a == "--no-leak-in-module":
                exps.append({"what": "no_leak", "kind": "module",
                             "arg": take(1)[0]})
            elif a == "--no-leak-frame0-in-module":
                exps.append({"what": "no_leak", "kind": "frame0_module",
                             "arg": take(1)[0]})
            elif a == "--module-total":
                m, c, b = take(3)
                exps.append({"what": "module_total", "arg": m,
                             "count": int(c), "bytes": int(b)})
            elif a == "--all-pid":
                v, = take(1)
                if v != "target":
                    int(v)
                exps.append({"what": "all_pid", "arg": v})
            elif a == "--target-cmd":
                exps.append({"what": "target_cmd", "arg": take(1)[0]})
            elif a == "--demangled":
                take(0)
                exps.append({"what": "demangled"})
            elif a == "--all-frames-mapped":
                take(0)
                exps.append({"what": "all_frames_mapped"})
            elif a in ("--min", "--max", "--eq"):
                k, v = take(2)
                if a != "--eq":
                    float(v)
                exps.append({"what": "cmp", "op": a[2:], "key": k,
                             "value": v})
            else:
                raise Usage("unknown argument %r" % a)
        except ValueError as ex:
            raise Usage("%s: %s" % (a, ex))
    return path, prefix, exps, by_growth[0]


def exp_name(prefix, e):
    w = e["what"]
    pid = "" if "pid" not in e else " pid=%s" % e["pid"]
    if w == "leak":
        return "%s/leak %s%s" % (prefix, e["func"], pid)
    if w == "no_leak":
        tag = {"func": "no-leak", "module": "no-leak-in-module",
               "frame0_module": "no-leak-frame0-in-module"}[e["kind"]]
        return "%s/%s %s%s" % (prefix, tag, e["arg"], pid)
    if w == "module_total":
        return "%s/module-total %s%s" % (prefix, e["arg"], pid)
    if w == "all_pid":
        return "%s/all-pid %s" % (prefix, e["arg"])
    if w == "target_cmd":
        return "%s/target-cmd %s" % (prefix, e["arg"])
    if w == "demangled":
        return "%s/demangled" % prefix
    if w == "all_frames_mapped":
        return "%s/all-frames-mapped" % prefix
    return "%s/%s %s %s" % (prefix, e["op"], e["key"], e["value"])


CHECKS = {"leak": check_leak, "no_leak": check_no_leak,
          "all_pid": check_all_pid,
          "module_total": check_module_total, "target_cmd": check_target_cmd,
          "demangled": check_demangled, "cmp": check_cmp,
          "all_frames_mapped": check_all_frames_mapped}


def main(argv):
    try:
        path, prefix, exps, by_growth = parse(argv)
    except Usage as ex:
        emit("check_report-usage", str(ex))
        return 2
    try:
        with open(path, "rb") as f:
            raw = f.read()
        doc = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as ex:
        emit("%s/json" % prefix, "%s: cannot read a JSON report: %s" %
             (path, ex))
        for e in exps:
            emit(exp_name(prefix, e), "no report (%s)" % path)
        return 1
    try:
        emit("%s/schema" % prefix, check_schema(doc, by_growth))
    except Exception as ex:  # a malformed report must not crash us
        emit("%s/schema" % prefix, "malformed report: %r" % ex)
    if not isinstance(doc, dict):
        doc = {}
    for e in exps:
        try:
            problem = CHECKS[e["what"]](doc, e)
        except Exception as ex:  # KeyError, TypeError on odd shapes
            problem = "cannot check (%s): %s" % (type(ex).__name__, ex)
        emit(exp_name(prefix, e), problem)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
