import errno
import json
import os
import types

from ccb import base, listing
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
                listings.source.errors = listing._Tail(listings.source.proc.stderr)
                raise BrokenPipeError(32, "Broken pipe")
        self.assertEqual(e.exception.errno, errno.ENOSPC)
        self.assertIn("sort of the source listing", str(e.exception))


class SortCompressorTest(TempDirTest):
    """sort's temporary runs go through zstd -1 (gzip where zstd is missing), and come back whole."""

    def shim(self, program, real):
        """A PATH folder whose `program` logs its arguments, then runs the real one."""
        bin_dir = os.path.join(self.dir, "bin")
        os.makedirs(bin_dir, exist_ok=True)
        path = os.path.join(bin_dir, program)
        with open(path, "w") as f:
            f.write('#!/bin/sh\necho "$ZSTD_CLEVEL $*" >> %s/%s.log\nexec %s "$@"\n' % (self.dir, program, real))
        os.chmod(path, 0o755)
        return bin_dir

    def sorted_with(self, path, rows):
        from unittest import mock

        names = ["k%07d" % ((i * 7919) % rows) for i in range(rows)]
        run_dir = os.path.join(self.dir, "run")
        os.makedirs(run_dir, exist_ok=True)
        # 1 MiB of sort memory: the listing is split into more runs than sort merges at once
        with mock.patch.dict(os.environ, {"PATH": path}), mock.patch.object(listing, "SORT_MEMORY", "1M"):
            stream = listing.SortedStream(run_dir, "source")
            for n in names:
                stream.write(base.tsv(json.dumps(n), 1, 1, "e", json.dumps(n), ""))
            stream.close_input()
            got = [json.loads(r[0]) for r in stream.rows()]
            stream.finish()
        self.assertEqual(got, sorted(names))
        self.assertEqual(os.listdir(run_dir), [])

    def test_temporary_runs_are_compressed_with_zstd_at_level_1_and_read_back_whole(self):
        import shutil

        bin_dir = self.shim("zstd", shutil.which("zstd"))
        self.sorted_with(bin_dir + ":" + os.environ["PATH"], 200000)
        with open(os.path.join(self.dir, "zstd.log")) as f:
            calls = f.read().splitlines()
        self.assertGreater(calls.count("1 "), 16)  # compressed runs, more than one merge takes
        self.assertIn("1 -d", calls)

    def test_gzip_where_zstd_is_not_installed(self):
        import shutil

        bin_dir = self.shim("gzip", shutil.which("gzip"))
        for tool in ("sort", "sh"):
            os.symlink(shutil.which(tool), os.path.join(bin_dir, tool))
        self.assertEqual(listing.sort_compressor(), ("zstd", {"ZSTD_CLEVEL": "1", "ZSTD_NBTHREADS": "1"}))
        from unittest import mock

        with mock.patch.dict(os.environ, {"PATH": bin_dir}):
            self.assertEqual(listing.sort_compressor(), ("gzip", {}))
        self.sorted_with(bin_dir, 100000)
        with open(os.path.join(self.dir, "gzip.log")) as f:
            calls = f.read().splitlines()
        self.assertIn(" -d", calls)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "zstd.log")))

    def test_a_full_disk_under_zstds_temporary_runs_is_a_full_disk(self):
        """zstd, not sort, is the writer that meets the full disk: its complaint still names it."""
        import hashlib
        import subprocess
        from unittest import mock

        tiny = os.path.join(self.dir, "tiny")
        os.makedirs(tiny)
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", tiny], capture_output=True)
        if mounted.returncode != 0:  # an unprivileged container; ListingsTest fakes the same complaint
            self.skipTest("cannot mount a tmpfs here: %s" % mounted.stderr.decode().strip())
        try:
            with mock.patch.object(listing, "SORT_MEMORY", "1M"):
                stream = listing.SortedStream(tiny, "vault")
                try:
                    for i in range(300000):
                        digest = hashlib.md5(b"%d" % i).hexdigest()
                        stream.write(base.tsv(json.dumps("k/" + digest), i, i, digest, "e", ""))
                except BrokenPipeError:
                    pass  # sort died under the writer
                stream.close_input()
                with self.assertRaises(OSError) as e:
                    list(stream.rows())
                    stream.finish()
            self.assertEqual(e.exception.errno, errno.ENOSPC)
            self.assertIn("sort of the vault listing", str(e.exception))
            self.assertIn("zstd", str(e.exception))
        finally:
            subprocess.run(["umount", "-l", tiny], check=True)

    def test_the_environment_cannot_change_the_compressors_settings(self):
        import shutil
        from unittest import mock

        bin_dir = self.shim("zstd", shutil.which("zstd"))
        with open(os.path.join(bin_dir, "zstd"), "w") as f:
            f.write('#!/bin/sh\necho "$ZSTD_CLEVEL $ZSTD_NBTHREADS ${GZIP-unset}" >> %s/zstd.log\nexec %s "$@"\n'
                    % (self.dir, shutil.which("zstd")))
        inherited = {"ZSTD_CLEVEL": "19", "ZSTD_NBTHREADS": "4", "GZIP": "-9"}
        with mock.patch.dict(os.environ, inherited):
            self.sorted_with(bin_dir + ":" + os.environ["PATH"], 100000)
        with open(os.path.join(self.dir, "zstd.log")) as f:
            calls = set(f.read().splitlines())
        self.assertEqual(calls, {"1 1 unset"})

    def test_however_much_the_compressors_complain_sort_never_stalls(self):
        """Sort's stderr is read as it comes: 2 KiB from each of dozens of compressor processes is
        more than a pipe holds, and would stop sort and the run with it if it were read at the end."""
        import shutil
        import signal

        bin_dir = self.shim("zstd", shutil.which("zstd"))
        with open(os.path.join(bin_dir, "zstd"), "w") as f:
            f.write("#!/bin/sh\nhead -c 2048 /dev/zero | tr '\\0' w >&2\nexec %s \"$@\"\n" % shutil.which("zstd"))

        def stalled(signum, frame):
            raise AssertionError("sort stalled writing to its stderr")

        previous = signal.signal(signal.SIGALRM, stalled)
        signal.alarm(120)
        try:
            self.sorted_with(bin_dir + ":" + os.environ["PATH"], 200000)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)

    def test_neither_installed_fails_the_run_saying_so(self):
        from unittest import mock

        with mock.patch.dict(os.environ, {"PATH": self.dir}):
            with self.assertRaises(RunFailed) as e:
                listing.sort_compressor()
        self.assertIn("neither zstd nor gzip", str(e.exception))


