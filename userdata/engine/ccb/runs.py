"""What every command shares: the run's context, its lock, its own folder, its result written
atomically on the host, in the vault's status/ and to CloudWatch, and the folders' rotation."""

import dataclasses
import errno
import fcntl
import json
import os
import shutil
import sys
import time
import typing

from .base import RunFailed, free_bytes, log
from .rclone import remove_leftovers

KEEP_RUN_LOGS = 30
# Run folders kept (their summaries and ledgers) are bounded by size as well as by count.
KEEP_RUN_LOGS_BYTES = 256 * 2**20
# A backup needs room for its listings and plans before it lists: both listings, compressed in
# sort's temporary runs (listing.py, zstd -1), took 96 bytes per object at their peak at 1M
# objects and 102 at 10M (113 and 121 with gzip; npm run bench -- --synthetic); 128 per object of the last listing, and never less
# than 64 MiB. A first copy's plan adds about 40 bytes per object to copy.
SCRATCH_BYTES_PER_OBJECT = 128
MIN_FREE_BYTES = 64 * 2**20


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


def run_id_now():
    """The UTC time with nanoseconds, e.g. 20261125T160000.123456789Z."""
    ns = time.time_ns()
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(ns // 10**9)) + ".%09dZ" % (ns % 10**9)


def new_run_dir(runs):
    """Creates the run's own log folder; returns its id. The id is the UTC start time with
    nanoseconds, plus a counter should two runs ever read the same clock value, so runs never
    share logs."""
    base = run_id_now()
    suffix = 0
    while True:
        run_id = base if suffix == 0 else "%s-%d" % (base, suffix)
        try:
            os.mkdir(os.path.join(runs, run_id))
            return run_id
        except FileExistsError:
            suffix += 1


# A run's scratch: its listings, plans and sort(1)'s temporary runs (named sortXXXXXX), never
# kept after it.
SCRATCH_SUFFIXES = (".tsv", ".lst", ".lst.gz")
SCRATCH_PREFIXES = ("sort",)


def remove_scratch(run_dir):
    """Removes a run's listings and plans, whatever ended it (a failed run's would otherwise
    fill the state volume run after run)."""
    try:
        names = os.listdir(run_dir)
    except OSError:
        return
    for name in names:
        if name.endswith(SCRATCH_SUFFIXES) or name.startswith(SCRATCH_PREFIXES):
            try:
                os.unlink(os.path.join(run_dir, name))
            except OSError:
                pass


# Who a run folder belongs to: the process, the command, and systemd's invocation id (shared by
# the unit's ExecStart and ExecStopPost), so that a folder still in use is never cleaned or
# rotated, and --record-ending finds the very backup systemd killed.
OWNER_FILE = "owner.json"


def claim(run_dir, kind, env):
    try:
        with open(os.path.join(run_dir, OWNER_FILE), "w", encoding="utf-8") as f:
            json.dump({"pid": os.getpid(), "kind": kind, "invocation": env.get("INVOCATION_ID") or None}, f)
    except OSError:
        pass


def owner(run_dir):
    try:
        with open(os.path.join(run_dir, OWNER_FILE), encoding="utf-8") as f:
            doc = json.load(f)
        return doc if isinstance(doc, dict) else {}
    except (OSError, ValueError):
        return {}


def in_use(run_dir):
    """True while another live process owns the folder (a check reading blobs back)."""
    pid = owner(run_dir).get("pid")
    if not isinstance(pid, int) or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def clean_killed_runs(runs):
    """A run killed by systemd (SIGKILL after a timeout, MemoryMax) cannot clean up: remove the
    rclone logs, listings and plans it left (never those of a check still running)."""
    for d in os.listdir(runs):
        path = os.path.join(runs, d)
        if in_use(path):
            continue
        remove_leftovers(path)
        remove_scratch(path)


def folder_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total


def rotate(runs, keep=KEEP_RUN_LOGS, keep_bytes=KEEP_RUN_LOGS_BYTES):
    """Keeps the newest `keep` run folders, and of those only as many as fit in `keep_bytes`
    (the newest is always kept)."""
    try:
        folders = sorted(os.listdir(runs), reverse=True)
    except OSError:
        return
    used = 0
    for i, d in enumerate(folders):
        path = os.path.join(runs, d)
        used += folder_bytes(path)
        if i > 0 and (i >= keep or used > keep_bytes) and not in_use(path):
            shutil.rmtree(path, ignore_errors=True)


def check_free_space(path, objects):
    """Fails the run before it lists when the state volume cannot hold its scratch, naming the
    shortfall (a run that filled the disk half-way would record less and free nothing)."""
    need = max(MIN_FREE_BYTES, objects * SCRATCH_BYTES_PER_OBJECT)
    free = free_bytes(path)
    if free < need:
        raise RunFailed(
            "the state volume (%s) has %s free; a run over %d objects needs about %s for its listings and "
            "plans: %s short. Grow the root volume (stack config rootVolumeGb) or free space in it" % (
                path, mib(free), objects, mib(need), mib(need - free)))


def mib(n):
    return "%.1f MiB" % (n / 2**20)


def to_json(doc):
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_atomic(path, body):
    try:
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write(body)
        os.replace(path + ".tmp", path)
    except OSError:
        try:
            os.unlink(path + ".tmp")
        except OSError:
            pass
        raise


# Room kept on the state volume for what a run must write at its end (its summary, the
# freshness record) when something else filled the disk: released on ENOSPC, taken back by the
# next run.
RESERVE_FILE = "reserve"
RESERVE_BYTES = 4 * 2**20


def reserve_room(state):
    """(Re)creates the reserve; a disk too full for it is found by the space check."""
    path = os.path.join(state, RESERVE_FILE)
    try:
        if os.path.getsize(path) >= RESERVE_BYTES:
            return
    except OSError:
        pass
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.posix_fallocate(fd, 0, RESERVE_BYTES)
        finally:
            os.close(fd)
    except OSError:
        try:
            os.unlink(path)
        except OSError:
            pass


def keep_on_host(path, body, what):
    """write_atomic, for a result that is also published: on a full disk the reserve is given
    up for it; failing that, the host's copy is lost (logged), never the publication."""
    for attempt in (1, 2):
        try:
            write_atomic(path, body)
            return True
        except OSError as e:
            released = attempt == 1 and e.errno == errno.ENOSPC and release_reserve(os.path.dirname(path))
            if not released:
                log("could not write the %s on the host (%s): %s" % (what, os.path.basename(path), e))
                return False
    return False


def release_reserve(directory):
    """Frees the reserve kept in the state volume (found from any folder in it)."""
    for d in (directory, os.path.dirname(directory), os.path.dirname(os.path.dirname(directory))):
        path = os.path.join(d, RESERVE_FILE)
        if os.path.exists(path):
            os.unlink(path)
            log("the state volume is full: released the room kept for this run's summary")
            return True
    return False


def publish_status(vault, blobs, body, what, probe=False):
    """The result next to the data, so the vault itself shows how current it is; only once the
    vault answered this run (with `probe`, a run that never addressed it, e.g. because the source
    failed first, asks it once, so the vault never keeps a stale success)."""
    if not vault.reached and not vault.tried and probe:
        down = vault.probe()
        vault.reached = down is None
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
