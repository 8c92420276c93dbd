#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_oom.sh - a real memory cgroup OOM kill, recorded and reported.
#
# A private memory cgroup (memrec-test-PID, 64 MiB, no swap) holds
# tests/progs/hog, which grows by 1 MiB every 20 ms until the kernel kills it
# (after ~1.3 s). A `sh -c` puts itself into the cgroup and then execs the
# hog, so the hog runs under the limit from its first malloc and keeps the
# sh's pid (which the sh prints first: "hog pid N").
#
#  (a) memrec record -- sh -c '...; exec hog' (no -e: oom is a default group): record exits 0;
#      `report oom --format json` has exactly one kill, of the hog (pid,
#      comm "hog", memcg true, anon_rss_kb 30000..70000); the hog's process
#      entry shows the anon RSS ramp (start < 10 MiB, peak >= 40 MiB, a
#      timeline of >= 5 points rising overall) and memcg reclaim stalls; the
#      text report names the hog and the kill; the leak report of the same
#      file still works and lists grow_heap's 1 MiB blocks.
#  (b) memrec record -a -e oom in the background, the hog run outside
#      memrec, SIGINT: `report oom` has the kill of that pid.
#  (c) no memrec tracing state is left and the cgroup is gone.
#  (d) the flight recorder (-a --flight --size 4 --keep) writes each kill
#      to its own bounded file by itself.
#  (e) a target killed by an OOM that another process of its cgroup declares
#      (recorded from every task): the kill names the target and that trigger.
#  (f) a kill of a process that is no target, during a recording of another
#      program: left out of the report and counted apart.
#
# The cgroup's own oom_kill counter is checked too, so that a setup problem
# (no kill happened) is not blamed on memrec. Skips (exit 0) without root,
# tracefs, the oom:mark_victim event or a memory cgroup controller.
. "$(dirname "$0")/lib.sh"
live_init

T=oom
RECORD_TIMEOUT=40		# the hog dies in ~1.3 s; keep the test under 2 min
REPORT_TIMEOUT=30
MiB=$((1024 * 1024))

[ -e "$TRACEFS/events/oom/mark_victim" ] ||
	skip_all "no oom:mark_victim event in $TRACEFS/events (kernel without it)"
if [ ! -x "$PROGS/hog" ]; then
	fail $T/test-program "$PROGS/hog missing; run make progs"
	live_finish
fi

# ------------------------------------------------------------ the cgroup
. "$(dirname "$0")/cgroup.sh"
memcg_setup "memrec-test-$$"

# cg_oom_kills: how many tasks the kernel OOM-killed in the cgroup so far.
cg_oom_kills() {
	local f=memory.oom_control
	[ "$CG_VER" = 2 ] && f=memory.events
	awk '$1 == "oom_kill" { print $2; found = 1 } END { if (!found) print "?" }' "$CG/$f" 2>/dev/null
}

# The hog's launcher: put this sh into the cgroup, say its pid, become the
# hog (same pid). $1: the cgroup's cgroup.procs, $2: the hog.
HOG_SH='echo $$ > "$1" && echo "hog pid $$" && exec "$2" 256 20'
HOG=("sh" "-c" "$HOG_SH" "sh" "$CG/cgroup.procs" "$PROGS/hog")

# report_oom NAME FILE OUTPUT FORMAT: memrec report oom (bounded in time).
report_oom() {
	local name=$1 file=$2 out=$3 fmt=$4 rc
	timeout -k 5 "$REPORT_TIMEOUT" "$MEMREC" report oom --format "$fmt" -i "$file" \
		> "$out" 2> "$out.stderr"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$name"
	else
		fail "$name" "memrec report oom --format $fmt $(describe_rc $rc) (stderr: $out.stderr)"
	fi
	return "$rc"
}

# The options this test needs; without them everything below fails, and
# this line says why.
if "$MEMREC" record -h 2>&1 | grep -qE '(^|[[:space:]])-e[, ]'; then
	ok $T/record-has-e
else
	fail $T/record-has-e "memrec record -h does not mention -e GROUPS"
fi

# ------------------------------------------------- (a) target under memrec

