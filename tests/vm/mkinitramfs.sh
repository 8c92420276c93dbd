#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/vm/mkinitramfs.sh OUT - the test guest's initramfs (an uncompressed
# newc cpio: the guest, under TCG, does not spend time inflating it) with
#   /init                 tests/vm/guest-init.sh
#   /bin/busybox          the host's busybox (busybox-static, or the dynamic
#                         one with its libraries): the guest's tools
#   /bin/sh               dash, the targets' shell as on the host
#   /memrec/memrec        this tree's memrec
#   /memrec/tests/progs/  the ground-truth programs the guest runs
# and every shared library they load (ldd), at its host path.
# Exits 1 with one line on stderr when something is missing.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:?usage: mkinitramfs.sh OUT}
PROGS="leak_fib fd_hold hog deep_leak deep_leak_nofp pipe_hold"

die() { echo "memrec: error: $*" >&2; exit 1; }

BUSYBOX=$(command -v busybox) || BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || die "no busybox (apt-get install busybox-static)"
DASH=$(command -v dash) || die "no dash"
command -v cpio > /dev/null || die "no cpio (apt-get install cpio)"
[ -x "$ROOT/memrec" ] || die "$ROOT/memrec missing; run make"
for p in $PROGS; do
	[ -x "$ROOT/tests/progs/$p" ] || die "tests/progs/$p missing; run make progs"
done

stage=$(mktemp -d "${OUT}.XXXXXX") || die "cannot make a staging directory next to $OUT"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,memrec/tests/progs,proc,sys,dev,tmp,etc}
install -m 0755 "$ROOT/tests/vm/guest-init.sh" "$stage/init"
cp "$BUSYBOX" "$stage/bin/busybox"
cp "$DASH" "$stage/bin/sh"
cp "$ROOT/memrec" "$stage/memrec/memrec"
for p in $PROGS; do
	cp "$ROOT/tests/progs/$p" "$stage/memrec/tests/progs/$p"
done
# libraries at the paths ldd names (the dynamic loader's own path too)
bins=("$ROOT/memrec" "$DASH" "$BUSYBOX")
for p in $PROGS; do bins+=("$ROOT/tests/progs/$p"); done
for lib in $(for b in "${bins[@]}"; do ldd "$b"; done 2>/dev/null |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && NF == 2 { print $1 }' |
		sort -u); do
	mkdir -p "$stage$(dirname "$lib")"
	cp -L "$lib" "$stage$lib" || die "cannot copy $lib"
done
echo "root:x:0:0:root:/:/bin/sh" > "$stage/etc/passwd"
echo "root:x:0:" > "$stage/etc/group"
(cd "$stage" && find . -print0 | cpio --quiet -o -0 -H newc -R 0:0) > "$OUT.tmp" ||
	die "cpio failed"
mv "$OUT.tmp" "$OUT"
