"""The S3 source: its listing, HEADs and reads, through botocore. Never writes."""

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from . import names, s3pages
from .base import RunFailed, epoch_of_datetime, tsv

STREAM_BYTES = 1 << 20


def etag_of(answer):
    """An S3 ETag without its quotes (a listing entry, HEAD or GET answer)."""
    return answer.get("ETag", "").strip('"')


def expect_owner(owner):
    """A botocore hook that adds ExpectedBucketOwner to every S3 request that takes it: a bucket
    of the same name re-created by another account answers 403 instead of being backed up."""

    def add(params, model, **_):
        if "ExpectedBucketOwner" in model.input_shape.members:
            params.setdefault("ExpectedBucketOwner", owner)

    return add


class Source:
    """The source bucket under the prefix, for one run (botocore clients are thread-safe)."""

    def __init__(self, settings, env=None):
        self.settings = settings
        self.env = os.environ if env is None else env
        self._client = None

    @property
    def client(self):
        if self._client is None:
            import botocore.config
            import botocore.session

            endpoint = self.env.get("AWS_ENDPOINT_URL_S3") or None
            cfg = botocore.config.Config(
                retries={"max_attempts": 4, "mode": "standard"},
                connect_timeout=10,
                read_timeout=60,
                # An endpoint override (an emulator) is addressed path-style; AWS virtual-host style.
                s3={"addressing_style": "path" if endpoint else "virtual"},
                max_pool_connections=2 * s3pages.LIST_WORKERS,
            )
            session = botocore.session.get_session()
            # Listing pages are parsed in one pass (s3pages.py); everything else as botocore does.
            session.register_component("response_parser_factory", s3pages.parser_factory())
            self._client = session.create_client(
                "s3", region_name=self.settings.sourceRegion, endpoint_url=endpoint, config=cfg)
            owner = self.settings.sourceBucketOwner
            if owner:
                self._client.meta.events.register("provide-client-params.s3", expect_owner(owner))
        return self._client

    def key(self, rel):
        return self.settings.sourcePrefix + rel

    def rclone_path(self):
        """rclone's path of the prefix, with its trailing '/': without it, rclone 1.60.1 takes an
        object named like the prefix ("p" beside "p/...") for the root and copies nothing under it."""
        return "source:%s/%s" % (self.settings.sourceBucket, self.settings.sourcePrefix)

    def list(self, out, skipped, workers=s3pages.LIST_WORKERS):
        """Lists the source into `out` (anything with write(), e.g. a sort's input), in parallel
        key ranges (s3pages.py); returns (objects, bytes, ranges split off). Each line: blob name,
        size, mtime, ETag, key, problem. Keys the vault cannot hold at all go to `skipped`."""
        import botocore.exceptions
        import botocore.parsers

        bucket, prefix = self.settings.sourceBucket, self.settings.sourcePrefix
        lock, totals = threading.Lock(), [0, 0]

        def fetch(after, token):
            extra = {"ContinuationToken": token} if token else ({"StartAfter": after} if after else {})
            return self.client.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1000, **extra)

        def emit(objects):
            with lock:
                for o in objects:
                    totals[0] += 1
                    totals[1] += int(o["Size"])
                    self._write_row(out, o, skipped)

        try:
            splits = s3pages.list_ranges(fetch, prefix, emit, workers)
        except botocore.exceptions.ClientError as e:
            raise RunFailed(self._list_refused(e))
        except (botocore.exceptions.BotoCoreError, botocore.parsers.ResponseParserError) as e:
            raise RunFailed("cannot list the source bucket %s: %s" % (bucket, e))
        return totals[0], totals[1], splits

    def _list_refused(self, e):
        bucket, code = self.settings.sourceBucket, e.response.get("Error", {}).get("Code", "")
        if code == "NoSuchBucket":
            return "source bucket %s does not exist (NoSuchBucket)" % bucket
        if code in ("AccessDenied", "403"):
            owner = self.settings.sourceBucketOwner
            return "not allowed to list the source bucket %s (AccessDenied)%s" % (bucket, (
                ": the host's role may not list it, or the bucket is not owned by account %s (ExpectedBucketOwner; "
                "a bucket of that name deleted and re-created by another account)" % owner) if owner else "")
        return "cannot list the source bucket %s: %s" % (bucket, code or e)

    def _write_row(self, out, o, skipped):
        rel, size = o["Key"][len(self.settings.sourcePrefix):], int(o["Size"])
        problem = names.key_problem(rel)
        if problem is not None:
            # The prefix's own empty folder marker holds nothing to back up: always accepted
            # (no pattern can name the empty key below the prefix).
            skipped.add_key(rel, problem, accepted=rel == "" and size == 0)
            return
        # The ETag is the object's identity, never its hash: SSE-KMS, SSE-C and multipart ETags
        # are not MD5s (seal.py hashes the bytes).
        etag = etag_of(o)
        name = names.blob_name(rel)
        problem = names.storage_problem(name, size, o.get("StorageClass", "STANDARD"))
        out.write(tsv(json.dumps(name), size, epoch_of_datetime(o["LastModified"]), etag, json.dumps(rel), problem or ""))

    def head_many(self, rels):
        """HEADs objects, 16 at a time; yields (rel, problem, head): problem is None (head is S3's
        answer), "gone" or an error."""
        import botocore.exceptions

        def one(rel):
            try:
                return rel, None, self.client.head_object(Bucket=self.settings.sourceBucket, Key=self.key(rel))
            except botocore.exceptions.ClientError as e:
                status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                if status == 404:
                    return rel, "gone", None
                return rel, "HTTP %s on HEAD (%s)" % (status, e.response.get("Error", {}).get("Code", "?")), None
            except Exception as e:  # transport errors: not the object's fault
                return rel, "error: %s" % e, None

        with ThreadPoolExecutor(max_workers=16) as pool:
            yield from pool.map(one, rels)

    def head(self, rel):
        return self.client.head_object(Bucket=self.settings.sourceBucket, Key=self.key(rel))

    def get(self, rel, etag=None):
        """GetObject; with `etag`, only that very object (IfMatch: S3 answers 412 otherwise)."""
        extra = {"IfMatch": '"%s"' % etag} if etag else {}
        return self.client.get_object(Bucket=self.settings.sourceBucket, Key=self.key(rel), **extra)

    def chunks(self, rel):
        body = self.get(rel)["Body"]
        return iter(lambda: body.read(STREAM_BYTES), b"")

    def probe(self):
        """One cheap request: None when the bucket answers, else what went wrong."""
        try:
            self.client.list_objects_v2(
                Bucket=self.settings.sourceBucket, Prefix=self.settings.sourcePrefix, MaxKeys=1)
        except Exception as e:  # botocore raises several unrelated exception types
            return "the source bucket: %s" % e
        return None
