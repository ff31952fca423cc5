"""Sealing (ccb/seal.py) against a recording stand-in for the vault: what it writes on a blob,
and when it refuses to."""

import base64
import json
import unittest
import urllib.parse

from ccb import contract, seal
from ccb.base import RunFailed
from ccb.verdict import parse_record

MD5 = "5d41402abc4b2a76b9719d911017c592"


def record(**kw):
    r = {"format": 1, "etag": "8c6f0c3ad2b1e5f7a9d4c2b0e1f3a5c7", "size": 5, "mtime": 1767323045, "sse": "aws:kms",
         "md5": MD5, "meta": 0, "engine": "dev"}
    r.update(kw)
    return r


class Response:
    def __init__(self, headers):
        self.headers = headers

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class FakeVault:
    """Answers Get Blob Properties with `props`; records every PUT."""

    def __init__(self, props, fail=None):
        self.props, self.fail, self.puts = props, fail, []

    def properties(self, name):
        return dict(self.props)

    def blob_url(self, name, query=""):
        return "https://vault.invalid/backup/data/%s?%s" % (name, query)

    def request(self, method, url, body=None, headers=None, attempts=4):
        self.puts.append((url.split("?", 1)[1], dict(headers or {})))
        if self.fail and self.fail in url:
            raise RunFailed("ConditionNotMet (HTTP 412)")
        return Response({"ETag": '"0x2"'})


def props(**kw):
    p = {"content-length": "5", "etag": '"0x1"', "content-type": "text/csv", "cache-control": "no-cache",
         "x-ms-meta-mtime": "2026-01-02T03:04:05.000000000Z"}
    p.update(kw)
    return p


class WriteRecordTest(unittest.TestCase):
    def test_sets_the_md5_then_the_record_with_the_metadata_each_with_if_match(self):
        v = FakeVault(props())
        seal.write_record(v, "k", record(meta=1), {"owner": "team-a"})
        (q1, h1), (q2, h2) = v.puts
        self.assertEqual(q1, "comp=properties")
        self.assertEqual(base64.b64decode(h1["x-ms-blob-content-md5"]).hex(), MD5)
        self.assertEqual((h1["If-Match"], h1["x-ms-blob-content-type"], h1["x-ms-blob-cache-control"]),
                         ('"0x1"', "text/csv", "no-cache"))
        self.assertEqual(q2, "comp=metadata")
        self.assertEqual(h2["If-Match"], '"0x2"')  # the ETag Set Blob Properties answered
        self.assertEqual(h2["x-ms-meta-mtime"], "2026-01-02T03:04:05.000000000Z")
        rec, problem = parse_record(h2["x-ms-meta-" + contract.CONTENT_RECORD])
        self.assertIsNone(problem)
        self.assertEqual(rec["md5"], MD5)
        self.assertEqual(json.loads(urllib.parse.unquote(h2["x-ms-meta-" + contract.S3_METADATA])), {"owner": "team-a"})

    def test_refuses_a_blob_of_another_size_or_another_version(self):
        with self.assertRaises(seal.NotSealed) as e:
            seal.write_record(FakeVault(props(**{"content-length": "4"})), "k", record(), {})
        self.assertEqual(e.exception.outcome, "error")
        # the same ETag, copied again in between (A, B, A): rclone's mtime names another version
        with self.assertRaises(seal.NotSealed) as e:
            seal.write_record(FakeVault(props(**{"x-ms-meta-mtime": "2026-01-02T03:09:00Z"})), "k", record(), {})
        self.assertEqual(e.exception.outcome, "changed")

    def test_a_blob_replaced_meanwhile_is_not_sealed(self):
        with self.assertRaises(seal.NotSealed) as e:
            seal.write_record(FakeVault(props(), fail="comp=metadata"), "k", record(), {})
        self.assertEqual(e.exception.outcome, "changed")

    def test_a_refresh_records_the_new_headers_and_last_modified(self):
        v = FakeVault(props())
        seal.write_record(v, "k", record(mtime=1767323999), {}, refresh={"x-ms-blob-content-type": "application/json"})
        (_, h1), (_, h2) = v.puts
        self.assertEqual(h1["x-ms-blob-content-type"], "application/json")
        self.assertEqual(h1["x-ms-blob-cache-control"], "no-cache")
        self.assertEqual(h2["x-ms-meta-mtime"], "2026-01-02T03:19:59Z")


class MetadataTest(unittest.TestCase):
    def test_metadata_that_would_not_fit_url_encoded_is_stored_as_base64(self):
        small = {"owner": "team-a"}
        self.assertEqual(json.loads(urllib.parse.unquote(seal.encode_metadata(small))), small)
        quotes = {"q": '"' * 2000}  # S3 allows 2 KB; URL-encoded JSON makes it 12 KB
        value = seal.encode_metadata(quotes)
        self.assertTrue(value.startswith(contract.S3_METADATA_BASE64))
        self.assertLess(len(value) + len(seal.encode_record(record())), 8 * 1024 - 200)
        self.assertEqual(json.loads(base64.b64decode(value[len(contract.S3_METADATA_BASE64):])), quotes)


class RunManyTest(unittest.TestCase):
    def test_an_unexpected_error_is_that_objects_not_the_runs(self):
        def fn(x):
            if x == 2:
                raise ValueError("IncompleteRead")
            return x * 10

        got = {item[0]: (result, failed.outcome if failed else None) for item, result, failed in seal.run_many(fn, [(1,), (2,)])}
        self.assertEqual(got, {1: (10, None), 2: (None, "error")})


if __name__ == "__main__":
    unittest.main()
