import json
import os
import unittest

from ccb import rclone

from helpers import TempDirTest


class ParseLogTest(TempDirTest):
    def test_reads_json_records_and_folds_rclones_plain_text_error_into_one(self):
        path = self.write("batch.json", [
            json.dumps({"level": "info", "msg": "Copied (new)", "object": "a"}) + "\n",
            "2026/01/01 00:00:00 Failed to copy: line one\n",
            "  line two\n",
            "  line three\n",
        ])
        records = rclone.parse_log(path)
        self.assertEqual(records[0]["object"], "a")
        self.assertEqual(records[1]["level"], "error")
        self.assertEqual(records[1]["msg"], "2026/01/01 00:00:00 Failed to copy: line one\n  line two\n  line three")
        self.assertEqual(len(records), 2)
        self.assertEqual(rclone.parse_log(os.path.join(self.dir, "none")), [])

    def test_clean_error_keeps_the_first_line_without_generic_prefixes(self):
        self.assertEqual(
            rclone.clean_error("2026/01/01 00:00:00 ERROR : Failed to copy: failed to open source object: AccessDenied\nmore"),
            "AccessDenied")

    def test_removes_what_a_killed_batch_left_behind(self):
        for name in rclone.LEFTOVERS + ("summary.json",):
            self.write(name, ["x"])
        rclone.remove_leftovers(self.dir)
        self.assertEqual(os.listdir(self.dir), ["summary.json"])


if __name__ == "__main__":
    unittest.main()
