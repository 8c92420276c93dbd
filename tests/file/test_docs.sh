#!/bin/bash
# test_docs.sh - the documentation says what the program does: every option
# in 'memrec CMD -h' is in the man page and back, and every key the JSON
# report writes is documented in docs/memrec-report-json.md. No root needed.
set -u
cd "$(dirname "$0")/../.."
MEMREC=./memrec
fail=0

ok() { echo "ok - $1"; }
notok() { echo "not ok - $1: $2"; fail=1; }

long_opts() { grep -o -- '--[a-z][a-z-]*' | sort -u; }

for cmd in record report; do
	man=docs/memrec-$cmd.1
	help=$($MEMREC $cmd -h) || { notok "$cmd-help" "'memrec $cmd -h' failed"; continue; }
	in_help=$(echo "$help" | long_opts)
	in_man=$(sed 's/\\-/-/g' "$man" | long_opts)
	missing=$(comm -23 <(echo "$in_help") <(echo "$in_man") | tr '\n' ' ')
	extra=$(comm -13 <(echo "$in_help") <(echo "$in_man") | tr '\n' ' ')
	[ -z "$missing" ] && ok "$cmd: every option of -h is in $man" ||
		notok "$cmd-man" "$man lacks $missing"
	[ -z "$extra" ] && ok "$cmd: every option of $man is in -h" ||
		notok "$cmd-help" "'memrec $cmd -h' lacks $extra"
done

# JSON keys: from the golden file's report (no root needed to report)
golden=tests/golden/leak_kinds.dat
if [ -f "$golden" ]; then
	# mappings.dat: events.mappings, null in leak_kinds.dat
	keys=$( ($MEMREC report -i "$golden" --format json;
		 $MEMREC report -i tests/golden/mappings.dat --format json) 2>/dev/null | python3 -c '
import json, sys
def walk(o, out):
    if isinstance(o, dict):
        for k, v in o.items():
            out.add(k); walk(v, out)
    elif isinstance(o, list):
        for v in o: walk(v, out)
out = set()
for doc in sys.stdin.read().replace("}\n{", "}\n\x00{").split("\x00"):
    walk(json.loads(doc), out)
print("\n".join(sorted(out)))')
	if [ -z "$keys" ]; then
		notok "json-keys" "no JSON from the golden file"
	else
		undoc=""
		for k in $keys; do
			grep -q "\`$k\`" docs/memrec-report-json.md || undoc="$undoc $k"
		done
		[ -z "$undoc" ] && ok "every JSON key is documented ($(echo $keys | wc -w) keys)" ||
			notok "json-keys" "undocumented in docs/memrec-report-json.md:$undoc"
	fi
	# the frag report: its own doc, and the header members of the leak doc
	fkeys=$($MEMREC report frag -i "$golden" --format json 2>/dev/null | python3 -c '
import json, sys
def walk(o, out):
    if isinstance(o, dict):
        for k, v in o.items():
            out.add(k); walk(v, out)
    elif isinstance(o, list):
        for v in o: walk(v, out)
out = set(); walk(json.load(sys.stdin), out); print("\n".join(sorted(out)))')
	undoc=""
	for k in $fkeys; do
		grep -q "\`$k\`" docs/memrec-report-frag-json.md docs/memrec-report-json.md ||
			undoc="$undoc $k"
	done
	[ -n "$fkeys" ] && [ -z "$undoc" ] &&
		ok "every frag JSON key is documented ($(echo $fkeys | wc -w) keys)" ||
		notok "frag-json-keys" "undocumented in docs/memrec-report-frag-json.md:${undoc:- no JSON}"
	# the diff: both ways between a file with user leaks and one with kernel ones
	dkeys=$( ($MEMREC report diff --format json "$golden" tests/golden/pipe_hold.dat;
		  $MEMREC report diff --format json tests/golden/pipe_hold.dat "$golden") 2>/dev/null |
		python3 -c '
import json, sys
def walk(o, out):
    if isinstance(o, dict):
        for k, v in o.items():
            out.add(k); walk(v, out)
    elif isinstance(o, list):
        for v in o: walk(v, out)
out = set()
for doc in sys.stdin.read().replace("}\n{", "}\n\x00{").split("\x00"):
    walk(json.loads(doc), out)
print("\n".join(sorted(out)))')
	undoc=""
	for k in $dkeys; do
		grep -q "\`$k\`" docs/memrec-report-json.md || undoc="$undoc $k"
	done
	[ -n "$dkeys" ] && [ -z "$undoc" ] &&
		ok "every diff JSON key is documented ($(echo $dkeys | wc -w) keys)" ||
		notok "diff-json-keys" "undocumented in docs/memrec-report-json.md:${undoc:- no JSON}"
else
	notok "json-keys" "missing $golden"
fi
exit $fail