class CutShortTest(TempDirTest):
    """A sort that dies while it writes its output: rows() raises where the output stops, and
    never ends as if the listing were complete (the march would take the rest as missing)."""

    def stream_of(self, script):
        import subprocess

        stream = listing.SortedStream(self.dir, "vault")
        stream.kill()
        stream.proc = subprocess.Popen(["sh", "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE)
        stream.errors = listing._Tail(stream.proc.stderr)
        return stream

    def test_a_row_cut_short_is_never_yielded_and_the_failure_is_raised_there(self):
        stream = self.stream_of("printf 'a\\t1\\nb\\t2\\nc\\t'; echo \"sort: 'zstd' [-d] terminated abnormally\" >&2; exit 2")
        got = []
        with self.assertRaises(RunFailed) as e:
            for row in stream.rows():
                got.append(row)
        self.assertEqual(got, [["a", "1"], ["b", "2"]])
        self.assertIn("sorting the vault listing failed: sort: 'zstd' [-d] terminated abnormally", str(e.exception))
        with self.assertRaises(RunFailed):  # and finish() says the same again
            stream.finish()
        stream.kill()

    def test_a_sort_that_fails_after_whole_rows_raises_at_their_end(self):
        stream = self.stream_of("printf 'a\\t1\\n'; echo 'sort: read failed: No space left on device' >&2; exit 2")
        rows = stream.rows()
        self.assertEqual(next(rows), ["a", "1"])
        with self.assertRaises(OSError) as e:
            next(rows)
        self.assertEqual(e.exception.errno, errno.ENOSPC)
        stream.kill()

    def test_a_sort_that_succeeds_ends_its_rows_quietly(self):
        stream = self.stream_of("printf 'a\\t1\\nb\\t\\n'")
        self.assertEqual(list(stream.rows()), [["a", "1"], ["b", ""]])
        stream.finish()
        stream.kill()


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
