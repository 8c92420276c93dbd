#!/bin/bash
# test_pprof.sh - `memrec report --format pprof -o FILE` on the checked-in
# files, read back by the real `go tool pprof` (Debian's golang-go): the
# sample types; totals equal to the JSON report's (inuse = the leak rows,
# alloc = every allocation with --no-suppress, kernel_inuse = the kernel
# rows); leak_kinds' known sites with exact bytes and blocks in -top and
# -traces, with their labels; pipe_hold's kernel rows and the calls glibc
# inlined (one location, two lines); build-ids on the mappings as the file
# recorded them; fork_leak's inherited rows labelled; and the output rules
# (-o needed, no binary on a terminal, no writing through a symbolic link).
# No root needed.
set -u
cd "$(dirname "$0")/../.."
out=tests/out/pprof
rm -rf "$out"
mkdir -p "$out"
fail=0
ok() { echo "ok - $1"; }
notok() { echo "not ok - $1: $2"; fail=1; }

if ! command -v go >/dev/null; then
	echo "skip - pprof: no 'go' to read the profiles back (apt-get install golang-go)"
	exit 0
fi
# pprof keeps nothing of ours outside tests/out
export PPROF_TMPDIR=$PWD/$out HOME=${HOME:-$PWD/$out}
pp() { go tool pprof "$@" 2>>"$out/pprof.err"; }

# sample values summed from pprof's -raw reading, and its sample types
raw_sums() {
	python3 - "$1" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().split("\n")
i = lines.index("Samples:")
types = lines[i + 1].split()
sums = [0] * len(types)
for l in lines[i + 2:]:
    if l and not l[0].isspace():
        break
    m = re.match(r"\s+([\d ]+):", l)
    if m:
        for k, v in enumerate(m.group(1).split()):
            sums[k] += int(v)
print(" ".join(types))
print(" ".join("%s=%d" % (t.split("/")[0], s) for t, s in zip(types, sums)))
PY
}

