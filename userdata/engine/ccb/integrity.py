"""The integrity check (--verify): proves the vault matches the source at the cost of one
listing of each side plus a sample:
  * every source object the backup can hold is in data/ with the source's size;
  * where both sides carry an MD5 (single-part uploads), the MD5s are equal;
  * a random sample is read from both sides and compared byte for byte (SHA-256 of the streams).
    Half the sample is drawn from objects that have no comparable MD5 (multipart uploads,
    SSE-KMS), which the hash comparison cannot cover.
Objects modified since the last successful backup started are "pending" (the next run copies
them), not mismatches; keys the backup names as unstorable are counted, not failed."""

import json
import os

from . import contract
from .base import RunFailed, epoch_of, epoch_of_datetime, log, utc
from .ledger import Ledger
from .march import ignore, march, rows, sort_file
from .plan import Unreadable
from .sample import Sample, digest, split_sample
from .source import STREAM_BYTES


def last_success_start(ctx):
    """When the last successful backup started (epoch): the host's record, else the vault's
    (a replaced host), else None."""
    try:
        with open(ctx.paths.state_file("last-success.json"), encoding="utf-8") as f:
            return epoch_of(json.load(f)["started"])
    except (OSError, ValueError, KeyError):
        pass
    try:
        return epoch_of(ctx.vault.get_json(contract.STATUS_BLOBS["lastSuccess"])["started"])
    except (RunFailed, ValueError, KeyError):
        return None


def mismatch(s, here):
    """(kind, reason) of a source row against its vault row (None: missing), or (None, None)."""
    _, size, mtime, md5 = s[:4]
    if here is None:
        return "missing", "missing from the vault"
    if here[1] != size:
        return "sizeMismatch", "the blob has %s bytes, the source object %s" % (here[1], size)
    if md5 and here[3] and md5 != here[3]:
        return "hashMismatch", "the blob's MD5 %s differs from the source's %s" % (here[3], md5)
    if here[2] != mtime:
        return "mtimeMismatch", "the blob records modification time %s, the source object %s" % (
            utc(int(here[2])) if int(here[2]) >= 0 else "none", utc(int(mtime)))
    return None, None


class Comparison:
    """The march's callbacks for the check: counts every source object, names mismatches, and
    draws the byte-for-byte sample from the objects that are present."""

    def __init__(self, result, problems, unreadable, since, k):
        self.result, self.problems, self.unreadable, self.since = result, problems, unreadable, since
        self.hashed, self.unhashed = Sample(k), Sample(k)

    def src_only(self, s):
        self.match(s, None)

    def match(self, s, here):
        r = self.result
        mtime, md5, rel, problem = s[2], s[3], json.loads(s[4]), s[5]
        if problem:
            r.unstorable += 1
            return
        if rel in self.unreadable:
            r.unreadable += 1
            return
        kind, reason = mismatch(s, here)
        if reason and int(mtime) >= self.since:
            r.pending += 1  # changed since the last successful backup started: the next run copies it
        elif reason:
            self.problems.add_key(rel, reason)
            r.count(kind)
        else:
            r.present += 1
            if md5 and here[3]:
                r.hashMatched += 1
            (self.hashed if md5 and here[3] else self.unhashed).offer((rel, json.loads(here[0]), int(mtime)))


def verify(ctx, run_dir, result, problems, release):
    source_list = os.path.join(run_dir, "source.tsv")
    vault_list = os.path.join(run_dir, "vault.tsv")
    with Ledger(os.path.join(run_dir, "unstorable.jsonl.gz")) as unstorable:
        log("integrity: listing the source")
        result.sourceObjects, result.sourceBytes = ctx.source.list(source_list, unstorable)
        log("integrity: listing the vault")
        result.vaultObjects = ctx.vault.list(vault_list)
        # The comparison works on the two listings: a backup may run again from here on.
        release()
        sort_file(source_list, run_dir)
        sort_file(vault_list, run_dir)
    result.unstorable = unstorable.count
    since = last_success_start(ctx)
    if since is None:
        raise RunFailed("no successful backup recorded (last-success.json on the host or in the vault): nothing to check against yet")
    result.backupSince = utc(since)
    # Objects the backup could not read are named in its run summaries, not missing.
    unreadable = Unreadable(ctx.paths.state_file("unreadable.jsonl")).entries
    k = ctx.settings.integritySampleObjects
    walk = Comparison(result, problems, unreadable, since, k)
    march(rows(source_list), rows(vault_list), walk.src_only, ignore, walk.match)
    os.unlink(source_list)
    os.unlink(vault_list)
    picked = split_sample(walk.hashed, walk.unhashed, k)
    log("integrity: comparing %d sampled objects byte for byte" % len(picked))
    for rel, name, mtime in picked:
        compare_sampled(ctx, result, problems, rel, name, mtime)


def compare_sampled(ctx, result, problems, rel, name, mtime):
    """Reads one sampled object from both sides and compares them byte for byte."""
    import botocore.exceptions

    try:
        obj = ctx.source.get(rel)
    except botocore.exceptions.ClientError as e:
        if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            result.pending += 1  # deleted since the listing
            return
        raise RunFailed("cannot read the sampled source object %s: %s" % (json.dumps(rel), e))
    if epoch_of_datetime(obj["LastModified"]) != mtime:
        obj["Body"].close()
        result.pending += 1  # changed since the listing
        return
    try:
        a = digest(iter(lambda: obj["Body"].read(STREAM_BYTES), b""))
        b = digest(ctx.vault.chunks(name))
    except (RunFailed, OSError, botocore.exceptions.BotoCoreError) as e:
        raise RunFailed("cannot read the sampled object %s: %s" % (json.dumps(rel), e))
    result.sampled += 1
    result.sampledBytes += a[0]
    if a != b:
        problems.add_key(rel, "content differs from the source (%d bytes in the vault, %d in the source; SHA-256 differs)" % (
            b[0], a[0]))
        result.sampleMismatch += 1
