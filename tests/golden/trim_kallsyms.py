#!/usr/bin/env python3
"""trim_kallsyms.py IN OUT - a copy of a memrec trace file (trace.dat v6,
little-endian, see docs/memrec-file.md) whose embedded /proc/kallsyms keeps
only the symbols the file's events can refer to, so that a golden file with
kernel events is ~2 MB instead of ~7 (kallsyms is 5+ MB).

Kept: every symbol that contains a kernel address found anywhere in the cpu
data (any 8 bytes at a 4-byte boundary, so stacks, call sites and false
positives alike) with its aliases at the same address, and the symbol after
it (libtraceevent ends a function at
the next symbol, so the offsets stay the same). The cut is padded with
newlines (tep_parse_kallsyms skips empty lines) to a multiple of the page
size, so the cpu data stays page-aligned; the cpu table's offsets move by
that much. Reports of IN and OUT must be identical: record.sh checks it."""
import bisect
import struct
import sys

src, dst = sys.argv[1], sys.argv[2]
d = open(src, "rb").read()
pos = 0


def take(n):
    global pos
    b = d[pos:pos + n]
    pos += n
    return b


def u(n):
    return int.from_bytes(take(n), "little")


def blob(width):
    take(u(width))


assert d[:10] == b"\x17\x08\x44tracing" and d[10:12] == b"6\0", "not a trace.dat v6 file"
pos = 12
assert u(1) == 0, "big-endian file"
long_size, page_size = u(1), u(4)
assert take(12) == b"header_page\0"
blob(8)
assert take(13) == b"header_event\0"
blob(8)
for _ in range(u(4)):
    blob(8)
for _ in range(u(4)):
    pos = d.index(b"\0", pos) + 1
    for _ in range(u(4)):
        blob(8)
ksym_at = pos
ksym_len = u(4)
ksyms = take(ksym_len).decode()
blob(4)                     # printk formats
blob(8)                     # saved cmdlines
nr_cpus = u(4)
if d[pos:pos + 7] == b"options":
    pos += 10
    while True:
        oid = u(2)
        if not oid:
            break
        blob(4)
assert take(10) == b"flyrecord\0"
table = pos
cpus = [struct.unpack_from("<QQ", d, table + 16 * i) for i in range(nr_cpus)]

syms = []
for line in ksyms.splitlines():
    f = line.split()
    if len(f) >= 3:
        syms.append((int(f[0], 16), line))
syms.sort(key=lambda s: s[0])
addrs = [s[0] for s in syms]
lo = min(a for a in addrs if a)
hi = max(addrs)
keep = set()
for off, size in cpus:
    for p in range(off, off + size - 7, 4):
        v = struct.unpack_from("<Q", d, p)[0]
        if lo <= v <= hi + 0x100000:
            i = bisect.bisect_right(addrs, v) - 1
            if i >= 0:
                # every alias at that address (libtraceevent picks among
                # them as in the whole file), and those of the next one
                j = bisect.bisect_left(addrs, addrs[i])
                keep.update(range(j, i + 1))
                if i + 1 < len(syms):
                    keep.update(range(i + 1, bisect.bisect_right(addrs, addrs[i + 1])))
new = "".join(syms[i][1] + "\n" for i in sorted(keep))
cut = ksym_len - len(new)
cut -= cut % page_size
assert cut > 0, "nothing to trim"
new = new + "\n" * (ksym_len - cut - len(new))
out = bytearray(d[:ksym_at]) + struct.pack("<I", len(new)) + new.encode() + d[ksym_at + 4 + ksym_len:]
t = table - cut
for i, (off, size) in enumerate(cpus):
    if size:
        struct.pack_into("<QQ", out, t + 16 * i, off - cut, size)
open(dst, "wb").write(out)
print("%s: kallsyms %d -> %d symbols, %d -> %d bytes" % (
    dst, len(syms), len(keep), len(d), len(out)), file=sys.stderr)
