import gzip
import json
import os

from ccb import ledger

from helpers import TempDirTest


class LedgerTest(TempDirTest):
    def test_counts_everything_keeps_the_first_hundred_and_writes_all_redacted(self):
        path = os.path.join(self.dir, "l.gz")
        with ledger.Ledger(path) as led:
            for i in range(ledger.SUMMARY_LIST_LIMIT + 5):
                led.add_key("k%d" % i, "refused ?sig=FAKEsig&se=2030")
            led.add("PUT https://a/b?sig=FAKEother failed")
        self.assertEqual(led.count, ledger.SUMMARY_LIST_LIMIT + 6)
        self.assertEqual(len(led.first), ledger.SUMMARY_LIST_LIMIT)
        self.assertEqual(led.first[0], {"key": "k0", "reason": "refused ?sig=REDACTED&se=REDACTED"})
        with gzip.open(path, "rt") as f:
            lines = [json.loads(x) for x in f]
        self.assertEqual(len(lines), ledger.SUMMARY_LIST_LIMIT + 6)
        self.assertEqual(lines[-1], "PUT https://a/b?sig=REDACTED failed")
        self.assertNotIn("FAKE", json.dumps(lines))


class FullDiskTest(TempDirTest):
    def test_a_full_disk_loses_the_file_tail_never_the_count_or_the_summary(self):
        # /dev/full answers every write with ENOSPC, as a full state volume does.
        led = ledger.Ledger("/dev/full")
        for i in range(20000):
            led.add_key("key-%d-%s" % (i, os.urandom(16).hex()), "refused")
        led.close()
        self.assertEqual(led.count, 20000)
        self.assertEqual(len(led.first), ledger.SUMMARY_LIST_LIMIT)
        self.assertIsInstance(led.lost, OSError)
        self.assertEqual(led.lost.errno, 28)  # ENOSPC
        led.close()  # a second close is harmless

    def test_a_ledger_that_cannot_be_created_still_counts(self):
        led = ledger.Ledger(os.path.join(self.dir, "missing", "l.gz"))
        led.add("x")
        led.close()
        self.assertEqual((led.count, led.first), (1, ["x"]))
        self.assertIsNotNone(led.lost)
