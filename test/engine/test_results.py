import dataclasses
import unittest

from ccb import contract, results


class ResultsTest(unittest.TestCase):
    def test_the_run_summary_writes_exactly_the_contract_keys_in_order(self):
        summary = results.RunSummary(runId="r", started="s")
        self.assertEqual(list(summary.to_dict()), list(contract.RUN_SUMMARY_KEYS))
        self.assertEqual([f.name for f in dataclasses.fields(results.RunSummary)], list(contract.RUN_SUMMARY_KEYS))

    def test_check_results_have_exactly_the_contract_keys(self):
        for cls, keys in ((results.IntegrityResult, contract.INTEGRITY_RESULT_KEYS),
                          (results.DrillResult, contract.DRILL_RESULT_KEYS)):
            r = cls(checkId="c", started="s", source="src", destination="dst")
            self.assertEqual(sorted(f.name for f in dataclasses.fields(cls)), sorted(keys), cls.__name__)
            self.assertEqual(list(r.to_dict()), list(keys))
            self.assertEqual(r.to_dict()["kind"], "integrity" if cls is results.IntegrityResult else "drill")

    def test_outcomes_map_to_the_contract_exit_codes(self):
        e = contract.EXIT_CODES
        self.assertEqual({o: results.exit_code(o) for o in ("success", "partial", "failure", "match", "mismatch")},
                         {"success": e["success"], "partial": e["partial"], "failure": e["failure"],
                          "match": e["success"], "mismatch": e["mismatch"]})
        with self.assertRaises(KeyError):
            results.exit_code("fine")


if __name__ == "__main__":
    unittest.main()
