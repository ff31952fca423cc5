"""The backup command: list both sides, plan, (mirror mode) archive, then copy in batches."""

import json
import os
import re
import time

from . import plan as planning
from .base import log, tsv
from .listing import Listings
from . import freshness, names, runs, seal
from .rclone import BatchStalled, clean_error
from .transfer import Transfer

# Time a run spends adopting blobs an older engine wrote, after its copies (an upgrade over a
# large vault spreads over several runs).
ADOPT_SECONDS = 3 * 3600
# Time a run may spend before it starts no more batches: well within the unit's
# TimeoutStartSec=23h, so that a first copy of millions of objects ends each day with a summary
# and the next run continues where it stopped (CCB_COPY_SECONDS overrides it, e.g. in tests).
COPY_SECONDS = 20 * 3600
# Where the copy starts: after the last batch the previous run did not finish (a stall or the
# time limit), so that one bad key range never starves the keys after it.
CURSOR_FILE = "copy-cursor.json"
# A run in which S3 refused at least this many objects and copied none fails instead.
ALL_REFUSED_MIN = 20
# Source-side errors that retrying will not fix: the object is skipped and named...
UNREADABLE = re.compile(
    r"(AccessDenied|InvalidObjectState|restore first|Forbidden|status code: 403|"
    r"InvalidRequest|SSECustomer|KMS\.|status code: 400)"
)
# ... unless the error is about the request, not the object: then every object fails alike.
NOT_THE_OBJECT = re.compile(
    r"RequestTimeTooSkewed|SignatureDoesNotMatch|ExpiredToken|InvalidAccessKeyId|InvalidToken|TokenRefreshRequired"
)


def refused_by_s3(outcome, detail):
    """The object itself cannot be read (archive class, denied, SSE-C), not the request."""
    return outcome == "lookup" or (
        "failed to open source object" in detail and UNREADABLE.search(detail) and not NOT_THE_OBJECT.search(detail))


