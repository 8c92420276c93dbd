#!/bin/bash
# tests/golden/record.sh - records the golden trace files again (root and
# tracefs needed; run `make all progs` first). Writes tests/golden/NAME.dat
# for each NAME given (default: all of them), then regenerate the expected
# reports and review them before committing:
#   sudo tests/golden/record.sh [NAME...] && tests/live/test_golden.sh --regen
#   git diff --stat tests/golden
# The recordings (all from the repository's top directory, so that the
# targets' command lines are the same relative paths):
#   leak_kinds  memrec record -e user -- tests/progs/leak_kinds
#   aged_leak   memrec record -e user -- tests/progs/aged_leak
#   fork_leak   memrec record -e user -- tests/progs/fork_leak pre
# Keep the files small: they are in git.
set -eu
cd "$(dirname "$0")/../.."
G=tests/golden
[ "$(id -u)" -eq 0 ] || { echo "record.sh: needs root (tracefs)" >&2; exit 1; }
[ $# -gt 0 ] || set -- leak_kinds aged_leak fork_leak

rec() {
	local name=$1
	shift
	./memrec record -o "$G/$name.dat" "$@"
	chmod 644 "$G/$name.dat"
	du -h "$G/$name.dat"
}

for name in "$@"; do
	case $name in
	leak_kinds) rec leak_kinds -e user -- tests/progs/leak_kinds ;;
	aged_leak) rec aged_leak -e user -- tests/progs/aged_leak ;;
	fork_leak) rec fork_leak -e user -- tests/progs/fork_leak pre > /dev/null ;;
	*) echo "record.sh: unknown golden file '$name'" >&2; exit 2 ;;
	esac
done
