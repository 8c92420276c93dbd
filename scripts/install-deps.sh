#!/bin/sh
# Installs what memrec needs to build and test on Debian/Ubuntu.
set -e
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
	build-essential g++ pkg-config make \
	libtracefs-dev libtraceevent-dev libtracecmd-dev \
	libdw-dev libelf-dev libzstd-dev libunwind8 libprotobuf-c-dev protobuf-c-compiler zlib1g-dev \
	trace-cmd python3 jq golang-go \
	libjemalloc2 libgoogle-perftools4 libtcmalloc-minimal4 libmimalloc2.0 musl-tools \
	qemu-system-x86 cpio >/dev/null
# the VM test's guest tools: a busybox the host has (Debian's initramfs one),
# or the static one
command -v busybox >/dev/null ||
	$SUDO apt-get install -y -qq --no-install-recommends busybox-static >/dev/null
# tests/vm boots Debian 12's 6.1 kernel in qemu: its package, downloaded
# (not installed) into /var/cache/memrec/vm
$SUDO "$(dirname "$0")/../tests/vm/fetch-kernel.sh" >/dev/null ||
	echo "memrec: could not fetch the 6.1 kernel for tests/vm; test_kernel61 will fail" >&2
# tests/file/test_folded_speedscope.sh feeds the folded report to speedscope:
# npm (Debian's, unless a node with its own npm is there) installs the version
# pinned in tests/tools/package-lock.json into tests/tools/node_modules
command -v npm >/dev/null ||
	$SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null ||
	echo "memrec: could not install npm" >&2
npm ci --prefix "$(dirname "$0")/../tests/tools" --ignore-scripts --no-audit --no-fund \
	--loglevel=error >/dev/null ||
	echo "memrec: could not install speedscope into tests/tools; test_folded_speedscope will" \
		"skip (and fail under CI)" >&2
echo "memrec: dependencies installed"