A=$T/target
log=$OUT/target.record.log
kills0=$(cg_oom_kills)
run_record $A/record "$log" -o "$OUT/target.dat" -- "${HOG[@]}"	# the default groups: oom among them
hog_pid=$(sed -n 's/^hog pid \([0-9][0-9]*\)$/\1/p' "$log.out" 2>/dev/null | head -1)
kills1=$(cg_oom_kills)
if [ -z "$hog_pid" ]; then
	fail $A/hog-started "the sh did not enter the cgroup or did not run (output: $log.out, log: $log)"
	hog_pid=-1
elif grep -q '^survived$' "$log.out"; then
	fail $A/hog-killed "the hog survived 256 MiB in a 64 MiB cgroup (output: $log.out)"
elif [ "$kills0" = "?" ] || [ "$kills1" != $((kills0 + 1)) ]; then
	fail $A/hog-killed "the cgroup's oom_kill went from $kills0 to $kills1, expected one kill"
else
	ok $A/hog-killed
fi

if report_oom $A/report-oom-json "$OUT/target.dat" "$OUT/target.oom.json" json; then
	python3 - "$OUT/target.oom.json" "$hog_pid" "$A" <<'EOF'
import json, sys

path, hog, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
MiB = 1024 * 1024
bad = 0

def emit(name, problem):
    global bad
    if problem is None:
        print("ok - %s/%s" % (prefix, name))
    else:
        print("not ok - %s/%s: %s" % (prefix, name, " ".join(str(problem).split())))
        bad = 1

def num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)

def to_bytes(v, key):
    """An RSS value in bytes: keys ending in _kb / _pages are scaled."""
    if not num(v):
        return None
    if key.endswith("_kb"):
        return v * 1024
    if key.endswith("_pages"):
        return v * 4096
    return v

def rss_val(obj, what):
    """obj["what"] in bytes, accepting what / what_bytes / what_kb."""
    if not isinstance(obj, dict):
        return None
    for k in (what, what + "_bytes", what + "_kb", what + "_pages"):
        if k in obj:
            return to_bytes(obj[k], k)
    return None

def point_anon(pt):
    """The anon RSS (bytes) of one timeline point."""
    if not isinstance(pt, dict):
        return None
    v = rss_val(pt, "anon")
    if v is None:
        v = rss_val(pt.get("rss"), "anon")
    return v

def point_t(pt):
    for k in ("t", "ts", "time_s"):
        if isinstance(pt, dict) and num(pt.get(k)):
            return pt[k]
    return None

try:
    with open(path) as f:
        doc = json.load(f)
except (OSError, ValueError) as ex:
    emit("json", "%s: not a JSON report: %s" % (path, ex))
    sys.exit(1)
emit("json", None if isinstance(doc, dict) else "top level is not an object")
if not isinstance(doc, dict):
    sys.exit(1)

kills = doc.get("oom_kills")
if not isinstance(kills, list):
    emit("one-kill", "no \"oom_kills\" list (keys: %s)" % sorted(doc))
    kills = []
elif len(kills) != 1:
    emit("one-kill", "%d OOM kills, expected exactly 1: %r" % (len(kills), kills[:4]))
else:
    emit("one-kill", None)
k = kills[0] if len(kills) == 1 and isinstance(kills[0], dict) else {}
emit("kill-pid", None if k.get("pid") == hog else
     "killed pid %r, expected the hog %d" % (k.get("pid"), hog))
emit("kill-comm", None if k.get("comm") == "hog" else
     "killed comm %r, expected \"hog\"" % k.get("comm"))
emit("kill-memcg", None if k.get("memcg") is True else
     "memcg is %r, expected true (a memory cgroup OOM)" % k.get("memcg"))
a = k.get("anon_rss_kb")
emit("kill-anon-rss", None if num(a) and 30000 <= a <= 70000 else
     "anon_rss_kb %r, expected 30000..70000 (64 MiB limit)" % a)

procs = doc.get("processes")
if not isinstance(procs, list):
    procs = []
