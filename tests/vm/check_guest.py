#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""check_guest.py DIR PREFIX PROGS - the known answers of the reports that
tests/vm/guest-init.sh made in the guest (DIR: what it sent back), as
test_kernel.sh and test_oom.sh check them on the host, one runner line each
(ok - / not ok -), and test_perf.sh's stacks of deep_leak (PROGS: the
sources, for their line markers). Exit 1 when any is not ok.

The guest's files are on tmpfs, so open_files' inodes come from
shmem_alloc_inode (ext4_inode_cache on the host). Where the kernel's
kmem_cache_alloc names no cache (its format in DIR/formats says so), rows
are told apart by their call site and the cache must read "[N-byte
objects]"; the report headers must say what the formats lack, and only
that.
"""
import collections
import json
import os
import re
import sys

D, P, SRC = sys.argv[1], sys.argv[2], sys.argv[3]
MiB = 1024 * 1024
bad = 0


def emit(name, problem):
    global bad
    if problem is None:
        print("ok - %s/%s" % (P, name))
    else:
        print("not ok - %s/%s: %s" % (P, name, " ".join(str(problem).split())))
        bad = 1


def load(name):
    try:
        with open(os.path.join(D, name)) as f:
            return json.load(f)
    except (OSError, ValueError) as ex:
        emit(name, "no JSON report: %s" % ex)
        return None


def text(name):
    try:
        with open(os.path.join(D, name)) as f:
            return f.read()
    except OSError:
        return ""


def has_field(event, fld):
    """Whether the guest kernel's format of event (sys:name) has fld."""
    fmt = text(os.path.join("formats", event))
    return re.search(r"field:[^;]*[ \]]%s;" % re.escape(fld), fmt) is not None


formats_ok = os.path.exists(os.path.join(D, "formats", "kmem:kmem_cache_alloc"))
emit("formats", None if formats_ok else "the guest sent no event formats")
no_cache_name = formats_ok and not has_field("kmem:kmem_cache_alloc", "name")
no_group_dead = formats_ok and not has_field("sched:sched_process_exit", "group_dead")
no_vmalloc = formats_ok and not os.path.exists(os.path.join(D, "formats", "vmalloc:alloc_vmap_area"))
print("# guest formats: kmem_cache_alloc %s a name, sched_process_exit %s group_dead" %
      ("without" if no_cache_name else "with", "without" if no_group_dead else "with"))

# ------------------------------------------------------------ headers
# every report says what the formats lacked, in text and JSON
LINES = {"cache_name": "kmem_cache_alloc names no cache here",
         "group_dead": "sched_process_exit has no group_dead here",
         "vmalloc": "no vmalloc:alloc_vmap_area event here"}
LACKS = {"cache_name": no_cache_name, "group_dead": no_group_dead, "vmalloc": no_vmalloc}
# (which events each recorded: -e kernel, the default groups, and -e user)
for rep, jrep, recorded in (("leak-report-text.out", "leak-report.out",
                             ["cache_name", "group_dead", "vmalloc"]),
                            ("kernel-report-text.out", "kernel-report.out",
                             ["cache_name", "group_dead", "vmalloc"]),
                            ("oom-report-text.out", "oom-report.out",
                             ["cache_name", "group_dead", "vmalloc"]),
                            (None, "debugfs-report.out", ["group_dead"])):
    want = [k for k in recorded if LACKS[k]]
    if rep:
        t = text(rep)
        got = [k for k in LINES if re.search(r"^  kernel     " + re.escape(LINES[k]), t, re.M)]
        emit("header %s says %s" % (rep, ", ".join(want) or "nothing"),
             None if got == want else "header lines for %s, expected %s" % (got, want))
    j = load(jrep) or {}
    got = j.get("kernel_limits", [])
    emit("json %s kernel_limits %s" % (jrep, want),
         None if got == want else "kernel_limits %r" % got)

