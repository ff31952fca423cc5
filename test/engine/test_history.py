"""The vault's history (ccb/history.py): the record format, the append blob's protocol (created on
a month's first record with If-None-Match: *, then Append Block only), and that a history that
cannot be written never fails a run, a check or a drill, nor is retried by the next one."""

import base64
import contextlib
import hashlib
import io
import json
import os
import time
import urllib.parse

from ccb import checks, cli, contract, history, runs, settings as settings_mod, telemetry
from ccb.base import RunFailed
from ccb.ledger import Ledger
from ccb.results import DrillResult, IntegrityResult, RunSummary
from ccb.vault import Vault
from helpers import TempDirTest, make_settings

SAS = "https://acct.blob.core.windows.net/backup?sv=2022-11-02&sp=racwl&sig=FAKEsignatureForTests%3D"


class _Response:
    def close(self):
        pass


class _Credentials:
    def sas_url(self):
        return SAS

    def seconds_left(self):
        return 86400


class AzureLikeVault(Vault):
    """The real Vault (its URLs, headers and error handling) over an in-memory container that
    answers as Azure does for the requests the history makes. `fail(method, query)` may return
    an (error code, HTTP status) to answer instead."""

    def __init__(self, fail=None):
        super().__init__(make_settings(), _Credentials(), sleep=lambda _s: None)
        self.reached = True  # as after the run's listing
        self.blobs = {}  # name -> (blob type, bytes)
        self.calls = []
        self.fail = fail or (lambda method, query: None)

    def request(self, method, url, body=None, headers=None, attempts=4):
        u = urllib.parse.urlsplit(url)
        self.require_sas(u.query)
        name = urllib.parse.unquote(u.path[len("/backup/"):])
        query = urllib.parse.parse_qs(u.query)
        op = query.get("comp", ["put"])[0] if method == "PUT" else method
        self.calls.append((op, name, dict(headers or {}), body))
        failure = self.fail(method, query)
        if failure:
            raise RunFailed("%s (HTTP %d)" % failure)
        if op == "appendblock":
            if name not in self.blobs:
                raise RunFailed("BlobNotFound (HTTP 404)")
            kind, data = self.blobs[name]
            if kind != "AppendBlob":
                raise RunFailed("InvalidBlobType (HTTP 409)")
            if headers.get("Content-MD5") != base64.b64encode(hashlib.md5(body).digest()).decode():
                raise RunFailed("Md5Mismatch (HTTP 400)")
            self.blobs[name] = (kind, data + body)
        elif op == "put":
            if headers.get("If-None-Match") == "*" and name in self.blobs:
                raise RunFailed("BlobAlreadyExists (HTTP 409)")
            self.blobs[name] = (headers["x-ms-blob-type"], body)
        return _Response()

    @staticmethod
    def require_sas(query):
        if "sig=" not in query:
            raise AssertionError("a vault request without its SAS: %s" % query)

    def lines(self, name):
        kind, data = self.blobs[name]
        assert kind == "AppendBlob", kind
        return [json.loads(line) for line in data.decode("ascii").splitlines()]


def run_summary(run_id="20260531T235959.000000000Z", finished="2026-05-31T23:59:59Z", **fields):
    values = dict(runId=run_id, started="2026-05-31T20:00:00Z", finished=finished, outcome="success", exitCode=0,
                  mode="copy", source="s3://example-bucket/", destination="azure://v/backup/data/")
    values.update(fields)
    return RunSummary(**values)