mine = [p for p in procs if isinstance(p, dict) and p.get("pid") == hog]
emit("process", None if len(mine) == 1 else
     "%d process entries with pid %d (pids: %s)" % (
         len(mine), hog, [p.get("pid") for p in procs if isinstance(p, dict)][:16]))
p = mine[0] if len(mine) == 1 else {}
if p and p.get("comm") != "hog":
    emit("process-comm", "comm %r, expected \"hog\"" % p.get("comm"))
elif p:
    emit("process-comm", None)

anon = (p.get("rss") or {}).get("anon") if isinstance(p.get("rss"), dict) else None
start, peak = rss_val(anon, "start"), rss_val(anon, "peak")
emit("rss-anon-peak", None if num(peak) and peak >= 40 * MiB else
     "rss.anon.peak %r, expected >= 40 MiB (%d bytes): %r" % (peak, 40 * MiB, anon))
emit("rss-anon-start", None if num(start) and start < 10 * MiB else
     "rss.anon.start %r, expected < 10 MiB (%d bytes): %r" % (start, 10 * MiB, anon))

# The ramp up to the kill (after it the dying hog's RSS falls).
kill_t = k.get("t") if num(k.get("t")) else None
tl = p.get("timeline")
pts = [x for x in tl if isinstance(x, dict)] if isinstance(tl, list) else []
if kill_t is not None:
    pts = [x for x in pts if point_t(x) is None or point_t(x) <= kill_t]
pts = [point_anon(x) for x in pts]
pts = [v for v in pts if num(v)]
if len(pts) < 5:
    emit("timeline", "%d timeline points with an anon RSS up to the kill (t %r), expected >= 5: %r"
         % (len(pts), kill_t, tl if not isinstance(tl, list) else tl[:8]))
else:
    ups = sum(1 for x, y in zip(pts, pts[1:]) if y >= x)
    ts = [point_t(x) for x in tl]
    ts = [t for t in ts if t is not None]
    why = []
    if pts[-1] - pts[0] < 30 * MiB:
        why.append("anon goes from %d to %d (max %d) bytes: not a 30+ MiB ramp"
                   % (pts[0], pts[-1], max(pts)))
    if ups < 0.8 * (len(pts) - 1):
        why.append("only %d of %d steps do not decrease" % (ups, len(pts) - 1))
    if ts and ts != sorted(ts):
        why.append("times not in order")
    emit("timeline", "; ".join(why) if why else None)

st = p.get("stalls") if isinstance(p.get("stalls"), dict) else {}
mr = st.get("memcg_reclaim")
if not isinstance(mr, dict):
    emit("memcg-reclaim", "no stalls.memcg_reclaim (stalls: %r)" % st)
else:
    c, tot, worst = mr.get("count"), mr.get("total_ms"), mr.get("worst_ms")
    why = []
    if not (num(c) and c >= 1):
        why.append("count %r, expected >= 1" % c)
    if not (num(tot) and num(worst) and 0 <= worst <= tot):
        why.append("total_ms %r / worst_ms %r inconsistent" % (tot, worst))
    # The kill's own view: its trigger was in memcg reclaim just before it.
    rt = k.get("memcg_reclaim_t")
    if "memcg_reclaim_t" in k and not (num(rt) and kill_t is not None and rt <= kill_t):
        why.append("the kill's memcg_reclaim_t %r is not before its t %r" % (rt, kill_t))
    emit("memcg-reclaim", "; ".join(why) if why else None)
sys.exit(bad)
EOF
	note_rc $?
fi

# The text report names the hog and its kill.
txt=$OUT/target.oom.txt
if report_oom $A/report-oom-text "$OUT/target.dat" "$txt" text; then
	if ! grep -qw hog "$txt"; then
		fail $A/text-names-hog "the text report does not mention \"hog\" ($txt)"
	elif ! grep -qiE 'kill|oom' "$txt"; then
		fail $A/text-names-hog "the text report does not mention the kill ($txt)"
	elif [ "$hog_pid" -gt 0 ] && ! grep -qw "$hog_pid" "$txt"; then
		fail $A/text-names-hog "the text report does not give the hog's pid $hog_pid ($txt)"
	else
		ok $A/text-names-hog
	fi
