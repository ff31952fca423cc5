"""The rclone driver: runs rclone copy/move over one batch of names, watches it, and reads the
outcome of every name from its JSON log."""

import errno
import json
import os
import re
import signal
import subprocess
import threading
import time

from .base import RunFailed, free_bytes

# A copy that has moved no byte for PROBE_AFTER seconds probes both sides (rclone logs its
# stats every 10 s); one that has moved nothing for STALL_SECONDS is stopped.
PROBE_AFTER = 20
STALL_SECONDS = 900
# Never raise the log level to DEBUG: rclone then logs the SAS URL it read from the environment.
# One block upload at a time per file: rclone 1.60.1's Azure SDK deadlocks for ever when several
# concurrent block uploads of one blob fail; larger blocks keep the throughput, and memory stays
# at transfers x chunk size.
COPY_FLAGS = (
    "--no-traverse", "--no-check-dest", "--use-server-modtime", "--no-unicode-normalization",
    "--no-update-modtime", "--azureblob-disable-checksum", "--retries", "1", "--low-level-retries", "3",
    "--transfers", "8", "--azureblob-upload-concurrency", "1", "--azureblob-chunk-size", "16M",
)
# What a batch leaves in the run folder while rclone runs. It can hold a SAS (rclone 1.60.1 logs
# request URLs on transport errors), so it never outlives the run, whatever ended it.
LEFTOVERS = ("batch.json", "batch.json.stderr", "batch.lst")


class BatchStalled(RunFailed):
    """rclone moved no byte for STALL_SECONDS while both endpoints answered: this batch is
    stuck (one object that never finishes), not the run. `records`: rclone's log up to the stop
    (what it did copy)."""

    def __init__(self, msg, records=()):
        super().__init__(msg)
        self.records = list(records)


# rclone says nothing when its log cannot be written: with less room than this left when it
# ends, its silence is the full disk's, not the objects'.
LOG_ROOM_BYTES = 64 * 1024


def disk_full(log_path):
    if free_bytes(os.path.dirname(log_path) or ".") < LOG_ROOM_BYTES:
        for leftover in (log_path, log_path + ".stderr"):
            if os.path.exists(leftover):
                os.unlink(leftover)
        raise OSError(errno.ENOSPC, "No space left on device (rclone could not write its log)")


def clean_error(msg):
    """The first line of an rclone error, without its timestamp and generic prefixes."""
    line = re.sub(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d ", "", msg.split("\n")[0])
    return re.sub(r"^(ERROR : )?(Failed to copy: )?(failed to open source object: )?", "", line)


def remove_leftovers(run_dir):
    for leftover in LEFTOVERS:
        path = os.path.join(run_dir, leftover)
        if os.path.exists(path):
            os.unlink(path)


def parse_log(path):
    """rclone's JSON log records; its final error is plain text, possibly over several lines."""
    records = []
    if not os.path.exists(path):
        return records
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                records.append(json.loads(line))
                continue
            except ValueError:
                pass
            if re.match(r"\d{4}/\d\d/\d\d ", line) or not records or "msg" not in records[-1]:
                records.append({"level": "error", "msg": line.strip()})
            elif records[-1].get("plain"):
                records[-1]["msg"] += "\n" + line.rstrip("\n")
            else:
                records.append({"level": "error", "msg": line.strip(), "plain": True})
            records[-1]["plain"] = True
    return records


class Progress:
    """Follows rclone's log while it runs: when did the last byte move?"""

    def __init__(self, log_path):
        self.log_path, self.pos, self.moved = log_path, 0, 0
        self.last = time.monotonic()

    def read(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                f.seek(self.pos)
                chunk = f.read()
                self.pos = f.tell()
        except OSError:
            chunk = ""
        for line in chunk.splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            stats = rec.get("stats")
            done = stats.get("bytes", 0) if isinstance(stats, dict) else 0
            if done > self.moved or str(rec.get("msg", "")).startswith(("Copied", "Moved")):
                self.moved = max(self.moved, done)
                self.last = time.monotonic()


def start_holding_stops(cmd, env, err):
    """Starts rclone; a SIGTERM or SIGINT arriving meanwhile is held until the caller has the
    process to stop (raised from the run's own handler just after), so rclone is never left
    running alone. (Blocking the signals instead would leave them blocked in rclone.)"""
    held = []
    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {s: signal.signal(s, lambda signum, _frame: held.append(signum))
                    for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    for signum in held:
        if callable(previous[signum]):
            try:
                previous[signum](signum, None)
            except BaseException:
                proc.kill()
                proc.wait()
                raise
    return proc


class Rclone:
    """rclone for one run: its config, the SAS it needs, and the endpoints it probes."""

    def __init__(self, paths, credentials, probes, env=None):
        self.paths = paths
        self.credentials = credentials
        self.probes = probes  # callables returning what is unreachable, or None
        self.env = os.environ if env is None else env
        self.stall_seconds = int(self.env.get("CCB_STALL_SECONDS") or STALL_SECONDS)

    def watch(self, proc, log_path):
        """Waits for rclone, stopping it when an endpoint has gone away or nothing moves.

        rclone 1.60.1 retries each failed request inside the Azure SDK and again in its pacer,
        and logs nothing until it gives up, so with the vault gone a batch would grind on for
        hours. When no byte has moved for PROBE_AFTER seconds, one request to each side tells a
        slow transfer from a dead endpoint. Returns the reason the copy was stopped, or None."""
        progress = Progress(log_path)
        last_probe = time.monotonic()
        while True:
            try:
                proc.wait(timeout=1)
                return None
            except subprocess.TimeoutExpired:
                pass
            progress.read()
            now, reason = time.monotonic(), None
            if now - progress.last > self.stall_seconds:
                reason = "no progress for %d seconds" % self.stall_seconds
            elif now - progress.last > PROBE_AFTER and now - last_probe > PROBE_AFTER:
                last_probe = now
                down = self._probe()
                reason = "cannot reach " + down if down else None
            if reason:
                proc.kill()
                proc.wait()
                return reason

    def _probe(self):
        for probe in self.probes:
            down = probe()
            if down:
                return down
        return None

    def run(self, args, log_path):
        """Runs rclone with a JSON log; returns (exit code, parsed log records)."""
        cmd = ["rclone"] + args + [
            "--use-json-log", "--log-level", "INFO", "--log-file", log_path,
            "--stats", "10s", "--stats-log-level", "INFO",
        ]
        env = dict(self.env, RCLONE_CONFIG=self.paths.rclone_config)
        env.update(self.credentials.rclone_env())
        with open(log_path + ".stderr", "w") as err:
            proc = None
            try:
                proc = start_holding_stops(cmd, env, err)
                stopped = self.watch(proc, log_path)
            except BaseException:  # the run is being stopped (SIGTERM): rclone stops with it
                if proc is not None:
                    proc.kill()
                    proc.wait()
                raise
            rc = proc.returncode
        disk_full(log_path)
        records = parse_log(log_path)
        os.unlink(log_path)
        os.unlink(log_path + ".stderr")
        if stopped and stopped.startswith("no progress"):
            raise BatchStalled("copy stopped: " + stopped, records)
        if stopped:
            raise RunFailed("copy stopped: " + stopped)
        return rc, records