# ------------------------------------------------------------ stacks
def src_line(tag):
    with open(os.path.join(SRC, "deep_leak.c")) as f:
        for i, line in enumerate(f, 1):
            if "/* L:%s */" % tag in line:
                return i
    return -1


def deep_stack(rep, name, full):
    """deep_leak's one leak: 4242 bytes from deep_leaf's malloc; its stack
    whole (full: 41 deep frames, then main at its call) or cut at 8."""
    d = load(rep)
    if not d:
        return
    gs = [lk for lk in d["leaks"] if lk["stack"] and lk["stack"][0]["function"] == "deep_leaf"]
    emit("%s/leak deep_leaf" % name, None if len(gs) == 1 and gs[0]["count"] == 1 and
         gs[0]["bytes"] == 4242 and gs[0]["alloc_fn"] == "malloc" and
         gs[0]["stack"][0]["line"] == src_line("deep_leaf") else
         "groups %s" % [(g["count"], g["bytes"], g["alloc_fn"]) for g in gs])
    emit("%s/nothing lost" % name, None if d["lost_events"]["total"] == 0 else
         "lost %s" % d["lost_events"])
    if len(gs) != 1:
        return
    fns = [f["function"] for f in gs[0]["stack"]]
    if full:
        ok = (len(fns) >= 43 and fns[1:42] == ["deep"] * 41 and fns[42] == "main" and
              gs[0]["stack"][42]["line"] == src_line("main_call"))
    else:
        ok = fns[1:] == ["deep"] * 7
    emit("%s/stack %s" % (name, "41 deep frames, then main" if full else "cut at 8 frames"),
         None if ok else "%d frames: %s" % (len(fns), fns[:4] + ["..."] + fns[-3:]))


deep_stack("perf-report.out", "perf", True)
deep_stack("ftrace-report.out", "ftrace", False)
deep_stack("dwarf-report.out", "dwarf", True)

# ------------------------------------------------------------ 2. kernel
d = load("kernel-report.out")
if d:
    k = d["kernel"]
    emit("kernel/recorded", None if k["recorded"] and k["slab_allocs"] > 5000 else
         "kernel section: %s" % k)
    held = collections.Counter()
    pids = collections.defaultdict(set)
    caches = collections.defaultdict(set)
    for r in d["kernel_leaks"]:
        fn = [f["function"] for f in r["stack"]
              if f["module"] and f["module"].endswith("/fd_hold")]
        if r["kind"] != "slab" or not fn:
            continue
        site = r["call_site"].split("+")[0]
        key = r["cache"] if not no_cache_name or r["cache"] == "kmalloc" else site
        held[(key, fn[0])] += r["count"]
        pids[fn[0]].add((r["pid"], r["comm"]))
        caches[site].add(r["cache"])
    if no_cache_name:
        # 6.1's call sites of the caches test_kernel.sh checks by name
        want = {("__alloc_file", "open_pipes"): 1000, ("__alloc_file", "open_files"): 500,
                ("__alloc_file", "open_sockets"): 500, ("__d_alloc", "open_pipes"): 500,
                ("__d_alloc", "open_files"): 500, ("__d_alloc", "open_sockets"): 500,
                ("alloc_inode", "open_pipes"): 500, ("shmem_alloc_inode", "open_files"): 500,
                ("sock_alloc_inode", "open_sockets"): 500,
                ("sk_prot_alloc", "open_sockets"): 500}
        churn = ("__alloc_file", "sock_alloc_inode", "shmem_alloc_inode", "sk_prot_alloc")
        for site in sorted({s for s, _ in want}):
            c = caches.get(site, set())
            emit("kernel/cache of %s named by size" % site,
                 None if c and all(re.fullmatch(r"\[\d+-byte objects\]", x) for x in c)
                 else "caches %s" % sorted(c))
    else:
        want = {("filp", "open_pipes"): 1000, ("filp", "open_files"): 500,
                ("filp", "open_sockets"): 500, ("dentry", "open_pipes"): 500,
                ("dentry", "open_files"): 500, ("dentry", "open_sockets"): 500,
                ("inode_cache", "open_pipes"): 500, ("shmem_inode_cache", "open_files"): 500,
                ("sock_inode_cache", "open_sockets"): 500, ("UDP", "open_sockets"): 500}
        churn = ("filp", "sock_inode_cache", "shmem_inode_cache", "UDP")
    for key, n in sorted(want.items()):
        emit("kernel/held %s from %s" % key, None if held[key] == n else
             "%d outstanding, expected %d" % (held[key], n))
    for fn in ("open_pipes", "open_files", "open_sockets"):
        p = pids[fn]
        emit("kernel/%s attributed to fd_hold's pid" % fn,
             None if len(p) == 1 and list(p)[0][1] == "fd_hold" else "pids %s" % p)
    for key in churn:
        n = held[(key, "churn_sockets")]
        emit("kernel/churned %s objects are not held" % key,
             None if n <= 20 else "%d of 2000 still outstanding" % n)
    # the teardown's wait for RCU callbacks: membarrier where the kernel has
    # no rcutree do_rcu_barrier knob (6.1)
    knob = re.search(r"^do_rcu_barrier: yes$", text("features"), re.M) is not None
    rcu = (k.get("teardown") or {}).get("rcu")
    emit("kernel/teardown waits with %s" % ("rcu_barrier" if knob else "membarrier"),
         None if rcu == ("rcu_barrier" if knob else "membarrier") else "teardown %r" %
         k.get("teardown"))
    emit("kernel/frees in other contexts were paired",
         None if k["slab_frees_in_irq"] > 0 and k["slab_frees_by_others"] > 0 else "%s" % k)
    nostack = [r for r in d["kernel_leaks"] if not r["kernel_stack"]]
    emit("kernel/kernel stacks", None if not nostack else "%d rows without one" % len(nostack))

