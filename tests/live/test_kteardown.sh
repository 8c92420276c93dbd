#!/bin/bash
# test_kteardown.sh - kernel rows of programs that exit (record with the
# kernel events, the default): the recording ends after their teardown, so
# none of what the kernel frees at or after exit (the address space:
# maple_node, vm_area_struct, mm_struct, anonymous pages, page tables; the
# task: task_struct, pid, cred) stands in kernel_leaks, nor the uprobes' own
# allocations (memrec's overhead). What memrec cannot confirm goes to
# kernel_unconfirmed with a reason, one text line per reason; the direct
# map's base (for objects on slab pages freed) is learned from each
# recording, 1 GiB aligned. fd_hold, alive
# at stop, still holds its 2000 filp objects (1000 pipe ends, 500 files, 500
# sockets) in kernel_leaks. Each program is recorded twice: runs are noisy.
. "$(dirname "$0")/lib.sh"
live_init

P=$PROGS
for prog in leak_fib leak_kinds fork_leak deep_leak leak_fib leak_kinds fork_leak deep_leak; do
	n=$((${n:-0} + 1))
	name=$prog.$n
	F=$OUT/$name.dat
	run_record "kteardown/$name/record" "$OUT/$name.log" -o "$F" -- "$P/$prog" || continue
	"$MEMREC" report -i "$F" -f json -t 0 > "$OUT/$name.json" 2> "$OUT/$name.err" ||
		{ fail "kteardown/$name/report-json" "$(cat "$OUT/$name.err")"; continue; }
	"$MEMREC" report -i "$F" -t 0 > "$OUT/$name.txt" 2>&1 ||
		{ fail "kteardown/$name/report-text" "$(head -3 "$OUT/$name.txt")"; continue; }
	python3 - "$name" "$OUT/$name.json" "$OUT/$name.txt" <<'PY'
import json, re, sys
name, d, text = sys.argv[1], json.load(open(sys.argv[2])), open(sys.argv[3]).read()
def check(what, cond, why):
    print(("ok - " if cond else "not ok - ") + "kteardown/%s/%s" % (name, what) +
          ("" if cond else ": " + why))
CACHES = {"maple_node", "vm_area_struct", "mm_struct", "task_struct", "pid", "cred",
          "cred_jar", "anon_vma", "anon_vma_chain"}
ANON = {"do_anonymous_page", "do_wp_page", "wp_page_copy", "alloc_anon_folio", "__pte_alloc",
        "pte_alloc_one", "__pmd_alloc", "__pud_alloc"}
UPROBE = {"handler_chain", "uprobe_notify_resume", "prepare_uretprobe", "handle_swbp",
          "uprobe_handle_trampoline", "alloc_return_instance", "dup_utask", "get_utask"}
k = d["kernel"]
check("kernel recorded", k["recorded"] and k["slab_allocs"] > 0, "kernel section: %s" % k)
t = k["teardown"]
check("recorded until the teardown", t and t["targets_exited"] and t["reaped"] and
      t["bound_ms"] == 500 and t["waited_s"] <= 0.5 + 0.2, "teardown %s" % t)
check("text teardown line", re.search(r"^  teardown   recorded until the targets were reaped "
      r"and their RCU callbacks ran \((rcu_barrier|membarrier)\): [0-9.]+ s \(bound 500 ms\)$",
      text, re.M) is not None, "no teardown line")
def fns(r):
    return {f["function"] for f in r["kernel_stack"]}
def bad(r):
    if r["kind"] == "slab" and r["cache"] in CACHES:
        return "cache " + r["cache"]
    if r["kind"] == "page" and fns(r) & ANON:
        return "anonymous page or page table"
    if fns(r) & UPROBE:
        return "uprobe machinery"
    return None
rows = d["kernel_leaks"]
wrong = [(bad(r), r["bytes"], r["call_site"]) for r in rows if bad(r)]
check("no teardown or uprobe rows in kernel_leaks", not wrong, "%d rows: %s" % (len(wrong), wrong[:5]))
unc = d["kernel_unconfirmed"]
reasons = set(k["unconfirmed"])
check("unconfirmed rows have a reason", all(r["reason"] in reasons for r in unc),
      "reasons %s" % {r.get("reason") for r in unc})
for reason, s in k["unconfirmed"].items():
    rs = [r for r in unc if r["reason"] == reason]
    check("unconfirmed %s sums" % reason, sum(r["bytes"] for r in rs) == s["bytes"] and
          sum(r["count"] for r in rs) == s["count"], "rows %d, totals %s" % (len(rs), s))
    line = re.search(r"^  unconfirmed (\d+) bytes in (\d+) objects.*\(%s;" % reason, text, re.M)
    want = (s["bytes"], s["count"]) if s["count"] else None
    got = (int(line.group(1)), int(line.group(2))) if line else None
    check("text line for %s" % reason, got == want, "text %s, json %s" % (got, want))
