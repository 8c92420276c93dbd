#!/usr/bin/env python3
"""The text form of normalize.py: reduces a memrec text report (leak, oom
or frag) to what does not depend on the reading host. A stack frame line
    #N  0xADDR function+0xoff (module) file:line
becomes "#N 0xADDR" (its symbol, module and source line come from local
files); inlined frames ("(inlined)", only where DWARF is found) are dropped
and the rest renumbered. The file name in the first line is replaced by
FILE. Everything else, every number included, is kept as it is."""
import re
import sys

FRAME = re.compile(r"^(\s+)#(\d+)\s+(0x[0-9a-f]+)(?:\s.*)?$")
n = 0
for i, line in enumerate(sys.stdin):
    line = line.rstrip("\n")
    if i == 0:
        line = re.sub(r"^(memrec report.* of )'.*'", r"\1FILE", line)
    m = FRAME.match(line)
    if not m:
        n = 0
        print(line)
        continue
    if " (inlined)" in line:
        continue
    print("%s#%d %s" % (m.group(1), n, m.group(3)))
    n += 1
