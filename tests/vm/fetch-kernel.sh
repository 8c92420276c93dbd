#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# tests/vm/fetch-kernel.sh - puts Debian 12's 6.1 kernel (vmlinuz, config,
# System.map) in the VM tests' cache, from the newest
# linux-image-6.1.0-N-amd64-unsigned package apt knows: `apt-get download`
# and only its /boot extracted (the modules are not needed: the guest's
# drivers, tracefs, uprobes, perf and cgroup2 are built in). Nothing is
# installed into /boot.
#
# Prints the vmlinuz's path on stdout. A kernel already in the cache is used
# as it is (--update fetches the newest again).
# Cache: $MEMREC_VM_CACHE, default /var/cache/memrec/vm.
set -e
CACHE=${MEMREC_VM_CACHE:-/var/cache/memrec/vm}

cached() {
	ls -1 "$CACHE"/*/boot/vmlinuz-6.1.* 2>/dev/null | sort -V | tail -1
}

if [ "${1:-}" != --update ] && [ -n "$(cached)" ]; then
	cached
	exit 0
fi

pkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' 2>/dev/null |
	awk '{ print $1 }' | sort -V | tail -1)
if [ -z "$pkg" ]; then
	echo "memrec: error: apt knows no linux-image-6.1.0-*-amd64-unsigned package" \
		"(a Debian 12 source list and apt-get update are needed)" >&2
	exit 1
fi
mkdir -p "$CACHE"
tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# apt-get download as root warns that _apt cannot write here; harmless
if ! (cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>"$tmp/apt.err"); then
	echo "memrec: error: apt-get download $pkg failed: $(grep -v '^W:' "$tmp/apt.err" | head -1)" >&2
	exit 1
fi
ver=${pkg#linux-image-}
ver=${ver%-unsigned}
rm -rf "${CACHE:?}/$ver"
mkdir -p "$tmp/x"
dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp/x" ./boot
mv "$tmp/x" "$CACHE/$ver"
if [ ! -f "$CACHE/$ver/boot/vmlinuz-$ver" ]; then
	echo "memrec: error: $pkg has no boot/vmlinuz-$ver" >&2
	exit 1
fi
echo "$CACHE/$ver/boot/vmlinuz-$ver"
