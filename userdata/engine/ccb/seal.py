"""Sealing: the vault learns exactly what each blob holds.

After rclone copies an object, the engine reads that very object once more from S3 (GetObject
with IfMatch on the ETag the listing named; from a host in the bucket's region this costs one
request and no transfer charge), hashes its bytes, and, when the blob holds exactly that many
bytes, records on the blob:
  * Content-MD5 = the MD5 of those bytes (Set Blob Properties, keeping the blob's other headers);
    never a source ETag, which is not an MD5 for SSE-KMS, SSE-C or multipart objects;
  * the content record (contract.CONTENT_RECORD): the object's ETag, VersionId, size,
    LastModified, encryption, that MD5 and the engine, in the same Set Blob Metadata request as
    the object's user metadata. The record is the "metadata kept" mark: a blob without one is
    sealed again by the next run, so metadata is never lost silently.
Both writes carry If-Match, so a blob replaced meanwhile is never sealed with another's hash.

Why a second read and not the copy's own stream: rclone 1.60.1 hands Azure the source's ETag as
the MD5 and computes none itself; its hasher backend keeps sums in a local database, not on the
blob. rclone is told not to store any Content-MD5 (--azureblob-disable-checksum), and the
checks, the drill and restore all read the blob's bytes back against this record.

A blob without a record (written by an older engine, or whose seal did not complete) is adopted
without copying it again when its bytes are the source's: its Content-MD5 already is the MD5 the
engine computed, or reading the blob back gives that MD5. Otherwise it is copied again."""

import base64
import hashlib
import http.client
import json
import os
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

from . import contract
from .base import RunFailed, epoch_of_datetime, epoch_or_none
from .source import STREAM_BYTES, etag_of

WORKERS = 16
# URL-encoded user metadata longer than this is stored as base64 instead.
METADATA_QUOTED_MAX = 4096
# Blob headers Set Blob Properties would clear unless they are sent again.
KEPT_HEADERS = (
    ("content-type", "x-ms-blob-content-type"),
    ("content-encoding", "x-ms-blob-content-encoding"),
    ("content-language", "x-ms-blob-content-language"),
    ("content-disposition", "x-ms-blob-content-disposition"),
    ("cache-control", "x-ms-blob-cache-control"),
)


class NotSealed(Exception):
    """The blob cannot be sealed now; `outcome` says why: "changed" (the object or the blob
    changed since the listing: the next run copies it), "gone", "refused" (S3 refuses to read
    the object) or "error"."""

    def __init__(self, outcome, detail):
        super().__init__(detail)
        self.outcome, self.detail = outcome, detail


def engine_id():
    """The engine that writes a record: its bundle's SHA-256 prefix, as the loader sets it."""
    return os.environ.get("CCB_ENGINE", "dev")


def encode_record(record):
    return urllib.parse.quote(json.dumps(record, sort_keys=True, separators=(",", ":")), safe="")


def encode_metadata(meta):
    """URL-encoded JSON; base64 (contract.S3_METADATA_BASE64) where that would not fit beside
    the record in Azure's 8 KiB of metadata: S3 allows 2 KB, and a non-ASCII character grows
    ninefold when URL-encoded, a third when base64-encoded."""
    text = json.dumps(meta, sort_keys=True, separators=(",", ":"))
    quoted = urllib.parse.quote(text, safe="")
    if len(quoted) <= METADATA_QUOTED_MAX:
        return quoted
    return contract.S3_METADATA_BASE64 + base64.b64encode(text.encode("utf-8")).decode("ascii")


def sse_of(answer):
    """The object's server-side encryption, as S3 answered a GET or HEAD."""
    if answer.get("SSECustomerAlgorithm"):
        return "SSE-C"
    return answer.get("ServerSideEncryption") or "none"


def md5_of(chunks):
    """(bytes, hex MD5) of a stream of chunks."""
    h = hashlib.md5(usedforsecurity=False)
    n = 0
    for c in chunks:
        h.update(c)
        n += len(c)
    return n, h.hexdigest()


def hash_source(source, rel, etag):
    """Reads the object the listing named (IfMatch its ETag) and hashes it: (record, user
    metadata). Raises NotSealed."""
    import botocore.exceptions

    try:
        obj = source.get(rel, etag)
        body = obj["Body"]
        try:
            n, md5 = md5_of(iter(lambda: body.read(STREAM_BYTES), b""))
        finally:
            body.close()
    except botocore.exceptions.ClientError as e:
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        code = e.response.get("Error", {}).get("Code", "?")
        if status == 412 or code == "PreconditionFailed":
            raise NotSealed("changed", "the object changed since the listing")
        if status == 404 or code == "NoSuchKey":
            raise NotSealed("gone", "the object was deleted since the listing")
        if status in (400, 403):
            raise NotSealed("refused", "S3 refused to read it: HTTP %s (%s)" % (status, code))
        raise NotSealed("error", "cannot read it from S3 to hash it: HTTP %s (%s)" % (status, code))
    except (botocore.exceptions.BotoCoreError, OSError, http.client.HTTPException) as e:
        raise NotSealed("error", "cannot read it from S3 to hash it: %s" % e)
    if n != int(obj.get("ContentLength", n)):
        raise NotSealed("error", "S3 sent %d of its %s bytes" % (n, obj.get("ContentLength")))
    meta = obj.get("Metadata") or {}
    record = {
        "format": contract.CONTENT_RECORD_FORMAT,
        "etag": etag_of(obj),
        "size": n,
        "mtime": epoch_of_datetime(obj["LastModified"]),
        "sse": sse_of(obj),
        "md5": md5,
        "meta": len(meta),
        "engine": engine_id(),
    }
    if obj.get("VersionId") and obj["VersionId"] != "null":
        record["versionId"] = obj["VersionId"]
    return record, meta


