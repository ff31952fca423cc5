"""One ledger for what a run names: skipped objects, errors and mismatches. Each is counted,
the first few are kept for the summary, and all are written to the run's folder."""

import gzip
import json

from .base import redact

SUMMARY_LIST_LIMIT = 100


class Ledger:
    def __init__(self, path):
        self.count = 0
        self.first = []
        self.file = gzip.open(path, "wt", encoding="utf-8")

    def _add(self, entry):
        self.count += 1
        if len(self.first) < SUMMARY_LIST_LIMIT:
            self.first.append(entry)
        self.file.write(json.dumps(entry) + "\n")

    def add_key(self, key, reason):
        """An object, by its key, and why it is named."""
        self._add({"key": key, "reason": redact(reason)})

    def add(self, msg):
        """A message that is about no one object (or names it in the text)."""
        self._add(redact(msg))

    def close(self):
        self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
