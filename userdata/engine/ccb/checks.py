"""The integrity check (--verify) and the restore drill (--drill) as commands: the run's lock (a
backup in progress finishes first, its copies would otherwise look missing), its own folder,
and its result on the host, in the vault's status/, in the log group and as metrics."""

import json
import os
import time
import types

from . import contract, history, runs, telemetry
from .base import RunFailed, log, redact, utc
from .drill import restore_drill
from .integrity import verify
from .ledger import Ledger
from .results import DrillResult, IntegrityResult, exit_code

CHECKS = types.MappingProxyType({
    # kind: (work, its result type, its status blob, its metrics)
    "integrity": (verify, IntegrityResult, contract.STATUS_BLOBS["lastIntegrity"], telemetry.integrity_metrics),
    "drill": (restore_drill, DrillResult, contract.STATUS_BLOBS["lastDrill"], telemetry.drill_metrics),
})


def run_check(ctx, kind):
    """Runs one check; returns its exit code."""
    work, result_type, blob, metrics = CHECKS[kind]
    lock = runs.Lock(ctx.paths)
    lock.take(wait=True)  # released once the listings are taken
    check_id = runs.new_run_dir(ctx.paths.runs)
    run_dir = os.path.join(ctx.paths.runs, check_id)
    runs.claim(run_dir, kind, ctx.env)
    started = time.time()
    s = ctx.settings
    result = result_type(checkId=check_id, started=utc(started), source=s.source_label, destination=s.destination_label)
    with Ledger(os.path.join(run_dir, "mismatches.jsonl.gz")) as problems:
        try:
            ctx.credentials.load_ssm()
            work(ctx, run_dir, result, problems, lock.release)
        except RunFailed as e:
            result.error = redact(str(e))
        except Exception as e:
            result.error = redact("internal error: %s: %s" % (type(e).__name__, e))
    runs.remove_scratch(run_dir)  # its listings, whatever ended it (a check that failed too)
    result.mismatchCount, result.mismatches = problems.count, problems.first
    result.outcome = "failure" if result.error else "mismatch" if problems.count else "match"
    result.finished, result.durationSeconds = utc(time.time()), round(time.time() - started, 3)
    record(ctx, kind, check_id, run_dir, blob, result, metrics(result))
    return exit_code(result.outcome)


def record(ctx, kind, check_id, run_dir, blob, result, metrics):
    """The result on the host (the check's folder and the state directory), in the vault (status/
    and its history) and in CloudWatch, and its headline in the journal."""
    doc = result.to_dict()
    body = runs.to_json(doc)
    name = os.path.basename(blob)
    for path in (os.path.join(run_dir, name), ctx.paths.state_file(name)):
        runs.write_atomic(path, body)
    if result.error:
        log("ERROR: %s failed: %s" % (kind, result.error))
    for m in result.mismatches[:20]:
        log("MISMATCH %s: %s" % (json.dumps(m["key"]), m["reason"]))
    if ctx.vault.reached:  # else the listing said why: the result stays on the host
        runs.publish_status(ctx.vault, [blob], body, "%s result" % kind)
    written = history.append(ctx.vault, kind, doc)
    telemetry.send(ctx.settings, ctx.env, check_id, doc, metrics)
    runs.print_line(dict(doc, historyWritten=written))
