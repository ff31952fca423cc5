"""The restore drill (--drill): restores a random sample of the vault's blobs to files on disk,
by the keys their names decode to, and compares each with the source object of that key, byte
for byte. Needs only read access to S3. Objects deleted or changed in the source since their
backup are counted, not compared."""

import json
import os
import shutil

from . import names
from .base import RunFailed, epoch_of_datetime, log
from .march import rows
from .sample import Sample, digest
from .source import STREAM_BYTES

# Room for a restored object, with this to spare: a drill must never fill the host's disk.
SPARE_BYTES = 1 << 30


def restore_drill(ctx, run_dir, result, problems, release):
    vault_list = os.path.join(run_dir, "vault.tsv")
    log("restore drill: listing the vault")
    result.vaultObjects = ctx.vault.list(vault_list)
    release()
    sample = Sample(ctx.settings.restoreDrillObjects)
    for row in rows(vault_list):
        sample.offer(row)
    os.unlink(vault_list)
    scratch = os.path.join(run_dir, "restored")
    os.makedirs(scratch)
    log("restore drill: restoring %d sampled objects to %s" % (len(sample.rows), scratch))
    try:
        for i, row in enumerate(sample.rows):
            restore_one(ctx, result, problems, row, os.path.join(scratch, str(i)))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if sample.rows and not result.restored and not problems.count:
        raise RunFailed("none of the %d sampled objects could be compared with its source (gone, changed since the backup, "
                        "or too large for the disk)" % len(sample.rows))


def restore_one(ctx, result, problems, row, path):
    """Restores one sampled blob to `path` and compares it with its source object."""
    name_json, size, mtime = row[0], int(row[1]), int(row[2])
    name = json.loads(name_json)
    rel = names.decode_blob_name(name)
    if names.restores_exactly(name) is None:
        problems.add_key(rel, "the blob name %s does not restore to a key exactly" % name_json)
        return
    if size > shutil.disk_usage(os.path.dirname(path)).free - SPARE_BYTES:
        result.tooLarge += 1
        return
    try:
        with open(path, "wb") as f:
            for c in ctx.vault.chunks(name):
                f.write(c)
    except (RunFailed, OSError) as e:
        problems.add_key(rel, "could not be restored from the vault: %s" % e)
        return
    got = os.path.getsize(path)
    if got != size:
        problems.add_key(rel, "restored %d bytes, the vault lists %s" % (got, size))
        return
    if source_moved_on(ctx, result, rel, mtime):
        return
    with open(path, "rb") as f:
        restored = digest(iter(lambda: f.read(STREAM_BYTES), b""))
    source = read_source(ctx, rel)
    if restored != source:
        problems.add_key(rel, "the restored copy differs from the source object (SHA-256)")
        return
    result.restored += 1
    result.restoredBytes += restored[0]
    os.unlink(path)


def source_moved_on(ctx, result, rel, mtime):
    """True (and counted) when the source object is gone or changed since its backup."""
    import botocore.exceptions

    try:
        head = ctx.source.head(rel)
    except botocore.exceptions.ClientError as e:
        if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
            result.sourceGone += 1
            return True
        raise RunFailed("cannot read the source object %s: %s" % (json.dumps(rel), e))
    if epoch_of_datetime(head["LastModified"]) != mtime:
        result.sourceChanged += 1
        return True
    return False


def read_source(ctx, rel):
    import botocore.exceptions

    try:
        return digest(ctx.source.chunks(rel))
    except (OSError, botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        raise RunFailed("cannot read the source object %s: %s" % (json.dumps(rel), e))
