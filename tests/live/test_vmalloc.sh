#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/progs/vmalloc_hold makes, through bpf(2), an array map of 2048 x
# 4096-byte values and a per-CPU array map of 100 x 64-byte values, and
# holds both fds. Known answers on x86-64 (4 KiB pages):
# - the array: one vmalloc area of 2048 x 4096 bytes + a page for the map's
#   header + a guard page = 8,396,800 bytes, allocated from make_array, and
#   a nested area for its page array (2049 pointers: 5 pages + guard page
#   = 24,576 bytes);
# - the per-CPU map: 100 per-CPU objects from bpf_map_alloc_percpu of 64
#   bytes on each possible CPU, plus memcg's share (one obj_cgroup pointer
#   per 4 bytes, 16 x 8) when kernel memory accounting is on: 256 bytes
#   each with 2 possible CPUs.
# Recorded while they are held, both show once with these sizes (text and
# JSON) and the frag report's vmalloc section has the area live. With
# "close", the fds are closed before the recording ends: a kworker frees the
# maps, the areas are freed lazily, and none of it is reported. fork_leak's
# child exits: its kernel stack (20,480 bytes: 16 KiB + guard page) is no
# leak either.
. "$(dirname "$0")/lib.sh"
live_init

for mode in held close; do
	F=$OUT/$mode.dat
	arg=; [ $mode = close ] && arg=close
	run_record "vmalloc/record-$mode" "$OUT/$mode.log" -o "$F" -d 3 -- \
		sh -c "sleep 6 | $PROGS/vmalloc_hold $arg" || live_finish
	"$MEMREC" report -i "$F" -f json -t 0 > "$OUT/$mode.json" 2> "$OUT/$mode.err" ||
		fail "vmalloc/report-json-$mode" "$(cat "$OUT/$mode.err")"
	"$MEMREC" report -i "$F" -t 0 > "$OUT/$mode.txt" 2>&1 ||
		fail "vmalloc/report-text-$mode" "$(head -3 "$OUT/$mode.txt")"
	"$MEMREC" report frag -i "$F" -f json > "$OUT/$mode.frag.json" 2> "$OUT/$mode.ferr" ||
		fail "vmalloc/frag-json-$mode" "$(cat "$OUT/$mode.ferr")"
	"$MEMREC" report frag -i "$F" > "$OUT/$mode.frag.txt" 2>&1 ||
		fail "vmalloc/frag-text-$mode" "$(head -3 "$OUT/$mode.frag.txt")"
done

# fork_leak's child exits: its kernel stack (a vmalloc area) is cached or
# freed by the kernel later, without a free event, and is no leak
run_record "vmalloc/record-fork" "$OUT/fork.log" -o "$OUT/fork.dat" -- \
	"$PROGS/fork_leak" || live_finish
"$MEMREC" report -i "$OUT/fork.dat" -f json -t 0 > "$OUT/fork.json" 2> "$OUT/fork.err" ||
	fail "vmalloc/report-json-fork" "$(cat "$OUT/fork.err")"

