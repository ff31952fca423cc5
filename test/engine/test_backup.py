import unittest

from ccb import backup, results

from helpers import make_settings


class RulesTest(unittest.TestCase):
    def summary(self, source, vault):
        return results.RunSummary(runId="r", started="s", sourceObjects=source, vaultObjects=vault)

    def test_the_deletion_guard_refuses_an_empty_source_and_too_many_deletions(self):
        s = make_settings(syncMode="mirror", maxDeletes=10, maxDeletePercent=50)
        self.assertIn("source listing is empty", backup.deletion_refusal(s, self.summary(0, 4), 1))
        self.assertIn("exceed maxDeletes (10)", backup.deletion_refusal(s, self.summary(100, 100), 11))
        self.assertIn("exceed maxDeletePercent (50% of 10", backup.deletion_refusal(s, self.summary(4, 10), 6))
        self.assertIsNone(backup.deletion_refusal(s, self.summary(5, 10), 5))
        self.assertIsNone(backup.deletion_refusal(s, self.summary(0, 0), 0))
        # rounded up: a vault of 3 blobs may lose 2 at 50% (it could never lose 2 before)
        self.assertIsNone(backup.deletion_refusal(s, self.summary(1, 3), 2))
        self.assertIn("exceed maxDeletePercent (50% of 3", backup.deletion_refusal(s, self.summary(1, 3), 3))

    def test_the_guard_adds_up_the_deletions_of_the_window(self):
        s = make_settings(syncMode="mirror", maxDeletes=10, maxDeletePercent=50)
        self.assertIsNone(backup.deletion_refusal(s, self.summary(100, 100), 4, recent=6))
        self.assertEqual(backup.deletion_refusal(s, self.summary(100, 100), 5, recent=6),
                         "11 deletions (6 of them by runs of the last 24 hours) exceed maxDeletes (10)")
        s = make_settings(syncMode="mirror", maxDeletes=1000, maxDeletePercent=50)
        # 40 deleted earlier from 80: this run's 10 more is 50 of 80, over half of the vault before
        self.assertIn("exceed maxDeletePercent (50% of 80 objects)", backup.deletion_refusal(s, self.summary(30, 40), 10, recent=40))

    def test_recent_deletions_are_those_within_the_window(self):
        import json
        import os
        import tempfile

        from ccb import settings as settings_mod

        with tempfile.TemporaryDirectory() as d:
            paths = settings_mod.Paths(state=d, config=d)
            self.assertEqual(backup.recent_deletions(paths, 24, 100_000), [])
            with open(os.path.join(d, backup.DELETIONS_FILE), "w") as f:
                json.dump([[10_000, 5], [90_000, 3]], f)
            self.assertEqual(backup.recent_deletions(paths, 24, 95_000), [(10_000, 5), (90_000, 3)])
            self.assertEqual(backup.recent_deletions(paths, 1, 100_000), [])
            self.assertEqual(backup.recent_deletions(paths, 24, 10_000 + 86_400), [(90_000, 3)])

    def test_only_errors_about_the_object_make_it_unreadable(self):
        self.assertTrue(backup.refused_by_s3("lookup", "HTTP 403 on HEAD (Forbidden)"))
        self.assertTrue(backup.refused_by_s3("error", "failed to open source object: AccessDenied: denied"))
        self.assertTrue(backup.refused_by_s3("error", "failed to open source object: InvalidObjectState"))
        self.assertFalse(backup.refused_by_s3("error", "failed to open source object: AccessDenied RequestTimeTooSkewed"))
        self.assertFalse(backup.refused_by_s3("error", "connection reset by peer"))


if __name__ == "__main__":
    unittest.main()
