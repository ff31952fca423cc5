import os
import unittest
from unittest import mock

from ccb.source import Source

from helpers import make_settings

FAKE_AWS = {"AWS_ACCESS_KEY_ID": "AKIAFAKEFAKEFAKE", "AWS_SECRET_ACCESS_KEY": "fake", "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}


class ExpectedOwnerTest(unittest.TestCase):
    def calls(self, owner):
        """A listing, a HEAD and a GET through botocore's Stubber, which refuses any parameter it
        was not told to expect."""
        from botocore.stub import Stubber

        with mock.patch.dict(os.environ, FAKE_AWS):
            src = Source(make_settings(sourceBucketOwner=owner), env={})
            extra = {"ExpectedBucketOwner": owner} if owner else {}
            with Stubber(src.client) as stub:
                stub.add_response("list_objects_v2", {"Contents": []}, dict(Bucket="example-bucket", Prefix="", **extra))
                stub.add_response("head_object", {"ContentLength": 1}, dict(Bucket="example-bucket", Key="k", **extra))
                stub.add_response("get_object", {}, dict(Bucket="example-bucket", Key="k", **extra))
                src.client.list_objects_v2(Bucket="example-bucket", Prefix="")
                src.head("k")
                src.client.get_object(Bucket="example-bucket", Key="k")
                stub.assert_no_pending_responses()

    def test_every_request_carries_the_bucket_owner(self):
        self.calls("123456789012")

    def test_without_an_owner_no_request_carries_one(self):
        self.calls("")


class PrefixMarkerTest(unittest.TestCase):
    def test_the_prefixs_own_empty_folder_marker_is_accepted_one_with_bytes_is_not(self):
        import datetime
        import io
        import tempfile

        from ccb.ledger import Ledger

        src = Source(make_settings(sourcePrefix="p/"), env={})
        with tempfile.TemporaryDirectory() as d:
            skipped = Ledger(os.path.join(d, "s.gz"))
            out = io.StringIO()
            when = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
            src._write_row(out, {"Key": "p/", "Size": 0, "ETag": '"e"', "LastModified": when}, skipped)
            self.assertEqual((skipped.accepted, skipped.count), (1, 0))
            src._write_row(out, {"Key": "p/", "Size": 5, "ETag": '"e"', "LastModified": when}, skipped)
            self.assertEqual((skipped.accepted, skipped.count), (1, 1))
            skipped.close()
            self.assertEqual(out.getvalue(), "")
