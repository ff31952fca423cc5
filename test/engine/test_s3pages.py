import datetime
import http.server
import io
import os
import random
import threading
import time
import unittest
import urllib.parse
from unittest import mock
from xml.sax.saxutils import escape

from ccb import s3pages
from ccb.source import Source

from helpers import make_settings

FAKE_AWS = {"AWS_ACCESS_KEY_ID": "AKIAFAKEFAKEFAKE", "AWS_SECRET_ACCESS_KEY": "fake", "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}


def page_xml(keys, truncated=False, token=None, encode=False, prefixes=()):
    """A ListObjectsV2 result as S3 writes it (keys URL-encoded when asked, as with
    encoding-type=url)."""
    enc = (lambda k: urllib.parse.quote(k, safe="/")) if encode else (lambda k: k)
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
           "<Name>example-bucket</Name><Prefix></Prefix><KeyCount>%d</KeyCount><MaxKeys>1000</MaxKeys>" % len(keys)]
    if encode:
        out.append("<EncodingType>url</EncodingType>")
    out.append("<IsTruncated>%s</IsTruncated>" % ("true" if truncated else "false"))
    if token:
        out.append("<NextContinuationToken>%s</NextContinuationToken>" % escape(token))
    for i, k in enumerate(keys):
        out.append("<Contents><Key>%s</Key><LastModified>2026-11-%02dT08:30:%02d.000Z</LastModified>"
                   "<ETag>&quot;%032x&quot;</ETag><ChecksumAlgorithm>CRC32</ChecksumAlgorithm><Size>%d</Size>"
                   "<StorageClass>%s</StorageClass></Contents>" % (
                       escape(enc(k)), 1 + i % 28, i % 60, i, i * 7, "GLACIER" if i % 5 == 0 else "STANDARD"))
    for p in prefixes:
        out.append("<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>" % escape(enc(p)))
    out.append("</ListBucketResult>")
    return "".join(out).encode("utf-8")


def botocore_parse(body, factory):
    import botocore.session

    model = botocore.session.get_session().get_service_model("s3")
    shape = model.operation_model("ListObjectsV2").output_shape
    response = {"status_code": 200, "headers": {"x-amz-request-id": "R"}, "body": body}
    return factory.create_parser("rest-xml").parse(response, shape)


