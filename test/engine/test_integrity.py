"""The integrity check's rotation: every blob is read back once per coverage period, whatever
the schedule, and the figures it reports."""

import unittest

from ccb import integrity
from ccb.base import utc
from ccb.results import IntegrityResult

DAY = 86400
NAMES = ["dir%d/object-%d.bin" % (i % 7, i) for i in range(3000)]


def run(days, now, previous):
    rot = integrity.Rotation(days, now, previous)
    read = {n for n in NAMES if rot.wants(n)}
    result = IntegrityResult(checkId="c", started="s", source="s3://b/", destination="backup/data/", coverageDays=days)
    rot.record(result)
    return read, result.to_dict()


class RotationTest(unittest.TestCase):
    def test_weekly_checks_read_every_blob_once_within_the_period(self):
        t0 = 1_800_000_000
        seen, previous, reads = set(), {}, []
        for week in range(53):
            read, previous = run(365, t0 + week * 7 * DAY, previous)
            reads.append(len(read))
            seen |= read
        self.assertEqual(seen, set(NAMES))
        # each check reads about a 52nd of the vault, not a lottery of 20
        self.assertLess(max(reads), len(NAMES) / 52 * 2)
        self.assertGreater(min(reads), len(NAMES) / 52 / 2)
        self.assertEqual(previous["coveredFraction"], 1.0)

    def test_consecutive_windows_neither_overlap_nor_leave_gaps(self):
        t0 = 1_800_000_000
        first, prev = run(30, t0, {})
        second, prev2 = run(30, t0 + 5 * DAY, prev)
        self.assertFalse(first & second)
        self.assertEqual(prev2["readFrom"], prev["readUpTo"])
        self.assertEqual(prev2["coveredSince"], prev["coveredSince"])
        self.assertAlmostEqual(prev2["coveredFraction"], 12 / 30, places=4)

    def test_a_first_check_reads_a_weeks_share_and_a_long_gap_reads_everything(self):
        t0 = 1_800_000_000
        first, prev = run(365, t0, {})
        self.assertLess(len(first), len(NAMES) * 14 / 365)
        self.assertEqual(prev["coveredSince"], utc(t0 - 7 * DAY))
        everything, _ = run(365, t0 + 400 * DAY, prev)
        self.assertEqual(everything, set(NAMES))

    def test_another_period_or_a_damaged_record_starts_a_new_rotation(self):
        t0 = 1_800_000_000
        _, prev = run(365, t0, {})
        _, other = run(30, t0 + DAY, prev)
        self.assertEqual(other["coveredSince"], utc(t0 + DAY - 7 * DAY))
        _, damaged = run(365, t0 + DAY, dict(prev, readUpTo="not a time"))
        self.assertEqual(damaged["readFrom"], utc(t0 + DAY - 7 * DAY))

    def test_a_failed_check_keeps_the_previous_rotation(self):
        _, prev = run(365, 1_800_000_000, {})
        result = IntegrityResult(checkId="c", started="s", source="s", destination="d")
        integrity.carry_forward(result, prev, 365)
        self.assertEqual((result.readUpTo, result.coveredSince), (prev["readUpTo"], prev["coveredSince"]))


class DifferenceTest(unittest.TestCase):
    def test_names_each_kind_of_difference(self):
        row = lambda size="10", etag="e1": ['"k"', size, "1000", "", etag, "raw" if etag else ""]  # noqa: E731
        self.assertEqual(integrity.difference("10", "e1", row()), (None, None))
        self.assertEqual(integrity.difference("10", "e1", None)[0], "missing")
        self.assertEqual(integrity.difference("11", "e1", row())[0], "sizeMismatch")
        self.assertEqual(integrity.difference("10", "e1", row(etag=""))[0], "unrecorded")
        self.assertEqual(integrity.difference("10", "e2", row())[0], "etagMismatch")


if __name__ == "__main__":
    unittest.main()
