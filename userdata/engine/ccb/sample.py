"""Uniform random samples and streamed digests, for the checks' byte-for-byte comparisons."""

import hashlib
import random


class Sample:
    """A uniform random sample of at most k rows from a stream of unknown length (reservoir)."""

    def __init__(self, k):
        self.k, self.seen, self.rows = k, 0, []

    def offer(self, row):
        self.seen += 1
        if len(self.rows) < self.k:
            self.rows.append(row)
        else:
            i = random.randrange(self.seen)
            if i < self.k:
                self.rows[i] = row


def digest(chunks):
    """(bytes, SHA-256 hex) of a stream of chunks."""
    h = hashlib.sha256()
    n = 0
    for c in chunks:
        h.update(c)
        n += len(c)
    return n, h.hexdigest()