class ParsePageTest(unittest.TestCase):
    KEYS = ["a.txt", "dir/b c.json", "dir/é/ü.bin", "x&y<z>.txt", "日本/語"]

    def test_reads_a_page_as_botocore_s_own_parser_does(self):
        import botocore.parsers

        body = page_xml(self.KEYS, truncated=True, token="1/abc==", prefixes=["dir/"])
        ours = botocore_parse(body, s3pages.parser_factory())
        theirs = botocore_parse(body, botocore.parsers.ResponseParserFactory())
        fields = ("Key", "Size", "ETag", "StorageClass", "LastModified")
        self.assertEqual([{f: o[f] for f in fields} for o in ours["Contents"]],
                         [{f: o[f] for f in fields} for o in theirs["Contents"]])
        for k in ("IsTruncated", "NextContinuationToken", "KeyCount", "MaxKeys", "CommonPrefixes"):
            self.assertEqual(ours[k], theirs[k], k)
        self.assertEqual(ours["ResponseMetadata"]["RequestId"], "R")

    def test_an_error_is_parsed_by_botocore(self):
        body = b'<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>'
        parsed = s3pages.parser_factory().create_parser("rest-xml").parse(
            {"status_code": 503, "headers": {}, "body": body},
            __import__("botocore.session").session.get_session().get_service_model("s3")
            .operation_model("ListObjectsV2").output_shape)
        self.assertEqual(parsed["Error"]["Code"], "SlowDown")

    def test_a_200_without_a_listing_or_not_xml_is_an_error_never_an_empty_last_page(self):
        import botocore.parsers

        for body in (b'<?xml version="1.0"?><Error><Code>InternalError</Code></Error>', b"<ListBucketResult",
                     b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name></ListBucketResult>'):
            with self.assertRaises(botocore.parsers.ResponseParserError, msg=body):
                s3pages.parse_page(body)
        self.assertTrue(s3pages.retryable(botocore.parsers.ResponseParserError("x")))

    def test_a_time_with_an_offset_is_read_as_botocore_reads_it(self):
        from botocore.utils import parse_timestamp

        for text in ("2026-12-04T08:00:00+02:00", "2026-12-04T08:00:00.500Z"):
            self.assertEqual(s3pages.timestamp(text).timestamp() // 1, parse_timestamp(text).timestamp() // 1, text)

    def test_timestamps_are_utc(self):
        self.assertEqual(s3pages.timestamp("2026-12-04T08:00:01.000Z"),
                         datetime.datetime(2026, 12, 4, 8, 0, 1, tzinfo=datetime.timezone.utc))


class MidpointTest(unittest.TestCase):
    def test_lies_strictly_between_and_encodes(self):
        rnd = random.Random(7)
        alphabet = "ab/.-_09zZ~\x7f\u00e9\u0800\ud7ff\ue000\U0001f600"
        found = 0
        for _ in range(20000):
            lo, hi = sorted("".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 6))) for _ in range(2))
            if lo == hi:
                continue
            m = s3pages.midpoint(lo, hi)
            if m is None:
                continue
            found += 1
            self.assertTrue(lo < m < hi, (lo, m, hi))
            m.encode("utf-8")  # no lone surrogate
        self.assertGreater(found, 15000)

    def test_printable_ascii_keys_split_among_printable_ascii(self):
        m = s3pages.midpoint("exports/d0/object-1.json", "\x7f")
        self.assertEqual(m, "r")
        self.assertEqual(s3pages.midpoint("logs/2026/a", "logs/2026/c"), "logs/2026/b")
        self.assertIsNone(s3pages.midpoint("a", "a\x00"))


class FakeBucket:
    """ListObjectsV2 over a sorted key list, with S3's StartAfter and continuation semantics."""

    def __init__(self, keys, page=1000, fail=None, latency=0.0):
        self.keys, self.page, self.fail, self.latency = sorted(keys), page, fail, latency
        self.requests, self.lock = 0, threading.Lock()

    def fetch(self, after, token):
        import bisect

        with self.lock:
            self.requests += 1
            n = self.requests
        if self.fail:
            self.fail(n)
        time.sleep(self.latency)  # a service's answer takes time: what lets idle workers take splits
        start = bisect.bisect_right(self.keys, token or after or "")
        chunk = self.keys[start:start + self.page]
        more = start + self.page < len(self.keys)
        page = {"Contents": [{"Key": k, "Size": 1} for k in chunk], "IsTruncated": more}
        if more:
            page["NextContinuationToken"] = chunk[-1]
        return page


def listed(bucket, workers, prefix=""):
    seen, lock = [], threading.Lock()

    def emit(objects):
        with lock:
            seen.extend(o["Key"] for o in objects)

    splits = s3pages.list_ranges(bucket.fetch, prefix, emit, workers, sleep=lambda s: None)
    return seen, splits


