#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# tests/vm/guest-init.sh - /init of the test guest (tests/vm/test_kernel61.sh):
# mounts what memrec needs, runs memrec on the ground-truth programs and
# prints the runner's lines (ok / not ok / skip) on the console (ttyS0). The
# reports, logs, format files and feature probes go to the host as a
# base64 tar on the second serial port (ttyS1), between BEGIN and END lines;
# the host checks the reports' exact values with tests/live/check_report.py.
# Then it powers the guest off. Every step is bounded by `timeout`.
#
# Layout (made by tests/vm/mkinitramfs.sh): memrec and its libraries at
# their host paths, the tree's memrec and tests/progs under /memrec, busybox
# for the tools, dash as /bin/sh (the targets' shell, as on the host).
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /out /bin /sbin
/bin/busybox --install -s /bin 2>/dev/null
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmp /tmp
# the OOM killer's and other kernel messages stay off the console
dmesg -n 1

M=/memrec/memrec
P=/memrec/tests/progs
T=kernel61
ok()   { echo "ok - $T/$1"; }
fail() { echo "not ok - $T/$1: $2"; }
skip() { echo "skip - $T/$1: $2"; }
# feature NAME VALUE: one fact measured on this kernel, for the host's log
feature() { echo "$1: $2" >> /out/features; echo "# feature $1: $2"; }

# run NAME SECS CMD...: CMD with stdout/stderr in /out/NAME.out/.err, SIGINT
# after SECS (SIGKILL 10 s later); ok/not ok on its status
run() {
	local name=$1 secs=$2 rc
	shift 2
	local t0=$(cut -d' ' -f1 /proc/uptime)
	timeout -k 10 -s INT "$secs" "$@" > "/out/$name.out" 2> "/out/$name.err"
	rc=$?
	echo "$rc" > "/out/$name.rc"
	echo "# $name: $(awk -v t0="$t0" '{ printf "%.1f", $1 - t0 }' /proc/uptime) s"
	if [ "$rc" -eq 0 ]; then
		ok "$name"
	else
		fail "$name" "exit status $rc: $(tail -n 2 "/out/$name.err" | tr '\n' ' ')"
	fi
	return "$rc"
}

# wait_line FILE REGEX SECS: until FILE has a line matching REGEX
wait_line() {
	local n=$(($3 * 10))
	while [ $n -gt 0 ] && ! grep -qE "$2" "$1" 2>/dev/null; do
		sleep 0.1
		n=$((n - 1))
	done
}

# stop_rec PID: SIGINT to a background memrec record, SIGKILL after 60 s;
# its exit status (137 when it had to be killed)
stop_rec() {
	local n=600
	kill -INT "$1" 2>/dev/null
	while [ $n -gt 0 ] && kill -0 "$1" 2>/dev/null; do
		# a zombie is done: only wait reaps it
		grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null && break
		sleep 0.1
		n=$((n - 1))
	done
	if [ $n -eq 0 ]; then
		echo "# memrec record (pid $1) still running 60 s after SIGINT: SIGKILL"
		kill -KILL "$1" 2>/dev/null
	fi
	wait "$1"
}

# no_state NAME DIR: ok when no memrec state is left in tracefs DIR; memrec
# returns before its teardown (a detached memrec-teardown) ends: up to 30 s
no_state() {
	local n=300
	while [ -n "$(state "$2")" ] && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	if [ -z "$(state "$2")" ]; then
		ok "$1"
	else
		fail "$1" "after 30 s: $(state "$2" | cut -c1-60 | head -n3 | tr '\n' ' ')"
	fi
}

# state: memrec's instances and probes left in tracefs $1
state() {
	{ ls "$1/instances" 2>/dev/null; grep memrec "$1/uprobe_events" 2>/dev/null; } | grep memrec
}

echo "# guest up: $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { print $2 }' /proc/meminfo) kB"
feature kernel "$(uname -r)"

# ------------------------------------------------------------ tracefs
TR=/sys/kernel/tracing
if mount -t tracefs nodev $TR; then
	ok "mount tracefs"
