#!/bin/bash
# tests/golden/record.sh - records the golden trace files again (root and
# tracefs needed; run `make all progs` first). Writes tests/golden/NAME.dat
# for each NAME given (default: all of them), then regenerate the expected
# reports and review them before committing:
#   sudo tests/golden/record.sh [NAME...] && tests/file/test_golden.sh --regen
#   git diff --stat tests/golden
# The recordings (all from the repository's top directory, so that the
# targets' command lines are the same relative paths):
#   leak_kinds  memrec record -e user -- tests/progs/leak_kinds
#   aged_leak   memrec record -e user -- tests/progs/aged_leak
#   growth      memrec record -e user -- tests/progs/growth
#               (3.4 s; its three sites are growing, plateau, transient)
#   fork_leak   memrec record -e user -- tests/progs/fork_leak pre
#   mappings    memrec record -e user,mappings -- tests/progs/mappings
#               (8 x 1 MiB mmaps kept, a holed 4 MiB one, a direct
#               syscall, sbrk growth; see tests/live/test_mappings.sh)
#   pipe_hold   memrec record -d 1 -e user,kernel,page -- \
#                   tests/progs/pipe_hold 20 20 3000
#               then trim_kallsyms.py keeps only the kallsyms lines its
#               events can use (7 MB -> 1 MB), checking that every report
#               of the trimmed file is the same as the untrimmed one's
#   oom_hog     memrec record -e user,oom -- sh -c 'echo $$ > CG/cgroup.procs;
#                   exec tests/progs/hog 256 20'
#               in a memory cgroup CG limited to 16 MiB, no swap (the hog is
#               killed after ~15 MiB, 0.3 s)
#   kernel61    the same recipe as pipe_hold, after leak_fib, on Debian 12's
#               6.1 kernel in qemu (tests/vm/test_kernel61.sh, MEMREC_VM_GOLDEN=1):
#               memrec record -d 2 -e user,kernel,page -- sh -c
#                   'tests/progs/leak_fib; exec tests/progs/pipe_hold 20 20 4000'
#               (6.1's kmem_cache_alloc names no cache, its sched_process_exit
#               has no group_dead), kallsyms trimmed as pipe_hold's
# Keep the files small: they are in git.
set -eu
cd "$(dirname "$0")/../.."
G=tests/golden
[ "$(id -u)" -eq 0 ] || { echo "record.sh: needs root (tracefs)" >&2; exit 1; }
[ $# -gt 0 ] || set -- leak_kinds aged_leak growth fork_leak mappings pipe_hold oom_hog kernel61
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"; [ -z "${CG:-}" ] || rmdir "$CG" 2>/dev/null || true' EXIT

rec() {
	local name=$1
	shift
	./memrec record -o "$G/$name.dat" "$@"
	chmod 644 "$G/$name.dat"
	du -h "$G/$name.dat"
}

# memcg NAME: a memory cgroup CG limited to 16 MiB without swap (v1 or v2).
memcg() {
	local v1 v2
	v1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' /proc/mounts)
	v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	if [ -n "$v1" ]; then
		CG=$v1/memrec-$1
		mkdir "$CG"
		echo 16M > "$CG/memory.limit_in_bytes"
		[ ! -f "$CG/memory.memsw.limit_in_bytes" ] || echo 16M > "$CG/memory.memsw.limit_in_bytes"
		[ ! -f "$CG/memory.swappiness" ] || echo 0 > "$CG/memory.swappiness"
	else
		CG=$v2/memrec-$1
		mkdir "$CG"
		echo 16M > "$CG/memory.max"
		[ ! -f "$CG/memory.swap.max" ] || echo 0 > "$CG/memory.swap.max"
	fi
}

# trim NAME FULL: FULL with only the kallsyms its events use, as NAME.dat,
# if every report of it is the same as FULL's
trim() {
	tests/golden/trim_kallsyms.py "$2" "$G/$1.dat"
	for args in "leak -t 0" "leak -f json" "frag -t 0" "frag -f json"; do
		# shellcheck disable=SC2086
		if ! cmp -s <(./memrec report -i "$2" $args | sed 1d | grep -v '"file"') \
			    <(./memrec report -i "$G/$1.dat" $args | sed 1d | grep -v '"file"'); then
			echo "record.sh: 'report $args' differs after trim_kallsyms.py" >&2
			exit 1
		fi
	done
	chmod 644 "$G/$1.dat"
	du -h "$G/$1.dat"
}

for name in "$@"; do
	case $name in
	leak_kinds) rec leak_kinds -e user -- tests/progs/leak_kinds ;;
	aged_leak) rec aged_leak -e user -- tests/progs/aged_leak ;;
	growth) rec growth -e user -- tests/progs/growth > /dev/null ;;
	fork_leak) rec fork_leak -e user -- tests/progs/fork_leak pre > /dev/null ;;
	mappings) rec mappings -e user,mappings -- tests/progs/mappings > /dev/null ;;
	pipe_hold)
		./memrec record -o "$TMP/full.dat" -d 1 -e user,kernel,page -- \
			tests/progs/pipe_hold 20 20 3000
		trim pipe_hold "$TMP/full.dat"
		;;
	kernel61)
		MEMREC_VM_GOLDEN=1 bash tests/vm/test_kernel61.sh > "$TMP/vm.log" 2>&1 || {
			grep '^not ok' "$TMP/vm.log" >&2
			exit 1
		}
		trim kernel61 "$(ls -td tests/out/test_kernel61.*/guest/golden | head -1)/kernel61.dat"
		;;
	oom_hog)
		memcg golden-$$
		# shellcheck disable=SC2016 # $$ and $1 are the sh's
		rec oom_hog -e user,oom -- sh -c 'echo $$ > "$1" && exec "$2" 256 20' \
			sh "$CG/cgroup.procs" tests/progs/hog || true	# the hog is killed
		rmdir "$CG"
		CG=
		;;
	*) echo "record.sh: unknown golden file '$name'" >&2; exit 2 ;;
	esac
done
