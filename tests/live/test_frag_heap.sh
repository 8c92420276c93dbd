#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_frag_heap.sh - `memrec report frag`'s user heap on a real program.
#
# tests/progs/heap_pin fills its brk heap with 20000 blocks of 1000 bytes,
# allocates a 64-byte pin right above them in make_pin(), frees every odd
# fill block and exits without freeing the rest (the figures are derived in
# its source). Recorded with `memrec record -- heap_pin`, the frag report
# must show, for the target's main arena:
#   - a pin whose frame 0 is make_pin, of 64 bytes (chunk 80), from malloc;
#   - 10080000 free bytes held below it (within 10%);
#   - fill's call site: 20000 allocations, 8 bytes wasted each (1000-byte
#     requests in 1008-byte chunks), 160000 in all;
# and the text form must name make_pin in the pin's stack.
. "$(dirname "$0")/lib.sh"
live_init

T=heap_pin
if [ ! -x "$PROGS/heap_pin" ]; then
	fail "$T/program" "$PROGS/heap_pin missing; run make progs"
	live_finish
fi

if run_record "$T/record" "$OUT/$T.record.log" -o "$OUT/pin.dat" -- "$PROGS/heap_pin"; then
	if grep -q '^done$' "$OUT/$T.record.log.out"; then
		ok "$T/target-ran"
	else
		fail "$T/target-ran" "no \"done\" from the target (output: $OUT/$T.record.log.out)"
	fi
	if run_report "$T/report-json" "$OUT/pin.dat" "$OUT/pin.json" frag; then
		python3 - "$OUT/pin.json" <<'PY'
import json, sys

EXPECT_FREE = 10000 * 1008
failed = False

def check(name, cond, why):
    global failed
    print(("ok - " if cond else "not ok - ") + "heap_pin/" + name + ("" if cond else ": " + why))
    failed |= not cond

def ours(frames):
    return [f for f in frames if (f.get("module") or "").endswith("/tests/progs/heap_pin")]

d = json.load(open(sys.argv[1]))
target = d["targets"][0]["pid"] if d.get("targets") else None
procs = [p for p in d["heap"]["processes"] if p["pid"] == target]
check("process", len(procs) == 1, "no heap entry for pid %s: %s" % (target, d["heap"]))
if procs:
    p = procs[0]
    mains = [r for r in p["regions"] if r["kind"] == "main"]
    check("main-arena", len(mains) == 1, "regions: %s" % [r["kind"] for r in p["regions"]])
    pin = mains[0]["pin"] if mains else None
    check("pin", pin is not None, "no pin")
    if pin:
        frames = ours(pin["stack"])
        fn = frames[0]["function"] if frames else None
        check("pin-make_pin", fn == "make_pin", "pin's top user frame is %s" % fn)
        check("pin-size", pin["size"] == 64 and pin["chunk_size"] == 80 and
              pin["alloc_fn"] == "malloc", "pin %s" % {k: pin[k] for k in
              ("size", "chunk_size", "alloc_fn")})
        fb = pin["free_below"]
        check("free-below", abs(fb - EXPECT_FREE) <= EXPECT_FREE / 10,
              "free_below %d, expected %d +- 10%%" % (fb, EXPECT_FREE))
        print("# free_below measured %d, expected %d; shrink_by %d (expected 1088)" %
              (fb, EXPECT_FREE, pin["shrink_by"]))
    gaps = mains[0]["gaps"] if mains else []
    check("gaps", len(gaps) == 5 and all(g["size"] >= 1008 for g in gaps),
          "gaps %s" % gaps)
    fill = [s for s in p["sites"] if ours(s["stack"]) and ours(s["stack"])[0]["function"] == "fill"]
    check("fill-site", len(fill) == 1, "%d sites with frame 0 fill" % len(fill))
    if fill:
        s = fill[0]
        check("fill-waste", s["allocs"] == 20000 and s["requested_bytes"] == 20000000 and
              s["chunk_bytes"] == 20160000 and s["waste_bytes"] == 160000,
              "fill site %s" % {k: s[k] for k in ("allocs", "requested_bytes", "chunk_bytes",
                                                  "waste_bytes")})
        check("fill-first", p["sites"][0] is s, "fill is not the site with the most waste")
sys.exit(1 if failed else 0)
PY
		note_rc $?
	fi
	text=$OUT/pin.txt
	if "$MEMREC" report frag -i "$OUT/pin.dat" > "$text" 2> "$text.stderr"; then
		ok "$T/report-text"
		if grep -q '^user heap$' "$text" &&
		   sed -n '/^      pin: /,/^    [^ ]/p' "$text" | grep -q ' make_pin+0x'; then
			ok "$T/text-names-make_pin"
		else
			fail "$T/text-names-make_pin" \
				"no \"user heap\" section with make_pin under its pin (text: $text)"
		fi
	else
		fail "$T/report-text" "memrec report frag failed (stderr: $text.stderr)"
	fi
fi
live_finish