# -a: fd_hold's sockets, their kernel stacks from stacktrace triggers
d = load("all-report.out")
if d:
    n = collections.Counter()
    rows = []
    for r in d["kernel_leaks"]:
        if r["kind"] == "slab":
            key = r["cache"] if not no_cache_name or r["cache"] == "kmalloc" else \
                r["call_site"].split("+")[0]
            n[key] += r["count"]
            if key in ("sock_inode_cache", "sock_alloc_inode"):
                rows.append(r)
    a, b = ("sk_prot_alloc", "sock_alloc_inode") if no_cache_name else \
        ("UDP", "sock_inode_cache")
    emit("-a/held sockets", None if n[a] == 500 and n[b] == 500 else
         "%s %d, %s %d" % (a, n[a], b, n[b]))
    ks = [f["function"] for f in max(rows, key=lambda r: r["count"])["kernel_stack"]] \
        if rows else None
    emit("-a/kernel stack of a socket", None if ks and "__sys_socket" in ks else
         "stack %s" % ks)

# ------------------------------------------------------------ 3. OOM
m = re.search(r"^hog pid (\d+)$", text("oom-record.out"), re.M)
hog = int(m.group(1)) if m else -1
emit("oom/hog-started", None if m else "no 'hog pid N' in the guest's oom-record.out")
d = load("oom-report.out")
if d:
    kills = d.get("oom_kills") or []
    emit("oom/one-kill", None if len(kills) == 1 else "%d kills: %r" % (len(kills), kills[:3]))
    k = kills[0] if len(kills) == 1 else {}
    emit("oom/kill-pid", None if k.get("pid") == hog else "pid %r, expected %d" % (k.get("pid"), hog))
    emit("oom/kill-comm", None if k.get("comm") == "hog" else "comm %r" % k.get("comm"))
    emit("oom/kill-memcg", None if k.get("memcg") is True else "memcg %r" % k.get("memcg"))
    a = k.get("anon_rss_kb")
    emit("oom/kill-anon-rss", None if isinstance(a, int) and 30000 <= a <= 70000 else
         "anon_rss_kb %r, expected 30000..70000 (64 MiB limit)" % a)
    # its death: from group_dead, or (6.1) from the exit of its last thread
    t, x = k.get("t"), k.get("exit_t")
    emit("oom/kill-death-seen", None if isinstance(x, float) and t is not None and x >= t else
         "exit_t %r (kill at %r)" % (x, t))
    procs = [p for p in d.get("processes") or [] if p.get("pid") == hog]
    emit("oom/process", None if len(procs) == 1 and procs[0].get("comm") == "hog" else
         "%d entries for pid %d" % (len(procs), hog))
    p = procs[0] if len(procs) == 1 else {}
    anon = (p.get("rss") or {}).get("anon") or {}
    emit("oom/rss-anon-peak", None if anon.get("peak", 0) >= 40 * MiB else "anon %r" % anon)
    emit("oom/rss-anon-start", None if anon.get("start", 1 << 62) < 10 * MiB else "anon %r" % anon)
    pts = [x for x in p.get("timeline") or [] if t is None or x.get("t", 0) <= t]
    vals = [x["anon"] for x in pts if isinstance(x.get("anon"), int)]
    ups = sum(1 for a, b in zip(vals, vals[1:]) if b >= a)
    emit("oom/timeline", None if len(vals) >= 5 and vals[-1] - vals[0] >= 30 * MiB and
         ups >= 0.8 * (len(vals) - 1) else "anon points %s" % vals[:12])
    # the cgroup2 memory cgroup the hog moved itself into, with its limit
    cgs = [c for c in d.get("memcgs") or [] if c.get("pid") == hog and c.get("path") == "/hog"]
    emit("oom/memcg-v2-limit", None if cgs and all(c["limit"] == 64 * MiB for c in cgs) else
         "memcgs %r, expected /hog with limit %d" % (d.get("memcgs"), 64 * MiB))
    mr = (p.get("stalls") or {}).get("memcg_reclaim") or {}
    emit("oom/memcg-reclaim", None if mr.get("count", 0) >= 1 and
         0 <= mr.get("worst_ms", -1) <= mr.get("total_ms", -1) else "memcg_reclaim %r" % mr)
