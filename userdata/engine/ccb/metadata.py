"""The source's user metadata, kept on each copied blob.

rclone 1.60.1's Azure backend stores no user metadata (its features list ReadMetadata,
WriteMetadata and UserMetadata as false), so the engine keeps each copied object's x-amz-meta-*
on its blob itself, as one metadata value: S3's names allow characters Azure's do not."""

import json
import urllib.parse

from . import names
from .base import RunFailed, epoch_of_datetime

S3_METADATA = "s3metadata"


def keep_metadata(source, vault, copied):
    """Copies the user metadata of objects rclone just copied onto their blobs: one S3 HEAD per
    object, and a Get Blob Properties + Set Blob Metadata only where there is metadata. Yields
    (rel, error) for those that could not be kept. `copied`: (rel, source mtime) pairs."""
    mtimes = dict(copied)
    for rel, problem, head in source.head_many(list(mtimes)):
        # Gone or unreadable since the copy: nothing to keep. Changed since (another mtime): the
        # next run copies it again, with its metadata.
        if problem and problem.startswith("error:"):
            yield rel, "its user metadata could not be read from S3: %s" % problem
            continue
        meta = (head or {}).get("Metadata") or {}
        if problem or not meta or epoch_of_datetime(head["LastModified"]) != mtimes[rel]:
            continue
        try:
            _store(vault, names.blob_name(rel), meta)
        except RunFailed as e:
            yield rel, "its user metadata could not be stored on the blob: %s" % e


def _store(vault, name, meta):
    """Adds the metadata to the blob's own (rclone's mtime and md5), if the blob is unchanged."""
    with vault.request("HEAD", vault.blob_url(name)) as props:
        headers = {k.lower(): v for k, v in props.headers.items()}
    keep = {k: v for k, v in headers.items() if k.startswith("x-ms-meta-")}
    keep["x-ms-meta-" + S3_METADATA] = urllib.parse.quote(json.dumps(meta, sort_keys=True, separators=(",", ":")), safe="")
    keep["If-Match"] = headers.get("etag", "*")
    vault.request("PUT", vault.blob_url(name, "comp=metadata"), body=b"", headers=keep).close()
