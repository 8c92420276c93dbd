# SPDX-License-Identifier: GPL-2.0
# tests/live/cgroup.sh - sourced by the live OOM tests after lib.sh: a
# private memory cgroup with a 64 MiB limit and no swap, removed on exit.
#
#   memcg_setup NAME   sets CG (the cgroup directory) and CG_VER (1 or 2);
#                      skips the whole test (exit 0, loudly) without a
#                      memory controller.
#
# cgroup v1 memory controller, or else a cgroup2 mount whose root hands the
# memory controller to its children (we do not change the host's
# subtree_control to get one).

# cg_remove: move whatever is still in the cgroup out (and kill it: only
# this test's hogs can be there), then rmdir, retrying while a killed task
# is still being torn down. Safe to call more than once.
cg_remove() {
	local p n=50
	[ -d "$CG" ] || return 0
	while [ "$n" -gt 0 ]; do
		for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do
			echo "$p" > "$HOME_CG/cgroup.procs" 2>/dev/null ||
				echo "$p" > "${CG%/*}/cgroup.procs" 2>/dev/null
			kill -KILL "$p" 2>/dev/null
		done
		rmdir "$CG" 2>/dev/null && return 0
		[ -d "$CG" ] || return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "$LIVE_NAME: cannot remove cgroup $CG" >&2
	return 1
}

memcg_setup() {
	local why
	CG_V1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' /proc/mounts)
	CG_V2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	if [ -n "$CG_V1" ] && [ -f "$CG_V1/cgroup.procs" ]; then
		CG_VER=1
		CG=$CG_V1/$1
		HOME_CG=$CG_V1$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3; exit }' /proc/$$/cgroup)
	elif [ -n "$CG_V2" ] && grep -qw memory "$CG_V2/cgroup.subtree_control" 2>/dev/null; then
		CG_VER=2
		CG=$CG_V2/$1
		HOME_CG=$CG_V2$(awk -F: '$1 == "0" { print $3; exit }' /proc/$$/cgroup)
	else
		why="no memory cgroup controller: cgroup v1 memory is not mounted (/sys/fs/cgroup/memory)"
		skip_all "$why and no cgroup2 mount has memory in its cgroup.subtree_control${CG_V2:+ ($CG_V2)}"
	fi
	trap 'cg_remove; live_cleanup' EXIT
	trap 'exit 130' INT TERM
	mkdir "$CG" 2>/dev/null || skip_all "cannot create the cgroup $CG (read-only cgroupfs?)"
	if [ "$CG_VER" = 1 ]; then
		echo 64M > "$CG/memory.limit_in_bytes" 2>/dev/null ||
			skip_all "cannot set $CG/memory.limit_in_bytes"
		if [ -f "$CG/memory.memsw.limit_in_bytes" ]; then
			echo 64M > "$CG/memory.memsw.limit_in_bytes" ||
				skip_all "cannot set $CG/memory.memsw.limit_in_bytes"
		fi
		[ -f "$CG/memory.swappiness" ] && echo 0 > "$CG/memory.swappiness"
		[ -f "$CG/memory.oom_control" ] && echo 0 > "$CG/memory.oom_control" 2>/dev/null
	else
		echo 64M > "$CG/memory.max" 2>/dev/null || skip_all "cannot set $CG/memory.max"
		[ -f "$CG/memory.swap.max" ] && echo 0 > "$CG/memory.swap.max"
	fi
	echo "$LIVE_NAME: cgroup v$CG_VER $CG, limit 64 MiB" >&2
}
