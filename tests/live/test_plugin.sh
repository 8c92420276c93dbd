#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_plugin.sh - record tests/progs/leak_kinds and check how `trace-cmd
# report` prints memrec's events with plugins/plugin_memrec.so and without.
#
# The plugin is found through TRACEEVENT_PLUGIN_DIR (libtraceevent reads it
# after the system plugin directory); HOME points to an empty directory so
# that a copy in ~/.local/lib/traceevent/plugins cannot override this build.
# The known truth: leak_malloc's three malloc(100) calls, at the call site
# that `memrec report` names as leak_malloc's leak.
. "$(dirname "$0")/lib.sh"

command -v trace-cmd >/dev/null ||
	skip_all "no trace-cmd in PATH (apt-get install trace-cmd); plugin not tested"
live_init

PLUGIN_DIR=$ROOT/plugins
if [ ! -f "$PLUGIN_DIR/plugin_memrec.so" ]; then
	fail "plugin/built" "$PLUGIN_DIR/plugin_memrec.so missing; run make"
	live_finish
fi
DAT=$OUT/leak_kinds.dat
WITH=$OUT/with_plugin.txt
WITHOUT=$OUT/without_plugin.txt
mkdir -p "$OUT/home"
# The start of a report line up to the event name; an address.
ev=' +\[[0-9]+\] +[0-9.]+: '
hex='0x[0-9a-f]+'

# expect_lines NAME FILE REGEX COUNT: exactly COUNT lines of FILE match REGEX
# (COUNT "+" means at least one).
expect_lines() {
	local name=$1 file=$2 re=$3 want=$4 n
	n=$(grep -cE -- "$re" "$file")
	if [ "$want" = + ] && [ "$n" -gt 0 ] || [ "$n" = "$want" ]; then
		ok "$name"
	else
		fail "$name" "$n lines match '$re', expected $want (output: $file)"
	fi
}

# trace_report NAME OUTPUT ARGS...: trace-cmd report ARGS must exit 0.
trace_report() {
	local name=$1 out=$2 rc
	shift 2
	HOME=$OUT/home trace-cmd report "$@" > "$out" 2> "$out.stderr"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$name"
	else
		fail "$name" "trace-cmd report $(describe_rc $rc) (stderr: $out.stderr)"
	fi
	return "$rc"
}

# leak_malloc's call site as memrec report resolved it (frame 0's address).
leak_malloc_site() {
	python3 - "$1" <<-'EOF'
	import json, sys
	for leak in json.load(open(sys.argv[1]))["leaks"]:
	    stack = leak.get("stack") or [{}]
	    if stack[0].get("function") == "leak_malloc":
	        print(stack[0]["addr"])
	        break
	EOF
}

# -e user: trace-cmd's own kmem plugin would print kernel events differently with -N
run_record plugin/record "$OUT/record.log" -e user -o "$DAT" -- "$PROGS/leak_kinds" || live_finish
run_report plugin/memrec-report "$DAT" "$OUT/leak_kinds.json"
SITE=$(leak_malloc_site "$OUT/leak_kinds.json" 2>> "$OUT/leak_kinds.json.stderr")
if [ -n "$SITE" ]; then
	ok plugin/leak_malloc-site
else
	fail plugin/leak_malloc-site "no leak in leak_malloc in $OUT/leak_kinds.json"
	SITE=0xunknown
fi

if TRACEEVENT_PLUGIN_DIR=$PLUGIN_DIR trace_report plugin/report "$WITH" "$DAT"; then
	if grep -q plugin_memrec "$WITH.stderr"; then
		fail plugin/loads "trace-cmd complained about the plugin (stderr: $WITH.stderr)"
	else
		ok plugin/loads
	fi
	expect_lines plugin/leak_malloc "$WITH" "${ev}malloc: +malloc\(100\) caller=$SITE\$" 3
	expect_lines plugin/calloc "$WITH" "${ev}calloc: +calloc\(10, 20\) caller=$hex\$" 2
	expect_lines plugin/realloc "$WITH" "${ev}realloc: +realloc\($hex, 1000\) caller=$hex\$" +
	expect_lines plugin/free "$WITH" "${ev}free: +free\($hex\) caller=$hex\$" +
	expect_lines plugin/posix_memalign "$WITH" \
		"${ev}posix_memalign: +posix_memalign\(memptr=$hex, align=64, size=256\) caller=$hex\$" 2
	expect_lines plugin/posix_memalign_ret "$WITH" \
		"${ev}posix_memalign_ret: +posix_memalign_ret = 0 stack=[1-9][0-9]*\$" +
	# the preload path (-e user's default) names each return's chain by id
	expect_lines plugin/malloc_ret "$WITH" "${ev}malloc_ret: +malloc_ret = $hex stack=[1-9][0-9]*\$" +
	expect_lines plugin/no-default-format "$WITH" "${ev}malloc: .*size=100" 0
	expect_lines plugin/ustack_def "$WITH" " ustack_def: +<user stack [1-9][0-9]*>\$" +
	# leak_malloc's three calls share one chain: written once, named three times
	ids=$(awk -v site="caller=$SITE" '$NF == site && / malloc: +malloc\(100\)/ { want = 1; next }
		want && / malloc_ret: / { sub(/.*stack=/, ""); print; want = 0 }' "$WITH")
	if [ "$(printf '%s\n' "$ids" | grep -c .)" = 3 ] &&
	   [ "$(printf '%s\n' "$ids" | sort -u | grep -c .)" = 1 ]; then
		ok plugin/ustack_def-shared
	else
		fail plugin/ustack_def-shared "leak_malloc's returns name stacks '$(echo $ids)', want one id three times (output: $WITH)"
	fi
	# each chain once: no id defined twice
	dups=$(grep -oE ' ustack_def: +<user stack [0-9]+>' "$WITH" | sort | uniq -d | wc -l)
	if [ "$dups" = 0 ]; then
		ok plugin/ustack_def-once
	else
		fail plugin/ustack_def-once "$dups stack ids defined more than once (output: $WITH)"
	fi
fi

if trace_report plugin/report-without-plugin "$WITHOUT" -N "$DAT"; then
	expect_lines plugin/without-default-format "$WITHOUT" \
		"${ev}malloc: +\([0-9a-f]+\) size=100 caller=$SITE\$" 3
	expect_lines plugin/without-no-calls "$WITHOUT" "${ev}malloc: +malloc\(" 0
	# Events of other systems must read the same with the plugin loaded.
	mine='(malloc|calloc|realloc|reallocarray|free|posix_memalign|aligned_alloc|memalign'
	mine="$mine|memalign_int|valloc|pvalloc|strdup|strndup|new[a-z_]*)(_ret)?:"
	# the plugin prints the perf samples' stacks frame by frame
	mine="$mine| +(ustack|ustack_def|kstack):| => "
	if [ -s "$WITH" ] &&
	   diff <(grep -vE "$ev$mine" "$WITH") <(grep -vE "$ev$mine" "$WITHOUT") \
		> "$OUT/others.diff"; then
		ok plugin/other-events-unchanged
	else
		fail plugin/other-events-unchanged "other events differ (see $OUT/others.diff)"
	fi
fi

live_finish
