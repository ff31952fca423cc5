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


def split_sample(hashed, unhashed, k):
    """k rows: half from objects without a comparable MD5 (which the listing cannot check), the
    rest from those with one; a pool smaller than its half leaves the rest to the other."""
    random.shuffle(hashed.rows)
    random.shuffle(unhashed.rows)
    n_unhashed = min(len(unhashed.rows), max(k // 2, k - len(hashed.rows)))
    return unhashed.rows[:n_unhashed] + hashed.rows[:k - n_unhashed]
