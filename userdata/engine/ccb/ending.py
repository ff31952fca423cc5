"""`cross-cloud-backup-sync --record-ending`: the backup unit's ExecStopPost. systemd runs it
after every ending of the run, with SERVICE_RESULT, EXIT_CODE and EXIT_STATUS. A run that ended
on its own (any exit status, a SIGTERM it handled) has recorded itself; one killed before it could
(MemoryMax, SIGKILL after TimeoutStartSec and TimeoutStopSec) left a run folder without a summary.
This records that run: a failed summary with ending "killed", RunFailed and RunKilled, the status
blob, and its scratch removed."""

import calendar
import os
import time
import types

from . import freshness, runs
from .base import log, utc
from .rclone import remove_leftovers
from .results import RunSummary, exit_code

# What systemd's SERVICE_RESULT says, in the operator's words.
WHY = types.MappingProxyType({
    "oom-kill": "killed for memory (the unit's MemoryMax, or the kernel's OOM killer)",
    "timeout": "killed after TimeoutStartSec: it did not stop within TimeoutStopSec of the SIGTERM",
    "signal": "killed by a signal",
    "core-dump": "crashed (core dump)",
    "watchdog": "killed by the systemd watchdog",
})


def unrecorded_run(runs_dir, invocation):
    """The backup run systemd ended without its summary: the folder its invocation claimed
    (runs.claim, INVOCATION_ID is shared by ExecStart and ExecStopPost), or without one (run by
    hand) the newest backup folder, when it holds no summary and no live process owns it."""
    try:
        folders = sorted((d for d in os.listdir(runs_dir) if os.path.isdir(os.path.join(runs_dir, d))), reverse=True)
    except OSError:
        return None
    for d in folders:
        path = os.path.join(runs_dir, d)
        owner = runs.owner(path)
        if owner.get("kind") != "backup" or (invocation and owner.get("invocation") != invocation):
            continue
        if os.path.exists(os.path.join(path, "summary.json")) or runs.in_use(path):
            return None
        return d
    return None


def started_of(run_id):
    """The epoch of a run id (20261125T160000.123456789Z), or None."""
    try:
        return calendar.timegm(time.strptime(run_id[:15], "%Y%m%dT%H%M%S"))
    except ValueError:
        return None


def record_ending(ctx, record_run, env=None):
    """Returns 0 whatever it finds: it reports, it never fails the unit a second time."""
    env = os.environ if env is None else env
    result = env.get("SERVICE_RESULT", "")
    if result in ("", "success"):
        return 0
    run_id = unrecorded_run(ctx.paths.runs, env.get("INVOCATION_ID"))
    if run_id is None:
        return 0  # the run recorded itself (a failure, a SIGTERM it handled)
    run_dir = os.path.join(ctx.paths.runs, run_id)
    remove_leftovers(run_dir)
    runs.remove_scratch(run_dir)
    now = time.time()
    started = started_of(run_id) or now
    s = ctx.settings
    why = WHY.get(result, "ended by systemd (%s)" % result)
    detail = "SERVICE_RESULT=%s, EXIT_CODE=%s, EXIT_STATUS=%s" % (result, env.get("EXIT_CODE", "?"),
                                                                   env.get("EXIT_STATUS", "?"))
    summary = RunSummary(runId=run_id, started=utc(started), finished=utc(now), durationSeconds=round(now - started, 3),
                         ending="killed", mode=s.syncMode, source=s.source_label, destination=s.destination_label,
                         errorCount=1, errors=["the run was %s before it could record itself (%s); the next run "
                                               "continues where it stopped" % (why, detail)])
    summary.exitCode = exit_code(summary.outcome)
    log("recording run %s, %s" % (run_id, why))
    try:
        ctx.credentials.load_ssm()  # SAS mode: the vault's status needs the SAS
    except Exception as e:
        log("the vault SAS cannot be read (%s): the summary stays on the host and in CloudWatch" % e)
    state = freshness.record(ctx.paths, summary, None, False, now, started)
    record_run(ctx, run_dir, summary, freshness.check_ages(ctx.paths, state, now))
    return 0
