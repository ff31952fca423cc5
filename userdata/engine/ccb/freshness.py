"""How current the backup is, kept on the host between runs (freshness.json): the start of the
newest listing whose every change is stored in the vault (skips only on the acknowledged list),
that listing's size, and the host's first run. Every run, whatever ended it, reports the age
(BackupAgeSeconds, what the missed-backup alarm watches), and how far the source shrank since
the last fresh run (the source-drop alarm's input)."""

import json
import math

from .base import epoch_or_none, log, utc
from . import runs

FILE = "freshness.json"
# The checks' results on the host, whose age each run reports.
CHECK_RESULTS = (("integrity", "last-integrity.json"), ("drill", "last-drill.json"))


def load(paths):
    try:
        with open(paths.state_file(FILE), encoding="utf-8") as f:
            doc = json.load(f)
        return doc if isinstance(doc, dict) else {}
    except (OSError, ValueError):
        return {}


def expected_objects(paths):
    """The size of the last listing this host knows (0 on its first run)."""
    return int(load(paths).get("sourceObjects") or 0)


def drop_percent(before, after):
    """The drop from `before` to `after` in percent, rounded down (0 when it grew or nothing was
    there; 100 only when nothing is left)."""
    return math.floor(max(0.0, (before - after) * 100.0 / before) * 1000) / 1000 if before else 0.0


def record(paths, summary, listed_at, listed, now, started=None, seed=None):
    """Fills the summary's freshness keys and keeps the state: a fresh run (outcome success, its
    listing complete) moves freshAsOf to the start of its listing. A host without a record (a
    new host) starts from `seed()`, the vault's own record, so that it never reports a stale
    backup as new."""
    state = load(paths)
    if "firstRun" not in state:
        state["firstRun"] = int(started if started is not None else listed_at if listed_at is not None else now)
        known = seed() if seed is not None else None
        if known is not None:
            state["freshAsOf"] = int(known)
    if listed:
        summary.sourceDropPercent = max(
            drop_percent(int(state.get("sourceObjects") or 0), summary.sourceObjects),
            drop_percent(int(state.get("sourceBytes") or 0), summary.sourceBytes))
    summary.fresh = bool(listed and summary.outcome == "success")
    if summary.fresh:
        state.update(freshAsOf=int(listed_at), sourceObjects=summary.sourceObjects, sourceBytes=summary.sourceBytes)
    fresh_as_of = state.get("freshAsOf")
    summary.freshAsOf = utc(fresh_as_of) if fresh_as_of is not None else None
    summary.backupAgeSeconds = max(0, int(now - (fresh_as_of if fresh_as_of is not None else state["firstRun"])))
    runs.keep_on_host(paths.state_file(FILE), json.dumps(state) + "\n", "freshness record")
    return state


def check_ages(paths, state, now):
    """Seconds since each check last reported (any outcome), or since the host's first run when
    it never has: kind -> seconds."""
    ages = {}
    for kind, name in CHECK_RESULTS:
        finished = None
        try:
            with open(paths.state_file(name), encoding="utf-8") as f:
                finished = epoch_or_none(json.load(f).get("finished"))
        except (OSError, ValueError, AttributeError):
            pass
        since = finished if finished is not None else state.get("firstRun", now)
        ages[kind] = max(0, int(now - since))
    return ages


def warn_drop(summary, threshold=50):
    if summary.sourceDropPercent and summary.sourceDropPercent >= threshold:
        log("the source shrank by %s%% since the last fresh run (%d objects, %d bytes now)" % (
            summary.sourceDropPercent, summary.sourceObjects, summary.sourceBytes))
