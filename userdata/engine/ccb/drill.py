"""The restore drill (--drill): restores a random sample of the vault's blobs to files on disk,
by the keys their names decode to, and verifies each exactly as restore does (verdict.py: size
and MD5 against the blob's content record), so a drill passes only where a restore would. Each
verified copy is also compared byte for byte with its source object while that still has the
recorded ETag. Needs only read access to S3. Objects deleted or changed in the source since
their backup are counted, not compared with it."""

import hashlib
import json
import os
import shutil

from . import names
from .base import RunFailed, log
from .march import rows
from .sample import Sample, digest
from .source import STREAM_BYTES, etag_of
from .integrity import changed_since_listing
from .verdict import content_verdict

# Room for a restored object, with this to spare: a drill must never fill the host's disk.
SPARE_BYTES = 1 << 30


def restore_drill(ctx, run_dir, result, problems, release):
    vault_list = os.path.join(run_dir, "vault.tsv")
    log("restore drill: listing the vault")
    with open(vault_list, "w", encoding="utf-8") as out:
        result.vaultObjects = ctx.vault.list(out)
    release()
    sample = Sample(ctx.settings.restoreDrillObjects)
    for row in rows(vault_list):
        sample.offer(row)
    os.unlink(vault_list)
    if not sample.rows:
        raise RunFailed("the vault holds no blob under data/ to restore")
    scratch = os.path.join(run_dir, "restored")
    os.makedirs(scratch)
    log("restore drill: restoring %d sampled objects to %s" % (len(sample.rows), scratch))
    try:
        for i, row in enumerate(sample.rows):
            restore_one(ctx, result, problems, row, os.path.join(scratch, str(i)))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not result.restored and not problems.count:
        raise RunFailed("none of the %d sampled objects could be restored and verified (too large for the disk, "
                        "or none sampled)" % len(sample.rows))


def restore_one(ctx, result, problems, row, path):
    """Restores one sampled blob to `path`, verifies it as restore does (verdict.py), and
    compares it with its source object while that still has the recorded ETag."""
    name, size, md5, etag, raw = json.loads(row[0]), int(row[1]), row[3] or None, row[4], row[5] or None
    rel = names.decode_blob_name(name)
    if names.restores_exactly(name) is None:
        problems.add_key(rel, "the blob name %s does not restore to a key exactly" % row[0])
        return
    if size > shutil.disk_usage(os.path.dirname(path)).free - SPARE_BYTES:
        result.tooLarge += 1
        return
    md5_hash, sha, n = hashlib.md5(usedforsecurity=False), hashlib.sha256(), 0
    try:
        with open(path, "wb") as f:
            for c in ctx.vault.chunks(name):
                f.write(c)
                md5_hash.update(c)
                sha.update(c)
                n += len(c)
    except (RunFailed, OSError) as e:
        problems.add_key(rel, "could not be restored from the vault: %s" % e)
        return
    finally:
        if os.path.exists(path):
            os.unlink(path)
    verdict, reason = content_verdict(size, md5, raw, n, md5_hash.hexdigest())
    if verdict != "verified" and changed_since_listing(ctx.vault, name, size, md5, raw):
        return  # a backup replaced it after the listing: not this drill's to judge
    if verdict != "verified":
        problems.add_key(rel, "a restore would find it %s: %s" % (verdict, reason))
        return
    result.restored += 1
    result.restoredBytes += n
    if etag and not source_moved_on(ctx, result, rel, etag) and same_as_source(ctx, result, problems, rel, etag, (n, sha.hexdigest())):
        result.sourceCompared += 1


def source_moved_on(ctx, result, rel, etag):
    """True (and counted) when the source object is gone or no longer the recorded one."""
    import botocore.exceptions

    try:
        head = ctx.source.head(rel)
    except botocore.exceptions.ClientError as e:
        if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
            result.sourceGone += 1
            return True
        raise RunFailed("cannot read the source object %s: %s" % (json.dumps(rel), e))
    if etag_of(head) != etag:
        result.sourceChanged += 1
        return True
    return False


def same_as_source(ctx, result, problems, rel, etag, restored):
    """Compares the restored bytes with the source object of the recorded ETag."""
    import botocore.exceptions

    try:
        body = ctx.source.get(rel, etag)["Body"]
        source = digest(iter(lambda: body.read(STREAM_BYTES), b""))
    except botocore.exceptions.ClientError as e:
        if e.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (404, 412):
            result.sourceChanged += 1  # replaced or deleted since the HEAD
            return False
        raise RunFailed("cannot read the source object %s: %s" % (json.dumps(rel), e))
    except (OSError, botocore.exceptions.BotoCoreError) as e:
        raise RunFailed("cannot read the source object %s: %s" % (json.dumps(rel), e))
    if source != restored:
        problems.add_key(rel, "the restored copy differs from the source object with the recorded ETag (SHA-256)")
        return False
    return True
