# The engine's own memory at large N without the emulators: synthetic listings of N objects (1% missing
# from the vault), sorted and diffed by the engine's own functions (the modules unpacked from its
# bundle). Used by npm run bench.
# Usage: python3 -I diff-bench.py <folder holding the ccb package> <N>
import json, sys, os, time, resource, tempfile
sys.path.insert(0, sys.argv[1])
from ccb import base, ledger, march, names, plan as planning, seal  # noqa: E402
from ccb.unreadable import Unreadable  # noqa: E402
n = int(sys.argv[2])
d = tempfile.mkdtemp()
t0 = time.time()
src, dst = os.path.join(d, "s.tsv"), os.path.join(d, "v.tsv")
with open(src, "w") as s, open(dst, "w") as v:
    for i in range(n):
        rel = "exports/d%d/part%d/object-%d.json" % (i % 20, i % 7, i)
        name = names.blob_name(rel)
        etag = "%032x" % i
        s.write(base.tsv(json.dumps(name), 1024, 1764086400, etag, json.dumps(rel), ""))
        if i % 100:
            # as the vault listing writes a sealed blob: its Content-MD5 and its content record
            record = {"format": 1, "etag": etag, "size": 1024, "mtime": 1764086400, "sse": "aws:kms",
                      "md5": "%032x" % (i * 7), "meta": 0, "engine": "0123456789abcdef"}
            v.write(base.tsv(json.dumps(name), 1024, 1764086400, record["md5"], etag, seal.encode_record(record)))
sizes = os.path.getsize(src) + os.path.getsize(dst)
t1 = time.time()
march.sort_file(src, d); march.sort_file(dst, d)
plan = {k: open(os.path.join(d, k), "w") for k in planning.PLAN_FILES}
sk = ledger.Ledger(os.path.join(d, "sk.gz"))
counts = planning.diff(march.rows(src), march.rows(dst), plan, sk, Unreadable(os.makedirs(os.path.join(d, "state")) or os.path.join(d, "state"), d), int(time.time()))
for f in plan.values(): f.close()
t2 = time.time()
print(json.dumps({"n": n, "listingBytes": sizes, "writeSeconds": round(t1 - t0, 1), "sortDiffSeconds": round(t2 - t1, 1),
  "engineMaxRssMiB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
  "sortMaxRssMiB": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1), "counts": counts}))
