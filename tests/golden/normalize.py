#!/usr/bin/env python3
"""Reduces a memrec JSON report to what does not depend on the reading host:
symbol names, modules and source lines come from local files, so only the
addresses of frames are kept, once each (inlined frames repeat an address and
exist only where DWARF is found); the file name is dropped."""
import json
import sys

r = json.load(sys.stdin)
r.pop("file", None)
for leak in r.get("leaks", []):
    leak["stack"] = [f["addr"] for f in leak["stack"] if not f.get("inlined")]
json.dump(r, sys.stdout, indent=1, sort_keys=True)
print()
