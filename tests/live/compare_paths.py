#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""compare_paths.py A.json B.json --name NAME: the user-heap leak reports of
two recordings of the same program (the uprobe path and --preload) must be
the same: the same sites with the same allocator, bytes, blocks, sizes and
frames (function, offset, module, file, line, inlined), and the same totals.
Addresses and pids differ between runs (ASLR, new processes): a pid is
named by its command and whether it is a target. Prints ok/not ok lines."""
import json
import sys


def site_key(leak, targets):
    role = 'target' if leak.get('pid') in targets else 'child'
    frames = tuple((f.get('function'), f.get('offset') if f.get('function') else None,
                    f.get('module'), f.get('file'), f.get('line'), f.get('inlined'))
                   for f in leak.get('stack', []))
    return (role, leak.get('comm'), leak.get('alloc_fn'), frames)


def sites(doc):
    targets = {t['pid'] for t in doc.get('targets', [])}
    out = {}
    for leak in doc.get('leaks', []):
        if leak.get('side', 'user') != 'user':
            continue
        k = site_key(leak, targets)
        v = out.setdefault(k, [0, 0, None, None, leak.get('inherited')])
        v[0] += leak['bytes']
        v[1] += leak['count']
        v[2] = leak['size_min'] if v[2] is None else min(v[2], leak['size_min'])
        v[3] = leak['size_max'] if v[3] is None else max(v[3], leak['size_max'])
    return out


def show(k):
    return '%s %s %s: %s' % (k[0], k[1], k[2], ' <- '.join(
        '%s+%s' % (f[0], f[1]) if f[0] else str(f[2]) for f in k[3][:4]))


def main():
    a_path, b_path = sys.argv[1], sys.argv[2]
    name = sys.argv[sys.argv.index('--name') + 1] if '--name' in sys.argv else 'compare'
    with open(a_path) as f:
        a = json.load(f)
    with open(b_path) as f:
        b = json.load(f)
    bad = 0
    for key in ('bytes', 'count', 'sites'):
        va, vb = a['totals'].get(key), b['totals'].get(key)
        if va == vb:
            print('ok - %s/totals-%s' % (name, key))
        else:
            print('not ok - %s/totals-%s: uprobes %s, preload %s' % (name, key, va, vb))
            bad = 1
    for side, doc in (('uprobes', a), ('preload', b)):
        lost = doc['lost_events']['total']
        if lost:
            print('not ok - %s/%s-lost: %d events lost' % (name, side, lost))
            bad = 1
    sa, sb = sites(a), sites(b)
    missing = [k for k in sa if k not in sb]
    extra = [k for k in sb if k not in sa]
    differ = [k for k in sa if k in sb and sa[k] != sb[k]]
    if not missing and not extra and not differ:
        print('ok - %s/same-sites (%d)' % (name, len(sa)))
    else:
        bad = 1
        why = []
        why += ['only uprobes: %s %s' % (show(k), sa[k][:2]) for k in missing[:3]]
        why += ['only preload: %s %s' % (show(k), sb[k][:2]) for k in extra[:3]]
        why += ['differ: %s %s vs %s' % (show(k), sa[k], sb[k]) for k in differ[:3]]
        print('not ok - %s/same-sites: %s' % (name, '; '.join(why)))
    return bad


if __name__ == '__main__':
    sys.exit(main())
