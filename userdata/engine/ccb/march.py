"""One walk over two sorted listings (after rclone's fs/march): the backup, the integrity check
and anything else that compares the source with the vault implement its three callbacks.

Listings are tab-separated files whose first field is the JSON-encoded blob name; sort(1) sorts
them on disk (external memory), so neither listing ever sits in memory."""

import errno
import os
import subprocess

from .base import RunFailed


def sort_file(path, tmpdir):
    """Sorts a listing in place by its first field, bytewise (LC_ALL=C). A full disk is the
    OSError it is (ENOSPC), as if Python had written the file."""
    done = subprocess.run(
        ["sort", "-t", "\t", "-k1,1", "-S", "32M", "-T", tmpdir, "-o", path, path],
        env=dict(os.environ, LC_ALL="C"), stderr=subprocess.PIPE, text=True, errors="replace",
    )
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "exit %d" % done.returncode
        if "No space left" in detail:
            raise OSError(errno.ENOSPC, "No space left on device (sort: %s)" % detail)
        raise RunFailed("sorting %s failed: %s" % (os.path.basename(path), detail))


def rows(path):
    """The rows of a listing file, as lists of fields."""
    # Only "\n" ends a row (universal newlines would split one at a "\r" inside a field).
    with open(path, encoding="utf-8", newline="\n") as f:
        for line in f:
            yield line.rstrip("\n").split("\t")


def unique(rows, side):
    """The rows of a sorted listing, failing the run at a name listed twice: a listing that
    repeats a name (a service repeating a page or folder) is not a listing of the bucket, and its
    second copy would otherwise look like a blob the source no longer has."""
    last = None
    for row in rows:
        if row[0] == last:
            raise RunFailed("the %s listing names %s twice: it cannot be trusted, nothing is planned from it" % (side, row[0]))
        last = row[0]
        yield row


def march(src, dst, src_only, dst_only, match):
    """Walks two row iterators sorted by their first field together: calls src_only(s) for a
    name only the source has, dst_only(d) for one only the vault has, and match(s, d) for one
    both have, in name order. A name listed twice on either side fails the run."""
    src, dst = unique(src, "source"), unique(dst, "vault")
    s, d = next(src, None), next(dst, None)
    while s is not None or d is not None:
        if d is None or (s is not None and s[0] < d[0]):
            src_only(s)
            s = next(src, None)
        elif s is None or d[0] < s[0]:
            dst_only(d)
            d = next(dst, None)
        else:
            match(s, d)
            s, d = next(src, None), next(dst, None)


def ignore(_row):
    """A callback for rows that need nothing."""
