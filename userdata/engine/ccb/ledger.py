"""One ledger for what a run names: skipped objects, errors and mismatches. Each is counted,
the first few are kept for the summary, and all are written to the run's folder while the disk
takes them: a full state volume loses the file's tail, never the count or the summary."""

import gzip
import json

from .base import redact

SUMMARY_LIST_LIMIT = 100


class Ledger:
    def __init__(self, path, accept=None):
        # accept(key): True for a skip on the acknowledged list, counted apart (`accepted`).
        self.accept, self.accepted = accept, 0
        self.count = 0
        self.first = []
        self.lost = None  # why the file stopped taking entries (a full disk), or None
        try:
            self.file = gzip.open(path, "wt", encoding="utf-8")
        except OSError as e:
            self.file, self.lost = None, e

    def _add(self, entry):
        self.count += 1
        if len(self.first) < SUMMARY_LIST_LIMIT:
            self.first.append(entry)
        self._write(entry)

    def _write(self, entry):
        if self.file is None:
            return
        try:
            self.file.write(json.dumps(entry) + "\n")
        except OSError as e:
            self._drop(e)

    def add_key(self, key, reason, accepted=False):
        """An object, by its key, and why it is named (`accepted`: on the acknowledged list
        whatever the patterns say)."""
        if accepted or (self.accept is not None and self.accept(key)):
            self.accepted += 1
            self._write({"key": key, "reason": redact(reason), "accepted": True})
            return
        self._add({"key": key, "reason": redact(reason)})

    def add(self, msg):
        """A message that is about no one object (or names it in the text)."""
        self._add(redact(msg))

    def _drop(self, error):
        self.lost = error
        try:
            self.file.close()
        except OSError:
            pass
        self.file = None

    def close(self):
        if self.file is not None:
            try:
                self.file.close()
            except OSError as e:
                self.lost = e
            self.file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
