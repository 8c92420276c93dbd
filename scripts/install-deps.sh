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
	libdw-dev libelf-dev libzstd-dev libprotobuf-c-dev protobuf-c-compiler zlib1g-dev \
	trace-cmd python3 jq golang-go \
	libjemalloc2 libgoogle-perftools4 libtcmalloc-minimal4 libmimalloc2.0 musl-tools >/dev/null
echo "memrec: dependencies installed"
