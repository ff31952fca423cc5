import json
import os
import unittest

import shutil

from ccb import names, plan
from ccb.ledger import Ledger
from ccb.march import rows
from ccb.unreadable import Known, Unreadable

from helpers import TempDirTest, source_row, vault_row


class DiffTest(TempDirTest):
    def read(self, name):
        with open(os.path.join(self.dir, name), encoding="utf-8") as f:
            return f.read().splitlines()

    def diff(self, src, dst, unreadable=None, now=10**9):
        files = {k: open(os.path.join(self.dir, k), "w", encoding="utf-8") for k in plan.PLAN_FILES}
        state, run = os.path.join(self.dir, "state"), os.path.join(self.dir, "run")
        for d in (state, run):
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
        store = Unreadable(state, run)
        for e in sorted((unreadable or {}).values(), key=lambda e: json.dumps(names.blob_name(e["key"]))):
            store.keep(e)
        store.planned = True
        store.save()
        store = Unreadable(state, run)
        with Ledger(os.path.join(self.dir, "skipped.gz")) as skipped:
            counts = plan.diff(rows(self.write("s", sorted(src))), rows(self.write("v", sorted(dst))), files, skipped,
                               store, now)
        store.planned = True  # as the backup does once both sorts are known complete
        for f in files.values():
            f.close()
        out = {k: self.read(k) for k in plan.PLAN_FILES}
        store.save()
        saved = Known(os.path.join(state, "unreadable.tsv"))
        keys = []
        while saved.current is not None:
            keys.append(json.loads(saved.current[1]))
            saved.current = next(saved.rows, None)
        return counts, out, skipped, keys

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
        self.assertEqual(store, ["k"])  # gone from the source: forgotten
        counts, out, _, store = self.diff([source_row("k", size=12)], [], unreadable={"k": dict(known)})
        self.assertEqual(counts["new"], 1)
        self.assertEqual(store, [])
        counts, _, _, _ = self.diff([source_row("k")], [], unreadable={"k": dict(known)}, now=10**9 + 86400)
        self.assertEqual((counts["new"], counts["deferred"]), (1, 0))

    def test_unreadable_set_is_sorted_merged_and_kept_only_by_a_run_that_planned(self):
        state, run = os.path.join(self.dir, "state"), os.path.join(self.dir, "run")
        os.makedirs(state)
        os.makedirs(run)
        store = Unreadable(state, run)
        for k in ("b", "a", "c"):
            store.refuse(k, 1, 2, "e", 3, "unreadable in S3: AccessDenied")
        store.save()  # it did not plan: nothing is written
        self.assertFalse(os.path.exists(os.path.join(state, "unreadable.tsv")))
        store = Unreadable(state, run)
        store.planned = True
        for k in ("b", "a", "c"):
            store.refuse(k, 1, 2, "e", 3, "unreadable in S3: AccessDenied")
        store.save()
        with open(os.path.join(state, "unreadable.tsv"), "a", encoding="utf-8") as f:
            f.write("damaged\trow\n")
        known = Known(os.path.join(state, "unreadable.tsv"))
        self.assertIsNone(known.find(json.dumps("0")))
        self.assertEqual(known.find(json.dumps("b")), {"key": "b", "size": 1, "mtime": 2, "etag": "e", "lastTry": 3,
                                                       "reason": "unreadable in S3: AccessDenied"})
        self.assertIsNone(known.find(json.dumps("bb")))
        self.assertEqual(known.find(json.dumps("c"))["key"], "c")
        self.assertIsNone(known.find(json.dumps("d")))
        # everything refused: this run's refusals are dropped (tried again next run)
        store = Unreadable(state, run)
        store.planned = True
        store.refuse("x", 1, 2, "e", 3, "r")
        store.forget_refused()
        store.save()
        self.assertIsNone(Known(os.path.join(state, "unreadable.tsv")).find(json.dumps("x")))


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