fi

# The leak report (the default) of the same file: the hog never frees, so
# every 1 MiB block of grow_heap is still there.
if run_report $A/report-leak "$OUT/target.dat" "$OUT/target.leak.json"; then
	check $A/leak "$OUT/target.leak.json" --eq targets.0.pid "$hog_pid" \
		--target-cmd tests/progs/hog
	python3 - "$OUT/target.leak.json" "$hog_pid" "$A" <<'EOF'
import json, sys

path, hog, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
MiB = 1024 * 1024

def fn0(lk):
    st = lk.get("stack") or [{}]
    f = st[0].get("function") or st[0].get("symbol") or ""
    return f.split("(")[0].split("+0x")[0].strip()

try:
    with open(path) as f:
        doc = json.load(f)
    gs = [lk for lk in doc.get("leaks") or [] if fn0(lk) == "grow_heap"]
except (OSError, ValueError, AttributeError, TypeError) as ex:
    print("not ok - %s/leak-grow-heap: cannot read %s: %s" % (prefix, path, ex))
    sys.exit(1)
c = sum(lk.get("count", 0) for lk in gs)
b = sum(lk.get("bytes", 0) for lk in gs)
why = []
if not 30 <= c <= 70:
    why.append("%d blocks, expected 30..70 (the hog dies near 64 MiB)" % c)
if b != c * MiB:
    why.append("%d bytes, expected %d x 1 MiB" % (b, c))
if any(lk.get("pid") != hog for lk in gs):
    why.append("pids %s, expected %d" % (sorted({lk.get("pid") for lk in gs}), hog))
if any(lk.get("alloc_fn") != "malloc" for lk in gs):
    why.append("alloc_fn %s, expected malloc" % sorted({str(lk.get("alloc_fn")) for lk in gs}))
if why:
    print("not ok - %s/leak-grow-heap: %s" % (prefix, "; ".join(why)))
    sys.exit(1)
print("ok - %s/leak-grow-heap" % prefix)
EOF
	note_rc $?
fi

# ------------------------------------------------- (b) host-wide recording

B=$T/host
log=$OUT/host.record.log
start_record_bg "$log" -a -e oom -o "$OUT/host.dat"
if wait_recording $B "$log" 20; then
	kills0=$(cg_oom_kills)
	"${HOG[@]}" > "$OUT/host.hog.out" 2>&1 &
	hpid=$!
	BG_PIDS+=("$hpid")
	# (stderr: no "Killed" job notice from bash; the kill is expected)
	if wait_gone "$hpid" 20 2>/dev/null; then
		wait "$hpid" 2>/dev/null
		hrc=$?
	else
		kill -KILL "$hpid" 2>/dev/null
		wait "$hpid" 2>/dev/null
		hrc=124
	fi
	kills1=$(cg_oom_kills)
	if [ "$hrc" -ne 137 ] || [ "$kills0" = "?" ] || [ "$kills1" != $((kills0 + 1)) ]; then
		fail $B/hog-killed "hog $(describe_rc $hrc), expected SIGKILL; cgroup oom_kill $kills0 -> $kills1 (output: $OUT/host.hog.out)"
	else
		ok $B/hog-killed
	fi
	# Let the recorder drain the kill's events before stopping it.
	sleep 0.5
	kill -INT "$REC_PID" 2>/dev/null
	wait_record_bg 20
	if [ "$REC_RC" -eq 0 ]; then
		ok $B/record-sigint
	else
		fail $B/record-sigint "memrec record -a $(describe_rc $REC_RC) after SIGINT (log: $log)"
	fi
	if report_oom $B/report-oom-json "$OUT/host.dat" "$OUT/host.oom.json" json; then
		python3 - "$OUT/host.oom.json" "$hpid" "$B" <<'EOF'
import json, sys

path, hog, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    with open(path) as f:
        kills = json.load(f).get("oom_kills")
    mine = [k for k in kills if k.get("pid") == hog]
except (OSError, ValueError, AttributeError, TypeError) as ex:
    print("not ok - %s/kill: cannot read the oom_kills of %s: %s" % (prefix, path, ex))
    sys.exit(1)