# the direct map's base, learned from the recording: 1 GiB aligned, in the kernel half.
# leak_kinds takes no new slab page (2 samples at best, from frees): learned or said not
dm = k["direct_map"]
base = int(dm["base"], 16) if dm else 0
if dm or not name.startswith("leak_kinds."):
    check("direct map learned", dm and dm["samples"] >= 2 and
          dm["samples"] >= 3 * dm["contrary"] and base % (1 << 30) == 0 and
          base >= 0xff00000000000000, "direct_map %s" % dm)
    check("text slab pages line", dm and re.search(r"^  slab pages direct map at %s \(%d page "
          r"and object pairs agree, %d do not\)" % (dm["base"], dm["samples"], dm["contrary"]),
          text, re.M) is not None, "no slab pages line for %s" % dm)
else:
    check("text says the direct map was not learned", re.search(r"^  slab pages the direct "
          r"map's base was not learned", text, re.M) is not None, "no slab pages line")
check("every row says reclaimable", all(isinstance(r["reclaimable"], bool) for r in rows + unc),
      "a row without reclaimable")
# the text's kernel section: the same total, and none of those rows
head = re.search(r"^kernel: (\d+) bytes in (\d+) objects", text, re.M)
check("text kernel total", head and (int(head.group(1)), int(head.group(2))) ==
      (k["bytes"], k["count"]), "text %s, json %s/%s" % (head and head.group(0), k["bytes"], k["count"]))
ksec = text[text.find("\nkernel: "):]
tbad = [c for c in re.findall(r"^  #\d+ \d+ bytes in \d+ objects? of cache (\S+)", ksec, re.M)
        if c.rstrip(",") in CACHES]
tbad += [f for f in UPROBE | ANON if re.search(r" %s\+0x" % f, ksec)]
check("text kernel rows", not tbad, "%s" % tbad)
PY
	note_rc $?
done

# fd_hold, alive at stop: its filp objects are confirmed, by opening function
DIR=$OUT/files
mkdir -p "$DIR"
F=$OUT/fd.dat
if run_record "kteardown/fd_hold/record" "$OUT/fd.log" -o "$F" -d 3 -- \
	sh -c "sleep 6 | $P/fd_hold $DIR"; then
	"$MEMREC" report -i "$F" -f json -t 0 > "$OUT/fd.json" 2> "$OUT/fd.err" ||
		fail "kteardown/fd_hold/report-json" "$(cat "$OUT/fd.err")"
	"$MEMREC" report -i "$F" -t 0 > "$OUT/fd.txt" 2>&1 ||
		fail "kteardown/fd_hold/report-text" "$(head -3 "$OUT/fd.txt")"
	python3 - "$OUT/fd.json" "$OUT/fd.txt" <<'PY'
import collections, json, re, sys
d, text = json.load(open(sys.argv[1])), open(sys.argv[2]).read()
def check(what, cond, why):
    print(("ok - " if cond else "not ok - ") + "kteardown/fd_hold/" + what + ("" if cond else ": " + why))
held = collections.Counter()
for r in d["kernel_leaks"]:
    fn = [f["function"] for f in r["stack"] if f["module"] and f["module"].endswith("/fd_hold")]
    if r["kind"] == "slab" and r["cache"] == "filp" and fn and fn[0] != "churn_sockets":
        held[fn[0]] += r["count"]
check("2000 filp in kernel_leaks", sum(held.values()) == 2000 and held["open_pipes"] == 1000,
      "held %s" % dict(held))
unc = [r for r in d["kernel_unconfirmed"] if r["cache"] == "filp" and r["comm"] == "fd_hold"]
check("no fd_hold filp unconfirmed", not unc, "%d rows" % len(unc))
rec = {r["cache"]: r["reclaimable"] for r in d["kernel_leaks"] if r["kind"] == "slab"}
check("dentry reclaimable, filp not", rec.get("dentry") is True and rec.get("filp") is False,
      "%s" % {c: rec.get(c) for c in ("dentry", "filp")})
n = sum(int(m) for m in re.findall(r"^  #\d+ \d+ bytes in (\d+) objects? of cache filp from "
                                   r"alloc_empty_file\+0x[0-9a-f]+, pid \d+ \(fd_hold\)", text, re.M))
check("text filp objects of fd_hold", n >= 2000, "%d" % n)
check("text says reclaimable", re.search(r"of cache dentry from \S+, reclaimable, pid", text) is not None,
      "no reclaimable dentry row in text")
PY
	note_rc $?
fi
live_finish
