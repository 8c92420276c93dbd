#!/bin/bash
# test_layout.sh - report/ stays one way: input -> model -> analysers (leak,
# oom, frag) -> output -> report.c. A folder may include only folders after
# it in that order; an analyser never includes a writer, the model never an
# analyser, and no two folders include each other. record/ and lib/ include
# nothing of the report. No root needed.
set -u
cd "$(dirname "$0")/../.."
python3 - <<'PY'
import glob, os, re, sys

order = ["report/input", "report/model", "report/leak", "report/oom", "report/frag",
         "report/output", "report"]
# what each folder may include besides itself (include/ and lib/ are below all)
allowed = {
    "report/input": set(),
    "report/model": {"report/input"},
    "report/leak": {"report/model", "report/input"},
    "report/oom": {"report/leak", "report/model", "report/input"},
    "report/frag": {"report/leak", "report/model", "report/input"},
    "report/output": {"report/frag", "report/oom", "report/leak", "report/model",
                      "report/input"},
    "report": set(order) - {"report"},
}

def folder(path):
    parts = path.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else "report"

bad = []
for f in sorted(glob.glob("report/**/*.[ch]", recursive=True)):
    src = folder(f)
    for inc in re.findall(r'#include "([^"]+)"', open(f).read()):
        if not os.path.exists("report/" + inc):
            continue
        dst = folder("report/" + inc)
        if dst != src and dst not in allowed.get(src, set()):
            bad.append(f"{f} includes {inc} ({src} -> {dst})")
# the recorder and lib/ never pull in the report's model (the symboliser above all)
report_only = {"mr_symbols.h", "mr_pairing.h", "mr_tasks.h", "mr_ranges.h"}
for f in sorted(glob.glob("record/*.[ch]") + glob.glob("lib/*.[ch]")):
    for inc in re.findall(r'#include "([^"]+)"', open(f).read()):
        if inc in report_only or os.path.exists("report/" + inc):
            bad.append(f"{f} includes {inc}, a header of the report")
if bad:
    print("not ok - layout: includes against the flow: " + "; ".join(bad))
    sys.exit(1)
print("ok - layout: report/ includes follow input -> model -> analysers -> output; "
      "record/ and lib/ include nothing of the report")
PY
