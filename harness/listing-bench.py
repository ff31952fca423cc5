# One backup's listing and planning, as the host runs it, without the copy: the context is built
# by ccb/cli.py's context() from settings.json and the environment (STATE_DIRECTORY,
# CREDENTIALS_DIRECTORY, AWS_ENDPOINT_URL_S3, RCLONE_CONFIG_VAULT_SAS_URL...), the run's folder,
# summary and ledgers as run_backup sets them up, and then Backup.list_and_plan(), the same call
# the host's run makes before it copies. It uses the engine's public entry points only, so it
# measures whatever listing the engine has. Used by npm run bench (--synthetic) and its tests.
# Usage: python3 -I listing-bench.py <folder holding the ccb package> [--copy-keys]
# Prints one JSON line: wall and CPU seconds (this process and its children: sort, the vault
# lister), the plan's counts and files, the run folder (left in place: the caller removes it);
# with --copy-keys also the keys the plan copies.
import gzip
import importlib
import json
import os
import resource
import sys
import time

sys.path.insert(0, sys.argv[1])
from ccb import cli  # noqa: E402
from ccb.backup import Backup  # noqa: E402
from ccb.base import utc  # noqa: E402
from ccb.ledger import Ledger  # noqa: E402
from ccb.results import RunSummary  # noqa: E402
from ccb.unreadable import Unreadable  # noqa: E402

COUNTS = ("sourceObjects", "sourceBytes", "vaultObjects", "unchanged", "new", "changed", "vaultOnly", "bytesChanged")


def constant(module, name):
    """An engine constant, or None when this engine has no such module or name."""
    try:
        return getattr(importlib.import_module("ccb." + module), name)
    except (ImportError, AttributeError):
        return None


def sort_compressor():
    """The program sort(1) compresses its temporary runs with in this run (gzip before there was
    a choice)."""
    choose = constant("listing", "sort_compressor")
    return choose()[0] if choose else "gzip"


def plan_lines(path):
    """The lines of a plan file, plain or gzip-compressed (whichever this engine writes)."""
    with open(path, "rb") as f:
        packed = f.read(2) == b"\x1f\x8b"
    with (gzip.open if packed else open)(path, "rt", encoding="utf-8", newline="\n") as f:
        for line in f:
            yield line.rstrip("\n")


def cpu_seconds():
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main():
    ctx = cli.context()
    s = ctx.settings
    os.makedirs(ctx.paths.runs, exist_ok=True)
    run_id, run_dir = cli.new_run(ctx.paths)
    started = time.time()
    summary = RunSummary(runId=run_id, started=utc(started), mode=s.syncMode, source=s.source_label,
                         destination=s.destination_label)
    skipped = Ledger(os.path.join(run_dir, "skipped.jsonl.gz"), accept=cli.accepted_skip(s.acceptedSkips))
    errors = Ledger(os.path.join(run_dir, "errors.jsonl.gz"))
    unreadable = Unreadable(ctx.paths.state, run_dir)
    backup = Backup(ctx, run_id, run_dir, (summary, skipped, errors, unreadable), int(started))
    t0, cpu0 = time.monotonic(), cpu_seconds()
    paths = backup.list_and_plan()
    wall, cpu = time.monotonic() - t0, cpu_seconds() - cpu0
    for ledger in (skipped, errors):
        ledger.close()
    unreadable.close()
    report = {
        "wallSeconds": round(wall, 3),
        "cpuSeconds": round(cpu, 3),
        "runDir": run_dir,
        "counts": {k: getattr(summary, k) for k in COUNTS},
        "plan": {k: {"path": p, "lines": sum(1 for _ in plan_lines(p))} for k, p in paths.items()},
        "skipped": {"count": skipped.count, "first": skipped.first[:10]},
        "errors": {"count": errors.count, "first": errors.first[:10]},
        "engine": {"s3ListWorkers": constant("s3pages", "LIST_WORKERS"),
                   "vaultListWorkers": constant("vaultlist", "FANOUT_WORKERS"),
                   "sortCompressor": sort_compressor()},
        "maxRssMiB": {"engine": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                      "largestChild": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)},
    }
    if "--copy-keys" in sys.argv[2:]:
        report["copyKeys"] = [json.loads(line.split("\t", 1)[0]) for line in plan_lines(paths["copy"])]
    print(json.dumps(report))


if __name__ == "__main__":
    main()
