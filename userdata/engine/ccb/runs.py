"""What every command shares: the run's context, its lock, its own folder, its result written
atomically on the host, in the vault's status/ and to CloudWatch, and the folders' rotation."""

import dataclasses
import fcntl
import json
import os
import shutil
import sys
import time
import typing

from .base import RunFailed, log
from .rclone import remove_leftovers

KEEP_RUN_LOGS = 30


@dataclasses.dataclass(frozen=True)
class Context:
    """Everything a command works with, built once by cli.py."""

    settings: typing.Any
    paths: typing.Any
    credentials: typing.Any
    source: typing.Any
    vault: typing.Any
    env: typing.Any
    rclone: typing.Any


class Lock:
    """run.lock in the state directory: runs never overlap, and a check waits for a backup."""

    def __init__(self, paths):
        os.makedirs(paths.runs, exist_ok=True)
        self.file = open(paths.state_file("run.lock"), "w")

    def take(self, wait):
        """Takes the lock; without `wait`, False when another run holds it."""
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def release(self):
        fcntl.flock(self.file, fcntl.LOCK_UN)


def new_run_dir(runs):
    """Creates the run's own log folder; returns its id. The id is the UTC start time with
    nanoseconds, plus a counter should two runs ever read the same clock value, so runs never
    share logs."""
    ns = time.time_ns()
    base = time.strftime("%Y%m%dT%H%M%S", time.gmtime(ns // 10**9)) + ".%09dZ" % (ns % 10**9)
    suffix = 0
    while True:
        run_id = base if suffix == 0 else "%s-%d" % (base, suffix)
        try:
            os.mkdir(os.path.join(runs, run_id))
            return run_id
        except FileExistsError:
            suffix += 1


# A run's scratch: its listings and plans (hundreds of bytes per object), never kept after it.
SCRATCH_SUFFIXES = (".tsv", ".lst")


def remove_scratch(run_dir):
    """Removes a run's listings and plans, whatever ended it (a failed run's would otherwise
    fill the state volume run after run)."""
    try:
        names = os.listdir(run_dir)
    except OSError:
        return
    for name in names:
        if name.endswith(SCRATCH_SUFFIXES):
            try:
                os.unlink(os.path.join(run_dir, name))
            except OSError:
                pass


def clean_killed_runs(runs):
    """A run killed by systemd (SIGKILL after a timeout, MemoryMax) cannot clean up: remove the
    rclone logs, listings and plans it left."""
    for d in os.listdir(runs):
        remove_leftovers(os.path.join(runs, d))
        remove_scratch(os.path.join(runs, d))


def rotate(runs, keep=KEEP_RUN_LOGS):
    for d in sorted(os.listdir(runs))[:-keep]:
        shutil.rmtree(os.path.join(runs, d), ignore_errors=True)


def to_json(doc):
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_atomic(path, body):
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write(body)
    os.replace(path + ".tmp", path)


def publish_status(vault, blobs, body, what):
    """The result next to the data, so the vault itself shows how current it is; only once the
    vault answered this run."""
    if not vault.reached:
        log("vault unreachable: %s kept on the host only" % what)
        return
    try:
        for blob in blobs:
            vault.put_status(blob, body.encode("utf-8"))
    except RunFailed as e:
        log("could not publish the %s to the vault: %s" % (what, e))


def print_line(doc, keys=None):
    """One JSON line on stderr (the journal) with the result's headline fields."""
    if keys is None:
        line = {k: v for k, v in doc.items() if isinstance(v, (int, str)) and k not in ("source", "destination")}
    else:
        line = {k: doc[k] for k in keys}
    print(json.dumps(line), file=sys.stderr, flush=True)
