#!/usr/bin/env python3
"""make.py - writes the crafted trace files of this corpus from the golden
ones (tests/file/craft.py) and the one error line each must give:
NAME.dat and NAME.expected, where FILE stands for the file's path. Each is
damage that crashed libtracecmd or libtraceevent, or that they read
silently wrong, before report/input/header.c checked for it. Run from the
top directory after changing craft.py or the golden files:
    python3 tests/file/corpus/make.py
tests/file/test_fuzz.sh runs every NAME.dat here and compares its error.
"""
import os, sys
sys.path.insert(0, "tests/file")
import craft

D = "tests/file/corpus"
G = "tests/golden/leak_kinds.dat"


def write(name, t, error):
    t.save(os.path.join(D, name + ".dat"))
    open(os.path.join(D, name + ".expected"), "w").write(
        "memrec: error: 'FILE' is corrupt (%s)\n" % error)


def fmt_index(t, needle):
    for i, (s, e) in enumerate(t.formats):
        if needle in t.d[s:e]:
            return i
    raise SystemExit("no event format holds %r" % needle)


def main():
    t = craft.load(G)
    t.set_option(craft.CLOCK, b"[]\0")
    write("clock-empty", t, "a trace clock without one [name] in the trace clock option")

    t = craft.load(G)
    t.set_part("header_page", b"\0" * len(t.part("header_page")))
    write("header-page-zero", t, "no timestamp, commit or data field in the header page")

    t = craft.load(G)
    i = fmt_index(t, b"char comm[16]")
    s, e = t.formats[i]
    t.set_format(i, t.d[s:e].replace(b"char comm[16]", b"char comm[-1]"))
    write("comm-minus-one", t, "an array length that is not a number in the event formats")

    t = craft.load(G)
    i = fmt_index(t, b"REC->comm")
    s, e = t.formats[i]
    txt = t.d[s:e]
    at = txt.index(b"REC->", txt.index(b"print fmt"))
    t.set_format(i, txt[:at] + b"1/0, " + txt[at:])
    write("print-div-zero", t, "a division by zero in the event formats")


main()
