"""The engine's entry point: `cross-cloud-backup-sync [--verify | --drill]`.

Exit status: 0 success (a check: the vault matches), 1 failure, 2 a usage error, 3 partial
(everything readable was backed up; some objects were skipped and are named), 4 a check found
mismatches, 75 another run was in progress (this one did nothing). The codes are the contract's
(EXIT_CODES); a settings.json the engine refuses is a failure (1) that names the setting."""

import errno
import fnmatch
import json
import os
import signal
import sys
import time
import types

from . import contract, freshness, history, hostupdates, runs, settings as settings_mod, telemetry
from .backup import Backup
from .base import RunFailed, epoch_or_none, log, utc
from .checks import run_check
from .credentials import Credentials
from .ending import record_ending
from .ledger import Ledger
from .unreadable import Unreadable
from .rclone import Rclone, remove_leftovers
from .results import EXIT, RunSummary, exit_code
from .source import Source
from .vault import Vault

USAGE = "usage: cross-cloud-backup-sync [--verify | --drill | --record-ending]"
CHECK_FLAGS = types.MappingProxyType({"--verify": "integrity", "--drill": "drill"})
# The backup unit's ExecStopPost: records a run systemd killed before it could (ending.py).
RECORD_ENDING = "--record-ending"
# historyWritten: whether the summary reached the vault's history (a journal field only: the
# summary cannot say whether that same summary was appended).
HEADLINE = ("runId", "outcome", "exitCode", "ending", "fresh", "backupAgeSeconds", "copied", "bytesCopied", "archived",
            "deleted", "skippedCount", "errorCount", "historyWritten")


def context(env=None):
    """Everything a command works with, from the environment and settings.json."""
    env = os.environ if env is None else env
    paths = settings_mod.Paths.from_env(env)
    s = settings_mod.load(paths)
    credentials = Credentials(s, paths, env)
    source, vault = Source(s, env), Vault(s, credentials)
    rclone = Rclone(paths, credentials, [vault.probe, source.probe], env)
    return runs.Context(settings=s, paths=paths, credentials=credentials, source=source, vault=vault, env=env,
                        rclone=rclone)


def run_backup(ctx):
    """One backup run; returns its exit code. Whatever ends it leaves a summary: a failure, a
    SIGTERM or SIGINT, a full disk; a kill no handler sees is recorded by --record-ending."""
    lock = runs.Lock(ctx.paths)
    if not lock.take(wait=False):
        log("another run is in progress; not starting a second one")
        return EXIT["overlap"]
    runs.clean_killed_runs(ctx.paths.runs)
    runs.rotate(ctx.paths.runs)
    runs.reserve_room(ctx.paths.state)
    started = time.time()
    s = ctx.settings
    run_id, run_dir = new_run(ctx.paths)
    runs.claim(run_dir, "backup", ctx.env)
    summary = RunSummary(runId=run_id, started=utc(started), mode=s.syncMode, source=s.source_label,
                         destination=s.destination_label)
    skipped = Ledger(os.path.join(run_dir, "skipped.jsonl.gz"), accept=accepted_skip(s.acceptedSkips))
    errors = Ledger(os.path.join(run_dir, "errors.jsonl.gz"))
    unreadable = Unreadable(ctx.paths.state, run_dir)
    backup = None
    try:
        stop_on_signals()
        summary.pendingSecurityUpdates, summary.pendingSecurityPackages = hostupdates.pending()
        backup = Backup(ctx, run_id, run_dir, (summary, skipped, errors, unreadable), int(started))
        backup.run()
    except Stopped as e:
        summary.ending = "interrupted"
        errors.add(str(e))
    except RunFailed as e:
        errors.add(str(e))
    except OSError as e:
        errors.add(disk_full(ctx.paths, e) if e.errno == errno.ENOSPC else "internal error: %s: %s" % (type(e).__name__, e))
    except Exception as e:  # an engine bug must still leave a summary behind
        errors.add("internal error: %s: %s" % (type(e).__name__, e))
    finally:
        # From here the run records itself: a stop now waits for that (bounded by TimeoutStopSec).
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        remove_leftovers(run_dir)
        save_unreadable(unreadable)  # from this run's scratch, which goes next
        # On a full disk, what follows needs the room the scratch held.
        runs.remove_scratch(run_dir)
        skipped.close()
        errors.close()
    summary.acceptedSkips = skipped.accepted
    summary.skippedCount, summary.skipped = skipped.count, skipped.first
    summary.errorCount, summary.errors = errors.count, errors.first
    summary.outcome = "failure" if summary.errors else "partial" if skipped.count or summary.copyDeferred else "success"
    summary.exitCode = exit_code(summary.outcome)
    now = time.time()
    summary.finished, summary.durationSeconds = utc(now), round(now - started, 3)
    listed_at, listed = (backup.listed_at, backup.listed) if backup else (None, False)
    state = freshness.record(ctx.paths, summary, listed_at, listed, now, started, lambda: vault_fresh_as_of(ctx.vault))
    freshness.warn_drop(summary)
    record_run(ctx, run_dir, summary, freshness.check_ages(ctx.paths, state, now))
    runs.rotate(ctx.paths.runs)
    return summary.exitCode


