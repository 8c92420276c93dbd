#!/bin/bash
# test_fuzz.sh - damaged trace files (they come from other hosts) get a
# clean answer: exit 0, or exit 1 with one "memrec: error:" line; never a
# crash or a hang. Deterministic mutations of the golden file. No root needed.
set -u
cd "$(dirname "$0")/../.."
mkdir -p tests/out/fuzz
python3 - <<'PY'
import random, subprocess
data = open("tests/golden/leak_kinds.dat", "rb").read()
rng = random.Random(4242)
bad = []
for i in range(250):
    d = bytearray(data)
    for _ in range(rng.choice([1, 2, 4, 16, 64])):
        d[rng.randrange(len(d))] = rng.randrange(256)
    path = "tests/out/fuzz/m%d.dat" % i
    open(path, "wb").write(d)
    try:
        r = subprocess.run(["./memrec", "report", "-i", path, "--format", "json"],
                           capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        bad.append("%s: hang" % path)
        continue
    err = [l for l in r.stderr.decode(errors="replace").splitlines()
           if not l.startswith("memrec: warning:")]
    if r.returncode == 0:
        pass
    elif r.returncode != 1 or len(err) != 1 or not err[0].startswith("memrec: error:"):
        bad.append("%s: exit %d, stderr %r" % (path, r.returncode, err[:3]))
        continue
    import os
    os.unlink(path)
if bad:
    print("not ok - fuzz: %d of 250 damaged files misbehaved: %s" % (len(bad), "; ".join(bad[:3])))
else:
    print("ok - fuzz: 250 damaged copies of the golden file: clean exit or one error line")
PY