class ListRangesTest(unittest.TestCase):
    def skewed(self, n):
        rnd = random.Random(n)
        keys = set()
        while len(keys) < n:
            r = rnd.random()
            if r < 0.8:
                keys.add("logs/2026/%02d/%08d.json" % (rnd.randint(1, 12), rnd.randint(0, 10 ** 8)))
            elif r < 0.95:
                keys.add("exports/%s/%d" % (rnd.choice("abc"), rnd.randint(0, 10 ** 6)))
            elif r < 0.99:
                keys.add("%x" % rnd.getrandbits(40))
            else:
                keys.add("ünï/%d" % rnd.randint(0, 10 ** 6))
        return keys

    def test_one_worker_costs_exactly_one_request_per_thousand_keys(self):
        bucket = FakeBucket(self.skewed(4500))
        seen, splits = listed(bucket, 1)
        self.assertEqual(seen, sorted(bucket.keys))
        self.assertEqual((bucket.requests, splits), (5, 0))

    def test_a_small_bucket_is_one_request_whatever_the_workers(self):
        bucket = FakeBucket(self.skewed(999))
        seen, splits = listed(bucket, 8)
        self.assertEqual((sorted(seen), bucket.requests, splits), (sorted(bucket.keys), 1, 0))

    def test_parallel_ranges_list_every_key_once_with_one_extra_request_per_split_at_most(self):
        for n in (1001, 20000, 60000):
            bucket = FakeBucket(self.skewed(n), latency=0.005)
            seen, splits = listed(bucket, 8)
            self.assertEqual(sorted(seen), sorted(bucket.keys), n)
            self.assertEqual(len(seen), n)
            floor = -(-n // 1000)
            self.assertLessEqual(bucket.requests, floor + splits, n)
            self.assertLessEqual(splits, s3pages.SPLITS_PER_WORKER * 8, n)
            if n >= 20000:
                self.assertGreaterEqual(splits, 7, n)  # every worker got a range

    def test_keys_beyond_ascii_and_a_prefix(self):
        keys = ["p/%05d" % i for i in range(3000)] + ["p/\u00e9%d" % i for i in range(1500)] + ["p/\U0001f600"]
        bucket = FakeBucket(keys)
        seen, _ = listed(bucket, 4, prefix="p/")
        self.assertEqual(sorted(seen), sorted(keys))

    def test_a_throttled_page_is_tried_again_for_its_range_only(self):
        from botocore.exceptions import ClientError

        def fail(n):
            if n in (2, 3):
                raise ClientError({"Error": {"Code": "SlowDown"}, "ResponseMetadata": {"HTTPStatusCode": 503}}, "ListObjectsV2")

        bucket = FakeBucket(self.skewed(5000), fail=fail)
        seen, _ = listed(bucket, 4)
        self.assertEqual(sorted(seen), sorted(bucket.keys))

    def test_a_lasting_failure_stops_every_worker_and_is_raised(self):
        from botocore.exceptions import ClientError

        def fail(n):
            if n >= 3:
                raise ClientError({"Error": {"Code": "AccessDenied"}, "ResponseMetadata": {"HTTPStatusCode": 403}}, "ListObjectsV2")

        bucket = FakeBucket(self.skewed(20000), fail=fail)
        with self.assertRaises(ClientError):
            listed(bucket, 8)


class PagesFromAServer(http.server.BaseHTTPRequestHandler):
    """ListObjectsV2 over HTTP: two pages, keys URL-encoded as botocore asks."""
    keys = ["a b.txt", "dir/é.json", "dir/x&y.txt"]
    seen = []

    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        self.seen.append(q)
        first = "continuation-token" not in q
        body = page_xml(self.keys[:2] if first else self.keys[2:], truncated=first, token="t2" if first else None,
                        encode=q.get("encoding-type") == ["url"])
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class SourceListTest(unittest.TestCase):
    def test_the_engine_lists_through_botocore_with_the_fast_parser(self):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PagesFromAServer)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            env = dict(FAKE_AWS, AWS_ENDPOINT_URL_S3="http://127.0.0.1:%d" % server.server_address[1])
            with mock.patch.dict(os.environ, env):
                src = Source(make_settings(sourceBucketOwner=""), env=env)
                out, skipped = io.StringIO(), mock.Mock()
                objects, total, _ = src.list(out, skipped, workers=1)
        finally:
            server.shutdown()
            server.server_close()
        self.assertEqual((objects, total), (3, 0 + 7 + 0))
        rels = [line.split("\t")[4] for line in out.getvalue().splitlines()]
        self.assertEqual(rels, ['"a b.txt"', '"dir/\\u00e9.json"', '"dir/x&y.txt"'])
        self.assertEqual([q.get("encoding-type") for q in PagesFromAServer.seen], [["url"], ["url"]])


if __name__ == "__main__":
    unittest.main()