class RecordFormatTest(TempDirTest):
    def test_a_run_line_is_the_summary_plus_kind_run_on_one_line(self):
        doc = run_summary(copied=3, skipped=[{"key": "a.txt", "reason": "storage class GLACIER"}]).to_dict()
        before = json.dumps(doc)
        line = history.record("run", doc)
        self.assertTrue(line.endswith(b"\n"))
        self.assertEqual(line.count(b"\n"), 1)
        self.assertEqual(json.loads(line), dict(doc, kind="run"))
        self.assertEqual(json.dumps(doc), before, "the summary itself is not changed")

    def test_check_lines_are_their_result_whose_kind_they_already_carry(self):
        for kind, cls in (("integrity", IntegrityResult), ("drill", DrillResult)):
            doc = cls(checkId="c1", started="2026-05-01T00:00:00Z", finished="2026-05-01T00:10:00Z",
                      source="s3://b/", destination="azure://v/backup/data/", outcome="match").to_dict()
            self.assertEqual(json.loads(history.record(kind, doc)), doc, kind)
        with self.assertRaisesRegex(ValueError, "cannot carry kind 'integrity'"):
            history.record("drill", IntegrityResult(checkId="c", started="s", source="", destination="").to_dict())
        with self.assertRaisesRegex(ValueError, "unknown kind 'backup'"):
            history.record("backup", run_summary().to_dict())

    def test_any_character_in_a_value_stays_inside_its_line(self):
        key = "caf\u00e9/line\u2028sep\u2029par\nnew\rret\x85nel.txt"
        doc = run_summary(skipped=[{"key": key, "reason": "unreadable in S3: 403"}]).to_dict()
        line = history.record("run", doc).decode("ascii")  # ASCII: nothing for a reader to split on
        self.assertEqual(len(line.splitlines()), 1)  # str.splitlines() splits on U+2028, U+0085 too
        self.assertEqual(json.loads(line)["skipped"][0]["key"], key)

    def test_a_credential_in_an_error_reaches_the_history_redacted_as_it_reaches_the_status_blob(self):
        with Ledger(os.path.join(self.dir, "errors.jsonl.gz")) as errors:
            errors.add('Put "%s": dial tcp: connection refused' % SAS.replace("/backup?", "/backup/data/x?"))
        doc = run_summary(errorCount=errors.count, errors=errors.first, outcome="failure", exitCode=1).to_dict()
        line = history.record("run", doc).decode("ascii")
        self.assertNotIn("FAKEsignatureForTests", line)
        self.assertIn("sig=REDACTED", line)
        self.assertEqual(json.loads(line), dict(json.loads(runs.to_json(doc)), kind="run"))

    def test_the_blob_is_the_utc_month_of_the_records_end(self):
        self.assertEqual(history.blob_path("2026-05-31T23:59:59Z"), "status/history/2026-05.jsonl")
        self.assertEqual(history.blob_path("2026-06-01T00:00:00Z"), "status/history/2026-06.jsonl")
        # Without a usable end (never for a recorded result): this month's blob.
        now = {time.strftime("status/history/%Y-%m.jsonl", time.gmtime(time.time() + d)) for d in (-5, 0, 5)}
        for finished in (None, "", "not a time", "2026-13-01T00:00:00Z"):
            self.assertIn(history.blob_path(finished), now, finished)


class AppendTest(TempDirTest):
    def test_a_months_first_record_creates_the_append_blob_and_later_ones_only_append(self):
        vault = AzureLikeVault()
        first, second = run_summary("r1").to_dict(), run_summary("r2").to_dict()
        with contextlib.redirect_stderr(io.StringIO()):
            self.assertTrue(history.append(vault, "run", first))
            self.assertEqual([c[0] for c in vault.calls], ["appendblock", "put", "appendblock"])
            create = vault.calls[1]
            self.assertEqual(create[1], "status/history/2026-05.jsonl")
            self.assertEqual(create[2]["x-ms-blob-type"], "AppendBlob")
            self.assertEqual(create[2]["If-None-Match"], "*", "an existing blob is never replaced")
            self.assertEqual(create[3], b"")
            vault.calls.clear()
            self.assertTrue(history.append(vault, "run", second))
        self.assertEqual([c[0] for c in vault.calls], ["appendblock"])
        self.assertEqual(vault.lines("status/history/2026-05.jsonl"),
                         [dict(first, kind="run"), dict(second, kind="run")])

    def test_a_blob_another_run_created_first_is_appended_to_not_replaced(self):
        vault = AzureLikeVault()
        earlier = history.record("integrity", IntegrityResult(
            checkId="c0", started="s", finished="2026-05-02T00:00:00Z", source="", destination="").to_dict())
        racing = {"created": False}

        def created_meanwhile(method, query):
            # The check created the blob between this run's Append Block and its Put Blob.
            if method == "PUT" and "comp" not in query and not racing["created"]:
                racing["created"] = True
                vault.blobs["status/history/2026-05.jsonl"] = ("AppendBlob", earlier)
            return None

        vault.fail = created_meanwhile
        doc = run_summary("r1").to_dict()
        with contextlib.redirect_stderr(io.StringIO()):
            self.assertTrue(history.append(vault, "run", doc))
        self.assertEqual([line["kind"] for line in vault.lines("status/history/2026-05.jsonl")],
                         ["integrity", "run"])

    def test_a_refused_append_is_logged_returns_false_and_is_tried_once(self):
        vault = AzureLikeVault(fail=lambda m, q: ("AuthorizationPermissionMismatch", 403))
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertFalse(history.append(vault, "drill", DrillResult(
                checkId="c", started="s", finished="2026-05-03T00:00:00Z", source="", destination="").to_dict()))
        self.assertEqual([c[0] for c in vault.calls], ["appendblock"])
        self.assertIn("could not append the drill record to the vault's history status/history/2026-05.jsonl "
                      "(AuthorizationPermissionMismatch (HTTP 403))", err.getvalue())

    def test_a_blob_of_another_type_at_the_path_is_not_replaced(self):
        vault = AzureLikeVault()
        vault.blobs["status/history/2026-05.jsonl"] = ("BlockBlob", b"someone else's\n")
        with contextlib.redirect_stderr(io.StringIO()):
            self.assertFalse(history.append(vault, "run", run_summary().to_dict()))
        self.assertEqual(vault.blobs["status/history/2026-05.jsonl"], ("BlockBlob", b"someone else's\n"))

    def test_an_unreached_vault_is_not_asked(self):
        vault = AzureLikeVault()
        vault.reached = False
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertFalse(history.append(vault, "run", run_summary().to_dict()))
        self.assertEqual(vault.calls, [])
        self.assertIn("not in the history", err.getvalue())