if len(mine) != 1:
    print("not ok - %s/kill: %d kills of pid %d, expected 1 (kills: %s)" % (
        prefix, len(mine), hog, [(k.get("pid"), k.get("comm")) for k in kills][:8]))
    sys.exit(1)
why = []
if mine[0].get("comm") != "hog":
    why.append("comm %r, expected \"hog\"" % mine[0].get("comm"))
if mine[0].get("memcg") is not True:
    why.append("memcg %r, expected true" % mine[0].get("memcg"))
if why:
    print("not ok - %s/kill: %s" % (prefix, "; ".join(why)))
    sys.exit(1)
print("ok - %s/kill" % prefix)
EOF
		note_rc $?
	fi
fi

# ------------------------------------------- (d) the flight recorder
# memrec record -a --flight --size 4 --keep watches; two hogs die one after
# the other; each kill is written to its own file, by memrec itself (no
# signal), each bounded by the window (4 MiB plus the header), and each
# report names that kill. Then SIGINT ends the watch.
D=$T/flight
log=$OUT/flight.record.log
start_record_bg "$log" -a --flight --size 4 --keep -o "$OUT/flight.dat"
if wait_recording $D "$log" 20; then
	pids=()
	for n in 0 1; do
		"${HOG[@]}" > "$OUT/flight.hog$n.out" 2>&1 &
		hpid=$!
		BG_PIDS+=("$hpid")
		wait_gone "$hpid" 20 2>/dev/null || kill -KILL "$hpid" 2>/dev/null
		wait "$hpid" 2>/dev/null
		pids+=("$hpid")
		f=$OUT/flight.dat; [ $n = 1 ] && f=$OUT/flight.dat.1
		if wait_for_line "$log" "wrote '$f'" 10; then
			ok "$D/kill-$n-written-by-itself"
		else
			fail "$D/kill-$n-written-by-itself" "no \"wrote '$f'\" in $log"
		fi
	done
	kill -INT "$REC_PID" 2>/dev/null
	wait_record_bg 20
	[ "$REC_RC" -eq 0 ] && ok $D/record-sigint || fail $D/record-sigint "$(describe_rc $REC_RC) (log: $log)"
	for n in 0 1; do
		f=$OUT/flight.dat; [ $n = 1 ] && f=$OUT/flight.dat.1
		size=$(stat -c %s "$f" 2>/dev/null || echo 0)
		if [ "$size" -gt 0 ] && [ "$size" -le $((5 * MiB)) ]; then
			ok "$D/file-$n-bounded ($size bytes)"
		else
			fail "$D/file-$n-bounded" "$f is $size bytes, expected 1..$((5 * MiB))"
		fi
		report_oom "$D/report-$n" "$f" "$OUT/flight$n.json" json
		if python3 - "$OUT/flight$n.json" "${pids[$n]}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
k = r["oom_kills"]
assert len(k) == 1 and k[0]["pid"] == int(sys.argv[2]) and k[0]["comm"] == "hog", k
PY
		then
			ok "$D/kill-$n-in-its-file"
		else
			fail "$D/kill-$n-in-its-file" "see $OUT/flight$n.json"
		fi
	done
fi

# ------------------------- (e) a kill another process of the memcg declares
# The target (a hog that takes 40 MiB in the cgroup, then holds it) is
# killed when a second hog, not recorded, grows in the same cgroup: the OOM
# is declared in the second hog's context, so its events are only seen
# because memrec records the OOM killer's events from every task.
# (f) a kill in the cgroup during a recording of another program: no
# target's, so the report leaves it out and counts it.

E=$T/other-trigger
TRIG_SH='echo $$ > "$1" && echo "trigger pid $$" && exec "$2" 40 5'
log=$OUT/other.record.log
kills0=$(cg_oom_kills)
start_record_bg "$log" -o "$OUT/other.dat" -- sh -c 'echo $$ > "$1" && echo "hog pid $$" && exec "$2" 40 2 30' \
	sh "$CG/cgroup.procs" "$PROGS/hog"