for dat in tests/golden/*.dat; do
	name=$(basename "$dat" .dat)
	./memrec report -i "$dat" --format json >"$out/$name.json" 2>/dev/null || continue
	for supp in "" --no-suppress; do
		p=$out/$name${supp:+.all}.pb.gz
		if ! ./memrec report -i "$dat" --format pprof $supp -o "$p" 2>"$out/$name.err"; then
			notok "pprof $name $supp" "exit non-zero: $(head -c 200 "$out/$name.err")"
			continue
		fi
		pp -raw "$p" >"$p.raw"
		raw_sums "$p.raw" >"$p.sums" 2>>"$out/pprof.err"
	done
	p=$out/$name.pb.gz
	want=$(python3 - "$out/$name.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = "alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes[dflt]"
if d["kernel"]["recorded"]:
    t += " kernel_inuse_objects/count kernel_inuse_space/bytes"
print(t)
print("inuse_objects=%d inuse_space=%d" % (d["totals"]["count"], d["totals"]["bytes"]))
print("kernel_inuse_objects=%d kernel_inuse_space=%d" % (d["kernel"]["count"], d["kernel"]["bytes"]))
print("alloc_objects=%d alloc_space=%d" % (d["events"]["allocs"], d["events"]["alloc_bytes"]))
PY
)
	types=$(sed -n 1p <<<"$want")
	[ "$(sed -n 1p "$p.sums")" = "$types" ] && ok "pprof $name: sample types $types" ||
		notok "pprof $name: sample types" "pprof reads '$(sed -n 1p "$p.sums")', want '$types'"
	got=" $(sed -n 2p "$p.sums") "
	for kv in $(sed -n 2p <<<"$want"); do
		[[ $got == *" $kv "* ]] && ok "pprof $name: $kv as in the JSON report" ||
			notok "pprof $name: $kv" "pprof sums${got}"
	done
	if grep -q kernel_inuse_space <<<"$types"; then
		for kv in $(sed -n 3p <<<"$want"); do
			[[ $got == *" $kv "* ]] && ok "pprof $name: $kv as in the JSON report" ||
				notok "pprof $name: $kv" "pprof sums${got}"
		done
	fi
	# with --no-suppress every allocation of the recording is in alloc_*
	got=" $(sed -n 2p "$out/$name.all.pb.gz.sums") "
	for kv in $(sed -n 4p <<<"$want"); do
		[[ $got == *" $kv "* ]] && ok "pprof $name --no-suppress: $kv, the recording's allocations" ||
			notok "pprof $name --no-suppress: $kv" "pprof sums${got}"
	done
	# every build-id on a mapping is one the file recorded
	for id in $(awk '/^Mappings/{m=1; next} m && $3 ~ /^[0-9a-f]{40}$/ {print $3}' "$p.raw"); do
		grep -qaF "$id" "$dat" || notok "pprof $name: build-id $id" "not in $dat"
	done
done

# leak_kinds: the known sites, exact bytes and blocks (-top, one row per function)
L=$out/leak_kinds.pb.gz
top() {	# "FLAT FUNCTION" per row; bytes exact for the space indices
	local unit=
	[[ $1 == *space ]] && unit=-unit=byte
	pp -top $unit -nodefraction=0 -nodecount=100 -sample_index="$1" "$L" |
		awk 'NF == 6 && $2 ~ /%$/ {print $1, $6}'
}
check_top() {	# sample_index, "VALUE FUNCTION"...
	local si=$1 t
	shift
	t=$(top "$si")
	for want in "$@"; do
		grep -qxF "$want" <<<"$t" && ok "pprof leak_kinds -top $si: $want" ||
			notok "pprof leak_kinds -top $si" "no row '$want' in: $(tr '\n' ',' <<<"$t")"
	done
}
check_top inuse_space "4096B leak_pvalloc" "4000B leak_valloc" "1000B leak_realloc_chain" \
	"512B leak_posix_memalign" "400B leak_calloc" "300B leak_malloc" "6B leak_strndup" \
	"0 main"
check_top inuse_objects "3 leak_malloc" "2 leak_posix_memalign" "2 leak_calloc" \
	"1 leak_realloc_chain"
# balanced_work frees all it allocates: 10 rounds of 14 blocks, 5081 bytes
check_top alloc_space "50810B balanced_work" "1110B leak_realloc_chain" "4096B leak_pvalloc"
check_top alloc_objects "140 balanced_work" "3 leak_realloc_chain" "3 leak_malloc"
t=$(top inuse_space)
grep -q balanced_work <<<"$t" && notok "pprof leak_kinds -top inuse_space" \
	"balanced_work holds nothing at the end but has a row" ||
	ok "pprof leak_kinds -top inuse_space: no row for balanced_work, which frees all"

# -traces: the leak_malloc stack, innermost first, with its labels
pp -traces -unit=byte -sample_index=inuse_space "$L" >"$out/leak_kinds.traces"
why=$(python3 - "$out/leak_kinds.traces" <<'PY'
import sys
blocks = open(sys.argv[1]).read().split("-----------+")
want = ["300B leak_malloc", "main", "__libc_start_call_main"]
for b in blocks:
    lines = [l.strip() for l in b.splitlines()[1:] if l.strip()]
    frames = [" ".join(l.split()) for l in lines if ":" not in l]
    labels = {l.split(":")[0].strip(): l.split(":", 1)[1].strip() for l in lines if ":" in l}
    if frames[:1] == ["300B leak_malloc"]:
        if frames != want:
            print("leak_malloc's trace is %r" % frames)
        elif labels != {"alloc_fn": "malloc", "comm": "leak_kinds", "pid": "27854"}:
            print("leak_malloc's labels are %r" % labels)
        else:
            print("OK")
        sys.exit(0)
print("no trace of 300B from leak_malloc")
PY
)
[ "$why" = OK ] && ok "pprof leak_kinds -traces: 300B leak_malloc < main < __libc_start_call_main, labels alloc_fn malloc, comm, pid 27854" ||
	notok "pprof leak_kinds -traces" "$why"

# the main binary is mapping 1, with the build-id the file recorded for it
grep -qE '^1: 0x[0-9a-f]+/0x[0-9a-f]+/0x[0-9a-f]+ /.*/tests/progs/leak_kinds 1e94275b4104194f72071f8903a1d160c26c17e0 \[FN\]' \
	"$L.raw" && ok "pprof leak_kinds -raw: mapping 1 is leak_kinds with build-id 1e94275b..." ||
	notok "pprof leak_kinds -raw: mapping 1" "$(grep -A1 '^Mappings' "$L.raw" | tail -1)"