class NeverFailsTheRunTest(TempDirTest):
    """record_run and the checks' record: the status blobs, the host's copies and the journal
    line are written whatever the history does."""

    def context(self, vault):
        paths = settings_mod.Paths(state=os.path.join(self.dir, "state"), config=os.path.join(self.dir, "config"))
        os.makedirs(paths.runs, exist_ok=True)
        # No metrics namespace: telemetry.send makes no AWS call in a unit test.
        s = make_settings(metricsNamespace="")
        return runs.Context(settings=s, paths=paths, credentials=_Credentials(), source=None, vault=vault, env={},
                            rclone=None)

    def headline(self, stderr):
        lines = [json.loads(x) for x in stderr.splitlines() if x.startswith("{")]
        self.assertEqual(len(lines), 1, stderr)
        return lines[0]

    def test_a_run_whose_history_append_fails_is_recorded_as_before_and_not_retried_by_the_next(self):
        failing = AzureLikeVault(fail=lambda m, q: ("ServerBusy", 503) if q.get("comp") == ["appendblock"] else None)
        ctx = self.context(failing)
        run_dir = os.path.join(ctx.paths.runs, "r1")
        os.makedirs(run_dir)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            cli.record_run(ctx, run_dir, run_summary("r1"))  # returns: nothing raised
        self.assertIn(contract.STATUS_BLOBS["lastSuccess"], failing.blobs)
        self.assertEqual(json.loads(failing.blobs[contract.STATUS_BLOBS["lastRun"]][1])["runId"], "r1")
        with open(ctx.paths.state_file("last-run.json"), encoding="utf-8") as f:
            self.assertEqual(json.load(f)["runId"], "r1")
        self.assertIn("could not append the run record", err.getvalue())
        self.assertEqual(self.headline(err.getvalue()), dict(
            runId="r1", outcome="success", exitCode=0, ending="finished", fresh=False, backupAgeSeconds=0, copied=0,
            bytesCopied=0, archived=0, deleted=0, skippedCount=0, errorCount=0, historyWritten=False))
        # The next run, with the history writable again, appends its own record and only that.
        working = AzureLikeVault()
        ctx = self.context(working)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            cli.record_run(ctx, os.path.join(ctx.paths.runs, "r2"), run_summary("r2"))
        self.assertEqual([line["runId"] for line in working.lines("status/history/2026-05.jsonl")], ["r2"])
        self.assertTrue(self.headline(err.getvalue())["historyWritten"])
        line = working.lines("status/history/2026-05.jsonl")[0]
        self.assertEqual(line.pop("kind"), "run")
        self.assertEqual(json.loads(working.blobs[contract.STATUS_BLOBS["lastRun"]][1]), line)

    def test_a_check_whose_history_append_fails_still_publishes_its_result(self):
        failing = AzureLikeVault(fail=lambda m, q: ("AuthorizationPermissionMismatch", 403)
                                 if q.get("comp") == ["appendblock"] else None)
        ctx = self.context(failing)
        run_dir = os.path.join(ctx.paths.runs, "c1")
        os.makedirs(run_dir)
        result = IntegrityResult(checkId="c1", started="2026-05-01T00:00:00Z", finished="2026-05-01T00:10:00Z",
                                 source="s3://b/", destination="azure://v/backup/data/", outcome="match")
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            checks.record(ctx, "integrity", "c1", run_dir, contract.STATUS_BLOBS["lastIntegrity"], result,
                          telemetry.integrity_metrics(result))
        self.assertEqual(json.loads(failing.blobs[contract.STATUS_BLOBS["lastIntegrity"]][1]), result.to_dict())
        self.assertNotIn("status/history/2026-05.jsonl", failing.blobs)
        self.assertIn("could not append the integrity record", err.getvalue())
        self.assertIs(self.headline(err.getvalue())["historyWritten"], False)
