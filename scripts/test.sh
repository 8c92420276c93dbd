#!/bin/sh
# scripts/test.sh - installs the dependencies, builds everything and runs
# every test (unit, checked-in files, live). The live tests need root and tracefs
# and say SKIP loudly without them. Ends with "N passed, N failed, N skipped".
set -e
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; then
	scripts/install-deps.sh
fi
# tests/live/test_oom_html.sh and tests/file/test_leak_html.sh render the HTML
# reports with headless Chromium (the leak page driven over the DevTools
# protocol with python3-websocket) and check screenshots' pixels with PIL;
# without them they say SKIP.
if [ "$(id -u)" = 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		chromium python3-pil python3-websocket >/dev/null ||
		echo "memrec: could not install chromium, python3-pil and python3-websocket; the" \
			"browser tests will skip" >&2
fi
make -s all unit progs asan
exec tests/run.sh "$@"
