"""The backup command: list both sides, plan, (mirror mode) archive, then copy in batches."""

import json
import os
import re

from . import plan as planning
from .base import log
from .march import sort_file
from .metadata import keep_metadata
from .rclone import clean_error
from .transfer import Transfer

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


def deletion_refusal(settings, summary, to_delete):
    """Mirror mode's deletion guard: why this run must delete nothing, or None. A source listing
    that is empty, near-empty or wrong (a replacement bucket) must never empty the vault."""
    if to_delete and summary.sourceObjects == 0:
        return "the source listing is empty but the vault holds %d objects" % summary.vaultObjects
    if to_delete > settings.maxDeletes:
        return "%d deletions exceed maxDeletes (%d)" % (to_delete, settings.maxDeletes)
    if to_delete > summary.vaultObjects * settings.maxDeletePercent // 100:
        return "%d deletions exceed maxDeletePercent (%d%% of %d objects)" % (
            to_delete, settings.maxDeletePercent, summary.vaultObjects)
    return None


class Backup:
    """One backup run. The ledgers, the summary and the unreadable set belong to the caller,
    which records them whatever ends the run."""

    def __init__(self, ctx, run_id, run_dir, record, now):
        self.ctx, self.settings = ctx, ctx.settings
        self.run_id, self.run_dir, self.now = run_id, run_dir, now
        self.summary, self.skipped, self.errors, self.unreadable = record
        self.transfer = Transfer(ctx.rclone, run_dir, ctx.source)
        self.dest = "%s/data" % self.settings.vault_root
        # The current batch (name -> size, mtime, md5), the copies done in it, and the names
        # to try once more.
        self.batch, self.done, self.retry, self.refused = {}, [], [], []

    def run(self):
        self.ctx.credentials.load_ssm()
        paths = self.list_and_plan()
        if self.settings.syncMode == "mirror":
            self.archive(paths)
        self.copy(paths["copy"])
        for p in paths.values():
            os.unlink(p)
        self.fail_if_all_refused()

    def list_and_plan(self):
        source_list = os.path.join(self.run_dir, "source.tsv")
        vault_list = os.path.join(self.run_dir, "vault.tsv")
        log("listing the source")
        self.summary.sourceObjects, self.summary.sourceBytes = self.ctx.source.list(source_list, self.skipped)
        log("listing the vault")
        self.summary.vaultObjects = self.ctx.vault.list(vault_list)
        sort_file(source_list, self.run_dir)
        sort_file(vault_list, self.run_dir)
        paths = {k: os.path.join(self.run_dir, k + ".lst") for k in planning.PLAN_FILES}
        files = {k: open(p, "w", encoding="utf-8") for k, p in paths.items()}
        try:
            counts = planning.diff(source_list, vault_list, files, self.skipped, self.unreadable, self.now)
        finally:
            for f in files.values():
                f.close()
        os.unlink(source_list)
        os.unlink(vault_list)
        for k in ("vaultOnly", "unchanged", "new", "changed", "bytesChanged"):
            setattr(self.summary, k, counts[k])
        return paths

    def archive(self, paths):
        """The blob an overwrite replaces is first copied (server-side) to archive/, so data/
        keeps it should the new version fail to copy; a deletion is a move to archive/."""
        refusal = deletion_refusal(self.settings, self.summary, self.summary.vaultOnly)
        if refusal:
            self.errors.add("deletion guard: %s; nothing deleted" % refusal)
        steps = [("copy", "archived", paths["archive"])]
        if not refusal:
            steps.append(("move", "deleted", paths["delete"]))
        archive = "%s/archive/%s" % (self.settings.vault_root, self.run_id)
        for kind, counter, path in steps:

            def archived(name, outcome, detail, counter=counter):
                if outcome == "ok":
                    setattr(self.summary, counter, getattr(self.summary, counter) + 1)
                elif outcome != "gone":
                    self.errors.add("archive %s: %s" % (name, clean_error(detail)))

            for batch in planning.batches(path):
                log("%s %d blobs to archive/%s" % ("moving" if kind == "move" else "copying", len(batch), self.run_id))
                self.transfer.batch(kind, batch, self.dest, archive, archived)

    def copy(self, path):
        s = self.summary
        if s.new + s.changed:
            log("copying %d objects (%d bytes)" % (s.new + s.changed, s.bytesChanged))
        src = self.ctx.source.rclone_path()
        for lines in planning.batches(path, key=lambda line: json.loads(line.split("\t", 1)[0])):
            self.batch, self.done = {}, []
            for line in lines:
                rel_json, size, mtime, md5 = line.split("\t")
                self.batch[json.loads(rel_json)] = (int(size), int(mtime), md5)
            self.transfer.from_source(list(self.batch), src, self.dest, self.copied)
            self.retry_failed(src)
            for name, error in keep_metadata(self.ctx.source, self.ctx.vault, self.done):
                self.errors.add("%s: %s" % (name, error))

    def retry_failed(self, src):
        """One more attempt for objects that failed for another reason (e.g. a dropped
        connection); what fails again fails the run and is copied by the next one."""
        if not self.retry:
            return
        again = self.retry[:]
        self.retry.clear()
        log("retrying %d objects once" % len(again))
        for group in planning.conflict_free([n for n, _ in again]):
            self.transfer.from_source(group, src, self.dest, self.copied)
        for name, detail in self.retry:
            self.errors.add("%s: %s" % (name, clean_error(detail)))
        self.retry.clear()

    def copied(self, name, outcome, detail):
        """The outcome of one copy, as rclone (or S3's answer to a HEAD) reported it."""
        size, mtime, md5 = self.batch[name]
        if outcome == "ok":
            self.summary.copied += 1
            self.summary.bytesCopied += size
            self.unreadable.entries.pop(name, None)
            self.done.append((name, mtime))
        elif outcome == "gone":
            self.summary.vanished += 1
            if self.summary.vanished <= 20:
                log("%s was deleted from the source during the run" % json.dumps(name))
        elif refused_by_s3(outcome, detail):
            reason = "unreadable in S3: " + clean_error(detail)
            self.unreadable.entries[name] = {"key": name, "size": size, "mtime": mtime, "md5": md5, "reason": reason,
                                             "lastTry": self.now}
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
            for name in self.refused:
                self.unreadable.entries.pop(name, None)
            self.errors.add("S3 refused every object this run tried to read (%d): check the host role, the bucket's KMS key "
                            "and the host clock" % len(self.refused))
