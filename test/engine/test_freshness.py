import json
import os

from ccb import cli, freshness, runs, settings, telemetry
from ccb.results import RunSummary

from helpers import TempDirTest


class FreshnessTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.paths = settings.Paths(state=self.dir, config=self.dir)

    def summary(self, outcome="success", objects=100, size=1000):
        return RunSummary(runId="r", started="x", outcome=outcome, sourceObjects=objects, sourceBytes=size)

    def test_only_a_fresh_run_moves_the_age_and_every_run_reports_it(self):
        s = self.summary()
        freshness.record(self.paths, s, listed_at=1000, listed=True, now=1060)
        self.assertEqual((s.fresh, s.freshAsOf, s.backupAgeSeconds, s.sourceDropPercent),
                         (True, "1970-01-01T00:16:40Z", 60, 0.0))
        # A partial run (an unaccepted skip) and a failed one keep the age growing.
        for outcome, now in (("partial", 15460), ("failure", 29860)):
            s = self.summary(outcome)
            freshness.record(self.paths, s, listed_at=now - 60, listed=True, now=now)
            self.assertEqual((s.fresh, s.backupAgeSeconds), (False, now - 1000), outcome)
        # A run that never finished listing reports the age, but no drop (it saw no source).
        s = self.summary("failure", objects=0, size=0)
        freshness.record(self.paths, s, listed_at=None, listed=False, now=30000)
        self.assertEqual((s.fresh, s.backupAgeSeconds, s.sourceDropPercent), (False, 29000, None))
        self.assertEqual(freshness.expected_objects(self.paths), 100)

    def test_a_host_that_never_stored_everything_ages_from_its_first_run(self):
        s = self.summary("failure")
        freshness.record(self.paths, s, listed_at=500, listed=False, now=560)
        self.assertEqual((s.freshAsOf, s.backupAgeSeconds), (None, 60))
        s = self.summary("failure")
        freshness.record(self.paths, s, listed_at=None, listed=False, now=7760)
        self.assertEqual((s.freshAsOf, s.backupAgeSeconds), (None, 7260))

    def test_the_drop_is_the_larger_of_objects_and_bytes_against_the_last_fresh_run(self):
        freshness.record(self.paths, self.summary(objects=10_000_000, size=10**12), 0, True, 1)
        s = self.summary("partial", objects=10, size=10**12)
        freshness.record(self.paths, s, 2, True, 3)
        self.assertEqual(s.sourceDropPercent, 99.999)  # rounded down: not 100 while objects are left
        s = self.summary(objects=10_000_000, size=10**11)
        freshness.record(self.paths, s, 4, True, 5)
        self.assertEqual(s.sourceDropPercent, 90.0)  # bytes fell by 90%
        s = self.summary(objects=0, size=0)  # an empty source, against the last fresh run
        freshness.record(self.paths, s, 6, True, 7)
        self.assertEqual(s.sourceDropPercent, 100.0)
        s = self.summary(objects=5, size=5)  # measured against the empty listing: growth
        freshness.record(self.paths, s, 8, True, 9)
        self.assertEqual(s.sourceDropPercent, 0.0)

    def test_check_ages_count_from_their_last_report_or_the_first_run(self):
        state = freshness.record(self.paths, self.summary(), 1000, True, 1000)
        with open(os.path.join(self.dir, "last-integrity.json"), "w") as f:
            json.dump({"finished": "1970-01-01T01:00:00Z", "outcome": "failure"}, f)
        self.assertEqual(freshness.check_ages(self.paths, state, 7200), {"integrity": 3600, "drill": 6200})

    def test_metrics_heartbeat_is_freshness_and_the_age_is_always_published(self):
        s = self.summary("partial")
        s.backupAgeSeconds, s.sourceDropPercent, s.acceptedSkips = 50000, 12.5, 3
        m = {n: v for n, v, _ in telemetry.run_metrics(s, None, {"integrity": 5, "drill": 6})}
        self.assertEqual((m["Heartbeat"], m["RunPartial"], m["BackupAgeSeconds"], m["SourceDropPercent"]),
                         (0, 1, 50000, 12.5))
        self.assertEqual((m["AcceptedSkips"], m["IntegrityAgeSeconds"], m["DrillAgeSeconds"]), (3, 5, 6))
        self.assertNotIn("RunKilled", m)
        s.ending, s.sourceDropPercent = "killed", None
        m = {n: v for n, v, _ in telemetry.run_metrics(s)}
        self.assertEqual(m["RunKilled"], 1)
        self.assertNotIn("SourceDropPercent", m)


class AcceptedSkipTest(TempDirTest):
    def test_patterns_match_the_whole_key_and_star_crosses_folders(self):
        accept = cli.accepted_skip(("*/", "archived/*", "logs/2019-??.gz"))
        self.assertTrue(accept("photos/"))
        self.assertTrue(accept("a/b/c/"))
        self.assertTrue(accept("archived/x/y.bin"))
        self.assertTrue(accept("logs/2019-01.gz"))
        self.assertFalse(accept("photos/cat.jpg"))
        self.assertFalse(accept("Archived/x"))  # case matters, as in S3
        self.assertFalse(accept("logs/2019-1.gz"))
        self.assertIsNone(cli.accepted_skip(()))