else
	fail "mount tracefs" "mount -t tracefs nodev $TR failed"
fi

# ------------------------------------------------------------ features
# What this kernel has of what memrec uses (the README's compatibility table)
yn() { if [ -e "$1" ]; then echo yes; else echo no; fi; }
feature instances "$(yn $TR/instances)"
feature uprobe_events "$(yn $TR/uprobe_events)"
feature uprobe_pmu_type "$(cat /sys/bus/event_source/devices/uprobe/type 2>/dev/null || echo none)"
feature uprobe_pmu_retprobe "$(cat /sys/bus/event_source/devices/uprobe/format/retprobe 2>/dev/null || echo none)"
feature perf_event_max_stack "$(cat /proc/sys/kernel/perf_event_max_stack 2>/dev/null || echo none)"
feature perf_event_paranoid "$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo none)"
feature options_userstacktrace "$(yn $TR/options/userstacktrace)"
feature options_event_fork "$(yn $TR/options/event-fork)"
feature set_event_pid "$(yn $TR/set_event_pid)"
feature buffer_percent "$(yn $TR/buffer_percent)"
feature buffer_subbuf_size_kb "$(yn $TR/buffer_subbuf_size_kb)"
feature do_rcu_barrier "$(yn /sys/module/rcutree/parameters/do_rcu_barrier)"
feature triggers "$(cat $TR/events/kmem/kmalloc/trigger 2>/dev/null | sed -n 's/^# Available triggers://p; /^# *traceon/p' | tr -s ' ' | tr '\n' ' ')"
mkdir -p /out/formats
for ev in kmem/kmalloc kmem/kmem_cache_alloc kmem/kfree kmem/kmem_cache_free \
	kmem/mm_page_alloc kmem/mm_page_free kmem/mm_page_free_batched kmem/mm_page_alloc_extfrag \
	kmem/rss_stat oom/mark_victim oom/wake_reaper oom/start_task_reaping \
	oom/finish_task_reaping oom/skip_task_reaping oom/reclaim_retry_zone oom/compact_retry \
	vmscan/mm_vmscan_direct_reclaim_begin vmscan/mm_vmscan_direct_reclaim_end \
	vmscan/mm_vmscan_memcg_reclaim_begin vmscan/mm_vmscan_memcg_reclaim_end \
	vmscan/mm_vmscan_kswapd_wake vmscan/mm_vmscan_kswapd_sleep \
	compaction/mm_compaction_try_to_compact_pages compaction/mm_compaction_begin \
	compaction/mm_compaction_end signal/signal_generate sched/sched_process_exec \
	sched/sched_process_exit task/task_newtask mmap/exit_mmap ftrace/user_stack \
	ftrace/kernel_stack vmalloc/alloc_vmap_area vmalloc/free_vmap_area_noflush \
	vmalloc/purge_vmap_area_lazy percpu/percpu_alloc_percpu percpu/percpu_free_percpu \
	syscalls/sys_enter_mmap syscalls/sys_enter_munmap syscalls/sys_enter_mremap \
	syscalls/sys_enter_brk; do
	if [ -f "$TR/events/$ev/format" ]; then
		cp "$TR/events/$ev/format" "/out/formats/$(echo "$ev" | tr / :)"
		feature "event $ev" yes
	else
		feature "event $ev" no
	fi
done
cp $TR/events/header_page /out/formats/header_page 2>/dev/null

# ------------------------------------------------------------ 1. user leaks
# leak_fib: 177 blocks, 4328 bytes from alloc_fib_node (tests/progs/leak_fib.c)
if run leak-record 120 $M record -o /tmp/leak.dat -- $P/leak_fib; then
	grep -q '^fib 55$' /out/leak-record.out && ok "leak target ran" ||
		fail "leak target ran" "no 'fib 55' in its output"
	run leak-report 120 $M report -i /tmp/leak.dat --format json
	run leak-report-text 120 $M report -i /tmp/leak.dat -t 5
