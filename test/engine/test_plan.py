import json
import os
import unittest

from ccb import plan
from ccb.ledger import Ledger

from helpers import TempDirTest, source_row, vault_row


class DiffTest(TempDirTest):
    def read(self, name):
        with open(os.path.join(self.dir, name), encoding="utf-8") as f:
            return f.read().splitlines()

    def diff(self, src, dst, unreadable=None, now=10**9):
        files = {k: open(os.path.join(self.dir, k), "w", encoding="utf-8") for k in plan.PLAN_FILES}
        store = plan.Unreadable(os.path.join(self.dir, "unreadable.jsonl"))
        store.entries.update(unreadable or {})
        with Ledger(os.path.join(self.dir, "skipped.gz")) as skipped:
            counts = plan.diff(self.write("s", sorted(src)), self.write("v", sorted(dst)), files, skipped, store, now)
        for f in files.values():
            f.close()
        out = {k: self.read(k) for k in plan.PLAN_FILES}
        return counts, out, skipped, store

    def test_copies_what_is_missing_or_holds_another_etag_whatever_its_size_and_time(self):
        counts, out, skipped, _ = self.diff(
            [source_row("same"), source_row("same-other-mtime", mtime=2000), source_row("new"),
             source_row("size", size=11), source_row("etag", etag="e2"), source_row("etag-same-second", etag="e2-3")],
            [vault_row("same"), vault_row("same-other-mtime"), vault_row("size"), vault_row("etag"),
             vault_row("etag-same-second", etag="e1-3"), vault_row("gone")])
        copied = sorted(json.loads(line.split("\t")[0]) for line in out["copy"])
        self.assertEqual(copied, ["etag", "etag-same-second", "new", "size"])
        self.assertEqual(sorted(out["archive"]), ["etag", "etag-same-second", "size"])
        self.assertEqual(out["delete"], ["gone"])
        self.assertEqual(out["adopt"], [])
        self.assertEqual((counts["unchanged"], counts["new"], counts["changed"], counts["vaultOnly"]), (2, 1, 3, 1))
        self.assertEqual(counts["bytesChanged"], 41)
        self.assertEqual(skipped.count, 0)

    def test_a_blob_without_a_record_is_adopted_when_size_and_time_agree_else_copied(self):
        counts, out, _, _ = self.diff(
            [source_row("legacy", etag="k" * 32), source_row("legacy-touched", mtime=1001),
             source_row("legacy-resized", size=12)],
            [vault_row("legacy", md5="f" * 32, etag=""), vault_row("legacy-touched", etag=""),
             vault_row("legacy-resized", etag="")])
        self.assertEqual(out["adopt"], ['"legacy"\t10\t1000\t%s\t%s' % ("k" * 32, "f" * 32)])
        self.assertEqual(sorted(json.loads(line.split("\t")[0]) for line in out["copy"]), ["legacy-resized", "legacy-touched"])
        self.assertEqual((counts["adopt"], counts["changed"], counts["unchanged"]), (1, 2, 0))

    def test_names_unstorable_keys_and_never_deletes_a_blob_it_did_not_name(self):
        counts, out, skipped, _ = self.diff(
            [source_row("cold", problem="storage class GLACIER: not copied")],
            [vault_row("cold", size=9), vault_row("odd\uff0fname")])
        self.assertEqual(out["copy"], [])
        self.assertEqual(out["delete"], [])
        self.assertEqual(counts["kept"], 1)
        self.assertEqual(skipped.first, [{"key": "cold", "reason": "storage class GLACIER: not copied"}])

    def test_defers_an_unreadable_object_for_a_day_unless_it_changed(self):
        known = {"key": "k", "size": 10, "mtime": 1000, "etag": "e1", "reason": "unreadable in S3: AccessDenied",
                 "lastTry": 10**9 - 60}
        counts, out, skipped, store = self.diff([source_row("k"), source_row("other")], [],
                                                unreadable={"k": dict(known), "vanished": dict(known, key="vanished")})
        self.assertEqual(counts["deferred"], 1)
        self.assertEqual([json.loads(x.split("\t")[0]) for x in out["copy"]], ["other"])
        self.assertIn("last tried", skipped.first[0]["reason"])
        self.assertEqual(sorted(store.entries), ["k"])  # gone from the source: forgotten
        counts, out, _, store = self.diff([source_row("k", size=12)], [], unreadable={"k": dict(known)})
        self.assertEqual(counts["new"], 1)
        self.assertEqual(store.entries, {})
        counts, _, _, _ = self.diff([source_row("k")], [], unreadable={"k": dict(known)}, now=10**9 + 86400)
        self.assertEqual((counts["new"], counts["deferred"]), (1, 0))

    def test_unreadable_store_round_trips_and_skips_damaged_lines(self):
        path = os.path.join(self.dir, "u.jsonl")
        with open(path, "w") as f:
            f.write('{"key": "a", "size": 1}\nnot json\n{"nokey": 1}\n')
        store = plan.Unreadable(path)
        self.assertEqual(list(store.entries), ["a"])
        store.entries["b"] = {"key": "b"}
        store.save()
        self.assertEqual(sorted(plan.Unreadable(path).entries), ["a", "b"])


class ConflictFreeTest(unittest.TestCase):
    def test_never_puts_a_name_and_its_folder_in_one_batch(self):
        groups = list(plan.conflict_free(["a", "a/b", "c", "c/d/e", "x"]))
        self.assertEqual(groups, [["a"], ["a/b", "c"], ["c/d/e", "x"]])
        groups = list(plan.conflict_free(["p/q", "p"]))
        self.assertEqual(groups, [["p/q"], ["p"]])

    def test_batches_hold_at_most_batch_size_names(self):
        groups = list(plan.conflict_free(["k%d" % i for i in range(plan.BATCH_SIZE * 2 + 1)]))
        self.assertEqual([len(g) for g in groups], [plan.BATCH_SIZE, plan.BATCH_SIZE, 1])


if __name__ == "__main__":
    unittest.main()
