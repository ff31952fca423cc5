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