class DiskTest(TempDirTest):
    def test_the_space_check_names_the_shortfall(self):
        runs.check_free_space(self.dir, 0)
        with self.assertRaises(runs.RunFailed) as e:
            runs.check_free_space(self.dir, 10**12)
        self.assertRegex(str(e.exception), r"needs about 122070312\.5 MiB .*: [0-9.]+ MiB short\. Grow the root "
                                           r"volume \(stack config rootVolumeGb\)")

    def test_rotation_is_bounded_by_size_and_keeps_the_newest(self):
        for i in range(5):
            d = os.path.join(self.dir, "2026010%dT000000.000000000Z" % i)
            os.mkdir(d)
            with open(os.path.join(d, "errors.jsonl.gz"), "wb") as f:
                f.write(os.urandom(300_000))
        runs.rotate(self.dir, keep=30, keep_bytes=700_000)
        self.assertEqual(sorted(os.listdir(self.dir)), ["20260103T000000.000000000Z", "20260104T000000.000000000Z"])
        runs.rotate(self.dir, keep=30, keep_bytes=1)
        self.assertEqual(os.listdir(self.dir), ["20260104T000000.000000000Z"])


class SeedTest(TempDirTest):
    def test_a_new_host_starts_from_the_vaults_record_not_from_now(self):
        paths = settings.Paths(state=self.dir, config=self.dir)
        s = RunSummary(runId="r", started="x", outcome="failure")
        freshness.record(paths, s, None, False, now=500_000, started=499_000, seed=lambda: 240_000)
        self.assertEqual((s.freshAsOf, s.backupAgeSeconds), ("1970-01-03T18:40:00Z", 260_000))
        s = RunSummary(runId="r", started="x", outcome="failure")
        freshness.record(paths, s, None, False, now=600_000, seed=lambda: 1 / 0)  # asked only once
        self.assertEqual(s.backupAgeSeconds, 360_000)

    def test_without_a_vault_record_the_age_counts_from_the_runs_start(self):
        paths = settings.Paths(state=self.dir, config=self.dir)
        s = RunSummary(runId="r", started="x", outcome="failure")
        freshness.record(paths, s, None, False, now=5000, started=1000, seed=lambda: None)
        self.assertEqual((s.freshAsOf, s.backupAgeSeconds), (None, 4000))


class EndingTest(TempDirTest):
    def folder(self, run_id, kind, invocation=None, pid=999_999_999, summary=False):
        d = os.path.join(self.dir, run_id)
        os.mkdir(d)
        with open(os.path.join(d, runs.OWNER_FILE), "w") as f:
            json.dump({"pid": pid, "kind": kind, "invocation": invocation}, f)
        if summary:
            open(os.path.join(d, "summary.json"), "w").close()

    def test_the_recorder_finds_the_run_its_invocation_killed_never_a_check_or_a_recorded_run(self):
        from ccb import ending

        self.folder("20260101T000000.000000000Z", "backup", "inv-1")
        self.folder("20260101T010000.000000000Z", "integrity", "inv-2")
        self.assertEqual(ending.unrecorded_run(self.dir, "inv-1"), "20260101T000000.000000000Z")
        self.assertEqual(ending.unrecorded_run(self.dir, None), "20260101T000000.000000000Z")
        self.assertIsNone(ending.unrecorded_run(self.dir, "inv-9"))
        self.folder("20260101T020000.000000000Z", "backup", "inv-3", summary=True)
        self.assertIsNone(ending.unrecorded_run(self.dir, "inv-3"))
        self.assertIsNone(ending.unrecorded_run(self.dir, None))  # the newest backup recorded itself
        self.folder("20260101T030000.000000000Z", "backup", "inv-4", pid=os.getppid())  # still alive
        self.assertIsNone(ending.unrecorded_run(self.dir, "inv-4"))

    def test_a_folder_a_live_check_owns_is_never_cleaned_or_rotated(self):
        self.folder("20260101T000000.000000000Z", "integrity", pid=os.getppid())
        self.folder("20260101T010000.000000000Z", "backup")
        for d in os.listdir(self.dir):
            open(os.path.join(self.dir, d, "read.tsv"), "w").close()
        runs.clean_killed_runs(self.dir)
        runs.rotate(self.dir, keep=1)
        self.assertEqual(sorted(os.listdir(self.dir)), ["20260101T000000.000000000Z", "20260101T010000.000000000Z"])
        self.assertTrue(os.path.exists(os.path.join(self.dir, "20260101T000000.000000000Z", "read.tsv")))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "20260101T010000.000000000Z", "read.tsv")))
