"""The engine's entry point: `cross-cloud-backup-sync [--verify | --drill]`.

Exit status: 0 success (a check: the vault matches), 1 failure, 2 a usage error, 3 partial
(everything readable was backed up; some objects were skipped and are named), 4 a check found
mismatches, 75 another run was in progress (this one did nothing). The codes are the contract's
(EXIT_CODES); a settings.json the engine refuses is a failure (1) that names the setting."""

import json
import os
import signal
import sys
import time
import types

from . import contract, runs, settings as settings_mod, telemetry
from .backup import Backup
from .base import RunFailed, log, utc
from .checks import run_check
from .credentials import Credentials
from .ledger import Ledger
from .plan import Unreadable
from .rclone import Rclone, remove_leftovers
from .results import EXIT, RunSummary, exit_code
from .source import Source
from .vault import Vault

USAGE = "usage: cross-cloud-backup-sync [--verify | --drill]"
CHECK_FLAGS = types.MappingProxyType({"--verify": "integrity", "--drill": "drill"})
HEADLINE = ("runId", "outcome", "exitCode", "copied", "bytesCopied", "archived", "deleted", "skippedCount", "errorCount")


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
    """One backup run; returns its exit code. Whatever ends it leaves a summary."""
    lock = runs.Lock(ctx.paths)
    if not lock.take(wait=False):
        log("another run is in progress; not starting a second one")
        return EXIT["overlap"]
    runs.clean_killed_runs(ctx.paths.runs)
    stop_on_sigterm()
    run_id = runs.new_run_dir(ctx.paths.runs)
    run_dir = os.path.join(ctx.paths.runs, run_id)
    started = time.time()
    s = ctx.settings
    summary = RunSummary(runId=run_id, started=utc(started), mode=s.syncMode, source=s.source_label,
                         destination=s.destination_label)
    skipped = Ledger(os.path.join(run_dir, "skipped.jsonl.gz"))
    errors = Ledger(os.path.join(run_dir, "errors.jsonl.gz"))
    unreadable = Unreadable(ctx.paths.state_file("unreadable.jsonl"))
    try:
        Backup(ctx, run_id, run_dir, (summary, skipped, errors, unreadable), int(started)).run()
    except RunFailed as e:
        errors.add(str(e))
    except Exception as e:  # an engine bug must still leave a summary behind
        errors.add("internal error: %s: %s" % (type(e).__name__, e))
    finally:
        skipped.close()
        errors.close()
        unreadable.save()
        remove_leftovers(run_dir)
        runs.remove_scratch(run_dir)
    summary.skippedCount, summary.skipped = skipped.count, skipped.first
    summary.errorCount, summary.errors = errors.count, errors.first
    summary.outcome = "failure" if summary.errors else "partial" if skipped.count else "success"
    summary.exitCode = exit_code(summary.outcome)
    summary.finished, summary.durationSeconds = utc(time.time()), round(time.time() - started, 3)
    record_run(ctx, run_dir, summary)
    runs.rotate(ctx.paths.runs)
    return summary.exitCode


class Stopped(RunFailed):
    """systemd stopped the run (a stop, TimeoutStartSec, a shutdown)."""


def stop_on_sigterm():
    """SIGTERM (what systemd sends on a stop, a timeout or a shutdown) ends the run as a failure
    that is recorded like any other: a summary, RunFailed, its scratch removed. A second SIGTERM
    while it records is ignored (systemd waits TimeoutStopSec before it kills)."""

    def stopped(signum, _frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Stopped("stopped by SIGTERM (a systemd stop, TimeoutStartSec or a shutdown): the next run continues")

    signal.signal(signal.SIGTERM, stopped)


def record_run(ctx, run_dir, summary):
    """The summary on the host, in the vault (status/), in the journal and in CloudWatch."""
    doc = summary.to_dict()
    body = runs.to_json(doc)
    failed = summary.outcome == "failure"
    with open(os.path.join(run_dir, "summary.json"), "w", encoding="utf-8") as f:
        f.write(body)
    runs.write_atomic(ctx.paths.state_file("last-run.json"), body)
    if not failed:
        runs.write_atomic(ctx.paths.state_file("last-success.json"), body)
    for e in summary.errors[:20]:
        log("ERROR: " + e)
    for s in summary.skipped[:20]:
        log("skipped %s: %s" % (json.dumps(s["key"]), s["reason"]))
    blobs = [contract.STATUS_BLOBS["lastRun"]] + ([] if failed else [contract.STATUS_BLOBS["lastSuccess"]])
    runs.publish_status(ctx.vault, blobs, body, "run summary")
    sas_left = None
    if ctx.settings.credential != "federated":
        try:
            sas_left = ctx.credentials.seconds_left()
        except Exception:
            sas_left = None
    telemetry.send(ctx.settings, ctx.env, summary.runId, doc, telemetry.run_metrics(summary, sas_left))
    runs.print_line(doc, HEADLINE)


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
    if argv and argv[0] not in CHECK_FLAGS or len(argv) > 1:
        print(USAGE, file=sys.stderr)
        return EXIT["usage"]
    try:
        ctx = context()
    except RunFailed as e:
        log("ERROR: %s" % e)
        if not argv:
            record_unconfigured(settings_mod.Paths.from_env(), str(e))
        return EXIT["failure"]
    return run_check(ctx, CHECK_FLAGS[argv[0]]) if argv else run_backup(ctx)