wait_recording $E "$log" 20
tpid=
for i in $(seq 100); do
	tpid=$(sed -n 's/^hog pid \([0-9][0-9]*\)$/\1/p' "$log.out" 2>/dev/null | head -1)
	[ -n "$tpid" ] && break
	sleep 0.1
done
sleep 1		# the target has its 40 MiB
sh -c "$TRIG_SH" sh "$CG/cgroup.procs" "$PROGS/hog" > "$OUT/other.trigger.out" 2>&1
trig=$(sed -n 's/^trigger pid \([0-9][0-9]*\)$/\1/p' "$OUT/other.trigger.out" | head -1)
wait_record_bg 30
kills1=$(cg_oom_kills)
if [ -z "$tpid" ] || [ -z "$trig" ] || [ "$kills0" = "?" ] || [ "$kills1" != $((kills0 + 1)) ]; then
	fail $E/setup "target pid '$tpid', trigger pid '$trig', cgroup oom_kill $kills0 -> $kills1, expected one kill"
elif [ "$REC_RC" -ne 0 ]; then
	fail $E/record "memrec record $(describe_rc $REC_RC) (log: $log)"
elif report_oom $E/report-oom-json "$OUT/other.dat" "$OUT/other.oom.json" json; then
	python3 - "$OUT/other.oom.json" "$tpid" "$trig" "$E" <<'EOF'
import json, sys
path, victim, trig, prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
doc = json.load(open(path))
kills = doc.get("oom_kills") or []
got = [(k.get("pid"), k.get("comm"), k.get("trigger_pid"), k.get("memcg")) for k in kills]
# the trigger is no target: its memcg reclaim is not recorded, so memcg is unknown
want = [(victim, "hog", trig, None)]
if got == want and doc.get("oom_kills_of_others") == 0:
    print("ok - %s/kill: the target, killed by the OOM pid %d declared" % (prefix, trig))
else:
    print("not ok - %s/kill: kills %r, want %r (others %r)" % (prefix, got, want,
          doc.get("oom_kills_of_others")))
    sys.exit(1)
EOF
	note_rc $?
fi

F=$T/not-a-target
log=$OUT/notarget.record.log
kills0=$(cg_oom_kills)
start_record_bg "$log" -o "$OUT/notarget.dat" -- "$PROGS/sleeper" 5
wait_recording $F "$log" 20
"${HOG[@]}" > "$OUT/notarget.hog.out" 2>&1
wait_record_bg 30
kills1=$(cg_oom_kills)
if [ "$kills0" = "?" ] || [ "$kills1" != $((kills0 + 1)) ]; then
	fail $F/setup "cgroup oom_kill $kills0 -> $kills1, expected one kill"
elif [ "$REC_RC" -ne 0 ]; then
	fail $F/record "memrec record $(describe_rc $REC_RC) (log: $log)"
elif report_oom $F/report-oom-json "$OUT/notarget.dat" "$OUT/notarget.oom.json" json &&
     report_oom $F/report-oom-text "$OUT/notarget.dat" "$OUT/notarget.oom.txt" text; then
	got=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(len(d["oom_kills"]), d["oom_kills_of_others"])' "$OUT/notarget.oom.json")
	if [ "$got" = "0 1" ] && grep -qxF "oom kills: 0" "$OUT/notarget.oom.txt" &&
	   grep -qxF "  (1 more on this host, of processes that are no target and not triggered by one, left out)" "$OUT/notarget.oom.txt"; then
		ok "$F/left-out: no kill of the sleeper, the hog's counted apart (JSON and text)"
	else
		fail $F/left-out "oom_kills, oom_kills_of_others = $got, want 0 1 (text: $OUT/notarget.oom.txt)"
	fi
fi

# ------------------------------------------------------------ (c) cleanup

assert_no_state $T/no-state-left
cg_remove
if [ -d "$CG" ]; then
	fail $T/cgroup-removed "$CG still exists (procs: $(cat "$CG/cgroup.procs" 2>/dev/null | tr '\n' ' '))"
else
	ok $T/cgroup-removed
fi
live_finish