# the per-CPU object's size: 64 bytes per possible CPU, and memcg's share
ncpu=$(python3 -c 'import sys
n = 0
for r in open("/sys/devices/system/cpu/possible").read().strip().split(","):
    a, _, b = r.partition("-")
    n += int(b or a) - int(a) + 1
print(n)')
memcg=0
if awk '$1 == "memory" && $4 == 1 { f = 1 } END { exit !f }' /proc/cgroups &&
	! grep -qw 'cgroup.memory=nokmem' /proc/cmdline; then
	memcg=128
fi
PCPU=$((64 * ncpu + memcg))

python3 - "$OUT" "$PCPU" <<'PY'
import json, sys
out, pcpu = sys.argv[1], int(sys.argv[2])
def check(name, cond, why):
    print(("ok - " if cond else "not ok - ") + name + ("" if cond else ": " + why))
def rows(mode, kind, fn):
    d = json.load(open("%s/%s.json" % (out, mode)))
    return d, [r for r in d["kernel_leaks"] if r["kind"] == kind and
               any(f["function"] == fn for f in r["stack"])]
d, v = rows("held", "vmalloc", "make_array")
sizes = sorted((r["bytes"], r["count"]) for r in v)
check("vmalloc/held: the map's area once, 8396800 bytes, and its page array",
      sizes == [(24576, 1), (8396800, 1)], "rows (bytes, count) %s" % sizes)
check("vmalloc/held: attributed to vmalloc_hold",
      all(r["comm"] == "vmalloc_hold" and r["call_site"] is None for r in v), "%s" % v)
check("vmalloc/held: kernel stack through array_map_alloc",
      all(any(f["function"] == "array_map_alloc" for f in r["kernel_stack"]) for r in v),
      "%s" % [r["kernel_stack"] for r in v])
_, p = rows("held", "percpu", "make_percpu")
got = [(r["bytes"], r["count"], r["call_site"].split("+")[0]) for r in p]
check("vmalloc/held: 100 per-CPU objects of %d bytes" % pcpu,
      got == [(100 * pcpu, 100, "bpf_map_alloc_percpu")], "rows %s" % got)
k = d["kernel"]
check("vmalloc/held: totals", k["vmalloc_allocs"] >= 2 and k["percpu_allocs"] >= 100 and
      k["vmalloc_bytes"] >= 8396800 + 24576, "%s" % k)
f = json.load(open("%s/held.frag.json" % out))["vmalloc"]
big = [c for c in f["sizes"] if c["max_bytes"] == 16 << 20]
check("vmalloc/frag held: the 8 MiB area live in its size class",
      f["recorded"] and big == [{"max_bytes": 16 << 20, "allocs": 1, "bytes": 8396800,
                                 "live": 1, "live_bytes": 8396800}], "%s" % f)
d, v = rows("close", "vmalloc", "make_array")
_, p = rows("close", "percpu", "make_percpu")
check("vmalloc/close: no vmalloc rows", not v, "%s" % v)
check("vmalloc/close: no per-CPU rows", not p, "%s" % p)
k = d["kernel"]
check("vmalloc/close: both areas freed, by a kworker",
      k["vmalloc_frees"] >= 2 and k["vmalloc_frees_by_others"] >= 2 and
      k["percpu_frees"] >= 100, "%s" % k)
f = json.load(open("%s/close.frag.json" % out))["vmalloc"]
big = [c for c in f["sizes"] if c["max_bytes"] == 16 << 20]
check("vmalloc/frag close: the 8 MiB area freed; lazily or purged",
      big and big[0]["live"] == 0 and f["frees"] >= 2 and
      f["lazy_bytes"] + 0 <= f["bytes"] and
      (f["lazy_areas"] >= 2 or f["purges"] >= 1), "%s" % f)
d = json.load(open("%s/fork.json" % out))
v = [r for r in d["kernel_leaks"] if r["kind"] in ("vmalloc", "percpu")]
check("vmalloc/fork_leak: no vmalloc or per-CPU rows once the child exited", not v,
      "%s" % [(r["kind"], r["bytes"], [f["function"] for f in r["kernel_stack"]][:6])
              for r in v])
# the fork takes a stack the kernel cached from an earlier exit when it has
# one (no vmalloc event at all), else vmallocs one; at the child's exit the
# kernel caches it again (counted apart) or, its cache full, frees it
k = d["kernel"]
check("vmalloc/fork_leak: the child's kernel stack counted apart",
      (k["vmalloc_exited_stacks"] == 1 and k["vmalloc_exited_stack_bytes"] == 20480) or
      (k["vmalloc_allocs"] == 0 and k["vmalloc_exited_stacks"] == 0) or
      (k["vmalloc_allocs"] == 1 and k["vmalloc_bytes"] == 20480 and
       k["vmalloc_frees"] >= 1 and k["vmalloc_exited_stacks"] == 0), "%s" % k)
PY
note_rc $?

grep -q "8396800 bytes in 1 vmalloc area, pid [0-9]* (vmalloc_hold)" "$OUT/held.txt" &&
	ok "vmalloc/text held: the area" || fail "vmalloc/text held: the area" "see $OUT/held.txt"
grep -q "$((100 * PCPU)) bytes in 100 per-CPU objects from bpf_map_alloc_percpu+0x" \
	"$OUT/held.txt" && ok "vmalloc/text held: the per-CPU objects" ||
	fail "vmalloc/text held: the per-CPU objects" "see $OUT/held.txt"
grep -q " make_array+0x" "$OUT/held.txt" && ok "vmalloc/text held: names make_array" ||
	fail "vmalloc/text held: names make_array" "see $OUT/held.txt"
grep -Eq "^  <= 16384 KiB +1 +8396800 +1 +8396800$" "$OUT/held.frag.txt" &&
	ok "vmalloc/frag text held: size class" ||
	fail "vmalloc/frag text held: size class" "see $OUT/held.frag.txt"
if grep -q "vmalloc area, pid [0-9]* (vmalloc_hold)" "$OUT/close.txt" ||
	grep -q "per-CPU objects from bpf_map_alloc_percpu" "$OUT/close.txt"; then
	fail "vmalloc/text close: nothing reported" "see $OUT/close.txt"
else
	ok "vmalloc/text close: nothing reported"
fi
grep -Eq "^  lazy-free  [0-9]+ of these areas" "$OUT/close.frag.txt" &&
	ok "vmalloc/frag text close: lazy-free line" ||
	fail "vmalloc/frag text close: lazy-free line" "see $OUT/close.frag.txt"
live_finish
