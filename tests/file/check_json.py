#!/usr/bin/env python3
"""check_json.py FILE.json... - invariants of memrec's JSON reports that
their schemas guarantee (docs/memrec-report-json.md, -oom-json.md,
-frag-json.md), whatever the trace file was: the fuzz test runs it on the
report of every damaged file memrec accepted. Reports made without --top,
--pid and --inherited (the JSON default shows every group). Prints one line
per violation and exits 1 when there is any; exits 0 silently otherwise.

Not checked, because the schemas do not promise it: events.allocs >=
events.frees (a forked child frees blocks it inherited, which it never
allocated), and anything about symbols. Ages are checked against
duration_s, which spans every event."""
import json
import sys

ALLOC_FNS = {"malloc", "calloc", "realloc", "reallocarray", "posix_memalign",
             "aligned_alloc", "memalign", "valloc", "pvalloc", "strdup", "strndup",
             "new", "new_array", "mmap", "brk"}


class Checker:
    def __init__(self, path):
        self.path = path
        self.bad = []
        self.doc = {}

    def fail(self, what):
        self.bad.append(what)

    def count(self, obj, key, where):
        """obj[key] is a non-negative integer (JSON: no bool, no float)."""
        v = obj.get(key) if isinstance(obj, dict) else None
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            self.fail("%s.%s is %r, not a non-negative integer" % (where, key, v))
            return 0
        return v

    def num(self, obj, key, where, null=False):
        v = obj.get(key) if isinstance(obj, dict) else None
        if v is None and null:
            return None
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v != v:
            self.fail("%s.%s is %r, not a number" % (where, key, v))
            return None
        return v

    def obj(self, parent, key, where):
        v = parent.get(key)
        if not isinstance(v, dict):
            self.fail("%s.%s is %r, not an object" % (where, key, type(v).__name__))
            return {}
        return v

    def lst(self, parent, key, where):
        v = parent.get(key)
        if not isinstance(v, list):
            self.fail("%s.%s is not a list" % (where, key))
            return []
        return v

    def frames(self, stack, where):
        if not isinstance(stack, list):
            self.fail("%s is not a list" % where)
            return
        for i, f in enumerate(stack):
            w = "%s[%d]" % (where, i)
            if not isinstance(f, dict):
                self.fail("%s is not an object" % w)
                continue
            a = f.get("addr")
            if not isinstance(a, str) or not a.startswith("0x"):
                self.fail("%s.addr is %r, not a hex string" % (w, a))
            else:
                try:
                    int(a, 16)
                except ValueError:
                    self.fail("%s.addr is %r, not a hex string" % (w, a))
            self.count(f, "line", w)
            self.count(f, "offset", w)
            if not isinstance(f.get("inlined"), bool):
                self.fail("%s.inlined is not a bool" % w)

    def lost(self, r):
        lo = self.obj(r, "lost_events", "")
        for k in ("total", "mmap_records", "samples", "truncated_bytes"):
            self.count(lo, k, "lost_events")
        for i, c in enumerate(self.lst(lo, "per_cpu", "lost_events")):
            for k in ("cpu", "overrun", "dropped"):
                self.count(c, k, "lost_events.per_cpu[%d]" % i)

    def sorted_desc(self, rows, key, where):
        v = [x.get(key) for x in rows if isinstance(x, dict)]
        if all(isinstance(x, int) for x in v) and v != sorted(v, reverse=True):
            self.fail("%s not sorted by %s, biggest first" % (where, key))

    # ---------------------------------------------------------- leak report
    def series(self, l, b, w):
        """growth and series: 1..64 intervals spanning no more than the
        trace, each at most the peak, the last the row's bytes (no --min-age)."""
        if l.get("growth") not in ("growing", "plateau", "transient"):
            self.fail("%s.growth is %r" % (w, l.get("growth")))
        s = self.obj(l, "series", w)
        iv = self.num(s, "interval_s", w + ".series")
        peak = self.count(s, "peak_bytes", w + ".series")
        v = self.lst(s, "bytes", w + ".series")
        v = [self.count({"v": x}, "v", w + ".series.bytes") for x in v]
        dur = self.doc.get("duration_s")
        if not 1 <= len(v) <= 64:
            self.fail("%s.series: %d intervals" % (w, len(v)))
            return
        if iv is None or iv <= 0 or (isinstance(dur, (int, float)) and
                                     (len(v) - 1) * iv > dur + 2e-6):
            self.fail("%s.series: %d intervals of %r s in a %r s trace" % (w, len(v), iv, dur))
        if max(v) > peak or v[-1] != b:
            self.fail("%s.series: max %d, last %d; peak_bytes %d, bytes %d" % (
                w, max(v), v[-1], peak, b))

    def leak(self, r):
        self.doc = r
        ev = self.obj(r, "events", "")
        for k in ("allocs", "alloc_bytes", "frees", "free_bytes", "reallocs",
                  "unmatched_frees", "failed_allocs", "nested", "null_frees",
                  "orphan_returns", "orphan_entries", "replaced"):
            self.count(ev, k, "events")
        self.lost(r)
        t = self.obj(r, "totals", "")
        for k in ("bytes", "count", "sites", "inherited_bytes", "inherited_count"):
            self.count(t, k, "totals")
        leaks = self.lst(r, "leaks", "")
        sb = sc = 0
        for i, l in enumerate(leaks):
            w = "leaks[%d]" % i
            if not isinstance(l, dict):
                self.fail("%s is not an object" % w)
                continue
            if l.get("side") != "user":
                self.fail("%s.side is %r" % (w, l.get("side")))
            if l.get("alloc_fn") not in ALLOC_FNS:
                self.fail("%s.alloc_fn is %r" % (w, l.get("alloc_fn")))
            if l.get("inherited") is not False:
                self.fail("%s.inherited is %r without --inherited" % (w, l.get("inherited")))
            b, c = self.count(l, "bytes", w), self.count(l, "count", w)
            lo, hi = self.count(l, "size_min", w), self.count(l, "size_max", w)
            sb += b
            sc += c
            if c < 1:
                self.fail("%s has %d blocks" % (w, c))
            if lo > hi or not lo * c <= b <= hi * c:
                self.fail("%s: %d bytes in %d blocks of %d..%d" % (w, b, c, lo, hi))
            a0, a1 = self.num(l, "age_min_s", w), self.num(l, "age_max_s", w)
            if a0 is not None and a1 is not None and not 0 <= a0 <= a1:
                self.fail("%s: age %r..%r" % (w, a0, a1))
            dur = self.doc.get("duration_s")
            if a1 is not None and isinstance(dur, (int, float)) and a1 > dur + 2e-6:
                self.fail("%s: age %r beyond the trace's %r s" % (w, a1, dur))
            self.frames(l.get("stack"), w + ".stack")
            self.series(l, b, w)
        self.sorted_desc(leaks, "bytes", "leaks")
        if (sb, sc, len(leaks)) != (t.get("bytes"), t.get("count"), t.get("sites")):
            self.fail("totals bytes/count/sites %r/%r/%r, the leaks sum to %d/%d/%d" % (
                t.get("bytes"), t.get("count"), t.get("sites"), sb, sc, len(leaks)))
        k = self.obj(r, "kernel", "")
        for key in ("bytes", "count", "sites", "overhead_bytes", "overhead_count",
                    "slab_allocs", "slab_frees", "slab_frees_by_others", "slab_frees_in_irq",
                    "slab_unmatched_frees", "page_allocs", "page_fails", "page_frees",
                    "page_frees_by_others", "page_unmatched_frees"):
            self.count(k, key, "kernel")
        if k.get("slab_frees_by_others", 0) > k.get("slab_frees", 0) or \
           k.get("slab_frees_in_irq", 0) > k.get("slab_frees", 0) or \
           k.get("page_frees_by_others", 0) > k.get("page_frees", 0):
            self.fail("kernel: frees by others or in irq exceed the frees: %r" % k)
        kl = self.lst(r, "kernel_leaks", "")
        if not k.get("recorded") and kl:
            self.fail("kernel.recorded is false but there are %d kernel_leaks" % len(kl))
        sb = sc = 0
        for i, l in enumerate(kl):
            w = "kernel_leaks[%d]" % i
            if not isinstance(l, dict):
                self.fail("%s is not an object" % w)
                continue
            if l.get("side") != "kernel" or l.get("kind") not in ("slab", "page"):
                self.fail("%s: side %r kind %r" % (w, l.get("side"), l.get("kind")))
            b, c = self.count(l, "bytes", w), self.count(l, "count", w)
            sb += b
            sc += c
            if c < 1:
                self.fail("%s has %d objects" % (w, c))
            o = l.get("order")
            if l.get("kind") == "page":
                if not isinstance(o, int) or o < 0 or l.get("cache") is not None:
                    self.fail("%s: a page block with order %r, cache %r" % (w, o, l.get("cache")))
                elif b != c * (4096 << o):
                    self.fail("%s: %d bytes in %d order-%d blocks" % (w, b, c, o))
            elif o != -1:
                self.fail("%s: a slab group with order %r, not -1" % (w, o))
            a0, a1 = self.num(l, "age_min_s", w), self.num(l, "age_max_s", w)
            if a0 is not None and a1 is not None and not 0 <= a0 <= a1:
                self.fail("%s: age %r..%r" % (w, a0, a1))
            dur = self.doc.get("duration_s")
            if a1 is not None and isinstance(dur, (int, float)) and a1 > dur + 2e-6:
                self.fail("%s: age %r beyond the trace's %r s" % (w, a1, dur))
            self.frames(l.get("kernel_stack"), w + ".kernel_stack")
            self.frames(l.get("stack"), w + ".stack")
        self.sorted_desc(kl, "bytes", "kernel_leaks")
        if (sb, sc, len(kl)) != (k.get("bytes"), k.get("count"), k.get("sites")):
            self.fail("kernel bytes/count/sites %r/%r/%r, the kernel_leaks sum to %d/%d/%d" % (
                k.get("bytes"), k.get("count"), k.get("sites"), sb, sc, len(kl)))

    # ----------------------------------------------------------- oom report
    def stalls(self, s, where):
        for kind in ("direct_reclaim", "memcg_reclaim", "compaction"):
            st = s.get(kind) if isinstance(s, dict) else None
            if not isinstance(st, dict):
                self.fail("%s.%s is not an object" % (where, kind))
                continue
            self.count(st, "count", where + "." + kind)
            tot = self.num(st, "total_ms", where + "." + kind)
            worst = self.num(st, "worst_ms", where + "." + kind)
            if tot is not None and worst is not None and not 0 <= worst <= tot + 1e-6:
                self.fail("%s.%s: worst_ms %r, total_ms %r" % (where, kind, worst, tot))

    def oom(self, r):
        self.lost(r)
        ke = self.obj(r, "kernel_events", "")
        for k in ("rss_stat", "oom", "allocator_calls", "kswapd_wakes", "unpaired_stalls",
                  "unowned_mms"):
            self.count(ke, k, "kernel_events")
        self.stalls(r.get("stalls"), "stalls")
        procs = self.lst(r, "processes", "")
        peaks = []
        for i, p in enumerate(procs):
            w = "processes[%d]" % i
            rss = self.obj(p, "rss", w) if isinstance(p, dict) else {}
            tot = 0
            for kind in ("file", "anon", "swap", "shmem"):
                c = rss.get(kind)
                vals = [self.count(c, k, "%s.rss.%s" % (w, kind)) for k in ("start", "peak", "end")]
                if vals[1] < max(vals[0], vals[2]):
                    self.fail("%s.rss.%s: peak %d below start %d or end %d" % (
                        w, kind, vals[1], vals[0], vals[2]))
                if kind != "swap":
                    tot += vals[1]
            peaks.append(tot)
            if isinstance(p, dict):
                self.stalls(p.get("stalls"), w + ".stalls")
                a = self.obj(p, "alloc", w)
                self.count(a, "bytes", w + ".alloc")
                self.count(a, "count", w + ".alloc")
                tl = p.get("timeline")
                ts = [x.get("t") for x in tl if isinstance(x, dict)] if isinstance(tl, list) else []
                if len(ts) > 2000 or ts != sorted(ts, key=lambda x: (x is None, x)):
                    self.fail("%s.timeline: %d points, in time order: %s" % (
                        w, len(ts), ts == sorted(ts, key=lambda x: (x is None, x))))
        kills = self.lst(r, "oom_kills", "")
        kt = []
        for i, k in enumerate(kills):
            w = "oom_kills[%d]" % i
            if not isinstance(k, dict):
                self.fail("%s is not an object" % w)
                continue
            kt.append(k.get("ts"))
            for key in ("total_vm_kb", "anon_rss_kb", "file_rss_kb", "shmem_rss_kb",
                        "growing_bytes", "growing_count"):
                self.count(k, key, w)
            g = self.lst(k, "growing", w)
            if len(g) > 5:
                self.fail("%s.growing has %d sites, at most 5" % (w, len(g)))
            gb = gc = 0
            for j, s in enumerate(g):
                gb += self.count(s, "bytes", "%s.growing[%d]" % (w, j))
                gc += self.count(s, "count", "%s.growing[%d]" % (w, j))
                if isinstance(s, dict):
                    self.frames(s.get("stack"), "%s.growing[%d].stack" % (w, j))
            if gb > k.get("growing_bytes", 0) or gc > k.get("growing_count", 0) or \
               (len(g) < 5 and (gb, gc) != (k.get("growing_bytes"), k.get("growing_count"))):
                self.fail("%s: growing_bytes/count %r/%r, its %d sites sum to %d/%d" % (
                    w, k.get("growing_bytes"), k.get("growing_count"), len(g), gb, gc))
        if all(isinstance(x, int) for x in kt) and kt != sorted(kt):
            self.fail("oom_kills not in time order")

    # ---------------------------------------------------------- frag report
    def frag(self, r):
        s = self.obj(r, "slab", "")
        if s:
            for k in ("allocs", "bytes_req", "bytes_alloc", "frees", "cross_cpu_frees"):
                self.count(s, k, "slab")
            if s.get("cross_cpu_frees", 0) > s.get("frees", 0):
                self.fail("slab: %r cross-CPU frees of %r frees" % (
                    s.get("cross_cpu_frees"), s.get("frees")))
            for part in ("sites", "caches"):
                rows = self.lst(s, part, "slab")
                sums = [0, 0, 0, 0]
                for i, x in enumerate(rows):
                    w = "slab.%s[%d]" % (part, i)
                    v = [self.count(x, k, w) for k in ("hits", "bytes_req", "bytes_alloc", "frees")]
                    sums = [a + b for a, b in zip(sums, v)]
                    if isinstance(x, dict) and x.get("waste") != v[2] - v[1]:
                        self.fail("%s: waste %r, not bytes_alloc - bytes_req" % (w, x.get("waste")))
                    if isinstance(x, dict) and isinstance(x.get("cross_cpu_frees"), int) and \
                       x["cross_cpu_frees"] > v[3]:
                        self.fail("%s: more cross-CPU frees than frees" % w)
                want = [s.get(k) for k in ("allocs", "bytes_req", "bytes_alloc", "frees")]
                if sums != want:
                    self.fail("slab.%s sum to %r, slab says %r" % (part, sums, want))
        p = self.obj(r, "pages", "")
        if p:
            for k in ("allocs", "failed", "frees", "unmatched_frees", "fallbacks"):
                self.count(p, k, "pages")

    def run(self):
        try:
            r = json.load(open(self.path))
        except (OSError, ValueError) as ex:
            self.fail("not JSON: %s" % ex)
            return self.bad
        if not isinstance(r, dict) or r.get("memrec_report") != 1:
            self.fail("not a memrec report object (memrec_report %r)" % (
                r.get("memrec_report") if isinstance(r, dict) else None))
            return self.bad
        kind = r.get("report", "leak")
        if kind == "oom":
            self.oom(r)
        elif kind == "frag":
            self.frag(r)
        else:
            self.leak(r)
        return self.bad


status = 0
for path in sys.argv[1:]:
    for b in Checker(path).run():
        print("%s: %s" % (path, b))
        status = 1
sys.exit(status)
