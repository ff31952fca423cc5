"""One batch through rclone: every name gets exactly one outcome (rclone is replaced by a fake
that returns its log records; S3's HEAD answers by a fake source)."""

import unittest

from ccb.transfer import Transfer

from helpers import TempDirTest


class FakeRclone:
    def __init__(self, *answers):
        self.answers, self.calls = list(answers), []

    def run(self, args, log_path):
        names_file = args[args.index("--files-from-raw") + 1]
        with open(names_file, encoding="utf-8") as f:
            self.calls.append((args[0], f.read().split()))
        return self.answers.pop(0)


class FakeSource:
    def __init__(self, answers):
        self.answers = answers

    def head_many(self, rels):
        for rel in rels:
            yield rel, self.answers[rel], None


def copied(name):
    return {"level": "info", "object": name, "msg": "Copied (new)"}


class TransferTest(TempDirTest):
    def outcomes(self, rclone, source, names, kind=None):
        got = {}

        def on_done(name, outcome, detail):
            self.assertNotIn(name, got, "one outcome per name")
            got[name] = outcome

        t = Transfer(rclone, self.dir, source)
        if kind:
            t.batch(kind, names, "vault:c/data", "vault:c/archive/r", on_done)
        else:
            t.from_source(names, "source:b", "vault:c/data", on_done)
        return got

    def test_a_clean_run_names_a_silent_name_gone_unless_s3_still_has_it(self):
        rclone = FakeRclone((0, [copied("a"), {"level": "error", "object": "b", "msg": "Failed to copy: x"}]))
        got = self.outcomes(rclone, FakeSource({"c": "gone", "d": None}), ["a", "b", "c", "d"])
        self.assertEqual(got, {"a": "ok", "b": "error", "c": "gone", "d": "error"})

    def test_a_failed_lookup_is_pinned_on_its_object_and_the_readable_rest_runs_again(self):
        rclone = FakeRclone(
            (1, [copied("a"), {"level": "error", "msg": "Failed to copy: HEAD 403"}]),
            (0, [copied("d")]))
        source = FakeSource({"b": "HTTP 403 on HEAD (Forbidden)", "c": "gone", "d": None, "e": "error: reset"})
        got = self.outcomes(rclone, source, ["a", "b", "c", "d", "e"])
        self.assertEqual(got, {"a": "ok", "b": "lookup", "c": "gone", "d": "ok", "e": "error"})
        self.assertEqual(rclone.calls, [("copy", ["a", "b", "c", "d", "e"]), ("copy", ["d"])])

    def test_a_name_the_second_run_is_silent_about_is_gone_only_when_s3_says_so(self):
        class Sequenced(FakeSource):
            def __init__(self, *rounds):
                self.rounds = list(rounds)

            def head_many(self, rels):
                answers = self.rounds.pop(0)
                for rel in rels:
                    yield rel, answers[rel], None

        rclone = FakeRclone(
            (1, [{"level": "error", "msg": "Failed to copy: HEAD 403"}]),
            (0, []))  # the second run copies nothing and says nothing about d and e
        source = Sequenced({"d": None, "e": None}, {"d": "gone", "e": None})
        got = self.outcomes(rclone, source, ["d", "e"])
        self.assertEqual(got, {"d": "gone", "e": "error"})
        self.assertEqual(source.rounds, [])

    def test_within_the_vault_a_move_is_done_only_when_rclone_deleted_the_original(self):
        rclone = FakeRclone((0, [copied("a"), {"level": "info", "object": "b", "msg": "Deleted"}]))
        got = self.outcomes(rclone, None, ["a", "b"], kind="move")
        self.assertEqual(got, {"a": "gone", "b": "ok"})
        rclone = FakeRclone((3, [{"level": "error", "msg": "directory not found"}]))
        self.assertEqual(self.outcomes(rclone, None, ["a"], kind="copy"), {"a": "error"})


if __name__ == "__main__":
    unittest.main()
