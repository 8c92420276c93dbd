#!/usr/bin/env python3
"""Reduces a memrec JSON report to what does not depend on the reading host:
symbol names, modules and source lines come from local files, so only the
addresses of frames are kept; the file name is dropped."""
import json
import sys

r = json.load(sys.stdin)
r.pop("file", None)
for leak in r.get("leaks", []):
    leak["stack"] = [f["addr"] for f in leak["stack"]]
json.dump(r, sys.stdout, indent=1, sort_keys=True)
print()