fi
no_state "leak no state left" $TR

# ------------------------------------------------------------ stacks
# deep_leak: one leak under a 41-call recursion (tests/progs/deep_leak.c):
# perf call chains on the uprobes (the default), ftrace's 8-frame user stacks
# (--uprobes=ftrace), and the copied user stack unwound with the CFI
# (--call-graph dwarf: PERF_SAMPLE_REGS_USER and STACK_USER) of its build
# without frame pointers
run perf-record 120 $M record -e user -o /tmp/perf.dat -- $P/deep_leak &&
	run perf-report 120 $M report -i /tmp/perf.dat --format json
run ftrace-record 120 $M record -e user --uprobes=ftrace -o /tmp/ftrace.dat -- $P/deep_leak &&
	run ftrace-report 120 $M report -i /tmp/ftrace.dat --format json
run dwarf-record 120 $M record -e user --call-graph dwarf -o /tmp/dwarf.dat -- \
	$P/deep_leak_nofp && run dwarf-report 120 $M report -i /tmp/dwarf.dat --format json
no_state "stacks no state left" $TR
rm -f /tmp/perf.dat /tmp/ftrace.dat /tmp/dwarf.dat

# ------------------------------------------------------------ 2. kernel
# fd_hold holds 500 pipes, 500 files and 500 UDP sockets (tests/progs/fd_hold.c)
# until a line comes on its stdin: the recording is stopped (SIGINT) once it
# says "held", however slow the guest is, then the line is sent
mkdir -p /tmp/files
mkfifo /tmp/go
$M record -e kernel -o /tmp/fd.dat -- sh -c "cat /tmp/go | $P/fd_hold /tmp/files" \
	> /out/kernel-record.out 2> /out/kernel-record.err &
rec=$!
wait_line /out/kernel-record.out '^held' 240
stop_rec $rec
rc=$?
timeout 10 sh -c 'echo > /tmp/go'
wait
if [ $rc -eq 0 ] && grep -q '^held 2000$' /out/kernel-record.out; then
	ok "kernel-record"
	run kernel-report 120 $M report -i /tmp/fd.dat -f json -t 0
	run kernel-report-text 120 $M report -i /tmp/fd.dat -t 5
else
	fail "kernel-record" "exit status $rc, fd_hold said '$(cat /out/kernel-record.out)':" \
		"$(tail -n 2 /out/kernel-record.err | tr '\n' ' ')"
fi
no_state "kernel no state left" $TR
rm -rf /tmp/files /tmp/fd.dat /tmp/go

# -a: the whole host, kernel stacks from stacktrace triggers
mkdir -p /tmp/files
mkfifo /tmp/go
$M record -a -e kernel -o /tmp/all.dat > /out/all-record.out 2> /out/all-record.err &
rec=$!
wait_line /out/all-record.err '^memrec: recording' 60
cat /tmp/go | $P/fd_hold /tmp/files > /out/all-hold.out &
echo $! > /out/all-hold.pid
wait_line /out/all-hold.out '^held' 240
stop_rec $rec
rc=$?
timeout 10 sh -c 'echo > /tmp/go'
kill -KILL "$(cat /out/all-hold.pid)" 2>/dev/null
wait
if [ $rc -eq 0 ] && grep -q '^held 2000$' /out/all-hold.out; then
	ok "all-record"
	run all-report 120 $M report -i /tmp/all.dat -f json -t 0 -p "$(cat /out/all-hold.pid)"
else
	fail "all-record" "exit status $rc, fd_hold said '$(cat /out/all-hold.out)':" \
		"$(tail -n 2 /out/all-record.err | tr '\n' ' ')"
fi
no_state "-a no state left" $TR
rm -rf /tmp/files /tmp/all.dat /tmp/go

