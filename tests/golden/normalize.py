#!/usr/bin/env python3
"""Reduces a memrec JSON report (leak, oom or frag) to what does not depend
on the reading host: symbol names, modules and source lines of user frames
come from local files, so every stack (a list of frame objects, anywhere in
the report) becomes the list of its frames' addresses, once each (inlined
frames repeat an address and exist only where DWARF is found); the file name
is dropped. Every number is kept as it is."""
import json
import sys


def is_frame(o):
    return isinstance(o, dict) and "addr" in o and ("symbol" in o or "function" in o)


def walk(o):
    if isinstance(o, dict):
        return {k: walk(v) for k, v in o.items()}
    if isinstance(o, list):
        if o and all(is_frame(f) for f in o):
            return [f["addr"] for f in o if not f.get("inlined")]
        return [walk(v) for v in o]
    return o


r = json.load(sys.stdin)
r.pop("file", None)
json.dump(walk(r), sys.stdout, indent=1, sort_keys=True)
print()