def write_record(vault, name, record, meta, refresh=None):
    """Sets Content-MD5 and the content record (with the user metadata) on data/<name>, if the
    blob has the record's size and holds the version the record names (rclone's mtime on it is
    that version's LastModified: a version copied in between, even one with the same ETag, has
    another). `refresh`: the source's content headers and LastModified, for an object whose
    metadata alone changed. Raises NotSealed."""
    try:
        props = vault.properties(name)
        size = int(props.get("content-length", -1))
        if size != record["size"]:
            raise NotSealed("error", "the blob has %d bytes, the source object %d: not sealed, the next run copies it again" % (
                size, record["size"]))
        if refresh is None and props.get("x-ms-meta-mtime") and epoch_or_none(props["x-ms-meta-mtime"]) != record["mtime"]:
            raise NotSealed("changed", "the blob holds another version than the one hashed (LastModified differs)")
        headers = {"x-ms-blob-content-md5": base64.b64encode(bytes.fromhex(record["md5"])).decode("ascii"),
                   "If-Match": props.get("etag", "*")}
        for have, send in KEPT_HEADERS:
            value = (refresh or {}).get(send, props.get(have))
            if value:
                headers[send] = value
        with vault.request("PUT", vault.blob_url(name, "comp=properties"), body=b"", headers=headers) as resp:
            etag = resp.headers.get("ETag") or "*"
        keep = {k: v for k, v in props.items() if k.startswith("x-ms-meta-")
                and k[len("x-ms-meta-"):] not in (contract.CONTENT_RECORD, contract.S3_METADATA)}
        if refresh is not None:
            keep["x-ms-meta-mtime"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record["mtime"]))
        if meta:
            keep["x-ms-meta-" + contract.S3_METADATA] = encode_metadata(meta)
        keep["x-ms-meta-" + contract.CONTENT_RECORD] = encode_record(record)
        keep["If-Match"] = etag
        vault.request("PUT", vault.blob_url(name, "comp=metadata"), body=b"", headers=keep).close()
    except RunFailed as e:
        if "(HTTP 412)" in str(e) or "(HTTP 404)" in str(e):
            raise NotSealed("changed", "the blob changed while it was sealed")
        raise NotSealed("error", "cannot record its content on the blob: %s" % e)


def seal_one(source, vault, rel, etag, blob_name):
    record, meta = hash_source(source, rel, etag)
    write_record(vault, blob_name, record, meta)
    return record


def refresh_one(source, vault, rel, etag, blob_name, md5):
    """The object's metadata changed but not its bytes (same ETag, another LastModified: an
    in-place CopyObject with REPLACE): records its new metadata, headers and LastModified on
    the blob without reading or copying its bytes (the blob's trusted record has their MD5)."""
    import botocore.exceptions

    try:
        head = source.client.head_object(Bucket=source.settings.sourceBucket, Key=source.key(rel), IfMatch='"%s"' % etag)
    except botocore.exceptions.ClientError as e:
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if status in (404, 412):
            raise NotSealed("changed", "the object changed since the listing")
        raise NotSealed("refused" if status in (400, 403) else "error", "HEAD refused: HTTP %s" % status)
    except (botocore.exceptions.BotoCoreError, OSError) as e:
        raise NotSealed("error", "cannot read its metadata from S3: %s" % e)
    meta = head.get("Metadata") or {}
    record = {"format": contract.CONTENT_RECORD_FORMAT, "etag": etag_of(head), "size": int(head["ContentLength"]),
              "mtime": epoch_of_datetime(head["LastModified"]), "sse": sse_of(head), "md5": md5, "meta": len(meta),
              "engine": engine_id()}
    if head.get("VersionId") and head["VersionId"] != "null":
        record["versionId"] = head["VersionId"]
    refresh = {send: head.get(field) for field, send in (
        ("ContentType", "x-ms-blob-content-type"), ("ContentEncoding", "x-ms-blob-content-encoding"),
        ("ContentLanguage", "x-ms-blob-content-language"), ("ContentDisposition", "x-ms-blob-content-disposition"),
        ("CacheControl", "x-ms-blob-cache-control"))}
    write_record(vault, blob_name, record, meta, refresh=refresh)
    return record


def adopt_one(source, vault, rel, etag, blob_name, content_md5):
    """Seals a blob that has no record without copying it again, when its bytes are the
    source's: returns (record, read back?), or raises NotSealed("differs", ...)."""
    record, meta = hash_source(source, rel, etag)
    read = False
    if content_md5 != record["md5"]:
        try:
            got = md5_of(vault.chunks(blob_name))
        except (RunFailed, OSError, http.client.HTTPException) as e:
            raise NotSealed("error", "cannot read the blob back to check it: %s" % e)
        read = True
        if got != (record["size"], record["md5"]):
            raise NotSealed("differs", "its bytes are not the source object's (%d bytes, MD5 %s; the source %d, %s)" % (
                got[0], got[1], record["size"], record["md5"]))
    write_record(vault, blob_name, record, meta)
    return record, read


def run_many(fn, items):
    """fn(*item) for each item, WORKERS at a time: yields (item, result, NotSealed or None)."""

    def one(item):
        try:
            return item, fn(*item), None
        except NotSealed as e:
            return item, None, e
        except Exception as e:  # a transport error mid-read is this object's, not the run's
            return item, None, NotSealed("error", "%s: %s" % (type(e).__name__, e))

    pool = ThreadPoolExecutor(max_workers=WORKERS)
    try:
        yield from pool.map(one, items)
    finally:
        # A stopped run (SIGTERM) does not wait for the rest of the batch.
        pool.shutdown(wait=True, cancel_futures=True)