def deletion_refusal(settings, summary, to_delete, recent=0):
    """Mirror mode's deletion guard: why this run must delete nothing, or None. A source listing
    that is empty, near-empty or wrong (a replacement bucket) must never empty the vault, at
    once or run by run: the limits count the deletions of the last deletionWindowHours
    (`recent`, by earlier runs) with this run's. The share is rounded up (at 50%, 2 of 3)."""
    if to_delete and summary.sourceObjects == 0:
        return "the source listing is empty but the vault holds %d objects" % summary.vaultObjects
    total = to_delete + recent
    earlier = " (%d of them by runs of the last %d hours)" % (recent, settings.deletionWindowHours) if recent else ""
    if total > settings.maxDeletes:
        return "%d deletions%s exceed maxDeletes (%d)" % (total, earlier, settings.maxDeletes)
    before = summary.vaultObjects + recent  # the vault before the window's deletions
    allowed = -(-before * settings.maxDeletePercent // 100)  # rounded up
    if total > allowed:
        return "%d deletions%s exceed maxDeletePercent (%d%% of %d objects)" % (
            total, earlier, settings.maxDeletePercent, before)
    return None


DELETIONS_FILE = "deletions.json"


def recent_deletions(paths, window_hours, now):
    """[(time, count)] of the deletions of earlier runs within the window (deletions.json)."""
    try:
        with open(paths.state_file(DELETIONS_FILE), encoding="utf-8") as f:
            doc = json.load(f)
        return [(int(t), int(n)) for t, n in doc if now - int(t) < window_hours * 3600]
    except (OSError, ValueError, TypeError):
        return []


class Backup:
    """One backup run. The ledgers, the summary and the unreadable set belong to the caller,
    which records them whatever ends the run."""

    def __init__(self, ctx, run_id, run_dir, record, now):
        self.ctx, self.settings = ctx, ctx.settings
        self.run_id, self.run_dir, self.now = run_id, run_dir, now
        self.summary, self.skipped, self.errors, self.unreadable = record
        self.transfer = Transfer(ctx.rclone, run_dir, ctx.source)
        self.dest = "%s/data" % self.settings.vault_root
        # The current batch (name -> size, mtime, etag), the copies done in it, and the names
        # to try once more.
        self.batch, self.done, self.retry, self.refused = {}, [], [], []
        # When the source listing began, and whether both listings completed (freshness.py).
        self.listed_at, self.listed = None, False
        self.deadline = now + int(ctx.env.get("CCB_COPY_SECONDS") or COPY_SECONDS)
        self.cursor_path = ctx.paths.state_file(CURSOR_FILE)
        self.stop_after = None  # the last key of the last batch not finished (the next cursor)
        self.previous_key, self.batches_run = None, 0

    def run(self):
        self.ctx.credentials.load_ssm()
        runs.check_free_space(self.ctx.paths.state, freshness.expected_objects(self.ctx.paths))
        self.listed_at = time.time()
        paths = self.list_and_plan()
        self.listed = True
        mirror = self.settings.syncMode == "mirror"
        if mirror:
            self.archive(paths["archive"], paths["delete"])
        self.copy(paths["copy"], self.summary.new + self.summary.changed, self.load_cursor())
        self.save_cursor()
        self.refresh(paths["refresh"])
        paths["recopy"] = os.path.join(self.run_dir, "recopy" + planning.PLAN_SUFFIX)
        paths["recopyArchive"] = os.path.join(self.run_dir, "recopy-archive" + planning.PLAN_SUFFIX)
        changed = self.summary.changed
        self.adopt(paths["adopt"], paths["recopy"], paths["recopyArchive"])
        if self.summary.changed > changed:
            if mirror:
                self.archive(paths["recopyArchive"], None)
            self.copy(paths["recopy"], self.summary.changed - changed)
        for p in paths.values():
            os.unlink(p)
        self.fail_if_all_refused()

    def list_and_plan(self):
        paths = {k: os.path.join(self.run_dir, k + planning.PLAN_SUFFIX) for k in planning.PLAN_FILES}
        with Listings(self.ctx, self.run_dir, self.skipped) as listings:
            listings.run()
            self.summary.sourceObjects, self.summary.sourceBytes = listings.sourceObjects, listings.sourceBytes
            self.summary.vaultObjects = listings.vaultObjects
            files = {k: planning.open_plan(p, "w") for k, p in paths.items()}
            try:
                counts = planning.diff(listings.source_rows(), listings.vault_rows(), files, self.skipped,
                                       self.unreadable, self.now)
            finally:
                for f in files.values():
                    f.close()
        # Only here are both sorts known to have sorted everything: the plan may be acted on.
        self.unreadable.planned = True
        for k in ("vaultOnly", "unchanged", "new", "changed", "bytesChanged"):
            setattr(self.summary, k, counts[k])
        return paths

    def refresh(self, path):
        """Objects whose metadata alone changed (same ETag, another LastModified): their new
        metadata and headers are recorded on the blob, with no byte read or copied."""
        for lines in planning.batches(path, key=lambda line: json.loads(line.split("\t", 1)[0])):
            if time.time() > self.deadline:
                log("the run's time is up: objects whose metadata changed are recorded by the next run")
                break
            vault = self.ctx.vault.pinned()
            items = []
            for line in lines:
                rel_json, _, _, etag, md5 = line.split("\t")
                rel = json.loads(rel_json)
                items.append((rel, etag, names.blob_name(rel), md5))
            for item, _, failed in seal.run_many(lambda *i: seal.refresh_one(self.ctx.source, vault, *i), items):
                if failed is None:
                    self.summary.refreshed += 1
                elif failed.outcome not in ("changed", "gone"):
                    self.errors.add("%s: its new metadata could not be recorded: %s" % (item[0], failed.detail))

    def adopt(self, path, recopy, recopy_archive):
        """Blobs without a content record but with the object's size and LastModified (an older
        engine's, or a seal that did not complete): sealed without copying when their bytes are
        the source's; the others go to `recopy` (and, in mirror mode, its archive list). In
        batches, within ADOPT_SECONDS a run and its deadline: what is left waits for the next run (an upgrade
        over a large vault takes several runs; new objects are copied first)."""
        started = time.monotonic()
        with planning.open_plan(recopy, "w") as copy, planning.open_plan(recopy_archive, "w") as archive:
            for lines in planning.batches(path, key=lambda line: json.loads(line.split("\t", 1)[0])):
                if time.monotonic() - started > ADOPT_SECONDS or time.time() > self.deadline:
                    self.summary.adoptDeferred += len(lines)
                    continue
                if not self.summary.adopted and not self.summary.changed:
                    log("recording the content of blobs written without a content record")
                self.adopt_batch(lines, copy, archive)
        if self.summary.adoptDeferred:
            log("%d blobs without a content record are left for the next run" % self.summary.adoptDeferred)

    def adopt_batch(self, lines, copy, archive):
        vault = self.ctx.vault.pinned()
        rows = {json.loads(line.split("\t", 1)[0]): line.split("\t") for line in lines}
        items = [(rel, r[3], names.blob_name(rel), r[4]) for rel, r in rows.items()]
        for item, result, failed in seal.run_many(lambda *i: seal.adopt_one(self.ctx.source, vault, *i), items):
            rel = item[0]
            _, size, mtime, etag, _ = rows[rel]
            if failed is None:
                self.summary.adopted += 1
                self.summary.adoptedByRead += int(result[1])
                self.summary.hashedBytes += result[0]["size"]
                self.summary.unchanged += 1
            elif failed.outcome in ("differs", "changed"):
                self.summary.changed += 1
                self.summary.bytesChanged += int(size)
                copy.write(tsv(json.dumps(rel), size, mtime, etag))
                archive.write(rel + "\n")
                log("%s: %s; copying it again" % (json.dumps(rel), failed.detail))
            elif failed.outcome == "gone":
                self.summary.vanished += 1
            elif failed.outcome == "refused":
                reason = "unreadable in S3: " + failed.detail
                self.unreadable.refuse(rel, int(size), int(mtime), etag, self.now, reason)
                self.skipped.add_key(rel, reason)
            else:
                self.errors.add("%s: %s" % (rel, failed.detail))

    def archive(self, overwrites, deletions):
        """The blob an overwrite replaces is first copied (server-side) to archive/, so data/
        keeps it should the new version fail to copy; a deletion is a move to archive/."""
        steps = [("copy", "archived", overwrites)]
        if deletions is not None:
            window = recent_deletions(self.ctx.paths, self.settings.deletionWindowHours, self.now)
            refusal = deletion_refusal(self.settings, self.summary, self.summary.vaultOnly, sum(n for _, n in window))
            if refusal:
                self.errors.add("deletion guard: %s; nothing deleted" % refusal)
            else:
                steps.append(("move", "deleted", deletions))
        archive = "%s/archive/%s" % (self.settings.vault_root, self.run_id)
        for kind, counter, path in steps:
            self.archivable(path, kind == "move")

            def archived(name, outcome, detail, counter=counter):
                if outcome == "ok":
                    setattr(self.summary, counter, getattr(self.summary, counter) + 1)
                elif outcome != "gone":
                    self.errors.add("archive %s: %s" % (name, clean_error(detail)))

            for batch in planning.batches(path):
                log("%s %d blobs to archive/%s" % ("moving" if kind == "move" else "copying", len(batch), self.run_id))
                self.transfer.batch(kind, batch, self.dest, archive, archived)
        if deletions is not None and self.summary.deleted:
            window.append((self.now, self.summary.deleted))
            runs.write_atomic(self.ctx.paths.state_file(DELETIONS_FILE), json.dumps(window) + "\n")

    def archivable(self, path, deletions):
        """Takes out of an archive list the blobs whose archive/ name Azure cannot hold. A deleted
        object's blob then stays in data/ and is named (skipped) every run; an overwritten one's
        previous version is kept by the container's blob versioning only."""
        kept = path[:-len(planning.PLAN_SUFFIX)] + "-archivable" + planning.PLAN_SUFFIX
        with planning.open_plan(path) as f, planning.open_plan(kept, "w") as out:
            for line in f:
                rel = line.rstrip("\n")
                problem = names.archive_problem(self.run_id, names.blob_name(rel))
                if problem is None:
                    out.write(line)
                elif deletions:
                    self.skipped.add_key(rel, "deleted from the source, but kept in data/: %s" % problem)
                else:
                    log("%s: overwritten without a copy in archive/ (%s); blob versioning keeps the previous "
                        "version" % (json.dumps(rel), problem))
        os.replace(kept, path)

    def copy(self, path, count, after=None):
        """Copies the plan in batches, starting after the key `after` and wrapping around. A batch
        that stalls is recorded and the run goes on; past the deadline no batch is started."""
        if count:
            log("copying %d objects%s" % (count, " from after %s" % after if after else ""))
        src = self.ctx.source.rclone_path()
        for lines in planning.batches_after(path, after, key=lambda line: json.loads(line.split("\t", 1)[0])):
            last = json.loads(lines[-1].split("\t", 1)[0])
            if time.time() > self.deadline and self.batches_run:  # every run copies one batch at least
                self.summary.copyDeferred += len(lines)
                self.stop_after = self.stop_after or self.previous_key
                continue
            self.batch, self.done = {}, []
            for line in lines:
                rel_json, size, mtime, etag = line.split("\t")
                self.batch[json.loads(rel_json)] = (int(size), int(mtime), etag)
            try:
                self.transfer.from_source(list(self.batch), src, self.dest, self.copied)
                self.retry_failed(src)
            except BatchStalled as e:
                self.stalled(lines, e)
                self.stop_after = last
            self.seal_copied()
            self.previous_key = last
            self.batches_run += 1
        if self.summary.copyDeferred:
            log("the run's copy time is up: %d objects are left for the next run, which starts where this one "
                "stopped" % self.summary.copyDeferred)

    def stalled(self, lines, error):
        left = len(self.batch) - len(self.done)
        self.summary.copyDeferred += left
        first = json.loads(lines[0].split("\t", 1)[0])
        self.errors.add("a batch of %d objects from %s stalled (%s): %d of them are left for the next run, which "
                        "starts after this batch" % (len(lines), json.dumps(first), error, left))
        self.retry.clear()

    def load_cursor(self):
        try:
            with open(self.cursor_path, encoding="utf-8") as f:
                return json.load(f).get("after")
        except (OSError, ValueError, AttributeError):
            return None

    def save_cursor(self):
        """The next run starts after the last unfinished batch, or at the beginning."""
        if self.stop_after is None:
            if os.path.exists(self.cursor_path):
                os.unlink(self.cursor_path)
            return
        runs.write_atomic(self.cursor_path, json.dumps({"after": self.stop_after}) + "\n")

    def seal_copied(self):
        """Records what each copied blob holds (seal.py). A blob left without a record is sealed,
        or copied again, by the next run."""
        vault = self.ctx.vault.pinned()
        items = [(rel, self.batch[rel][2], names.blob_name(rel)) for rel in self.done]
        for item, record, failed in seal.run_many(lambda *i: seal.seal_one(self.ctx.source, vault, *i), items):
            rel = item[0]
            if failed is None:
                self.summary.sealed += 1
                self.summary.hashedBytes += record["size"]
            elif failed.outcome in ("changed", "gone"):
                log("%s %s; the next run copies it again" % (json.dumps(rel), failed.detail))
            else:
                self.errors.add("%s: copied, but %s" % (rel, failed.detail))

    def retry_failed(self, src):
        """One more attempt for objects that failed for another reason (e.g. a dropped
        connection); what fails again fails the run and is copied by the next one."""
        if not self.retry:
            return
        again = self.retry[:]
        self.retry.clear()
        log("retrying %d objects once" % len(again))
        self.summary.retried += len(again)
        for group in planning.conflict_free([n for n, _ in again]):
            self.transfer.from_source(group, src, self.dest, self.copied)
        for name, detail in self.retry:
            self.errors.add("%s: %s" % (name, clean_error(detail)))
        self.retry.clear()

    def copied(self, name, outcome, detail):
        """The outcome of one copy, as rclone (or S3's answer to a HEAD) reported it."""
        size, mtime, etag = self.batch[name]
        if outcome == "ok":
            self.summary.copied += 1
            self.summary.bytesCopied += size
            self.done.append(name)
        elif outcome == "gone":
            self.summary.vanished += 1
            if self.summary.vanished <= 20:
                log("%s was deleted from the source during the run" % json.dumps(name))
        elif refused_by_s3(outcome, detail):
            reason = "unreadable in S3: " + clean_error(detail)
            self.unreadable.refuse(name, size, mtime, etag, self.now, reason)
            self.refused.append(name)
            self.skipped.add_key(name, reason)
        elif len(self.retry) < planning.BATCH_SIZE:
            self.retry.append((name, detail))
        else:
            self.errors.add("%s: %s" % (name, clean_error(detail)))

    def fail_if_all_refused(self):
        """Not a few odd objects but everything: the role, the key or the clock is wrong. Fail,
        and try these objects again next run rather than a day later."""
        if len(self.refused) >= ALL_REFUSED_MIN and self.summary.copied == 0:
            self.unreadable.forget_refused()
            self.errors.add("S3 refused every object this run tried to read (%d): check the host role, the bucket's KMS key "
                            "and the host clock" % len(self.refused))
