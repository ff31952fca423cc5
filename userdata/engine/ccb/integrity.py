"""The integrity check (--verify): proves the vault holds the source, at the cost of one listing
of each side plus a rotating share of the vault read back:
  * every source object the backup can hold is in data/, with a content record holding the
    source's ETag and size (seal.py);
  * a rotating share of the vault's blobs is read back and checked against its record with the
    rule restore applies (verdict.py), so every blob is read once per integrityCoverageDays. A
    blob's place in the rotation is a hash of its name; each check reads the blobs whose place
    the time since the last check has passed over (all of them after a gap of a whole period),
    plus integritySampleObjects at random. The result says what share of the vault has been
    read within the period, and since when.
A difference is "pending" only when the source object changed after the last successful backup
started (that backup could not have seen it); an older one is a mismatch. Keys the backup names
as unstorable or unreadable are counted, not failed."""

import base64
import hashlib
import http.client
import json
import os
import time

from . import contract, names
from .base import RunFailed, epoch_of, epoch_or_none, log, utc
from .ledger import Ledger
from .listing import Listings
from .march import march, rows
from .unreadable import FILE as UNREADABLE_FILE, Known
from .sample import Sample
from .seal import md5_of
from .verdict import content_verdict

DAY = 86400
# Blobs read back with one SAS (the credentials mint one per use once it runs low).
READS_PER_SAS = 1000
# Without a previous check to continue from, the first reads a week's share.
FIRST_WINDOW_DAYS = 7


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


