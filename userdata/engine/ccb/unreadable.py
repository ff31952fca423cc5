"""Objects S3 refused (SSE-C, another account's KMS key, a policy deny), kept on the host between
runs as a file sorted like the listings (unreadable.tsv) and merged with them in name order: the
engine's memory does not grow with it, whether it names ten objects or millions.

A row: blob name (JSON, the listings' sort key), key (JSON), size, LastModified, ETag, the time it
was last tried, and S3's reason (JSON). A run reads the previous set through a cursor, writes the
entries it keeps (still within a day of their last try, and unchanged) and the objects refused
this run to its own folder, and at its end merges and sorts them into the next set; a run that did
not plan (it failed listing) leaves the previous set as it was."""

import json
import os

from . import names
from .base import log, tsv
from .march import rows, sort_file

FILE = "unreadable.tsv"
# The set's format before this one (a JSON line per object): read no more, removed on save.
OLD_FILE = "unreadable.jsonl"


def entry(row):
    return {"key": json.loads(row[1]), "size": int(row[2]), "mtime": int(row[3]), "etag": row[4],
            "lastTry": int(row[5]), "reason": json.loads(row[6])}


class Known:
    """A cursor over a sorted set, looked up in ascending name order (the march's)."""

    def __init__(self, path):
        self.rows = self._rows(path)
        self.current = next(self.rows, None)

    @staticmethod
    def _rows(path):
        if not os.path.exists(path):
            return
        for r in rows(path):
            if len(r) == 7:  # a damaged row is skipped: its object is tried again
                yield r

    def find(self, name_json):
        """The entry of this blob name, or None; names must be asked in ascending order."""
        while self.current is not None and self.current[0] < name_json:
            self.current = next(self.rows, None)
        if self.current is not None and self.current[0] == name_json:
            return entry(self.current)
        return None


class Unreadable:
    """One run's view of the set: the previous one (`known`), what it keeps, what S3 refused."""

    def __init__(self, state_dir, run_dir):
        self.path = os.path.join(state_dir, FILE)
        self.old = os.path.join(state_dir, OLD_FILE)
        self.run_dir = run_dir
        self.known = Known(self.path)
        self.planned = False
        self.files = {}

    def _write(self, kind, rel, size, mtime, etag, last_try, reason):
        if kind not in self.files:
            self.files[kind] = open(os.path.join(self.run_dir, "unreadable-%s.tsv" % kind), "w", encoding="utf-8")
        self.files[kind].write(tsv(json.dumps(names.blob_name(rel)), json.dumps(rel), size, mtime, etag, last_try,
                                   json.dumps(reason)))

    def keep(self, e):
        """An entry of the previous set that stays (deferred this run)."""
        self._write("kept", e["key"], e["size"], e["mtime"], e["etag"], e["lastTry"], e["reason"])

    def refuse(self, rel, size, mtime, etag, now, reason):
        """An object S3 refused this run."""
        self._write("refused", rel, size, mtime, etag, now, reason)

    def forget_refused(self):
        """This run's refusals are not the objects' (everything was refused): try them next run."""
        f = self.files.pop("refused", None)
        if f is not None:
            f.close()
            os.unlink(f.name)

    def close(self):
        for f in self.files.values():
            f.close()

    def save(self):
        """The next run's set: what this run kept and what S3 refused in it, sorted."""
        self.close()
        if not self.planned:
            return
        merged = self.path + ".tmp"
        try:
            with open(merged, "w", encoding="utf-8") as out:
                for f in self.files.values():
                    with open(f.name, encoding="utf-8") as part:
                        for line in part:
                            out.write(line)
            sort_file(merged, self.run_dir)
            os.replace(merged, self.path)
        except BaseException:
            if os.path.exists(merged):  # a full disk: the previous set stays, and the room
                os.unlink(merged)
            raise
        if os.path.exists(self.old):
            os.unlink(self.old)
            log("the unreadable objects' record moved to %s; objects it named are tried again once" % FILE)