# pipe_hold: kernel rows, and the calls inlined in glibc as one location with a
# line each. Those come from the reading host's DWARF for ld.so (Debian's
# libc6-dbg): every inlined frame the text report shows must be in the profile.
P=$out/pipe_hold.pb.gz
./memrec report -i tests/golden/pipe_hold.dat -t 0 >"$out/pipe_hold.txt"
why=$(python3 - "$out/pipe_hold.txt" "$P.raw" <<'PY'
import re, sys
frame = re.compile(r"\s+#\d+\s+0x0*([0-9a-f]+) (\S+?)(?:\+0x[0-9a-f]+| \(inlined\)) ")
text = [frame.match(l) for l in open(sys.argv[1])]
text = [(m.group(1), m.group(2), "(inlined)" in m.group(0)) for m in text if m]
pairs = {(a, f, text[i + 1][1]) for i, (a, f, inl) in enumerate(text)
         if inl and i + 1 < len(text) and text[i + 1][0] == a}
if not pairs:
    print("SKIP")
    sys.exit(0)
locs, cur = {}, None
for l in open(sys.argv[2]):
    m = re.match(r"\s+\d+: 0x([0-9a-f]+) M=\d+ (\S+)", l)
    if m:
        cur = locs.setdefault(m.group(1), [])
        cur.append(m.group(2))
    elif cur is not None and re.match(r"\s{8,}(\S+) \S*:\d+ s=0$", l):
        cur.append(l.split()[0])
    else:
        cur = None
for a, f, caller in sorted(pairs):
    fns = locs.get(a, [])
    if f not in fns or fns[fns.index(f) + 1:][:1] != [caller]:
        print("0x%s: %s inlined in %s, but the location's lines are %r" % (a, f, caller, fns))
        break
else:
    print("OK %d" % len(pairs))
PY
)
case $why in
SKIP)	echo "skip - pprof pipe_hold inlined frames: the text report shows none here (no DWARF for ld.so: libc6-dbg)" ;;
OK*)	ok "pprof pipe_hold -raw: each of the ${why#OK } inlined calls of the text report is a line of its address's location, before its caller" ;;
*)	notok "pprof pipe_hold -raw: inlined frames" "$why" ;;
esac
pp -traces -unit=byte -sample_index=kernel_inuse_space "$P" >"$out/pipe_hold.traces"
why=$(python3 - "$out/pipe_hold.traces" "$why" <<'PY'
import sys
blocks = open(sys.argv[1]).read().split("-----------+")
want = ["20480B __kmalloc_noprof", "alloc_pipe_info", "create_pipe_files", "do_pipe2",
        "__x64_sys_pipe2", "do_syscall_64", "entry_SYSCALL_64_after_hwframe", "__pipe",
        "hold_pipes", "main", "__libc_start_call_main"]
found = inl = False
for b in blocks:
    lines = [l.strip() for l in b.splitlines()[1:] if l.strip()]
    frames = [" ".join(l.split()) for l in lines if ":" not in l]
    labels = {l.split(":")[0].strip(): l.split(":", 1)[1].strip() for l in lines if ":" in l}
    inl |= "__mmap64 (inline)" in frames and \
        frames[frames.index("__mmap64 (inline)") + 1:][:1] == ["mmap"]
    found |= frames == want and labels == {"slab_cache": "kmalloc", "comm": "pipe_hold",
                                           "pid": "14896"}
inl |= sys.argv[2] == "SKIP"
if not found:
    print("no trace %r with slab_cache kmalloc" % want)
elif not inl:
    print("no trace with '__mmap64 (inline)' then mmap")
else:
    print("OK")
PY
)
[ "$why" = OK ] && ok "pprof pipe_hold -traces kernel_inuse_space: 20480B kmalloc from alloc_pipe_info on into __pipe < hold_pipes < main (and __mmap64 (inline) in mmap where inlined frames are known)" ||
	notok "pprof pipe_hold -traces" "$why"
