#!/usr/bin/env python3
"""craft.py - makes hostile trace files from the golden ones for the tests.

Walks a trace.dat v6 header as report/input/header.c does, so a test can
replace a part (an option's data, the header page, an event format) and get
a file whose cpu data offsets still point at the cpu data: the edit's size
difference is padded with newlines in the metadata option to a whole number
of pages, and the flyrecord table is moved by the same amount.

As a library: T = TraceDat(bytes); T.replace(...); T.save(path).
"""
import struct

META, ARCHIVE, CLOCK = 0x4D52, 0x4D53, 4


class TraceDat:
    def __init__(self, data):
        self.d = bytes(data)
        self.edits = {}         # start -> (start, end, new bytes), original offsets
        self.parts = {}         # name -> (start, end) of a blob's data
        self.opts = {}          # id -> (offset of the size field, data start, data end)
        self.formats = []       # (start, end) of every event format text
        self._walk()

    def _u(self, fmt, n):
        v = struct.unpack_from("<" + fmt, self.d, self.p)[0]
        self.p += n
        return v

    def _blob(self, lenfmt, n, name=None):
        size = self._u(lenfmt, n)
        start = self.p
        self.p += size
        if name:
            self.parts[name] = (start, self.p)
        return start, self.p

    def _walk(self):
        d = self.d
        self.p = 10
        self.p = d.index(b"\0", self.p) + 1 + 2         # version, endian, long size
        self.page = self._u("I", 4)
        self.p += 12
        self._blob("Q", 8, "header_page")
        self.p += 13
        self._blob("Q", 8, "header_event")
        for _ in range(self._u("I", 4)):
            self.formats.append(self._blob("Q", 8))
        for _ in range(self._u("I", 4)):
            self.p = d.index(b"\0", self.p) + 1
            for _ in range(self._u("I", 4)):
                self.formats.append(self._blob("Q", 8))
        self._blob("I", 4, "kallsyms")
        self._blob("I", 4, "printk")
        self._blob("Q", 8, "cmdlines")
        self.nr_cpus = self._u("I", 4)
        assert d[self.p:self.p + 10] == b"options  \0"
        self.p += 10
        while True:
            oid = self._u("H", 2)
            if not oid:
                break
            at = self.p
            start, end = self._blob("I", 4)
            self.opts.setdefault(oid, (at, start, end))
        assert d[self.p:self.p + 10] == b"flyrecord\0"
        self.fly = self.p + 10

    def _now(self, s, e):
        """d[s:e] as edited so far."""
        return self.edits[s][2] if s in self.edits else self.d[s:e]

    def part(self, name):
        return self._now(*self.parts[name])

    def option(self, oid):
        _, s, e = self.opts[oid]
        return self._now(s, e)

    def replace(self, start, end, new, size_at=None, size_fmt="Q"):
        """Replace d[start:end]; size_at is where its length prefix is."""
        self.edits[start] = (start, end, bytes(new))
        if size_at is not None:
            n = struct.calcsize(size_fmt)
            self.edits[size_at] = (size_at, size_at + n, struct.pack("<" + size_fmt, len(new)))

    def set_part(self, name, new):
        s, e = self.parts[name]
        fmt = {"kallsyms": "I", "printk": "I"}.get(name, "Q")
        self.replace(s, e, new, s - struct.calcsize(fmt), fmt)

    def set_format(self, i, new):
        s, e = self.formats[i]
        self.replace(s, e, new, s - 8, "Q")

    def set_option(self, oid, new):
        at, s, e = self.opts[oid]
        self.replace(s, e, new, at, "I")

    def _apply(self, edits):
        out, last = [], 0
        for s, e, new in sorted(edits):
            out.append(self.d[last:s])
            out.append(new)
            last = e
        out.append(self.d[last:])
        return b"".join(out)

    def build(self):
        delta = sum(len(n) - (e - s) for s, e, n in self.edits.values())
        pad = -delta % self.page
        if pad:     # newlines at the end of the metadata are empty lines
            self.set_option(META, self.option(META) + b"\n" * pad)
        delta = sum(len(n) - (e - s) for s, e, n in self.edits.values())
        out = bytearray(self._apply(self.edits.values()))
        fly = self.fly + delta          # the table moved with everything before it
        for i in range(self.nr_cpus):
            off, size = struct.unpack_from("<QQ", out, fly + 16 * i)
            if size:
                struct.pack_into("<Q", out, fly + 16 * i, off + delta)
        return bytes(out)

    def save(self, path):
        open(path, "wb").write(self.build())


def load(path):
    return TraceDat(open(path, "rb").read())


# The symbol archive option (include/mr_archive.h): "MRSY", u32 version, u32
# count, then per entry u16 kind, u16 build-id length, u16 path length, the
# build-id, the path, u64 size, u64 compressed size and the zstd frame.
def archive(entries):
    """The option's bytes from [kind, build-id, path, size, zstd frame] entries."""
    b = b"MRSY" + struct.pack("<II", 1, len(entries))
    for kind, bid, path, raw, z in entries:
        b += struct.pack("<HHH", kind, len(bid), len(path)) + bid + path
        b += struct.pack("<QQ", raw, len(z)) + z
    return b


def archive_entries(a):
    """archive()'s entries back from the option's bytes."""
    n, p, out = struct.unpack_from("<II", a, 4)[1], 12, []
    for _ in range(n):
        kind, lb, lp = struct.unpack_from("<HHH", a, p)
        p += 6
        bid, path = a[p:p + lb], a[p + lb:p + lb + lp]
        p += lb + lp
        raw, zl = struct.unpack_from("<QQ", a, p)
        p += 16
        out.append([kind, bid, path, raw, a[p:p + zl]])
        p += zl
    return out
