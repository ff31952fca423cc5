import errno
import json
import os
import types

from ccb import base
from ccb.base import RunFailed
from ccb.listing import Listings

from helpers import TempDirTest


class FakeSource:
    def __init__(self, names, fail=None):
        self.names, self.fail = names, fail

    def list(self, out, skipped):
        for i, n in enumerate(self.names):
            if self.fail and i == len(self.names) // 2:
                raise self.fail
            out.write(base.tsv(json.dumps(n), 1, 1, "e", json.dumps(n), ""))
        return len(self.names), len(self.names), 0


class FakeVault:
    def __init__(self, names, fail=None):
        self.names, self.fail = names, fail
        self.reached = self.tried = False

    def list(self, out):
        for i, n in enumerate(self.names):
            if self.fail and i == len(self.names) // 2:
                raise self.fail
            out.write(base.tsv(json.dumps(n), 1, 1, "", "e", ""))
        self.reached = True
        return len(self.names)


class ListingsTest(TempDirTest):
    def ctx(self, source, vault):
        paths = types.SimpleNamespace(state_file=lambda name: os.path.join(self.dir, name))
        return types.SimpleNamespace(source=source, vault=vault, paths=paths)

    def names(self, n, seed):
        return ["k%07d" % ((i * seed) % n) for i in range(n)]

    def test_both_sides_come_back_sorted_and_complete(self):
        ctx = self.ctx(FakeSource(self.names(30000, 7919)), FakeVault(self.names(20000, 104729)))
        with Listings(ctx, self.dir, None) as listings:
            listings.run()
            src = [json.loads(r[0]) for r in listings.source_rows()]
            dst = [json.loads(r[0]) for r in listings.vault_rows()]
        self.assertEqual(src, sorted(self.names(30000, 7919)))
        self.assertEqual(dst, sorted(self.names(20000, 104729)))
        self.assertEqual((listings.sourceObjects, listings.vaultObjects), (30000, 20000))
        self.assertTrue(ctx.vault.reached and ctx.vault.tried)
        self.assertEqual([f for f in os.listdir(self.dir) if f.startswith("sort")], [])

    def test_a_vault_listing_that_fails_in_its_process_fails_the_run_with_its_reason(self):
        ctx = self.ctx(FakeSource(self.names(1000, 7)), FakeVault(self.names(1000, 7), RunFailed("AuthorizationFailure (HTTP 403)")))
        with self.assertRaises(RunFailed) as e, Listings(ctx, self.dir, None) as listings:
            listings.run()
        self.assertIn("AuthorizationFailure", str(e.exception))
        self.assertFalse(ctx.vault.reached)

    def test_a_full_disk_in_the_vault_process_is_a_full_disk(self):
        ctx = self.ctx(FakeSource(self.names(1000, 7)), FakeVault(self.names(1000, 7), OSError(errno.ENOSPC, "No space left")))
        with self.assertRaises(OSError) as e, Listings(ctx, self.dir, None) as listings:
            listings.run()
        self.assertEqual(e.exception.errno, errno.ENOSPC)

    def test_a_failing_source_stops_the_vault_listing(self):
        ctx = self.ctx(FakeSource(self.names(1000, 7), RunFailed("AccessDenied")), FakeVault(self.names(10 ** 6, 7)))
        with self.assertRaises(RunFailed), Listings(ctx, self.dir, None) as listings:
            listings.run()

    def test_a_sort_that_fails_is_never_taken_for_a_complete_listing(self):
        ctx = self.ctx(FakeSource(self.names(5000, 7)), FakeVault(self.names(5000, 7)))
        with self.assertRaises(RunFailed) as e:
            with Listings(ctx, self.dir, None) as listings:
                listings.run()
                rows = listings.source_rows()
                next(rows)
                listings.source.proc.kill()  # sort dies half-way through its output
                list(rows)
        self.assertIn("sorting the source listing failed", str(e.exception))

    def test_a_sort_that_died_of_a_full_disk_under_a_writer_is_reported_as_a_full_disk(self):
        import subprocess

        ctx = self.ctx(FakeSource([]), FakeVault([]))
        with self.assertRaises(OSError) as e:
            with Listings(ctx, self.dir, None) as listings:
                # What a sort that ran out of room leaves: its complaint, exit 2, a broken pipe.
                listings.source.kill()
                listings.source.proc = subprocess.Popen(
                    ["sh", "-c", "echo 'sort: write failed: /x/sortAb12: No space left on device' >&2; exit 2"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                raise BrokenPipeError(32, "Broken pipe")
        self.assertEqual(e.exception.errno, errno.ENOSPC)
        self.assertIn("sort of the source listing", str(e.exception))


class UniqueNamesTest(TempDirTest):
    def test_a_name_listed_twice_fails_the_march_before_it_can_look_deleted(self):
        from ccb.march import march

        src = iter([['"a"'], ['"b"']])
        dst = iter([['"a"'], ['"b"'], ['"b"']])
        gone = []
        with self.assertRaises(RunFailed) as e:
            march(src, dst, lambda s: None, gone.append, lambda s, d: None)
        self.assertIn('vault listing names "b" twice', str(e.exception))
        self.assertEqual(gone, [])


if __name__ == "__main__":
    import unittest

    unittest.main()
