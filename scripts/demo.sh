#!/bin/sh
# scripts/demo.sh - from a fresh Debian machine to a leak report: installs
# the dependencies, builds memrec, records the bundled example and reports.
# Run as root (memrec record needs tracefs and uprobes).
set -e
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
	echo "demo: memrec record needs root; run: sudo $0" >&2
	exit 1
fi
scripts/install-deps.sh
make -s
cc -O1 -g -fno-omit-frame-pointer -o examples/leaky_server examples/leaky_server.c -lpthread
./memrec record -o examples/leaky_server.dat -- examples/leaky_server
./memrec report -i examples/leaky_server.dat
