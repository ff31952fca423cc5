"""One batch of names through rclone, and the outcome of each name: "ok", "gone" (deleted from
the source since the listing), "lookup" (S3 refused its HEAD) or "error"."""

import os
import re

from .rclone import COPY_FLAGS, BatchStalled


def outcomes(records, pending, done, on_done):
    """Calls on_done for each name of `pending` rclone's log gives an outcome (removing it);
    returns the errors about no object."""
    general = []
    for r in records:
        obj, msg, level = r.get("object"), r.get("msg", ""), r.get("level", "")
        if obj in pending and level in ("error", "critical"):
            pending.discard(obj)
            on_done(obj, "error", msg)
        elif obj in pending and msg.startswith(done):
            pending.discard(obj)
            on_done(obj, "ok", msg)
        elif level in ("error", "critical") and not obj and not msg.startswith("Attempt "):
            general.append(msg)
    return general


class Transfer:
    def __init__(self, rclone, run_dir, source):
        self.rclone, self.run_dir, self.source = rclone, run_dir, source

    def run_batch(self, kind, names, src, dst, on_done):
        """Runs rclone copy/move over one batch; calls on_done(name, outcome, detail) for each name
        whose outcome rclone reported. Returns (errors without an object, names with no outcome).

        A copy is done when rclone logs "Copied"; a move (a server-side copy, then a delete, on
        Azure) only when it logs "Deleted". Any error for a name is that name's outcome."""
        list_path = os.path.join(self.run_dir, "batch.lst")
        with open(list_path, "w", encoding="utf-8") as f:
            f.write("".join(n + "\n" for n in names))
        # As many checkers as names: rclone 1.60.1 hangs for ever when more --files-from lookups
        # fail than it has checkers (each checker stops at its first error; fixed in 1.63).
        checkers = ["--checkers", str(max(16, len(names)))]
        done = "Deleted" if kind == "move" else "Copied"
        try:
            rc, records = self.rclone.run([kind, src, dst, "--files-from-raw", list_path, *COPY_FLAGS, *checkers],
                                          os.path.join(self.run_dir, "batch.json"))
        except BatchStalled as e:  # credit what the batch did copy before it stalled
            os.unlink(list_path)
            outcomes(e.records, set(names), done, on_done)
            raise
        os.unlink(list_path)
        pending = set(names)
        general = outcomes(records, pending, done, on_done)
        pending = [n for n in names if n in pending]
        if rc == 0 or not pending:
            return [], pending
        # Names without an outcome in a failed run: rclone reports a failed lookup (HEAD) only as
        # the command's own error, without the object's name.
        general = [g for g in general if not re.search(r"with \d+ errors?: last error was", g)]
        return general or ["rclone exit code %d" % rc], pending

    def batch(self, kind, names, src, dst, on_done):
        """One rclone run in which every name gets an outcome: a name rclone said nothing about
        was gone, unless rclone failed, then it failed with it. Used for moves between vault
        folders (mirror mode's archive/) and for the second run over readable names."""
        general, pending = self.run_batch(kind, names, src, dst, on_done)
        for n in pending:
            on_done(n, "error" if general else "gone", general[0] if general else "not found")

    def from_source(self, names, src, dst, on_done):
        """A copy from S3, then pins an error rclone reported without an object on its objects.

        rclone 1.60.1 reports a failed lookup (a HEAD refused with 403, or 400 for an SSE-C
        object) only as the whole command's error, and copies nothing more of that batch. So the
        names left without an outcome are HEADed once each with botocore: refused ones are named
        with S3's answer, the others get one more rclone run."""
        general, pending = self.run_batch("copy", names, src, dst, on_done)
        if not general:
            # rclone skips a --files-from name it cannot find without a word: the object was
            # deleted after the listing, unless S3 still has it; then it is an error, never a
            # silent drop.
            for name, problem, _ in self.source.head_many(pending):
                if problem == "gone":
                    on_done(name, "gone", "not found")
                else:
                    on_done(name, "error", problem or "rclone reported nothing for it although it is in the source")
            return
        readable = []
        for name, problem, _ in self.source.head_many(pending):
            if problem is None:
                readable.append(name)
            elif problem == "gone":
                on_done(name, "gone", "not found")
            elif problem.startswith("HTTP 403") or problem.startswith("HTTP 400"):
                on_done(name, "lookup", problem)
            else:
                on_done(name, "error", problem)
        if readable:
            general, pending = self.run_batch("copy", readable, src, dst, on_done)
            self.settle(pending, general, on_done)

    def settle(self, pending, general, on_done):
        """Names a second rclone run gave no outcome: gone only when S3 says so (a HEAD), else
        failed with what rclone said."""
        for name, problem, _ in self.source.head_many(pending):
            if problem == "gone":
                on_done(name, "gone", "not found")
            else:
                on_done(name, "error", general[0] if general else (
                    problem or "rclone reported nothing for it although it is in the source"))