grep -qE '^[0-9]+: 0x[0-9a-f]+/0x[0-9a-f]+/0x[0-9a-f]+ /\S+/libc.so.6 93ac61ec5a8eb1396f9fbd350e3169a558528a40 \[FN\]' \
	"$P.raw" && ok "pprof pipe_hold -raw: libc.so.6's mapping with its recorded build-id and functions" ||
	notok "pprof pipe_hold -raw: libc mapping" "$(sed -n '/^Mappings/,$p' "$P.raw" | tr '\n' ';')"

# fork_leak --inherited: the child's inherited blocks are labelled, and only they
F=$out/fork_leak.inh.pb.gz
./memrec report -i tests/golden/fork_leak.dat --inherited --format pprof -o "$F" &&
	./memrec report -i tests/golden/fork_leak.dat --inherited --format json >"$F.json"
want=$(jq '[.leaks[] | select(.inherited) | .bytes] | add' "$F.json")
got=$(pp -top -unit=byte -nodefraction=0 -tagfocus=inherited=yes "$F" |
	sed -n 's/^Showing nodes accounting for \([0-9]*\)B, .*/\1/p')
[ -n "$want" ] && [ "$want" != null ] && [ "$want" -gt 0 ] && [ "$got" = "$want" ] &&
	ok "pprof fork_leak --inherited: label inherited=yes on the inherited rows' $want bytes" ||
	notok "pprof fork_leak --inherited" "JSON's inherited bytes '$want', pprof -tagfocus=inherited=yes '$got'"

# the output rules
./memrec report -i tests/golden/leak_kinds.dat -f pprof >/dev/null 2>"$out/noo.err"
[ $? -eq 2 ] && grep -q "give -o FILE" "$out/noo.err" && ok "pprof without -o: exit 2, says give -o FILE" ||
	notok "pprof without -o" "$(cat "$out/noo.err")"
./memrec report -i tests/golden/leak_kinds.dat -f pprof --top 3 -o "$out/top.pb.gz" 2>/dev/null
[ $? -eq 2 ] && ok "pprof with --top: exit 2" || notok "pprof with --top" "not exit 2"
./memrec report -i tests/golden/leak_kinds.dat -f pprof -o - 2>/dev/null | head -c 2 | od -An -tx1 |
	grep -q "1f 8b" && ok "pprof -o - into a pipe: gzip" || notok "pprof -o -" "no gzip on stdout"
if command -v script >/dev/null; then
	script -qec "./memrec report -i tests/golden/leak_kinds.dat -f pprof -o -" /dev/null \
		>"$out/tty.out" 2>&1
	rc=$?
	[ $rc -eq 1 ] && [ "$(grep -c . "$out/tty.out")" -eq 1 ] &&
		grep -q "not writing --format pprof to a terminal" "$out/tty.out" &&
		ok "pprof -o - on a terminal: refused with one line, exit 1" ||
		notok "pprof -o - on a terminal" "exit $rc: $(head -c 300 "$out/tty.out")"
else
	echo "skip - pprof on a terminal: no script(1)"
fi
echo keep >"$out/target"
ln -s target "$out/link.pb.gz"
./memrec report -i tests/golden/leak_kinds.dat -f pprof -o "$out/link.pb.gz" 2>"$out/link.err"
rc=$?
[ $rc -eq 1 ] && [ "$(cat "$out/target")" = keep ] && grep -q "symbolic link" "$out/link.err" &&
	ok "pprof -o a symbolic link: refused, its target untouched" ||
	notok "pprof -o a symbolic link" "exit $rc, target '$(cat "$out/target")': $(cat "$out/link.err")"
ls "$out"/.memrec-out.* >/dev/null 2>&1 && notok "pprof -o" "a temporary file was left behind" ||
	ok "pprof -o: no temporary file left behind"
# text and json go to -o FILE as they would to stdout
./memrec report -i tests/golden/leak_kinds.dat -f json -o "$out/o.json" &&
	cmp -s "$out/o.json" "$out/leak_kinds.json" && ok "-o FILE with --format json: the same bytes" ||
	notok "-o FILE with --format json" "differs from stdout's"
exit $fail
