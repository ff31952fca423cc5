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


class HeldStopTest(unittest.TestCase):
    def test_a_stop_while_rclone_starts_is_raised_after_and_the_process_is_stopped(self):
        import os
        import signal
        import subprocess

        from ccb import rclone as mod

        class Stop(BaseException):
            pass

        def stop(signum, _frame):
            raise Stop()

        previous = signal.signal(signal.SIGTERM, stop)
        real_popen = subprocess.Popen
        started = []

        def popen(*a, **k):  # the stop arrives while the child starts
            p = real_popen(["sleep", "30"], stdout=subprocess.DEVNULL)
            started.append(p)
            os.kill(os.getpid(), signal.SIGTERM)
            return p

        subprocess.Popen = popen
        try:
            with self.assertRaises(Stop):
                mod.start_holding_stops(["rclone"], {}, None)
            self.assertIs(signal.getsignal(signal.SIGTERM), stop)  # the run's own handler is back
        finally:
            subprocess.Popen = real_popen
            signal.signal(signal.SIGTERM, previous)
        self.assertEqual(started[0].poll(), -signal.SIGKILL)  # stopped, not left running
