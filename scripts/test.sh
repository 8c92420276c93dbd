#!/bin/sh
# scripts/test.sh - installs the dependencies, builds everything and runs
# every test (unit, golden and live). The live tests need root and tracefs
# and say SKIP loudly without them. Ends with "N passed, N failed, N skipped".
set -e
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; then
	scripts/install-deps.sh
fi
make -s all unit progs
exec tests/run.sh "$@"
