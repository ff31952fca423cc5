"""The plan: what a backup copies, archives and deletes, from the two sorted listings.

An object is copied when it is missing from the vault, or when its ETag differs from the one
the blob's content record holds (whatever its size and time: a same-size overwrite within the
same second has another ETag); one whose ETag is the record's but whose LastModified is not (its
metadata was replaced in place) has its metadata recorded again, without a copy. A blob without a record (an older engine's, or one whose seal did
not complete) with the object's size and LastModified is adopted (seal.py): sealed without
copying when its bytes are the source's, copied otherwise; any other is copied. Objects S3
refused before are retried once a day, or as soon as they change."""

import gzip
import json

from . import names
from .base import log, tsv, utc
from .march import march

# Names per rclone run (and rclone checkers per run, see rclone.run_batch).
BATCH_SIZE = 1000
UNREADABLE_RETRY_SECONDS = 24 * 3600
PLAN_FILES = ("copy", "refresh", "adopt", "archive", "delete")
# Plan files are compressed on disk: a first copy of 50M objects plans 50M lines.
PLAN_SUFFIX = ".lst.gz"


def open_plan(path, mode="r"):
    """A plan file, as text ("r" or "w"); gzip level 1: the plan is written once, read twice."""
    return gzip.open(path, mode + "t", encoding="utf-8", newline="\n", compresslevel=1)


class Planner:
    """The march's callbacks for a backup: writes the plan files and counts what it saw."""

    def __init__(self, plan, skipped, unreadable, now):
        self.plan, self.skipped, self.unreadable, self.now = plan, skipped, unreadable, now
        self.counts = {"unchanged": 0, "new": 0, "changed": 0, "vaultOnly": 0, "kept": 0, "bytesChanged": 0,
                       "deferred": 0, "adopt": 0, "refresh": 0}

    def src_only(self, s):
        self._source_row("new", s, None)

    def match(self, s, d):
        self._source_row("changed", s, d)

    def dst_only(self, d):
        self.counts["vaultOnly"] += 1
        blob = json.loads(d[0])
        rel = names.restores_exactly(blob)
        if rel is not None:
            self.plan["delete"].write(rel + "\n")
            return
        # Not a name this engine writes (another writer, or an older engine): it cannot be
        # addressed safely, so mirror mode leaves it where it is.
        self.counts["kept"] += 1
        if self.counts["kept"] <= 20:
            log("mirror: leaving vault blob data/%s in place (not a name this engine writes)" % json.dumps(blob))

    def _source_row(self, action, s, d):
        _, size, mtime, etag, rel_json, problem = s
        rel = json.loads(rel_json)
        if d is not None and d[4] and d[4] == etag and d[1] == size:
            self.counts["unchanged"] += 1  # the blob's record holds this very object
            if d[2] != mtime and not problem:
                # Same bytes, another LastModified: its metadata was replaced in place.
                self.counts["refresh"] += 1
                self.plan["refresh"].write(tsv(json.dumps(rel), size, mtime, etag, d[3]))
            return
        if problem:
            self.skipped.add_key(rel, problem)
            return
        if self._deferred(s[0], rel, size, mtime, etag):
            return
        if d is not None and not d[4] and d[1] == size and d[2] == mtime:
            self.counts["adopt"] += 1
            self.plan["adopt"].write(tsv(json.dumps(rel), size, mtime, etag, d[3]))
            return
        self.counts[action] += 1
        self.counts["bytesChanged"] += int(size)
        self.plan["copy"].write(tsv(json.dumps(rel), size, mtime, etag))
        if d is not None:
            self.plan["archive"].write(rel + "\n")

    def _deferred(self, name_json, rel, size, mtime, etag):
        """True when S3 refused this very object less than a day ago (it is named again, and
        kept in the set); an entry for an object that changed, or was last tried a day ago, is
        dropped and the object tried now. Entries of objects gone from the source are never
        looked up, so never kept."""
        known = self.unreadable.known.find(name_json)
        if known is None:
            return False
        if (known["size"], known["mtime"], known["etag"]) != (int(size), int(mtime), etag):
            return False
        if self.now - known["lastTry"] < UNREADABLE_RETRY_SECONDS:
            self.unreadable.keep(known)
            self.skipped.add_key(rel, known["reason"] + " (last tried %s)" % utc(known["lastTry"]))
            self.counts["deferred"] += 1
            return True
        return False


def diff(source_rows, vault_rows, plan, skipped, unreadable, now):
    """Walks the two sorted listings (row iterators); writes the copy, archive and delete lists;
    returns counts. The caller marks `unreadable` planned once the listings are known complete."""
    planner = Planner(plan, skipped, unreadable, now)
    march(source_rows, vault_rows, planner.src_only, planner.dst_only, planner.match)
    return planner.counts


def conflict_free(items, key=lambda x: x):
    """Groups of at most BATCH_SIZE items in which no name is a folder of another ("a" and
    "a/b"): rclone 1.60.1, given both in one --files-from list, copies one of them and reports
    nothing for the other."""
    group, taken, folders = [], set(), set()
    for item in items:
        name = key(item)
        parts = name.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts))]
        if group and (len(group) == BATCH_SIZE or name in folders or any(p in taken for p in prefixes)):
            yield group
            group, taken, folders = [], set(), set()
        group.append(item)
        taken.add(name)
        folders.update(prefixes)
    if group:
        yield group


def batches_after(path, after, key):
    """batches(), starting with the first line whose key's blob name sorts after `after` (the
    plan's order), then the lines before it: the copy resumes where the last run stopped."""
    if after is None:
        yield from batches(path, key)
        return
    mark = json.dumps(names.blob_name(after))

    def part(later):
        with open_plan(path) as f:
            lines = (line.rstrip("\n") for line in f)
            yield from conflict_free(
                (line for line in lines if (json.dumps(names.blob_name(key(line))) > mark) == later), key)

    yield from part(True)
    yield from part(False)


def batches(path, key=lambda line: line):
    """Lines of a plan file in conflict-free batches (the plan itself never sits in memory)."""
    with open_plan(path) as f:
        yield from conflict_free((line.rstrip("\n") for line in f), key)
