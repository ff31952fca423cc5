"""The engine's verdict on bytes read back (ccb/verdict.py) against the cases restore's copy
(domain/verdict.ts) is tested with: test/fixtures/verification-cases.json."""

import json
import os
import unittest

from ccb import verdict

CASES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "verification-cases.json")


class VerdictTest(unittest.TestCase):
    def test_every_shared_case(self):
        with open(CASES, encoding="utf-8") as f:
            cases = json.load(f)
        self.assertGreater(len(cases), 12)
        self.assertEqual({c["verdict"] for c in cases}, {"verified", "unverified", "mismatch"})
        for c in cases:
            b, r = c["blob"], c["read"]
            got, reason = verdict.content_verdict(b["size"], b.get("contentMD5"), b.get("record"), r["size"], r["md5"])
            self.assertEqual(got, c["verdict"], "%s: %s" % (c["name"], reason))
            self.assertTrue(reason)

    def test_a_record_round_trips_through_the_engine_encoding(self):
        from ccb import seal

        raw = seal.encode_record({"format": 1, "etag": "e-2", "size": 3, "mtime": 5, "sse": "none",
                                  "md5": "0" * 32, "meta": 0, "engine": "dev"})
        rec, problem = verdict.parse_record(raw)
        self.assertIsNone(problem)
        self.assertEqual(rec["etag"], "e-2")


if __name__ == "__main__":
    unittest.main()
