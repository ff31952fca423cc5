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

    def test_only_errors_about_the_object_make_it_unreadable(self):
        self.assertTrue(backup.refused_by_s3("lookup", "HTTP 403 on HEAD (Forbidden)"))
        self.assertTrue(backup.refused_by_s3("error", "failed to open source object: AccessDenied: denied"))
        self.assertTrue(backup.refused_by_s3("error", "failed to open source object: InvalidObjectState"))
        self.assertFalse(backup.refused_by_s3("error", "failed to open source object: AccessDenied RequestTimeTooSkewed"))
        self.assertFalse(backup.refused_by_s3("error", "connection reset by peer"))


if __name__ == "__main__":
    unittest.main()