# ------------------------------------------------------------ 3. OOM in a memcg
CG=/sys/fs/cgroup
mkdir -p $CG
if mount -t cgroup2 none $CG && echo +memory > $CG/cgroup.subtree_control &&
	mkdir $CG/hog && echo 64M > $CG/hog/memory.max; then
	[ -f $CG/hog/memory.swap.max ] && echo 0 > $CG/hog/memory.swap.max
	ok "cgroup2 memory.max 64M"
	feature cgroup2_memory yes
	# the sh enters the cgroup, says its pid and becomes the hog (same pid)
	run oom-record 120 $M record -o /tmp/oom.dat -- sh -c \
		'echo $$ > "$1" && echo "hog pid $$" && exec "$2" 256 20' \
		sh $CG/hog/cgroup.procs $P/hog
	awk '$1 == "oom_kill" { print $2 }' $CG/hog/memory.events > /out/oom-kills
	[ "$(cat /out/oom-kills)" = 1 ] && ok "oom cgroup's oom_kill is 1" ||
		fail "oom cgroup's oom_kill is 1" "memory.events oom_kill: $(cat /out/oom-kills)"
	run oom-report 120 $M report oom -i /tmp/oom.dat --format json
	run oom-report-text 120 $M report oom -i /tmp/oom.dat
	run oom-leak-report 120 $M report -i /tmp/oom.dat --format json -t 5
	run oom-frag-report 120 $M report frag -i /tmp/oom.dat --format json
	rmdir $CG/hog || fail "oom cgroup removed" "rmdir $CG/hog failed"
else
	fail "cgroup2 memory.max 64M" "cannot mount cgroup2 with a memory child at $CG"
fi
no_state "oom no state left" $TR
rm -f /tmp/oom.dat

# ------------------------------------------------------------ 4. debugfs only
# tracefs unmounted, debugfs mounted: the kernel automounts tracefs at
# /sys/kernel/debug/tracing, and memrec must find it there
umount $TR
mount -t debugfs nodev /sys/kernel/debug
# the automount happens at the first look into it
ls /sys/kernel/debug/tracing/uprobe_events > /dev/null 2>&1
awk '$3 == "tracefs" { print $2 }' /proc/mounts > /out/debugfs-mounts-before
if [ "$(cat /out/debugfs-mounts-before)" = /sys/kernel/debug/tracing ]; then
	ok "debugfs only: the one tracefs is /sys/kernel/debug/tracing"
	run debugfs-record 120 $M record -e user -o /tmp/dbg.dat -- $P/leak_fib &&
		run debugfs-report 120 $M report -i /tmp/dbg.dat --format json
	awk '$3 == "tracefs" { print $2 }' /proc/mounts > /out/debugfs-mounts-after
	[ "$(cat /out/debugfs-mounts-after)" = /sys/kernel/debug/tracing ] &&
		ok "debugfs only: memrec mounted nothing at $TR" ||
		fail "debugfs only: memrec mounted nothing at $TR" \
			"tracefs mounts: $(tr '\n' ' ' < /out/debugfs-mounts-after)"
	no_state "debugfs no state left" /sys/kernel/debug/tracing
else
	fail "debugfs only: the one tracefs is /sys/kernel/debug/tracing" \
		"tracefs mounts: $(tr '\n' ' ' < /out/debugfs-mounts-before)"
fi

# ------------------------------------------------------------ golden file
# With memrec.golden=1 on the kernel command line (tests/golden/record.sh
# kernel61): the golden file of this kernel, from the tree's top directory as
# the host's are, sent back with the rest
if grep -qw 'memrec.golden=1' /proc/cmdline; then
	mkdir -p /out/golden
	(cd /memrec && run golden-record 120 ./memrec record -o /out/golden/kernel61.dat -d 2 \
		-e user,kernel,page -- sh -c 'tests/progs/leak_fib; exec tests/progs/pipe_hold 20 20 4000')
fi

# ------------------------------------------------------------ results out
echo "# guest tests took $(cut -d' ' -f1 /proc/uptime) s since boot"
echo "# sending /out"
{
	echo "BEGIN memrec-vm-out"
	tar -C /out -cz . | base64
	echo "END memrec-vm-out"
} > /dev/ttyS1
echo "# guest done"
sync
poweroff -f