def vault_fresh_as_of(vault):
    """When this host has no freshness record (a new host): the vault's, from its status/ (the
    last run's freshAsOf, or the last success's start), or None."""
    if vault.tried and not vault.reached:
        return None  # the vault (or its credential) already failed this run: not asked again
    tried = vault.tried  # this lookup does not count as the run's own attempt (publish_status)
    try:
        last = vault.get_json(contract.STATUS_BLOBS["lastRun"]) or {}
        if last.get("freshAsOf"):
            return epoch_or_none(last["freshAsOf"])
        success = vault.get_json(contract.STATUS_BLOBS["lastSuccess"]) or {}
        return epoch_or_none(success.get("started"))
    except Exception:
        return None
    finally:
        vault.tried = tried


def new_run(paths):
    """The run's id and folder; on a full disk, the id alone (the run then fails the space check
    and records itself without a folder)."""
    try:
        run_id = runs.new_run_dir(paths.runs)
    except OSError:
        run_id = runs.run_id_now()
    return run_id, os.path.join(paths.runs, run_id)


def accepted_skip(patterns):
    """The acknowledged skip list (acceptedSkips): shell-style patterns over the key below the
    prefix, where * also matches '/'. A skip it matches is counted apart and does not make the
    run partial (nor stale)."""
    if not patterns:
        return None
    return lambda key: any(fnmatch.fnmatchcase(key, p) for p in patterns)


def disk_full(paths, error):
    return ("the state volume is full (%s): this run's listings and plans were removed; the next run checks for "
            "room before it lists. Grow the root volume (stack config rootVolumeGb) or free space in %s" % (
                error.strerror or error, paths.state))


def save_unreadable(unreadable):
    try:
        unreadable.save()
    except (OSError, RunFailed) as e:
        log("could not save the unreadable objects' record (the previous one stays): %s" % e)


class Stopped(BaseException):
    """systemd stopped the run (a stop, TimeoutStartSec, a shutdown), or Ctrl-C. A BaseException,
    like KeyboardInterrupt: the libraries' `except Exception` (botocore's retries, a read in
    progress) must not swallow it, or the stop would be ignored until systemd kills the run."""


def stop_on_signals():
    """SIGTERM (what systemd sends on a stop, a timeout or a shutdown) and SIGINT end the run as a
    failure that is recorded like any other: a summary (ending "interrupted"), RunFailed, its
    scratch removed. A second signal while it records is ignored (systemd waits TimeoutStopSec
    before it kills)."""

    def stopped(signum, _frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        name = signal.Signals(signum).name
        raise Stopped("stopped by %s (a systemd stop, TimeoutStartSec, a shutdown or Ctrl-C): the next run "
                      "continues" % name)

    signal.signal(signal.SIGTERM, stopped)
    signal.signal(signal.SIGINT, stopped)


def record_run(ctx, run_dir, summary, check_ages=None):
    """The summary in the vault (status/ and its history), in CloudWatch, in the journal and on
    the host. The host's copies are written first but a full disk loses only them."""
    doc = summary.to_dict()
    body = runs.to_json(doc)
    failed = summary.outcome == "failure"
    if os.path.isdir(run_dir):
        runs.keep_on_host(os.path.join(run_dir, "summary.json"), body, "run summary")
    runs.keep_on_host(ctx.paths.state_file("last-run.json"), body, "run summary")
    if not failed:
        runs.keep_on_host(ctx.paths.state_file("last-success.json"), body, "run summary")
    for e in summary.errors[:20]:
        log("ERROR: " + e)
    for s in summary.skipped[:20]:
        log("skipped %s: %s" % (json.dumps(s["key"]), s["reason"]))
    blobs = [contract.STATUS_BLOBS["lastRun"]] + ([] if failed else [contract.STATUS_BLOBS["lastSuccess"]])
    runs.publish_status(ctx.vault, blobs, body, "run summary", probe=True)
    written = history.append(ctx.vault, "run", doc)
    sas_left = None
    if ctx.settings.credential != "federated":
        try:
            sas_left = ctx.credentials.seconds_left()
        except Exception:
            sas_left = None
    telemetry.send(ctx.settings, ctx.env, summary.runId, doc, telemetry.run_metrics(summary, sas_left, check_ages))
    runs.print_line(dict(doc, historyWritten=written), HEADLINE)


def record_unconfigured(paths, error):
    """A backup that cannot read its settings still leaves a failed summary on the host (it
    cannot publish: where to is in the settings; the missed-backup alarm covers it)."""
    os.makedirs(paths.runs, exist_ok=True)
    run_id = runs.new_run_dir(paths.runs)
    now = utc(time.time())
    summary = RunSummary(runId=run_id, started=now, finished=now, errorCount=1, errors=[error])
    body = runs.to_json(summary.to_dict())
    runs.write_atomic(os.path.join(paths.runs, run_id, "summary.json"), body)
    runs.write_atomic(paths.state_file("last-run.json"), body)


def main(argv):
    if argv and argv[0] not in CHECK_FLAGS and argv[0] != RECORD_ENDING or len(argv) > 1:
        print(USAGE, file=sys.stderr)
        return EXIT["usage"]
    try:
        ctx = context()
    except RunFailed as e:
        log("ERROR: %s" % e)
        if argv == [RECORD_ENDING]:
            return EXIT["success"]
        if not argv:
            record_unconfigured(settings_mod.Paths.from_env(), str(e))
        return EXIT["failure"]
    if argv and argv[0] == RECORD_ENDING:
        return record_ending(ctx, record_run)
    return run_check(ctx, CHECK_FLAGS[argv[0]]) if argv else run_backup(ctx)
