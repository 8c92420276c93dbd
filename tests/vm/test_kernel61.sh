#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_kernel61.sh - memrec on a second kernel: Debian 12's 6.1, booted in
# qemu-system-x86_64 under TCG (no KVM needed) with a small initramfs
# (tests/vm/mkinitramfs.sh: memrec, its libraries, the ground-truth
# programs, busybox) whose /init (tests/vm/guest-init.sh) records in the
# guest and reports there:
#   1. leak_fib (-e default): the test_leaks answer, 177 blocks, 4328 bytes
#      from alloc_fib_node's calloc line, nothing lost;
#   2. fd_hold (-e kernel): the test_kernel answer, per user function that
#      opened them, 1000 struct files from open_pipes and 500 each from
#      open_files and open_sockets, 500 dentries from each, 500 pipe and
#      socket inodes, the 500 sockets' own objects, all in fd_hold's pid;
#      the churned sockets and files not held; frees in other contexts paired;
#   3. hog in a cgroup2 memory cgroup with memory.max 64M: the test_oom
#      answer, one memcg OOM kill of the hog (pid, comm, anon RSS
#      30000..70000 kB), its anon RSS ramp, memcg reclaim stalls, and its
#      death in the trace; the leak report lists grow_heap's 1 MiB blocks;
#   4. debugfs only (tracefs unmounted): memrec finds the automounted
#      /sys/kernel/debug/tracing, mounts nothing, records leak_fib's answer;
# and leaves no tracing state in the guest. The guest prints its lines on
# its console (ttyS0) and sends its reports and the kernel's event formats
# on ttyS1; the exact values are checked here, with check_report.py.
# The reports' headers must say what 6.1's formats lack (kmem_cache_alloc
# without a cache name, sched_process_exit without group_dead).
#
# Needs root only to install what is missing (qemu-system-x86, busybox,
# cpio; scripts/install-deps.sh installs them and fetches the kernel into
# /var/cache/memrec/vm). Skips, loudly, only when qemu cannot be had.
# MEMREC_VM_GOLDEN=1 also records tests/golden/kernel61.dat's trace in the
# guest (tests/golden/record.sh kernel61 takes it from $OUT/guest/golden).
# VM_TIMEOUT (default 540 s: tests/run.sh stops a test at 600) bounds the
# guest; it takes about 80 s on an idle 2-core host, TCG being slow, and
# several times that when the host is busy.
. "$(dirname "$0")/../live/lib.sh"

T=kernel61
VM_TIMEOUT=${VM_TIMEOUT:-540}
SRC=$ROOT/tests/progs

for d in "$ROOT/tests/out/$LIVE_NAME".[0-9]*; do
	[ -d "$d" ] || continue
	kill -0 "${d##*.}" 2>/dev/null || rm -rf "$d"
done
mkdir -p "$OUT" || { fail "$T/out-dir" "cannot create $OUT"; exit 1; }

# apt_install PKG...: as root, what is missing (quietly); false otherwise
apt_install() {
	[ "$(id -u)" -eq 0 ] && command -v apt-get > /dev/null || return 1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
		> "$OUT/apt.log" 2>&1
}

QEMU=$(command -v qemu-system-x86_64)
if [ -z "$QEMU" ]; then
	apt_install qemu-system-x86 && QEMU=$(command -v qemu-system-x86_64)
	[ -n "$QEMU" ] ||
		skip_all "no qemu-system-x86_64 and it cannot be installed (apt-get install qemu-system-x86; log: $OUT/apt.log)"
fi
"$QEMU" -version > /dev/null 2>&1 || skip_all "$QEMU does not run"
{ command -v busybox > /dev/null && command -v cpio > /dev/null; } ||
	apt_install busybox-static cpio
for f in "$ROOT/memrec" "$SRC/leak_fib" "$SRC/fd_hold" "$SRC/hog" "$SRC/deep_leak" \
	"$SRC/deep_leak_nofp" "$SRC/pipe_hold"; do
	if [ ! -x "$f" ]; then
		fail "$T/binaries" "$f missing; run make all progs"
		live_finish
	fi
done
if ! KERNEL=$("$ROOT/tests/vm/fetch-kernel.sh" 2> "$OUT/fetch.err"); then
	fail "$T/kernel" "cannot get Debian's 6.1 kernel: $(tail -n1 "$OUT/fetch.err")"
	live_finish
