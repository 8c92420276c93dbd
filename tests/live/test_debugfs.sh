#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_debugfs.sh - hosts where tracefs is only reachable through debugfs
# (/sys/kernel/debug/tracing), and hosts where neither can be had.
#
# In a private mount namespace (the host's mounts are not touched):
#  1. every tracefs mount is unmounted and debugfs mounted, so the kernel's
#     automount at /sys/kernel/debug/tracing is the only tracefs: memrec
#     records leak_fib there with the same exact answer as on tracefs
#     (177 blocks, 4328 bytes from alloc_fib_node), mounts nothing at
#     /sys/kernel/tracing, and leaves no state in that tracefs;
#  2. tracefs and debugfs unmounted and /sys/kernel hidden under a read-only
#     empty tmpfs, so nothing can be mounted: one error line that says what
#     to mount, exit 1.
. "$(dirname "$0")/lib.sh"
live_init
command -v unshare >/dev/null || skip_all "no unshare (util-linux)"
SRC=$ROOT/tests/progs

# in_ns SCRIPT: runs bash SCRIPT in a private mount namespace.
in_ns() {
	unshare -m --propagation private bash -c "$1"
}

# --- 1. debugfs only
ns_out=$OUT/debugfs.ns
in_ns "
	for m in \$(awk '\$3 == \"tracefs\" { print \$2 }' /proc/mounts | sort -r); do
		umount -l \"\$m\" || exit 3
	done
	mountpoint -q /sys/kernel/debug || mount -t debugfs nodev /sys/kernel/debug || exit 4
	ls /sys/kernel/debug/tracing/uprobe_events >/dev/null || exit 5
	awk '\$3 == \"tracefs\" { print \$2 }' /proc/mounts > '$ns_out.before'
	'$MEMREC' record -o '$OUT/debugfs.dat' -- '$PROGS/leak_fib' > '$ns_out.out' 2> '$ns_out.err' &
	pid=\$!
	wait \$pid
	echo \$? > '$ns_out.rc'
	awk '\$3 == \"tracefs\" { print \$2 }' /proc/mounts > '$ns_out.after'
	# other recorders may run on this host: state of a recorder gone is left
	# behind, once its teardown (which may finish after it exits) had 20 s
	left() {
		for n in \$({ ls /sys/kernel/debug/tracing/instances; sed -n 's/^[pr][^:]*:\\([^/]*\\)\\/.*/\\1/p' \\
			/sys/kernel/debug/tracing/uprobe_events; } | grep '^memrec_[0-9]*\$' | sort -u); do
			kill -0 \${n#memrec_} 2>/dev/null || echo \$n
		done
	}
	for i in \$(seq 200); do [ -z \"\$(left)\" ] && break; sleep 0.1; done
	left > '$ns_out.left'
	exit 0
"
rc=$?
if [ $rc -ne 0 ]; then
	fail debugfs/namespace "could not set up a debugfs-only namespace (step $rc)"
else
	[ "$(cat "$ns_out.before")" = /sys/kernel/debug/tracing ] &&
		ok "debugfs/only-debugfs: the namespace's one tracefs is /sys/kernel/debug/tracing" ||
		fail debugfs/only-debugfs "tracefs mounts: $(tr '\n' ' ' < "$ns_out.before")"
	[ "$(cat "$ns_out.rc")" = 0 ] && ok "debugfs/record: exit 0" ||
		fail debugfs/record "exit $(cat "$ns_out.rc"): $(tail -n2 "$ns_out.err" | tr '\n' ' ')"
	[ "$(cat "$ns_out.after")" = /sys/kernel/debug/tracing ] &&
		ok "debugfs/no-mount: memrec mounted nothing at /sys/kernel/tracing" ||
		fail debugfs/no-mount "tracefs mounts after: $(tr '\n' ' ' < "$ns_out.after")"
	[ ! -s "$ns_out.left" ] &&
		ok "debugfs/no-state: no instance or uprobe of a recorder that is gone" ||
		fail debugfs/no-state "left: $(tr '\n' ' ' < "$ns_out.left")"
	if run_report debugfs/report "$OUT/debugfs.dat" "$OUT/debugfs.json"; then
		check debugfs "$OUT/debugfs.json" --eq lost_events.total 0 \
			--leak alloc_fib_node 177 4328 --fn calloc --pid target \
			--line "$(src_line "$SRC/leak_fib.c" fib)"
	fi
fi

# --- 2. neither tracefs nor debugfs, and nothing can be mounted
in_ns "
	for m in \$(awk '\$3 == \"tracefs\" || \$3 == \"debugfs\" { print \$2 }' /proc/mounts | sort -r); do
		umount -l \"\$m\" || exit 3
	done
	mount -t tmpfs -o ro,size=4k none /sys/kernel || exit 4
	'$MEMREC' record -o '$OUT/none.dat' -- '$PROGS/leak_fib' > '$OUT/none.out' 2> '$OUT/none.err'
	echo \$? > '$OUT/none.rc'
"
rc=$?
if [ $rc -ne 0 ]; then
	fail debugfs/none-namespace "could not hide tracefs and debugfs (step $rc)"
elif [ "$(cat "$OUT/none.rc")" = 1 ] && [ "$(wc -l < "$OUT/none.err")" -eq 1 ] &&
     grep -q "^memrec: error: .*mount -t tracefs nodev /sys/kernel/tracing" "$OUT/none.err" &&
     [ ! -e "$OUT/none.dat" ]; then
	ok "debugfs/none: one error line that says what to mount, exit 1, no file"
else
	fail debugfs/none "exit $(cat "$OUT/none.rc"): $(cat "$OUT/none.err")"
fi

assert_no_state debugfs/no-state-left
live_finish