t = text("oom-report-text.out")
emit("oom/text-names-hog", None if re.search(r"\bhog\b", t) and str(hog) in t and
     re.search("kill", t, re.I) else "see oom-report-text.out")
d = load("oom-leak-report.out")
if d:
    gs = [lk for lk in d.get("leaks") or [] if lk["stack"] and
          (lk["stack"][0].get("function") or "") == "grow_heap"]
    c = sum(lk["count"] for lk in gs)
    b = sum(lk["bytes"] for lk in gs)
    why = []
    if not 30 <= c <= 70:
        why.append("%d blocks, expected 30..70" % c)
    if b != c * MiB:
        why.append("%d bytes, expected %d x 1 MiB" % (b, c))
    if any(lk["pid"] != hog or lk["alloc_fn"] != "malloc" for lk in gs):
        why.append("pid/alloc_fn %s" % sorted({(lk["pid"], lk["alloc_fn"]) for lk in gs}))
    emit("oom/leak-grow-heap", "; ".join(why) or None)
# the frag report of the same file (the default groups: page events too)
f = load("oom-frag-report.out")
if f:
    lk = (load("oom-leak-report.out") or {}).get("kernel") or {}
    emit("frag/page allocations", None if f["pages"]["allocs"] > 0 and
         f["pages"]["allocs"] == lk.get("page_allocs") else
         "frag %d, leak report %r" % (f["pages"]["allocs"], lk.get("page_allocs")))
    emit("frag/slab allocations", None if f["slab"]["allocs"] > 0 and
         f["slab"]["allocs"] == lk.get("slab_allocs") else
         "frag %d, leak report %r" % (f["slab"]["allocs"], lk.get("slab_allocs")))
sys.exit(bad)