fi
ok "$T/kernel $(basename "$KERNEL")"
# what the guest needs built in (no modules in the initramfs): uprobes,
# perf events with user registers and stacks, tracing, memcg, the console
config=$(dirname "$KERNEL")/config-${KERNEL##*/vmlinuz-}
missing=
for c in UPROBES UPROBE_EVENTS PERF_EVENTS HAVE_PERF_REGS HAVE_PERF_USER_STACK_DUMP TRACING \
	FTRACE DEBUG_FS CGROUPS MEMCG BLK_DEV_INITRD DEVTMPFS TMPFS SERIAL_8250_CONSOLE UNIX INET; do
	grep -qx "CONFIG_$c=y" "$config" 2>/dev/null || missing="$missing CONFIG_$c"
done
if [ -n "$missing" ]; then
	fail "$T/kernel-config" "not built in ($config):$missing"
	live_finish
fi
ok "$T/kernel-config: uprobe events, perf user regs and stacks, tracing, memcg built in"
if ! "$ROOT/tests/vm/mkinitramfs.sh" "$OUT/initramfs.cpio" 2> "$OUT/mkinitramfs.err"; then
	fail "$T/initramfs" "$(tail -n1 "$OUT/mkinitramfs.err")"
	live_finish
fi
ok "$T/initramfs ($(($(stat -c %s "$OUT/initramfs.cpio") / 1024)) KiB)"

# ---------------------------------------------------------------- the guest
con=$OUT/console.log
data=$OUT/data.log
start=$(date +%s)
timeout -k 10 "$VM_TIMEOUT" "$QEMU" -nodefaults -no-user-config -machine q35,accel=tcg \
	-cpu max -smp 2 -m 1024 -display none -no-reboot -monitor none \
	-kernel "$KERNEL" -initrd "$OUT/initramfs.cpio" \
	-append "console=ttyS0 rdinit=/init panic=-1 quiet loglevel=3${MEMREC_VM_GOLDEN:+ memrec.golden=1}" \
	-serial "file:$con" -serial "file:$data" > "$OUT/qemu.log" 2>&1
rc=$?
secs=$(($(date +%s) - start))
tr -d '\r' < "$con" > "$con.txt"
# the guest's own lines, as they are
grep -E '^(ok|not ok|skip) - ' "$con.txt"
grep -q '^not ok - ' "$con.txt" && LIVE_FAILED=1
grep '^# feature ' "$con.txt" | sed 's/^# feature /  /' >&2
if [ "$rc" -ne 0 ]; then
	fail "$T/guest" "qemu $(describe_rc "$rc") after $secs s (console: $con, qemu: $OUT/qemu.log); its last lines: $(grep -v '^# feature' "$con.txt" | tail -n3 | tr '\n' ' ')"
elif ! grep -q '^# guest done' "$con.txt"; then
	fail "$T/guest" "the guest did not finish (console: $con): $(tail -n3 "$con.txt" | tr '\n' ' ')"
else
	ok "$T/guest finished in $secs s"
fi

G=$OUT/guest
mkdir -p "$G"
if ! sed -n '/^BEGIN memrec-vm-out/,/^END memrec-vm-out/p' "$data" | tr -d '\r' |
	sed '1d;$d' | base64 -d 2> /dev/null | tar -xz -C "$G" 2> /dev/null ||
	[ ! -s "$G/features" ]; then
	fail "$T/guest-results" "no results from the guest on ttyS1 ($data)"
	live_finish
fi
ok "$T/guest-results"

# ---------------------------------------------------------------- checks
# 1. leak_fib: test_leaks.sh's answer
if [ -s "$G/leak-report.out" ]; then
	check "$T/leak_fib" "$G/leak-report.out" --eq lost_events.total 0 --eq failed_allocs 0 \
		--target-cmd tests/progs/leak_fib \
		--leak alloc_fib_node 177 4328 --fn calloc --sizes 8 88 --pid target \
		--module-suffix /tests/progs/leak_fib --file-suffix leak_fib.c \
		--line "$(src_line "$SRC/leak_fib.c" fib)" \
		--module-total /tests/progs/leak_fib 177 4328 --min allocs 177
else
	fail "$T/leak_fib" "no JSON report from the guest"
fi

# 2. fd_hold, kernel objects per user function; 3. the OOM kill; the headers
python3 "$ROOT/tests/vm/check_guest.py" "$G" "$T" "$SRC"
note_rc $?

# 4. debugfs only: test_debugfs.sh's answer
if [ -s "$G/debugfs-report.out" ]; then
	check "$T/debugfs" "$G/debugfs-report.out" --eq lost_events.total 0 \
		--leak alloc_fib_node 177 4328 --fn calloc --pid target \
		--line "$(src_line "$SRC/leak_fib.c" fib)"
else
	fail "$T/debugfs" "no JSON report from the guest"
fi
live_finish
