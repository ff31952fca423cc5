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


class UnquoteTest(unittest.TestCase):
    def test_the_fast_decoding_agrees_with_urllib_strict_unquote(self):
        import random
        import urllib.parse

        from ccb import verdict

        rnd = random.Random(5)
        pieces = ["a", "Z", "0", "_", ".", "~", "-", "%22", "%7B", "%c3%a9", "%C3", "%e2%82%ac", "%ff", "%00", "%41"]
        for _ in range(50000):
            raw = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 12)))
            try:
                want = urllib.parse.unquote(raw, errors="strict")
            except UnicodeDecodeError:
                want = UnicodeDecodeError
            try:
                got = verdict._unquote(raw)
            except UnicodeDecodeError:
                got = UnicodeDecodeError
            self.assertEqual(got, want, raw)
