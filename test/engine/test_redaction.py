"""The engine's redact() against the cases the operator commands' redact() is tested with
(test/fixtures/redaction-cases.json, also read by test/domain/redaction.test.ts)."""

import json
import os
import unittest

from ccb import base

CASES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "redaction-cases.json")


class RedactionTest(unittest.TestCase):
    def test_redacts_exactly_as_the_shared_cases_say(self):
        with open(CASES, encoding="utf-8") as f:
            cases = json.load(f)
        self.assertGreater(len(cases), 5)
        for case in cases:
            self.assertEqual(base.redact(case["in"]), case["out"])


if __name__ == "__main__":
    unittest.main()