def previous_check(ctx):
    """The last integrity result (the host's, else the vault's), or {}."""
    name = os.path.basename(contract.STATUS_BLOBS["lastIntegrity"])
    try:
        with open(ctx.paths.state_file(name), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        pass
    try:
        return ctx.vault.get_json(contract.STATUS_BLOBS["lastIntegrity"])
    except (RunFailed, ValueError):
        return {}


def place(name):
    """A blob's place in the rotation, in [0, 1): from a hash of its name."""
    return int(hashlib.sha256(name.encode("utf-8")).hexdigest()[:12], 16) / float(1 << 48)


class Rotation:
    """Which blobs this check reads: those whose place lies in the part of the cycle (one
    coverage period long) that time has passed over since the last check's read."""

    def __init__(self, days, now, previous):
        self.period = days * DAY
        self.now = now
        prev_to = epoch_or_none(previous.get("readUpTo"))
        prev_since = epoch_or_none(previous.get("coveredSince"))
        if prev_to is None or prev_to > now or previous.get("coverageDays") != days:
            self.start, self.covered_since = now - min(FIRST_WINDOW_DAYS * DAY, self.period), None
        else:
            self.start, self.covered_since = prev_to, prev_since
        self.everything = now - self.start >= self.period
        self.lo, self.hi = self._pos(self.start), self._pos(now)

    def _pos(self, t):
        return (t % self.period) / self.period

    def wants(self, name):
        if self.everything:
            return True
        p = place(name)
        if self.lo <= self.hi:
            return self.lo < p <= self.hi
        return p > self.lo or p <= self.hi  # the window wraps round the cycle's end

    def record(self, result):
        """The rotation's figures, once this check's share has been read."""
        since = self.covered_since if self.covered_since is not None else self.start
        result.readFrom, result.readUpTo, result.coveredSince = utc(self.start), utc(self.now), utc(since)
        result.coveredFraction = round(min(1.0, (self.now - since) / self.period), 6)


def carry_forward(result, previous, days):
    """A check that fails before reading keeps the previous rotation's figures: the next check
    continues from where the last completed one stopped."""
    result.coverageDays = days
    if previous.get("coverageDays") == days:
        for k in ("readFrom", "readUpTo", "coveredSince", "coveredFraction"):
            if previous.get(k) is not None:
                setattr(result, k, previous[k])


class Comparison:
    """The march's callbacks: every source object against its blob's content record. Blobs the
    listings found nothing wrong with (and blobs whose source object is gone) are offered to
    `read` for reading back; a blob already named is not named twice."""

    def __init__(self, result, problems, unreadable, since, read):
        self.result, self.problems, self.unreadable, self.since = result, problems, unreadable, since
        self.read = read

    def src_only(self, s):
        self.match(s, None)

    def dst_only(self, d):
        if d[4]:
            self.read(d)
        else:
            # Its source object is gone and nothing records what it holds (an older engine's
            # blob, or one whose object was deleted between its copy and its seal): restore
            # names it as unverified; counted here, not failed.
            self.result.unrecordedVaultOnly += 1

    def match(self, s, here):
        r = self.result
        size, mtime, etag, rel, problem = s[1], s[2], s[3], json.loads(s[4]), s[5]
        if problem:
            r.unstorable += 1
            return
        if self.unreadable.find(s[0]) is not None:
            r.unreadable += 1
            return
        kind, reason = difference(size, etag, here)
        if reason and int(mtime) >= self.since:
            r.pending += 1  # changed since the last successful backup started: the next run copies it
        elif reason:
            self.problems.add_key(rel, reason)
            r.count(kind)
        else:
            r.present += 1
            self.read(here)


def difference(size, etag, here):
    """(kind, reason) of a source object against its vault row (None: missing), or (None, None)."""
    if here is None:
        return "missing", "missing from the vault"
    if here[1] != size:
        return "sizeMismatch", "the blob has %s bytes, the source object %s" % (here[1], size)
    if not here[4]:
        return "unrecorded", ("the blob has no content record consistent with its size and Content-MD5 (no backup has "
                              "recorded what it holds, or the record was altered)")
    if here[4] != etag:
        return "etagMismatch", "the blob holds the object with ETag %s, the source has ETag %s" % (here[4], etag)
    return None, None


def compare(ctx, listings, result, problems, window, picked):
    """Walks the sorted listings; writes the blobs to read back to `picked`; returns the
    rotation and the random extra sample."""
    previous, days, since = window
    # Objects the backup could not read are named in its run summaries, not missing.
    unreadable = Known(ctx.paths.state_file(UNREADABLE_FILE))
    rotation = Rotation(days, time.time(), previous)
    extra = Sample(ctx.settings.integritySampleObjects)
    with open(picked, "w", encoding="utf-8") as out:

        def read(row):
            if rotation.wants(json.loads(row[0])):
                out.write("\t".join(row) + "\n")
            else:
                extra.offer(row)

        walk = Comparison(result, problems, unreadable, since, read)
        march(listings.source_rows(), listings.vault_rows(), walk.src_only, walk.dst_only, walk.match)
        for row in extra.rows:
            out.write("\t".join(row) + "\n")
    return rotation, extra


def verify(ctx, run_dir, result, problems, release):
    days = ctx.settings.integrityCoverageDays
    previous = previous_check(ctx)
    carry_forward(result, previous, days)
    picked = os.path.join(run_dir, "read.tsv")
    with Ledger(os.path.join(run_dir, "unstorable.jsonl.gz")) as unstorable, \
            Listings(ctx, run_dir, unstorable) as listings:
        listings.run("integrity: ")
        result.sourceObjects, result.sourceBytes = listings.sourceObjects, listings.sourceBytes
        result.vaultObjects = listings.vaultObjects
        # The comparison works on the two listings: a backup may run again from here on.
        release()
        result.unstorable = unstorable.count
        since = last_success_start(ctx)
        if since is None:
            raise RunFailed("no successful backup recorded (last-success.json on the host or in the vault): nothing to check against yet")
        result.backupSince = utc(since)
        rotation, extra = compare(ctx, listings, result, problems, (previous, days, since), picked)
    log("integrity: reading back blobs placed in (%.6f, %.6f] of the %d-day rotation, and %d more at random" % (
        rotation.lo, rotation.hi, days, len(extra.rows)))
    reader = None
    for i, row in enumerate(rows(picked)):
        if i % READS_PER_SAS == 0:
            reader = ctx.vault.pinned()
        read_back(ctx, reader, result, problems, row)
    os.unlink(picked)
    rotation.record(result)


def read_back(ctx, vault, result, problems, row):
    """Reads one blob back from the vault and checks it as restore would."""
    name, size, md5, raw = json.loads(row[0]), int(row[1]), row[3] or None, row[5] or None
    try:
        n, got = md5_of(vault.chunks(name))
    except RunFailed as e:
        if "(HTTP 404)" in str(e):
            result.pending += 1  # deleted (mirror mode) since the listing
            return
        raise RunFailed("cannot read the blob data/%s back: %s" % (json.dumps(name), e))
    except (OSError, http.client.HTTPException) as e:
        raise RunFailed("cannot read the blob data/%s back: %s" % (json.dumps(name), e))
    verdict, reason = content_verdict(size, md5, raw, n, got)
    if verdict != "verified" and changed_since_listing(vault, name, size, md5, raw):
        result.pending += 1  # a backup replaced it after the listing
        return
    result.sampled += 1
    result.sampledBytes += n
    if verdict == "verified":
        return
    problems.add_key(names.decode_blob_name(name), "read back from the vault: %s" % reason)
    if verdict == "mismatch":
        result.sampleMismatch += 1
    else:
        result.sampleUnverified += 1


def changed_since_listing(vault, name, size, md5, raw):
    """True when the blob is no longer what the listing showed (a backup replaced it)."""
    try:
        props = vault.properties(name)
    except RunFailed:
        return True  # deleted since the listing (or unreachable: the read said why)
    now_md5 = props.get("content-md5")
    now_md5 = base64.b64decode(now_md5).hex() if now_md5 else None
    return (int(props.get("content-length", -1)), now_md5, props.get("x-ms-meta-" + contract.CONTENT_RECORD)) != (
        size, md5, raw)
